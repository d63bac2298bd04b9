#include "ledger/disclose/statement.h"

#include <filesystem>
#include <fstream>

#include "ledger/books/replay.h"
#include "ledger/checkpoint.h"
#include "ledger/cosignature.h"
#include "ledger/disclose/csv.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "ledger/verify.h"

namespace boai::disclose {

using nlohmann::json;

absl::Status VerifyForPublishing(const ledger::Ledger& log) {
  books::Replay replay(log.storage());
  ledger::VerifyOptions options;
  options.vkey = log.verifier().VerifierKey();
  options.on_leaf = [&replay](const ledger::LeafView& leaf, std::string_view bytes) {
    return replay.OnLeaf(leaf, bytes);
  };
  ledger::VerifyReport report = ledger::VerifyLedger(*log.storage(), options);
  if (report.ok()) {
    if (std::optional<std::string> diff = replay.CompareState(*log.storage())) {
      report.finding = ledger::Finding{std::nullopt, "derived-state", *diff};
    }
  }
  if (report.ok()) return absl::OkStatus();
  const ledger::Finding& f = *report.finding;
  std::string where = f.index.has_value() ? StrCat(" at entry ", *f.index) : "";
  return absl::FailedPreconditionError(
      StrCat("the ledger does not verify, nothing was published: BROKEN", where, " [", f.check,
             "]: ", f.detail, " (run boai-audit verify for the full report)"));
}

absl::StatusOr<std::vector<Leaf>> LoadLeaves(const ledger::Ledger& log, uint64_t size) {
  std::vector<Leaf> all;
  all.reserve(size);
  for (uint64_t i = 0; i < size; ++i) {
    absl::StatusOr<std::string> bytes = log.LeafAt(i);
    if (!bytes.ok()) return bytes.status();
    absl::StatusOr<Leaf> leaf = ParseLeaf(std::move(*bytes));
    if (!leaf.ok()) return leaf.status();
    if (leaf->index != i) {
      return absl::DataLossError(StrCat("the leaf stored at ", i, " says index ", leaf->index));
    }
    all.push_back(std::move(*leaf));
  }
  return all;
}

namespace {

json HashesJson(const std::vector<ledger::Hash>& hashes) {
  json out = json::array();
  for (const ledger::Hash& h : hashes) out.push_back(ledger::HashToBase64(h));
  return out;
}

// The "previous" block: the earlier statement's checkpoint and the consistency
// proof from its size to `size`.
absl::StatusOr<json> PreviousBlock(const ledger::Ledger& log, const json& previous, uint64_t size) {
  const json* cp_text = nullptr;
  if (previous.is_object() && previous.contains("integrity") && previous["integrity"].is_object() &&
      previous["integrity"].contains("checkpoint") &&
      previous["integrity"]["checkpoint"].is_string()) {
    cp_text = &previous["integrity"]["checkpoint"];
  }
  if (cp_text == nullptr) {
    return absl::InvalidArgumentError(
        "the previous statement has no integrity.checkpoint; pass a statement.json written by "
        "boai-disclose");
  }
  std::string text = cp_text->get<std::string>();
  absl::StatusOr<ledger::Note> note = ledger::ParseNote(text);
  if (!note.ok()) return note.status();
  absl::StatusOr<ledger::Checkpoint> cp = ledger::ParseCheckpointBody(note->text);
  if (!cp.ok()) return cp.status();
  absl::Status sig = ledger::VerifyCheckpointSignatures(*note, log.keys(), cp->size);
  if (!sig.ok()) {
    return absl::FailedPreconditionError(StrCat(
        "the previous statement's checkpoint is not signed by this log's key: ", sig.message()));
  }
  if (cp->size > size) {
    return absl::FailedPreconditionError(StrCat(
        "the previous statement was cut at ", cp->size, " entries, but the ledger has only ", size,
        ": either this copy of the ledger is older than the previous statement (publish "
        "from a current copy) or entries were removed since"));
  }
  absl::StatusOr<std::vector<ledger::Hash>> proof =
      cp->size == size ? std::vector<ledger::Hash>{} : log.ConsistencyProof(cp->size, size);
  if (!proof.ok()) return proof.status();
  absl::StatusOr<ledger::Hash> root = ledger::RootAt(ledger::StoredNodes(log.storage()), size);
  if (!root.ok()) return root.status();
  absl::Status consistent =
      cp->size == size
          ? (cp->root == *root ? absl::OkStatus() : absl::FailedPreconditionError("roots differ"))
          : ledger::VerifyConsistency(cp->size, size, cp->root, *root, *proof);
  if (!consistent.ok()) {
    return absl::FailedPreconditionError(
        StrCat("the ledger is not consistent with the previous statement's checkpoint (size ",
               cp->size, "): history was rewritten (", consistent.message(), ")"));
  }
  return json{{"size", cp->size}, {"checkpoint", text}, {"consistency_proof", HashesJson(*proof)}};
}

}  // namespace

absl::StatusOr<json> BuildStatement(const ledger::Ledger& log, std::string_view period_spec,
                                    const BuildOptions& options) {
  const std::string checkpoint = log.LatestCheckpoint();
  absl::StatusOr<ledger::Note> note = ledger::ParseNote(checkpoint);
  if (!note.ok()) return note.status();
  absl::StatusOr<ledger::Checkpoint> cp = ledger::ParseCheckpointBody(note->text);
  if (!cp.ok()) return cp.status();
  const uint64_t size = cp->size;

  absl::StatusOr<std::vector<Leaf>> all = LoadLeaves(log, size);
  if (!all.ok()) return all.status();
  absl::StatusOr<Period> period = ResolvePeriod(period_spec, *all);
  if (!period.ok()) return period.status();
  std::set<uint64_t> selected = SelectLeaves(*period, *all);
  std::map<uint64_t, Leaf> listed;
  for (uint64_t i : selected) listed.emplace(i, (*all)[i]);
  absl::StatusOr<json> figures = ComputeFigures(*period, listed);
  if (!figures.ok()) return figures.status();

  json entries = json::array();
  for (const auto& [i, leaf] : listed) {
    absl::StatusOr<std::vector<ledger::Hash>> proof = log.InclusionProof(i, size);
    if (!proof.ok()) return proof.status();
    entries.push_back({{"index", i},
                       {"leaf", leaf.bytes},
                       {"leaf_hash", ledger::HashToBase64(ledger::LeafHash(leaf.bytes))},
                       {"inclusion_proof", HashesJson(*proof)}});
  }
  json cosignatures = json::array();
  absl::StatusOr<std::vector<std::string>> lines =
      ledger::ReadCosignatureLines(*log.storage(), size);
  if (!lines.ok()) return lines.status();
  for (const std::string& line : *lines) cosignatures.push_back(line);
  json previous = nullptr;
  if (options.previous.has_value()) {
    absl::StatusOr<json> p = PreviousBlock(log, *options.previous, size);
    if (!p.ok()) return p.status();
    previous = std::move(*p);
  }

  json s;
  s["format"] = kStatementFormat;
  s["organisation"] = {{"name", options.organisation}, {"log", cp->origin}};
  s["period"] = period->ToJson();
  s["currency"] = "CNY";
  s["unit"] = "fen";
  for (const std::string& section : FigureSections()) s[section] = (*figures)[section];
  s["integrity"] = {{"origin", cp->origin},
                    {"checkpoint", checkpoint},
                    {"verifier_key", log.verifier().VerifierKey()},
                    {"cosignatures", cosignatures},
                    {"previous", previous},
                    {"entries", entries}};
  return s;
}

std::string StatementJs(std::string_view json_text) {
  if (!json_text.empty() && json_text.back() == '\n') json_text.remove_suffix(1);
  return StrCat("window.BOAI_STATEMENT = ", json_text, ";\n");
}

std::map<std::string, std::string> StatementFiles(const json& statement) {
  std::map<std::string, std::string> files;
  std::string text = statement.dump(2);
  files["statement.json"] = text + "\n";
  files["statement.js"] = StatementJs(files["statement.json"]);
  for (const CsvTable& t : StatementTables()) {
    files[t.name + ".csv"] = TableCsv(statement, t);
  }
  return files;
}

absl::Status WriteFiles(const std::string& out, const std::map<std::string, std::string>& files) {
  std::error_code ec;
  for (const auto& [name, contents] : files) {
    std::filesystem::path path = std::filesystem::path(out) / name;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return absl::PermissionDeniedError(
          StrCat("cannot create directory ", path.parent_path().string(), ": ", ec.message()));
    }
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    f.close();
    if (!f) return absl::PermissionDeniedError(StrCat("cannot write ", path.string()));
  }
  return absl::OkStatus();
}

}  // namespace boai::disclose
