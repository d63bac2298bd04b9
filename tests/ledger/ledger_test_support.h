// Shared by the ledger tests (ledger_*_test.cc): drafts with canonical JSON bodies,
// opening a ledger without fsync, counting stored keys and checkpoints, and checking
// a checkpoint note, a tree head computed from the leaves, and an append result.
#ifndef BOAI_TESTS_LEDGER_LEDGER_TEST_SUPPORT_H_
#define BOAI_TESTS_LEDGER_LEDGER_TEST_SUPPORT_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/canonical_json.h"
#include "ledger/checkpoint.h"
#include "ledger/files.h"
#include "ledger/hash.h"
#include "ledger/leaf.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/storage.h"
#include "ledger/verify.h"

namespace boai::ledger::testing {

inline std::string Body(const nlohmann::json& j) {
  absl::StatusOr<std::string> s = EncodeCanonicalJson(j);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : "{}";
}

inline EntryDraft Draft(std::string kind, std::string key, const nlohmann::json& body) {
  return EntryDraft{std::move(kind), std::move(key), Body(body), {}};
}

inline EntryDraft Gift(const std::string& key, int amount = 100) {
  return Draft("gift", key, {{"amount", amount}, {"donor", "张*"}, {"memo", "爱心人士"}});
}

inline LedgerOptions Fast() {
  LedgerOptions o;
  o.sync = false;
  return o;
}

inline std::unique_ptr<Ledger> MustOpen(const std::string& dir, LedgerOptions o = Fast()) {
  absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(dir, std::move(o));
  EXPECT_TRUE(l.ok()) << l.status();
  return l.ok() ? std::move(*l) : nullptr;
}

inline uint64_t CountKeys(const Storage* st, Cf cf) {
  std::unique_ptr<rocksdb::Iterator> it = st->NewIterator(cf);
  uint64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return n;
}

inline std::vector<uint64_t> CheckpointSizes(const Storage* st) {
  std::vector<uint64_t> sizes;
  std::unique_ptr<rocksdb::Iterator> it = st->NewIterator(Cf::kCheckpoints);
  for (it->SeekToFirst(); it->Valid(); it->Next())
    sizes.push_back(DecodeU64(it->key().ToStringView()));
  return sizes;
}

// Parses and verifies a signed checkpoint note with the ledger's key.
inline absl::StatusOr<Checkpoint> OpenCheckpoint(const Ledger& l, std::string_view note_text) {
  absl::StatusOr<Note> note = ParseNote(note_text);
  if (!note.ok()) return note.status();
  absl::Status s = VerifyNote(*note, l.verifier());
  if (!s.ok()) return s;
  absl::StatusOr<Checkpoint> cp = ParseCheckpointBody(note->text);
  if (!cp.ok()) return cp.status();
  if (cp->origin != l.origin()) return absl::InternalError("checkpoint origin differs");
  return cp;
}

// RFC 9162 MTH computed from the leaf hashes directly, independent of the stored tree.
inline Hash Mth(const std::vector<Hash>& leaves, size_t lo, size_t hi) {
  if (hi - lo == 1) return leaves[lo];
  size_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  Hash l = Mth(leaves, lo, lo + k), r = Mth(leaves, lo + k, hi);
  std::string buf(1, '\x01');
  buf.append(HashBytes(l));
  buf.append(HashBytes(r));
  return Sha256(buf);
}

inline std::vector<Hash> AllLeafHashes(const Ledger& l) {
  std::vector<Hash> out;
  for (uint64_t i = 0; i < l.Size(); ++i) {
    absl::StatusOr<std::string> leaf = l.LeafAt(i);
    EXPECT_TRUE(leaf.ok()) << leaf.status();
    out.push_back(leaf.ok() ? LeafHash(*leaf) : Hash{});
  }
  return out;
}

// Checks everything a writer is promised about one successful result.
inline void ExpectGoodResult(const Ledger& l, const AppendResult& r) {
  SCOPED_TRACE(::testing::Message() << "index " << r.index);
  absl::StatusOr<Checkpoint> cp = OpenCheckpoint(l, r.checkpoint);
  ASSERT_TRUE(cp.ok()) << cp.status();
  EXPECT_EQ(cp->size, r.tree_size);
  EXPECT_GT(r.tree_size, r.index);
  absl::StatusOr<std::vector<Hash>> proof = l.InclusionProof(r.index, cp->size);
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_TRUE(VerifyInclusion(r.leaf_hash, r.index, cp->size, *proof, cp->root).ok());
  absl::StatusOr<std::string> leaf = l.LeafAt(r.index);
  ASSERT_TRUE(leaf.ok()) << leaf.status();
  EXPECT_EQ(LeafHash(*leaf), r.leaf_hash);
}

}  // namespace boai::ledger::testing

#endif  // BOAI_TESTS_LEDGER_LEDGER_TEST_SUPPORT_H_
