// The accounting rules an entry must pass: Books::Check before its effects (the
// entry's own form against the books: accounts and funds open, postings balanced,
// payments and grants within their programme's rules, reversals and decisions on
// entries that allow them) and Books::CheckEffects after them (no fund overspent).
// Books::Apply (books.cc) runs both.
#include <algorithm>
#include <cstdio>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "ledger/books/books.h"
#include "ledger/books/books_keys.h"
#include "ledger/books/personal.h"
#include "ledger/canonical_json.h"
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

// Business dates before this are taken for typos (a year 0019 or 1019).
constexpr std::string_view kEarliestDate = "1900-01-01";

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
        "campaign \"", campaign,
        "\" is not open; an admin opens it first (a campaign.open entry: boai open-campaign)"));
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
  if (e->kind == "reversal") {
    return absl::InvalidArgumentError(
        StrCat("entry ", index,
               " is itself a reversal and cannot be reversed; to restore what it undid, record "
               "that entry again"));
  }
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
          StrCat("fund \"", p.fund,
                 "\" is not open; an admin opens it first (a fund.open entry: boai open-fund)"));
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
  if (!IsPersonId(g.beneficiary) && g.beneficiary != kPendingPayee) {
    return absl::InvalidArgumentError(
        "a grant's beneficiary is a registered person (a pseudonym p-...), never a label: give "
        "the child's personal data, with the identity number");
  }
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
  if (!tier->requires_tier.empty()) {
    if (std::optional<uint64_t> r = PendingGrant(g.programme, g.beneficiary, tier->requires_tier)) {
      return Rule(StrCat("tier ", g.tier, " is granted only after tier ", tier->requires_tier,
                         ", whose request (entry ", *r, ") is still pending: approve it first"));
    }
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

const std::string* Books::ProgrammeOfFund(const std::string& fund) const {
  for (const auto& [programme, versions] : programmes_) {
    for (const ProgrammeRules& r : versions) {
      if (r.fund == fund) return &programme;
    }
  }
  return nullptr;
}

std::optional<uint64_t> Books::PendingGrant(std::string_view programme,
                                            std::string_view beneficiary,
                                            std::string_view tier) const {
  for (const auto& [index, pending] : pending_) {
    const std::optional<Grant>& g = pending.request.grant;
    if (g.has_value() && g->programme == programme && g->beneficiary == beneficiary &&
        g->tier == tier) {
      return index;
    }
  }
  return std::nullopt;
}

absl::Status Books::CheckReceiptBookName(std::string_view book) {
  const std::string upper = absl::AsciiStrToUpper(ToAbsl(book));
  if (upper == book) return absl::OkStatus();
  return absl::InvalidArgumentError(StrCat("receipt book \"", book,
                                           "\" has lower-case letters; receipt books are named in "
                                           "upper case (",
                                           upper, "), so that one book is never written two ways"));
}

// A reversal is dated no earlier than what it reverses, and does not take back a
// grant that a later tier of the same child was granted on.
absl::Status Books::CheckReversalTarget(const Reversal& v) const {
  absl::StatusOr<Entry> target = EntryAt(v.reverses);
  if (!target.ok()) return absl::OkStatus();  // the postings check names the problem
  const std::string target_date = BodyDate(*target);
  if (v.date < target_date) {
    return absl::InvalidArgumentError(StrCat("the reversal's date ", v.date,
                                             " is before the date of entry ", v.reverses, " (",
                                             target_date, ") that it reverses"));
  }
  const auto* d = std::get_if<PaymentDecision>(&target->body);
  if (d == nullptr || target->kind != "payment.approve") return absl::OkStatus();
  absl::StatusOr<Entry> request = EntryAt(d->request);
  if (!request.ok()) return absl::OkStatus();
  const auto* p = std::get_if<PaymentRequest>(&request->body);
  if (p == nullptr || !p->grant.has_value()) return absl::OkStatus();
  const Grant& g = *p->grant;
  auto b = beneficiaries_.find(StrCat(g.programme, "/", g.beneficiary));
  auto versions = programmes_.find(g.programme);
  if (b == beneficiaries_.end() || versions == programmes_.end()) return absl::OkStatus();
  for (const ProgrammeRules& r : versions->second) {
    for (const Tier& t : r.tiers) {
      if (t.requires_tier == g.tier && b->second.tiers.count(t.id)) {
        return Rule(StrCat("entry ", v.reverses, " paid beneficiary ", g.beneficiary, "'s ", g.tier,
                           " grant, which their ", t.id,
                           " grant requires; reverse or reject that one first"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Books::Check(const Entry& e, uint64_t index, uint64_t time_ms) const {
  const std::string date = BodyDate(e);
  if (!date.empty() && date > DateOf(time_ms)) {
    return absl::InvalidArgumentError(StrCat(e.kind, " entry: date ", date,
                                             " is in the future (today is ", DateOf(time_ms), ")"));
  }
  if (!date.empty() && date < kEarliestDate) {
    return absl::InvalidArgumentError(StrCat(e.kind, " entry: date ", date, " is before ",
                                             kEarliestDate, "; check the year for a typo"));
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
    if (g->channel == "online" && g->campaign.empty()) {
      // An online gift is owed by the giving platform (account 1121) until a
      // settlement.platform of its campaign pays it: without one it could never be.
      return absl::InvalidArgumentError(
          "an online gift needs its campaign: the platform pays it out with the campaign's "
          "settlement (a gift received directly is channel bank or cash)");
    }
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
    if (absl::Status s = CheckReceiptBookName(g->receipt_book); !s.ok()) return s;
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
    } else if (const std::string* programme = ProgrammeOfFund(p->fund); programme != nullptr) {
      return Rule(StrCat("fund ", p->fund, " pays the grants of programme ", *programme,
                         ", so a payment from it must be one of its grants (give the programme, "
                         "tier and the child's age), checked against the rules in force; to use "
                         "its money otherwise, release it to an unrestricted fund first"));
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
                           "; expire it to release the money it reserves (boai pay expire "
                           "--request ",
                           d->request, ") and make a new request"));
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
    if (absl::Status s = CheckReversalTarget(*v); !s.ok()) return s;
  } else if (const auto* rv = std::get_if<ReceiptVoid>(&e.body)) {
    if (absl::Status s = CheckReceiptBookName(rv->book); !s.ok()) return s;
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

// What the entry changed, checked in key order (so that when more than one check
// fails, the one named is always the same): no fund spends money it does not hold,
// no money account of a fund goes below zero, no campaign owes the platform.
absl::Status Books::CheckEffects(const Entry& e) const {
  // Every figure stays a number any JSON reader holds exactly, as amounts do.
  auto too_big = [](int64_t v) {
    return v > ledger::kMaxJsonInteger || v < -ledger::kMaxJsonInteger;
  };
  for (const UndoLog::Fund& u : undo_.funds) {
    const FundState& f = u.it->second;
    if (too_big(f.net) || too_big(f.reserved) || too_big(f.voidable) || too_big(f.Available())) {
      return absl::InvalidArgumentError(StrCat("this ", e.kind, " would take fund ", u.it->first,
                                               "'s totals beyond ", Yuan(ledger::kMaxJsonInteger),
                                               ", the most the ledger represents"));
    }
  }
  for (const UndoLog::Balance& u : undo_.balances) {
    if (too_big(u.it->second)) {
      return absl::InvalidArgumentError(StrCat("this ", e.kind, " would take account ",
                                               u.it->first.first, " of fund ", u.it->first.second,
                                               " beyond ", Yuan(ledger::kMaxJsonInteger),
                                               ", the most the ledger represents"));
    }
  }
  for (const UndoLog::Campaign& u : undo_.campaigns) {
    const CampaignState& c = u.it->second;
    for (int64_t v : {c.raised, c.online_unsettled, c.matched, c.clawed_back, c.settled_gifts,
                      c.settled_matching}) {
      if (too_big(v)) {
        return absl::InvalidArgumentError(StrCat("this ", e.kind, " would take campaign ",
                                                 u.it->first, "'s totals beyond ",
                                                 Yuan(ledger::kMaxJsonInteger)));
      }
    }
  }
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
    return Rule(StrCat("campaign ", owing->it->first,
                       " would owe the platform money: its gifts or matching "
                       "were already settled; record a clawback instead"));
  }
  return absl::OkStatus();
}

}  // namespace boai::books
