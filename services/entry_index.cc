#include "services/entry_index.h"

#include <algorithm>

#include "ledger/leaf.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"

namespace boai::service {
namespace {

// Leaves read per step of CatchUp, outside the lock.
constexpr uint64_t kCatchUpStep = 4096;

void AddString(const nlohmann::json& body, const char* field, std::string_view prefix,
               std::vector<std::string>* terms) {
  auto it = body.find(field);
  if (it != body.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
    terms->push_back(StrCat(prefix, it->get_ref<const std::string&>()));
  }
}

}  // namespace

std::vector<std::string> IndexTerms(std::string_view kind, std::string_view body_json,
                                    std::pair<std::string, int64_t>* receipt) {
  std::vector<std::string> terms;
  terms.push_back(StrCat("k:", kind));
  if (receipt != nullptr) *receipt = {"", 0};
  nlohmann::json body = nlohmann::json::parse(body_json, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return terms;
  if (auto p = body.find("postings"); p != body.end() && p->is_array()) {
    for (const nlohmann::json& posting : *p) {
      if (!posting.is_object()) continue;
      AddString(posting, "account", "a:", &terms);
      AddString(posting, "fund", "f:", &terms);
    }
  }
  // Funds named by the body: a fund's own opening, a campaign's fund, a payment
  // request (which posts nothing until approved), a release's two funds.
  if (kind == "fund.open") {
    AddString(body, "id", "f:", &terms);
  } else {
    AddString(body, "fund", "f:", &terms);
    AddString(body, "from", "f:", &terms);
    AddString(body, "to", "f:", &terms);
  }
  if (kind == "campaign.open") {
    AddString(body, "id", "c:", &terms);
  } else {
    AddString(body, "campaign", "c:", &terms);
  }
  if (auto d = body.find("donor"); d != body.end() && d->is_object()) {
    AddString(*d, "commitment", "d:", &terms);
  }
  if (receipt != nullptr) {
    if (kind == "gift") {
      auto r = body.find("receipt");
      if (r != body.end() && r->is_object() && (*r)["book"].is_string() &&
          (*r)["number"].is_number_integer()) {
        *receipt = {(*r)["book"].get<std::string>(), (*r)["number"].get<int64_t>()};
      }
    } else if (kind == "receipt.void" && body["book"].is_string() &&
               body["number"].is_number_integer()) {
      *receipt = {body["book"].get<std::string>(), body["number"].get<int64_t>()};
    }
  }
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

absl::Status EntryIndex::CatchUp() {
  std::lock_guard<std::mutex> one(catch_up_mu_);
  ledger::LeafDecoder decoder;
  while (true) {
    uint64_t from;
    {
      std::shared_lock lock(mu_);
      from = next_;
    }
    const uint64_t size = ledger_->Size();
    if (from >= size) return absl::OkStatus();
    const uint64_t to = std::min(size, from + kCatchUpStep);
    struct Item {
      std::vector<std::string> terms;
      std::pair<std::string, int64_t> receipt;
      bool is_void = false;
    };
    std::vector<Item> items(to - from);
    for (uint64_t i = from; i < to; ++i) {
      absl::StatusOr<std::string> leaf = ledger_->LeafAt(i);
      if (!leaf.ok()) return leaf.status();
      absl::StatusOr<ledger::LeafView> view = decoder.DecodeView(*leaf);
      if (!view.ok()) {
        return absl::DataLossError(
            StrCat("entry ", i, " does not decode: ", ToStd(view.status().message())));
      }
      Item& it = items[i - from];
      it.terms = IndexTerms(view->header.kind, view->body, &it.receipt);
      it.is_void = view->header.kind == "receipt.void";
    }
    std::unique_lock lock(mu_);
    for (uint64_t i = from; i < to; ++i) {
      Item& it = items[i - from];
      for (std::string& t : it.terms) postings_[std::move(t)].push_back(i);
      if (it.receipt.second > 0) {
        ReceiptEntries& r = receipts_[std::move(it.receipt)];
        (it.is_void ? r.voided : r.issued) = i;
      }
    }
    next_ = to;
  }
}

const std::vector<uint64_t>* EntryIndex::Postings(const std::string& term) const {
  auto it = postings_.find(term);
  return it == postings_.end() ? nullptr : &it->second;
}

std::vector<uint64_t> EntryIndex::Find(const EntryFilter& filter, uint64_t start, uint64_t end,
                                       size_t limit, uint64_t* scanned_to) const {
  std::shared_lock lock(mu_);
  std::vector<uint64_t> out;
  end = std::min(end, next_);
  *scanned_to = std::max(start, end);
  if (start >= end) return out;
  if (filter.empty()) {
    for (uint64_t i = start; i < end && (limit == 0 || out.size() < limit); ++i) out.push_back(i);
    if (!out.empty() && limit != 0 && out.size() == limit) *scanned_to = out.back() + 1;
    return out;
  }
  std::vector<const std::vector<uint64_t>*> lists;
  for (auto [prefix, value] : {std::pair{"k:", &filter.kind}, std::pair{"a:", &filter.account},
                               std::pair{"f:", &filter.fund}, std::pair{"c:", &filter.campaign},
                               std::pair{"d:", &filter.donor_commitment}}) {
    if (value->empty()) continue;
    const std::vector<uint64_t>* l = Postings(StrCat(prefix, *value));
    if (l == nullptr) return out;  // nothing has the term
    lists.push_back(l);
  }
  std::sort(lists.begin(), lists.end(),
            [](const auto* a, const auto* b) { return a->size() < b->size(); });
  const std::vector<uint64_t>& shortest = *lists[0];
  for (auto it = std::lower_bound(shortest.begin(), shortest.end(), start);
       it != shortest.end() && *it < end; ++it) {
    bool all = true;
    for (size_t k = 1; k < lists.size() && all; ++k) {
      all = std::binary_search(lists[k]->begin(), lists[k]->end(), *it);
    }
    if (!all) continue;
    out.push_back(*it);
    if (limit != 0 && out.size() == limit) {
      *scanned_to = *it + 1;
      break;
    }
  }
  return out;
}

EntryIndex::ReceiptEntries EntryIndex::Receipt(const std::string& book, int64_t number) const {
  std::shared_lock lock(mu_);
  auto it = receipts_.find({book, number});
  return it == receipts_.end() ? ReceiptEntries{} : it->second;
}

uint64_t EntryIndex::size() const {
  std::shared_lock lock(mu_);
  return next_;
}

}  // namespace boai::service
