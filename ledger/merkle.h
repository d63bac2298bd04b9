// The Merkle tree of RFC 9162 section 2.1 over stored subtree hashes.
//
// A "node" (level L, index i) is the hash of the complete subtree over leaves
// [i * 2^L, (i + 1) * 2^L). Level 0 holds leaf hashes. Only complete subtrees are
// ever stored, so a stored node never changes once written. Every hash the RFC's
// MTH, PATH and PROOF need is a right fold over at most log2(n) such nodes, which
// makes roots and proofs O(log n) reads at any tree size.
#ifndef BOAI_LEDGER_MERKLE_H_
#define BOAI_LEDGER_MERKLE_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/hash.h"

namespace boai::ledger {

// Where stored node hashes come from (RocksDB in production, memory in tests).
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  // Returns the hash of complete subtree (level, index); NotFound if it is not stored.
  virtual absl::StatusOr<Hash> Node(int level, uint64_t index) const = 0;
};

// MTH(D[0:size]). REQUIRES: size >= 1 and all leaves below size are stored.
absl::StatusOr<Hash> RootAt(const NodeSource& nodes, uint64_t size);

// PATH(index, D[0:size]) of RFC 9162 2.1.3.1, leaf sibling first.
// InvalidArgument if index >= size.
absl::StatusOr<std::vector<Hash>> InclusionProof(const NodeSource& nodes, uint64_t index,
                                                 uint64_t size);

// PROOF(old_size, D[0:new_size]) of RFC 9162 2.1.4.1.
// InvalidArgument unless 0 < old_size <= new_size.
absl::StatusOr<std::vector<Hash>> ConsistencyProof(const NodeSource& nodes, uint64_t old_size,
                                                   uint64_t new_size);

// RFC 9162 2.1.3.2. OK if `proof` shows `leaf_hash` at `index` in the tree of `size`
// leaves with root `root`; otherwise an error saying what did not match.
absl::Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                             const std::vector<Hash>& proof, const Hash& root);

// RFC 9162 2.1.4.2. OK if `proof` shows the tree (old_size, old_root) is a prefix of
// the tree (new_size, new_root).
absl::Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                               const Hash& new_root, const std::vector<Hash>& proof);

// The right edge of a growing tree: one hash per set bit of the size. Appending a
// leaf reports every complete subtree it closes, which is what gets stored.
class Frontier {
 public:
  // Called for the leaf itself (level 0) and for each subtree the append completes.
  using NodeSink = std::function<void(int level, uint64_t index, const Hash& hash)>;

  Frontier() = default;
  // Loads the frontier of a tree of `size` leaves from stored nodes.
  static absl::StatusOr<Frontier> Load(const NodeSource& nodes, uint64_t size);

  void Append(const Hash& leaf_hash, const NodeSink& sink);
  uint64_t size() const { return size_; }
  // MTH of the tree so far. REQUIRES: size() >= 1.
  Hash Root() const;
  // The right edge, highest level first.
  const std::vector<Hash>& hashes() const { return hashes_; }

 private:
  uint64_t size_ = 0;
  std::vector<Hash> hashes_;  // highest level first
};

// The root of a tree from its right edge (complete subtree hashes, highest level
// first): a right fold. REQUIRES: !edge.empty().
Hash FoldRoot(const std::vector<Hash>& edge);

}  // namespace boai::ledger

#endif  // BOAI_LEDGER_MERKLE_H_
