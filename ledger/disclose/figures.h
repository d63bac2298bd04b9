// The figures of a public statement, computed from leaves alone.
//
// docs/disclosure.md is the long form of every rule here: which leaves a statement
// lists (SelectLeaves), which of them count in the period, and how each total is
// summed (ComputeFigures). The same two functions serve the writer (boai-disclose)
// and the checker (boai-audit check-statement), and the browser page re-implements
// them from the document, so any change here is a change of that document.
#ifndef BOAI_LEDGER_DISCLOSE_FIGURES_H_
#define BOAI_LEDGER_DISCLOSE_FIGURES_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace boai::disclose {

// What a statement covers. Dates are inclusive "YYYY-MM-DD" business dates.
struct Period {
  std::string kind;  // "year", "quarter", "month", "campaign" or "programme"
  std::string id;    // "2019", "2019Q3", "2019-09", a campaign id or a programme id
  std::string from, to;
  std::string fund;  // campaign and programme statements: the one fund in scope; else ""

  nlohmann::json ToJson() const;  // {"kind","id","from","to","fund"} (fund null if "")
  bool operator==(const Period&) const = default;
};

// One decoded leaf: its bytes, header fields and parsed body.
struct Leaf {
  uint64_t index = 0;
  uint64_t time_ms = 0;
  std::string bytes;
  std::string kind;
  nlohmann::json body;
  std::string Date() const;  // body "date", or "" for kinds without one
};

// Decodes leaf bytes (any kind). InvalidArgument if they are not a leaf or the
// body is not JSON.
absl::StatusOr<Leaf> ParseLeaf(std::string bytes);

// The period named by `spec` (2019, 2019Q3, 2019-09, a campaign id, a programme
// id) in the ledger prefix `all` (all[i].index == i). InvalidArgument says what
// `spec` may be when it names nothing.
absl::StatusOr<Period> ResolvePeriod(std::string_view spec, const std::vector<Leaf>& all);

// The indices of the leaves a statement for `period` lists, from the ledger
// prefix `all` (all[i].index == i).
std::set<uint64_t> SelectLeaves(const Period& period, const std::vector<Leaf>& all);

// The statement sections computed from the listed leaves only: "income",
// "payments", "in_kind", "campaigns", "funds", "corrections", "donors", "aid",
// "indicators", "monthly". InvalidArgument if a listed leaf refers to one that is
// not listed (an approval without its request, a reversal without its target).
absl::StatusOr<nlohmann::json> ComputeFigures(const Period& period,
                                              const std::map<uint64_t, Leaf>& listed);

// The keys ComputeFigures fills, in statement order.
const std::vector<std::string>& FigureSections();

// "YYYY-MM-DD" plus `months` months, the day clamped to the month's length.
std::string AddMonths(std::string_view date, int months);
// "YYYY-MM-DD" plus `days` days (may be negative).
std::string AddDays(std::string_view date, int days);

}  // namespace boai::disclose

#endif  // BOAI_LEDGER_DISCLOSE_FIGURES_H_
