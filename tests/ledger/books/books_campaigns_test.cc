// Books rules on 99 Giving Day campaigns: gifts, matching, clawbacks, settlement, progress.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "books_rules_fixture.h"

namespace boai::books {
namespace {

using namespace ::boai::books::testing;  // NOLINT

// ---- campaigns / 99 Giving Day ----

TEST_F(BooksRulesTest, CampaignGiftsMatchingClawbacksAndSettlement) {
  Standard();
  Ok("campaign.open", kAdmin,
     CampaignOpen{"camp.99", "99 Giving Day", "fund.gm", "Tencent", "2022-05-07", "2022-05-09",
                  Yuan(3000)});
  Refused(
      "campaign.open", kAdmin,
      CampaignOpen{"camp.99", "again", "fund.gm", "Tencent", "2022-05-07", "2022-05-09", Yuan(1)},
      Code::kAlreadyExists, {"camp.99"});
  auto gift = [](const char* date, const char* channel, const char* fund, int64_t amount) {
    return MakeGift(date, channel, fund, amount, 0, "donation", "camp.99");
  };
  Refused("gift", kClerk, gift("2022-05-06", "online", "fund.gm", Yuan(1)),
          Code::kFailedPrecondition, {"2022-05-06", "camp.99", "2022-05-07 to 2022-05-09"});
  Refused("gift", kClerk, gift("2022-05-10", "online", "fund.gm", Yuan(1)),
          Code::kFailedPrecondition, {"2022-05-10", "camp.99", "2022-05-07 to 2022-05-09"});
  Refused("gift", kClerk, gift("2022-05-08", "online", "fund.relief", Yuan(1)),
          Code::kInvalidArgument, {"camp.99", "fund.gm", "not fund.relief"});
  Gift unknown = gift("2022-05-08", "online", "fund.gm", Yuan(1));
  unknown.campaign = "camp.none";
  Refused("gift", kClerk, unknown, Code::kInvalidArgument, {"campaign \"camp.none\" is not open"});
  // Online without a campaign would be owed by a platform no settlement pays.
  Gift adrift = gift("2022-05-08", "online", "fund.gm", Yuan(1));
  adrift.campaign.clear();
  Refused("gift", kClerk, adrift, Code::kInvalidArgument, {"online gift needs its campaign"});
  Ok("gift", kClerk, gift("2022-05-07", "online", "fund.gm", Yuan(1000)));
  Ok("gift", kClerk, gift("2022-05-08", "cash", "fund.gm", Yuan(200)));
  Ok("gift", kClerk, gift("2022-05-09", "online", "fund.gm", Yuan(500)));
  CampaignState c = Campaign("camp.99");
  EXPECT_EQ(c.raised, Yuan(1700));
  EXPECT_EQ(c.gifts, 3);
  EXPECT_EQ(c.online_unsettled, Yuan(1500));
  EXPECT_EQ(Bal("1121", "fund.gm"), Yuan(1500));

  // Matching raises net assets but is held back as voidable.
  uint64_t m1 = Ok("match", kClerk, Match{"2022-05-09", "camp.99", "M-1", Yuan(600), {}});
  EXPECT_EQ(PostingsAt(m1), (std::vector<Posting>{{"1121", "fund.gm", Yuan(600)},
                                                  {"4102", "fund.gm", -Yuan(600)}}));
  Ok("match", kClerk, Match{"2022-05-09", "camp.99", "M-2", Yuan(100), {}});
  EXPECT_EQ(Fund("fund.gm").net, Yuan(2400));
  EXPECT_EQ(Fund("fund.gm").voidable, Yuan(700));
  EXPECT_EQ(Fund("fund.gm").Available(), Yuan(1700));

  Refused("match.clawback", kClerk, Clawback{"2022-05-20", "camp.99", "split gifts", Yuan(800), {}},
          Code::kFailedPrecondition, {"800.00 yuan", "camp.99", "(700.00 yuan)"});
  uint64_t cb =
      Ok("match.clawback", kClerk, Clawback{"2022-05-20", "camp.99", "split gifts", Yuan(100), {}});
  EXPECT_EQ(PostingsAt(cb), (std::vector<Posting>{{"4102", "fund.gm", Yuan(100)},
                                                  {"1121", "fund.gm", -Yuan(100)}}));
  EXPECT_EQ(Fund("fund.gm").voidable, Yuan(600));
  EXPECT_EQ(Fund("fund.gm").Available(), Yuan(1700));

  // Settlements cannot exceed what is outstanding, in gifts or in matching.
  Refused("settlement", kClerk, Settlement{"2022-05-25", "camp.99", Hex("f"), Yuan(1600), 0, {}},
          Code::kFailedPrecondition, {"1600.00 yuan", "camp.99", "(1500.00 yuan)"});
  Refused("settlement", kClerk,
          Settlement{"2022-05-25", "camp.99", Hex("f"), Yuan(1500), Yuan(700), {}},
          Code::kFailedPrecondition, {"700.00 yuan in matching", "camp.99", "(600.00 yuan)"});
  Refused("settlement", kClerk, Settlement{"2022-05-25", "camp.99", "nothex", Yuan(1), 0, {}},
          Code::kInvalidArgument, {"file_sha256"});
  Refused("settlement", kClerk, Settlement{"2022-05-25", "camp.99", Hex("f"), 0, 0, {}},
          Code::kInvalidArgument, {"gifts"});
  uint64_t s = Ok("settlement", kClerk,
                  Settlement{"2022-05-25", "camp.99", Hex("f"), Yuan(1500), Yuan(600), {}});
  EXPECT_EQ(PostingsAt(s), (std::vector<Posting>{{"1002", "fund.gm", Yuan(2100)},
                                                 {"1121", "fund.gm", -Yuan(2100)}}));
  EXPECT_EQ(Bal("1121", "fund.gm"), 0);
  EXPECT_EQ(Bal("1002", "fund.gm"), Yuan(2100));
  EXPECT_EQ(Fund("fund.gm").voidable, 0);
  EXPECT_EQ(Fund("fund.gm").Available(), Yuan(2300));
  c = Campaign("camp.99");
  EXPECT_EQ(c.raised, Yuan(1700));
  EXPECT_EQ(c.matched, Yuan(700));
  EXPECT_EQ(c.clawed_back, Yuan(100));
  EXPECT_EQ(c.settled_gifts, Yuan(1500));
  EXPECT_EQ(c.settled_matching, Yuan(600));
  EXPECT_EQ(c.online_unsettled, 0);
  EXPECT_EQ(c.MatchingOutstanding(), 0);
  // Progress against the 3,000 target: 2,300 with net matching, not met yet.
  EXPECT_EQ(c.raised + c.matched - c.clawed_back, Yuan(2300));
  EXPECT_LT(c.raised + c.matched - c.clawed_back, c.def.target);

  // Nothing is outstanding now: no more clawbacks or settlements.
  Refused("match.clawback", kClerk, Clawback{"2022-05-26", "camp.99", "late", Yuan(1), {}},
          Code::kFailedPrecondition, {"camp.99", "(0.00 yuan)"});
  Refused("settlement", kClerk, Settlement{"2022-05-26", "camp.99", Hex("g"), Yuan(1), 0, {}},
          Code::kFailedPrecondition, {"camp.99", "(0.00 yuan)"});
  // A settled online gift or match cannot be reversed: the platform paid it.
  for (uint64_t i = 1; i < h_.ledger()->Size(); ++i) {
    Entry e = h_.EntryAt(i);
    if (e.kind == "gift" && std::get<Gift>(e.body).channel == "online") {
      Refused("reversal", kClerk, Reverse("2022-05-26", i), Code::kFailedPrecondition,
              {"campaign camp.99 would owe the platform"});
    }
  }
  Refused("reversal", kClerk, Reverse("2022-05-26", m1), Code::kFailedPrecondition,
          {"campaign camp.99 would owe the platform"});
  // The matching is spendable: all 2,300 can be paid.
  uint64_t r = Ok("payment.request", kClerk, MakeRequest("2022-05-26", "fund.gm", Yuan(2100)));
  Ok("payment.approve", kApprover, Decide("2022-05-26", r));
  uint64_t r2 =
      Ok("payment.request", kClerk, MakeRequest("2022-05-26", "fund.gm", Yuan(200), "cash"));
  Ok("payment.approve", kApprover, Decide("2022-05-26", r2));
  EXPECT_EQ(Fund("fund.gm").Available(), 0);
  EXPECT_EQ(Fund("fund.gm").net, 0);
}

TEST_F(BooksRulesTest, CampaignProgressFollowsReversalsAndPartialSettlement) {
  Standard();
  Ok("campaign.open", kAdmin,
     CampaignOpen{"camp.99", "99", "fund.gm", "Tencent", "2022-05-07", "2022-05-09", Yuan(1000)});
  uint64_t g1 =
      Ok("gift", kClerk,
         MakeGift("2022-05-07", "online", "fund.gm", Yuan(400), 0, "donation", "camp.99"));
  Ok("gift", kClerk,
     MakeGift("2022-05-07", "online", "fund.gm", Yuan(300), 0, "donation", "camp.99"));
  uint64_t m = Ok("match", kClerk, Match{"2022-05-08", "camp.99", "M", Yuan(200), {}});
  // Reversing an unsettled gift and match undoes their progress.
  Ok("reversal", kClerk, Reverse("2022-05-10", g1));
  Ok("reversal", kClerk, Reverse("2022-05-10", m));
  CampaignState c = Campaign("camp.99");
  EXPECT_EQ(c.raised, Yuan(300));
  EXPECT_EQ(c.gifts, 1);
  EXPECT_EQ(c.online_unsettled, Yuan(300));
  EXPECT_EQ(c.matched, 0);
  EXPECT_EQ(Fund("fund.gm").voidable, 0);
  EXPECT_EQ(Bal("1121", "fund.gm"), Yuan(300));
  // A partial settlement leaves the rest receivable.
  Ok("match", kClerk, Match{"2022-05-09", "camp.99", "M2", Yuan(100), {}});
  Ok("settlement", kClerk, Settlement{"2022-05-20", "camp.99", Hex("s"), Yuan(200), Yuan(40), {}});
  c = Campaign("camp.99");
  EXPECT_EQ(c.online_unsettled, Yuan(100));
  EXPECT_EQ(c.MatchingOutstanding(), Yuan(60));
  EXPECT_EQ(Fund("fund.gm").voidable, Yuan(60));
  EXPECT_EQ(Bal("1121", "fund.gm"), Yuan(160));
  EXPECT_EQ(Bal("1002", "fund.gm"), Yuan(240));
  EXPECT_EQ(Fund("fund.gm").Available(), Yuan(340));
}

}  // namespace
}  // namespace boai::books
