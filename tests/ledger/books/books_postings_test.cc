// Books rules on postings: exactly the expected ones, balanced per fund, on open accounts/funds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "books_rules_fixture.h"

namespace boai::books {
namespace {

using namespace ::boai::books::testing;  // NOLINT

// ---- postings ----

TEST_F(BooksRulesTest, PostingsMustBeExactlyTheExpectedOnes) {
  Standard();
  Entry e{"gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(200))};
  Gift& g = std::get<Gift>(e.body);
  const std::vector<Posting> right = {{"1002", "fund.relief", Yuan(200)},
                                      {"4101", "fund.relief", -Yuan(200)}};
  // Balanced, but for the wrong amount.
  g.postings = {{"1002", "fund.relief", Yuan(100)}, {"4101", "fund.relief", -Yuan(100)}};
  RefusedRaw(e, Code::kInvalidArgument,
             {"postings are not the ones", "\"account\":\"1002\"", "\"amount\":20000"});
  // Balanced, but cash instead of bank.
  g.postings = {{"1001", "fund.relief", Yuan(200)}, {"4101", "fund.relief", -Yuan(200)}};
  RefusedRaw(e, Code::kInvalidArgument, {"postings are not the ones", "\"account\":\"1002\""});
  // Not balanced.
  g.postings = {{"1002", "fund.relief", Yuan(200)}, {"4101", "fund.relief", -Yuan(150)}};
  RefusedRaw(e, Code::kInvalidArgument, {"postings are not the ones"});
  // Balanced overall but across two funds.
  g.postings = {{"1002", "fund.relief", Yuan(200)}, {"4101", "fund.general", -Yuan(200)}};
  RefusedRaw(e, Code::kInvalidArgument, {"postings are not the ones", "fund.relief"});
  // An extra pair that balances.
  g.postings = right;
  g.postings.push_back({"1001", "fund.relief", Yuan(1)});
  g.postings.push_back({"4101", "fund.relief", -Yuan(1)});
  RefusedRaw(e, Code::kInvalidArgument, {"postings are not the ones"});
  // An entry that moves no money cannot carry postings: its body has no such field.
  {
    Entry rv{"receipt.void", kClerk, ReceiptVoid{"2022-05-10", "HB2022", "spoiled", 1}};
    nlohmann::json body = ToJson(rv);
    body["postings"] = PostingsJson(right);
    std::string canonical = *ledger::EncodeCanonicalJson(body);
    ExpectRefused(
        [&] {
          return h_.ledger()->Append(
              ledger::EntryDraft{"receipt.void", "forged-void", canonical, {}});
        },
        Code::kInvalidArgument, {"postings", "not a field"});
  }
  // The right postings pass, as a raw draft too.
  g.postings = right;
  Result ok = h_.RecordRaw(e);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(PostingsAt(ok->index), right);
  EXPECT_EQ(Bal("1002", "fund.relief"), Yuan(200));
  EXPECT_EQ(Bal("4101", "fund.relief"), -Yuan(200));
  EXPECT_EQ(Fund("fund.relief").net, Yuan(200));
}

TEST_F(BooksRulesTest, EveryMoneyKindPostsBalancedPerFund) {
  Standard();
  Ok("campaign.open", kAdmin,
     CampaignOpen{"camp.99", "99", "fund.gm", "Tencent", "2022-05-07", "2022-05-09", Yuan(100)});
  const uint64_t g = Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(50)));
  EXPECT_EQ(PostingsAt(g), (std::vector<Posting>{{"1002", "fund.relief", Yuan(50)},
                                                 {"4101", "fund.relief", -Yuan(50)}}));
  Ok("gift", kClerk,
     MakeGift("2022-05-08", "online", "fund.gm", Yuan(70), 0, "donation", "camp.99"));
  Ok("match", kClerk, Match{"2022-05-09", "camp.99", "M", Yuan(30), {}});
  Ok("match.clawback", kClerk, Clawback{"2022-05-10", "camp.99", "gaming", Yuan(5), {}});
  Ok("settlement", kClerk, Settlement{"2022-05-20", "camp.99", Hex("s"), Yuan(70), Yuan(25), {}});
  const uint64_t r =
      Ok("payment.request", kClerk, MakeRequest("2022-05-21", "fund.relief", Yuan(20)));
  const uint64_t a = Ok("payment.approve", kApprover, Decide("2022-05-21", r));
  Ok("fund.release", kAdmin,
     Release{"2022-05-22", "fund.relief", "fund.general", "done", Yuan(10), {}});
  Ok("reversal", kClerk, Reverse("2022-05-22", a));
  // Every leaf's postings balance within each fund, and each fund's assets equal
  // its net assets.
  int with_postings = 0;
  for (uint64_t i = 1; i < h_.ledger()->Size(); ++i) {
    const Entry e = h_.EntryAt(i);
    std::map<std::string, int64_t> per_fund;
    if (const auto* ps = PostingsOf(e)) {
      ++with_postings;
      for (const Posting& p : *ps) {
        EXPECT_NE(p.amount, 0);
        per_fund[p.fund] += p.amount;
      }
    }
    for (const auto& [fund, sum] : per_fund) EXPECT_EQ(sum, 0) << "entry " << i << " fund " << fund;
  }
  EXPECT_EQ(with_postings,
            8);  // two gifts, match, clawback, settlement, approval, release, reversal
  for (const char* fund : {"fund.relief", "fund.general", "fund.gm"}) {
    int64_t assets = 0;
    for (const char* acct : {"1001", "1002", "1121", "1201"}) assets += Bal(acct, fund);
    EXPECT_EQ(assets, Fund(fund).net) << fund;
  }
  EXPECT_EQ(Fund("fund.relief").net, Yuan(40));
  EXPECT_EQ(Fund("fund.general").net, Yuan(10));
  EXPECT_EQ(Fund("fund.gm").net, Yuan(95));
}

TEST_F(BooksRulesTest, UnknownAccountsAndFundsAndEntriesBeforeOpening) {
  // Nothing is open yet: a gift names account 1002 first.
  Refused("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(10)),
          Code::kInvalidArgument, {"account 1002 is not open"});
  Refused("fund.release", kClerk,
          Release{"2022-05-10", "fund.relief", "fund.general", "r", Yuan(1), {}},
          Code::kInvalidArgument, {"fund.relief", "fund.general", "must be open"});
  ASSERT_TRUE(h_.clerk()->OpenStandardChart(kAdmin).ok());
  // The chart is open, the fund is not.
  Refused("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(10)),
          Code::kInvalidArgument, {"fund \"fund.relief\" is not open"});
  Refused("payment.request", kClerk, MakeRequest("2022-05-10", "fund.relief", Yuan(10)),
          Code::kInvalidArgument, {"fund.relief"});
  Refused("campaign.open", kAdmin,
          CampaignOpen{"camp.x", "x", "fund.relief", "p", "2022-05-01", "2022-05-02", Yuan(1)},
          Code::kInvalidArgument, {"fund.relief"});
  Refused("programme.rules", kAdmin,
          ProgrammeRules{"prog.x",
                         "x",
                         "fund.relief",
                         "2022-01-01",
                         1,
                         0,
                         14,
                         Yuan(10),
                         {Tier{"standard", Yuan(10), "", false}}},
          Code::kInvalidArgument, {"fund.relief"});
  // A campaign that was never opened.
  Refused("match", kClerk, Match{"2022-05-10", "camp.none", "ref", Yuan(1), {}},
          Code::kInvalidArgument, {"camp.none"});
  Ok("fund.open", kAdmin, FundOpen{"fund.relief", "Relief", "relief", true});
  Refused("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.nope", Yuan(10)),
          Code::kInvalidArgument, {"fund.nope"});
  // Opening twice.
  Refused("fund.open", kAdmin, FundOpen{"fund.relief", "Relief", "relief", true},
          Code::kAlreadyExists, {"fund.relief"});
  Refused("account.open", kAdmin, AccountOpen{"1002", "again", AccountType::kAsset},
          Code::kAlreadyExists, {"1002"});
  // And now the gift stands.
  Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(10)));
  EXPECT_EQ(Bal("1002", "fund.relief"), Yuan(10));
}

}  // namespace
}  // namespace boai::books
