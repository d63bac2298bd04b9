// Verification works in chunks of 2048 leaves checked in parallel; these tests use
// logs of several chunks so that chunk boundaries, the tree above the chunks, and
// checkpoints inside and at the edges of chunks are all exercised.
#include <gtest/gtest.h>

#include <random>

#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "ledger/verify.h"
#include "ledger/verify_chunk.h"
#include "tests/ledger/temp_dir.h"

namespace boai::ledger {
namespace {

using ::boai::test_support::TempDir;

class VerifyChunksTest : public ::testing::TestWithParam<uint64_t> {
 protected:
  // A log of `size` entries (genesis included), in batches of varying sizes so
  // that checkpoints land inside chunks and, for some, exactly on chunk edges.
  void Build(uint64_t size) {
    LedgerOptions o;
    o.sync = false;
    auto log = Ledger::Open(dir_, o);
    ASSERT_TRUE(log.ok()) << log.status();
    std::mt19937_64 rng(size);
    uint64_t n = 1;
    while (n < size) {
      uint64_t batch = std::min<uint64_t>(size - n, 1 + rng() % 700);
      if (n < 2048 && n + batch > 2048) batch = 2048 - n;  // a checkpoint at a chunk edge
      std::vector<EntryDraft> drafts;
      for (uint64_t i = 0; i < batch; ++i) {
        drafts.push_back({"gift", StrCat("k", n + i), StrCat("{\"n\":", n + i, "}"), {}});
      }
      for (auto& r : (*log)->AppendMany(std::move(drafts))) ASSERT_TRUE(r.ok()) << r.status();
      n += batch;
    }
    auto note = ParseNote((*log)->LatestCheckpoint());
    root_ = ParseCheckpointBody(note->text)->root;
    checkpoints_ = 0;
    auto it = (*log)->storage()->NewIterator(Cf::kCheckpoints);
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++checkpoints_;
  }

  void Edit(const std::function<void(Storage&, rocksdb::WriteBatch&)>& f) {
    auto st = Storage::Open(DatabasePath(dir_), StorageOptions{});
    ASSERT_TRUE(st.ok());
    rocksdb::WriteBatch wb;
    f(**st, wb);
    ASSERT_TRUE((*st)->Write(&wb, true).ok());
  }

  TempDir tmp_;
  const std::string dir_ = tmp_.dir();
  Hash root_{};
  uint64_t checkpoints_ = 0;
};

TEST_P(VerifyChunksTest, IntactLogVerifiesWithEveryCheckpoint) {
  Build(GetParam());
  absl::StatusOr<VerifyReport> r = VerifyLedger(dir_, {});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->ok()) << r->finding->check << ": " << r->finding->detail;
  EXPECT_EQ(r->entries, GetParam());
  EXPECT_EQ(r->root, root_);
  EXPECT_EQ(r->checkpoints, checkpoints_);
  EXPECT_GE(r->tree_nodes, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Sizes, VerifyChunksTest,
                         ::testing::Values(2047, 2048, 2049, 4096, 5000, 8192 + 3));

TEST_F(VerifyChunksTest, TamperedLeafInThirdChunkIsNamed) {
  Build(5000);
  Edit([](Storage& st, rocksdb::WriteBatch& wb) {
    std::string leaf = **st.Get(Cf::kEntries, U64Key(4500));
    leaf[leaf.find("4500")] = '9';
    wb.Put(st.cf(Cf::kEntries), U64Key(4500), leaf);
  });
  auto r = VerifyLedger(dir_, {});
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->finding->index, 4500u);
}

TEST_F(VerifyChunksTest, StoredNodeAboveTheChunkLevelIsChecked) {
  Build(5000);
  // Leaf 4095 closes the subtree of leaves 0-4095: its row holds levels 0-12.
  Edit([](Storage& st, rocksdb::WriteBatch& wb) {
    std::string row = **st.Get(Cf::kTree, U64Key(4095));
    ASSERT_EQ(row.size(), 13u * 32);
    row[12 * 32] ^= 1;  // the level-12 node, computed above the chunks
    wb.Put(st.cf(Cf::kTree), U64Key(4095), row);
  });
  auto r = VerifyLedger(dir_, {});
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->finding->check, "tree-node");
  EXPECT_EQ(r->finding->index, 4095u);
}

TEST_F(VerifyChunksTest, MissingEntryInSecondChunkIsNamed) {
  Build(5000);
  Edit([](Storage& st, rocksdb::WriteBatch& wb) { wb.Delete(st.cf(Cf::kEntries), U64Key(3000)); });
  auto r = VerifyLedger(dir_, {});
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->finding->check, "missing-entry");
  EXPECT_EQ(r->finding->index, 3000u);
}

TEST_F(VerifyChunksTest, CheckpointRootAfterTheFirstChunkIsChecked) {
  Build(5000);
  // Re-sign nothing: just swap in the checkpoint of another size under a later key.
  Edit([](Storage& st, rocksdb::WriteBatch& wb) {
    auto it = st.NewIterator(Cf::kCheckpoints);
    it->Seek(U64Key(2049));
    std::string key = it->key().ToString();
    it->Prev();
    wb.Put(st.cf(Cf::kCheckpoints), key, it->value().ToString());
  });
  auto r = VerifyLedger(dir_, {});
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->finding->check, "checkpoint");  // stored under one size, saying another
}

// A LeafChecker that records what it saw: Prepare parses the body's number (on
// worker threads), Apply checks that it comes in log order and may refuse one.
class OrderChecker : public LeafChecker {
 public:
  explicit OrderChecker(uint64_t refuse_prepare, uint64_t refuse_apply)
      : refuse_prepare_(refuse_prepare), refuse_apply_(refuse_apply) {}
  absl::StatusOr<std::any> Prepare(const LeafView& leaf, std::string_view) const override {
    if (leaf.header.index == refuse_prepare_) return absl::InvalidArgumentError("bad body");
    return std::any(leaf.header.index);
  }
  absl::Status Apply(const LeafView& leaf, std::string_view, std::any prepared) override {
    if (std::any_cast<uint64_t>(prepared) != leaf.header.index || leaf.header.index != next_) {
      return absl::InternalError(StrCat("out of order at ", leaf.header.index));
    }
    ++next_;
    if (leaf.header.index == refuse_apply_) return absl::FailedPreconditionError("overspend");
    return absl::OkStatus();
  }
  uint64_t applied() const { return next_; }

 private:
  uint64_t refuse_prepare_, refuse_apply_;
  uint64_t next_ = 0;
};

TEST_F(VerifyChunksTest, CheckerSeesEveryLeafInOrderWithWhatPrepareReturned) {
  Build(8192 + 3);
  OrderChecker checker(UINT64_MAX, UINT64_MAX);
  VerifyOptions o;
  o.checker = &checker;
  auto r = VerifyLedger(dir_, o);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->ok()) << r->finding->detail;
  EXPECT_EQ(checker.applied(), 8192u + 3);
}

TEST_F(VerifyChunksTest, CheckerErrorsAreNamedAtTheirIndex) {
  Build(5000);
  {
    OrderChecker checker(4100, UINT64_MAX);  // Prepare fails in the third chunk
    VerifyOptions o;
    o.checker = &checker;
    auto r = VerifyLedger(dir_, o);
    ASSERT_FALSE(r->ok());
    EXPECT_EQ(r->finding->index, 4100u);
    EXPECT_EQ(r->finding->check, "rules");
    EXPECT_EQ(r->finding->detail, "bad body");
    EXPECT_EQ(checker.applied(), 4100u);  // nothing after the bad leaf was applied
  }
  {
    OrderChecker checker(UINT64_MAX, 2048);  // Apply fails on a chunk's first leaf
    VerifyOptions o;
    o.checker = &checker;
    auto r = VerifyLedger(dir_, o);
    ASSERT_FALSE(r->ok());
    EXPECT_EQ(r->finding->index, 2048u);
    EXPECT_EQ(r->finding->detail, "overspend");
  }
}

// The keys' sort is bucketed by the hash's top bits; it must order exactly as
// std::sort, also when the hashes are not spread (repeats, one bucket, tiny sets).
TEST(SortKeyRefs, OrdersAsStdSort) {
  std::mt19937_64 rng(7);
  std::vector<std::vector<verify_internal::KeyRef>> cases(4);
  for (int i = 0; i < 200000; ++i) cases[0].emplace_back(rng(), rng() % 1000);
  for (int i = 0; i < 100000; ++i) cases[1].emplace_back(rng() % 50, rng());  // top bits all 0
  for (int i = 0; i < 100000; ++i) cases[2].emplace_back(rng() | (uint64_t{0xffff} << 48), i);
  for (int i = 0; i < 30; ++i) cases[3].emplace_back(rng(), rng());
  cases[0].insert(cases[0].end(), cases[0].begin(), cases[0].begin() + 1000);  // repeats
  for (std::vector<verify_internal::KeyRef>& v : cases) {
    std::vector<verify_internal::KeyRef> want = v;
    std::sort(want.begin(), want.end());
    verify_internal::SortKeyRefs(v);
    EXPECT_EQ(v, want);
  }
}

}  // namespace
}  // namespace boai::ledger
