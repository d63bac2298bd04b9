#include "ledger/disclose/csv.h"

#include <algorithm>

#include "ledger/strings.h"

namespace boai::disclose {

const std::vector<CsvTable>& StatementTables() {
  static const std::vector<CsvTable> kTables = {
      {"income",
       "/income/by_fund",
       {"fund", "name", "donations", "grants", "matching", "total"},
       {"donations", "grants", "matching", "total"}},
      {"income_by_channel", "/income/by_channel", {"channel", "amount", "count"}, {"amount"}},
      {"payments",
       "/payments/items",
       {"index", "request", "date", "fund", "programme", "tier", "purpose", "method", "amount",
        "reversed_by"},
       {"amount"}},
      {"donors",
       "/donors",
       {"index", "date", "display", "amount", "channel", "income", "fund", "campaign",
        "receipt_book", "receipt_number", "reversed_by"},
       {"amount"}},  // "income" here is the kind of income ("donation"), not money
      {"campaigns",
       "/campaigns",
       {"id", "index", "name", "fund", "platform", "start", "end", "target", "raised", "gifts",
        "matched", "clawed_back", "matched_net", "settled_gifts", "settled_matching", "settled"},
       {"target", "raised", "matched", "clawed_back", "matched_net", "settled_gifts",
        "settled_matching", "settled"}},
      {"funds",
       "/funds",
       {"id", "index", "name", "purpose", "restricted", "opening", "income", "payments", "closing"},
       {"opening", "income", "payments", "closing"}},
      {"in_kind",
       "/in_kind",
       {"index", "date", "fund", "description", "quantity", "unit", "method", "amount",
        "evidence_sha256", "donor", "reversed_by"},
       {"amount"}},
      {"corrections",
       "/corrections",
       {"index", "kind", "date", "corrects", "corrects_kind", "amount", "receipt_book",
        "receipt_number", "reason"},
       {"amount"}},
      {"aid", "/aid", {"programme", "name", "tier", "count", "amount"}, {"amount"}},
      {"indicators", "/indicators", {"index", "date", "id", "name", "value", "unit"}, {}},
      {"monthly", "/monthly", {"month", "fund", "income", "payments"}, {"income", "payments"}},
  };
  return kTables;
}

bool NeedsFormulaGuard(std::string_view text) {
  return !text.empty() && std::string_view("=+-@\t\r'").find(text[0]) != std::string_view::npos;
}

std::string CsvText(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    // OWASP CSV injection: a spreadsheet runs a cell starting with = + - @ (or tab,
    // CR) as a formula; a leading ' makes it text. A cell that starts with ' gets
    // one too, so "drop one leading '" reverses the rule for every cell.
    return NeedsFormulaGuard(s) ? StrCat("'", s) : s;
  }
  return v.dump();  // integers (a negative amount stays a number) and booleans
}

std::string CsvCellValue(std::string_view cell) {
  if (!cell.empty() && cell[0] == '\'') cell.remove_prefix(1);
  return std::string(cell);
}

namespace {

std::string Quote(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

std::vector<std::string> CsvHeader(const CsvTable& t) {
  std::vector<std::string> header;
  for (const std::string& c : t.columns) {
    bool money = std::find(t.money.begin(), t.money.end(), c) != t.money.end();
    header.push_back(money ? StrCat(c, "_fen") : c);
  }
  return header;
}

std::string TableCsv(const nlohmann::json& statement, const CsvTable& t) {
  nlohmann::json rows =
      statement.value(nlohmann::json::json_pointer(t.path), nlohmann::json::array());
  return ToCsv(rows, t.columns, CsvHeader(t));
}

std::string ToCsv(const nlohmann::json& rows, const std::vector<std::string>& columns,
                  const std::vector<std::string>& header) {
  const std::vector<std::string>& names = header.empty() ? columns : header;
  std::string out(kUtf8Bom);
  for (size_t i = 0; i < names.size(); ++i) StrAppend(&out, i ? "," : "", Quote(names[i]));
  out += "\r\n";
  for (const nlohmann::json& row : rows) {
    for (size_t i = 0; i < columns.size(); ++i) {
      const nlohmann::json v = row.contains(columns[i]) ? row[columns[i]] : nlohmann::json();
      StrAppend(&out, i ? "," : "", Quote(CsvText(v)));
    }
    out += "\r\n";
  }
  return out;
}

absl::StatusOr<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text) {
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, in_quotes = false;
  size_t line = 1, quote_line = 0;
  auto end_row = [&] {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
    row.clear();
    field.clear();
    quoted = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
    } else if (c == '"' && field.empty() && !quoted) {
      in_quotes = quoted = true;
      quote_line = line;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      quoted = false;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      // CRLF: the LF ends the row.
    } else if (c == '\n') {
      ++line;
      end_row();
    } else {
      field += c;
    }
  }
  if (in_quotes) {
    return absl::InvalidArgumentError(
        StrCat("CSV: the quoted field opened on line ", quote_line, " is never closed"));
  }
  if (!field.empty() || !row.empty() || quoted) end_row();
  return rows;
}

}  // namespace boai::disclose
