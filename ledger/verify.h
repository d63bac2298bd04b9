// Full verification of a ledger's data directory, trusting nothing but the bytes:
// every leaf is decoded and hashed, every chain link and index checked, the tree
// recomputed and compared with the stored nodes, and every stored checkpoint's
// signature and root checked. Used by boai-audit; needs no signing key. Run it on
// a stopped server's data directory or on a copy: RocksDB's read-only open does
// not follow a live writer's flushes and compactions, so verifying under a running
// boaid can report files missing that were merely compacted away.
#ifndef BOAI_LEDGER_VERIFY_H_
#define BOAI_LEDGER_VERIFY_H_

#include <any>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/leaf.h"

namespace boai::ledger {

// Checks beyond the log's own, leaf by leaf (the accounting replay is one), split
// in two so that the costly part that needs no other leaf runs on the worker
// threads, chunks in parallel, and only what depends on order runs in order.
class LeafChecker {
 public:
  virtual ~LeafChecker() = default;
  // Worker threads, concurrently and in any order, for each leaf that decoded:
  // parsing and format checks. An error is reported when the leaf's turn comes
  // in log order (so the first bad index is still the one named).
  virtual absl::StatusOr<std::any> Prepare(const LeafView& leaf, std::string_view bytes) const = 0;
  // The main thread, in log order, after the leaf passed the log's checks, with
  // what Prepare returned for it. A non-OK status becomes a finding at that index.
  virtual absl::Status Apply(const LeafView& leaf, std::string_view bytes, std::any prepared) = 0;
};

struct VerifyOptions {
  // The verifier key to trust (signed-note form): the log's first key or any key
  // a recorded rotation introduced (the chain links them). Empty: the keys recorded
  // in the database, which the report then names so the auditor can compare them.
  // Default: empty
  std::string vkey;
  // Also compare every stored tree node with the recomputed one (proofs are built
  // from them).
  // Default: true
  bool check_tree = true;
  // Called about every 64k entries with (entries done, entries stored).
  std::function<void(uint64_t, uint64_t)> progress;
  // Called for each leaf that passed the chain checks, in order. A non-OK status
  // becomes a finding at that index (the accounting replay plugs in here).
  std::function<absl::Status(const LeafView&, std::string_view bytes)> on_leaf;
  // The same, with the independent part run in parallel: see LeafChecker. Not
  // owned; may be combined with on_leaf (the checker runs first).
  // Default: none
  LeafChecker* checker = nullptr;
};

// The first problem found. Verification stops there: what follows a break is noise.
struct Finding {
  std::optional<uint64_t> index;  // the first bad entry, when one is to blame
  std::string check;              // which check failed, e.g. "prev-link"
  std::string detail;             // what was found and what was expected
};

struct VerifyReport {
  uint64_t entries = 0;      // leaves checked
  uint64_t bytes = 0;        // leaf bytes hashed
  uint64_t checkpoints = 0;  // checkpoints whose signature and root were checked
  uint64_t tree_nodes = 0;   // stored tree nodes compared
  std::string origin;
  // The trusted key: the one given (VerifyOptions::vkey), else the database's key in
  // force. With rotations, `keys` lists every key and the checkpoints it signed.
  std::string vkey;
  bool vkey_from_database = false;
  KeySchedule keys;
  Hash root{};  // root at `entries`
  std::optional<Finding> finding;
  bool ok() const { return !finding.has_value(); }
};

// The checks every leaf must pass against the one before it, whatever delivered it
// (the database, a server): it decoded, it names index `i`, its prev is the hash of
// the leaf before (`prev_hash`, zero for entry 0), its time is not before that
// leaf's, its kind is valid, and only entry 0 is a genesis entry. `delivered` says
// in the index finding how the leaf came, e.g. "stored at", "sent as".
std::optional<Finding> CheckChainLink(uint64_t i, const absl::StatusOr<LeafView>& leaf,
                                      const Hash& prev_hash, uint64_t prev_time_ms,
                                      std::string_view delivered);

// Verifies the ledger in data directory `dir`. A non-OK status means verification
// could not run at all (no database there, an unreadable --vkey); problems in the
// data are findings in the report.
absl::StatusOr<VerifyReport> VerifyLedger(const std::string& dir, const VerifyOptions& options);
// The same over an already open (read-only) database.
class Storage;
VerifyReport VerifyLedger(const Storage& storage, const VerifyOptions& options);

}  // namespace boai::ledger

#endif  // BOAI_LEDGER_VERIFY_H_
