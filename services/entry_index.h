// An in-memory index of the log for the service's filtered reads: which entries
// concern an account, a fund, a campaign or a donor commitment, and which entry
// issued or voided each official receipt number.
//
// It is derived from the leaves alone and built lazily: every query first reads
// the leaves appended since the last one (CatchUp), so it is never stale and
// needs no hook into the writer. The first query after a start reads the whole
// log once (about a second per million entries). Memory: a few 8-byte indexes
// per entry.
#ifndef BOAI_SERVICES_ENTRY_INDEX_H_
#define BOAI_SERVICES_ENTRY_INDEX_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/ledger.h"

namespace boai::service {

// What to look for; empty fields match everything.
struct EntryFilter {
  std::string kind, account, fund, campaign, donor_commitment;
  bool empty() const {
    return kind.empty() && account.empty() && fund.empty() && campaign.empty() &&
           donor_commitment.empty();
  }
};

// The terms an entry is indexed under, from its kind and canonical JSON body:
// "k:<kind>", "a:<account>" per posting, "f:<fund>" per posting fund and fund
// named by the body, "c:<campaign>", "d:<donor commitment>". A gift's receipt
// and a receipt.void's number go to `receipt` ({book, number}, number 0 if
// none). Exposed for tests.
std::vector<std::string> IndexTerms(std::string_view kind, std::string_view body_json,
                                    std::pair<std::string, int64_t>* receipt = nullptr);

class EntryIndex {
 public:
  // Not owned; must outlive the index.
  explicit EntryIndex(const ledger::Ledger* ledger) : ledger_(ledger) {}

  // Reads the leaves appended since the last call. DataLoss if one does not
  // decode.
  absl::Status CatchUp();

  // Indexes of entries in [start, end) matching `filter`, in log order, at most
  // `limit` (0 = no limit). `*scanned_to` receives the index after the last one
  // examined: end, or the index after the last match when `limit` was reached.
  // REQUIRES: CatchUp() was called since the entries of the range were appended.
  std::vector<uint64_t> Find(const EntryFilter& filter, uint64_t start, uint64_t end, size_t limit,
                             uint64_t* scanned_to) const;

  // The entries that issued and voided receipt `number` of `book`, if any.
  struct ReceiptEntries {
    std::optional<uint64_t> issued, voided;
  };
  ReceiptEntries Receipt(const std::string& book, int64_t number) const;

  // Entries indexed so far.
  uint64_t size() const;

 private:
  const std::vector<uint64_t>* Postings(const std::string& term) const;

  const ledger::Ledger* ledger_;
  std::mutex catch_up_mu_;  // one CatchUp at a time
  mutable std::shared_mutex mu_;
  uint64_t next_ = 0;
  std::map<std::string, std::vector<uint64_t>> postings_;  // term -> ascending indexes
  std::map<std::pair<std::string, int64_t>, ReceiptEntries> receipts_;
};

}  // namespace boai::service

#endif  // BOAI_SERVICES_ENTRY_INDEX_H_
