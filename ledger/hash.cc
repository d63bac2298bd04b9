#include "ledger/hash.h"

#include <openssl/evp.h>

#include <array>
#include <cstring>
#include <stdexcept>

#include "ledger/strings.h"

namespace boai::ledger {
namespace {

// Fetched once: implicit fetching through EVP_sha256() costs a lookup per call.
const EVP_MD* Sha256Md() {
  static EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) throw std::runtime_error("OpenSSL has no SHA256 implementation");
    return m;
  }();
  return md;
}

// One reusable digest context per thread.
EVP_MD_CTX* ThreadCtx() {
  struct Holder {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Holder() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Holder holder;
  return holder.ctx;
}

// Digests the concatenation of up to three pieces.
Hash Digest(std::string_view a, std::string_view b = {}, std::string_view c = {}) {
  EVP_MD_CTX* ctx = ThreadCtx();
  Hash out;
  unsigned int len = 0;
  if (EVP_DigestInit_ex2(ctx, Sha256Md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, a.data(), a.size()) != 1 ||
      (!b.empty() && EVP_DigestUpdate(ctx, b.data(), b.size()) != 1) ||
      (!c.empty() && EVP_DigestUpdate(ctx, c.data(), c.size()) != 1) ||
      EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != kHashSize) {
    throw std::runtime_error("OpenSSL SHA-256 failed");  // only on allocation failure
  }
  return out;
}

}  // namespace

Hash Sha256(std::string_view data) { return Digest(data); }

Hash LeafHash(std::string_view leaf) {
  static constexpr char kLeafPrefix = 0x00;
  return Digest(std::string_view(&kLeafPrefix, 1), leaf);
}

Hash NodeHash(const Hash& left, const Hash& right) {
  // One contiguous update: node hashes are a third of verification's digests,
  // and each EVP_DigestUpdate call costs about as much as hashing 32 bytes.
  std::array<char, 1 + 2 * kHashSize> in;
  in[0] = 0x01;
  std::memcpy(in.data() + 1, left.data(), kHashSize);
  std::memcpy(in.data() + 1 + kHashSize, right.data(), kHashSize);
  return Digest(std::string_view(in.data(), in.size()));
}

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex2(ctx_, Sha256Md(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 init failed");
  }
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(ctx_); }

void Sha256Hasher::Update(std::string_view data) {
  if (EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 update failed");
  }
}

Hash Sha256Hasher::Finish() {
  Hash out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1 ||
      EVP_DigestInit_ex2(ctx_, Sha256Md(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 final failed");
  }
  return out;
}

std::string_view HashBytes(const Hash& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

std::string HashToHex(const Hash& h) { return HexEncode(HashBytes(h)); }

std::string HashToBase64(const Hash& h) { return Base64Encode(HashBytes(h)); }

absl::StatusOr<Hash> HashFromBytes(std::string_view raw) {
  if (raw.size() != kHashSize) {
    return absl::InvalidArgumentError(
        StrCat("a SHA-256 hash is 32 bytes, got ", raw.size(), " bytes"));
  }
  Hash h;
  std::memcpy(h.data(), raw.data(), kHashSize);
  return h;
}

namespace {

// Hex digit values, -1 for anything else: lower case only, or either case.
constexpr std::array<int8_t, 256> NibbleTable(bool upper) {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int c = 0; c < 10; ++c) t['0' + c] = static_cast<int8_t>(c);
  for (int c = 0; c < 6; ++c) {
    t['a' + c] = static_cast<int8_t>(10 + c);
    if (upper) t['A' + c] = static_cast<int8_t>(10 + c);
  }
  return t;
}
constexpr std::array<int8_t, 256> kLowerNibble = NibbleTable(false);
constexpr std::array<int8_t, 256> kAnyNibble = NibbleTable(true);

// Hot in verification (every leaf's prev): a table, no allocation, and every digit
// looked up without an early exit; one check at the end.
bool DecodeHexHash(std::string_view hex, const std::array<int8_t, 256>& nibble, Hash* out) {
  if (hex.size() != 2 * kHashSize) return false;
  int bad = 0;
  for (size_t i = 0; i < kHashSize; ++i) {
    int hi = nibble[static_cast<uint8_t>(hex[2 * i])];
    int lo = nibble[static_cast<uint8_t>(hex[2 * i + 1])];
    bad |= hi | lo;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return bad >= 0;
}

}  // namespace

absl::StatusOr<Hash> HashFromHex(std::string_view hex) {
  Hash h;
  if (DecodeHexHash(hex, kAnyNibble, &h)) return h;
  return absl::InvalidArgumentError(
      StrCat("expected a SHA-256 hash as 64 hex digits, got \"", hex, "\""));
}

bool HashFromLowerHex(std::string_view hex, Hash* out) {
  return DecodeHexHash(hex, kLowerNibble, out);
}

absl::StatusOr<Hash> HashFromBase64(std::string_view b64) {
  std::string raw;
  if (b64.size() != 44 || !Base64Decode(b64, &raw) || raw.size() != kHashSize) {
    return absl::InvalidArgumentError(
        StrCat("expected a SHA-256 hash as 44 characters of base64, got \"", b64, "\""));
  }
  return HashFromBytes(raw);
}

}  // namespace boai::ledger
