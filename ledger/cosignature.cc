#include "ledger/cosignature.h"

#include <cstring>
#include <memory>
#include <optional>

#include "ledger/strings.h"

namespace boai::ledger {
namespace {

constexpr uint8_t kNoteEd25519Type = 0x01;
constexpr std::string_view kEmDash = "\xE2\x80\x94";  // U+2014
constexpr size_t kSigBytes = 4 + 8 + 64;              // key id, timestamp, Ed25519

// The same rule as ledger/note.cc: printable ASCII without spaces or '+', which
// every signed-note implementation reads alike.
bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (c <= 0x20 || c >= 0x7f || c == '+') return false;
  }
  return true;
}

std::string HexKeyId(const KeyId& id) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
}

std::string BigEndian64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

// The type 0x01 (note) verifier key of the same Ed25519 public key: NoteVerifier
// then does the Ed25519 work, so there is one verification path in the code.
std::string NoteVkeyOf(std::string_view name, std::string_view public_key) {
  std::string raw(1, static_cast<char>(kNoteEd25519Type));
  raw += public_key;
  return StrCat(name, "+", HexKeyId(ComputeKeyId(name, kNoteEd25519Type, public_key)), "+",
                Base64Encode(raw));
}

}  // namespace

CosignerVerifier::CosignerVerifier(std::string name, std::string public_key)
    : name_(std::move(name)), public_key_(std::move(public_key)) {
  key_id_ = ComputeKeyId(name_, kCosignatureV1Type, public_key_);
  absl::StatusOr<NoteVerifier> v = NoteVerifier::FromVerifierKey(NoteVkeyOf(name_, public_key_));
  // The name and the key were validated by the callers; a key OpenSSL refuses
  // leaves ed25519_ empty and every signature fails.
  if (v.ok()) ed25519_ = std::make_shared<const NoteVerifier>(*std::move(v));
}

absl::StatusOr<CosignerVerifier> CosignerVerifier::FromVerifierKey(std::string_view vkey) {
  vkey = StripWhitespace(vkey);
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("malformed cosigner key \"", vkey, "\": ", why,
                                             "; expected name+keyid+base64(0x04 || key), as "
                                             "boai-audit keygen prints it"));
  };
  size_t first = vkey.find('+');
  size_t second = first == std::string_view::npos ? first : vkey.find('+', first + 1);
  if (second == std::string_view::npos) return bad("it does not have three '+'-separated parts");
  std::string_view name = vkey.substr(0, first);
  std::string_view hex_id = vkey.substr(first + 1, second - first - 1);
  if (!ValidName(name)) return bad("the key name is empty or has spaces or '+'");
  std::string id;
  if (hex_id.size() != 8 || !HexDecode(hex_id, &id)) return bad("the key id is not 8 hex digits");
  std::string raw;
  if (!Base64Decode(vkey.substr(second + 1), &raw) || raw.size() != 33) {
    return bad("the key is not base64 of 33 bytes");
  }
  if (static_cast<uint8_t>(raw[0]) == kNoteEd25519Type) {
    return bad(
        "it is a signed-note key of type 0x01 (a log's key), not a cosigner key of type 0x04");
  }
  if (static_cast<uint8_t>(raw[0]) != kCosignatureV1Type) {
    return bad(StrCat("unsupported key type ", static_cast<int>(raw[0]),
                      " (only Ed25519 cosignature/v1, type 4)"));
  }
  CosignerVerifier v{std::string(name), raw.substr(1)};
  if (std::memcmp(v.key_id_.data(), id.data(), 4) != 0) {
    return bad(StrCat("key id ", hex_id, " does not match the key (", HexKeyId(v.key_id_), ")"));
  }
  if (v.ed25519_ == nullptr) return bad("it is not an Ed25519 public key");
  return v;
}

CosignerVerifier CosignerVerifier::FromSigner(const NoteSigner& signer) {
  // NoteSigner shows its public key only through its verifier key.
  absl::StatusOr<NoteVerifier> note = NoteVerifier::FromVerifierKey(signer.VerifierKey());
  if (!note.ok()) std::abort();  // a signer's own key always parses
  return CosignerVerifier(signer.name(), note->public_key());
}

std::string CosignerVerifier::VerifierKey() const {
  std::string raw(1, static_cast<char>(kCosignatureV1Type));
  raw += public_key_;
  return StrCat(name_, "+", HexKeyId(key_id_), "+", Base64Encode(raw));
}

bool CosignerVerifier::VerifySignature(std::string_view message, std::string_view signature) const {
  return ed25519_ != nullptr && ed25519_->Verify(message, signature);
}

std::string CosignerVerifierKey(const NoteSigner& signer) {
  return CosignerVerifier::FromSigner(signer).VerifierKey();
}

std::string CosignatureMessage(uint64_t timestamp, std::string_view checkpoint_body) {
  return StrCat("cosignature/v1\ntime ", timestamp, "\n", checkpoint_body);
}

absl::StatusOr<std::string> CreateCosignature(std::string_view checkpoint_body,
                                              const NoteSigner& signer, uint64_t timestamp) {
  if (checkpoint_body.empty() || checkpoint_body.back() != '\n') {
    return absl::InvalidArgumentError(
        "cannot cosign: the checkpoint text does not end in a newline (pass the note text "
        "without its signature lines)");
  }
  if (timestamp > kMaxCosignatureTime) {
    return absl::InvalidArgumentError(
        StrCat("cannot cosign: timestamp ", timestamp, " is above 2^63 - 1"));
  }
  CosignerVerifier me = CosignerVerifier::FromSigner(signer);
  std::string raw(reinterpret_cast<const char*>(me.key_id().data()), 4);
  raw += BigEndian64(timestamp);
  raw += signer.Sign(CosignatureMessage(timestamp, checkpoint_body));
  return StrCat(kEmDash, " ", signer.name(), " ", Base64Encode(raw), "\n");
}

absl::StatusOr<Cosignature> ParseCosignatureLine(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("malformed cosignature line \"", line, "\": ", why));
  };
  if (line.substr(0, kEmDash.size() + 1) != StrCat(kEmDash, " ")) {
    return bad("it does not start with an em dash (U+2014) and a space");
  }
  line.remove_prefix(kEmDash.size() + 1);
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return bad("no space between the name and the signature");
  Cosignature c;
  c.name = std::string(line.substr(0, space));
  if (!ValidName(c.name)) return bad("the key name is empty or has spaces or '+'");
  std::string raw;
  if (!Base64Decode(line.substr(space + 1), &raw)) return bad("the signature is not base64");
  if (raw.size() != kSigBytes) {
    return bad(StrCat("the signature is ", raw.size(), " bytes, not ", kSigBytes,
                      " (key id, timestamp, Ed25519 signature)"));
  }
  std::memcpy(c.key_id.data(), raw.data(), 4);
  c.timestamp = DecodeU64(std::string_view(raw).substr(4, 8));
  if (c.timestamp > kMaxCosignatureTime) return bad("the timestamp is above 2^63 - 1");
  c.signature = raw.substr(12);
  return c;
}

absl::Status VerifyCosignature(std::string_view checkpoint_body, std::string_view line,
                               const CosignerVerifier& verifier) {
  absl::StatusOr<Cosignature> c = ParseCosignatureLine(line);
  if (!c.ok()) return c.status();
  if (c->name != verifier.name() || c->key_id != verifier.key_id()) {
    return absl::FailedPreconditionError(StrCat("the cosignature is by ", c->name, " with key id ",
                                                HexKeyId(c->key_id), ", not by the key ",
                                                verifier.VerifierKey()));
  }
  if (!verifier.VerifySignature(CosignatureMessage(c->timestamp, checkpoint_body), c->signature)) {
    return absl::FailedPreconditionError(
        StrCat("the cosignature by ", c->name, " (time ", c->timestamp,
               ") does not verify over this checkpoint: it was altered, or it was made for "
               "a different checkpoint"));
  }
  return absl::OkStatus();
}

std::string CosignatureKey(uint64_t tree_size, std::string_view name) {
  return StrCat(U64Key(tree_size), name);
}

absl::StatusOr<std::vector<std::string>> ReadCosignatureLines(const Storage& storage,
                                                              uint64_t tree_size) {
  std::vector<std::string> lines;
  const std::string prefix = U64Key(tree_size);
  std::unique_ptr<rocksdb::Iterator> it = storage.NewIterator(Cf::kCosignatures);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string line = it->value().ToString();
    if (line.empty() || line.back() != '\n') line.push_back('\n');
    lines.push_back(std::move(line));
  }
  absl::Status s = FromRocks(it->status(), "reading the cosignatures column family");
  if (!s.ok()) return s;
  return lines;
}

absl::StatusOr<std::vector<StoredCosignature>> ListCosignatures(const Storage& storage) {
  std::vector<StoredCosignature> out;
  std::unique_ptr<rocksdb::Iterator> it = storage.NewIterator(Cf::kCosignatures);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    rocksdb::Slice key = it->key();
    if (key.size() < 8) {
      return absl::DataLossError(StrCat("the cosignatures column family holds key ",
                                        HexEncode(std::string_view(key.data(), key.size())),
                                        ", shorter than a tree size"));
    }
    StoredCosignature c;
    c.tree_size = DecodeU64(std::string_view(key.data(), 8));
    c.name = std::string(key.data() + 8, key.size() - 8);
    c.line = it->value().ToString();
    out.push_back(std::move(c));
  }
  absl::Status s = FromRocks(it->status(), "reading the cosignatures column family");
  if (!s.ok()) return s;
  return out;
}

absl::Status StoreCosignature(Storage* storage, uint64_t tree_size, std::string_view line) {
  if (storage->read_only()) {
    return absl::FailedPreconditionError("cannot store a cosignature: the database is read-only");
  }
  absl::StatusOr<Cosignature> c = ParseCosignatureLine(line);
  if (!c.ok()) return c.status();
  std::string key = CosignatureKey(tree_size, c->name);
  absl::StatusOr<std::optional<std::string>> existing = storage->Get(Cf::kCosignatures, key);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return absl::AlreadyExistsError(StrCat("a cosignature by ", c->name,
                                           " is already stored for tree size ", tree_size,
                                           "; stored cosignatures are never replaced"));
  }
  std::string value(line);
  if (value.back() != '\n') value.push_back('\n');
  rocksdb::WriteBatch batch;
  rocksdb::Status put = batch.Put(storage->cf(Cf::kCosignatures), key, value);
  if (!put.ok()) return FromRocks(put, "staging a cosignature");
  return storage->Write(&batch, /*sync=*/true);
}

}  // namespace boai::ledger
