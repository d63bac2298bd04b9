// A gift's canonical body, written and read straight from and to its fields.
// Gifts are the bulk of every import and of every replay; the general paths
// (EncodeCanonicalJson of ToJson, ParseCanonicalJson then the field reader) build
// a JSON tree or a node list first. Internal to entries.cc, which decides when
// these are used and falls back to the general paths for everything else.
#ifndef BOAI_LEDGER_BOOKS_GIFT_BODY_H_
#define BOAI_LEDGER_BOOKS_GIFT_BODY_H_

#include <optional>
#include <string>
#include <string_view>

#include "ledger/books/entries.h"

namespace boai::books::entries_internal {

// 64 lowercase hex digits (a SHA-256 in hex).
bool IsHex64(std::string_view s);

// The body EncodeCanonicalJson(ToJson(e)) gives for a gift entry `by`, `g`, byte
// for byte; nullopt when a value is outside canonical JSON (a string that is not
// UTF-8, an integer beyond 2^53-1), for the generic encoder to name.
std::optional<std::string> EncodeGiftBody(const std::string& by, const Gift& g);

// Reads a gift body laid out exactly as EncodeGiftBody writes it, with strings
// that need no escapes and every field valid under the gift rules, into `*e`
// (kind "gift"). False for anything else, with `*e` unspecified: the general
// reader (ParseCanonicalEntry) then reads the body and names what is wrong.
// Whenever this returns true, ParseCanonicalEntry("gift", body) gives the same
// entry (tests/ledger/books/canonical_entry_test.cc checks it).
bool ReadGiftBody(std::string_view body, Entry* e);

}  // namespace boai::books::entries_internal

#endif  // BOAI_LEDGER_BOOKS_GIFT_BODY_H_
