// Write verbs of boai: gift, pay, reverse, void, open-fund, init, add-user.
#include <iostream>
#include <map>

#include "ledger/hash.h"
#include "ledger/strings.h"
#include "tools/boai/common.h"

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

int PayDecide(const Global& g, Client& c, const PayArgs& a, bool approve) {
  v1::Receipt r;
  grpc::Status s;
  std::string date = a.date.empty() ? TodayCst() : a.date;
  if (approve) {
    v1::ApprovePaymentRequest req;
    req.set_idempotency_key(a.key.empty() ? StrCat("approve/", a.request) : a.key);
    req.set_date(date);
    req.set_request(a.request);
    s = c.stub()->ApprovePayment(c.Ctx().get(), req, &r);
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

int OpenFund(const Global& g, Client& c, const v1::OpenFundRequest& req) {
  v1::Receipt r;
  grpc::Status s = c.stub()->OpenFund(c.Ctx().get(), req, &r);
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
    std::cerr << "boai: user " << resp.name() << " (" << role
              << ") created; the token above is shown once: give it to them, e.g. in a file for "
                 "--token-file\n";
  }
  return 0;
}

}  // namespace boai::cli
