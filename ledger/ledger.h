// The append-only, hash-chained, Merkle-tree ledger over RocksDB.
//
// A data directory holds:
//   DIR/db/          the RocksDB database (storage.h)
//   DIR/keys/log.key the Ed25519 checkpoint signing key, mode 0600
//
// Writes go through one writer thread that gathers every waiting request into one
// batch: it applies the rules (the BatchHook), encodes and hashes the leaves, extends
// the tree, signs one checkpoint, and writes everything in one atomic synced
// WriteBatch. Only after that write returns does any caller in the batch hear back.
// Reads may run concurrently from any thread.
#ifndef BOAI_LEDGER_LEDGER_H_
#define BOAI_LEDGER_LEDGER_H_

#include <any>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/storage.h"

namespace boai::ledger {

// What a writer asks to append.
struct EntryDraft {
  std::string kind;  // see leaf.h
  std::string key;   // idempotency key
  std::string body;  // a canonical JSON object (EncodeCanonicalJson)
  // Anything the submitting layer parsed already, for its BatchHook. Not stored.
  std::any parsed;
};

// What a writer hears back, only after the batch holding the entry is durable.
struct AppendResult {
  uint64_t index = 0;
  Hash leaf_hash{};
  uint64_t tree_size = 0;  // size of `checkpoint`'s tree, > index
  std::string checkpoint;  // signed checkpoint note covering the entry
  bool duplicate = false;  // true if the key was seen before with the same content
};

// Rules applied on the writer thread, in log order, to each entry of a batch. The
// accounting layer implements this; the core works without one.
class BatchHook {
 public:
  virtual ~BatchHook() = default;
  // Called once by Ledger::Open, after the database checks and before the writer
  // starts: load state from `storage`. An error fails the open.
  virtual absl::Status Open(const Storage& storage) = 0;
  // Checks `draft` as entry `index` against the state left by every entry before it,
  // including earlier entries of this batch, and stages its effects into `batch`.
  // A non-OK status rejects this entry only (it gets no index).
  virtual absl::Status Apply(const EntryDraft& draft, uint64_t index, uint64_t time_ms,
                             rocksdb::WriteBatch* batch) = 0;
  // Called once after the batch's last Apply, before it is written: stages what is
  // kept per batch rather than per entry (the books' derived records, written once
  // each however many of the batch's entries changed them).
  virtual void Seal(rocksdb::WriteBatch* batch) {}
  // The batch is durable: staged effects become the state.
  virtual void Commit() = 0;
  // The batch failed: forget every staged effect.
  virtual void Abort() = 0;
};

class UpperNodes;

struct LedgerOptions {
  // Origin line of checkpoints and name of the signing key; used when a ledger is
  // created, then read from the database.
  // Default: "boai.local/ledger"
  std::string origin = "boai.local/ledger";
  // fsync each batch before answering. Only tests and benchmarks turn this off.
  // Default: true
  bool sync = true;
  // Most entries in one batch (one fsync, one signature).
  // Default: 8192
  size_t max_batch_entries = 8192;
  // Open without a writer or a signing key, for auditors and provers.
  // Default: false
  bool read_only = false;
  // Create the data directory, key and database if absent.
  // Default: true (ignored when read_only)
  bool create_if_missing = true;
  // Applies the accounting rules. Not owned; must outlive the Ledger.
  // Default: nullptr (no rules)
  BatchHook* hook = nullptr;
  // Milliseconds since the Unix epoch. Default: the system clock.
  std::function<uint64_t()> clock;
  // Test seam: called before each batch is written; a non-OK status fails that
  // batch alone, leaving nothing of it behind. Default: none.
  std::function<absl::Status()> before_write;
  // Called once, from the writer or the syncer thread, when a database write or a
  // sync fails and the ledger stops accepting writes (see WritesStopped). Must not
  // call back into the Ledger. Default: none.
  std::function<void(const absl::Status&)> on_writes_stopped;
  StorageOptions storage;
};

class Ledger {
 public:
  // Opens (or creates) the ledger in `dir`. Checks that the stored head, the
  // entries, the tree and the last checkpoint agree; DataLoss names what does not.
  // FailedPrecondition when the signing key is missing or is not the ledger's key.
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(const std::string& dir,
                                                      LedgerOptions options);
  // Finishes the batch in flight, then stops the writer.
  ~Ledger();

  // Appends `drafts`, each judged on its own (idempotency, the hook). Calls `done`
  // once, from the writer thread, after the batch is durable or has failed.
  // REQUIRES: not read-only.
  using AppendCallback = std::function<void(std::vector<absl::StatusOr<AppendResult>>)>;
  void AppendAsync(std::vector<EntryDraft> drafts, AppendCallback done);
  // Blocking forms.
  std::vector<absl::StatusOr<AppendResult>> AppendMany(std::vector<EntryDraft> drafts);
  absl::StatusOr<AppendResult> Append(EntryDraft draft);

  // Number of durable entries (the latest checkpoint's size).
  uint64_t Size() const { return size_.load(std::memory_order_acquire); }
  // Why the ledger stopped accepting writes, if it has: a write to the database or
  // an fsync failed (disk full, I/O error). Every later write fails with this
  // status; reopening (restarting boaid) recovers exactly what reached the disk.
  std::optional<absl::Status> WritesStopped() const;
  const std::string& origin() const { return origin_; }
  // The key that signs new checkpoints, and every key the log has had.
  NoteVerifier verifier() const;
  KeySchedule keys() const;

  // Rotates the checkpoint signing key to a new random one (keys.h): appends a
  // `log.key` entry alone in its batch, whose checkpoint both keys sign, and signs
  // every later checkpoint with the new key. The new private key is written to
  // DIR/keys/log.key.next first and replaces DIR/keys/log.key once the entry is
  // durable; an Open after a crash in between finishes the swap. `reason` is public.
  // REQUIRES: not read-only.
  absl::StatusOr<AppendResult> RotateKey(std::string_view reason);
  Storage* storage() const { return storage_.get(); }

  // The leaf bytes at `index`; OutOfRange if index >= Size().
  absl::StatusOr<std::string> LeafAt(uint64_t index) const;
  // The newest signed checkpoint.
  std::string LatestCheckpoint() const;
  // The checkpoint signed when the tree had `size` entries; NotFound if no batch
  // ended at that size.
  absl::StatusOr<std::string> CheckpointAt(uint64_t size) const;
  // RFC 9162 proofs against tree sizes up to Size().
  absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t tree_size) const;
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size) const;
  // A C2SP tlog-proof of `index` against the latest checkpoint.
  absl::StatusOr<std::string> TlogProof(uint64_t index) const;
  // Index of the entry written with idempotency key `key`, if any.
  absl::StatusOr<std::optional<uint64_t>> FindByKey(std::string_view key) const;

 private:
  struct Request {
    std::vector<EntryDraft> drafts;
    AppendCallback done;
    // Per draft: its kind, key and body checked on the caller's thread (so the
    // writer does not pay for it). OK or why the draft is refused.
    std::vector<absl::Status> checked;
    // Set for a key rotation: its one draft is the log.key entry, and the batch
    // holds nothing else.
    std::shared_ptr<const NoteSigner> rotate_to;
  };
  struct Head {
    uint64_t size = 0;
    Hash last_hash{};
    uint64_t last_time_ms = 0;
    Frontier frontier;
  };

  Ledger() = default;
  absl::Status Create(const std::string& key_path);
  absl::Status LoadAndCheck();
  // Makes sure signer_ is the key in force, finishing an interrupted rotation.
  absl::Status AdoptSigningKey();
  void Enqueue(Request request);
  // A batch written to RocksDB but not yet synced, waiting for the syncer.
  struct Written {
    std::vector<Request> requests;
    std::vector<std::vector<absl::StatusOr<AppendResult>>> results;
    std::string checkpoint;  // empty if the batch appended nothing
    uint64_t size = 0;       // tree size after the batch
    // For a key rotation: its entry's index and the new key.
    uint64_t rotation_index = 0;
    std::shared_ptr<const NoteSigner> rotated_to;
  };
  // A tree node at a cached level, made by a batch, added to upper_ once written.
  struct UpperNode {
    int level;
    uint64_t index;
    Hash hash;
  };

  void WriterLoop();
  void ProcessBatch(std::vector<Request>& requests);
  void SyncLoop();
  void Answer(Written& batch);
  // Builds one batch; rejected drafts get their status in `results`.
  void StageBatch(std::vector<Request>& requests, Head& head, rocksdb::WriteBatch* wb,
                  std::vector<std::vector<absl::StatusOr<AppendResult>>>& results,
                  std::string* checkpoint, std::vector<UpperNode>* upper = nullptr);
  uint64_t NowMs() const;
  // The result for a retry of `d` whose key entry `index` (already durable) used:
  // the original entry if the content is the same, else AlreadyExists.
  absl::StatusOr<AppendResult> FindDuplicate(const EntryDraft& d, uint64_t index) const;

  LedgerOptions options_;
  std::string dir_;
  std::unique_ptr<Storage> storage_;
  std::string origin_;
  KeySchedule keys_;                  // guarded by checkpoint_mu_
  std::optional<NoteSigner> signer_;  // writer thread only (and Open)

  Head head_;                          // writer thread only (and Open)
  std::unique_ptr<UpperNodes> upper_;  // proofs read the upper tree from memory
  std::atomic<uint64_t> size_{0};
  mutable std::mutex checkpoint_mu_;
  std::string latest_checkpoint_;

  // Requests waiting for the writer thread.
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  std::thread writer_;

  // Batches waiting for the syncer thread, which fsyncs the WAL once for all of
  // them, publishes the new size and checkpoint, and answers the callers.
  mutable std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::deque<Written> to_sync_;
  bool sync_stopping_ = false;
  std::thread syncer_;
  // Set when a database write or an fsync failed; from then on every write fails.
  // Guarded by sync_mu_.
  std::optional<absl::Status> failed_;
  // Held around the writer's database write and the syncer's WAL sync: after a
  // failed write RocksDB must not be asked to sync that log again (its file
  // writer asserts), so the syncer checks failed_ under it first.
  std::mutex wal_mu_;
  // Records `why` in failed_ (the first reason wins) and tells on_writes_stopped.
  void StopWrites(const absl::Status& why);
};

// Paths inside a data directory.
std::string DatabasePath(const std::string& dir);
std::string LogKeyPath(const std::string& dir);
// Where a rotation puts the new key until its log.key entry is durable.
std::string NextLogKeyPath(const std::string& dir);

// A NodeSource reading the tree column family.
class StoredNodes : public NodeSource {
 public:
  explicit StoredNodes(const Storage* storage) : storage_(storage) {}
  absl::StatusOr<Hash> Node(int level, uint64_t index) const override;

 private:
  const Storage* storage_;
};

// The upper levels of the tree kept in memory: every node at level kCachedLevel
// or above (1/32 of all nodes, about 1 MiB per million entries), so a proof reads
// only its few lowest siblings, all near each other, from RocksDB. Nodes are
// added in order as batches are written; reads are thread-safe.
class UpperNodes : public NodeSource {
 public:
  static constexpr int kCachedLevel = 6;
  explicit UpperNodes(const Storage* storage) : stored_(storage) {}
  // Loads the nodes of a tree of `size` leaves from storage.
  absl::Status Load(uint64_t size);
  // Adds nodes in append order. REQUIRES: level >= kCachedLevel.
  void Add(int level, uint64_t index, const Hash& h);
  absl::StatusOr<Hash> Node(int level, uint64_t index) const override;

 private:
  StoredNodes stored_;
  mutable std::shared_mutex mu_;
  std::vector<std::vector<Hash>> levels_;  // levels_[L - kCachedLevel][index]
};

}  // namespace boai::ledger

#endif  // BOAI_LEDGER_LEDGER_H_
