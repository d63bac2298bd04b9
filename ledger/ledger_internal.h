// What ledger.cc (open, recovery, reads), writer.cc (the group-commit writer)
// and verify.cc share: the meta records' names and the errors they report. Not
// part of the ledger's API.

#ifndef BOAI_LEDGER_LEDGER_INTERNAL_H_
#define BOAI_LEDGER_LEDGER_INTERNAL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "ledger/storage.h"
#include "ledger/strings.h"

namespace boai::ledger::ledger_internal {

// Meta records in the default column family.
constexpr std::string_view kMetaFormat = "format";
constexpr std::string_view kFormat = "boai-ledger/1";  // the value of "format" this build reads
constexpr std::string_view kMetaHead = "head";         // size, last leaf hash, last time
// "key/" + 8-byte index of a log.key entry -> the verifier key it introduced.
constexpr std::string_view kMetaKeyPrefix = "key/";

inline std::string KeyMetaKey(uint64_t rotation_index) {
  return StrCat(kMetaKeyPrefix, U64Key(rotation_index));
}

// The index record of an idempotency key.
inline std::string IdempotencyKey(std::string_view key) {
  return StrCat(std::string_view(&kIndexByKey, 1), key);
}

inline absl::Status DataLoss(std::string_view what) {
  return absl::DataLossError(
      StrCat("the ledger database is inconsistent: ", what,
             ". Do not write to it; run `boai-audit verify` on a copy and restore from backup"));
}

}  // namespace boai::ledger::ledger_internal

#endif  // BOAI_LEDGER_LEDGER_INTERNAL_H_
