#include "ledger/books/personal_crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <memory>

#include "ledger/strings.h"

namespace boai::books::personal_internal {
namespace {

const EVP_CIPHER* Aes256Gcm() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

}  // namespace

void Cleanse(std::string* s) {
  if (!s->empty()) OPENSSL_cleanse(s->data(), s->size());
}

absl::StatusOr<Secret> RandomSecret(size_t n, std::string_view what) {
  Secret out(std::string(n, '\0'));
  if (RAND_priv_bytes(reinterpret_cast<unsigned char*>(out.mutable_string()->data()),
                      static_cast<int>(n)) != 1) {
    return absl::InternalError(StrCat("OpenSSL could not generate random bytes for ", what));
  }
  return out;
}

absl::StatusOr<std::string> RandomPublic(size_t n, std::string_view what) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return absl::InternalError(StrCat("OpenSSL could not generate random bytes for ", what));
  }
  return out;
}

absl::StatusOr<std::string> HmacHex(const Secret& key, std::string_view msg) {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return absl::InternalError("OpenSSL has no HMAC implementation");
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_new(mac),
                                                                EVP_MAC_CTX_free);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t out_len = 0;
  bool ok = ctx != nullptr && EVP_MAC_init(ctx.get(), key.bytes(), key.size(), params) == 1 &&
            EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(msg.data()),
                           msg.size()) == 1 &&
            EVP_MAC_final(ctx.get(), out, &out_len, sizeof(out)) == 1 && out_len == 32;
  if (!ok) return absl::InternalError("OpenSSL failed to compute the lookup HMAC");
  return HexEncode(std::string_view(reinterpret_cast<const char*>(out), out_len));
}

absl::StatusOr<std::string> Seal(const Secret& key, std::string_view id,
                                 std::string_view plaintext) {
  const EVP_CIPHER* cipher = Aes256Gcm();
  if (cipher == nullptr) return absl::InternalError("OpenSSL has no AES-256-GCM implementation");
  absl::StatusOr<std::string> nonce = RandomPublic(kNonceBytes, "a nonce");
  if (!nonce.ok()) return nonce.status();
  std::string out;
  out.reserve(1 + kNonceBytes + plaintext.size() + kTagBytes);
  out.push_back(kRecordV1);
  out += *nonce;
  const size_t ct_at = out.size();
  out.resize(ct_at + plaintext.size() + kTagBytes);
  auto* ct = reinterpret_cast<unsigned char*>(out.data() + ct_at);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0, final_len = 0, aad_len = 0;
  bool ok =
      ctx != nullptr &&
      EVP_EncryptInit_ex2(ctx.get(), cipher, key.bytes(),
                          reinterpret_cast<const unsigned char*>(nonce->data()), nullptr) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &aad_len,
                        reinterpret_cast<const unsigned char*>(id.data()),
                        static_cast<int>(id.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), ct, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &final_len) == 1 &&
      static_cast<size_t>(len + final_len) == plaintext.size() &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagBytes),
                          ct + plaintext.size()) == 1;
  if (!ok) {
    return absl::InternalError(StrCat("OpenSSL failed to encrypt the record of person ", id));
  }
  return out;
}

absl::StatusOr<Secret> Open(const Secret& key, std::string_view id, std::string_view record) {
  const EVP_CIPHER* cipher = Aes256Gcm();
  if (cipher == nullptr) return absl::InternalError("OpenSSL has no AES-256-GCM implementation");
  if (record.size() < 1 + kNonceBytes + kTagBytes) {
    return absl::DataLossError(StrCat("the encrypted record of person ", id, " is ", record.size(),
                                      " bytes, shorter than any record (",
                                      1 + kNonceBytes + kTagBytes, "); it is damaged"));
  }
  if (record[0] != kRecordV1) {
    return absl::DataLossError(StrCat("the encrypted record of person ", id,
                                      " has unknown format version ",
                                      static_cast<int>(static_cast<uint8_t>(record[0])),
                                      " (expected 1); it is damaged or from a newer release"));
  }
  std::string_view nonce = record.substr(1, kNonceBytes);
  std::string_view ct = record.substr(1 + kNonceBytes, record.size() - 1 - kNonceBytes - kTagBytes);
  std::string tag(record.substr(record.size() - kTagBytes));
  Secret plain(std::string(ct.size(), '\0'));
  auto* pt = reinterpret_cast<unsigned char*>(plain.mutable_string()->data());
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0, final_len = 0, aad_len = 0;
  bool ok =
      ctx != nullptr &&
      EVP_DecryptInit_ex2(ctx.get(), cipher, key.bytes(),
                          reinterpret_cast<const unsigned char*>(nonce.data()), nullptr) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &aad_len,
                        reinterpret_cast<const unsigned char*>(id.data()),
                        static_cast<int>(id.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), pt, &len, reinterpret_cast<const unsigned char*>(ct.data()),
                        static_cast<int>(ct.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagBytes),
                          tag.data()) == 1;
  // Final checks the tag; only then is the plaintext ours to read.
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), pt + len, &final_len) == 1 &&
       static_cast<size_t>(len + final_len) == ct.size();
  if (!ok) {
    return absl::DataLossError(
        StrCat("the encrypted record of person ", id,
               " fails authentication (AES-256-GCM tag mismatch): it was altered, damaged, or does "
               "not belong to this person id"));
  }
  return plain;
}

}  // namespace boai::books::personal_internal
