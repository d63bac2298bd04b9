// Checking a published statement against the ledger (boai-audit check-statement).
//
// In order, stopping at the first mismatch:
//   1. the statement is a boai-statement/1 object with an integrity block;
//   2. its verifier key is this ledger's, and its checkpoint is signed by it, names
//      this ledger's origin, and has the root the ledger has at that size;
//   3. every listed leaf is byte-identical to the ledger's leaf at its index, its
//      leaf_hash is the RFC 9162 hash of those bytes, and its inclusion proof
//      verifies against the checkpoint;
//   4. "previous", when present: signed by the same key, and its consistency proof
//      verifies from its size to the checkpoint's;
//   5. each cosignature line is one the ledger stores for that checkpoint;
//   6. the period is the one its id names in the ledger at the checkpoint's size,
//      and the listed leaves are exactly those the statement must list
//      (docs/disclosure.md: none missing, none extra);
//   7. every figure equals what the listed leaves give.
// Step 1 also refuses members the JSON Schema (docs/statement.schema.json) does not
// allow in its closed objects: the top level, organisation, integrity,
// integrity.previous and each integrity.entries[k] (the figure sections are
// compared member by member in step 7); currency must be "CNY", unit "fen", and
// organisation.log the checkpoint's origin.
//
// CheckPublishedFiles checks the files published beside statement.json: the
// statement.js the page reads and the CSV downloads.
#ifndef BOAI_LEDGER_DISCLOSE_CHECK_H_
#define BOAI_LEDGER_DISCLOSE_CHECK_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/ledger.h"
#include "nlohmann/json.hpp"

namespace boai::disclose {

struct CheckReport {
  uint64_t tree_size = 0;
  uint64_t entries = 0;  // leaves checked
  std::string problem;   // the first mismatch; empty when the statement checks out
  bool ok() const { return problem.empty(); }
};

// Checks `statement` against `log`. A non-OK status means the check could not run
// (the ledger could not be read); mismatches are reported in CheckReport::problem.
absl::StatusOr<CheckReport> CheckStatement(const nlohmann::json& statement,
                                           const ledger::Ledger& log);

// The members the statement format allows in `object` ("" the top level,
// "organisation", "integrity", "integrity.previous", "integrity.entries[]"), as in
// docs/statement.schema.json; empty for any other name.
const std::vector<std::string>& StatementMembers(const std::string& object);

struct FilesReport {
  std::vector<std::string> checked;  // files found in the directory and compared
  std::vector<std::string> absent;   // statement.js or table CSVs not in the directory
  std::string problem;               // the first file that differs; empty when all match
  bool ok() const { return problem.empty(); }
};

// The files beside a statement.json in `dir`: statement.js must be exactly
// StatementJs(json_text) (statement.h), and each table's CSV (csv.h) exactly what boai-disclose
// writes from `statement` (the parsed json_text), byte for byte. Files that are
// absent are listed, not a problem. The problem names the file and its first
// differing line. A non-OK status: a file exists but cannot be read.
absl::StatusOr<FilesReport> CheckPublishedFiles(std::string_view json_text,
                                                const nlohmann::json& statement,
                                                const std::string& dir);

// The first place two JSON values differ, as "path: statement has X, leaves give Y",
// or "" when equal.
std::string FirstDifference(const nlohmann::json& stated, const nlohmann::json& computed,
                            const std::string& path);

}  // namespace boai::disclose

#endif  // BOAI_LEDGER_DISCLOSE_CHECK_H_
