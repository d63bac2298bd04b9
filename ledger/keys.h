// The log's signing keys over time: the genesis key, then one key per rotation
// recorded on the chain (docs/leaf-format.md, "Key rotation").
//
// A rotation is a `log.key` entry at index r, written alone at the end of its
// batch. The checkpoint at tree size r+1 (the handover) is signed by both the old
// and the new key; every later checkpoint by the new key only. So a verifier that
// trusts any key of the schedule can follow the chain to every other one, and a
// rotation cannot be forged without the key it retires.
#ifndef BOAI_LEDGER_KEYS_H_
#define BOAI_LEDGER_KEYS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/note.h"

namespace boai::ledger {

inline constexpr std::string_view kRotationKind = "log.key";

// The body of a `log.key` entry (canonical JSON, fields in this order):
//   {"new_vkey":"...","old_vkey":"...","possession":"<base64 signature>","reason":"..."}
// `possession` is the new key's Ed25519 signature over RotationMessage(...), so a
// log cannot be rotated to a key nobody holds.
struct Rotation {
  std::string old_vkey;
  std::string new_vkey;
  std::string possession;  // raw 64-byte signature
  std::string reason;
};

// What the new key signs: "boai-ledger key rotation\n" origin "\n" old "\n" new "\n".
std::string RotationMessage(std::string_view origin, std::string_view old_vkey,
                            std::string_view new_vkey);
// The entry body rotating from `old_key` to `next` (which signs the possession proof).
std::string EncodeRotationBody(std::string_view origin, const NoteVerifier& old_key,
                               const NoteSigner& next, std::string_view reason);
// Parses and checks a `log.key` body against the log's origin: the fields, both keys
// well-formed and named `origin`, the keys different, and the possession proof.
absl::StatusOr<Rotation> ParseRotationBody(std::string_view body, std::string_view origin);

// One signing key and the checkpoints it signs: sizes first_size ..
// the next epoch's first_size (inclusive: the handover is signed by both).
struct KeyEpoch {
  uint64_t rotation_index = 0;  // the log.key entry that introduced it; 0 for genesis
  uint64_t first_size = 1;      // rotation_index + 1; 1 for the genesis key
  NoteVerifier verifier;
};

class KeySchedule {
 public:
  KeySchedule() = default;
  explicit KeySchedule(NoteVerifier genesis) { epochs_.push_back(KeyEpoch{0, 1, genesis}); }

  // Adds the key introduced by the log.key entry at `rotation_index`.
  // REQUIRES: rotation_index greater than every earlier one.
  void Add(uint64_t rotation_index, NoteVerifier key) {
    epochs_.push_back(KeyEpoch{rotation_index, rotation_index + 1, std::move(key)});
  }
  bool empty() const { return epochs_.empty(); }
  const std::vector<KeyEpoch>& epochs() const { return epochs_; }
  const NoteVerifier& current() const { return epochs_.back().verifier; }
  const NoteVerifier& genesis() const { return epochs_.front().verifier; }
  // Every key that must have signed the checkpoint at tree size `size`: one, or two
  // at a handover.
  std::vector<const NoteVerifier*> SignersOf(uint64_t size) const;
  // The position in epochs() of the key with this verifier-key string, or -1.
  int Find(std::string_view vkey) const;

 private:
  std::vector<KeyEpoch> epochs_;
};

// OK if every key in `schedule.SignersOf(size)` signed `note`; otherwise names the
// key whose signature is missing or bad.
absl::Status VerifyCheckpointSignatures(const Note& note, const KeySchedule& schedule,
                                        uint64_t size);

}  // namespace boai::ledger

#endif  // BOAI_LEDGER_KEYS_H_
