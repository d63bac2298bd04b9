#include "ledger/books/books.h"

#include <algorithm>
#include <cstdio>

#include "absl/container/inlined_vector.h"
#include "ledger/books/books_keys.h"
#include "ledger/leaf.h"
#include "ledger/strings.h"

namespace boai::books {
namespace {

using internal::IndexKey;

bool MovesMoney(std::string_view kind) {
  return kind == "gift" || kind == "match" || kind == "match.clawback" || kind == "settlement" ||
         kind == "payment.approve" || kind == "fund.release";
}

absl::Status Rule(const std::string& msg) { return absl::FailedPreconditionError(msg); }

std::string Yuan(int64_t fen) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%s%lld.%02lld yuan", fen < 0 ? "-" : "",
                static_cast<long long>((fen < 0 ? -fen : fen) / 100),
                static_cast<long long>((fen < 0 ? -fen : fen) % 100));
  return buf;
}

// The date of an entry's body, or "" for kinds without one.
std::string BodyDate(const Entry& e) {
  return std::visit(
      [](const auto& b) -> std::string {
        if constexpr (requires { b.date; }) {
          return b.date;
        } else {
          return "";
        }
      },
      e.body);
}

}  // namespace

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

// ---- Books ----

const ProgrammeRules* Books::RulesInForce(std::string_view programme, std::string_view date) const {
  auto it = programmes_.find(std::string(programme));
  if (it == programmes_.end()) return nullptr;
  const ProgrammeRules* best = nullptr;
  for (const ProgrammeRules& r : it->second) {
    if (r.effective_from <= date) best = &r;  // versions are in effective order
  }
  return best;
}

absl::StatusOr<std::string> Books::CampaignFund(std::string_view campaign) const {
  auto it = campaigns_.find(std::string(campaign));
  if (it == campaigns_.end()) {
    return absl::InvalidArgumentError(StrCat(
        "campaign \"", campaign, "\" is not open; open it with a campaign.open entry first"));
  }
  return it->second.def.fund;
}

absl::StatusOr<PaymentRequest> Books::PendingRequest(uint64_t index) const {
  auto it = pending_.find(index);
  if (it == pending_.end()) {
    return Rule(StrCat("entry ", index,
                       " is not a pending payment request (it may not exist, "
                       "or it was already approved, rejected or expired)"));
  }
  return it->second.request;
}

absl::StatusOr<Entry> Books::EntryAt(uint64_t index) const {
  if (!reader_) return absl::InternalError("the books have no leaf reader");
  absl::StatusOr<std::string> leaf = reader_(index);
  if (!leaf.ok()) return leaf.status();
  ledger::LeafDecoder decoder;
  absl::StatusOr<ledger::DecodedLeaf> d = decoder.Decode(*leaf);
  if (!d.ok()) return d.status();
  if (!IsAccountingKind(d->header.kind)) {
    return absl::InvalidArgumentError(
        StrCat("entry ", index, " is a ", d->header.kind, " entry, not an accounting entry"));
  }
  return ParseEntry(d->header.kind, std::string_view(d->body));
}

absl::StatusOr<std::vector<Posting>> Books::PostingsAt(uint64_t index) const {
  absl::StatusOr<Entry> e = EntryAt(index);
  if (!e.ok()) return e.status();
  if (!MovesMoney(e->kind)) {
    return absl::InvalidArgumentError(StrCat(
        "entry ", index, " is a ", e->kind, " entry, which moves no money and cannot be reversed"));
  }
  const std::vector<Posting>* p = PostingsOf(*e);
  return p == nullptr ? std::vector<Posting>{} : *p;
}

absl::Status Books::CheckPostings(const Entry& e) const {
  const std::vector<Posting>* ps = PostingsOf(e);
  absl::StatusOr<std::vector<Posting>> expected = ExpectedPostings(e, *this);
  if (!expected.ok()) return expected.status();
  static const std::vector<Posting> kNone;
  if ((ps == nullptr ? kNone : *ps) != *expected) {
    return absl::InvalidArgumentError(
        StrCat(e.kind, " entry: its postings are not the ones this entry must make (",
               PostingsJson(*expected).dump(), ")"));
  }
  // Sums per fund: an entry names one or two funds, so a short list beats a map.
  absl::InlinedVector<std::pair<const std::string*, int64_t>, 4> per_fund;
  for (const Posting& p : *expected) {
    if (!accounts_.count(p.account)) {
      return absl::InvalidArgumentError(
          StrCat("account ", p.account, " is not open; open the standard chart first"));
    }
    if (!funds_.count(p.fund)) {
      return absl::InvalidArgumentError(
          StrCat("fund \"", p.fund, "\" is not open; open it with a fund.open entry first"));
    }
    auto sum = std::find_if(per_fund.begin(), per_fund.end(),
                            [&p](const auto& f) { return *f.first == p.fund; });
    if (sum == per_fund.end()) sum = per_fund.insert(per_fund.end(), {&p.fund, 0});
    if (!AddChecked(sum->second, p.amount, &sum->second)) {
      return absl::InvalidArgumentError("postings overflow");
    }
  }
  // The first fund by name that does not balance.
  const std::pair<const std::string*, int64_t>* unbalanced = nullptr;
  for (const auto& f : per_fund) {
    if (f.second != 0 && (unbalanced == nullptr || *f.first < *unbalanced->first)) unbalanced = &f;
  }
  if (unbalanced != nullptr) {
    return absl::InvalidArgumentError(
        StrCat(e.kind, " entry: postings in fund ", *unbalanced->first,
               " do not balance (debits - credits = ", unbalanced->second, " fen)"));
  }
  return absl::OkStatus();
}

absl::Status Books::CheckGrant(const PaymentRequest& p, std::string_view date) const {
  const Grant& g = *p.grant;
  const ProgrammeRules* rules = RulesInForce(g.programme, date);
  if (rules == nullptr) {
    return Rule(StrCat("programme \"", g.programme, "\" has no rules in force on ", date));
  }
  if (p.fund != rules->fund) {
    return Rule(
        StrCat("grants of ", g.programme, " are paid from fund ", rules->fund, ", not ", p.fund));
  }
  std::string key = StrCat(g.programme, "/", g.beneficiary);
  auto it = beneficiaries_.find(key);
  const BeneficiaryState* b = it == beneficiaries_.end() ? nullptr : &it->second;
  int64_t age = b != nullptr ? b->first_age : g.age;
  if (b != nullptr && g.age != b->first_age) {
    return Rule(StrCat("beneficiary ", g.beneficiary, " was registered at age ", b->first_age,
                       "; the age is fixed at first registration, give ", b->first_age));
  }
  if (age < rules->age_min || age > rules->age_max) {
    return Rule(StrCat("beneficiary ", g.beneficiary, " is ", age, "; ", g.programme,
                       " rules version ", rules->version, " (in force from ", rules->effective_from,
                       ") cover ages ", rules->age_min, " to ", rules->age_max));
  }
  const Tier* tier = nullptr;
  for (const Tier& t : rules->tiers) {
    if (t.id == g.tier) tier = &t;
  }
  if (tier == nullptr) {
    return Rule(
        StrCat("tier \"", g.tier, "\" is not in ", g.programme, " rules version ", rules->version));
  }
  if (tier->amount != p.amount) {
    return Rule(StrCat("tier ", g.tier, " of ", g.programme, " grants ", Yuan(tier->amount),
                       ", not ", Yuan(p.amount)));
  }
  if (b != nullptr && b->tiers.count(g.tier)) {
    return Rule(StrCat("beneficiary ", g.beneficiary, " already received the ", g.tier,
                       " grant of ", g.programme, "; one grant per child per tier"));
  }
  if (!tier->requires_tier.empty() && (b == nullptr || !b->tiers.count(tier->requires_tier))) {
    return Rule(StrCat("tier ", g.tier, " is granted only after tier ", tier->requires_tier));
  }
  if (tier->requires_transplant && !g.transplant) {
    return Rule(StrCat("tier ", g.tier, " is granted only after a completed stem-cell transplant"));
  }
  int64_t total = (b != nullptr ? b->total : 0) + p.amount;
  if (total > rules->max_total) {
    return Rule(StrCat("beneficiary ", g.beneficiary, " would receive ", Yuan(total), " in all; ",
                       g.programme, " allows at most ", Yuan(rules->max_total)));
  }
  return absl::OkStatus();
}

absl::Status Books::Check(const Entry& e, uint64_t index, uint64_t time_ms) const {
  const std::string date = BodyDate(e);
  if (!date.empty() && date > DateOf(time_ms)) {
    return absl::InvalidArgumentError(StrCat(e.kind, " entry: date ", date,
                                             " is in the future (today is ", DateOf(time_ms), ")"));
  }
  if (const auto* a = std::get_if<AccountOpen>(&e.body)) {
    if (accounts_.count(a->id))
      return absl::AlreadyExistsError(StrCat("account ", a->id, " is already open"));
  } else if (const auto* f = std::get_if<FundOpen>(&e.body)) {
    if (funds_.count(f->id))
      return absl::AlreadyExistsError(StrCat("fund ", f->id, " is already open"));
  } else if (const auto* c = std::get_if<CampaignOpen>(&e.body)) {
    if (campaigns_.count(c->id))
      return absl::AlreadyExistsError(StrCat("campaign ", c->id, " is already open"));
    if (!funds_.count(c->fund))
      return absl::InvalidArgumentError(StrCat("fund \"", c->fund, "\" is not open"));
  } else if (const auto* p = std::get_if<ProgrammeRules>(&e.body)) {
    if (!funds_.count(p->fund))
      return absl::InvalidArgumentError(StrCat("fund \"", p->fund, "\" is not open"));
    auto it = programmes_.find(p->programme);
    int64_t next = it == programmes_.end() ? 1 : static_cast<int64_t>(it->second.size()) + 1;
    if (p->version != next) {
      return Rule(StrCat("programme ", p->programme, " rules must be version ", next, ", not ",
                         p->version));
    }
    if (it != programmes_.end() && p->effective_from < it->second.back().effective_from) {
      return Rule(StrCat("rules version ", p->version, " cannot take effect before version ",
                         p->version - 1, " (", it->second.back().effective_from, ")"));
    }
    std::set<std::string> ids;
    for (const Tier& t : p->tiers) {
      if (!ids.insert(t.id).second)
        return absl::InvalidArgumentError(StrCat("tier ", t.id, " appears twice"));
      if (t.amount > p->max_total)
        return absl::InvalidArgumentError(StrCat("tier ", t.id, " exceeds max_total"));
    }
    for (const Tier& t : p->tiers) {
      if (!t.requires_tier.empty() && !ids.count(t.requires_tier)) {
        return absl::InvalidArgumentError(
            StrCat("tier ", t.id, " requires unknown tier ", t.requires_tier));
      }
    }
  } else if (const auto* g = std::get_if<Gift>(&e.body)) {
    if (!g->campaign.empty()) {
      auto it = campaigns_.find(g->campaign);
      if (it == campaigns_.end())
        return absl::InvalidArgumentError(StrCat("campaign \"", g->campaign, "\" is not open"));
      const CampaignOpen& c = it->second.def;
      if (c.fund != g->fund) {
        return absl::InvalidArgumentError(
            StrCat("gifts to campaign ", c.id, " go to fund ", c.fund, ", not ", g->fund));
      }
      if (g->date < c.start || g->date > c.end) {
        return Rule(StrCat("gift dated ", g->date, " is outside campaign ", c.id, "'s window ",
                           c.start, " to ", c.end));
      }
    }
    if (!g->receipt_book.empty()) {
      auto it = receipts_.find(g->receipt_book);
      if (it != receipts_.end() && it->second.voided.count(g->receipt_number)) {
        return absl::AlreadyExistsError(StrCat("receipt ", g->receipt_book, "-", g->receipt_number,
                                               " was voided and cannot be issued"));
      }
      if (it != receipts_.end() && it->second.IsIssued(g->receipt_number)) {
        return absl::AlreadyExistsError(StrCat("receipt ", g->receipt_book, "-", g->receipt_number,
                                               " was already issued for another gift"));
      }
    }
  } else if (const auto* m = std::get_if<Match>(&e.body)) {
    if (!campaigns_.count(m->campaign))
      return absl::InvalidArgumentError(StrCat("campaign \"", m->campaign, "\" is not open"));
  } else if (const auto* c = std::get_if<Clawback>(&e.body)) {
    auto it = campaigns_.find(c->campaign);
    if (it == campaigns_.end())
      return absl::InvalidArgumentError(StrCat("campaign \"", c->campaign, "\" is not open"));
    if (c->amount > it->second.MatchingOutstanding()) {
      return Rule(StrCat("clawback of ", Yuan(c->amount),
                         " exceeds the matching still outstanding "
                         "in campaign ",
                         c->campaign, " (", Yuan(it->second.MatchingOutstanding()), ")"));
    }
  } else if (const auto* s = std::get_if<Settlement>(&e.body)) {
    auto it = campaigns_.find(s->campaign);
    if (it == campaigns_.end())
      return absl::InvalidArgumentError(StrCat("campaign \"", s->campaign, "\" is not open"));
    if (s->gifts > it->second.online_unsettled) {
      return Rule(StrCat("settlement of ", Yuan(s->gifts),
                         " in gifts exceeds the online gifts not yet "
                         "settled in campaign ",
                         s->campaign, " (", Yuan(it->second.online_unsettled),
                         "); check the settlement file"));
    }
    if (s->matching > it->second.MatchingOutstanding()) {
      return Rule(StrCat("settlement of ", Yuan(s->matching),
                         " in matching exceeds the matching "
                         "outstanding in campaign ",
                         s->campaign, " (", Yuan(it->second.MatchingOutstanding()), ")"));
    }
  } else if (const auto* p = std::get_if<PaymentRequest>(&e.body)) {
    if (!funds_.count(p->fund))
      return absl::InvalidArgumentError(StrCat("fund \"", p->fund, "\" is not open"));
    if (p->expires < p->date)
      return absl::InvalidArgumentError(
          StrCat("expires ", p->expires, " is before date ", p->date));
    if (p->grant.has_value()) {
      absl::Status s = CheckGrant(*p, p->date);
      if (!s.ok()) return s;
    }
  } else if (const auto* d = std::get_if<PaymentDecision>(&e.body)) {
    auto it = pending_.find(d->request);
    if (it == pending_.end()) {
      return Rule(StrCat("entry ", d->request,
                         " is not a pending payment request (it may not "
                         "exist, or it was already approved, rejected or expired)"));
    }
    const PendingPayment& req = it->second;
    if (d->date < req.request.date) {
      return absl::InvalidArgumentError(
          StrCat("the decision's date ", d->date, " is before the request's ", req.request.date));
    }
    if (e.kind == "payment.approve") {
      if (e.by == req.by) {
        return absl::PermissionDeniedError(
            StrCat("user ", e.by, " made payment request ", d->request,
                   " and cannot approve it; another user with the approver role must"));
      }
      if (d->date > req.request.expires) {
        return Rule(StrCat("payment request ", d->request, " expired on ", req.request.expires,
                           "; expire it and make a new request"));
      }
    } else if (e.kind == "payment.reject") {
      if (d->reason.empty()) return absl::InvalidArgumentError("a rejection must give a reason");
    } else if (d->date <= req.request.expires) {
      return Rule(StrCat("payment request ", d->request, " does not expire until after ",
                         req.request.expires));
    }
  } else if (const auto* v = std::get_if<Reversal>(&e.body)) {
    if (v->reverses >= index) {
      return absl::InvalidArgumentError(StrCat("a reversal can only name an earlier entry; ",
                                               v->reverses, " is not before ", index));
    }
    if (auto it = reversed_.find(v->reverses); it != reversed_.end()) {
      return absl::AlreadyExistsError(
          StrCat("entry ", v->reverses, " was already reversed by entry ", it->second));
    }
  } else if (const auto* rv = std::get_if<ReceiptVoid>(&e.body)) {
    auto it = receipts_.find(rv->book);
    if (it != receipts_.end() && it->second.voided.count(rv->number)) {
      return absl::AlreadyExistsError(
          StrCat("receipt ", rv->book, "-", rv->number, " is already void"));
    }
  } else if (const auto* r = std::get_if<Release>(&e.body)) {
    auto from = funds_.find(r->from);
    auto to = funds_.find(r->to);
    if (from == funds_.end() || to == funds_.end()) {
      return absl::InvalidArgumentError(
          StrCat("funds \"", r->from, "\" and \"", r->to, "\" must be open"));
    }
    if (!from->second.def.restricted || to->second.def.restricted) {
      return Rule("a release moves money from a restricted fund to an unrestricted one");
    }
  }
  return CheckPostings(e);
}

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

  // What the entry changed, checked in key order (so that when more than one
  // check fails, the one named is always the same).
  const UndoLog::Fund* short_fund = nullptr;
  for (const UndoLog::Fund& u : undo_.funds) {
    const FundState& f = u.it->second;
    const int64_t before = u.net - u.reserved - u.voidable;
    if (f.Available() < 0 && f.Available() < before &&
        (short_fund == nullptr || u.it->first < short_fund->it->first)) {
      short_fund = &u;
    }
  }
  if (short_fund != nullptr) {
    const FundState& f = short_fund->it->second;
    const int64_t before = short_fund->net - short_fund->reserved - short_fund->voidable;
    std::string why =
        StrCat("fund ", short_fund->it->first, " (", f.def.name, ") has ", Yuan(before),
               " available; this ", e.kind, " needs ", Yuan(before - f.Available()));
    Undo();
    return Rule(why);
  }
  const UndoLog::Balance* short_balance = nullptr;
  for (const UndoLog::Balance& u : undo_.balances) {
    const std::string& account = u.it->first.first;
    bool money = account == kCash || account == kBank || account == kGoods;
    int64_t now = u.it->second;
    if (money && now < 0 && now < u.value.value_or(0) &&
        (short_balance == nullptr || u.it->first < short_balance->it->first)) {
      short_balance = &u;
    }
  }
  if (short_balance != nullptr) {
    const auto& [account, fund] = short_balance->it->first;
    const int64_t before = short_balance->value.value_or(0);
    std::string why = StrCat("fund ", fund, " holds ", Yuan(before), " in account ", account, " (",
                             accounts_.at(account).name, "); this ", e.kind, " takes ",
                             Yuan(before - short_balance->it->second), " from it");
    Undo();
    return Rule(why);
  }
  const UndoLog::Campaign* owing = nullptr;
  for (const UndoLog::Campaign& u : undo_.campaigns) {
    const CampaignState& c = u.it->second;
    if ((c.online_unsettled < 0 || c.MatchingOutstanding() < 0) &&
        (owing == nullptr || u.it->first < owing->it->first)) {
      owing = &u;
    }
  }
  if (owing != nullptr) {
    std::string id = owing->it->first;
    Undo();
    return Rule(StrCat("campaign ", id,
                       " would owe the platform money: its gifts or matching "
                       "were already settled; record a clawback instead"));
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
