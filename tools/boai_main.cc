// boai: the finance staff's command line.
//
//   boai [--target HOST:PORT] [--token-file FILE | --token T] [--json] <verb> ...
//
// Verbs through the server (boaid):
//   gift            record a gift (cash, bank, online or in kind)
//   pay request     request a payment;  pay approve / pay reject  decide one
//   reverse         reverse an earlier entry;  void  void a receipt number
//   open-fund       open a fund (admin);  init  open the standard chart (admin)
//   balances        fund and account balances;  campaign  a campaign's progress
//   entry           one entry's leaf;  checkpoint  the signed checkpoint
//   prove           an entry's inclusion proof, verified here against the checkpoint
//   add-user        create a user and print their token (admin)
//   health          the server's gRPC health status
//   demo            load the 2019 demo dataset through the server (admin token)
// Local:
//   demo --data DIR load the demo dataset into a local ledger (no server)
//
// Amounts are yuan with at most two decimals ("1234.5" = 123450 fen), parsed
// exactly. Output is a readable table by default, JSON with --json. Every write
// prints its receipt after checking its inclusion proof against the checkpoint
// (and the checkpoint's signature, with --vkey).
// Exit status: 0 done, 1 refused or failed, 2 bad usage or input.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "CLI/CLI.hpp"
#include "boai/v1/ledger.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "ledger/books/books.h"
#include "ledger/books/books_hook.h"
#include "ledger/books/clerk.h"
#include "ledger/books/demo.h"
#include "ledger/books/personal.h"
#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"

namespace boai::cli {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------
// Money and text
// ---------------------------------------------------------------------------

// "1234", "1234.5", "1,234.56" yuan -> fen, exactly. No sign, at most 2 decimals.
absl::StatusOr<int64_t> ParseYuan(std::string_view s) {
  auto bad = [s](std::string_view why) {
    return absl::InvalidArgumentError(
        StrCat("amount \"", s, "\" ", why, "; write yuan with at most 2 decimals, e.g. 1234.50"));
  };
  s = StripWhitespace(s);
  if (s.empty()) return bad("is empty");
  int64_t yuan = 0, fen = 0;
  size_t i = 0;
  int digits = 0;
  for (; i < s.size() && s[i] != '.'; ++i) {
    if (s[i] == ',') continue;
    if (s[i] < '0' || s[i] > '9') return bad("is not a number");
    if (yuan > (INT64_MAX / 100 - 9) / 10) return bad("is too large");
    yuan = yuan * 10 + (s[i] - '0');
    ++digits;
  }
  if (digits == 0) return bad("has no whole yuan");
  if (i < s.size()) {
    std::string_view dec = s.substr(i + 1);
    if (dec.empty() || dec.size() > 2)
      return bad(dec.empty() ? "ends in a point" : "has more than 2 decimals");
    for (char c : dec) {
      if (c < '0' || c > '9') return bad("is not a number");
    }
    fen = (dec[0] - '0') * 10 + (dec.size() == 2 ? dec[1] - '0' : 0);
  }
  int64_t total = yuan * 100 + fen;
  if (total <= 0) return bad("must be more than 0");
  return total;
}

// fen -> "1,234.56"
std::string Yuan(int64_t fen) {
  bool neg = fen < 0;
  uint64_t v = neg ? static_cast<uint64_t>(-(fen + 1)) + 1 : static_cast<uint64_t>(fen);
  std::string whole = std::to_string(v / 100);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ',';
    grouped += whole[i];
  }
  char dec[4];
  std::snprintf(dec, sizeof(dec), ".%02u", static_cast<unsigned>(v % 100));
  return StrCat(neg ? "-" : "", grouped, dec);
}

// Terminal columns of UTF-8 text: CJK and other wide characters take two.
size_t DisplayWidth(std::string_view s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    uint32_t cp = c;
    if (len > 1 && i + len <= s.size()) {
      cp = c & (0xFF >> (len + 1));
      for (size_t k = 1; k < len; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    w += (cp >= 0x1100 && (cp <= 0x115F || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                           (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                           (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD)))
             ? 2
             : 1;
    i += len;
  }
  return w;
}

// A plain-text table; columns listed in `right` are right-aligned (numbers).
void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows,
                const std::set<size_t>& right = {}) {
  std::vector<size_t> width(header.size(), 0);
  for (size_t c = 0; c < header.size(); ++c) width[c] = DisplayWidth(header[c]);
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], DisplayWidth(r[c]));
  }
  auto line = [&](const std::vector<std::string>& r) {
    std::string s;
    for (size_t c = 0; c < width.size(); ++c) {
      std::string cell = c < r.size() ? r[c] : "";
      std::string pad(width[c] - DisplayWidth(cell), ' ');
      if (c > 0) s += "  ";
      s += right.count(c) ? pad + cell : (c + 1 == width.size() ? cell : cell + pad);
    }
    out << s << "\n";
  };
  line(header);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& r : rows) line(r);
}

std::string TodayCst() {
  uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  return books::DateOf(now);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---------------------------------------------------------------------------
// Talking to boaid
// ---------------------------------------------------------------------------

struct Global {
  std::string target = "127.0.0.1:50051";
  std::string token_file, token, tls_ca, vkey;
  bool tls = false;
  bool json = false;
};

class Client {
 public:
  explicit Client(const Global& g) : g_(g) {}

  absl::Status Connect() {
    std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
    if (g_.tls || !g_.tls_ca.empty()) {
      grpc::SslCredentialsOptions ssl;
      if (!g_.tls_ca.empty()) {
        absl::StatusOr<std::string> ca = ReadFile(g_.tls_ca);
        if (!ca.ok()) return ca.status();
        ssl.pem_root_certs = *ca;
      }
      creds = grpc::SslCredentials(ssl);
    }
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(256 << 20);
    channel_ = grpc::CreateCustomChannel(g_.target, creds, args);
    stub_ = v1::Ledger::NewStub(channel_);
    token_ = g_.token;
    if (token_.empty() && !g_.token_file.empty()) {
      absl::StatusOr<std::string> t = ReadFile(g_.token_file);
      if (!t.ok()) return t.status();
      token_ = std::string(StripWhitespace(*t));
    }
    return absl::OkStatus();
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token = "") const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    const std::string& t = token.empty() ? token_ : token;
    if (!t.empty()) ctx->AddMetadata("authorization", "Bearer " + t);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return ctx;
  }

  v1::Ledger::Stub* stub() const { return stub_.get(); }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const std::string& token() const { return token_; }

 private:
  const Global& g_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Ledger::Stub> stub_;
  std::string token_;
};

std::string_view CodeName(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    default:
      return "ERROR";
  }
}

int FailRpc(const Global& g, const grpc::Status& s) {
  if (g.json) {
    std::cout << json{{"ok", false},
                      {"code", CodeName(s.error_code())},
                      {"error", s.error_message()}}
                     .dump(2)
              << "\n";
  }
  std::cerr << "boai: " << CodeName(s.error_code()) << ": " << s.error_message();
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE)
    std::cerr << " (is boaid running at " << g.target << "?)";
  std::cerr << "\n";
  return s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? 2 : 1;
}

int Fail(const absl::Status& s) {
  std::cerr << "boai: " << ToStd(s.message()) << "\n";
  return s.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

absl::StatusOr<ledger::Hash> HashOf(const std::string& raw) { return ledger::HashFromBytes(raw); }

// Checks an inclusion proof against its signed checkpoint: the root, and the
// signature when a verifier key is pinned. Returns what was checked.
absl::StatusOr<std::string> VerifyProof(
    uint64_t index, const std::string& leaf_hash,
    const google::protobuf::RepeatedPtrField<std::string>& hashes, const v1::SignedCheckpoint& cp,
    const std::string& vkey) {
  absl::StatusOr<ledger::Note> note = ledger::ParseNote(cp.note());
  if (!note.ok()) return note.status();
  absl::StatusOr<ledger::Checkpoint> body = ledger::ParseCheckpointBody(note->text);
  if (!body.ok()) return body.status();
  std::vector<ledger::Hash> path;
  for (const std::string& h : hashes) {
    absl::StatusOr<ledger::Hash> x = HashOf(h);
    if (!x.ok()) return x.status();
    path.push_back(*x);
  }
  absl::StatusOr<ledger::Hash> leaf = HashOf(leaf_hash);
  if (!leaf.ok()) return leaf.status();
  absl::Status inc = ledger::VerifyInclusion(*leaf, index, body->size, path, body->root);
  if (!inc.ok())
    return absl::DataLossError(
        StrCat("the inclusion proof does not verify: ", ToStd(inc.message())));
  if (vkey.empty())
    return std::string(
        "inclusion proof verified against the checkpoint root (signature not checked: pass "
        "--vkey)");
  absl::StatusOr<ledger::NoteVerifier> v = ledger::NoteVerifier::FromVerifierKey(vkey);
  if (!v.ok()) return v.status();
  absl::Status sig = ledger::VerifyNote(*note, *v);
  if (!sig.ok())
    return absl::DataLossError(
        StrCat("the checkpoint is not signed by ", vkey, ": ", ToStd(sig.message())));
  return std::string("inclusion proof and checkpoint signature verified");
}

json ReceiptJson(const v1::Receipt& r) {
  json j = {{"index", r.index()},
            {"kind", r.kind()},
            {"leaf_hash", HexEncode(r.leaf_hash())},
            {"duplicate", r.duplicate()},
            {"tree_size", r.checkpoint().tree_size()},
            {"checkpoint", r.checkpoint().note()},
            {"tlog_proof", r.tlog_proof()}};
  if (!r.person_id().empty()) j["person_id"] = r.person_id();
  return j;
}

// Prints a write's receipt after verifying it.
int PrintReceipt(const Global& g, const v1::Receipt& r) {
  absl::StatusOr<std::string> checked =
      VerifyProof(r.index(), r.leaf_hash(), r.inclusion_proof(), r.checkpoint(), g.vkey);
  if (!checked.ok()) return Fail(checked.status());
  if (g.json) {
    json j = ReceiptJson(r);
    j["ok"] = true;
    j["verified"] = *checked;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << (r.duplicate() ? "already recorded " : "recorded ") << r.kind() << " as entry #"
            << r.index() << "\n"
            << "  leaf hash   " << HexEncode(r.leaf_hash()) << "\n"
            << "  checkpoint  tree size " << r.checkpoint().tree_size() << "\n";
  if (!r.person_id().empty()) std::cout << "  person      " << r.person_id() << "\n";
  std::cout << "  " << *checked << "\n";
  return 0;
}

// ---------------------------------------------------------------------------
// Verbs
// ---------------------------------------------------------------------------

struct GiftArgs {
  std::string amount, fund, channel = "cash", date, income = "donation", campaign, key;
  std::string name, phone, id_number, address, display;
  bool anonymous = false;
  std::string receipt_book, no_receipt;
  int64_t receipt_number = 0;
  std::string description, unit, valuation = "document", evidence;
  int64_t quantity = 0;
};

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

struct PayArgs {
  std::string fund, amount, purpose, method = "bank", expires, date, key;
  std::string payee_name, payee_phone, payee_id, payee_address, payee_hospital, payee_label;
  std::string programme, tier;
  int64_t age = 0;
  bool transplant = false;
  uint64_t request = 0;
  std::string reason;
};

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

int Balances(const Global& g, Client& c, const std::string& fund) {
  v1::GetBalancesRequest req;
  req.set_fund(fund);
  v1::GetBalancesResponse resp;
  grpc::Status s = c.stub()->GetBalances(c.Ctx().get(), req, &resp);
  if (!s.ok()) return FailRpc(g, s);
  if (g.json) {
    json funds = json::array(), balances = json::array();
    for (const auto& f : resp.funds()) {
      funds.push_back({{"id", f.id()},
                       {"name", f.name()},
                       {"restricted", f.restricted()},
                       {"net", f.net()},
                       {"reserved", f.reserved()},
                       {"voidable", f.voidable()},
                       {"available", f.available()}});
    }
    for (const auto& b : resp.balances()) {
      balances.push_back({{"account", b.account()},
                          {"account_name", b.account_name()},
                          {"fund", b.fund()},
                          {"amount", b.amount()}});
    }
    std::cout << json{{"tree_size", resp.tree_size()},
                      {"funds", funds},
                      {"balances", balances},
                      {"unit", "fen"}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  int64_t net = 0, reserved = 0, voidable = 0, available = 0;
  for (const auto& f : resp.funds()) {
    rows.push_back({f.id(), f.name(), f.restricted() ? "restricted" : "", Yuan(f.net()),
                    Yuan(f.reserved()), Yuan(f.voidable()), Yuan(f.available())});
    net += f.net();
    reserved += f.reserved();
    voidable += f.voidable();
    available += f.available();
  }
  if (resp.funds_size() > 1)
    rows.push_back({"total", "", "", Yuan(net), Yuan(reserved), Yuan(voidable), Yuan(available)});
  std::cout << "Funds (yuan), log size " << resp.tree_size() << "\n";
  PrintTable(std::cout, {"fund", "name", "", "net assets", "reserved", "voidable", "available"},
             rows, {3, 4, 5, 6});
  rows.clear();
  for (const auto& b : resp.balances()) {
    rows.push_back({b.account(), b.account_name(), b.fund(), Yuan(b.amount())});
  }
  std::cout << "\nAccount balances (yuan; debit +, credit -)\n";
  PrintTable(std::cout, {"account", "name", "fund", "balance"}, rows, {3});
  return 0;
}

int Campaign(const Global& g, Client& c, const std::string& id) {
  v1::GetCampaignRequest req;
  req.set_id(id);
  v1::Campaign r;
  grpc::Status s = c.stub()->GetCampaign(c.Ctx().get(), req, &r);
  if (!s.ok()) return FailRpc(g, s);
  if (g.json) {
    std::cout << json{{"id", r.id()},
                      {"name", r.name()},
                      {"fund", r.fund()},
                      {"platform", r.platform()},
                      {"start", r.start()},
                      {"end", r.end()},
                      {"target", r.target()},
                      {"raised", r.raised()},
                      {"gifts", r.gifts()},
                      {"online_unsettled", r.online_unsettled()},
                      {"matched", r.matched()},
                      {"clawed_back", r.clawed_back()},
                      {"settled_gifts", r.settled_gifts()},
                      {"settled_matching", r.settled_matching()},
                      {"progress", r.progress()},
                      {"unit", "fen"}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << r.name() << " (" << r.id() << "), " << r.platform() << ", " << r.start() << " to "
            << r.end() << ", fund " << r.fund() << "\n";
  int pct = r.target() > 0 ? static_cast<int>(r.progress() * 100 / r.target()) : 0;
  PrintTable(std::cout, {"", "yuan"},
             {{"target", Yuan(r.target())},
              {"raised (" + std::to_string(r.gifts()) + " gifts)", Yuan(r.raised())},
              {"matching", Yuan(r.matched())},
              {"clawed back", Yuan(-r.clawed_back())},
              {"progress (" + std::to_string(pct) + "%)", Yuan(r.progress())},
              {"online gifts not yet settled", Yuan(r.online_unsettled())},
              {"settled: gifts", Yuan(r.settled_gifts())},
              {"settled: matching", Yuan(r.settled_matching())}},
             {1});
  return 0;
}

int Entry(const Global& g, Client& c, uint64_t index) {
  v1::GetEntryRequest req;
  req.set_index(index);
  v1::Entry e;
  grpc::Status s = c.stub()->GetEntry(c.Ctx().get(), req, &e);
  if (!s.ok()) return FailRpc(g, s);
  if (g.json) {
    json body = json::parse(e.body_json(), nullptr, false);
    std::cout << json{{"index", e.index()},     {"kind", e.kind()},
                      {"key", e.key()},         {"by", e.by()},
                      {"time_ms", e.time_ms()}, {"leaf_hash", HexEncode(e.leaf_hash())},
                      {"body", body},           {"leaf", e.leaf()}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << "entry #" << e.index() << "  " << e.kind() << "  key " << e.key() << "  by "
            << e.by() << "\n"
            << "leaf hash " << HexEncode(e.leaf_hash()) << "\n"
            << e.leaf() << "\n";
  return 0;
}

int Checkpoint(const Global& g, Client& c, uint64_t size) {
  v1::GetCheckpointRequest req;
  req.set_tree_size(size);
  v1::GetCheckpointResponse resp;
  grpc::Status s = c.stub()->GetCheckpoint(c.Ctx().get(), req, &resp);
  if (!s.ok()) return FailRpc(g, s);
  if (!g.vkey.empty()) {
    absl::StatusOr<ledger::NoteVerifier> v = ledger::NoteVerifier::FromVerifierKey(g.vkey);
    if (!v.ok()) return Fail(v.status());
    absl::StatusOr<ledger::Note> note = ledger::ParseNote(resp.checkpoint().note());
    if (!note.ok()) return Fail(note.status());
    if (absl::Status sig = ledger::VerifyNote(*note, *v); !sig.ok()) {
      return Fail(absl::DataLossError(StrCat("the checkpoint is not signed by ", g.vkey)));
    }
  }
  if (g.json) {
    std::cout << json{{"tree_size", resp.checkpoint().tree_size()},
                      {"root_hash", HexEncode(resp.checkpoint().root_hash())},
                      {"note", resp.checkpoint().note()},
                      {"verifier_key", resp.verifier_key()},
                      {"signature_checked", !g.vkey.empty()}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << resp.checkpoint().note();
  return 0;
}

int Prove(const Global& g, Client& c, uint64_t index, uint64_t size) {
  v1::GetInclusionProofRequest req;
  req.set_index(index);
  req.set_tree_size(size);
  v1::GetInclusionProofResponse resp;
  grpc::Status s = c.stub()->GetInclusionProof(c.Ctx().get(), req, &resp);
  if (!s.ok()) return FailRpc(g, s);
  if (!resp.has_checkpoint()) {
    return Fail(
        absl::NotFoundError(StrCat("no checkpoint was signed at tree size ", resp.tree_size(),
                                   "; omit --size to prove against the latest")));
  }
  absl::StatusOr<std::string> checked =
      VerifyProof(index, resp.leaf_hash(), resp.hashes(), resp.checkpoint(), g.vkey);
  if (!checked.ok()) return Fail(checked.status());
  if (g.json) {
    std::cout << json{{"index", index},
                      {"tree_size", resp.tree_size()},
                      {"leaf_hash", HexEncode(resp.leaf_hash())},
                      {"tlog_proof", resp.tlog_proof()},
                      {"verified", *checked}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << resp.tlog_proof();
  std::cerr << "boai: entry " << index << ": " << *checked << "\n";
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

int Health(const Global& g, Client& c) {
  auto stub = grpc::health::v1::Health::NewStub(c.channel());
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status s = stub->Check(&ctx, req, &resp);
  if (!s.ok()) return FailRpc(g, s);
  std::string status = grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status());
  if (g.json) {
    std::cout << json{{"status", status}}.dump(2) << "\n";
  } else {
    std::cout << status << "\n";
  }
  return resp.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}

// ---------------------------------------------------------------------------
// demo: locally, or through the server
// ---------------------------------------------------------------------------

int DemoLocal(const std::string& dir, const std::string& origin, bool quiet) {
  books::BooksHook hook;
  ledger::LedgerOptions o;
  o.origin = origin;
  o.hook = &hook;
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> log = ledger::Ledger::Open(dir, o);
  if (!log.ok()) return Fail(log.status());
  books::PersonalStore people((*log)->storage());
  books::Clerk clerk(log->get(), &hook);
  std::ostringstream steps;
  absl::Status s = books::LoadDemo(clerk, people, quiet ? steps : std::cout);
  if (!s.ok()) return Fail(s);
  std::cout << "demo: the 2019 dataset is in " << dir << " (" << (*log)->Size()
            << " entries); the latest checkpoint:\n"
            << (*log)->LatestCheckpoint();
  return 0;
}

v1::PersonalData ToProto(const books::PersonalData& p) {
  v1::PersonalData d;
  d.set_name(p.name);
  d.set_phone(p.phone);
  d.set_id_number(p.id_number);
  d.set_address(p.address);
  d.set_hospital(p.hospital);
  return d;
}

// One demo operation as the RPC that records it. `index_of` maps the keys of
// earlier operations to their entries.
grpc::Status SendDemoOp(Client& c, const std::string& token, const books::DemoOp& op,
                        const std::map<std::string, uint64_t>& index_of, v1::Receipt* r) {
  auto ctx = c.Ctx(token);
  auto ref = [&]() -> std::optional<uint64_t> {
    auto it = index_of.find(op.ref_key);
    if (it == index_of.end()) return std::nullopt;
    return it->second;
  };
  if (const auto* f = std::get_if<books::FundOpen>(&op.body)) {
    v1::OpenFundRequest req;
    req.set_idempotency_key(op.key);
    req.set_id(f->id);
    req.set_name(f->name);
    req.set_purpose(f->purpose);
    req.set_restricted(f->restricted);
    return c.stub()->OpenFund(ctx.get(), req, r);
  }
  if (const auto* p = std::get_if<books::ProgrammeRules>(&op.body)) {
    v1::SetProgrammeRulesRequest req;
    req.set_idempotency_key(op.key);
    req.set_programme(p->programme);
    req.set_name(p->name);
    req.set_fund(p->fund);
    req.set_effective_from(p->effective_from);
    req.set_version(p->version);
    req.set_age_min(p->age_min);
    req.set_age_max(p->age_max);
    req.set_max_total(p->max_total);
    for (const books::Tier& t : p->tiers) {
      v1::Tier* x = req.add_tiers();
      x->set_id(t.id);
      x->set_amount(t.amount);
      x->set_requires_tier(t.requires_tier);
      x->set_requires_transplant(t.requires_transplant);
    }
    return c.stub()->SetProgrammeRules(ctx.get(), req, r);
  }
  if (const auto* cp = std::get_if<books::CampaignOpen>(&op.body)) {
    v1::OpenCampaignRequest req;
    req.set_idempotency_key(op.key);
    req.set_id(cp->id);
    req.set_name(cp->name);
    req.set_fund(cp->fund);
    req.set_platform(cp->platform);
    req.set_start(cp->start);
    req.set_end(cp->end);
    req.set_target(cp->target);
    return c.stub()->OpenCampaign(ctx.get(), req, r);
  }
  if (const auto* g = std::get_if<books::Gift>(&op.body)) {
    v1::RecordGiftRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(g->date);
    req.set_channel(g->channel);
    req.set_income(g->income);
    req.set_fund(g->fund);
    req.set_campaign(g->campaign);
    req.set_amount(g->amount);
    if (op.person.has_value()) *req.mutable_donor() = ToProto(*op.person);
    if (g->donor.display == "爱心人士") {
      req.set_display(v1::DONOR_DISPLAY_ANONYMOUS);
    } else if (op.person.has_value() && !g->donor.display.empty() &&
               g->donor.display.back() == '*') {
      req.set_display(v1::DONOR_DISPLAY_MASKED_NAME);
    } else {
      req.set_display(v1::DONOR_DISPLAY_AS_GIVEN);
      req.set_display_name(g->donor.display);
    }
    req.set_receipt_book(g->receipt_book);
    req.set_receipt_number(g->receipt_number);
    req.set_no_receipt(g->no_receipt);
    if (g->in_kind.has_value()) {
      v1::InKind* k = req.mutable_in_kind();
      k->set_description(g->in_kind->description);
      k->set_quantity(g->in_kind->quantity);
      k->set_unit(g->in_kind->unit);
      k->set_method(g->in_kind->method);
      k->set_evidence_sha256(g->in_kind->evidence_sha256);
    }
    return c.stub()->RecordGift(ctx.get(), req, r);
  }
  if (const auto* m = std::get_if<books::Match>(&op.body)) {
    v1::RecordMatchRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(m->date);
    req.set_campaign(m->campaign);
    req.set_platform_ref(m->platform_ref);
    req.set_amount(m->amount);
    return c.stub()->RecordMatch(ctx.get(), req, r);
  }
  if (const auto* cb = std::get_if<books::Clawback>(&op.body)) {
    v1::ClawbackRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(cb->date);
    req.set_campaign(cb->campaign);
    req.set_amount(cb->amount);
    req.set_reason(cb->reason);
    return c.stub()->Clawback(ctx.get(), req, r);
  }
  if (const auto* st = std::get_if<books::Settlement>(&op.body)) {
    v1::SettleRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(st->date);
    req.set_campaign(st->campaign);
    req.set_gifts(st->gifts);
    req.set_matching(st->matching);
    req.set_file_sha256(st->file_sha256);
    return c.stub()->Settle(ctx.get(), req, r);
  }
  if (const auto* p = std::get_if<books::PaymentRequest>(&op.body)) {
    v1::RequestPaymentRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(p->date);
    req.set_fund(p->fund);
    req.set_amount(p->amount);
    req.set_purpose(p->purpose);
    req.set_method(p->method);
    req.set_expires(p->expires);
    if (op.person.has_value()) {
      *req.mutable_payee() = ToProto(*op.person);
    } else {
      req.set_payee_label(p->payee);
    }
    if (p->grant.has_value()) {
      v1::Grant* gr = req.mutable_grant();
      gr->set_programme(p->grant->programme);
      gr->set_tier(p->grant->tier);
      gr->set_age(p->grant->age);
      gr->set_transplant(p->grant->transplant);
    }
    return c.stub()->RequestPayment(ctx.get(), req, r);
  }
  if (const auto* d = std::get_if<books::PaymentDecision>(&op.body)) {
    std::optional<uint64_t> request = ref();
    if (!request.has_value()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          StrCat(op.key, " names ", op.ref_key, ", not recorded"));
    }
    if (op.kind == "payment.approve") {
      v1::ApprovePaymentRequest req;
      req.set_idempotency_key(op.key);
      req.set_date(d->date);
      req.set_request(*request);
      return c.stub()->ApprovePayment(ctx.get(), req, r);
    }
    v1::RejectPaymentRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(d->date);
    req.set_request(*request);
    req.set_reason(d->reason);
    return c.stub()->RejectPayment(ctx.get(), req, r);
  }
  if (const auto* v = std::get_if<books::Reversal>(&op.body)) {
    std::optional<uint64_t> target = ref();
    if (!target.has_value()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          StrCat(op.key, " names ", op.ref_key, ", not recorded"));
    }
    v1::ReverseRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(v->date);
    req.set_reverses(*target);
    req.set_reason(v->reason);
    return c.stub()->Reverse(ctx.get(), req, r);
  }
  if (const auto* rv = std::get_if<books::ReceiptVoid>(&op.body)) {
    v1::VoidReceiptRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(rv->date);
    req.set_book(rv->book);
    req.set_number(rv->number);
    req.set_reason(rv->reason);
    return c.stub()->VoidReceipt(ctx.get(), req, r);
  }
  if (const auto* rl = std::get_if<books::Release>(&op.body)) {
    v1::ReleaseFundRequest req;
    req.set_idempotency_key(op.key);
    req.set_date(rl->date);
    req.set_from(rl->from);
    req.set_to(rl->to);
    req.set_amount(rl->amount);
    req.set_reason(rl->reason);
    return c.stub()->ReleaseFund(ctx.get(), req, r);
  }
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, StrCat("demo: no RPC for ", op.kind));
}

int DemoRemote(const Global& g, Client& c, bool quiet) {
  if (c.token().empty()) {
    return Fail(absl::InvalidArgumentError(
        "demo through the server needs an admin token: --token-file DATA/credentials/admin.token"));
  }
  // The chart, then the dataset's staff: a clerk and an approver (two people, as
  // payments need). Their tokens are reissued on every run: they are demo users.
  v1::InitBooksResponse init;
  grpc::Status s = c.stub()->InitBooks(c.Ctx().get(), v1::InitBooksRequest(), &init);
  if (!s.ok()) return FailRpc(g, s);
  std::map<std::string, std::string> tokens;
  for (auto [name, role] :
       {std::pair{"clerk.wang", v1::ROLE_CLERK}, std::pair{"approver.li", v1::ROLE_APPROVER}}) {
    v1::AddUserRequest req;
    req.set_name(name);
    req.set_role(role);
    req.set_replace(true);
    v1::AddUserResponse resp;
    s = c.stub()->AddUser(c.Ctx().get(), req, &resp);
    if (!s.ok()) return FailRpc(g, s);
    tokens[name] = resp.token();
  }
  std::map<std::string, uint64_t> index_of;
  int recorded = 0, present = 0, refused = 0;
  v1::Receipt last;
  for (const books::DemoOp& op : books::DemoDataset()) {
    if (op.kind == "account.open") continue;  // InitBooks opened the chart
    auto t = tokens.find(op.by);
    const std::string& token = t == tokens.end() ? c.token() : t->second;
    v1::Receipt r;
    s = SendDemoOp(c, token, op, index_of, &r);
    if (op.expect_rejection) {
      if (s.ok()) {
        return Fail(absl::InternalError(StrCat("demo: ", op.key, " should have been refused")));
      }
      ++refused;
      if (!quiet && !g.json)
        std::cout << "refused   " << op.kind << " " << op.key << ": " << s.error_message() << "\n";
      continue;
    }
    if (!s.ok()) {
      std::cerr << "boai: demo step " << op.key << " (" << op.kind << ")\n";
      return FailRpc(g, s);
    }
    absl::StatusOr<std::string> checked =
        VerifyProof(r.index(), r.leaf_hash(), r.inclusion_proof(), r.checkpoint(), g.vkey);
    if (!checked.ok()) return Fail(checked.status());
    index_of[op.key] = r.index();
    (r.duplicate() ? present : recorded)++;
    if (!quiet && !g.json) {
      std::cout << (r.duplicate() ? "present   #" : "recorded  #") << r.index() << " " << op.kind
                << " " << op.key << "\n";
    }
    last = r;
  }
  v1::GetCheckpointResponse cp;
  s = c.stub()->GetCheckpoint(c.Ctx().get(), v1::GetCheckpointRequest(), &cp);
  if (!s.ok()) return FailRpc(g, s);
  if (g.json) {
    std::cout << json{{"ok", true},
                      {"recorded", recorded},
                      {"present", present},
                      {"refused", refused},
                      {"accounts_opened", init.opened()},
                      {"tree_size", cp.checkpoint().tree_size()},
                      {"checkpoint", cp.checkpoint().note()}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "demo: the 2019 dataset is loaded through " << g.target << " (" << recorded
              << " recorded, " << present << " already present, " << refused
              << " refused as expected; " << cp.checkpoint().tree_size()
              << " entries); the latest checkpoint:\n"
              << cp.checkpoint().note();
  }
  return 0;
}

// ---------------------------------------------------------------------------

int Main(int argc, char** argv) {
  CLI::App app{"boai: record gifts and payments in a Boai ledger (through boaid)"};
  app.require_subcommand(1);
  app.fallthrough();
  Global g;
  CLI::Option* target_opt =
      app.add_option("--target", g.target, "boaid address HOST:PORT")->capture_default_str();
  app.add_option("--token-file", g.token_file, "file holding your bearer token");
  app.add_option("--token", g.token,
                 "bearer token (prefer --token-file: a command line is visible to others)");
  app.add_flag("--tls", g.tls, "connect with TLS (system root certificates)");
  app.add_option("--tls-ca", g.tls_ca, "connect with TLS, trusting this PEM CA certificate");
  app.add_option("--vkey", g.vkey,
                 "the log's verifier key, pinned: checkpoints must be signed by it");
  app.add_flag("--json", g.json, "JSON output");

  // gift
  CLI::App* gift = app.add_subcommand("gift", "record a gift");
  GiftArgs ga;
  gift->add_option("--amount", ga.amount, "yuan, at most 2 decimals, e.g. 1234.50")->required();
  gift->add_option("--fund", ga.fund, "fund id, e.g. fund.unrestricted")->required();
  gift->add_option("--channel", ga.channel, "cash, bank, online or in_kind")->capture_default_str();
  gift->add_option("--date", ga.date, "business date YYYY-MM-DD [today, China Standard Time]");
  gift->add_option("--income", ga.income, "donation or grant")->capture_default_str();
  gift->add_option("--campaign", ga.campaign, "campaign id");
  gift->add_option("--key", ga.key, "idempotency key [BOOK-NUMBER of the receipt]");
  gift->add_option("--name", ga.name, "donor's name (stored off the log)");
  gift->add_option("--phone", ga.phone, "donor's phone (stored off the log)");
  gift->add_option("--id-number", ga.id_number,
                   "donor's identity document number (stored off the log)");
  gift->add_option("--address", ga.address, "donor's address (stored off the log)");
  gift->add_flag("--anonymous", ga.anonymous, "show the donor as 爱心人士");
  gift->add_option("--display", ga.display, "show the donor exactly so (organisations)");
  gift->add_option("--receipt-book", ga.receipt_book, "official receipt book");
  gift->add_option("--receipt-number", ga.receipt_number, "official receipt number");
  gift->add_option("--no-receipt", ga.no_receipt,
                   "why no receipt: anonymous, declined or not_a_donation");
  gift->add_option("--description", ga.description, "in kind: what the goods are");
  gift->add_option("--quantity", ga.quantity, "in kind: how many units");
  gift->add_option("--unit", ga.unit, "in kind: the unit");
  gift->add_option("--valuation", ga.valuation, "in kind: document or fair_value")
      ->capture_default_str();
  gift->add_option("--evidence", ga.evidence,
                   "in kind: the valuation evidence file (its SHA-256 is recorded)");

  // pay request|approve|reject
  CLI::App* pay = app.add_subcommand("pay", "request, approve or reject a payment");
  pay->require_subcommand(1);
  PayArgs pa;
  CLI::App* pay_req = pay->add_subcommand("request", "request a payment (reserves the money)");
  pay_req->add_option("--fund", pa.fund, "fund paying")->required();
  pay_req->add_option("--amount", pa.amount, "yuan, at most 2 decimals")->required();
  pay_req->add_option("--purpose", pa.purpose, "what it is for")->required();
  pay_req->add_option("--method", pa.method, "bank, cash or goods")->capture_default_str();
  pay_req->add_option("--key", pa.key, "idempotency key, e.g. the voucher number")->required();
  pay_req->add_option("--date", pa.date, "business date [today]");
  pay_req->add_option("--expires", pa.expires, "last day it may be approved [31 December]");
  pay_req->add_option("--payee-name", pa.payee_name, "payee's name (stored off the log)");
  pay_req->add_option("--payee-phone", pa.payee_phone, "payee's phone (stored off the log)");
  pay_req->add_option("--payee-id-number", pa.payee_id,
                      "payee's identity number (stored off the log)");
  pay_req->add_option("--payee-address", pa.payee_address, "payee's address (stored off the log)");
  pay_req->add_option("--payee-hospital", pa.payee_hospital,
                      "child beneficiary's hospital (stored off the log)");
  pay_req->add_option("--payee-label", pa.payee_label,
                      "non-personal payee label, e.g. supplier-2024-03");
  pay_req->add_option("--programme", pa.programme, "programme grant: programme id");
  pay_req->add_option("--tier", pa.tier, "programme grant: tier");
  pay_req->add_option("--age", pa.age, "programme grant: beneficiary's age");
  pay_req->add_flag("--transplant", pa.transplant, "programme grant: after a completed transplant");
  CLI::App* pay_ok = pay->add_subcommand("approve", "approve a pending request (not your own)");
  pay_ok->add_option("--request", pa.request, "index of the payment.request entry")->required();
  pay_ok->add_option("--key", pa.key, "idempotency key [approve/N]");
  pay_ok->add_option("--date", pa.date, "business date [today]");
  CLI::App* pay_no = pay->add_subcommand("reject", "reject a pending request");
  pay_no->add_option("--request", pa.request, "index of the payment.request entry")->required();
  pay_no->add_option("--reason", pa.reason, "why")->required();
  pay_no->add_option("--key", pa.key, "idempotency key [reject/N]");
  pay_no->add_option("--date", pa.date, "business date [today]");

  // reverse, void
  uint64_t index = 0, size = 0;
  std::string reason, date, key;
  CLI::App* reverse = app.add_subcommand("reverse", "reverse an earlier entry (红字冲销)");
  reverse->add_option("--index", index, "the entry to reverse")->required();
  reverse->add_option("--reason", reason, "why it is corrected")->required();
  reverse->add_option("--date", date, "business date [today]");
  reverse->add_option("--key", key, "idempotency key [reverse/N]");
  CLI::App* void_cmd = app.add_subcommand("void", "void an official receipt number");
  std::string book;
  int64_t number = 0;
  void_cmd->add_option("--book", book, "receipt book")->required();
  void_cmd->add_option("--number", number, "receipt number")->required();
  void_cmd->add_option("--reason", reason, "why")->required();
  void_cmd->add_option("--date", date, "business date [today]");
  void_cmd->add_option("--key", key, "idempotency key [void/BOOK-NUMBER]");

  // admin
  CLI::App* open_fund = app.add_subcommand("open-fund", "open a fund (admin)");
  v1::OpenFundRequest ofr;
  std::string fund_id, fund_name, fund_purpose;
  bool restricted = false;
  open_fund->add_option("--id", fund_id, "fund id, e.g. fund.flood-2024")->required();
  open_fund->add_option("--name", fund_name, "display name")->required();
  open_fund->add_option("--purpose", fund_purpose, "what the money is for");
  open_fund->add_flag("--restricted", restricted, "restricted to its purpose by donors");
  CLI::App* init =
      app.add_subcommand("init", "open the standard chart of accounts (admin, idempotent)");
  CLI::App* add_user =
      app.add_subcommand("add-user", "create a user and print their token (admin)");
  std::string user_name, role;
  bool replace = false;
  add_user->add_option("--name", user_name, "user name (the `by` of their entries)")->required();
  add_user->add_option("--role", role, "public, auditor, clerk, approver or admin")->required();
  add_user->add_flag("--replace", replace, "issue a new token for an existing user");

  // reads
  CLI::App* balances = app.add_subcommand("balances", "fund and account balances");
  std::string fund_filter;
  balances->add_option("--fund", fund_filter, "only this fund");
  CLI::App* campaign = app.add_subcommand("campaign", "a campaign's progress");
  std::string campaign_id;
  campaign->add_option("--id", campaign_id, "campaign id")->required();
  CLI::App* entry = app.add_subcommand("entry", "one entry of the log");
  entry->add_option("--index", index, "entry index")->required();
  CLI::App* checkpoint = app.add_subcommand("checkpoint", "the latest signed checkpoint");
  checkpoint->add_option("--size", size, "the checkpoint at this tree size");
  CLI::App* prove =
      app.add_subcommand("prove", "an entry's inclusion proof (C2SP tlog-proof), verified");
  prove->add_option("--index", index, "entry index")->required();
  prove->add_option("--size", size, "prove against this tree size [latest]");
  CLI::App* health = app.add_subcommand("health", "the server's health status");

  // demo
  CLI::App* demo = app.add_subcommand("demo", "load the 2019 demo dataset (idempotent)");
  std::string dir;
  std::string origin = "boai.local/ledger";
  bool quiet = false;
  CLI::Option* data_opt =
      demo->add_option("--data", dir, "load into this local data directory instead (no server)");
  demo->add_option("--origin", origin, "checkpoint origin for a new local ledger")
      ->capture_default_str();
  demo->add_flag("--quiet", quiet, "do not list every step");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*demo && data_opt->count() > 0) {
    if (target_opt->count() > 0) {
      std::cerr << "boai: demo takes --data (local) or --target (server), not both\n";
      return 2;
    }
    return DemoLocal(dir, origin, quiet);
  }

  Client c(g);
  if (absl::Status s = c.Connect(); !s.ok()) return Fail(s);
  if (*gift) return Gift(g, c, ga);
  if (*pay_req) return PayRequest(g, c, pa);
  if (*pay_ok) return PayDecide(g, c, pa, true);
  if (*pay_no) return PayDecide(g, c, pa, false);
  if (*reverse) return Reverse(g, c, index, reason, date, key);
  if (*void_cmd) return Void(g, c, book, number, reason, date, key);
  if (*open_fund) {
    ofr.set_id(fund_id);
    ofr.set_name(fund_name);
    ofr.set_purpose(fund_purpose);
    ofr.set_restricted(restricted);
    return OpenFund(g, c, ofr);
  }
  if (*init) return Init(g, c);
  if (*add_user) return AddUser(g, c, user_name, role, replace);
  if (*balances) return Balances(g, c, fund_filter);
  if (*campaign) return Campaign(g, c, campaign_id);
  if (*entry) return Entry(g, c, index);
  if (*checkpoint) return Checkpoint(g, c, size);
  if (*prove) return Prove(g, c, index, size);
  if (*health) return Health(g, c);
  if (*demo) return DemoRemote(g, c, quiet);
  return 2;
}

}  // namespace
}  // namespace boai::cli

int main(int argc, char** argv) { return boai::cli::Main(argc, argv); }
