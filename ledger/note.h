// Signed notes (C2SP signed-note) with Ed25519 keys, through OpenSSL 3 EVP.
//
// A note is UTF-8 text ending in a newline, a blank line, then signature lines:
//
//   note      = text "\n" 1*sigline
//   sigline   = U+2014 " " name " " base64(key_id[4] || signature) "\n"
//   key_id    = SHA-256(name || "\n" || 0x01 || public_key)[:4]     ; Ed25519 = 0x01
//   vkey      = name "+" hex(key_id) "+" base64(0x01 || public_key)
//   private   = "PRIVATE+KEY+" name "+" hex(key_id) "+" base64(0x01 || seed)
//
// The private-key string is the one Go's golang.org/x/mod/sumdb/note reads.
#ifndef BOAI_LEDGER_NOTE_H_
#define BOAI_LEDGER_NOTE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct evp_pkey_st;  // OpenSSL EVP_PKEY

namespace boai::ledger {

using KeyId = std::array<uint8_t, 4>;

// An Ed25519 signing key with its signed-note name. Thread-safe after creation.
class NoteSigner {
 public:
  // A new random key.
  static absl::StatusOr<NoteSigner> Generate(std::string_view name);
  // Parses the "PRIVATE+KEY+..." form. InvalidArgument says what is malformed.
  static absl::StatusOr<NoteSigner> FromPrivateKey(std::string_view encoded);

  const std::string& name() const { return name_; }
  KeyId key_id() const { return key_id_; }
  std::string PrivateKeyString() const;  // never log this
  std::string VerifierKey() const;       // name+keyid+base64
  // Ed25519 signature (64 bytes) over `message`.
  std::string Sign(std::string_view message) const;

 private:
  std::string name_;
  KeyId key_id_{};
  std::string seed_;        // 32 bytes
  std::string public_key_;  // 32 bytes
  std::shared_ptr<::evp_pkey_st> pkey_;
};

// An Ed25519 public key from a verifier-key string.
class NoteVerifier {
 public:
  static absl::StatusOr<NoteVerifier> FromVerifierKey(std::string_view vkey);

  const std::string& name() const { return name_; }
  KeyId key_id() const { return key_id_; }
  const std::string& public_key() const { return public_key_; }
  std::string VerifierKey() const;
  bool Verify(std::string_view message, std::string_view signature) const;

 private:
  std::string name_;
  KeyId key_id_{};
  std::string public_key_;
  std::shared_ptr<::evp_pkey_st> pkey_;
};

struct NoteSignature {
  std::string name;
  KeyId key_id{};
  std::string signature;  // bytes after the key id
};

struct Note {
  std::string text;  // ends with "\n"
  std::vector<NoteSignature> signatures;
};

// Key id for an Ed25519 key (type byte 0x01), or any other type byte.
KeyId ComputeKeyId(std::string_view name, uint8_t type, std::string_view public_key);

// Appends `signer`'s signature line to a note text. REQUIRES: text ends in "\n".
std::string SignNote(std::string_view text, const NoteSigner& signer);

// Splits a note into text and signature lines. InvalidArgument names the problem.
absl::StatusOr<Note> ParseNote(std::string_view note);

// OK if some signature line in `note` is by `verifier` and verifies over the text.
// Unknown signatures are ignored, as the spec requires.
absl::Status VerifyNote(const Note& note, const NoteVerifier& verifier);

// Formats a signature line.
std::string FormatSignatureLine(std::string_view name, const KeyId& id, std::string_view signature);

}  // namespace boai::ledger

#endif  // BOAI_LEDGER_NOTE_H_
