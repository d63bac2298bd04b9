// Shared by the boaid end-to-end tests: a real server (services/server.h) on a
// loopback port chosen by the kernel, with a temporary data directory, and
// clients through the generated C++ stubs.
#ifndef BOAI_TESTS_SERVICES_SERVICE_TEST_SUPPORT_H_
#define BOAI_TESTS_SERVICES_SERVICE_TEST_SUPPORT_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "boai/v1/ledger.grpc.pb.h"
#include "ledger/strings.h"
#include "services/auth.h"
#include "services/server.h"

namespace boai::service::testing {

inline std::string MakeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "boai-svc-XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr);
  return tmpl;
}

inline std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// A context with a bearer token (none if empty) and a deadline.
inline std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return ctx;
}

// A cash gift to `fund` without personal data.
inline v1::RecordGiftRequest CashGift(const std::string& key, int64_t fen,
                                      const std::string& fund = "fund.general") {
  v1::RecordGiftRequest r;
  r.set_idempotency_key(key);
  r.set_date("2024-03-01");
  r.set_channel("cash");
  r.set_fund(fund);
  r.set_amount(fen);
  r.set_no_receipt("anonymous");
  return r;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    StartServer();
    admin_ = Trim(ReadFileText(AdminTokenPath(dir_)));
    ASSERT_FALSE(admin_.empty());
    clerk_ = AddUser("clerk.wang", v1::ROLE_CLERK);
    approver_ = AddUser("approver.li", v1::ROLE_APPROVER);
    auditor_ = AddUser("auditor.zhou", v1::ROLE_AUDITOR);
    OpenFund("fund.general", false);
    OpenFund("fund.relief", true);
  }

  void TearDown() override {
    stub_.reset();
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void StartServer() {
    ServerOptions o;
    o.data_dir = dir_;
    o.listen = "127.0.0.1:0";
    o.sync = false;  // tests need no fsync; the production default is on
    absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    channel_ = grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials());
    stub_ = v1::Ledger::NewStub(channel_);
  }

  void StopServer() {
    stub_.reset();
    channel_.reset();
    server_.reset();
  }

  std::string AddUser(const std::string& name, v1::Role role) {
    v1::AddUserRequest req;
    req.set_name(name);
    req.set_role(role);
    v1::AddUserResponse resp;
    grpc::Status s = stub_->AddUser(Ctx(admin_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.token();
  }

  void OpenFund(const std::string& id, bool restricted) {
    v1::OpenFundRequest req;
    req.set_id(id);
    req.set_name(id + " name");
    req.set_purpose("tests");
    req.set_restricted(restricted);
    v1::Receipt r;
    grpc::Status s = stub_->OpenFund(Ctx(admin_).get(), req, &r);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  grpc::Status Gift(const std::string& token, const v1::RecordGiftRequest& req, v1::Receipt* out) {
    return stub_->RecordGift(Ctx(token).get(), req, out);
  }

  std::string dir_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Ledger::Stub> stub_;
  std::string admin_, clerk_, approver_, auditor_;
};

}  // namespace boai::service::testing

#endif  // BOAI_TESTS_SERVICES_SERVICE_TEST_SUPPORT_H_
