// Identity numbers as people type them: the compact form identities are matched
// by, and the check of a resident identity number that programme grants need.
#ifndef BOAI_LEDGER_BOOKS_IDENTITY_NUMBER_H_
#define BOAI_LEDGER_BOOKS_IDENTITY_NUMBER_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace boai::books {

// An identity number or phone reduced to ASCII: full-width digits and letters
// (U+FF10-FF19, U+FF21-FF3A, U+FF41-FF5A) become ASCII, and spaces (also U+3000)
// and dashes (-, U+2010-2015, U+FF0D) are dropped. So "410000-2012 0101 002x" and
// "４１００００２０１２０１０１００２Ｘ" are the same number (letter case aside).
std::string CompactNumber(std::string_view v);

// A resident identity number (居民身份证号码, GB 11643-1999) as identities are
// matched (spaces and dashes dropped, full-width made ASCII, x upper-cased) must be
// 18 characters: 17 digits, the first 6 a region, then a birth date YYYYMMDD, and
// a check character (0-9 or X) over them. InvalidArgument says which part is wrong
// (never echoing the number). Programme grants need one: the child is then one
// person however the number is typed.
absl::Status CheckResidentIdNumber(std::string_view id_number);
// The check character of the first 17 digits of a resident identity number.
char ResidentIdCheckChar(std::string_view first17);
}  // namespace boai::books

#endif  // BOAI_LEDGER_BOOKS_IDENTITY_NUMBER_H_
