#include "ledger/books/books.h"

#include <algorithm>
#include <cstdio>

#include "ledger/books/books_keys.h"
#include "ledger/leaf.h"
#include "ledger/strings.h"

// The books' state and how an entry changes it (Books::Apply); the rules it must
// pass first are in rules.cc.
namespace boai::books {

using internal::IndexKey;

bool AddChecked(int64_t a, int64_t b, int64_t* out) { return !__builtin_add_overflow(a, b, out); }

std::string DateOf(uint64_t time_ms) {
  int64_t days = static_cast<int64_t>((time_ms / 1000 + 8 * 3600) / 86400);
  // Entries come in time order, many a day: remember the last day's date.
  thread_local int64_t cached_days = -1;
  thread_local std::string cached;
  if (days == cached_days) return cached;
  cached_days = days;
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  days += 719468;
  int64_t era = days / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[48];  // room for any int64 values, so the compiler can see nothing is cut
  std::snprintf(buf, sizeof(buf), "%04lld-%02lld-%02lld", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d));
  cached = buf;
  return cached;
}

// ---- Books: applying entries ----

void Books::ApplyEffects(const Entry& e, int sign, bool with_postings) {
  if (const std::vector<Posting>* ps = with_postings ? PostingsOf(e) : nullptr) {
    for (const Posting& p : *ps) {
      int64_t amount = sign * p.amount;
      Balance(p.account, p.fund) += amount;
      AccountType t = accounts_.at(p.account).type;
      if (t == AccountType::kIncome || t == AccountType::kExpense || t == AccountType::kNetAssets) {
        Fund(p.fund).net -= amount;  // credits raise net assets
      }
    }
  }
  auto campaign = [this](const std::string& id) -> CampaignState& { return Campaign(id); };
  auto fund = [this](const std::string& id) -> FundState& { return Fund(id); };
  if (const auto* g = std::get_if<Gift>(&e.body); g != nullptr && !g->campaign.empty()) {
    CampaignState& c = campaign(g->campaign);
    c.raised += sign * g->amount;
    c.gifts += sign;
    if (g->channel == "online") c.online_unsettled += sign * g->amount;
  } else if (const auto* m = std::get_if<Match>(&e.body)) {
    CampaignState& c = campaign(m->campaign);
    c.matched += sign * m->amount;
    fund(c.def.fund).voidable += sign * m->amount;
  } else if (const auto* cb = std::get_if<Clawback>(&e.body)) {
    CampaignState& c = campaign(cb->campaign);
    c.clawed_back += sign * cb->amount;
    fund(c.def.fund).voidable -= sign * cb->amount;
  } else if (const auto* s = std::get_if<Settlement>(&e.body)) {
    CampaignState& c = campaign(s->campaign);
    c.settled_gifts += sign * s->gifts;
    c.settled_matching += sign * s->matching;
    c.online_unsettled -= sign * s->gifts;
    fund(c.def.fund).voidable -= sign * s->matching;
  }
}

void Books::ReleaseGrant(const PaymentRequest& p) {
  if (!p.grant.has_value()) return;
  std::string key = StrCat(p.grant->programme, "/", p.grant->beneficiary);
  BeneficiaryState& b = beneficiaries_[key];
  b.tiers.erase(p.grant->tier);
  b.total -= p.amount;
  Dirty("beneficiary/", key);
  if (b.tiers.empty()) beneficiaries_.erase(key);  // never granted: not registered
}

FundState& Books::Fund(const std::string& id) {
  auto it = funds_.find(id);
  if (it == funds_.end()) it = funds_.find(funds_.at(id).def.id);  // throws, as at() did
  bool noted = false;
  for (const UndoLog::Fund& u : undo_.funds) noted = noted || u.it == it;
  if (!noted) undo_.funds.push_back({it, it->second.net, it->second.reserved, it->second.voidable});
  Dirty("fund/", id);
  return it->second;
}

CampaignState& Books::Campaign(const std::string& id) {
  auto it = campaigns_.find(id);
  if (it == campaigns_.end()) it = campaigns_.find(campaigns_.at(id).def.id);  // throws
  bool noted = false;
  for (const UndoLog::Campaign& u : undo_.campaigns) noted = noted || u.it == it;
  if (!noted) {
    const CampaignState& c = it->second;
    undo_.campaigns.push_back({it,
                               {c.raised, c.gifts, c.online_unsettled, c.matched, c.clawed_back,
                                c.settled_gifts, c.settled_matching}});
  }
  Dirty("campaign/", id);
  return it->second;
}

int64_t& Books::Balance(const std::string& account, const std::string& fund) {
  // The key is assembled in a reused pair, so that looking up an existing balance
  // allocates nothing.
  balance_key_.first.assign(account);
  balance_key_.second.assign(fund);
  auto it = balances_.find(balance_key_);
  std::optional<int64_t> before;
  if (it != balances_.end()) {
    before = it->second;
  } else {
    it = balances_.emplace(balance_key_, 0).first;
  }
  bool noted = false;
  for (const UndoLog::Balance& u : undo_.balances) noted = noted || u.it == it;
  if (!noted) undo_.balances.push_back({it, before});
  Dirty("balance/", account, "/", fund);
  return it->second;
}

void Books::Undo() {
  for (const UndoLog::Fund& u : undo_.funds) {
    u.it->second.net = u.net;
    u.it->second.reserved = u.reserved;
    u.it->second.voidable = u.voidable;
  }
  for (const UndoLog::Campaign& u : undo_.campaigns) {
    CampaignState& c = u.it->second;
    const int64_t* v = u.counters;
    c.raised = v[0];
    c.gifts = v[1];
    c.online_unsettled = v[2];
    c.matched = v[3];
    c.clawed_back = v[4];
    c.settled_gifts = v[5];
    c.settled_matching = v[6];
  }
  for (const UndoLog::Balance& u : undo_.balances) {
    if (u.value.has_value()) {
      u.it->second = *u.value;
    } else {
      balances_.erase(u.it);
    }
  }
  undo_.Clear();
}

absl::Status Books::Apply(const Entry& e, uint64_t index, uint64_t time_ms) {
  absl::Status s = Check(e, index, time_ms);
  if (!s.ok()) return s;
  undo_.Clear();

  // Money can only be judged once the effects are known: apply them (Fund(),
  // Campaign() and Balance() remember what they change), then undo if a fund would
  // spend money it does not hold.
  std::optional<Entry> reversed_target;
  if (const auto* p = std::get_if<PaymentRequest>(&e.body)) {
    Fund(p->fund).reserved += p->amount;
  } else if (const auto* v = std::get_if<Reversal>(&e.body)) {
    absl::StatusOr<Entry> target = EntryAt(v->reverses);
    if (!target.ok()) return target.status();
    reversed_target = std::move(*target);
    // Undo what the target did beyond its postings; the reversal's own postings
    // (the target's, negated) are applied below.
    ApplyEffects(*reversed_target, -1, /*with_postings=*/false);
  } else if (const auto* d = std::get_if<PaymentDecision>(&e.body)) {
    const PaymentRequest& req = pending_.at(d->request).request;
    Fund(req.fund).reserved -= req.amount;
  }
  ApplyEffects(e, +1, /*with_postings=*/true);

  if (absl::Status s = CheckEffects(e); !s.ok()) {
    Undo();
    return s;
  }
  undo_.Clear();

  // The entry stands: record what is not money.
  if (const auto* a = std::get_if<AccountOpen>(&e.body)) {
    accounts_[a->id] = *a;
    Dirty("account/", a->id);
  } else if (const auto* f = std::get_if<FundOpen>(&e.body)) {
    funds_[f->id] = FundState{*f};
    Dirty("fund/", f->id);
  } else if (const auto* c = std::get_if<CampaignOpen>(&e.body)) {
    campaigns_[c->id] = CampaignState{*c};
    Dirty("campaign/", c->id);
  } else if (const auto* p = std::get_if<ProgrammeRules>(&e.body)) {
    programmes_[p->programme].push_back(*p);
    Dirty("programme/", p->programme);
  } else if (const auto* g = std::get_if<Gift>(&e.body); g != nullptr && !g->receipt_book.empty()) {
    receipts_[g->receipt_book].Issue(g->receipt_number);
    Dirty("receipts/", g->receipt_book);
  } else if (const auto* rv = std::get_if<ReceiptVoid>(&e.body)) {
    receipts_[rv->book].voided.insert(rv->number);
    Dirty("receipts/", rv->book);
  } else if (const auto* p = std::get_if<PaymentRequest>(&e.body)) {
    pending_[index] = PendingPayment{*p, e.by};
    if (track_dirty_) Dirty(IndexKey("pending/", index));
    if (p->grant.has_value()) {
      std::string key = StrCat(p->grant->programme, "/", p->grant->beneficiary);
      auto [it, is_new] = beneficiaries_.try_emplace(key);
      if (is_new) it->second.first_age = p->grant->age;
      it->second.tiers.insert(p->grant->tier);
      it->second.total += p->amount;
      Dirty("beneficiary/", key);
    }
  } else if (const auto* d = std::get_if<PaymentDecision>(&e.body)) {
    if (e.kind != "payment.approve") ReleaseGrant(pending_.at(d->request).request);
    pending_.erase(d->request);
    if (track_dirty_) Dirty(IndexKey("pending/", d->request));
  } else if (const auto* v = std::get_if<Reversal>(&e.body)) {
    reversed_[v->reverses] = index;
    if (track_dirty_) Dirty(IndexKey("reversed/", v->reverses));
    // Reversing a grant's payment gives the child's grant back.
    if (const auto* d = std::get_if<PaymentDecision>(&reversed_target->body)) {
      absl::StatusOr<Entry> request = EntryAt(d->request);
      if (request.ok()) {
        if (const auto* p = std::get_if<PaymentRequest>(&request->body)) ReleaseGrant(*p);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace boai::books
