// Key rotation recorded on the chain (ledger/keys.h): the log.key entry, the
// handover checkpoint signed by both keys, the key files, reopening, verification
// under either key, and what a verifier says when the records or the chain lie.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "ledger/checkpoint.h"
#include "ledger/files.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "ledger/storage.h"
#include "ledger/strings.h"
#include "ledger/verify.h"
#include "tests/ledger/temp_dir.h"

namespace boai::ledger {
namespace {

namespace fs = std::filesystem;
using ::boai::test_support::TempDir;
using ::testing::HasSubstr;

std::unique_ptr<Ledger> OpenLedger(const std::string& dir) {
  LedgerOptions o;
  o.sync = false;
  absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(dir, o);
  EXPECT_TRUE(l.ok()) << l.status();
  return l.ok() ? std::move(*l) : nullptr;
}

void AppendSome(Ledger& l, int n, const std::string& tag) {
  std::vector<EntryDraft> drafts;
  for (int i = 0; i < n; ++i) {
    drafts.push_back(EntryDraft{
        "test", StrCat(tag, "-", i), StrCat("{\"n\":", i, ",\"tag\":\"", tag, "\"}"), {}});
  }
  for (auto& r : l.AppendMany(std::move(drafts))) ASSERT_TRUE(r.ok()) << r.status();
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Note CheckpointNote(const Ledger& l, uint64_t size) {
  absl::StatusOr<std::string> text = l.CheckpointAt(size);
  EXPECT_TRUE(text.ok()) << text.status();
  absl::StatusOr<Note> note = ParseNote(text.ok() ? *text : "");
  EXPECT_TRUE(note.ok()) << note.status();
  return note.ok() ? *note : Note{};
}

VerifyReport Verify(const std::string& dir, std::string vkey = "") {
  VerifyOptions o;
  o.vkey = std::move(vkey);
  absl::StatusOr<VerifyReport> r = VerifyLedger(dir, o);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : VerifyReport{};
}

TEST(KeySchedule, SignersOfCoversTheHandoverWithBothKeys) {
  absl::StatusOr<NoteSigner> a = NoteSigner::Generate("example.org/log");
  absl::StatusOr<NoteSigner> b = NoteSigner::Generate("example.org/log");
  ASSERT_TRUE(a.ok() && b.ok());
  KeySchedule k(*NoteVerifier::FromVerifierKey(a->VerifierKey()));
  k.Add(9, *NoteVerifier::FromVerifierKey(b->VerifierKey()));
  auto names = [&k](uint64_t size) {
    std::vector<std::string> out;
    for (const NoteVerifier* v : k.SignersOf(size)) out.push_back(v->VerifierKey());
    return out;
  };
  EXPECT_EQ(names(1), std::vector<std::string>{a->VerifierKey()});
  EXPECT_EQ(names(9), std::vector<std::string>{a->VerifierKey()});
  EXPECT_EQ(names(10), (std::vector<std::string>{a->VerifierKey(), b->VerifierKey()}));
  EXPECT_EQ(names(11), std::vector<std::string>{b->VerifierKey()});
  EXPECT_EQ(k.Find(b->VerifierKey()), 1);
  EXPECT_EQ(k.Find("example.org/log+00000000+AQ=="), -1);
}

TEST(KeyRotation, BodyNeedsAValidPossessionProof) {
  absl::StatusOr<NoteSigner> a = NoteSigner::Generate("example.org/log");
  absl::StatusOr<NoteSigner> b = NoteSigner::Generate("example.org/log");
  ASSERT_TRUE(a.ok() && b.ok());
  NoteVerifier va = *NoteVerifier::FromVerifierKey(a->VerifierKey());
  std::string body = EncodeRotationBody("example.org/log", va, *b, "annual rotation");
  absl::StatusOr<Rotation> r = ParseRotationBody(body, "example.org/log");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->old_vkey, a->VerifierKey());
  EXPECT_EQ(r->new_vkey, b->VerifierKey());
  EXPECT_EQ(r->reason, "annual rotation");

  // Another log's origin, and a proof made for other keys, are refused.
  EXPECT_THAT(std::string(ToStd(ParseRotationBody(body, "other.org/log").status().message())),
              HasSubstr("named after the log's origin"));
  std::string swapped = EncodeRotationBody("example.org/log", va, *a, "same key");
  EXPECT_THAT(std::string(ToStd(ParseRotationBody(swapped, "example.org/log").status().message())),
              HasSubstr("same key"));
  std::string forged = body;
  forged.replace(forged.find(a->VerifierKey()), a->VerifierKey().size(),
                 NoteSigner::Generate("example.org/log")->VerifierKey());
  EXPECT_THAT(std::string(ToStd(ParseRotationBody(forged, "example.org/log").status().message())),
              HasSubstr("possession proof that does not verify"));
}

TEST(KeyRotation, RotatesOnTheChainAndEveryCheckpointVerifies) {
  TempDir tmp;
  std::string old_vkey, new_vkey;
  uint64_t rotation = 0;
  {
    std::unique_ptr<Ledger> l = OpenLedger(tmp.dir());
    ASSERT_NE(l, nullptr);
    AppendSome(*l, 5, "before");
    old_vkey = l->verifier().VerifierKey();
    absl::StatusOr<AppendResult> r = l->RotateKey("annual rotation");
    ASSERT_TRUE(r.ok()) << r.status();
    rotation = r->index;
    EXPECT_EQ(rotation, 6u);  // genesis + 5
    new_vkey = l->verifier().VerifierKey();
    EXPECT_NE(new_vkey, old_vkey);
    EXPECT_EQ(r->tree_size, rotation + 1);  // alone in its batch

    // The entry itself.
    absl::StatusOr<std::string> leaf = l->LeafAt(rotation);
    ASSERT_TRUE(leaf.ok());
    EXPECT_THAT(*leaf, HasSubstr("\"kind\":\"log.key\""));
    EXPECT_THAT(*leaf, HasSubstr(new_vkey));

    // The handover checkpoint carries both signatures; the one before only the old.
    NoteVerifier vold = *NoteVerifier::FromVerifierKey(old_vkey);
    NoteVerifier vnew = *NoteVerifier::FromVerifierKey(new_vkey);
    Note handover = CheckpointNote(*l, rotation + 1);
    EXPECT_EQ(handover.signatures.size(), 2u);
    EXPECT_TRUE(VerifyNote(handover, vold).ok());
    EXPECT_TRUE(VerifyNote(handover, vnew).ok());
    Note before = CheckpointNote(*l, rotation);
    EXPECT_TRUE(VerifyNote(before, vold).ok());
    EXPECT_FALSE(VerifyNote(before, vnew).ok());

    AppendSome(*l, 3, "after");
    Note after = CheckpointNote(*l, l->Size());
    EXPECT_TRUE(VerifyNote(after, vnew).ok());
    EXPECT_FALSE(VerifyNote(after, vold).ok());
    EXPECT_EQ(l->keys().epochs().size(), 2u);
  }
  // The key files: the new key replaced the old, nothing left over.
  absl::StatusOr<NoteSigner> on_disk =
      NoteSigner::FromPrivateKey(StripWhitespace(ReadText(LogKeyPath(tmp.dir()))));
  ASSERT_TRUE(on_disk.ok());
  EXPECT_EQ(on_disk->VerifierKey(), new_vkey);
  EXPECT_FALSE(fs::exists(NextLogKeyPath(tmp.dir())));

  // Reopening signs with the new key.
  {
    std::unique_ptr<Ledger> l = OpenLedger(tmp.dir());
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->verifier().VerifierKey(), new_vkey);
    AppendSome(*l, 2, "reopened");
  }
  // The whole log verifies, trusting either key, and names the history.
  for (const std::string& pin : {std::string(), old_vkey, new_vkey}) {
    VerifyReport r = Verify(tmp.dir(), pin);
    ASSERT_TRUE(r.ok()) << pin << ": " << r.finding->check << ": " << r.finding->detail;
    EXPECT_EQ(r.entries, rotation + 1 + 3 + 2);
    ASSERT_EQ(r.keys.epochs().size(), 2u);
    EXPECT_EQ(r.keys.epochs()[1].rotation_index, rotation);
  }
  // A key that was never the log's is refused by name.
  VerifyReport stranger =
      Verify(tmp.dir(), NoteSigner::Generate("boai.local/ledger")->VerifierKey());
  ASSERT_FALSE(stranger.ok());
  EXPECT_EQ(stranger.finding->check, "log-key");
}

TEST(KeyRotation, ConcurrentAppendsNeverShareTheRotationBatch) {
  TempDir tmp;
  std::unique_ptr<Ledger> l = OpenLedger(tmp.dir());
  ASSERT_NE(l, nullptr);
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&l, t] {
      for (int k = 0; k < 20; ++k) AppendSome(*l, 5, StrCat("w", t, "-", k));
    });
  }
  absl::StatusOr<AppendResult> r1 = l->RotateKey("first");
  absl::StatusOr<AppendResult> r2 = l->RotateKey("second");
  for (std::thread& w : writers) w.join();
  ASSERT_TRUE(r1.ok()) << r1.status();
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_EQ(r1->tree_size, r1->index + 1);
  EXPECT_EQ(r2->tree_size, r2->index + 1);
  l.reset();
  VerifyReport r = Verify(tmp.dir());
  ASSERT_TRUE(r.ok()) << r.finding->check << ": " << r.finding->detail;
  EXPECT_EQ(r.entries, 1u + 4 * 20 * 5 + 2);
  EXPECT_EQ(r.keys.epochs().size(), 3u);
}

// Creates a ledger in `dir` and rotates its key once; `old_key_file` gets the
// retired key file's text.
void RotateOnce(const std::string& dir, std::string* old_key_file) {
  std::unique_ptr<Ledger> l = OpenLedger(dir);
  ASSERT_NE(l, nullptr);
  *old_key_file = ReadText(LogKeyPath(dir));
  ASSERT_TRUE(l->RotateKey("annual rotation").ok());
}

TEST(KeyRotation, OpenFinishesARotationInterruptedBeforeTheKeySwap) {
  TempDir tmp;
  std::string old_key_file;
  ASSERT_NO_FATAL_FAILURE(RotateOnce(tmp.dir(), &old_key_file));
  // As if the process died after the entry was durable, before the rename.
  fs::rename(LogKeyPath(tmp.dir()), NextLogKeyPath(tmp.dir()));
  ASSERT_TRUE(WritePrivateFile(LogKeyPath(tmp.dir()), old_key_file).ok());
  std::unique_ptr<Ledger> l = OpenLedger(tmp.dir());
  ASSERT_NE(l, nullptr);
  EXPECT_FALSE(fs::exists(NextLogKeyPath(tmp.dir())));
  AppendSome(*l, 2, "after");
  l.reset();
  VerifyReport r = Verify(tmp.dir());
  EXPECT_TRUE(r.ok()) << r.finding->detail;
}

TEST(KeyRotation, TheRetiredKeyCannotSignAgain) {
  TempDir tmp;
  std::string old_key_file;
  ASSERT_NO_FATAL_FAILURE(RotateOnce(tmp.dir(), &old_key_file));
  fs::remove(LogKeyPath(tmp.dir()));
  ASSERT_TRUE(WritePrivateFile(LogKeyPath(tmp.dir()), old_key_file).ok());
  LedgerOptions o;
  absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(tmp.dir(), o);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(ToStd(l.status().message())), HasSubstr("retired key"));
}

TEST(KeyRotation, BadReasonsAndReservedKindsAreRefused) {
  TempDir tmp;
  std::unique_ptr<Ledger> l = OpenLedger(tmp.dir());
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->RotateKey("  ").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(l->RotateKey("line\nbreak").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(NextLogKeyPath(tmp.dir())));
  // Nobody appends a rotation (or a genesis) through Append.
  absl::StatusOr<AppendResult> forged = l->Append(EntryDraft{"log.key", "x", "{}", {}});
  ASSERT_FALSE(forged.ok());
  EXPECT_THAT(std::string(ToStd(forged.status().message())), HasSubstr("reserved"));
  EXPECT_EQ(l->Size(), 1u);
}

// An attacker with disk access edits the key records, the derived index of the
// chain's rotations: each lie is named.
class KeyRecordTamper : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<Ledger> l = OpenLedger(tmp_.dir());
    ASSERT_NE(l, nullptr);
    AppendSome(*l, 4, "before");
    absl::StatusOr<AppendResult> r = l->RotateKey("annual rotation");
    ASSERT_TRUE(r.ok());
    rotation_ = r->index;
    AppendSome(*l, 4, "after");
  }
  void Edit(const std::function<void(Storage&)>& f) {
    absl::StatusOr<std::unique_ptr<Storage>> st = Storage::Open(DatabasePath(tmp_.dir()), {});
    ASSERT_TRUE(st.ok()) << st.status();
    f(**st);
  }
  std::string KeyRecord(uint64_t index) { return StrCat("key/", U64Key(index)); }

  TempDir tmp_;
  uint64_t rotation_ = 0;
};

TEST_F(KeyRecordTamper, DroppedRecordIsNamed) {
  Edit([this](Storage& st) {
    ASSERT_TRUE(st.db()->Delete({}, st.cf(Cf::kDefault), KeyRecord(rotation_)).ok());
  });
  VerifyReport r = Verify(tmp_.dir());
  ASSERT_FALSE(r.ok());
  // The handover checkpoint lacks nothing, but without the record the later
  // checkpoints are signed by a key the walk does not know; the entry is named.
  EXPECT_THAT(r.finding->check, ::testing::AnyOf("key-rotation", "checkpoint-signature"));
  ASSERT_TRUE(r.finding->index.has_value());
  EXPECT_EQ(*r.finding->index, rotation_);
}

TEST_F(KeyRecordTamper, InventedRotationIsNamed) {
  absl::StatusOr<NoteSigner> mine = NoteSigner::Generate("boai.local/ledger");
  ASSERT_TRUE(mine.ok());
  Edit([&](Storage& st) {
    ASSERT_TRUE(st.db()->Put({}, st.cf(Cf::kDefault), KeyRecord(2), mine->VerifierKey()).ok());
  });
  VerifyReport r = Verify(tmp_.dir());
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.finding->index.has_value());
  EXPECT_LE(*r.finding->index, 2u);
  // And the server refuses to open it.
  LedgerOptions o;
  EXPECT_FALSE(Ledger::Open(tmp_.dir(), o).ok());
}

TEST_F(KeyRecordTamper, SwappedNewKeyIsNamed) {
  absl::StatusOr<NoteSigner> mine = NoteSigner::Generate("boai.local/ledger");
  ASSERT_TRUE(mine.ok());
  Edit([&](Storage& st) {
    ASSERT_TRUE(
        st.db()->Put({}, st.cf(Cf::kDefault), KeyRecord(rotation_), mine->VerifierKey()).ok());
  });
  VerifyReport r = Verify(tmp_.dir());
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.finding->index.has_value());
  EXPECT_EQ(*r.finding->index, rotation_);
}

}  // namespace
}  // namespace boai::ledger
