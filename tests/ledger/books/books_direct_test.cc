// Books::Apply driven directly over a vector of leaves (no ledger), dates, and the receipt book.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "books_rules_fixture.h"

namespace boai::books {
namespace {

using ::testing::HasSubstr;
using namespace ::boai::books::testing;  // NOLINT

// ---------------------------------------------------------------------------
// Books::Apply directly, over a vector of leaves.

class LeafBooks {
 public:
  LeafBooks()
      : books_([this](uint64_t i) -> absl::StatusOr<std::string> {
          if (i >= leaves_.size()) return absl::NotFoundError(StrCat("no leaf ", i));
          return leaves_[i];
        }) {}
  LeafBooks(const LeafBooks&) = delete;
  LeafBooks& operator=(const LeafBooks&) = delete;

  // Fills in the expected postings (unless `postings` is given), round-trips the
  // body through its JSON as a reader would, applies it, and keeps the leaf.
  absl::Status Apply(const std::string& kind, const std::string& by, Body body,
                     std::optional<std::vector<Posting>> postings = std::nullopt,
                     uint64_t time_ms = kJune1Noon) {
    Entry e{kind, by, std::move(body)};
    if (!postings.has_value()) {
      absl::StatusOr<std::vector<Posting>> p = ExpectedPostings(e, books_);
      if (p.ok()) postings = *p;
    }
    std::visit(
        [&](auto& b) {
          if constexpr (requires { b.postings; })
            b.postings = postings.value_or(std::vector<Posting>{});
        },
        e.body);
    const std::string body_json = CanonicalBody(e);
    absl::StatusOr<Entry> parsed = ParseEntry(kind, std::string_view(body_json));
    if (!parsed.ok()) return parsed.status();
    const uint64_t index = leaves_.size();
    absl::Status s = books_.Apply(*parsed, index, time_ms);
    if (s.ok()) {
      leaves_.push_back(ledger::EncodeLeaf(
          ledger::LeafHeader{index, StrCat("k", index), kind, {}, time_ms}, body_json));
    }
    return s;
  }
  Books& books() { return books_; }
  uint64_t size() const { return leaves_.size(); }

 private:
  std::vector<std::string> leaves_;
  Books books_;
};

void ExpectStatus(const absl::Status& s, Code code, const std::vector<std::string>& names) {
  EXPECT_EQ(s.code(), code) << s;
  for (const std::string& n : names) EXPECT_THAT(std::string(ToStd(s.message())), HasSubstr(n));
}

TEST(BooksDirectTest, EntriesBeforeTheChartAndFundsAreOpened) {
  LeafBooks lb;
  const auto empty = lb.books().Snapshot();
  ExpectStatus(lb.Apply("gift", kClerk, MakeGift("2022-05-10", "cash", "fund.a", Yuan(1))),
               Code::kInvalidArgument, {"account 1001 is not open"});
  EXPECT_EQ(lb.books().Snapshot(), empty);
  for (AccountOpen& a : StandardChart()) ASSERT_TRUE(lb.Apply("account.open", kAdmin, a).ok());
  const auto chart = lb.books().Snapshot();
  ExpectStatus(lb.Apply("gift", kClerk, MakeGift("2022-05-10", "cash", "fund.a", Yuan(1))),
               Code::kInvalidArgument, {"fund \"fund.a\" is not open"});
  EXPECT_EQ(lb.books().Snapshot(), chart);
  ASSERT_TRUE(lb.Apply("fund.open", kAdmin, FundOpen{"fund.a", "A", "a", true}).ok());
  ASSERT_TRUE(lb.Apply("gift", kClerk, MakeGift("2022-05-10", "cash", "fund.a", Yuan(1))).ok());
  EXPECT_EQ(lb.books().balances().at({"1001", "fund.a"}), Yuan(1));
  EXPECT_TRUE(lb.books().TakeDirty().size() > 0);
}

TEST(BooksDirectTest, PostingsThatDoNotBalanceOrDifferAreRefused) {
  LeafBooks lb;
  for (AccountOpen& a : StandardChart()) ASSERT_TRUE(lb.Apply("account.open", kAdmin, a).ok());
  ASSERT_TRUE(lb.Apply("fund.open", kAdmin, FundOpen{"fund.a", "A", "a", true}).ok());
  ASSERT_TRUE(lb.Apply("fund.open", kAdmin, FundOpen{"fund.b", "B", "b", false}).ok());
  const auto before = lb.books().Snapshot();
  const Gift g = MakeGift("2022-05-10", "bank", "fund.a", Yuan(10));
  for (const std::vector<Posting>& wrong :
       {std::vector<Posting>{{"1002", "fund.a", Yuan(10)}, {"4101", "fund.a", -Yuan(9)}},
        std::vector<Posting>{{"1002", "fund.a", Yuan(10)}, {"4101", "fund.b", -Yuan(10)}},
        std::vector<Posting>{{"4101", "fund.a", -Yuan(10)},
                             {"1002", "fund.a", Yuan(10)}},  // order matters
        std::vector<Posting>{{"1002", "fund.a", Yuan(10)}, {"4201", "fund.a", -Yuan(10)}},
        std::vector<Posting>{{"9999", "fund.a", Yuan(10)}, {"4101", "fund.a", -Yuan(10)}}}) {
    ExpectStatus(lb.Apply("gift", kClerk, g, wrong), Code::kInvalidArgument,
                 {"postings are not the ones"});
    EXPECT_EQ(lb.books().Snapshot(), before);
  }
  // Books without a leaf reader cannot judge a reversal, and say so.
  Books bare(nullptr);
  for (AccountOpen& a : StandardChart())
    ASSERT_TRUE(bare.Apply(Entry{"account.open", kAdmin, a}, 1, kJune1Noon).ok());
  Entry rev{"reversal", kClerk,
            Reversal{"2022-05-10", "x", 0, {{"1002", "fund.a", 1}, {"4101", "fund.a", -1}}}};
  ExpectStatus(bare.Apply(rev, 20, kJune1Noon), Code::kInternal, {"no leaf reader"});
  EXPECT_TRUE(bare.reversed().empty());
}

TEST(BooksDirectTest, ReversalNamesOnlyEarlierEntries) {
  LeafBooks lb;
  for (AccountOpen& a : StandardChart()) ASSERT_TRUE(lb.Apply("account.open", kAdmin, a).ok());
  ASSERT_TRUE(lb.Apply("fund.open", kAdmin, FundOpen{"fund.a", "A", "a", true}).ok());
  ASSERT_TRUE(lb.Apply("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.a", Yuan(10))).ok());
  const uint64_t gift = lb.size() - 1;
  const auto before = lb.books().Snapshot();
  const std::vector<Posting> mirror = {{"1002", "fund.a", -Yuan(10)}, {"4101", "fund.a", Yuan(10)}};
  ExpectStatus(lb.Apply("reversal", kClerk, Reverse("2022-05-10", lb.size()), mirror),
               Code::kInvalidArgument, {"can only name an earlier entry"});
  ExpectStatus(lb.Apply("reversal", kClerk, Reverse("2022-05-10", lb.size() + 9), mirror),
               Code::kInvalidArgument, {"can only name an earlier entry"});
  ExpectStatus(lb.Apply("reversal", kClerk, Reverse("2022-05-10", gift - 1), mirror),
               Code::kInvalidArgument, {StrCat("entry ", gift - 1, " is a fund.open entry")});
  EXPECT_EQ(lb.books().Snapshot(), before);
  ASSERT_TRUE(lb.Apply("reversal", kClerk, Reverse("2022-05-10", gift)).ok());
  EXPECT_EQ(lb.books().balances().at({"1002", "fund.a"}), 0);
  ExpectStatus(lb.Apply("reversal", kClerk, Reverse("2022-05-10", gift), mirror),
               Code::kAlreadyExists,
               {StrCat("entry ", gift, " was already reversed by entry ", gift + 1)});
}

TEST(BooksDirectTest, DateOfIsChinaStandardTime) {
  EXPECT_EQ(DateOf(0), "1970-01-01");
  EXPECT_EQ(DateOf(kJune1Noon), "2022-06-01");
  const uint64_t midnight_cst = 1654041600000ull + 16 * 3600 * 1000ull;  // 2022-06-01T16:00Z
  EXPECT_EQ(DateOf(midnight_cst - 1), "2022-06-01");
  EXPECT_EQ(DateOf(midnight_cst), "2022-06-02");
  EXPECT_EQ(DateOf(1582934400000ull), "2020-02-29");  // 2020-02-29T00:00Z
  EXPECT_EQ(DateOf(1609430400000ull), "2021-01-01");  // 2020-12-31T16:00Z
}

TEST(BooksDirectTest, CheckDateKnowsTheCalendar) {
  for (const char* ok :
       {"2019-01-31", "2019-02-28", "2020-02-29", "2000-02-29", "2019-04-30", "2019-12-31"}) {
    EXPECT_TRUE(CheckDate("date", ok).ok()) << ok;
  }
  for (const char* bad :
       {"2019-02-29", "1900-02-29", "2019-04-31", "2019-06-31", "2019-13-01", "2019-00-01",
        "2019-01-00", "2019/09/09", "19-09-09", "2019-09-09 ", "２０１９-09-09"}) {
    absl::Status s = CheckDate("date", bad);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(ToStd(s.message())), HasSubstr(StrCat("\"", bad, "\""))) << bad;
  }
}

TEST(BooksReceiptBookTest, IssueMergesRangesAndGapsCountVoids) {
  ReceiptBook b;
  for (int64_t n : {1, 2, 5}) b.Issue(n);
  b.voided.insert(7);
  using Gaps = std::vector<std::pair<int64_t, int64_t>>;
  EXPECT_EQ(b.Gaps(), (Gaps{{3, 4}, {6, 6}}));
  EXPECT_EQ(b.issued, (std::map<int64_t, int64_t>{{1, 2}, {5, 5}}));
  b.Issue(4);
  EXPECT_EQ(b.issued, (std::map<int64_t, int64_t>{{1, 2}, {4, 5}}));
  b.Issue(3);
  EXPECT_EQ(b.issued, (std::map<int64_t, int64_t>{{1, 5}}));
  EXPECT_EQ(b.Gaps(), (Gaps{{6, 6}}));
  for (int64_t n : {0, 1, 3, 5}) EXPECT_EQ(b.IsIssued(n), n != 0) << n;
  EXPECT_FALSE(b.IsIssued(6));
  EXPECT_FALSE(b.IsIssued(7));  // voided is not issued
  b.Unissue(3);
  EXPECT_EQ(b.issued, (std::map<int64_t, int64_t>{{1, 2}, {4, 5}}));
  b.Unissue(1);
  b.Unissue(5);
  EXPECT_EQ(b.issued, (std::map<int64_t, int64_t>{{2, 2}, {4, 4}}));
  EXPECT_EQ(b.Gaps(), (Gaps{{3, 3}, {5, 6}}));
  ReceiptBook empty;
  EXPECT_TRUE(empty.Gaps().empty());
}

}  // namespace
}  // namespace boai::books
