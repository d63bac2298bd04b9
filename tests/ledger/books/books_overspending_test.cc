// Books rules against overspending any fund, restricted or not; releases to unrestricted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "books_rules_fixture.h"

namespace boai::books {
namespace {

using namespace ::boai::books::testing;  // NOLINT

// ---- no fund may be overspent ----

TEST_F(BooksRulesTest, RestrictedFundCannotBeOverspent) {
  Standard();
  Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(1000)));
  Refused("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(1500)),
          Code::kFailedPrecondition,
          {"fund fund.relief", "1000.00 yuan available", "needs 1500.00 yuan"});
  EXPECT_EQ(Fund("fund.relief").Available(), Yuan(1000));
  EXPECT_EQ(Fund("fund.relief").reserved, 0);
}

TEST_F(BooksRulesTest, UnrestrictedFundCannotBeOverspentEither) {
  Standard();
  Ok("gift", kClerk, MakeGift("2022-05-10", "cash", "fund.general", Yuan(300)));
  Ok("gift", kClerk,
     MakeGift("2022-05-10", "cash", "fund.relief", Yuan(5000)));  // other funds don't help
  Refused("payment.request", kClerk,
          MakeRequest("2022-05-11", "fund.general", Yuan(300) + 1, "cash"),
          Code::kFailedPrecondition,
          {"fund fund.general", "300.00 yuan available", "needs 300.01 yuan"});
  Refused("payment.request", kClerk, MakeRequest("2022-05-11", "fund.la", Yuan(1)),
          Code::kFailedPrecondition, {"fund fund.la", "0.00 yuan available", "needs 1.00 yuan"});
  Ok("payment.request", kClerk, MakeRequest("2022-05-11", "fund.general", Yuan(300), "cash"));
  EXPECT_EQ(Fund("fund.general").Available(), 0);
}

TEST_F(BooksRulesTest, PendingReservationsCount) {
  Standard();
  Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(1000)));
  uint64_t r1 = Ok("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(600)));
  EXPECT_EQ(Fund("fund.relief").reserved, Yuan(600));
  EXPECT_EQ(Fund("fund.relief").net, Yuan(1000));
  EXPECT_EQ(Fund("fund.relief").Available(), Yuan(400));
  Refused("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(500)),
          Code::kFailedPrecondition,
          {"fund fund.relief", "400.00 yuan available", "needs 500.00 yuan"});
  uint64_t r2 = Ok("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(400)));
  EXPECT_EQ(Fund("fund.relief").Available(), 0);
  EXPECT_EQ(Fund("fund.relief").reserved, Yuan(1000));
  // A rejection frees the reservation for another request.
  Ok("payment.reject", kApprover, Decide("2022-05-12", r1, "duplicate application"));
  EXPECT_EQ(Fund("fund.relief").Available(), Yuan(600));
  Ok("payment.approve", kApprover, Decide("2022-05-12", r2));
  EXPECT_EQ(Fund("fund.relief").Available(), Yuan(600));
  EXPECT_EQ(Fund("fund.relief").net, Yuan(600));
  EXPECT_EQ(Fund("fund.relief").reserved, 0);
}

TEST_F(BooksRulesTest, UnsettledMatchingCannotBeSpentUntilSettled) {
  Standard();
  Ok("campaign.open", kAdmin,
     CampaignOpen{"camp.99", "99 Giving Day", "fund.gm", "Tencent", "2022-05-07", "2022-05-09",
                  Yuan(5000)});
  Ok("gift", kClerk,
     MakeGift("2022-05-07", "online", "fund.gm", Yuan(1000), 0, "donation", "camp.99"));
  Ok("match", kClerk, Match{"2022-05-09", "camp.99", "M-1", Yuan(500), {}});
  EXPECT_EQ(Fund("fund.gm").net, Yuan(1500));
  EXPECT_EQ(Fund("fund.gm").voidable, Yuan(500));
  EXPECT_EQ(Fund("fund.gm").Available(), Yuan(1000));
  Refused("payment.request", kClerk, MakeRequest("2022-05-10", "fund.gm", Yuan(1200)),
          Code::kFailedPrecondition,
          {"fund fund.gm", "1000.00 yuan available", "needs 1200.00 yuan"});
  Ok("settlement", kClerk,
     Settlement{"2022-05-20", "camp.99", Hex("file"), Yuan(1000), Yuan(500), {}});
  EXPECT_EQ(Fund("fund.gm").voidable, 0);
  EXPECT_EQ(Fund("fund.gm").Available(), Yuan(1500));
  uint64_t r = Ok("payment.request", kClerk, MakeRequest("2022-05-21", "fund.gm", Yuan(1500)));
  Ok("payment.approve", kApprover, Decide("2022-05-21", r));
  EXPECT_EQ(Fund("fund.gm").Available(), 0);
  EXPECT_EQ(Bal("1002", "fund.gm"), 0);
}

TEST_F(BooksRulesTest, CashBankAndGoodsOfAFundCannotGoNegative) {
  Standard();
  Ok("gift", kClerk, MakeGift("2022-05-10", "in_kind", "fund.relief", Yuan(300)));
  Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(1000)));
  // The fund has 1,300 available, but only 300 of it in goods, none in cash.
  uint64_t goods =
      Ok("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(500), "goods"));
  ExpectRefused(
      [&] { return h_.Record("payment.approve", kApprover, Decide("2022-05-12", goods)); },
      Code::kFailedPrecondition,
      {"fund fund.relief holds 300.00 yuan in account 1201", "takes 500.00 yuan"});
  uint64_t cash =
      Ok("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(100), "cash"));
  ExpectRefused([&] { return h_.Record("payment.approve", kApprover, Decide("2022-05-12", cash)); },
                Code::kFailedPrecondition,
                {"fund fund.relief holds 0.00 yuan in account 1001", "takes 100.00 yuan"});
  // Both requests are still pending, holding their reservations.
  EXPECT_EQ(Fund("fund.relief").reserved, Yuan(600));
  EXPECT_EQ(h_.Read([](const Books& b) { return b.pending().size(); }), 2u);
  // Bank money is there: a bank request of 700 (the rest) is paid.
  uint64_t bank =
      Ok("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(700)));
  Ok("payment.approve", kApprover, Decide("2022-05-12", bank));
  EXPECT_EQ(Bal("1002", "fund.relief"), Yuan(300));
  // A goods request within the goods held is paid from 1201.
  Ok("payment.reject", kApprover, Decide("2022-05-12", goods, "more than we hold"));
  uint64_t goods2 =
      Ok("payment.request", kClerk, MakeRequest("2022-05-12", "fund.relief", Yuan(300), "goods"));
  Ok("payment.approve", kApprover, Decide("2022-05-12", goods2));
  EXPECT_EQ(Bal("1201", "fund.relief"), 0);
  EXPECT_EQ(PostingsAt(h_.ledger()->Size() - 1),
            (std::vector<Posting>{{"5101", "fund.relief", Yuan(300)},
                                  {"1201", "fund.relief", -Yuan(300)}}));
}

// ---- fund.release ----

TEST_F(BooksRulesTest, ReleaseMovesAvailableMoneyFromRestrictedToUnrestricted) {
  Standard();
  Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(1000)));
  Refused("fund.release", kAdmin,
          Release{"2022-05-11", "fund.relief", "fund.general", "done", Yuan(1200), {}},
          Code::kFailedPrecondition,
          {"fund fund.relief", "1000.00 yuan available", "needs 1200.00 yuan"});
  Ok("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(300)));
  Refused("fund.release", kAdmin,
          Release{"2022-05-11", "fund.relief", "fund.general", "done", Yuan(800), {}},
          Code::kFailedPrecondition,
          {"fund fund.relief", "700.00 yuan available", "needs 800.00 yuan"});
  uint64_t rel =
      Ok("fund.release", kAdmin,
         Release{"2022-05-11", "fund.relief", "fund.general", "purpose met", Yuan(700), {}});
  EXPECT_EQ(PostingsAt(rel), (std::vector<Posting>{{"3102", "fund.relief", Yuan(700)},
                                                   {"1002", "fund.relief", -Yuan(700)},
                                                   {"1002", "fund.general", Yuan(700)},
                                                   {"3101", "fund.general", -Yuan(700)}}));
  EXPECT_EQ(Fund("fund.relief").Available(), 0);
  EXPECT_EQ(Fund("fund.relief").net, Yuan(300));
  EXPECT_EQ(Fund("fund.general").Available(), Yuan(700));
  EXPECT_EQ(Bal("1002", "fund.relief"), Yuan(300));
  EXPECT_EQ(Bal("1002", "fund.general"), Yuan(700));
  // Only restricted -> unrestricted.
  Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.la", Yuan(100)));
  Refused("fund.release", kAdmin,
          Release{"2022-05-12", "fund.general", "fund.relief", "x", Yuan(10), {}},
          Code::kFailedPrecondition, {"restricted fund to an unrestricted one"});
  Refused("fund.release", kAdmin,
          Release{"2022-05-12", "fund.la", "fund.relief", "x", Yuan(10), {}},
          Code::kFailedPrecondition, {"restricted fund to an unrestricted one"});
  Refused("fund.release", kAdmin, Release{"2022-05-12", "fund.la", "fund.nope", "x", Yuan(10), {}},
          Code::kInvalidArgument, {"fund.nope", "must be open"});
  // A release can be reversed while the money is unspent.
  Ok("reversal", kClerk, Reverse("2022-05-12", rel, "released too early"));
  EXPECT_EQ(Fund("fund.relief").Available(), Yuan(700));
  EXPECT_EQ(Fund("fund.general").Available(), 0);
}

}  // namespace
}  // namespace boai::books
