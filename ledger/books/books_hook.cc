#include "ledger/books/books_hook.h"

#include "ledger/strings.h"

namespace boai::books {

LeafReader StorageLeafReader(const ledger::Storage* storage) {
  return [storage](uint64_t index) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::optional<std::string>> v =
        storage->Get(ledger::Cf::kEntries, ledger::U64Key(index));
    if (!v.ok()) return v.status();
    if (!v->has_value()) {
      return absl::InvalidArgumentError(StrCat("entry ", index, " does not exist"));
    }
    return std::move(**v);
  };
}

absl::StatusOr<std::map<std::string, std::string>> ReadStateRecords(
    const ledger::Storage& storage) {
  std::map<std::string, std::string> records;
  std::unique_ptr<rocksdb::Iterator> it = storage.NewIterator(ledger::Cf::kState);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    records.emplace(it->key().ToString(), it->value().ToString());
  }
  absl::Status s = ledger::FromRocks(it->status(), "reading the derived state");
  if (!s.ok()) return s;
  return records;
}

absl::Status BooksHook::Open(const ledger::Storage& storage) {
  storage_ = &storage;
  return Reload();
}

absl::Status BooksHook::Reload() {
  absl::StatusOr<std::map<std::string, std::string>> records = ReadStateRecords(*storage_);
  if (!records.ok()) return records.status();
  auto fresh = std::make_unique<Books>(StorageLeafReader(storage_));
  absl::Status s = fresh->Load(*records);
  if (!s.ok()) return s;
  std::unique_lock lock(mu_);
  books_ = std::move(fresh);
  return absl::OkStatus();
}

absl::Status BooksHook::Apply(const ledger::EntryDraft& draft, uint64_t index, uint64_t time_ms,
                              rocksdb::WriteBatch* batch) {
  if (!IsAccountingKind(draft.kind)) return absl::OkStatus();
  if (storage_ == nullptr) return absl::FailedPreconditionError("the books were not opened");
  const Entry* entry = std::any_cast<Entry>(&draft.parsed);
  absl::StatusOr<Entry> parsed;
  if (entry == nullptr) {
    parsed = ParseEntry(draft.kind, std::string_view(draft.body));
    if (!parsed.ok()) return parsed.status();
    entry = &*parsed;
  }
  std::unique_lock lock(mu_);
  return books_->Apply(*entry, index, time_ms);
}

void BooksHook::Seal(rocksdb::WriteBatch* batch) {
  if (storage_ == nullptr) return;
  std::unique_lock lock(mu_);
  for (auto& [key, value] : books_->TakeDirty()) {
    if (value.has_value()) {
      batch->Put(storage_->cf(ledger::Cf::kState), key, *value);
    } else {
      batch->Delete(storage_->cf(ledger::Cf::kState), key);
    }
  }
}

void BooksHook::Abort() {
  // The batch never reached the database: the state there is the truth.
  absl::Status s = Reload();
  if (!s.ok()) std::abort();  // cannot go on with state that matches nothing
}

}  // namespace boai::books
