// The auditor's replay of the books from the leaves alone. Plugged into
// ledger::VerifyLedger through VerifyOptions::checker (bodies read on the worker
// threads, rules applied in log order) or on_leaf, it reads every accounting entry
// in one pass over its bytes (refusing bodies that are not in canonical form:
// ParseCanonicalEntry), applies it under the same rules the writer enforces, and
// afterwards compares the derived state the database holds with the state the
// replay computed.
#ifndef BOAI_LEDGER_BOOKS_REPLAY_H_
#define BOAI_LEDGER_BOOKS_REPLAY_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "ledger/books/books.h"
#include "ledger/leaf.h"
#include "ledger/storage.h"
#include "ledger/verify.h"

namespace boai::books {

class Replay : public ledger::LeafChecker {
 public:
  // `storage` is read for reversals (earlier leaves, already verified). Not owned.
  explicit Replay(const ledger::Storage* storage);
  // Reads earlier leaves (which reversals name) through `reader` instead: the
  // online auditor fetches them from a server and checks them against the leaf
  // hashes it computed itself.
  explicit Replay(LeafReader reader);

  // Applies one leaf; an error says which rule it breaks. For VerifyOptions::on_leaf.
  absl::Status OnLeaf(const ledger::LeafView& leaf, std::string_view bytes);

  // The same in two steps, for VerifyOptions::checker: Prepare parses and checks
  // the body (any thread), Apply applies it to the books (in log order).
  absl::StatusOr<std::any> Prepare(const ledger::LeafView& leaf,
                                   std::string_view bytes) const override;
  absl::Status Apply(const ledger::LeafView& leaf, std::string_view bytes,
                     std::any prepared) override;

  // After the last leaf (offline): the first record where the database's derived state
  // differs from the replay (missing, extra or different), or nullopt if equal.
  std::optional<std::string> CompareState(const ledger::Storage& storage) const;

  const Books& books() const { return books_; }
  uint64_t accounting_entries() const { return entries_; }

 private:
  Books books_;
  uint64_t entries_ = 0;
};

}  // namespace boai::books

#endif  // BOAI_LEDGER_BOOKS_REPLAY_H_
