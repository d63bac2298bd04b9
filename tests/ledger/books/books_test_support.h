// Shared by the books rule and property tests: a ledger with the books hook and a
// clerk in a fresh temporary directory (sync off, a settable clock), builders for
// entry bodies, and the checks every rejection must pass (the status code, the
// message naming the offending values, and no change to the books or the log).
#ifndef BOAI_TESTS_LEDGER_BOOKS_BOOKS_TEST_SUPPORT_H_
#define BOAI_TESTS_LEDGER_BOOKS_BOOKS_TEST_SUPPORT_H_

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/books/books.h"
#include "ledger/books/books_hook.h"
#include "ledger/books/chart.h"
#include "ledger/books/clerk.h"
#include "ledger/books/entries.h"
#include "ledger/canonical_json.h"
#include "ledger/hash.h"
#include "ledger/leaf.h"
#include "ledger/ledger.h"
#include "ledger/strings.h"
#include "tests/ledger/temp_dir.h"

namespace boai::books::testing {

// 2022-06-01 12:00 China Standard Time (04:00 UTC).
inline constexpr uint64_t kJune1Noon = 1654056000000ull;
inline constexpr uint64_t kDayMs = 86400000ull;

inline int64_t Yuan(int64_t y) { return y * 100; }
inline std::string Hex(std::string_view seed) { return ledger::HashToHex(ledger::Sha256(seed)); }

// A gift body; receipt number 0 means "no receipt: anonymous".
inline Gift MakeGift(std::string date, std::string channel, std::string fund, int64_t amount,
                     int64_t receipt = 0, std::string income = "donation",
                     std::string campaign = "") {
  Gift g;
  g.date = std::move(date);
  g.channel = std::move(channel);
  g.income = std::move(income);
  g.fund = std::move(fund);
  g.campaign = std::move(campaign);
  g.amount = amount;
  g.donor = Donor{"张*", Hex("donor")};
  if (receipt > 0) {
    g.receipt_book = "HB2022";
    g.receipt_number = receipt;
  } else {
    g.no_receipt = "anonymous";
  }
  if (g.channel == "in_kind") {
    g.in_kind = InKind{"米面油礼包 rice, flour and oil", "份", "document", 10, Hex("invoice")};
  }
  return g;
}

inline PaymentRequest MakeRequest(std::string date, std::string fund, int64_t amount,
                                  std::string method = "bank", std::string expires = "2022-12-31",
                                  std::optional<Grant> grant = std::nullopt) {
  PaymentRequest p;
  p.date = std::move(date);
  p.fund = std::move(fund);
  p.purpose = "relief";
  p.payee = "payee-1";
  p.expires = std::move(expires);
  p.method = std::move(method);
  p.amount = amount;
  p.grant = std::move(grant);
  return p;
}

inline PaymentDecision Decide(std::string date, uint64_t request, std::string reason = "") {
  PaymentDecision d;
  d.date = std::move(date);
  d.request = request;
  d.reason = std::move(reason);
  return d;
}

inline Reversal Reverse(std::string date, uint64_t target, std::string reason = "keyed wrongly") {
  return Reversal{std::move(date), std::move(reason), target, {}};
}

// The leaf body of a finished entry as the clerk would encode it (postings as given).
inline std::string CanonicalBody(const Entry& e) { return *ledger::EncodeCanonicalJson(ToJson(e)); }

// Everything a test needs from the real write path.
class LedgerHarness {
 public:
  ~LedgerHarness() { Close(); }

  absl::Status Open() {
    hook_ = std::make_unique<BooksHook>();
    ledger::LedgerOptions o;
    o.origin = "books.test/ledger";
    o.sync = false;
    o.hook = hook_.get();
    o.clock = [this] { return now_ms_.load(); };
    auto l = ledger::Ledger::Open(tmp_.dir(), o);
    if (!l.ok()) return l.status();
    ledger_ = std::move(*l);
    clerk_ = std::make_unique<Clerk>(ledger_.get(), hook_.get());
    return absl::OkStatus();
  }
  void Close() {
    clerk_.reset();
    ledger_.reset();
    hook_.reset();
  }

  void SetNow(uint64_t ms) { now_ms_ = ms; }

  // Records through the clerk (postings filled in, validated, appended, ruled on).
  absl::StatusOr<ledger::AppendResult> Record(const std::string& kind, const std::string& by,
                                              Body body, std::string key = "") {
    if (key.empty()) key = StrCat("auto-", next_key_++);
    return clerk_->Record(kind, by, std::move(body), std::move(key));
  }
  // Appends a raw entry, bypassing the clerk: the books see exactly these postings.
  absl::StatusOr<ledger::AppendResult> RecordRaw(const Entry& e, std::string key = "") {
    if (key.empty()) key = StrCat("raw-", next_key_++);
    return ledger_->Append(ledger::EntryDraft{e.kind, std::move(key), CanonicalBody(e), {}});
  }

  std::map<std::string, std::string> Snapshot() const {
    return hook_->Read([](const Books& b) { return b.Snapshot(); });
  }
  template <typename F>
  auto Read(F&& f) const {
    return hook_->Read(std::forward<F>(f));
  }
  std::map<std::string, std::string> StoredState() const {
    return *ReadStateRecords(*ledger_->storage());
  }

  // The parsed entry stored at `index`.
  Entry EntryAt(uint64_t index) const {
    absl::StatusOr<std::string> leaf = ledger_->LeafAt(index);
    EXPECT_TRUE(leaf.ok()) << leaf.status();
    if (!leaf.ok()) return Entry{};
    ledger::LeafDecoder decoder;
    absl::StatusOr<ledger::DecodedLeaf> d = decoder.Decode(*leaf);
    EXPECT_TRUE(d.ok()) << d.status();
    if (!d.ok()) return Entry{};
    absl::StatusOr<Entry> e = ParseEntry(d->header.kind, std::string_view(d->body));
    EXPECT_TRUE(e.ok()) << e.status();
    if (!e.ok()) return Entry{};
    return *e;
  }

  // Opens the standard chart and `funds` (id -> restricted).
  void OpenChartAndFunds(const std::vector<std::pair<std::string, bool>>& funds) {
    absl::Status s = clerk_->OpenStandardChart("admin").status();
    ASSERT_TRUE(s.ok()) << s;
    for (const auto& [id, restricted] : funds) {
      auto r =
          Record("fund.open", "admin", FundOpen{id, StrCat("Fund ", id), "purpose", restricted},
                 StrCat("fund/", id));
      ASSERT_TRUE(r.ok()) << r.status();
    }
  }

  std::string dir() const { return tmp_.dir(); }
  ledger::Ledger* ledger() const { return ledger_.get(); }
  BooksHook* hook() const { return hook_.get(); }
  Clerk* clerk() const { return clerk_.get(); }

 private:
  test_support::TempDir tmp_;  // removed after everything below is closed
  std::atomic<uint64_t> now_ms_{kJune1Noon};
  int next_key_ = 0;
  std::unique_ptr<BooksHook> hook_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<Clerk> clerk_;
};

// Rebuilds the books from the leaves alone: every accounting leaf from index 0,
// parsed and applied with the leaf's own index and time. Fails the test if any
// leaf that the writer accepted is refused on replay, or if ParseCanonicalEntry
// reads a body differently from ParseEntry.
inline std::unique_ptr<Books> RebuildFromLeaves(const ledger::Ledger& l) {
  auto books = std::make_unique<Books>(
      [&l](uint64_t index) -> absl::StatusOr<std::string> { return l.LeafAt(index); });
  ledger::LeafDecoder decoder;
  for (uint64_t i = 0; i < l.Size(); ++i) {
    absl::StatusOr<std::string> leaf = l.LeafAt(i);
    EXPECT_TRUE(leaf.ok()) << leaf.status();
    if (!leaf.ok()) return books;
    absl::StatusOr<ledger::DecodedLeaf> d = decoder.Decode(*leaf);
    EXPECT_TRUE(d.ok()) << d.status();
    if (!d.ok()) return books;
    EXPECT_EQ(d->header.index, i);
    if (!IsAccountingKind(d->header.kind)) continue;
    absl::StatusOr<Entry> e = ParseEntry(d->header.kind, std::string_view(d->body));
    EXPECT_TRUE(e.ok()) << "leaf " << i << ": " << e.status();
    if (!e.ok()) return books;
    // The auditor's one-pass reading of the same body gives the same entry.
    absl::StatusOr<Entry> fast = ParseCanonicalEntry(d->header.kind, d->body);
    EXPECT_TRUE(fast.ok()) << "leaf " << i << ": " << fast.status();
    if (fast.ok()) {
      EXPECT_EQ(ToJson(*fast), ToJson(*e)) << "leaf " << i;
    }
    absl::Status s = books->Apply(*e, d->header.index, d->header.time_ms);
    EXPECT_TRUE(s.ok()) << "replaying leaf " << i << " (" << d->header.kind << "): " << s;
  }
  return books;
}

}  // namespace boai::books::testing

#endif  // BOAI_TESTS_LEDGER_BOOKS_BOOKS_TEST_SUPPORT_H_
