#include "ledger/keys.h"

#include "ledger/canonical_json.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"

namespace boai::ledger {

std::string RotationMessage(std::string_view origin, std::string_view old_vkey,
                            std::string_view new_vkey) {
  return StrCat("boai-ledger key rotation\n", origin, "\n", old_vkey, "\n", new_vkey, "\n");
}

std::string EncodeRotationBody(std::string_view origin, const NoteVerifier& old_key,
                               const NoteSigner& next, std::string_view reason) {
  const std::string old_vkey = old_key.VerifierKey();
  const std::string new_vkey = next.VerifierKey();
  nlohmann::json body = {
      {"new_vkey", new_vkey},
      {"old_vkey", old_vkey},
      {"possession", Base64Encode(next.Sign(RotationMessage(origin, old_vkey, new_vkey)))},
      {"reason", std::string(reason)},
  };
  return *EncodeCanonicalJson(body);  // strings only: cannot fail
}

absl::StatusOr<Rotation> ParseRotationBody(std::string_view body, std::string_view origin) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  auto bad = [](std::string_view what) {
    return absl::InvalidArgumentError(StrCat("the key rotation body ", what));
  };
  if (j.is_discarded() || !j.is_object()) return bad("is not a JSON object");
  for (const char* f : {"new_vkey", "old_vkey", "possession", "reason"}) {
    if (!j.contains(f) || !j[f].is_string())
      return bad(StrCat("lacks the string field \"", f, "\""));
  }
  if (j.size() != 4) return bad("has fields other than new_vkey, old_vkey, possession, reason");
  Rotation r;
  r.old_vkey = j["old_vkey"].get<std::string>();
  r.new_vkey = j["new_vkey"].get<std::string>();
  r.reason = j["reason"].get<std::string>();
  if (!Base64Decode(j["possession"].get<std::string>(), &r.possession) ||
      r.possession.size() != 64) {
    return bad("has a possession proof that is not 64 bytes of base64");
  }
  absl::StatusOr<NoteVerifier> old_key = NoteVerifier::FromVerifierKey(r.old_vkey);
  if (!old_key.ok()) return bad(StrCat("old_vkey: ", ToStd(old_key.status().message())));
  absl::StatusOr<NoteVerifier> new_key = NoteVerifier::FromVerifierKey(r.new_vkey);
  if (!new_key.ok()) return bad(StrCat("new_vkey: ", ToStd(new_key.status().message())));
  if (old_key->name() != origin || new_key->name() != origin) {
    return bad(StrCat("names keys for \"", old_key->name(), "\" and \"", new_key->name(),
                      "\"; both must be named after the log's origin \"", origin, "\""));
  }
  if (old_key->public_key() == new_key->public_key()) {
    return bad("rotates to the same key");
  }
  if (!new_key->Verify(RotationMessage(origin, r.old_vkey, r.new_vkey), r.possession)) {
    return bad(StrCat("has a possession proof that does not verify under ", r.new_vkey));
  }
  return r;
}

std::vector<const NoteVerifier*> KeySchedule::SignersOf(uint64_t size) const {
  std::vector<const NoteVerifier*> out;
  for (size_t e = 0; e < epochs_.size(); ++e) {
    const uint64_t first = epochs_[e].first_size;
    const bool last = e + 1 == epochs_.size();
    if (size >= first && (last || size <= epochs_[e + 1].first_size)) {
      out.push_back(&epochs_[e].verifier);
    }
  }
  return out;
}

int KeySchedule::Find(std::string_view vkey) const {
  for (size_t e = 0; e < epochs_.size(); ++e) {
    if (epochs_[e].verifier.VerifierKey() == vkey) return static_cast<int>(e);
  }
  return -1;
}

absl::Status VerifyCheckpointSignatures(const Note& note, const KeySchedule& schedule,
                                        uint64_t size) {
  std::vector<const NoteVerifier*> keys = schedule.SignersOf(size);
  if (keys.empty()) {
    return absl::FailedPreconditionError(StrCat("no log key is in force at tree size ", size));
  }
  for (const NoteVerifier* k : keys) {
    absl::Status s = VerifyNote(note, *k);
    if (!s.ok()) {
      if (keys.size() == 2) {
        return absl::FailedPreconditionError(
            StrCat(ToStd(s.message()),
                   " (a key handover: both the retiring and the new key must "
                   "sign this checkpoint)"));
      }
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace boai::ledger
