#include "ledger/verify_chunk.h"

#include <algorithm>

#include "ledger/checkpoint.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/strings.h"

namespace boai::ledger::verify_internal {

Finding ReadFinding(std::optional<uint64_t> index, const rocksdb::Status& status,
                    std::string_view what) {
  return Finding{index, "read", std::string(ToStd(FromRocks(status, what).message()))};
}

// The worker's half: everything about one chunk that needs no other chunk.
void CheckChunk(const Storage& st, const KeySchedule& keys, const std::string& origin,
                bool check_tree, const LeafChecker* checker, Chunk& c) {
  std::unique_ptr<rocksdb::Iterator> it = st.NewScanIterator(Cf::kEntries);
  c.arena.reserve(kChunkLeaves * 512);
  for (it->Seek(U64Key(c.first)); it->Valid() && c.size() < kChunkLeaves; it->Next()) {
    uint64_t want = c.first + c.size();
    rocksdb::Slice k = it->key();
    if (k.size() != 8) {
      c.gap = Finding{want, "entry-key", "an entry key is not 8 bytes"};
      break;
    }
    if (uint64_t stored = DecodeU64(k.ToStringView()); stored != want) {
      c.gap = Finding{want, "missing-entry",
                      StrCat("entry ", want, " is missing; the next stored entry is ", stored)};
      break;
    }
    c.arena.append(it->value().data(), it->value().size());
    c.ends.push_back(c.arena.size());
  }
  if (!it->status().ok()) {
    c.gap = ReadFinding(c.first + c.size(), it->status(), "reading the entries");
  }
  const size_t n = c.size();

  // The checkpoints signed at sizes inside this chunk.
  std::unique_ptr<rocksdb::Iterator> cit = st.NewIterator(Cf::kCheckpoints);
  for (cit->Seek(U64Key(c.first + 1)); cit->Valid(); cit->Next()) {
    if (cit->key().size() != 8) continue;
    uint64_t size = DecodeU64(cit->key().ToStringView());
    if (size > c.first + n) break;
    SeenCheckpoint cp;
    cp.size = size;
    std::string where = StrCat("checkpoint at tree size ", size);
    absl::StatusOr<Note> note = ParseNote(cit->value().ToStringView());
    absl::Status sig = note.ok() ? VerifyCheckpointSignatures(*note, keys, size) : note.status();
    absl::StatusOr<Checkpoint> body =
        note.ok() ? ParseCheckpointBody(note->text) : absl::StatusOr<Checkpoint>(note.status());
    if (!note.ok() || !body.ok()) {
      cp.problem = Finding{
          size - 1, "checkpoint",
          StrCat(where, ": ", ToStd((note.ok() ? body.status() : note.status()).message()))};
    } else if (!sig.ok()) {
      cp.problem =
          Finding{size - 1, "checkpoint-signature", StrCat(where, ": ", ToStd(sig.message()))};
    } else if (body->origin != origin) {
      cp.problem =
          Finding{size - 1, "checkpoint",
                  StrCat(where, " has origin \"", body->origin, "\", expected \"", origin, "\"")};
    } else if (body->size != size) {
      cp.problem = Finding{size - 1, "checkpoint",
                           StrCat(where, " is stored under size ", size, " but says ", body->size)};
    } else {
      cp.claimed_root = body->root;
    }
    c.checkpoints.push_back(std::move(cp));
  }
  if (!cit->status().ok()) {
    c.read_problem =
        ReadFinding(c.first, cit->status(),
                    StrCat("reading the checkpoints of entries ", c.first, " to ", c.first + n));
  }

  // Leaf hashes, decoding, and the chunk's own subtree.
  thread_local LeafDecoder decoder;
  c.hashes.resize(n);
  c.decoded.reserve(n);
  std::unique_ptr<rocksdb::Iterator> tree;
  if (check_tree) {
    tree = st.NewScanIterator(Cf::kTree);
    tree->Seek(U64Key(c.first));
  }
  Frontier local;
  std::string row;  // the stored tree row each leaf should have, when check_tree
  const Frontier::NodeSink row_sink =
      check_tree
          ? Frontier::NodeSink([&row](int, uint64_t, const Hash& h) { row.append(HashBytes(h)); })
          : Frontier::NodeSink();
  size_t next_cp = 0;
  for (size_t j = 0; j < n; ++j) {
    c.hashes[j] = LeafHash(c.leaf(j));
    c.decoded.push_back(decoder.DecodeEnvelope(c.leaf(j)));
    if (c.decoded.back().ok())
      c.keys.emplace_back(KeyHash(c.decoded.back()->header.key), c.first + j);
    if (checker != nullptr) {
      c.prepared.push_back(c.decoded.back().ok() ? checker->Prepare(*c.decoded.back(), c.leaf(j))
                                                 : absl::StatusOr<std::any>(std::any()));
    }
    row.clear();
    local.Append(c.hashes[j], row_sink);
    while (next_cp < c.checkpoints.size() && c.checkpoints[next_cp].size == c.first + j + 1) {
      c.checkpoints[next_cp++].local_edge = local.hashes();
    }
    if (!check_tree || c.tree_problem.has_value()) continue;
    const uint64_t i = c.first + j;
    if (!tree->Valid() || tree->key().ToStringView() != U64Key(i)) {
      tree->Seek(U64Key(i));  // resynchronise after a gap
    }
    if (!tree->Valid() && !tree->status().ok()) {
      c.tree_problem =
          ReadFinding(i, tree->status(), StrCat("reading the stored tree row of entry ", i));
      continue;
    }
    if (!tree->Valid() || tree->key().ToStringView() != U64Key(i)) {
      c.tree_problem =
          Finding{i, "tree-node", StrCat("the stored tree row of entry ", i, " is missing")};
      continue;
    }
    std::string_view stored = tree->value().ToStringView();
    const bool chunk_end = j + 1 == kChunkLeaves;  // its row goes on above the chunk
    if (stored.substr(0, row.size()) != row || (!chunk_end && stored.size() != row.size())) {
      c.tree_problem = Finding{i, "tree-node",
                               StrCat("the stored tree hashes of entry ", i,
                                      " differ from those recomputed from the leaves; proofs "
                                      "served from them would not verify")};
      continue;
    }
    if (chunk_end) c.last_row_tail = std::string(stored.substr(row.size()));
    c.tree_nodes += row.size() / kHashSize;
    tree->Next();
  }
  if (n > 0) c.end_edge = local.hashes();
}

void ScanIndex(const Storage& st, IndexScan& out) {
  std::unique_ptr<rocksdb::Iterator> it = st.NewScanIterator(Cf::kIndex);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view k = it->key().ToStringView();
    std::string_view v = it->value().ToStringView();
    if (k.empty() || k[0] != kIndexByKey || v.size() != 8) {
      out.well_formed = false;
      return;
    }
    out.records.emplace_back(KeyHash(k.substr(1)), DecodeU64(v));
  }
  out.status = it->status();
  SortKeyRefs(out.records);
}

void SortKeyRefs(std::vector<KeyRef>& v) {
  constexpr int kBits = 16;
  if (v.size() < (size_t{1} << kBits)) {
    std::sort(v.begin(), v.end());
    return;
  }
  std::vector<size_t> start((size_t{1} << kBits) + 1, 0);
  for (const KeyRef& r : v) ++start[(r.first >> (64 - kBits)) + 1];
  for (size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
  std::vector<KeyRef> out(v.size());
  std::vector<size_t> next(start.begin(), start.end() - 1);
  for (const KeyRef& r : v) out[next[r.first >> (64 - kBits)]++] = r;
  for (size_t b = 0; b + 1 < start.size(); ++b) {
    std::sort(out.begin() + static_cast<ptrdiff_t>(start[b]),
              out.begin() + static_cast<ptrdiff_t>(start[b + 1]));
  }
  v.swap(out);
}

}  // namespace boai::ledger::verify_internal
