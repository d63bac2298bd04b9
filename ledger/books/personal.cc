#include "ledger/books/personal.h"

#include <array>
#include <cctype>
#include <memory>
#include <utility>
#include <vector>

#include "ledger/books/personal_crypto.h"
#include "ledger/canonical_json.h"
#include "ledger/hash.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"
#include "rocksdb/options.h"
#include "rocksdb/snapshot.h"

namespace boai::books {
namespace {

using ledger::Cf;
using personal_internal::Cleanse;
using personal_internal::HmacHex;
using personal_internal::kKeyBytes;
using personal_internal::Open;
using personal_internal::RandomPublic;
using personal_internal::RandomSecret;
using personal_internal::Seal;
using personal_internal::Secret;

constexpr size_t kPersonIdBytes = 16;  // random part of a person id
constexpr char kTombstone = 0x00;
constexpr std::string_view kPersonIdPrefix = "p-";
constexpr std::string_view kSecretKey = "secret/lookup";

std::string PersonKey(std::string_view id) { return StrCat("person/", id); }
std::string LookupKey(std::string_view tag) { return StrCat("lookup/", tag); }
std::string LookupOfKey(std::string_view id) { return StrCat("lookup-of/", id); }

void Wipe(PersonalData* d) {
  Cleanse(&d->name);
  Cleanse(&d->phone);
  Cleanse(&d->id_number);
  Cleanse(&d->address);
  Cleanse(&d->hospital);
}

// Zeroes the strings of a JSON value built from or parsed into personal data.
void WipeJson(nlohmann::json* j) {
  if (j->is_string()) {
    Cleanse(&j->get_ref<std::string&>());
  } else if (j->is_structured()) {
    for (nlohmann::json& item : *j) WipeJson(&item);
  }
}

// A write batch may hold keys and ciphertexts: zero its buffer once written.
void WipeBatch(rocksdb::WriteBatch* wb) {
  Cleanse(&const_cast<std::string&>(wb->Data()));
  wb->Clear();
}

absl::Status Annotate(const absl::Status& s, std::string_view context) {
  return absl::Status(s.code(), ToAbsl(StrCat(context, ": ", ToStd(s.message()))));
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A caller may pass a name or phone where an id or a commitment belongs: show the
// value only when it looks like what was expected (starts with `prefix`, at most
// `max` characters of [A-Za-z0-9._-]), so error messages never carry personal data.
std::string ShowToken(std::string_view s, std::string_view prefix = kPersonIdPrefix,
                      size_t max = 64) {
  bool plausible = s.size() <= max && s.substr(0, prefix.size()) == prefix;
  for (unsigned char c : s) {
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == '-')) plausible = false;
  }
  if (plausible) return StrCat("\"", s, "\"");
  return StrCat("(", s.size(), " bytes, not shown: it may be personal data)");
}

absl::Status CheckPersonId(std::string_view id) {
  if (IsPersonId(id)) return absl::OkStatus();
  return absl::InvalidArgumentError(StrCat("malformed person id ", ShowToken(id),
                                           "; expected p- followed by ", 2 * kPersonIdBytes,
                                           " lowercase hex digits"));
}

struct Field {
  std::string_view name;
  const std::string* value;
};

std::array<Field, 5> Fields(const PersonalData& d) {
  return {Field{"name", &d.name}, Field{"phone", &d.phone}, Field{"id_number", &d.id_number},
          Field{"address", &d.address}, Field{"hospital", &d.hospital}};
}

absl::Status ValidateFields(const PersonalData& d) {
  for (const Field& f : Fields(d)) {
    if (f.value->size() > kMaxPersonalFieldBytes) {
      return absl::InvalidArgumentError(StrCat("personal data field ", f.name, " is ",
                                               f.value->size(), " bytes; at most ",
                                               kMaxPersonalFieldBytes, " are allowed"));
    }
    if (!ledger::IsValidUtf8(*f.value)) {
      return absl::InvalidArgumentError(
          StrCat("personal data field ", f.name, " is not valid UTF-8"));
    }
  }
  return absl::OkStatus();
}

// "kind:NORMALIZED" for the identity of `d`: the id number if given, else the
// phone, else the name; trimmed and ASCII-uppercased, numbers also compacted
// (CompactNumber).
absl::StatusOr<Secret> IdentityMessage(const PersonalData& d) {
  const std::pair<std::string_view, const std::string*> order[] = {
      {"id_number", &d.id_number}, {"phone", &d.phone}, {"name", &d.name}};
  for (const auto& [kind, value] : order) {
    std::string_view v = StripWhitespace(*value);
    if (v.empty()) continue;
    Secret msg(StrCat(kind, ":", kind == "name" ? std::string(v) : CompactNumber(v)));
    if (msg.view().size() == kind.size() + 1) continue;  // only spaces and dashes
    std::string* s = msg.mutable_string();
    for (size_t i = kind.size() + 1; i < s->size(); ++i) {
      char c = (*s)[i];
      if (c >= 'a' && c <= 'z') (*s)[i] = static_cast<char>(c - 'a' + 'A');
    }
    return msg;
  }
  return absl::InvalidArgumentError(
      "personal data identifies nobody: name, id_number and phone are all empty; give at "
      "least one of them");
}

nlohmann::json DataJson(const PersonalData& d) {
  nlohmann::json j = nlohmann::json::object();
  for (const Field& f : Fields(d)) j[std::string(f.name)] = *f.value;
  return j;
}

// HMAC-SHA256(key, msg) as lowercase hex.
// Reads at one RocksDB snapshot, so a concurrent Erase() or Register() is seen
// entirely or not at all.
class Reader {
 public:
  explicit Reader(ledger::Storage* storage) : storage_(storage), snapshot_(storage->db()) {}

  absl::StatusOr<std::optional<std::string>> Get(Cf cf, std::string_view key) const {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_.snapshot();
    std::string value;
    rocksdb::Status st =
        storage_->db()->Get(ro, storage_->cf(cf), rocksdb::Slice(key.data(), key.size()), &value);
    if (st.IsNotFound()) return std::nullopt;
    if (!st.ok()) {
      return ledger::FromRocks(st, StrCat("reading ", key, " in column family ", CfName(cf)));
    }
    return value;
  }

 private:
  ledger::Storage* storage_;
  mutable rocksdb::ManagedSnapshot snapshot_;  // snapshot() is not const
};

// A decrypted record.
struct Opened {
  Secret salt;
  PersonalData data;
  Opened() = default;
  Opened(Opened&&) = default;
  ~Opened() { Wipe(&data); }
};

absl::StatusOr<Opened> ParsePlaintext(std::string_view id, const Secret& plain) {
  auto bad = [&](std::string_view why) {
    return absl::DataLossError(
        StrCat("the decrypted record of person ", id, " is malformed: ", why));
  };
  nlohmann::json j = nlohmann::json::parse(plain.view(), nullptr, /*allow_exceptions=*/false);
  struct WipeOnExit {
    nlohmann::json* j;
    ~WipeOnExit() { WipeJson(j); }
  } wipe{&j};
  if (!j.is_object()) return bad("not a JSON object");
  auto salt_it = j.find("salt");
  auto data_it = j.find("data");
  if (salt_it == j.end() || !salt_it->is_string()) return bad("no salt string");
  if (data_it == j.end() || !data_it->is_object()) return bad("no data object");
  Opened out;
  if (!HexDecode(salt_it->get_ref<const std::string&>(), out.salt.mutable_string()) ||
      out.salt.size() != kPersonSaltBytes) {
    return bad(StrCat("the salt is not ", kPersonSaltBytes, " bytes of hex"));
  }
  std::array<std::pair<std::string_view, std::string*>, 5> fields = {
      std::pair<std::string_view, std::string*>{"name", &out.data.name},
      {"phone", &out.data.phone},
      {"id_number", &out.data.id_number},
      {"address", &out.data.address},
      {"hospital", &out.data.hospital}};
  for (auto& [name, dest] : fields) {
    auto it = data_it->find(std::string(name));
    if (it == data_it->end() || !it->is_string()) {
      return bad(StrCat("field ", name, " is missing or not a string"));
    }
    *dest = it->get_ref<const std::string&>();
  }
  return out;
}

// Reads and decrypts the record of `id`.
absl::StatusOr<Opened> Load(const Reader& r, std::string_view id) {
  absl::StatusOr<std::optional<std::string>> record = r.Get(Cf::kPersonal, PersonKey(id));
  if (!record.ok()) return record.status();
  if (!record->has_value()) return absl::NotFoundError(StrCat("unknown person ", id));
  if (**record == std::string_view(&kTombstone, 1)) {
    return absl::NotFoundError(StrCat("person ", id, " was erased"));
  }
  absl::StatusOr<std::optional<std::string>> raw_key = r.Get(Cf::kKeys, PersonKey(id));
  if (!raw_key.ok()) return raw_key.status();
  if (!raw_key->has_value()) {
    return absl::DataLossError(StrCat("the data key of person ", id,
                                      " is missing although its encrypted record exists; the "
                                      "record cannot be decrypted"));
  }
  Secret key(std::move(**raw_key));
  if (key.size() != kKeyBytes) {
    return absl::DataLossError(StrCat("the data key of person ", id, " is ", key.size(),
                                      " bytes, not ", kKeyBytes, "; it is damaged"));
  }
  absl::StatusOr<Secret> plain = Open(key, id, **record);
  if (!plain.ok()) return plain.status();
  return ParsePlaintext(id, *plain);
}

absl::StatusOr<Person> LoadPerson(const Reader& r, std::string_view id) {
  absl::StatusOr<Opened> opened = Load(r, id);
  if (!opened.ok()) return opened.status();
  absl::StatusOr<std::string> commitment = PersonalCommitment(opened->salt.view(), opened->data);
  if (!commitment.ok()) return Annotate(commitment.status(), StrCat("person ", id));
  return Person{std::string(id), *std::move(commitment)};
}

// The lookup secret; nullopt if none has been created yet.
absl::StatusOr<std::optional<Secret>> LoadSecret(const Reader& r) {
  absl::StatusOr<std::optional<std::string>> raw = r.Get(Cf::kKeys, kSecretKey);
  if (!raw.ok()) return raw.status();
  if (!raw->has_value()) return std::nullopt;
  Secret secret(std::move(**raw));
  if (secret.size() != kKeyBytes) {
    return absl::DataLossError(StrCat("the lookup secret (", kSecretKey,
                                      " in column family keys) is ", secret.size(), " bytes, not ",
                                      kKeyBytes, "; it is damaged"));
  }
  return std::optional<Secret>(std::move(secret));
}

// The person a lookup tag points to, or nullopt.
absl::StatusOr<std::optional<Person>> FindByTag(const Reader& r, std::string_view tag) {
  absl::StatusOr<std::optional<std::string>> id = r.Get(Cf::kPersonal, LookupKey(tag));
  if (!id.ok()) return id.status();
  if (!id->has_value()) return std::nullopt;
  if (!IsPersonId(**id)) {
    return absl::DataLossError(
        StrCat("lookup entry ", LookupKey(tag), " holds a malformed person id ", ShowToken(**id)));
  }
  absl::StatusOr<Person> person = LoadPerson(r, **id);
  if (absl::IsNotFound(person.status())) {
    return absl::DataLossError(StrCat("lookup entry ", LookupKey(tag), " points to person ", **id,
                                      ", whose record is gone (", ToStd(person.status().message()),
                                      ")"));
  }
  if (!person.ok()) return person.status();
  return std::optional<Person>(*std::move(person));
}

// Drops deleted key material from RocksDB's files: flushes every memtable (so the
// write-ahead log holding the old key can be retired) and compacts `keys` (each
// a single key; an empty key means the whole column family) down to the last
// level, where deleted and overwritten values are discarded.
absl::Status Purge(ledger::Storage* storage, const std::vector<std::pair<Cf, std::string>>& keys) {
  rocksdb::DB* db = storage->db();
  std::vector<rocksdb::ColumnFamilyHandle*> all;
  for (int i = 0; i < ledger::kCfCount; ++i) all.push_back(storage->cf(static_cast<Cf>(i)));
  rocksdb::FlushOptions flush;
  flush.wait = true;
  absl::Status s = ledger::FromRocks(db->Flush(flush, all), "flushing memtables");
  if (!s.ok()) return s;
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  compact.exclusive_manual_compaction = false;
  for (const auto& [cf, key] : keys) {
    rocksdb::Slice k(key.data(), key.size());
    rocksdb::Status st = key.empty() ? db->CompactRange(compact, storage->cf(cf), nullptr, nullptr)
                                     : db->CompactRange(compact, storage->cf(cf), &k, &k);
    s = ledger::FromRocks(
        st, StrCat("compacting ", key.empty() ? "all" : key, " in column family ", CfName(cf)));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> PersonalCommitment(std::string_view salt, const PersonalData& data) {
  if (salt.size() != kPersonSaltBytes) {
    return absl::InvalidArgumentError(
        StrCat("a commitment salt is ", kPersonSaltBytes, " bytes, not ", salt.size()));
  }
  absl::Status valid = ValidateFields(data);
  if (!valid.ok()) return valid;
  nlohmann::json j = DataJson(data);
  absl::StatusOr<std::string> canonical = ledger::EncodeCanonicalJson(j);
  WipeJson(&j);
  if (!canonical.ok()) {
    // Fields were validated, so this is a bug; the message names a path, not a value.
    return absl::InternalError(StrCat("cannot encode personal data as canonical JSON: ",
                                      ToStd(canonical.status().message())));
  }
  Secret encoded(*std::move(canonical));
  ledger::Sha256Hasher hasher;
  hasher.Update(salt);
  hasher.Update(encoded.view());
  return ledger::HashToHex(hasher.Finish());
}

bool IsPersonId(std::string_view id) {
  return id.size() == kPersonIdPrefix.size() + 2 * kPersonIdBytes &&
         id.substr(0, kPersonIdPrefix.size()) == kPersonIdPrefix &&
         IsLowerHex(id.substr(kPersonIdPrefix.size()));
}

PersonalStore::PersonalStore(ledger::Storage* storage) : storage_(storage) {}

absl::StatusOr<Person> PersonalStore::Register(const PersonalData& data) {
  absl::Status valid = ValidateFields(data);
  if (!valid.ok()) return valid;
  absl::StatusOr<Secret> identity = IdentityMessage(data);
  if (!identity.ok()) return identity.status();

  std::lock_guard<std::mutex> lock(write_mu_);
  Reader r(storage_);
  rocksdb::WriteBatch wb;
  struct WipeOnExit {
    rocksdb::WriteBatch* wb;
    ~WipeOnExit() { WipeBatch(wb); }
  } wipe_batch{&wb};
  auto put = [&](Cf cf, std::string_view key, std::string_view value) {
    return ledger::FromRocks(wb.Put(storage_->cf(cf), rocksdb::Slice(key.data(), key.size()),
                                    rocksdb::Slice(value.data(), value.size())),
                             StrCat("adding ", key, " to a write batch"));
  };

  absl::StatusOr<std::optional<Secret>> loaded = LoadSecret(r);
  if (!loaded.ok()) return loaded.status();
  Secret secret;
  bool new_secret = !loaded->has_value();
  if (new_secret) {
    absl::StatusOr<Secret> fresh = RandomSecret(kKeyBytes, "the lookup secret");
    if (!fresh.ok()) return fresh.status();
    secret = *std::move(fresh);
    absl::Status s = put(Cf::kKeys, kSecretKey, secret.view());
    if (!s.ok()) return s;
  } else {
    secret = **std::move(loaded);
  }
  absl::StatusOr<std::string> tag = HmacHex(secret, identity->view());
  if (!tag.ok()) return tag.status();

  if (!new_secret) {
    absl::StatusOr<std::optional<Person>> existing = FindByTag(r, *tag);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return **std::move(existing);
  }

  absl::StatusOr<std::string> id_bytes = RandomPublic(kPersonIdBytes, "a person id");
  if (!id_bytes.ok()) return id_bytes.status();
  std::string id = StrCat(kPersonIdPrefix, HexEncode(*id_bytes));
  for (Cf cf : {Cf::kPersonal, Cf::kKeys}) {
    absl::StatusOr<std::optional<std::string>> taken = r.Get(cf, PersonKey(id));
    if (!taken.ok()) return taken.status();
    if (taken->has_value()) {
      return absl::InternalError(StrCat("new random person id ", id,
                                        " is already in use; the random generator is broken"));
    }
  }

  absl::StatusOr<Secret> salt = RandomSecret(kPersonSaltBytes, "a commitment salt");
  if (!salt.ok()) return salt.status();
  absl::StatusOr<Secret> key = RandomSecret(kKeyBytes, "a data key");
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> commitment = PersonalCommitment(salt->view(), data);
  if (!commitment.ok()) return commitment.status();

  nlohmann::json plain_json = nlohmann::json::object();
  plain_json["salt"] = HexEncode(salt->view());
  plain_json["data"] = DataJson(data);
  absl::StatusOr<std::string> plain_or = ledger::EncodeCanonicalJson(plain_json);
  WipeJson(&plain_json);
  if (!plain_or.ok()) {
    return absl::InternalError(StrCat("cannot encode the record of person ", id, ": ",
                                      ToStd(plain_or.status().message())));
  }
  Secret plain(*std::move(plain_or));
  absl::StatusOr<std::string> record = Seal(*key, id, plain.view());
  if (!record.ok()) return record.status();

  for (absl::Status s :
       {put(Cf::kKeys, PersonKey(id), key->view()), put(Cf::kPersonal, PersonKey(id), *record),
        put(Cf::kPersonal, LookupKey(*tag), id), put(Cf::kPersonal, LookupOfKey(id), *tag)}) {
    if (!s.ok()) return s;
  }
  absl::Status written = storage_->Write(&wb, /*sync=*/true);
  if (!written.ok()) return Annotate(written, StrCat("registering person ", id));
  return Person{std::move(id), *std::move(commitment)};
}

absl::StatusOr<std::optional<Person>> PersonalStore::Find(const PersonalData& identity) const {
  absl::Status valid = ValidateFields(identity);
  if (!valid.ok()) return valid;
  absl::StatusOr<Secret> message = IdentityMessage(identity);
  if (!message.ok()) return message.status();
  Reader r(storage_);
  absl::StatusOr<std::optional<Secret>> secret = LoadSecret(r);
  if (!secret.ok()) return secret.status();
  if (!secret->has_value()) return std::nullopt;  // nobody registered yet
  absl::StatusOr<std::string> tag = HmacHex(**secret, message->view());
  if (!tag.ok()) return tag.status();
  return FindByTag(r, *tag);
}

absl::StatusOr<PersonalData> PersonalStore::Get(std::string_view person_id) const {
  absl::Status valid = CheckPersonId(person_id);
  if (!valid.ok()) return valid;
  Reader r(storage_);
  absl::StatusOr<Opened> opened = Load(r, person_id);
  if (!opened.ok()) return opened.status();
  PersonalData out = std::move(opened->data);
  return out;
}

absl::Status PersonalStore::Erase(std::string_view person_id) {
  absl::Status valid = CheckPersonId(person_id);
  if (!valid.ok()) return valid;
  std::lock_guard<std::mutex> lock(write_mu_);
  std::vector<std::pair<Cf, std::string>> purge;
  {
    // The snapshot must be released before Purge(), or RocksDB keeps the deleted key.
    Reader r(storage_);
    const std::string person_key = PersonKey(person_id);
    absl::StatusOr<std::optional<std::string>> record = r.Get(Cf::kPersonal, person_key);
    if (!record.ok()) return record.status();
    absl::StatusOr<std::optional<std::string>> key = r.Get(Cf::kKeys, person_key);
    if (!key.ok()) return key.status();
    if (key->has_value()) Cleanse(&**key);
    absl::StatusOr<std::optional<std::string>> tag = r.Get(Cf::kPersonal, LookupOfKey(person_id));
    if (!tag.ok()) return tag.status();

    const bool tombstoned = record->has_value() && **record == std::string_view(&kTombstone, 1);
    if (!record->has_value() && !key->has_value() && !tag->has_value()) {
      return absl::NotFoundError(StrCat("unknown person ", person_id, "; nothing to erase"));
    }
    if (tombstoned && !key->has_value() && !tag->has_value()) {
      // Erased before: only make sure the key has left the table files. Which lookup
      // entry was the person's is no longer known, so compact everything.
      purge = {{Cf::kKeys, ""}, {Cf::kPersonal, ""}};
    } else {
      // Whatever is left of the person goes, even from a damaged record: erasure must
      // not depend on decrypting.
      rocksdb::WriteBatch wb;
      auto check = [&](const rocksdb::Status& st, std::string_view what) {
        return ledger::FromRocks(st, StrCat("adding ", what, " to a write batch"));
      };
      absl::Status s = check(wb.Delete(storage_->cf(Cf::kKeys), person_key), person_key);
      if (s.ok()) {
        s = check(wb.Put(storage_->cf(Cf::kPersonal), person_key, rocksdb::Slice(&kTombstone, 1)),
                  person_key);
      }
      purge = {{Cf::kKeys, person_key}, {Cf::kPersonal, person_key}};
      if (s.ok() && tag->has_value()) {
        const std::string lookup_of = LookupOfKey(person_id);
        s = check(wb.Delete(storage_->cf(Cf::kPersonal), lookup_of), lookup_of);
        purge.emplace_back(Cf::kPersonal, lookup_of);
        const std::string lookup = LookupKey(**tag);
        absl::StatusOr<std::optional<std::string>> owner = r.Get(Cf::kPersonal, lookup);
        if (!owner.ok()) return owner.status();
        if (s.ok() && owner->has_value() && **owner == person_id) {
          s = check(wb.Delete(storage_->cf(Cf::kPersonal), lookup), lookup);
          purge.emplace_back(Cf::kPersonal, lookup);
        }
      }
      if (!s.ok()) return s;
      s = storage_->Write(&wb, /*sync=*/true);
      if (!s.ok()) return Annotate(s, StrCat("erasing person ", person_id));
    }
  }
  absl::Status purged = Purge(storage_, purge);
  if (!purged.ok()) {
    return Annotate(purged, StrCat("person ", person_id,
                                   " is erased (its key is deleted), but removing the deleted "
                                   "key from the database files failed; call Erase again"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> PersonalStore::AnonymousCommitment(std::string_view person_id,
                                                               std::string_view entry_key) const {
  absl::Status valid = CheckPersonId(person_id);
  if (!valid.ok()) return valid;
  Reader r(storage_);
  absl::StatusOr<Opened> opened = Load(r, person_id);
  if (!opened.ok()) return opened.status();
  absl::StatusOr<std::string> mac =
      HmacHex(opened->salt, StrCat("boai/anonymous-gift\n", entry_key));
  if (!mac.ok()) return mac.status();
  Secret salt;
  if (!HexDecode(*mac, salt.mutable_string())) {
    return absl::InternalError("the HMAC of an anonymous gift's salt is not hex");
  }
  absl::StatusOr<std::string> commitment = PersonalCommitment(salt.view(), opened->data);
  if (!commitment.ok()) return Annotate(commitment.status(), StrCat("person ", person_id));
  return commitment;
}

absl::StatusOr<std::string> PersonalStore::GiftCommitment(const Person& person,
                                                          std::string_view display,
                                                          std::string_view entry_key) const {
  if (display != kAnonymousDisplay) return person.commitment;
  return AnonymousCommitment(person.id, entry_key);
}

absl::StatusOr<bool> PersonalStore::CheckCommitment(std::string_view person_id,
                                                    std::string_view commitment) const {
  absl::Status valid = CheckPersonId(person_id);
  if (!valid.ok()) return valid;
  absl::StatusOr<ledger::Hash> want = ledger::HashFromHex(commitment);
  if (!want.ok() || commitment.size() != 2 * ledger::kHashSize) {
    return absl::InvalidArgumentError(StrCat("malformed commitment ",
                                             ShowToken(commitment, "", 2 * ledger::kHashSize + 2),
                                             "; expected 64 hex digits"));
  }
  Reader r(storage_);
  absl::StatusOr<Person> person = LoadPerson(r, person_id);
  if (!person.ok()) return person.status();
  return person->commitment == ledger::HashToHex(*want);
}

}  // namespace boai::books
