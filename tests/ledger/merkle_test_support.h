// The shared test support of the Merkle tree tests: a naive RFC 9162 model and node stores.
#ifndef BOAI_TESTS_LEDGER_MERKLE_TEST_SUPPORT_H_
#define BOAI_TESTS_LEDGER_MERKLE_TEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"

namespace boai::ledger::merkle_testing {

// ---------------------------------------------------------------------------
// The naive model: RFC 9162 section 2.1, written down as literally as possible.
// It does its own SHA-256 through OpenSSL's one-shot EVP_Digest, so it shares no
// code with ledger/hash.cc.

inline Hash NaiveSha256(const std::string& bytes) {
  Hash out;
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr), 1);
  EXPECT_EQ(len, kHashSize);
  return out;
}

inline std::string Raw(const Hash& h) { return std::string(h.begin(), h.end()); }

// RFC 9162 2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0)).
inline Hash NaiveLeafHash(const std::string& leaf) {
  return NaiveSha256(std::string(1, '\0') + leaf);
}

// SHA-256(0x01 || left || right).
inline Hash NaiveNodeHash(const Hash& left, const Hash& right) {
  return NaiveSha256(std::string(1, '\x01') + Raw(left) + Raw(right));
}

// "the largest power of two smaller than n (i.e., k < n <= 2k)"
inline size_t LargestPowerOfTwoBelow(size_t n) {
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
inline Hash NaiveMth(Span s) {
  size_t n = s.size();
  if (n == 0) return NaiveSha256("");
  if (n == 1) return NaiveLeafHash((*s.d)[s.lo]);
  size_t k = LargestPowerOfTwoBelow(n);
  return NaiveNodeHash(NaiveMth(s.Sub(0, k)), NaiveMth(s.Sub(k, n)));
}

// RFC 9162 2.1.3.1: PATH(m, D[n]).
inline std::vector<Hash> NaivePath(size_t m, Span s) {
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
inline std::vector<Hash> NaiveSubproof(size_t m, Span s, bool b) {
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
inline std::vector<Hash> NaiveProof(size_t m, Span s) { return NaiveSubproof(m, s, true); }

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

// The RFC 6962 test-vector leaves (see merkle_known_answer_test.cc), then distinct leaves of
// varying length, some empty-ish and binary.
inline std::vector<std::string> TestLeaves(size_t n) {
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

}  // namespace boai::ledger::merkle_testing

#endif  // BOAI_TESTS_LEDGER_MERKLE_TEST_SUPPORT_H_
