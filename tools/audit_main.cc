// boai-audit: the auditor's offline verifier. Trusts nothing but the data.
//
//   boai-audit verify      --data DIR [--checkpoint FILE]... [--vkey KEY] [--json]
//   boai-audit checkpoint  --data DIR [--size N]
//   boai-audit vkey        --data DIR
//   boai-audit prove       --data DIR --index N
//   boai-audit consistency --data DIR --from M [--to N]
//   boai-audit leaf        --data DIR --index N
//   boai-audit check-statement FILE --data DIR
//
// Exit status: 0 intact / done, 1 anything wrong with the data, 2 usage errors.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "CLI/CLI.hpp"
#include "ledger/books/replay.h"
#include "ledger/checkpoint.h"
#include "ledger/disclose/check.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "ledger/verify.h"
#include "nlohmann/json.hpp"

namespace boai::audit {
namespace {

using ledger::Hash;

constexpr int kExitOk = 0;
constexpr int kExitBad = 1;
constexpr int kExitUsage = 2;

int Error(const absl::Status& s) {
  std::cerr << "boai-audit: " << ToStd(s.message()) << "\n";
  // Bad arguments are usage errors; everything else is about the data.
  return s.code() == absl::StatusCode::kInvalidArgument ||
                 s.code() == absl::StatusCode::kNotFound ||
                 s.code() == absl::StatusCode::kOutOfRange
             ? kExitUsage
             : kExitBad;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat("cannot read ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::unique_ptr<ledger::Ledger>> OpenReadOnly(const std::string& dir) {
  ledger::LedgerOptions o;
  o.read_only = true;
  return ledger::Ledger::Open(dir, std::move(o));
}

std::string Thousands(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(i, ",");
  return s;
}

// Checks a saved checkpoint against the verified log: same key, and an RFC 9162
// consistency proof from its size to the log's size. Returns an empty string when
// consistent, else what is wrong.
std::string CheckSavedCheckpoint(const std::string& path, const ledger::Ledger& log,
                                 const ledger::NoteVerifier& verifier,
                                 const ledger::VerifyReport& report) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return std::string(ToStd(text.status().message()));
  absl::StatusOr<ledger::Note> note = ledger::ParseNote(*text);
  if (!note.ok()) return StrCat(path, ": ", note.status().message());
  absl::Status sig = ledger::VerifyNote(*note, verifier);
  if (!sig.ok()) return StrCat(path, ": ", sig.message());
  absl::StatusOr<ledger::Checkpoint> cp = ledger::ParseCheckpointBody(note->text);
  if (!cp.ok()) return StrCat(path, ": ", cp.status().message());
  if (cp->origin != report.origin) {
    return StrCat(path, " is for log \"", cp->origin, "\", this ledger is \"", report.origin, "\"");
  }
  if (cp->size > report.entries) {
    return StrCat(path, " is signed for ", cp->size, " entries but the ledger holds only ",
                  report.entries, ": entries were removed since that checkpoint");
  }
  absl::StatusOr<std::vector<Hash>> proof = log.ConsistencyProof(cp->size, report.entries);
  if (!proof.ok()) return StrCat(path, ": ", proof.status().message());
  absl::Status ok =
      ledger::VerifyConsistency(cp->size, report.entries, cp->root, report.root, *proof);
  if (!ok.ok()) {
    return StrCat("the ledger is not consistent with ", path, " (size ", cp->size,
                  "): history before that size was rewritten (", ok.message(), ")");
  }
  return "";
}

std::string Yuan(int64_t fen) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%s%s.%02lld", fen < 0 ? "-" : "",
                Thousands(static_cast<uint64_t>(fen < 0 ? -fen : fen) / 100).c_str(),
                static_cast<long long>((fen < 0 ? -fen : fen) % 100));
  return buf;
}

std::string Ranges(const std::vector<std::pair<int64_t, int64_t>>& ranges) {
  std::string out;
  for (const auto& [lo, hi] : ranges) {
    if (!out.empty()) out += ", ";
    out += lo == hi ? std::to_string(lo) : StrCat(lo, "-", hi);
  }
  return out;
}

int Verify(const std::string& dir, const std::vector<std::string>& checkpoints,
           const std::string& vkey_arg, bool json, bool no_tree, bool no_books) {
  std::string vkey = vkey_arg;
  if (!vkey.empty() && vkey.find('+') == std::string::npos) {  // a file holding the key
    absl::StatusOr<std::string> k = ReadFile(vkey);
    if (!k.ok()) return Error(k.status());
    vkey = std::string(StripWhitespace(*k));
  }
  ledger::VerifyOptions options;
  options.vkey = vkey;
  options.check_tree = !no_tree;
  const bool tty = ::isatty(STDERR_FILENO) && !json;
  auto start = std::chrono::steady_clock::now();
  if (tty) {
    options.progress = [](uint64_t done, uint64_t total) {
      if (total > 0) {
        std::fprintf(stderr, "\r  verifying %s / %s entries (%.0f%%)", Thousands(done).c_str(),
                     Thousands(total).c_str(), 100.0 * done / total);
      }
    };
  }
  ledger::StorageOptions so;
  so.read_only = true;
  absl::StatusOr<std::unique_ptr<ledger::Storage>> storage =
      ledger::Storage::Open(ledger::DatabasePath(dir), so);
  if (!storage.ok()) return Error(storage.status());
  std::optional<books::Replay> replay;
  if (!no_books) {
    replay.emplace(storage->get());
    options.on_leaf = [&replay](const ledger::LeafView& leaf, std::string_view bytes) {
      return replay->OnLeaf(leaf, bytes);
    };
  }
  absl::StatusOr<ledger::VerifyReport> report = ledger::VerifyLedger(**storage, options);
  if (tty) std::fprintf(stderr, "\r\033[K");
  if (report->ok() && replay.has_value()) {
    if (std::optional<std::string> diff = replay->CompareState(**storage)) {
      report->finding = ledger::Finding{std::nullopt, "derived-state", *diff};
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<std::pair<std::string, std::string>> saved;  // path, problem ("" = consistent)
  if (report->ok() && !checkpoints.empty()) {
    absl::StatusOr<std::unique_ptr<ledger::Ledger>> log = OpenReadOnly(dir);
    absl::StatusOr<ledger::NoteVerifier> verifier =
        ledger::NoteVerifier::FromVerifierKey(report->vkey);
    for (const std::string& path : checkpoints) {
      std::string problem = !log.ok() ? std::string(ToStd(log.status().message()))
                                      : CheckSavedCheckpoint(path, **log, *verifier, *report);
      saved.emplace_back(path, problem);
      if (!problem.empty() && !report->finding.has_value()) {
        report->finding = ledger::Finding{std::nullopt, "saved-checkpoint", problem};
      }
    }
  }

  if (json) {
    nlohmann::json out = {{"ok", report->ok()},
                          {"origin", report->origin},
                          {"vkey", report->vkey},
                          {"vkey_from_database", report->vkey_from_database},
                          {"entries", report->entries},
                          {"bytes", report->bytes},
                          {"checkpoints", report->checkpoints},
                          {"tree_nodes", report->tree_nodes},
                          {"seconds", seconds}};
    if (report->entries > 0) out["root"] = ledger::HashToBase64(report->root);
    nlohmann::json saved_json = nlohmann::json::array();
    for (const auto& [path, problem] : saved) {
      saved_json.push_back({{"file", path}, {"consistent", problem.empty()}});
    }
    out["saved_checkpoints"] = saved_json;
    if (replay.has_value()) {
      const books::Books& b = replay->books();
      nlohmann::json funds = nlohmann::json::object();
      for (const auto& [id, f] : b.funds()) {
        funds[id] = {{"name", f.def.name},     {"restricted", f.def.restricted},
                     {"net", f.net},           {"reserved", f.reserved},
                     {"voidable", f.voidable}, {"available", f.Available()}};
      }
      nlohmann::json receipts = nlohmann::json::object();
      for (const auto& [book, r] : b.receipts()) {
        nlohmann::json gaps = nlohmann::json::array();
        for (const auto& [lo, hi] : r.Gaps()) gaps.push_back({lo, hi});
        receipts[book] = {{"voided", r.voided}, {"gaps", gaps}};
      }
      out["books"] = {{"accounting_entries", replay->accounting_entries()},
                      {"funds", funds},
                      {"pending_payments", b.pending().size()},
                      {"reversals", b.reversed().size()},
                      {"receipts", receipts}};
    }
    if (report->finding.has_value()) {
      const ledger::Finding& f = *report->finding;
      out["finding"] = {{"check", f.check}, {"detail", f.detail}};
      if (f.index.has_value()) out["finding"]["index"] = *f.index;
    }
    std::cout << out.dump(2) << "\n";
    return report->ok() ? kExitOk : kExitBad;
  }

  std::cout << "ledger      " << dir << "\n"
            << "origin      " << report->origin << "\n"
            << "log key     " << report->vkey
            << (report->vkey_from_database ? "  (read from the database: compare it with the key "
                                             "the society published, or pin it with --vkey)"
                                           : "  (pinned)")
            << "\n"
            << "entries     " << Thousands(report->entries) << " (" << Thousands(report->bytes)
            << " bytes)\n"
            << "checkpoints " << Thousands(report->checkpoints) << " signatures and roots checked\n"
            << "tree nodes  " << Thousands(report->tree_nodes) << " compared\n";
  if (report->ok()) std::cout << "root        " << ledger::HashToBase64(report->root) << "\n";
  if (replay.has_value() && report->ok()) {
    const books::Books& b = replay->books();
    std::cout << "books       " << Thousands(replay->accounting_entries())
              << " accounting entries replayed under the rules; derived state matches\n";
    std::printf("\n  %-24s %10s %16s %14s %14s %16s\n", "fund", "restricted", "net assets",
                "reserved", "voidable", "available");
    for (const auto& [id, f] : b.funds()) {
      std::printf("  %-24s %10s %16s %14s %14s %16s\n", id.c_str(), f.def.restricted ? "yes" : "no",
                  Yuan(f.net).c_str(), Yuan(f.reserved).c_str(), Yuan(f.voidable).c_str(),
                  Yuan(f.Available()).c_str());
    }
    for (const auto& [book, r] : b.receipts()) {
      std::string voided;
      for (int64_t v : r.voided) voided += (voided.empty() ? "" : ", ") + std::to_string(v);
      std::cout << "\n  receipt book " << book << ": voided " << (voided.empty() ? "none" : voided)
                << "; gaps " << (r.Gaps().empty() ? "none" : Ranges(r.Gaps())) << "\n";
    }
    std::cout << "  pending payment requests: " << b.pending().size()
              << "; reversals: " << b.reversed().size() << "\n\n";
  }
  for (const auto& [path, problem] : saved) {
    if (problem.empty()) std::cout << "consistent  with " << path << "\n";
  }
  std::printf("time        %.2f s\n", seconds);
  if (report->ok()) {
    std::cout << "INTACT\n";
    return kExitOk;
  }
  const ledger::Finding& f = *report->finding;
  if (f.index.has_value()) {
    std::cout << "BROKEN at entry " << *f.index << " [" << f.check << "]: " << f.detail << "\n";
  } else {
    std::cout << "BROKEN [" << f.check << "]: " << f.detail << "\n";
  }
  return kExitBad;
}

int PrintCheckpoint(const std::string& dir, std::optional<uint64_t> size) {
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> log = OpenReadOnly(dir);
  if (!log.ok()) return Error(log.status());
  if (!size.has_value()) {
    std::cout << (*log)->LatestCheckpoint();
    return kExitOk;
  }
  absl::StatusOr<std::string> cp = (*log)->CheckpointAt(*size);
  if (!cp.ok()) return Error(cp.status());
  std::cout << *cp;
  return kExitOk;
}

int PrintVkey(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> log = OpenReadOnly(dir);
  if (!log.ok()) return Error(log.status());
  std::cout << (*log)->verifier().VerifierKey() << "\n";
  return kExitOk;
}

int Prove(const std::string& dir, uint64_t index) {
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> log = OpenReadOnly(dir);
  if (!log.ok()) return Error(log.status());
  absl::StatusOr<std::string> proof = (*log)->TlogProof(index);
  if (!proof.ok()) return Error(proof.status());
  std::cout << *proof;
  return kExitOk;
}

int Consistency(const std::string& dir, uint64_t from, std::optional<uint64_t> to) {
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> log = OpenReadOnly(dir);
  if (!log.ok()) return Error(log.status());
  absl::StatusOr<std::vector<Hash>> proof =
      (*log)->ConsistencyProof(from, to.value_or((*log)->Size()));
  if (!proof.ok()) return Error(proof.status());
  std::cout << ledger::FormatHashLines(*proof);
  return kExitOk;
}

int Leaf(const std::string& dir, uint64_t index) {
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> log = OpenReadOnly(dir);
  if (!log.ok()) return Error(log.status());
  absl::StatusOr<std::string> leaf = (*log)->LeafAt(index);
  if (!leaf.ok()) return Error(leaf.status());
  std::cout.write(leaf->data(), static_cast<std::streamsize>(leaf->size()));
  return kExitOk;
}

// A published statement.json against the ledger (ledger/disclose/check.h).
int CheckStatementFile(const std::string& dir, const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return Error(text.status());
  nlohmann::json statement = nlohmann::json::parse(*text, nullptr, false);
  if (statement.is_discarded()) {
    return Error(absl::InvalidArgumentError(StrCat(path, " is not JSON")));
  }
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> log = OpenReadOnly(dir);
  if (!log.ok()) return Error(log.status());
  absl::StatusOr<disclose::CheckReport> r = disclose::CheckStatement(statement, **log);
  if (!r.ok()) return Error(r.status());
  if (!r->ok()) {
    std::cout << "MISMATCH " << path << ": " << r->problem << "\n";
    return kExitBad;
  }
  std::cout << "statement   " << path << "\n"
            << "checkpoint  size " << r->tree_size << ", signed by the log key, root matches\n"
            << "entries     " << r->entries
            << " leaves byte-identical to the ledger, inclusion proofs verified\n"
            << "figures     every total equals the sum over the listed leaves\nOK\n";
  return kExitOk;
}

int Main(int argc, char** argv) {
  CLI::App app{"boai-audit: verify a Boai ledger offline, trusting nothing but the data"};
  app.require_subcommand(1);
  std::string dir = "./data";
  auto add_data = [&dir](CLI::App* cmd) {
    cmd->add_option("--data", dir, "ledger data directory (a copy is fine; the server may run)")
        ->capture_default_str();
  };

  CLI::App* verify =
      app.add_subcommand("verify", "check every leaf, link, tree node and checkpoint");
  add_data(verify);
  std::vector<std::string> checkpoints;
  std::string vkey;
  bool json = false, no_tree = false, no_books = false;
  verify
      ->add_option(
          "--checkpoint", checkpoints,
          "a checkpoint saved earlier: check the ledger is consistent with it (repeatable)")
      ->check(CLI::ExistingFile);
  verify->add_option("--vkey", vkey, "trusted verifier key (name+id+key) or a file holding it");
  verify->add_flag("--json", json, "print a JSON report");
  verify->add_flag("--no-tree", no_tree, "skip comparing stored tree nodes (faster)");
  verify->add_flag("--no-books", no_books, "check the chain only, not the accounting rules");

  CLI::App* checkpoint = app.add_subcommand("checkpoint", "print the latest signed checkpoint");
  add_data(checkpoint);
  std::optional<uint64_t> cp_size;
  checkpoint->add_option("--size", cp_size, "print the checkpoint signed at this tree size");

  CLI::App* vkey_cmd =
      app.add_subcommand("vkey", "print the log's verifier key (signed-note form)");
  add_data(vkey_cmd);

  uint64_t index = 0;
  CLI::App* prove = app.add_subcommand("prove", "print a C2SP tlog-proof for one entry");
  add_data(prove);
  prove->add_option("--index", index, "entry index")->required();

  CLI::App* consistency = app.add_subcommand(
      "consistency", "print an RFC 9162 consistency proof, a base64 hash a line");
  add_data(consistency);
  uint64_t from = 0;
  std::optional<uint64_t> to;
  consistency->add_option("--from", from, "the older tree size")->required();
  consistency->add_option("--to", to, "the newer tree size (default: the latest checkpoint)");

  CLI::App* leaf = app.add_subcommand("leaf", "write one entry's raw leaf bytes to stdout");
  add_data(leaf);
  leaf->add_option("--index", index, "entry index")->required();

  CLI::App* check_statement = app.add_subcommand(
      "check-statement", "check a published statement.json against the ledger");
  add_data(check_statement);
  std::string statement_path;
  check_statement->add_option("FILE", statement_path, "the statement.json")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  if (*verify) return Verify(dir, checkpoints, vkey, json, no_tree, no_books);
  if (*checkpoint) return PrintCheckpoint(dir, cp_size);
  if (*vkey_cmd) return PrintVkey(dir);
  if (*prove) return Prove(dir, index);
  if (*consistency) return Consistency(dir, from, to);
  if (*leaf) return Leaf(dir, index);
  if (*check_statement) return CheckStatementFile(dir, statement_path);
  return kExitUsage;
}

}  // namespace
}  // namespace boai::audit

int main(int argc, char** argv) { return boai::audit::Main(argc, argv); }
