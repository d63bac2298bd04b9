// The RocksDB database under a ledger: column families, key layouts, status mapping.
// docs/storage.md describes every column family for readers using `ldb`.
//
//   cf           key                                   value
//   default      "format" | "origin" | "vkey" | "head" meta (see docs/storage.md)
//   entries      u64be(index)                          leaf bytes, exactly as hashed
//   tree         u64be(leaf index n)                   hashes of the complete subtrees whose
//                                                      last leaf is n, level 0 (the leaf hash) up:
//                                                      32 * (1 + trailing one bits of n) bytes
//   checkpoints  u64be(tree size)                      signed checkpoint note
//   index        prefix byte + lookup key              see IndexKey*() below
//   state        derived state of the accounting layer (rebuildable from entries)
//   personal     encrypted personal data, off the chain
//   keys         per-person data keys; deleting one erases that person's data
//   cosignatures u64be(tree size) || cosigner name     one signature line (ledger/cosignature.h)
#ifndef BOAI_LEDGER_STORAGE_H_
#define BOAI_LEDGER_STORAGE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace boai::ledger {

enum class Cf : int {
  kDefault = 0,
  kEntries,
  kTree,
  kCheckpoints,
  kIndex,
  kState,
  kPersonal,
  kKeys,
  kCosignatures,  // auditors' C2SP tlog-cosignatures of checkpoints (cosignature.h)
};
inline constexpr int kCfCount = 9;

std::string_view CfName(Cf cf);

// Fixed-width big-endian integers, so byte order is numeric order.
std::string U64Key(uint64_t v);
uint64_t DecodeU64(std::string_view eight_bytes);  // REQUIRES: size() >= 8
// The tree row holding node (level, index): the row of its last leaf.
std::string TreeKey(int level, uint64_t index);
// Where that node's hash starts inside the row.
inline size_t TreeOffset(int level) { return static_cast<size_t>(level) * 32; }

// Index column family prefixes.
inline constexpr char kIndexByKey = 'k';  // 'k' idempotency key -> u64be index

// Converts a RocksDB status; corruption becomes DataLoss. `context` says what was being done.
absl::Status FromRocks(const rocksdb::Status& s, std::string_view context);

struct StorageOptions {
  // Open without the write lock; nothing can be written. For auditors.
  // Default: false
  bool read_only = false;
  // Create the database (and its column families) if it does not exist.
  // Default: false
  bool create_if_missing = false;
  // Block cache shared by all column families.
  // Default: 64 MiB
  size_t block_cache_bytes = 64 << 20;
  // Memtable memory across all column families; bounds RSS while writing.
  // Default: 64 MiB
  size_t write_buffer_bytes = 64 << 20;
};

// Owns the RocksDB instance. Thread-safe (RocksDB is).
class Storage {
 public:
  static absl::StatusOr<std::unique_ptr<Storage>> Open(const std::string& path,
                                                       const StorageOptions& options);
  ~Storage();

  rocksdb::DB* db() const { return db_.get(); }
  // Never null for a writable open (missing column families are created). A
  // read-only open of a database made before a column family existed has no
  // handle for it (nullptr): Get() finds nothing there and iterators are empty.
  rocksdb::ColumnFamilyHandle* cf(Cf c) const { return handles_[static_cast<int>(c)]; }
  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }

  // nullopt when the key is absent.
  absl::StatusOr<std::optional<std::string>> Get(Cf c, std::string_view key) const;
  // Applies `batch` atomically; with `sync`, returns only after the WAL is on disk.
  absl::Status Write(rocksdb::WriteBatch* batch, bool sync);
  std::unique_ptr<rocksdb::Iterator> NewIterator(Cf c) const;
  // For one pass over a long range: leaves the block cache to point lookups.
  std::unique_ptr<rocksdb::Iterator> NewScanIterator(Cf c) const;

 private:
  Storage() = default;
  std::string path_;
  bool read_only_ = false;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace boai::ledger

#endif  // BOAI_LEDGER_STORAGE_H_
