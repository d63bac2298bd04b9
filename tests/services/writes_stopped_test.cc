// boaid once its ledger stops accepting writes (a database write or an fsync
// failed): health checks answer NOT_SERVING, so that a load balancer or a
// supervisor sees it, the error is logged once, and reads go on.
#include <signal.h>

#include <filesystem>

#include "grpc/health/v1/health.grpc.pb.h"
#include "service_test_support.h"

namespace boai::service::testing {
namespace {

using grpc::health::v1::HealthCheckResponse;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(WritesStoppedTest, HealthTurnsNotServingAndTheErrorIsLoggedOnce) {
  const std::string dir = MakeTempDir();
  const std::string data = dir + "/data";
  BoaidProcess boaid;
  // Files of at most 2 MiB: the write-ahead log reaches it after a few thousand
  // gifts, and the write fails as on a full disk.
  boaid.set_file_size_limit(2 << 20);
  ASSERT_TRUE(boaid.Start(data, dir + "/boaid.log")) << boaid.log();
  const std::string admin = Trim(ReadFileText(AdminTokenPath(data)));
  auto channel = grpc::CreateChannel(boaid.target(), grpc::InsecureChannelCredentials());
  auto stub = v1::Ledger::NewStub(channel);
  auto health = grpc::health::v1::Health::NewStub(channel);
  auto check = [&health] {
    grpc::health::v1::HealthCheckRequest req;
    HealthCheckResponse resp;
    grpc::Status s = health->Check(Ctx("").get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.status();
  };
  EXPECT_EQ(check(), HealthCheckResponse::SERVING);

  v1::OpenFundRequest of;
  of.set_id("fund.general");
  of.set_name("General");
  v1::Receipt r;
  grpc::Status s = stub->OpenFund(Ctx(admin).get(), of, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // Gifts until one is refused UNAVAILABLE.
  bool stopped = false;
  for (int round = 0; round < 50 && !stopped; ++round) {
    v1::ImportGiftsResponse resp;
    auto ctx = Ctx(admin);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
    auto w = stub->ImportGifts(ctx.get(), &resp);
    for (int i = 0; i < 2000; ++i) {
      if (!w->Write(CashGift(StrCat("fill-", round, "-", i), 100))) break;
    }
    w->WritesDone();
    s = w->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const v1::ImportItemResult& res : resp.results()) {
      if (!res.ok()) {
        EXPECT_EQ(res.error_code(), grpc::StatusCode::UNAVAILABLE) << res.error();
        stopped = true;
      }
    }
  }
  ASSERT_TRUE(stopped) << "no write failed under the file size limit";

  EXPECT_EQ(check(), HealthCheckResponse::NOT_SERVING);
  // Writes are refused, reads answered.
  s = stub->RecordGift(Ctx(admin).get(), CashGift("after-stop", 100), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  v1::GetCheckpointRequest cr;
  v1::GetCheckpointResponse cresp;
  s = stub->GetCheckpoint(Ctx("").get(), cr, &cresp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(check(), HealthCheckResponse::NOT_SERVING);

  const std::string log = boaid.log();
  EXPECT_EQ(Count(log, "the ledger stopped accepting writes:"), 1u) << log.substr(0, 4000);
  EXPECT_NE(log.find("NOT_SERVING"), std::string::npos);
  boaid.Kill(SIGTERM);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace boai::service::testing
