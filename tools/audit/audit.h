// boai-audit internals shared by its verbs (tools/audit_main.cc is the command line).
//
//   common.cc   errors, files, number formatting, the verify report (text and JSON)
//   offline.cc  verify --data DIR: the whole database, saved checkpoints, cosignatures
//   cosign.cc   keygen, cosign, and the check of stored cosignatures
//   online.cc   verify --target HOST:PORT: the same checks over gRPC, trusting only
//               leaf bytes hashed here
//   online_claims.cc  verify --target: the server's balances, saved-checkpoint proofs
//               and cosignatures, checked against what online.cc computed
//   online_verifier.h  the OnlineVerifier class the two online files share
#ifndef BOAI_TOOLS_AUDIT_AUDIT_H_
#define BOAI_TOOLS_AUDIT_AUDIT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/books/replay.h"
#include "ledger/cosignature.h"
#include "ledger/files.h"
#include "ledger/ledger.h"
#include "ledger/storage.h"
#include "ledger/verify.h"

namespace boai::audit {

// Exit status of every verb.
inline constexpr int kExitOk = 0;     // intact / done
inline constexpr int kExitBad = 1;    // a finding: something is wrong with the data
inline constexpr int kExitUsage = 2;  // bad arguments, or the tool could not run

// Prints "boai-audit: <message>" and returns the exit status for `s`: usage for
// bad arguments, missing or out-of-range things, 1 for anything about the data.
int Error(const absl::Status& s);

using ledger::ReadFile;  // NotFound, a usage error (exit 2), when it cannot be read
// A verifier key given on the command line, or the path of a file holding one.
absl::StatusOr<std::string> KeyArgument(const std::string& arg);
absl::StatusOr<std::unique_ptr<ledger::Ledger>> OpenReadOnly(const std::string& dir);

std::string Thousands(uint64_t v);
std::string Yuan(int64_t fen);  // "-1,234.56"
std::string Ranges(const std::vector<std::pair<int64_t, int64_t>>& ranges);

// A saved checkpoint given with --checkpoint, and what is wrong with it ("" = the
// log is consistent with it).
struct SavedCheckpoint {
  std::string path;
  std::string problem;
};

// Checks the saved checkpoint against the verified log, offline and online alike:
// it must be signed by the key in force at its size (`keys`), be for log `origin`
// and a size the log of `entries` entries still reaches, and `proof` (an RFC 9162
// consistency proof from its size, however obtained) must take its root to `root`,
// the root recomputed from the leaves. `log` names the log in messages ("the
// ledger", "the server's log"). Returns "" when consistent, else what is wrong.
// `proof_for(size)` is called only once the cheap checks pass.
std::string CheckSavedCheckpoint(
    const std::string& path, const ledger::KeySchedule& keys, const std::string& origin,
    uint64_t entries, const ledger::Hash& root, std::string_view log,
    const std::function<absl::StatusOr<std::vector<ledger::Hash>>(uint64_t size)>& proof_for);

// One stored cosignature and what verify made of it.
struct CosignatureCheck {
  uint64_t tree_size = 0;
  std::string name;
  std::string key_id;                 // hex, when the line parses
  std::optional<uint64_t> timestamp;  // POSIX seconds, when the line parses
  enum class State { kVerified, kUnverified, kFailed } state = State::kUnverified;
  std::string detail;  // why it failed, or why it is unverified
};

// Checks every stored cosignature against the log (after VerifyLedger passed):
// its line must parse, name the cosigner its key names, and be for a tree size the
// log signed a checkpoint at (at most report.entries). Under a key in `keys` with
// its name it must verify over the log's checkpoint of that size; a cosignature
// whose name no given key has is unverified (not a finding). A cosignature by a
// given key's name but another key id is a failure: it claims that cosigner.
absl::StatusOr<std::vector<CosignatureCheck>> CheckCosignatures(
    const ledger::Storage& storage, const ledger::VerifyReport& report,
    const std::vector<ledger::CosignerVerifier>& keys);

// The same checks over cosignatures already read (offline: from the storage;
// online: from the server's GetCosignatures), for a log of `entries` entries.
// `checkpoint_at(size)` is the log's signed checkpoint note at `size`, already
// verified (signature, origin, root); any error means the log signed none there.
// CheckCosignatures gives the same results with the same wording.
std::vector<CosignatureCheck> CheckCosignatureLines(
    const std::vector<ledger::StoredCosignature>& stored, uint64_t entries,
    const std::function<absl::StatusOr<std::string>(uint64_t size)>& checkpoint_at,
    const std::vector<ledger::CosignerVerifier>& keys);

// The finding of the first failed check, if any: check "cosignature", "the
// cosignature by NAME of the checkpoint at tree size N: why".
std::optional<ledger::Finding> CosignatureFinding(const std::vector<CosignatureCheck>& checks);

// Parses each --cosigner-key (a key or a file holding one).
absl::StatusOr<std::vector<ledger::CosignerVerifier>> ParseCosignerKeys(
    const std::vector<std::string>& args);

// Everything a verify run found, offline or online.
struct Outcome {
  std::string source;   // the data directory, or the target
  bool online = false;  // from a server; the key is "sent by the server" when not pinned
  ledger::VerifyReport report;
  const books::Replay* replay = nullptr;  // null with --no-books
  std::string state_compared;             // what the replay was compared with
  std::vector<SavedCheckpoint> saved;
  // False when nothing was checked (online: a server without GetCosignatures).
  bool cosignatures_checked = false;
  std::vector<CosignatureCheck> cosignatures;
  double seconds = 0;
};

// Prints the report (text or JSON) and returns kExitOk if nothing was found.
int PrintOutcome(const Outcome& outcome, bool json);

// Progress on stderr when it is a terminal: "\r  <verb> done / total (N entries/s)".
class Progress {
 public:
  Progress(bool enabled, std::string verb);
  void Update(uint64_t done, uint64_t total);
  void Clear();
  bool enabled() const { return enabled_; }

 private:
  bool enabled_;
  std::string verb_;
  double start_;
  double last_ = 0;
};

// --- verbs ---

struct VerifyArgs {
  std::string dir;                         // --data
  std::string target;                      // --target (online)
  std::string token_file;                  // --token-file (online)
  std::string tls_ca, tls_cert, tls_key;   // --tls-ca, --tls-cert, --tls-key (online)
  bool tls = false;                        // --tls (online, system roots)
  std::vector<std::string> checkpoints;    // --checkpoint
  std::vector<std::string> cosigner_keys;  // --cosigner-key
  std::string vkey;                        // --vkey
  bool json = false, no_tree = false, no_books = false;
};

// verify --data DIR.
int VerifyOffline(const VerifyArgs& args);
// verify --target HOST:PORT.
int VerifyOnline(const VerifyArgs& args);

// The whole offline check (chain, tree, signatures, books, derived state, saved
// checkpoints, cosignatures) over an open database; `cosign` runs it too.
Outcome RunOfflineChecks(const ledger::Storage& storage, const VerifyArgs& args,
                         const std::vector<ledger::CosignerVerifier>& cosigners,
                         std::optional<books::Replay>* replay);

// keygen --name NAME --out FILE.
int Keygen(const std::string& name, const std::string& out);
// cosign --data DIR --key FILE.
int Cosign(const std::string& dir, const std::string& key_file);
// vkey --key FILE: the cosigner verifier key of an auditor's key file.
int PrintCosignerKey(const std::string& key_file);

}  // namespace boai::audit

#endif  // BOAI_TOOLS_AUDIT_AUDIT_H_
