// verify --data DIR: the whole database, trusting nothing but its bytes.
#include <chrono>
#include <iostream>

#include "ledger/checkpoint.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "tools/audit/audit.h"

namespace boai::audit {
namespace {

// Checks a saved checkpoint against the verified log: same key, and an RFC 9162
// consistency proof from its size to the log's size, built from the stored tree
// and checked against the root recomputed from the leaves. Returns an empty string
// when consistent, else what is wrong.
std::string CheckSavedCheckpoint(const std::string& path, const ledger::Storage& storage,
                                 const ledger::VerifyReport& report) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return std::string(ToStd(text.status().message()));
  absl::StatusOr<ledger::Note> note = ledger::ParseNote(*text);
  if (!note.ok()) return StrCat(path, ": ", note.status().message());
  absl::StatusOr<ledger::Checkpoint> cp = ledger::ParseCheckpointBody(note->text);
  if (!cp.ok()) return StrCat(path, ": ", cp.status().message());
  // Signed by the key in force at its size (the chain's rotations were verified).
  absl::Status sig = ledger::VerifyCheckpointSignatures(*note, report.keys, cp->size);
  if (!sig.ok()) return StrCat(path, ": ", sig.message());
  if (cp->origin != report.origin) {
    return StrCat(path, " is for log \"", cp->origin, "\", this ledger is \"", report.origin, "\"");
  }
  if (cp->size > report.entries) {
    return StrCat(path, " is signed for ", cp->size, " entries but the ledger holds only ",
                  report.entries, ": entries were removed since that checkpoint");
  }
  if (cp->size == 0) return StrCat(path, " is for an empty tree; nothing to compare");
  ledger::StoredNodes nodes(&storage);
  absl::StatusOr<std::vector<ledger::Hash>> proof =
      ledger::ConsistencyProof(nodes, cp->size, report.entries);
  if (!proof.ok()) return StrCat(path, ": ", proof.status().message());
  absl::Status ok =
      ledger::VerifyConsistency(cp->size, report.entries, cp->root, report.root, *proof);
  if (!ok.ok()) {
    return StrCat("the ledger is not consistent with ", path, " (size ", cp->size,
                  "): history before that size was rewritten (", ok.message(), ")");
  }
  return "";
}

}  // namespace

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
      std::string problem = CheckSavedCheckpoint(path, storage, o.report);
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
  if (!storage.ok()) return Error(storage.status());
  std::optional<books::Replay> replay;
  Outcome o = RunOfflineChecks(**storage, args, *cosigners, &replay);
  return PrintOutcome(o, args.json);
}

}  // namespace boai::audit
