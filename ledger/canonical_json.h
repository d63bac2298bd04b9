// Canonical JSON: the one encoder that decides the bytes of a leaf body.
//
// The output follows RFC 8785 (JSON Canonicalization Scheme) for the subset of JSON
// the ledger uses:
//   - objects: members sorted by key; keys are ASCII [A-Za-z0-9_.-], which makes
//     byte order, code-point order and RFC 8785's UTF-16 order the same;
//   - no whitespace anywhere;
//   - numbers: integers only, in [-(2^53 - 1), 2^53 - 1] so every JSON reader
//     (including a browser's) reads them exactly; no fractions, no exponents;
//   - strings: valid UTF-8, written literally except '"' and '\\' (escaped with a
//     backslash), \b \t \n \f \r, and other bytes below 0x20 as \u00xx (lowercase);
//   - true, false, null as themselves.
// Anything outside this subset is refused with InvalidArgument naming the path.
#ifndef BOAI_LEDGER_CANONICAL_JSON_H_
#define BOAI_LEDGER_CANONICAL_JSON_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace boai::ledger {

inline constexpr int64_t kMaxJsonInteger = (int64_t{1} << 53) - 1;

absl::StatusOr<std::string> EncodeCanonicalJson(const nlohmann::json& value);

// Appends `s` as a canonical JSON string literal. REQUIRES: s is valid UTF-8.
void AppendJsonString(std::string* out, std::string_view s);

// True if `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view s);

}  // namespace boai::ledger

#endif  // BOAI_LEDGER_CANONICAL_JSON_H_
