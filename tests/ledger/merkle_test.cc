// Tests for ledger/merkle.h against a naive transcription of RFC 9162 section 2.1
// (the RFC 6962 known answers are in merkle_known_answer_test.cc).
#include "ledger/merkle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/hash.h"
#include "ledger/strings.h"
#include "tests/ledger/merkle_test_support.h"

namespace boai::ledger {
namespace {

using merkle_testing::MemoryNodes;
using merkle_testing::NaiveLeafHash;
using merkle_testing::NaiveMth;
using merkle_testing::NaiveNodeHash;
using merkle_testing::NaivePath;
using merkle_testing::NaiveProof;
using merkle_testing::NaiveSha256;
using merkle_testing::Span;
using merkle_testing::TestLeaves;
using ::testing::HasSubstr;
using ::testing::Not;

// The nodes of `all` a tree of `size` leaves has: complete subtrees inside [0, size).
// Proofs and roots at `size` must be computable from these alone.
class PrefixNodes : public NodeSource {
 public:
  PrefixNodes(const NodeSource& all, uint64_t size) : all_(all), size_(size) {}
  absl::StatusOr<Hash> Node(int level, uint64_t index) const override {
    if ((index + 1) << level > size_) {
      ADD_FAILURE() << "read node " << level << "/" << index << " beyond tree size " << size_;
      return absl::NotFoundError("beyond the tree");
    }
    return all_.Node(level, index);
  }

 private:
  const NodeSource& all_;
  uint64_t size_;
};

constexpr size_t kMaxSize = 64;

Hash Flip(Hash h, int byte, int bit) {
  h[byte] ^= static_cast<uint8_t>(1u << bit);
  return h;
}

// A tree of kMaxSize leaves built once, with the naive roots at every size.
class MerkleTree : public ::testing::Test {
 protected:
  void SetUp() override {
    leaves_ = TestLeaves(kMaxSize);
    Frontier f;
    for (size_t i = 0; i < kMaxSize; ++i) f.Append(LeafHash(leaves_[i]), nodes_.Sink());
    roots_.push_back(NaiveSha256(""));
    for (size_t n = 1; n <= kMaxSize; ++n) roots_.push_back(NaiveMth(Span{&leaves_, 0, n}));
  }
  Span Prefix(size_t n) const { return Span{&leaves_, 0, n}; }

  std::vector<std::string> leaves_;
  MemoryNodes nodes_;
  std::vector<Hash> roots_;  // roots_[n] = MTH(D[0:n])
};

// ---------------------------------------------------------------------------

TEST(MerkleHash, MatchesNaiveHashing) {
  for (const std::string& leaf : TestLeaves(20)) {
    EXPECT_EQ(LeafHash(leaf), NaiveLeafHash(leaf));
  }
  Hash a = NaiveLeafHash("a"), b = NaiveLeafHash("b");
  EXPECT_EQ(NodeHash(a, b), NaiveNodeHash(a, b));
  EXPECT_NE(NodeHash(a, b), NodeHash(b, a));
}

// ---------------------------------------------------------------------------

TEST_F(MerkleTree, SinkReportsExactlyTheCompleteSubtrees) {
  MemoryNodes nodes;
  Frontier f;
  for (size_t n = 1; n <= kMaxSize; ++n) {
    f.Append(LeafHash(leaves_[n - 1]), nodes.Sink());
    EXPECT_EQ(f.size(), n);
    size_t want = 0;
    for (int level = 0; (uint64_t{1} << level) <= n; ++level) {
      for (uint64_t i = 0; (i + 1) << level <= n; ++i) {
        ++want;
        auto it = nodes.nodes().find({level, i});
        ASSERT_NE(it, nodes.nodes().end()) << "size " << n << " lacks node " << level << "/" << i;
        Span s = Prefix(n).Sub(i << level, (i + 1) << level);
        EXPECT_EQ(it->second, NaiveMth(s)) << "node " << level << "/" << i;
      }
    }
    EXPECT_EQ(nodes.nodes().size(), want) << "size " << n;
  }
}

TEST_F(MerkleTree, RootsAtEverySizeMatchTheRfc) {
  Frontier f;
  MemoryNodes grown;
  for (size_t n = 1; n <= kMaxSize; ++n) {
    f.Append(LeafHash(leaves_[n - 1]), grown.Sink());
    EXPECT_EQ(f.Root(), roots_[n]) << "Frontier::Root at size " << n;
    // From the nodes stored so far, and from the full store limited to the prefix.
    absl::StatusOr<Hash> now = RootAt(grown, n);
    ASSERT_TRUE(now.ok()) << now.status();
    EXPECT_EQ(*now, roots_[n]) << "RootAt(" << n << ") while growing";
    absl::StatusOr<Hash> later = RootAt(PrefixNodes(nodes_, n), n);
    ASSERT_TRUE(later.ok()) << later.status();
    EXPECT_EQ(*later, roots_[n]) << "RootAt(" << n << ") from a bigger tree";
  }
}

TEST_F(MerkleTree, RootAtReadsLogarithmicallyManyNodes) {
  for (size_t n = 1; n <= kMaxSize; ++n) {
    MemoryNodes counted;
    Frontier f;
    for (size_t i = 0; i < n; ++i) f.Append(LeafHash(leaves_[i]), counted.Sink());
    ASSERT_TRUE(RootAt(counted, n).ok());
    EXPECT_EQ(counted.reads(), std::popcount(n)) << "size " << n;
  }
}

TEST_F(MerkleTree, RootAtRefusesEmptyTreeAndMissingNodes) {
  absl::StatusOr<Hash> empty = RootAt(nodes_, 0);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  MemoryNodes none;
  EXPECT_EQ(RootAt(none, 5).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(InclusionProof(none, 1, 5).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ConsistencyProof(none, 3, 5).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Frontier::Load(none, 5).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(MerkleTree, InclusionProofsMatchTheRfcAndVerify) {
  for (size_t n = 1; n <= kMaxSize; ++n) {
    PrefixNodes view(nodes_, n);
    for (size_t m = 0; m < n; ++m) {
      SCOPED_TRACE(testing::Message() << "index " << m << " size " << n);
      absl::StatusOr<std::vector<Hash>> proof = InclusionProof(view, m, n);
      ASSERT_TRUE(proof.ok()) << proof.status();
      EXPECT_EQ(*proof, NaivePath(m, Prefix(n)));
      absl::Status ok = VerifyInclusion(LeafHash(leaves_[m]), m, n, *proof, roots_[n]);
      EXPECT_TRUE(ok.ok()) << ok;
    }
  }
}

TEST_F(MerkleTree, InclusionVerificationRejectsTampering) {
  const Hash junk = NaiveSha256("junk");
  int rejected = 0;
  for (size_t n = 1; n <= kMaxSize; ++n) {
    for (size_t m = 0; m < n; ++m) {
      SCOPED_TRACE(testing::Message() << "index " << m << " size " << n);
      const Hash leaf = LeafHash(leaves_[m]);
      const std::vector<Hash> proof = NaivePath(m, Prefix(n));
      auto expect_rejected = [&](uint64_t index, uint64_t size, const std::vector<Hash>& p,
                                 const Hash& root, const Hash& leaf_hash, const char* what) {
        absl::Status s = VerifyInclusion(leaf_hash, index, size, p, root);
        EXPECT_FALSE(s.ok()) << what << " was accepted";
        ++rejected;
      };
      // A flipped bit in any proof hash, at a position varying with the case.
      for (size_t i = 0; i < proof.size(); ++i) {
        std::vector<Hash> bad = proof;
        bad[i] = Flip(bad[i], static_cast<int>((m + i) % kHashSize), static_cast<int>(n % 8));
        expect_rejected(m, n, bad, roots_[n], leaf, "flipped bit");
      }
      // The wrong leaf, the wrong root.
      expect_rejected(m, n, proof, roots_[n], Flip(leaf, 0, 0), "flipped leaf hash");
      expect_rejected(m, n, proof, Flip(roots_[n], 31, 7), leaf, "flipped root");
      // A wrong index.
      for (uint64_t wrong : {m + 1, m - 1, m ^ 1, m ^ 2, m ^ 4}) {
        if (wrong < n && wrong != m)
          expect_rejected(wrong, n, proof, roots_[n], leaf, "wrong index");
      }
      expect_rejected(n, n, proof, roots_[n], leaf, "index == size");
      // A wrong size, with that size's real root.
      for (uint64_t wrong : {n + 1, n - 1, 2 * n, n / 2}) {
        if (wrong > m && wrong != n && wrong <= kMaxSize) {
          expect_rejected(m, wrong, proof, roots_[wrong], leaf, "wrong size");
        }
      }
      // Too short, too long.
      if (!proof.empty()) {
        expect_rejected(m, n, std::vector<Hash>(proof.begin(), proof.end() - 1), roots_[n], leaf,
                        "truncated proof");
        expect_rejected(m, n, std::vector<Hash>(proof.begin() + 1, proof.end()), roots_[n], leaf,
                        "proof without its first hash");
      }
      for (const Hash& extra : {junk, roots_[n], leaf}) {
        std::vector<Hash> longer = proof;
        longer.push_back(extra);
        expect_rejected(m, n, longer, roots_[n], leaf, "trailing hash");
        longer = proof;
        longer.insert(longer.begin(), extra);
        expect_rejected(m, n, longer, roots_[n], leaf, "leading hash");
      }
    }
  }
  EXPECT_GT(rejected, 10000);
}

TEST_F(MerkleTree, InclusionErrorsSayWhatIsWrong) {
  absl::Status s = VerifyInclusion(LeafHash(leaves_[3]), 3, 10, {}, roots_[10]);
  EXPECT_THAT(std::string(s.message()), HasSubstr("too few"));
  std::vector<Hash> proof = NaivePath(3, Prefix(10));
  proof.push_back(roots_[1]);
  s = VerifyInclusion(LeafHash(leaves_[3]), 3, 10, proof, roots_[10]);
  EXPECT_THAT(std::string(s.message()), HasSubstr("too many"));
  s = VerifyInclusion(LeafHash(leaves_[3]), 3, 10, NaivePath(3, Prefix(10)), roots_[9]);
  EXPECT_THAT(std::string(s.message()), HasSubstr(HashToBase64(roots_[9])));
  s = VerifyInclusion(LeafHash(leaves_[3]), 12, 10, {}, roots_[10]);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("12"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("10"));
}

TEST_F(MerkleTree, InclusionProofOutsideTheTreeIsInvalidArgument) {
  for (auto [index, size] :
       std::vector<std::pair<uint64_t, uint64_t>>{{5, 5}, {6, 5}, {63, 17}, {1000, 64}}) {
    absl::StatusOr<std::vector<Hash>> p = InclusionProof(nodes_, index, size);
    ASSERT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << index << "/" << size;
    std::string msg(p.status().message());
    EXPECT_THAT(msg, HasSubstr(std::to_string(index)));
    EXPECT_THAT(msg, HasSubstr(std::to_string(size)));
  }
  // An empty tree has no indexes at all; the message must not underflow size - 1.
  absl::StatusOr<std::vector<Hash>> p = InclusionProof(nodes_, 0, 0);
  ASSERT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()), Not(HasSubstr("18446744073709551615")));
}

TEST_F(MerkleTree, ConsistencyProofsMatchTheRfcAndVerify) {
  for (size_t n = 1; n <= kMaxSize; ++n) {
    PrefixNodes view(nodes_, n);
    for (size_t m = 1; m <= n; ++m) {
      SCOPED_TRACE(testing::Message() << m << " -> " << n);
      absl::StatusOr<std::vector<Hash>> proof = ConsistencyProof(view, m, n);
      ASSERT_TRUE(proof.ok()) << proof.status();
      EXPECT_EQ(*proof, NaiveProof(m, Prefix(n)));
      absl::Status ok = VerifyConsistency(m, n, roots_[m], roots_[n], *proof);
      EXPECT_TRUE(ok.ok()) << ok;
    }
  }
}

TEST_F(MerkleTree, ConsistencyVerificationRejectsTampering) {
  const Hash junk = NaiveSha256("junk");
  int rejected = 0;
  for (size_t n = 1; n <= kMaxSize; ++n) {
    for (size_t m = 1; m <= n; ++m) {
      SCOPED_TRACE(testing::Message() << m << " -> " << n);
      const std::vector<Hash> proof = NaiveProof(m, Prefix(n));
      auto expect_rejected = [&](uint64_t old_size, uint64_t new_size, const Hash& old_root,
                                 const Hash& new_root, const std::vector<Hash>& p,
                                 const char* what) {
        absl::Status s = VerifyConsistency(old_size, new_size, old_root, new_root, p);
        EXPECT_FALSE(s.ok()) << what << " was accepted";
        ++rejected;
      };
      for (size_t i = 0; i < proof.size(); ++i) {
        std::vector<Hash> bad = proof;
        bad[i] =
            Flip(bad[i], static_cast<int>((m * 7 + i) % kHashSize), static_cast<int>((n + i) % 8));
        expect_rejected(m, n, roots_[m], roots_[n], bad, "flipped bit");
      }
      expect_rejected(m, n, Flip(roots_[m], 5, 1), roots_[n], proof, "wrong old root");
      expect_rejected(m, n, roots_[m], Flip(roots_[n], 9, 2), proof, "wrong new root");
      if (m != n) expect_rejected(m, n, roots_[n], roots_[m], proof, "swapped roots");
      // Wrong sizes, each with the real root of the size claimed.
      for (uint64_t wrong : {m + 1, m - 1, m ^ 2}) {
        if (wrong >= 1 && wrong <= n && wrong != m) {
          expect_rejected(wrong, n, roots_[wrong], roots_[n], proof, "wrong old size");
        }
      }
      for (uint64_t wrong : {n + 1, n - 1, 2 * n}) {
        if (wrong >= m && wrong <= kMaxSize && wrong != n) {
          expect_rejected(m, wrong, roots_[m], roots_[wrong], proof, "wrong new size");
        }
      }
      // Too short, too long.
      if (!proof.empty()) {
        expect_rejected(m, n, roots_[m], roots_[n], {}, "empty proof");
        expect_rejected(m, n, roots_[m], roots_[n],
                        std::vector<Hash>(proof.begin(), proof.end() - 1), "truncated proof");
        expect_rejected(m, n, roots_[m], roots_[n],
                        std::vector<Hash>(proof.begin() + 1, proof.end()),
                        "proof without its first hash");
      }
      for (const Hash& extra : {junk, roots_[m], roots_[n]}) {
        std::vector<Hash> longer = proof;
        longer.push_back(extra);
        expect_rejected(m, n, roots_[m], roots_[n], longer, "trailing hash");
        longer = proof;
        longer.insert(longer.begin(), extra);
        expect_rejected(m, n, roots_[m], roots_[n], longer, "leading hash");
      }
    }
  }
  EXPECT_GT(rejected, 20000);
}

TEST_F(MerkleTree, ConsistencyBetweenEqualSizes) {
  EXPECT_TRUE(VerifyConsistency(7, 7, roots_[7], roots_[7], {}).ok());
  absl::Status differ = VerifyConsistency(7, 7, roots_[7], roots_[6], {});
  EXPECT_FALSE(differ.ok());
  // Neither root is computed here: the message says which is the old and which the new.
  EXPECT_EQ(differ.message(), StrCat("equal sizes with different roots: old ",
                                     HashToBase64(roots_[7]), ", new ", HashToBase64(roots_[6])));
  EXPECT_FALSE(VerifyConsistency(7, 7, roots_[7], roots_[7], {roots_[7]}).ok());
}

TEST_F(MerkleTree, ConsistencyProofNeedsOrderedNonEmptySizes) {
  for (auto [m, n] : std::vector<std::pair<uint64_t, uint64_t>>{{0, 5}, {0, 1}, {6, 5}, {64, 9}}) {
    absl::StatusOr<std::vector<Hash>> p = ConsistencyProof(nodes_, m, n);
    ASSERT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << m << " -> " << n;
    std::string msg(p.status().message());
    EXPECT_THAT(msg, HasSubstr("old size " + std::to_string(m)));
    EXPECT_THAT(msg, HasSubstr("new size " + std::to_string(n)));
    absl::Status v = VerifyConsistency(m, n, roots_[1], roots_[1], {});
    EXPECT_EQ(v.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(v.message()), HasSubstr(std::to_string(m)));
  }
}

TEST_F(MerkleTree, FrontierLoadEqualsTheAppendedFrontier) {
  Frontier appended;
  for (size_t n = 0; n <= kMaxSize; ++n) {
    SCOPED_TRACE(testing::Message() << "size " << n);
    if (n > 0) appended.Append(LeafHash(leaves_[n - 1]), nullptr);
    absl::StatusOr<Frontier> loaded = Frontier::Load(PrefixNodes(nodes_, n), n);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ASSERT_EQ(loaded->size(), n);
    if (n == 0) continue;
    EXPECT_EQ(loaded->Root(), appended.Root());
    EXPECT_EQ(loaded->Root(), roots_[n]);
    // Growing the loaded frontier reports the same nodes and roots as the original.
    Frontier a = appended;
    Frontier b = *loaded;
    for (size_t i = n; i < std::min(kMaxSize, n + 9); ++i) {
      std::vector<std::tuple<int, uint64_t, Hash>> from_a, from_b;
      a.Append(LeafHash(leaves_[i]),
               [&](int l, uint64_t x, const Hash& h) { from_a.emplace_back(l, x, h); });
      b.Append(LeafHash(leaves_[i]),
               [&](int l, uint64_t x, const Hash& h) { from_b.emplace_back(l, x, h); });
      EXPECT_EQ(from_a, from_b);
      EXPECT_EQ(b.Root(), roots_[i + 1]);
      for (const auto& [l, x, h] : from_b) EXPECT_EQ(nodes_.nodes().at({l, x}), h);
    }
  }
}

}  // namespace
}  // namespace boai::ledger
