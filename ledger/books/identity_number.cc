#include "ledger/books/identity_number.h"

#include <cstdint>

#include "ledger/strings.h"

namespace boai::books {

std::string CompactNumber(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size();) {
    const unsigned char c = static_cast<unsigned char>(v[i]);
    if (c == ' ' || c == '\t' || c == '-') {
      ++i;
      continue;
    }
    if (c == 0xEF && i + 2 < v.size()) {  // U+FF00..U+FFBF: EF BC xx / EF BD xx
      const unsigned char b1 = static_cast<unsigned char>(v[i + 1]);
      const unsigned char b2 = static_cast<unsigned char>(v[i + 2]);
      const uint32_t cp = 0xF000 | ((b1 & 0x3F) << 6) | (b2 & 0x3F);
      if (cp == 0xFF0D) {  // full-width hyphen-minus
        i += 3;
        continue;
      }
      if ((cp >= 0xFF10 && cp <= 0xFF19) || (cp >= 0xFF21 && cp <= 0xFF3A) ||
          (cp >= 0xFF41 && cp <= 0xFF5A)) {
        out.push_back(static_cast<char>(cp - 0xFF00 + 0x20));
        i += 3;
        continue;
      }
    }
    if (c == 0xE3 && v.substr(i, 3) == "\xE3\x80\x80") {  // ideographic space
      i += 3;
      continue;
    }
    if (c == 0xE2 && i + 2 < v.size() && static_cast<unsigned char>(v[i + 1]) == 0x80 &&
        static_cast<unsigned char>(v[i + 2]) >= 0x90 &&
        static_cast<unsigned char>(v[i + 2]) <= 0x95) {
      i += 3;  // U+2010..U+2015 dashes
      continue;
    }
    out.push_back(static_cast<char>(c));
    ++i;
  }
  return out;
}

char ResidentIdCheckChar(std::string_view first17) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kChars[] = "10X98765432";
  int sum = 0;
  for (size_t i = 0; i < 17 && i < first17.size(); ++i) sum += (first17[i] - '0') * kWeights[i];
  return kChars[sum % 11];
}

absl::Status CheckResidentIdNumber(std::string_view id_number) {
  std::string id = CompactNumber(StripWhitespace(id_number));
  for (char& c : id) {
    if (c == 'x') c = 'X';
  }
  if (id.size() != 18) {
    return absl::InvalidArgumentError(StrCat("the identity number has ", id.size(),
                                             " characters; a resident identity number has 18"));
  }
  for (size_t i = 0; i < 17; ++i) {
    if (id[i] < '0' || id[i] > '9') {
      return absl::InvalidArgumentError(
          StrCat("character ", i + 1, " of the identity number is not a digit"));
    }
  }
  const int year = std::stoi(id.substr(6, 4)), month = std::stoi(id.substr(10, 2)),
            day = std::stoi(id.substr(12, 2));
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (year < 1900 || month < 1 || month > 12 || day < 1 ||
      day > (month == 2 && !leap ? 28 : kDays[month - 1])) {
    return absl::InvalidArgumentError(
        "characters 7 to 14 of the identity number are not a birth date (YYYYMMDD)");
  }
  if (id[17] != ResidentIdCheckChar(id)) {
    return absl::InvalidArgumentError(
        "the identity number's check character (the 18th) does not match the first 17: a digit "
        "was mistyped");
  }
  return absl::OkStatus();
}

}  // namespace boai::books
