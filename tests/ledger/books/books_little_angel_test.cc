// Books programme rules (Little Angel): ages, tiers, one grant per child, caps, rule versions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "books_rules_fixture.h"

namespace boai::books {
namespace {

using namespace ::boai::books::testing;  // NOLINT

// ---- programme rules: Little Angel ----

class BooksLittleAngelTest : public BooksRulesTest {
 protected:
  void SetUp() override {
    BooksRulesTest::SetUp();
    Standard();
    Ok("gift", kClerk, Allocation("2019-01-05", "fund.la", Yuan(500000)));
    Ok("programme.rules", kAdmin, V1());
  }
  static ProgrammeRules V1() {
    return ProgrammeRules{"prog.la",
                          "小天使基金 Little Angel",
                          "fund.la",
                          "2019-01-01",
                          1,
                          0,
                          14,
                          Yuan(30000),
                          {Tier{"standard", Yuan(30000), "", false}}};
  }
  static ProgrammeRules V2() {
    return ProgrammeRules{"prog.la",
                          "小天使基金 Little Angel",
                          "fund.la",
                          "2021-01-01",
                          2,
                          0,
                          18,
                          Yuan(50000),
                          {Tier{"standard", Yuan(30000), "", false},
                           Tier{"transplant_top_up", Yuan(20000), "standard", true}}};
  }
  static PaymentRequest GrantRequest(std::string date, std::string child, int64_t age,
                                     std::string tier, int64_t amount, bool transplant = false,
                                     std::string fund = "fund.la") {
    return MakeRequest(std::move(date), std::move(fund), amount, "bank", "2022-12-31",
                       Grant{"prog.la", std::move(child), std::move(tier), age, transplant});
  }
  // Requests and approves; returns the approval's index.
  uint64_t Paid(const PaymentRequest& p) {
    uint64_t r = Ok("payment.request", kClerk, p);
    return Ok("payment.approve", kApprover, Decide(p.date, r));
  }
  std::optional<BeneficiaryState> Child(const std::string& id) const {
    return h_.Read([&id](const Books& b) -> std::optional<BeneficiaryState> {
      auto it = b.beneficiaries().find("prog.la/" + id);
      if (it == b.beneficiaries().end()) return std::nullopt;
      return it->second;
    });
  }
};

TEST_F(BooksLittleAngelTest, AgeRangeFollowsTheRulesInForce) {
  Ok("programme.rules", kAdmin, V2());
  Refused("payment.request", kClerk,
          GrantRequest("2019-05-01", Kid("child-a"), 15, "standard", Yuan(30000)),
          Code::kFailedPrecondition,
          {StrCat("beneficiary ", Kid("child-a"), " is 15"), "version 1", "2019-01-01",
           "ages 0 to 14"});
  EXPECT_FALSE(Child(Kid("child-a")).has_value());
  // Under v2 (from 2021) a 15-year-old is covered.
  Paid(GrantRequest("2021-03-01", Kid("child-a"), 15, "standard", Yuan(30000)));
  ASSERT_TRUE(Child(Kid("child-a")).has_value());
  EXPECT_EQ(Child(Kid("child-a"))->first_age, 15);
  EXPECT_EQ(Child(Kid("child-a"))->total, Yuan(30000));
  Refused("payment.request", kClerk,
          GrantRequest("2021-03-01", Kid("child-b"), 19, "standard", Yuan(30000)),
          Code::kFailedPrecondition,
          {StrCat("beneficiary ", Kid("child-b"), " is 19"), "version 2", "ages 0 to 18"});
  // The 2019 rules still judge a request dated 2020.
  Refused("payment.request", kClerk,
          GrantRequest("2020-12-31", Kid("child-c"), 16, "standard", Yuan(30000)),
          Code::kFailedPrecondition, {StrCat(Kid("child-c"), " is 16"), "version 1"});
  EXPECT_EQ(
      h_.Read([](const Books& b) { return b.RulesInForce("prog.la", "2020-12-31")->version; }), 1);
  EXPECT_EQ(
      h_.Read([](const Books& b) { return b.RulesInForce("prog.la", "2021-01-01")->version; }), 2);
  EXPECT_EQ(h_.Read([](const Books& b) { return b.RulesInForce("prog.la", "2018-12-31"); }),
            nullptr);
}

TEST_F(BooksLittleAngelTest, NoRulesInForceWrongFundOrUnknownTier) {
  Refused("payment.request", kClerk,
          GrantRequest("2018-06-01", Kid("child-a"), 5, "standard", Yuan(30000)),
          Code::kFailedPrecondition, {"prog.la", "no rules in force on 2018-06-01"});
  Ok("gift", kClerk, MakeGift("2019-02-01", "bank", "fund.relief", Yuan(30000)));
  Refused(
      "payment.request", kClerk,
      GrantRequest("2019-05-01", Kid("child-a"), 5, "standard", Yuan(30000), false, "fund.relief"),
      Code::kFailedPrecondition, {"paid from fund fund.la", "not fund.relief"});
  Refused("payment.request", kClerk,
          GrantRequest("2020-05-01", Kid("child-a"), 5, "transplant_top_up", Yuan(20000), true),
          Code::kFailedPrecondition, {"tier \"transplant_top_up\"", "rules version 1"});
}

TEST_F(BooksLittleAngelTest, OneGrantPerChildPerTier) {
  Paid(GrantRequest("2019-05-01", Kid("child-a"), 10, "standard", Yuan(30000)));
  Refused("payment.request", kClerk,
          GrantRequest("2019-06-01", Kid("child-a"), 10, "standard", Yuan(30000)),
          Code::kFailedPrecondition,
          {StrCat(Kid("child-a"), " already received the standard grant")});
  // A pending request holds the tier too.
  Ok("payment.request", kClerk,
     GrantRequest("2019-06-01", Kid("child-b"), 8, "standard", Yuan(30000)));
  Refused("payment.request", kClerk,
          GrantRequest("2019-06-02", Kid("child-b"), 8, "standard", Yuan(30000)),
          Code::kFailedPrecondition,
          {StrCat(Kid("child-b"), " already received the standard grant")});
  Ok("programme.rules", kAdmin, V2());
  Refused("payment.request", kClerk,
          GrantRequest("2021-06-01", Kid("child-a"), 10, "standard", Yuan(30000)),
          Code::kFailedPrecondition,
          {StrCat(Kid("child-a"), " already received the standard grant")});
}

TEST_F(BooksLittleAngelTest, TopUpNeedsTheStandardTierAndATransplant) {
  Paid(GrantRequest("2019-05-01", Kid("child-a"), 10, "standard", Yuan(30000)));
  Ok("programme.rules", kAdmin, V2());
  Refused("payment.request", kClerk,
          GrantRequest("2021-03-01", Kid("child-new"), 10, "transplant_top_up", Yuan(20000), true),
          Code::kFailedPrecondition,
          {"tier transplant_top_up is granted only after tier standard"});
  EXPECT_FALSE(Child(Kid("child-new")).has_value());
  Refused("payment.request", kClerk,
          GrantRequest("2021-03-01", Kid("child-a"), 10, "transplant_top_up", Yuan(20000), false),
          Code::kFailedPrecondition, {"transplant_top_up", "completed stem-cell transplant"});
  Paid(GrantRequest("2021-03-01", Kid("child-a"), 10, "transplant_top_up", Yuan(20000), true));
  EXPECT_EQ(Child(Kid("child-a"))->total, Yuan(50000));
  EXPECT_EQ(Child(Kid("child-a"))->tiers, (std::set<std::string>{"standard", "transplant_top_up"}));
  EXPECT_EQ(Bal("5101", "fund.la"), Yuan(50000));
}

TEST_F(BooksLittleAngelTest, AgeIsFixedAtFirstRegistration) {
  Paid(GrantRequest("2019-05-01", Kid("child-a"), 13, "standard", Yuan(30000)));
  Ok("programme.rules", kAdmin, V2());
  Refused("payment.request", kClerk,
          GrantRequest("2021-06-01", Kid("child-a"), 15, "transplant_top_up", Yuan(20000), true),
          Code::kFailedPrecondition,
          {StrCat(Kid("child-a"), " was registered at age 13"), "give 13"});
  Paid(GrantRequest("2021-06-01", Kid("child-a"), 13, "transplant_top_up", Yuan(20000), true));
  EXPECT_EQ(Child(Kid("child-a"))->first_age, 13);
}

TEST_F(BooksLittleAngelTest, AmountMustBeTheTiers) {
  Refused("payment.request", kClerk,
          GrantRequest("2019-05-01", Kid("child-a"), 5, "standard", Yuan(25000)),
          Code::kFailedPrecondition,
          {"tier standard", "grants 30000.00 yuan", "not 25000.00 yuan"});
  Refused("payment.request", kClerk,
          GrantRequest("2019-05-01", Kid("child-a"), 5, "standard", Yuan(30001)),
          Code::kFailedPrecondition, {"30000.00 yuan", "not 30001.00 yuan"});
  EXPECT_FALSE(Child(Kid("child-a")).has_value());
}

TEST_F(BooksLittleAngelTest, TotalCapPerBeneficiary) {
  Ok("programme.rules", kAdmin,
     ProgrammeRules{"prog.cap",
                    "capped",
                    "fund.la",
                    "2020-01-01",
                    1,
                    0,
                    18,
                    Yuan(30000),
                    {Tier{"a", Yuan(20000), "", false}, Tier{"b", Yuan(20000), "", false}}});
  auto req = [](const char* tier) {
    return MakeRequest("2020-05-01", "fund.la", Yuan(20000), "bank", "2022-12-31",
                       Grant{"prog.cap", Kid("child-x"), tier, 7, false});
  };
  Ok("payment.request", kClerk, req("a"));
  Refused("payment.request", kClerk, req("b"), Code::kFailedPrecondition,
          {StrCat(Kid("child-x"), " would receive 40000.00 yuan"), "at most 30000.00 yuan"});
}

TEST_F(BooksLittleAngelTest, RulesVersionsIncreaseByOneAndNeverTakeEffectEarlier) {
  ProgrammeRules v4 = V2();
  v4.version = 4;
  Refused("programme.rules", kAdmin, v4, Code::kFailedPrecondition, {"must be version 2, not 4"});
  ProgrammeRules v1again = V1();
  Refused("programme.rules", kAdmin, v1again, Code::kFailedPrecondition,
          {"must be version 2, not 1"});
  ProgrammeRules early = V2();
  early.effective_from = "2018-12-31";
  Refused("programme.rules", kAdmin, early, Code::kFailedPrecondition,
          {"version 2 cannot take effect before version 1", "2019-01-01"});
  Ok("programme.rules", kAdmin, V2());
  ProgrammeRules v3 = V2();
  v3.version = 3;
  v3.effective_from = "2020-12-31";
  Refused("programme.rules", kAdmin, v3, Code::kFailedPrecondition,
          {"version 3 cannot take effect before version 2", "2021-01-01"});
  ProgrammeRules fresh = V1();
  fresh.programme = "prog.new";
  fresh.version = 2;
  Refused("programme.rules", kAdmin, fresh, Code::kFailedPrecondition,
          {"must be version 1, not 2"});
  // Malformed tiers.
  ProgrammeRules dup = V2();
  dup.version = 3;
  dup.effective_from = "2022-01-01";
  dup.tiers.push_back(dup.tiers[0]);
  Refused("programme.rules", kAdmin, dup, Code::kInvalidArgument, {"tier standard appears twice"});
  ProgrammeRules big = dup;
  big.tiers = {Tier{"standard", Yuan(60000), "", false}};
  Refused("programme.rules", kAdmin, big, Code::kInvalidArgument, {"standard exceeds max_total"});
  ProgrammeRules orphan = dup;
  orphan.tiers = {Tier{"top", Yuan(100), "base", false}};
  Refused("programme.rules", kAdmin, orphan, Code::kInvalidArgument,
          {"top requires unknown tier base"});
  EXPECT_EQ(h_.Read([](const Books& b) { return b.programmes().at("prog.la").size(); }), 2u);
}

TEST_F(BooksLittleAngelTest, RejectedOrExpiredRequestsGiveTheTierBack) {
  uint64_t r = Ok("payment.request", kClerk,
                  GrantRequest("2019-05-01", Kid("child-a"), 6, "standard", Yuan(30000)));
  EXPECT_TRUE(Child(Kid("child-a")).has_value());
  Ok("payment.reject", kApprover, Decide("2019-05-02", r, "documents missing"));
  EXPECT_FALSE(Child(Kid("child-a")).has_value());
  PaymentRequest p = GrantRequest("2019-06-01", Kid("child-a"), 6, "standard", Yuan(30000));
  p.expires = "2019-06-30";
  uint64_t r2 = Ok("payment.request", kClerk, p);
  Ok("payment.expire", kClerk, Decide("2019-07-01", r2));
  EXPECT_FALSE(Child(Kid("child-a")).has_value());
  Paid(GrantRequest("2019-08-01", Kid("child-a"), 6, "standard", Yuan(30000)));
  EXPECT_EQ(Child(Kid("child-a"))->total, Yuan(30000));
}

TEST_F(BooksLittleAngelTest, ReversingAnApprovedGrantGivesTheTierBack) {
  uint64_t a = Paid(GrantRequest("2019-05-01", Kid("child-a"), 9, "standard", Yuan(30000)));
  EXPECT_EQ(Fund("fund.la").Available(), Yuan(470000));
  Refused("payment.request", kClerk,
          GrantRequest("2019-06-01", Kid("child-a"), 9, "standard", Yuan(30000)),
          Code::kFailedPrecondition, {"already received"});
  Ok("reversal", kClerk, Reverse("2019-06-01", a, "paid to the wrong child"));
  EXPECT_FALSE(Child(Kid("child-a")).has_value());
  EXPECT_EQ(Fund("fund.la").Available(), Yuan(500000));
  EXPECT_EQ(Bal("5101", "fund.la"), 0);
  Paid(GrantRequest("2019-06-01", Kid("child-a"), 9, "standard", Yuan(30000)));
  EXPECT_EQ(Child(Kid("child-a"))->total, Yuan(30000));
}

TEST_F(BooksLittleAngelTest, AGrantNamesARegisteredPersonNotALabel) {
  Refused("payment.request", kClerk,
          GrantRequest("2019-05-01", "child-zhang", 8, "standard", Yuan(30000)),
          Code::kInvalidArgument, {"a grant's beneficiary is a registered person"});
  EXPECT_FALSE(Child("child-zhang").has_value());
  Paid(GrantRequest("2019-05-01", Kid("child-zhang"), 8, "standard", Yuan(30000)));
}

TEST_F(BooksLittleAngelTest, TopUpWaitsForTheStandardGrantToBePaid) {
  Ok("programme.rules", kAdmin, V2());
  uint64_t standard = Ok("payment.request", kClerk,
                         GrantRequest("2021-02-01", Kid("child-a"), 7, "standard", Yuan(30000)));
  Refused("payment.request", kClerk,
          GrantRequest("2021-03-01", Kid("child-a"), 7, "transplant_top_up", Yuan(20000), true),
          Code::kFailedPrecondition,
          {"granted only after tier standard", StrCat("(entry ", standard, ") is still pending")});
  uint64_t approved = Ok("payment.approve", kApprover, Decide("2021-02-02", standard));
  Paid(GrantRequest("2021-03-01", Kid("child-a"), 7, "transplant_top_up", Yuan(20000), true));
  // The standard grant cannot be taken back while the top-up stands on it.
  Refused("reversal", kClerk, Reverse("2021-03-02", approved, "wrong child"),
          Code::kFailedPrecondition,
          {StrCat("entry ", approved), "transplant_top_up grant requires", "first"});
  EXPECT_EQ(Child(Kid("child-a"))->total, Yuan(50000));
}

TEST_F(BooksLittleAngelTest, NineChildrenOf2019AndTheFundEmpties) {
  // The 2019 report: 9 children x 30,000 = 270,000 from a 270,000 allocation.
  Ok("gift", kClerk, Allocation("2019-01-05", "fund.relief", Yuan(1)));  // unrelated
  // Bring fund.la down to 270,000 first: a programme's fund pays only its grants,
  // so the rest is released to the unrestricted fund.
  Refused("payment.request", kClerk, MakeRequest("2019-02-01", "fund.la", Yuan(230000)),
          Code::kFailedPrecondition,
          {"fund fund.la pays the grants of programme prog.la", "must be one of its grants"});
  Ok("fund.release", kAdmin,
     Release{"2019-02-01", "fund.la", "fund.general", "over-allocated", Yuan(230000), {}});
  for (int i = 0; i < 9; ++i)
    Paid(GrantRequest("2019-03-15", Kid(StrCat("child-", i)), 3 + i, "standard", Yuan(30000)));
  EXPECT_EQ(Fund("fund.la").Available(), 0);
  Refused("payment.request", kClerk,
          GrantRequest("2019-03-15", Kid("child-9"), 4, "standard", Yuan(30000)),
          Code::kFailedPrecondition,
          {"fund fund.la", "0.00 yuan available", "needs 30000.00 yuan"});
  EXPECT_FALSE(Child(Kid("child-9")).has_value());
}

}  // namespace
}  // namespace boai::books
