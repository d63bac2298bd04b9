// boai import: a platform settlement CSV through the Import RPC. Dry runs report
// every bad line; re-runs add nothing; a server killed in the middle of an
// import loses nothing and duplicates nothing once the import is run again.
#include <filesystem>
#include <thread>

#include "service_test_support.h"

namespace boai::service::testing {
namespace {

const std::string kExample =
    (std::filesystem::path(__FILE__).parent_path() / "data" / "settlement-99-2019.csv").string();

constexpr char kHeader[] =
    "type,transaction_id,date,campaign,amount,donor_name,donor_phone,display,receipt_book,"
    "receipt_number,no_receipt\n";

// Opens the guangming fund and the 99 Giving Day 2019 campaign on `stub`.
void OpenCampaign(v1::Ledger::Stub* stub, const std::string& admin) {
  v1::OpenFundRequest of;
  of.set_id("fund.guangming");
  of.set_name("光明行");
  of.set_restricted(true);
  v1::Receipt r;
  grpc::Status s = stub->OpenFund(Ctx(admin).get(), of, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::OpenCampaignRequest oc;
  oc.set_id("camp.99-2019");
  oc.set_name("99 Giving Day 2019");
  oc.set_fund("fund.guangming");
  oc.set_platform("腾讯公益");
  oc.set_start("2019-09-07");
  oc.set_end("2019-09-09");
  oc.set_target(2000000);
  s = stub->OpenCampaign(Ctx(admin).get(), oc, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

v1::Campaign GetCampaign(v1::Ledger::Stub* stub, const std::string& token) {
  v1::GetCampaignRequest req;
  req.set_id("camp.99-2019");
  v1::Campaign c;
  grpc::Status s = stub->GetCampaign(Ctx(token).get(), req, &c);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return c;
}

class ImportTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    OpenCampaign(stub_.get(), admin_);
    clerk_file_ = TokenFile("clerk", clerk_);
  }
  std::string clerk_file_;
};

TEST_F(ImportTest, DryRunReportsEveryBadLineAndWritesNothing) {
  std::string path = dir_ + "/bad.csv";
  std::ofstream(path) << kHeader                                                    // line 1
                      << "gift,TX-1,2019-09-07,camp.99-2019,10.00,,,,,,\n"          // 2 good
                      << "gift,TX-2,2019-09-31,camp.99-2019,10.00,,,,,,\n"          // 3 date
                      << "# a comment\n"                                            // 4
                      << "donation,TX-3,2019-09-07,camp.99-2019,10.00,,,,,,\n"      // 5 type
                      << "gift,TX-4,2019-09-07,camp.99-2019,1.234,,,,,,\n"          // 6 amount
                      << "\n"                                                       // 7
                      << "gift,TX-1,2019-09-08,camp.99-2019,5,,,,,,\n"              // 8 repeat
                      << "match,M-1,2019-09-09,camp.99-2019,100,张三,,,,,\n"        // 9 donor
                      << "gift,TX-5,2019-09-07,camp.99-2019,5\n"                    // 10 fields
                      << "gift,TX-6,2019-09-07,camp.99-2019,5,李四,,masked,,,\n"    // 11 receipt
                      << "gift,\"TX-7,2019-09-07,camp.99-2019,5,,,,,,\n"            // 12 quote
                      << "match,M-2,2019-09-09,camp.99-2019,\"1,000.50\",,,,,,\n";  // 13 good
  const uint64_t size = server_->ledger()->Size();
  CliRun r = Boai(clerk_file_, StrCat("import --dry-run ", path));
  EXPECT_EQ(r.status, 1) << r.out;
  for (auto [line, what] :
       {std::pair{3, "date"}, std::pair{5, "type"}, std::pair{6, "amount"},
        std::pair{8, "repeats line 2"}, std::pair{9, "donor_name"}, std::pair{10, "fields"},
        std::pair{11, "receipt"}, std::pair{12, "quote"}}) {
    std::string prefix = StrCat(path, ":", line, ": ");
    size_t at = r.out.find(prefix);
    ASSERT_NE(at, std::string::npos) << "line " << line << " not reported:\n" << r.out;
    std::string msg = r.out.substr(at, r.out.find('\n', at) - at);
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
  }
  for (int good : {2, 4, 7, 13}) {
    EXPECT_EQ(r.out.find(StrCat(path, ":", good, ": ")), std::string::npos) << good << r.out;
  }
  EXPECT_NE(r.out.find("10 rows, 2 good, 8 bad"), std::string::npos) << r.out;
  // JSON: every bad line number, exactly.
  r = Boai(clerk_file_, StrCat("--json import --dry-run ", path));
  EXPECT_EQ(r.status, 1);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  std::vector<int> lines;
  for (const auto& e : j["errors"]) lines.push_back(e["line"].get<int>());
  EXPECT_EQ(lines, (std::vector<int>{3, 5, 6, 8, 9, 10, 11, 12}));
  EXPECT_EQ(j["by_kind"]["match"]["amount"], 100050);
  // A real run of a file with bad lines imports nothing either.
  r = Boai(clerk_file_, StrCat("import ", path));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("nothing was imported"), std::string::npos) << r.out;
  EXPECT_EQ(server_->ledger()->Size(), size);
  // A missing required column is a header error on line 1 (after the comments).
  std::ofstream(path) << "# export\ntype,transaction_id,date,amount\ngift,T,2019-09-07,1\n";
  r = Boai(clerk_file_, StrCat("import --dry-run ", path));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find(StrCat(path, ":2: the header lacks the required column \"campaign\"")),
            std::string::npos)
      << r.out;
}

TEST_F(ImportTest, TextThatIsNotUtf8AndSpreadsheetLeftoversInADryRun) {
  // A donor name saved as GBK (张三), then the rows of bare commas spreadsheets
  // leave at the end of an export, which are ignored like blank lines.
  std::string path = dir_ + "/gbk.csv";
  std::ofstream(path) << kHeader                                            // 1
                      << "gift,TX-1,2019-09-07,camp.99-2019,10.00,,,,,,\n"  // 2
                      << "gift,TX-2,2019-09-07,camp.99-2019,10.00,\xd5\xc5\xc8\xfd,,,,,"
                      << "declined\n"                                          // 3
                      << "gift,TX-3,2019-09-07,camp.99-2019,\"12,5\",,,,,,\n"  // 4
                      << ",,,,,,,,,,\n"                                        // 5
                      << " , ,\n";                                             // 6
  CliRun r = Boai(clerk_file_, StrCat("import --dry-run ", path));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find(StrCat(path, ":3: is not UTF-8 text")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(StrCat(path, ":4: amount \"12,5\" has a comma that does not separate")),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("3 rows, 1 good, 2 bad"), std::string::npos) << r.out;
  // A header ending in a comma names the empty column.
  std::ofstream(path) << "type,transaction_id,date,campaign,amount,\n";
  r = Boai(clerk_file_, StrCat("import --dry-run ", path));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("column 6 of the header has no name (remove the comma at the end"),
            std::string::npos)
      << r.out;
  r = Boai(clerk_file_, StrCat("import --dry-run ", dir_));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("is a directory, not a file"), std::string::npos) << r.out;
}

TEST_F(ImportTest, ImportThenReimportAddsNothing) {
  CliRun r = Boai(clerk_file_, StrCat("import --dry-run ", kExample));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("7 rows, 7 good, 0 bad"), std::string::npos) << r.out;
  const uint64_t before = server_->ledger()->Size();

  r = Boai(clerk_file_, StrCat("import ", kExample));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("7 new, 0 already recorded, 0 failed"), std::string::npos) << r.out;
  EXPECT_EQ(server_->ledger()->Size(), before + 7);
  v1::Campaign c = GetCampaign(stub_.get(), auditor_);
  EXPECT_EQ(c.gifts(), 5);
  EXPECT_EQ(c.raised(), 20000 + 5000 + 100000 + 9999 + 1000);
  EXPECT_EQ(c.online_unsettled(), c.raised());
  EXPECT_EQ(c.matched(), 68000 + 27999);

  r = Boai(clerk_file_, StrCat("--json import ", kExample));
  ASSERT_EQ(r.status, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["new"], 0);
  EXPECT_EQ(j["already_recorded"], 7);
  EXPECT_EQ(server_->ledger()->Size(), before + 7);
  EXPECT_EQ(GetCampaign(stub_.get(), auditor_).raised(), c.raised());

  // The keys come from the platform's transaction ids.
  absl::StatusOr<std::optional<uint64_t>> k =
      server_->ledger()->FindByKey("platform/camp.99-2019/gift/TX20190907-000001");
  ASSERT_TRUE(k.ok() && k->has_value());
  // A receipt number from the file is in the register.
  v1::GetReceiptRequest gr;
  gr.set_book("HB2019-E");
  gr.set_number(2);
  v1::ReceiptRecord rec;
  ASSERT_TRUE(stub_->GetReceipt(Ctx(auditor_).get(), gr, &rec).ok());
  EXPECT_EQ(rec.state(), v1::RECEIPT_ISSUED);
  EXPECT_EQ(rec.gift().key(), "platform/camp.99-2019/gift/TX20190909-000005");

  // Rows the server refuses are reported by line; the others are recorded.
  std::string late = dir_ + "/late.csv";
  std::ofstream(late) << kHeader << "gift,TX-L1,2019-09-08,camp.99-2019,1,,,,,,\n"
                      << "gift,TX-L2,2019-09-10,camp.99-2019,2,,,,,,\n"  // after the window
                      << "match,TX-L3,2019-09-09,camp.unknown,3,,,,,,\n";
  r = Boai(clerk_file_, StrCat("import ", late));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find(StrCat(late, ":3: ")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(StrCat(late, ":4: ")), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(StrCat(late, ":2: ")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 new, 0 already recorded, 2 failed"), std::string::npos) << r.out;

  // Imports need the clerk role.
  r = Boai(TokenFile("auditor", auditor_), StrCat("import ", kExample));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("PERMISSION_DENIED"), std::string::npos) << r.out;
}

TEST_F(ImportTest, ConcurrentImportsOfTheSameFileRecordEachRowOnce) {
  std::string path = dir_ + "/many.csv";
  {
    std::ofstream f(path);
    f << kHeader;
    for (int i = 0; i < 3000; ++i) f << "gift,TX-" << i << ",2019-09-08,camp.99-2019,1.00,,,,,,\n";
  }
  const uint64_t before = server_->ledger()->Size();
  std::vector<CliRun> runs(3);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < runs.size(); ++t) {
    threads.emplace_back(
        [&, t] { runs[t] = Boai(clerk_file_, StrCat("--json import --stream-items 500 ", path)); });
  }
  for (std::thread& th : threads) th.join();
  int64_t added = 0;
  for (const CliRun& r : runs) {
    ASSERT_EQ(r.status, 0) << r.out;
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.out;
    EXPECT_EQ(j["new"].get<int64_t>() + j["already_recorded"].get<int64_t>(), 3000);
    added += j["new"].get<int64_t>();
  }
  EXPECT_EQ(added, 3000);
  EXPECT_EQ(server_->ledger()->Size(), before + 3000);
  EXPECT_EQ(GetCampaign(stub_.get(), auditor_).raised(), 300000);
}

// boaid is killed (SIGKILL) while a large import streams in; after a restart the
// same import, run again, records exactly what is missing.
TEST(ImportRestartTest, KilledServerMidImportLosesAndDuplicatesNothing) {
  std::string dir = MakeTempDir();
  std::string data = dir + "/data";
  BoaidProcess boaid;
  ASSERT_TRUE(boaid.Start(data, dir + "/boaid-1.log")) << boaid.log();
  std::string admin = Trim(ReadFileText(AdminTokenPath(data)));
  std::string token_file = dir + "/admin.token";
  WriteTokenFile(token_file, admin);
  {
    auto stub = v1::Ledger::NewStub(
        grpc::CreateChannel(boaid.target(), grpc::InsecureChannelCredentials()));
    OpenCampaign(stub.get(), admin);
  }
  constexpr int kRows = 40000;
  int64_t total = 0;
  std::string path = dir + "/big.csv";
  {
    std::ofstream f(path);
    f << kHeader;
    for (int i = 0; i < kRows; ++i) {
      int64_t fen = 100 + i % 900;
      total += fen;
      f << "gift,TX-" << i << ",2019-09-0" << 7 + i % 3 << ",camp.99-2019," << fen / 100 << "."
        << (fen % 100 < 10 ? "0" : "") << fen % 100 << ",,,,,,\n";
    }
  }
  auto boai = [&](const std::string& target) {
    return RunCommand(StrCat(BOAI_PATH, " --target ", target, " --token-file ", token_file,
                             " --json import --stream-items 2000 ", path));
  };
  auto stub =
      v1::Ledger::NewStub(grpc::CreateChannel(boaid.target(), grpc::InsecureChannelCredentials()));
  auto size = [&stub]() -> uint64_t {
    v1::GetCheckpointResponse cp;
    auto ctx = Ctx("");
    if (!stub->GetCheckpoint(ctx.get(), v1::GetCheckpointRequest(), &cp).ok()) return 0;
    return cp.checkpoint().tree_size();
  };
  const uint64_t base = size();
  ASSERT_GT(base, 0u);
  CliRun first;
  std::thread importer([&] { first = boai(boaid.target()); });
  // Kill the server once part of the import is durable.
  for (int i = 0; i < 6000 && size() < base + 4000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const uint64_t seen = size();
  boaid.Kill(SIGKILL);
  importer.join();
  EXPECT_GE(seen, base + 4000);
  if (seen < base + kRows) {
    EXPECT_NE(first.status, 0) << first.out;  // the import was cut off
  }

  ASSERT_TRUE(boaid.Start(data, dir + "/boaid-2.log")) << boaid.log();
  CliRun second = boai(boaid.target());
  ASSERT_EQ(second.status, 0) << second.out;
  nlohmann::json j = nlohmann::json::parse(second.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << second.out;
  EXPECT_EQ(j["new"].get<int64_t>() + j["already_recorded"].get<int64_t>(), kRows);
  EXPECT_GE(j["already_recorded"].get<int64_t>(), static_cast<int64_t>(seen - base));
  EXPECT_EQ(j["failed"], 0);

  stub =
      v1::Ledger::NewStub(grpc::CreateChannel(boaid.target(), grpc::InsecureChannelCredentials()));
  EXPECT_EQ(size(), base + kRows);  // every row once, nothing else
  v1::Campaign c = GetCampaign(stub.get(), admin);
  EXPECT_EQ(c.gifts(), kRows);
  EXPECT_EQ(c.raised(), total);
  // A third run finds everything recorded.
  CliRun third = boai(boaid.target());
  ASSERT_EQ(third.status, 0) << third.out;
  j = nlohmann::json::parse(third.out, nullptr, false);
  EXPECT_EQ(j["already_recorded"], kRows);
  EXPECT_EQ(boaid.Kill(SIGTERM), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace boai::service::testing
