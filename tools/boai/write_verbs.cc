// Write verbs of boai: gift, pay, reverse, void, settle, open-fund, open-campaign, init,
// add-user.
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "ledger/hash.h"
#include "ledger/strings.h"
#include "tools/boai/common.h"
#include "tools/boai/csv.h"

namespace boai::cli {

int Gift(const Global& g, Client& c, const GiftArgs& a) {
  absl::StatusOr<int64_t> fen = ParseYuan(a.amount);
  if (!fen.ok()) return Fail(fen.status());
  v1::RecordGiftRequest req;
  req.set_amount(*fen);
  req.set_fund(a.fund);
  req.set_channel(a.channel);
  req.set_date(a.date.empty() ? TodayCst() : a.date);
  req.set_income(a.income);
  req.set_campaign(a.campaign);
  std::string key = a.key;
  if (!a.receipt_book.empty() && !a.no_receipt.empty()) {
    return Fail(absl::InvalidArgumentError(
        "give the official receipt (--receipt-book, --receipt-number) or --no-receipt, not both"));
  }
  const bool in_kind_details =
      !a.description.empty() || a.quantity != 0 || !a.unit.empty() || !a.evidence.empty();
  if (a.channel != "in_kind" && in_kind_details) {
    return Fail(absl::InvalidArgumentError(
        "--description, --quantity, --unit and --evidence describe a gift in kind: add --channel "
        "in_kind, or leave them out"));
  }
  if (a.channel == "in_kind" &&
      (a.description.empty() || a.quantity <= 0 || a.unit.empty() || a.evidence.empty())) {
    return Fail(absl::InvalidArgumentError(
        "a gift in kind needs --description (what the goods are), --quantity (more than 0), "
        "--unit and --evidence FILE (the valuation document, e.g. an invoice or price survey)"));
  }
  if (!a.receipt_book.empty()) {
    req.set_receipt_book(a.receipt_book);
    req.set_receipt_number(a.receipt_number);
    if (key.empty()) key = StrCat(a.receipt_book, "-", a.receipt_number);
  } else if (!a.no_receipt.empty() || a.anonymous) {
    req.set_no_receipt(a.no_receipt.empty() ? "anonymous" : a.no_receipt);
  } else {
    return Fail(absl::InvalidArgumentError(
        "give the official receipt (--receipt-book and --receipt-number) or why there is none "
        "(--no-receipt anonymous, declined or not_a_donation)"));
  }
  if (key.empty()) {
    return Fail(absl::InvalidArgumentError(
        "give --key, a reference that names this gift (bank or platform reference), so that "
        "running the command again cannot record it twice"));
  }
  req.set_idempotency_key(key);
  if (!a.name.empty() || !a.phone.empty() || !a.id_number.empty() || !a.address.empty()) {
    v1::PersonalData* d = req.mutable_donor();
    d->set_name(a.name);
    d->set_phone(a.phone);
    d->set_id_number(a.id_number);
    d->set_address(a.address);
  }
  if (a.anonymous) {
    req.set_display(v1::DONOR_DISPLAY_ANONYMOUS);
  } else if (!a.display.empty()) {
    req.set_display(v1::DONOR_DISPLAY_AS_GIVEN);
    req.set_display_name(a.display);
  }
  if (a.channel == "in_kind") {
    v1::InKind* k = req.mutable_in_kind();
    k->set_description(a.description);
    k->set_quantity(a.quantity);
    k->set_unit(a.unit);
    k->set_method(a.valuation);
    if (!a.evidence.empty()) {
      absl::StatusOr<std::string> file = ReadFile(a.evidence);
      if (!file.ok()) return Fail(file.status());
      k->set_evidence_sha256(ledger::HashToHex(ledger::Sha256(*file)));
    }
  }
  v1::Receipt r;
  grpc::Status s = c.stub()->RecordGift(c.Ctx().get(), req, &r);
  if (!s.ok() && s.error_code() == grpc::StatusCode::ALREADY_EXISTS && a.key.empty() &&
      !a.receipt_book.empty()) {
    // The key was the receipt's own name: another gift already holds this receipt
    // (the key's conflict), or the books refused the number (voided, issued): their
    // message names the receipt already.
    const std::string& why = s.error_message();
    return FailRpc(
        g, grpc::Status(s.error_code(),
                        StrCat(why.starts_with("receipt ")
                                   ? why
                                   : StrCat("receipt ", key,
                                            " is already issued for another gift (", why, ")"),
                               ". Check the number on the form; `boai receipts "
                               "--book ",
                               a.receipt_book, "` lists the numbers in use")));
  }
  if (!s.ok()) return FailRpc(g, s);
  return PrintReceipt(g, r);
}

int PayRequest(const Global& g, Client& c, const PayArgs& a) {
  absl::StatusOr<int64_t> fen = ParseYuan(a.amount);
  if (!fen.ok()) return Fail(fen.status());
  if (a.key.empty()) {
    return Fail(absl::InvalidArgumentError(
        "give --key, a reference that names this payment (e.g. the voucher number)"));
  }
  v1::RequestPaymentRequest req;
  req.set_idempotency_key(a.key);
  req.set_date(a.date.empty() ? TodayCst() : a.date);
  req.set_fund(a.fund);
  req.set_amount(*fen);
  req.set_purpose(a.purpose);
  req.set_method(a.method);
  req.set_expires(a.expires);
  if (!a.payee_name.empty() || !a.payee_phone.empty() || !a.payee_id.empty()) {
    v1::PersonalData* p = req.mutable_payee();
    p->set_name(a.payee_name);
    p->set_phone(a.payee_phone);
    p->set_id_number(a.payee_id);
    p->set_address(a.payee_address);
    p->set_hospital(a.payee_hospital);
  }
  req.set_payee_label(a.payee_label);
  if (!a.programme.empty()) {
    v1::Grant* gr = req.mutable_grant();
    gr->set_programme(a.programme);
    gr->set_tier(a.tier);
    gr->set_age(a.age);
    gr->set_transplant(a.transplant);
  }
  v1::Receipt r;
  grpc::Status s = c.stub()->RequestPayment(c.Ctx().get(), req, &r);
  if (!s.ok()) return FailRpc(g, s);
  return PrintReceipt(g, r);
}

int PayDecide(const Global& g, Client& c, const PayArgs& a, PayDecision decision) {
  v1::Receipt r;
  grpc::Status s;
  std::string date = a.date.empty() ? TodayCst() : a.date;
  if (decision == PayDecision::kApprove) {
    v1::ApprovePaymentRequest req;
    req.set_idempotency_key(a.key.empty() ? StrCat("approve/", a.request) : a.key);
    req.set_date(date);
    req.set_request(a.request);
    s = c.stub()->ApprovePayment(c.Ctx().get(), req, &r);
  } else if (decision == PayDecision::kExpire) {
    v1::ExpirePaymentRequest req;
    req.set_idempotency_key(a.key.empty() ? StrCat("expire/", a.request) : a.key);
    req.set_date(date);
    req.set_request(a.request);
    s = c.stub()->ExpirePayment(c.Ctx().get(), req, &r);
  } else {
    v1::RejectPaymentRequest req;
    req.set_idempotency_key(a.key.empty() ? StrCat("reject/", a.request) : a.key);
    req.set_date(date);
    req.set_request(a.request);
    req.set_reason(a.reason);
    s = c.stub()->RejectPayment(c.Ctx().get(), req, &r);
  }
  if (!s.ok()) return FailRpc(g, s);
  return PrintReceipt(g, r);
}

int Reverse(const Global& g, Client& c, uint64_t index, const std::string& reason,
            const std::string& date, const std::string& key) {
  v1::ReverseRequest req;
  req.set_idempotency_key(key.empty() ? StrCat("reverse/", index) : key);
  req.set_date(date.empty() ? TodayCst() : date);
  req.set_reverses(index);
  req.set_reason(reason);
  v1::Receipt r;
  grpc::Status s = c.stub()->Reverse(c.Ctx().get(), req, &r);
  if (!s.ok()) return FailRpc(g, s);
  return PrintReceipt(g, r);
}

int Void(const Global& g, Client& c, const std::string& book, int64_t number,
         const std::string& reason, const std::string& date, const std::string& key) {
  v1::VoidReceiptRequest req;
  req.set_idempotency_key(key.empty() ? StrCat("void/", book, "-", number) : key);
  req.set_date(date.empty() ? TodayCst() : date);
  req.set_book(book);
  req.set_number(number);
  req.set_reason(reason);
  v1::Receipt r;
  grpc::Status s = c.stub()->VoidReceipt(c.Ctx().get(), req, &r);
  if (!s.ok()) return FailRpc(g, s);
  return PrintReceipt(g, r);
}

int RecordIndicator(const Global& g, Client& c, v1::RecordIndicatorRequest req) {
  if (req.date().empty()) req.set_date(TodayCst());
  if (req.idempotency_key().empty()) {
    req.set_idempotency_key(StrCat("indicator/", req.id(), "/", req.date()));
  }
  v1::Receipt r;
  grpc::Status s = c.stub()->RecordIndicator(c.Ctx().get(), req, &r);
  if (!s.ok()) return FailRpc(g, s);
  return PrintReceipt(g, r);
}

namespace {

// A settled amount: yuan as ParseYuan reads it, or 0 (a payout of only gifts or
// only matching). The error names the flag.
absl::StatusOr<int64_t> ParseSettledYuan(std::string_view flag, std::string_view s) {
  std::string_view t = StripWhitespace(s);
  if (t == "0" || t == "0.0" || t == "0.00") return 0;
  absl::StatusOr<int64_t> fen = ParseYuan(t);
  if (!fen.ok())
    return absl::InvalidArgumentError(StrCat(flag, ": ", ToStd(fen.status().message())));
  return fen;
}

std::string Lowercase(std::string s) {
  for (char& ch : s) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return s;
}

bool IsSha256Hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char ch : s) {
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  }
  return true;
}

// What `boai settle` books: the request, and where its figures came from.
struct Settlement {
  v1::SettleRequest req;
  const SettlementFile* file = nullptr;  // set when the figures come from a file
};

// Fills the campaign and totals of a settlement from the file's rows, checking
// any --campaign, --gifts or --matching given against them.
absl::Status FromFile(const SettleArgs& a, const SettlementFile& file, v1::SettleRequest* req) {
  if (!file.errors.empty()) {
    return absl::InvalidArgumentError(StrCat(a.file, " has ", file.errors.size(),
                                             " bad line(s), the first at line ",
                                             file.errors[0].line, ": ", file.errors[0].reason,
                                             "; see them all with boai import --dry-run ", a.file));
  }
  std::map<std::string, std::pair<int64_t, int64_t>> totals;  // campaign -> gifts, matching
  for (const SettlementRow& r : file.rows) {
    (r.type == "gift" ? totals[r.campaign].first : totals[r.campaign].second) += r.amount;
  }
  if (totals.empty()) return absl::InvalidArgumentError(StrCat(a.file, " has no rows to settle"));
  std::string names;
  for (const auto& [id, t] : totals) StrAppend(&names, names.empty() ? "" : ", ", id);
  std::string campaign = a.campaign;
  if (campaign.empty()) {
    if (totals.size() > 1) {
      return absl::InvalidArgumentError(
          StrCat(a.file, " has rows of several campaigns (", names,
                 "): give --campaign; each campaign's payout is its own settlement"));
    }
    campaign = totals.begin()->first;
  }
  auto it = totals.find(campaign);
  if (it == totals.end()) {
    return absl::InvalidArgumentError(
        StrCat(a.file, " has no rows of campaign ", campaign, " (it has ", names, ")"));
  }
  req->set_campaign(campaign);
  req->set_gifts(it->second.first);
  req->set_matching(it->second.second);
  // Amounts typed as well are a cross-check of the file, never an override.
  for (auto [flag, typed, total, type] :
       {std::tuple{"--gifts", &a.gifts, it->second.first, "gift"},
        std::tuple{"--matching", &a.matching, it->second.second, "match"}}) {
    if (typed->empty()) continue;
    absl::StatusOr<int64_t> fen = ParseSettledYuan(flag, *typed);
    if (!fen.ok()) return fen.status();
    if (*fen != total) {
      return absl::InvalidArgumentError(StrCat(
          flag, " ", Yuan(*fen), " differs from the total of the ", type, " rows of campaign ",
          campaign, " in ", a.file, " (", Yuan(total), " yuan); leave ", flag,
          " out to book the file's totals, or check that this is the platform's file"));
    }
  }
  return absl::OkStatus();
}

// The idempotency keys of the gifts and matching recorded for `campaign`.
grpc::Status RecordedKeys(Client& c, const std::string& campaign, std::set<std::string>* keys) {
  v1::ListEntriesRequest req;
  req.set_campaign(campaign);
  req.set_limit(1000);
  for (;;) {
    v1::EntryPage page;
    grpc::Status s = c.stub()->ListEntryPage(c.Ctx().get(), req, &page);
    if (!s.ok()) return s;
    for (const v1::Entry& e : page.entries()) {
      if (e.kind() == "gift" || e.kind() == "match") keys->insert(e.key());
    }
    if (!page.more()) return grpc::Status::OK;
    req.set_start(page.next_start());
  }
}

// The settlement entry of `campaign` written with `key`, if any.
std::optional<v1::Entry> SettlementWithKey(Client& c, const std::string& campaign,
                                           const std::string& key) {
  v1::ListEntriesRequest req;
  req.set_campaign(campaign);
  req.set_kind("settlement");
  req.set_limit(1000);
  for (;;) {
    v1::EntryPage page;
    if (!c.stub()->ListEntryPage(c.Ctx().get(), req, &page).ok()) return std::nullopt;
    for (const v1::Entry& e : page.entries()) {
      if (e.key() == key) return e;
    }
    if (!page.more()) return std::nullopt;
    req.set_start(page.next_start());
  }
}

}  // namespace

int Settle(const Global& g, Client& c, const SettleArgs& a) {
  v1::SettleRequest req;
  SettlementFile file;
  std::string sha256 = Lowercase(std::string(StripWhitespace(a.sha256)));
  if (!a.file.empty()) {
    absl::StatusOr<std::string> text = ReadFile(a.file);
    if (!text.ok()) return Fail(text.status());
    const std::string file_sha256 = ledger::HashToHex(ledger::Sha256(*text));
    if (!sha256.empty() && sha256 != file_sha256) {
      return Fail(absl::InvalidArgumentError(
          StrCat("--sha256 ", a.sha256, " is not the SHA-256 of ", a.file, " (", file_sha256,
                 "): is this the file the platform sent? Leave --sha256 out to use the file's")));
    }
    sha256 = file_sha256;
    file = ParseSettlementCsv(*text);
    if (absl::Status s = FromFile(a, file, &req); !s.ok()) return Fail(s);
  } else {
    if (a.campaign.empty() || sha256.empty()) {
      return Fail(absl::InvalidArgumentError(
          "give the platform's settlement FILE (its SHA-256 and totals are used), or --campaign, "
          "--sha256 and --gifts and/or --matching"));
    }
    if (a.gifts.empty() && a.matching.empty()) {
      return Fail(absl::InvalidArgumentError(
          "give the amounts paid out: --gifts (online gifts) and/or --matching (配捐), in yuan"));
    }
    req.set_campaign(a.campaign);
    for (auto [flag, typed] :
         {std::pair{"--gifts", &a.gifts}, std::pair{"--matching", &a.matching}}) {
      if (typed->empty()) continue;
      absl::StatusOr<int64_t> fen = ParseSettledYuan(flag, *typed);
      if (!fen.ok()) return Fail(fen.status());
      if (typed == &a.gifts) {
        req.set_gifts(*fen);
      } else {
        req.set_matching(*fen);
      }
    }
  }
  if (!IsSha256Hex(sha256)) {
    return Fail(absl::InvalidArgumentError(
        StrCat("--sha256 \"", a.sha256,
               "\" is not a SHA-256 (64 hex digits): copy the one boai import printed for the "
               "file, or give the FILE itself")));
  }
  if (req.gifts() + req.matching() <= 0) {
    return Fail(absl::InvalidArgumentError(
        "the settlement pays out nothing: --gifts and --matching are both 0"));
  }
  req.set_file_sha256(sha256);
  req.set_date(a.date.empty() ? TodayCst() : a.date);
  req.set_idempotency_key(a.key.empty() ? StrCat("settle/", req.campaign(), "/", sha256) : a.key);

  // A payout is booked after the rows it pays: every row of the file recorded.
  if (!a.file.empty()) {
    v1::GetCampaignRequest cr;
    cr.set_id(req.campaign());
    v1::Campaign camp;
    if (grpc::Status cs = c.stub()->GetCampaign(c.Ctx().get(), cr, &camp); !cs.ok()) {
      return FailRpc(g, cs);
    }
    std::set<std::string> keys;
    if (grpc::Status rs = RecordedKeys(c, req.campaign(), &keys); !rs.ok()) return FailRpc(g, rs);
    size_t missing = 0;
    const SettlementRow* first = nullptr;
    for (const SettlementRow& r : file.rows) {
      if (r.campaign != req.campaign() || keys.count(ImportKey(r))) continue;
      if (++missing == 1) first = &r;
    }
    if (missing > 0) {
      std::cerr << "boai: FAILED_PRECONDITION: " << missing << " row(s) of " << a.file
                << " for campaign " << req.campaign() << " are not recorded (the first: line "
                << first->line << ", " << first->type << " " << first->transaction_id
                << "); record them first with boai import " << a.file
                << ", then settle; nothing was written\n";
      if (g.json) {
        std::cout << json{{"ok", false},
                          {"code", "FAILED_PRECONDITION"},
                          {"error", "rows not imported"},
                          {"missing_rows", missing},
                          {"first_missing_line", first->line}}
                         .dump(2)
                  << "\n";
      }
      return 1;
    }
  }

  v1::Receipt r;
  grpc::Status s = c.stub()->Settle(c.Ctx().get(), req, &r);
  if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
    if (std::optional<v1::Entry> e = SettlementWithKey(c, req.campaign(), req.idempotency_key())) {
      json b = json::parse(e->body_json(), nullptr, false);
      if (b.is_object()) {
        std::cerr << "boai: this settlement was booked before, as entry #" << e->index() << " of "
                  << b.value("date", "") << ": gifts " << Yuan(b.value("gifts", int64_t{0}))
                  << " + matching " << Yuan(b.value("matching", int64_t{0}))
                  << " yuan, file sha256 " << b.value("file_sha256", "")
                  << "; nothing new was recorded. To see that receipt again, repeat the command "
                     "with --date "
                  << b.value("date", "") << "\n";
      }
    }
    return FailRpc(g, s);
  }
  if (!s.ok()) return FailRpc(g, s);
  absl::StatusOr<std::string> checked =
      VerifyProof(r.index(), r.leaf_hash(), r.inclusion_proof(), r.checkpoint(), g.vkey);
  if (!checked.ok()) return Fail(checked.status());

  // Where the campaign stands now (a read; the write is done either way).
  v1::GetCampaignRequest cr;
  cr.set_id(req.campaign());
  v1::Campaign camp;
  grpc::Status cs = c.stub()->GetCampaign(c.Ctx().get(), cr, &camp);
  const int64_t outstanding = camp.matched() - camp.clawed_back() - camp.settled_matching();
  if (g.json) {
    json j = ReceiptJson(r);
    j["ok"] = true;
    j["verified"] = *checked;
    j["settlement"] = {{"campaign", req.campaign()},
                       {"date", req.date()},
                       {"gifts", req.gifts()},
                       {"matching", req.matching()},
                       {"total", req.gifts() + req.matching()},
                       {"file_sha256", sha256},
                       {"key", req.idempotency_key()}};
    if (!a.file.empty()) j["settlement"]["file"] = a.file;
    if (cs.ok()) {
      j["campaign"] = {{"online_unsettled", camp.online_unsettled()},
                       {"matching_outstanding", outstanding},
                       {"settled_gifts", camp.settled_gifts()},
                       {"settled_matching", camp.settled_matching()}};
    }
    j["unit"] = "fen";
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << (r.duplicate() ? "already recorded " : "recorded ") << r.kind() << " as entry #"
            << r.index() << "\n"
            << "  leaf hash   " << HexEncode(r.leaf_hash()) << "\n"
            << "  checkpoint  tree size " << r.checkpoint().tree_size() << "\n"
            << "  " << *checked << "\n"
            << "platform payout of campaign " << req.campaign() << " on " << req.date() << ", file "
            << (a.file.empty() ? std::string() : a.file + " ") << "sha256 " << sha256 << "\n";
  std::vector<std::vector<std::string>> rows = {
      {"online gifts", Yuan(req.gifts())},
      {"matching (配捐)", Yuan(req.matching())},
      {"into the bank", Yuan(req.gifts() + req.matching())}};
  if (cs.ok()) {
    rows.push_back({"online gifts not yet settled", Yuan(camp.online_unsettled())});
    rows.push_back({"matching not yet settled", Yuan(outstanding)});
  } else {
    std::cerr << "boai: (the campaign's totals could not be read: " << cs.error_message() << ")\n";
  }
  PrintTable(std::cout, {"", "yuan"}, rows, {1});
  return 0;
}

int OpenFund(const Global& g, Client& c, const v1::OpenFundRequest& req) {
  v1::Receipt r;
  grpc::Status s = c.stub()->OpenFund(c.Ctx().get(), req, &r);
  if (!s.ok()) return FailRpc(g, s);
  return PrintReceipt(g, r);
}

int OpenCampaign(const Global& g, Client& c, const v1::OpenCampaignRequest& req) {
  v1::Receipt r;
  grpc::Status s = c.stub()->OpenCampaign(c.Ctx().get(), req, &r);
  if (!s.ok()) return FailRpc(g, s);
  return PrintReceipt(g, r);
}

int Init(const Global& g, Client& c) {
  v1::InitBooksResponse resp;
  grpc::Status s = c.stub()->InitBooks(c.Ctx().get(), v1::InitBooksRequest(), &resp);
  if (!s.ok()) return FailRpc(g, s);
  if (g.json) {
    std::cout << json{{"ok", true}, {"opened", resp.opened()}, {"accounts", resp.accounts()}}.dump(
                     2)
              << "\n";
  } else {
    std::cout << "opened " << resp.opened() << " accounts; the chart has " << resp.accounts()
              << "\n";
  }
  return 0;
}

int AddUser(const Global& g, Client& c, const std::string& name, const std::string& role,
            bool replace) {
  static const std::map<std::string, v1::Role> kRoles = {{"public", v1::ROLE_PUBLIC},
                                                         {"auditor", v1::ROLE_AUDITOR},
                                                         {"clerk", v1::ROLE_CLERK},
                                                         {"approver", v1::ROLE_APPROVER},
                                                         {"admin", v1::ROLE_ADMIN}};
  auto it = kRoles.find(role);
  if (it == kRoles.end()) {
    return Fail(absl::InvalidArgumentError(
        StrCat("--role ", role, " is not one of public, auditor, clerk, approver, admin")));
  }
  v1::AddUserRequest req;
  req.set_name(name);
  req.set_role(it->second);
  req.set_replace(replace);
  v1::AddUserResponse resp;
  grpc::Status s = c.stub()->AddUser(c.Ctx().get(), req, &resp);
  if (!s.ok()) return FailRpc(g, s);
  if (g.json) {
    std::cout << json{{"name", resp.name()}, {"role", role}, {"token", resp.token()}}.dump(2)
              << "\n";
  } else {
    std::cout << resp.token() << "\n";
    std::cerr << "boai: user " << resp.name() << " (" << role << ") "
              << (replace ? "has a new token (the old one no longer works)" : "created")
              << "; the token above is shown once: give it to them, e.g. in a file for "
                 "--token-file\n";
  }
  return 0;
}

}  // namespace boai::cli
