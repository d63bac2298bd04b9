// Books through the ledger: idempotency keys; state survives reopen and rebuilds from leaves.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "books_rules_fixture.h"

namespace boai::books {
namespace {

using namespace ::boai::books::testing;  // NOLINT

// ---- idempotency ----

TEST_F(BooksRulesTest, IdempotencyThroughTheLedger) {
  Standard();
  Result a =
      h_.Record("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100)), "SLIP-1");
  ASSERT_TRUE(a.ok()) << a.status();
  const auto snapshot = h_.Snapshot();
  const uint64_t size = h_.ledger()->Size();
  Result again =
      h_.Record("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100)), "SLIP-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->index, a->index);
  EXPECT_EQ(h_.ledger()->Size(), size);
  EXPECT_EQ(h_.Snapshot(), snapshot);
  EXPECT_EQ(Fund("fund.relief").net, Yuan(100));
  ExpectRefused(
      [&] {
        return h_.Record("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(101)),
                         "SLIP-1");
      },
      Code::kAlreadyExists, {"SLIP-1", StrCat("entry ", a->index), "different content"});
  // A retried approval answers with the original entry, though its request is no
  // longer pending.
  uint64_t r =
      Ok("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(40)), "REQ-1");
  uint64_t ap = Ok("payment.approve", kApprover, Decide("2022-05-11", r), "APPROVE-1");
  Result retry = h_.Record("payment.approve", kApprover, Decide("2022-05-11", r), "APPROVE-1");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->index, ap);
  EXPECT_EQ(Fund("fund.relief").net, Yuan(60));
  // A second approval under a new key is not a retry.
  Refused("payment.approve", kApprover, Decide("2022-05-11", r), Code::kFailedPrecondition,
          {StrCat("entry ", r, " is not a pending payment request")});
}

// ---- restart ----

TEST_F(BooksRulesTest, StateSurvivesReopenAndRebuildsFromLeaves) {
  Standard();
  Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(1000), 1));
  uint64_t r = Ok("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(300)));
  Ok("receipt.void", kClerk, ReceiptVoid{"2022-05-11", "HB2022", "spoiled", 3});
  const auto before = h_.Snapshot();
  h_.Close();
  ASSERT_TRUE(h_.Open().ok());
  EXPECT_EQ(h_.Snapshot(), before);
  std::unique_ptr<Books> rebuilt = RebuildFromLeaves(*h_.ledger());
  EXPECT_EQ(rebuilt->Snapshot(), before);
  // The reopened books still know who made the request.
  Refused("payment.approve", kClerk, Decide("2022-05-11", r), Code::kPermissionDenied,
          {"clerk.wang"});
  Ok("payment.approve", kApprover, Decide("2022-05-11", r));
}

}  // namespace
}  // namespace boai::books
