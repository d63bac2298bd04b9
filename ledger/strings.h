// String helpers for std::string_view code.
//
// Debian's abseil is built with its own absl::string_view (not an alias of
// std::string_view), so absl::StrCat, absl::StrSplit and friends do not accept
// std::string_view. These thin adapters keep the code on std::string_view and
// delegate the real work to abseil (base64, hex) and the standard library.
#ifndef BOAI_LEDGER_STRINGS_H_
#define BOAI_LEDGER_STRINGS_H_

#include <charconv>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace boai {
namespace strings_internal {

inline void AppendPiece(std::string* out, std::string_view s) { out->append(s); }
inline void AppendPiece(std::string* out, const std::string& s) { out->append(s); }
inline void AppendPiece(std::string* out, const char* s) { out->append(s); }
inline void AppendPiece(std::string* out, absl::string_view s) { out->append(s.data(), s.size()); }
template <std::integral T>
void AppendPiece(std::string* out, T v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, end);
}

}  // namespace strings_internal

// Concatenates strings and integers, like absl::StrCat.
template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (strings_internal::AppendPiece(&out, args), ...);
  return out;
}

template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  (strings_internal::AppendPiece(out, args), ...);
}

inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

std::string Base64Encode(std::string_view bytes);
// False if `b64` is not standard base64.
bool Base64Decode(std::string_view b64, std::string* out);
std::string HexEncode(std::string_view bytes);  // lowercase
// False unless `hex` is an even number of hex digits.
bool HexDecode(std::string_view hex, std::string* out);

// Splits on `sep`; "" gives one empty piece, like absl::StrSplit.
std::vector<std::string_view> Split(std::string_view s, char sep);
std::string_view StripWhitespace(std::string_view s);
// True if any byte is an ASCII control character (below 0x20): text that is
// published (a reason, a display name) must not hide line breaks or escapes.
bool HasControlChar(std::string_view s);
// Decimal without sign, leading zeroes (except "0") or spaces.
bool ParseDecimal(std::string_view s, uint64_t* out);

}  // namespace boai

#endif  // BOAI_LEDGER_STRINGS_H_
