#include "ledger/books/entries.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <set>

#include "ledger/books/entry_reader.h"
#include "ledger/books/gift_body.h"
#include "ledger/canonical_json.h"
#include "ledger/strings.h"

namespace boai::books {
namespace {

using entries_internal::CanonicalForm;
using entries_internal::EncodeGiftBody;
using entries_internal::FieldName;
using entries_internal::IsHex64;
using entries_internal::NlohmannForm;
using entries_internal::Reader;
using entries_internal::ReadGiftBody;
using entries_internal::ReadPostings;
using nlohmann::json;

absl::StatusOr<AccountType> ParseAccountType(std::string_view s) {
  for (AccountType t : {AccountType::kAsset, AccountType::kLiability, AccountType::kNetAssets,
                        AccountType::kIncome, AccountType::kExpense}) {
    if (AccountTypeName(t) == s) return t;
  }
  return absl::InvalidArgumentError(StrCat(
      "account type \"", s, "\" is not one of asset, liability, net_assets, income, expense"));
}

}  // namespace

json PostingsJson(const std::vector<Posting>& ps) {
  json arr = json::array();
  for (const Posting& p : ps)
    arr.push_back({{"account", p.account}, {"amount", p.amount}, {"fund", p.fund}});
  return arr;
}

std::string_view AccountTypeName(AccountType t) {
  switch (t) {
    case AccountType::kAsset:
      return "asset";
    case AccountType::kLiability:
      return "liability";
    case AccountType::kNetAssets:
      return "net_assets";
    case AccountType::kIncome:
      return "income";
    case AccountType::kExpense:
      return "expense";
  }
  return "?";
}

absl::Status CheckDate(std::string_view field, std::string_view d) {
  bool ok = d.size() == 10 && d[4] == '-' && d[7] == '-';
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9}) ok = ok && d.size() == 10 && d[i] >= '0' && d[i] <= '9';
  if (ok) {
    int year = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
    int month = (d[5] - '0') * 10 + (d[6] - '0');
    int day = (d[8] - '0') * 10 + (d[9] - '0');
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    ok = month >= 1 && month <= 12 && day >= 1 &&
         day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        StrCat(field, " \"", d, "\" is not a date; write it as YYYY-MM-DD, e.g. 2019-09-09"));
  }
  return absl::OkStatus();
}

absl::Status CheckId(std::string_view field, std::string_view id) {
  static constexpr auto kIdChars = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c) {
      t[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '_' || c == '.';
    }
    return t;
  }();
  bool ok = !id.empty() && id.size() <= 64;
  for (char c : id) ok &= kIdChars[static_cast<unsigned char>(c)];
  if (!ok) {
    return absl::InvalidArgumentError(StrCat(
        field, " \"", id, "\" must be 1-64 characters of letters, digits, '-', '_' and '.'"));
  }
  return absl::OkStatus();
}

std::string MaskedName(std::string_view name) {
  name = StripWhitespace(name);
  if (name.empty()) return "";
  const unsigned char c = static_cast<unsigned char>(name[0]);
  const size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  return StrCat(name.substr(0, std::min(len, name.size())), "*");
}

absl::Status CheckAmount(std::string_view field, int64_t amount) {
  if (amount <= 0) {
    return absl::InvalidArgumentError(
        StrCat(field, " must be a positive number of fen (1 yuan = 100 fen), got ", amount));
  }
  return absl::OkStatus();
}

bool IsAccountingKind(std::string_view kind) { return kind.substr(0, 4) != "log."; }

namespace {

template <typename Form>
absl::StatusOr<Entry> ParseBody(std::string_view kind, const typename Form::Value& j) {
  using Value = typename Form::Value;
  Reader<Form> r(kind, j);
  // The entry is built inside the result, which every path returns (so it is never
  // moved on the way out).
  absl::StatusOr<Entry> result(absl::in_place);
  Entry& e = *result;
  e.kind = std::string(kind);
  e.by = r.Str("by");
  r.Check(CheckId("by", e.by));
  auto date = [&r]() {
    std::string d = r.Str("date");
    r.Check(CheckDate("date", d));
    return d;
  };
  auto amount = [&r](FieldName f) {
    int64_t a = r.Int(f);
    r.Check(CheckAmount(f.name, a));
    return a;
  };
  auto id = [&r](FieldName f, bool required = true) {
    std::string v = r.Str(f, required);
    if (required || !v.empty()) r.Check(CheckId(f.name, v));
    return v;
  };
  // date and id into a field filled in place.
  auto date_to = [&r](std::string* out) {
    r.StrTo(out, "date");
    r.Check(CheckDate("date", *out));
  };
  auto id_to = [&r](std::string* out, FieldName f, bool required = true) {
    r.StrTo(out, f, required);
    if (required || !out->empty()) r.Check(CheckId(f.name, *out));
  };
  auto postings = [&r, kind](bool required = true) {
    return ReadPostings(r, kind, r.Obj("postings", required));
  };

  if (kind == "account.open") {
    AccountOpen a{id("id"), r.Str("name")};
    absl::StatusOr<AccountType> t = ParseAccountType(r.Str("type"));
    if (t.ok())
      a.type = *t;
    else
      r.Check(t.status());
    e.body = std::move(a);
  } else if (kind == "fund.open") {
    e.body = FundOpen{id("id"), r.Str("name"), r.Str("purpose"), r.Bool("restricted")};
  } else if (kind == "campaign.open") {
    CampaignOpen c{id("id"),       r.Str("name"), id("fund"),      r.Str("platform"),
                   r.Str("start"), r.Str("end"),  amount("target")};
    r.Check(CheckDate("start", c.start));
    r.Check(CheckDate("end", c.end));
    if (c.end < c.start) r.Bad("end", "is before start");
    e.body = std::move(c);
  } else if (kind == "programme.rules") {
    ProgrammeRules p;
    p.programme = id("programme");
    p.name = r.Str("name");
    p.fund = id("fund");
    p.effective_from = r.Str("effective_from");
    r.Check(CheckDate("effective_from", p.effective_from));
    p.version = r.Int("version");
    p.age_min = r.Int("age_min");
    p.age_max = r.Int("age_max");
    p.max_total = amount("max_total");
    if (p.version < 1) r.Bad("version", "must be 1 or more");
    if (p.age_min < 0 || p.age_max < p.age_min) r.Bad("age_max", "must be >= age_min >= 0");
    const Value* tiers = r.Obj("tiers");
    if (tiers != nullptr && (!Form::IsArray(*tiers) || Form::Empty(*tiers)))
      r.Bad("tiers", "must be a non-empty array");
    if (tiers != nullptr && Form::IsArray(*tiers)) {
      Form::ForEachItem(*tiers, [&](const Value& t) {
        Reader<Form> tr(kind, t);
        Tier tier{tr.Str("id"), tr.Int("amount"), tr.Str("requires_tier", false),
                  tr.Bool("requires_transplant")};
        tr.Check(CheckId("tiers[].id", tier.id));
        tr.Check(CheckAmount("tiers[].amount", tier.amount));
        r.Check(tr.Finish());
        p.tiers.push_back(tier);
      });
    }
    e.body = std::move(p);
  } else if (kind == "gift") {
    Gift& g = e.body.emplace<Gift>();  // built in place: the commonest kind, no move
    date_to(&g.date);
    r.StrTo(&g.channel, "channel");
    r.StrTo(&g.income, "income");
    id_to(&g.fund, "fund");
    id_to(&g.campaign, "campaign", false);
    g.amount = amount("amount");
    if (const Value* d = r.Obj("donor")) {
      Reader<Form> dr(kind, *d);
      dr.StrTo(&g.donor.display, "display");
      dr.StrTo(&g.donor.commitment, "commitment");
      if (g.donor.display.empty()) dr.Bad("donor.display", "must be a masked name or 爱心人士");
      if (!IsHex64(g.donor.commitment))
        dr.Bad("donor.commitment", "must be 64 lowercase hex digits");
      r.Check(dr.Finish());
    }
    if (const Value* rc = r.Obj("receipt", false)) {
      Reader<Form> rr(kind, *rc);
      rr.StrTo(&g.receipt_book, "book");
      g.receipt_number = rr.Int("number");
      rr.Check(CheckId("receipt.book", g.receipt_book));
      if (g.receipt_number <= 0) rr.Bad("receipt.number", "must be a positive number");
      r.Check(rr.Finish());
    }
    r.StrTo(&g.no_receipt, "no_receipt", false);
    if (g.receipt_book.empty() == g.no_receipt.empty()) {
      r.Bad("receipt",
            "or no_receipt must be given, not both: a gift either has an official "
            "receipt number or a reason it has none");
    }
    if (!g.no_receipt.empty() && g.no_receipt != "anonymous" && g.no_receipt != "declined" &&
        g.no_receipt != "not_a_donation") {
      r.Bad("no_receipt", "must be \"anonymous\", \"declined\" or \"not_a_donation\" (grants)");
    }
    if (g.channel != "cash" && g.channel != "bank" && g.channel != "online" &&
        g.channel != "in_kind") {
      r.Bad("channel", "must be cash, bank, online or in_kind");
    }
    if (g.income != "donation" && g.income != "grant") {
      r.Bad("income", "must be \"donation\" or \"grant\" (government or higher-level Red Cross)");
    }
    if (const Value* k = r.Obj("in_kind", false)) {
      Reader<Form> kr(kind, *k);
      InKind ik{kr.Str("description"), kr.Str("unit"), kr.Str("method"), kr.Int("quantity"),
                kr.Str("evidence_sha256")};
      if (ik.method != "document" && ik.method != "fair_value") {
        kr.Bad("in_kind.method",
               "must be \"document\" (value on the donor's document) or \"fair_value\"");
      }
      if (ik.quantity <= 0) kr.Bad("in_kind.quantity", "must be positive");
      if (!IsHex64(ik.evidence_sha256))
        kr.Bad("in_kind.evidence_sha256", "must be 64 lowercase hex digits");
      r.Check(kr.Finish());
      g.in_kind = ik;
    }
    if ((g.channel == "in_kind") != g.in_kind.has_value()) {
      r.Bad("in_kind", "is required exactly when channel is in_kind");
    }
    g.postings = postings();
  } else if (kind == "match") {
    e.body = Match{date(), id("campaign"), r.Str("platform_ref"), amount("amount"), postings()};
  } else if (kind == "match.clawback") {
    e.body = Clawback{date(), id("campaign"), r.Str("reason"), amount("amount"), postings()};
  } else if (kind == "settlement") {
    Settlement s{date(),         id("campaign"),    r.Str("file_sha256"),
                 r.Int("gifts"), r.Int("matching"), {}};
    if (!IsHex64(s.file_sha256)) r.Bad("file_sha256", "must be 64 lowercase hex digits");
    if (s.gifts < 0 || s.matching < 0 || s.gifts + s.matching <= 0) {
      r.Bad("gifts", "and matching must be >= 0 with a positive total");
    }
    s.postings = postings();
    e.body = std::move(s);
  } else if (kind == "payment.request") {
    PaymentRequest p{date(),           id("fund"),      r.Str("purpose"), r.Str("payee"),
                     r.Str("expires"), r.Str("method"), amount("amount"), std::nullopt};
    if (p.method != "bank" && p.method != "cash" && p.method != "goods") {
      r.Bad("method", "must be \"bank\", \"cash\" or \"goods\"");
    }
    r.Check(CheckDate("expires", p.expires));
    if (p.payee.empty()) r.Bad("payee", "must name the payee by pseudonym");
    if (const Value* g = r.Obj("grant", false)) {
      Reader<Form> gr(kind, *g);
      Grant grant{gr.Str("programme"), gr.Str("beneficiary"), gr.Str("tier"), gr.Int("age"),
                  gr.Bool("transplant")};
      gr.Check(CheckId("grant.programme", grant.programme));
      gr.Check(CheckId("grant.beneficiary", grant.beneficiary));
      gr.Check(CheckId("grant.tier", grant.tier));
      if (grant.age < 0 || grant.age > 150) gr.Bad("grant.age", "must be an age in years");
      r.Check(gr.Finish());
      p.grant = grant;
    }
    e.body = std::move(p);
  } else if (kind == "payment.approve" || kind == "payment.reject" || kind == "payment.expire") {
    PaymentDecision d{date(),
                      r.Str("reason", kind == "payment.reject"),
                      static_cast<uint64_t>(r.Int("request")),
                      {}};
    if (kind == "payment.approve") d.postings = postings();
    e.body = std::move(d);
  } else if (kind == "reversal") {
    Reversal v{date(), r.Str("reason"), static_cast<uint64_t>(r.Int("reverses")), postings()};
    if (v.reason.empty()) r.Bad("reason", "must say why the entry is corrected");
    e.body = std::move(v);
  } else if (kind == "receipt.void") {
    ReceiptVoid v{date(), id("book"), r.Str("reason"), r.Int("number")};
    if (v.number <= 0) r.Bad("number", "must be a positive number");
    e.body = std::move(v);
  } else if (kind == "fund.release") {
    e.body = Release{date(), id("from"), id("to"), r.Str("reason"), amount("amount"), postings()};
  } else if (kind == "indicator") {
    Indicator in{date(), id("id"), r.Str("name"), r.Str("unit"), r.Int("value")};
    if (in.name.empty()) r.Bad("name", "must say what is counted");
    if (in.value < 0) r.Bad("value", StrCat("must be a count >= 0, got ", in.value));
    e.body = std::move(in);
  } else {
    result = absl::InvalidArgumentError(StrCat("unknown entry kind \"", kind, "\""));
    return result;
  }
  absl::Status s = r.Finish();
  if (!s.ok()) result = std::move(s);
  return result;
}

}  // namespace

bool IsDefinedKind(std::string_view kind) {
  // Every defined kind reads an empty body as missing fields; only an unknown kind
  // fails before looking at it.
  absl::StatusOr<Entry> e = ParseEntry(kind, nlohmann::json::object());
  return e.ok() || e.status().message().rfind("unknown entry kind", 0) != 0;
}

absl::StatusOr<Entry> ParseEntry(std::string_view kind, std::string_view body_json) {
  // A body in canonical form (every stored leaf's) is read in one pass, to the same
  // entry or the same error; any other goes through nlohmann.
  if (kind == "gift") {
    absl::StatusOr<Entry> gift(absl::in_place);
    if (ReadGiftBody(body_json, &*gift)) return gift;
  }
  thread_local std::vector<ledger::CanonicalJsonNode> nodes;
  if (ledger::ParseCanonicalJson(body_json, &nodes).ok()) {
    return ParseBody<CanonicalForm>(kind, nodes.front());
  }
  json j = json::parse(body_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InvalidArgumentError(StrCat(kind, " entry: the body is not JSON"));
  }
  return ParseEntry(kind, j);
}

absl::StatusOr<Entry> ParseEntry(std::string_view kind, const json& j) {
  return ParseBody<NlohmannForm>(kind, j);
}

absl::StatusOr<Entry> ParseCanonicalEntry(std::string_view kind, std::string_view body) {
  // A valid gift laid out as EncodeBody writes it (nearly every leaf) is read
  // straight into its fields; anything else, or anything wrong, by the general reader.
  if (kind == "gift") {
    absl::StatusOr<Entry> gift(absl::in_place);
    if (ReadGiftBody(body, &*gift)) return gift;
  }
  thread_local std::vector<ledger::CanonicalJsonNode> nodes;
  absl::Status s = ledger::ParseCanonicalJson(body, &nodes);
  if (!s.ok()) return absl::InvalidArgumentError(StrCat(kind, " entry: ", ToStd(s.message())));
  return ParseBody<CanonicalForm>(kind, nodes.front());
}

absl::StatusOr<std::string> EncodeBody(const Entry& e) {
  if (const Gift* g = std::get_if<Gift>(&e.body)) {
    if (std::optional<std::string> body = EncodeGiftBody(e.by, *g)) return std::move(*body);
  }
  return ledger::EncodeCanonicalJson(ToJson(e));
}

nlohmann::json ToJson(const Entry& e) {
  json j = {{"by", e.by}};
  std::visit(
      [&j](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, AccountOpen>) {
          j.update({{"id", b.id}, {"name", b.name}, {"type", AccountTypeName(b.type)}});
        } else if constexpr (std::is_same_v<T, FundOpen>) {
          j.update({{"id", b.id},
                    {"name", b.name},
                    {"purpose", b.purpose},
                    {"restricted", b.restricted}});
        } else if constexpr (std::is_same_v<T, CampaignOpen>) {
          j.update({{"id", b.id},
                    {"name", b.name},
                    {"fund", b.fund},
                    {"platform", b.platform},
                    {"start", b.start},
                    {"end", b.end},
                    {"target", b.target}});
        } else if constexpr (std::is_same_v<T, ProgrammeRules>) {
          json tiers = json::array();
          for (const Tier& t : b.tiers) {
            json tj = {{"id", t.id}, {"amount", t.amount}};
            if (!t.requires_tier.empty()) tj["requires_tier"] = t.requires_tier;
            if (t.requires_transplant) tj["requires_transplant"] = true;
            tiers.push_back(tj);
          }
          j.update({{"programme", b.programme},
                    {"name", b.name},
                    {"fund", b.fund},
                    {"effective_from", b.effective_from},
                    {"version", b.version},
                    {"age_min", b.age_min},
                    {"age_max", b.age_max},
                    {"max_total", b.max_total},
                    {"tiers", tiers}});
        } else if constexpr (std::is_same_v<T, Gift>) {
          j.update({{"date", b.date},
                    {"channel", b.channel},
                    {"income", b.income},
                    {"fund", b.fund},
                    {"amount", b.amount},
                    {"donor", {{"display", b.donor.display}, {"commitment", b.donor.commitment}}},
                    {"postings", PostingsJson(b.postings)}});
          if (!b.campaign.empty()) j["campaign"] = b.campaign;
          if (!b.receipt_book.empty()) {
            j["receipt"] = {{"book", b.receipt_book}, {"number", b.receipt_number}};
          }
          // Both when both are set, so that ParseEntry refuses the gift instead of
          // the no_receipt reason being silently dropped.
          if (b.receipt_book.empty() || !b.no_receipt.empty()) j["no_receipt"] = b.no_receipt;
          if (b.in_kind.has_value()) {
            j["in_kind"] = {{"description", b.in_kind->description},
                            {"unit", b.in_kind->unit},
                            {"method", b.in_kind->method},
                            {"quantity", b.in_kind->quantity},
                            {"evidence_sha256", b.in_kind->evidence_sha256}};
          }
        } else if constexpr (std::is_same_v<T, Match>) {
          j.update({{"date", b.date},
                    {"campaign", b.campaign},
                    {"platform_ref", b.platform_ref},
                    {"amount", b.amount},
                    {"postings", PostingsJson(b.postings)}});
        } else if constexpr (std::is_same_v<T, Clawback>) {
          j.update({{"date", b.date},
                    {"campaign", b.campaign},
                    {"reason", b.reason},
                    {"amount", b.amount},
                    {"postings", PostingsJson(b.postings)}});
        } else if constexpr (std::is_same_v<T, Settlement>) {
          j.update({{"date", b.date},
                    {"campaign", b.campaign},
                    {"file_sha256", b.file_sha256},
                    {"gifts", b.gifts},
                    {"matching", b.matching},
                    {"postings", PostingsJson(b.postings)}});
        } else if constexpr (std::is_same_v<T, PaymentRequest>) {
          j.update({{"date", b.date},
                    {"fund", b.fund},
                    {"purpose", b.purpose},
                    {"payee", b.payee},
                    {"expires", b.expires},
                    {"method", b.method},
                    {"amount", b.amount}});
          if (b.grant.has_value()) {
            j["grant"] = {{"programme", b.grant->programme},
                          {"beneficiary", b.grant->beneficiary},
                          {"tier", b.grant->tier},
                          {"age", b.grant->age},
                          {"transplant", b.grant->transplant}};
          }
        } else if constexpr (std::is_same_v<T, PaymentDecision>) {
          j.update({{"date", b.date}, {"request", b.request}});
          if (!b.reason.empty()) j["reason"] = b.reason;
          if (!b.postings.empty()) j["postings"] = PostingsJson(b.postings);
        } else if constexpr (std::is_same_v<T, Reversal>) {
          j.update({{"date", b.date},
                    {"reason", b.reason},
                    {"reverses", b.reverses},
                    {"postings", PostingsJson(b.postings)}});
        } else if constexpr (std::is_same_v<T, ReceiptVoid>) {
          j.update(
              {{"date", b.date}, {"book", b.book}, {"number", b.number}, {"reason", b.reason}});
        } else if constexpr (std::is_same_v<T, Release>) {
          j.update({{"date", b.date},
                    {"from", b.from},
                    {"to", b.to},
                    {"reason", b.reason},
                    {"amount", b.amount},
                    {"postings", PostingsJson(b.postings)}});
        } else if constexpr (std::is_same_v<T, Indicator>) {
          j.update({{"date", b.date},
                    {"id", b.id},
                    {"name", b.name},
                    {"unit", b.unit},
                    {"value", b.value}});
        }
      },
      e.body);
  return j;
}

const std::vector<Posting>* PostingsOf(const Entry& e) {
  return std::visit(
      [](const auto& b) -> const std::vector<Posting>* {
        if constexpr (requires { b.postings; }) {
          return b.postings.empty() ? nullptr : &b.postings;
        } else {
          return nullptr;
        }
      },
      e.body);
}

}  // namespace boai::books
