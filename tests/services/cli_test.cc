// End-to-end tests of the staff CLI `boai` against a real boaid on a loopback port.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include "ledger/books/demo.h"
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

}  // namespace
}  // namespace boai::service::testing
