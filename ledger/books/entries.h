// The accounting entries: what each kind of leaf body says, parsed and validated.
// docs/accounting.md documents every body; this file is the one place that reads
// and writes them.
//
// Amounts are int64 fen (1 yuan = 100 fen), always positive in bodies; a posting's
// sign says its side: positive = debit, negative = credit. Dates are the business
// date "YYYY-MM-DD" (China Standard Time). "by" is the user who wrote the entry.
#ifndef BOAI_LEDGER_BOOKS_ENTRIES_H_
#define BOAI_LEDGER_BOOKS_ENTRIES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace boai::books {

enum class AccountType { kAsset, kLiability, kNetAssets, kIncome, kExpense };
std::string_view AccountTypeName(AccountType t);

struct Posting {
  std::string account;
  std::string fund;
  int64_t amount = 0;  // + debit, - credit; never 0
  bool operator==(const Posting&) const = default;
};

struct AccountOpen {
  std::string id, name;
  AccountType type = AccountType::kAsset;
};
struct FundOpen {
  std::string id, name, purpose;
  bool restricted = false;
};
struct CampaignOpen {
  std::string id, name, fund, platform, start, end;  // window [start, end]
  int64_t target = 0;                                // fundraising target (quota)
};
struct Tier {
  std::string id;
  int64_t amount = 0;
  std::string requires_tier;         // granted only after this tier ("" = none)
  bool requires_transplant = false;  // only after a completed stem-cell transplant
  bool operator==(const Tier&) const = default;
};
struct ProgrammeRules {
  std::string programme, name, fund, effective_from;
  int64_t version = 0;
  int64_t age_min = 0, age_max = 0;  // inclusive, in years, fixed at first grant
  int64_t max_total = 0;             // most one beneficiary may receive in all
  std::vector<Tier> tiers;
};

struct Donor {
  std::string display;     // what the public sees: a masked name "张*" or "爱心人士"
  std::string commitment;  // hex SHA-256 salted commitment to the donor's identity
};
struct InKind {
  std::string description, unit, method;  // method: "document" or "fair_value"
  int64_t quantity = 0;
  std::string evidence_sha256;  // hex SHA-256 of the valuation evidence file
};
struct Gift {
  // channel: cash, bank, online (settled later by the platform) or in_kind.
  // income: "donation" or "grant" (government or higher-level Red Cross grants).
  std::string date, channel, income, fund, campaign;  // campaign optional
  int64_t amount = 0;
  Donor donor;
  std::string receipt_book;  // with receipt_number when an official receipt was issued
  int64_t receipt_number = 0;
  std::string no_receipt;  // else why not: "anonymous", "declined" or "not_a_donation"
  std::optional<InKind> in_kind;
  std::vector<Posting> postings;
};
struct Match {  // platform matching funds (配捐), voidable until settled
  std::string date, campaign, platform_ref;
  int64_t amount = 0;
  std::vector<Posting> postings;
};
struct Clawback {
  std::string date, campaign, reason;
  int64_t amount = 0;
  std::vector<Posting> postings;
};
struct Settlement {
  std::string date, campaign, file_sha256;
  int64_t gifts = 0, matching = 0;  // the settlement file's totals
  std::vector<Posting> postings;
};
struct Grant {                               // programme aid carried by a payment request
  std::string programme, beneficiary, tier;  // beneficiary: a pseudonym, never a name
  int64_t age = 0;
  bool transplant = false;
};
struct PaymentRequest {
  // payee: a pseudonym, never a name. method: how it is paid: "bank", "cash" or
  // "goods" (donated goods handed out, at their booked value).
  std::string date, fund, purpose, payee, expires, method;
  int64_t amount = 0;
  std::optional<Grant> grant;
};
struct PaymentDecision {  // approve, reject or expire
  std::string date, reason;
  uint64_t request = 0;           // index of the payment.request entry
  std::vector<Posting> postings;  // approve only
};
struct Reversal {
  std::string date, reason;
  uint64_t reverses = 0;
  std::vector<Posting> postings;
};
struct ReceiptVoid {
  std::string date, book, reason;
  int64_t number = 0;
};
struct Release {  // releases a restriction: restricted fund -> unrestricted fund
  std::string date, from, to, reason;
  int64_t amount = 0;
  std::vector<Posting> postings;
};
// A non-monetary indicator the reports publish beside the money (people trained in
// first aid, volunteers, ...). Moves no money; public statements list it.
struct Indicator {
  std::string date;   // the day the count was taken (the end of what it covers)
  std::string id;     // stable id, e.g. "first-aid.certified"
  std::string name;   // what is counted, for readers ("应急救护取证 certified first-aiders")
  std::string unit;   // e.g. "人 persons"
  int64_t value = 0;  // >= 0
};

using Body = std::variant<AccountOpen, FundOpen, CampaignOpen, ProgrammeRules, Gift, Match,
                          Clawback, Settlement, PaymentRequest, PaymentDecision, Reversal,
                          ReceiptVoid, Release, Indicator>;

// A parsed accounting entry.
struct Entry {
  std::string kind;  // "gift", "payment.approve", ...
  std::string by;    // user who wrote it
  Body body;
};

// True for the kinds this layer owns (everything but log.* entries).
bool IsAccountingKind(std::string_view kind);

// True if `kind` is one of the entry kinds this layer defines (gift, reversal, ...),
// as opposed to a misspelt or unknown one.
bool IsDefinedKind(std::string_view kind);

// Parses and validates a body. InvalidArgument names the field and the value.
absl::StatusOr<Entry> ParseEntry(std::string_view kind, const nlohmann::json& body);
// From the body's text: in one pass when it is in canonical form (as ParseCanonical-
// Entry), through nlohmann otherwise; the same entry or error either way.
absl::StatusOr<Entry> ParseEntry(std::string_view kind, std::string_view body_json);
// The same for a body that must be in canonical form (ledger/canonical_json.h), as
// every leaf body is: form and fields are checked in one pass over the bytes, with
// no JSON tree built and nothing re-encoded (the auditor's replay reads every leaf
// this way; a valid gift laid out as EncodeBody writes it, nearly every leaf, is
// read straight into its fields: gift_body.h). When EncodeCanonicalJson of the
// parsed body gives `body` back, the result is exactly ParseEntry's, errors
// included; when it does not, InvalidArgument says where the body is off canonical
// form.
absl::StatusOr<Entry> ParseCanonicalEntry(std::string_view kind, std::string_view body);

// The body as JSON (to be canonically encoded for the leaf).
nlohmann::json ToJson(const Entry& e);

// The leaf body: EncodeCanonicalJson(ToJson(e)), byte for byte and error for error.
// A gift (the bulk of every import) is written straight from its fields, without
// building the JSON tree.
absl::StatusOr<std::string> EncodeBody(const Entry& e);

nlohmann::json PostingsJson(const std::vector<Posting>& postings);

// The postings an entry carries (empty for kinds that move no money).
const std::vector<Posting>* PostingsOf(const Entry& e);

// Validation helpers shared with the clerk and the service.
absl::Status CheckDate(std::string_view field, std::string_view date);
absl::Status CheckId(std::string_view field, std::string_view id);
absl::Status CheckAmount(std::string_view field, int64_t amount);

// The masked display name a donor may choose to show: the first character (one
// UTF-8 sequence), then "*": "张伟" -> "张*". Empty for an empty name.
std::string MaskedName(std::string_view name);

}  // namespace boai::books

#endif  // BOAI_LEDGER_BOOKS_ENTRIES_H_
