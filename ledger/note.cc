#include "ledger/note.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ledger/canonical_json.h"
#include "ledger/hash.h"
#include "ledger/strings.h"

namespace boai::ledger {
namespace {

constexpr uint8_t kAlgEd25519 = 0x01;
constexpr std::string_view kEmDash = "\xE2\x80\x94";  // U+2014
constexpr std::string_view kPrivatePrefix = "PRIVATE+KEY+";

std::shared_ptr<evp_pkey_st> WrapKey(EVP_PKEY* k) {
  return std::shared_ptr<evp_pkey_st>(k, EVP_PKEY_free);
}

// signed-note: a key name is non-empty UTF-8 without Unicode spaces or '+'. We are
// stricter and accept printable ASCII only, which every implementation reads alike.
bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (c <= 0x20 || c >= 0x7f || c == '+') return false;
  }
  return true;
}

// signed-note: the text is UTF-8 with no control characters but newline.
bool ValidNoteText(std::string_view text) {
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
  }
  return IsValidUtf8(text);
}

std::string HexKeyId(const KeyId& id) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(id.data()), 4));
}

// Parses "name+hexid+base64(type||key)" shared by the public and private forms.
struct KeyParts {
  std::string name;
  KeyId id{};
  std::string key;  // 32 bytes, type byte removed
};

absl::StatusOr<KeyParts> ParseKeyParts(std::string_view s, std::string_view what) {
  // The base64 part may itself hold '+': split at the first two only.
  std::vector<std::string_view> parts;
  size_t first = s.find('+');
  size_t second = first == std::string_view::npos ? first : s.find('+', first + 1);
  if (second != std::string_view::npos) {
    parts = {s.substr(0, first), s.substr(first + 1, second - first - 1), s.substr(second + 1)};
  }
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        StrCat("malformed ", what, ": ", why, "; expected name+keyid+base64"));
  };
  if (parts.size() != 3) return bad("it does not have three '+'-separated parts");
  KeyParts kp;
  kp.name = std::string(parts[0]);
  if (!ValidName(kp.name)) return bad("the key name is empty or has spaces or '+'");
  if (parts[1].size() != 8) return bad("the key id is not 8 hex digits");
  std::string id;
  if (!HexDecode(parts[1], &id)) return bad("the key id is not hex");
  std::memcpy(kp.id.data(), id.data(), 4);
  std::string raw;
  if (!Base64Decode(parts[2], &raw) || raw.size() != 33) {
    return bad("the key is not base64 of 33 bytes");
  }
  if (static_cast<uint8_t>(raw[0]) != kAlgEd25519) {
    return bad(
        StrCat("unsupported key type ", static_cast<int>(raw[0]), " (only Ed25519, type 1)"));
  }
  kp.key = raw.substr(1);
  return kp;
}

}  // namespace

KeyId ComputeKeyId(std::string_view name, uint8_t type, std::string_view public_key) {
  std::string buf = StrCat(name, "\n");
  buf.push_back(static_cast<char>(type));
  buf.append(public_key);
  Hash h = Sha256(buf);
  return KeyId{h[0], h[1], h[2], h[3]};
}

absl::StatusOr<NoteSigner> NoteSigner::Generate(std::string_view name) {
  std::string seed(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(seed.data()), 32) != 1) {
    return absl::InternalError("OpenSSL could not generate random bytes for a new key");
  }
  if (!ValidName(name)) {
    return absl::InvalidArgumentError(
        StrCat("key name \"", name, "\" must be non-empty, without spaces or '+'"));
  }
  NoteSigner s;
  s.name_ = std::string(name);
  s.seed_ = seed;
  EVP_PKEY* k = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), 32);
  if (k == nullptr) return absl::InternalError("OpenSSL rejected a new Ed25519 key");
  s.pkey_ = WrapKey(k);
  s.public_key_.resize(32);
  size_t len = 32;
  EVP_PKEY_get_raw_public_key(k, reinterpret_cast<unsigned char*>(s.public_key_.data()), &len);
  s.key_id_ = ComputeKeyId(s.name_, kAlgEd25519, s.public_key_);
  return s;
}

absl::StatusOr<NoteSigner> NoteSigner::FromPrivateKey(std::string_view encoded) {
  while (!encoded.empty() && (encoded.back() == '\n' || encoded.back() == '\r')) {
    encoded.remove_suffix(1);
  }
  if (encoded.substr(0, kPrivatePrefix.size()) != kPrivatePrefix) {
    return absl::InvalidArgumentError(
        "malformed private key: it does not start with PRIVATE+KEY+; is this the right file?");
  }
  absl::StatusOr<KeyParts> kp = ParseKeyParts(encoded.substr(kPrivatePrefix.size()), "private key");
  if (!kp.ok()) return kp.status();
  NoteSigner s;
  s.name_ = kp->name;
  s.seed_ = kp->key;
  EVP_PKEY* k = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(s.seed_.data()), 32);
  if (k == nullptr) return absl::InvalidArgumentError("malformed private key: not an Ed25519 seed");
  s.pkey_ = WrapKey(k);
  s.public_key_.resize(32);
  size_t len = 32;
  EVP_PKEY_get_raw_public_key(k, reinterpret_cast<unsigned char*>(s.public_key_.data()), &len);
  s.key_id_ = ComputeKeyId(s.name_, kAlgEd25519, s.public_key_);
  if (s.key_id_ != kp->id) {
    return absl::InvalidArgumentError(
        "malformed private key: its key id does not match the key; the file is damaged");
  }
  return s;
}

std::string NoteSigner::PrivateKeyString() const {
  std::string raw(1, static_cast<char>(kAlgEd25519));
  raw += seed_;
  return StrCat(kPrivatePrefix, name_, "+", HexKeyId(key_id_), "+", Base64Encode(raw));
}

std::string NoteSigner::VerifierKey() const {
  std::string raw(1, static_cast<char>(kAlgEd25519));
  raw += public_key_;
  return StrCat(name_, "+", HexKeyId(key_id_), "+", Base64Encode(raw));
}

std::string NoteSigner::Sign(std::string_view message) const {
  std::string sig(64, '\0');
  size_t len = sig.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, pkey_.get()) == 1 &&
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok || len != 64) std::abort();  // only on allocation failure
  return sig;
}

absl::StatusOr<NoteVerifier> NoteVerifier::FromVerifierKey(std::string_view vkey) {
  while (!vkey.empty() && (vkey.back() == '\n' || vkey.back() == '\r' || vkey.back() == ' ')) {
    vkey.remove_suffix(1);
  }
  absl::StatusOr<KeyParts> kp = ParseKeyParts(vkey, "verifier key");
  if (!kp.ok()) return kp.status();
  NoteVerifier v;
  v.name_ = kp->name;
  v.public_key_ = kp->key;
  v.key_id_ = ComputeKeyId(v.name_, kAlgEd25519, v.public_key_);
  if (v.key_id_ != kp->id) {
    return absl::InvalidArgumentError(StrCat("malformed verifier key: key id ", HexKeyId(kp->id),
                                             " does not match the key (", HexKeyId(v.key_id_),
                                             ")"));
  }
  EVP_PKEY* k = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(v.public_key_.data()), 32);
  if (k == nullptr) return absl::InvalidArgumentError("malformed verifier key: not an Ed25519 key");
  v.pkey_ = WrapKey(k);
  return v;
}

std::string NoteVerifier::VerifierKey() const {
  std::string raw(1, static_cast<char>(kAlgEd25519));
  raw += public_key_;
  return StrCat(name_, "+", HexKeyId(key_id_), "+", Base64Encode(raw));
}

bool NoteVerifier::Verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != 64) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey_.get()) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string FormatSignatureLine(std::string_view name, const KeyId& id,
                                std::string_view signature) {
  std::string raw(reinterpret_cast<const char*>(id.data()), 4);
  raw += signature;
  return StrCat(kEmDash, " ", name, " ", Base64Encode(raw), "\n");
}

std::string SignNote(std::string_view text, const NoteSigner& signer) {
  return StrCat(text, "\n", FormatSignatureLine(signer.name(), signer.key_id(), signer.Sign(text)));
}

absl::StatusOr<Note> ParseNote(std::string_view note) {
  size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) {
    return absl::InvalidArgumentError(
        "malformed signed note: no blank line between the text and the signatures");
  }
  Note out;
  out.text = std::string(note.substr(0, split + 1));
  if (!ValidNoteText(note)) {
    return absl::InvalidArgumentError(
        "malformed signed note: it is not UTF-8 or holds control characters other than newline");
  }
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') {
    return absl::InvalidArgumentError("malformed signed note: it does not end with a newline");
  }
  sigs.remove_suffix(1);
  for (std::string_view line : Split(sigs, '\n')) {
    auto bad = [&](std::string_view why) {
      return absl::InvalidArgumentError(StrCat("malformed signature line \"", line, "\": ", why));
    };
    if (line.substr(0, kEmDash.size() + 1) != StrCat(kEmDash, " ")) {
      return bad("it does not start with an em dash (U+2014) and a space");
    }
    line.remove_prefix(kEmDash.size() + 1);
    size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0) return bad("no key name");
    NoteSignature s;
    s.name = std::string(line.substr(0, space));
    std::string raw;
    if (!Base64Decode(line.substr(space + 1), &raw) || raw.size() < 5) {
      return bad("the signature is not base64 of a key id and a signature");
    }
    std::memcpy(s.key_id.data(), raw.data(), 4);
    s.signature = raw.substr(4);
    out.signatures.push_back(std::move(s));
  }
  return out;
}

absl::Status VerifyNote(const Note& note, const NoteVerifier& verifier) {
  // Every signature by this key must verify (signed-note: reject the note if one
  // by a known key does not), and there must be at least one.
  bool seen = false;
  for (const NoteSignature& s : note.signatures) {
    if (s.name != verifier.name() || s.key_id != verifier.key_id()) continue;
    seen = true;
    if (!verifier.Verify(note.text, s.signature)) {
      return absl::FailedPreconditionError(
          StrCat("the signature by ", verifier.name(), " does not verify over the note text"));
    }
  }
  if (!seen) {
    return absl::FailedPreconditionError(
        StrCat("the note carries no signature by key ", verifier.VerifierKey()));
  }
  return absl::OkStatus();
}

}  // namespace boai::ledger
