#include "ledger/books/replay.h"

#include "ledger/books/books_hook.h"
#include "ledger/canonical_json.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"

namespace boai::books {

Replay::Replay(const ledger::Storage* storage) : books_(StorageLeafReader(storage)) {
  books_.TrackChanges(false);  // the replay keeps no record of changes
}

Replay::Replay(LeafReader reader) : books_(std::move(reader)) { books_.TrackChanges(false); }

absl::Status Replay::OnLeaf(const ledger::LeafView& leaf, std::string_view bytes) {
  absl::StatusOr<std::any> prepared = Prepare(leaf, bytes);
  if (!prepared.ok()) return prepared.status();
  return Apply(leaf, bytes, std::move(*prepared));
}

namespace {

// The reference reading of a body: nlohmann's parser, a canonical re-encoding
// compared with the bytes, then ParseEntry. Kept for the errors it gives: the fast
// path below accepts exactly the bodies this one accepts (tests/ledger/books/
// canonical_entry_test.cc compares them), and when it refuses one, this one says why.
absl::StatusOr<Entry> ParseBodyReference(std::string_view kind, std::string_view bytes) {
  nlohmann::json body = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return absl::InvalidArgumentError("the body is not JSON");
  absl::StatusOr<std::string> canonical = ledger::EncodeCanonicalJson(body);
  if (!canonical.ok() || *canonical != bytes) {
    return absl::InvalidArgumentError(
        "the body is not in canonical form (key order, spacing, escaping, duplicate keys or "
        "non-integer numbers): readers could disagree on what it says");
  }
  return ParseEntry(kind, body);  // from the parsed JSON
}

}  // namespace

absl::StatusOr<std::any> Replay::Prepare(const ledger::LeafView& leaf, std::string_view) const {
  const std::string& kind = leaf.header.kind;
  if (!IsAccountingKind(kind)) return std::any();
  // One pass over the bytes checks the form and reads the fields.
  absl::StatusOr<Entry> entry = ParseCanonicalEntry(kind, leaf.body);
  if (!entry.ok()) entry = ParseBodyReference(kind, leaf.body);
  if (!entry.ok()) return entry.status();
  return std::any(std::move(*entry));
}

absl::Status Replay::Apply(const ledger::LeafView& leaf, std::string_view, std::any prepared) {
  const Entry* entry = std::any_cast<Entry>(&prepared);
  if (entry == nullptr) return absl::OkStatus();  // not an accounting entry
  absl::Status s = books_.Apply(*entry, leaf.header.index, leaf.header.time_ms);
  if (!s.ok()) return s;
  ++entries_;
  return absl::OkStatus();
}

std::optional<std::string> Replay::CompareState(const ledger::Storage& storage) const {
  absl::StatusOr<std::map<std::string, std::string>> stored = ReadStateRecords(storage);
  if (!stored.ok()) return std::string(ToStd(stored.status().message()));
  std::map<std::string, std::string> replayed = books_.Snapshot();
  auto s = stored->begin();
  auto r = replayed.begin();
  while (s != stored->end() || r != replayed.end()) {
    if (r == replayed.end() || (s != stored->end() && s->first < r->first)) {
      return StrCat("the database holds derived record \"", s->first,
                    "\" that the entries do not give");
    }
    if (s == stored->end() || r->first < s->first) {
      return StrCat("derived record \"", r->first,
                    "\" is missing from the database (the entries give ", r->second, ")");
    }
    if (s->second != r->second) {
      return StrCat("derived record \"", s->first, "\" is ", s->second,
                    " in the database but the entries give ", r->second);
    }
    ++s;
    ++r;
  }
  return std::nullopt;
}

}  // namespace boai::books
