#include "tools/boai/csv.h"

#include <map>
#include <set>

#include "ledger/books/entries.h"
#include "ledger/canonical_json.h"
#include "ledger/strings.h"
#include "tools/boai/common.h"

namespace boai::cli {
namespace {

const std::vector<std::string>& KnownColumns() {
  static const std::vector<std::string> kColumns = {
      "type",        "transaction_id", "date",         "campaign",       "amount",    "donor_name",
      "donor_phone", "display",        "receipt_book", "receipt_number", "no_receipt"};
  return kColumns;
}

constexpr size_t kMaxTransactionId = 128;

}  // namespace

bool SplitCsvLine(std::string_view line, std::vector<std::string>* fields, std::string* error) {
  fields->clear();
  std::string cur;
  size_t i = 0;
  while (true) {
    cur.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cur += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        cur += line[i++];
      }
      if (!closed) {
        *error = StrCat("field ", fields->size() + 1, " opens a quote that does not close");
        return false;
      }
      if (i < line.size() && line[i] != ',') {
        *error = StrCat("field ", fields->size() + 1, " has text after its closing quote");
        return false;
      }
    } else {
      while (i < line.size() && line[i] != ',') cur += line[i++];
    }
    fields->push_back(std::string(StripWhitespace(cur)));
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

std::string ImportKey(const SettlementRow& row) {
  return StrCat("platform/", row.campaign, "/", row.type, "/", row.transaction_id);
}

SettlementFile ParseSettlementCsv(std::string_view text) {
  SettlementFile out;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 BOM
  std::vector<std::string_view> lines = Split(text, '\n');
  std::map<std::string, size_t> column;  // name -> position
  bool have_header = false;
  std::map<std::string, size_t> seen;  // type/campaign/transaction -> line
  std::vector<std::string> f;
  for (size_t n = 0; n < lines.size(); ++n) {
    const size_t line_no = n + 1;
    std::string_view line = lines[n];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Blank lines, comments, and the rows of bare commas spreadsheets leave at the end.
    std::string_view content = StripWhitespace(line);
    if (content.find_first_not_of(", \t") == std::string_view::npos || content[0] == '#') continue;
    auto bad = [&](std::string reason) { out.errors.push_back({line_no, std::move(reason)}); };
    if (!ledger::IsValidUtf8(line)) {
      if (have_header) ++out.data_lines;
      bad("is not UTF-8 text: save the file as CSV UTF-8 (spreadsheets often save Chinese text "
          "as GBK)");
      if (!have_header) return out;
      continue;
    }
    std::string error;
    if (!SplitCsvLine(line, &f, &error)) {
      if (have_header) ++out.data_lines;
      bad(error);
      continue;
    }
    if (!have_header) {
      have_header = true;
      for (size_t i = 0; i < f.size(); ++i) {
        bool known = false;
        for (const std::string& k : KnownColumns()) known = known || k == f[i];
        if (f[i].empty()) {
          bad(StrCat("column ", i + 1, " of the header has no name",
                     i + 1 == f.size() ? " (remove the comma at the end of the header)" : ""));
        } else if (!known) {
          bad(StrCat("the header names an unknown column \"", f[i], "\"; the columns are ",
                     "type, transaction_id, date, campaign, amount, donor_name, donor_phone, "
                     "display, receipt_book, receipt_number, no_receipt"));
        } else if (column.count(f[i])) {
          bad(StrCat("the header names column \"", f[i], "\" twice"));
        } else {
          column[f[i]] = i;
        }
      }
      for (const char* need : {"type", "transaction_id", "date", "campaign", "amount"}) {
        if (!column.count(need)) bad(StrCat("the header lacks the required column \"", need, "\""));
      }
      if (!out.errors.empty()) return out;  // no sense checking rows against a bad header
      continue;
    }
    ++out.data_lines;
    if (f.size() != column.size()) {
      bad(StrCat("has ", f.size(), " fields; the header has ", column.size()));
      continue;
    }
    auto get = [&](const char* name) -> std::string {
      auto it = column.find(name);
      return it == column.end() ? std::string() : f[it->second];
    };
    SettlementRow r;
    r.line = line_no;
    r.type = get("type");
    r.transaction_id = get("transaction_id");
    r.date = get("date");
    r.campaign = get("campaign");
    r.donor_name = get("donor_name");
    r.donor_phone = get("donor_phone");
    r.display = get("display");
    r.receipt_book = get("receipt_book");
    r.no_receipt = get("no_receipt");
    std::vector<std::string> why;  // every problem of the line, not only the first
    if (r.type != "gift" && r.type != "match") {
      why.push_back(StrCat("type \"", r.type, "\" is not gift or match"));
    }
    if (r.transaction_id.empty()) {
      why.push_back("transaction_id is empty: the platform's transaction id is required");
    } else if (r.transaction_id.size() > kMaxTransactionId) {
      why.push_back(StrCat("transaction_id is ", r.transaction_id.size(), " bytes; at most ",
                           kMaxTransactionId));
    } else {
      for (char c : r.transaction_id) {
        if (static_cast<unsigned char>(c) < 0x21 || c == '/') {
          why.push_back(StrCat("transaction_id \"", r.transaction_id,
                               "\" contains a space, control character or '/'"));
          break;
        }
      }
    }
    if (absl::Status s = books::CheckDate("date", r.date); !s.ok()) {
      why.push_back(std::string(ToStd(s.message())));
    }
    if (absl::Status s = books::CheckId("campaign", r.campaign); !s.ok()) {
      why.push_back(std::string(ToStd(s.message())));
    }
    absl::StatusOr<int64_t> fen = ParseYuan(get("amount"));
    if (!fen.ok()) {
      why.push_back(std::string(ToStd(fen.status().message())));
    } else {
      r.amount = *fen;
    }
    const std::string number = get("receipt_number");
    if (r.type == "match") {
      for (auto [name, value] :
           {std::pair{"donor_name", &r.donor_name}, std::pair{"donor_phone", &r.donor_phone},
            std::pair{"display", &r.display}, std::pair{"receipt_book", &r.receipt_book},
            std::pair{"no_receipt", &r.no_receipt}}) {
        if (!value->empty()) why.push_back(StrCat("a match row has no ", name));
      }
      if (!number.empty()) why.push_back("a match row has no receipt_number");
    } else if (r.type == "gift") {
      if (!r.display.empty() && r.display != "masked" && r.display != "anonymous") {
        why.push_back(StrCat("display \"", r.display, "\" is not masked or anonymous"));
      }
      if (r.display == "masked" && r.donor_name.empty()) {
        why.push_back("display masked needs donor_name");
      }
      if (!r.donor_phone.empty() &&
          r.donor_phone.find_first_not_of("0123456789+- ") != std::string::npos) {
        why.push_back(StrCat("donor_phone \"", r.donor_phone, "\" is not a phone number"));
      }
      if (!r.receipt_book.empty() || !number.empty()) {
        uint64_t v = 0;
        if (absl::Status s = books::CheckId("receipt_book", r.receipt_book); !s.ok()) {
          why.push_back(std::string(ToStd(s.message())));
        }
        if (!ParseDecimal(number, &v) || v == 0 || v > static_cast<uint64_t>(INT64_MAX)) {
          why.push_back(StrCat("receipt_number \"", number, "\" is not a positive whole number"));
        } else {
          r.receipt_number = static_cast<int64_t>(v);
        }
        if (!r.no_receipt.empty()) why.push_back("give a receipt or no_receipt, not both");
      } else if (r.no_receipt.empty()) {
        if (!r.donor_name.empty() && r.display != "anonymous") {
          why.push_back(
              "a named donor's gift needs receipt_book and receipt_number, or no_receipt "
              "(declined, anonymous or not_a_donation)");
        } else {
          r.no_receipt = "anonymous";
        }
      } else if (r.no_receipt != "anonymous" && r.no_receipt != "declined" &&
                 r.no_receipt != "not_a_donation") {
        why.push_back(StrCat("no_receipt \"", r.no_receipt,
                             "\" is not anonymous, declined or not_a_donation"));
      }
    }
    if (why.empty()) {
      auto [it, fresh] = seen.emplace(ImportKey(r), line_no);
      if (!fresh) {
        why.push_back(StrCat(r.type, " transaction_id ", r.transaction_id, " of campaign ",
                             r.campaign, " repeats line ", it->second));
      }
    }
    if (!why.empty()) {
      std::string reason = why[0];
      for (size_t i = 1; i < why.size(); ++i) StrAppend(&reason, "; ", why[i]);
      bad(std::move(reason));
      continue;
    }
    out.rows.push_back(std::move(r));
  }
  if (!have_header) out.errors.push_back({1, "the file is empty: it needs a header line"});
  return out;
}

}  // namespace boai::cli
