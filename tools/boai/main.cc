// boai: the finance staff's command line.
//
//   boai [--config FILE] [--target HOST:PORT] [--token-file FILE | --token T] [--json] <verb>
//
// Settings come from flags, else the config file (--config FILE, $BOAI_CONFIG or
// ~/.config/boai/config.toml; see common.h), else the defaults (target
// 127.0.0.1:50051, no token, no TLS).
//
// Verbs through the server (boaid):
//   gift            record a gift (cash, bank, online or in kind)
//   pay request     request a payment;  pay approve / reject / expire  decide one
//   reverse         reverse an earlier entry;  void  void a receipt number
//   open-fund       open a fund (admin);  init  open the standard chart (admin)
//   open-campaign   open a giving-day campaign of a fund (admin)
//   import FILE     a platform settlement CSV (--dry-run checks it only)
//   settle FILE     the platform's payout of that file's gifts and matching
//   balances        fund and account balances;  campaign-progress ID  a campaign
//   entries         entries by fund, campaign, account or donor, paged
//   receipt BOOK N  an official receipt's entry (--verify: proof and signature)
//   receipts        the receipt register: issued, voided and missing numbers
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
#include <iostream>

#include "CLI/CLI.hpp"
#include "ledger/strings.h"
#include "tools/boai/common.h"
#include "tools/cli_input.h"

namespace boai::cli {
namespace {

int Main(int argc, char** argv) {
  CLI::App app{"boai: record gifts and payments in a Boai ledger (through boaid)"};
  app.require_subcommand(1);
  app.fallthrough();
  Global g;
  std::string config;
  app.add_option("--config", config,
                 "config file [$BOAI_CONFIG, else ~/.config/boai/config.toml if present]");
  CLI::Option* target_opt =
      app.add_option("--target", g.target, "boaid address HOST:PORT")->capture_default_str();
  app.add_option("--token-file", g.token_file, "file holding your bearer token");
  app.add_option("--token", g.token,
                 "bearer token (prefer --token-file: a command line is visible to others)");
  app.add_flag("--tls", g.tls, "connect with TLS (system root certificates)");
  app.add_option("--tls-ca", g.tls_ca, "connect with TLS, trusting this PEM CA certificate");
  app.add_option("--tls-cert", g.tls_cert, "client certificate (PEM) for mutual TLS");
  app.add_option("--tls-key", g.tls_key, "private key (PEM) of --tls-cert");
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

  // pay request|approve|reject|expire
  CLI::App* pay = app.add_subcommand("pay", "request, approve, reject or expire a payment");
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
  CLI::App* pay_exp = pay->add_subcommand(
      "expire", "mark a pending request expired after its last day (releases the money)");
  pay_exp->add_option("--request", pa.request, "index of the payment.request entry")->required();
  pay_exp->add_option("--key", pa.key, "idempotency key [expire/N]");
  pay_exp->add_option("--date", pa.date, "business date, after the request's expiry [today]");

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

  CLI::App* indicator_cmd = app.add_subcommand(
      "indicator", "record a non-monetary indicator (trainees, volunteers, registrations)");
  v1::RecordIndicatorRequest indicator;
  indicator_cmd->add_option("--id", *indicator.mutable_id(), "stable id, e.g. first-aid.certified")
      ->required();
  indicator_cmd->add_option("--name", *indicator.mutable_name(), "what is counted")->required();
  indicator_cmd->add_option("--unit", *indicator.mutable_unit(), "unit, e.g. persons")->required();
  int64_t indicator_value = 0;
  indicator_cmd->add_option("--value", indicator_value, "the count, >= 0")->required();
  indicator_cmd->add_option("--date", *indicator.mutable_date(), "the day it was counted [today]");
  indicator_cmd->add_option("--key", *indicator.mutable_idempotency_key(),
                            "idempotency key [indicator/ID/DATE]");

  CLI::App* settle = app.add_subcommand(
      "settle",
      "book a platform settlement: the platform paid a campaign's online gifts and "
      "matching into the bank");
  SettleArgs sa;
  settle->add_option("file", sa.file,
                     "the platform's settlement CSV, imported before (its SHA-256, campaign and "
                     "totals are used)");
  settle->add_option("--campaign", sa.campaign, "campaign id [the file's, if it has one campaign]");
  settle->add_option("--gifts", sa.gifts,
                     "online gifts paid out, yuan [the file's gift rows]; 0 allowed");
  settle->add_option("--matching", sa.matching,
                     "matching (配捐) paid out, yuan [the file's match rows]; 0 allowed");
  settle->add_option("--sha256", sa.sha256,
                     "SHA-256 of the settlement file, 64 hex digits [computed from FILE]");
  settle->add_option("--date", sa.date, "the day the money reached the bank [today]");
  settle->add_option("--key", sa.key, "idempotency key [settle/CAMPAIGN/SHA256]");

  // admin
  CLI::App* open_fund = app.add_subcommand("open-fund", "open a fund (admin)");
  v1::OpenFundRequest ofr;
  std::string fund_id, fund_name, fund_purpose;
  bool restricted = false;
  open_fund->add_option("--id", fund_id, "fund id, e.g. fund.flood-2024")->required();
  open_fund->add_option("--name", fund_name, "display name")->required();
  open_fund->add_option("--purpose", fund_purpose, "what the money is for");
  open_fund->add_flag("--restricted", restricted, "restricted to its purpose by donors");
  CLI::App* open_campaign =
      app.add_subcommand("open-campaign", "open a giving-day campaign of a fund (admin)");
  v1::OpenCampaignRequest ocr;
  std::string campaign_target;
  open_campaign->add_option("--id", *ocr.mutable_id(), "campaign id, e.g. camp.99-2024")
      ->required();
  open_campaign->add_option("--name", *ocr.mutable_name(), "display name")->required();
  open_campaign->add_option("--fund", *ocr.mutable_fund(), "the fund its gifts go to")->required();
  open_campaign->add_option("--platform", *ocr.mutable_platform(), "the giving platform")
      ->required();
  open_campaign->add_option("--start", *ocr.mutable_start(), "first day, YYYY-MM-DD")->required();
  open_campaign->add_option("--end", *ocr.mutable_end(), "last day, YYYY-MM-DD")->required();
  open_campaign->add_option("--target", campaign_target, "fundraising target in yuan")->required();
  CLI::App* init =
      app.add_subcommand("init", "open the standard chart of accounts (admin, idempotent)");
  CLI::App* add_user =
      app.add_subcommand("add-user", "create a user and print their token (admin)");
  std::string user_name, role;
  bool replace = false;
  add_user->add_option("--name", user_name, "user name (the `by` of their entries)")->required();
  add_user->add_option("--role", role, "public, auditor, clerk, approver or admin")->required();
  add_user->add_flag("--replace", replace,
                     "issue a new token (and the --role given) to an existing user");

  // reads
  CLI::App* balances = app.add_subcommand("balances", "fund and account balances");
  std::string fund_filter;
  balances->add_option("--fund", fund_filter, "only this fund");
  CLI::App* campaign =
      app.add_subcommand("campaign", "a campaign's progress (as campaign-progress)");
  std::string campaign_id;
  campaign->add_option("--id", campaign_id, "campaign id")->required();
  CLI::App* progress = app.add_subcommand("campaign-progress", "a campaign's progress");
  progress->add_option("id", campaign_id, "campaign id, e.g. camp.99-2019")->required();
  CLI::App* entries = app.add_subcommand("entries", "entries, filtered and paged");
  EntriesArgs ea;
  entries->add_option("--fund", ea.fund, "only entries concerning this fund");
  entries->add_option("--campaign", ea.campaign, "only entries of this campaign");
  entries->add_option("--account", ea.account, "only entries posting to this account, e.g. 1002");
  entries->add_option("--donor", ea.donor, "only gifts with this donor commitment (hex)");
  entries->add_option("--kind", ea.kind, "only entries of this kind, e.g. gift");
  entries->add_option("--from", ea.from, "first index to look at")->capture_default_str();
  entries->add_option("--limit", ea.limit, "most entries to show (1-1000)")->capture_default_str();
  CLI::App* receipt = app.add_subcommand("receipt", "an official receipt number and its entry");
  std::string receipt_book;
  int64_t receipt_number = 0;
  bool receipt_verify = false;
  receipt->add_option("book", receipt_book, "receipt book, e.g. HB2019")->required();
  receipt->add_option("number", receipt_number, "receipt number")->required();
  receipt->add_flag("--verify", receipt_verify,
                    "verify the entry against the checkpoint: leaf hash, inclusion proof and the "
                    "checkpoint's signature under the pinned --vkey");
  CLI::App* receipts = app.add_subcommand("receipts", "the receipt register");
  receipts->add_option("--book", receipt_book, "only this book");
  CLI::App* import = app.add_subcommand("import", "import a platform settlement CSV");
  ImportArgs ia;
  import->add_option("file", ia.file, "the CSV file (format: docs/api.md)")->required();
  import->add_flag("--dry-run", ia.dry_run, "check every line, write nothing");
  import
      ->add_option("--stream-items", ia.stream_items,
                   "rows per Import stream (boaid takes at most 20,000)")
      ->capture_default_str()
      ->check(CLI::Range(1, 20000));
  bool no_progress = false;
  import->add_flag("--no-progress", no_progress, "no progress bar");
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
    boai::tools::ApplyInputRules(app);
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  SetJsonErrors(g.json);
  if (*demo && data_opt->count() > 0) {
    if (target_opt->count() > 0) {
      std::cerr << "boai: demo takes --data (local) or --target (server), not both\n";
      return 2;
    }
    return DemoLocal(dir, origin, quiet, g.json);
  }

  // Settings the command line did not give come from the config file.
  absl::StatusOr<std::string> config_path = FindConfigFile(config);
  if (!config_path.ok()) return Fail(config_path.status());
  if (!config_path->empty()) {
    std::set<std::string> from_flags;
    for (const char* name :
         {"target", "token-file", "token", "tls-ca", "tls-cert", "tls-key", "vkey"}) {
      if (app.get_option(StrCat("--", name))->count() > 0) from_flags.insert(name);
    }
    if (absl::Status s = ApplyConfigFile(*config_path, from_flags, &g); !s.ok()) return Fail(s);
  }
  ia.progress = !no_progress;

  Client c(g);
  if (absl::Status s = c.Connect(); !s.ok()) return Fail(s);
  if (*import) return Import(g, c, ia);
  if (*entries) return Entries(g, c, ea);
  if (*receipt) return ReceiptLookup(g, c, receipt_book, receipt_number, receipt_verify);
  if (*receipts) return Receipts(g, c, receipt_book);
  if (*progress) return Campaign(g, c, campaign_id);
  if (*gift) return Gift(g, c, ga);
  if (*pay_req) return PayRequest(g, c, pa);
  if (*pay_ok) return PayDecide(g, c, pa, PayDecision::kApprove);
  if (*pay_no) return PayDecide(g, c, pa, PayDecision::kReject);
  if (*pay_exp) return PayDecide(g, c, pa, PayDecision::kExpire);
  if (*reverse) return Reverse(g, c, index, reason, date, key);
  if (*void_cmd) return Void(g, c, book, number, reason, date, key);
  if (*settle) return Settle(g, c, sa);
  if (*indicator_cmd) {
    indicator.set_value(indicator_value);
    return RecordIndicator(g, c, indicator);
  }
  if (*open_campaign) {
    absl::StatusOr<int64_t> target = ParseYuan(campaign_target);
    if (!target.ok()) return Fail(target.status());
    ocr.set_target(*target);
    return OpenCampaign(g, c, ocr);
  }
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