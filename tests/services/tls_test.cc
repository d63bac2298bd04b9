// boaid with TLS: it may then listen beyond loopback, and clients that trust its
// certificate talk to it; plaintext clients cannot.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "service_test_support.h"

namespace boai::service::testing {
namespace {

std::string Pem(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

// A self-signed P-256 certificate for localhost and 127.0.0.1, and its key, as PEM.
void MakeCertificate(std::string* cert_pem, std::string* key_pem) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    ASSERT_NE(ext, nullptr);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  ASSERT_GT(X509_sign(x, key, EVP_sha256()), 0);
  BIO* cb = BIO_new(BIO_s_mem());
  BIO* kb = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cb, x);
  PEM_write_bio_PrivateKey(kb, key, nullptr, nullptr, 0, nullptr, nullptr);
  *cert_pem = Pem(cb);
  *key_pem = Pem(kb);
  BIO_free(cb);
  BIO_free(kb);
  X509_free(x);
  EVP_PKEY_free(key);
}

TEST(ServiceTlsTest, ServesTlsOnAnyAddress) {
  std::string dir = MakeTempDir();
  std::string cert, key;
  MakeCertificate(&cert, &key);
  ASSERT_FALSE(cert.empty());
  std::ofstream(dir + "/server.pem") << cert;
  std::ofstream(dir + "/server.key") << key;

  ServerOptions o;
  o.data_dir = dir + "/data";
  o.listen = "0.0.0.0:0";  // refused without TLS
  o.tls_cert = dir + "/server.pem";
  o.tls_key = dir + "/server.key";
  o.sync = false;
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  std::string admin = Trim(ReadFileText(AdminTokenPath(o.data_dir)));
  std::string target = StrCat("localhost:", (*server)->port());

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = cert;
  auto stub = v1::Ledger::NewStub(grpc::CreateChannel(target, grpc::SslCredentials(ssl)));
  v1::GetCheckpointResponse cp;
  grpc::Status s = stub->GetCheckpoint(Ctx("").get(), v1::GetCheckpointRequest(), &cp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_GT(cp.checkpoint().tree_size(), 0u);
  v1::InitBooksResponse ib;
  s = stub->InitBooks(Ctx(admin).get(), v1::InitBooksRequest(), &ib);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ib.accounts(), 10u);

  // Plaintext clients get nothing.
  auto plain = v1::Ledger::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  auto ctx = Ctx("");
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  EXPECT_FALSE(plain->GetCheckpoint(ctx.get(), v1::GetCheckpointRequest(), &cp).ok());

  // A certificate without its key is refused before anything starts.
  ServerOptions half = o;
  half.tls_key.clear();
  EXPECT_EQ(Server::Start(half).status().code(), absl::StatusCode::kInvalidArgument);
  server->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace boai::service::testing
