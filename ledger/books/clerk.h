// The clerk: how finance operations become ledger entries. It fills in the
// postings each entry must make, validates the body, encodes it canonically and
// appends it; the books check every rule again in the writer, against the state
// left by every entry before.
#ifndef BOAI_LEDGER_BOOKS_CLERK_H_
#define BOAI_LEDGER_BOOKS_CLERK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/books/books_hook.h"
#include "ledger/books/entries.h"
#include "ledger/ledger.h"

namespace boai::books {

class Clerk {
 public:
  // Not owned; both must outlive the clerk. `books` must be `ledger`'s hook.
  Clerk(ledger::Ledger* ledger, const BooksHook* books) : ledger_(ledger), books_(books) {}

  // A ready-to-append draft for `body` written by user `by` under idempotency key
  // `key`. Postings are filled in. InvalidArgument names a bad field.
  absl::StatusOr<ledger::EntryDraft> Draft(std::string kind, std::string by, Body body,
                                           std::string key) const;

  // Drafts and appends one entry; returns once it is durable.
  absl::StatusOr<ledger::AppendResult> Record(std::string kind, std::string by, Body body,
                                              std::string key) const;

  // Opens the accounts of the standard chart that are not open yet (keys
  // "account/<id>", so a retry after a crash adds nothing twice); returns how
  // many it opened.
  absl::StatusOr<uint32_t> OpenStandardChart(const std::string& by) const;

  ledger::Ledger* ledger() const { return ledger_; }
  const BooksHook* books() const { return books_; }

 private:
  ledger::Ledger* ledger_;
  const BooksHook* books_;
};

// The kind that carries a body type (e.g. Gift -> "gift"), for bodies with one.
std::string KindOf(const Body& body);

}  // namespace boai::books

#endif  // BOAI_LEDGER_BOOKS_CLERK_H_
