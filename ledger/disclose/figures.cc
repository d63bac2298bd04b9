#include "ledger/disclose/figures.h"

#include <algorithm>
#include <cstdio>
#include <tuple>

#include "ledger/books/books.h"
#include "ledger/leaf.h"
#include "ledger/strings.h"

namespace boai::disclose {
namespace {

using nlohmann::json;

std::string S(const json& j, const char* f) {
  return j.is_object() && j.contains(f) && j[f].is_string() ? j[f].get<std::string>() : "";
}
int64_t I(const json& j, const char* f) {
  return j.is_object() && j.contains(f) && j[f].is_number_integer() ? j[f].get<int64_t>() : 0;
}
json OrNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int DaysIn(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

std::string Ymd(int y, int m, int d) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
  return buf;
}

// The kinds whose leaves carry postings (they move money).
bool HasPostings(const Leaf& l) {
  return l.body.is_object() && l.body.contains("postings") && l.body["postings"].is_array();
}

bool Touches(const Leaf& l, const std::string& fund) {
  if (fund.empty()) return true;
  if (!HasPostings(l)) return false;
  for (const json& p : l.body["postings"]) {
    if (S(p, "fund") == fund) return true;
  }
  return false;
}

// The campaign a counted leaf names, if any.
std::string CampaignOf(const Leaf& l) { return S(l.body, "campaign"); }

}  // namespace

json Period::ToJson() const {
  return {{"kind", kind}, {"id", id}, {"from", from}, {"to", to}, {"fund", OrNull(fund)}};
}

std::string Leaf::Date() const { return S(body, "date"); }

absl::StatusOr<Leaf> ParseLeaf(std::string bytes) {
  ledger::LeafDecoder decoder;
  absl::StatusOr<ledger::DecodedLeaf> d = decoder.Decode(bytes);
  if (!d.ok()) return d.status();
  Leaf l;
  l.index = d->header.index;
  l.time_ms = d->header.time_ms;
  l.kind = d->header.kind;
  l.body = json::parse(d->body, nullptr, /*allow_exceptions=*/false);
  if (l.body.is_discarded() || !l.body.is_object()) {
    return absl::InvalidArgumentError(StrCat("leaf ", l.index, ": the body is not a JSON object"));
  }
  l.bytes = std::move(bytes);
  return l;
}

std::string AddMonths(std::string_view date, int months) {
  int y = std::stoi(std::string(date.substr(0, 4)));
  int m = std::stoi(std::string(date.substr(5, 2)));
  int d = std::stoi(std::string(date.substr(8, 2)));
  int total = y * 12 + (m - 1) + months;
  y = total / 12;
  m = total % 12 + 1;
  return Ymd(y, m, std::min(d, DaysIn(y, m)));
}

std::string AddDays(std::string_view date, int days) {
  int y = std::stoi(std::string(date.substr(0, 4)));
  int m = std::stoi(std::string(date.substr(5, 2)));
  int d = std::stoi(std::string(date.substr(8, 2)));
  for (; days > 0; --days) {
    if (++d > DaysIn(y, m)) {
      d = 1;
      if (++m > 12) m = 1, ++y;
    }
  }
  for (; days < 0; ++days) {
    if (--d < 1) {
      if (--m < 1) m = 12, --y;
      d = DaysIn(y, m);
    }
  }
  return Ymd(y, m, d);
}

absl::StatusOr<Period> ResolvePeriod(std::string_view spec, const std::vector<Leaf>& all) {
  Period p;
  p.id = std::string(spec);
  if (spec.size() == 4 && IsDigits(spec)) {
    p.kind = "year";
    p.from = StrCat(spec, "-01-01");
    p.to = StrCat(spec, "-12-31");
    return p;
  }
  if (spec.size() == 6 && IsDigits(spec.substr(0, 4)) && spec[4] == 'Q' && spec[5] >= '1' &&
      spec[5] <= '4') {
    int q = spec[5] - '0';
    int y = std::stoi(std::string(spec.substr(0, 4)));
    p.kind = "quarter";
    p.from = Ymd(y, 3 * q - 2, 1);
    p.to = Ymd(y, 3 * q, DaysIn(y, 3 * q));
    return p;
  }
  if (spec.size() == 7 && IsDigits(spec.substr(0, 4)) && spec[4] == '-' &&
      IsDigits(spec.substr(5))) {
    int y = std::stoi(std::string(spec.substr(0, 4)));
    int m = std::stoi(std::string(spec.substr(5)));
    if (m < 1 || m > 12) {
      return absl::InvalidArgumentError(StrCat("period \"", spec, "\": month must be 01 to 12"));
    }
    p.kind = "month";
    p.from = Ymd(y, m, 1);
    p.to = Ymd(y, m, DaysIn(y, m));
    return p;
  }
  // A campaign or programme covers its fund from its start up to the newest entry.
  std::string last = all.empty() ? "" : books::DateOf(all.back().time_ms);
  for (const Leaf& l : all) {
    if (l.kind == "campaign.open" && S(l.body, "id") == spec) {
      p.kind = "campaign";
      p.from = S(l.body, "start");
      p.to = std::max(S(l.body, "end"), last);
      p.fund = S(l.body, "fund");
      return p;
    }
  }
  for (const Leaf& l : all) {
    if (l.kind == "programme.rules" && S(l.body, "programme") == spec) {
      std::string from = S(l.body, "effective_from");
      if (p.kind.empty() || from < p.from) p.from = from;
      p.kind = "programme";
      p.fund = S(l.body, "fund");  // the newest version's fund
    }
  }
  if (!p.kind.empty()) {
    p.to = std::max(last, p.from);
    return p;
  }
  return absl::InvalidArgumentError(
      StrCat("period \"", spec,
             "\" is not a year (2019), a quarter (2019Q3), a month (2019-09), or the id of a "
             "campaign or programme in this ledger"));
}

std::set<uint64_t> SelectLeaves(const Period& p, const std::vector<Leaf>& all) {
  auto in_period = [&p](const std::string& d) { return !d.empty() && d >= p.from && d <= p.to; };
  std::set<uint64_t> out;
  std::map<std::string, uint64_t> campaign_open;
  std::map<std::string, std::vector<uint64_t>> rules;
  std::map<std::pair<std::string, int64_t>, uint64_t> receipts;
  // A counted approval (or reversal of one) lists its programme's rules, for names.
  auto list_rules_of_request = [&](uint64_t request) {
    if (request >= all.size()) return;
    const json& b = all[request].body;
    if (b.contains("grant")) {
      for (uint64_t r : rules[S(b["grant"], "programme")]) out.insert(r);
    }
  };
  for (const Leaf& l : all) {
    const std::string date = l.Date();
    if (l.kind == "account.open") {
      out.insert(l.index);
    } else if (l.kind == "fund.open") {
      if (p.fund.empty() || S(l.body, "id") == p.fund) out.insert(l.index);
    } else if (l.kind == "campaign.open") {
      campaign_open[S(l.body, "id")] = l.index;
      bool overlaps = S(l.body, "start") <= p.to && S(l.body, "end") >= p.from;
      if (overlaps && (p.fund.empty() || S(l.body, "fund") == p.fund)) out.insert(l.index);
    } else if (l.kind == "programme.rules") {
      rules[S(l.body, "programme")].push_back(l.index);
      if (p.kind == "programme" && S(l.body, "programme") == p.id) out.insert(l.index);
    } else if (l.kind == "receipt.void") {
      auto it = receipts.find({S(l.body, "book"), I(l.body, "number")});
      bool gift_in_scope = it != receipts.end() && Touches(all[it->second], p.fund);
      if (in_period(date) && (p.fund.empty() || gift_in_scope)) {
        out.insert(l.index);
        if (it != receipts.end()) out.insert(it->second);
      }
    } else if (l.kind == "indicator") {
      if (in_period(date) && p.fund.empty()) out.insert(l.index);
    }
    if (l.kind == "gift" && l.body.contains("receipt")) {
      receipts[{S(l.body["receipt"], "book"), I(l.body["receipt"], "number")}] = l.index;
    }
    if (!HasPostings(l) || !Touches(l, p.fund) || date.empty() || date > p.to) continue;
    out.insert(l.index);
    // What a counted leaf refers to.
    const Leaf* subject = &l;  // the leaf whose figures count (the target of a reversal)
    if (l.kind == "reversal") {
      uint64_t target = static_cast<uint64_t>(I(l.body, "reverses"));
      if (target >= all.size()) continue;
      out.insert(target);
      subject = &all[target];
    }
    if (subject->kind == "payment.approve") {
      uint64_t request = static_cast<uint64_t>(I(subject->body, "request"));
      out.insert(request);
      if (in_period(date)) list_rules_of_request(request);
    }
    std::string campaign = CampaignOf(*subject);
    if (in_period(date) && !campaign.empty() && campaign_open.count(campaign)) {
      out.insert(campaign_open[campaign]);
    }
  }
  return out;
}

const std::vector<std::string>& FigureSections() {
  static const std::vector<std::string> kSections = {
      "income", "payments", "in_kind",     "campaigns",  "funds",
      "aid",    "donors",   "corrections", "indicators", "monthly"};
  return kSections;
}

namespace {

struct FundIncome {
  int64_t donations = 0, grants = 0, matching = 0;
};
struct CampaignFigures {
  int64_t raised = 0, gifts = 0, matched = 0, clawed_back = 0, settled_gifts = 0,
          settled_matching = 0;
};
struct Sum {
  int64_t amount = 0, count = 0;
};

// Sums the counted leaves. Every counted leaf adds its figures with sign +1; a
// counted reversal adds its target's figures with sign -1, on its own date.
class Tally {
 public:
  Tally(const Period& p, const std::map<uint64_t, Leaf>& listed) : p_(p), listed_(listed) {}

  absl::StatusOr<const Leaf*> Get(uint64_t index, const Leaf& by, const char* what) const {
    auto it = listed_.find(index);
    if (it == listed_.end()) {
      return absl::InvalidArgumentError(StrCat("entry ", by.index, " (", by.kind, ") names ", what,
                                               " ", index, ", which is not listed"));
    }
    return &it->second;
  }

  absl::Status Count(const Leaf& l, int sign, const std::string& month) {
    const json& b = l.body;
    if (l.kind == "gift") {
      int64_t a = sign * I(b, "amount");
      std::string fund = S(b, "fund");
      FundIncome& fi = by_fund_[fund];
      if (S(b, "income") == "grant") {
        grants_ += a;
        fi.grants += a;
      } else {
        donations_ += a;
        fi.donations += a;
      }
      Sum& ch = by_channel_[S(b, "channel")];
      ch.amount += a;
      ch.count += sign;
      if (!CampaignOf(l).empty()) {
        CampaignFigures& c = campaigns_[CampaignOf(l)];
        c.raised += a;
        c.gifts += sign;
      }
      monthly_[{month, fund}].first += a;
    } else if (l.kind == "match" || l.kind == "match.clawback") {
      int64_t a = sign * I(b, "amount");
      std::string fund = S(b["postings"][0], "fund");
      CampaignFigures& c = campaigns_[CampaignOf(l)];
      if (l.kind == "match.clawback") {
        c.clawed_back += a;
        a = -a;
      } else {
        c.matched += a;
      }
      matching_ += a;
      by_fund_[fund].matching += a;
      monthly_[{month, fund}].first += a;
    } else if (l.kind == "settlement") {
      CampaignFigures& c = campaigns_[CampaignOf(l)];
      c.settled_gifts += sign * I(b, "gifts");
      c.settled_matching += sign * I(b, "matching");
    } else if (l.kind == "payment.approve") {
      absl::StatusOr<const Leaf*> req =
          Get(static_cast<uint64_t>(I(b, "request")), l, "payment request");
      if (!req.ok()) return req.status();
      const json& r = (*req)->body;
      int64_t a = sign * I(r, "amount");
      std::string fund = S(r, "fund");
      std::string programme = r.contains("grant") ? S(r["grant"], "programme") : "";
      payments_.amount += a;
      payments_.count += sign;
      Sum& bp = by_programme_[{fund, programme}];
      bp.amount += a;
      bp.count += sign;
      fund_payments_[fund] += a;
      if (!programme.empty()) {
        Sum& t = aid_[{programme, S(r["grant"], "tier")}];
        t.amount += a;
        t.count += sign;
      }
      monthly_[{month, fund}].second += a;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<json> Run() {
    auto in_period = [this](const std::string& d) {
      return !d.empty() && d >= p_.from && d <= p_.to;
    };
    std::map<std::string, std::string> account_type, fund_name;
    std::map<uint64_t, uint64_t> reversed_by;
    std::map<std::pair<std::string, int64_t>, uint64_t> receipts;
    std::map<std::string, std::string> latest_rules_name;
    std::map<std::string, int64_t> latest_rules_version;
    for (const auto& [i, l] : listed_) {
      if (l.kind == "account.open") account_type[S(l.body, "id")] = S(l.body, "type");
      if (l.kind == "fund.open") fund_name[S(l.body, "id")] = S(l.body, "name");
      if (l.kind == "reversal") reversed_by[static_cast<uint64_t>(I(l.body, "reverses"))] = i;
      if (l.kind == "gift" && l.body.contains("receipt")) {
        receipts[{S(l.body["receipt"], "book"), I(l.body["receipt"], "number")}] = i;
      }
      if (l.kind == "programme.rules" &&
          I(l.body, "version") > latest_rules_version[S(l.body, "programme")]) {
        latest_rules_version[S(l.body, "programme")] = I(l.body, "version");
        latest_rules_name[S(l.body, "programme")] = S(l.body, "name");
      }
    }
    auto reversal_of = [&reversed_by](uint64_t i) {
      auto it = reversed_by.find(i);
      return it == reversed_by.end() ? json(nullptr) : json(it->second);
    };

    json donors = json::array(), in_kind = json::array(), items = json::array(),
         corrections = json::array(), indicators = json::array();
    std::map<std::string, int64_t> opening, closing;
    for (const auto& [i, l] : listed_) {
      const std::string date = l.Date();
      // Fund balances: net assets from the postings of every listed leaf.
      if (HasPostings(l) && !date.empty() && date <= p_.to) {
        for (const json& post : l.body["postings"]) {
          const std::string& type = account_type[S(post, "account")];
          if (type != "income" && type != "expense" && type != "net_assets") continue;
          int64_t net = -I(post, "amount");  // credits raise net assets
          closing[S(post, "fund")] += net;
          if (date < p_.from) opening[S(post, "fund")] += net;
        }
      }
      bool counted = in_period(date) && (HasPostings(l) ? Touches(l, p_.fund) : true);
      if (!counted) continue;
      const std::string month = date.substr(0, 7);
      const json& b = l.body;
      if (l.kind == "reversal") {
        absl::StatusOr<const Leaf*> t =
            Get(static_cast<uint64_t>(I(b, "reverses")), l, "reversed entry");
        if (!t.ok()) return t.status();
        absl::Status s = Count(**t, -1, month);
        if (!s.ok()) return s;
        corrections.push_back({{"index", i},
                               {"kind", "reversal"},
                               {"date", date},
                               {"corrects", (*t)->index},
                               {"corrects_kind", (*t)->kind},
                               {"amount", AmountOf(**t)},
                               {"receipt_book", nullptr},
                               {"receipt_number", nullptr},
                               {"reason", S(b, "reason")}});
        continue;
      }
      if (l.kind == "receipt.void") {
        auto it = receipts.find({S(b, "book"), I(b, "number")});
        corrections.push_back(
            {{"index", i},
             {"kind", "receipt.void"},
             {"date", date},
             {"corrects", it == receipts.end() ? json(nullptr) : json(it->second)},
             {"corrects_kind", it == receipts.end() ? json(nullptr) : json("gift")},
             {"amount", nullptr},
             {"receipt_book", S(b, "book")},
             {"receipt_number", I(b, "number")},
             {"reason", S(b, "reason")}});
        continue;
      }
      if (l.kind == "indicator") {
        indicators.push_back({{"index", i},
                              {"date", date},
                              {"id", S(b, "id")},
                              {"name", S(b, "name")},
                              {"value", I(b, "value")},
                              {"unit", S(b, "unit")}});
        continue;
      }
      if (!HasPostings(l)) continue;
      absl::Status s = Count(l, +1, month);
      if (!s.ok()) return s;
      if (l.kind == "gift") {
        json receipt_book = nullptr, receipt_number = nullptr;
        if (b.contains("receipt")) {
          receipt_book = S(b["receipt"], "book");
          receipt_number = I(b["receipt"], "number");
        }
        std::string display = b.contains("donor") ? S(b["donor"], "display") : "";
        donors.push_back({{"index", i},
                          {"date", date},
                          {"display", display},
                          {"amount", I(b, "amount")},
                          {"channel", S(b, "channel")},
                          {"income", S(b, "income")},
                          {"fund", S(b, "fund")},
                          {"campaign", OrNull(S(b, "campaign"))},
                          {"receipt_book", receipt_book},
                          {"receipt_number", receipt_number},
                          {"reversed_by", reversal_of(i)}});
        if (b.contains("in_kind")) {
          const json& k = b["in_kind"];
          in_kind.push_back({{"index", i},
                             {"date", date},
                             {"fund", S(b, "fund")},
                             {"description", S(k, "description")},
                             {"quantity", I(k, "quantity")},
                             {"unit", S(k, "unit")},
                             {"method", S(k, "method")},
                             {"amount", I(b, "amount")},
                             {"evidence_sha256", S(k, "evidence_sha256")},
                             {"donor", display},
                             {"reversed_by", reversal_of(i)}});
        }
      } else if (l.kind == "payment.approve") {
        const json& r = listed_.at(static_cast<uint64_t>(I(b, "request"))).body;
        bool grant = r.contains("grant");
        items.push_back({{"index", i},
                         {"request", I(b, "request")},
                         {"date", date},
                         {"fund", S(r, "fund")},
                         {"programme", grant ? json(S(r["grant"], "programme")) : json(nullptr)},
                         {"tier", grant ? json(S(r["grant"], "tier")) : json(nullptr)},
                         {"purpose", S(r, "purpose")},
                         {"method", S(r, "method")},
                         {"amount", I(r, "amount")},
                         {"reversed_by", reversal_of(i)}});
      }
    }

    json out;
    json by_channel = json::array();
    for (const char* ch : {"cash", "bank", "online", "in_kind"}) {
      by_channel.push_back(
          {{"channel", ch}, {"amount", by_channel_[ch].amount}, {"count", by_channel_[ch].count}});
    }
    json by_fund = json::array();
    for (const auto& [fund, f] : by_fund_) {
      by_fund.push_back({{"fund", fund},
                         {"name", fund_name[fund]},
                         {"donations", f.donations},
                         {"grants", f.grants},
                         {"matching", f.matching},
                         {"total", f.donations + f.grants + f.matching}});
    }
    out["income"] = {{"total", donations_ + grants_ + matching_},
                     {"donations", donations_},
                     {"grants", grants_},
                     {"matching", matching_},
                     {"by_channel", by_channel},
                     {"by_fund", by_fund}};
    json by_programme = json::array();
    for (const auto& [key, s] : by_programme_) {
      by_programme.push_back({{"fund", key.first},
                              {"name", fund_name[key.first]},
                              {"programme", OrNull(key.second)},
                              {"amount", s.amount},
                              {"count", s.count}});
    }
    out["payments"] = {{"total", payments_.amount},
                       {"count", payments_.count},
                       {"by_programme", by_programme},
                       {"items", items}};
    out["in_kind"] = in_kind;
    json campaigns = json::array();
    json funds = json::array();
    for (const auto& [i, l] : listed_) {
      const json& b = l.body;
      if (l.kind == "campaign.open") {
        const CampaignFigures& c = campaigns_[S(b, "id")];
        campaigns.push_back({{"id", S(b, "id")},
                             {"index", i},
                             {"name", S(b, "name")},
                             {"fund", S(b, "fund")},
                             {"platform", S(b, "platform")},
                             {"start", S(b, "start")},
                             {"end", S(b, "end")},
                             {"target", I(b, "target")},
                             {"raised", c.raised},
                             {"gifts", c.gifts},
                             {"matched", c.matched},
                             {"clawed_back", c.clawed_back},
                             {"matched_net", c.matched - c.clawed_back},
                             {"settled_gifts", c.settled_gifts},
                             {"settled_matching", c.settled_matching},
                             {"settled", c.settled_gifts + c.settled_matching}});
      } else if (l.kind == "fund.open") {
        std::string id = S(b, "id");
        const FundIncome& f = by_fund_.count(id) ? by_fund_[id] : FundIncome{};
        funds.push_back({{"id", id},
                         {"index", i},
                         {"name", S(b, "name")},
                         {"purpose", S(b, "purpose")},
                         {"restricted", b.value("restricted", false)},
                         {"opening", opening[id]},
                         {"income", f.donations + f.grants + f.matching},
                         {"payments", fund_payments_[id]},
                         {"closing", closing[id]}});
      }
    }
    for (const auto& [id, c] : campaigns_) {
      bool shown = std::any_of(campaigns.begin(), campaigns.end(),
                               [&id](const json& row) { return row["id"] == id; });
      if (!shown) {
        return absl::InvalidArgumentError(
            StrCat("a counted entry names campaign ", id, ", whose campaign.open is not listed"));
      }
    }
    out["campaigns"] = campaigns;
    out["funds"] = funds;
    json aid = json::array();
    for (const auto& [key, s] : aid_) {
      aid.push_back({{"programme", key.first},
                     {"name", latest_rules_name[key.first]},
                     {"tier", key.second},
                     {"count", s.count},
                     {"amount", s.amount}});
    }
    out["aid"] = aid;
    out["donors"] = donors;
    out["corrections"] = corrections;
    out["indicators"] = indicators;
    json monthly = json::array();
    for (const auto& [key, v] : monthly_) {
      monthly.push_back({{"month", key.first},
                         {"fund", key.second},
                         {"income", v.first},
                         {"payments", v.second}});
    }
    out["monthly"] = monthly;
    return out;
  }

  // The amount a correction note shows for the entry it reverses.
  int64_t AmountOf(const Leaf& t) const {
    if (t.kind == "settlement") return I(t.body, "gifts") + I(t.body, "matching");
    if (t.kind == "payment.approve") {
      auto it = listed_.find(static_cast<uint64_t>(I(t.body, "request")));
      return it == listed_.end() ? 0 : I(it->second.body, "amount");
    }
    return I(t.body, "amount");
  }

 private:
  const Period& p_;
  const std::map<uint64_t, Leaf>& listed_;
  int64_t donations_ = 0, grants_ = 0, matching_ = 0;
  std::map<std::string, Sum> by_channel_;
  std::map<std::string, FundIncome> by_fund_;
  std::map<std::string, CampaignFigures> campaigns_;
  Sum payments_;
  std::map<std::pair<std::string, std::string>, Sum> by_programme_, aid_;
  std::map<std::string, int64_t> fund_payments_;
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> monthly_;
};

}  // namespace

absl::StatusOr<json> ComputeFigures(const Period& period, const std::map<uint64_t, Leaf>& listed) {
  Tally t(period, listed);
  return t.Run();
}

}  // namespace boai::disclose
