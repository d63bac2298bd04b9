// Public statements on the demo data: the 2019 figures, the schema, the CSV
// tables, privacy, check-statement and the deadline calendar.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "ledger/books/books_hook.h"
#include "ledger/books/clerk.h"
#include "ledger/books/demo.h"
#include "ledger/books/personal.h"
#include "ledger/disclose/check.h"
#include "ledger/disclose/csv.h"
#include "ledger/disclose/due.h"
#include "ledger/disclose/statement.h"
#include "ledger/ledger.h"
#include "ledger/strings.h"
#include "tests/disclose/schema_validator.h"

namespace boai::disclose {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a command line; returns its exit status and puts stdout in `out`.
int RunCommand(const std::string& cmd, std::string* out = nullptr) {
  std::string full = cmd + " 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) text.append(buf, n);
  int status = ::pclose(p);
  if (out != nullptr) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// One demo ledger for the whole suite (loading it is the slow part).
class DiscloseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(fs::temp_directory_path() /
                         StrCat("boai-disclose-test-", std::random_device{}(), "-", ::getpid()));
    books::BooksHook hook;
    ledger::LedgerOptions o;
    o.origin = "boai.local/ledger";  // the default origin, as in docs/examples
    o.sync = false;
    o.hook = &hook;
    auto log = ledger::Ledger::Open(Data(), o);
    ASSERT_TRUE(log.ok()) << log.status();
    books::PersonalStore people((*log)->storage());
    books::Clerk clerk(log->get(), &hook);
    std::ostringstream steps;
    absl::Status s = books::LoadDemo(clerk, people, steps);
    ASSERT_TRUE(s.ok()) << s << steps.str();
  }
  static void TearDownTestSuite() {
    fs::remove_all(*root_);
    delete root_;
  }
  static std::string Data() { return (*root_ / "data").string(); }

  void SetUp() override {
    ledger::LedgerOptions o;
    o.read_only = true;
    auto log = ledger::Ledger::Open(Data(), o);
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
  }

  json Statement(const std::string& period, BuildOptions options = {}) {
    absl::StatusOr<json> s = BuildStatement(*log_, period, options);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : json();
  }
  std::string Check(const json& statement) {
    absl::StatusOr<CheckReport> r = CheckStatement(statement, *log_);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? (r->ok() ? "OK" : r->problem) : "error";
  }
  static json Row(const json& rows, const std::string& field, const json& value) {
    for (const json& r : rows) {
      if (r[field] == value) return r;
    }
    ADD_FAILURE() << "no row with " << field << " = " << value.dump();
    return json::object();
  }

  static fs::path* root_;
  std::unique_ptr<ledger::Ledger> log_;
};
fs::path* DiscloseTest::root_ = nullptr;

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
    EXPECT_EQ((*rows)[0], t.columns) << t.name;
    for (size_t r = 0; r < want.size(); ++r) {
      ASSERT_EQ((*rows)[r + 1].size(), t.columns.size()) << t.name << " row " << r;
      for (size_t c = 0; c < t.columns.size(); ++c) {
        EXPECT_EQ((*rows)[r + 1][c], CsvText(want[r][t.columns[c]]))
            << t.name << " row " << r << " column " << t.columns[c];
      }
    }
  }
  // Quoting: commas, quotes and line breaks survive.
  json tricky = json::array({{{"a", "x,\"y\"\r\nz"}, {"b", 5}}});
  auto parsed = ParseCsv(ToCsv(tricky, {"a", "b"}));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ((*parsed)[1], (std::vector<std::string>{"x,\"y\"\r\nz", "5"}));
  EXPECT_FALSE(ParseCsv("a,\"b\r\n").ok());
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

TEST_F(DiscloseTest, CheckStatementPassesAndNamesTheFirstMismatch) {
  json s = Statement("2019");
  EXPECT_EQ(Check(s), "OK");
  EXPECT_EQ(Check(Statement("camp.99-2019")), "OK");
  EXPECT_EQ(Check(Statement("prog.little-angel")), "OK");

  json amount = s;
  amount["income"]["by_channel"][0]["amount"] = 3990000;
  EXPECT_EQ(Check(amount),
            "income.by_channel[0].amount: the statement has 3990000, the leaves give 3980000");
  json donor = s;
  donor["donors"][3]["amount"] = donor["donors"][3]["amount"].get<int64_t>() + 1;
  EXPECT_NE(Check(donor).find("donors[3].amount"), std::string::npos);

  // One changed leaf: the bytes no longer match the ledger's.
  json leaf = s;
  size_t k = 0;
  while (leaf["integrity"]["entries"][k]["leaf"].get<std::string>().find("\"kind\":\"gift\"") ==
         std::string::npos) {
    ++k;
  }
  json& e = leaf["integrity"]["entries"][k];
  std::string bytes = e["leaf"];
  size_t at = bytes.find("\"amount\":");
  ASSERT_NE(at, std::string::npos);
  bytes.insert(at + 9, "1");
  e["leaf"] = bytes;
  EXPECT_EQ(Check(leaf), StrCat("entry ", e["index"].get<uint64_t>(),
                                ": the listed leaf differs from the ledger's leaf at ",
                                e["index"].get<uint64_t>()));

  json proof = s;
  proof["integrity"]["entries"][5]["inclusion_proof"][0] =
      proof["integrity"]["entries"][5]["inclusion_proof"][1];
  EXPECT_NE(Check(proof).find("inclusion proof does not verify"), std::string::npos);

  json missing = s;
  missing["integrity"]["entries"].erase(10);
  EXPECT_NE(Check(missing).find("belongs in this statement but is not listed"), std::string::npos);

  json signature = s;
  std::string cp = signature["integrity"]["checkpoint"];
  cp[cp.size() - 5] = cp[cp.size() - 5] == 'A' ? 'B' : 'A';
  signature["integrity"]["checkpoint"] = cp;
  EXPECT_NE(Check(signature).find("not signed by this ledger's key"), std::string::npos);

  json cosig = s;
  cosig["integrity"]["cosignatures"].push_back("— auditor AAAA\n");
  EXPECT_NE(Check(cosig).find("does not store"), std::string::npos);
}

TEST_F(DiscloseTest, PreviousStatementGivesAConsistencyProof) {
  json earlier = Statement("2019Q1");
  // Cut at a smaller size: the checkpoint of an earlier batch.
  uint64_t size = log_->Size();
  uint64_t old_size = 0;
  std::string old_cp;
  for (uint64_t n = size / 2; n < size && old_cp.empty(); ++n) {
    if (auto c = log_->CheckpointAt(n); c.ok()) old_cp = *c, old_size = n;
  }
  ASSERT_FALSE(old_cp.empty());
  earlier["integrity"]["checkpoint"] = old_cp;
  BuildOptions o;
  o.previous = earlier;
  json s = Statement("2019", o);
  EXPECT_EQ(s["integrity"]["previous"]["size"], old_size);
  EXPECT_FALSE(s["integrity"]["previous"]["consistency_proof"].empty());
  EXPECT_EQ(Check(s), "OK");
  json bad = s;
  bad["integrity"]["previous"]["consistency_proof"][0] = s["integrity"]["entries"][0]["leaf_hash"];
  EXPECT_NE(Check(bad).find("consistency proof does not verify"), std::string::npos);
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

TEST(DueCalendar, FollowsTheDisclosureRules) {
  auto campaign = [](uint64_t i, const char* id, const char* start, const char* end) {
    Leaf l;
    l.index = i;
    l.kind = "campaign.open";
    l.body = {{"id", id},   {"name", id},  {"start", start},
              {"end", end}, {"fund", "f"}, {"target", 1}};
    return l;
  };
  Leaf gift;
  gift.kind = "gift";
  gift.body = {{"date", "2024-03-01"}};
  std::vector<Leaf> all = {gift, campaign(1, "short", "2025-09-07", "2025-09-09"),
                           campaign(2, "long", "2025-01-31", "2025-12-31")};
  auto items = DueCalendar(all, "2026-02-15");
  ASSERT_TRUE(items.ok());
  std::vector<std::string> got;
  for (const DueItem& i : *items) {
    got.push_back(
        StrCat(i.what, " ", i.period, " ", i.from, "..", i.to, " due ", i.due, " ", i.status));
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "campaign-interim long 2025-01-31..2025-04-29 due 2025-04-30 overdue",
                     "annual-report 2024 2024-01-01..2024-12-31 due 2025-05-31 overdue",
                     "campaign-interim long 2025-04-30..2025-07-30 due 2025-07-31 overdue",
                     "campaign-interim long 2025-07-31..2025-10-30 due 2025-10-31 overdue",
                     "campaign-final short 2025-09-07..2025-09-09 due 2025-12-09 overdue",
                     "campaign-final long 2025-01-31..2025-12-31 due 2026-03-31 upcoming",
                     "annual-report 2025 2025-01-01..2025-12-31 due 2026-05-31 upcoming",
                     "annual-report 2026 2026-01-01..2026-12-31 due 2027-05-31 upcoming"}));
  // Thirty days before a deadline it is due.
  auto march = DueCalendar(all, "2026-03-05");
  ASSERT_TRUE(march.ok());
  for (const DueItem& i : *march) {
    if (i.what == "campaign-final" && i.period == "long") {
      EXPECT_EQ(i.status, "due");
    }
  }
  EXPECT_FALSE(DueCalendar(all, "2026-02-30").ok());
  EXPECT_EQ(AddMonths("2019-08-31", 6), "2020-02-29");
  EXPECT_EQ(AddDays("2020-03-01", -1), "2020-02-29");
}

TEST_F(DiscloseTest, ToolsWriteTheSiteAndCheckTheStatement) {
  fs::path out = *root_ / "cli";
  std::string text;
  ASSERT_EQ(RunCommand(StrCat(BOAI_DISCLOSE_PATH, " --data ", Data(), " --period 2019 --out ",
                              out.string()),
                       &text),
            0)
      << text;
  EXPECT_NE(text.find("income      650,000.00 yuan"), std::string::npos) << text;
  for (const char* f : {"statement.json", "statement.js", "index.html", "donors.csv", "aid.csv",
                        "indicators.csv", "income.csv", "payments.csv", "campaigns.csv",
                        "funds.csv", "in_kind.csv", "corrections.csv"}) {
    EXPECT_TRUE(fs::exists(out / f)) << f;
  }
  std::string js = ReadFile(out / "statement.js");
  std::string json_text = ReadFile(out / "statement.json");
  EXPECT_EQ(js,
            StrCat("window.BOAI_STATEMENT = ", json_text.substr(0, json_text.size() - 1), ";\n"));
  // The embedded site is byte-identical to the source tree's.
  for (const auto& e :
       fs::recursive_directory_iterator(fs::path(BOAI_SOURCE_DIR) / "tools/disclose/site")) {
    if (!e.is_regular_file()) continue;
    fs::path rel = fs::relative(e.path(), fs::path(BOAI_SOURCE_DIR) / "tools/disclose/site");
    EXPECT_TRUE(ReadFile(out / rel) == ReadFile(e.path()))
        << rel << " differs from the source tree's (was boai-disclose rebuilt since?)";
  }

  std::string stmt = (out / "statement.json").string();
  EXPECT_EQ(
      RunCommand(StrCat(BOAI_AUDIT_PATH, " check-statement ", stmt, " --data ", Data()), &text), 0)
      << text;
  json s = json::parse(json_text);
  s["payments"]["total"] = s["payments"]["total"].get<int64_t>() + 100;
  std::ofstream(out / "changed.json") << s.dump();
  EXPECT_EQ(RunCommand(StrCat(BOAI_AUDIT_PATH, " check-statement ", (out / "changed.json").string(),
                              " --data ", Data()),
                       &text),
            1);
  EXPECT_NE(text.find("payments.total"), std::string::npos) << text;
  EXPECT_EQ(
      RunCommand(StrCat(BOAI_AUDIT_PATH, " check-statement /nonexistent.json --data ", Data()),
                 &text),
      2);
  EXPECT_EQ(RunCommand(StrCat(BOAI_DISCLOSE_PATH, " --data ", Data(), " --period 2019W3 --out ",
                              (out / "x").string()),
                       &text),
            2);
  EXPECT_NE(text.find("2019W3"), std::string::npos) << text;

  EXPECT_EQ(
      RunCommand(StrCat(BOAI_DISCLOSE_PATH, " due --data ", Data(), " --on 2020-05-01"), &text), 0);
  EXPECT_NE(text.find("annual-report      2019"), std::string::npos) << text;
  EXPECT_NE(text.find("2020-05-31   due"), std::string::npos) << text;
  EXPECT_EQ(
      RunCommand(StrCat(BOAI_DISCLOSE_PATH, " due --json --data ", Data(), " --on 2020-05-01"),
                 &text),
      0);
  json due = json::parse(text, nullptr, false);
  ASSERT_FALSE(due.is_discarded()) << text;
  EXPECT_EQ(due["disclosures"][0]["what"], "campaign-final");
  EXPECT_EQ(due["disclosures"][0]["due"], "2019-12-09");
  EXPECT_EQ(due["disclosures"][0]["status"], "overdue");
}

TEST_F(DiscloseTest, RefusesToPublishFromABrokenLedger) {
  fs::path copy = *root_ / "broken";
  log_.reset();
  fs::copy(Data(), copy, fs::copy_options::recursive);
  SetUp();
  {
    ledger::StorageOptions so;
    auto storage = ledger::Storage::Open(ledger::DatabasePath(copy.string()), so);
    ASSERT_TRUE(storage.ok()) << storage.status();
    uint64_t gift = **log_->FindByKey("HB2019-0003");
    std::string leaf = *log_->LeafAt(gift);
    size_t at = leaf.find("\"amount\":");
    ASSERT_NE(at, std::string::npos);
    leaf.insert(at + 9, "9");
    rocksdb::WriteBatch wb;
    wb.Put((*storage)->cf(ledger::Cf::kEntries), ledger::U64Key(gift), leaf);
    ASSERT_TRUE((*storage)->Write(&wb, true).ok());
  }
  std::string text;
  EXPECT_EQ(RunCommand(StrCat(BOAI_DISCLOSE_PATH, " --data ", copy.string(),
                              " --period 2019 --out ", (*root_ / "never").string()),
                       &text),
            1)
      << text;
  EXPECT_NE(text.find("nothing was published: BROKEN at entry"), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(*root_ / "never" / "statement.json"));
}

}  // namespace
}  // namespace boai::disclose
