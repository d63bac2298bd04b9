// CSV files of a statement's tables: UTF-8 with a byte-order mark (so spreadsheet
// programs read Chinese text as UTF-8), RFC 4180 quoting, CRLF line ends, one
// header row of the statement's JSON field names, a money column's name with the
// unit after it ("amount_fen": integer fen, as in statement.json).
//
//   file   = BOM header *(CRLF row) CRLF
//   field  = plain / DQUOTE *(any char, DQUOTE doubled) DQUOTE
// A field is quoted when it holds a comma, a double quote, CR or LF. JSON null is
// an empty field, true/false are "true"/"false", integers are decimal. A text
// field starting with = + - @ TAB CR or ' gets a leading ' (CsvText).
#ifndef BOAI_LEDGER_DISCLOSE_CSV_H_
#define BOAI_LEDGER_DISCLOSE_CSV_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace boai::disclose {

inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// One table of a statement: the file `name`.csv holds the array at JSON pointer
// `path`, one row per element, one column per field.
struct CsvTable {
  std::string name;
  std::string path;  // e.g. "/income/by_fund"
  std::vector<std::string> columns;
  std::vector<std::string> money;  // the columns that hold fen
};

// The tables boai-disclose writes, in order.
const std::vector<CsvTable>& StatementTables();

// True when a text cell starting this way gets a leading ' (formula injection):
// it starts with = + - @, a tab, a CR, or ' itself.
bool NeedsFormulaGuard(std::string_view text);

// A JSON value as one CSV cell's text (before quoting). A string for which
// NeedsFormulaGuard holds is written with one ' before it ("=1+1" -> "'=1+1"), so a
// spreadsheet shows it as text; numbers are never prefixed (-800000 stays a number).
std::string CsvText(const nlohmann::json& v);

// The inverse for a reader comparing a CSV with statement.json: a cell starting
// with ' is that text without its first character; any other cell is as written
// (a number's digits, "true"/"false", "" for null).
std::string CsvCellValue(std::string_view cell);

// The header row of a table: its columns, each money column as "<name>_fen".
std::vector<std::string> CsvHeader(const CsvTable& t);

// The CSV file (BOM included) of `rows`, an array of objects, with `columns`;
// the header row is `header` (same length) or, when empty, `columns`.
std::string ToCsv(const nlohmann::json& rows, const std::vector<std::string>& columns,
                  const std::vector<std::string>& header = {});

// The file `t.name`.csv of a statement, as boai-disclose writes it.
std::string TableCsv(const nlohmann::json& statement, const CsvTable& t);

// Parses RFC 4180 text (a leading BOM is skipped; CRLF or LF line ends) into rows
// of fields. InvalidArgument names the line of an unterminated quoted field.
absl::StatusOr<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text);

}  // namespace boai::disclose

#endif  // BOAI_LEDGER_DISCLOSE_CSV_H_
