// The auditor's replay catches what the chain alone cannot: entries that are well
// chained and signed but break an accounting rule (written by a buggy or dishonest
// server around the rules), and derived state that does not follow from the entries.
#include "ledger/books/replay.h"

#include <gtest/gtest.h>

#include <sstream>

#include "ledger/books/books_hook.h"
#include "ledger/books/clerk.h"
#include "ledger/books/demo.h"
#include "ledger/books/personal.h"
#include "ledger/canonical_json.h"
#include "ledger/ledger.h"
#include "ledger/strings.h"
#include "ledger/verify.h"
#include "tests/ledger/temp_dir.h"

namespace boai::books {
namespace {

using ::boai::test_support::TempDir;

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BooksHook hook;
    ledger::LedgerOptions o;
    o.sync = false;
    o.hook = &hook;
    auto log = ledger::Ledger::Open(dir_, o);
    ASSERT_TRUE(log.ok()) << log.status();
    PersonalStore people((*log)->storage());
    Clerk clerk(log->get(), &hook);
    std::ostringstream steps;
    ASSERT_TRUE(LoadDemo(clerk, people, steps).ok()) << steps.str();
  }
  // Appends `body` as a `kind` entry with a valid chain and checkpoint but no rules:
  // what a server that skipped the rules would write. Returns its index.
  uint64_t Forge(const std::string& kind, const nlohmann::json& body, const std::string& key) {
    ledger::LedgerOptions o;
    o.sync = false;  // no hook: nothing checks the books
    auto log = ledger::Ledger::Open(dir_, o);
    EXPECT_TRUE(log.ok()) << log.status();
    ledger::EntryDraft d{kind, key, *ledger::EncodeCanonicalJson(body), {}};
    auto r = (*log)->Append(std::move(d));
    EXPECT_TRUE(r.ok()) << r.status();
    return r->index;
  }

  ledger::VerifyReport VerifyWithBooks(std::optional<std::string>* state_diff = nullptr) {
    ledger::StorageOptions so;
    so.read_only = true;
    auto st = ledger::Storage::Open(ledger::DatabasePath(dir_), so);
    EXPECT_TRUE(st.ok());
    Replay replay(st->get());
    ledger::VerifyOptions options;
    options.on_leaf = [&replay](const ledger::LeafView& leaf, std::string_view bytes) {
      return replay.OnLeaf(leaf, bytes);
    };
    ledger::VerifyReport report = ledger::VerifyLedger(**st, options);
    if (state_diff != nullptr && report.ok()) *state_diff = replay.CompareState(**st);
    return report;
  }

  TempDir tmp_;
  const std::string dir_ = tmp_.dir();
};

TEST_F(ReplayTest, DemoLedgerIsIntactAndStateMatches) {
  std::optional<std::string> diff;
  ledger::VerifyReport report = VerifyWithBooks(&diff);
  ASSERT_TRUE(report.ok()) << report.finding->detail;
  EXPECT_FALSE(diff.has_value()) << *diff;
}

TEST_F(ReplayTest, ForgedOverspendIsCaughtAtItsIndex) {
  // 1,000,000 yuan out of the training base holding 70,000: chained and signed, but
  // the fund cannot pay it.
  nlohmann::json body = {
      {"by", "clerk.wang"},     {"date", "2019-08-01"},  {"fund", "fund.first-aid-base-1"},
      {"purpose", "equipment"}, {"payee", "supplier-x"}, {"expires", "2019-12-31"},
      {"method", "bank"},       {"amount", 100000000}};
  uint64_t index = Forge("payment.request", body, "FORGED-1");
  ledger::VerifyReport report = VerifyWithBooks();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.finding->index, index);
  EXPECT_EQ(report.finding->check, "rules");
  EXPECT_NE(report.finding->detail.find("fund.first-aid-base-1"), std::string::npos)
      << report.finding->detail;
  // The chain alone is intact: only the books catch it.
  EXPECT_TRUE(ledger::VerifyLedger(dir_, {})->ok());
}

TEST_F(ReplayTest, ForgedSelfApprovalIsCaught) {
  nlohmann::json req = {
      {"by", "clerk.wang"},      {"date", "2019-08-01"},  {"fund", "fund.first-aid-base-2"},
      {"purpose", "mannequins"}, {"payee", "supplier-y"}, {"expires", "2019-12-31"},
      {"method", "bank"},        {"amount", 100000}};
  uint64_t request = Forge("payment.request", req, "FORGED-REQ");
  nlohmann::json approve = {
      {"by", "clerk.wang"},
      {"date", "2019-08-02"},
      {"request", request},
      {"postings",
       {{{"account", "5101"}, {"amount", 100000}, {"fund", "fund.first-aid-base-2"}},
        {{"account", "1002"}, {"amount", -100000}, {"fund", "fund.first-aid-base-2"}}}}};
  uint64_t index = Forge("payment.approve", approve, "FORGED-APPROVE");
  ledger::VerifyReport report = VerifyWithBooks();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.finding->index, index);
  EXPECT_NE(report.finding->detail.find("cannot approve"), std::string::npos)
      << report.finding->detail;
}

TEST_F(ReplayTest, UnbalancedPostingsAreCaught) {
  nlohmann::json gift = {
      {"by", "clerk.wang"},
      {"date", "2019-08-01"},
      {"channel", "cash"},
      {"income", "donation"},
      {"fund", "fund.unrestricted"},
      {"amount", 10000},
      {"donor", {{"display", "爱心人士"}, {"commitment", std::string(64, 'a')}}},
      {"no_receipt", "anonymous"},
      {"postings",
       {{{"account", "1001"}, {"amount", 20000}, {"fund", "fund.unrestricted"}},
        {{"account", "4101"}, {"amount", -10000}, {"fund", "fund.unrestricted"}}}}};
  uint64_t index = Forge("gift", gift, "FORGED-GIFT");
  ledger::VerifyReport report = VerifyWithBooks();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.finding->index, index);
  EXPECT_NE(report.finding->detail.find("postings"), std::string::npos) << report.finding->detail;
}

TEST_F(ReplayTest, NonCanonicalBodyIsCaught) {
  // Same content, but a duplicate key: readers could disagree on the amount.
  ledger::LedgerOptions o;
  o.sync = false;
  uint64_t index;
  {
    auto log = ledger::Ledger::Open(dir_, o);
    ASSERT_TRUE(log.ok());
    std::string body = R"({"amount":1,"amount":2,"by":"x"})";
    auto r = (*log)->Append(ledger::EntryDraft{"gift", "FORGED-DUP", body, {}});
    ASSERT_TRUE(r.ok()) << r.status();
    index = r->index;
  }
  ledger::VerifyReport report = VerifyWithBooks();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.finding->index, index);
  EXPECT_NE(report.finding->detail.find("canonical"), std::string::npos) << report.finding->detail;
}

TEST_F(ReplayTest, EditedDerivedBalanceIsCaught) {
  {
    ledger::StorageOptions so;
    auto st = ledger::Storage::Open(ledger::DatabasePath(dir_), so);
    ASSERT_TRUE(st.ok());
    rocksdb::WriteBatch wb;
    wb.Put((*st)->cf(ledger::Cf::kState), "balance/1002/fund.first-aid-base-1", "99999999");
    ASSERT_TRUE((*st)->Write(&wb, true).ok());
  }
  std::optional<std::string> diff;
  ledger::VerifyReport report = VerifyWithBooks(&diff);
  ASSERT_TRUE(report.ok());       // the entries are fine...
  ASSERT_TRUE(diff.has_value());  // ...the derived state is not
  EXPECT_NE(diff->find("balance/1002/fund.first-aid-base-1"), std::string::npos) << *diff;
}

}  // namespace
}  // namespace boai::books
