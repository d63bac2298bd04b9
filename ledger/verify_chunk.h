// The worker's half of VerifyLedger (verify.cc): a chunk of the log and the index
// records, each read and checked without any other chunk. Not part of the
// ledger's API.
#ifndef BOAI_LEDGER_VERIFY_CHUNK_H_
#define BOAI_LEDGER_VERIFY_CHUNK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/status/statusor.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/leaf.h"
#include "ledger/storage.h"
#include "ledger/verify.h"
#include "rocksdb/iterator.h"
#include "rocksdb/status.h"

namespace boai::ledger::verify_internal {

// The log is verified in chunks of 2^kChunkLevel leaves starting at multiples of
// that size. Such a chunk is a complete subtree of the Merkle tree, so everything
// inside it - reading, hashing, decoding, its subtree, the stored tree rows and
// the checkpoint signatures - is checked by worker tasks, chunks in parallel. The
// main thread then runs, in log order, only what links chunks and leaves: indexes,
// prev links, times, the rules, and the tree above the chunks.
inline constexpr int kChunkLevel = 11;
inline constexpr uint64_t kChunkLeaves = uint64_t{1} << kChunkLevel;
inline constexpr size_t kChunksInFlight = 4;

// An idempotency key by a 64-bit hash, seeded per run, and the entry it belongs to
// (or, read from the index, the entry the index names). Comparing the index with
// the entries takes equal hashes for equal keys (a different key would have to hit
// the same hash under a seed the data cannot know); a repeated key is confirmed by
// comparing the keys themselves.
using KeyRef = std::pair<uint64_t, uint64_t>;

inline uint64_t KeyHash(std::string_view key) { return absl::Hash<std::string_view>()(key); }

// Sorts as std::sort does, in about linear time since the hashes are seeded: the
// pairs are spread into buckets by the hash's top bits, and each bucket is sorted.
void SortKeyRefs(std::vector<KeyRef>& v);

struct SeenCheckpoint {
  uint64_t size = 0;
  std::optional<Finding> problem;  // unreadable, bad signature, wrong origin or size
  Hash claimed_root{};
  std::vector<Hash> local_edge;  // the chunk's own right edge at that size
};

struct Chunk {
  uint64_t first = 0;
  std::string arena;                               // the leaves, back to back
  std::vector<size_t> ends;                        // where each leaf ends in `arena`
  std::vector<Hash> hashes;                        // RFC 9162 leaf hashes
  std::vector<absl::StatusOr<LeafView>> decoded;   // views into `arena`
  std::vector<absl::StatusOr<std::any>> prepared;  // LeafChecker::Prepare, when set
  std::optional<Finding> gap;                      // the entries stop being contiguous here
  std::optional<Finding> read_problem;             // RocksDB could not read its checkpoints
  std::optional<Finding> tree_problem;             // first stored tree row that differs
  std::string last_row_tail;  // stored hashes above the chunk level (full chunks)
  std::vector<SeenCheckpoint> checkpoints;
  std::vector<Hash> end_edge;  // the chunk's right edge after its last leaf
  std::vector<KeyRef> keys;    // (hash of its idempotency key, index) of each decoded leaf
  uint64_t tree_nodes = 0;

  // Empties the chunk for reuse at `first_leaf`, keeping its buffers: a fresh
  // megabyte per chunk would be page-faulted in and unmapped again each time.
  void Reset(uint64_t first_leaf) {
    first = first_leaf;
    arena.clear();
    ends.clear();
    hashes.clear();
    decoded.clear();
    prepared.clear();
    gap.reset();
    read_problem.reset();
    tree_problem.reset();
    last_row_tail.clear();
    checkpoints.clear();
    end_edge.clear();
    keys.clear();
    tree_nodes = 0;
  }
  size_t size() const { return ends.size(); }
  std::string_view leaf(size_t i) const {
    size_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(arena).substr(begin, ends[i] - begin);
  }
};

// The finding for a RocksDB read that failed while reading `what`.
Finding ReadFinding(std::optional<uint64_t> index, const rocksdb::Status& status,
                    std::string_view what);

// The worker's half: everything about one chunk that needs no other chunk.
void CheckChunk(const Storage& st, const KeySchedule& keys, const std::string& origin,
                bool check_tree, const LeafChecker* checker, Chunk& c);

// The index records as (hash of the key, entry the record names), read by a worker
// while the chunks are checked. Verifier::CheckEnd compares them with the keys the
// walk met; only if they differ is the index read again, key by key, to name how.
struct IndexScan {
  std::vector<KeyRef> records;  // sorted
  bool well_formed = true;      // every record is 'k' + key -> 8 bytes
  rocksdb::Status status;
};

// Reads every index record into `out`, sorted.
void ScanIndex(const Storage& st, IndexScan& out);

}  // namespace boai::ledger::verify_internal

#endif  // BOAI_LEDGER_VERIFY_CHUNK_H_
