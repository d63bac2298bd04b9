// Mutual TLS: client certificates issued by the configured client CA map to
// users and roles ([[client_cert]] by subject CN or SHA-256 fingerprint).
#include "cert_support.h"
#include "service_test_support.h"

namespace boai::service::testing {
namespace {

std::unique_ptr<v1::Ledger::Stub> TlsStub(const std::string& target, const Pem& server_ca,
                                          const Pem* client) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = server_ca.cert;
  if (client != nullptr) {
    ssl.pem_cert_chain = client->cert;
    ssl.pem_private_key = client->key;
  }
  return v1::Ledger::NewStub(grpc::CreateChannel(target, grpc::SslCredentials(ssl)));
}

TEST(ServiceMtlsTest, ClientCertificatesMapToUsersAndRoles) {
  std::string dir = MakeTempDir();
  Pem ca = MakeCert("Boai test CA", {}, true, "", 1);
  Pem server = MakeCert("localhost", ca, false, "DNS:localhost,IP:127.0.0.1", 2);
  Pem desk = MakeCert("finance-desk-1", ca, false, "", 3);
  Pem audit = MakeCert("audit-firm", ca, false, "", 4);
  Pem stranger = MakeCert("stranger", ca, false, "", 5);
  Pem other_ca = MakeCert("Another CA", {}, true, "", 6);
  Pem forged = MakeCert("finance-desk-1", other_ca, false, "", 7);  // same CN, wrong issuer
  std::ofstream(dir + "/server.pem") << server.cert;
  std::ofstream(dir + "/server.key") << server.key;
  std::ofstream(dir + "/ca.pem") << ca.cert;
  std::string audit_sha, audit_cn;
  ASSERT_TRUE(CertificateIdentity(audit.cert, &audit_sha, &audit_cn).ok());
  EXPECT_EQ(audit_cn, "audit-firm");
  std::string colons;  // the fingerprint as openssl prints it: upper case with colons
  for (size_t i = 0; i < audit_sha.size(); i += 2) {
    if (i > 0) colons += ':';
    colons += static_cast<char>(std::toupper(audit_sha[i]));
    colons += static_cast<char>(std::toupper(audit_sha[i + 1]));
  }
  std::string config = dir + "/boaid.toml";
  std::ofstream(config) << "data = \"" << dir << "/data\"\nlisten = \"127.0.0.1:0\"\n"
                        << "[ledger]\nsync = false\n"
                        << "[tls]\ncert = \"" << dir << "/server.pem\"\nkey = \"" << dir
                        << "/server.key\"\nclient_ca = \"" << dir << "/ca.pem\"\n"
                        << "[[client_cert]]\nsubject_cn = \"finance-desk-1\"\n"
                        << "user = \"clerk.desk1\"\nrole = \"clerk\"\n"
                        << "[[client_cert]]\nsha256 = \"" << colons << "\"\n"
                        << "user = \"auditor.firm\"\nrole = \"auditor\"\n";
  ServerOptions o;
  std::string level;
  absl::Status ls = LoadConfigFile(config, &o, &level);
  ASSERT_TRUE(ls.ok()) << ls;
  ASSERT_EQ(o.client_certs.size(), 2u);
  EXPECT_EQ(o.client_certs[1].sha256, audit_sha);
  absl::StatusOr<std::unique_ptr<Server>> srv = Server::Start(o);
  ASSERT_TRUE(srv.ok()) << srv.status();
  std::string target = StrCat("localhost:", (*srv)->port());
  std::string admin = Trim(ReadFileText(AdminTokenPath(o.data_dir)));
  {
    auto stub = TlsStub(target, ca, nullptr);
    v1::OpenFundRequest of;
    of.set_id("fund.general");
    of.set_name("general");
    v1::Receipt r;
    grpc::Status s = stub->OpenFund(Ctx(admin).get(), of, &r);  // a token, no certificate
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // The desk's certificate is a clerk: it records, and the entry names its user.
  auto desk_stub = TlsStub(target, ca, &desk);
  v1::Receipt r;
  grpc::Status s = desk_stub->RecordGift(Ctx("").get(), CashGift("mtls-1", 500), &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::GetEntryRequest ger;
  ger.set_index(r.index());
  v1::Entry e;
  ASSERT_TRUE(desk_stub->GetEntry(Ctx("").get(), ger, &e).ok());
  EXPECT_EQ(e.by(), "clerk.desk1");
  v1::AddUserRequest au;
  au.set_name("x");
  au.set_role(v1::ROLE_ADMIN);
  v1::AddUserResponse aur;
  s = desk_stub->AddUser(Ctx("").get(), au, &aur);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(s.error_message().find("client certificate"), std::string::npos) << s.error_message();

  // The audit firm's certificate (by fingerprint) reads but may not write.
  auto audit_stub = TlsStub(target, ca, &audit);
  v1::GetBalancesResponse bal;
  EXPECT_TRUE(audit_stub->GetBalances(Ctx("").get(), v1::GetBalancesRequest(), &bal).ok());
  EXPECT_EQ(audit_stub->RecordGift(Ctx("").get(), CashGift("mtls-2", 1), &r).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A bearer token, when sent, takes precedence over the certificate.
  v1::OpenFundRequest of;
  of.set_id("fund.mtls");
  of.set_name("mtls");
  EXPECT_TRUE(audit_stub->OpenFund(Ctx(admin).get(), of, &r).ok());

  // A certificate the CA issued but no table maps: public RPCs only.
  auto stranger_stub = TlsStub(target, ca, &stranger);
  s = stranger_stub->GetBalances(Ctx("").get(), v1::GetBalancesRequest(), &bal);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(s.error_message().find("[[client_cert]]"), std::string::npos) << s.error_message();
  v1::GetCheckpointResponse cp;
  EXPECT_TRUE(stranger_stub->GetCheckpoint(Ctx("").get(), v1::GetCheckpointRequest(), &cp).ok());

  // The same CN from another CA does not even connect.
  auto forged_stub = TlsStub(target, ca, &forged);
  auto ctx = Ctx("");
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  EXPECT_FALSE(forged_stub->GetCheckpoint(ctx.get(), v1::GetCheckpointRequest(), &cp).ok());
  srv->reset();

  // Required client certificates: no certificate, no connection.
  o.require_client_cert = true;
  srv = Server::Start(o);
  ASSERT_TRUE(srv.ok()) << srv.status();
  target = StrCat("localhost:", (*srv)->port());
  auto plain = TlsStub(target, ca, nullptr);
  ctx = Ctx("");
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  EXPECT_FALSE(plain->GetCheckpoint(ctx.get(), v1::GetCheckpointRequest(), &cp).ok());
  EXPECT_TRUE(TlsStub(target, ca, &desk)
                  ->GetCheckpoint(Ctx("").get(), v1::GetCheckpointRequest(), &cp)
                  .ok());
  srv->reset();

  // boai with a client certificate from its config file.
  std::ofstream(dir + "/desk.pem") << desk.cert;
  std::ofstream(dir + "/desk.key") << desk.key;
  o.require_client_cert = false;
  srv = Server::Start(o);
  ASSERT_TRUE(srv.ok()) << srv.status();
  std::ofstream(dir + "/boai.toml") << "target = \"localhost:" << (*srv)->port() << "\"\n"
                                    << "[tls]\nca = \"ca.pem\"\ncert = \"desk.pem\"\n"
                                    << "key = \"desk.key\"\n";
  CliRun cli = RunCommand(StrCat(BOAI_PATH, " --config ", dir,
                                 "/boai.toml gift --amount 3 --fund fund.general --key mtls-cli "
                                 "--date 2024-03-01 --anonymous"));
  EXPECT_EQ(cli.status, 0) << cli.out;
  EXPECT_NE(cli.out.find("recorded gift"), std::string::npos) << cli.out;
  srv->reset();

  // Configuration mistakes are refused before anything starts.
  ServerOptions bad = o;
  bad.tls_client_ca.clear();
  EXPECT_EQ(Server::Check(bad).code(), absl::StatusCode::kInvalidArgument);
  bad = o;
  bad.tls_cert.clear();
  bad.tls_key.clear();
  bad.listen = "127.0.0.1:0";
  EXPECT_EQ(Server::Check(bad).code(), absl::StatusCode::kInvalidArgument);
  std::ofstream(config) << "[[client_cert]]\nsubject_cn = \"a\"\nsha256 = \"" << audit_sha
                        << "\"\nuser = \"u\"\nrole = \"clerk\"\n";
  EXPECT_EQ(LoadConfigFile(config, &bad, &level).code(), absl::StatusCode::kInvalidArgument);
  std::ofstream(config) << "[[client_cert]]\nsha256 = \"abc\"\nuser = \"u\"\nrole = \"clerk\"\n";
  EXPECT_EQ(LoadConfigFile(config, &bad, &level).code(), absl::StatusCode::kInvalidArgument);
  std::ofstream(config) << "[[client_cert]]\nsubject_cn = \"a\"\nuser = \"u\"\nrole = \"boss\"\n";
  EXPECT_EQ(LoadConfigFile(config, &bad, &level).code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace boai::service::testing
