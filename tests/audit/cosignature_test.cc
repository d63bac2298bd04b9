// ledger/cosignature.h against C2SP tlog-cosignature: the exact signed message,
// the signature layout, key ids of type 0x04, and the storage contract.
#include "ledger/cosignature.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "ledger/strings.h"

namespace boai::ledger {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kSpecBody =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

// The example of C2SP tlog-cosignature, "Ed25519 signed message".
TEST(CosignatureTest, SignedMessageIsTheSpecsExample) {
  EXPECT_EQ(CosignatureMessage(1679315147, kSpecBody),
            "cosignature/v1\n"
            "time 1679315147\n"
            "example.com/behind-the-sofa\n"
            "20852163\n"
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
  // No leading zeroes, no sign: the decimal of the value.
  EXPECT_EQ(CosignatureMessage(0, "o\n1\nx\n"), "cosignature/v1\ntime 0\no\n1\nx\n");
}

// The witness line of the spec's example parses as key id, u64be time, 64 bytes.
TEST(CosignatureTest, ParsesTheSpecsExampleLine) {
  absl::StatusOr<Cosignature> c = ParseCosignatureLine(
      "\xE2\x80\x94 witness.example.com/w1 "
      "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZ"
      "qhf5nNo0xUe+mbIUBkBIfZ+qnA==\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name, "witness.example.com/w1");
  EXPECT_EQ(HexEncode(std::string_view(reinterpret_cast<const char*>(c->key_id.data()), 4)),
            "8d66cf3f");
  EXPECT_EQ(c->timestamp, 1679315147u);  // the time of the spec's signed message
  EXPECT_EQ(c->signature.size(), 64u);
}

// An independent check of every byte: key id by hand, then OpenSSL's Ed25519
// over the message the spec defines.
TEST(CosignatureTest, LineLayoutAndSignatureCheckedIndependently) {
  absl::StatusOr<NoteSigner> signer = NoteSigner::Generate("auditor.example/zhou");
  ASSERT_TRUE(signer.ok());
  absl::StatusOr<std::string> line = CreateCosignature(kSpecBody, *signer, 1700000000);
  ASSERT_TRUE(line.ok()) << line.status();
  const std::string prefix = "\xE2\x80\x94 auditor.example/zhou ";
  ASSERT_EQ(line->substr(0, prefix.size()), prefix);
  ASSERT_EQ(line->back(), '\n');
  std::string raw;
  ASSERT_TRUE(Base64Decode(line->substr(prefix.size(), line->size() - prefix.size() - 1), &raw));
  ASSERT_EQ(raw.size(), 4u + 8u + 64u);

  // The public key, from the signer's (type 0x01) verifier key.
  absl::StatusOr<NoteVerifier> nv = NoteVerifier::FromVerifierKey(signer->VerifierKey());
  ASSERT_TRUE(nv.ok());
  const std::string pub = nv->public_key();
  std::string id_input = "auditor.example/zhou\n";
  id_input.push_back('\x04');
  id_input += pub;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(id_input.data()), id_input.size(), digest);
  EXPECT_EQ(raw.substr(0, 4), std::string(reinterpret_cast<char*>(digest), 4));
  EXPECT_EQ(raw.substr(4, 8), std::string("\x00\x00\x00\x00\x65\x53\xf1\x00", 8));  // 1700000000

  const std::string msg = StrCat("cosignature/v1\ntime 1700000000\n", kSpecBody);
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(pub.data()), 32);
  ASSERT_NE(key, nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key), 1);
  EXPECT_EQ(EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(raw.data()) + 12, 64,
                             reinterpret_cast<const unsigned char*>(msg.data()), msg.size()),
            1);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);

  // The cosigner vkey: type 0x04 and that key id.
  CosignerVerifier v = CosignerVerifier::FromSigner(*signer);
  std::string vraw = "\x04" + pub;
  EXPECT_EQ(v.VerifierKey(), StrCat("auditor.example/zhou+",
                                    HexEncode(std::string_view(reinterpret_cast<char*>(digest), 4)),
                                    "+", Base64Encode(vraw)));
  EXPECT_TRUE(VerifyCosignature(kSpecBody, *line, v).ok());
}

TEST(CosignatureTest, VerifyRejectsOtherCheckpointsKeysAndDamage) {
  absl::StatusOr<NoteSigner> a = NoteSigner::Generate("auditor-a");
  absl::StatusOr<NoteSigner> b = NoteSigner::Generate("auditor-a");  // same name, other key
  ASSERT_TRUE(a.ok() && b.ok());
  std::string line = *CreateCosignature(kSpecBody, *a, 1700000000);
  CosignerVerifier va = CosignerVerifier::FromSigner(*a);
  CosignerVerifier vb = CosignerVerifier::FromSigner(*b);
  EXPECT_TRUE(VerifyCosignature(kSpecBody, line, va).ok());
  EXPECT_THAT(std::string(ToStd(VerifyCosignature(kSpecBody, line, vb).message())),
              HasSubstr("not by the key"));
  std::string other_root =
      "example.com/behind-the-sofa\n20852163\nAsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
  absl::Status s = VerifyCosignature(other_root, line, va);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(ToStd(s.message())), HasSubstr("does not verify"));
  // A different time under the same signature does not verify either.
  std::string raw;
  size_t sp = line.rfind(' ');
  ASSERT_TRUE(Base64Decode(line.substr(sp + 1, line.size() - sp - 2), &raw));
  raw[11] ^= 1;
  std::string moved = StrCat(line.substr(0, sp + 1), Base64Encode(raw), "\n");
  EXPECT_FALSE(VerifyCosignature(kSpecBody, moved, va).ok());
  // Malformed lines.
  EXPECT_EQ(ParseCosignatureLine("- auditor-a AAAA").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseCosignatureLine("\xE2\x80\x94 auditor-a AAAAAAAA").status().code(),
            absl::StatusCode::kInvalidArgument);
  // A body without its newline is refused, as is a time past 2^63 - 1.
  EXPECT_FALSE(CreateCosignature("o\n1\nroot", *a, 1).ok());
  EXPECT_FALSE(CreateCosignature(kSpecBody, *a, uint64_t{1} << 63).ok());
}

TEST(CosignatureTest, CosignerKeysAreType4) {
  absl::StatusOr<NoteSigner> a = NoteSigner::Generate("auditor-a");
  ASSERT_TRUE(a.ok());
  std::string vkey = CosignerVerifierKey(*a);
  absl::StatusOr<CosignerVerifier> v = CosignerVerifier::FromVerifierKey(vkey);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->VerifierKey(), vkey);
  EXPECT_EQ(v->name(), "auditor-a");
  // The log's kind of key (type 0x01) is refused with a reason.
  absl::StatusOr<CosignerVerifier> note_key = CosignerVerifier::FromVerifierKey(a->VerifierKey());
  EXPECT_EQ(note_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ToStd(note_key.status().message())), HasSubstr("type 0x01"));
  // A wrong key id.
  std::string bad = vkey;
  bad[bad.find('+') + 1] = bad[bad.find('+') + 1] == '0' ? '1' : '0';
  EXPECT_FALSE(CosignerVerifier::FromVerifierKey(bad).ok());
}

TEST(CosignatureTest, StorageContract) {
  std::string dir = (std::filesystem::temp_directory_path() /
                     StrCat("boai-cosig-test-", std::random_device{}(), "-", ::getpid()))
                        .string();
  StorageOptions so;
  so.create_if_missing = true;
  {
    absl::StatusOr<std::unique_ptr<Storage>> st = Storage::Open(dir, so);
    ASSERT_TRUE(st.ok()) << st.status();
    absl::StatusOr<NoteSigner> a = NoteSigner::Generate("auditor-a");
    absl::StatusOr<NoteSigner> b = NoteSigner::Generate("auditor-b");
    std::string la = *CreateCosignature(kSpecBody, *a, 5);
    std::string lb = *CreateCosignature(kSpecBody, *b, 6);
    ASSERT_TRUE(StoreCosignature(st->get(), 20852163, lb).ok());
    ASSERT_TRUE(StoreCosignature(st->get(), 20852163, la).ok());
    ASSERT_TRUE(StoreCosignature(st->get(), 7, la).ok());
    // Never replaced.
    std::string la2 = *CreateCosignature(kSpecBody, *a, 9);
    EXPECT_EQ(StoreCosignature(st->get(), 7, la2).code(), absl::StatusCode::kAlreadyExists);

    // Key = u64be(size) || name, value = the line with its newline.
    absl::StatusOr<std::optional<std::string>> raw = (*st)->Get(
        Cf::kCosignatures, StrCat(std::string("\0\0\0\0\x01\x3e\x2d\xc3", 8), "auditor-a"));
    ASSERT_TRUE(raw.ok() && raw->has_value());
    EXPECT_EQ(**raw, la);

    absl::StatusOr<std::vector<std::string>> lines = ReadCosignatureLines(**st, 20852163);
    ASSERT_TRUE(lines.ok());
    EXPECT_EQ(*lines, (std::vector<std::string>{la, lb}));  // by name
    EXPECT_TRUE(ReadCosignatureLines(**st, 8)->empty());
    absl::StatusOr<std::vector<StoredCosignature>> all = ListCosignatures(**st);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 3u);
    EXPECT_EQ((*all)[0].tree_size, 7u);
    EXPECT_EQ((*all)[0].name, "auditor-a");
    EXPECT_EQ((*all)[2].name, "auditor-b");
  }
  so.create_if_missing = false;
  so.read_only = true;
  absl::StatusOr<std::unique_ptr<Storage>> ro = Storage::Open(dir, so);
  ASSERT_TRUE(ro.ok());
  EXPECT_EQ(ListCosignatures(**ro)->size(), 3u);
  EXPECT_EQ(StoreCosignature(ro->get(), 1, "x").code(), absl::StatusCode::kFailedPrecondition);
  ro->reset();
  std::filesystem::remove_all(dir);
}

// A database made before the column family existed: read-only opens see no
// cosignatures; the next writable open adds the column family.
TEST(CosignatureTest, OlderDatabaseWithoutTheColumnFamily) {
  std::string dir = (std::filesystem::temp_directory_path() /
                     StrCat("boai-cosig-old-", std::random_device{}(), "-", ::getpid()))
                        .string();
  {
    rocksdb::DBOptions o;
    o.create_if_missing = true;
    o.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (int i = 0; i < kCfCount; ++i) {
      if (static_cast<Cf>(i) == Cf::kCosignatures) continue;
      cfs.emplace_back(std::string(CfName(static_cast<Cf>(i))), rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, dir, cfs, &handles, &db).ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  StorageOptions so;
  so.read_only = true;
  {
    absl::StatusOr<std::unique_ptr<Storage>> ro = Storage::Open(dir, so);
    ASSERT_TRUE(ro.ok()) << ro.status();
    EXPECT_EQ((*ro)->cf(Cf::kCosignatures), nullptr);
    EXPECT_TRUE(ListCosignatures(**ro)->empty());
    EXPECT_TRUE(ReadCosignatureLines(**ro, 1)->empty());
  }
  so.read_only = false;
  {
    absl::StatusOr<std::unique_ptr<Storage>> rw = Storage::Open(dir, so);
    ASSERT_TRUE(rw.ok()) << rw.status();
    EXPECT_NE((*rw)->cf(Cf::kCosignatures), nullptr);
  }
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
  EXPECT_NE(std::find(names.begin(), names.end(), "cosignatures"), names.end());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace boai::ledger
