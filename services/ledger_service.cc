#include "services/ledger_service.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "ledger/books/chart.h"
#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/leaf.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"
#include "services/status.h"

namespace boai::service {
namespace {

using v1::Receipt;

// Import gifts are drafted and appended this many at a time (one AppendMany,
// so they share batches and fsyncs).
constexpr size_t kImportChunk = 1024;

// A value as a JSON string, for log lines: quoted, escaped, never multi-line.
std::string Q(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::Status RequireKey(std::string_view key) {
  if (key.empty()) {
    return absl::InvalidArgumentError(
        "idempotency_key is required: give every write a key that names it (a receipt number, a "
        "bank reference), so that a retry cannot record it twice");
  }
  absl::Status s = ledger::ValidateKey(key);
  if (!s.ok()) return absl::InvalidArgumentError(StrCat("idempotency_key: ", ToStd(s.message())));
  return absl::OkStatus();
}

absl::Status RequireText(std::string_view field, std::string_view value) {
  if (StripWhitespace(value).empty()) {
    return absl::InvalidArgumentError(StrCat(field, " is required"));
  }
  return absl::OkStatus();
}

absl::Status FillCheckpoint(const std::string& note_text, v1::SignedCheckpoint* out) {
  absl::StatusOr<ledger::Note> note = ledger::ParseNote(note_text);
  if (!note.ok())
    return absl::InternalError(StrCat("checkpoint: ", ToStd(note.status().message())));
  absl::StatusOr<ledger::Checkpoint> cp = ledger::ParseCheckpointBody(note->text);
  if (!cp.ok()) return absl::InternalError(StrCat("checkpoint: ", ToStd(cp.status().message())));
  out->set_note(note_text);
  out->set_tree_size(cp->size);
  out->set_root_hash(std::string(ledger::HashBytes(cp->root)));
  return absl::OkStatus();
}

std::optional<Role> FromProto(v1::Role r) {
  switch (r) {
    case v1::ROLE_PUBLIC:
      return Role::kPublic;
    case v1::ROLE_AUDITOR:
      return Role::kAuditor;
    case v1::ROLE_CLERK:
      return Role::kClerk;
    case v1::ROLE_APPROVER:
      return Role::kApprover;
    case v1::ROLE_ADMIN:
      return Role::kAdmin;
    default:
      return std::nullopt;
  }
}

books::PersonalData FromProto(const v1::PersonalData& p) {
  return books::PersonalData{p.name(), p.phone(), p.id_number(), p.address(), p.hospital()};
}

}  // namespace

std::string MaskedName(std::string_view name) {
  name = StripWhitespace(name);
  size_t len = 1;
  unsigned char c = static_cast<unsigned char>(name[0]);
  if (c >= 0xF0)
    len = 4;
  else if (c >= 0xE0)
    len = 3;
  else if (c >= 0xC0)
    len = 2;
  return StrCat(name.substr(0, std::min(len, name.size())), "*");
}

absl::StatusOr<uint32_t> OpenMissingChart(const books::Clerk& clerk, const std::string& by) {
  std::vector<books::AccountOpen> missing;
  clerk.books()->Read([&missing](const books::Books& b) {
    for (books::AccountOpen& a : books::StandardChart()) {
      if (!b.accounts().count(a.id)) missing.push_back(std::move(a));
    }
    return 0;
  });
  if (missing.empty()) return 0u;
  std::vector<ledger::EntryDraft> drafts;
  for (books::AccountOpen& a : missing) {
    std::string key = StrCat("account/", a.id);
    absl::StatusOr<ledger::EntryDraft> d =
        clerk.Draft("account.open", by, std::move(a), std::move(key));
    if (!d.ok()) return d.status();
    drafts.push_back(std::move(*d));
  }
  uint32_t opened = 0;
  for (auto& r : clerk.ledger()->AppendMany(std::move(drafts))) {
    if (!r.ok()) return r.status();
    if (!r->duplicate) ++opened;
  }
  return opened;
}

LedgerService::LedgerService(ledger::Ledger* ledger, const books::BooksHook* books,
                             const books::Clerk* clerk, books::PersonalStore* people,
                             UserStore* users)
    : ledger_(ledger), books_(books), clerk_(clerk), people_(people), users_(users) {}

std::string LedgerService::Today() const {
  uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  return books::DateOf(now);
}

absl::StatusOr<User> LedgerService::Authorize(const grpc::ServerContext* ctx, std::string_view rpc,
                                              Access need) const {
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) {
    if (need == Access::kPublic) return User{"", Role::kPublic};
    return absl::UnauthenticatedError(StrCat(
        rpc,
        " needs a token: send metadata \"authorization: Bearer <token>\" (boai --token-file FILE; "
        "the first admin token is in DATA/credentials/admin.token)"));
  }
  std::string_view value(it->second.data(), it->second.size());
  constexpr std::string_view kBearer = "bearer ";
  bool bearer = value.size() > kBearer.size();
  for (size_t i = 0; bearer && i < kBearer.size(); ++i) {
    bearer = std::tolower(static_cast<unsigned char>(value[i])) == kBearer[i];
  }
  if (!bearer) {
    return absl::UnauthenticatedError("the authorization metadata must be \"Bearer <token>\"");
  }
  std::optional<User> user = users_->Authenticate(StripWhitespace(value.substr(kBearer.size())));
  if (!user.has_value()) {
    return absl::UnauthenticatedError(
        "the token is not known to this server (revoked, mistyped, or from another data "
        "directory)");
  }
  if (!Allows(user->role, need)) {
    return absl::PermissionDeniedError(StrCat("user ", user->name, " (role ", RoleName(user->role),
                                              ") may not call ", rpc, "; it needs role ",
                                              AccessRoles(need)));
  }
  return *user;
}

grpc::Status LedgerService::Reject(std::string_view rpc, const std::string& user,
                                   std::string_view key, const absl::Status& status) const {
  grpc::Status g = ToGrpcStatus(status);
  auto level = (status.code() == absl::StatusCode::kDataLoss ||
                status.code() == absl::StatusCode::kInternal ||
                status.code() == absl::StatusCode::kUnavailable)
                   ? spdlog::level::err
                   : spdlog::level::warn;
  spdlog::log(level, "rejected rpc={} user={} key={} code={} error={}", rpc, Q(user), Q(key),
              GrpcCodeName(g.error_code()), Q(g.error_message()));
  return g;
}

absl::Status LedgerService::FillReceipt(const ledger::AppendResult& r, const Write& w,
                                        Receipt* out) const {
  out->set_index(r.index);
  out->set_leaf_hash(std::string(ledger::HashBytes(r.leaf_hash)));
  out->set_duplicate(r.duplicate);
  out->set_kind(w.kind);
  out->set_person_id(w.person_id);
  absl::Status s = FillCheckpoint(r.checkpoint, out->mutable_checkpoint());
  if (!s.ok()) return s;
  absl::StatusOr<std::vector<ledger::Hash>> path = ledger_->InclusionProof(r.index, r.tree_size);
  if (!path.ok()) return path.status();
  for (const ledger::Hash& h : *path) out->add_inclusion_proof(std::string(ledger::HashBytes(h)));
  out->set_tlog_proof(ledger::FormatTlogProof(ledger::TlogProof{"", r.index, *path, r.checkpoint}));
  return absl::OkStatus();
}

grpc::Status LedgerService::RunWrite(
    grpc::ServerContext* ctx, std::string_view rpc, Access need, std::string_view key,
    const std::function<absl::StatusOr<Write>(const User&)>& prepare, Receipt* out) {
  absl::StatusOr<User> user = Authorize(ctx, rpc, need);
  if (!user.ok()) return Reject(rpc, "", key, user.status());
  absl::StatusOr<Write> w = prepare(*user);
  if (!w.ok()) return Reject(rpc, user->name, key, w.status());
  absl::StatusOr<ledger::AppendResult> r = clerk_->Record(w->kind, user->name, w->body, w->key);
  if (!r.ok()) return Reject(rpc, user->name, w->key, r.status());
  absl::Status s = FillReceipt(*r, *w, out);
  if (!s.ok()) return Reject(rpc, user->name, w->key, s);
  spdlog::info("write rpc={} user={} kind={} key={} index={} duplicate={} tree_size={}", rpc,
               Q(user->name), w->kind, Q(w->key), r->index, r->duplicate, r->tree_size);
  return grpc::Status::OK;
}

grpc::Status LedgerService::Run(grpc::ServerContext* ctx, std::string_view rpc, Access need,
                                const std::function<absl::Status(const User&)>& body) {
  absl::StatusOr<User> user = Authorize(ctx, rpc, need);
  if (!user.ok()) return Reject(rpc, "", "", user.status());
  absl::Status s = body(*user);
  if (!s.ok()) return Reject(rpc, user->name, "", s);
  return grpc::Status::OK;
}

// ---------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------

absl::StatusOr<LedgerService::Write> LedgerService::PrepareGift(const v1::RecordGiftRequest& req,
                                                                const User& user) const {
  if (absl::Status s = RequireKey(req.idempotency_key()); !s.ok()) return s;
  books::Gift g;
  g.date = req.date().empty() ? Today() : req.date();
  g.channel = req.channel();
  g.income = req.income().empty() ? "donation" : req.income();
  g.fund = req.fund();
  g.campaign = req.campaign();
  g.amount = req.amount();
  g.receipt_book = req.receipt_book();
  g.receipt_number = req.receipt_number();
  g.no_receipt = req.no_receipt();
  if (req.has_in_kind()) {
    const v1::InKind& k = req.in_kind();
    g.in_kind =
        books::InKind{k.description(), k.unit(), k.method(), k.quantity(), k.evidence_sha256()};
  }
  if (!req.receipt_book().empty() && req.receipt_number() <= 0) {
    return absl::InvalidArgumentError(
        "receipt_number must be a positive number when receipt_book is given");
  }

  // The display the donor chose, checked before any personal data is stored.
  const bool has_name = req.has_donor() && !StripWhitespace(req.donor().name()).empty();
  v1::DonorDisplay display = req.display();
  if (display == v1::DONOR_DISPLAY_UNSPECIFIED) {
    display = has_name ? v1::DONOR_DISPLAY_MASKED_NAME : v1::DONOR_DISPLAY_ANONYMOUS;
  }
  switch (display) {
    case v1::DONOR_DISPLAY_MASKED_NAME:
      if (!has_name) {
        return absl::InvalidArgumentError(
            "display DONOR_DISPLAY_MASKED_NAME needs donor.name; choose DONOR_DISPLAY_ANONYMOUS "
            "otherwise");
      }
      break;
    case v1::DONOR_DISPLAY_ANONYMOUS:
      g.donor.display = kAnonymousDisplay;
      break;
    case v1::DONOR_DISPLAY_AS_GIVEN: {
      std::string_view d = StripWhitespace(req.display_name());
      if (d.empty() || d.size() > 256) {
        return absl::InvalidArgumentError(
            "display DONOR_DISPLAY_AS_GIVEN needs display_name (1-256 bytes), e.g. an "
            "organisation's name");
      }
      for (char c : d) {
        if (static_cast<unsigned char>(c) < 0x20) {
          return absl::InvalidArgumentError("display_name must not contain control characters");
        }
      }
      g.donor.display = std::string(d);
      break;
    }
    default:
      return absl::InvalidArgumentError(
          StrCat("display ", static_cast<int>(display), " is not a DonorDisplay"));
  }

  // Validate the whole entry with a placeholder donor first, so a bad gift never
  // leaves personal data behind.
  const std::string placeholder = ledger::HashToHex(
      ledger::Sha256(StrCat("boai.v1/no-personal-data\n", req.idempotency_key())));
  books::Gift check = g;
  check.donor = books::Donor{kAnonymousDisplay, placeholder};
  absl::StatusOr<ledger::EntryDraft> draft =
      clerk_->Draft("gift", user.name, check, req.idempotency_key());
  if (!draft.ok()) return draft.status();

  Write w{"gift", {}, req.idempotency_key(), ""};
  if (req.has_donor()) {
    absl::StatusOr<books::Person> p = people_->Register(FromProto(req.donor()));
    if (!p.ok())
      return absl::Status(p.status().code(), StrCat("donor: ", ToStd(p.status().message())));
    g.donor.commitment = p->commitment;
    w.person_id = p->id;
    if (display == v1::DONOR_DISPLAY_MASKED_NAME) g.donor.display = MaskedName(req.donor().name());
  } else {
    // Without personal data the commitment commits to no person: a value derived
    // from the key, so a retry writes the same leaf.
    g.donor.commitment = placeholder;
  }
  w.body = std::move(g);
  return w;
}

grpc::Status LedgerService::RecordGift(grpc::ServerContext* ctx, const v1::RecordGiftRequest* req,
                                       Receipt* out) {
  return RunWrite(
      ctx, "RecordGift", Access::kClerk, req->idempotency_key(),
      [&](const User& u) { return PrepareGift(*req, u); }, out);
}

grpc::Status LedgerService::ImportGifts(grpc::ServerContext* ctx,
                                        grpc::ServerReader<v1::RecordGiftRequest>* reader,
                                        v1::ImportGiftsResponse* out) {
  constexpr std::string_view rpc = "ImportGifts";
  absl::StatusOr<User> user = Authorize(ctx, rpc, Access::kClerk);
  if (!user.ok()) return Reject(rpc, "", "", user.status());

  std::string best_checkpoint;
  uint64_t best_size = 0;
  auto set_error = [&](v1::ImportItemResult* res, const absl::Status& s) {
    grpc::Status g = ToGrpcStatus(s);
    res->set_ok(false);
    res->set_error_code(static_cast<int32_t>(g.error_code()));
    res->set_error(StrCat("item ", res->item(), ": ", g.error_message()));
    spdlog::warn("rejected rpc={} user={} item={} key={} code={} error={}", rpc, Q(user->name),
                 res->item(), Q(res->idempotency_key()), GrpcCodeName(g.error_code()),
                 Q(g.error_message()));
  };
  std::vector<std::pair<uint64_t, v1::RecordGiftRequest>> chunk;
  auto flush = [&]() {
    std::vector<ledger::EntryDraft> drafts;
    std::vector<int> slots;  // result index of each draft
    for (auto& [n, req] : chunk) {
      v1::ImportItemResult* res = out->add_results();
      res->set_item(n);
      res->set_idempotency_key(req.idempotency_key());
      absl::StatusOr<Write> w = PrepareGift(req, *user);
      if (!w.ok()) {
        set_error(res, w.status());
        continue;
      }
      absl::StatusOr<ledger::EntryDraft> d = clerk_->Draft(w->kind, user->name, w->body, w->key);
      if (!d.ok()) {
        set_error(res, d.status());
        continue;
      }
      drafts.push_back(std::move(*d));
      slots.push_back(out->results_size() - 1);
    }
    chunk.clear();
    if (drafts.empty()) return;
    std::vector<absl::StatusOr<ledger::AppendResult>> results =
        ledger_->AppendMany(std::move(drafts));
    for (size_t i = 0; i < results.size(); ++i) {
      v1::ImportItemResult* res = out->mutable_results(slots[i]);
      if (!results[i].ok()) {
        set_error(res, results[i].status());
        continue;
      }
      const ledger::AppendResult& r = *results[i];
      res->set_ok(true);
      res->set_index(r.index);
      res->set_leaf_hash(std::string(ledger::HashBytes(r.leaf_hash)));
      res->set_duplicate(r.duplicate);
      if (r.tree_size > best_size) {
        best_size = r.tree_size;
        best_checkpoint = r.checkpoint;
      }
    }
  };

  uint64_t item = 0;
  v1::RecordGiftRequest req;
  while (reader->Read(&req)) {
    chunk.emplace_back(++item, std::move(req));
    req.Clear();
    if (chunk.size() >= kImportChunk) flush();
  }
  flush();

  for (const v1::ImportItemResult& r : out->results()) {
    if (!r.ok()) {
      out->set_failed(out->failed() + 1);
    } else if (r.duplicate()) {
      out->set_duplicates(out->duplicates() + 1);
    } else {
      out->set_recorded(out->recorded() + 1);
    }
  }
  if (!best_checkpoint.empty()) {
    absl::Status s = FillCheckpoint(best_checkpoint, out->mutable_checkpoint());
    if (!s.ok()) return Reject(rpc, user->name, "", s);
  }
  spdlog::info(
      "write rpc={} user={} kind=gift items={} recorded={} duplicates={} failed={} tree_size={}",
      rpc, Q(user->name), item, out->recorded(), out->duplicates(), out->failed(), best_size);
  return grpc::Status::OK;
}

grpc::Status LedgerService::RequestPayment(grpc::ServerContext* ctx,
                                           const v1::RequestPaymentRequest* req, Receipt* out) {
  return RunWrite(
      ctx, "RequestPayment", Access::kClerk, req->idempotency_key(),
      [&](const User& u) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        books::PaymentRequest p;
        p.date = req->date().empty() ? Today() : req->date();
        p.fund = req->fund();
        p.amount = req->amount();
        p.purpose = req->purpose();
        p.method = req->method();
        p.expires = req->expires().empty() && p.date.size() >= 4
                        ? StrCat(p.date.substr(0, 4), "-12-31")
                        : req->expires();
        if (req->has_payee() == !req->payee_label().empty()) {
          return absl::InvalidArgumentError(
              "give the payee's personal data (payee) or a non-personal payee_label, exactly one");
        }
        if (!req->payee_label().empty()) {
          absl::Status s = books::CheckId("payee_label", req->payee_label());
          if (!s.ok()) {
            return absl::InvalidArgumentError(StrCat(
                ToStd(s.message()), "; a label is never a person's name: give a person as payee"));
          }
        }
        if (absl::Status s = RequireText("purpose", p.purpose); !s.ok()) return s;
        p.payee = req->payee_label().empty() ? "p-pending" : req->payee_label();
        if (req->has_grant()) {
          const v1::Grant& g = req->grant();
          p.grant = books::Grant{g.programme(), p.payee, g.tier(), g.age(), g.transplant()};
        }
        // Validate before any personal data is stored.
        absl::StatusOr<ledger::EntryDraft> check =
            clerk_->Draft("payment.request", u.name, p, req->idempotency_key());
        if (!check.ok()) return check.status();
        Write w{"payment.request", {}, req->idempotency_key(), ""};
        if (req->has_payee()) {
          absl::StatusOr<books::Person> person = people_->Register(FromProto(req->payee()));
          if (!person.ok()) {
            return absl::Status(person.status().code(),
                                StrCat("payee: ", ToStd(person.status().message())));
          }
          p.payee = person->id;
          if (p.grant.has_value()) p.grant->beneficiary = person->id;
          w.person_id = person->id;
        }
        w.body = std::move(p);
        return w;
      },
      out);
}

grpc::Status LedgerService::ApprovePayment(grpc::ServerContext* ctx,
                                           const v1::ApprovePaymentRequest* req, Receipt* out) {
  return RunWrite(
      ctx, "ApprovePayment", Access::kApprover, req->idempotency_key(),
      [&](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        books::PaymentDecision d;
        d.date = req->date().empty() ? Today() : req->date();
        d.request = req->request();
        return Write{"payment.approve", d, req->idempotency_key(), ""};
      },
      out);
}

grpc::Status LedgerService::RejectPayment(grpc::ServerContext* ctx,
                                          const v1::RejectPaymentRequest* req, Receipt* out) {
  return RunWrite(
      ctx, "RejectPayment", Access::kApprover, req->idempotency_key(),
      [&](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        if (absl::Status s = RequireText("reason", req->reason()); !s.ok()) return s;
        books::PaymentDecision d;
        d.date = req->date().empty() ? Today() : req->date();
        d.request = req->request();
        d.reason = req->reason();
        return Write{"payment.reject", d, req->idempotency_key(), ""};
      },
      out);
}

grpc::Status LedgerService::Reverse(grpc::ServerContext* ctx, const v1::ReverseRequest* req,
                                    Receipt* out) {
  return RunWrite(
      ctx, "Reverse", Access::kClerk, req->idempotency_key(),
      [&](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        if (absl::Status s = RequireText("reason", req->reason()); !s.ok()) return s;
        books::Reversal v;
        v.date = req->date().empty() ? Today() : req->date();
        v.reverses = req->reverses();
        v.reason = req->reason();
        return Write{"reversal", v, req->idempotency_key(), ""};
      },
      out);
}

grpc::Status LedgerService::VoidReceipt(grpc::ServerContext* ctx, const v1::VoidReceiptRequest* req,
                                        Receipt* out) {
  return RunWrite(
      ctx, "VoidReceipt", Access::kClerk, req->idempotency_key(),
      [&](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        if (absl::Status s = RequireText("reason", req->reason()); !s.ok()) return s;
        books::ReceiptVoid v;
        v.date = req->date().empty() ? Today() : req->date();
        v.book = req->book();
        v.number = req->number();
        v.reason = req->reason();
        return Write{"receipt.void", v, req->idempotency_key(), ""};
      },
      out);
}

grpc::Status LedgerService::RecordMatch(grpc::ServerContext* ctx, const v1::RecordMatchRequest* req,
                                        Receipt* out) {
  return RunWrite(
      ctx, "RecordMatch", Access::kClerk, req->idempotency_key(),
      [&](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        books::Match m;
        m.date = req->date().empty() ? Today() : req->date();
        m.campaign = req->campaign();
        m.platform_ref = req->platform_ref();
        m.amount = req->amount();
        return Write{"match", m, req->idempotency_key(), ""};
      },
      out);
}

grpc::Status LedgerService::Clawback(grpc::ServerContext* ctx, const v1::ClawbackRequest* req,
                                     Receipt* out) {
  return RunWrite(
      ctx, "Clawback", Access::kClerk, req->idempotency_key(),
      [&](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        if (absl::Status s = RequireText("reason", req->reason()); !s.ok()) return s;
        books::Clawback c;
        c.date = req->date().empty() ? Today() : req->date();
        c.campaign = req->campaign();
        c.amount = req->amount();
        c.reason = req->reason();
        return Write{"match.clawback", c, req->idempotency_key(), ""};
      },
      out);
}

grpc::Status LedgerService::Settle(grpc::ServerContext* ctx, const v1::SettleRequest* req,
                                   Receipt* out) {
  return RunWrite(
      ctx, "Settle", Access::kClerk, req->idempotency_key(),
      [&](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        books::Settlement s;
        s.date = req->date().empty() ? Today() : req->date();
        s.campaign = req->campaign();
        s.gifts = req->gifts();
        s.matching = req->matching();
        s.file_sha256 = req->file_sha256();
        return Write{"settlement", s, req->idempotency_key(), ""};
      },
      out);
}

grpc::Status LedgerService::InitBooks(grpc::ServerContext* ctx, const v1::InitBooksRequest*,
                                      v1::InitBooksResponse* out) {
  return Run(ctx, "InitBooks", Access::kAdmin, [&](const User& u) -> absl::Status {
    absl::StatusOr<uint32_t> opened = OpenMissingChart(*clerk_, u.name);
    if (!opened.ok()) return opened.status();
    out->set_opened(*opened);
    out->set_accounts(static_cast<uint32_t>(
        books_->Read([](const books::Books& b) { return b.accounts().size(); })));
    spdlog::info("write rpc=InitBooks user={} kind=account.open opened={}", Q(u.name), *opened);
    return absl::OkStatus();
  });
}

grpc::Status LedgerService::OpenFund(grpc::ServerContext* ctx, const v1::OpenFundRequest* req,
                                     Receipt* out) {
  return RunWrite(
      ctx, "OpenFund", Access::kAdmin, req->idempotency_key(),
      [&](const User&) -> absl::StatusOr<Write> {
        std::string key =
            req->idempotency_key().empty() ? StrCat("fund/", req->id()) : req->idempotency_key();
        if (absl::Status s = RequireKey(key); !s.ok()) return s;
        if (absl::Status s = RequireText("name", req->name()); !s.ok()) return s;
        return Write{"fund.open",
                     books::FundOpen{req->id(), req->name(), req->purpose(), req->restricted()},
                     key, ""};
      },
      out);
}

grpc::Status LedgerService::OpenCampaign(grpc::ServerContext* ctx,
                                         const v1::OpenCampaignRequest* req, Receipt* out) {
  return RunWrite(
      ctx, "OpenCampaign", Access::kAdmin, req->idempotency_key(),
      [&](const User&) -> absl::StatusOr<Write> {
        std::string key = req->idempotency_key().empty() ? StrCat("campaign/", req->id())
                                                         : req->idempotency_key();
        if (absl::Status s = RequireKey(key); !s.ok()) return s;
        if (absl::Status s = RequireText("name", req->name()); !s.ok()) return s;
        return Write{"campaign.open",
                     books::CampaignOpen{req->id(), req->name(), req->fund(), req->platform(),
                                         req->start(), req->end(), req->target()},
                     key, ""};
      },
      out);
}

grpc::Status LedgerService::SetProgrammeRules(grpc::ServerContext* ctx,
                                              const v1::SetProgrammeRulesRequest* req,
                                              Receipt* out) {
  return RunWrite(
      ctx, "SetProgrammeRules", Access::kAdmin, req->idempotency_key(),
      [&](const User&) -> absl::StatusOr<Write> {
        std::string key = req->idempotency_key().empty()
                              ? StrCat("programme/", req->programme(), "/", req->version())
                              : req->idempotency_key();
        if (absl::Status s = RequireKey(key); !s.ok()) return s;
        books::ProgrammeRules p;
        p.programme = req->programme();
        p.name = req->name();
        p.fund = req->fund();
        p.effective_from = req->effective_from();
        p.version = req->version();
        p.age_min = req->age_min();
        p.age_max = req->age_max();
        p.max_total = req->max_total();
        for (const v1::Tier& t : req->tiers()) {
          p.tiers.push_back(
              books::Tier{t.id(), t.amount(), t.requires_tier(), t.requires_transplant()});
        }
        return Write{"programme.rules", p, key, ""};
      },
      out);
}

grpc::Status LedgerService::ReleaseFund(grpc::ServerContext* ctx, const v1::ReleaseFundRequest* req,
                                        Receipt* out) {
  return RunWrite(
      ctx, "ReleaseFund", Access::kAdmin, req->idempotency_key(),
      [&](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        if (absl::Status s = RequireText("reason", req->reason()); !s.ok()) return s;
        books::Release r;
        r.date = req->date().empty() ? Today() : req->date();
        r.from = req->from();
        r.to = req->to();
        r.amount = req->amount();
        r.reason = req->reason();
        return Write{"fund.release", r, req->idempotency_key(), ""};
      },
      out);
}

grpc::Status LedgerService::AddUser(grpc::ServerContext* ctx, const v1::AddUserRequest* req,
                                    v1::AddUserResponse* out) {
  return Run(ctx, "AddUser", Access::kAdmin, [&](const User& u) -> absl::Status {
    std::optional<Role> role = FromProto(req->role());
    if (!role.has_value()) {
      return absl::InvalidArgumentError(
          "role is required: public, auditor, clerk, approver or admin");
    }
    absl::StatusOr<std::string> token = users_->AddUser(req->name(), *role, req->replace());
    if (!token.ok()) return token.status();
    out->set_name(req->name());
    out->set_role(req->role());
    out->set_token(*token);
    spdlog::info("user rpc=AddUser user={} name={} role={} replace={}", Q(u.name), Q(req->name()),
                 RoleName(*role), req->replace());
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------

namespace {

absl::Status FillEntry(const ledger::Ledger& log, uint64_t index, v1::Entry* out) {
  absl::StatusOr<std::string> leaf = log.LeafAt(index);
  if (!leaf.ok()) return leaf.status();
  thread_local ledger::LeafDecoder decoder;
  absl::StatusOr<ledger::LeafView> view = decoder.DecodeView(*leaf);
  if (!view.ok()) {
    return absl::DataLossError(
        StrCat("entry ", index, " does not decode: ", ToStd(view.status().message())));
  }
  out->set_index(index);
  out->set_leaf_hash(std::string(ledger::HashBytes(ledger::LeafHash(*leaf))));
  out->set_kind(view->header.kind);
  out->set_key(view->header.key);
  out->set_time_ms(view->header.time_ms);
  out->set_body_json(std::string(view->body));
  nlohmann::json body = nlohmann::json::parse(view->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("by") && body["by"].is_string()) {
    out->set_by(body["by"].get<std::string>());
  }
  out->set_leaf(std::move(*leaf));
  return absl::OkStatus();
}

}  // namespace

grpc::Status LedgerService::GetEntry(grpc::ServerContext* ctx, const v1::GetEntryRequest* req,
                                     v1::Entry* out) {
  return Run(ctx, "GetEntry", Access::kRead,
             [&](const User&) { return FillEntry(*ledger_, req->index(), out); });
}

grpc::Status LedgerService::ListEntries(grpc::ServerContext* ctx, const v1::ListEntriesRequest* req,
                                        grpc::ServerWriter<v1::Entry>* writer) {
  return Run(ctx, "ListEntries", Access::kRead, [&](const User&) -> absl::Status {
    const uint64_t size = ledger_->Size();
    if (req->start() > size) {
      return absl::OutOfRangeError(
          StrCat("start ", req->start(), " is beyond the log's size ", size));
    }
    uint64_t end = size;
    if (req->count() != 0 && req->count() < size - req->start()) end = req->start() + req->count();
    for (uint64_t i = req->start(); i < end; ++i) {
      if (ctx->IsCancelled()) return absl::CancelledError("the client cancelled the stream");
      v1::Entry e;
      absl::Status s = FillEntry(*ledger_, i, &e);
      if (!s.ok()) return s;
      if (!req->kind().empty() && e.kind() != req->kind()) continue;
      if (!writer->Write(e)) return absl::CancelledError("the client went away");
    }
    return absl::OkStatus();
  });
}

grpc::Status LedgerService::GetBalances(grpc::ServerContext* ctx, const v1::GetBalancesRequest* req,
                                        v1::GetBalancesResponse* out) {
  return Run(ctx, "GetBalances", Access::kRead, [&](const User&) -> absl::Status {
    out->set_tree_size(ledger_->Size());
    bool found = books_->Read([&](const books::Books& b) {
      bool any = false;
      for (const auto& [id, f] : b.funds()) {
        if (!req->fund().empty() && id != req->fund()) continue;
        any = true;
        v1::FundBalance* fb = out->add_funds();
        fb->set_id(id);
        fb->set_name(f.def.name);
        fb->set_restricted(f.def.restricted);
        fb->set_net(f.net);
        fb->set_reserved(f.reserved);
        fb->set_voidable(f.voidable);
        fb->set_available(f.Available());
      }
      for (const auto& [key, amount] : b.balances()) {
        const auto& [account, fund] = key;
        if (amount == 0 || (!req->fund().empty() && fund != req->fund())) continue;
        v1::AccountBalance* ab = out->add_balances();
        ab->set_account(account);
        auto a = b.accounts().find(account);
        if (a != b.accounts().end()) ab->set_account_name(a->second.name);
        ab->set_fund(fund);
        ab->set_amount(amount);
      }
      return any;
    });
    if (!req->fund().empty() && !found) {
      return absl::NotFoundError(StrCat("fund ", req->fund(), " is not open"));
    }
    return absl::OkStatus();
  });
}

grpc::Status LedgerService::GetCampaign(grpc::ServerContext* ctx, const v1::GetCampaignRequest* req,
                                        v1::Campaign* out) {
  return Run(ctx, "GetCampaign", Access::kRead, [&](const User&) -> absl::Status {
    bool found = books_->Read([&](const books::Books& b) {
      auto it = b.campaigns().find(req->id());
      if (it == b.campaigns().end()) return false;
      const books::CampaignState& c = it->second;
      out->set_id(c.def.id);
      out->set_name(c.def.name);
      out->set_fund(c.def.fund);
      out->set_platform(c.def.platform);
      out->set_start(c.def.start);
      out->set_end(c.def.end);
      out->set_target(c.def.target);
      out->set_raised(c.raised);
      out->set_gifts(c.gifts);
      out->set_online_unsettled(c.online_unsettled);
      out->set_matched(c.matched);
      out->set_clawed_back(c.clawed_back);
      out->set_settled_gifts(c.settled_gifts);
      out->set_settled_matching(c.settled_matching);
      out->set_progress(c.raised + c.matched - c.clawed_back);
      return true;
    });
    if (!found) return absl::NotFoundError(StrCat("campaign ", req->id(), " is not open"));
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------

grpc::Status LedgerService::GetCheckpoint(grpc::ServerContext* ctx,
                                          const v1::GetCheckpointRequest* req,
                                          v1::GetCheckpointResponse* out) {
  return Run(ctx, "GetCheckpoint", Access::kPublic, [&](const User&) -> absl::Status {
    std::string note;
    if (req->tree_size() == 0) {
      note = ledger_->LatestCheckpoint();
    } else {
      absl::StatusOr<std::string> at = ledger_->CheckpointAt(req->tree_size());
      if (!at.ok()) return at.status();
      note = std::move(*at);
    }
    out->set_verifier_key(ledger_->verifier().VerifierKey());
    return FillCheckpoint(note, out->mutable_checkpoint());
  });
}

grpc::Status LedgerService::GetInclusionProof(grpc::ServerContext* ctx,
                                              const v1::GetInclusionProofRequest* req,
                                              v1::GetInclusionProofResponse* out) {
  return Run(ctx, "GetInclusionProof", Access::kPublic, [&](const User&) -> absl::Status {
    std::string note;
    uint64_t size = req->tree_size();
    if (size == 0) {
      note = ledger_->LatestCheckpoint();
      v1::SignedCheckpoint cp;
      if (absl::Status s = FillCheckpoint(note, &cp); !s.ok()) return s;
      size = cp.tree_size();
    } else if (absl::StatusOr<std::string> at = ledger_->CheckpointAt(size); at.ok()) {
      note = std::move(*at);
    }
    if (req->index() >= size) {
      return absl::OutOfRangeError(
          StrCat("entry ", req->index(), " is not in the tree of size ", size));
    }
    absl::StatusOr<std::vector<ledger::Hash>> path = ledger_->InclusionProof(req->index(), size);
    if (!path.ok()) return path.status();
    absl::StatusOr<std::string> leaf = ledger_->LeafAt(req->index());
    if (!leaf.ok()) return leaf.status();
    out->set_index(req->index());
    out->set_tree_size(size);
    out->set_leaf_hash(std::string(ledger::HashBytes(ledger::LeafHash(*leaf))));
    for (const ledger::Hash& h : *path) out->add_hashes(std::string(ledger::HashBytes(h)));
    if (!note.empty()) {
      if (absl::Status s = FillCheckpoint(note, out->mutable_checkpoint()); !s.ok()) return s;
      out->set_tlog_proof(
          ledger::FormatTlogProof(ledger::TlogProof{"", req->index(), *path, note}));
    }
    return absl::OkStatus();
  });
}

grpc::Status LedgerService::GetConsistencyProof(grpc::ServerContext* ctx,
                                                const v1::GetConsistencyProofRequest* req,
                                                v1::GetConsistencyProofResponse* out) {
  return Run(ctx, "GetConsistencyProof", Access::kPublic, [&](const User&) -> absl::Status {
    std::string note;
    uint64_t new_size = req->new_size();
    if (new_size == 0) {
      note = ledger_->LatestCheckpoint();
      v1::SignedCheckpoint cp;
      if (absl::Status s = FillCheckpoint(note, &cp); !s.ok()) return s;
      new_size = cp.tree_size();
    } else if (absl::StatusOr<std::string> at = ledger_->CheckpointAt(new_size); at.ok()) {
      note = std::move(*at);
    }
    if (req->old_size() == 0 || req->old_size() > new_size) {
      return absl::InvalidArgumentError(
          StrCat("old_size must be between 1 and new_size ", new_size, ", got ", req->old_size()));
    }
    absl::StatusOr<std::vector<ledger::Hash>> proof =
        ledger_->ConsistencyProof(req->old_size(), new_size);
    if (!proof.ok()) return proof.status();
    out->set_old_size(req->old_size());
    out->set_new_size(new_size);
    for (const ledger::Hash& h : *proof) out->add_hashes(std::string(ledger::HashBytes(h)));
    if (!note.empty()) return FillCheckpoint(note, out->mutable_checkpoint());
    return absl::OkStatus();
  });
}

}  // namespace boai::service
