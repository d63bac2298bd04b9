// verify --target internals shared by online.cc and online_claims.cc: the OnlineVerifier.
#ifndef BOAI_TOOLS_AUDIT_ONLINE_VERIFIER_H_
#define BOAI_TOOLS_AUDIT_ONLINE_VERIFIER_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "boai/v1/ledger.grpc.pb.h"
#include "ledger/books/replay.h"
#include "ledger/checkpoint.h"
#include "ledger/cosignature.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/leaf.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/verify.h"
#include "tools/audit/audit.h"

namespace boai::audit {

namespace v1 = ::boai::v1;

// A gRPC failure: the tool could not run (exit 2), not a finding.
absl::Status RpcError(const std::string& what, const std::string& target, const grpc::Status& s);

// The checks of verify --target against one server. online.cc: the key, the
// checkpoints, the streamed leaves and the run; online_claims.cc: the server's
// balances, saved checkpoints' consistency proofs and cosignatures.
class OnlineVerifier {
 public:
  OnlineVerifier(const VerifyArgs& args, std::shared_ptr<grpc::Channel> channel, std::string token,
                 std::vector<ledger::CosignerVerifier> cosigners)
      : args_(args),
        stub_(v1::Ledger::NewStub(channel)),
        token_(std::move(token)),
        cosigners_(std::move(cosigners)) {}

  // A non-OK status: the check could not run. Findings go into outcome().report.
  absl::Status Run() {
    absl::Status s = RunChecks();
    progress_.Clear();
    return s;
  }
  Outcome& outcome() { return outcome_; }

 private:
  std::unique_ptr<grpc::ClientContext> Ctx(bool stream = false) const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!token_.empty()) ctx->AddMetadata("authorization", "Bearer " + token_);
    if (!stream) ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return ctx;
  }
  bool Fail(std::optional<uint64_t> index, std::string check, std::string detail) {
    if (!report().finding.has_value()) {
      report().finding = ledger::Finding{index, std::move(check), std::move(detail)};
    }
    return false;
  }
  ledger::VerifyReport& report() { return outcome_.report; }

  absl::Status RunChecks();
  absl::StatusOr<v1::GetCheckpointResponse> GetCheckpoint(uint64_t size);
  // Checks a signed checkpoint the server sent for `size` (0 = latest): the
  // signature under the trusted key, the origin, the size. Sets *cp.
  bool CheckCheckpoint(const v1::SignedCheckpoint& sc, uint64_t size, ledger::Checkpoint* cp);
  // Streams entries up to `end`, checking each. False on a finding.
  absl::StatusOr<bool> StreamTo(uint64_t end);
  bool CheckLeaf(uint64_t i, std::string_view bytes, const ledger::Hash& lh);
  // The first difference between the server's balances and the replay's, or "".
  std::string CompareBalances(const v1::GetBalancesResponse& b) const;
  std::string CheckSaved(const std::string& path, uint64_t size);
  absl::StatusOr<std::string> LeafFromServer(uint64_t index) const;
  // Every stored cosignature (GetCosignatures with all); false if the server
  // has no such RPC (an older boaid): then they are not checked.
  absl::StatusOr<bool> FetchCosignatures();
  // Checks the fetched cosignatures against the log of `size` entries streamed:
  // the server's checkpoint at each cosigned size must be signed by the trusted
  // key and have the root of the leaves streamed. False on a finding.
  absl::StatusOr<bool> CheckCosignaturesAt(uint64_t size);

  const VerifyArgs& args_;
  std::unique_ptr<v1::Ledger::Stub> stub_;
  std::string token_;
  std::vector<ledger::CosignerVerifier> cosigners_;
  Outcome outcome_;
  std::optional<ledger::NoteVerifier> verifier_;  // the trusted key
  // The log's keys as the chain names them (genesis, then each log.key entry);
  // empty until entry 0 is streamed. Checkpoints met before are checked after.
  ledger::KeySchedule keys_;
  std::vector<std::pair<ledger::Note, uint64_t>> deferred_;  // (checkpoint, its size)
  std::optional<books::Replay> replay_;
  std::vector<ledger::Hash> hashes_;  // every leaf hash so far: reversals re-read earlier leaves
  std::unordered_map<std::string, uint64_t> keys_seen_;  // idempotency key -> its entry
  ledger::Frontier frontier_;
  ledger::Hash last_hash_{};
  uint64_t last_time_ms_ = 0;
  ledger::LeafDecoder decoder_;
  std::map<uint64_t, ledger::Hash> claimed_roots_;  // checkpoints the server signed, by size
  std::optional<std::vector<ledger::StoredCosignature>> cosignatures_;  // as served
  std::map<uint64_t, ledger::Hash> cosigned_roots_;  // the root of the leaves at each cosigned size
  Progress progress_{!args_.json, "streamed"};
  uint64_t total_ = 0;
};

}  // namespace boai::audit

#endif  // BOAI_TOOLS_AUDIT_ONLINE_VERIFIER_H_
