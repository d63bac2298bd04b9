#include "services/ledger_service.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "ledger/books/chart.h"
#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/leaf.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"
#include "services/status.h"

namespace boai::service {
namespace {

using v1::Receipt;

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

std::string Q(std::string_view s) {
  // Every write logs its user and key: plain printable ASCII (the usual case)
  // needs no escaping, and quoting it is a copy.
  bool plain = true;
  for (char c : s) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (plain) {
    std::string out;
    out.reserve(s.size() + 2);
    out.push_back('"');
    out.append(s);
    out.push_back('"');
    return out;
  }
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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

// A few threads for the parts of callback writes that may block (registering
// personal data syncs the personal store), so gRPC's callback threads never wait
// for a disk. Tasks run in submission order per thread; the destructor runs every
// queued task, then joins.
class LedgerService::BlockingPool {
 public:
  explicit BlockingPool(int threads) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] {
        pthread_setname_np(pthread_self(), "boai-blocking");
        while (true) {
          std::function<void()> task;
          {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
            if (tasks_.empty()) return;
            task = std::move(tasks_.front());
            tasks_.pop_front();
          }
          task();
        }
      });
    }
  }
  ~BlockingPool() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  void Run(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Complete subtree hashes for receipts' inclusion proofs, read from storage once
// and kept: a stored node never changes, and the receipts of a batch (and of the
// batches after it) share most of their paths. Bounded; thread-safe.
class LedgerService::ProofNodes : public ledger::NodeSource {
 public:
  explicit ProofNodes(const ledger::Storage* storage) : stored_(storage) {}

  absl::StatusOr<ledger::Hash> Node(int level, uint64_t index) const override {
    const uint64_t key = (static_cast<uint64_t>(level) << 56) | index;
    std::lock_guard lock(mu_);
    if (auto it = nodes_.find(key); it != nodes_.end()) return it->second;
    absl::StatusOr<ledger::Hash> h = stored_.Node(level, index);
    if (!h.ok()) return h.status();
    if (nodes_.size() >= kMaxNodes) nodes_.clear();
    nodes_.emplace(key, *h);
    return h;
  }

 private:
  static constexpr size_t kMaxNodes = size_t{1} << 16;  // about 3 MiB
  ledger::StoredNodes stored_;
  mutable std::mutex mu_;
  mutable std::unordered_map<uint64_t, ledger::Hash> nodes_;
};

LedgerService::LedgerService(ledger::Ledger* ledger, const books::BooksHook* books,
                             const books::Clerk* clerk, books::PersonalStore* people,
                             UserStore* users)
    : ledger_(ledger),
      books_(books),
      clerk_(clerk),
      people_(people),
      users_(users),
      index_(ledger),
      pool_(std::make_unique<BlockingPool>(4)),
      proof_nodes_(std::make_unique<ProofNodes>(ledger->storage())) {}

LedgerService::~LedgerService() = default;

std::string LedgerService::Today() const {
  uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  return books::DateOf(now);
}

absl::StatusOr<User> LedgerService::Authorize(const grpc::ServerContextBase* ctx,
                                              std::string_view rpc, Access need) const {
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) {
    // No token: a client certificate mapped to a user ([[client_cert]]), if any.
    std::shared_ptr<const grpc::AuthContext> auth = ctx->auth_context();
    std::vector<grpc::string_ref> pems;
    if (auth != nullptr) pems = auth->FindPropertyValues("x509_pem_cert");
    if (!pems.empty()) {
      std::optional<User> user =
          users_->AuthenticateCertificate(std::string_view(pems[0].data(), pems[0].size()));
      if (user.has_value()) {
        if (!Allows(user->role, need)) {
          return absl::PermissionDeniedError(StrCat("user ", user->name, " (role ",
                                                    RoleName(user->role),
                                                    ", by client certificate) may not call ", rpc,
                                                    "; it needs role ", AccessRoles(need)));
        }
        return *user;
      }
      if (need != Access::kPublic) {
        return absl::UnauthenticatedError(
            StrCat(rpc,
                   " needs a known user: the client certificate is not mapped to one (add a "
                   "[[client_cert]] table with its subject CN or SHA-256 fingerprint to boaid's "
                   "config), and no bearer token was sent"));
      }
    }
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

absl::Status LedgerService::FillReceipt(const ledger::AppendResult& r, std::string_view kind,
                                        std::string_view person_id, Receipt* out) const {
  out->set_index(r.index);
  out->set_leaf_hash(std::string(ledger::HashBytes(r.leaf_hash)));
  out->set_duplicate(r.duplicate);
  out->set_kind(std::string(kind));
  out->set_person_id(std::string(person_id));
  // Every write of a batch shares its checkpoint: parse each note once per thread.
  thread_local std::string cached_note;
  thread_local v1::SignedCheckpoint cached;
  if (cached_note != r.checkpoint) {
    absl::Status s = FillCheckpoint(r.checkpoint, &cached);
    if (!s.ok()) return s;
    cached_note = r.checkpoint;
  }
  *out->mutable_checkpoint() = cached;
  // The ledger answers only once r.tree_size is durable (r.tree_size <= Size()).
  absl::StatusOr<std::vector<ledger::Hash>> path =
      ledger::InclusionProof(*proof_nodes_, r.index, r.tree_size);
  if (!path.ok()) return path.status();
  for (const ledger::Hash& h : *path) out->add_inclusion_proof(std::string(ledger::HashBytes(h)));
  out->set_tlog_proof(ledger::FormatTlogProof(ledger::TlogProof{"", r.index, *path, r.checkpoint}));
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* LedgerService::RunWrite(
    grpc::CallbackServerContext* ctx, std::string_view rpc, Access need, std::string_view key,
    bool may_block, std::function<absl::StatusOr<Write>(const User&)> prepare, Receipt* out) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<User> user = Authorize(ctx, rpc, need);
  if (!user.ok()) {
    reactor->Finish(Reject(rpc, "", key, user.status()));
    return reactor;
  }
  if (may_block) {
    pool_->Run([this, reactor, rpc, key, user = std::move(*user), prepare = std::move(prepare),
                out] { PrepareAndAppend(reactor, rpc, key, user, prepare, out); });
  } else {
    PrepareAndAppend(reactor, rpc, key, *user, prepare, out);
  }
  return reactor;
}

void LedgerService::PrepareAndAppend(
    grpc::ServerUnaryReactor* reactor, std::string_view rpc, std::string_view key, const User& user,
    const std::function<absl::StatusOr<Write>(const User&)>& prepare, Receipt* out) {
  absl::StatusOr<Write> w = prepare(user);
  if (!w.ok()) {
    reactor->Finish(Reject(rpc, user.name, key, w.status()));
    return;
  }
  if (!w->draft.has_value()) {
    absl::StatusOr<ledger::EntryDraft> d =
        clerk_->Draft(w->kind, user.name, std::move(w->body), w->key);
    if (!d.ok()) {
      reactor->Finish(Reject(rpc, user.name, w->key, d.status()));
      return;
    }
    w->draft = std::move(*d);
  }
  std::vector<ledger::EntryDraft> drafts;
  drafts.push_back(std::move(*w->draft));
  // Called by the ledger once the batch holding the entry is synced (or failed).
  ledger_->AppendAsync(
      std::move(drafts), [this, reactor, rpc, out, by = user.name, kind = std::move(w->kind),
                          key = std::move(w->key), person_id = std::move(w->person_id)](
                             std::vector<absl::StatusOr<ledger::AppendResult>> results) {
        const absl::StatusOr<ledger::AppendResult>& r = results[0];
        if (!r.ok()) {
          reactor->Finish(Reject(rpc, by, key, r.status()));
          return;
        }
        if (absl::Status s = FillReceipt(*r, kind, person_id, out); !s.ok()) {
          reactor->Finish(Reject(rpc, by, key, s));
          return;
        }
        spdlog::info("write rpc={} user={} kind={} key={} index={} duplicate={} tree_size={}", rpc,
                     Q(by), kind, Q(key), r->index, r->duplicate, r->tree_size);
        reactor->Finish(grpc::Status::OK);
      });
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
  check.donor = books::Donor{
      g.donor.display.empty() ? std::string(kAnonymousDisplay) : g.donor.display, placeholder};
  absl::StatusOr<ledger::EntryDraft> draft =
      clerk_->Draft("gift", user.name, check, req.idempotency_key());
  if (!draft.ok()) return draft.status();

  Write w{"gift", {}, req.idempotency_key(), "", std::nullopt};
  if (!req.has_donor()) {
    // Without personal data the commitment commits to no person: a value derived
    // from the key, so a retry writes the same leaf. The checked draft is the
    // entry itself.
    w.body = std::move(check);
    w.draft = std::move(*draft);
    return w;
  }
  {
    absl::StatusOr<books::Person> p = people_->Register(FromProto(req.donor()));
    if (!p.ok())
      return absl::Status(p.status().code(), StrCat("donor: ", ToStd(p.status().message())));
    g.donor.commitment = p->commitment;
    w.person_id = p->id;
    if (display == v1::DONOR_DISPLAY_MASKED_NAME)
      g.donor.display = books::MaskedName(req.donor().name());
  }
  w.body = std::move(g);
  return w;
}

grpc::ServerUnaryReactor* LedgerService::RecordGift(grpc::CallbackServerContext* ctx,
                                                    const v1::RecordGiftRequest* req,
                                                    Receipt* out) {
  return RunWrite(
      ctx, "RecordGift", Access::kClerk, req->idempotency_key(), req->has_donor(),
      [this, req](const User& u) { return PrepareGift(*req, u); }, out);
}

grpc::ServerUnaryReactor* LedgerService::RequestPayment(grpc::CallbackServerContext* ctx,
                                                        const v1::RequestPaymentRequest* req,
                                                        Receipt* out) {
  return RunWrite(
      ctx, "RequestPayment", Access::kClerk, req->idempotency_key(), req->has_payee(),
      [this, req](const User& u) -> absl::StatusOr<Write> {
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

grpc::ServerUnaryReactor* LedgerService::ApprovePayment(grpc::CallbackServerContext* ctx,
                                                        const v1::ApprovePaymentRequest* req,
                                                        Receipt* out) {
  return RunWrite(
      ctx, "ApprovePayment", Access::kApprover, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        books::PaymentDecision d;
        d.date = req->date().empty() ? Today() : req->date();
        d.request = req->request();
        return Write{"payment.approve", d, req->idempotency_key(), ""};
      },
      out);
}

grpc::ServerUnaryReactor* LedgerService::RejectPayment(grpc::CallbackServerContext* ctx,
                                                       const v1::RejectPaymentRequest* req,
                                                       Receipt* out) {
  return RunWrite(
      ctx, "RejectPayment", Access::kApprover, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
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

grpc::ServerUnaryReactor* LedgerService::Reverse(grpc::CallbackServerContext* ctx,
                                                 const v1::ReverseRequest* req, Receipt* out) {
  return RunWrite(
      ctx, "Reverse", Access::kClerk, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
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

grpc::ServerUnaryReactor* LedgerService::RecordIndicator(grpc::CallbackServerContext* ctx,
                                                         const v1::RecordIndicatorRequest* req,
                                                         Receipt* out) {
  return RunWrite(
      ctx, "RecordIndicator", Access::kClerk, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        books::Indicator v;
        v.date = req->date().empty() ? Today() : req->date();
        v.id = req->id();
        v.name = req->name();
        v.unit = req->unit();
        v.value = req->value();
        return Write{"indicator", v, req->idempotency_key(), ""};
      },
      out);
}

grpc::ServerUnaryReactor* LedgerService::VoidReceipt(grpc::CallbackServerContext* ctx,
                                                     const v1::VoidReceiptRequest* req,
                                                     Receipt* out) {
  return RunWrite(
      ctx, "VoidReceipt", Access::kClerk, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
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

absl::StatusOr<LedgerService::Write> LedgerService::PrepareMatch(
    const v1::RecordMatchRequest& req) const {
  if (absl::Status s = RequireKey(req.idempotency_key()); !s.ok()) return s;
  books::Match m;
  m.date = req.date().empty() ? Today() : req.date();
  m.campaign = req.campaign();
  m.platform_ref = req.platform_ref();
  m.amount = req.amount();
  return Write{"match", m, req.idempotency_key(), "", std::nullopt};
}

grpc::ServerUnaryReactor* LedgerService::RecordMatch(grpc::CallbackServerContext* ctx,
                                                     const v1::RecordMatchRequest* req,
                                                     Receipt* out) {
  return RunWrite(
      ctx, "RecordMatch", Access::kClerk, req->idempotency_key(), false,
      [this, req](const User&) { return PrepareMatch(*req); }, out);
}

grpc::ServerUnaryReactor* LedgerService::Clawback(grpc::CallbackServerContext* ctx,
                                                  const v1::ClawbackRequest* req, Receipt* out) {
  return RunWrite(
      ctx, "Clawback", Access::kClerk, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
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

grpc::ServerUnaryReactor* LedgerService::Settle(grpc::CallbackServerContext* ctx,
                                                const v1::SettleRequest* req, Receipt* out) {
  return RunWrite(
      ctx, "Settle", Access::kClerk, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
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

grpc::ServerUnaryReactor* LedgerService::OpenFund(grpc::CallbackServerContext* ctx,
                                                  const v1::OpenFundRequest* req, Receipt* out) {
  return RunWrite(
      ctx, "OpenFund", Access::kAdmin, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
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

grpc::ServerUnaryReactor* LedgerService::OpenCampaign(grpc::CallbackServerContext* ctx,
                                                      const v1::OpenCampaignRequest* req,
                                                      Receipt* out) {
  return RunWrite(
      ctx, "OpenCampaign", Access::kAdmin, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
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

grpc::ServerUnaryReactor* LedgerService::SetProgrammeRules(grpc::CallbackServerContext* ctx,
                                                           const v1::SetProgrammeRulesRequest* req,
                                                           Receipt* out) {
  return RunWrite(
      ctx, "SetProgrammeRules", Access::kAdmin, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
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

grpc::ServerUnaryReactor* LedgerService::ReleaseFund(grpc::CallbackServerContext* ctx,
                                                     const v1::ReleaseFundRequest* req,
                                                     Receipt* out) {
  return RunWrite(
      ctx, "ReleaseFund", Access::kAdmin, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
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
}  // namespace boai::service
