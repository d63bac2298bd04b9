// SHA-256 and the RFC 9162 (RFC 6962) Merkle hashing rules, through OpenSSL 3 EVP.
//
//   leaf hash = SHA-256(0x00 || leaf bytes)
//   node hash = SHA-256(0x01 || left || right)
//
// Thread-safe: every thread uses its own digest context.
#ifndef BOAI_LEDGER_HASH_H_
#define BOAI_LEDGER_HASH_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

struct evp_md_ctx_st;  // OpenSSL EVP_MD_CTX

namespace boai::ledger {

inline constexpr size_t kHashSize = 32;
using Hash = std::array<uint8_t, kHashSize>;

// SHA-256 of `data`.
Hash Sha256(std::string_view data);

// RFC 9162 section 2.1.1: SHA-256(0x00 || leaf).
Hash LeafHash(std::string_view leaf);

// RFC 9162 section 2.1.1: SHA-256(0x01 || left || right).
Hash NodeHash(const Hash& left, const Hash& right);

// Incremental SHA-256 for data that arrives in pieces.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(std::string_view data);
  // Returns the digest and resets the hasher for reuse.
  Hash Finish();

 private:
  ::evp_md_ctx_st* ctx_;
};

std::string_view HashBytes(const Hash& h);  // the 32 raw bytes
std::string HashToHex(const Hash& h);       // 64 lowercase hex digits
std::string HashToBase64(const Hash& h);    // standard base64 with padding (44 chars)

// Parse 64 hex digits (either case). InvalidArgument names the bad input.
absl::StatusOr<Hash> HashFromHex(std::string_view hex);
// Exactly 64 lower-case hex digits (the canonical form leaves use) into *out.
bool HashFromLowerHex(std::string_view hex, Hash* out);
// Parse standard base64 of exactly 32 bytes.
absl::StatusOr<Hash> HashFromBase64(std::string_view b64);
// Copy 32 raw bytes. InvalidArgument if the size is wrong.
absl::StatusOr<Hash> HashFromBytes(std::string_view raw);

}  // namespace boai::ledger

#endif  // BOAI_LEDGER_HASH_H_
