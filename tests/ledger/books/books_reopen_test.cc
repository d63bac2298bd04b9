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

// A batch stores each derived record it changed once, with the value its last
// entry left, in the same write as the entries; a refused entry leaves no trace.
TEST_F(BooksRulesTest, ABatchStoresTheStateItsLastEntryLeft) {
  Standard();
  std::vector<ledger::EntryDraft> drafts;
  auto draft = [&](const std::string& kind, const std::string& by, Body body) {
    absl::StatusOr<ledger::EntryDraft> d =
        h_.clerk()->Draft(kind, by, std::move(body), StrCat("batch-", drafts.size()));
    ASSERT_TRUE(d.ok()) << d.status();
    drafts.push_back(std::move(*d));
  };
  draft("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100), 1));
  draft("gift", kClerk, MakeGift("2022-05-10", "cash", "fund.relief", Yuan(200), 2));
  draft("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(5000)));
  draft("gift", kClerk, MakeGift("2022-05-11", "bank", "fund.relief", Yuan(300), 3));
  const uint64_t size = h_.ledger()->Size();
  std::vector<absl::StatusOr<ledger::AppendResult>> rs = h_.ledger()->AppendMany(std::move(drafts));
  ASSERT_EQ(rs.size(), 4u);
  EXPECT_TRUE(rs[0].ok() && rs[1].ok() && rs[3].ok());
  EXPECT_EQ(rs[2].status().code(), Code::kFailedPrecondition) << rs[2].status();  // overspends
  EXPECT_EQ(h_.ledger()->Size(), size + 3);
  EXPECT_EQ(Fund("fund.relief").net, Yuan(600));
  EXPECT_EQ(h_.StoredState(), h_.Snapshot());
  const auto before = h_.Snapshot();
  h_.Close();
  ASSERT_TRUE(h_.Open().ok());
  EXPECT_EQ(h_.Snapshot(), before);
  EXPECT_EQ(RebuildFromLeaves(*h_.ledger())->Snapshot(), before);
}

}  // namespace
}  // namespace boai::books
