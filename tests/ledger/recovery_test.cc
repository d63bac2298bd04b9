// Damage done behind the ledger's back, with raw RocksDB writes on a closed ledger:
// Ledger::Open must refuse with DataLoss naming what disagrees, and VerifyLedger must
// report the first bad entry and the check that caught it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "ledger/canonical_json.h"
#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/leaf.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "ledger/storage.h"
#include "ledger/verify.h"
#include "tests/ledger/temp_dir.h"

namespace boai::ledger {
namespace {

namespace fs = std::filesystem;
using ::boai::test_support::TempDir;
using ::testing::HasSubstr;

struct Built {
  uint64_t size = 0;
  std::vector<uint64_t> checkpoint_sizes;
  std::string vkey;
  std::string origin;
  Hash root{};  // of the latest checkpoint
};

// A closed ledger of 1 + batches * per_batch entries; a checkpoint after each batch.
Built BuildLedger(const std::string& dir, int batches, int per_batch) {
  Built b;
  LedgerOptions o;
  o.sync = false;
  absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(dir, o);
  EXPECT_TRUE(l.ok()) << l.status();
  if (!l.ok()) return b;
  for (int i = 0; i < batches; ++i) {
    std::vector<EntryDraft> drafts;
    for (int j = 0; j < per_batch; ++j) {
      int n = i * per_batch + j + 1;
      nlohmann::json body = {{"amount", 100 * n}, {"donor", "张*"}, {"memo", "爱心人士"}, {"n", n}};
      drafts.push_back(
          EntryDraft{"gift", "receipt-" + std::to_string(n), *EncodeCanonicalJson(body), {}});
    }
    for (const auto& r : (*l)->AppendMany(std::move(drafts))) EXPECT_TRUE(r.ok()) << r.status();
  }
  b.size = (*l)->Size();
  b.vkey = (*l)->verifier().VerifierKey();
  b.origin = (*l)->origin();
  for (uint64_t s = 1; s <= b.size; ++s) {
    if ((*l)->CheckpointAt(s).ok()) b.checkpoint_sizes.push_back(s);
  }
  absl::StatusOr<Note> note = ParseNote((*l)->LatestCheckpoint());
  EXPECT_TRUE(note.ok());
  b.root = ParseCheckpointBody(note->text)->root;
  return b;
}

// Runs `edit` against the raw database of a closed ledger.
void Tamper(const std::string& dir,
            const std::function<void(Storage&, rocksdb::WriteBatch&)>& edit) {
  absl::StatusOr<std::unique_ptr<Storage>> st = Storage::Open(DatabasePath(dir), StorageOptions{});
  ASSERT_TRUE(st.ok()) << st.status();
  rocksdb::WriteBatch wb;
  edit(**st, wb);
  if (wb.Count() > 0) {
    absl::Status s = (*st)->Write(&wb, /*sync=*/true);
    ASSERT_TRUE(s.ok()) << s;
  }
}

std::string Get(Storage& st, Cf cf, const std::string& key) {
  absl::StatusOr<std::optional<std::string>> v = st.Get(cf, key);
  EXPECT_TRUE(v.ok() && v->has_value()) << "no " << CfName(cf) << " record to tamper with";
  return v.ok() && v->has_value() ? **v : std::string();
}

// The leaf at `index` with `from` replaced by `to` (which must occur in it).
std::string EditedLeaf(Storage& st, uint64_t index, std::string_view from, std::string_view to) {
  std::string leaf = Get(st, Cf::kEntries, U64Key(index));
  size_t at = leaf.find(from);
  EXPECT_NE(at, std::string::npos) << from << " not in " << leaf;
  if (at != std::string::npos) leaf.replace(at, from.size(), to);
  return leaf;
}

NoteSigner LogSigner(const std::string& dir) {
  std::ifstream in(LogKeyPath(dir));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  absl::StatusOr<NoteSigner> s = NoteSigner::FromPrivateKey(text);
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

Hash SomeOtherHash() {
  Hash h;
  h.fill(0x5a);
  return h;
}

void ExpectDataLossOnOpen(const std::string& dir, const std::vector<std::string>& parts) {
  for (bool read_only : {false, true}) {
    SCOPED_TRACE(read_only ? "read-only" : "writable");
    LedgerOptions o;
    o.read_only = read_only;
    absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(dir, o);
    ASSERT_FALSE(l.ok()) << "Open accepted a damaged ledger";
    EXPECT_EQ(l.status().code(), absl::StatusCode::kDataLoss) << l.status();
    for (const std::string& p : parts) {
      EXPECT_THAT(std::string(l.status().message()), HasSubstr(p));
    }
  }
}

// ---------------------------------------------------------------------------------
// Ledger::Open: the head, the last entries, the tree and the last checkpoint agree.
// Ledger of 21 entries (10101 in binary): checkpoints at 1, 5, 9, 13, 17, 21.

class OpenDamaged : public ::testing::Test {
 protected:
  // One ledger is built per suite; each test damages its own copy.
  static void SetUpTestSuite() {
    tmpl_ = new TempDir;
    built_storage_ = BuildLedger(tmpl_->dir(), 5, 4);
  }
  static void TearDownTestSuite() {
    delete tmpl_;
    tmpl_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(built_->size, 21u);
    ASSERT_EQ(built_->checkpoint_sizes, (std::vector<uint64_t>{1, 5, 9, 13, 17, 21}));
    fs::copy(tmpl_->dir(), tmp_.dir(), fs::copy_options::recursive);
    // Undamaged, it opens.
    absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(tmp_.dir(), LedgerOptions{});
    ASSERT_TRUE(l.ok()) << l.status();
    ASSERT_EQ((*l)->Size(), 21u);
  }
  static TempDir* tmpl_;
  static inline Built built_storage_;
  Built* const built_ = &built_storage_;
  TempDir tmp_;
};
TempDir* OpenDamaged::tmpl_ = nullptr;

TEST_F(OpenDamaged, LastEntryDeleted) {
  Tamper(tmp_.dir(),
         [](Storage& st, rocksdb::WriteBatch& wb) { wb.Delete(st.cf(Cf::kEntries), U64Key(20)); });
  ExpectDataLossOnOpen(tmp_.dir(), {"head says 21 entries", "last stored entry is index 19"});
}

TEST_F(OpenDamaged, ByteOfLastEntryChanged) {
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    wb.Put(st.cf(Cf::kEntries), U64Key(20),
           EditedLeaf(st, 20, "\"amount\":2000", "\"amount\":9000"));
  });
  ExpectDataLossOnOpen(tmp_.dir(), {"hash of entry 20", "head"});
}

TEST_F(OpenDamaged, EntryBeyondTheHead) {
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    wb.Put(st.cf(Cf::kEntries), U64Key(21), Get(st, Cf::kEntries, U64Key(20)));
  });
  ExpectDataLossOnOpen(tmp_.dir(), {"head says 21 entries", "last stored entry is index 21"});
}

TEST_F(OpenDamaged, TreeNodeDeleted) {
  // 21 = 16 + 4 + 1: the root is built from nodes (4,0), (2,4) and (0,20).
  Tamper(tmp_.dir(),
         [](Storage& st, rocksdb::WriteBatch& wb) { wb.Delete(st.cf(Cf::kTree), TreeKey(2, 4)); });
  ExpectDataLossOnOpen(tmp_.dir(), {"tree node at level 2 index 4", "missing"});
}

TEST_F(OpenDamaged, TreeNodeChanged) {
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    std::string row = Get(st, Cf::kTree, TreeKey(4, 0));
    ASSERT_GE(row.size(), TreeOffset(4) + kHashSize);
    row[TreeOffset(4) + 7] ^= 0x01;
    wb.Put(st.cf(Cf::kTree), TreeKey(4, 0), row);
  });
  ExpectDataLossOnOpen(tmp_.dir(), {"root at size 21", "differs from the last checkpoint's root"});
}

TEST_F(OpenDamaged, LastCheckpointForAnotherRoot) {
  const std::string dir = tmp_.dir();
  Tamper(dir, [&](Storage& st, rocksdb::WriteBatch& wb) {
    // Signed with the ledger's own key: only the root is wrong.
    Checkpoint forged{built_->origin, 21, SomeOtherHash()};
    wb.Put(st.cf(Cf::kCheckpoints), U64Key(21), SignNote(forged.Body(), LogSigner(dir)));
  });
  ExpectDataLossOnOpen(
      dir, {"root at size 21", HashToBase64(built_->root), HashToBase64(SomeOtherHash())});
}

TEST_F(OpenDamaged, LastCheckpointSignedByAnotherKey) {
  Tamper(tmp_.dir(), [&](Storage& st, rocksdb::WriteBatch& wb) {
    absl::StatusOr<NoteSigner> other = NoteSigner::Generate(built_->origin);
    ASSERT_TRUE(other.ok());
    Checkpoint cp{built_->origin, 21, built_->root};
    wb.Put(st.cf(Cf::kCheckpoints), U64Key(21), SignNote(cp.Body(), *other));
  });
  ExpectDataLossOnOpen(tmp_.dir(), {"last checkpoint", "no signature by key"});
}

TEST_F(OpenDamaged, LastCheckpointDeleted) {
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    wb.Delete(st.cf(Cf::kCheckpoints), U64Key(21));
  });
  ExpectDataLossOnOpen(tmp_.dir(), {"last checkpoint is for 17 entries", "head says 21"});
}

TEST_F(OpenDamaged, HeadDeleted) {
  Tamper(tmp_.dir(),
         [](Storage& st, rocksdb::WriteBatch& wb) { wb.Delete(st.cf(Cf::kDefault), "head"); });
  ExpectDataLossOnOpen(tmp_.dir(), {"\"head\" is missing"});
}

TEST_F(OpenDamaged, HeadDamaged) {
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    wb.Put(st.cf(Cf::kDefault), "head", Get(st, Cf::kDefault, "head").substr(1));
  });
  ExpectDataLossOnOpen(tmp_.dir(), {"head record is damaged"});
}

TEST_F(OpenDamaged, HeadRolledBack) {
  // A head that is internally consistent with an earlier state (17 entries).
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    std::string head = Get(st, Cf::kDefault, "head");
    std::string last16 = Get(st, Cf::kEntries, U64Key(16));
    std::string rolled = U64Key(17) + std::string(HashBytes(LeafHash(last16))) + head.substr(40);
    wb.Put(st.cf(Cf::kDefault), "head", rolled);
  });
  ExpectDataLossOnOpen(tmp_.dir(), {"head says 17 entries", "last stored entry is index 20"});
}

TEST_F(OpenDamaged, VerifierKeyReplaced) {
  Tamper(tmp_.dir(), [&](Storage& st, rocksdb::WriteBatch& wb) {
    absl::StatusOr<NoteSigner> other = NoteSigner::Generate(built_->origin);
    ASSERT_TRUE(other.ok());
    wb.Put(st.cf(Cf::kDefault), "vkey", other->VerifierKey());
  });
  ExpectDataLossOnOpen(tmp_.dir(), {"last checkpoint"});
}

// ---------------------------------------------------------------------------------
// VerifyLedger. Ledger of 41 entries: checkpoints at 1, 5, 9, ..., 41.

class VerifyDamaged : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmpl_ = new TempDir;
    built_storage_ = BuildLedger(tmpl_->dir(), 10, 4);
  }
  static void TearDownTestSuite() {
    delete tmpl_;
    tmpl_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(built_->size, 41u);
    ASSERT_EQ(built_->checkpoint_sizes.size(), 11u);
    fs::copy(tmpl_->dir(), tmp_.dir(), fs::copy_options::recursive);
  }
  VerifyReport Verify(VerifyOptions o = {}) {
    absl::StatusOr<VerifyReport> r = VerifyLedger(tmp_.dir(), o);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : VerifyReport{};
  }
  void ExpectFinding(const VerifyReport& r, std::optional<uint64_t> index, const std::string& check,
                     const std::string& detail_part = "") {
    ASSERT_FALSE(r.ok()) << "VerifyLedger found nothing wrong";
    EXPECT_EQ(r.finding->check, check) << r.finding->detail;
    EXPECT_EQ(r.finding->index, index) << r.finding->check << ": " << r.finding->detail;
    EXPECT_THAT(r.finding->detail, HasSubstr(detail_part));
  }
  static TempDir* tmpl_;
  static inline Built built_storage_;
  Built* const built_ = &built_storage_;
  TempDir tmp_;
};
TempDir* VerifyDamaged::tmpl_ = nullptr;

TEST_F(VerifyDamaged, IntactLedgerIsOk) {
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  uint64_t leaves_seen = 0;
  VerifyOptions o;
  o.progress = [&](uint64_t done, uint64_t total) { progress.emplace_back(done, total); };
  o.on_leaf = [&](const LeafView& leaf, std::string_view bytes) {
    EXPECT_EQ(leaf.header.index, leaves_seen++);
    return absl::OkStatus();
  };
  VerifyReport r = Verify(o);
  ASSERT_TRUE(r.ok()) << r.finding->check << ": " << r.finding->detail;
  EXPECT_EQ(r.entries, 41u);
  EXPECT_EQ(leaves_seen, 41u);
  EXPECT_EQ(r.checkpoints, 11u);
  EXPECT_EQ(r.root, built_->root);
  EXPECT_EQ(r.origin, built_->origin);
  EXPECT_EQ(r.vkey, built_->vkey);
  EXPECT_TRUE(r.vkey_from_database);
  // One stored node per complete subtree: sum over levels of floor(41 / 2^level).
  EXPECT_EQ(r.tree_nodes, 41u + 20 + 10 + 5 + 2 + 1);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), std::make_pair(uint64_t{41}, uint64_t{41}));

  // The byte count is the sum of the stored leaves.
  LedgerOptions ro;
  ro.read_only = true;
  absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(tmp_.dir(), ro);
  ASSERT_TRUE(l.ok());
  uint64_t bytes = 0;
  for (uint64_t i = 0; i < 41; ++i) bytes += (*l)->LeafAt(i)->size();
  EXPECT_EQ(r.bytes, bytes);

  // Pinning the right key: still ok, and the report says the key came from outside.
  VerifyOptions pinned;
  pinned.vkey = built_->vkey;
  VerifyReport p = Verify(pinned);
  EXPECT_TRUE(p.ok());
  EXPECT_FALSE(p.vkey_from_database);
  EXPECT_EQ(p.entries, 41u);

  VerifyOptions no_tree;
  no_tree.check_tree = false;
  VerifyReport nt = Verify(no_tree);
  EXPECT_TRUE(nt.ok());
  EXPECT_EQ(nt.tree_nodes, 0u);
  EXPECT_EQ(nt.root, built_->root);
}

TEST_F(VerifyDamaged, NoDatabaseOrBadKeyIsAnError) {
  EXPECT_FALSE(VerifyLedger(tmp_.dir() + "-nope", {}).ok());
  VerifyOptions o;
  o.vkey = "not a verifier key";
  EXPECT_FALSE(VerifyLedger(tmp_.dir(), o).ok());
}

TEST_F(VerifyDamaged, ByteChangedInAMiddleLeaf) {
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    wb.Put(st.cf(Cf::kEntries), U64Key(20),
           EditedLeaf(st, 20, "\"amount\":2000", "\"amount\":9000"));
  });
  // The leaf no longer hashes to the stored tree's leaf hash: caught at the leaf.
  ExpectFinding(Verify(), 20, "tree-node");
  // Without the tree check, the checkpoint at 21 (the first covering it) catches it.
  VerifyOptions o;
  o.check_tree = false;
  ExpectFinding(Verify(o), 20, "checkpoint-root", "checkpoint at tree size 21");
}

TEST_F(VerifyDamaged, ByteChangedInALeafNotAtACheckpointWithoutTreeCheck) {
  // Entry 22: no checkpoint at 23, so the next leaf's back link is the first to break.
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    wb.Put(st.cf(Cf::kEntries), U64Key(22), EditedLeaf(st, 22, "爱心人士", "爱心人土"));
  });
  ExpectFinding(Verify(), 22, "tree-node");
  VerifyOptions o;
  o.check_tree = false;
  ExpectFinding(Verify(o), 23, "prev-link");
}

TEST_F(VerifyDamaged, HeaderOfAMiddleLeafChanged) {
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    wb.Put(st.cf(Cf::kEntries), U64Key(20), EditedLeaf(st, 20, "\"index\":20", "\"index\":29"));
  });
  ExpectFinding(Verify(), 20, "index", "says index 29");
}

TEST_F(VerifyDamaged, UndecodableMiddleLeaf) {
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    wb.Put(st.cf(Cf::kEntries), U64Key(20), EditedLeaf(st, 20, "\"v\":1}", "\"v\":2}"));
  });
  ExpectFinding(Verify(), 20, "decode", "unknown leaf version 2");
}

TEST_F(VerifyDamaged, MiddleLeafDeleted) {
  Tamper(tmp_.dir(),
         [](Storage& st, rocksdb::WriteBatch& wb) { wb.Delete(st.cf(Cf::kEntries), U64Key(20)); });
  ExpectFinding(Verify(), 20, "missing-entry", "next stored entry is 21");
}

TEST_F(VerifyDamaged, TwoLeavesSwapped) {
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    std::string a = Get(st, Cf::kEntries, U64Key(20)), b = Get(st, Cf::kEntries, U64Key(21));
    wb.Put(st.cf(Cf::kEntries), U64Key(20), b);
    wb.Put(st.cf(Cf::kEntries), U64Key(21), a);
  });
  ExpectFinding(Verify(), 20, "index", "says index 21");
}

TEST_F(VerifyDamaged, TailTruncated) {
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    for (uint64_t i : {38, 39, 40}) wb.Delete(st.cf(Cf::kEntries), U64Key(i));
  });
  // 38 entries remain; the checkpoint for 41 is still there.
  ExpectFinding(Verify(), 37, "truncated", "41");
}

TEST_F(VerifyDamaged, TailTruncatedWithItsTreeAndHead) {
  // A more careful truncation: entries, tree and head rolled back to 38; only the
  // signed checkpoint for 41 gives it away.
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    for (uint64_t i : {38, 39, 40}) {
      wb.Delete(st.cf(Cf::kEntries), U64Key(i));
      wb.Delete(st.cf(Cf::kTree), TreeKey(0, i));
    }
    std::string head = Get(st, Cf::kDefault, "head");
    std::string last = Get(st, Cf::kEntries, U64Key(37));
    wb.Put(st.cf(Cf::kDefault), "head",
           U64Key(38) + std::string(HashBytes(LeafHash(last))) + head.substr(40));
  });
  ExpectFinding(Verify(), 37, "truncated", "41");
}

TEST_F(VerifyDamaged, TreeNodeChanged) {
  // Node (level 1, index 5) covers leaves 10 and 11; it is completed (and stored) by
  // the append of leaf 11, which is where the finding points.
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    std::string row = Get(st, Cf::kTree, TreeKey(1, 5));
    ASSERT_GE(row.size(), TreeOffset(1) + kHashSize);
    row[TreeOffset(1) + 3] ^= 0x80;
    wb.Put(st.cf(Cf::kTree), TreeKey(1, 5), row);
  });
  ExpectFinding(Verify(), 11, "tree-node");
  // Only the tree is damaged: with the tree check off, the log itself is fine.
  VerifyOptions o;
  o.check_tree = false;
  EXPECT_TRUE(Verify(o).ok());
}

TEST_F(VerifyDamaged, TreeNodeDeleted) {
  Tamper(tmp_.dir(),
         [](Storage& st, rocksdb::WriteBatch& wb) { wb.Delete(st.cf(Cf::kTree), TreeKey(0, 30)); });
  ExpectFinding(Verify(), 30, "tree-node", "missing");
}

TEST_F(VerifyDamaged, CheckpointSignatureCorrupted) {
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    absl::StatusOr<Note> note = ParseNote(Get(st, Cf::kCheckpoints, U64Key(21)));
    ASSERT_TRUE(note.ok());
    ASSERT_EQ(note->signatures.size(), 1u);
    NoteSignature sig = note->signatures[0];
    sig.signature[10] ^= 0x01;
    wb.Put(st.cf(Cf::kCheckpoints), U64Key(21),
           note->text + "\n" + FormatSignatureLine(sig.name, sig.key_id, sig.signature));
  });
  ExpectFinding(Verify(), 20, "checkpoint-signature", "checkpoint at tree size 21");
}

TEST_F(VerifyDamaged, CheckpointForAnotherRoot) {
  const std::string dir = tmp_.dir();
  Tamper(dir, [&](Storage& st, rocksdb::WriteBatch& wb) {
    Checkpoint forged{built_->origin, 21, SomeOtherHash()};
    wb.Put(st.cf(Cf::kCheckpoints), U64Key(21), SignNote(forged.Body(), LogSigner(dir)));
  });
  ExpectFinding(Verify(), 20, "checkpoint-root", HashToBase64(SomeOtherHash()));
}

TEST_F(VerifyDamaged, LastCheckpointDeleted) {
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    wb.Delete(st.cf(Cf::kCheckpoints), U64Key(41));
  });
  ExpectFinding(Verify(), 40, "unsigned-tail");
}

TEST_F(VerifyDamaged, HeadDeleted) {
  Tamper(tmp_.dir(),
         [](Storage& st, rocksdb::WriteBatch& wb) { wb.Delete(st.cf(Cf::kDefault), "head"); });
  ExpectFinding(Verify(), std::nullopt, "head");
}

TEST_F(VerifyDamaged, PinnedWrongKey) {
  absl::StatusOr<NoteSigner> other = NoteSigner::Generate(built_->origin);
  ASSERT_TRUE(other.ok());
  VerifyOptions o;
  o.vkey = other->VerifierKey();
  VerifyReport r = Verify(o);
  ExpectFinding(r, std::nullopt, "log-key", built_->vkey);
  EXPECT_EQ(r.vkey, other->VerifierKey());
  EXPECT_FALSE(r.vkey_from_database);
  EXPECT_EQ(r.entries, 0u);
}

TEST_F(VerifyDamaged, RulesHookFindingIsAtItsIndex) {
  VerifyOptions o;
  o.on_leaf = [](const LeafView& leaf, std::string_view) {
    return leaf.header.index == 7 ? absl::FailedPreconditionError("overdrawn") : absl::OkStatus();
  };
  ExpectFinding(Verify(o), 7, "rules", "overdrawn");
}

TEST_F(VerifyDamaged, HeadTimeChanged) {
  // The writer dates new entries no earlier than the head's time: a head moved back
  // in time would let it write entries dated before the last one.
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    std::string head = Get(st, Cf::kDefault, "head");
    wb.Put(st.cf(Cf::kDefault), "head", head.substr(0, 40) + U64Key(0));
  });
  ExpectFinding(Verify(), 40, "head", "time_ms is 0");
}

TEST_F(VerifyDamaged, FormatRecordChanged) {
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    wb.Put(st.cf(Cf::kDefault), "format", "boai-ledger/2");
  });
  ExpectFinding(Verify(), std::nullopt, "meta", "boai-ledger/2");
}

TEST_F(VerifyDamaged, EntryWrittenAroundTheIndexReusesAKey) {
  // An attacker deletes the index record of key receipt-7, so the writer takes a
  // second entry with that key (a gift counted twice), and puts the record back.
  const std::string dir = tmp_.dir();
  std::string record;
  Tamper(dir, [&](Storage& st, rocksdb::WriteBatch& wb) {
    record = Get(st, Cf::kIndex, "kreceipt-7");
    wb.Delete(st.cf(Cf::kIndex), "kreceipt-7");
  });
  {
    LedgerOptions o;
    o.sync = false;
    absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(dir, o);
    ASSERT_TRUE(l.ok()) << l.status();
    std::vector<EntryDraft> drafts;
    drafts.push_back(EntryDraft{"gift", "receipt-7", R"({"amount":700,"n":7})", {}});
    for (const auto& r : (*l)->AppendMany(std::move(drafts))) ASSERT_TRUE(r.ok()) << r.status();
  }
  Tamper(dir, [&](Storage& st, rocksdb::WriteBatch& wb) {
    wb.Put(st.cf(Cf::kIndex), "kreceipt-7", record);
  });
  ExpectFinding(Verify(), 41, "duplicate-key", "\"receipt-7\" of entry 7");
}

TEST_F(VerifyDamaged, IndexRecordDeleted) {
  Tamper(tmp_.dir(),
         [](Storage& st, rocksdb::WriteBatch& wb) { wb.Delete(st.cf(Cf::kIndex), "kreceipt-7"); });
  ExpectFinding(Verify(), std::nullopt, "index-record", "41 entries but 40 index records");
  VerifyOptions o;  // derived records are compared with the tree rows
  o.check_tree = false;
  EXPECT_TRUE(Verify(o).ok());
}

TEST_F(VerifyDamaged, IndexRecordPointsAtAnotherEntry) {
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    wb.Put(st.cf(Cf::kIndex), "kreceipt-7", U64Key(8));
  });
  ExpectFinding(Verify(), 7, "index-record",
                "\"receipt-7\" says entry 8, but the key is entry 7's");
}

TEST_F(VerifyDamaged, IndexRecordPlanted) {
  Tamper(tmp_.dir(), [](Storage& st, rocksdb::WriteBatch& wb) {
    wb.Put(st.cf(Cf::kIndex), "kreceipt-999", U64Key(3));
  });
  ExpectFinding(Verify(), std::nullopt, "index-record", "no entry has that key");
}

TEST_F(VerifyDamaged, UnreadableCheckpointsAreAFindingNotSkipped) {
  // A damaged block of the checkpoints column family: RocksDB's read fails. The
  // verifier must say so, not verify "0 checkpoints" and call the ledger intact.
  const std::string dir = tmp_.dir();
  std::string file;
  {
    absl::StatusOr<std::unique_ptr<Storage>> st =
        Storage::Open(DatabasePath(dir), StorageOptions{});
    ASSERT_TRUE(st.ok()) << st.status();
    ASSERT_TRUE((*st)->db()->Flush(rocksdb::FlushOptions(), (*st)->cf(Cf::kCheckpoints)).ok());
    std::vector<rocksdb::LiveFileMetaData> files;
    (*st)->db()->GetLiveFilesMetaData(&files);
    for (const rocksdb::LiveFileMetaData& f : files) {
      if (f.column_family_name == CfName(Cf::kCheckpoints)) file = f.db_path + f.name;
    }
  }
  ASSERT_FALSE(file.empty()) << "no table file of the checkpoints column family";
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);  // inside the first data block
    f.write("\xff\xff\xff\xff\xff\xff\xff\xff", 8);
  }
  VerifyReport r = Verify();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.finding->check, "read") << r.finding->detail;
  EXPECT_THAT(r.finding->detail, HasSubstr("checkpoints"));
}

}  // namespace
}  // namespace boai::ledger
