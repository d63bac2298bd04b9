#include "ledger/disclose/check.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "ledger/checkpoint.h"
#include "ledger/cosignature.h"
#include "ledger/disclose/csv.h"
#include "ledger/disclose/figures.h"
#include "ledger/disclose/statement.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/strings.h"

namespace boai::disclose {

const std::vector<std::string>& StatementMembers(const std::string& object) {
  static const std::map<std::string, std::vector<std::string>> kMembers = {
      {"",
       {"format", "organisation", "period", "currency", "unit", "income", "payments", "in_kind",
        "campaigns", "funds", "aid", "donors", "corrections", "indicators", "monthly",
        "integrity"}},
      {"organisation", {"name", "log"}},
      {"integrity",
       {"origin", "checkpoint", "verifier_key", "cosignatures", "previous", "entries"}},
      {"integrity.previous", {"size", "checkpoint", "consistency_proof"}},
      {"integrity.entries[]", {"index", "leaf", "leaf_hash", "inclusion_proof"}},
  };
  static const std::vector<std::string> kNone;
  auto it = kMembers.find(object);
  return it == kMembers.end() ? kNone : it->second;
}

namespace {

using nlohmann::json;

std::string Str(const json& j, const char* f) {
  return j.is_object() && j.contains(f) && j[f].is_string() ? j[f].get<std::string>() : "";
}

// Parses a JSON array of base64 hashes; "" or why not.
std::string ParseHashes(const json& arr, const std::string& what, std::vector<ledger::Hash>* out) {
  if (!arr.is_array()) return StrCat(what, " is not an array of base64 hashes");
  for (const json& h : arr) {
    absl::StatusOr<ledger::Hash> hash = h.is_string() ? ledger::HashFromBase64(h.get<std::string>())
                                                      : absl::InvalidArgumentError("not a string");
    if (!hash.ok()) return StrCat(what, " holds a value that is not a base64 SHA-256 hash");
    out->push_back(*hash);
  }
  return "";
}

// A signed checkpoint by `log`: "" and the parsed checkpoint, or why not.
std::string CheckCheckpoint(const std::string& text, const ledger::Ledger& log,
                            const std::string& what, ledger::Checkpoint* cp) {
  absl::StatusOr<ledger::Note> note = ledger::ParseNote(text);
  if (!note.ok()) return StrCat(what, " is not a signed note: ", note.status().message());
  absl::StatusOr<ledger::Checkpoint> parsed = ledger::ParseCheckpointBody(note->text);
  if (!parsed.ok()) return StrCat(what, " is not a checkpoint: ", parsed.status().message());
  absl::Status sig = ledger::VerifyCheckpointSignatures(*note, log.keys(), parsed->size);
  if (!sig.ok()) return StrCat(what, " is not signed by this ledger's key: ", sig.message());
  *cp = *parsed;
  if (cp->origin != log.origin()) {
    return StrCat(what, " is for log \"", cp->origin, "\", this ledger is \"", log.origin(), "\"");
  }
  if (cp->size > log.Size()) {
    return StrCat(what, " is signed for ", cp->size, " entries but the ledger holds only ",
                  log.Size(),
                  ": either this copy of the ledger is older than the statement (check against "
                  "a copy taken after the statement was published) or entries were removed");
  }
  if (cp->size == 0) return StrCat(what, " is for an empty tree");
  absl::StatusOr<ledger::Hash> root = ledger::RootAt(ledger::StoredNodes(log.storage()), cp->size);
  if (!root.ok()) return StrCat(what, ": ", root.status().message());
  if (*root != cp->root) {
    return StrCat(what, " has root ", ledger::HashToBase64(cp->root), " but the ledger's tree of ",
                  cp->size, " entries has root ", ledger::HashToBase64(*root),
                  ": the ledger's history differs from what was published");
  }
  return "";
}

// The first member of object `j` (at `path`) that `allowed` does not name, or of
// `allowed` that `j` lacks: "path.member: ..." or "".
std::string CheckMembers(const json& j, const std::string& path,
                         const std::vector<std::string>& allowed) {
  if (!j.is_object()) return StrCat(path, " is not an object");
  for (const auto& [k, v] : j.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      return StrCat(path.empty() ? "" : StrCat(path, "."), k,
                    ": not a member the statement format allows here (docs/statement.schema.json)");
    }
  }
  for (const std::string& k : allowed) {
    if (!j.contains(k)) return StrCat(path.empty() ? "" : StrCat(path, "."), k, ": missing");
  }
  return "";
}

// Members outside the figure sections (which FirstDifference compares both ways).
std::string CheckShape(const json& s) {
  std::string bad = CheckMembers(s, "", StatementMembers(""));
  if (bad.empty())
    bad = CheckMembers(s["organisation"], "organisation", StatementMembers("organisation"));
  if (bad.empty()) bad = CheckMembers(s["integrity"], "integrity", StatementMembers("integrity"));
  if (!bad.empty()) return bad;
  const json& in = s["integrity"];
  if (!in["previous"].is_null()) {
    bad =
        CheckMembers(in["previous"], "integrity.previous", StatementMembers("integrity.previous"));
    if (!bad.empty()) return bad;
  }
  if (!in["entries"].is_array()) return "integrity.entries is not an array";
  for (size_t k = 0; k < in["entries"].size(); ++k) {
    bad = CheckMembers(in["entries"][k], StrCat("integrity.entries[", k, "]"),
                       StatementMembers("integrity.entries[]"));
    if (!bad.empty()) return bad;
  }
  if (s["currency"] != "CNY") return StrCat("currency: ", s["currency"].dump(), ", not \"CNY\"");
  if (s["unit"] != "fen") return StrCat("unit: ", s["unit"].dump(), ", not \"fen\"");
  if (!s["organisation"]["name"].is_string()) return "organisation.name is not a string";
  return "";
}

std::string CheckIntegrity(const json& s, const ledger::Ledger& log, CheckReport* report,
                           std::map<uint64_t, Leaf>* listed, ledger::Checkpoint* cp) {
  if (!s.is_object() || s.value("format", "") != kStatementFormat) {
    return StrCat("the file is not a statement (\"format\" must be \"", kStatementFormat, "\")");
  }
  if (!s.contains("integrity") || !s["integrity"].is_object()) return "integrity block missing";
  std::string bad = CheckShape(s);
  if (!bad.empty()) return bad;
  const json& in = s["integrity"];
  if (log.keys().Find(Str(in, "verifier_key")) < 0) {
    return StrCat("integrity.verifier_key \"", Str(in, "verifier_key"),
                  "\" is not this ledger's key ", log.verifier().VerifierKey());
  }
  const std::string checkpoint = Str(in, "checkpoint");
  bad = CheckCheckpoint(checkpoint, log, "integrity.checkpoint", cp);
  if (!bad.empty()) return bad;
  if (Str(in, "origin") != cp->origin) {
    return StrCat("integrity.origin \"", Str(in, "origin"), "\" is not the checkpoint's origin \"",
                  cp->origin, "\"");
  }
  if (Str(s["organisation"], "log") != cp->origin) {
    return StrCat("organisation.log \"", Str(s["organisation"], "log"),
                  "\" is not the checkpoint's origin \"", cp->origin, "\"");
  }
  report->tree_size = cp->size;

  if (!in.contains("entries") || !in["entries"].is_array()) return "integrity.entries missing";
  for (size_t k = 0; k < in["entries"].size(); ++k) {
    const json& e = in["entries"][k];
    const std::string where = StrCat("integrity.entries[", k, "]");
    if (!e.is_object() || !e.contains("index") || !e["index"].is_number_unsigned() ||
        !e.contains("leaf") || !e["leaf"].is_string()) {
      return StrCat(where, " needs an index and a leaf");
    }
    uint64_t index = e["index"].get<uint64_t>();
    if (index >= cp->size) {
      return StrCat(where, ": index ", index, " is beyond the checkpoint's ", cp->size, " entries");
    }
    if (listed->count(index)) return StrCat(where, ": entry ", index, " is listed twice");
    std::string leaf = e["leaf"].get<std::string>();
    absl::StatusOr<std::string> stored = log.LeafAt(index);
    if (!stored.ok()) return StrCat(where, ": ", stored.status().message());
    if (leaf != *stored) {
      return StrCat("entry ", index, ": the listed leaf differs from the ledger's leaf at ", index);
    }
    ledger::Hash hash = ledger::LeafHash(leaf);
    if (Str(e, "leaf_hash") != ledger::HashToBase64(hash)) {
      return StrCat("entry ", index, ": leaf_hash ", Str(e, "leaf_hash"),
                    " is not the hash of the leaf (", ledger::HashToBase64(hash), ")");
    }
    std::vector<ledger::Hash> proof;
    bad =
        ParseHashes(e.value("inclusion_proof", json()), StrCat(where, ".inclusion_proof"), &proof);
    if (!bad.empty()) return bad;
    absl::Status incl = ledger::VerifyInclusion(hash, index, cp->size, proof, cp->root);
    if (!incl.ok()) {
      return StrCat("entry ", index, ": the inclusion proof does not verify: ", incl.message());
    }
    absl::StatusOr<Leaf> parsed = ParseLeaf(std::move(leaf));
    if (!parsed.ok()) return StrCat("entry ", index, ": ", parsed.status().message());
    listed->emplace(index, std::move(*parsed));
    ++report->entries;
  }

  const json previous = in.value("previous", json());
  if (!previous.is_null()) {
    ledger::Checkpoint old;
    bad = CheckCheckpoint(Str(previous, "checkpoint"), log, "integrity.previous.checkpoint", &old);
    if (!bad.empty()) return bad;
    if (!previous.contains("size") || previous["size"] != old.size) {
      return StrCat("integrity.previous.size is not its checkpoint's size ", old.size);
    }
    if (old.size > cp->size) return "integrity.previous is newer than the checkpoint";
    std::vector<ledger::Hash> proof;
    bad = ParseHashes(previous.value("consistency_proof", json()),
                      "integrity.previous.consistency_proof", &proof);
    if (!bad.empty()) return bad;
    absl::Status ok =
        old.size == cp->size
            ? (old.root == cp->root && proof.empty()
                   ? absl::OkStatus()
                   : absl::FailedPreconditionError("same size, different root"))
            : ledger::VerifyConsistency(old.size, cp->size, old.root, cp->root, proof);
    if (!ok.ok()) {
      return StrCat("integrity.previous: the consistency proof does not verify: ", ok.message());
    }
  }

  absl::StatusOr<std::vector<std::string>> stored =
      ledger::ReadCosignatureLines(*log.storage(), cp->size);
  if (!stored.ok()) return std::string(ToStd(stored.status().message()));
  std::set<std::string> known(stored->begin(), stored->end());
  const json cosigs = in.value("cosignatures", json::array());
  if (!cosigs.is_array()) return "integrity.cosignatures is not an array";
  for (const json& c : cosigs) {
    if (!c.is_string() || !known.count(c.get<std::string>())) {
      return StrCat("integrity.cosignatures holds ", c.dump(),
                    ", which the ledger does not store for checkpoint ", cp->size);
    }
  }
  return "";
}

}  // namespace

std::string FirstDifference(const json& stated, const json& computed, const std::string& path) {
  if (stated.type() != computed.type() && !(stated.is_number() && computed.is_number())) {
    return StrCat(path, ": the statement has ", stated.dump(), ", the leaves give ",
                  computed.dump());
  }
  if (computed.is_object()) {
    for (const auto& [k, v] : computed.items()) {
      if (!stated.contains(k))
        return StrCat(path, ".", k, ": missing (the leaves give ", v.dump(), ")");
      std::string d = FirstDifference(stated[k], v, StrCat(path, ".", k));
      if (!d.empty()) return d;
    }
    for (const auto& [k, v] : stated.items()) {
      if (!computed.contains(k)) return StrCat(path, ".", k, ": not a figure the leaves give");
    }
    return "";
  }
  if (computed.is_array()) {
    for (size_t i = 0; i < std::min(stated.size(), computed.size()); ++i) {
      std::string d = FirstDifference(stated[i], computed[i], StrCat(path, "[", i, "]"));
      if (!d.empty()) return d;
    }
    if (stated.size() != computed.size()) {
      return StrCat(path, ": the statement has ", stated.size(), " rows, the leaves give ",
                    computed.size());
    }
    return "";
  }
  if (stated != computed) {
    return StrCat(path, ": the statement has ", stated.dump(), ", the leaves give ",
                  computed.dump());
  }
  return "";
}

absl::StatusOr<CheckReport> CheckStatement(const json& statement, const ledger::Ledger& log) {
  CheckReport report;
  std::map<uint64_t, Leaf> listed;
  ledger::Checkpoint cp;
  report.problem = CheckIntegrity(statement, log, &report, &listed, &cp);
  if (!report.ok()) return report;

  absl::StatusOr<std::vector<Leaf>> all = LoadLeaves(log, cp.size);
  if (!all.ok()) return all.status();
  const std::string id = statement.contains("period") && statement["period"].is_object()
                             ? Str(statement["period"], "id")
                             : "";
  absl::StatusOr<Period> period = ResolvePeriod(id, *all);
  if (!period.ok()) {
    report.problem = StrCat("period: ", period.status().message());
    return report;
  }
  report.problem = FirstDifference(statement["period"], period->ToJson(), "period");
  if (!report.ok()) return report;
  std::set<uint64_t> expected = SelectLeaves(*period, *all);
  for (uint64_t i : expected) {
    if (!listed.count(i)) {
      report.problem = StrCat("entry ", i, " (", (*all)[i].kind,
                              ") belongs in this statement but is not listed");
      return report;
    }
  }
  for (const auto& [i, leaf] : listed) {
    if (!expected.count(i)) {
      report.problem =
          StrCat("entry ", i, " (", leaf.kind, ") is listed but does not belong in this statement");
      return report;
    }
  }
  absl::StatusOr<json> figures = ComputeFigures(*period, listed);
  if (!figures.ok()) {
    report.problem = std::string(ToStd(figures.status().message()));
    return report;
  }
  for (const std::string& section : FigureSections()) {
    json stated = statement.contains(section) ? statement[section] : json();
    report.problem = FirstDifference(stated, (*figures)[section], section);
    if (!report.ok()) return report;
  }
  return report;
}

namespace {

// The lines of `text`, each with its line end.
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t end = text.find('\n');
    end = end == std::string_view::npos ? text.size() : end + 1;
    lines.push_back(text.substr(0, end));
    text.remove_prefix(end);
  }
  return lines;
}

// "line N: boai-disclose writes …, the file has …" for the first line where `want`
// and `got` differ (lines shown as JSON strings, cut at 80 bytes).
std::string FirstDifferingLine(std::string_view want, std::string_view got) {
  auto show = [](const std::vector<std::string_view>& lines, size_t i) {
    if (i >= lines.size()) return std::string("nothing (the end of the file)");
    std::string_view line = lines[i];
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CSV's CRLF
    std::string cut(line.substr(0, 80));
    // Not in the middle of a UTF-8 sequence.
    while (line.size() > 80 && !cut.empty() &&
           (static_cast<unsigned char>(line[cut.size()]) & 0xC0) == 0x80) {
      cut.pop_back();
    }
    return StrCat(json(cut).dump(-1, ' ', false, json::error_handler_t::replace),
                  cut.size() < line.size() ? " (cut)" : "",
                  lines[i].back() == '\n' ? "" : " without a final line end");
  };
  std::vector<std::string_view> a = Lines(want), b = Lines(got);
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i < a.size() && i < b.size() && a[i] == b[i]) continue;
    std::string sa = show(a, i), sb = show(b, i);
    return StrCat("line ", i + 1, ": boai-disclose writes ", sa, ", the file has ", sb,
                  sa == sb ? " (the line ends differ)" : "");
  }
  return "the files differ";
}

}  // namespace

absl::StatusOr<FilesReport> CheckPublishedFiles(std::string_view json_text, const json& statement,
                                                const std::string& dir) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> want;
  want["statement.js"] = StatementJs(json_text);
  for (const CsvTable& t : StatementTables()) {
    want[t.name + ".csv"] = TableCsv(statement, t);
  }
  FilesReport report;
  for (const auto& [name, contents] : want) {
    fs::path path = fs::path(dir.empty() ? "." : dir) / name;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      report.absent.push_back(name);
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) return absl::PermissionDeniedError(StrCat("cannot read ", path.string()));
    report.checked.push_back(name);
    if (text.str() != contents && report.problem.empty()) {
      report.problem =
          StrCat(path.string(), " is not what boai-disclose writes from this statement.json (",
                 name == "statement.js" ? "the page reads statement.js, not statement.json"
                                        : "the download must hold the statement's rows",
                 "): ", FirstDifferingLine(contents, text.str()));
    }
  }
  return report;
}

}  // namespace boai::disclose
