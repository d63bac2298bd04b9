// Tests of ledger/merkle.h against the RFC 6962 known-answer vectors of Certificate Transparency.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"
#include "tests/ledger/merkle_test_support.h"

namespace boai::ledger {
namespace {

using merkle_testing::MemoryNodes;
using merkle_testing::NaiveMth;
using merkle_testing::Span;
using merkle_testing::TestLeaves;

Hash HexHash(std::string_view hex) {
  absl::StatusOr<Hash> h = HashFromHex(hex);
  EXPECT_TRUE(h.ok()) << h.status();
  return h.ok() ? *h : Hash{};
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

}  // namespace
}  // namespace boai::ledger
