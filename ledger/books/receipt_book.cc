// ReceiptBook: the official receipt numbers a fund has issued and voided (books.h).
#include <map>
#include <utility>
#include <vector>

#include "ledger/books/books.h"

namespace boai::books {

bool ReceiptBook::IsIssued(int64_t n) const {
  auto it = issued.upper_bound(n);
  if (it == issued.begin()) return false;
  --it;
  return n <= it->second;
}

void ReceiptBook::Issue(int64_t n) {
  // The common case, numbers issued in order: the range ending at n - 1 grows.
  if (auto it = issued.upper_bound(n); it != issued.begin() && !issued.count(n + 1)) {
    --it;
    if (it->first < n && it->second == n - 1) {
      it->second = n;
      return;
    }
  }
  int64_t lo = n, hi = n;
  auto next = issued.find(n + 1);
  if (next != issued.end()) {
    hi = next->second;
    issued.erase(next);
  }
  auto it = issued.upper_bound(n);
  if (it != issued.begin()) {
    --it;
    if (it->second == n - 1) {
      lo = it->first;
      issued.erase(it);
    }
  }
  issued[lo] = hi;
}

void ReceiptBook::Unissue(int64_t n) {
  auto it = issued.upper_bound(n);
  if (it == issued.begin()) return;
  --it;
  auto [lo, hi] = *it;
  if (n > hi) return;
  issued.erase(it);
  if (lo < n) issued[lo] = n - 1;
  if (n < hi) issued[n + 1] = hi;
}

std::vector<std::pair<int64_t, int64_t>> ReceiptBook::Gaps() const {
  // Walk issued ranges and voided numbers together, in order.
  std::map<int64_t, int64_t> used = issued;
  for (int64_t v : voided) {
    ReceiptBook tmp;
    tmp.issued = std::move(used);
    if (!tmp.IsIssued(v)) tmp.Issue(v);
    used = std::move(tmp.issued);
  }
  std::vector<std::pair<int64_t, int64_t>> gaps;
  int64_t prev_hi = 0;
  bool first = true;
  for (const auto& [lo, hi] : used) {
    if (!first && lo > prev_hi + 1) gaps.emplace_back(prev_hi + 1, lo - 1);
    prev_hi = hi;
    first = false;
  }
  return gaps;
}

}  // namespace boai::books
