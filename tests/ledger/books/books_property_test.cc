// Property tests of the books: seeded random sequences of finance operations
// (gifts of every channel, payment requests and decisions, reversals of earlier
// entries, platform matching, clawbacks and settlements, releases, programme
// grants, receipt voids, retries) go through the clerk and the writer; many are
// refused, which is fine. After every step the books must hold their invariants,
// and a refused operation must have changed nothing. At the end the state loaded
// back from the `state` column family, and the state rebuilt by replaying every
// leaf from index 0 into fresh Books, must both equal the live state.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "books_test_support.h"

namespace boai::books {
namespace {

using namespace ::boai::books::testing;  // NOLINT
using Code = absl::StatusCode;

constexpr int kOperationsPerSeed = 300;

const std::vector<std::string> kUnrestricted = {"fund.general", "fund.general2"};
const std::vector<std::string> kRestricted = {"fund.relief", "fund.la", "fund.gm", "fund.gm2"};
const std::map<std::string, std::string> kCampaignFund = {{"camp.a", "fund.gm"},
                                                          {"camp.b", "fund.gm2"}};
const std::vector<std::string> kMakers = {"clerk.wang", "clerk.zhao"};
constexpr char kApprover[] = "approver.li";
constexpr char kAdmin[] = "admin";

// "2022-05-01" + (day - 1) days, for day 1..61 (May and June).
std::string Day(int day) {
  if (day <= 31) return StrCat("2022-05-", day < 10 ? "0" : "", day);
  day -= 31;
  return StrCat("2022-06-", day < 10 ? "0" : "", day);
}
int DayOf(const std::string& date) {
  int d = (date[8] - '0') * 10 + (date[9] - '0');
  return date[6] == '6' ? d + 31 : d;
}

class Runner {
 public:
  explicit Runner(uint64_t seed) : rng_(seed) {}

  void Setup() {
    absl::Status s = h_.Open();
    ASSERT_TRUE(s.ok()) << s;
    std::vector<std::pair<std::string, bool>> funds;
    for (const auto& f : kUnrestricted) funds.emplace_back(f, false);
    for (const auto& f : kRestricted) funds.emplace_back(f, true);
    h_.OpenChartAndFunds(funds);
    Must("campaign.open", kAdmin,
         CampaignOpen{"camp.a", "99 Giving Day A", "fund.gm", "Tencent", "2022-05-05", "2022-05-20",
                      Yuan(20000)});
    Must("campaign.open", kAdmin,
         CampaignOpen{"camp.b", "99 Giving Day B", "fund.gm2", "Alipay", "2022-05-01", "2022-05-31",
                      Yuan(5000)});
    Must("programme.rules", kAdmin,
         ProgrammeRules{"prog.la",
                        "Little Angel",
                        "fund.la",
                        "2022-01-01",
                        1,
                        0,
                        14,
                        Yuan(3000),
                        {Tier{"standard", Yuan(3000), "", false}}});
    Must("programme.rules", kAdmin,
         ProgrammeRules{"prog.la",
                        "Little Angel",
                        "fund.la",
                        "2022-05-15",
                        2,
                        0,
                        18,
                        Yuan(5000),
                        {Tier{"standard", Yuan(3000), "", false},
                         Tier{"transplant_top_up", Yuan(2000), "standard", true}}});
  }

  void Step() {
    const int pick = Uniform(0, 99);
    if (pick < 28) return GiftOp();
    if (pick < 46) return RequestOp();
    if (pick < 60) return DecisionOp("payment.approve");
    if (pick < 64) return DecisionOp("payment.reject");
    if (pick < 67) return DecisionOp("payment.expire");
    if (pick < 75) return ReversalOp();
    if (pick < 80) return MatchOp();
    if (pick < 83) return ClawbackOp();
    if (pick < 87) return SettlementOp();
    if (pick < 91) return ReleaseOp();
    if (pick < 94) return VoidOp();
    return Retry();
  }

  // The invariants of the books, after every step.
  void CheckInvariants() {
    h_.Read([](const Books& b) {
      std::map<std::string, int64_t> sum, assets, reserved, voidable, receivable;
      for (const auto& [key, v] : b.balances()) {
        const auto& [account, fund] = key;
        EXPECT_TRUE(b.funds().count(fund)) << fund;
        EXPECT_TRUE(b.accounts().count(account)) << account;
        sum[fund] += v;
        const AccountType t = b.accounts().at(account).type;
        if (t == AccountType::kAsset) assets[fund] += v;
        if (account == kCash || account == kBank || account == kGoods) {
          EXPECT_GE(v, 0) << "account " << account << " of " << fund << " is negative";
        }
        if (account == kPlatformReceivable) {
          EXPECT_GE(v, 0) << fund;
        }
      }
      for (const auto& [index, p] : b.pending()) {
        reserved[p.request.fund] += p.request.amount;
        EXPECT_FALSE(p.by.empty());
        EXPECT_GT(p.request.amount, 0);
      }
      for (const auto& [id, c] : b.campaigns()) {
        EXPECT_GE(c.raised, 0) << id;
        EXPECT_GE(c.gifts, 0) << id;
        EXPECT_GE(c.online_unsettled, 0) << id;
        EXPECT_GE(c.matched, 0) << id;
        EXPECT_GE(c.clawed_back, 0) << id;
        EXPECT_GE(c.settled_gifts, 0) << id;
        EXPECT_GE(c.settled_matching, 0) << id;
        EXPECT_GE(c.MatchingOutstanding(), 0) << id;
        EXPECT_LE(c.online_unsettled, c.raised) << id;
        voidable[c.def.fund] += c.MatchingOutstanding();
        receivable[c.def.fund] += c.online_unsettled + c.MatchingOutstanding();
      }
      for (const auto& [id, f] : b.funds()) {
        EXPECT_EQ(sum[id], 0) << "postings of " << id << " do not balance";
        EXPECT_EQ(assets[id], f.net) << "assets != net assets in " << id;
        EXPECT_GE(f.Available(), 0) << id;
        EXPECT_GE(f.reserved, 0) << id;
        EXPECT_EQ(f.reserved, reserved[id]) << "reserved != pending requests in " << id;
        EXPECT_EQ(f.voidable, voidable[id]) << "voidable != outstanding matching in " << id;
        auto rec = b.balances().find({std::string(kPlatformReceivable), id});
        EXPECT_EQ(rec == b.balances().end() ? 0 : rec->second, receivable[id])
            << "platform receivable of " << id << " != unsettled gifts + matching";
      }
      for (const auto& [key, ben] : b.beneficiaries()) {
        EXPECT_FALSE(ben.tiers.empty()) << key;
        int64_t expected = 0;
        for (const std::string& t : ben.tiers)
          expected += t == "standard" ? Yuan(3000) : Yuan(2000);
        EXPECT_EQ(ben.total, expected) << key;
        EXPECT_LE(ben.total, Yuan(5000)) << key;
        if (ben.tiers.count("transplant_top_up")) {
          EXPECT_TRUE(ben.tiers.count("standard")) << key;
        }
      }
      for (const auto& [target, reversal] : b.reversed()) EXPECT_LT(target, reversal);
      return 0;
    });
  }

  void Finish() {
    const auto live = h_.Snapshot();
    EXPECT_EQ(h_.StoredState(), live) << "the state column family differs from the live books";
    // Derived state can be rebuilt from the leaves alone.
    std::unique_ptr<Books> rebuilt = RebuildFromLeaves(*h_.ledger());
    EXPECT_EQ(rebuilt->Snapshot(), live) << "replaying the leaves gives different books";
    // And it survives a restart.
    const uint64_t size = h_.ledger()->Size();
    h_.Close();
    absl::Status s = h_.Open();
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_EQ(h_.ledger()->Size(), size);
    EXPECT_EQ(h_.Snapshot(), live) << "the reopened books differ";
  }

  const std::map<std::string, int>& accepted() const { return accepted_; }
  const std::map<std::string, int>& refused() const { return refused_; }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Uniform(0, 99) < percent; }
  template <typename T>
  const T& OneOf(const std::vector<T>& v) {
    return v[Uniform(0, static_cast<int>(v.size()) - 1)];
  }
  // Mostly whole yuan, sometimes fen.
  int64_t Amount(int64_t max_yuan) {
    int64_t a = Yuan(Uniform(1, static_cast<int>(max_yuan)));
    if (Chance(20)) a += Uniform(1, 99);
    return a;
  }
  FundState FundNow(const std::string& id) {
    return h_.Read([&id](const Books& b) { return b.funds().at(id); });
  }
  int64_t Balance(std::string_view account, const std::string& fund) {
    return h_.Read([&](const Books& b) {
      auto it = b.balances().find({std::string(account), fund});
      return it == b.balances().end() ? int64_t{0} : it->second;
    });
  }
  CampaignState CampaignNow(const std::string& id) {
    return h_.Read([&id](const Books& b) { return b.campaigns().at(id); });
  }
  // An amount near `limit`: within it most of the time, sometimes just over.
  int64_t Around(int64_t limit) {
    if (limit <= 0 || Chance(15)) return Amount(500);
    int64_t a = std::uniform_int_distribution<int64_t>(1, limit)(rng_);
    if (Chance(15)) a = limit + Uniform(1, 10000);
    return a;
  }

  void Must(const std::string& kind, const std::string& by, Body body) {
    auto r = h_.Record(kind, by, std::move(body));
    ASSERT_TRUE(r.ok()) << kind << ": " << r.status();
  }

  // Submits one operation and checks what every operation must satisfy.
  absl::StatusOr<ledger::AppendResult> Submit(const std::string& kind, const std::string& by,
                                              Body body) {
    const std::string key = StrCat("op-", next_key_++);
    const auto before = h_.Snapshot();
    const uint64_t size = h_.ledger()->Size();
    auto r = h_.Record(kind, by, body, key);
    if (r.ok()) {
      EXPECT_FALSE(r->duplicate) << kind;
      EXPECT_EQ(r->index, size) << kind;
      EXPECT_EQ(h_.ledger()->Size(), size + 1) << kind;
      ++accepted_[kind];
      last_ = Last{kind, by, std::move(body), key, r->index};
      const Entry e = h_.EntryAt(r->index);
      EXPECT_EQ(e.kind, kind);
      EXPECT_EQ(e.by, by);
      if (PostingsOf(e) != nullptr) money_.push_back(r->index);
    } else {
      const Code c = r.status().code();
      EXPECT_TRUE(c == Code::kInvalidArgument || c == Code::kFailedPrecondition ||
                  c == Code::kAlreadyExists || c == Code::kPermissionDenied)
          << kind << ": " << r.status();
      EXPECT_FALSE(r.status().message().empty());
      EXPECT_EQ(h_.ledger()->Size(), size) << kind << " was refused but the log grew";
      EXPECT_EQ(h_.Snapshot(), before)
          << kind << " was refused (" << r.status() << ") but the books changed";
      ++refused_[StrCat(kind, " ", absl::StatusCodeToString(c))];
    }
    return r;
  }

  void GiftOp() {
    static const std::vector<std::string> kChannels = {"cash", "bank", "online", "in_kind"};
    const std::string channel = OneOf(kChannels);
    std::string fund, campaign;
    if (channel == "online" || Chance(15)) {
      campaign = Chance(50) ? "camp.a" : "camp.b";
      fund = kCampaignFund.at(campaign);
      if (Chance(5)) fund = OneOf(kRestricted);  // the wrong fund now and then
    } else {
      fund = Chance(40) ? OneOf(kUnrestricted) : OneOf(kRestricted);
    }
    const std::string date = Day(Uniform(1, Chance(3) ? 33 : 31));  // sometimes in the future
    Gift g = MakeGift(date, channel, fund, Amount(Chance(10) ? 20000 : 3000), 0,
                      Chance(15) ? "grant" : "donation", campaign);
    const int r = Uniform(0, 99);
    if (r < 50) {
      g.receipt_book = "HB2022";
      g.receipt_number = ++receipt_;
      g.no_receipt.clear();
    } else if (r < 58 && receipt_ > 0) {
      g.receipt_book = "HB2022";
      g.receipt_number = Uniform(1, static_cast<int>(receipt_));  // used before: refused
      g.no_receipt.clear();
    } else if (g.income == "grant") {
      g.no_receipt = "not_a_donation";
    }
    if (channel == "in_kind" && Chance(50)) {
      g.in_kind->method = "fair_value";
      g.in_kind->evidence_sha256 = Hex(StrCat("survey-", next_key_));
    }
    (void)Submit("gift", OneOf(kMakers), g);
  }

  void RequestOp() {
    PaymentRequest p;
    const int day = Uniform(1, 31);
    p.date = Day(day);
    p.expires = Day(std::min(61, day + Uniform(0, 20)));
    static const std::vector<std::string> kMethods = {"bank", "bank", "bank", "cash", "goods"};
    p.method = OneOf(kMethods);
    p.purpose = "aid";
    p.payee = StrCat("payee-", Uniform(1, 50));
    if (Chance(12)) {
      p.fund = "fund.la";
      Grant grant;
      grant.programme = "prog.la";
      grant.beneficiary = StrCat("child-", Uniform(0, 9));
      grant.tier = Chance(60) ? "standard" : "transplant_top_up";
      grant.age = Chance(80) ? child_age_[grant.beneficiary] : Uniform(0, 20);
      grant.transplant = Chance(70);
      p.amount = grant.tier == "standard" ? Yuan(3000) : Yuan(2000);
      if (Chance(10)) p.amount += Yuan(1);
      p.grant = grant;
    } else {
      p.fund = Chance(35) ? OneOf(kUnrestricted) : OneOf(kRestricted);
      p.amount = Around(FundNow(p.fund).Available());
    }
    // Mostly pay the way the fund holds the money, so that many approvals stand.
    if (Chance(75)) {
      std::vector<std::string> can;
      for (const auto& [method, account] : {std::pair<std::string, std::string_view>{"bank", kBank},
                                            {"cash", kCash},
                                            {"goods", kGoods}}) {
        if (Balance(account, p.fund) >= p.amount) can.push_back(method);
      }
      if (!can.empty()) p.method = OneOf(can);
    }
    (void)Submit("payment.request", OneOf(kMakers), p);
  }

  void DecisionOp(const std::string& kind) {
    const auto pending = h_.Read([](const Books& b) { return b.pending(); });
    uint64_t request;
    std::string maker = OneOf(kMakers), date;
    if (pending.empty() || Chance(5)) {
      request = static_cast<uint64_t>(Uniform(0, static_cast<int>(h_.ledger()->Size())));
      date = Day(Uniform(1, 31));
    } else {
      auto it = pending.begin();
      std::advance(it, Uniform(0, static_cast<int>(pending.size()) - 1));
      request = it->first;
      maker = it->second.by;
      const int from = DayOf(it->second.request.date);
      const int expires = DayOf(it->second.request.expires);
      if (kind == "payment.expire") {
        date = Day(Chance(80) ? std::min(32, expires + 1) : Uniform(from, 32));
      } else {
        date = Day(Uniform(Chance(5) ? 1 : from, Chance(85) ? std::min(expires, 32) : 32));
      }
    }
    std::string by = kind == "payment.approve" && Chance(90) ? kApprover : maker;
    PaymentDecision d =
        Decide(date, request, kind == "payment.reject" && Chance(90) ? "not eligible" : "");
    (void)Submit(kind, by, d);
  }

  void ReversalOp() {
    uint64_t target;
    if (!money_.empty() && Chance(75)) {
      target = money_[Uniform(0, static_cast<int>(money_.size()) - 1)];
    } else {
      target = static_cast<uint64_t>(Uniform(0, static_cast<int>(h_.ledger()->Size()) + 2));
    }
    (void)Submit("reversal", OneOf(kMakers), Reverse(Day(Uniform(1, 32)), target, "correction"));
  }

  std::string SomeCampaign() { return Chance(50) ? "camp.a" : "camp.b"; }

  void MatchOp() {
    (void)Submit("match", OneOf(kMakers),
                 Match{Day(Uniform(1, 31)), SomeCampaign(), "ref", Amount(2000), {}});
  }
  void ClawbackOp() {
    const std::string c = SomeCampaign();
    (void)Submit(
        "match.clawback", OneOf(kMakers),
        Clawback{
            Day(Uniform(1, 31)), c, "gaming", Around(CampaignNow(c).MatchingOutstanding()), {}});
  }
  void SettlementOp() {
    const std::string c = SomeCampaign();
    const CampaignState s = CampaignNow(c);
    int64_t gifts = Chance(20) ? 0 : Around(s.online_unsettled);
    int64_t matching = Chance(30) ? 0 : Around(s.MatchingOutstanding());
    if (gifts + matching == 0) gifts = 1;
    (void)Submit(
        "settlement", OneOf(kMakers),
        Settlement{Day(Uniform(1, 31)), c, Hex(StrCat("file-", next_key_)), gifts, matching, {}});
  }
  void ReleaseOp() {
    std::string from = OneOf(kRestricted), to = OneOf(kUnrestricted);
    if (Chance(10)) std::swap(from, to);
    const FundState f = FundNow(from);
    const int64_t bank = Balance(kBank, from);
    (void)Submit("fund.release", kAdmin,
                 Release{Day(Uniform(1, 31)),
                         from,
                         to,
                         "restriction met",
                         Around(std::min(f.Available(), bank)),
                         {}});
  }
  void VoidOp() {
    (void)Submit("receipt.void", OneOf(kMakers),
                 ReceiptVoid{Day(Uniform(1, 31)), "HB2022", "spoiled",
                             Uniform(1, static_cast<int>(receipt_) + 3)});
  }

  // Sends the last accepted operation again under its key: the same content is
  // answered with the original entry; different content is refused.
  void Retry() {
    if (!last_.has_value()) return;
    const auto before = h_.Snapshot();
    const uint64_t size = h_.ledger()->Size();
    auto r = h_.Record(last_->kind, last_->by, last_->body, last_->key);
    EXPECT_TRUE(r.ok()) << last_->kind << ": " << r.status();
    if (r.ok()) {
      EXPECT_TRUE(r->duplicate) << last_->kind;
      EXPECT_EQ(r->index, last_->index) << last_->kind;
    }
    if (auto* g = std::get_if<Gift>(&last_->body)) {
      Gift changed = *g;
      changed.amount += 1;
      auto c = h_.Record("gift", last_->by, changed, last_->key);
      EXPECT_EQ(c.status().code(), Code::kAlreadyExists) << c.status();
    }
    EXPECT_EQ(h_.ledger()->Size(), size);
    EXPECT_EQ(h_.Snapshot(), before);
    ++accepted_["retry"];
  }

  struct Last {
    std::string kind, by;
    Body body;
    std::string key;
    uint64_t index;
  };

  std::mt19937_64 rng_;
  LedgerHarness h_;
  int next_key_ = 0;
  int64_t receipt_ = 0;
  std::vector<uint64_t> money_;  // accepted entries with postings
  std::map<std::string, int64_t> child_age_ = {
      {"child-0", 3},  {"child-1", 5},  {"child-2", 7},  {"child-3", 9},  {"child-4", 11},
      {"child-5", 13}, {"child-6", 14}, {"child-7", 15}, {"child-8", 16}, {"child-9", 17}};
  std::optional<Last> last_;
  std::map<std::string, int> accepted_, refused_;
};

class BooksPropertyTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(BooksPropertyTest, RandomOperationsKeepTheInvariantsAndRebuildFromLeaves) {
  Runner run(GetParam());
  ASSERT_NO_FATAL_FAILURE(run.Setup());
  for (int i = 0; i < kOperationsPerSeed; ++i) {
    SCOPED_TRACE(StrCat("seed ", GetParam(), " step ", i));
    ASSERT_NO_FATAL_FAILURE(run.Step());
    ASSERT_NO_FATAL_FAILURE(run.CheckInvariants());
    if (HasFailure()) break;  // the first broken step is the interesting one
  }
  ASSERT_NO_FATAL_FAILURE(run.Finish());
  // The run must have exercised the rules, both ways.
  int kinds = 0;
  for (const auto& [kind, n] : run.accepted()) kinds += n > 0;
  EXPECT_GE(run.accepted().count("gift") ? run.accepted().at("gift") : 0, 20);
  EXPECT_GE(run.accepted().count("payment.approve") ? run.accepted().at("payment.approve") : 0, 5);
  EXPECT_GE(kinds, 9) << ::testing::PrintToString(run.accepted());
  EXPECT_GE(run.refused().size(), 8u) << ::testing::PrintToString(run.refused());
  RecordProperty("accepted", ::testing::PrintToString(run.accepted()));
  RecordProperty("refused", ::testing::PrintToString(run.refused()));
}

INSTANTIATE_TEST_SUITE_P(BooksSeeds, BooksPropertyTest, ::testing::Range<uint64_t>(1, 21));

}  // namespace
}  // namespace boai::books
