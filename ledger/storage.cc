#include "ledger/storage.h"

#include <algorithm>
#include <filesystem>

#include "ledger/strings.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"

namespace boai::ledger {

std::string_view CfName(Cf cf) {
  static constexpr std::string_view kNames[kCfCount] = {"default",     "entries", "tree",
                                                        "checkpoints", "index",   "state",
                                                        "personal",    "keys",    "cosignatures"};
  return kNames[static_cast<int>(cf)];
}

std::string U64Key(uint64_t v) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i) {
    k[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return k;
}

uint64_t DecodeU64(std::string_view b) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
  return v;
}

std::string TreeKey(int level, uint64_t index) { return U64Key(((index + 1) << level) - 1); }

absl::Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = StrCat(context, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return absl::UnavailableError(
        StrCat(msg, " (is another boaid using this data directory? stop it, or use a copy)"));
  }
  if (s.IsIOError()) return absl::UnavailableError(msg);
  return absl::InternalError(msg);
}

absl::StatusOr<std::unique_ptr<Storage>> Storage::Open(const std::string& path,
                                                       const StorageOptions& options) {
  std::error_code ec;
  if (!options.create_if_missing && !std::filesystem::exists(path + "/CURRENT", ec)) {
    return absl::NotFoundError(StrCat("no ledger database at ", path));
  }
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  // A writable open adds column families that newer code introduced (e.g.
  // `cosignatures`) to an older database; a read-only open cannot, and skips them.
  db_options.create_missing_column_families = options.create_if_missing || !options.read_only;
  db_options.db_write_buffer_size = options.write_buffer_bytes;
  db_options.paranoid_checks = true;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 5;

  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int i = 0; i < kCfCount; ++i) {
    rocksdb::ColumnFamilyOptions cf_options;
    cf_options.write_buffer_size = options.write_buffer_bytes / 4;
    cf_options.max_write_buffer_number = 2;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
    Cf cf = static_cast<Cf>(i);
    if (cf == Cf::kIndex || cf == Cf::kState || cf == Cf::kKeys) {
      // Point lookups, mostly of absent keys (new idempotency keys): bloom filters in
      // the tables and in the memtable, so a miss does not walk the skiplist.
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      cf_options.memtable_whole_key_filtering = true;
      cf_options.memtable_prefix_bloom_size_ratio = 0.05;
    }
    if (cf == Cf::kTree) cf_options.compression = rocksdb::kNoCompression;  // random hashes
    if (cf == Cf::kEntries) {
      // Verification reads every entry: LZ4 decompresses several times faster than
      // the default Snappy, and larger blocks mean fewer reads.
      cf_options.compression = rocksdb::kLZ4Compression;
      table.block_size = 32 << 10;
    }
    cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    descriptors.emplace_back(std::string(CfName(cf)), cf_options);
  }

  std::unique_ptr<Storage> st(new Storage);
  st->path_ = path;
  st->read_only_ = options.read_only;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (options.read_only) {
    // Open only the column families the database has; the others get no handle.
    std::vector<std::string> existing;
    s = rocksdb::DB::ListColumnFamilies(db_options, path, &existing);
    if (!s.ok()) return FromRocks(s, StrCat("listing the column families of ", path));
    std::vector<rocksdb::ColumnFamilyDescriptor> present;
    std::vector<int> slot;
    for (int i = 0; i < kCfCount; ++i) {
      if (std::find(existing.begin(), existing.end(), descriptors[i].name) != existing.end()) {
        present.push_back(descriptors[i]);
        slot.push_back(i);
      }
    }
    std::vector<rocksdb::ColumnFamilyHandle*> opened;
    s = rocksdb::DB::OpenForReadOnly(db_options, path, present, &opened, &raw);
    if (s.ok()) {
      st->handles_.assign(kCfCount, nullptr);
      for (size_t j = 0; j < opened.size(); ++j) st->handles_[slot[j]] = opened[j];
    }
  } else {
    s = rocksdb::DB::Open(db_options, path, descriptors, &st->handles_, &raw);
  }
  if (!s.ok()) return FromRocks(s, StrCat("opening the ledger database at ", path));
  st->db_.reset(raw);
  return st;
}

Storage::~Storage() {
  if (db_ != nullptr && !read_only_) {
    // Everything is durable in the WAL already; flushing makes the next open (and an
    // auditor's read-only open) read tables instead of replaying the log.
    rocksdb::FlushOptions fo;
    db_->Flush(fo, handles_);
  }
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    if (h != nullptr) db_->DestroyColumnFamilyHandle(h);
  }
  if (db_ != nullptr) db_->Close();
}

absl::StatusOr<std::optional<std::string>> Storage::Get(Cf c, std::string_view key) const {
  if (cf(c) == nullptr) return std::nullopt;  // read-only, column family not there yet
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf(c), key, &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, StrCat("reading column family ", CfName(c)));
  return value;
}

absl::Status Storage::Write(rocksdb::WriteBatch* batch, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  // Entries and tree rows arrive in key order: let the memtable insert from where
  // the previous key went instead of searching from the top.
  wo.memtable_insert_hint_per_batch = true;
  return FromRocks(db_->Write(wo, batch), "writing a batch to the ledger database");
}

std::unique_ptr<rocksdb::Iterator> Storage::NewScanIterator(Cf c) const {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // RocksDB's automatic readahead grows on sequential reads
  if (cf(c) == nullptr) return std::unique_ptr<rocksdb::Iterator>(rocksdb::NewEmptyIterator());
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, cf(c)));
}

std::unique_ptr<rocksdb::Iterator> Storage::NewIterator(Cf c) const {
  if (cf(c) == nullptr) return std::unique_ptr<rocksdb::Iterator>(rocksdb::NewEmptyIterator());
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(rocksdb::ReadOptions(), cf(c)));
}

}  // namespace boai::ledger
