// Certificates for the TLS tests, made with OpenSSL's EVP and X509 APIs: a CA,
// and leaf certificates it signs (servers and clients).
#ifndef BOAI_TESTS_SERVICES_CERT_SUPPORT_H_
#define BOAI_TESTS_SERVICES_CERT_SUPPORT_H_

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>

namespace boai::service::testing {

struct Pem {
  std::string cert, key;
};

inline std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

// A P-256 certificate for `cn`, signed by `issuer` (self-signed if its cert is
// empty). `ca`: may sign others. `san`: subjectAltName, e.g. "DNS:localhost".
inline Pem MakeCert(const std::string& cn, const Pem& issuer, bool ca, const std::string& san,
                    long serial) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* issuer_cert = nullptr;
  EVP_PKEY* issuer_key = key;
  if (!issuer.cert.empty()) {
    BIO* cb = BIO_new_mem_buf(issuer.cert.data(), static_cast<int>(issuer.cert.size()));
    issuer_cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    BIO_free(cb);
    BIO* kb = BIO_new_mem_buf(issuer.key.data(), static_cast<int>(issuer.key.size()));
    issuer_key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    BIO_free(kb);
    X509_set_issuer_name(x, X509_get_subject_name(issuer_cert));
  } else {
    X509_set_issuer_name(x, name);
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert != nullptr ? issuer_cert : x, x, nullptr, nullptr, 0);
  std::string bc = ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
  auto add = [&](int nid, const std::string& value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext != nullptr) {
      X509_add_ext(x, ext, -1);
      X509_EXTENSION_free(ext);
    }
  };
  add(NID_basic_constraints, bc);
  if (ca) add(NID_key_usage, "critical,keyCertSign,cRLSign");
  if (!san.empty()) add(NID_subject_alt_name, san);
  X509_sign(x, issuer_key, EVP_sha256());
  BIO* cb = BIO_new(BIO_s_mem());
  BIO* kb = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cb, x);
  PEM_write_bio_PrivateKey(kb, key, nullptr, nullptr, 0, nullptr, nullptr);
  Pem out{BioText(cb), BioText(kb)};
  BIO_free(cb);
  BIO_free(kb);
  if (issuer_cert != nullptr) {
    X509_free(issuer_cert);
    EVP_PKEY_free(issuer_key);
  }
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace boai::service::testing

#endif  // BOAI_TESTS_SERVICES_CERT_SUPPORT_H_
