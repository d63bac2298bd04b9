// Internal to ledger/books: the record keys Books writes to its derived state
// (books.cc marks them dirty, books_records.cc reads and lists them).
#ifndef BOAI_LEDGER_BOOKS_BOOKS_KEYS_H_
#define BOAI_LEDGER_BOOKS_BOOKS_KEYS_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "ledger/strings.h"

namespace boai::books::internal {

// "<prefix><index as 20 zero-padded digits>", so keys sort in index order.
inline std::string IndexKey(std::string_view prefix, uint64_t index) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%020llu", static_cast<unsigned long long>(index));
  return StrCat(prefix, buf);
}

}  // namespace boai::books::internal

#endif  // BOAI_LEDGER_BOOKS_BOOKS_KEYS_H_
