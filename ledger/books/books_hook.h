// Connects the books to the ledger's writer: every accounting entry is checked
// against the rules and applied before it is sequenced, and the derived state it
// changes is written in the same atomic batch as the entry itself.
#ifndef BOAI_LEDGER_BOOKS_BOOKS_HOOK_H_
#define BOAI_LEDGER_BOOKS_BOOKS_HOOK_H_

#include <memory>
#include <shared_mutex>

#include "ledger/books/books.h"
#include "ledger/ledger.h"

namespace boai::books {

// Reads earlier leaves straight from storage (including ones written but not yet
// synced in the current pipeline, which reversals may name).
LeafReader StorageLeafReader(const ledger::Storage* storage);

class BooksHook : public ledger::BatchHook {
 public:
  BooksHook() = default;

  // ledger::BatchHook. Open loads the derived state from the `state` column family.
  absl::Status Open(const ledger::Storage& storage) override;
  // Drafts of log.* kinds pass through untouched; accounting drafts must carry
  // their parsed Entry in `parsed` or a body that parses.
  absl::Status Apply(const ledger::EntryDraft& draft, uint64_t index, uint64_t time_ms,
                     rocksdb::WriteBatch* batch) override;
  // Stages the derived records the batch's entries changed, once each.
  void Seal(rocksdb::WriteBatch* batch) override;
  void Commit() override {}
  void Abort() override;

  // Runs `f(const Books&)` under a shared lock, consistent with the writer.
  template <typename F>
  auto Read(F&& f) const {
    std::shared_lock lock(mu_);
    return f(*books_);
  }

 private:
  absl::Status Reload();

  const ledger::Storage* storage_ = nullptr;
  mutable std::shared_mutex mu_;
  std::unique_ptr<Books> books_ = std::make_unique<Books>(nullptr);
};

// Reads every record of the `state` column family.
absl::StatusOr<std::map<std::string, std::string>> ReadStateRecords(const ledger::Storage& storage);

}  // namespace boai::books

#endif  // BOAI_LEDGER_BOOKS_BOOKS_HOOK_H_
