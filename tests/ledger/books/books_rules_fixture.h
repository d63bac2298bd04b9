// The fixture of the books rule tests (books_*_test.cc): the real write path
// (Clerk::Record -> Ledger::Append -> BooksHook -> Books::Apply) in a temporary
// directory. Every refusal is checked for its status code, for a message that names
// the offending values, and for changing nothing: the books' snapshot, the stored
// `state` column family and the log's size are the same before and after.
#ifndef BOAI_TESTS_LEDGER_BOOKS_BOOKS_RULES_FIXTURE_H_
#define BOAI_TESTS_LEDGER_BOOKS_BOOKS_RULES_FIXTURE_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "books_test_support.h"

namespace boai::books::testing {

using Code = absl::StatusCode;
using Result = absl::StatusOr<ledger::AppendResult>;

inline constexpr char kClerk[] = "clerk.wang";
inline constexpr char kApprover[] = "approver.li";
inline constexpr char kAdmin[] = "admin";

// A person id (as PersonalStore gives) standing for the child `label` in tests:
// grants name registered people, never labels.
inline std::string Kid(std::string_view label) {
  std::string bytes(label.substr(0, 16));
  bytes.resize(16, '\0');
  return StrCat("p-", HexEncode(bytes));
}

class BooksRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status s = h_.Open();
    ASSERT_TRUE(s.ok()) << s;
  }
  void TearDown() override {
    // Whatever a test did, the stored state is the live state.
    if (h_.ledger() != nullptr) {
      EXPECT_EQ(h_.StoredState(), h_.Snapshot());
    }
  }

  // The standard chart and four funds: one unrestricted, three restricted.
  void Standard() {
    h_.OpenChartAndFunds(
        {{"fund.general", false}, {"fund.relief", true}, {"fund.la", true}, {"fund.gm", true}});
  }

  uint64_t Ok(const std::string& kind, const std::string& by, Body body, std::string key = "") {
    Result r = h_.Record(kind, by, std::move(body), std::move(key));
    EXPECT_TRUE(r.ok()) << kind << ": " << r.status();
    if (!r.ok()) return ~uint64_t{0};
    EXPECT_FALSE(r->duplicate);
    return r->index;
  }

  // Runs `op`, which must be refused with `code` and a message naming each of
  // `names`, and must change nothing.
  void ExpectRefused(const std::function<Result()>& op, Code code,
                     const std::vector<std::string>& names) {
    const auto snapshot = h_.Snapshot();
    const auto stored = h_.StoredState();
    const uint64_t size = h_.ledger()->Size();
    Result r = op();
    ASSERT_FALSE(r.ok()) << "accepted as entry " << r->index;
    EXPECT_EQ(r.status().code(), code) << r.status();
    const std::string msg(ToStd(r.status().message()));
    for (const std::string& n : names) EXPECT_THAT(msg, ::testing::HasSubstr(n));
    EXPECT_EQ(h_.ledger()->Size(), size);
    EXPECT_EQ(h_.Snapshot(), snapshot);
    EXPECT_EQ(h_.StoredState(), stored);
  }
  void Refused(const std::string& kind, const std::string& by, Body body, Code code,
               const std::vector<std::string>& names) {
    SCOPED_TRACE(kind);
    ExpectRefused([&] { return h_.Record(kind, by, body); }, code, names);
  }
  void RefusedRaw(const Entry& e, Code code, const std::vector<std::string>& names) {
    SCOPED_TRACE(StrCat("raw ", e.kind));
    ExpectRefused([&] { return h_.RecordRaw(e); }, code, names);
  }

  FundState Fund(const std::string& id) const {
    return h_.Read([&id](const Books& b) { return b.funds().at(id); });
  }
  int64_t Bal(std::string_view account, const std::string& fund) const {
    return h_.Read([&](const Books& b) {
      auto it = b.balances().find({std::string(account), fund});
      return it == b.balances().end() ? int64_t{0} : it->second;
    });
  }
  CampaignState Campaign(const std::string& id) const {
    return h_.Read([&id](const Books& b) { return b.campaigns().at(id); });
  }
  std::vector<Posting> PostingsAt(uint64_t index) const {
    const Entry e = h_.EntryAt(index);
    const std::vector<Posting>* p = PostingsOf(e);
    return p == nullptr ? std::vector<Posting>{} : *p;
  }

  // A gift with the grant fields a government or Red Cross allocation carries.
  static Gift Allocation(std::string date, std::string fund, int64_t amount) {
    Gift g = MakeGift(std::move(date), "bank", std::move(fund), amount, 0, "grant");
    g.no_receipt = "not_a_donation";
    return g;
  }

  LedgerHarness h_;
};

}  // namespace boai::books::testing

#endif  // BOAI_TESTS_LEDGER_BOOKS_BOOKS_RULES_FIXTURE_H_
