// boai-audit end to end, as an auditor runs it: keygen, cosign, verify with and
// without cosigner keys, on real databases written by the ledger (the demo
// dataset through the clerk and the rules), damaged through RocksDB the way an
// attacker with disk access would. Exit codes: 0 intact, 1 finding, 2 usage.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "ledger/books/books_hook.h"
#include "ledger/books/clerk.h"
#include "ledger/books/demo.h"
#include "ledger/books/personal.h"
#include "ledger/cosignature.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"
#include "tests/audit/audit_test_support.h"

namespace boai::audit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AuditCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // One demo ledger for the suite; each test works on its own copy.
    golden_ = testing::MakeTempDir("boai-audit-golden");
    books::BooksHook hook;
    ledger::LedgerOptions o;
    o.sync = false;
    o.hook = &hook;
    auto log = ledger::Ledger::Open(golden_ + "/data", o);
    ASSERT_TRUE(log.ok()) << log.status();
    books::PersonalStore people((*log)->storage());
    books::Clerk clerk(log->get(), &hook);
    std::ostringstream steps;
    ASSERT_TRUE(books::LoadDemo(clerk, people, steps).ok()) << steps.str();
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(golden_); }

  void SetUp() override {
    tmp_ = testing::MakeTempDir("boai-audit-cli");
    data_ = tmp_ + "/data";
    std::filesystem::copy(golden_ + "/data", data_, std::filesystem::copy_options::recursive);
  }
  void TearDown() override { std::filesystem::remove_all(tmp_); }

  testing::Run Audit(const std::string& args) {
    return testing::RunTool(BOAI_AUDIT_PATH, args, tmp_ + "/stderr");
  }
  // A new auditor key; returns its cosigner verifier key.
  std::string Keygen(const std::string& name, const std::string& file) {
    testing::Run r = Audit(StrCat("keygen --name ", name, " --out ", file));
    EXPECT_EQ(r.status, 0) << r.err;
    return std::string(StripWhitespace(r.out));
  }
  std::unique_ptr<ledger::Storage> OpenRaw() {
    ledger::StorageOptions so;
    auto st = ledger::Storage::Open(ledger::DatabasePath(data_), so);
    EXPECT_TRUE(st.ok()) << st.status();
    return st.ok() ? *std::move(st) : nullptr;
  }
  void Put(ledger::Cf cf, const std::string& key, const std::string& value) {
    auto st = OpenRaw();
    rocksdb::WriteBatch b;
    b.Put(st->cf(cf), key, value);
    ASSERT_TRUE(st->Write(&b, true).ok());
  }
  uint64_t Size() {
    ledger::LedgerOptions o;
    o.read_only = true;
    auto log = ledger::Ledger::Open(data_, o);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? (*log)->Size() : 0;
  }

  static std::string golden_;
  std::string tmp_, data_;
};
std::string AuditCliTest::golden_;

TEST_F(AuditCliTest, KeygenMakesAPrivateKeyFileAndNeverOverwritesIt) {
  std::string file = tmp_ + "/zhou.key";
  std::string vkey = Keygen("audit.example.cn/zhou", file);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Go's note form, and the printed key is its cosigner (type 0x04) key.
  std::string text = testing::ReadText(file);
  EXPECT_EQ(text.rfind("PRIVATE+KEY+audit.example.cn/zhou+", 0), 0u);
  absl::StatusOr<ledger::NoteSigner> signer = ledger::NoteSigner::FromPrivateKey(text);
  ASSERT_TRUE(signer.ok()) << signer.status();
  EXPECT_EQ(vkey, ledger::CosignerVerifierKey(*signer));
  EXPECT_TRUE(ledger::CosignerVerifier::FromVerifierKey(vkey).ok());
  testing::Run again = Audit(StrCat("vkey --key ", file));
  EXPECT_EQ(again.status, 0);
  EXPECT_EQ(StripWhitespace(again.out), vkey);

  testing::Run r = Audit(StrCat("keygen --name someone-else --out ", file));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("already exists"));
  EXPECT_EQ(testing::ReadText(file), text);  // untouched

  r = Audit(StrCat("keygen --name 'has space' --out ", tmp_, "/other.key"));
  EXPECT_EQ(r.status, 2);
  EXPECT_FALSE(std::filesystem::exists(tmp_ + "/other.key"));
  EXPECT_EQ(Audit("keygen --name x").status, 2);  // --out is required
}

TEST_F(AuditCliTest, CosignThenVerifyWithTheCosignerKey) {
  std::string key = tmp_ + "/zhou.key";
  std::string vkey = Keygen("audit.example.cn/zhou", key);
  testing::Run c = Audit(StrCat("cosign --data ", data_, " --key ", key));
  ASSERT_EQ(c.status, 0) << c.out << c.err;
  EXPECT_THAT(c.err, HasSubstr("cosigned the checkpoint at tree size"));

  // stdout is the cosigned note: the checkpoint, the log's signature, ours.
  absl::StatusOr<ledger::Note> note = ledger::ParseNote(c.out);
  ASSERT_TRUE(note.ok()) << note.status() << c.out;
  ASSERT_EQ(note->signatures.size(), 2u);
  absl::StatusOr<ledger::CosignerVerifier> v = ledger::CosignerVerifier::FromVerifierKey(vkey);
  ASSERT_TRUE(v.ok());
  std::string last_line = c.out.substr(c.out.rfind("\xE2\x80\x94"));
  EXPECT_TRUE(ledger::VerifyCosignature(note->text, last_line, *v).ok());
  const uint64_t size = Size();
  EXPECT_THAT(note->text, HasSubstr(StrCat("\n", size, "\n")));
  {
    ledger::StorageOptions so;
    so.read_only = true;
    auto st = ledger::Storage::Open(ledger::DatabasePath(data_), so);
    ASSERT_TRUE(st.ok());
    auto lines = ledger::ReadCosignatureLines(**st, size);
    ASSERT_TRUE(lines.ok());
    EXPECT_EQ(*lines, std::vector<std::string>{last_line});
  }

  testing::Run r = Audit(StrCat("verify --data ", data_, " --cosigner-key ", vkey));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(StrCat("cosignature size ", size, " by audit.example.cn/zhou")));
  EXPECT_THAT(r.out, HasSubstr(": verified"));
  EXPECT_THAT(r.out, HasSubstr("INTACT"));

  // The key from a file, and JSON.
  std::ofstream(tmp_ + "/zhou.vkey") << vkey << "\n";
  r = Audit(StrCat("verify --json --data ", data_, " --cosigner-key ", tmp_, "/zhou.vkey"));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["cosignatures"].size(), 1u);
  EXPECT_EQ(j["cosignatures"][0]["status"], "verified");
  EXPECT_EQ(j["cosignatures"][0]["tree_size"], size);
  EXPECT_EQ(j["cosignatures"][0]["name"], "audit.example.cn/zhou");
  EXPECT_TRUE(j["cosignatures"][0]["time"].is_number());

  // Without the key: listed as unverified, not a finding.
  r = Audit(StrCat("verify --data ", data_));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("unverified (key not given)"));

  // Cosigning the same checkpoint again replaces nothing and says so.
  testing::Run again = Audit(StrCat("cosign --data ", data_, " --key ", key));
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("already cosigned"));
  EXPECT_THAT(again.err, HasSubstr("nothing replaced"));
  EXPECT_EQ(again.out, c.out);
}

TEST_F(AuditCliTest, WrongCosignerKeyIsAFinding) {
  std::string key = tmp_ + "/zhou.key";
  Keygen("audit.example.cn/zhou", key);
  ASSERT_EQ(Audit(StrCat("cosign --data ", data_, " --key ", key)).status, 0);
  // Another key under the same name: the stored cosignature claims that cosigner.
  std::string impostor = Keygen("audit.example.cn/zhou", tmp_ + "/other.key");
  testing::Run r = Audit(StrCat("verify --data ", data_, " --cosigner-key ", impostor));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("BROKEN [cosignature]"));
  EXPECT_THAT(r.out, HasSubstr("audit.example.cn/zhou"));
  // A log key is not a cosigner key: usage.
  testing::Run vk = Audit(StrCat("vkey --data ", data_));
  r = Audit(StrCat("verify --data ", data_, " --cosigner-key ", StripWhitespace(vk.out)));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("type 0x01"));
}

TEST_F(AuditCliTest, TamperedCosignatureIsNamed) {
  std::string key = tmp_ + "/zhou.key";
  std::string vkey = Keygen("audit.example.cn/zhou", key);
  ASSERT_EQ(Audit(StrCat("cosign --data ", data_, " --key ", key)).status, 0);
  const uint64_t size = Size();
  std::string cf_key = ledger::CosignatureKey(size, "audit.example.cn/zhou");
  std::string line;
  {
    auto st = OpenRaw();
    line = **st->Get(ledger::Cf::kCosignatures, cf_key);
  }
  // One base64 character of the Ed25519 signature changed.
  std::string bad = line;
  size_t at = bad.size() - 10;
  bad[at] = bad[at] == 'A' ? 'B' : 'A';
  Put(ledger::Cf::kCosignatures, cf_key, bad);
  testing::Run r = Audit(StrCat("verify --data ", data_, " --cosigner-key ", vkey));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr(StrCat("BROKEN [cosignature]: the cosignature by "
                                      "audit.example.cn/zhou of the checkpoint at tree size ",
                                      size)));
  EXPECT_THAT(r.out, HasSubstr("does not verify"));
  r = Audit(StrCat("verify --json --data ", data_, " --cosigner-key ", vkey));
  EXPECT_EQ(r.status, 1);
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["finding"]["check"], "cosignature");
  EXPECT_EQ(j["cosignatures"][0]["status"], "failed");

  // The genuine line moved to an earlier checkpoint does not verify there.
  Put(ledger::Cf::kCosignatures, cf_key, line);
  ASSERT_EQ(Audit(StrCat("verify --data ", data_, " --cosigner-key ", vkey)).status, 0);
  Put(ledger::Cf::kCosignatures, ledger::CosignatureKey(1, "audit.example.cn/zhou"), line);
  r = Audit(StrCat("verify --data ", data_, " --cosigner-key ", vkey));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("tree size 1"));
  {
    auto st = OpenRaw();
    rocksdb::WriteBatch b;
    b.Delete(st->cf(ledger::Cf::kCosignatures), ledger::CosignatureKey(1, "audit.example.cn/zhou"));
    ASSERT_TRUE(st->Write(&b, true).ok());
  }
  // A cosignature for a tree size the log never reached: a finding even unverified.
  Put(ledger::Cf::kCosignatures, ledger::CosignatureKey(size + 100, "audit.example.cn/zhou"), line);
  r = Audit(StrCat("verify --data ", data_));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("not this log's"));
}

TEST_F(AuditCliTest, CosignRefusesABrokenLedger) {
  std::string key = tmp_ + "/zhou.key";
  Keygen("audit.example.cn/zhou", key);
  {
    auto st = OpenRaw();
    std::string leaf = **st->Get(ledger::Cf::kEntries, ledger::U64Key(20));
    size_t digit = leaf.find_first_of("123456789", leaf.find("\"body\""));
    ASSERT_NE(digit, std::string::npos);
    leaf[digit] = leaf[digit] == '9' ? '8' : leaf[digit] + 1;
    rocksdb::WriteBatch b;
    b.Put(st->cf(ledger::Cf::kEntries), ledger::U64Key(20), leaf);
    ASSERT_TRUE(st->Write(&b, true).ok());
  }
  testing::Run r = Audit(StrCat("cosign --data ", data_, " --key ", key));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("BROKEN at entry"));
  EXPECT_THAT(r.err, HasSubstr("not cosigned"));
  ledger::StorageOptions so;
  so.read_only = true;
  auto st = ledger::Storage::Open(ledger::DatabasePath(data_), so);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(ledger::ListCosignatures(**st)->empty());
}

TEST_F(AuditCliTest, CosignRefusesTheLogsOwnKey) {
  testing::Run r = Audit(StrCat("cosign --data ", data_, " --key ", ledger::LogKeyPath(data_)));
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("the log's own signing key"));
  ledger::StorageOptions so;
  so.read_only = true;
  auto st = ledger::Storage::Open(ledger::DatabasePath(data_), so);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(ledger::ListCosignatures(**st)->empty());
}

TEST_F(AuditCliTest, CosignRefusesADatabaseTheServerHolds) {
  std::string key = tmp_ + "/zhou.key";
  Keygen("audit.example.cn/zhou", key);
  auto held = OpenRaw();  // holds RocksDB's lock, as a running boaid does
  ASSERT_NE(held, nullptr);
  testing::Run r = Audit(StrCat("cosign --data ", data_, " --key ", key));
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("Stop the server"));
  EXPECT_THAT(r.err, HasSubstr("copy"));
}

// After a key rotation (ledger/keys.h) the whole log verifies with the books,
// trusting the old key or the new one, and a checkpoint saved before the rotation
// (signed by the old key) is still proven consistent.
TEST_F(AuditCliTest, VerifyAcrossAKeyRotation) {
  const std::string old_vkey =
      std::string(StripWhitespace(Audit(StrCat("vkey --data ", data_)).out));
  const std::string saved = tmp_ + "/before.checkpoint";
  std::ofstream(saved) << Audit(StrCat("checkpoint --data ", data_)).out;
  const uint64_t rotation = Size();
  {
    books::BooksHook hook;
    ledger::LedgerOptions o;
    o.sync = false;
    o.hook = &hook;
    auto log = ledger::Ledger::Open(data_, o);
    ASSERT_TRUE(log.ok()) << log.status();
    absl::StatusOr<ledger::AppendResult> r = (*log)->RotateKey("annual rotation");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->index, rotation);
  }
  const std::string new_vkey =
      std::string(StripWhitespace(Audit(StrCat("vkey --data ", data_)).out));
  ASSERT_NE(new_vkey, old_vkey);

  testing::Run j = Audit(StrCat("verify --json --data ", data_));
  ASSERT_EQ(j.status, 0) << j.out << j.err;
  nlohmann::json report = nlohmann::json::parse(j.out);
  ASSERT_EQ(report["keys"].size(), 2u);
  EXPECT_EQ(report["keys"][0]["vkey"], old_vkey);
  EXPECT_EQ(report["keys"][1]["vkey"], new_vkey);
  EXPECT_EQ(report["keys"][1]["rotation_index"], rotation);
  EXPECT_EQ(report["vkey"], new_vkey);

  for (const std::string& pin : {old_vkey, new_vkey}) {
    testing::Run r =
        Audit(StrCat("verify --data ", data_, " --vkey '", pin, "' --checkpoint ", saved));
    EXPECT_EQ(r.status, 0) << pin << "\n" << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr(StrCat("entry ", rotation, " rotated to ", new_vkey)));
  }
}

TEST_F(AuditCliTest, UsageErrors) {
  EXPECT_EQ(Audit("verify --data /nonexistent/boai").status, 2);
  EXPECT_EQ(Audit("verify --no-such-flag").status, 2);
  EXPECT_EQ(Audit(StrCat("cosign --data ", data_, " --key /nonexistent.key")).status, 2);
  std::ofstream(tmp_ + "/junk.key") << "not a key\n";
  testing::Run r = Audit(StrCat("cosign --data ", data_, " --key ", tmp_, "/junk.key"));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("keygen"));
  EXPECT_EQ(Audit(StrCat("verify --data ", data_, " --cosigner-key nonsense+00+AA")).status, 2);
  // --target excludes --data.
  EXPECT_EQ(Audit(StrCat("verify --data ", data_, " --target 127.0.0.1:1")).status, 2);
  EXPECT_EQ(Audit("verify --target 127.0.0.1:1").status, 2);  // no token
  std::ofstream(tmp_ + "/t") << "token\n";
  r = Audit(StrCat("verify --target 127.0.0.1:1 --token-file ", tmp_, "/t"));
  EXPECT_EQ(r.status, 2) << r.out;  // nothing listens there: could not run
  EXPECT_THAT(r.err, HasSubstr("127.0.0.1:1"));
  // With --json, a missing database is still a report a script can read.
  r = Audit("verify --json --data /nonexistent/boai");
  EXPECT_EQ(r.status, 2);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["ok"], false);
  EXPECT_THAT(j["error"].get<std::string>(), HasSubstr("no ledger database"));
}

TEST_F(AuditCliTest, DatabaseRocksDbCannotOpenIsAFindingInJson) {
  std::ofstream(ledger::DatabasePath(data_) + "/CURRENT", std::ios::trunc) << "garbage\n";
  testing::Run r = Audit(StrCat("verify --json --data ", data_));
  EXPECT_EQ(r.status, 1) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["finding"]["check"], "read");
  EXPECT_THAT(j["finding"]["detail"].get<std::string>(), HasSubstr("CURRENT"));
}

}  // namespace
}  // namespace boai::audit
