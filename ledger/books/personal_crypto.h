// The cryptography of the personal-data store (personal.cc): secrets that are
// zeroed when dropped, random bytes, the lookup HMAC and the records' AES-256-GCM
// sealing. Internal to ledger/books; not an API.

#ifndef BOAI_LEDGER_BOOKS_PERSONAL_CRYPTO_H_
#define BOAI_LEDGER_BOOKS_PERSONAL_CRYPTO_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"

namespace boai::books::personal_internal {

inline constexpr size_t kKeyBytes = 32;    // AES-256 key, lookup secret
inline constexpr size_t kNonceBytes = 12;  // GCM nonce
inline constexpr size_t kTagBytes = 16;    // GCM tag
inline constexpr char kRecordV1 = 0x01;    // first byte of a sealed record

// Zeroes the string's bytes (OPENSSL_cleanse: not optimised away).
void Cleanse(std::string* s);

// Bytes that must not outlive their use: zeroed on destruction.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string s) : s_(std::move(s)) {}
  ~Secret() { Cleanse(&s_); }
  Secret(Secret&& o) noexcept { s_.swap(o.s_); }
  Secret& operator=(Secret&& o) noexcept {
    if (this != &o) {
      Cleanse(&s_);
      s_.clear();
      s_.swap(o.s_);
    }
    return *this;
  }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  std::string_view view() const { return s_; }
  const unsigned char* bytes() const { return reinterpret_cast<const unsigned char*>(s_.data()); }
  size_t size() const { return s_.size(); }
  std::string* mutable_string() { return &s_; }

 private:
  std::string s_;
};

// n random bytes from OpenSSL's private generator (keys), or its public one
// (nonces, person ids). `what` names them in the error.
absl::StatusOr<Secret> RandomSecret(size_t n, std::string_view what);
absl::StatusOr<std::string> RandomPublic(size_t n, std::string_view what);

// Lower-case hex HMAC-SHA256 of `msg` under `key`.
absl::StatusOr<std::string> HmacHex(const Secret& key, std::string_view msg);

// version || nonce || AES-256-GCM(key, nonce, aad = id)(plaintext) || tag.
absl::StatusOr<std::string> Seal(const Secret& key, std::string_view id,
                                 std::string_view plaintext);

// Inverse of Seal. DataLoss unless the record is intact and belongs to `id`.
absl::StatusOr<Secret> Open(const Secret& key, std::string_view id, std::string_view record);

}  // namespace boai::books::personal_internal

#endif  // BOAI_LEDGER_BOOKS_PERSONAL_CRYPTO_H_
