// Ledger checkpoints and inclusion/consistency proofs at every stored size, and their errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "tests/ledger/ledger_test_support.h"
#include "tests/ledger/temp_dir.h"

namespace boai::ledger {
namespace {

using ::boai::test_support::TempDir;
using ::testing::HasSubstr;
using namespace ::boai::ledger::testing;  // NOLINT

// A ledger whose batches end at known sizes: 1 (genesis), 2, 4, 7, 11, 16, 22, 29, 37.
std::unique_ptr<Ledger> LedgerWithKnownBatches(const TempDir& tmp) {
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir());
  if (l == nullptr) return l;
  for (int b = 1; b <= 8; ++b) {
    std::vector<EntryDraft> drafts;
    for (int i = 0; i < b; ++i)
      drafts.push_back(Gift("kb-" + std::to_string(b) + "-" + std::to_string(i), i));
    for (const auto& r : l->AppendMany(std::move(drafts))) EXPECT_TRUE(r.ok()) << r.status();
  }
  return l;
}

TEST(Ledger, CheckpointsAndProofsAtEveryStoredSize) {
  TempDir tmp;
  std::unique_ptr<Ledger> l = LedgerWithKnownBatches(tmp);
  ASSERT_NE(l, nullptr);
  const std::vector<uint64_t> sizes = CheckpointSizes(l->storage());
  ASSERT_EQ(sizes, (std::vector<uint64_t>{1, 2, 4, 7, 11, 16, 22, 29, 37}));
  ASSERT_EQ(l->Size(), 37u);
  const std::vector<Hash> leaves = AllLeafHashes(*l);

  std::map<uint64_t, Hash> roots;
  for (uint64_t size : sizes) {
    SCOPED_TRACE(::testing::Message() << "size " << size);
    absl::StatusOr<std::string> note = l->CheckpointAt(size);
    ASSERT_TRUE(note.ok()) << note.status();
    absl::StatusOr<Checkpoint> cp = OpenCheckpoint(*l, *note);
    ASSERT_TRUE(cp.ok()) << cp.status();
    EXPECT_EQ(cp->size, size);
    EXPECT_EQ(cp->root, Mth(leaves, 0, size));  // computed here from the leaves
    roots[size] = cp->root;
    // Every entry is provably in every checkpoint that covers it.
    for (uint64_t i = 0; i < size; ++i) {
      absl::StatusOr<std::vector<Hash>> proof = l->InclusionProof(i, size);
      ASSERT_TRUE(proof.ok()) << proof.status();
      absl::Status v = VerifyInclusion(leaves[i], i, size, *proof, cp->root);
      EXPECT_TRUE(v.ok()) << "index " << i << ": " << v;
    }
  }
  EXPECT_EQ(*l->CheckpointAt(37), l->LatestCheckpoint());

  // Consistency between every pair of stored checkpoints (including equal sizes).
  for (uint64_t a : sizes) {
    for (uint64_t b : sizes) {
      if (a > b) continue;
      absl::StatusOr<std::vector<Hash>> proof = l->ConsistencyProof(a, b);
      ASSERT_TRUE(proof.ok()) << a << " -> " << b << ": " << proof.status();
      absl::Status v = VerifyConsistency(a, b, roots[a], roots[b], *proof);
      EXPECT_TRUE(v.ok()) << a << " -> " << b << ": " << v;
      if (a < b) {  // and the proof is not vacuous: a wrong old root fails
        EXPECT_FALSE(VerifyConsistency(a, b, roots[b], roots[b], *proof).ok()) << a << " -> " << b;
      }
    }
  }

  // No batch ended at size 3.
  absl::StatusOr<std::string> none = l->CheckpointAt(3);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(none.status().message()), HasSubstr("tree size 3"));
  EXPECT_EQ(l->CheckpointAt(0).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(l->CheckpointAt(38).status().code(), absl::StatusCode::kNotFound);

  // The tlog-proof form of the latest checkpoint.
  absl::StatusOr<std::string> tlog = l->TlogProof(20);
  ASSERT_TRUE(tlog.ok()) << tlog.status();
  absl::StatusOr<TlogProof> parsed = ParseTlogProof(*tlog);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->index, 20u);
  EXPECT_EQ(parsed->checkpoint, l->LatestCheckpoint());
  EXPECT_TRUE(VerifyInclusion(leaves[20], 20, 37, parsed->path, roots[37]).ok());
}

TEST(Ledger, RequestsBeyondTheTreeAreClearErrors) {
  TempDir tmp;
  std::unique_ptr<Ledger> l = LedgerWithKnownBatches(tmp);
  ASSERT_NE(l, nullptr);
  const uint64_t n = l->Size();
  ASSERT_EQ(n, 37u);
  auto expect = [](const absl::Status& s, absl::StatusCode code, std::vector<std::string> parts) {
    EXPECT_EQ(s.code(), code) << s;
    for (const std::string& p : parts) EXPECT_THAT(std::string(s.message()), HasSubstr(p));
  };

  expect(l->LeafAt(n).status(), absl::StatusCode::kOutOfRange,
         {"entry 37", "37 entries", "0 to 36"});
  expect(l->LeafAt(UINT64_MAX).status(), absl::StatusCode::kOutOfRange, {"does not exist"});
  EXPECT_TRUE(l->LeafAt(n - 1).ok());

  expect(l->InclusionProof(0, n + 1).status(), absl::StatusCode::kOutOfRange, {"38", "37"});
  expect(l->InclusionProof(0, 0).status(), absl::StatusCode::kOutOfRange, {"tree size 0"});
  expect(l->InclusionProof(n, n).status(), absl::StatusCode::kInvalidArgument,
         {"index 37", "0 to 36"});
  expect(l->InclusionProof(10, 10).status(), absl::StatusCode::kInvalidArgument, {"index 10"});
  expect(l->InclusionProof(UINT64_MAX, n).status(), absl::StatusCode::kInvalidArgument,
         {"beyond the tree"});

  expect(l->ConsistencyProof(1, n + 1).status(), absl::StatusCode::kOutOfRange, {"38", "37"});
  expect(l->ConsistencyProof(0, n).status(), absl::StatusCode::kInvalidArgument, {"old size 0"});
  expect(l->ConsistencyProof(20, 10).status(), absl::StatusCode::kInvalidArgument,
         {"old size 20", "new size 10"});
  expect(l->ConsistencyProof(n + 5, n + 6).status(), absl::StatusCode::kOutOfRange, {"beyond"});

  EXPECT_FALSE(l->TlogProof(n).ok());
  // Proofs at sizes no checkpoint was signed for still work (any size up to Size()).
  absl::StatusOr<std::vector<Hash>> p = l->InclusionProof(2, 3);
  ASSERT_TRUE(p.ok());
  std::vector<Hash> leaves = AllLeafHashes(*l);
  EXPECT_TRUE(VerifyInclusion(leaves[2], 2, 3, *p, Mth(leaves, 0, 3)).ok());
}

}  // namespace
}  // namespace boai::ledger
