#include "ledger/merkle.h"

#include <bit>

#include "ledger/strings.h"

namespace boai::ledger {
namespace {

// Largest power of two strictly less than n. REQUIRES: n >= 2.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// MTH(D[lo:hi]) for the ranges the RFC's recursions produce: lo is a multiple of
// the largest power of two not above hi - lo. Such a range is a run of aligned
// complete subtrees, greedy from lo, folded from the right.
absl::StatusOr<Hash> SubtreeHash(const NodeSource& nodes, uint64_t lo, uint64_t hi) {
  Hash parts[64];
  int count = 0;
  while (lo < hi) {
    int level = std::bit_width(hi - lo) - 1;  // largest block that fits
    if (lo != 0) level = std::min(level, std::countr_zero(lo));
    absl::StatusOr<Hash> h = nodes.Node(level, lo >> level);
    if (!h.ok()) return h.status();
    parts[count++] = *h;
    lo += uint64_t{1} << level;
  }
  Hash acc = parts[count - 1];
  for (int i = count - 2; i >= 0; --i) acc = NodeHash(parts[i], acc);
  return acc;
}

absl::Status Mismatch(std::string_view what, const Hash& got, const Hash& want) {
  return absl::FailedPreconditionError(
      StrCat(what, ": computed ", HashToBase64(got), ", expected ", HashToBase64(want)));
}

}  // namespace

absl::StatusOr<Hash> RootAt(const NodeSource& nodes, uint64_t size) {
  if (size == 0) return absl::InvalidArgumentError("the root of an empty tree is not stored");
  return SubtreeHash(nodes, 0, size);
}

absl::StatusOr<std::vector<Hash>> InclusionProof(const NodeSource& nodes, uint64_t index,
                                                 uint64_t size) {
  if (size == 0) {
    return absl::InvalidArgumentError(
        StrCat("index ", index, " is beyond the tree: it is empty (size 0)"));
  }
  if (index >= size) {
    return absl::InvalidArgumentError(StrCat("index ", index, " is beyond the tree: it holds ",
                                             size, " entries, indexes 0 to ", size - 1));
  }
  std::vector<Hash> top_down;
  uint64_t lo = 0, hi = size, m = index;
  while (hi - lo > 1) {
    uint64_t k = SplitPoint(hi - lo);
    absl::StatusOr<Hash> sibling =
        m < k ? SubtreeHash(nodes, lo + k, hi) : SubtreeHash(nodes, lo, lo + k);
    if (!sibling.ok()) return sibling.status();
    top_down.push_back(*sibling);
    if (m < k) {
      hi = lo + k;
    } else {
      lo += k;
      m -= k;
    }
  }
  return std::vector<Hash>(top_down.rbegin(), top_down.rend());
}

absl::StatusOr<std::vector<Hash>> ConsistencyProof(const NodeSource& nodes, uint64_t old_size,
                                                   uint64_t new_size) {
  if (old_size == 0 || old_size > new_size) {
    return absl::InvalidArgumentError(
        StrCat("a consistency proof needs 0 < old size <= new size; got old size ", old_size,
               " and new size ", new_size));
  }
  std::vector<Hash> top_down;
  uint64_t lo = 0, hi = new_size, m = old_size;
  bool whole = true;  // the RFC's b: is D[lo:hi] still the whole old tree's prefix?
  while (m != hi - lo) {
    uint64_t k = SplitPoint(hi - lo);
    if (m <= k) {
      absl::StatusOr<Hash> right = SubtreeHash(nodes, lo + k, hi);
      if (!right.ok()) return right.status();
      top_down.push_back(*right);
      hi = lo + k;
    } else {
      absl::StatusOr<Hash> left = SubtreeHash(nodes, lo, lo + k);
      if (!left.ok()) return left.status();
      top_down.push_back(*left);
      lo += k;
      m -= k;
      whole = false;
    }
  }
  if (!whole) {
    absl::StatusOr<Hash> last = SubtreeHash(nodes, lo, hi);
    if (!last.ok()) return last.status();
    top_down.push_back(*last);
  }
  return std::vector<Hash>(top_down.rbegin(), top_down.rend());
}

absl::Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                             const std::vector<Hash>& proof, const Hash& root) {
  if (index >= size) {
    return absl::InvalidArgumentError(
        StrCat("index ", index, " is not below the tree size ", size));
  }
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) {
      return absl::FailedPreconditionError(
          StrCat("inclusion proof has too many hashes (", proof.size(), ")"));
    }
    if ((fn & 1) || fn == sn) {
      r = NodeHash(p, r);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return absl::FailedPreconditionError(
        StrCat("inclusion proof has too few hashes (", proof.size(), ")"));
  }
  if (r != root) return Mismatch("inclusion proof leads to the wrong root", r, root);
  return absl::OkStatus();
}

absl::Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                               const Hash& new_root, const std::vector<Hash>& proof) {
  if (old_size == 0 || old_size > new_size) {
    return absl::InvalidArgumentError(
        StrCat("consistency needs 0 < old size <= new size; got ", old_size, " and ", new_size));
  }
  if (old_size == new_size) {
    if (!proof.empty()) {
      return absl::FailedPreconditionError("consistency proof between equal sizes must be empty");
    }
    if (old_root != new_root) {
      return absl::FailedPreconditionError(StrCat("equal sizes with different roots: old ",
                                                  HashToBase64(old_root), ", new ",
                                                  HashToBase64(new_root)));
    }
    return absl::OkStatus();
  }
  std::vector<Hash> path;
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  if (path.empty()) return absl::FailedPreconditionError("consistency proof is empty");
  uint64_t fn = old_size - 1, sn = new_size - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) {
      return absl::FailedPreconditionError(
          StrCat("consistency proof has too many hashes (", proof.size(), ")"));
    }
    if ((fn & 1) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return absl::FailedPreconditionError(
        StrCat("consistency proof has too few hashes (", proof.size(), ")"));
  }
  if (fr != old_root) return Mismatch("consistency proof gives the wrong old root", fr, old_root);
  if (sr != new_root) return Mismatch("consistency proof gives the wrong new root", sr, new_root);
  return absl::OkStatus();
}

absl::StatusOr<Frontier> Frontier::Load(const NodeSource& nodes, uint64_t size) {
  Frontier f;
  uint64_t offset = 0;
  for (int level = 63; level >= 0; --level) {
    if (!((size >> level) & 1)) continue;
    absl::StatusOr<Hash> h = nodes.Node(level, offset >> level);
    if (!h.ok()) return h.status();
    f.hashes_.push_back(*h);
    offset += uint64_t{1} << level;
  }
  f.size_ = size;
  return f;
}

void Frontier::Append(const Hash& leaf_hash, const NodeSink& sink) {
  Hash h = leaf_hash;
  uint64_t index = size_;
  int level = 0;
  if (sink) sink(0, index, h);
  while (index & 1) {
    h = NodeHash(hashes_.back(), h);
    hashes_.pop_back();
    index >>= 1;
    ++level;
    if (sink) sink(level, index, h);
  }
  hashes_.push_back(h);
  ++size_;
}

Hash Frontier::Root() const { return FoldRoot(hashes_); }

Hash FoldRoot(const std::vector<Hash>& edge) {
  Hash acc = edge.back();
  for (size_t i = edge.size() - 1; i-- > 0;) acc = NodeHash(edge[i], acc);
  return acc;
}

}  // namespace boai::ledger
