// verify --data DIR: the whole database, trusting nothing but its bytes.
#include <chrono>
#include <iostream>

#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"
#include "tools/audit/audit.h"

namespace boai::audit {

Outcome RunOfflineChecks(const ledger::Storage& storage, const VerifyArgs& args,
                         const std::vector<ledger::CosignerVerifier>& cosigners,
                         std::optional<books::Replay>* replay) {
  Outcome o;
  o.source = args.dir;
  auto start = std::chrono::steady_clock::now();
  ledger::VerifyOptions options;
  options.vkey = args.vkey;
  options.check_tree = !args.no_tree;
  Progress progress(!args.json, "verifying");
  if (progress.enabled()) {
    options.progress = [&progress](uint64_t done, uint64_t total) {
      if (total > 0) progress.Update(done, total);
    };
  }
  if (!args.no_books) {
    replay->emplace(&storage);
    options.checker = &**replay;  // bodies parsed on the worker threads
    o.replay = &**replay;
    o.state_compared = "the derived state in the database";
  }
  o.report = ledger::VerifyLedger(storage, options);
  progress.Clear();
  if (o.report.ok() && o.replay != nullptr) {
    if (std::optional<std::string> diff = (*replay)->CompareState(storage)) {
      o.report.finding = ledger::Finding{std::nullopt, "derived-state", *diff};
    }
  }

  if (o.report.ok() && !args.checkpoints.empty()) {
    for (const std::string& path : args.checkpoints) {
      std::string problem = CheckSavedCheckpoint(
          path, o.report.keys, o.report.origin, o.report.entries, o.report.root, "the ledger",
          [&storage, &o](uint64_t size) {
            ledger::StoredNodes nodes(&storage);  // the stored tree, checked by VerifyLedger
            return ledger::ConsistencyProof(nodes, size, o.report.entries);
          });
      o.saved.push_back({path, problem});
      if (!problem.empty() && !o.report.finding.has_value()) {
        o.report.finding = ledger::Finding{std::nullopt, "saved-checkpoint", problem};
      }
    }
  }

  if (o.report.ok()) {
    absl::StatusOr<std::vector<CosignatureCheck>> cos =
        CheckCosignatures(storage, o.report, cosigners);
    if (!cos.ok()) {
      o.report.finding =
          ledger::Finding{std::nullopt, "cosignature", std::string(ToStd(cos.status().message()))};
    } else {
      o.cosignatures_checked = true;
      o.cosignatures = *std::move(cos);
      if (std::optional<ledger::Finding> f = CosignatureFinding(o.cosignatures)) {
        o.report.finding = *f;
      }
    }
  }
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return o;
}

namespace {

// A database that cannot be opened: the message on stderr as for any error and,
// with --json, a report saying so (a damaged database is a finding; a missing one
// or bad arguments are usage, with nothing checked).
int OpenFailure(const VerifyArgs& args, const absl::Status& s) {
  const int code = Error(s);
  if (args.json) {
    nlohmann::json j = {{"ok", false}, {"source", args.dir}, {"online", false}};
    const std::string message(ToStd(s.message()));
    if (code == kExitBad) {
      j["finding"] = {{"check", "read"}, {"detail", message}};
    } else {
      j["error"] = message;
    }
    std::cout << j.dump(2) << "\n";
  }
  return code;
}

}  // namespace

int VerifyOffline(const VerifyArgs& in) {
  VerifyArgs args = in;
  if (!args.vkey.empty()) {
    absl::StatusOr<std::string> k = KeyArgument(args.vkey);
    if (!k.ok()) return Error(k.status());
    args.vkey = *k;
    absl::StatusOr<ledger::NoteVerifier> v = ledger::NoteVerifier::FromVerifierKey(args.vkey);
    if (!v.ok()) return Error(v.status());
  }
  absl::StatusOr<std::vector<ledger::CosignerVerifier>> cosigners =
      ParseCosignerKeys(args.cosigner_keys);
  if (!cosigners.ok()) return Error(cosigners.status());
  ledger::StorageOptions so;
  so.read_only = true;
  absl::StatusOr<std::unique_ptr<ledger::Storage>> storage =
      ledger::Storage::Open(ledger::DatabasePath(args.dir), so);
  if (!storage.ok()) return OpenFailure(args, storage.status());
  std::optional<books::Replay> replay;
  Outcome o = RunOfflineChecks(**storage, args, *cosigners, &replay);
  return PrintOutcome(o, args.json);
}

}  // namespace boai::audit
