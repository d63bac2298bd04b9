// Public statements (公示): statement.json with its integrity block, statement.js
// and the CSV tables. docs/disclosure.md documents the format and every rule;
// docs/statement.schema.json is its JSON Schema.
#ifndef BOAI_LEDGER_DISCLOSE_STATEMENT_H_
#define BOAI_LEDGER_DISCLOSE_STATEMENT_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/disclose/figures.h"
#include "ledger/ledger.h"
#include "nlohmann/json.hpp"

namespace boai::disclose {

inline constexpr std::string_view kStatementFormat = "boai-statement/1";

struct BuildOptions {
  // The organisation's name as the statement shows it.
  // Default: "县红十字会 County Red Cross Society"
  std::string organisation = "县红十字会 County Red Cross Society";
  // An earlier statement.json: the new statement carries a consistency proof from
  // its checkpoint. Default: none.
  std::optional<nlohmann::json> previous;
};

// Checks the whole ledger as an auditor would (chain, tree, signatures, the books
// replayed from the leaves, derived state) before anything is published.
// FailedPrecondition names the first problem, e.g. "BROKEN at entry 17 [prev-link]: …".
absl::Status VerifyForPublishing(const ledger::Ledger& log);

// Every leaf of the ledger prefix [0, size), decoded.
absl::StatusOr<std::vector<Leaf>> LoadLeaves(const ledger::Ledger& log, uint64_t size);

// The statement for `period_spec` cut from the ledger's latest checkpoint.
// InvalidArgument for a period that names nothing; FailedPrecondition when the
// previous statement's checkpoint is not by this log or not consistent with it.
absl::StatusOr<nlohmann::json> BuildStatement(const ledger::Ledger& log,
                                              std::string_view period_spec,
                                              const BuildOptions& options);

// The files of a statement, by name: statement.json, statement.js and one CSV per
// table (csv.h). Does not include the static site.
std::map<std::string, std::string> StatementFiles(const nlohmann::json& statement);

// statement.js for the text of a statement.json: "window.BOAI_STATEMENT = " + the
// text without its final newline + ";\n" (docs/disclosure.md).
std::string StatementJs(std::string_view json_text);

// Writes `files` into directory `out` (created if missing).
absl::Status WriteFiles(const std::string& out, const std::map<std::string, std::string>& files);

}  // namespace boai::disclose

#endif  // BOAI_LEDGER_DISCLOSE_STATEMENT_H_
