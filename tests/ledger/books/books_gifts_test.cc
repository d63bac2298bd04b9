// Books rules on gifts and receipts: channels, in-kind, receipt or reason, dates, register.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "books_rules_fixture.h"

namespace boai::books {
namespace {

using namespace ::boai::books::testing;  // NOLINT

// ---- gifts ----

TEST_F(BooksRulesTest, GiftChannelsAndIncomeKindsPostToTheirAccounts) {
  Standard();
  struct Case {
    const char* channel;
    const char* income;
    const char* debit;
    const char* credit;
  };
  int64_t n = 0;
  for (const Case& c :
       {Case{"cash", "donation", "1001", "4101"}, Case{"bank", "donation", "1002", "4101"},
        Case{"online", "donation", "1121", "4101"}, Case{"in_kind", "donation", "1201", "4101"},
        Case{"bank", "grant", "1002", "4201"}, Case{"cash", "grant", "1001", "4201"}}) {
    SCOPED_TRACE(StrCat(c.channel, "/", c.income));
    ++n;
    const std::string fund = StrCat("fund.g", n);
    Ok("fund.open", kAdmin, FundOpen{fund, "g", "g", true});
    Gift g = MakeGift("2022-05-10", c.channel, fund, Yuan(100) + n, n);
    g.income = c.income;
    if (std::string_view(c.channel) == "online") {  // online gifts belong to a campaign
      Ok("campaign.open", kAdmin,
         CampaignOpen{"camp.g", "g", fund, "Tencent", "2022-05-01", "2022-05-31", Yuan(1)});
      g.campaign = "camp.g";
    }
    uint64_t i = Ok("gift", kClerk, g);
    EXPECT_EQ(PostingsAt(i), (std::vector<Posting>{{c.debit, fund, Yuan(100) + n},
                                                   {c.credit, fund, -(Yuan(100) + n)}}));
    EXPECT_EQ(Bal(c.debit, fund), Yuan(100) + n);
    EXPECT_EQ(Bal(c.credit, fund), -(Yuan(100) + n));
    EXPECT_EQ(Fund(fund).net, Yuan(100) + n);
    EXPECT_EQ(Fund(fund).Available(), Yuan(100) + n);
  }
  // A gift in kind keeps its valuation method and evidence on the leaf.
  Gift k = MakeGift("2022-05-11", "in_kind", "fund.relief", Yuan(2000), 100);
  k.in_kind = InKind{"人道救助箱 relief boxes", "箱", "fair_value", 20, Hex("price survey")};
  uint64_t i = Ok("gift", kClerk, k);
  const Gift stored = std::get<Gift>(h_.EntryAt(i).body);
  ASSERT_TRUE(stored.in_kind.has_value());
  EXPECT_EQ(stored.in_kind->method, "fair_value");
  EXPECT_EQ(stored.in_kind->evidence_sha256, Hex("price survey"));
  EXPECT_EQ(stored.in_kind->quantity, 20);
  EXPECT_EQ(Bal("1201", "fund.relief"), Yuan(2000));
}

TEST_F(BooksRulesTest, InKindDetailsExactlyForInKindGifts) {
  Standard();
  Gift g = MakeGift("2022-05-10", "in_kind", "fund.relief", Yuan(100));
  g.in_kind.reset();
  Refused("gift", kClerk, g, Code::kInvalidArgument,
          {"in_kind", "required exactly when channel is in_kind"});
  Gift b = MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100));
  b.in_kind = InKind{"boxes", "箱", "document", 1, Hex("x")};
  Refused("gift", kClerk, b, Code::kInvalidArgument,
          {"in_kind", "required exactly when channel is in_kind"});
  Gift m = MakeGift("2022-05-10", "in_kind", "fund.relief", Yuan(100));
  m.in_kind->method = "guess";
  Refused("gift", kClerk, m, Code::kInvalidArgument, {"in_kind.method"});
  Gift e = MakeGift("2022-05-10", "in_kind", "fund.relief", Yuan(100));
  e.in_kind->evidence_sha256 = "not-a-hash";
  Refused("gift", kClerk, e, Code::kInvalidArgument, {"in_kind.evidence_sha256"});
  Gift q = MakeGift("2022-05-10", "in_kind", "fund.relief", Yuan(100));
  q.in_kind->quantity = 0;
  Refused("gift", kClerk, q, Code::kInvalidArgument, {"in_kind.quantity"});
  Gift ch = MakeGift("2022-05-10", "cheque", "fund.relief", Yuan(100));
  Refused("gift", kClerk, ch, Code::kInvalidArgument, {"channel"});
  Gift inc = MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100));
  inc.income = "loan";
  Refused("gift", kClerk, inc, Code::kInvalidArgument, {"income"});
  Gift zero = MakeGift("2022-05-10", "bank", "fund.relief", 0);
  Refused("gift", kClerk, zero, Code::kInvalidArgument, {"amount", "got 0"});
  Gift neg = MakeGift("2022-05-10", "bank", "fund.relief", -Yuan(5));
  Refused("gift", kClerk, neg, Code::kInvalidArgument, {"amount", "got -500"});
}

TEST_F(BooksRulesTest, GiftHasAReceiptOrAReasonForNone) {
  Standard();
  Gift both = MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100), 1);
  both.no_receipt = "declined";
  Refused("gift", kClerk, both, Code::kInvalidArgument, {"receipt", "not both"});
  {
    nlohmann::json body =
        ToJson(Entry{"gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100), 1)});
    body["postings"] =
        PostingsJson({{"1002", "fund.relief", Yuan(100)}, {"4101", "fund.relief", -Yuan(100)}});
    body["no_receipt"] = "declined";
    const std::string canonical = *ledger::EncodeCanonicalJson(body);
    ExpectRefused(
        [&] {
          return h_.ledger()->Append(ledger::EntryDraft{"gift", "both-raw", canonical, {}});
        },
        Code::kInvalidArgument, {"receipt", "not both"});
  }
  Gift neither = MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100));
  neither.no_receipt.clear();
  Refused("gift", kClerk, neither, Code::kInvalidArgument, {"receipt", "must be given"});
  Gift why = MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100));
  why.no_receipt = "forgot";
  Refused("gift", kClerk, why, Code::kInvalidArgument, {"no_receipt"});
  for (const char* reason : {"anonymous", "declined", "not_a_donation"}) {
    Gift ok = MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100));
    ok.no_receipt = reason;
    Ok("gift", kClerk, ok);
  }
  Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100), 1));
}

TEST_F(BooksRulesTest, BadDatesAreRefused) {
  Standard();
  for (const char* d : {"2019-13-01", "2019/09/09", "2019-00-10", "2019-09-32", "2019-9-9", "",
                        "2019-02-30", "2021-02-29", "2019-04-31"}) {
    SCOPED_TRACE(d);
    Refused("gift", kClerk, MakeGift(d, "bank", "fund.relief", Yuan(1)), Code::kInvalidArgument,
            {StrCat("\"", d, "\" is not a date")});
  }
  Ok("gift", kClerk, MakeGift("2020-02-29", "bank", "fund.relief", Yuan(1)));  // a leap day
  Ok("gift", kClerk, MakeGift("2019-12-31", "bank", "fund.relief", Yuan(1)));
  Refused("payment.request", kClerk,
          MakeRequest("2022-05-01", "fund.relief", Yuan(1), "bank", "2022/12/31"),
          Code::kInvalidArgument, {"expires", "\"2022/12/31\""});
  Refused("payment.request", kClerk,
          MakeRequest("2022-05-01", "fund.relief", Yuan(1), "bank", "2022-04-30"),
          Code::kInvalidArgument, {"expires 2022-04-30 is before date 2022-05-01"});
  Refused("campaign.open", kAdmin,
          CampaignOpen{"camp.x", "x", "fund.gm", "p", "2022-09-31", "2022-10-01", Yuan(1)},
          Code::kInvalidArgument, {"start", "2022-09-31"});
  Refused("campaign.open", kAdmin,
          CampaignOpen{"camp.x", "x", "fund.gm", "p", "2022-09-09", "2022-09-07", Yuan(1)},
          Code::kInvalidArgument, {"end", "before start"});
}

TEST_F(BooksRulesTest, DatesBefore1900AreTakenForTypos) {
  Standard();
  for (const char* d : {"0000-01-01", "0019-03-01", "1899-12-31"}) {
    SCOPED_TRACE(d);
    Refused("gift", kClerk, MakeGift(d, "bank", "fund.relief", Yuan(1)), Code::kInvalidArgument,
            {StrCat("date ", d, " is before 1900-01-01"), "typo"});
  }
  Ok("gift", kClerk, MakeGift("1900-01-01", "bank", "fund.relief", Yuan(1)));
}

// One entry per gift stays within what JSON readers hold exactly (2^53-1 fen); so
// must every total the books keep, or statements would print wrapped sums.
TEST_F(BooksRulesTest, TotalsStayWithinWhatTheLedgerRepresents) {
  Standard();
  const int64_t max = (int64_t{1} << 53) - 1;
  Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", max - 10));
  Refused("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", 11), Code::kInvalidArgument,
          {"fund fund.relief", "beyond 90071992547409.91 yuan"});
  Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", 10));
  EXPECT_EQ(Fund("fund.relief").net, max);
}

TEST_F(BooksRulesTest, FutureDatesAreRefused) {
  Standard();
  // The clock says 2022-06-01 12:00 in China.
  Refused("gift", kClerk, MakeGift("2022-06-02", "bank", "fund.relief", Yuan(1)),
          Code::kInvalidArgument, {"date 2022-06-02 is in the future", "today is 2022-06-01"});
  Ok("gift", kClerk, MakeGift("2022-06-01", "bank", "fund.relief", Yuan(10)));
  uint64_t r = Ok("payment.request", kClerk, MakeRequest("2022-06-01", "fund.relief", Yuan(1)));
  Refused("payment.approve", kApprover, Decide("2022-06-02", r), Code::kInvalidArgument,
          {"2022-06-02"});
  Refused("receipt.void", kClerk, ReceiptVoid{"2023-01-01", "HB2022", "spoiled", 9},
          Code::kInvalidArgument, {"2023-01-01"});
  // 16:00 UTC is midnight in China: 2022-06-02 is today there.
  h_.SetNow(kJune1Noon + 12 * 3600 * 1000ull);
  Ok("gift", kClerk, MakeGift("2022-06-02", "bank", "fund.relief", Yuan(1)));
  Ok("payment.approve", kApprover, Decide("2022-06-02", r));
}

// ---- receipts ----

TEST_F(BooksRulesTest, ReceiptRegister) {
  Standard();
  Ok("gift", kClerk, MakeGift("2022-05-10", "cash", "fund.relief", Yuan(10), 1));
  Ok("gift", kClerk, MakeGift("2022-05-10", "cash", "fund.relief", Yuan(10), 2));
  Refused("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.general", Yuan(99), 2),
          Code::kAlreadyExists, {"receipt HB2022-2", "already issued"});
  Ok("gift", kClerk, MakeGift("2022-05-11", "cash", "fund.relief", Yuan(10), 5));
  Ok("receipt.void", kClerk, ReceiptVoid{"2022-05-11", "HB2022", "spoiled copy", 7});
  Refused("gift", kClerk, MakeGift("2022-05-11", "cash", "fund.relief", Yuan(10), 7),
          Code::kAlreadyExists, {"receipt HB2022-7", "voided"});
  Refused("receipt.void", kClerk, ReceiptVoid{"2022-05-12", "HB2022", "again", 7},
          Code::kAlreadyExists, {"receipt HB2022-7", "already void"});
  auto gaps = [this] {
    return h_.Read([](const Books& b) { return b.receipts().at("HB2022").Gaps(); });
  };
  using Gaps = std::vector<std::pair<int64_t, int64_t>>;
  EXPECT_EQ(gaps(), (Gaps{{3, 4}, {6, 6}}));
  // An issued receipt may be voided (the gift was reversed): it stays used.
  Ok("receipt.void", kClerk, ReceiptVoid{"2022-05-12", "HB2022", "gift reversed", 2});
  EXPECT_EQ(gaps(), (Gaps{{3, 4}, {6, 6}}));
  Ok("gift", kClerk, MakeGift("2022-05-12", "cash", "fund.relief", Yuan(10), 3));
  EXPECT_EQ(gaps(), (Gaps{{4, 4}, {6, 6}}));
  Ok("gift", kClerk, MakeGift("2022-05-12", "cash", "fund.relief", Yuan(10), 4));
  Ok("receipt.void", kClerk, ReceiptVoid{"2022-05-12", "HB2022", "lost", 6});
  EXPECT_TRUE(gaps().empty());
  // Another book has its own numbers.
  Gift other = MakeGift("2022-05-12", "cash", "fund.relief", Yuan(10), 2);
  other.receipt_book = "HB2023";
  Ok("gift", kClerk, other);
  EXPECT_TRUE(h_.Read([](const Books& b) { return b.receipts().at("HB2023").IsIssued(2); }));
  EXPECT_EQ(h_.Read([](const Books& b) { return b.receipts().at("HB2022").voided; }),
            (std::set<int64_t>{2, 6, 7}));
}

// "hb2022" would be a second book beside HB2022, so number 2 could be issued twice.
TEST_F(BooksRulesTest, ReceiptBooksAreNamedInUpperCase) {
  Standard();
  Ok("gift", kClerk, MakeGift("2022-05-10", "cash", "fund.relief", Yuan(10), 2));
  Gift lower = MakeGift("2022-05-10", "cash", "fund.relief", Yuan(10), 2);
  lower.receipt_book = "hb2022";
  Refused("gift", kClerk, lower, Code::kInvalidArgument,
          {"receipt book \"hb2022\" has lower-case letters", "(HB2022)"});
  Refused("receipt.void", kClerk, ReceiptVoid{"2022-05-11", "Hb2022", "spoiled", 3},
          Code::kInvalidArgument, {"receipt book \"Hb2022\"", "(HB2022)"});
  EXPECT_EQ(h_.Read([](const Books& b) { return b.receipts().size(); }), 1u);
}

}  // namespace
}  // namespace boai::books
