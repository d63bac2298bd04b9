// End-to-end tests of the staff CLI `boai` against a real boaid on a loopback port.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include "ledger/books/demo.h"
#include "ledger/hash.h"
#include "ledger/note.h"
#include "service_test_support.h"

namespace boai::service::testing {
namespace {

TEST_F(CliTest, GiftAmountsAreParsedExactly) {
  std::string clerk = TokenFile("clerk", clerk_);
  CliRun r =
      Boai(clerk, "gift --amount 0.1 --fund fund.general --key K-1 --date 2024-03-01 --anonymous");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("recorded gift as entry #"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("inclusion proof verified"), std::string::npos) << r.out;
  EXPECT_EQ(FundNet("fund.general"), 10);
  r = Boai(clerk,
           "gift --amount 1,234.56 --fund fund.general --key K-2 --date 2024-03-01 --name 孙丽 "
           "--phone 13800000007 --no-receipt declined");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(FundNet("fund.general"), 10 + 123456);
  // Running the same command again records nothing new.
  r = Boai(clerk,
           "gift --amount 1,234.56 --fund fund.general --key K-2 --date 2024-03-01 --name 孙丽 "
           "--phone 13800000007 --no-receipt declined");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("already recorded"), std::string::npos) << r.out;
  EXPECT_EQ(FundNet("fund.general"), 10 + 123456);
  for (const char* bad :
       {"1.234", "-5", "1e3", "0", "0.00", "12.", ".5", "abc", "99999999999999999999"}) {
    r = Boai(clerk, StrCat("gift --amount ", bad, " --fund fund.general --key K-bad --anonymous"));
    EXPECT_EQ(r.status, 2) << bad << ": " << r.out;
    EXPECT_NE(r.out.find("amount"), std::string::npos) << r.out;
  }
  EXPECT_EQ(FundNet("fund.general"), 10 + 123456);
  r = Boai(clerk, "gift --amount 1 --fund fund.general --key K-3 --name 周杰");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("--no-receipt"), std::string::npos) << r.out;
  // Refusals carry the server's code and message; the exit status is 1.
  r = Boai(clerk,
           "pay request --fund fund.general --amount 5000 --purpose x --key P-1 --payee-label s-1 "
           "--date 2024-03-02");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("FAILED_PRECONDITION"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fund.general"), std::string::npos) << r.out;
  r = Boai("", "balances");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("UNAUTHENTICATED"), std::string::npos) << r.out;
  // The JSON output of a read.
  r = Boai(clerk, "--json balances --fund fund.general");
  ASSERT_EQ(r.status, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["funds"][0]["net"], 10 + 123456);
}

TEST_F(CliTest, NumbersAreDecimalAndTextIsUtf8) {
  std::string clerk = TokenFile("clerk", clerk_);
  // A receipt number typed as printed on the form: 0020 is 20, not octal 16.
  CliRun r = Boai(clerk,
                  "gift --amount 50 --fund fund.general --receipt-book HB2025 --receipt-number "
                  "0020 --name 周八 --date 2024-03-01");
  ASSERT_EQ(r.status, 0) << r.out;
  r = Boai(clerk, "--json receipts --book HB2025");
  ASSERT_EQ(r.status, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["books"][0]["issued"], nlohmann::json::parse("[[20, 20]]")) << r.out;
  // Negative, hexadecimal and signed values of whole-number options are refused, not wrapped.
  for (const char* bad : {"-1", "0x10", "+3", "1e3", ""}) {
    r = Boai(clerk, StrCat("reverse --index '", bad, "' --reason x"));
    EXPECT_EQ(r.status, 2) << bad << ": " << r.out;
    EXPECT_NE(r.out.find("--index"), std::string::npos) << r.out;
  }
  r = Boai(clerk, "reverse --index -1 --reason x");
  EXPECT_NE(r.out.find("not a non-negative whole number in decimal digits"), std::string::npos)
      << r.out;
  // Commas only between thousands; no amount beyond what a leaf can hold.
  for (const char* bad : {"1,00", "12,5", ",7", "1,0000.00", "1,234,56", "5.00元"}) {
    r = Boai(clerk, StrCat("gift --amount '", bad, "' --fund fund.general --key K-c --anonymous"));
    EXPECT_EQ(r.status, 2) << bad << ": " << r.out;
    EXPECT_NE(r.out.find("amount"), std::string::npos) << r.out;
  }
  r = Boai(clerk, "gift --amount 100000000000000 --fund fund.general --key K-big --anonymous");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("the largest amount a ledger entry holds is 90,071,992,547,409.91 yuan"),
            std::string::npos)
      << r.out;
  r = Boai(clerk,
           "gift --amount 12,345,678.90 --fund fund.general --key K-grouped --anonymous "
           "--date 2024-03-01");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(FundNet("fund.general"), 5000 + 1234567890);
  // A name typed in a GBK terminal: refused before anything is sent.
  r = Boai(clerk,
           "gift --amount 1 --fund fund.general --key K-gbk --no-receipt declined --name "
           "\"$(printf '\\325\\305\\310\\375')\"");  // GBK 张三
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("not UTF-8"), std::string::npos) << r.out;
}

TEST_F(CliTest, GiftFlagsThatDoNotFitAreRefusedByName) {
  std::string clerk = TokenFile("clerk", clerk_);
  const std::string base = "gift --amount 20 --fund fund.general --date 2024-03-01 ";
  CliRun r = Boai(clerk, base + "--key F-1 --description 棉被 --anonymous");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("--channel in_kind"), std::string::npos) << r.out;
  r = Boai(clerk, "--json " + base + "--key F-1 --description 棉被 --anonymous");
  EXPECT_EQ(r.status, 2) << r.out;  // with --json, the CLI's own refusals are JSON too
  EXPECT_NE(r.out.find("\"code\": \"INVALID_ARGUMENT\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"ok\": false"), std::string::npos) << r.out;
  r = Boai(clerk, base + "--key F-2 --channel in_kind --description 棉被 --anonymous");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("--quantity"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--evidence"), std::string::npos) << r.out;
  r = Boai(clerk, base + "--receipt-book HB7 --receipt-number 1 --no-receipt declined --name 周");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("not both"), std::string::npos) << r.out;
  EXPECT_EQ(FundNet("fund.general"), 0);
  // A receipt number already issued for another gift is named as such.
  r = Boai(clerk, base + "--receipt-book HB7 --receipt-number 17 --name 李四");
  ASSERT_EQ(r.status, 0) << r.out;
  r = Boai(clerk,
           "gift --amount 30 --fund fund.general --date 2024-03-01 --receipt-book HB7 "
           "--receipt-number 17 --name 王五");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("receipt HB7-17 is already issued for another gift"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("boai receipts --book HB7"), std::string::npos) << r.out;
  // A voided number is named as voided, not as issued.
  r = Boai(clerk, "void --book HB7 --number 18 --reason spoiled --date 2024-03-01");
  ASSERT_EQ(r.status, 0) << r.out;
  r = Boai(clerk,
           "gift --amount 30 --fund fund.general --date 2024-03-01 --receipt-book HB7 "
           "--receipt-number 18 --name 王五");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("receipt HB7-18 was voided and cannot be issued"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("already issued"), std::string::npos) << r.out;
  // boaid takes at most 20,000 items a stream: a larger --stream-items is a usage error.
  r = Boai(clerk, "import --dry-run --stream-items 20001 no-such.csv");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("--stream-items"), std::string::npos) << r.out;
}

TEST_F(CliTest, AnAdminOpensACampaignThenOnlineGiftsGoToIt) {
  std::string admin = TokenFile("admin", admin_);
  std::string clerk = TokenFile("clerk", clerk_);
  CliRun r = Boai(clerk,
                  "gift --amount 5 --fund fund.general --channel online --date 2024-09-08 "
                  "--anonymous --key TX-0");
  EXPECT_EQ(r.status, 2) << r.out;  // online gifts are owed by a campaign's platform
  EXPECT_NE(r.out.find("online gift needs its campaign"), std::string::npos) << r.out;
  r = Boai(admin,
           "open-campaign --id camp.t --name T --fund fund.general --platform 腾讯公益 "
           "--start 2024-09-07 --end 2024-09-09 --target 1,000");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("recorded campaign.open"), std::string::npos) << r.out;
  r = Boai(clerk,
           "gift --amount 5 --fund fund.general --channel online --campaign camp.t "
           "--date 2024-09-08 --anonymous --key TX-1");
  ASSERT_EQ(r.status, 0) << r.out;
  v1::GetCampaignRequest cr;
  cr.set_id("camp.t");
  v1::Campaign camp;
  ASSERT_TRUE(stub_->GetCampaign(Ctx(auditor_).get(), cr, &camp).ok());
  EXPECT_EQ(camp.target(), 100000);
  EXPECT_EQ(camp.progress(), 500);
}

TEST_F(CliTest, ReceiptLookupShowsAReversalAndAnUnknownBook) {
  std::string clerk = TokenFile("clerk", clerk_);
  CliRun r = Boai(clerk,
                  "gift --amount 10 --fund fund.general --date 2024-03-01 --receipt-book "
                  "HB8 --receipt-number 1 --name 赵六");
  ASSERT_EQ(r.status, 0) << r.out;
  const size_t at = r.out.find("entry #");
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string index = r.out.substr(at + 7, r.out.find('\n', at) - at - 7);
  r = Boai(clerk, StrCat("reverse --index ", index, " --reason 录入错误 --date 2024-03-02"));
  ASSERT_EQ(r.status, 0) << r.out;
  r = Boai(clerk, "receipt HB8 1");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("RECEIPT_ISSUED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("reversed by entry #"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("录入错误"), std::string::npos) << r.out;
  r = Boai(clerk, "receipt HBX 1");  // a misspelt book
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("no receipt of book HBX has been issued or voided"), std::string::npos)
      << r.out;
}

TEST_F(CliTest, ARecordedGiftIsReportedEvenIfItsReceiptDoesNotVerify) {
  // Pinned to another log's key: the gift is recorded all the same, and the clerk
  // must learn its entry number, not only that the check failed.
  absl::StatusOr<ledger::NoteSigner> other = ledger::NoteSigner::Generate("other.example/log");
  ASSERT_TRUE(other.ok());
  std::string clerk = TokenFile("clerk", clerk_);
  CliRun r = Boai(clerk, StrCat("--vkey '", other->VerifierKey(),
                                "' gift --amount 7 --fund fund.general --key vk-1 --anonymous "
                                "--date 2024-03-01"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("recorded gift as entry #"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("was recorded, but its receipt did not verify"), std::string::npos) << r.out;
  EXPECT_EQ(FundNet("fund.general"), 700);
}

TEST_F(CliTest, DemoThroughTheServerWithoutPersonalDataInLogs) {
  std::ostringstream logs;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(logs);
  spdlog::default_logger()->sinks().push_back(sink);
  std::string admin = TokenFile("admin", admin_);
  CliRun r = Boai(admin, "demo --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("115 recorded, 0 already present, 1 refused as expected"), std::string::npos)
      << r.out;
  // The 2019 figures (yuan -> fen).
  EXPECT_EQ(FundNet("fund.unrestricted"), 1500000);
  EXPECT_EQ(FundNet("fund.guangming"), 2000000);
  EXPECT_EQ(FundNet("fund.spring-relief"), 0);
  EXPECT_EQ(FundNet("fund.first-aid-base-1"), 7000000);
  v1::GetCampaignRequest cr;
  cr.set_id("camp.99-2019");
  v1::Campaign camp;
  ASSERT_TRUE(stub_->GetCampaign(Ctx(auditor_).get(), cr, &camp).ok());
  EXPECT_EQ(camp.progress(), camp.target());
  EXPECT_EQ(camp.gifts(), 12);
  // The 2019 non-monetary indicators went through RecordIndicator.
  {
    v1::ListEntriesRequest ir;
    ir.set_kind("indicator");
    auto ictx = Ctx(auditor_);
    auto reader = stub_->ListEntries(ictx.get(), ir);
    v1::Entry e;
    std::string bodies;
    int count = 0;
    while (reader->Read(&e)) {
      ++count;
      bodies += e.body_json();
    }
    ASSERT_TRUE(reader->Finish().ok());
    EXPECT_EQ(count, 5);
    EXPECT_NE(bodies.find("\"id\":\"first-aid.certified\""), std::string::npos) << bodies;
    EXPECT_NE(bodies.find("\"value\":1379"), std::string::npos) << bodies;
  }
  // One more from the command line; recording it again changes nothing.
  const std::string verb =
      "indicator --id volunteers.new --name \"new volunteers\" --unit persons --value 7 "
      "--date 2019-12-31";
  uint64_t before = server_->ledger()->Size();
  r = Boai(admin, verb);
  ASSERT_EQ(r.status, 0) << r.out;
  r = Boai(admin, verb);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(server_->ledger()->Size(), before + 1);
  r = Boai(admin, "indicator --id x --name n --unit u --value -1 --date 2019-12-31");
  EXPECT_NE(r.status, 0) << r.out;  // a negative count is refused

  // Again: nothing new.
  r = Boai(admin, "demo --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("0 recorded, 115 already present, 1 refused as expected"), std::string::npos)
      << r.out;
  spdlog::default_logger()->sinks().pop_back();

  // Every write and rejection was logged, and no personal value was.
  std::string text = logs.str();
  EXPECT_NE(text.find("write rpc=RecordGift"), std::string::npos);
  EXPECT_NE(text.find("rejected rpc=RequestPayment"), std::string::npos);
  EXPECT_NE(text.find("key=\"PAY-2019-BASE-1-OVER\""), std::string::npos);
  for (const std::string& v : books::DemoPersonalValues()) {
    EXPECT_EQ(text.find(v), std::string::npos) << "personal value in the logs: " << v;
  }
  // Nor in the leaves.
  auto ctx = Ctx(auditor_);
  v1::ListEntriesRequest lr;
  auto reader = stub_->ListEntries(ctx.get(), lr);
  v1::Entry e;
  uint64_t n = 0;
  std::string leaves;
  while (reader->Read(&e)) {
    EXPECT_EQ(e.index(), n++);
    leaves += e.leaf();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(n, server_->ledger()->Size());
  for (const std::string& v : books::DemoPersonalValues()) {
    EXPECT_EQ(leaves.find(v), std::string::npos) << "personal value in a leaf: " << v;
  }
}

// Account `account` of `fund` in fen (debit positive), 0 when the server lists none.
int64_t AccountOf(v1::Ledger::Stub* stub, const std::string& token, const std::string& account,
                  const std::string& fund) {
  v1::GetBalancesRequest req;
  req.set_fund(fund);
  v1::GetBalancesResponse resp;
  grpc::Status s = stub->GetBalances(Ctx(token).get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  for (const v1::AccountBalance& b : resp.balances()) {
    if (b.account() == account && b.fund() == fund) return b.amount();
  }
  return 0;
}

// The last cell of the table row of `out` that starts with `label`, or "".
std::string TableCell(const std::string& out, const std::string& label) {
  size_t at = out.find("\n" + label);
  if (at == std::string::npos) return "";
  std::string row = out.substr(at + 1, out.find('\n', at + 1) - at - 1);
  return row.substr(row.find_last_of(' ') + 1);
}

TEST_F(CliTest, SettleBooksThePlatformPayoutOfAnImportedFile) {
  // A campaign on the restricted fund, and the platform's file for it.
  v1::OpenCampaignRequest oc;
  oc.set_id("camp.s-2024");
  oc.set_name("spring online");
  oc.set_fund("fund.relief");
  oc.set_platform("腾讯公益");
  oc.set_start("2024-03-01");
  oc.set_end("2024-03-03");
  oc.set_target(1000000);
  v1::Receipt receipt;
  grpc::Status gs = stub_->OpenCampaign(Ctx(admin_).get(), oc, &receipt);
  ASSERT_TRUE(gs.ok()) << gs.error_message();
  const std::string file = dir_ + "/settlement.csv";
  const std::string text =
      "type,transaction_id,date,campaign,amount,donor_name,donor_phone,display,receipt_book,"
      "receipt_number,no_receipt\n"
      "gift,TX-1,2024-03-01,camp.s-2024,100.00,,,,,,\n"
      "gift,TX-2,2024-03-02,camp.s-2024,50.50,,,,,,\n"
      "match,M-1,2024-03-02,camp.s-2024,30,,,,,,\n";
  std::ofstream(file) << text;
  const std::string sha = ledger::HashToHex(ledger::Sha256(text));
  const std::string clerk = TokenFile("clerk", clerk_);

  // Before its rows are imported the payout is not booked.
  uint64_t size = server_->ledger()->Size();
  CliRun r = Boai(clerk, StrCat("settle ", file, " --date 2024-03-05"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("3 row(s) of " + file), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("boai import " + file), std::string::npos) << r.out;
  EXPECT_EQ(server_->ledger()->Size(), size);
  r = Boai(clerk, StrCat("import ", file));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(AccountOf(stub_.get(), auditor_, "1121", "fund.relief"), 18050);
  EXPECT_EQ(AccountOf(stub_.get(), auditor_, "1002", "fund.relief"), 0);

  // Refusals name the problem and write nothing.
  size = server_->ledger()->Size();
  struct Bad {
    std::string args;
    int status;
    std::string says;
  };
  for (const Bad& b : std::vector<Bad>{
           {StrCat(file, " --gifts 1.234"), 2,
            "--gifts: amount \"1.234\" has more than 2 decimals"},
           {StrCat(file, " --matching -5"), 2, "--matching: amount \"-5\""},
           {StrCat(file, " --gifts 150"), 2, "--gifts 150.00 differs from the total"},
           {StrCat("--campaign camp.s-2024 --sha256 ", sha, " --gifts abc"), 2, "--gifts: amount"},
           {StrCat("--campaign camp.s-2024 --sha256 ", sha, " --gifts 0 --matching 0"), 2,
            "pays out nothing"},
           {StrCat(file, " --campaign camp.nope"), 2, "no rows of campaign camp.nope"},
           {StrCat("--campaign camp.nope --sha256 ", sha, " --gifts 10"), 2,
            "campaign \"camp.nope\" is not open"},
           {StrCat(file, " --sha256 ", std::string(64, 'a')), 2,
            StrCat("is not the SHA-256 of ", file, " (", sha, ")")},
           {"--campaign camp.s-2024 --sha256 12ab --gifts 10", 2, "is not a SHA-256"},
           {"--campaign camp.s-2024 --gifts 10", 2, "give the platform's settlement FILE"},
           {StrCat("--campaign camp.s-2024 --sha256 ", sha, " --gifts 200"), 1,
            "exceeds the online gifts not yet settled"},
       }) {
    r = Boai(clerk, StrCat("settle ", b.args, " --date 2024-03-05"));
    EXPECT_EQ(r.status, b.status) << b.args << "\n" << r.out;
    EXPECT_NE(r.out.find(b.says), std::string::npos) << b.args << "\n" << r.out;
  }
  EXPECT_EQ(server_->ledger()->Size(), size);

  // The payout: the receipt, the figures, and the money moved from 1121 to the bank.
  r = Boai(clerk, StrCat("settle ", file, " --date 2024-03-05"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find(StrCat("recorded settlement as entry #", size)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("inclusion proof verified"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(StrCat("sha256 ", sha)), std::string::npos) << r.out;
  for (auto [label, yuan] :
       {std::pair{"online gifts ", "150.50"}, std::pair{"matching (配捐) ", "30.00"},
        std::pair{"into the bank ", "180.50"}, std::pair{"online gifts not yet settled ", "0.00"},
        std::pair{"matching not yet settled ", "0.00"}}) {
    EXPECT_EQ(TableCell(r.out, label), yuan) << label << "\n" << r.out;
  }
  EXPECT_EQ(server_->ledger()->Size(), size + 1);
  EXPECT_EQ(AccountOf(stub_.get(), auditor_, "1121", "fund.relief"), 0);
  EXPECT_EQ(AccountOf(stub_.get(), auditor_, "1002", "fund.relief"), 18050);
  v1::GetCampaignRequest cr;
  cr.set_id("camp.s-2024");
  v1::Campaign camp;
  ASSERT_TRUE(stub_->GetCampaign(Ctx(auditor_).get(), cr, &camp).ok());
  EXPECT_EQ(camp.settled_gifts(), 15050);
  EXPECT_EQ(camp.settled_matching(), 3000);
  EXPECT_EQ(camp.online_unsettled(), 0);
  v1::GetEntryRequest er;
  er.set_index(size);
  v1::Entry entry;
  ASSERT_TRUE(stub_->GetEntry(Ctx(auditor_).get(), er, &entry).ok());
  EXPECT_EQ(entry.key(), StrCat("settle/camp.s-2024/", sha));
  EXPECT_NE(entry.body_json().find(StrCat("\"file_sha256\":\"", sha, "\"")), std::string::npos);

  // Again: the same receipt, nothing new (JSON for scripts).
  r = Boai(clerk, StrCat("--json settle ", file, " --date 2024-03-05 --gifts 150.5"));
  ASSERT_EQ(r.status, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["duplicate"], true);
  EXPECT_EQ(j["index"], size);
  EXPECT_EQ(j["settlement"]["gifts"], 15050);
  EXPECT_EQ(j["settlement"]["matching"], 3000);
  EXPECT_EQ(j["settlement"]["file_sha256"], sha);
  EXPECT_EQ(j["campaign"]["matching_outstanding"], 0);
  // Another day: refused, naming the entry and its date.
  r = Boai(clerk, StrCat("settle ", file, " --date 2024-03-06"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("ALREADY_EXISTS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(StrCat("booked before, as entry #", size, " of 2024-03-05")),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("--date 2024-03-05"), std::string::npos) << r.out;
  EXPECT_EQ(server_->ledger()->Size(), size + 1);
  EXPECT_EQ(AccountOf(stub_.get(), auditor_, "1002", "fund.relief"), 18050);
}

TEST_F(CliTest, ATokenFileOthersCanReadIsWarnedAboutAndAnEmptyOneRefused) {
  const std::string open_file = dir_ + "/open.token";
  std::ofstream(open_file) << auditor_ << "\n";
  std::filesystem::permissions(
      open_file,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
          std::filesystem::perms::group_read | std::filesystem::perms::others_read,
      std::filesystem::perm_options::replace);
  CliRun r = Boai(open_file, "balances --fund fund.general");
  EXPECT_EQ(r.status, 0) << r.out;  // a warning, not a refusal
  EXPECT_NE(r.out.find(StrCat("token file ", open_file,
                              " can be read or written by other users "
                              "(mode 0644)")),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(StrCat("chmod 600 ", open_file)), std::string::npos) << r.out;
  // Mode 0600: no warning.
  r = Boai(TokenFile("auditor", auditor_), "balances --fund fund.general");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out.find("warning"), std::string::npos) << r.out;
  // An empty file is named, instead of calling without a token.
  const std::string empty = TokenFile("empty", "");
  r = Boai(empty, "balances --fund fund.general");
  EXPECT_NE(r.status, 0) << r.out;
  EXPECT_NE(r.out.find(StrCat("token file ", empty, " is empty")), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("UNAUTHENTICATED"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace boai::service::testing
