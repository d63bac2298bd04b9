// verify --target HOST:PORT: the offline checks against a running server. The
// server is trusted for nothing but delivering bytes: every leaf is hashed here,
// the chain, the tree root and the books are recomputed here from those hashes
// and bytes, and what the server says (its checkpoints, proofs and balances) is
// checked against them. The auditors' cosignatures the server stores
// (GetCosignatures) are checked as offline, against checkpoints verified here.
// This file: the key, the checkpoints, the streamed leaves and the run; the
// balances, saved checkpoints and cosignatures are in online_claims.cc.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "boai/v1/ledger.grpc.pb.h"
#include "ledger/checkpoint.h"
#include "ledger/keys.h"
#include "ledger/leaf.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"
#include "tools/audit/audit.h"
#include "tools/audit/online_verifier.h"

namespace boai::audit {

using ledger::Hash;

namespace {

// How often the balances may move under us (a server taking writes) before the
// comparison gives up.
constexpr int kBalanceTries = 5;

}  // namespace

// A gRPC failure: the tool could not run (exit 2), not a finding.

absl::Status RpcError(const std::string& what, const std::string& target, const grpc::Status& s) {
  std::string hint;
  switch (s.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      hint = " (reading entries and balances needs an auditor's token: --token-file FILE)";
      break;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      hint = StrCat(" (is boaid listening on ", target, "? with TLS, pass --tls or --tls-ca)");
      break;
    default:
      break;
  }
  return absl::UnavailableError(
      StrCat(what, " from ", target, " failed: ", s.error_message(), hint));
}

absl::StatusOr<v1::GetCheckpointResponse> OnlineVerifier::GetCheckpoint(uint64_t size) {
  v1::GetCheckpointRequest req;
  req.set_tree_size(size);
  v1::GetCheckpointResponse resp;
  grpc::Status s = stub_->GetCheckpoint(Ctx().get(), req, &resp);
  if (!s.ok()) return RpcError("GetCheckpoint", args_.target, s);
  return resp;
}

bool OnlineVerifier::CheckCheckpoint(const v1::SignedCheckpoint& sc, uint64_t size,
                                     ledger::Checkpoint* cp) {
  std::string where = size == 0 ? "the latest checkpoint" : StrCat("the checkpoint at size ", size);
  absl::StatusOr<ledger::Note> note = ledger::ParseNote(sc.note());
  if (!note.ok())
    return Fail(std::nullopt, "checkpoint", StrCat(where, ": ", note.status().message()));
  absl::StatusOr<ledger::Checkpoint> body = ledger::ParseCheckpointBody(note->text);
  if (!body.ok())
    return Fail(std::nullopt, "checkpoint", StrCat(where, ": ", body.status().message()));
  // Signed by the key in force at its size (the handover of a rotation by both).
  if (keys_.empty() || body->size > frontier_.size() + 1) {
    deferred_.emplace_back(*note, body->size);
  } else {
    absl::Status sig = ledger::VerifyCheckpointSignatures(*note, keys_, body->size);
    if (!sig.ok())
      return Fail(std::nullopt, "checkpoint-signature", StrCat(where, ": ", sig.message()));
  }
  if (!report().origin.empty() && body->origin != report().origin) {
    return Fail(
        std::nullopt, "checkpoint",
        StrCat(where, " has origin \"", body->origin, "\", expected \"", report().origin, "\""));
  }
  if (size != 0 && body->size != size) {
    return Fail(std::nullopt, "checkpoint",
                StrCat("asked for the checkpoint at size ", size, ", the server sent one for ",
                       body->size));
  }
  *cp = *body;
  ++report().checkpoints;
  return true;
}

// The chain checks are ledger::CheckChainLink, as offline; the genesis entry and
// key rotations build the key schedule here, from the chain alone.
bool OnlineVerifier::CheckLeaf(uint64_t i, std::string_view bytes, const Hash& lh) {
  absl::StatusOr<ledger::LeafView> leaf = decoder_.DecodeEnvelope(bytes);
  if (std::optional<ledger::Finding> f =
          ledger::CheckChainLink(i, leaf, last_hash_, last_time_ms_, "sent as")) {
    return Fail(f->index, f->check, f->detail);
  }
  const ledger::LeafHeader& h = leaf->header;
  if (auto [seen, fresh] = keys_seen_.try_emplace(h.key, i); !fresh) {
    return Fail(
        i, "duplicate-key",
        StrCat("entry ", i, " has the idempotency key \"", h.key, "\" of entry ", seen->second,
               "; keys are unique in the log, so this entry was not written "
               "through the ledger's writer"));
  }
  if (i == 0) {
    nlohmann::json body = nlohmann::json::parse(leaf->body, nullptr, false);
    absl::StatusOr<ledger::NoteVerifier> genesis =
        absl::InvalidArgumentError("the genesis entry names no key");
    if (!body.is_discarded() && body.is_object() && body.contains("vkey") &&
        body["vkey"].is_string()) {
      genesis = ledger::NoteVerifier::FromVerifierKey(body["vkey"].get<std::string>());
    }
    if (h.kind != "log.genesis" || !genesis.ok() || !body.contains("origin") ||
        body["origin"] != report().origin) {
      return Fail(0, "genesis",
                  StrCat("the genesis entry does not name origin ", report().origin, " and a key"));
    }
    keys_ = ledger::KeySchedule(*genesis);
  } else if (h.kind == ledger::kRotationKind) {
    absl::StatusOr<ledger::Rotation> rot = ledger::ParseRotationBody(leaf->body, report().origin);
    if (!rot.ok()) return Fail(i, "key-rotation", std::string(ToStd(rot.status().message())));
    if (rot->old_vkey != keys_.current().VerifierKey()) {
      return Fail(i, "key-rotation",
                  StrCat("entry ", i, " rotates from key ", rot->old_vkey,
                         ", but the key in force is ", keys_.current().VerifierKey()));
    }
    keys_.Add(i, *ledger::NoteVerifier::FromVerifierKey(rot->new_vkey));
    // The handover checkpoint, signed by both keys, with the root of entries 0..i.
    absl::StatusOr<v1::GetCheckpointResponse> handover = GetCheckpoint(i + 1);
    if (!handover.ok()) {
      return Fail(i, "key-handover",
                  StrCat("the server has no checkpoint at tree size ", i + 1,
                         " signed by both the retiring and the new key: ",
                         ToStd(handover.status().message())));
    }
    ledger::Checkpoint cp;
    if (!CheckCheckpoint(handover->checkpoint(), i + 1, &cp)) return false;
    claimed_roots_[i + 1] = cp.root;
  }
  if (replay_.has_value()) {
    absl::Status s = replay_->OnLeaf(*leaf, bytes);
    if (!s.ok()) return Fail(i, "rules", std::string(ToStd(s.message())));
  }
  last_hash_ = lh;
  last_time_ms_ = h.time_ms;
  report().bytes += bytes.size();
  return true;
}

absl::StatusOr<bool> OnlineVerifier::StreamTo(uint64_t end) {
  uint64_t next = frontier_.size();
  if (end <= next) return true;
  total_ = end;
  v1::ListEntriesRequest req;
  req.set_start(next);
  req.set_count(end - next);
  std::unique_ptr<grpc::ClientContext> ctx = Ctx(/*stream=*/true);
  std::unique_ptr<grpc::ClientReader<v1::Entry>> reader = stub_->ListEntries(ctx.get(), req);
  v1::Entry e;
  bool ok = true;
  while (ok && next < end && reader->Read(&e)) {
    if (e.index() != next) {
      ok = Fail(next, "missing-entry",
                StrCat("the server sent entry ", e.index(), " where entry ", next, " belongs"));
      break;
    }
    const std::string& bytes = e.leaf();
    Hash lh = ledger::LeafHash(bytes);  // e.leaf_hash() is the server's word: not used
    if (!CheckLeaf(next, bytes, lh)) {
      ok = false;
      break;
    }
    hashes_.push_back(lh);
    frontier_.Append(lh, [](int, uint64_t, const Hash&) {});
    ++next;
    report().entries = next;
    if (auto it = cosigned_roots_.find(next); it != cosigned_roots_.end()) {
      it->second = frontier_.Root();
    }
    if (auto it = claimed_roots_.find(next); it != claimed_roots_.end()) {
      if (frontier_.Root() != it->second) {
        ok = Fail(next - 1, "checkpoint-root",
                  StrCat("the server's checkpoint at tree size ", next, " has root ",
                         ledger::HashToBase64(it->second), " but the leaves give ",
                         ledger::HashToBase64(frontier_.Root())));
      }
    }
    progress_.Update(next, total_);
  }
  if (!ok) {
    ctx->TryCancel();
    reader->Finish();
    return false;
  }
  if (next < end) ctx->TryCancel();
  grpc::Status s = reader->Finish();
  if (next < end) {
    if (!s.ok() && s.error_code() != grpc::StatusCode::CANCELLED) {
      return RpcError("ListEntries", args_.target, s);
    }
    return Fail(
        next == 0 ? std::nullopt : std::optional<uint64_t>(next - 1), "truncated",
        StrCat("the server signed tree size ", end, " but streamed only ", next, " entries"));
  }
  return true;
}

absl::StatusOr<std::string> OnlineVerifier::LeafFromServer(uint64_t index) const {
  if (index >= hashes_.size()) {
    return absl::InvalidArgumentError(StrCat("entry ", index, " is not before this entry"));
  }
  v1::GetEntryRequest req;
  req.set_index(index);
  v1::Entry e;
  grpc::Status s = stub_->GetEntry(Ctx().get(), req, &e);
  if (!s.ok()) return RpcError(StrCat("GetEntry ", index), args_.target, s);
  if (ledger::LeafHash(e.leaf()) != hashes_[index]) {
    return absl::DataLossError(
        StrCat("the server sent different bytes for entry ", index, " than it streamed before"));
  }
  return e.leaf();
}

absl::Status OnlineVerifier::RunChecks() {
  outcome_.source = args_.target;
  outcome_.online = true;
  // 1. The key: pinned with --vkey, else the server's, trusted on first use.
  absl::StatusOr<v1::GetCheckpointResponse> latest = GetCheckpoint(0);
  if (!latest.ok()) return latest.status();
  std::string key = args_.vkey.empty() ? latest->verifier_key() : args_.vkey;
  report().vkey_from_database = args_.vkey.empty();
  absl::StatusOr<ledger::NoteVerifier> v = ledger::NoteVerifier::FromVerifierKey(key);
  if (!v.ok()) {
    if (!args_.vkey.empty()) return v.status();
    Fail(std::nullopt, "log-key", StrCat("the server's verifier key: ", v.status().message()));
    return absl::OkStatus();
  }
  verifier_ = *std::move(v);
  report().vkey = verifier_->VerifierKey();
  if (args_.vkey.empty()) {
    std::cerr << "boai-audit: warning: no --vkey given; trusting the key the server sent ("
              << report().vkey << ") on first use. Pin the key the society published.\n";
  }
  ledger::Checkpoint first;
  if (!CheckCheckpoint(latest->checkpoint(), 0, &first)) return absl::OkStatus();
  report().origin = first.origin;
  claimed_roots_[first.size] = first.root;
  absl::StatusOr<bool> served = FetchCosignatures();
  if (!served.ok()) return served.status();

  // 2. The entries, then the balances at the same size. A server taking writes
  // moves on meanwhile: stream on to its new size and compare again.
  uint64_t size = first.size;
  if (!args_.no_books) {
    replay_.emplace([this](uint64_t index) { return LeafFromServer(index); });
    outcome_.replay = &*replay_;
    outcome_.state_compared = "the server's balances";
  }
  for (int attempt = 0;; ++attempt) {
    v1::GetBalancesResponse balances;
    if (replay_.has_value()) {
      grpc::Status s = stub_->GetBalances(Ctx().get(), v1::GetBalancesRequest(), &balances);
      if (!s.ok()) return RpcError("GetBalances", args_.target, s);
      if (balances.tree_size() < size) {
        Fail(std::nullopt, "balances",
             StrCat("the server reports balances at tree size ", balances.tree_size(),
                    ", below its own checkpoint at ", size));
        return absl::OkStatus();
      }
      size = balances.tree_size();
    }
    absl::StatusOr<bool> streamed = StreamTo(size);
    if (!streamed.ok()) return streamed.status();
    if (!*streamed) return absl::OkStatus();
    if (!replay_.has_value()) break;
    std::string diff = CompareBalances(balances);
    if (diff.empty()) break;
    // Balances read while a batch is in flight can run ahead of tree_size.
    if (attempt + 1 == kBalanceTries) {
      Fail(std::nullopt, "balances", diff);
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (size == 0) {
    Fail(std::nullopt, "empty", "the log holds no entries");
    return absl::OkStatus();
  }
  report().root = frontier_.Root();

  // The keys: the trusted one is one of the chain's, the server names the one in
  // force, and the checkpoints met before the chain was known are signed by it.
  report().keys = keys_;
  if (keys_.Find(report().vkey) < 0) {
    Fail(
        std::nullopt, "log-key",
        StrCat("the trusted key ", report().vkey, " is none of the log's keys (",
               keys_.genesis().VerifierKey(), " and ", keys_.epochs().size() - 1, " rotation(s))"));
    return absl::OkStatus();
  }
  if (latest->verifier_key() != keys_.current().VerifierKey()) {
    Fail(std::nullopt, "log-key",
         StrCat("the server names key ", latest->verifier_key(),
                ", but the chain's key in force is ", keys_.current().VerifierKey()));
    return absl::OkStatus();
  }
  for (const auto& [note, at] : deferred_) {
    absl::Status sig = ledger::VerifyCheckpointSignatures(note, keys_, at);
    if (!sig.ok()) {
      Fail(std::nullopt, "checkpoint-signature",
           StrCat("the checkpoint at size ", at, ": ", sig.message()));
      return absl::OkStatus();
    }
  }

  // 3. The checkpoint at the size reached, against the root computed here.
  if (size != first.size) {
    absl::StatusOr<v1::GetCheckpointResponse> at = GetCheckpoint(size);
    if (!at.ok()) return at.status();
    ledger::Checkpoint cp;
    if (!CheckCheckpoint(at->checkpoint(), size, &cp)) return absl::OkStatus();
    if (cp.root != report().root) {
      Fail(size - 1, "checkpoint-root",
           StrCat("the server's checkpoint at tree size ", size, " has root ",
                  ledger::HashToBase64(cp.root), " but the leaves give ",
                  ledger::HashToBase64(report().root)));
      return absl::OkStatus();
    }
  }

  // 4. Saved checkpoints: consistency proofs from the server, verified here.
  for (const std::string& path : args_.checkpoints) {
    std::string problem = CheckSaved(path, size);
    outcome_.saved.push_back({path, problem});
    if (!problem.empty()) Fail(std::nullopt, "saved-checkpoint", problem);
  }

  // 5. The auditors' cosignatures, as offline.
  if (report().ok() && cosignatures_.has_value()) {
    absl::StatusOr<bool> checked = CheckCosignaturesAt(size);
    if (!checked.ok()) return checked.status();
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(const VerifyArgs& a) {
  if (!a.tls && a.tls_ca.empty() && a.tls_cert.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  if (!a.tls_ca.empty()) {
    absl::StatusOr<std::string> ca = ReadFile(a.tls_ca);
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
  }
  if (a.tls_cert.empty() != a.tls_key.empty()) {
    return absl::InvalidArgumentError("a client certificate needs both --tls-cert and --tls-key");
  }
  if (!a.tls_cert.empty()) {
    absl::StatusOr<std::string> cert = ReadFile(a.tls_cert);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFile(a.tls_key);
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *cert;
    ssl.pem_private_key = *key;
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace

int VerifyOnline(const VerifyArgs& in) {
  VerifyArgs args = in;
  if (!args.vkey.empty()) {
    absl::StatusOr<std::string> k = KeyArgument(args.vkey);
    if (!k.ok()) return Error(k.status());
    absl::StatusOr<ledger::NoteVerifier> v = ledger::NoteVerifier::FromVerifierKey(*k);
    if (!v.ok()) return Error(v.status());
    args.vkey = v->VerifierKey();
  }
  absl::StatusOr<std::vector<ledger::CosignerVerifier>> cosigners =
      ParseCosignerKeys(args.cosigner_keys);
  if (!cosigners.ok()) return Error(cosigners.status());
  std::string token;
  if (!args.token_file.empty()) {
    absl::StatusOr<std::string> t = ReadFile(args.token_file);
    if (!t.ok()) return Error(t.status());
    token = std::string(StripWhitespace(*t));
  } else {
    return Error(absl::InvalidArgumentError(
        "verify --target needs --token-file FILE with an auditor's (or any reader's) token: "
        "listing the entries and the balances is not public"));
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds = Credentials(args);
  if (!creds.ok()) return Error(creds.status());
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(256 << 20);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(args.target, *creds, channel_args);

  auto start = std::chrono::steady_clock::now();
  OnlineVerifier verifier(args, channel, token, *std::move(cosigners));
  absl::Status s = verifier.Run();
  if (!s.ok()) {
    std::cerr << "boai-audit: " << ToStd(s.message()) << "\n";
    return kExitUsage;  // the check could not run: nothing was found either way
  }
  Outcome& o = verifier.outcome();
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return PrintOutcome(o, args.json);
}

}  // namespace boai::audit
