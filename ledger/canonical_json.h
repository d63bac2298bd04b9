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

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace boai::ledger {

inline constexpr int64_t kMaxJsonInteger = (int64_t{1} << 53) - 1;

absl::StatusOr<std::string> EncodeCanonicalJson(const nlohmann::json& value);

// Appends `s` as a canonical JSON string literal. REQUIRES: s is valid UTF-8.
void AppendJsonString(std::string* out, std::string_view s);

// True if `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view s);

// One value of a canonical JSON text as ParseCanonicalJson lays it out: the values
// in document order in one flat array, a container's items right after it. The
// views point into the parsed text.
struct CanonicalJsonNode {
  enum class Type : uint8_t { kNull, kFalse, kTrue, kInteger, kString, kArray, kObject };
  Type type = Type::kNull;
  bool escaped = false;   // kString: the text holds escapes (CanonicalJsonString decodes them)
  uint32_t size = 0;      // kArray, kObject: how many items or members
  uint32_t skip = 1;      // nodes this value takes, itself and its items: the next sibling
                          // is at this + skip
  int64_t integer = 0;    // kInteger
  std::string_view key;   // a member of an object: its key; "" otherwise
  uint64_t key_head = 0;  // the key's first 8 bytes as a little-endian number, zero-padded:
                          // KeyHead(key), to compare keys a word at a time
  std::string_view text;  // the value exactly as written (a string with its quotes)
};

// The first 8 bytes of `key` as a little-endian number, zero-padded (keys never
// hold a zero byte, so two keys of at most 8 bytes are equal exactly when these are).
constexpr uint64_t KeyHead(std::string_view key) {
  uint64_t v = 0;
  for (size_t i = 0; i < key.size() && i < 8; ++i) {
    v |= uint64_t{static_cast<unsigned char>(key[i])} << (8 * i);
  }
  return v;
}

// Reads `text` in one pass if and only if it is canonical JSON, i.e. exactly the
// bytes EncodeCanonicalJson writes for some value (so no JSON tree is built and no
// re-encoding is needed to tell): keys sorted, unique and in the key alphabet, no
// whitespace, integers in range written the shortest way, strings valid UTF-8 with
// only the escapes the encoder writes. On success `nodes` (cleared first, so a
// caller can reuse it) holds the values, the root first. InvalidArgument otherwise,
// saying what is off canonical form and at which byte. Nesting deeper than 64 is
// refused (the ledger's bodies nest 3 deep).
absl::Status ParseCanonicalJson(std::string_view text, std::vector<CanonicalJsonNode>* nodes);

// The string a kString node holds, escapes decoded.
std::string CanonicalJsonString(const CanonicalJsonNode& node);

}  // namespace boai::ledger

#endif  // BOAI_LEDGER_CANONICAL_JSON_H_
