// The platform settlement CSV that `boai import` reads (99 Giving Day style:
// one line per online gift, plus the platform's matching rows). docs/api.md
// documents the format; tests/services/data/settlement-99-2019.csv is an example.
#ifndef BOAI_TOOLS_BOAI_CSV_H_
#define BOAI_TOOLS_BOAI_CSV_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace boai::cli {

// One good line of the file.
struct SettlementRow {
  size_t line = 0;   // 1-based line number in the file (the header is line 1)
  std::string type;  // "gift" or "match"
  std::string transaction_id, date, campaign;
  int64_t amount = 0;  // fen
  std::string donor_name, donor_phone;
  std::string display;  // "", "masked" or "anonymous"
  std::string receipt_book;
  int64_t receipt_number = 0;
  std::string no_receipt;  // gifts without a receipt: anonymous, declined, not_a_donation
};

struct LineError {
  size_t line = 0;
  std::string reason;
};

struct SettlementFile {
  std::vector<SettlementRow> rows;  // the good lines, in file order
  std::vector<LineError> errors;    // every bad line, in file order
  size_t data_lines = 0;            // lines that are neither the header, blank nor comments
};

// Splits one CSV line (RFC 4180 quoting: "a,b" and "" for a quote; no line
// breaks inside fields). False with `*error` set if a quote is unbalanced.
bool SplitCsvLine(std::string_view line, std::vector<std::string>* fields, std::string* error);

// Parses and checks every line of a settlement file. Never stops at the first
// bad line: each one gets a LineError with its number and what is wrong.
SettlementFile ParseSettlementCsv(std::string_view text);

// The idempotency key of a row: "platform/<campaign>/<type>/<transaction_id>",
// so importing the same file again (or an overlapping one) adds nothing.
std::string ImportKey(const SettlementRow& row);

}  // namespace boai::cli

#endif  // BOAI_TOOLS_BOAI_CSV_H_
