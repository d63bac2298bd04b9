// Every accounting rule of the books, one test (or more) per rule. Most go through
// the real write path (Clerk::Record -> Ledger::Append -> BooksHook -> Books::Apply)
// in a temporary directory; some drive Books::Apply directly over a vector of
// leaves. Every refusal is checked for its status code, for a message that names
// the offending values, and for changing nothing: the books' snapshot, the stored
// `state` column family and the log's size are the same before and after.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "books_test_support.h"

namespace boai::books {
namespace {

using ::testing::HasSubstr;
using namespace ::boai::books::testing;  // NOLINT
using Code = absl::StatusCode;
using Result = absl::StatusOr<ledger::AppendResult>;

constexpr char kClerk[] = "clerk.wang";
constexpr char kApprover[] = "approver.li";
constexpr char kAdmin[] = "admin";

std::vector<Posting> Negated(std::vector<Posting> ps) {
  for (Posting& p : ps) p.amount = -p.amount;
  return ps;
}

// ---------------------------------------------------------------------------
// The real write path.

class BooksRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status s = h_.Open();
    ASSERT_TRUE(s.ok()) << s;
  }
  void TearDown() override {
    // Whatever a test did, the stored state is the live state.
    if (h_.ledger() != nullptr) {
      EXPECT_EQ(h_.StoredState(), h_.Snapshot());
    }
  }

  // The standard chart and four funds: one unrestricted, three restricted.
  void Standard() {
    h_.OpenChartAndFunds(
        {{"fund.general", false}, {"fund.relief", true}, {"fund.la", true}, {"fund.gm", true}});
  }

  uint64_t Ok(const std::string& kind, const std::string& by, Body body, std::string key = "") {
    Result r = h_.Record(kind, by, std::move(body), std::move(key));
    EXPECT_TRUE(r.ok()) << kind << ": " << r.status();
    if (!r.ok()) return ~uint64_t{0};
    EXPECT_FALSE(r->duplicate);
    return r->index;
  }

  // Runs `op`, which must be refused with `code` and a message naming each of
  // `names`, and must change nothing.
  void ExpectRefused(const std::function<Result()>& op, Code code,
                     const std::vector<std::string>& names) {
    const auto snapshot = h_.Snapshot();
    const auto stored = h_.StoredState();
    const uint64_t size = h_.ledger()->Size();
    Result r = op();
    ASSERT_FALSE(r.ok()) << "accepted as entry " << r->index;
    EXPECT_EQ(r.status().code(), code) << r.status();
    const std::string msg(ToStd(r.status().message()));
    for (const std::string& n : names) EXPECT_THAT(msg, HasSubstr(n));
    EXPECT_EQ(h_.ledger()->Size(), size);
    EXPECT_EQ(h_.Snapshot(), snapshot);
    EXPECT_EQ(h_.StoredState(), stored);
  }
  void Refused(const std::string& kind, const std::string& by, Body body, Code code,
               const std::vector<std::string>& names) {
    SCOPED_TRACE(kind);
    ExpectRefused([&] { return h_.Record(kind, by, body); }, code, names);
  }
  void RefusedRaw(const Entry& e, Code code, const std::vector<std::string>& names) {
    SCOPED_TRACE(StrCat("raw ", e.kind));
    ExpectRefused([&] { return h_.RecordRaw(e); }, code, names);
  }

  FundState Fund(const std::string& id) const {
    return h_.Read([&id](const Books& b) { return b.funds().at(id); });
  }
  int64_t Bal(std::string_view account, const std::string& fund) const {
    return h_.Read([&](const Books& b) {
      auto it = b.balances().find({std::string(account), fund});
      return it == b.balances().end() ? int64_t{0} : it->second;
    });
  }
  CampaignState Campaign(const std::string& id) const {
    return h_.Read([&id](const Books& b) { return b.campaigns().at(id); });
  }
  std::vector<Posting> PostingsAt(uint64_t index) const {
    const Entry e = h_.EntryAt(index);
    const std::vector<Posting>* p = PostingsOf(e);
    return p == nullptr ? std::vector<Posting>{} : *p;
  }

  // A gift with the grant fields a government or Red Cross allocation carries.
  static Gift Allocation(std::string date, std::string fund, int64_t amount) {
    Gift g = MakeGift(std::move(date), "bank", std::move(fund), amount, 0, "grant");
    g.no_receipt = "not_a_donation";
    return g;
  }

  LedgerHarness h_;
};

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

// ---- gifts ----

TEST_F(BooksRulesTest, GiftChannelsAndIncomeKindsPostToTheirAccounts) {
  Standard();
  struct Case {
    const char* channel;
    const char* income;
    const char* debit;
    const char* credit;
  };
  int64_t n = 0;
  for (const Case& c :
       {Case{"cash", "donation", "1001", "4101"}, Case{"bank", "donation", "1002", "4101"},
        Case{"online", "donation", "1121", "4101"}, Case{"in_kind", "donation", "1201", "4101"},
        Case{"bank", "grant", "1002", "4201"}, Case{"cash", "grant", "1001", "4201"}}) {
    SCOPED_TRACE(StrCat(c.channel, "/", c.income));
    ++n;
    const std::string fund = StrCat("fund.g", n);
    Ok("fund.open", kAdmin, FundOpen{fund, "g", "g", true});
    Gift g = MakeGift("2022-05-10", c.channel, fund, Yuan(100) + n, n);
    g.income = c.income;
    uint64_t i = Ok("gift", kClerk, g);
    EXPECT_EQ(PostingsAt(i), (std::vector<Posting>{{c.debit, fund, Yuan(100) + n},
                                                   {c.credit, fund, -(Yuan(100) + n)}}));
    EXPECT_EQ(Bal(c.debit, fund), Yuan(100) + n);
    EXPECT_EQ(Bal(c.credit, fund), -(Yuan(100) + n));
    EXPECT_EQ(Fund(fund).net, Yuan(100) + n);
    EXPECT_EQ(Fund(fund).Available(), Yuan(100) + n);
  }
  // A gift in kind keeps its valuation method and evidence on the leaf.
  Gift k = MakeGift("2022-05-11", "in_kind", "fund.relief", Yuan(2000), 100);
  k.in_kind = InKind{"人道救助箱 relief boxes", "箱", "fair_value", 20, Hex("price survey")};
  uint64_t i = Ok("gift", kClerk, k);
  const Gift stored = std::get<Gift>(h_.EntryAt(i).body);
  ASSERT_TRUE(stored.in_kind.has_value());
  EXPECT_EQ(stored.in_kind->method, "fair_value");
  EXPECT_EQ(stored.in_kind->evidence_sha256, Hex("price survey"));
  EXPECT_EQ(stored.in_kind->quantity, 20);
  EXPECT_EQ(Bal("1201", "fund.relief"), Yuan(2000));
}

TEST_F(BooksRulesTest, InKindDetailsExactlyForInKindGifts) {
  Standard();
  Gift g = MakeGift("2022-05-10", "in_kind", "fund.relief", Yuan(100));
  g.in_kind.reset();
  Refused("gift", kClerk, g, Code::kInvalidArgument,
          {"in_kind", "required exactly when channel is in_kind"});
  Gift b = MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100));
  b.in_kind = InKind{"boxes", "箱", "document", 1, Hex("x")};
  Refused("gift", kClerk, b, Code::kInvalidArgument,
          {"in_kind", "required exactly when channel is in_kind"});
  Gift m = MakeGift("2022-05-10", "in_kind", "fund.relief", Yuan(100));
  m.in_kind->method = "guess";
  Refused("gift", kClerk, m, Code::kInvalidArgument, {"in_kind.method"});
  Gift e = MakeGift("2022-05-10", "in_kind", "fund.relief", Yuan(100));
  e.in_kind->evidence_sha256 = "not-a-hash";
  Refused("gift", kClerk, e, Code::kInvalidArgument, {"in_kind.evidence_sha256"});
  Gift q = MakeGift("2022-05-10", "in_kind", "fund.relief", Yuan(100));
  q.in_kind->quantity = 0;
  Refused("gift", kClerk, q, Code::kInvalidArgument, {"in_kind.quantity"});
  Gift ch = MakeGift("2022-05-10", "cheque", "fund.relief", Yuan(100));
  Refused("gift", kClerk, ch, Code::kInvalidArgument, {"channel"});
  Gift inc = MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100));
  inc.income = "loan";
  Refused("gift", kClerk, inc, Code::kInvalidArgument, {"income"});
  Gift zero = MakeGift("2022-05-10", "bank", "fund.relief", 0);
  Refused("gift", kClerk, zero, Code::kInvalidArgument, {"amount", "got 0"});
  Gift neg = MakeGift("2022-05-10", "bank", "fund.relief", -Yuan(5));
  Refused("gift", kClerk, neg, Code::kInvalidArgument, {"amount", "got -500"});
}

TEST_F(BooksRulesTest, GiftHasAReceiptOrAReasonForNone) {
  Standard();
  Gift both = MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100), 1);
  both.no_receipt = "declined";
  Refused("gift", kClerk, both, Code::kInvalidArgument, {"receipt", "not both"});
  {
    nlohmann::json body =
        ToJson(Entry{"gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100), 1)});
    body["postings"] =
        PostingsJson({{"1002", "fund.relief", Yuan(100)}, {"4101", "fund.relief", -Yuan(100)}});
    body["no_receipt"] = "declined";
    const std::string canonical = *ledger::EncodeCanonicalJson(body);
    ExpectRefused(
        [&] {
          return h_.ledger()->Append(ledger::EntryDraft{"gift", "both-raw", canonical, {}});
        },
        Code::kInvalidArgument, {"receipt", "not both"});
  }
  Gift neither = MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100));
  neither.no_receipt.clear();
  Refused("gift", kClerk, neither, Code::kInvalidArgument, {"receipt", "must be given"});
  Gift why = MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100));
  why.no_receipt = "forgot";
  Refused("gift", kClerk, why, Code::kInvalidArgument, {"no_receipt"});
  for (const char* reason : {"anonymous", "declined", "not_a_donation"}) {
    Gift ok = MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100));
    ok.no_receipt = reason;
    Ok("gift", kClerk, ok);
  }
  Ok("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.relief", Yuan(100), 1));
}

TEST_F(BooksRulesTest, BadDatesAreRefused) {
  Standard();
  for (const char* d : {"2019-13-01", "2019/09/09", "2019-00-10", "2019-09-32", "2019-9-9", "",
                        "2019-02-30", "2021-02-29", "2019-04-31"}) {
    SCOPED_TRACE(d);
    Refused("gift", kClerk, MakeGift(d, "bank", "fund.relief", Yuan(1)), Code::kInvalidArgument,
            {StrCat("\"", d, "\" is not a date")});
  }
  Ok("gift", kClerk, MakeGift("2020-02-29", "bank", "fund.relief", Yuan(1)));  // a leap day
  Ok("gift", kClerk, MakeGift("2019-12-31", "bank", "fund.relief", Yuan(1)));
  Refused("payment.request", kClerk,
          MakeRequest("2022-05-01", "fund.relief", Yuan(1), "bank", "2022/12/31"),
          Code::kInvalidArgument, {"expires", "\"2022/12/31\""});
  Refused("payment.request", kClerk,
          MakeRequest("2022-05-01", "fund.relief", Yuan(1), "bank", "2022-04-30"),
          Code::kInvalidArgument, {"expires 2022-04-30 is before date 2022-05-01"});
  Refused("campaign.open", kAdmin,
          CampaignOpen{"camp.x", "x", "fund.gm", "p", "2022-09-31", "2022-10-01", Yuan(1)},
          Code::kInvalidArgument, {"start", "2022-09-31"});
  Refused("campaign.open", kAdmin,
          CampaignOpen{"camp.x", "x", "fund.gm", "p", "2022-09-09", "2022-09-07", Yuan(1)},
          Code::kInvalidArgument, {"end", "before start"});
}

TEST_F(BooksRulesTest, FutureDatesAreRefused) {
  Standard();
  // The clock says 2022-06-01 12:00 in China.
  Refused("gift", kClerk, MakeGift("2022-06-02", "bank", "fund.relief", Yuan(1)),
          Code::kInvalidArgument, {"date 2022-06-02 is in the future", "today is 2022-06-01"});
  Ok("gift", kClerk, MakeGift("2022-06-01", "bank", "fund.relief", Yuan(10)));
  uint64_t r = Ok("payment.request", kClerk, MakeRequest("2022-06-01", "fund.relief", Yuan(1)));
  Refused("payment.approve", kApprover, Decide("2022-06-02", r), Code::kInvalidArgument,
          {"2022-06-02"});
  Refused("receipt.void", kClerk, ReceiptVoid{"2023-01-01", "HB2022", "spoiled", 9},
          Code::kInvalidArgument, {"2023-01-01"});
  // 16:00 UTC is midnight in China: 2022-06-02 is today there.
  h_.SetNow(kJune1Noon + 12 * 3600 * 1000ull);
  Ok("gift", kClerk, MakeGift("2022-06-02", "bank", "fund.relief", Yuan(1)));
  Ok("payment.approve", kApprover, Decide("2022-06-02", r));
}

// ---- receipts ----

TEST_F(BooksRulesTest, ReceiptRegister) {
  Standard();
  Ok("gift", kClerk, MakeGift("2022-05-10", "cash", "fund.relief", Yuan(10), 1));
  Ok("gift", kClerk, MakeGift("2022-05-10", "cash", "fund.relief", Yuan(10), 2));
  Refused("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.general", Yuan(99), 2),
          Code::kAlreadyExists, {"receipt HB2022-2", "already issued"});
  Ok("gift", kClerk, MakeGift("2022-05-11", "cash", "fund.relief", Yuan(10), 5));
  Ok("receipt.void", kClerk, ReceiptVoid{"2022-05-11", "HB2022", "spoiled copy", 7});
  Refused("gift", kClerk, MakeGift("2022-05-11", "cash", "fund.relief", Yuan(10), 7),
          Code::kAlreadyExists, {"receipt HB2022-7", "voided"});
  Refused("receipt.void", kClerk, ReceiptVoid{"2022-05-12", "HB2022", "again", 7},
          Code::kAlreadyExists, {"receipt HB2022-7", "already void"});
  auto gaps = [this] {
    return h_.Read([](const Books& b) { return b.receipts().at("HB2022").Gaps(); });
  };
  using Gaps = std::vector<std::pair<int64_t, int64_t>>;
  EXPECT_EQ(gaps(), (Gaps{{3, 4}, {6, 6}}));
  // An issued receipt may be voided (the gift was reversed): it stays used.
  Ok("receipt.void", kClerk, ReceiptVoid{"2022-05-12", "HB2022", "gift reversed", 2});
  EXPECT_EQ(gaps(), (Gaps{{3, 4}, {6, 6}}));
  Ok("gift", kClerk, MakeGift("2022-05-12", "cash", "fund.relief", Yuan(10), 3));
  EXPECT_EQ(gaps(), (Gaps{{4, 4}, {6, 6}}));
  Ok("gift", kClerk, MakeGift("2022-05-12", "cash", "fund.relief", Yuan(10), 4));
  Ok("receipt.void", kClerk, ReceiptVoid{"2022-05-12", "HB2022", "lost", 6});
  EXPECT_TRUE(gaps().empty());
  // Another book has its own numbers.
  Gift other = MakeGift("2022-05-12", "cash", "fund.relief", Yuan(10), 2);
  other.receipt_book = "HB2023";
  Ok("gift", kClerk, other);
  EXPECT_TRUE(h_.Read([](const Books& b) { return b.receipts().at("HB2023").IsIssued(2); }));
  EXPECT_EQ(h_.Read([](const Books& b) { return b.receipts().at("HB2022").voided; }),
            (std::set<int64_t>{2, 6, 7}));
}

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
          {StrCat("entry ", rev, " is a reversal entry")});
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
          GrantRequest("2019-05-01", "child-a", 15, "standard", Yuan(30000)),
          Code::kFailedPrecondition,
          {"beneficiary child-a is 15", "version 1", "2019-01-01", "ages 0 to 14"});
  EXPECT_FALSE(Child("child-a").has_value());
  // Under v2 (from 2021) a 15-year-old is covered.
  Paid(GrantRequest("2021-03-01", "child-a", 15, "standard", Yuan(30000)));
  ASSERT_TRUE(Child("child-a").has_value());
  EXPECT_EQ(Child("child-a")->first_age, 15);
  EXPECT_EQ(Child("child-a")->total, Yuan(30000));
  Refused("payment.request", kClerk,
          GrantRequest("2021-03-01", "child-b", 19, "standard", Yuan(30000)),
          Code::kFailedPrecondition, {"beneficiary child-b is 19", "version 2", "ages 0 to 18"});
  // The 2019 rules still judge a request dated 2020.
  Refused("payment.request", kClerk,
          GrantRequest("2020-12-31", "child-c", 16, "standard", Yuan(30000)),
          Code::kFailedPrecondition, {"child-c is 16", "version 1"});
  EXPECT_EQ(
      h_.Read([](const Books& b) { return b.RulesInForce("prog.la", "2020-12-31")->version; }), 1);
  EXPECT_EQ(
      h_.Read([](const Books& b) { return b.RulesInForce("prog.la", "2021-01-01")->version; }), 2);
  EXPECT_EQ(h_.Read([](const Books& b) { return b.RulesInForce("prog.la", "2018-12-31"); }),
            nullptr);
}

TEST_F(BooksLittleAngelTest, NoRulesInForceWrongFundOrUnknownTier) {
  Refused("payment.request", kClerk,
          GrantRequest("2018-06-01", "child-a", 5, "standard", Yuan(30000)),
          Code::kFailedPrecondition, {"prog.la", "no rules in force on 2018-06-01"});
  Ok("gift", kClerk, MakeGift("2019-02-01", "bank", "fund.relief", Yuan(30000)));
  Refused("payment.request", kClerk,
          GrantRequest("2019-05-01", "child-a", 5, "standard", Yuan(30000), false, "fund.relief"),
          Code::kFailedPrecondition, {"paid from fund fund.la", "not fund.relief"});
  Refused("payment.request", kClerk,
          GrantRequest("2020-05-01", "child-a", 5, "transplant_top_up", Yuan(20000), true),
          Code::kFailedPrecondition, {"tier \"transplant_top_up\"", "rules version 1"});
}

TEST_F(BooksLittleAngelTest, OneGrantPerChildPerTier) {
  Paid(GrantRequest("2019-05-01", "child-a", 10, "standard", Yuan(30000)));
  Refused("payment.request", kClerk,
          GrantRequest("2019-06-01", "child-a", 10, "standard", Yuan(30000)),
          Code::kFailedPrecondition, {"child-a already received the standard grant"});
  // A pending request holds the tier too.
  Ok("payment.request", kClerk, GrantRequest("2019-06-01", "child-b", 8, "standard", Yuan(30000)));
  Refused("payment.request", kClerk,
          GrantRequest("2019-06-02", "child-b", 8, "standard", Yuan(30000)),
          Code::kFailedPrecondition, {"child-b already received the standard grant"});
  Ok("programme.rules", kAdmin, V2());
  Refused("payment.request", kClerk,
          GrantRequest("2021-06-01", "child-a", 10, "standard", Yuan(30000)),
          Code::kFailedPrecondition, {"child-a already received the standard grant"});
}

TEST_F(BooksLittleAngelTest, TopUpNeedsTheStandardTierAndATransplant) {
  Paid(GrantRequest("2019-05-01", "child-a", 10, "standard", Yuan(30000)));
  Ok("programme.rules", kAdmin, V2());
  Refused("payment.request", kClerk,
          GrantRequest("2021-03-01", "child-new", 10, "transplant_top_up", Yuan(20000), true),
          Code::kFailedPrecondition,
          {"tier transplant_top_up is granted only after tier standard"});
  EXPECT_FALSE(Child("child-new").has_value());
  Refused("payment.request", kClerk,
          GrantRequest("2021-03-01", "child-a", 10, "transplant_top_up", Yuan(20000), false),
          Code::kFailedPrecondition, {"transplant_top_up", "completed stem-cell transplant"});
  Paid(GrantRequest("2021-03-01", "child-a", 10, "transplant_top_up", Yuan(20000), true));
  EXPECT_EQ(Child("child-a")->total, Yuan(50000));
  EXPECT_EQ(Child("child-a")->tiers, (std::set<std::string>{"standard", "transplant_top_up"}));
  EXPECT_EQ(Bal("5101", "fund.la"), Yuan(50000));
}

TEST_F(BooksLittleAngelTest, AgeIsFixedAtFirstRegistration) {
  Paid(GrantRequest("2019-05-01", "child-a", 13, "standard", Yuan(30000)));
  Ok("programme.rules", kAdmin, V2());
  Refused("payment.request", kClerk,
          GrantRequest("2021-06-01", "child-a", 15, "transplant_top_up", Yuan(20000), true),
          Code::kFailedPrecondition, {"child-a was registered at age 13", "give 13"});
  Paid(GrantRequest("2021-06-01", "child-a", 13, "transplant_top_up", Yuan(20000), true));
  EXPECT_EQ(Child("child-a")->first_age, 13);
}

TEST_F(BooksLittleAngelTest, AmountMustBeTheTiers) {
  Refused(
      "payment.request", kClerk, GrantRequest("2019-05-01", "child-a", 5, "standard", Yuan(25000)),
      Code::kFailedPrecondition, {"tier standard", "grants 30000.00 yuan", "not 25000.00 yuan"});
  Refused("payment.request", kClerk,
          GrantRequest("2019-05-01", "child-a", 5, "standard", Yuan(30001)),
          Code::kFailedPrecondition, {"30000.00 yuan", "not 30001.00 yuan"});
  EXPECT_FALSE(Child("child-a").has_value());
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
                       Grant{"prog.cap", "child-x", tier, 7, false});
  };
  Ok("payment.request", kClerk, req("a"));
  Refused("payment.request", kClerk, req("b"), Code::kFailedPrecondition,
          {"child-x would receive 40000.00 yuan", "at most 30000.00 yuan"});
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
                  GrantRequest("2019-05-01", "child-a", 6, "standard", Yuan(30000)));
  EXPECT_TRUE(Child("child-a").has_value());
  Ok("payment.reject", kApprover, Decide("2019-05-02", r, "documents missing"));
  EXPECT_FALSE(Child("child-a").has_value());
  PaymentRequest p = GrantRequest("2019-06-01", "child-a", 6, "standard", Yuan(30000));
  p.expires = "2019-06-30";
  uint64_t r2 = Ok("payment.request", kClerk, p);
  Ok("payment.expire", kClerk, Decide("2019-07-01", r2));
  EXPECT_FALSE(Child("child-a").has_value());
  Paid(GrantRequest("2019-08-01", "child-a", 6, "standard", Yuan(30000)));
  EXPECT_EQ(Child("child-a")->total, Yuan(30000));
}

TEST_F(BooksLittleAngelTest, ReversingAnApprovedGrantGivesTheTierBack) {
  uint64_t a = Paid(GrantRequest("2019-05-01", "child-a", 9, "standard", Yuan(30000)));
  EXPECT_EQ(Fund("fund.la").Available(), Yuan(470000));
  Refused("payment.request", kClerk,
          GrantRequest("2019-06-01", "child-a", 9, "standard", Yuan(30000)),
          Code::kFailedPrecondition, {"already received"});
  Ok("reversal", kClerk, Reverse("2019-06-01", a, "paid to the wrong child"));
  EXPECT_FALSE(Child("child-a").has_value());
  EXPECT_EQ(Fund("fund.la").Available(), Yuan(500000));
  EXPECT_EQ(Bal("5101", "fund.la"), 0);
  Paid(GrantRequest("2019-06-01", "child-a", 9, "standard", Yuan(30000)));
  EXPECT_EQ(Child("child-a")->total, Yuan(30000));
}

TEST_F(BooksLittleAngelTest, NineChildrenOf2019AndTheFundEmpties) {
  // The 2019 report: 9 children x 30,000 = 270,000 from a 270,000 allocation.
  Ok("gift", kClerk, Allocation("2019-01-05", "fund.relief", Yuan(1)));  // unrelated
  // Spend down fund.la to 270,000 first.
  uint64_t r = Ok("payment.request", kClerk, MakeRequest("2019-02-01", "fund.la", Yuan(230000)));
  Ok("payment.approve", kApprover, Decide("2019-02-01", r));
  for (int i = 0; i < 9; ++i)
    Paid(GrantRequest("2019-03-15", StrCat("child-", i), 3 + i, "standard", Yuan(30000)));
  EXPECT_EQ(Fund("fund.la").Available(), 0);
  Refused(
      "payment.request", kClerk, GrantRequest("2019-03-15", "child-9", 4, "standard", Yuan(30000)),
      Code::kFailedPrecondition, {"fund fund.la", "0.00 yuan available", "needs 30000.00 yuan"});
  EXPECT_FALSE(Child("child-9").has_value());
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

// ---------------------------------------------------------------------------
// Books::Apply directly, over a vector of leaves.

class LeafBooks {
 public:
  LeafBooks()
      : books_([this](uint64_t i) -> absl::StatusOr<std::string> {
          if (i >= leaves_.size()) return absl::NotFoundError(StrCat("no leaf ", i));
          return leaves_[i];
        }) {}
  LeafBooks(const LeafBooks&) = delete;
  LeafBooks& operator=(const LeafBooks&) = delete;

  // Fills in the expected postings (unless `postings` is given), round-trips the
  // body through its JSON as a reader would, applies it, and keeps the leaf.
  absl::Status Apply(const std::string& kind, const std::string& by, Body body,
                     std::optional<std::vector<Posting>> postings = std::nullopt,
                     uint64_t time_ms = kJune1Noon) {
    Entry e{kind, by, std::move(body)};
    if (!postings.has_value()) {
      absl::StatusOr<std::vector<Posting>> p = ExpectedPostings(e, books_);
      if (p.ok()) postings = *p;
    }
    std::visit(
        [&](auto& b) {
          if constexpr (requires { b.postings; })
            b.postings = postings.value_or(std::vector<Posting>{});
        },
        e.body);
    const std::string body_json = CanonicalBody(e);
    absl::StatusOr<Entry> parsed = ParseEntry(kind, std::string_view(body_json));
    if (!parsed.ok()) return parsed.status();
    const uint64_t index = leaves_.size();
    absl::Status s = books_.Apply(*parsed, index, time_ms);
    if (s.ok()) {
      leaves_.push_back(ledger::EncodeLeaf(
          ledger::LeafHeader{index, StrCat("k", index), kind, {}, time_ms}, body_json));
    }
    return s;
  }
  Books& books() { return books_; }
  uint64_t size() const { return leaves_.size(); }

 private:
  std::vector<std::string> leaves_;
  Books books_;
};

void ExpectStatus(const absl::Status& s, Code code, const std::vector<std::string>& names) {
  EXPECT_EQ(s.code(), code) << s;
  for (const std::string& n : names) EXPECT_THAT(std::string(ToStd(s.message())), HasSubstr(n));
}

TEST(BooksDirectTest, EntriesBeforeTheChartAndFundsAreOpened) {
  LeafBooks lb;
  const auto empty = lb.books().Snapshot();
  ExpectStatus(lb.Apply("gift", kClerk, MakeGift("2022-05-10", "cash", "fund.a", Yuan(1))),
               Code::kInvalidArgument, {"account 1001 is not open"});
  EXPECT_EQ(lb.books().Snapshot(), empty);
  for (AccountOpen& a : StandardChart()) ASSERT_TRUE(lb.Apply("account.open", kAdmin, a).ok());
  const auto chart = lb.books().Snapshot();
  ExpectStatus(lb.Apply("gift", kClerk, MakeGift("2022-05-10", "cash", "fund.a", Yuan(1))),
               Code::kInvalidArgument, {"fund \"fund.a\" is not open"});
  EXPECT_EQ(lb.books().Snapshot(), chart);
  ASSERT_TRUE(lb.Apply("fund.open", kAdmin, FundOpen{"fund.a", "A", "a", true}).ok());
  ASSERT_TRUE(lb.Apply("gift", kClerk, MakeGift("2022-05-10", "cash", "fund.a", Yuan(1))).ok());
  EXPECT_EQ(lb.books().balances().at({"1001", "fund.a"}), Yuan(1));
  EXPECT_TRUE(lb.books().TakeDirty().size() > 0);
}

TEST(BooksDirectTest, PostingsThatDoNotBalanceOrDifferAreRefused) {
  LeafBooks lb;
  for (AccountOpen& a : StandardChart()) ASSERT_TRUE(lb.Apply("account.open", kAdmin, a).ok());
  ASSERT_TRUE(lb.Apply("fund.open", kAdmin, FundOpen{"fund.a", "A", "a", true}).ok());
  ASSERT_TRUE(lb.Apply("fund.open", kAdmin, FundOpen{"fund.b", "B", "b", false}).ok());
  const auto before = lb.books().Snapshot();
  const Gift g = MakeGift("2022-05-10", "bank", "fund.a", Yuan(10));
  for (const std::vector<Posting>& wrong :
       {std::vector<Posting>{{"1002", "fund.a", Yuan(10)}, {"4101", "fund.a", -Yuan(9)}},
        std::vector<Posting>{{"1002", "fund.a", Yuan(10)}, {"4101", "fund.b", -Yuan(10)}},
        std::vector<Posting>{{"4101", "fund.a", -Yuan(10)},
                             {"1002", "fund.a", Yuan(10)}},  // order matters
        std::vector<Posting>{{"1002", "fund.a", Yuan(10)}, {"4201", "fund.a", -Yuan(10)}},
        std::vector<Posting>{{"9999", "fund.a", Yuan(10)}, {"4101", "fund.a", -Yuan(10)}}}) {
    ExpectStatus(lb.Apply("gift", kClerk, g, wrong), Code::kInvalidArgument,
                 {"postings are not the ones"});
    EXPECT_EQ(lb.books().Snapshot(), before);
  }
  // Books without a leaf reader cannot judge a reversal, and say so.
  Books bare(nullptr);
  for (AccountOpen& a : StandardChart())
    ASSERT_TRUE(bare.Apply(Entry{"account.open", kAdmin, a}, 1, kJune1Noon).ok());
  Entry rev{"reversal", kClerk,
            Reversal{"2022-05-10", "x", 0, {{"1002", "fund.a", 1}, {"4101", "fund.a", -1}}}};
  ExpectStatus(bare.Apply(rev, 20, kJune1Noon), Code::kInternal, {"no leaf reader"});
  EXPECT_TRUE(bare.reversed().empty());
}

TEST(BooksDirectTest, ReversalNamesOnlyEarlierEntries) {
  LeafBooks lb;
  for (AccountOpen& a : StandardChart()) ASSERT_TRUE(lb.Apply("account.open", kAdmin, a).ok());
  ASSERT_TRUE(lb.Apply("fund.open", kAdmin, FundOpen{"fund.a", "A", "a", true}).ok());
  ASSERT_TRUE(lb.Apply("gift", kClerk, MakeGift("2022-05-10", "bank", "fund.a", Yuan(10))).ok());
  const uint64_t gift = lb.size() - 1;
  const auto before = lb.books().Snapshot();
  const std::vector<Posting> mirror = {{"1002", "fund.a", -Yuan(10)}, {"4101", "fund.a", Yuan(10)}};
  ExpectStatus(lb.Apply("reversal", kClerk, Reverse("2022-05-10", lb.size()), mirror),
               Code::kInvalidArgument, {"can only name an earlier entry"});
  ExpectStatus(lb.Apply("reversal", kClerk, Reverse("2022-05-10", lb.size() + 9), mirror),
               Code::kInvalidArgument, {"can only name an earlier entry"});
  ExpectStatus(lb.Apply("reversal", kClerk, Reverse("2022-05-10", gift - 1), mirror),
               Code::kInvalidArgument, {StrCat("entry ", gift - 1, " is a fund.open entry")});
  EXPECT_EQ(lb.books().Snapshot(), before);
  ASSERT_TRUE(lb.Apply("reversal", kClerk, Reverse("2022-05-10", gift)).ok());
  EXPECT_EQ(lb.books().balances().at({"1002", "fund.a"}), 0);
  ExpectStatus(lb.Apply("reversal", kClerk, Reverse("2022-05-10", gift), mirror),
               Code::kAlreadyExists,
               {StrCat("entry ", gift, " was already reversed by entry ", gift + 1)});
}

TEST(BooksDirectTest, DateOfIsChinaStandardTime) {
  EXPECT_EQ(DateOf(0), "1970-01-01");
  EXPECT_EQ(DateOf(kJune1Noon), "2022-06-01");
  const uint64_t midnight_cst = 1654041600000ull + 16 * 3600 * 1000ull;  // 2022-06-01T16:00Z
  EXPECT_EQ(DateOf(midnight_cst - 1), "2022-06-01");
  EXPECT_EQ(DateOf(midnight_cst), "2022-06-02");
  EXPECT_EQ(DateOf(1582934400000ull), "2020-02-29");  // 2020-02-29T00:00Z
  EXPECT_EQ(DateOf(1609430400000ull), "2021-01-01");  // 2020-12-31T16:00Z
}

TEST(BooksDirectTest, CheckDateKnowsTheCalendar) {
  for (const char* ok :
       {"2019-01-31", "2019-02-28", "2020-02-29", "2000-02-29", "2019-04-30", "2019-12-31"}) {
    EXPECT_TRUE(CheckDate("date", ok).ok()) << ok;
  }
  for (const char* bad :
       {"2019-02-29", "1900-02-29", "2019-04-31", "2019-06-31", "2019-13-01", "2019-00-01",
        "2019-01-00", "2019/09/09", "19-09-09", "2019-09-09 ", "２０１９-09-09"}) {
    absl::Status s = CheckDate("date", bad);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(ToStd(s.message())), HasSubstr(StrCat("\"", bad, "\""))) << bad;
  }
}

TEST(BooksReceiptBookTest, IssueMergesRangesAndGapsCountVoids) {
  ReceiptBook b;
  for (int64_t n : {1, 2, 5}) b.Issue(n);
  b.voided.insert(7);
  using Gaps = std::vector<std::pair<int64_t, int64_t>>;
  EXPECT_EQ(b.Gaps(), (Gaps{{3, 4}, {6, 6}}));
  EXPECT_EQ(b.issued, (std::map<int64_t, int64_t>{{1, 2}, {5, 5}}));
  b.Issue(4);
  EXPECT_EQ(b.issued, (std::map<int64_t, int64_t>{{1, 2}, {4, 5}}));
  b.Issue(3);
  EXPECT_EQ(b.issued, (std::map<int64_t, int64_t>{{1, 5}}));
  EXPECT_EQ(b.Gaps(), (Gaps{{6, 6}}));
  for (int64_t n : {0, 1, 3, 5}) EXPECT_EQ(b.IsIssued(n), n != 0) << n;
  EXPECT_FALSE(b.IsIssued(6));
  EXPECT_FALSE(b.IsIssued(7));  // voided is not issued
  b.Unissue(3);
  EXPECT_EQ(b.issued, (std::map<int64_t, int64_t>{{1, 2}, {4, 5}}));
  b.Unissue(1);
  b.Unissue(5);
  EXPECT_EQ(b.issued, (std::map<int64_t, int64_t>{{2, 2}, {4, 4}}));
  EXPECT_EQ(b.Gaps(), (Gaps{{3, 3}, {5, 6}}));
  ReceiptBook empty;
  EXPECT_TRUE(empty.Gaps().empty());
}

}  // namespace
}  // namespace boai::books
