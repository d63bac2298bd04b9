// The books: fund-accounting state derived from the log, and the rules every
// accounting entry must pass. The writer applies each new entry here before it is
// sequenced (so a rule violation is rejected), and the verifier replays every leaf
// here from the leaves alone (so a leaf that broke a rule is caught). The rules
// are in rules.cc, the state and how entries change it in books.cc, the derived
// state's records in books_records.cc.
//
// Rules (docs/accounting.md has the long form):
//   - accounts, funds, campaigns and programme rules are opened by entries first;
//   - postings equal ExpectedPostings() and balance within each fund;
//   - no fund's available money (net assets - reserved - voidable matching) may go
//     below zero: restricted or not, no entry may spend money a fund does not hold;
//     nor may a fund's cash, bank or goods balance go below zero;
//   - payments: a request reserves, an approval by a different user posts, a
//     rejection or an expiry releases;
//   - a reversal mirrors an earlier posting entry exactly, once;
//   - an official receipt number is issued once and voided once;
//   - programme grants meet the rules in force on their date, per beneficiary;
//   - platform matching stays voidable until settled; settlements and clawbacks
//     never exceed what is outstanding;
//   - business dates are never after the day the log sequenced the entry.
#ifndef BOAI_LEDGER_BOOKS_BOOKS_H_
#define BOAI_LEDGER_BOOKS_BOOKS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/books/chart.h"
#include "ledger/books/entries.h"
#include "ledger/strings.h"

namespace boai::books {

struct FundState {
  FundOpen def;
  int64_t net = 0;       // net assets: income - expenses +- releases
  int64_t reserved = 0;  // pending payment requests
  int64_t voidable = 0;  // platform matching not yet settled (can be clawed back)
  int64_t Available() const { return net - reserved - voidable; }
};

struct CampaignState {
  CampaignOpen def;
  int64_t raised = 0;            // gifts to the campaign, all channels
  int64_t gifts = 0;             // number of gifts
  int64_t online_unsettled = 0;  // online gifts the platform has not paid out yet
  int64_t matched = 0;           // platform matching booked
  int64_t clawed_back = 0;
  int64_t settled_gifts = 0, settled_matching = 0;
  int64_t MatchingOutstanding() const { return matched - clawed_back - settled_matching; }
};

struct PendingPayment {
  PaymentRequest request;
  std::string by;  // the maker
};

struct BeneficiaryState {
  int64_t first_age = 0;  // age at first registration: eligibility uses it for life
  std::set<std::string> tiers;
  int64_t total = 0;
};

struct ReceiptBook {
  std::map<int64_t, int64_t> issued;  // disjoint ranges [first, last] of issued numbers
  std::set<int64_t> voided;
  bool IsIssued(int64_t n) const;
  void Issue(int64_t n);
  void Unissue(int64_t n);
  // Numbers between the lowest and highest used that were neither issued nor voided.
  std::vector<std::pair<int64_t, int64_t>> Gaps() const;
};

// Reads earlier leaves (for reversals): the leaf bytes at an index.
using LeafReader = std::function<absl::StatusOr<std::string>(uint64_t index)>;

class Books : public PostingContext {
 public:
  explicit Books(LeafReader reader) : reader_(std::move(reader)) {}

  // Checks `e` as entry `index` sequenced at `time_ms`; if it passes, applies it.
  // On error nothing changes. FailedPrecondition for rule violations (overspend,
  // self-approval, ...), InvalidArgument for entries that cannot be right in any
  // state (postings that do not balance, unknown ids), AlreadyExists for receipt
  // numbers used before.
  absl::Status Apply(const Entry& e, uint64_t index, uint64_t time_ms);

  // PostingContext.
  absl::StatusOr<std::string> CampaignFund(std::string_view campaign) const override;
  absl::StatusOr<PaymentRequest> PendingRequest(uint64_t index) const override;
  absl::StatusOr<std::vector<Posting>> PostingsAt(uint64_t index) const override;

  // Read access.
  const std::map<std::string, AccountOpen>& accounts() const { return accounts_; }
  const std::map<std::string, FundState>& funds() const { return funds_; }
  const std::map<std::pair<std::string, std::string>, int64_t>& balances() const {
    return balances_;
  }
  const std::map<std::string, CampaignState>& campaigns() const { return campaigns_; }
  const std::map<std::string, std::vector<ProgrammeRules>>& programmes() const {
    return programmes_;
  }
  const std::map<uint64_t, PendingPayment>& pending() const { return pending_; }
  const std::map<std::string, BeneficiaryState>& beneficiaries() const { return beneficiaries_; }
  const std::map<std::string, ReceiptBook>& receipts() const { return receipts_; }
  const std::map<uint64_t, uint64_t>& reversed() const { return reversed_; }  // target -> reversal

  // The rules in force for `programme` on `date`, if any.
  const ProgrammeRules* RulesInForce(std::string_view programme, std::string_view date) const;

  // Derived state as key/value records for the `state` column family.
  std::map<std::string, std::string> Snapshot() const;
  // Keys changed since the last call, with their new values (nullopt = deleted).
  std::map<std::string, std::optional<std::string>> TakeDirty();
  // Forgets which records changed, without serializing them (the replay keeps none).
  void ClearDirty() { dirty_.clear(); }
  // Whether changes are recorded for TakeDirty at all (default: yes). The replay
  // turns it off: it keeps no record of changes, and not naming each changed record
  // saves building a key per change.
  void TrackChanges(bool on) {
    track_dirty_ = on;
    if (!on) dirty_.clear();
  }
  // Loads a Snapshot() back. InvalidArgument if a record does not parse.
  absl::Status Load(const std::map<std::string, std::string>& records);

 private:
  absl::Status Check(const Entry& e, uint64_t index, uint64_t time_ms) const;
  absl::Status CheckPostings(const Entry& e) const;
  absl::Status CheckGrant(const PaymentRequest& p, std::string_view date) const;
  absl::Status CheckReversalTarget(const Reversal& v) const;
  static absl::Status CheckReceiptBookName(std::string_view book);
  // The programme whose rules (any version) pay from `fund`, or nullptr.
  const std::string* ProgrammeOfFund(const std::string& fund) const;
  // The pending request of this grant tier for this beneficiary, if any.
  std::optional<uint64_t> PendingGrant(std::string_view programme, std::string_view beneficiary,
                                       std::string_view tier) const;
  // After the entry's effects are applied (undo_ holds what they changed): no fund
  // spends money it does not hold, no fund's cash, bank or goods go below zero, no
  // campaign owes the platform. Apply undoes the effects if this fails.
  absl::Status CheckEffects(const Entry& e) const;
  // Applies (sign +1) or undoes (-1) what `e` does to balances (if with_postings),
  // funds and campaigns.
  void ApplyEffects(const Entry& e, int sign, bool with_postings);
  void ReleaseGrant(const PaymentRequest& p);
  absl::StatusOr<Entry> EntryAt(uint64_t index) const;
  // Notes that the record named by the concatenated `parts` changed.
  template <typename... Parts>
  void Dirty(const Parts&... parts) {
    if (track_dirty_) dirty_.insert(StrCat(parts...));
  }
  // Mutable access that remembers the value before the entry, for Undo().
  FundState& Fund(const std::string& id);
  CampaignState& Campaign(const std::string& id);
  int64_t& Balance(const std::string& account, const std::string& fund);
  void Undo();
  std::optional<std::string> Record(const std::string& key) const;

  LeafReader reader_;
  std::map<std::string, AccountOpen> accounts_;
  std::map<std::string, FundState> funds_;
  std::map<std::pair<std::string, std::string>, int64_t> balances_;  // (account, fund)
  std::map<std::string, CampaignState> campaigns_;
  std::map<std::string, std::vector<ProgrammeRules>> programmes_;  // by version
  std::map<uint64_t, PendingPayment> pending_;
  std::map<std::string, BeneficiaryState> beneficiaries_;  // programme/beneficiary
  std::map<std::string, ReceiptBook> receipts_;
  std::map<uint64_t, uint64_t> reversed_;
  std::set<std::string> dirty_;
  bool track_dirty_ = true;
  // What the entry being applied changed, as it was before: each record once, in
  // the order first touched. Only the numbers are kept (an entry's effects change
  // nothing else), so noting a change copies no strings.
  struct UndoLog {
    struct Fund {
      std::map<std::string, FundState>::iterator it;
      int64_t net, reserved, voidable;
    };
    struct Campaign {
      std::map<std::string, CampaignState>::iterator it;
      int64_t counters[7];  // raised, gifts, online_unsettled, matched, clawed_back,
                            // settled_gifts, settled_matching
    };
    struct Balance {
      std::map<std::pair<std::string, std::string>, int64_t>::iterator it;
      std::optional<int64_t> value;  // nullopt: there was no balance
    };
    std::vector<Fund> funds;
    std::vector<Campaign> campaigns;
    std::vector<Balance> balances;
    void Clear() {  // keeps the vectors' memory
      funds.clear();
      campaigns.clear();
      balances.clear();
    }
  } undo_;
  std::pair<std::string, std::string> balance_key_;  // Balance()'s scratch key
};

// The undo log copies these numbers by name: a new number in FundState or
// CampaignState must be added there (Books::Fund, Books::Campaign, Books::Undo).
static_assert(sizeof(FundState) == sizeof(FundOpen) + 3 * sizeof(int64_t));
static_assert(sizeof(CampaignState) == sizeof(CampaignOpen) + 7 * sizeof(int64_t));

// "YYYY-MM-DD" of `time_ms` in China Standard Time (UTC+8).
std::string DateOf(uint64_t time_ms);

// Checked int64 addition; false on overflow.
bool AddChecked(int64_t a, int64_t b, int64_t* out);

}  // namespace boai::books

#endif  // BOAI_LEDGER_BOOKS_BOOKS_H_
