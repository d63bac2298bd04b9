// boai-audit: the auditor's verifier. Trusts nothing but the data.
//
//   boai-audit verify      --data DIR [--checkpoint FILE]... [--vkey KEY]
//                          [--cosigner-key VKEY]... [--json] [--no-tree] [--no-books]
//   boai-audit verify      --target HOST:PORT --token-file FILE [--vkey KEY]
//                          [--checkpoint FILE]... [--tls | --tls-ca FILE] [--json]
//   boai-audit keygen      --name NAME --out FILE
//   boai-audit cosign      --data DIR --key FILE
//   boai-audit vkey        --key FILE            (an auditor key's cosigner key)
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
#include <filesystem>
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
#include "tools/audit/audit.h"
#include "tools/cli_input.h"

namespace boai::audit {
namespace {

using ledger::Hash;

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
  auto join = [](const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) StrAppend(&out, out.empty() ? "" : " ", n);
    return out;
  };
  // What the page reads (statement.js) and the CSV downloads, beside the JSON.
  absl::StatusOr<disclose::FilesReport> files = disclose::CheckPublishedFiles(
      *text, statement, std::filesystem::path(path).parent_path().string());
  if (!files.ok()) return Error(files.status());
  if (!files->ok()) {
    std::cout << "MISMATCH " << files->problem << "\n";
    return kExitBad;
  }
  std::cout << "statement   " << path << "\n"
            << "checkpoint  size " << r->tree_size << ", signed by the log key, root matches\n"
            << "entries     " << r->entries
            << " leaves byte-identical to the ledger, inclusion proofs verified\n"
            << "figures     every total equals the sum over the listed leaves\n"
            << "files       "
            << (files->checked.empty()
                    ? std::string("no statement.js or CSV table beside it")
                    : StrCat(join(files->checked),
                             ": exactly what boai-disclose writes from this statement"))
            << "\n";
  if (!files->absent.empty()) {
    std::cout << "not found   " << join(files->absent) << " (not checked)\n";
  }
  std::cout << "OK\n";
  return kExitOk;
}

int Main(int argc, char** argv) {
  CLI::App app{"boai-audit: verify a Boai ledger offline, trusting nothing but the data"};
  app.require_subcommand(1);
  std::string dir = "./data";
  auto add_data = [&dir](CLI::App* cmd) {
    return cmd
        ->add_option("--data", dir, "ledger data directory (a copy is fine; the server may run)")
        ->capture_default_str();
  };

  CLI::App* verify = app.add_subcommand(
      "verify", "check every leaf, link, tree node, checkpoint, cosignature and the books");
  CLI::Option* verify_data = add_data(verify);
  VerifyArgs va;
  std::vector<std::string>& checkpoints = va.checkpoints;
  std::string& vkey = va.vkey;
  bool& json = va.json;
  verify
      ->add_option(
          "--checkpoint", checkpoints,
          "a checkpoint saved earlier: check the ledger is consistent with it (repeatable)")
      ->check(CLI::ExistingFile);
  verify->add_option("--vkey", vkey, "trusted verifier key (name+id+key) or a file holding it");
  verify->add_option("--cosigner-key", va.cosigner_keys,
                     "an auditor's cosigner key (or a file holding it): its stored cosignatures "
                     "must verify (repeatable)");
  verify->add_flag("--json", json, "print a JSON report");
  verify->add_flag("--no-tree", va.no_tree,
                   "skip comparing stored tree nodes and index records (faster)");
  verify->add_flag("--no-books", va.no_books, "check the chain only, not the accounting rules");
  CLI::Option* target = verify->add_option(
      "--target", va.target, "verify a running boaid at HOST:PORT instead of a data directory");
  target->excludes(verify_data);
  verify->add_option("--token-file", va.token_file, "with --target: file holding a reader's token")
      ->needs(target);
  verify->add_flag("--tls", va.tls, "with --target: use TLS with the system's root CAs")
      ->needs(target);
  verify->add_option("--tls-ca", va.tls_ca, "with --target: PEM CA certificate of the server")
      ->needs(target);
  verify->add_option("--tls-cert", va.tls_cert, "with --target: client certificate (mutual TLS)")
      ->needs(target);
  verify->add_option("--tls-key", va.tls_key, "with --target: client private key (mutual TLS)")
      ->needs(target);

  CLI::App* keygen = app.add_subcommand("keygen", "make an auditor's Ed25519 cosigning key");
  std::string key_name, key_out;
  keygen->add_option("--name", key_name, "the cosigner name, e.g. audit.example.cn/zhou")
      ->required();
  keygen->add_option("--out", key_out, "the key file to create (mode 0600; never overwritten)")
      ->required();

  CLI::App* cosign = app.add_subcommand(
      "cosign", "verify everything, then cosign the latest checkpoint (server stopped)");
  add_data(cosign);
  std::string key_file;
  cosign->add_option("--key", key_file, "the auditor's key file (boai-audit keygen)")->required();

  CLI::App* checkpoint = app.add_subcommand("checkpoint", "print the latest signed checkpoint");
  add_data(checkpoint);
  std::optional<uint64_t> cp_size;
  checkpoint->add_option("--size", cp_size, "print the checkpoint signed at this tree size");

  CLI::App* vkey_cmd = app.add_subcommand(
      "vkey", "print the log's verifier key, or with --key an auditor's cosigner key");
  CLI::Option* vkey_data = add_data(vkey_cmd);
  vkey_cmd->add_option("--key", key_file, "an auditor's key file: print its cosigner key")
      ->excludes(vkey_data);

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

  CLI::App* check_statement =
      app.add_subcommand("check-statement",
                         "check a published statement.json against the ledger, and the "
                         "statement.js and CSV tables beside it against the JSON");
  add_data(check_statement);
  std::string statement_path;
  check_statement->add_option("FILE", statement_path, "the statement.json")->required();

  try {
    boai::tools::ApplyInputRules(app);
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  if (*verify) {
    va.dir = dir;
    return va.target.empty() ? VerifyOffline(va) : VerifyOnline(va);
  }
  if (*keygen) return Keygen(key_name, key_out);
  if (*cosign) return Cosign(dir, key_file);
  if (*vkey_cmd && !key_file.empty()) return PrintCosignerKey(key_file);
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
