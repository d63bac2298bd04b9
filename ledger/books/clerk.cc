#include "ledger/books/clerk.h"

#include "ledger/canonical_json.h"
#include "ledger/strings.h"

namespace boai::books {

std::string KindOf(const Body& body) {
  return std::visit(
      [](const auto& b) -> std::string {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, AccountOpen>) return "account.open";
        if constexpr (std::is_same_v<T, FundOpen>) return "fund.open";
        if constexpr (std::is_same_v<T, CampaignOpen>) return "campaign.open";
        if constexpr (std::is_same_v<T, ProgrammeRules>) return "programme.rules";
        if constexpr (std::is_same_v<T, Gift>) return "gift";
        if constexpr (std::is_same_v<T, Match>) return "match";
        if constexpr (std::is_same_v<T, Clawback>) return "match.clawback";
        if constexpr (std::is_same_v<T, Settlement>) return "settlement";
        if constexpr (std::is_same_v<T, PaymentRequest>) return "payment.request";
        if constexpr (std::is_same_v<T, Reversal>) return "reversal";
        if constexpr (std::is_same_v<T, ReceiptVoid>) return "receipt.void";
        if constexpr (std::is_same_v<T, Release>) return "fund.release";
        if constexpr (std::is_same_v<T, Indicator>) return "indicator";
        return "";  // PaymentDecision: approve, reject or expire
      },
      body);
}

absl::StatusOr<ledger::EntryDraft> Clerk::Draft(std::string kind, std::string by, Body body,
                                                std::string key) const {
  Entry e{std::move(kind), std::move(by), std::move(body)};
  // Fill in the postings the entry must make, from the books as they stand.
  absl::StatusOr<std::vector<Posting>> postings =
      books_->Read([&e](const Books& b) { return ExpectedPostings(e, b); });
  if (!postings.ok()) {
    // A retry of an entry already recorded (an approval whose request is no longer
    // pending, say): use the postings it was recorded with, so the ledger can
    // answer with the original entry, or refuse if the rest differs.
    absl::StatusOr<std::optional<uint64_t>> existing = ledger_->FindByKey(key);
    if (!existing.ok() || !existing->has_value()) return postings.status();
    postings = books_->Read([&existing](const Books& b) { return b.PostingsAt(**existing); });
    if (!postings.ok()) return postings.status();
  }
  std::visit(
      [&postings](auto& b) {
        if constexpr (requires { b.postings; }) b.postings = *postings;
      },
      e.body);
  // Validate exactly as a reader of the leaf will: the leaf's canonical bytes,
  // read in one pass the way the books' replay reads every leaf (the same entry
  // and the same errors as ParseEntry, without building a second JSON tree). A
  // body that cannot be encoded is refused with ParseEntry's words when it has
  // some, as before.
  absl::StatusOr<std::string> canonical = EncodeBody(e);
  absl::StatusOr<Entry> parsed =
      canonical.ok() ? ParseCanonicalEntry(e.kind, *canonical) : ParseEntry(e.kind, ToJson(e));
  if (!parsed.ok()) return parsed.status();
  if (!canonical.ok()) return canonical.status();
  return ledger::EntryDraft{parsed->kind, std::move(key), std::move(*canonical),
                            std::move(*parsed)};
}

absl::StatusOr<ledger::AppendResult> Clerk::Record(std::string kind, std::string by, Body body,
                                                   std::string key) const {
  absl::StatusOr<ledger::EntryDraft> draft =
      Draft(std::move(kind), std::move(by), std::move(body), std::move(key));
  if (!draft.ok()) return draft.status();
  return ledger_->Append(std::move(*draft));
}

absl::StatusOr<uint32_t> Clerk::OpenStandardChart(const std::string& by) const {
  std::vector<AccountOpen> missing;
  books_->Read([&missing](const Books& b) {
    for (AccountOpen& a : StandardChart()) {
      if (!b.accounts().count(a.id)) missing.push_back(std::move(a));
    }
    return 0;
  });
  if (missing.empty()) return 0u;
  std::vector<ledger::EntryDraft> drafts;
  for (AccountOpen& a : missing) {
    std::string key = StrCat("account/", a.id);
    absl::StatusOr<ledger::EntryDraft> d = Draft("account.open", by, std::move(a), std::move(key));
    if (!d.ok()) return d.status();
    drafts.push_back(std::move(*d));
  }
  uint32_t opened = 0;
  for (auto& r : ledger_->AppendMany(std::move(drafts))) {
    if (!r.ok()) return r.status();
    if (!r->duplicate) ++opened;
  }
  return opened;
}

}  // namespace boai::books
