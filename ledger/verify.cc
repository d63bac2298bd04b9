#include "ledger/verify.h"

#include <algorithm>
#include <deque>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "ledger/checkpoint.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/ledger_internal.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/storage.h"
#include "ledger/strings.h"
#include "ledger/thread_pool.h"
#include "ledger/verify_chunk.h"
#include "nlohmann/json.hpp"

namespace boai::ledger {
namespace {

using verify_internal::CheckChunk;
using verify_internal::Chunk;
using verify_internal::IndexScan;
using verify_internal::kChunkLeaves;
using verify_internal::kChunkLevel;
using verify_internal::kChunksInFlight;
using verify_internal::KeyHash;
using verify_internal::KeyRef;
using verify_internal::ReadFinding;
using verify_internal::ScanIndex;
using verify_internal::SeenCheckpoint;

class Verifier {
 public:
  Verifier(const Storage& st, const VerifyOptions& o, VerifyReport* r)
      : st_(st), options_(o), report_(*r) {}

  // Returns false once a finding is recorded.
  bool Run();

 private:
  bool Fail(std::optional<uint64_t> index, std::string check, std::string detail) {
    report_.finding = Finding{index, std::move(check), std::move(detail)};
    return false;
  }
  bool Fail(const Finding& f) {
    report_.finding = f;
    return false;
  }
  bool LoadKey();
  bool CheckLeaf(uint64_t i, std::string_view bytes, const Hash& lh,
                 const absl::StatusOr<LeafView>& leaf);
  bool CheckGenesis(const LeafView& leaf);
  bool CheckRotation(uint64_t i, const LeafView& leaf);
  bool CheckChunkInOrder(Chunk& c);
  bool CheckAboveChunk(const Chunk& c);
  bool CheckUniqueKeys();
  std::optional<uint64_t> EntryWithKey(std::string_view key) const;
  bool CheckIndexRecords();
  bool CheckIndexScan(const IndexScan& scan);
  bool CheckEnd(const std::vector<Hash>& last_edge, const IndexScan* index);

  const Storage& st_;
  const VerifyOptions& options_;
  VerifyReport& report_;
  // The keys as the database's records list them, checked against the chain's
  // log.key entries as the walk reaches them (workers check signatures with it).
  KeySchedule keys_;
  size_t next_rotation_ = 1;       // the next epoch of keys_ the walk must meet
  uint64_t pending_handover_ = 0;  // tree size that must have a checkpoint signed by both keys
  Frontier above_;                 // the tree over whole chunks: chunk roots as its leaves
  Hash last_hash_{};
  uint64_t last_time_ms_ = 0;
  uint64_t last_checked_checkpoint_ = 0;  // the largest size whose checkpoint passed
  // Every entry's key, as the workers hashed them; sorted at the end, then checked
  // for repeats and compared with the index.
  std::vector<KeyRef> keys_seen_;
};

// The idempotency key of stored entry `i`, or nullopt if it cannot be read.
std::optional<std::string> StoredKey(const Storage& st, uint64_t i) {
  absl::StatusOr<std::optional<std::string>> leaf = st.Get(Cf::kEntries, U64Key(i));
  if (!leaf.ok() || !leaf->has_value()) return std::nullopt;
  absl::StatusOr<DecodedLeaf> d = LeafDecoder().Decode(**leaf);
  if (!d.ok()) return std::nullopt;
  return d->header.key;
}

bool Verifier::LoadKey() {
  absl::StatusOr<std::optional<std::string>> format =
      st_.Get(Cf::kDefault, ledger_internal::kMetaFormat);
  if (!format.ok() || !format->has_value()) {
    return Fail(std::nullopt, "meta", "the format meta record is missing or unreadable");
  }
  if (**format != ledger_internal::kFormat) {
    return Fail(std::nullopt, "meta",
                StrCat("the format meta record says \"", **format, "\"; this verifier reads \"",
                       ledger_internal::kFormat, "\""));
  }
  absl::StatusOr<std::optional<std::string>> origin = st_.Get(Cf::kDefault, "origin");
  absl::StatusOr<std::optional<std::string>> vkey = st_.Get(Cf::kDefault, "vkey");
  if (!origin.ok() || !vkey.ok() || !origin->has_value() || !vkey->has_value()) {
    return Fail(std::nullopt, "meta", "the origin or verifier-key meta record is missing");
  }
  report_.origin = **origin;
  absl::StatusOr<NoteVerifier> genesis = NoteVerifier::FromVerifierKey(**vkey);
  if (!genesis.ok()) {
    return Fail(std::nullopt, "meta",
                StrCat("the verifier-key meta record: ", ToStd(genesis.status().message())));
  }
  keys_ = KeySchedule(*genesis);
  std::unique_ptr<rocksdb::Iterator> it = st_.NewIterator(Cf::kDefault);
  for (it->Seek("key/"); it->Valid() && it->key().starts_with("key/"); it->Next()) {
    std::string_view k = it->key().ToStringView().substr(4);
    absl::StatusOr<NoteVerifier> next = NoteVerifier::FromVerifierKey(it->value().ToStringView());
    if (k.size() != 8 || !next.ok() ||
        (keys_.epochs().size() > 1 && DecodeU64(k) <= keys_.epochs().back().rotation_index)) {
      return Fail(std::nullopt, "meta",
                  StrCat("the key rotation record \"", HexEncode(it->key().ToStringView()),
                         "\" is damaged"));
    }
    keys_.Add(DecodeU64(k), *next);
  }
  if (!it->status().ok()) {
    return Fail(ReadFinding(std::nullopt, it->status(), "reading the key records"));
  }
  report_.vkey_from_database = options_.vkey.empty();
  if (options_.vkey.empty()) {
    report_.vkey = keys_.current().VerifierKey();
  } else {
    absl::StatusOr<NoteVerifier> pinned = NoteVerifier::FromVerifierKey(options_.vkey);
    if (!pinned.ok())
      return Fail(std::nullopt, "meta", std::string(ToStd(pinned.status().message())));
    report_.vkey = pinned->VerifierKey();
    if (keys_.Find(report_.vkey) < 0) {
      return Fail(
          std::nullopt, "log-key",
          keys_.epochs().size() == 1
              ? StrCat("the database names key ", **vkey, ", not the trusted key ", report_.vkey)
              : StrCat("the trusted key ", report_.vkey, " is none of the database's keys (",
                       **vkey, " and ", keys_.epochs().size() - 1, " rotation(s) to ",
                       keys_.current().VerifierKey(), ")"));
    }
  }
  report_.keys = keys_;
  return true;
}

bool Verifier::CheckGenesis(const LeafView& leaf) {
  if (leaf.header.kind != "log.genesis") {
    return Fail(0, "genesis",
                StrCat("entry 0 has kind \"", leaf.header.kind, "\", expected \"log.genesis\""));
  }
  nlohmann::json body = nlohmann::json::parse(leaf.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("vkey") ||
      !body.contains("origin") || body["vkey"] != keys_.genesis().VerifierKey() ||
      body["origin"] != report_.origin) {
    return Fail(0, "genesis",
                StrCat("the genesis entry does not name origin ", report_.origin, " and key ",
                       keys_.genesis().VerifierKey()));
  }
  return true;
}

bool Verifier::CheckRotation(uint64_t i, const LeafView& leaf) {
  const std::vector<KeyEpoch>& epochs = keys_.epochs();
  const bool listed = next_rotation_ < epochs.size() && epochs[next_rotation_].rotation_index == i;
  if (leaf.header.kind != kRotationKind) {
    if (!listed) return true;
    return Fail(i, "key-rotation",
                StrCat("the database records a key rotation at entry ", i, " but entry ", i,
                       " has kind \"", leaf.header.kind, "\""));
  }
  if (!listed) {
    return Fail(i, "key-rotation",
                StrCat("entry ", i,
                       " rotates the log's key, but the database's key records do not list it"));
  }
  absl::StatusOr<Rotation> rot = ParseRotationBody(leaf.body, report_.origin);
  if (!rot.ok()) return Fail(i, "key-rotation", std::string(ToStd(rot.status().message())));
  const std::string in_force = epochs[next_rotation_ - 1].verifier.VerifierKey();
  if (rot->old_vkey != in_force) {
    return Fail(i, "key-rotation",
                StrCat("entry ", i, " rotates from key ", rot->old_vkey,
                       ", but the key in force is ", in_force));
  }
  if (rot->new_vkey != epochs[next_rotation_].verifier.VerifierKey()) {
    return Fail(i, "key-rotation",
                StrCat("entry ", i, " rotates to key ", rot->new_vkey,
                       ", but the database's key record says ",
                       epochs[next_rotation_].verifier.VerifierKey()));
  }
  ++next_rotation_;
  pending_handover_ = i + 1;
  return true;
}

bool Verifier::CheckLeaf(uint64_t i, std::string_view bytes, const Hash& lh,
                         const absl::StatusOr<LeafView>& leaf) {
  if (std::optional<Finding> f = CheckChainLink(i, leaf, last_hash_, last_time_ms_, "stored at")) {
    return Fail(*f);
  }
  if (i == 0 && !CheckGenesis(*leaf)) return false;
  if (!CheckRotation(i, *leaf)) return false;
  last_hash_ = lh;
  last_time_ms_ = leaf->header.time_ms;
  report_.bytes += bytes.size();
  return true;
}

// Idempotency keys are unique in the log: the writer refuses a second entry with
// an entry's key, so a repeated key means an entry was written around it. Keys
// with equal hashes are compared whole; the earliest repeat is reported.
bool Verifier::CheckUniqueKeys() {
  verify_internal::SortKeyRefs(keys_seen_);
  std::optional<std::pair<uint64_t, uint64_t>> first;  // (repeat, the entry it repeats)
  for (size_t a = 0; a + 1 < keys_seen_.size(); ++a) {
    for (size_t b = a + 1; b < keys_seen_.size() && keys_seen_[b].first == keys_seen_[a].first;
         ++b) {
      const uint64_t earlier = keys_seen_[a].second, later = keys_seen_[b].second;
      if (first.has_value() && later >= first->first) continue;
      std::optional<std::string> x = StoredKey(st_, earlier), y = StoredKey(st_, later);
      if (!x.has_value() || !y.has_value()) {
        return Fail(earlier, "read",
                    StrCat("entries ", earlier, " and ", later, " cannot be read again"));
      }
      if (*x == *y) first = std::pair{later, earlier};
    }
  }
  if (!first.has_value()) return true;
  const auto [i, earlier] = *first;
  return Fail(i, "duplicate-key",
              StrCat("entry ", i, " has the idempotency key \"", *StoredKey(st_, i), "\" of entry ",
                     earlier,
                     "; keys are unique in the log, so this entry was not written through the "
                     "ledger's writer"));
}

// The entry whose key is `key` (keys are unique by now), or nullopt. One entry with
// the key's hash is taken as the one, as in the fast comparison; several are told
// apart by their keys.
std::optional<uint64_t> Verifier::EntryWithKey(std::string_view key) const {
  const uint64_t h = KeyHash(key);
  auto [from, to] =
      std::equal_range(keys_seen_.begin(), keys_seen_.end(), KeyRef{h, 0},
                       [](const KeyRef& a, const KeyRef& b) { return a.first < b.first; });
  if (to - from == 1) return from->second;
  for (auto it = from; it != to; ++it) {
    if (StoredKey(st_, it->second) == key) return it->second;
  }
  return std::nullopt;
}

// The index records are derived from the entries: one `k` + key -> index per entry.
bool Verifier::CheckIndexRecords() {
  uint64_t records = 0;
  std::unique_ptr<rocksdb::Iterator> it = st_.NewScanIterator(Cf::kIndex);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view k = it->key().ToStringView();
    std::string_view v = it->value().ToStringView();
    if (k.empty() || k[0] != kIndexByKey || v.size() != 8) {
      return Fail(std::nullopt, "index-record",
                  StrCat("index record \"", HexEncode(k), "\" is not a key -> entry record"));
    }
    const std::string_view key = k.substr(1);
    const uint64_t claimed = DecodeU64(v);
    const std::optional<uint64_t> holder = EntryWithKey(key);
    if (holder != claimed) {
      return Fail(holder, "index-record",
                  StrCat("the index record of idempotency key \"", key, "\" says entry ", claimed,
                         holder.has_value() ? StrCat(", but the key is entry ", *holder, "'s")
                                            : std::string(", but no entry has that key"),
                         "; the writer would misjudge a repeated request with this key"));
    }
    ++records;
  }
  if (!it->status().ok()) {
    return Fail(ReadFinding(std::nullopt, it->status(), "reading the index records"));
  }
  if (records != report_.entries) {
    return Fail(std::nullopt, "index-record",
                StrCat(report_.entries, " entries but ", records,
                       " index records: the index of some idempotency keys is missing, so the "
                       "writer would record their requests again"));
  }
  return true;
}

// The fast comparison; the key-by-key pass names the problem when there is one.
bool Verifier::CheckIndexScan(const IndexScan& scan) {
  if (!scan.status.ok()) {
    return Fail(ReadFinding(std::nullopt, scan.status, "reading the index records"));
  }
  // Both sorted by (key hash, entry): equal exactly when every record names the entry
  // with its key and every entry has a record.
  return (scan.well_formed && scan.records == keys_seen_) || CheckIndexRecords();
}

// The in-order checks of one chunk, after its worker is done.
bool Verifier::CheckChunkInOrder(Chunk& c) {
  if (c.read_problem.has_value()) return Fail(*c.read_problem);
  size_t next_cp = 0;
  for (size_t j = 0; j < c.size(); ++j) {
    const uint64_t i = c.first + j;
    if (!CheckLeaf(i, c.leaf(j), c.hashes[j], c.decoded[j])) return false;
    if (c.tree_problem.has_value() && c.tree_problem->index == i) return Fail(*c.tree_problem);
    if (options_.checker != nullptr) {
      absl::StatusOr<std::any>& p = c.prepared[j];
      absl::Status s =
          p.ok() ? options_.checker->Apply(*c.decoded[j], c.leaf(j), std::move(*p)) : p.status();
      if (!s.ok()) return Fail(i, "rules", std::string(ToStd(s.message())));
    }
    if (options_.on_leaf) {
      absl::Status s = options_.on_leaf(*c.decoded[j], c.leaf(j));
      if (!s.ok()) return Fail(i, "rules", std::string(ToStd(s.message())));
    }
    report_.entries = i + 1;
    for (; next_cp < c.checkpoints.size() && c.checkpoints[next_cp].size == i + 1; ++next_cp) {
      const SeenCheckpoint& cp = c.checkpoints[next_cp];
      if (cp.problem.has_value()) return Fail(*cp.problem);
      std::vector<Hash> edge = above_.hashes();
      edge.insert(edge.end(), cp.local_edge.begin(), cp.local_edge.end());
      Hash root = FoldRoot(edge);
      if (root != cp.claimed_root) {
        return Fail(
            i, "checkpoint-root",
            StrCat("checkpoint at tree size ", cp.size, " has root ", HashToBase64(cp.claimed_root),
                   " but the leaves give ", HashToBase64(root)));
      }
      ++report_.checkpoints;
      last_checked_checkpoint_ = cp.size;
      if (pending_handover_ == cp.size) pending_handover_ = 0;
    }
    if (pending_handover_ == i + 1) {
      return Fail(i, "key-handover",
                  StrCat("no checkpoint at tree size ", i + 1,
                         " is signed by both the retiring and the new key: a key rotation must "
                         "end its batch"));
    }
  }
  report_.tree_nodes += c.tree_nodes;
  keys_seen_.insert(keys_seen_.end(), c.keys.begin(), c.keys.end());
  if (c.gap.has_value()) return Fail(*c.gap);
  return true;
}

// A whole chunk is a node of the tree over chunks: the hashes its last leaf's
// stored row holds above the chunk level must be the ones that tree gives.
bool Verifier::CheckAboveChunk(const Chunk& c) {
  std::string above_row;
  above_.Append(c.end_edge.front(), [&above_row](int level, uint64_t, const Hash& h) {
    if (level > 0) above_row.append(HashBytes(h));  // level 0 is the chunk root itself
  });
  if (options_.check_tree && above_row != c.last_row_tail) {
    uint64_t i = c.first + kChunkLeaves - 1;
    return Fail(i, "tree-node",
                StrCat("the stored tree hashes of entry ", i, " above level ", kChunkLevel,
                       " differ from those recomputed from the leaves; proofs served from them "
                       "would not verify"));
  }
  report_.tree_nodes += above_row.size() / kHashSize;
  return true;
}

bool Verifier::CheckEnd(const std::vector<Hash>& last_edge, const IndexScan* index) {
  uint64_t n = report_.entries;
  std::unique_ptr<rocksdb::Iterator> cit = st_.NewIterator(Cf::kCheckpoints);
  cit->Seek(U64Key(n + 1));
  if (!cit->Valid() && !cit->status().ok()) {
    return Fail(ReadFinding(std::nullopt, cit->status(), "reading the checkpoints"));
  }
  if (cit->Valid()) {
    return Fail(
        n == 0 ? std::nullopt : std::optional<uint64_t>(n - 1), "truncated",
        StrCat("a checkpoint is signed for tree size ", DecodeU64(cit->key().ToStringView()),
               " but only ", n, " entries are stored: entries were removed from the end"));
  }
  if (n == 0) return Fail(std::nullopt, "empty", "the log holds no entries");
  if (next_rotation_ < keys_.epochs().size()) {
    return Fail(std::nullopt, "key-rotation",
                StrCat("the database records a key rotation at entry ",
                       keys_.epochs()[next_rotation_].rotation_index, ", beyond the log's ", n,
                       " entries"));
  }
  absl::StatusOr<std::optional<std::string>> head = st_.Get(Cf::kDefault, "head");
  if (!head.ok() || !head->has_value() || (*head)->size() != 48) {
    return Fail(std::nullopt, "head", "the head meta record is missing or damaged");
  }
  if (DecodeU64(**head) != n || (*head)->substr(8, 32) != HashBytes(last_hash_)) {
    return Fail(n - 1, "head",
                StrCat("the head record says ", DecodeU64(**head),
                       " entries and a different last hash; the log has ", n));
  }
  if (DecodeU64((*head)->substr(40)) != last_time_ms_) {
    return Fail(n - 1, "head",
                StrCat("the head record says the last entry's time_ms is ",
                       DecodeU64((*head)->substr(40)), "; entry ", n - 1, " says ", last_time_ms_,
                       " (the writer dates new entries no earlier than the head's time)"));
  }
  absl::StatusOr<std::optional<std::string>> last = st_.Get(Cf::kCheckpoints, U64Key(n));
  if (!last.ok()) {
    return Fail(n - 1, "read", std::string(ToStd(last.status().message())));
  }
  if (!last->has_value()) {
    return Fail(n - 1, "unsigned-tail",
                StrCat("no checkpoint covers the last entry ", n - 1,
                       ": entries were added without the log's key"));
  }
  if (last_checked_checkpoint_ != n) {  // a read of the checkpoints that skipped it
    return Fail(n - 1, "checkpoint",
                StrCat("the checkpoint at tree size ", n, " was not among those checked"));
  }
  if (!CheckUniqueKeys()) return false;
  if (index != nullptr && !CheckIndexScan(*index)) return false;
  std::vector<Hash> edge = above_.hashes();
  edge.insert(edge.end(), last_edge.begin(), last_edge.end());
  report_.root = FoldRoot(edge);
  return true;
}

bool Verifier::Run() {
  if (!LoadKey()) return false;
  {
    std::unique_ptr<rocksdb::Iterator> cit = st_.NewIterator(Cf::kCheckpoints);
    cit->SeekToFirst();
    if (!cit->Valid() && !cit->status().ok()) {
      return Fail(ReadFinding(std::nullopt, cit->status(), "reading the checkpoints"));
    }
    if (cit->Valid() && (cit->key().size() != 8 || DecodeU64(cit->key().ToStringView()) == 0)) {
      return Fail(
          std::nullopt, "checkpoint",
          "a checkpoint is stored for tree size 0, which is not a size the log passed through");
    }
  }
  uint64_t total = 0;  // as the head record says: for progress, and to size the key map
  {
    absl::StatusOr<std::optional<std::string>> head = st_.Get(Cf::kDefault, "head");
    if (head.ok() && head->has_value() && (*head)->size() >= 8) total = DecodeU64(**head);
  }
  keys_seen_.reserve(std::min<uint64_t>(total, uint64_t{1} << 24));
  IndexScan index_scan;  // outlives the pool, whose worker fills it

  // The main thread mostly waits and runs the in-order checks: one worker per core.
  ThreadPool pool(static_cast<int>(std::max(2u, std::thread::hardware_concurrency())),
                  "boai-verify");
  std::deque<std::pair<std::unique_ptr<Chunk>, std::future<void>>> in_flight;
  uint64_t next_first = 0;
  bool reached_end = false;
  std::vector<std::unique_ptr<Chunk>> spare;  // checked chunks, their buffers kept
  auto submit = [&] {
    std::unique_ptr<Chunk> c;
    if (spare.empty()) {
      c = std::make_unique<Chunk>();
    } else {
      c = std::move(spare.back());
      spare.pop_back();
    }
    c->Reset(next_first);
    next_first += kChunkLeaves;
    Chunk* raw = c.get();
    in_flight.emplace_back(std::move(c), pool.Submit([this, raw] {
      CheckChunk(st_, keys_, report_.origin, options_.check_tree, options_.checker, *raw);
    }));
  };
  auto drain = [&in_flight] {
    for (auto& f : in_flight) f.second.wait();
  };
  for (size_t k = 0; k < kChunksInFlight; ++k) submit();
  std::future<void> index_done;
  if (options_.check_tree) {
    index_done = pool.Submit([this, &index_scan] { ScanIndex(st_, index_scan); });
  }
  std::vector<Hash> last_edge;
  while (!reached_end) {
    auto [chunk, done] = std::move(in_flight.front());
    in_flight.pop_front();
    done.wait();
    const bool full = chunk->size() == kChunkLeaves && !chunk->gap.has_value();
    if (full) submit();  // keep the workers busy while this chunk is checked in order
    if (!CheckChunkInOrder(*chunk)) {
      drain();
      return false;
    }
    if (full) {
      if (!CheckAboveChunk(*chunk)) {
        drain();
        return false;
      }
    } else {
      last_edge = chunk->end_edge;
      reached_end = true;
    }
    if (options_.progress) options_.progress(report_.entries, total);
    spare.push_back(std::move(chunk));
  }
  drain();
  if (index_done.valid()) index_done.wait();
  return CheckEnd(last_edge, index_done.valid() ? &index_scan : nullptr);
}

}  // namespace

std::optional<Finding> CheckChainLink(uint64_t i, const absl::StatusOr<LeafView>& leaf,
                                      const Hash& prev_hash, uint64_t prev_time_ms,
                                      std::string_view delivered) {
  if (!leaf.ok()) return Finding{i, "decode", std::string(ToStd(leaf.status().message()))};
  const LeafHeader& h = leaf->header;
  if (h.index != i) {
    return Finding{i, "index",
                   StrCat("the leaf ", delivered, " index ", i, " says index ", h.index)};
  }
  if (h.prev != prev_hash) {
    return Finding{
        i, "prev-link",
        StrCat("prev is ", HashToHex(h.prev), " but the hash of entry ",
               i == 0 ? std::string("-1 (none)") : StrCat(i - 1), " is ", HashToHex(prev_hash))};
  }
  if (h.time_ms < prev_time_ms) {
    return Finding{i, "time",
                   StrCat("time_ms ", h.time_ms, " is before the previous entry's ", prev_time_ms)};
  }
  absl::Status kind = ValidateKind(h.kind);
  if (!kind.ok()) return Finding{i, "decode", std::string(ToStd(kind.message()))};
  if (i > 0 && h.kind == "log.genesis") {
    return Finding{i, "genesis", "a second genesis entry; only entry 0 may be one"};
  }
  return std::nullopt;
}

absl::StatusOr<VerifyReport> VerifyLedger(const std::string& dir, const VerifyOptions& options) {
  if (!options.vkey.empty()) {
    absl::StatusOr<NoteVerifier> v = NoteVerifier::FromVerifierKey(options.vkey);
    if (!v.ok()) return v.status();
  }
  StorageOptions so;
  so.read_only = true;
  absl::StatusOr<std::unique_ptr<Storage>> st = Storage::Open(DatabasePath(dir), so);
  if (!st.ok()) return st.status();
  return VerifyLedger(**st, options);
}

VerifyReport VerifyLedger(const Storage& storage, const VerifyOptions& options) {
  VerifyReport report;
  Verifier(storage, options, &report).Run();
  return report;
}

}  // namespace boai::ledger
