// Loads the demo dataset through the real write path (clerk, writer, rules) and
// checks the county's 2019 figures in the books.
#include "ledger/books/demo.h"

#include <gtest/gtest.h>

#include <sstream>

#include "ledger/books/books_hook.h"
#include "ledger/books/clerk.h"
#include "ledger/books/personal.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "ledger/verify.h"
#include "tests/ledger/temp_dir.h"

namespace boai::books {
namespace {

using ::boai::test_support::TempDir;

class DemoTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override { Close(); }
  void Open() {
    hook_ = std::make_unique<BooksHook>();
    ledger::LedgerOptions o;
    o.origin = "demo.test/ledger";
    o.sync = false;
    o.hook = hook_.get();
    auto l = ledger::Ledger::Open(dir_, o);
    ASSERT_TRUE(l.ok()) << l.status();
    ledger_ = std::move(*l);
    people_ = std::make_unique<PersonalStore>(ledger_->storage());
    clerk_ = std::make_unique<Clerk>(ledger_.get(), hook_.get());
  }
  void Close() {
    clerk_.reset();
    people_.reset();
    ledger_.reset();
    hook_.reset();
  }
  int64_t Sum(const std::function<int64_t(const Books&)>& f) { return hook_->Read(f); }

  TempDir tmp_;
  const std::string dir_ = tmp_.dir();
  std::unique_ptr<BooksHook> hook_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<PersonalStore> people_;
  std::unique_ptr<Clerk> clerk_;
};

TEST_F(DemoTest, Reproduces2019Figures) {
  std::ostringstream log;
  absl::Status s = LoadDemo(*clerk_, *people_, log);
  ASSERT_TRUE(s.ok()) << s << "\n" << log.str();
  EXPECT_NE(log.str().find("refused   payment.request PAY-2019-BASE-1-OVER"), std::string::npos)
      << log.str();

  hook_->Read([](const Books& b) {
    auto bal = [&b](const char* account, const char* fund) {
      auto it = b.balances().find({account, fund});
      return it == b.balances().end() ? int64_t{0} : it->second;
    };
    // Donations raised in 2019, all channels: 135,700 yuan (credits on 4101).
    int64_t donations = 0;
    for (const auto& [key, v] : b.balances()) {
      if (key.first == kDonationIncome) donations -= v;
    }
    EXPECT_EQ(donations, 135700 * 100);
    // Little Angel: 9 children x 30,000 = 270,000 paid; fund empty.
    EXPECT_EQ(bal("5101", "fund.little-angel"), 270000 * 100);
    EXPECT_EQ(b.funds().at("fund.little-angel").Available(), 0);
    int children = 0;
    for (const auto& [key, ben] : b.beneficiaries()) {
      if (key.rfind("prog.little-angel/", 0) == 0) {
        ++children;
        EXPECT_EQ(ben.total, 30000 * 100);
        EXPECT_EQ(ben.tiers, std::set<std::string>{"standard"});
      }
    }
    EXPECT_EQ(children, 9);
    // Spring Festival relief: 200,000 in cash and goods paid; nothing left.
    EXPECT_EQ(bal("5101", "fund.spring-relief"), 200000 * 100);
    EXPECT_EQ(b.funds().at("fund.spring-relief").net, 0);
    // 20 relief boxes handed out.
    EXPECT_EQ(bal("5101", "fund.village-pairing"), 5000 * 100);
    EXPECT_EQ(bal("1201", "fund.village-pairing"), 0);
    // 99 Giving Day: 15,700 raised + 4,300 net matching = the 20,000 target, settled.
    const CampaignState& c = b.campaigns().at("camp.99-2019");
    EXPECT_EQ(c.raised, 15700 * 100);
    EXPECT_EQ(c.matched - c.clawed_back, 4300 * 100);
    EXPECT_GE(c.raised + c.matched - c.clawed_back, c.def.target);
    EXPECT_EQ(c.online_unsettled, 0);
    EXPECT_EQ(c.MatchingOutstanding(), 0);
    EXPECT_EQ(bal("1121", "fund.guangming"), 0);
    EXPECT_EQ(b.funds().at("fund.guangming").Available(), 20000 * 100);
    // Provincial grant: 140,000 over two training bases, untouched by the refused overspend.
    EXPECT_EQ(b.funds().at("fund.first-aid-base-1").Available(), 70000 * 100);
    EXPECT_EQ(b.funds().at("fund.first-aid-base-2").Available(), 70000 * 100);
    EXPECT_TRUE(b.pending().empty());
    // One reversal, one void; receipts 1-13 used with no gap.
    EXPECT_EQ(b.reversed().size(), 1u);
    const ReceiptBook& book = b.receipts().at("HB2019");
    EXPECT_EQ(book.voided, std::set<int64_t>{8});
    EXPECT_TRUE(book.Gaps().empty());
    EXPECT_TRUE(book.IsIssued(13));
    // Every fund balances: assets = net assets.
    for (const auto& [id, f] : b.funds()) {
      int64_t assets = bal("1001", id.c_str()) + bal("1002", id.c_str()) + bal("1121", id.c_str()) +
                       bal("1201", id.c_str());
      EXPECT_EQ(assets, f.net) << id;
      EXPECT_GE(f.Available(), 0) << id;
    }
    return 0;
  });

  // Loading again adds nothing.
  uint64_t size = ledger_->Size();
  std::ostringstream again;
  absl::Status again_status = LoadDemo(*clerk_, *people_, again);
  ASSERT_TRUE(again_status.ok()) << again_status << "\n" << again.str();
  EXPECT_EQ(ledger_->Size(), size);

  // The state survives a restart.
  auto before = hook_->Read([](const Books& b) { return b.Snapshot(); });
  Close();
  Open();
  EXPECT_EQ(hook_->Read([](const Books& b) { return b.Snapshot(); }), before);
  ledger::VerifyReport report = *ledger::VerifyLedger(dir_, {});
  EXPECT_TRUE(report.ok()) << report.finding->detail;
}

TEST_F(DemoTest, ErasingAPersonKeepsEveryProofValid) {
  std::ostringstream log;
  ASSERT_TRUE(LoadDemo(*clerk_, *people_, log).ok()) << log.str();
  // 张伟 gave HB2019-0001; find him and erase him.
  PersonalData zhang{"张伟", "13800000001", "410000198001010011", "", ""};
  auto person = people_->Find(zhang);
  ASSERT_TRUE(person.ok() && person->has_value());
  uint64_t gift = **ledger_->FindByKey("HB2019-0001");
  std::string leaf = *ledger_->LeafAt(gift);
  EXPECT_NE(leaf.find((*person)->commitment), std::string::npos);  // the leaf holds only this
  EXPECT_EQ(leaf.find("张伟"), std::string::npos);
  ASSERT_TRUE(people_->Erase((*person)->id).ok());
  EXPECT_EQ(people_->Get((*person)->id).status().code(), absl::StatusCode::kNotFound);

  // The gift's inclusion proof, the chain and the books all still verify.
  auto proof = ledger_->InclusionProof(gift, ledger_->Size());
  ASSERT_TRUE(proof.ok());
  auto note = ledger::ParseNote(ledger_->LatestCheckpoint());
  auto cp = ledger::ParseCheckpointBody(note->text);
  EXPECT_TRUE(ledger::VerifyInclusion(ledger::LeafHash(*ledger_->LeafAt(gift)), gift, cp->size,
                                      *proof, cp->root)
                  .ok());
  Close();
  auto report = ledger::VerifyLedger(dir_, {});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->finding->detail;
  Open();
  EXPECT_EQ(people_->Find(zhang)->has_value(), false);
}

}  // namespace
}  // namespace boai::books
