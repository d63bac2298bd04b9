// Tests for ledger/merkle.h against a naive transcription of RFC 9162 section 2.1
// and against the RFC 6962 known-answer vectors of Certificate Transparency.
#include "ledger/merkle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "ledger/hash.h"

namespace boai::ledger {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------------------
// The naive model: RFC 9162 section 2.1, written down as literally as possible.
// It does its own SHA-256 through OpenSSL's one-shot EVP_Digest, so it shares no
// code with ledger/hash.cc.

Hash NaiveSha256(const std::string& bytes) {
  Hash out;
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr), 1);
  EXPECT_EQ(len, kHashSize);
  return out;
}

std::string Raw(const Hash& h) { return std::string(h.begin(), h.end()); }

// RFC 9162 2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0)).
Hash NaiveLeafHash(const std::string& leaf) { return NaiveSha256(std::string(1, '\0') + leaf); }

// SHA-256(0x01 || left || right).
Hash NaiveNodeHash(const Hash& left, const Hash& right) {
  return NaiveSha256(std::string(1, '\x01') + Raw(left) + Raw(right));
}

// "the largest power of two smaller than n (i.e., k < n <= 2k)"
size_t LargestPowerOfTwoBelow(size_t n) {
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// A list D[lo:hi] of leaves, as the RFC writes sublists.
struct Span {
  const std::vector<std::string>* d;
  size_t lo, hi;
  size_t size() const { return hi - lo; }
  Span Sub(size_t a, size_t b) const { return Span{d, lo + a, lo + b}; }
};

// RFC 9162 2.1.1. (MTH of the empty list is the hash of the empty string; the
// ledger never asks for it.)
Hash NaiveMth(Span s) {
  size_t n = s.size();
  if (n == 0) return NaiveSha256("");
  if (n == 1) return NaiveLeafHash((*s.d)[s.lo]);
  size_t k = LargestPowerOfTwoBelow(n);
  return NaiveNodeHash(NaiveMth(s.Sub(0, k)), NaiveMth(s.Sub(k, n)));
}

// RFC 9162 2.1.3.1: PATH(m, D[n]).
std::vector<Hash> NaivePath(size_t m, Span s) {
  size_t n = s.size();
  if (n == 1) return {};  // PATH(0, {d(0)}) = {}
  size_t k = LargestPowerOfTwoBelow(n);
  std::vector<Hash> out;
  if (m < k) {
    out = NaivePath(m, s.Sub(0, k));
    out.push_back(NaiveMth(s.Sub(k, n)));
  } else {
    out = NaivePath(m - k, s.Sub(k, n));
    out.push_back(NaiveMth(s.Sub(0, k)));
  }
  return out;
}

// RFC 9162 2.1.4.1: SUBPROOF(m, D[n], b).
std::vector<Hash> NaiveSubproof(size_t m, Span s, bool b) {
  size_t n = s.size();
  if (m == n) {
    if (b) return {};
    return {NaiveMth(s)};
  }
  size_t k = LargestPowerOfTwoBelow(n);
  std::vector<Hash> out;
  if (m <= k) {
    out = NaiveSubproof(m, s.Sub(0, k), b);
    out.push_back(NaiveMth(s.Sub(k, n)));
  } else {
    out = NaiveSubproof(m - k, s.Sub(k, n), false);
    out.push_back(NaiveMth(s.Sub(0, k)));
  }
  return out;
}

// RFC 9162 2.1.4.1: PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
std::vector<Hash> NaiveProof(size_t m, Span s) { return NaiveSubproof(m, s, true); }

// ---------------------------------------------------------------------------
// Stored nodes in memory, fed by Frontier::Append's sink.

class MemoryNodes : public NodeSource {
 public:
  absl::StatusOr<Hash> Node(int level, uint64_t index) const override {
    ++reads_;
    auto it = nodes_.find({level, index});
    if (it == nodes_.end()) {
      return absl::NotFoundError("node " + std::to_string(level) + "/" + std::to_string(index));
    }
    return it->second;
  }
  // The sink for Frontier::Append. Each complete subtree must be reported once.
  Frontier::NodeSink Sink() {
    return [this](int level, uint64_t index, const Hash& h) {
      bool inserted = nodes_.emplace(std::make_pair(level, index), h).second;
      EXPECT_TRUE(inserted) << "node " << level << "/" << index << " reported twice";
    };
  }
  const std::map<std::pair<int, uint64_t>, Hash>& nodes() const { return nodes_; }
  int reads() const { return reads_; }

 private:
  std::map<std::pair<int, uint64_t>, Hash> nodes_;
  mutable int reads_ = 0;
};

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

// The RFC 6962 test-vector leaves (see KnownAnswer below), then distinct leaves of
// varying length, some empty-ish and binary.
std::vector<std::string> TestLeaves(size_t n) {
  std::vector<std::string> leaves = {
      "",
      std::string(1, '\0'),
      "\x10",
      "\x20\x21",
      "\x30\x31",
      "\x40\x41\x42\x43",
      "\x50\x51\x52\x53\x54\x55\x56\x57",
      "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"};
  for (size_t i = leaves.size(); i < n; ++i) {
    leaves.push_back("leaf " + std::to_string(i) + std::string(i % 5, static_cast<char>(i)));
  }
  leaves.resize(n);
  return leaves;
}

Hash Flip(Hash h, int byte, int bit) {
  h[byte] ^= static_cast<uint8_t>(1u << bit);
  return h;
}

Hash HexHash(std::string_view hex) {
  absl::StatusOr<Hash> h = HashFromHex(hex);
  EXPECT_TRUE(h.ok()) << h.status();
  return h.ok() ? *h : Hash{};
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

// RFC 6962 known answers. Leaves, roots and node hashes from
// github.com/transparency-dev/merkle testonly/constants.go (LeafInputs, RootHashes,
// NodeHashes; the vectors originate in google/certificate-transparency's
// merkle_tree_test). Proofs from transparency-dev/merkle proof/verify_test.go
// (inclusionProofs, consistencyProofs; their leaf numbers are 1-based).
constexpr const char* kCtRoots[] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

TEST(MerkleKnownAnswer, RootsAndNodesOfTheRfc6962Vectors) {
  std::vector<std::string> leaves = TestLeaves(8);
  ASSERT_EQ(leaves[7],
            std::string("\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"));
  EXPECT_EQ(HashToHex(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  MemoryNodes nodes;
  Frontier f;
  for (size_t i = 0; i < 8; ++i) {
    f.Append(LeafHash(leaves[i]), nodes.Sink());
    EXPECT_EQ(HashToHex(f.Root()), kCtRoots[i]) << "size " << i + 1;
    absl::StatusOr<Hash> root = RootAt(nodes, i + 1);
    ASSERT_TRUE(root.ok()) << root.status();
    EXPECT_EQ(HashToHex(*root), kCtRoots[i]) << "size " << i + 1;
    EXPECT_EQ(HashToHex(NaiveMth(Span{&leaves, 0, i + 1})), kCtRoots[i]) << "size " << i + 1;
  }
  // Every complete subtree, exactly as NodeHashes() lists them.
  const std::map<std::pair<int, uint64_t>, std::string> want = {
      {{0, 0}, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"},
      {{0, 1}, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"},
      {{0, 2}, "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"},
      {{0, 3}, "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"},
      {{0, 4}, "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"},
      {{0, 5}, "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"},
      {{0, 6}, "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"},
      {{0, 7}, "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"},
      {{1, 0}, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"},
      {{1, 1}, "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"},
      {{1, 2}, "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"},
      {{1, 3}, "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"},
      {{2, 0}, "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"},
      {{2, 1}, "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
      {{3, 0}, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
  };
  std::map<std::pair<int, uint64_t>, std::string> got;
  for (const auto& [key, h] : nodes.nodes()) got[key] = HashToHex(h);
  EXPECT_EQ(got, want);
}

TEST(MerkleKnownAnswer, InclusionProofsOfTheRfc6962Vectors) {
  std::vector<std::string> leaves = TestLeaves(8);
  MemoryNodes nodes;
  Frontier f;
  for (const std::string& leaf : leaves) f.Append(LeafHash(leaf), nodes.Sink());
  struct Case {
    uint64_t index, size;
    std::vector<const char*> path;
  };
  const Case cases[] = {
      {0, 1, {}},
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1,
       5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << "index " << c.index << " size " << c.size);
    std::vector<Hash> want;
    for (const char* hex : c.path) want.push_back(HexHash(hex));
    absl::StatusOr<std::vector<Hash>> got = InclusionProof(nodes, c.index, c.size);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, want);
    EXPECT_TRUE(VerifyInclusion(LeafHash(leaves[c.index]), c.index, c.size, want,
                                HexHash(kCtRoots[c.size - 1]))
                    .ok());
  }
}

TEST(MerkleKnownAnswer, ConsistencyProofsOfTheRfc6962Vectors) {
  std::vector<std::string> leaves = TestLeaves(8);
  MemoryNodes nodes;
  Frontier f;
  for (const std::string& leaf : leaves) f.Append(LeafHash(leaf), nodes.Sink());
  struct Case {
    uint64_t old_size, new_size;
    std::vector<const char*> proof;
  };
  const Case cases[] = {
      {1, 1, {}},
      {1,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6,
       8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2,
       5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
      {6,
       7,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << c.old_size << " -> " << c.new_size);
    std::vector<Hash> want;
    for (const char* hex : c.proof) want.push_back(HexHash(hex));
    absl::StatusOr<std::vector<Hash>> got = ConsistencyProof(nodes, c.old_size, c.new_size);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, want);
    EXPECT_TRUE(VerifyConsistency(c.old_size, c.new_size, HexHash(kCtRoots[c.old_size - 1]),
                                  HexHash(kCtRoots[c.new_size - 1]), want)
                    .ok());
  }
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
  EXPECT_FALSE(VerifyConsistency(7, 7, roots_[7], roots_[6], {}).ok());
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
