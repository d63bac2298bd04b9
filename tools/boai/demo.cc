// boai demo: the 2019 demo dataset, into a local ledger or through the server.
#include "ledger/books/demo.h"

#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "ledger/books/books_hook.h"
#include "ledger/books/clerk.h"
#include "ledger/books/personal.h"
#include "ledger/ledger.h"
#include "ledger/strings.h"
#include "tools/boai/common.h"

namespace boai::cli {
namespace {

v1::PersonalData ToProto(const books::PersonalData& p) {
  v1::PersonalData d;
  d.set_name(p.name);
  d.set_phone(p.phone);
  d.set_id_number(p.id_number);
  d.set_address(p.address);
  d.set_hospital(p.hospital);
  return d;
}

// One demo operation as the RPC that records it. `index_of` maps the keys of
// earlier operations to their entries.
grpc::Status SendDemoOp(Client& c, const std::string& token, const books::DemoOp& op,
                        const std::map<std::string, uint64_t>& index_of, v1::Receipt* r) {
  auto ctx = c.Ctx(token);
  auto ref = [&]() -> std::optional<uint64_t> {
    auto it = index_of.find(op.ref_key);
    if (it == index_of.end()) return std::nullopt;
    return it->second;
  };
  if (const auto* f = std::get_if<books::FundOpen>(&op.body)) {
    v1::OpenFundRequest req;
    req.set_idempotency_key(op.key);
    req.set_id(f->id);
    req.set_name(f->name);
    req.set_purpose(f->purpose);
    req.set_restricted(f->restricted);
    return c.stub()->OpenFund(ctx.get(), req, r);
  }
  if (const auto* p = std::get_if<books::ProgrammeRules>(&op.body)) {
    v1::SetProgrammeRulesRequest req;
    req.set_idempotency_key(op.key);
    req.set_programme(p->programme);
    req.set_name(p->name);
    req.set_fund(p->fund);
    req.set_effective_from(p->effective_from);
    req.set_version(p->version);
    req.set_age_min(p->age_min);
    req.set_age_max(p->age_max);
    req.set_max_total(p->max_total);
    for (const books::Tier& t : p->tiers) {
      v1::Tier* x = req.add_tiers();
      x->set_id(t.id);
      x->set_amount(t.amount);
      x->set_requires_tier(t.requires_tier);
      x->set_requires_transplant(t.requires_transplant);
    }
    return c.stub()->SetProgrammeRules(ctx.get(), req, r);
  }
  if (const auto* cp = std::get_if<books::CampaignOpen>(&op.body)) {
    v1::OpenCampaignRequest req;
    req.set_idempotency_key(op.key);
    req.set_id(cp->id);
    req.set_name(cp->name);
    req.set_fund(cp->fund);
    req.set_platform(cp->platform);
    req.set_start(cp->start);
    req.set_end(cp->end);
    req.set_target(cp->target);
    return c.stub()->OpenCampaign(ctx.get(), req, r);
  }
  if (const auto* g = std::get_if<books::Gift>(&op.body)) {
    v1::RecordGiftRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(g->date);
    req.set_channel(g->channel);
    req.set_income(g->income);
    req.set_fund(g->fund);
    req.set_campaign(g->campaign);
    req.set_amount(g->amount);
    if (op.person.has_value()) *req.mutable_donor() = ToProto(*op.person);
    if (g->donor.display == "爱心人士") {
      req.set_display(v1::DONOR_DISPLAY_ANONYMOUS);
    } else if (op.person.has_value() && !g->donor.display.empty() &&
               g->donor.display.back() == '*') {
      req.set_display(v1::DONOR_DISPLAY_MASKED_NAME);
    } else {
      req.set_display(v1::DONOR_DISPLAY_AS_GIVEN);
      req.set_display_name(g->donor.display);
    }
    req.set_receipt_book(g->receipt_book);
    req.set_receipt_number(g->receipt_number);
    req.set_no_receipt(g->no_receipt);
    if (g->in_kind.has_value()) {
      v1::InKind* k = req.mutable_in_kind();
      k->set_description(g->in_kind->description);
      k->set_quantity(g->in_kind->quantity);
      k->set_unit(g->in_kind->unit);
      k->set_method(g->in_kind->method);
      k->set_evidence_sha256(g->in_kind->evidence_sha256);
    }
    return c.stub()->RecordGift(ctx.get(), req, r);
  }
  if (const auto* m = std::get_if<books::Match>(&op.body)) {
    v1::RecordMatchRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(m->date);
    req.set_campaign(m->campaign);
    req.set_platform_ref(m->platform_ref);
    req.set_amount(m->amount);
    return c.stub()->RecordMatch(ctx.get(), req, r);
  }
  if (const auto* cb = std::get_if<books::Clawback>(&op.body)) {
    v1::ClawbackRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(cb->date);
    req.set_campaign(cb->campaign);
    req.set_amount(cb->amount);
    req.set_reason(cb->reason);
    return c.stub()->Clawback(ctx.get(), req, r);
  }
  if (const auto* st = std::get_if<books::Settlement>(&op.body)) {
    v1::SettleRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(st->date);
    req.set_campaign(st->campaign);
    req.set_gifts(st->gifts);
    req.set_matching(st->matching);
    req.set_file_sha256(st->file_sha256);
    return c.stub()->Settle(ctx.get(), req, r);
  }
  if (const auto* p = std::get_if<books::PaymentRequest>(&op.body)) {
    v1::RequestPaymentRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(p->date);
    req.set_fund(p->fund);
    req.set_amount(p->amount);
    req.set_purpose(p->purpose);
    req.set_method(p->method);
    req.set_expires(p->expires);
    if (op.person.has_value()) {
      *req.mutable_payee() = ToProto(*op.person);
    } else {
      req.set_payee_label(p->payee);
    }
    if (p->grant.has_value()) {
      v1::Grant* gr = req.mutable_grant();
      gr->set_programme(p->grant->programme);
      gr->set_tier(p->grant->tier);
      gr->set_age(p->grant->age);
      gr->set_transplant(p->grant->transplant);
    }
    return c.stub()->RequestPayment(ctx.get(), req, r);
  }
  if (const auto* d = std::get_if<books::PaymentDecision>(&op.body)) {
    std::optional<uint64_t> request = ref();
    if (!request.has_value()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          StrCat(op.key, " names ", op.ref_key, ", not recorded"));
    }
    if (op.kind == "payment.approve") {
      v1::ApprovePaymentRequest req;
      req.set_idempotency_key(op.key);
      req.set_date(d->date);
      req.set_request(*request);
      return c.stub()->ApprovePayment(ctx.get(), req, r);
    }
    v1::RejectPaymentRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(d->date);
    req.set_request(*request);
    req.set_reason(d->reason);
    return c.stub()->RejectPayment(ctx.get(), req, r);
  }
  if (const auto* v = std::get_if<books::Reversal>(&op.body)) {
    std::optional<uint64_t> target = ref();
    if (!target.has_value()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          StrCat(op.key, " names ", op.ref_key, ", not recorded"));
    }
    v1::ReverseRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(v->date);
    req.set_reverses(*target);
    req.set_reason(v->reason);
    return c.stub()->Reverse(ctx.get(), req, r);
  }
  if (const auto* rv = std::get_if<books::ReceiptVoid>(&op.body)) {
    v1::VoidReceiptRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(rv->date);
    req.set_book(rv->book);
    req.set_number(rv->number);
    req.set_reason(rv->reason);
    return c.stub()->VoidReceipt(ctx.get(), req, r);
  }
  if (const auto* in = std::get_if<books::Indicator>(&op.body)) {
    v1::RecordIndicatorRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(in->date);
    req.set_id(in->id);
    req.set_name(in->name);
    req.set_unit(in->unit);
    req.set_value(in->value);
    return c.stub()->RecordIndicator(ctx.get(), req, r);
  }
  if (const auto* rl = std::get_if<books::Release>(&op.body)) {
    v1::ReleaseFundRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(rl->date);
    req.set_from(rl->from);
    req.set_to(rl->to);
    req.set_amount(rl->amount);
    req.set_reason(rl->reason);
    return c.stub()->ReleaseFund(ctx.get(), req, r);
  }
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, StrCat("demo: no RPC for ", op.kind));
}

}  // namespace

int DemoLocal(const std::string& dir, const std::string& origin, bool quiet, bool json_out) {
  books::BooksHook hook;
  ledger::LedgerOptions o;
  o.origin = origin;
  o.hook = &hook;
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> log = ledger::Ledger::Open(dir, o);
  if (!log.ok()) return Fail(log.status());
  books::PersonalStore people((*log)->storage());
  books::Clerk clerk(log->get(), &hook);
  std::ostringstream steps;
  absl::Status s = books::LoadDemo(clerk, people, quiet || json_out ? steps : std::cout);
  if (!s.ok()) return Fail(s);
  if (json_out) {
    std::cout << json{{"ok", true},
                      {"data", dir},
                      {"tree_size", (*log)->Size()},
                      {"checkpoint", (*log)->LatestCheckpoint()}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << "demo: the 2019 dataset is in " << dir << " (" << (*log)->Size()
            << " entries); the latest checkpoint:\n"
            << (*log)->LatestCheckpoint();
  return 0;
}

int DemoRemote(const Global& g, Client& c, bool quiet) {
  if (c.token().empty()) {
    return Fail(absl::InvalidArgumentError(
        "demo through the server needs an admin token: --token-file DATA/credentials/admin.token"));
  }
  // The chart, then the dataset's staff: a clerk and an approver (two people, as
  // payments need), as users of their own, "demo." + the dataset's name, so that
  // no real user's token is touched. Their tokens are reissued on every run.
  v1::InitBooksResponse init;
  grpc::Status s = c.stub()->InitBooks(c.Ctx().get(), v1::InitBooksRequest(), &init);
  if (!s.ok()) return FailRpc(g, s);
  std::map<std::string, std::string> tokens;
  for (auto [name, role] :
       {std::pair{"clerk.wang", v1::ROLE_CLERK}, std::pair{"approver.li", v1::ROLE_APPROVER}}) {
    v1::AddUserRequest req;
    req.set_name(StrCat("demo.", name));
    req.set_role(role);
    req.set_replace(true);
    v1::AddUserResponse resp;
    s = c.stub()->AddUser(c.Ctx().get(), req, &resp);
    if (!s.ok()) return FailRpc(g, s);
    tokens[name] = resp.token();
  }
  std::map<std::string, uint64_t> index_of;
  int recorded = 0, present = 0, refused = 0;
  v1::Receipt last;
  std::vector<books::DemoOp> ops = books::DemoDataset();
  for (books::DemoOp& op : books::DemoIndicators()) ops.push_back(std::move(op));
  for (const books::DemoOp& op : ops) {
    if (op.kind == "account.open") continue;  // InitBooks opened the chart
    auto t = tokens.find(op.by);
    const std::string& token = t == tokens.end() ? c.token() : t->second;
    v1::Receipt r;
    s = SendDemoOp(c, token, op, index_of, &r);
    if (op.expect_rejection) {
      if (s.ok()) {
        return Fail(absl::InternalError(StrCat("demo: ", op.key, " should have been refused")));
      }
      ++refused;
      if (!quiet && !g.json)
        std::cout << "refused   " << op.kind << " " << op.key << ": " << s.error_message() << "\n";
      continue;
    }
    if (!s.ok()) {
      std::cerr << "boai: demo step " << op.key << " (" << op.kind << ")\n";
      return FailRpc(g, s);
    }
    absl::StatusOr<std::string> checked =
        VerifyProof(r.index(), r.leaf_hash(), r.inclusion_proof(), r.checkpoint(), g.vkey);
    if (!checked.ok()) return Fail(checked.status());
    index_of[op.key] = r.index();
    (r.duplicate() ? present : recorded)++;
    if (!quiet && !g.json) {
      std::cout << (r.duplicate() ? "present   #" : "recorded  #") << r.index() << " " << op.kind
                << " " << op.key << "\n";
    }
    last = r;
  }
  v1::GetCheckpointResponse cp;
  s = c.stub()->GetCheckpoint(c.Ctx().get(), v1::GetCheckpointRequest(), &cp);
  if (!s.ok()) return FailRpc(g, s);
  if (g.json) {
    std::cout << json{{"ok", true},
                      {"recorded", recorded},
                      {"present", present},
                      {"refused", refused},
                      {"accounts_opened", init.opened()},
                      {"tree_size", cp.checkpoint().tree_size()},
                      {"checkpoint", cp.checkpoint().note()}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "demo: the 2019 dataset is loaded through " << g.target << " (" << recorded
              << " recorded, " << present << " already present, " << refused
              << " refused as expected; " << cp.checkpoint().tree_size()
              << " entries); the latest checkpoint:\n"
              << cp.checkpoint().note();
  }
  return 0;
}

}  // namespace boai::cli
