// The books as records: Books::Record, Snapshot, TakeDirty and Load (books.h),
// the derived state the ledger stores beside the log.
#include <map>
#include <optional>
#include <set>
#include <string>

#include "ledger/books/books.h"
#include "ledger/books/books_keys.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"

namespace boai::books {

using internal::IndexKey;
using nlohmann::json;

std::optional<std::string> Books::Record(const std::string& key) const {
  auto rest = [&key](std::string_view prefix) -> std::optional<std::string> {
    if (key.rfind(prefix, 0) != 0) return std::nullopt;
    return key.substr(prefix.size());
  };
  if (auto id = rest("account/")) {
    auto it = accounts_.find(*id);
    if (it == accounts_.end()) return std::nullopt;
    return json{{"name", it->second.name}, {"type", AccountTypeName(it->second.type)}}.dump();
  }
  if (auto id = rest("fund/")) {
    auto it = funds_.find(*id);
    if (it == funds_.end()) return std::nullopt;
    const FundState& f = it->second;
    return json{{"name", f.def.name}, {"purpose", f.def.purpose}, {"restricted", f.def.restricted},
                {"net", f.net},       {"reserved", f.reserved},   {"voidable", f.voidable}}
        .dump();
  }
  if (auto id = rest("balance/")) {
    size_t slash = id->find('/');
    auto it = balances_.find({id->substr(0, slash), id->substr(slash + 1)});
    if (it == balances_.end()) return std::nullopt;
    return std::to_string(it->second);
  }
  if (auto id = rest("campaign/")) {
    auto it = campaigns_.find(*id);
    if (it == campaigns_.end()) return std::nullopt;
    const CampaignState& c = it->second;
    json def = ToJson(Entry{"campaign.open", "", c.def});
    def.erase("by");
    return json{{"def", def},
                {"raised", c.raised},
                {"gifts", c.gifts},
                {"online_unsettled", c.online_unsettled},
                {"matched", c.matched},
                {"clawed_back", c.clawed_back},
                {"settled_gifts", c.settled_gifts},
                {"settled_matching", c.settled_matching}}
        .dump();
  }
  if (auto id = rest("programme/")) {
    auto it = programmes_.find(*id);
    if (it == programmes_.end()) return std::nullopt;
    json versions = json::array();
    for (const ProgrammeRules& r : it->second) {
      json v = ToJson(Entry{"programme.rules", "", r});
      v.erase("by");
      versions.push_back(v);
    }
    return versions.dump();
  }
  if (auto id = rest("pending/")) {
    auto it = pending_.find(std::stoull(*id));
    if (it == pending_.end()) return std::nullopt;
    json req = ToJson(Entry{"payment.request", it->second.by, it->second.request});
    return req.dump();
  }
  if (auto id = rest("beneficiary/")) {
    auto it = beneficiaries_.find(*id);
    if (it == beneficiaries_.end()) return std::nullopt;
    return json{{"first_age", it->second.first_age},
                {"tiers", it->second.tiers},
                {"total", it->second.total}}
        .dump();
  }
  if (auto id = rest("receipts/")) {
    auto it = receipts_.find(*id);
    if (it == receipts_.end()) return std::nullopt;
    json issued = json::array();
    for (const auto& [lo, hi] : it->second.issued) issued.push_back({lo, hi});
    return json{{"issued", issued}, {"voided", it->second.voided}}.dump();
  }
  if (auto id = rest("reversed/")) {
    auto it = reversed_.find(std::stoull(*id));
    if (it == reversed_.end()) return std::nullopt;
    return std::to_string(it->second);
  }
  return std::nullopt;
}

std::map<std::string, std::string> Books::Snapshot() const {
  std::set<std::string> keys;
  for (const auto& [id, _] : accounts_) keys.insert(StrCat("account/", id));
  for (const auto& [id, _] : funds_) keys.insert(StrCat("fund/", id));
  for (const auto& [k, _] : balances_) keys.insert(StrCat("balance/", k.first, "/", k.second));
  for (const auto& [id, _] : campaigns_) keys.insert(StrCat("campaign/", id));
  for (const auto& [id, _] : programmes_) keys.insert(StrCat("programme/", id));
  for (const auto& [i, _] : pending_) keys.insert(IndexKey("pending/", i));
  for (const auto& [id, _] : beneficiaries_) keys.insert(StrCat("beneficiary/", id));
  for (const auto& [id, _] : receipts_) keys.insert(StrCat("receipts/", id));
  for (const auto& [i, _] : reversed_) keys.insert(IndexKey("reversed/", i));
  std::map<std::string, std::string> out;
  for (const std::string& k : keys) out[k] = *Record(k);
  return out;
}

std::map<std::string, std::optional<std::string>> Books::TakeDirty() {
  std::map<std::string, std::optional<std::string>> out;
  for (const std::string& k : dirty_) out[k] = Record(k);
  dirty_.clear();
  return out;
}

absl::Status Books::Load(const std::map<std::string, std::string>& records) {
  auto bad = [](const std::string& key) {
    return absl::DataLossError(StrCat("derived state record \"", key,
                                      "\" is damaged; rebuild the state from the entries"));
  };
  for (const auto& [key, value] : records) {
    json v = json::parse(value, nullptr, false);
    if (v.is_discarded()) return bad(key);
    size_t slash = key.find('/');
    std::string type = key.substr(0, slash), id = key.substr(slash + 1);
    try {
      if (type == "account") {
        absl::StatusOr<Entry> e =
            ParseEntry("account.open",
                       json{{"by", "state"}, {"id", id}, {"name", v["name"]}, {"type", v["type"]}});
        if (!e.ok()) return bad(key);
        accounts_[id] = std::get<AccountOpen>(e->body);
      } else if (type == "fund") {
        FundState f{FundOpen{id, v["name"], v["purpose"], v["restricted"]}};
        f.net = v["net"];
        f.reserved = v["reserved"];
        f.voidable = v["voidable"];
        funds_[id] = f;
      } else if (type == "balance") {
        size_t s2 = id.find('/');
        balances_[{id.substr(0, s2), id.substr(s2 + 1)}] = v.get<int64_t>();
      } else if (type == "campaign") {
        json def = v["def"];
        def["by"] = "state";
        absl::StatusOr<Entry> e = ParseEntry("campaign.open", def);
        if (!e.ok()) return bad(key);
        CampaignState c{std::get<CampaignOpen>(e->body)};
        c.raised = v["raised"];
        c.gifts = v["gifts"];
        c.online_unsettled = v["online_unsettled"];
        c.matched = v["matched"];
        c.clawed_back = v["clawed_back"];
        c.settled_gifts = v["settled_gifts"];
        c.settled_matching = v["settled_matching"];
        campaigns_[id] = c;
      } else if (type == "programme") {
        for (json r : v) {
          r["by"] = "state";
          absl::StatusOr<Entry> e = ParseEntry("programme.rules", r);
          if (!e.ok()) return bad(key);
          programmes_[id].push_back(std::get<ProgrammeRules>(e->body));
        }
      } else if (type == "pending") {
        absl::StatusOr<Entry> e = ParseEntry("payment.request", v);
        if (!e.ok()) return bad(key);
        pending_[std::stoull(id)] = PendingPayment{std::get<PaymentRequest>(e->body), e->by};
      } else if (type == "beneficiary") {
        BeneficiaryState b;
        b.first_age = v["first_age"];
        b.tiers = v["tiers"].get<std::set<std::string>>();
        b.total = v["total"];
        beneficiaries_[id] = b;
      } else if (type == "receipts") {
        ReceiptBook rb;
        for (const json& r : v["issued"]) rb.issued[r[0].get<int64_t>()] = r[1].get<int64_t>();
        rb.voided = v["voided"].get<std::set<int64_t>>();
        receipts_[id] = rb;
      } else if (type == "reversed") {
        reversed_[std::stoull(id)] = v.get<uint64_t>();
      } else {
        return bad(key);
      }
    } catch (const std::exception&) {
      return bad(key);
    }
  }
  dirty_.clear();
  return absl::OkStatus();
}

}  // namespace boai::books
