// boai-audit verify --target against a real boaid (services/server.h) on a
// loopback port, after the demo dataset was sent through it with the boai CLI:
// the online report must equal the offline one of the same data directory,
// auditors' cosignatures (served by GetCosignatures) included.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "boai/v1/ledger.grpc.pb.h"
#include "ledger/cosignature.h"
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
using ::testing::Not;

class OnlineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = testing::MakeTempDir("boai-audit-online");
    data_ = tmp_ + "/data";
    StartServer();
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
  }
  // Starts boaid on data_ (again, after StopServer), on a new port.
  void StartServer() {
    service::ServerOptions o;
    o.data_dir = data_;
    o.listen = "127.0.0.1:0";
    o.sync = false;
    absl::StatusOr<std::unique_ptr<service::Server>> s = service::Server::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    target_ = server_->target();
    channel_ = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
    stub_ = v1::Ledger::NewStub(channel_);
  }
  // Stops it: the database is then free for the offline tools.
  void StopServer() {
    stub_.reset();
    channel_.reset();
    server_.reset();
  }
  // A new auditor key in tmp_; returns its cosigner verifier key.
  std::string Keygen(const std::string& name, const std::string& file) {
    testing::Run r = Audit(StrCat("keygen --name ", name, " --out ", file));
    EXPECT_EQ(r.status, 0) << r.err;
    return std::string(StripWhitespace(r.out));
  }
  // Writes a cosignature line straight into the running server's database, as an
  // attacker with disk access (or a careless copy) would.
  void PutCosignature(uint64_t size, const std::string& name, const std::string& line) {
    rocksdb::WriteBatch b;
    ledger::Storage* st = server_->ledger()->storage();
    b.Put(st->cf(ledger::Cf::kCosignatures), ledger::CosignatureKey(size, name), line);
    ASSERT_TRUE(st->Write(&b, true).ok());
  }
  void TearDown() override {
    StopServer();
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

// After `boaid rotate-key` (server stopped) the online verifier follows the chain
// from the key the auditor pinned before the rotation to the new one, checks the
// handover checkpoint under both, and a checkpoint saved before stays consistent.
TEST_F(OnlineTest, KeyRotationIsFollowedFromThePinnedKey) {
  v1::GetCheckpointResponse cp;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->GetCheckpoint(&ctx, v1::GetCheckpointRequest(), &cp).ok());
  }
  const std::string saved = tmp_ + "/before.checkpoint";
  std::ofstream(saved) << cp.checkpoint().note();
  StopServer();
  std::string new_vkey;
  {
    ledger::LedgerOptions o;
    o.sync = false;
    auto log = ledger::Ledger::Open(data_, o);
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_TRUE((*log)->RotateKey("annual rotation").ok());
    new_vkey = (*log)->verifier().VerifierKey();
  }
  StartServer();
  for (const std::string& pin : {vkey_, new_vkey}) {
    testing::Run r = Audit(Online(StrCat("--vkey ", pin, " --checkpoint ", saved)));
    EXPECT_EQ(r.status, 0) << pin << "\n" << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr(StrCat("consistent  with ", saved)));
  }
  // A key that was never the log's is still refused.
  absl::StatusOr<ledger::NoteSigner> other = ledger::NoteSigner::Generate("boai.local/ledger");
  testing::Run r = Audit(Online(StrCat("--vkey ", other->VerifierKey())));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("[log-key]"));
}

TEST_F(OnlineTest, CosignaturesAreServedAndCheckedAsOffline) {
  const std::string zhou = "audit.example.cn/zhou", li = "audit.example.cn/li";
  std::string zhou_vkey = Keygen(zhou, tmp_ + "/zhou.key");
  Keygen(li, tmp_ + "/li.key");  // an auditor whose key the verifier is not given
  StopServer();
  testing::Run r = Audit(StrCat("cosign --data ", data_, " --key ", tmp_, "/zhou.key"));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  testing::Run both = Audit(StrCat("cosign --data ", data_, " --key ", tmp_, "/li.key"));
  ASSERT_EQ(both.status, 0) << both.out << both.err;
  StartServer();
  const uint64_t size = server_->ledger()->Size();

  // GetCosignatures needs no token: the latest checkpoint's, then every size.
  v1::GetCosignaturesResponse latest;
  {
    grpc::ClientContext ctx;
    grpc::Status s = stub_->GetCosignatures(&ctx, v1::GetCosignaturesRequest(), &latest);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(latest.tree_size(), size);
  EXPECT_EQ(latest.checkpoint().tree_size(), size);
  ASSERT_EQ(latest.cosignatures_size(), 2);
  EXPECT_EQ(latest.cosignatures(0).name(), li);  // by name
  EXPECT_EQ(latest.cosignatures(1).name(), zhou);
  // The checkpoint with the lines appended is the cosigned note, as cosign printed it.
  std::string cosigned = latest.checkpoint().note();
  for (const v1::CosignatureLine& c : latest.cosignatures()) {
    EXPECT_EQ(c.tree_size(), size);
    cosigned += c.line();
  }
  EXPECT_EQ(cosigned, both.out);
  absl::StatusOr<ledger::Note> note = ledger::ParseNote(latest.checkpoint().note());
  ASSERT_TRUE(note.ok()) << note.status();
  absl::StatusOr<ledger::CosignerVerifier> zv =
      ledger::CosignerVerifier::FromVerifierKey(zhou_vkey);
  ASSERT_TRUE(zv.ok());
  EXPECT_TRUE(ledger::VerifyCosignature(note->text, latest.cosignatures(1).line(), *zv).ok());
  v1::GetCosignaturesRequest all;
  all.set_all(true);
  v1::GetCosignaturesResponse every;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->GetCosignatures(&ctx, all, &every).ok());
  }
  EXPECT_EQ(every.cosignatures_size(), 2);
  EXPECT_FALSE(every.has_checkpoint());
  v1::GetCosignaturesRequest unsigned_size;
  unsigned_size.set_tree_size(size + 1000);
  {
    grpc::ClientContext ctx;
    v1::GetCosignaturesResponse none;
    EXPECT_EQ(stub_->GetCosignatures(&ctx, unsigned_size, &none).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }

  // Online: zhou's verified under the key given, li's listed as unverified.
  const std::string keys = StrCat("--vkey ", vkey_, " --cosigner-key ", zhou_vkey);
  r = Audit(Online(keys));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(StrCat("cosignature size ", size, " by ", zhou, " at ")));
  EXPECT_THAT(r.out, ::testing::ContainsRegex(StrCat("by ", zhou, " at [^\n]*: verified\n")));
  EXPECT_THAT(r.out, ::testing::ContainsRegex(
                         StrCat("by ", li, " at [^\n]*: unverified \\(key not given\\)\n")));
  EXPECT_THAT(r.out, HasSubstr("INTACT"));
  EXPECT_THAT(r.err, Not(HasSubstr("not served")));
  testing::Run on_json = Audit(Online(StrCat("--json ", keys)));
  ASSERT_EQ(on_json.status, 0) << on_json.out << on_json.err;
  nlohmann::json good_online = nlohmann::json::parse(on_json.out);
  ASSERT_EQ(good_online["cosignatures"].size(), 2u);
  // A malformed --cosigner-key is a usage error online as offline.
  EXPECT_EQ(Audit(Online("--cosigner-key not-a-key")).status, 2);

  // A tampered line (one character of the signature changed) is a finding.
  const std::string genuine = latest.cosignatures(1).line();
  std::string bad = genuine;
  size_t at = bad.size() - 10;
  bad[at] = bad[at] == 'A' ? 'B' : 'A';
  PutCosignature(size, zhou, bad);
  r = Audit(Online(keys));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  const std::string finding = StrCat("BROKEN [cosignature]: the cosignature by ", zhou,
                                     " of the checkpoint at tree size ", size, ": ");
  EXPECT_THAT(r.out, HasSubstr(finding));
  EXPECT_THAT(r.out, HasSubstr("does not verify"));
  const std::string tampered_online = r.out.substr(r.out.find("BROKEN"));
  // Without zhou's key it cannot be checked: listed as unverified, not a finding.
  EXPECT_EQ(Audit(Online(StrCat("--vkey ", vkey_))).status, 0);

  // A forgery: another key's cosignature of the same checkpoint under zhou's name.
  absl::StatusOr<ledger::NoteSigner> impostor = ledger::NoteSigner::Generate(zhou);
  ASSERT_TRUE(impostor.ok());
  absl::StatusOr<std::string> forged = ledger::CreateCosignature(note->text, *impostor, 1700000000);
  ASSERT_TRUE(forged.ok()) << forged.status();
  PutCosignature(size, zhou, *forged);
  r = Audit(Online(StrCat("--json ", keys)));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  nlohmann::json forged_online = nlohmann::json::parse(r.out);
  EXPECT_EQ(forged_online["finding"]["check"], "cosignature");
  EXPECT_THAT(forged_online["finding"]["detail"].get<std::string>(),
              HasSubstr(StrCat("it claims to be ", zhou)));

  // Offline, the same database gives the same lists and findings.
  StopServer();
  {
    auto st = ledger::Storage::Open(ledger::DatabasePath(data_), ledger::StorageOptions());
    ASSERT_TRUE(st.ok()) << st.status();
    rocksdb::WriteBatch b;
    b.Put((*st)->cf(ledger::Cf::kCosignatures), ledger::CosignatureKey(size, zhou), genuine);
    ASSERT_TRUE((*st)->Write(&b, true).ok());
  }
  r = Audit(StrCat("verify --json --data ", data_, " ", keys));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["cosignatures"], good_online["cosignatures"]);
  {
    auto st = ledger::Storage::Open(ledger::DatabasePath(data_), ledger::StorageOptions());
    ASSERT_TRUE(st.ok()) << st.status();
    rocksdb::WriteBatch b;
    b.Put((*st)->cf(ledger::Cf::kCosignatures), ledger::CosignatureKey(size, zhou), bad);
    ASSERT_TRUE((*st)->Write(&b, true).ok());
  }
  r = Audit(StrCat("verify --data ", data_, " ", keys));
  EXPECT_EQ(r.status, 1) << r.out;
  ASSERT_NE(r.out.find("BROKEN"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.substr(r.out.find("BROKEN")), tampered_online);
}

}  // namespace
}  // namespace boai::audit
