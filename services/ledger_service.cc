// boai.v1.Ledger: the parts every RPC shares. Construction, the blocking pool
// and the proof-node cache the service owns, authentication and authorization
// (Authorize, Reject, Run), the callback write path every unary write goes
// through (RunWrite, PrepareAndAppend, FillReceipt), and the helpers other files
// use (Q, FillCheckpoint). The RPCs themselves live in
// write_service.cc (writes, InitBooks, AddUser), import_service.cc (streaming
// imports) and read_service.cc (reads and verification).
#include "services/ledger_service.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>
#include <unordered_map>

#include "ledger/books/chart.h"
#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"
#include "services/status.h"

namespace boai::service {

using v1::Receipt;

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

absl::Status IdsFit(std::initializer_list<std::pair<std::string_view, std::string_view>> ids) {
  for (const auto& [field, id] : ids) {
    if (id.size() > kMaxIdBytes) {
      return absl::InvalidArgumentError(
          StrCat(field, " is ", id.size(), " bytes (\"", Utf8Prefix(id, 32), "...\"): an id is 1-",
                 kMaxIdBytes, " characters of letters, digits, '-', '_' and '.'"));
    }
  }
  return absl::OkStatus();
}

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
      proof_nodes_(std::make_unique<ProofNodes>(ledger->storage())),
      pool_(std::make_unique<ledger::ThreadPool>(4, "boai-blocking")) {
  InstallImportHandlers();
}

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
  // The key may be anything the client sent (it is checked later): quote its start only.
  spdlog::log(level, "rejected rpc={} user={} key={} code={} error={}", rpc, Q(user),
              Q(ShortValue(key)), GrpcCodeName(g.error_code()), Q(g.error_message()));
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

absl::Status LedgerService::EntryExists(std::string_view field, uint64_t index) const {
  const uint64_t size = ledger_->Size();
  if (index >= size) {
    return absl::InvalidArgumentError(
        StrCat(field, ": entry ", index, " does not exist (the log has ", size, " entries)"));
  }
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
    pool_->Submit([this, reactor, rpc, key, user = std::move(*user), prepare = std::move(prepare),
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
      absl::Status st = d.status();
      if (st.code() == absl::StatusCode::kAlreadyExists && !w->conflict.empty())
        st = absl::AlreadyExistsError(w->conflict);
      reactor->Finish(Reject(rpc, user.name, w->key, st));
      return;
    }
    w->draft = std::move(*d);
  }
  std::vector<ledger::EntryDraft> drafts;
  drafts.push_back(std::move(*w->draft));
  // Called by the ledger once the batch holding the entry is synced (or failed).
  ledger_->AppendAsync(
      std::move(drafts),
      [this, reactor, rpc, out, by = user.name, kind = std::move(w->kind), key = std::move(w->key),
       person_id = std::move(w->person_id), conflict = std::move(w->conflict)](
          std::vector<absl::StatusOr<ledger::AppendResult>> results) {
        const absl::StatusOr<ledger::AppendResult>& r = results[0];
        if (!r.ok()) {
          if (r.status().code() == absl::StatusCode::kAlreadyExists && !conflict.empty()) {
            reactor->Finish(Reject(rpc, by, key, absl::AlreadyExistsError(conflict)));
            return;
          }
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

}  // namespace boai::service
