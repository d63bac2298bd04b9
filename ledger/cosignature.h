// Auditor cosignatures of checkpoints: C2SP tlog-cosignature, Ed25519 ("cosignature/v1").
//
// A cosignature is a signed-note signature line added to a checkpoint note:
//
//   sigline   = U+2014 " " name " " base64(key_id[4] || timestamp[8] || ed25519_sig[64]) "\n"
//   key_id    = SHA-256(name || "\n" || 0x04 || public_key)[:4]      ; cosignature type 0x04
//   timestamp = POSIX seconds, big-endian u64, at most 2^63 - 1
//   message   = "cosignature/v1\n" "time " decimal(timestamp) "\n" checkpoint_body
//   vkey      = name "+" hex(key_id) "+" base64(0x04 || public_key)
//
// The checkpoint body is the whole note text (origin, size, root and any extension
// lines, with the final newline; no signature lines). The cosigner's private key
// file is the ordinary Go note form ("PRIVATE+KEY+name+id+base64(0x01 || seed)",
// ledger/note.h): the same Ed25519 key, whose cosigner identity uses type 0x04.
//
// STORAGE CONTRACT (column family `cosignatures`, docs/storage.md):
//   key   = u64be(tree size) || cosigner key name bytes
//   value = exactly one signature line as it appears in a signed note: the em dash
//           U+2014, a space, the name, a space, the base64 signature, and the
//           terminating "\n". Appending the stored lines of size N to the signed
//           checkpoint of size N gives a valid signed note.
// One cosignature per (tree size, cosigner name); auditors add them with
// `boai-audit cosign`, and `boai-audit verify` checks them.
#ifndef BOAI_LEDGER_COSIGNATURE_H_
#define BOAI_LEDGER_COSIGNATURE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/note.h"
#include "ledger/storage.h"

namespace boai::ledger {

// The signed-note signature type of Ed25519 cosignature/v1.
inline constexpr uint8_t kCosignatureV1Type = 0x04;
// The largest timestamp the spec allows.
inline constexpr uint64_t kMaxCosignatureTime = (uint64_t{1} << 63) - 1;

// A cosigner's public key: a signed-note verifier key of type 0x04. Thread-safe.
class CosignerVerifier {
 public:
  // Parses "name+hexid+base64(0x04 || key)". InvalidArgument says what is wrong
  // (a type 0x01 key is a log's note key, not a cosigner's).
  static absl::StatusOr<CosignerVerifier> FromVerifierKey(std::string_view vkey);
  // The cosigner identity of a signing key.
  static CosignerVerifier FromSigner(const NoteSigner& signer);

  const std::string& name() const { return name_; }
  KeyId key_id() const { return key_id_; }
  std::string VerifierKey() const;  // name+keyid+base64(0x04 || key)
  // Ed25519 verification of `signature` (64 bytes) over `message`.
  bool VerifySignature(std::string_view message, std::string_view signature) const;

 private:
  CosignerVerifier(std::string name, std::string public_key);
  std::string name_;
  std::string public_key_;  // 32 bytes
  KeyId key_id_{};
  // The same Ed25519 key in the note form, which does the verifying.
  std::shared_ptr<const NoteVerifier> ed25519_;
};

// The cosigner verifier key ("name+id+base64(0x04 || key)") of a signing key.
std::string CosignerVerifierKey(const NoteSigner& signer);

// The exact bytes a cosignature/v1 signs. REQUIRES: checkpoint_body ends in "\n".
std::string CosignatureMessage(uint64_t timestamp, std::string_view checkpoint_body);

// A parsed cosignature line.
struct Cosignature {
  std::string name;
  KeyId key_id{};
  uint64_t timestamp = 0;  // POSIX seconds
  std::string signature;   // 64 bytes
};

// Signs `checkpoint_body` (the note text, without signature lines) at `timestamp`
// and returns the signature line, ending in "\n". InvalidArgument for a body that
// does not end in a newline or a timestamp above 2^63 - 1.
absl::StatusOr<std::string> CreateCosignature(std::string_view checkpoint_body,
                                              const NoteSigner& signer, uint64_t timestamp);

// Parses one signature line (with or without its "\n") as a cosignature/v1 line:
// InvalidArgument if it is not a signature line or its signature is not
// 4 + 8 + 64 bytes.
absl::StatusOr<Cosignature> ParseCosignatureLine(std::string_view line);

// OK if `line` is a cosignature by `verifier` (same name and key id) over
// `checkpoint_body`. FailedPrecondition says what does not match: another key,
// or a signature that does not verify (an altered cosignature, or one made for a
// different checkpoint). InvalidArgument for a malformed line.
absl::Status VerifyCosignature(std::string_view checkpoint_body, std::string_view line,
                               const CosignerVerifier& verifier);

// --- The `cosignatures` column family ---

// u64be(tree_size) || name.
std::string CosignatureKey(uint64_t tree_size, std::string_view name);

// The stored lines for checkpoint `tree_size`, each ending in "\n", ordered by
// cosigner name. Empty if none (or if the database predates the column family).
absl::StatusOr<std::vector<std::string>> ReadCosignatureLines(const Storage& storage,
                                                              uint64_t tree_size);

struct StoredCosignature {
  uint64_t tree_size = 0;
  std::string name;  // from the key
  std::string line;  // the value, verbatim
};

// Every stored cosignature, by tree size then name. DataLoss for a key shorter
// than 8 bytes.
absl::StatusOr<std::vector<StoredCosignature>> ListCosignatures(const Storage& storage);

// Stores `line` (a cosignature line) for `tree_size` under the line's key name,
// synced. AlreadyExists, storing nothing, if a cosignature by that name is
// already stored for that size: a stored cosignature is never replaced.
// FailedPrecondition for a read-only storage.
absl::Status StoreCosignature(Storage* storage, uint64_t tree_size, std::string_view line);

}  // namespace boai::ledger

#endif  // BOAI_LEDGER_COSIGNATURE_H_
