// The off-chain personal data store over a real RocksDB in a fresh temporary
// directory per test: round trips, lookups, commitments, erasure (logical and in
// the database files), tampering, validation, reopening and concurrent use.
#include "ledger/books/personal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ledger/hash.h"
#include "ledger/storage.h"
#include "ledger/strings.h"
#include "tests/ledger/temp_dir.h"

namespace boai::books {
namespace {

namespace fs = std::filesystem;
using ::boai::ledger::Cf;
using ::boai::test_support::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

PersonalData Zhang() {
  return PersonalData{.name = "张三",
                      .phone = "13800138000",
                      .id_number = "11010519491231002X",
                      .address = "河北省保定市博野县城关镇解放路12号",
                      .hospital = "河北省儿童医院"};
}

PersonalData Li() {
  return PersonalData{.name = "李小花",
                      .phone = "13912345678",
                      .id_number = "130637201503150021",
                      .address = "博野县程委镇",
                      .hospital = "北京儿童医院"};
}

bool IsLowerHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

class PersonalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(bool read_only = false) {
    store_.reset();
    storage_.reset();
    absl::StatusOr<std::unique_ptr<ledger::Storage>> s = ledger::Storage::Open(
        tmp_.dir(),
        ledger::StorageOptions{.read_only = read_only, .create_if_missing = !read_only});
    ASSERT_TRUE(s.ok()) << s.status();
    storage_ = *std::move(s);
    store_ = std::make_unique<PersonalStore>(storage_.get());
  }

  Person MustRegister(const PersonalData& d) {
    absl::StatusOr<Person> p = store_->Register(d);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : Person{};
  }

  std::optional<std::string> Raw(Cf cf, std::string_view key) {
    absl::StatusOr<std::optional<std::string>> v = storage_->Get(cf, key);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : std::nullopt;
  }

  void PutRaw(Cf cf, std::string_view key, std::string_view value) {
    rocksdb::WriteBatch wb;
    wb.Put(storage_->cf(cf), rocksdb::Slice(key.data(), key.size()),
           rocksdb::Slice(value.data(), value.size()));
    ASSERT_TRUE(storage_->Write(&wb, true).ok());
  }

  void DeleteRaw(Cf cf, std::string_view key) {
    rocksdb::WriteBatch wb;
    wb.Delete(storage_->cf(cf), rocksdb::Slice(key.data(), key.size()));
    ASSERT_TRUE(storage_->Write(&wb, true).ok());
  }

  // Every key and value of every column family, as RocksDB returns them.
  std::vector<std::string> AllLogicalBytes() {
    std::vector<std::string> out;
    for (int i = 0; i < ledger::kCfCount; ++i) {
      std::unique_ptr<rocksdb::Iterator> it = storage_->NewIterator(static_cast<Cf>(i));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        out.push_back(it->key().ToString());
        out.push_back(it->value().ToString());
      }
      EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    }
    return out;
  }

  // The names of the files in the database directory whose bytes hold `needle`.
  std::vector<std::string> FilesContaining(std::string_view needle,
                                           std::string_view extension = "") {
    std::vector<std::string> hits;
    for (const fs::directory_entry& e : fs::recursive_directory_iterator(tmp_.dir())) {
      if (!e.is_regular_file()) continue;
      if (!extension.empty() && e.path().extension() != extension) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (Contains(bytes, needle)) hits.push_back(e.path().filename().string());
    }
    return hits;
  }

  // Checks that none of the personal data of `d` is stored in the clear, neither
  // in what RocksDB returns for any column family nor in any file on disk.
  void ExpectNoPlaintext(const PersonalData& d) {
    std::vector<std::string> logical = AllLogicalBytes();
    for (const std::string* field : {&d.name, &d.phone, &d.id_number, &d.address, &d.hospital}) {
      if (field->empty()) continue;
      for (const std::string& bytes : logical) {
        EXPECT_FALSE(Contains(bytes, *field)) << "plaintext personal data in a column family";
      }
      EXPECT_THAT(FilesContaining(*field), ::testing::IsEmpty())
          << "plaintext personal data in a database file";
    }
  }

  TempDir tmp_;
  std::unique_ptr<ledger::Storage> storage_;
  std::unique_ptr<PersonalStore> store_;
};

TEST_F(PersonalStoreTest, RegisterGetRoundTrip) {
  Person p = MustRegister(Zhang());
  EXPECT_TRUE(IsPersonId(p.id)) << p.id;
  EXPECT_EQ(p.id.substr(0, 2), "p-");
  EXPECT_EQ(p.id.size(), 34u);
  EXPECT_TRUE(IsLowerHex64(p.commitment)) << p.commitment;

  absl::StatusOr<PersonalData> got = store_->Get(p.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, Zhang());

  // Empty optional fields survive as empty.
  Person q = MustRegister(PersonalData{.name = "王五"});
  got = store_->Get(q.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, PersonalData{.name = "王五"});
}

TEST_F(PersonalStoreTest, StorageLayout) {
  Person p = MustRegister(Zhang());
  std::optional<std::string> key = Raw(Cf::kKeys, "person/" + p.id);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->size(), 32u);
  std::optional<std::string> secret = Raw(Cf::kKeys, "secret/lookup");
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ(secret->size(), 32u);

  std::optional<std::string> record = Raw(Cf::kPersonal, "person/" + p.id);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ((*record)[0], '\x01');
  EXPECT_GT(record->size(), 1u + 12 + 16);

  std::optional<std::string> tag = Raw(Cf::kPersonal, "lookup-of/" + p.id);
  ASSERT_TRUE(tag.has_value());
  EXPECT_TRUE(IsLowerHex64(*tag));
  EXPECT_EQ(Raw(Cf::kPersonal, "lookup/" + *tag), p.id);

  // Nothing outside the personal and keys column families.
  for (Cf cf : {Cf::kDefault, Cf::kEntries, Cf::kTree, Cf::kCheckpoints, Cf::kIndex, Cf::kState}) {
    std::unique_ptr<rocksdb::Iterator> it = storage_->NewIterator(cf);
    it->SeekToFirst();
    EXPECT_FALSE(it->Valid()) << ledger::CfName(cf);
  }
}

TEST_F(PersonalStoreTest, SameIdentitySamePerson) {
  Person a = MustRegister(Zhang());
  Person again = MustRegister(Zhang());
  EXPECT_EQ(again, a);

  // The id number decides; it is trimmed and ASCII-uppercased, other fields ignored.
  PersonalData variant = Zhang();
  variant.id_number = "  11010519491231002x\t";
  variant.address = "somewhere else";
  variant.phone = "";
  EXPECT_EQ(MustRegister(variant), a);
  absl::StatusOr<PersonalData> got = store_->Get(a.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, Zhang()) << "re-registering must not change the stored data";

  absl::StatusOr<std::optional<Person>> found = store_->Find(variant);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, a);

  Person b = MustRegister(Li());
  EXPECT_NE(b.id, a.id);
  EXPECT_NE(b.commitment, a.commitment);
  found = store_->Find(Li());
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, b);
}

// A reviewer got a second one-per-child grant by typing the child's id number
// with dashes, and a third with full-width digits: all of these are one person.
TEST_F(PersonalStoreTest, OneNumberTypedManyWaysIsOnePerson) {
  Person a = MustRegister(Zhang());
  for (const char* id : {"110105-19491231-002X", "110105 1949 1231 002x",
                         "\uFF11\uFF11\uFF10\uFF11\uFF10\uFF15\uFF11\uFF19\uFF14\uFF19"
                         "\uFF11\uFF12\uFF13\uFF11\uFF10\uFF10\uFF12\uFF38",
                         "110105\u201419491231\u3000002\uFF58"}) {
    SCOPED_TRACE(id);
    PersonalData variant{.name = "张三", .id_number = id};
    EXPECT_EQ(MustRegister(variant), a);
  }
  Person by_phone = MustRegister(PersonalData{.name = "孙七", .phone = "13600000000"});
  EXPECT_EQ(MustRegister(PersonalData{.name = "孙七", .phone = "136-0000-0000"}), by_phone);
  EXPECT_EQ(MustRegister(PersonalData{.name = "孙七", .phone = "\uFF11\uFF13\uFF16 0000 0000"}),
            by_phone);
  // A different number is still a different person.
  EXPECT_NE(MustRegister(PersonalData{.name = "张三", .id_number = "110105-19491231-0038"}).id,
            a.id);
}

TEST_F(PersonalStoreTest, IdentityPrecedence) {
  // Same phone, different id numbers: the id number wins, so two people.
  PersonalData mother{.name = "赵六", .phone = "13700000000", .id_number = "130637198001010011"};
  PersonalData child{.name = "赵小六", .phone = "13700000000", .id_number = "130637201801010022"};
  Person m = MustRegister(mother);
  Person c = MustRegister(child);
  EXPECT_NE(m.id, c.id);

  // Without an id number the phone decides; without both, the name.
  Person by_phone = MustRegister(PersonalData{.name = "孙七", .phone = " 13600000000 "});
  EXPECT_EQ(MustRegister(PersonalData{.name = "别名", .phone = "13600000000"}), by_phone);
  Person by_name = MustRegister(PersonalData{.name = "Anna Li"});
  EXPECT_EQ(MustRegister(PersonalData{.name = " ANNA LI ", .hospital = "x"}), by_name);
  // A phone equal to some id number is a different identity.
  Person phone_only = MustRegister(PersonalData{.phone = "130637198001010011"});
  EXPECT_NE(phone_only.id, m.id);
}

TEST_F(PersonalStoreTest, FindUnknown) {
  // Before anything is registered (no lookup secret yet).
  absl::StatusOr<std::optional<Person>> found = store_->Find(Zhang());
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());
  EXPECT_FALSE(Raw(Cf::kKeys, "secret/lookup").has_value()) << "Find must not write";

  MustRegister(Li());
  found = store_->Find(Zhang());
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());
}

TEST_F(PersonalStoreTest, CommitmentIsSaltedHash) {
  std::string salt_a(32, 'a'), salt_b(32, 'b');
  absl::StatusOr<std::string> ca = PersonalCommitment(salt_a, Zhang());
  absl::StatusOr<std::string> ca2 = PersonalCommitment(salt_a, Zhang());
  absl::StatusOr<std::string> cb = PersonalCommitment(salt_b, Zhang());
  ASSERT_TRUE(ca.ok() && ca2.ok() && cb.ok());
  EXPECT_TRUE(IsLowerHex64(*ca));
  EXPECT_EQ(*ca, *ca2);
  EXPECT_NE(*ca, *cb);
  // Exactly SHA-256(salt || canonical JSON of all five fields).
  std::string canonical = R"({"address":"","hospital":"","id_number":"","name":"张三","phone":""})";
  EXPECT_EQ(*PersonalCommitment(salt_a, PersonalData{.name = "张三"}),
            ledger::HashToHex(ledger::Sha256(salt_a + canonical)));
  EXPECT_EQ(PersonalCommitment("short", Zhang()).status().code(),
            absl::StatusCode::kInvalidArgument);

  // Two people with identical non-identity data still get unrelated commitments.
  Person p1 = MustRegister(PersonalData{.name = "甲", .hospital = "同一医院"});
  Person p2 = MustRegister(PersonalData{.name = "乙", .hospital = "同一医院"});
  EXPECT_NE(p1.commitment, p2.commitment);

  // The same data registered afresh (after erasure) gets a fresh salt.
  Person z1 = MustRegister(Zhang());
  ASSERT_TRUE(store_->Erase(z1.id).ok());
  Person z2 = MustRegister(Zhang());
  EXPECT_NE(z2.id, z1.id);
  EXPECT_NE(z2.commitment, z1.commitment);
  EXPECT_TRUE(IsLowerHex64(z2.commitment));
}

TEST_F(PersonalStoreTest, CheckCommitment) {
  Person a = MustRegister(Zhang());
  Person b = MustRegister(Li());
  absl::StatusOr<bool> ok = store_->CheckCommitment(a.id, a.commitment);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE(*ok);
  std::string upper = a.commitment;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(*store_->CheckCommitment(a.id, upper));
  EXPECT_FALSE(*store_->CheckCommitment(a.id, b.commitment));
  EXPECT_FALSE(*store_->CheckCommitment(b.id, a.commitment));
  EXPECT_FALSE(*store_->CheckCommitment(a.id, std::string(64, '0')));

  absl::StatusOr<bool> bad = store_->CheckCommitment(a.id, "abc");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("\"abc\""));
  bad = store_->CheckCommitment("p-00000000000000000000000000000000", a.commitment);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(bad.status().message(), HasSubstr("unknown person p-0000"));
}

TEST_F(PersonalStoreTest, AnonymousGiftsHaveUnlinkableCommitments) {
  Person a = MustRegister(Zhang());
  absl::StatusOr<std::string> g1 = store_->AnonymousCommitment(a.id, "HB2019-0001");
  absl::StatusOr<std::string> g1_again = store_->AnonymousCommitment(a.id, "HB2019-0001");
  absl::StatusOr<std::string> g2 = store_->AnonymousCommitment(a.id, "HB2019-0002");
  ASSERT_TRUE(g1.ok() && g1_again.ok() && g2.ok()) << g1.status();
  EXPECT_TRUE(IsLowerHex64(*g1));
  EXPECT_EQ(*g1, *g1_again);  // a retried request writes the same leaf
  EXPECT_NE(*g1, *g2);        // two anonymous gifts of one donor are not linked
  EXPECT_NE(*g1, a.commitment);
  EXPECT_FALSE(*store_->CheckCommitment(a.id, *g1));
  // Another person's anonymous gift under the same key is unrelated too.
  Person b = MustRegister(Li());
  EXPECT_NE(*store_->AnonymousCommitment(b.id, "HB2019-0001"), *g1);
  ASSERT_TRUE(store_->Erase(a.id).ok());
  EXPECT_EQ(store_->AnonymousCommitment(a.id, "HB2019-0001").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(PersonalStoreTest, NoPlaintextStoredAnywhere) {
  Person a = MustRegister(Zhang());
  Person b = MustRegister(Li());
  // The scan does see what is stored in the clear (the pseudonym, in lookup entries).
  EXPECT_THAT(FilesContaining(a.id), Not(::testing::IsEmpty()));
  ExpectNoPlaintext(Zhang());
  ExpectNoPlaintext(Li());
  // Also after the memtables reach table files.
  ASSERT_TRUE(storage_->db()
                  ->Flush(rocksdb::FlushOptions(),
                          [&] {
                            std::vector<rocksdb::ColumnFamilyHandle*> all;
                            for (int i = 0; i < ledger::kCfCount; ++i)
                              all.push_back(storage_->cf(static_cast<Cf>(i)));
                            return all;
                          }())
                  .ok());
  ExpectNoPlaintext(Zhang());
  ExpectNoPlaintext(Li());
  ASSERT_TRUE(store_->Erase(a.id).ok());
  ExpectNoPlaintext(Zhang());
  ExpectNoPlaintext(Li());
  EXPECT_TRUE(store_->Get(b.id).ok());
}

TEST_F(PersonalStoreTest, Erase) {
  Person a = MustRegister(Zhang());
  Person b = MustRegister(Li());
  std::optional<std::string> key = Raw(Cf::kKeys, "person/" + a.id);
  std::optional<std::string> tag = Raw(Cf::kPersonal, "lookup-of/" + a.id);
  ASSERT_TRUE(key.has_value() && tag.has_value());

  ASSERT_TRUE(store_->Erase(a.id).ok());

  absl::StatusOr<PersonalData> got = store_->Get(a.id);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(got.status().message(), HasSubstr("person " + a.id + " was erased"));
  absl::StatusOr<std::optional<Person>> found = store_->Find(Zhang());
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());
  EXPECT_EQ(store_->CheckCommitment(a.id, a.commitment).status().code(),
            absl::StatusCode::kNotFound);

  // The key, the lookup entries are gone; the record is a one-byte tombstone.
  EXPECT_FALSE(Raw(Cf::kKeys, "person/" + a.id).has_value());
  EXPECT_FALSE(Raw(Cf::kPersonal, "lookup-of/" + a.id).has_value());
  EXPECT_FALSE(Raw(Cf::kPersonal, "lookup/" + *tag).has_value());
  EXPECT_EQ(Raw(Cf::kPersonal, "person/" + a.id), std::string(1, '\0'));
  for (const std::string& bytes : AllLogicalBytes()) {
    EXPECT_FALSE(Contains(bytes, *key)) << "the erased key is still readable";
    EXPECT_FALSE(Contains(bytes, Zhang().name));
  }
  // ... and the key's bytes have left the database files too (table files and the
  // write-ahead log). RocksDB deletes obsolete files right after a flush or
  // compaction, but possibly just after the call returns: allow it a moment.
  std::vector<std::string> holding = FilesContaining(*key);
  for (int i = 0; i < 50 && !holding.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    holding = FilesContaining(*key);
  }
  EXPECT_THAT(holding, ::testing::IsEmpty()) << "the erased key is still in database files";

  // Others are untouched.
  absl::StatusOr<PersonalData> other = store_->Get(b.id);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(*other, Li());
  EXPECT_EQ(**store_->Find(Li()), b);

  // Idempotent; an unknown id is NotFound.
  EXPECT_TRUE(store_->Erase(a.id).ok());
  absl::Status unknown = store_->Erase("p-0123456789abcdef0123456789abcdef");
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.message(), HasSubstr("unknown person p-0123456789abcdef"));
  got = store_->Get("p-0123456789abcdef0123456789abcdef");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(got.status().message(), HasSubstr("unknown person"));
}

TEST_F(PersonalStoreTest, EraseWorksOnDamagedRecord) {
  Person a = MustRegister(Zhang());
  PutRaw(Cf::kPersonal, "person/" + a.id, "garbage");
  EXPECT_EQ(store_->Get(a.id).status().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(store_->Erase(a.id).ok());
  EXPECT_FALSE(Raw(Cf::kKeys, "person/" + a.id).has_value());
  EXPECT_FALSE(store_->Find(Zhang())->has_value());
}

TEST_F(PersonalStoreTest, TamperingIsDataLoss) {
  Person a = MustRegister(Zhang());
  Person b = MustRegister(Li());
  const std::string ka = "person/" + a.id, kb = "person/" + b.id;
  const std::string record = *Raw(Cf::kPersonal, ka);
  const std::string record_b = *Raw(Cf::kPersonal, kb);

  auto expect_data_loss = [&](std::string_view what) {
    absl::StatusOr<PersonalData> got = store_->Get(a.id);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << what << ": " << got.status();
    EXPECT_THAT(got.status().message(), HasSubstr(a.id)) << what;
    EXPECT_THAT(got.status().message(), Not(HasSubstr(Zhang().name))) << what;
    EXPECT_EQ(store_->CheckCommitment(a.id, a.commitment).status().code(),
              absl::StatusCode::kDataLoss)
        << what;
    EXPECT_EQ(store_->Find(Zhang()).status().code(), absl::StatusCode::kDataLoss) << what;
  };

  // Every byte of the ciphertext and tag is covered.
  for (size_t i : {size_t{13}, record.size() / 2, record.size() - 17, record.size() - 1}) {
    std::string t = record;
    t[i] ^= 0x01;
    PutRaw(Cf::kPersonal, ka, t);
    expect_data_loss(StrCat("flipped byte ", i));
  }
  {  // The nonce too.
    std::string t = record;
    t[1] ^= 0x80;
    PutRaw(Cf::kPersonal, ka, t);
    expect_data_loss("flipped nonce");
  }
  {
    std::string t = record;
    t[0] = 0x02;
    PutRaw(Cf::kPersonal, ka, t);
    expect_data_loss("unknown version");
  }
  PutRaw(Cf::kPersonal, ka, record.substr(0, 20));
  expect_data_loss("truncated");
  // B's record under A's key and id: the AAD binds a record to its person id.
  PutRaw(Cf::kPersonal, ka, record_b);
  expect_data_loss("another person's record");
  // A's record is intact again but its key is wrong or missing.
  PutRaw(Cf::kPersonal, ka, record);
  std::string key = *Raw(Cf::kKeys, ka);
  PutRaw(Cf::kKeys, ka, *Raw(Cf::kKeys, kb));
  expect_data_loss("wrong key");
  PutRaw(Cf::kKeys, ka, key.substr(0, 16));
  expect_data_loss("short key");
  DeleteRaw(Cf::kKeys, ka);
  expect_data_loss("missing key");

  // Restored, it reads again.
  PutRaw(Cf::kKeys, ka, key);
  absl::StatusOr<PersonalData> got = store_->Get(a.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, Zhang());
}

TEST_F(PersonalStoreTest, InvalidInput) {
  for (const PersonalData& d :
       {PersonalData{}, PersonalData{.address = "博野县", .hospital = "医院"},
        PersonalData{.name = "  ", .phone = "\t", .id_number = " \n"}}) {
    absl::StatusOr<Person> p = store_->Register(d);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << p.status();
    EXPECT_THAT(p.status().message(), HasSubstr("name, id_number and phone are all empty"));
    EXPECT_EQ(store_->Find(d).status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(Raw(Cf::kKeys, "secret/lookup").has_value());

  PersonalData bad_utf8{.name = "张三", .address = "\xff\xfe secret street"};
  absl::StatusOr<Person> p = store_->Register(bad_utf8);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(), HasSubstr("field address is not valid UTF-8"));
  EXPECT_THAT(p.status().message(), Not(HasSubstr("secret street")));

  PersonalData too_long{.name = "张三", .hospital = std::string(2000, 'h')};
  p = store_->Register(too_long);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(), HasSubstr("field hospital is 2000 bytes; at most 1024"));

  // A name passed where an id belongs is not echoed back.
  absl::StatusOr<PersonalData> got = store_->Get("张三");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(got.status().message(), HasSubstr("malformed person id"));
  EXPECT_THAT(got.status().message(), Not(HasSubstr("张三")));
  got = store_->Get("13800138000");
  EXPECT_THAT(got.status().message(), Not(HasSubstr("13800138000")));
  got = store_->Get("p-XYZ");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(got.status().message(), HasSubstr("\"p-XYZ\""));
  EXPECT_EQ(store_->Erase("张三").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CheckCommitment("p-1", std::string(64, 'a')).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(PersonalStoreTest, ReopenKeepsEverything) {
  Person a = MustRegister(Zhang());
  Person b = MustRegister(Li());
  Person c = MustRegister(PersonalData{.name = "王五"});
  ASSERT_TRUE(store_->Erase(c.id).ok());
  Open();
  absl::StatusOr<PersonalData> got = store_->Get(a.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, Zhang());
  EXPECT_EQ(**store_->Find(Li()), b);
  EXPECT_EQ(MustRegister(Zhang()), a) << "the lookup secret must persist";
  EXPECT_TRUE(*store_->CheckCommitment(b.id, b.commitment));
  EXPECT_THAT(store_->Get(c.id).status().message(), HasSubstr("was erased"));
  EXPECT_FALSE(store_->Find(PersonalData{.name = "王五"})->has_value());

  // Read-only (an auditor's copy): reads work, writes are refused.
  Open(/*read_only=*/true);
  got = store_->Get(a.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, Zhang());
  EXPECT_EQ(**store_->Find(Zhang()), a);
  EXPECT_FALSE(store_->Register(PersonalData{.name = "新人"}).ok());
  EXPECT_FALSE(store_->Erase(a.id).ok());
}

TEST_F(PersonalStoreTest, ConcurrentUse) {
  constexpr int kThreads = 8, kPerThread = 20;
  std::vector<std::vector<Person>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Everyone registers the same shared person and some of their own.
        absl::StatusOr<Person> shared = store_->Register(Zhang());
        absl::StatusOr<Person> own = store_->Register(
            PersonalData{.name = "donor", .phone = StrCat("1380000", t * 100 + i)});
        ASSERT_TRUE(shared.ok() && own.ok());
        results[t].push_back(*shared);
        results[t].push_back(*own);
        ASSERT_TRUE(store_->Get(own->id).ok());
      }
    });
  }
  for (std::thread& th : threads) th.join();
  std::set<std::string> ids;
  Person first = results[0][0];
  for (const std::vector<Person>& r : results) {
    ASSERT_EQ(r.size(), 2u * kPerThread);
    for (size_t i = 0; i < r.size(); i += 2) {
      EXPECT_EQ(r[i], first);
      ids.insert(r[i + 1].id);
    }
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace boai::books
