// Read verbs of boai: balances, campaign, entry, checkpoint, prove, health.
#include <iostream>

#include "grpc/health/v1/health.grpc.pb.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "tools/boai/common.h"

namespace boai::cli {

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

}  // namespace boai::cli
