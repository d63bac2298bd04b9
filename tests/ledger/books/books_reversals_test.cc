// Books rules on reversals: mirrored postings once, earlier money-moving entries, unspent money.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "books_rules_fixture.h"

namespace boai::books {
namespace {

using namespace ::boai::books::testing;  // NOLINT

std::vector<Posting> Negated(std::vector<Posting> ps) {
  for (Posting& p : ps) p.amount = -p.amount;
  return ps;
}

// ---- reversals ----

TEST_F(BooksRulesTest, ReversalMirrorsPostingsExactlyOnce) {
  Standard();
  uint64_t g = Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(8000), 8));
  uint64_t v = Ok("reversal", kClerk, Reverse("2022-05-11", g));
  EXPECT_EQ(PostingsAt(v), Negated(PostingsAt(g)));
  EXPECT_EQ(Bal("1002", "fund.relief"), 0);
  EXPECT_EQ(Bal("4101", "fund.relief"), 0);
  EXPECT_EQ(Fund("fund.relief").net, 0);
  EXPECT_EQ(h_.Read([](const Books& b) { return b.reversed(); }),
            (std::map<uint64_t, uint64_t>{{g, v}}));
  Refused("reversal", kClerk, Reverse("2022-05-12", g), Code::kAlreadyExists,
          {StrCat("entry ", g, " was already reversed by entry ", v)});
  // Reversing needs a reason.
  uint64_t g2 = Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(800), 9));
  Refused("reversal", kClerk, Reverse("2022-05-12", g2, ""), Code::kInvalidArgument, {"reason"});
  // A forged reversal whose postings are not the mirror image is refused.
  Entry forged{"reversal", kClerk, Reversal{"2022-05-12", "x", g2, PostingsAt(g2)}};
  RefusedRaw(forged, Code::kInvalidArgument, {"postings are not the ones"});
  // Reversing a payment mirrors it too.
  uint64_t r = Ok("payment.request", kClerk, MakeRequest("2022-05-12", "fund.relief", Yuan(300)));
  uint64_t a = Ok("payment.approve", kApprover, Decide("2022-05-12", r));
  uint64_t va = Ok("reversal", kClerk, Reverse("2022-05-13", a, "paid to the wrong account"));
  EXPECT_EQ(PostingsAt(va), (std::vector<Posting>{{"5101", "fund.relief", -Yuan(300)},
                                                  {"1002", "fund.relief", Yuan(300)}}));
  EXPECT_EQ(Fund("fund.relief").net, Yuan(800));
  EXPECT_EQ(Bal("5101", "fund.relief"), 0);
}

TEST_F(BooksRulesTest, OnlyMoneyMovingEntriesCanBeReversed) {
  Standard();
  auto idx = h_.ledger()->FindByKey("fund/fund.relief");
  ASSERT_TRUE(idx.ok() && idx->has_value());
  const uint64_t fund_open = **idx;
  Refused("reversal", kClerk, Reverse("2022-05-11", fund_open), Code::kInvalidArgument,
          {StrCat("entry ", fund_open, " is a fund.open entry"), "cannot be reversed"});
  Refused("reversal", kClerk, Reverse("2022-05-11", 0), Code::kInvalidArgument,
          {"entry 0 is a log.genesis entry"});
  Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100)));
  uint64_t r = Ok("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(10)));
  Refused("reversal", kClerk, Reverse("2022-05-11", r), Code::kInvalidArgument,
          {StrCat("entry ", r, " is a payment.request entry")});
  uint64_t v = Ok("receipt.void", kClerk, ReceiptVoid{"2022-05-11", "HB2022", "spoiled", 3});
  Refused("reversal", kClerk, Reverse("2022-05-11", v), Code::kInvalidArgument,
          {StrCat("entry ", v, " is a receipt.void entry")});
  uint64_t g = Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(5)));
  uint64_t rev = Ok("reversal", kClerk, Reverse("2022-05-11", g));
  Refused("reversal", kClerk, Reverse("2022-05-11", rev), Code::kInvalidArgument,
          {StrCat("entry ", rev, " is itself a reversal"), "record that entry again"});
}

TEST_F(BooksRulesTest, ReversalCannotNameALaterEntry) {
  Standard();
  uint64_t g = Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100)));
  const uint64_t next = h_.ledger()->Size();
  // Through the clerk, a later entry does not exist yet.
  Refused("reversal", kClerk, Reverse("2022-05-11", next + 5), Code::kInvalidArgument,
          {StrCat("entry ", next + 5, " does not exist")});
  // A raw draft reaches the rule itself: itself, or later.
  for (uint64_t target : {next, next + 1, next + 100}) {
    Entry e{"reversal", kClerk, Reversal{"2022-05-11", "x", target, Negated(PostingsAt(g))}};
    RefusedRaw(e, Code::kInvalidArgument,
               {"can only name an earlier entry", StrCat(target, " is not before ", next)});
  }
}

TEST_F(BooksRulesTest, ReversalIsNotDatedBeforeWhatItReverses) {
  Standard();
  uint64_t g = Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100)));
  Refused("reversal", kClerk, Reverse("2022-05-09", g), Code::kInvalidArgument,
          {"the reversal's date 2022-05-09", StrCat("date of entry ", g, " (2022-05-10)")});
  Ok("reversal", kClerk, Reverse("2022-05-10", g));
}

TEST_F(BooksRulesTest, ReversingSpentMoneyIsRefused) {
  Standard();
  uint64_t g = Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(1000)));
  uint64_t r = Ok("payment.request", kClerk, MakeRequest("2022-05-11", "fund.relief", Yuan(800)));
  // Reserved money is as good as spent.
  Refused("reversal", kClerk, Reverse("2022-05-11", g), Code::kFailedPrecondition,
          {"fund fund.relief", "200.00 yuan available", "this reversal needs 1000.00 yuan"});
  Ok("payment.approve", kApprover, Decide("2022-05-11", r));
  Refused("reversal", kClerk, Reverse("2022-05-12", g), Code::kFailedPrecondition,
          {"fund fund.relief", "200.00 yuan available", "this reversal needs 1000.00 yuan"});
  // A release that moved money out cannot be undone once the other fund spent it.
  Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.la", Yuan(500)));
  uint64_t rel = Ok("fund.release", kAdmin,
                    Release{"2022-05-12", "fund.la", "fund.general", "purpose met", Yuan(500), {}});
  uint64_t r2 = Ok("payment.request", kClerk, MakeRequest("2022-05-12", "fund.general", Yuan(500)));
  Ok("payment.approve", kApprover, Decide("2022-05-12", r2));
  Refused("reversal", kClerk, Reverse("2022-05-12", rel), Code::kFailedPrecondition,
          {"fund fund.general", "0.00 yuan available", "needs 500.00 yuan"});
}

}  // namespace
}  // namespace boai::books
