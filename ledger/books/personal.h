// The off-chain personal data store: names, phone numbers, ID numbers, addresses
// and hospitals of donors and (child) beneficiaries. None of it ever reaches the
// hash-chained log. A leaf names a person only by a pseudonymous person id
// ("p-" + 32 hex digits) and may carry a salted commitment to the data:
//
//   commitment = lowercase hex SHA-256(salt || EncodeCanonicalJson(data))
//
// where salt is 32 random bytes and data is the JSON object
//   {"address":..,"hospital":..,"id_number":..,"name":..,"phone":..}
// with all five members present (empty strings for absent fields). Whoever holds
// the salt and the data can check a leaf's commitment without our code; nobody
// else learns anything from it. (The salt stays inside the encrypted record.)
//
// Storage (column families of ledger::Storage):
//
//   cf        key                   value
//   keys      "secret/lookup"       32-byte HMAC secret for lookups, created on the
//                                   first Register()
//   keys      "person/<id>"         32-byte AES-256 data key of that person
//   personal  "person/<id>"         0x01 || 12-byte nonce || ciphertext || 16-byte tag
//                                   (AES-256-GCM, AAD = the person id bytes); the
//                                   plaintext is canonical JSON {"data":{..},"salt":hex}.
//                                   After erasure: the one byte 0x00 (tombstone).
//   personal  "lookup/<hex hmac>"   person id
//   personal  "lookup-of/<id>"      hex hmac (so erasure works without decrypting)
//
// The lookup HMAC is HMAC-SHA256(secret, kind ":" normalized), where kind/value is
// the id number if given, else the phone, else the name, trimmed of ASCII
// whitespace and ASCII-uppercased (an id number or phone also loses its spaces and
// dashes and has full-width digits and letters made ASCII, so one number typed two
// ways is one person); kind is "id_number", "phone" or "name". So the
// same donor or child gets the same person id (and commitment) in every entry.
// A name alone is a weak identity: namesakes without phone or id number become
// one person, so give one of those wherever two people may share a name.
//
// An anonymous gift must not be linkable to the donor's other entries through
// that shared commitment, so it carries one of its own (AnonymousCommitment):
// the same formula under the salt HMAC-SHA256(salt, "boai/anonymous-gift\n" ||
// the entry's idempotency key). Whoever holds the person's salt and data can
// still open it; to anyone else it is unrelated to every other commitment.
//
// Erasure deletes the person's key, lookup entries and record, and leaves a
// one-byte tombstone in place of the record, so Get() can say "was erased" rather
// than "unknown" and Erase() is idempotent. The tombstone holds nothing about the
// person. Every proof on the log stays valid; the commitment in a leaf can no
// longer be opened by anyone. Erase() then flushes every memtable (so the
// write-ahead log that held the key is retired) and compacts the deleted keys to
// the last level, so the key's bytes also leave RocksDB's files. Copies can
// remain, for a while, in a RocksDB snapshot held by a concurrent reader and in
// disk blocks the file system has freed; backups taken earlier hold the key too.
//
// Error messages name the field, the person id or the storage key concerned and
// never contain personal data. Keys and plaintext are never logged, and key,
// salt and plaintext buffers are zeroed (OPENSSL_cleanse) after use.
//
// Thread-safety: all methods may be called concurrently. Register() and Erase()
// are serialized by a mutex; reads run lock-free on a consistent RocksDB snapshot.
// Use one PersonalStore per Storage: two stores writing the same database could
// race to create the lookup secret or register the same identity twice.
#ifndef BOAI_LEDGER_BOOKS_PERSONAL_H_
#define BOAI_LEDGER_BOOKS_PERSONAL_H_

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/books/identity_number.h"
#include "ledger/storage.h"

namespace boai::books {

// What we hold about a person. Any field may be empty, but at least one of name,
// id_number and phone must be non-blank. Each is valid UTF-8 of at most
// kMaxPersonalFieldBytes bytes.
// (The empty initializers let designated initializers omit fields without
// -Wmissing-field-initializers warnings.)
struct PersonalData {
  std::string name{};
  std::string phone{};
  std::string id_number{};  // 身份证号 or other identity document number
  std::string address{};
  std::string hospital{};  // for child beneficiaries: the treating hospital

  bool operator==(const PersonalData&) const = default;
};

inline constexpr size_t kMaxPersonalFieldBytes = 1024;
inline constexpr size_t kPersonSaltBytes = 32;

// How a gift's donor is shown when they asked not to be named (display anonymous).
inline constexpr char kAnonymousDisplay[] = "爱心人士";

// The public face of a person: what leaves may carry.
struct Person {
  std::string id;          // "p-" + 32 lowercase hex digits (16 random bytes)
  std::string commitment;  // 64 lowercase hex digits, see above

  bool operator==(const Person&) const = default;
};

// The commitment to `data` under `salt` (kPersonSaltBytes raw bytes), as defined
// above. InvalidArgument names a bad field (never its value) or a bad salt size.
absl::StatusOr<std::string> PersonalCommitment(std::string_view salt, const PersonalData& data);

// True if `id` has the form of a person id ("p-" + 32 lowercase hex digits).
bool IsPersonId(std::string_view id);

// The payee a request names while it is checked before its payee is registered:
// the rules accept it where they need a person id (the written entry has the real one).
inline constexpr std::string_view kPendingPayee = "p-pending";

class PersonalStore {
 public:
  // `storage` is not owned and must outlive the store.
  explicit PersonalStore(ledger::Storage* storage);

  PersonalStore(const PersonalStore&) = delete;
  PersonalStore& operator=(const PersonalStore&) = delete;

  // Stores `data` encrypted under a fresh key and returns its pseudonym and
  // commitment, durably (synced). If the identity (see above) is already
  // registered, returns the existing Person and changes nothing: the other fields
  // of `data` are ignored then. A person registered again after erasure gets a
  // new id. InvalidArgument if no identity field is given or a field is not UTF-8
  // or too long.
  absl::StatusOr<Person> Register(const PersonalData& data);

  // The registered person with the identity of `identity` (only name, phone and
  // id_number are looked at), or nullopt. InvalidArgument as for Register().
  absl::StatusOr<std::optional<Person>> Find(const PersonalData& identity) const;

  // Decrypts the data of `person_id`. NotFound ("unknown person p-…" or
  // "person p-… was erased"); DataLoss if the record or its key is damaged or
  // missing (authentication of the ciphertext failed: never garbage).
  absl::StatusOr<PersonalData> Get(std::string_view person_id) const;

  // Erases `person_id`: one synced batch deletes the key and the lookup entries
  // and replaces the record with a tombstone; then the deleted keys are flushed
  // and compacted out of the database files. Works on damaged records too.
  // Idempotent: erasing an erased person succeeds (and compacts again).
  // NotFound if the id was never registered.
  absl::Status Erase(std::string_view person_id);

  // The commitment an anonymous gift of `person_id` with idempotency key
  // `entry_key` carries (see above). Errors as for Get().
  absl::StatusOr<std::string> AnonymousCommitment(std::string_view person_id,
                                                  std::string_view entry_key) const;

  // The commitment a gift of `person` shown as `display` carries: the person's
  // own, or for an anonymous gift (display kAnonymousDisplay) one of its own.
  absl::StatusOr<std::string> GiftCommitment(const Person& person, std::string_view display,
                                             std::string_view entry_key) const;

  // Whether `commitment` (64 hex digits, either case) is the commitment of
  // `person_id`. InvalidArgument if it is not 64 hex digits; errors as for Get().
  absl::StatusOr<bool> CheckCommitment(std::string_view person_id,
                                       std::string_view commitment) const;

 private:
  ledger::Storage* storage_;
  std::mutex write_mu_;  // serializes Register() and Erase()
};

}  // namespace boai::books

#endif  // BOAI_LEDGER_BOOKS_PERSONAL_H_
