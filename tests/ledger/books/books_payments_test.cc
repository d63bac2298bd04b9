// Books rules on payments: reservation, two-person approval, rejection, expiry, decisions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "books_rules_fixture.h"

namespace boai::books {
namespace {

using namespace ::boai::books::testing;  // NOLINT

// ---- payments ----

TEST_F(BooksRulesTest, PaymentRequestReservesAndApprovalByAnotherUserPosts) {
  Standard();
  Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(1000)));
  uint64_t r = Ok("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(400)));
  EXPECT_EQ(Fund("fund.relief").reserved, Yuan(400));
  EXPECT_EQ(Fund("fund.relief").net, Yuan(1000));
  EXPECT_EQ(Bal("1002", "fund.relief"), Yuan(1000));  // nothing paid yet
  h_.Read([&](const Books& b) {
    EXPECT_EQ(b.pending().at(r).by, kClerk);
    EXPECT_EQ(b.pending().at(r).request.amount, Yuan(400));
    return 0;
  });
  Refused("payment.approve", kClerk, Decide("2022-05-11", r), Code::kPermissionDenied,
          {"user clerk.wang", StrCat("payment request ", r), "cannot approve"});
  uint64_t a = Ok("payment.approve", kApprover, Decide("2022-05-12", r));
  EXPECT_EQ(PostingsAt(a), (std::vector<Posting>{{"5101", "fund.relief", Yuan(400)},
                                                 {"1002", "fund.relief", -Yuan(400)}}));
  EXPECT_EQ(Fund("fund.relief").reserved, 0);
  EXPECT_EQ(Fund("fund.relief").net, Yuan(600));
  EXPECT_EQ(Fund("fund.relief").Available(), Yuan(600));
  EXPECT_EQ(Bal("1002", "fund.relief"), Yuan(600));
  EXPECT_EQ(Bal("5101", "fund.relief"), Yuan(400));
  EXPECT_TRUE(h_.Read([](const Books& b) { return b.pending().empty(); }));
}

TEST_F(BooksRulesTest, CashPaymentPostsFromCash) {
  Standard();
  Ok("gift", kClerk, MakeGift("2022-05-10", "cash", "fund.relief", Yuan(100)));
  uint64_t r =
      Ok("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(85), "cash"));
  uint64_t a = Ok("payment.approve", kApprover, Decide("2022-05-11", r));
  EXPECT_EQ(PostingsAt(a), (std::vector<Posting>{{"5101", "fund.relief", Yuan(85)},
                                                 {"1001", "fund.relief", -Yuan(85)}}));
  EXPECT_EQ(Bal("1001", "fund.relief"), Yuan(15));
}

TEST_F(BooksRulesTest, RejectionReleasesAndNeedsAReason) {
  Standard();
  Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100)));
  uint64_t r = Ok("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(100)));
  Refused("payment.reject", kApprover, Decide("2022-05-11", r), Code::kInvalidArgument, {"reason"});
  Ok("payment.reject", kApprover, Decide("2022-05-11", r, "not eligible"));
  EXPECT_EQ(Fund("fund.relief").reserved, 0);
  EXPECT_EQ(Fund("fund.relief").net, Yuan(100));
  EXPECT_EQ(Bal("5101", "fund.relief"), 0);
  EXPECT_TRUE(h_.Read([](const Books& b) { return b.pending().empty(); }));
  // The decision's entry moves no money.
  EXPECT_EQ(PostingsAt(h_.ledger()->Size() - 1), std::vector<Posting>{});
}

TEST_F(BooksRulesTest, ExpiryOnlyAfterTheExpiryDateAndNoApprovalAfterIt) {
  Standard();
  Ok("gift", kClerk, MakeGift("2022-03-01", "bank", "fund.relief", Yuan(100)));
  uint64_t r = Ok("payment.request", kClerk,
                  MakeRequest("2022-03-10", "fund.relief", Yuan(60), "bank", "2022-03-31"));
  Refused("payment.expire", kClerk, Decide("2022-03-31", r), Code::kFailedPrecondition,
          {StrCat("payment request ", r), "does not expire until after 2022-03-31"});
  Refused("payment.approve", kApprover, Decide("2022-04-01", r), Code::kFailedPrecondition,
          {StrCat("payment request ", r), "expired on 2022-03-31"});
  Ok("payment.expire", kClerk, Decide("2022-04-01", r));
  EXPECT_EQ(Fund("fund.relief").reserved, 0);
  EXPECT_EQ(Fund("fund.relief").Available(), Yuan(100));
  // Approval on the last day is still in time.
  uint64_t r2 = Ok("payment.request", kClerk,
                   MakeRequest("2022-04-10", "fund.relief", Yuan(60), "bank", "2022-04-30"));
  Ok("payment.approve", kApprover, Decide("2022-04-30", r2));
  EXPECT_EQ(Fund("fund.relief").net, Yuan(40));
}

TEST_F(BooksRulesTest, DecisionsOnlyOnPendingRequests) {
  Standard();
  uint64_t g = Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100)));
  uint64_t r = Ok("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(10)));
  // Not a request at all.
  Refused("payment.approve", kApprover, Decide("2022-05-11", g), Code::kFailedPrecondition,
          {StrCat("entry ", g, " is not a pending payment request")});
  Refused("payment.reject", kApprover, Decide("2022-05-11", g, "x"), Code::kFailedPrecondition,
          {StrCat("entry ", g, " is not a pending payment request")});
  Refused("payment.approve", kApprover, Decide("2022-05-11", 10000), Code::kFailedPrecondition,
          {"entry 10000 is not a pending payment request"});
  // Decided before it was made.
  Refused("payment.approve", kApprover, Decide("2022-05-10", r), Code::kInvalidArgument,
          {"2022-05-10", "before the request's 2022-05-11"});
  Ok("payment.approve", kApprover, Decide("2022-05-11", r));
  // Already approved.
  Refused("payment.reject", kApprover, Decide("2022-05-12", r, "changed my mind"),
          Code::kFailedPrecondition, {StrCat("entry ", r, " is not a pending payment request")});
  Refused("payment.expire", kApprover, Decide("2022-05-31", r), Code::kFailedPrecondition,
          {StrCat("entry ", r)});
  // Raw drafts reach the books' own check.
  Entry raw{
      "payment.approve", kApprover,
      PaymentDecision{"2022-05-12",
                      "",
                      r,
                      {{"5101", "fund.relief", Yuan(10)}, {"1002", "fund.relief", -Yuan(10)}}}};
  RefusedRaw(raw, Code::kFailedPrecondition,
             {StrCat("entry ", r, " is not a pending payment request")});
  EXPECT_EQ(Fund("fund.relief").net, Yuan(90));
}

}  // namespace
}  // namespace boai::books
