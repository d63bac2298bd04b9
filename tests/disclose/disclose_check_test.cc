// Public statements checked: check-statement, consistency proofs, due calendar, the two CLIs.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/books/books_hook.h"
#include "ledger/books/clerk.h"
#include "ledger/books/entries.h"
#include "ledger/disclose/check.h"
#include "ledger/disclose/due.h"
#include "ledger/disclose/figures.h"
#include "ledger/disclose/statement.h"
#include "ledger/ledger.h"
#include "ledger/storage.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"
#include "rocksdb/write_batch.h"
#include "tests/disclose/disclose_test_support.h"

namespace boai::disclose {
namespace {

namespace fs = std::filesystem;
using disclose_testing::DiscloseTest;
using disclose_testing::ReadFile;
using nlohmann::json;

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

TEST_F(DiscloseTest, CheckStatementRefusesMembersTheSchemaDoesNotAllow) {
  json s = Statement("2019");
  ASSERT_EQ(Check(s), "OK");
  auto changed = [&s](auto change) {
    json c = s;
    change(c);
    return c;
  };
  const std::string not_allowed =
      ": not a member the statement format allows here (docs/statement.schema.json)";
  EXPECT_EQ(Check(changed([](json& c) { c["notes"] = "x"; })), "notes" + not_allowed);
  EXPECT_EQ(Check(changed([](json& c) { c["organisation"]["contact"] = "x"; })),
            "organisation.contact" + not_allowed);
  EXPECT_EQ(Check(changed([](json& c) { c["integrity"]["entries"][0]["note"] = "x"; })),
            "integrity.entries[0].note" + not_allowed);
  EXPECT_EQ(Check(changed([](json& c) { c["integrity"]["signed_by"] = "x"; })),
            "integrity.signed_by" + not_allowed);
  EXPECT_EQ(Check(changed([](json& c) {
              c["integrity"]["previous"] = {{"size", 1}, {"x", 2}};
            })),
            "integrity.previous.x" + not_allowed);
  EXPECT_EQ(Check(changed([](json& c) { c["donors"][0]["extra"] = 1; })),
            "donors[0].extra: not a figure the leaves give");
  EXPECT_EQ(Check(changed([](json& c) { c.erase("currency"); })), "currency: missing");
  EXPECT_EQ(Check(changed([](json& c) { c["currency"] = "USD"; })),
            "currency: \"USD\", not \"CNY\"");
  EXPECT_EQ(Check(changed([](json& c) { c["unit"] = "yuan"; })), "unit: \"yuan\", not \"fen\"");
  EXPECT_EQ(Check(changed([](json& c) { c["organisation"]["log"] = "other.example/log"; })),
            "organisation.log \"other.example/log\" is not the checkpoint's origin "
            "\"boai.local/ledger\"");
}

// check.cc's lists of allowed members are the schema's closed objects.
TEST(StatementMembers, AreTheSchemasProperties) {
  std::ifstream in(fs::path(BOAI_SOURCE_DIR) / "docs/statement.schema.json");
  json schema = json::parse(in, nullptr, false);
  ASSERT_FALSE(schema.is_discarded());
  auto names = [](const json& object_schema) {
    EXPECT_EQ(object_schema.value("additionalProperties", true), false);
    std::vector<std::string> out;
    for (const auto& [k, v] : object_schema["properties"].items()) out.push_back(k);
    return out;
  };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  const json& p = schema["properties"];
  EXPECT_EQ(sorted(StatementMembers("")), names(schema));
  EXPECT_EQ(sorted(StatementMembers("organisation")), names(p["organisation"]));
  EXPECT_EQ(sorted(StatementMembers("integrity")), names(p["integrity"]));
  const json& in_props = p["integrity"]["properties"];
  const json& previous = in_props["previous"];  // {"type": ["object", "null"], ...}
  EXPECT_EQ(sorted(StatementMembers("integrity.previous")), names(previous));
  EXPECT_EQ(sorted(StatementMembers("integrity.entries[]")), names(in_props["entries"]["items"]));
  EXPECT_TRUE(StatementMembers("income").empty());
}

TEST_F(DiscloseTest, CheckPublishedFilesComparesStatementJsAndEveryCsv) {
  json s = Statement("2019");
  std::map<std::string, std::string> files = StatementFiles(s);
  fs::path dir = *root_ / "published";
  ASSERT_TRUE(WriteFiles(dir.string(), files).ok());
  const std::string text = files["statement.json"];
  absl::StatusOr<FilesReport> r = CheckPublishedFiles(text, s, dir.string());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok()) << r->problem;
  EXPECT_EQ(r->checked.size(), 12u);
  EXPECT_TRUE(r->absent.empty());

  // statement.js of another statement (one amount changed): the page would show it.
  json other = s;
  other["income"]["total"] = other["income"]["total"].get<int64_t>() + 100;
  std::ofstream(dir / "statement.js", std::ios::binary | std::ios::trunc)
      << StatementJs(other.dump(2) + "\n");
  r = CheckPublishedFiles(text, s, dir.string());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->problem.find((dir / "statement.js").string() +
                            " is not what boai-disclose writes from this statement.json"),
            std::string::npos)
      << r->problem;
  // The line of the changed total in the statement.js written.
  const std::string changed_total =
      StrCat("\"total\": ", other["income"]["total"].get<int64_t>(), "\n");
  size_t line = 1;
  for (const std::string_view l : Split(StatementJs(other.dump(2) + "\n"), '\n')) {
    if (StrCat(l, "\n").find(changed_total) != std::string::npos) break;
    ++line;
  }
  EXPECT_NE(r->problem.find(StrCat("line ", line, ": ")), std::string::npos) << r->problem;
  std::ofstream(dir / "statement.js", std::ios::binary | std::ios::trunc) << files["statement.js"];

  // A donor's amount changed in the download only: named with its line (BOM and
  // header are line 1, so the first row is line 2).
  std::string csv = files["donors.csv"];
  size_t row2 = csv.find("\r\n") + 2;
  size_t comma = csv.find(",", csv.find(",", csv.find(",", row2) + 1) + 1);  // after display
  csv.insert(comma + 1, "1");
  std::ofstream(dir / "donors.csv", std::ios::binary | std::ios::trunc) << csv;
  r = CheckPublishedFiles(text, s, dir.string());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->problem.find((dir / "donors.csv").string()), std::string::npos) << r->problem;
  EXPECT_NE(r->problem.find("line 2: boai-disclose writes "), std::string::npos) << r->problem;

  // A missing download is listed, not a problem.
  fs::remove(dir / "donors.csv");
  fs::remove(dir / "statement.js");
  r = CheckPublishedFiles(text, s, dir.string());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok()) << r->problem;
  EXPECT_EQ(r->absent, (std::vector<std::string>{"donors.csv", "statement.js"}));
  EXPECT_EQ(r->checked.size(), 10u);
}

TEST_F(DiscloseTest, ACheckpointBeyondTheLedgerNamesBothCauses) {
  // A copy of the ledger one entry ahead: its statement checked against the
  // original, which is then an older copy.
  fs::path newer = *root_ / "newer";
  log_.reset();
  fs::copy(Data(), newer, fs::copy_options::recursive);
  json s;
  {
    books::BooksHook hook;
    ledger::LedgerOptions o;
    o.origin = "boai.local/ledger";
    o.sync = false;
    o.hook = &hook;
    auto log = ledger::Ledger::Open(newer.string(), o);
    ASSERT_TRUE(log.ok()) << log.status();
    books::Clerk clerk(log->get(), &hook);
    json body = {{"by", "clerk.wang"},          {"date", "2019-12-31"}, {"id", "volunteers"},
                 {"name", "志愿者 volunteers"}, {"unit", "人 persons"}, {"value", 1900}};
    absl::StatusOr<books::Entry> e = books::ParseEntry("indicator", body);
    ASSERT_TRUE(e.ok()) << e.status();
    ASSERT_TRUE(clerk.Record("indicator", "clerk.wang", e->body, "test-newer-indicator").ok());
    absl::StatusOr<json> built = BuildStatement(**log, "2019", {});
    ASSERT_TRUE(built.ok()) << built.status();
    s = *built;
  }
  SetUp();
  std::string problem = Check(s);
  EXPECT_NE(problem.find(StrCat("is signed for ", log_->Size() + 1,
                                " entries but the ledger holds only ", log_->Size(),
                                ": either this copy of the ledger is older than the statement")),
            std::string::npos)
      << problem;
  EXPECT_NE(problem.find("or entries were removed"), std::string::npos) << problem;
  // boai-disclose --previous with that statement says the same.
  BuildOptions o;
  o.previous = s;
  absl::StatusOr<json> built = BuildStatement(*log_, "2019", o);
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().message(),
            StrCat("the previous statement was cut at ", log_->Size() + 1,
                   " entries, but the ledger has only ", log_->Size(),
                   ": either this copy of the ledger is older than the previous statement "
                   "(publish from a current copy) or entries were removed since"));
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
  EXPECT_NE(text.find("files       aid.csv campaigns.csv"), std::string::npos) << text;
  EXPECT_NE(text.find("statement.js: exactly what boai-disclose writes"), std::string::npos)
      << text;
  // A download changed after publishing: named, with its first differing line.
  const std::string monthly = ReadFile(out / "monthly.csv");
  std::ofstream(out / "monthly.csv", std::ios::binary | std::ios::app) << "2019-12,x,1,1\r\n";
  EXPECT_EQ(
      RunCommand(StrCat(BOAI_AUDIT_PATH, " check-statement ", stmt, " --data ", Data()), &text), 1)
      << text;
  EXPECT_NE(text.find(StrCat("MISMATCH ", (out / "monthly.csv").string(),
                             " is not what boai-disclose writes")),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("boai-disclose writes nothing (the end of the file), the file has "
                      "\"2019-12,x,1,1\""),
            std::string::npos)
      << text;
  std::ofstream(out / "monthly.csv", std::ios::binary | std::ios::trunc) << monthly;
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
  // An --out that cannot be created (a path under a plain file) is a usage error too.
  std::ofstream(out / "plain") << "x";
  EXPECT_EQ(RunCommand(StrCat(BOAI_DISCLOSE_PATH, " --data ", Data(), " --period 2019 --out ",
                              (out / "plain" / "site").string()),
                       &text),
            2);
  EXPECT_NE(text.find("cannot create directory"), std::string::npos) << text;

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
