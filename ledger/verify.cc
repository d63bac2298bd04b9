#include "ledger/verify.h"

#include <deque>
#include <future>
#include <memory>
#include <vector>

#include "ledger/strings.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/storage.h"
#include "nlohmann/json.hpp"

namespace boai::ledger {
namespace {

// Leaves are read in chunks; decoding and hashing a chunk is independent of every
// other chunk, so worker tasks do it while the main thread reads ahead and runs the
// checks that must go in order (links, tree, checkpoints, rules).
constexpr size_t kChunkLeaves = 2048;
constexpr size_t kChunksInFlight = 3;

struct Chunk {
  uint64_t first = 0;             // index of the first leaf
  std::string arena;              // the chunk's leaves, back to back
  std::vector<size_t> ends;       // where each leaf ends in `arena`
  std::vector<Hash> hashes;       // RFC 9162 leaf hashes
  std::vector<absl::StatusOr<LeafView>> decoded;  // views into `arena`

  size_t size() const { return ends.size(); }
  std::string_view leaf(size_t i) const {
    size_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(arena).substr(begin, ends[i] - begin);
  }
};

void DecodeAndHash(Chunk& c) {
  thread_local LeafDecoder decoder;
  c.hashes.resize(c.size());
  c.decoded.clear();
  c.decoded.reserve(c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    c.hashes[i] = LeafHash(c.leaf(i));
    c.decoded.push_back(decoder.DecodeView(c.leaf(i)));
  }
}

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
  bool LoadKey();
  bool CheckLeaf(uint64_t i, std::string_view bytes, const Hash& lh,
                 const absl::StatusOr<LeafView>& leaf);
  bool CheckGenesis(const LeafView& leaf);
  bool CheckTreeRow(uint64_t i, std::string_view computed);
  bool CheckCheckpointsUpTo(uint64_t size);
  bool CheckCheckpoint(uint64_t size, std::string_view note_text);
  bool CheckEnd();

  const Storage& st_;
  const VerifyOptions& options_;
  VerifyReport& report_;
  std::optional<NoteVerifier> verifier_;
  Frontier frontier_;
  Hash last_hash_{};
  uint64_t last_time_ms_ = 0;
  std::unique_ptr<rocksdb::Iterator> checkpoints_;
  std::unique_ptr<rocksdb::Iterator> tree_;
  std::string row_;
};

bool Verifier::LoadKey() {
  absl::StatusOr<std::optional<std::string>> origin = st_.Get(Cf::kDefault, "origin");
  absl::StatusOr<std::optional<std::string>> vkey = st_.Get(Cf::kDefault, "vkey");
  if (!origin.ok() || !vkey.ok() || !origin->has_value() || !vkey->has_value()) {
    return Fail(std::nullopt, "meta", "the origin or verifier-key meta record is missing");
  }
  report_.origin = **origin;
  std::string key = options_.vkey.empty() ? **vkey : options_.vkey;
  report_.vkey_from_database = options_.vkey.empty();
  absl::StatusOr<NoteVerifier> v = NoteVerifier::FromVerifierKey(key);
  if (!v.ok()) return Fail(std::nullopt, "meta", std::string(v.status().message()));
  verifier_ = std::move(*v);
  report_.vkey = verifier_->VerifierKey();
  if (!options_.vkey.empty() && **vkey != report_.vkey) {
    return Fail(std::nullopt, "log-key",
                StrCat("the database names key ", **vkey, ", not the trusted key ",
                             report_.vkey));
  }
  return true;
}

bool Verifier::CheckGenesis(const LeafView& leaf) {
  if (leaf.header.kind != "log.genesis") {
    return Fail(0, "genesis", StrCat("entry 0 has kind \"", leaf.header.kind,
                                           "\", expected \"log.genesis\""));
  }
  nlohmann::json body = nlohmann::json::parse(leaf.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("vkey") ||
      !body.contains("origin") || body["vkey"] != report_.vkey ||
      body["origin"] != report_.origin) {
    return Fail(0, "genesis",
                StrCat("the genesis entry does not name origin ", report_.origin,
                             " and key ", report_.vkey));
  }
  return true;
}

bool Verifier::CheckTreeRow(uint64_t i, std::string_view computed) {
  if (!tree_->Valid() || tree_->key().ToStringView() != U64Key(i)) {
    tree_->Seek(U64Key(i));  // resynchronise after a gap
    if (!tree_->Valid() || tree_->key().ToStringView() != U64Key(i)) {
      return Fail(i, "tree-node", StrCat("the stored tree row of entry ", i, " is missing"));
    }
  }
  std::string_view stored = tree_->value().ToStringView();
  if (stored != computed) {
    return Fail(i, "tree-node",
                StrCat("the stored tree hashes of entry ", i,
                       " differ from those recomputed from the leaves; proofs served from them "
                       "would not verify"));
  }
  report_.tree_nodes += computed.size() / kHashSize;
  tree_->Next();
  return true;
}

bool Verifier::CheckCheckpoint(uint64_t size, std::string_view text) {
  std::string where = StrCat("checkpoint at tree size ", size);
  absl::StatusOr<Note> note = ParseNote(text);
  if (!note.ok()) return Fail(size - 1, "checkpoint", StrCat(where, ": ", note.status().message()));
  absl::Status sig = VerifyNote(*note, *verifier_);
  if (!sig.ok()) return Fail(size - 1, "checkpoint-signature", StrCat(where, ": ", sig.message()));
  absl::StatusOr<Checkpoint> cp = ParseCheckpointBody(note->text);
  if (!cp.ok()) return Fail(size - 1, "checkpoint", StrCat(where, ": ", cp.status().message()));
  if (cp->origin != report_.origin) {
    return Fail(size - 1, "checkpoint",
                StrCat(where, " has origin \"", cp->origin, "\", expected \"",
                             report_.origin, "\""));
  }
  if (cp->size != size) {
    return Fail(size - 1, "checkpoint",
                StrCat(where, " is stored under size ", size, " but says ", cp->size));
  }
  Hash root = frontier_.Root();
  if (cp->root != root) {
    return Fail(size - 1, "checkpoint-root",
                StrCat(where, " has root ", HashToBase64(cp->root),
                             " but the leaves give ", HashToBase64(root)));
  }
  ++report_.checkpoints;
  return true;
}

// Checks every stored checkpoint for a size up to `size` (the entries seen so far).
bool Verifier::CheckCheckpointsUpTo(uint64_t size) {
  while (checkpoints_->Valid()) {
    rocksdb::Slice k = checkpoints_->key();
    if (k.size() != 8) return Fail(std::nullopt, "checkpoint", "a checkpoint key is not 8 bytes");
    uint64_t cp_size = DecodeU64(k.ToStringView());
    if (cp_size > size) return true;
    if (cp_size < size) {
      return Fail(std::nullopt, "checkpoint",
                  StrCat("a checkpoint is stored for tree size ", cp_size,
                               ", which is not a size the log passed through"));
    }
    if (!CheckCheckpoint(cp_size, checkpoints_->value().ToStringView())) return false;
    checkpoints_->Next();
  }
  return true;
}

bool Verifier::CheckLeaf(uint64_t i, std::string_view bytes, const Hash& lh,
                         const absl::StatusOr<LeafView>& leaf) {
  if (!leaf.ok()) return Fail(i, "decode", std::string(leaf.status().message()));
  const LeafHeader& h = leaf->header;
  if (h.index != i) {
    return Fail(i, "index", StrCat("the leaf stored at index ", i, " says index ", h.index));
  }
  if (h.prev != last_hash_) {
    return Fail(i, "prev-link",
                StrCat("prev is ", HashToHex(h.prev), " but the hash of entry ",
                             i == 0 ? std::string("-1 (none)") : StrCat(i - 1), " is ",
                             HashToHex(last_hash_)));
  }
  if (h.time_ms < last_time_ms_) {
    return Fail(i, "time", StrCat("time_ms ", h.time_ms, " is before the previous entry's ",
                                        last_time_ms_));
  }
  absl::Status kind = ValidateKind(h.kind);
  if (!kind.ok()) return Fail(i, "decode", std::string(kind.message()));
  if (i == 0 && !CheckGenesis(*leaf)) return false;
  if (i > 0 && h.kind == "log.genesis") {
    return Fail(i, "genesis", "a second genesis entry; only entry 0 may be one");
  }
  if (options_.check_tree) {
    row_.clear();
    frontier_.Append(lh, [this](int, uint64_t, const Hash& hash) { row_.append(HashBytes(hash)); });
    if (!CheckTreeRow(i, row_)) return false;
  } else {
    frontier_.Append(lh, nullptr);
  }
  if (options_.on_leaf) {
    absl::Status s = options_.on_leaf(*leaf, bytes);
    if (!s.ok()) return Fail(i, "rules", std::string(s.message()));
  }
  last_hash_ = lh;
  last_time_ms_ = h.time_ms;
  report_.entries = i + 1;
  report_.bytes += bytes.size();
  return CheckCheckpointsUpTo(i + 1);
}

bool Verifier::CheckEnd() {
  uint64_t n = report_.entries;
  if (checkpoints_->Valid()) {
    return Fail(n == 0 ? std::nullopt : std::optional<uint64_t>(n - 1), "truncated",
                StrCat("a checkpoint is signed for tree size ",
                             DecodeU64(checkpoints_->key().ToStringView()), " but only ", n,
                             " entries are stored: entries were removed from the end"));
  }
  if (n == 0) return Fail(std::nullopt, "empty", "the log holds no entries");
  absl::StatusOr<std::optional<std::string>> head = st_.Get(Cf::kDefault, "head");
  if (!head.ok() || !head->has_value() || (*head)->size() != 48) {
    return Fail(std::nullopt, "head", "the head meta record is missing or damaged");
  }
  if (DecodeU64(**head) != n || (*head)->substr(8, 32) != HashBytes(last_hash_)) {
    return Fail(n - 1, "head",
                StrCat("the head record says ", DecodeU64(**head),
                             " entries and a different last hash; the log has ", n));
  }
  absl::StatusOr<std::optional<std::string>> last = st_.Get(Cf::kCheckpoints, U64Key(n));
  if (!last.ok() || !last->has_value()) {
    return Fail(n - 1, "unsigned-tail",
                StrCat("no checkpoint covers the last entry ", n - 1,
                             ": entries were added without the log's key"));
  }
  report_.root = frontier_.Root();
  return true;
}

bool Verifier::Run() {
  if (!LoadKey()) return false;
  checkpoints_ = st_.NewIterator(Cf::kCheckpoints);
  checkpoints_->SeekToFirst();
  tree_ = st_.NewIterator(Cf::kTree);
  tree_->SeekToFirst();
  uint64_t total = 0;
  if (options_.progress) {
    absl::StatusOr<std::optional<std::string>> head = st_.Get(Cf::kDefault, "head");
    if (head.ok() && head->has_value() && (*head)->size() >= 8) total = DecodeU64(**head);
  }

  std::unique_ptr<rocksdb::Iterator> it = st_.NewIterator(Cf::kEntries);
  it->SeekToFirst();
  uint64_t next_index = 0;
  std::optional<Finding> read_problem;  // found while reading; reported in order
  // Reads the next chunk; stops at the first key out of place.
  auto read_chunk = [&]() -> std::unique_ptr<Chunk> {
    auto c = std::make_unique<Chunk>();
    c->first = next_index;
    c->arena.reserve(kChunkLeaves * 512);
    while (it->Valid() && c->size() < kChunkLeaves && !read_problem.has_value()) {
      rocksdb::Slice k = it->key();
      if (k.size() != 8) {
        read_problem = Finding{next_index, "entry-key", "an entry key is not 8 bytes"};
        break;
      }
      uint64_t stored = DecodeU64(k.ToStringView());
      if (stored != next_index) {
        read_problem = Finding{next_index, "missing-entry",
                               StrCat("entry ", next_index,
                                      " is missing; the next stored entry is ", stored)};
        break;
      }
      rocksdb::Slice v = it->value();
      c->arena.append(v.data(), v.size());
      c->ends.push_back(c->arena.size());
      ++next_index;
      it->Next();
    }
    return c;
  };

  std::deque<std::pair<std::unique_ptr<Chunk>, std::future<void>>> in_flight;
  auto submit = [&] {
    std::unique_ptr<Chunk> c = read_chunk();
    if (c->size() == 0) return false;
    Chunk* raw = c.get();
    in_flight.emplace_back(std::move(c), std::async(std::launch::async, [raw] { DecodeAndHash(*raw); }));
    return true;
  };
  while (in_flight.size() < kChunksInFlight && submit()) {
  }
  while (!in_flight.empty()) {
    auto [chunk, done] = std::move(in_flight.front());
    in_flight.pop_front();
    done.wait();
    submit();  // keep the workers busy while this chunk is checked
    for (size_t j = 0; j < chunk->size(); ++j) {
      if (!CheckLeaf(chunk->first + j, chunk->leaf(j), chunk->hashes[j], chunk->decoded[j])) {
        for (auto& f : in_flight) f.second.wait();
        return false;
      }
    }
    if (options_.progress) options_.progress(chunk->first + chunk->size(), total);
  }
  if (read_problem.has_value()) {
    report_.finding = read_problem;
    return false;
  }
  absl::Status s = FromRocks(it->status(), "reading the entries");
  if (!s.ok()) return Fail(next_index, "read", std::string(ToStd(s.message())));
  return CheckEnd();
}

}  // namespace

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
