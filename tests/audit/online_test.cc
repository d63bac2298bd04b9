// boai-audit verify --target against a real boaid (services/server.h) on a
// loopback port, after the demo dataset was sent through it with the boai CLI:
// the online report must equal the offline one of the same data directory.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "boai/v1/ledger.grpc.pb.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"
#include "services/auth.h"
#include "services/server.h"
#include "tests/audit/audit_test_support.h"

namespace boai::audit {
namespace {

using ::testing::HasSubstr;

class OnlineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = testing::MakeTempDir("boai-audit-online");
    data_ = tmp_ + "/data";
    service::ServerOptions o;
    o.data_dir = data_;
    o.listen = "127.0.0.1:0";
    o.sync = false;
    absl::StatusOr<std::unique_ptr<service::Server>> s = service::Server::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    target_ = server_->target();
    token_file_ = service::AdminTokenPath(data_);
    testing::Run demo = testing::RunTool(
        BOAI_PATH, StrCat("--target ", target_, " --token-file ", token_file_, " demo --quiet"),
        tmp_ + "/demo.err");
    ASSERT_EQ(demo.status, 0) << demo.out << demo.err;
    // The key to pin comes from the society, not from the server: here, its key file.
    absl::StatusOr<ledger::NoteSigner> signer =
        ledger::NoteSigner::FromPrivateKey(testing::ReadText(ledger::LogKeyPath(data_)));
    ASSERT_TRUE(signer.ok()) << signer.status();
    vkey_ = signer->VerifierKey();
    channel_ = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
    stub_ = v1::Ledger::NewStub(channel_);
  }
  void TearDown() override {
    stub_.reset();
    server_.reset();
    std::filesystem::remove_all(tmp_);
  }
  testing::Run Audit(const std::string& args) {
    return testing::RunTool(BOAI_AUDIT_PATH, args, tmp_ + "/stderr");
  }
  std::string Online(const std::string& extra = "") {
    return StrCat("verify --target ", target_, " --token-file ", token_file_, " ", extra);
  }

  std::string tmp_, data_, target_, token_file_, vkey_;
  std::unique_ptr<service::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Ledger::Stub> stub_;
};

TEST_F(OnlineTest, SameReportAsOfflineAfterTheDemo) {
  testing::Run on = Audit(Online(StrCat("--json --vkey ", vkey_)));
  ASSERT_EQ(on.status, 0) << on.out << on.err;
  nlohmann::json online = nlohmann::json::parse(on.out);
  EXPECT_TRUE(online["ok"].get<bool>());
  EXPECT_TRUE(online["online"].get<bool>());
  EXPECT_FALSE(online["vkey_from_database"].get<bool>());
  EXPECT_EQ(online["books"]["compared_with"], "the server's balances");

  // The human report says the same.
  testing::Run text = Audit(Online(StrCat("--vkey ", vkey_)));
  EXPECT_EQ(text.status, 0) << text.out << text.err;
  EXPECT_THAT(text.out, HasSubstr("the server's balances matches"));
  EXPECT_THAT(text.out, HasSubstr("INTACT"));

  server_.reset();  // offline needs the server stopped
  testing::Run off = Audit(StrCat("verify --json --data ", data_, " --vkey ", vkey_));
  ASSERT_EQ(off.status, 0) << off.out << off.err;
  nlohmann::json offline = nlohmann::json::parse(off.out);
  EXPECT_GT(offline["entries"].get<uint64_t>(), 100u);
  for (const char* field : {"entries", "bytes", "root", "origin", "vkey"}) {
    EXPECT_EQ(online[field], offline[field]) << field;
  }
  for (const char* field :
       {"accounting_entries", "funds", "receipts", "pending_payments", "reversals"}) {
    EXPECT_EQ(online["books"][field], offline["books"][field]) << field;
  }
  EXPECT_EQ(offline["books"]["funds"]["fund.guangming"]["net"], 2000000);
}

TEST_F(OnlineTest, WrongKeyIsAFindingAndAnUnpinnedKeyIsTrustedOnFirstUse) {
  absl::StatusOr<ledger::NoteSigner> other = ledger::NoteSigner::Generate("boai.local/ledger");
  ASSERT_TRUE(other.ok());
  testing::Run r = Audit(Online(StrCat("--vkey ", other->VerifierKey())));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("BROKEN [log-key]"));

  r = Audit(Online());
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("trusting the key the server sent"));
  EXPECT_THAT(r.out, HasSubstr("trusted on first use"));

  // A malformed key is a usage error; a token the server does not know cannot run.
  EXPECT_EQ(Audit(Online("--vkey not-a-key+1+2")).status, 2);
  std::ofstream(tmp_ + "/bad.token") << "nope\n";
  r = Audit(StrCat("verify --target ", target_, " --token-file ", tmp_, "/bad.token"));
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("token"));
}

TEST_F(OnlineTest, SavedCheckpointIsConsistentAfterMoreEntries) {
  v1::GetCheckpointResponse cp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub_->GetCheckpoint(&ctx, v1::GetCheckpointRequest(), &cp).ok());
  std::string saved = tmp_ + "/earlier.checkpoint";
  std::ofstream(saved) << cp.checkpoint().note();

  v1::RecordGiftRequest gift;
  gift.set_idempotency_key("audit-online-extra");
  gift.set_channel("cash");
  gift.set_fund("fund.unrestricted");
  gift.set_amount(12345);
  gift.set_no_receipt("anonymous");
  v1::Receipt receipt;
  grpc::ClientContext wctx;
  wctx.AddMetadata("authorization",
                   "Bearer " + std::string(StripWhitespace(testing::ReadText(token_file_))));
  grpc::Status s = stub_->RecordGift(&wctx, gift, &receipt);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_GT(receipt.checkpoint().tree_size(), cp.checkpoint().tree_size());

  testing::Run r = Audit(Online(StrCat("--vkey ", vkey_, " --checkpoint ", saved)));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(StrCat("consistent  with ", saved)));

  // A checkpoint of another log (signed by another key) is a finding.
  absl::StatusOr<ledger::NoteSigner> other = ledger::NoteSigner::Generate("boai.local/ledger");
  std::string forged = ledger::SignNote(
      StrCat("boai.local/ledger\n3\n", ledger::HashToBase64(ledger::Hash{}), "\n"), *other);
  std::ofstream(tmp_ + "/forged.checkpoint") << forged;
  r = Audit(Online(StrCat("--vkey ", vkey_, " --checkpoint ", tmp_, "/forged.checkpoint")));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("[saved-checkpoint]"));
}

}  // namespace
}  // namespace boai::audit
