// Ledger open: reopening keeps everything; read-only use; a missing or foreign key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/strings.h"
#include "tests/ledger/ledger_test_support.h"
#include "tests/ledger/temp_dir.h"

namespace boai::ledger {
namespace {

namespace fs = std::filesystem;
using ::boai::test_support::TempDir;
using ::testing::HasSubstr;
using namespace ::boai::ledger::testing;  // NOLINT

TEST(Ledger, ReopenKeepsEverything) {
  TempDir tmp;
  std::vector<std::string> leaves;
  std::string latest;
  std::vector<uint64_t> sizes;
  std::string vkey;
  {
    std::unique_ptr<Ledger> l = MustOpen(tmp.dir());
    ASSERT_NE(l, nullptr);
    for (int b = 0; b < 5; ++b) {
      std::vector<EntryDraft> drafts;
      for (int i = 0; i <= b; ++i)
        drafts.push_back(Gift("re-" + std::to_string(b) + "-" + std::to_string(i)));
      for (const auto& r : l->AppendMany(std::move(drafts))) ASSERT_TRUE(r.ok());
    }
    for (uint64_t i = 0; i < l->Size(); ++i) leaves.push_back(*l->LeafAt(i));
    latest = l->LatestCheckpoint();
    sizes = CheckpointSizes(l->storage());
    vkey = l->verifier().VerifierKey();
  }
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir());
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->Size(), leaves.size());
  EXPECT_EQ(l->Size(), 16u);
  EXPECT_EQ(l->LatestCheckpoint(), latest);
  EXPECT_EQ(l->verifier().VerifierKey(), vkey);
  EXPECT_EQ(CheckpointSizes(l->storage()), sizes);
  for (uint64_t i = 0; i < leaves.size(); ++i) EXPECT_EQ(*l->LeafAt(i), leaves[i]) << i;
  EXPECT_EQ(*l->FindByKey("re-3-2"), std::optional<uint64_t>(9));

  // Appending continues the chain and the tree where they stopped.
  absl::StatusOr<AppendResult> r = l->Append(Gift("after-reopen"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->index, 16u);
  EXPECT_EQ(DecodeLeafStrict(*l->LeafAt(16))->header.prev, LeafHash(leaves.back()));
  ExpectGoodResult(*l, *r);
  absl::StatusOr<Checkpoint> old_cp = OpenCheckpoint(*l, latest);
  absl::StatusOr<Checkpoint> new_cp = OpenCheckpoint(*l, r->checkpoint);
  ASSERT_TRUE(old_cp.ok() && new_cp.ok());
  absl::StatusOr<std::vector<Hash>> proof = l->ConsistencyProof(16, 17);
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(VerifyConsistency(16, 17, old_cp->root, new_cp->root, *proof).ok());
}

TEST(Ledger, ReadOnlyNeedsNoKeyAndRefusesAppends) {
  TempDir tmp;
  std::string latest;
  {
    std::unique_ptr<Ledger> l = MustOpen(tmp.dir());
    ASSERT_NE(l, nullptr);
    ASSERT_TRUE(l->Append(Gift("ro-1")).ok());
    latest = l->LatestCheckpoint();
  }
  fs::rename(LogKeyPath(tmp.dir()), tmp.path() / "log.key.away");
  LedgerOptions o;
  o.read_only = true;
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir(), o);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->Size(), 2u);
  EXPECT_EQ(l->LatestCheckpoint(), latest);
  EXPECT_TRUE(l->LeafAt(1).ok());
  EXPECT_TRUE(l->InclusionProof(1, 2).ok());
  EXPECT_TRUE(l->TlogProof(1).ok());
  absl::StatusOr<AppendResult> r = l->Append(Gift("ro-2"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("read-only"));
  std::vector<absl::StatusOr<AppendResult>> rs = l->AppendMany({Gift("ro-3"), Gift("ro-4")});
  ASSERT_EQ(rs.size(), 2u);
  for (const auto& x : rs) EXPECT_EQ(x.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(l->storage()->read_only());
  l.reset();

  // Nothing was written: the ledger (with its key back) is as it was.
  fs::rename(tmp.path() / "log.key.away", LogKeyPath(tmp.dir()));
  l = MustOpen(tmp.dir());
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->Size(), 2u);
}

TEST(Ledger, ReadOnlyOfNothingIsNotFound) {
  TempDir tmp;
  LedgerOptions o;
  o.read_only = true;
  absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(tmp.dir(), o);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(l.status().message()), HasSubstr(tmp.dir()));
  EXPECT_FALSE(fs::exists(tmp.dir()));  // and nothing was created

  LedgerOptions no_create = Fast();
  no_create.create_if_missing = false;
  l = Ledger::Open(tmp.dir(), no_create);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(DatabasePath(tmp.dir())));
}

TEST(Ledger, MissingOrForeignKeyIsFailedPrecondition) {
  TempDir tmp;
  std::string vkey;
  {
    std::unique_ptr<Ledger> l = MustOpen(tmp.dir());
    ASSERT_NE(l, nullptr);
    vkey = l->verifier().VerifierKey();
  }
  const std::string key_path = LogKeyPath(tmp.dir());
  fs::rename(key_path, tmp.path() / "log.key.away");

  absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(tmp.dir(), Fast());
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(l.status().message()), HasSubstr(key_path));
  EXPECT_THAT(std::string(l.status().message()), HasSubstr("missing"));
  EXPECT_FALSE(fs::exists(key_path)) << "Open must not make up a new key for an existing ledger";

  // Another key, with the same name.
  absl::StatusOr<NoteSigner> other = NoteSigner::Generate("boai.local/ledger");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(WritePrivateFile(key_path, other->PrivateKeyString() + "\n").ok());
  l = Ledger::Open(tmp.dir(), Fast());
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(l.status().message()), HasSubstr(key_path));
  EXPECT_THAT(std::string(l.status().message()), HasSubstr("not this ledger's key"));
  EXPECT_THAT(std::string(l.status().message()), HasSubstr(vkey));

  // A damaged key file.
  fs::remove(key_path);
  ASSERT_TRUE(WritePrivateFile(key_path, "not a key\n").ok());
  l = Ledger::Open(tmp.dir(), Fast());
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(l.status().message()), HasSubstr(key_path));

  // The right key again: fine, and the failed opens changed nothing.
  fs::remove(key_path);
  fs::rename(tmp.path() / "log.key.away", key_path);
  std::unique_ptr<Ledger> good = MustOpen(tmp.dir());
  ASSERT_NE(good, nullptr);
  EXPECT_EQ(good->Size(), 1u);
  EXPECT_EQ(good->verifier().VerifierKey(), vkey);
}

// The database holds personal data and its keys: only its owner may read it. A
// signing key others can read is refused, as ssh refuses such a private key.
TEST(Ledger, PrivateFilesStayPrivate) {
  TempDir tmp;
  { ASSERT_NE(MustOpen(tmp.dir()), nullptr); }
  auto mode = [](const std::string& p) {
    return static_cast<unsigned>(fs::status(p).permissions()) & 0777;
  };
  EXPECT_EQ(mode(DatabasePath(tmp.dir())), 0700u);
  EXPECT_EQ(mode(LogKeyPath(tmp.dir())), 0600u);
  // An existing database left open to others is closed again on the next open.
  fs::permissions(DatabasePath(tmp.dir()), fs::perms(0755));
  { ASSERT_NE(MustOpen(tmp.dir()), nullptr); }
  EXPECT_EQ(mode(DatabasePath(tmp.dir())), 0700u);

  const std::string key_path = LogKeyPath(tmp.dir());
  fs::permissions(key_path, fs::perms(0644));
  absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(tmp.dir(), Fast());
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(l.status().message()), HasSubstr("mode 0644"));
  EXPECT_THAT(std::string(l.status().message()), HasSubstr(StrCat("chmod 600 ", key_path)));
  // Read-only opens (auditors, copies) need no key and are not refused.
  LedgerOptions ro = Fast();
  ro.read_only = true;
  EXPECT_TRUE(Ledger::Open(tmp.dir(), ro).ok());
  fs::permissions(key_path, fs::perms(0600));
  EXPECT_NE(MustOpen(tmp.dir()), nullptr);
}

}  // namespace
}  // namespace boai::ledger
