// The ledger over a real RocksDB in a fresh temporary directory per test: creation,
// appends (single, batched, concurrent), group commit, idempotency, validation,
// failed batches, reopening, read-only use, keys, checkpoints and proofs.
#include "ledger/ledger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ledger/canonical_json.h"
#include "ledger/checkpoint.h"
#include "ledger/files.h"
#include "ledger/hash.h"
#include "ledger/leaf.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/storage.h"
#include "ledger/verify.h"
#include "tests/ledger/temp_dir.h"

namespace boai::ledger {
namespace {

namespace fs = std::filesystem;
using ::boai::test_support::TempDir;
using ::testing::HasSubstr;

std::string Body(const nlohmann::json& j) {
  absl::StatusOr<std::string> s = EncodeCanonicalJson(j);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : "{}";
}

EntryDraft Draft(std::string kind, std::string key, const nlohmann::json& body) {
  return EntryDraft{std::move(kind), std::move(key), Body(body), {}};
}

EntryDraft Gift(const std::string& key, int amount = 100) {
  return Draft("gift", key, {{"amount", amount}, {"donor", "张*"}, {"memo", "爱心人士"}});
}

LedgerOptions Fast() {
  LedgerOptions o;
  o.sync = false;
  return o;
}

std::unique_ptr<Ledger> MustOpen(const std::string& dir, LedgerOptions o = Fast()) {
  absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(dir, std::move(o));
  EXPECT_TRUE(l.ok()) << l.status();
  return l.ok() ? std::move(*l) : nullptr;
}

uint64_t CountKeys(const Storage* st, Cf cf) {
  std::unique_ptr<rocksdb::Iterator> it = st->NewIterator(cf);
  uint64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return n;
}

std::vector<uint64_t> CheckpointSizes(const Storage* st) {
  std::vector<uint64_t> sizes;
  std::unique_ptr<rocksdb::Iterator> it = st->NewIterator(Cf::kCheckpoints);
  for (it->SeekToFirst(); it->Valid(); it->Next())
    sizes.push_back(DecodeU64(it->key().ToStringView()));
  return sizes;
}

// Parses and verifies a signed checkpoint note with the ledger's key.
absl::StatusOr<Checkpoint> OpenCheckpoint(const Ledger& l, std::string_view note_text) {
  absl::StatusOr<Note> note = ParseNote(note_text);
  if (!note.ok()) return note.status();
  absl::Status s = VerifyNote(*note, l.verifier());
  if (!s.ok()) return s;
  absl::StatusOr<Checkpoint> cp = ParseCheckpointBody(note->text);
  if (!cp.ok()) return cp.status();
  if (cp->origin != l.origin()) return absl::InternalError("checkpoint origin differs");
  return cp;
}

// RFC 9162 MTH computed from the leaf hashes directly, independent of the stored tree.
Hash Mth(const std::vector<Hash>& leaves, size_t lo, size_t hi) {
  if (hi - lo == 1) return leaves[lo];
  size_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  Hash l = Mth(leaves, lo, lo + k), r = Mth(leaves, lo + k, hi);
  std::string buf(1, '\x01');
  buf.append(HashBytes(l));
  buf.append(HashBytes(r));
  return Sha256(buf);
}

std::vector<Hash> AllLeafHashes(const Ledger& l) {
  std::vector<Hash> out;
  for (uint64_t i = 0; i < l.Size(); ++i) {
    absl::StatusOr<std::string> leaf = l.LeafAt(i);
    EXPECT_TRUE(leaf.ok()) << leaf.status();
    out.push_back(leaf.ok() ? LeafHash(*leaf) : Hash{});
  }
  return out;
}

// Checks everything a writer is promised about one successful result.
void ExpectGoodResult(const Ledger& l, const AppendResult& r) {
  SCOPED_TRACE(::testing::Message() << "index " << r.index);
  absl::StatusOr<Checkpoint> cp = OpenCheckpoint(l, r.checkpoint);
  ASSERT_TRUE(cp.ok()) << cp.status();
  EXPECT_EQ(cp->size, r.tree_size);
  EXPECT_GT(r.tree_size, r.index);
  absl::StatusOr<std::vector<Hash>> proof = l.InclusionProof(r.index, cp->size);
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_TRUE(VerifyInclusion(r.leaf_hash, r.index, cp->size, *proof, cp->root).ok());
  absl::StatusOr<std::string> leaf = l.LeafAt(r.index);
  ASSERT_TRUE(leaf.ok()) << leaf.status();
  EXPECT_EQ(LeafHash(*leaf), r.leaf_hash);
}

TEST(Ledger, CreateWritesGenesisAndKey) {
  TempDir tmp;
  LedgerOptions o = Fast();
  o.origin = "example.org/boai-test";
  o.clock = [] { return uint64_t{1700000000000}; };
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir(), o);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->Size(), 1u);
  EXPECT_EQ(l->origin(), "example.org/boai-test");
  EXPECT_EQ(l->verifier().name(), "example.org/boai-test");

  absl::StatusOr<std::string> leaf = l->LeafAt(0);
  ASSERT_TRUE(leaf.ok()) << leaf.status();
  absl::StatusOr<DecodedLeaf> d = DecodeLeafStrict(*leaf);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->header.index, 0u);
  EXPECT_EQ(d->header.kind, "log.genesis");
  EXPECT_EQ(d->header.key, "log.genesis");
  EXPECT_EQ(d->header.prev, Hash{});
  EXPECT_EQ(d->header.time_ms, 1700000000000u);
  nlohmann::json body = nlohmann::json::parse(d->body);
  EXPECT_EQ(body["origin"], "example.org/boai-test");
  EXPECT_EQ(body["vkey"], l->verifier().VerifierKey());
  EXPECT_EQ(body["format"], "boai-ledger/1");

  // The signing key: DIR/keys/log.key, mode 0600, in a 0700 directory; it matches.
  const std::string key_path = LogKeyPath(tmp.dir());
  EXPECT_EQ(key_path, tmp.dir() + "/keys/log.key");
  struct stat st {};
  ASSERT_EQ(::stat(key_path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::stat((tmp.dir() + "/keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  std::ifstream in(key_path);
  std::string key_text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  absl::StatusOr<NoteSigner> signer = NoteSigner::FromPrivateKey(key_text);
  ASSERT_TRUE(signer.ok()) << signer.status();
  EXPECT_EQ(signer->VerifierKey(), l->verifier().VerifierKey());
  EXPECT_TRUE(fs::exists(DatabasePath(tmp.dir()) + "/CURRENT"));

  // The first checkpoint covers the genesis entry alone.
  absl::StatusOr<Checkpoint> cp = OpenCheckpoint(*l, l->LatestCheckpoint());
  ASSERT_TRUE(cp.ok()) << cp.status();
  EXPECT_EQ(cp->size, 1u);
  EXPECT_EQ(cp->root, LeafHash(*leaf));
  absl::StatusOr<std::string> at1 = l->CheckpointAt(1);
  ASSERT_TRUE(at1.ok()) << at1.status();
  EXPECT_EQ(*at1, l->LatestCheckpoint());
  EXPECT_EQ(CountKeys(l->storage(), Cf::kCheckpoints), 1u);
  EXPECT_EQ(CountKeys(l->storage(), Cf::kEntries), 1u);

  absl::StatusOr<std::optional<uint64_t>> by_key = l->FindByKey("log.genesis");
  ASSERT_TRUE(by_key.ok());
  EXPECT_EQ(*by_key, std::optional<uint64_t>(0));
}

TEST(Ledger, AppendOneEntry) {
  TempDir tmp;
  LedgerOptions o = Fast();
  std::atomic<uint64_t> now{1700000000000};
  o.clock = [&now] { return now.load(); };
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir(), o);
  ASSERT_NE(l, nullptr);
  std::string genesis = *l->LeafAt(0);

  now = 1700000005000;
  absl::StatusOr<AppendResult> r = l->Append(Gift("receipt-1", 5000));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->index, 1u);
  EXPECT_FALSE(r->duplicate);
  EXPECT_EQ(r->tree_size, 2u);
  EXPECT_EQ(l->Size(), 2u);
  EXPECT_EQ(r->checkpoint, l->LatestCheckpoint());
  ExpectGoodResult(*l, *r);

  absl::StatusOr<std::string> leaf = l->LeafAt(1);
  ASSERT_TRUE(leaf.ok());
  absl::StatusOr<DecodedLeaf> d = DecodeLeafStrict(*leaf);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->header.index, 1u);
  EXPECT_EQ(d->header.key, "receipt-1");
  EXPECT_EQ(d->header.kind, "gift");
  EXPECT_EQ(d->header.prev, LeafHash(genesis));
  EXPECT_EQ(d->header.time_ms, 1700000005000u);
  EXPECT_EQ(d->body, Gift("receipt-1", 5000).body);

  absl::StatusOr<Checkpoint> cp = OpenCheckpoint(*l, r->checkpoint);
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->root, NodeHash(LeafHash(genesis), LeafHash(*leaf)));
  EXPECT_EQ(*l->FindByKey("receipt-1"), std::optional<uint64_t>(1));
  EXPECT_EQ(*l->FindByKey("receipt-2"), std::nullopt);
}

TEST(Ledger, TimeNeverGoesBackwards) {
  TempDir tmp;
  LedgerOptions o = Fast();
  std::atomic<uint64_t> now{2000};
  o.clock = [&now] { return now.load(); };
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir(), o);
  ASSERT_NE(l, nullptr);
  now = 5000;
  ASSERT_TRUE(l->Append(Gift("a")).ok());
  now = 3000;  // the clock steps back
  ASSERT_TRUE(l->Append(Gift("b")).ok());
  now = 7000;
  ASSERT_TRUE(l->Append(Gift("c")).ok());
  std::vector<uint64_t> times;
  for (uint64_t i = 0; i < l->Size(); ++i)
    times.push_back(DecodeLeafStrict(*l->LeafAt(i))->header.time_ms);
  EXPECT_EQ(times, (std::vector<uint64_t>{2000, 5000, 5000, 7000}));
}

TEST(Ledger, AppendManyInOneBatch) {
  TempDir tmp;
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir());
  ASSERT_NE(l, nullptr);
  std::vector<EntryDraft> drafts;
  for (int i = 0; i < 50; ++i) drafts.push_back(Gift("batch-" + std::to_string(i), i));
  std::vector<absl::StatusOr<AppendResult>> rs = l->AppendMany(std::move(drafts));
  ASSERT_EQ(rs.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(rs[i].ok()) << rs[i].status();
    EXPECT_EQ(rs[i]->index, 1u + i);
    EXPECT_EQ(rs[i]->tree_size, 51u);  // one batch, one checkpoint
    ExpectGoodResult(*l, *rs[i]);
  }
  EXPECT_EQ(CheckpointSizes(l->storage()), (std::vector<uint64_t>{1, 51}));
  // Chained: each leaf's prev is the previous leaf's hash.
  std::vector<Hash> hashes = AllLeafHashes(*l);
  for (uint64_t i = 1; i < l->Size(); ++i) {
    EXPECT_EQ(DecodeLeafStrict(*l->LeafAt(i))->header.prev, hashes[i - 1]) << i;
  }
  // Nothing to do is not a batch.
  EXPECT_TRUE(l->AppendMany({}).empty());
  EXPECT_EQ(l->Size(), 51u);
  EXPECT_EQ(CountKeys(l->storage(), Cf::kCheckpoints), 2u);
}

TEST(Ledger, ConcurrentAppendersGetContiguousIndexesAndGroupCommit) {
  TempDir tmp;
  LedgerOptions o;
  o.sync = true;  // real fsyncs: appenders pile up behind each write
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir(), o);
  ASSERT_NE(l, nullptr);
  constexpr int kThreads = 8, kPerThread = 200;
  std::vector<std::vector<absl::StatusOr<AppendResult>>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        results[t].push_back(l->Append(Gift("t" + std::to_string(t) + "-" + std::to_string(i), i)));
      }
    });
  }
  for (std::thread& th : threads) th.join();

  std::set<uint64_t> indexes;
  std::map<uint64_t, std::string> key_at;
  for (int t = 0; t < kThreads; ++t) {
    uint64_t last_of_thread = 0;
    for (int i = 0; i < kPerThread; ++i) {
      const absl::StatusOr<AppendResult>& r = results[t][i];
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_FALSE(r->duplicate);
      EXPECT_TRUE(indexes.insert(r->index).second) << "index " << r->index << " given twice";
      EXPECT_GT(r->index, last_of_thread);  // one thread's appends stay in its order
      last_of_thread = r->index;
      key_at[r->index] = "t" + std::to_string(t) + "-" + std::to_string(i);
      ExpectGoodResult(*l, *r);
    }
  }
  constexpr uint64_t kTotal = kThreads * kPerThread;
  ASSERT_EQ(indexes.size(), kTotal);
  EXPECT_EQ(*indexes.begin(), 1u);
  EXPECT_EQ(*indexes.rbegin(), kTotal);  // distinct, and 1..kTotal: contiguous
  EXPECT_EQ(l->Size(), kTotal + 1);
  for (const auto& [index, key] : key_at) {
    ASSERT_EQ(DecodeLeafStrict(*l->LeafAt(index))->header.key, key);
  }

  // Group commit happened: fewer checkpoints (one per batch) than entries.
  uint64_t checkpoints = CountKeys(l->storage(), Cf::kCheckpoints);
  EXPECT_LT(checkpoints, kTotal + 1);
  EXPECT_GE(checkpoints, 2u);
  EXPECT_EQ(CountKeys(l->storage(), Cf::kEntries), kTotal + 1);
  std::cerr << "[ info ] " << kTotal << " appends from " << kThreads << " threads in "
            << checkpoints - 1 << " batches\n";

  // The latest checkpoint's root is the MTH of all leaves.
  absl::StatusOr<Checkpoint> cp = OpenCheckpoint(*l, l->LatestCheckpoint());
  ASSERT_TRUE(cp.ok());
  std::vector<Hash> leaves = AllLeafHashes(*l);
  EXPECT_EQ(cp->root, Mth(leaves, 0, leaves.size()));

  // And the auditor agrees. (After closing: VerifyLedger's read-only RocksDB open
  // is not safe against a live writer's flushes and compactions.)
  l.reset();
  absl::StatusOr<VerifyReport> report = VerifyLedger(tmp.dir(), {});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << report->finding->check << ": " << report->finding->detail;
  EXPECT_EQ(report->entries, kTotal + 1);
  EXPECT_EQ(report->checkpoints, checkpoints);
}

// Readers must never see what is not durable yet: a checkpoint or a key lookup for
// entries beyond Size() would be a signed (or answered) promise that a crash before
// the fsync could break, and after restart a different checkpoint for the same size
// could be signed. Size() only grows, so a lookup that succeeded for x while Size()
// read *afterwards* is still <= x was served before x was durable.
TEST(Ledger, ReadersSeeOnlyDurableState) {
  TempDir tmp;
  LedgerOptions o;
  o.sync = true;
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir(), o);
  ASSERT_NE(l, nullptr);
  std::atomic<bool> done{false};
  std::atomic<int> early_checkpoints{0}, early_keys{0}, probes{0};
  std::thread reader([&] {
    while (!done) {
      uint64_t s = l->Size();
      for (uint64_t x = s + 1; x <= s + 8; ++x) {
        if (l->CheckpointAt(x).ok() && l->Size() < x) ++early_checkpoints;
      }
      for (int t = 0; t < 4; ++t) {
        // The next key each writer thread is likely to be on.
        for (uint64_t i = 0; i < 3; ++i) {
          std::string key = "d" + std::to_string(t) + "-" + std::to_string((s / 4) + i);
          absl::StatusOr<std::optional<uint64_t>> at = l->FindByKey(key);
          if (at.ok() && at->has_value() && **at >= l->Size()) ++early_keys;
        }
      }
      ++probes;
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 150; ++i)
        ASSERT_TRUE(l->Append(Gift("d" + std::to_string(t) + "-" + std::to_string(i))).ok());
    });
  }
  for (std::thread& w : writers) w.join();
  done = true;
  reader.join();
  EXPECT_GT(probes.load(), 0);
  EXPECT_EQ(early_checkpoints.load(), 0) << "CheckpointAt served checkpoints beyond Size()";
  EXPECT_EQ(early_keys.load(), 0) << "FindByKey answered with indexes beyond Size()";
}

TEST(Ledger, MaxBatchEntriesBoundsABatch) {
  TempDir tmp;
  LedgerOptions o = Fast();
  o.max_batch_entries = 4;
  std::promise<void> entered, release;
  std::shared_future<void> release_f = release.get_future().share();
  std::atomic<int> calls{0};
  o.before_write = [&] {
    if (calls++ == 0) {
      entered.set_value();
      release_f.wait();
    }
    return absl::OkStatus();
  };
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir(), o);
  ASSERT_NE(l, nullptr);
  std::vector<std::promise<std::vector<absl::StatusOr<AppendResult>>>> done(6);
  // The first request blocks the writer in before_write; five more queue up behind it.
  l->AppendAsync({Gift("block")}, [&](auto r) { done[0].set_value(std::move(r)); });
  entered.get_future().wait();
  for (int i = 1; i < 6; ++i) {
    std::vector<EntryDraft> three;
    for (int j = 0; j < 3; ++j)
      three.push_back(Gift("r" + std::to_string(i) + "-" + std::to_string(j)));
    l->AppendAsync(std::move(three), [&, i](auto r) { done[i].set_value(std::move(r)); });
  }
  release.set_value();
  for (auto& d : done) {
    for (const auto& r : d.get_future().get()) ASSERT_TRUE(r.ok()) << r.status();
  }
  // 3 + 3 > 4: each queued request became a batch of its own.
  EXPECT_EQ(CheckpointSizes(l->storage()), (std::vector<uint64_t>{1, 2, 5, 8, 11, 14, 17}));
  // A single request larger than the limit still goes through, as one batch.
  std::vector<EntryDraft> ten;
  for (int i = 0; i < 10; ++i) ten.push_back(Gift("big-" + std::to_string(i)));
  for (const auto& r : l->AppendMany(std::move(ten))) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->tree_size, 27u);
  }
}

TEST(Ledger, SameKeySameContentIsADuplicate) {
  TempDir tmp;
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir());
  ASSERT_NE(l, nullptr);
  absl::StatusOr<AppendResult> first = l->Append(Gift("slip-42", 700));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(l->Append(Gift("other", 1)).ok());
  const uint64_t size = l->Size();
  const uint64_t checkpoints = CountKeys(l->storage(), Cf::kCheckpoints);
  const std::string latest = l->LatestCheckpoint();

  absl::StatusOr<AppendResult> again = l->Append(Gift("slip-42", 700));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->index, first->index);
  EXPECT_EQ(again->leaf_hash, first->leaf_hash);
  ExpectGoodResult(*l, *again);  // its checkpoint still covers the original entry
  EXPECT_EQ(l->Size(), size);
  EXPECT_EQ(CountKeys(l->storage(), Cf::kCheckpoints), checkpoints);
  EXPECT_EQ(CountKeys(l->storage(), Cf::kEntries), size);
  EXPECT_EQ(l->LatestCheckpoint(), latest);

  // Still a duplicate after reopening (the key index is stored).
  l.reset();
  l = MustOpen(tmp.dir());
  ASSERT_NE(l, nullptr);
  again = l->Append(Gift("slip-42", 700));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->index, first->index);
  EXPECT_EQ(l->Size(), size);
}

TEST(Ledger, SameKeyDifferentContentIsRefused) {
  TempDir tmp;
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir());
  ASSERT_NE(l, nullptr);
  ASSERT_TRUE(l->Append(Gift("pad")).ok());
  absl::StatusOr<AppendResult> first = l->Append(Gift("slip-42", 700));
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->index, 2u);
  const uint64_t size = l->Size();

  for (EntryDraft d :
       {Gift("slip-42", 701),
        Draft("refund", "slip-42", {{"amount", 700}, {"donor", "张*"}, {"memo", "爱心人士"}})}) {
    absl::StatusOr<AppendResult> r = l->Append(std::move(d));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("\"slip-42\""));
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("entry 2"));
  }
  EXPECT_EQ(l->Size(), size);
  EXPECT_EQ(CountKeys(l->storage(), Cf::kEntries), size);
}

TEST(Ledger, DuplicateKeysInsideOneBatch) {
  TempDir tmp;
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir());
  ASSERT_NE(l, nullptr);
  std::vector<EntryDraft> drafts;
  drafts.push_back(Gift("k1", 1));  // new: index 1
  drafts.push_back(Gift("k1", 1));  // same content: duplicate of 1
  drafts.push_back(Gift("k2", 2));  // new: index 2
  drafts.push_back(Gift("k1", 9));  // different content: refused
  drafts.push_back(Gift("k2", 2));  // duplicate of 2
  drafts.push_back(Gift("k3", 3));  // new: index 3
  std::vector<absl::StatusOr<AppendResult>> rs = l->AppendMany(std::move(drafts));
  ASSERT_EQ(rs.size(), 6u);
  ASSERT_TRUE(rs[0].ok() && rs[1].ok() && rs[2].ok() && rs[4].ok() && rs[5].ok());
  EXPECT_EQ(rs[0]->index, 1u);
  EXPECT_FALSE(rs[0]->duplicate);
  EXPECT_EQ(rs[1]->index, 1u);
  EXPECT_TRUE(rs[1]->duplicate);
  EXPECT_EQ(rs[1]->leaf_hash, rs[0]->leaf_hash);
  EXPECT_EQ(rs[2]->index, 2u);
  EXPECT_FALSE(rs[2]->duplicate);
  ASSERT_FALSE(rs[3].ok());
  EXPECT_EQ(rs[3].status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(rs[3].status().message()), HasSubstr("\"k1\""));
  EXPECT_THAT(std::string(rs[3].status().message()), HasSubstr("entry 1"));
  EXPECT_EQ(rs[4]->index, 2u);
  EXPECT_TRUE(rs[4]->duplicate);
  EXPECT_EQ(rs[5]->index, 3u);
  for (int i : {0, 1, 2, 4, 5}) ExpectGoodResult(*l, *rs[i]);
  EXPECT_EQ(l->Size(), 4u);
  EXPECT_EQ(CountKeys(l->storage(), Cf::kEntries), 4u);
  EXPECT_EQ(CheckpointSizes(l->storage()), (std::vector<uint64_t>{1, 4}));

  // Duplicates spread over two requests behave the same, whether or not the two
  // requests share a batch.
  std::promise<std::vector<absl::StatusOr<AppendResult>>> a, b;
  l->AppendAsync({Gift("k4", 4)}, [&](auto r) { a.set_value(std::move(r)); });
  l->AppendAsync({Gift("k4", 4), Gift("k4", 5)}, [&](auto r) { b.set_value(std::move(r)); });
  auto ra = a.get_future().get();
  auto rb = b.get_future().get();
  ASSERT_TRUE(ra[0].ok());
  EXPECT_EQ(ra[0]->index, 4u);
  ASSERT_TRUE(rb[0].ok());
  EXPECT_TRUE(rb[0]->duplicate);
  EXPECT_EQ(rb[0]->index, 4u);
  EXPECT_EQ(rb[1].status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(l->Size(), 5u);
}

TEST(Ledger, InvalidDraftsAreRefusedAndTakeNoIndex) {
  TempDir tmp;
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir());
  ASSERT_NE(l, nullptr);
  const std::string body = Gift("x").body;
  std::vector<EntryDraft> bad = {
      {"", "k-a", body, {}},
      {"Gift", "k-b", body, {}},
      {"1gift", "k-c", body, {}},
      {"gift-x", "k-d", body, {}},
      {std::string(65, 'a'), "k-e", body, {}},
      {"gift", "", body, {}},
      {"gift", std::string(kMaxKeyBytes + 1, 'k'), body, {}},
      {"gift", "\xE5\xBC", body, {}},  // not UTF-8
      {"gift", "k-f", "", {}},
      {"gift", "k-g", "[]", {}},
      {"gift", "k-h", "\"{}\"", {}},
      {"gift", "k-i", "{", {}},
  };
  const size_t n_bad = bad.size();
  for (const EntryDraft& d : bad) {
    absl::StatusOr<AppendResult> r = l->Append(d);
    ASSERT_FALSE(r.ok()) << d.kind << " / " << d.key << " / " << d.body;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  }
  EXPECT_EQ(l->Size(), 1u);
  EXPECT_EQ(CountKeys(l->storage(), Cf::kEntries), 1u);
  EXPECT_EQ(CountKeys(l->storage(), Cf::kCheckpoints), 1u);

  // Mixed with good drafts in one batch: the good ones get contiguous indexes.
  std::vector<EntryDraft> mixed;
  for (size_t i = 0; i < n_bad; ++i) {
    mixed.push_back(bad[i]);
    mixed.push_back(Gift("good-" + std::to_string(i)));
  }
  std::vector<absl::StatusOr<AppendResult>> rs = l->AppendMany(std::move(mixed));
  uint64_t next = 1;
  for (size_t i = 0; i < rs.size(); ++i) {
    if (i % 2 == 0) {
      EXPECT_EQ(rs[i].status().code(), absl::StatusCode::kInvalidArgument);
    } else {
      ASSERT_TRUE(rs[i].ok()) << rs[i].status();
      EXPECT_EQ(rs[i]->index, next++);
    }
  }
  EXPECT_EQ(l->Size(), 1 + n_bad);
  for (const EntryDraft& d : bad) {
    if (d.key.empty() || d.key.size() > kMaxKeyBytes) continue;
    EXPECT_EQ(*l->FindByKey(d.key), std::nullopt) << d.key;
  }
  l.reset();
  absl::StatusOr<VerifyReport> report = VerifyLedger(tmp.dir(), {});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
}

TEST(Ledger, FailedBatchStoresNothingAndItsIndexesAreReused) {
  TempDir tmp;
  LedgerOptions o = Fast();
  std::atomic<int> calls{0};
  std::promise<void> entered, release;
  std::shared_future<void> release_f = release.get_future().share();
  o.before_write = [&]() -> absl::Status {
    int call = calls++;
    if (call == 0) {  // batch A: hold the writer so B1..B3 queue up into one batch
      entered.set_value();
      release_f.wait();
      return absl::OkStatus();
    }
    if (call == 1) return absl::UnavailableError("injected: disk on fire");  // batch B
    return absl::OkStatus();
  };
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir(), o);
  ASSERT_NE(l, nullptr);

  std::promise<std::vector<absl::StatusOr<AppendResult>>> a;
  l->AppendAsync({Gift("a-0"), Gift("a-1")}, [&](auto r) { a.set_value(std::move(r)); });
  entered.get_future().wait();
  auto b_drafts = [](int i) {
    std::vector<EntryDraft> v;
    v.push_back(Gift("b" + std::to_string(i) + "-0", i));
    v.push_back(Gift("b" + std::to_string(i) + "-1", i));
    return v;
  };
  std::vector<std::promise<std::vector<absl::StatusOr<AppendResult>>>> b(3);
  for (int i = 0; i < 3; ++i) {
    l->AppendAsync(b_drafts(i), [&, i](auto r) { b[i].set_value(std::move(r)); });
  }
  release.set_value();
  auto ra = a.get_future().get();
  ASSERT_TRUE(ra[0].ok() && ra[1].ok());
  EXPECT_EQ(ra[1]->index, 2u);
  const uint64_t size = l->Size();
  ASSERT_EQ(size, 3u);
  const std::string latest = l->LatestCheckpoint();
  const std::string head = **l->storage()->Get(Cf::kDefault, "head");
  const uint64_t entries = CountKeys(l->storage(), Cf::kEntries);
  const uint64_t tree = CountKeys(l->storage(), Cf::kTree);
  const uint64_t index = CountKeys(l->storage(), Cf::kIndex);
  const uint64_t checkpoints = CountKeys(l->storage(), Cf::kCheckpoints);

  for (int i = 0; i < 3; ++i) {
    auto rb = b[i].get_future().get();
    ASSERT_EQ(rb.size(), 2u);
    for (const auto& r : rb) {
      ASSERT_FALSE(r.ok()) << "request " << i << " got index " << r->index;
      EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
      EXPECT_THAT(std::string(r.status().message()), HasSubstr("injected: disk on fire"));
      EXPECT_THAT(std::string(r.status().message()), HasSubstr("retry"));
    }
  }
  EXPECT_EQ(calls.load(), 2) << "B1..B3 were meant to be one batch";
  EXPECT_EQ(l->Size(), size);
  EXPECT_EQ(l->LatestCheckpoint(), latest);
  EXPECT_EQ(**l->storage()->Get(Cf::kDefault, "head"), head);
  EXPECT_EQ(CountKeys(l->storage(), Cf::kEntries), entries);
  EXPECT_EQ(CountKeys(l->storage(), Cf::kTree), tree);
  EXPECT_EQ(CountKeys(l->storage(), Cf::kIndex), index);
  EXPECT_EQ(CountKeys(l->storage(), Cf::kCheckpoints), checkpoints);
  for (uint64_t i = size; i < size + 6; ++i) {
    EXPECT_EQ(*l->storage()->Get(Cf::kEntries, U64Key(i)), std::nullopt);
    EXPECT_EQ(l->LeafAt(i).status().code(), absl::StatusCode::kOutOfRange);
  }
  for (int i = 0; i < 3; ++i) {
    for (const EntryDraft& d : b_drafts(i)) EXPECT_EQ(*l->FindByKey(d.key), std::nullopt);
  }

  // The retry, as one batch in the same order, gets exactly the indexes B would have had.
  std::vector<EntryDraft> retry;
  for (int i = 0; i < 3; ++i) {
    for (EntryDraft& d : b_drafts(i)) retry.push_back(std::move(d));
  }
  std::vector<absl::StatusOr<AppendResult>> rr = l->AppendMany(std::move(retry));
  for (size_t j = 0; j < rr.size(); ++j) {
    ASSERT_TRUE(rr[j].ok()) << rr[j].status();
    EXPECT_FALSE(rr[j]->duplicate);
    EXPECT_EQ(rr[j]->index, size + j);
    ExpectGoodResult(*l, *rr[j]);
  }
  EXPECT_EQ(l->Size(), size + 6);
  l.reset();
  absl::StatusOr<VerifyReport> report = VerifyLedger(tmp.dir(), {});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->finding->check << ": " << report->finding->detail;
}

// Rules for the hook test: refuses bodies with "refuse":true, and stages one state
// record per accepted entry.
class CountingHook : public BatchHook {
 public:
  absl::Status Open(const Storage& storage) override {
    ++opens;
    if (!open_error.ok()) return open_error;
    cf = storage.cf(Cf::kState);
    return absl::OkStatus();
  }
  absl::Status Apply(const EntryDraft& d, uint64_t index, uint64_t time_ms,
                     rocksdb::WriteBatch* batch) override {
    std::lock_guard<std::mutex> lock(mu);
    if (cf == nullptr) return absl::InternalError("the hook was called during creation");
    if (d.body.find("\"refuse\":true") != std::string::npos) {
      return absl::FailedPreconditionError("refused by the rules");
    }
    applied.push_back(index);
    batch->Put(cf, "seen-" + d.key, std::to_string(index));
    return absl::OkStatus();
  }
  void Commit() override { ++commits; }
  void Abort() override { ++aborts; }

  std::mutex mu;
  absl::Status open_error = absl::OkStatus();
  rocksdb::ColumnFamilyHandle* cf = nullptr;
  std::vector<uint64_t> applied;
  std::atomic<int> opens{0}, commits{0}, aborts{0};
};

TEST(Ledger, BatchHookSeesLogOrderAndFailedBatchesAbort) {
  TempDir tmp;
  CountingHook hook;  // gets its column family in Open; creation must not call Apply
  LedgerOptions o = Fast();
  o.hook = &hook;
  std::atomic<bool> fail{false};
  o.before_write = [&] { return fail ? absl::InternalError("injected") : absl::OkStatus(); };
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir(), o);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(hook.opens.load(), 1);
  EXPECT_TRUE(hook.applied.empty()) << "the genesis entry was shown to the rules";

  std::vector<EntryDraft> drafts = {Gift("h1"), Draft("gift", "h2", {{"refuse", true}}),
                                    Gift("h3")};
  std::vector<absl::StatusOr<AppendResult>> rs = l->AppendMany(std::move(drafts));
  ASSERT_TRUE(rs[0].ok());
  EXPECT_EQ(rs[0]->index, 1u);
  EXPECT_EQ(rs[1].status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(rs[2].ok());
  EXPECT_EQ(rs[2]->index, 2u);  // the refused entry took no index
  EXPECT_EQ(hook.applied, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(hook.commits.load(), 1);
  EXPECT_EQ(**l->storage()->Get(Cf::kState, "seen-h3"), "2");

  fail = true;
  EXPECT_FALSE(l->Append(Gift("h4")).ok());
  EXPECT_EQ(hook.aborts.load(), 1);
  EXPECT_EQ(*l->storage()->Get(Cf::kState, "seen-h4"), std::nullopt);  // staged effects dropped
  fail = false;
  absl::StatusOr<AppendResult> r = l->Append(Gift("h4"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->index, 3u);
  EXPECT_EQ(**l->storage()->Get(Cf::kState, "seen-h4"), "3");
  // A duplicate is not shown to the rules again.
  size_t applied = hook.applied.size();
  ASSERT_TRUE(l->Append(Gift("h4")).ok());
  EXPECT_EQ(hook.applied.size(), applied);
  l.reset();

  // A hook that cannot load its state fails the open.
  CountingHook broken;
  broken.open_error = absl::DataLossError("state column family is damaged");
  LedgerOptions bo = Fast();
  bo.hook = &broken;
  absl::StatusOr<std::unique_ptr<Ledger>> bl = Ledger::Open(tmp.dir(), bo);
  ASSERT_FALSE(bl.ok());
  EXPECT_EQ(bl.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(bl.status().message()), HasSubstr("state column family is damaged"));
}

TEST(Ledger, DestructorFinishesQueuedAppends) {
  TempDir tmp;
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir());
  ASSERT_NE(l, nullptr);
  std::atomic<int> answered{0}, ok{0};
  for (int i = 0; i < 100; ++i) {
    l->AppendAsync({Gift("q-" + std::to_string(i))}, [&](auto rs) {
      ++answered;
      if (rs.size() == 1 && rs[0].ok()) ++ok;
    });
  }
  l.reset();
  EXPECT_EQ(answered.load(), 100);
  EXPECT_EQ(ok.load(), 100);
  l = MustOpen(tmp.dir());
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->Size(), 101u);
}

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

// A ledger whose batches end at known sizes: 1 (genesis), 2, 4, 7, 11, 16, 22, 29, 37.
std::unique_ptr<Ledger> LedgerWithKnownBatches(const TempDir& tmp) {
  std::unique_ptr<Ledger> l = MustOpen(tmp.dir());
  if (l == nullptr) return l;
  for (int b = 1; b <= 8; ++b) {
    std::vector<EntryDraft> drafts;
    for (int i = 0; i < b; ++i)
      drafts.push_back(Gift("kb-" + std::to_string(b) + "-" + std::to_string(i), i));
    for (const auto& r : l->AppendMany(std::move(drafts))) EXPECT_TRUE(r.ok()) << r.status();
  }
  return l;
}

TEST(Ledger, CheckpointsAndProofsAtEveryStoredSize) {
  TempDir tmp;
  std::unique_ptr<Ledger> l = LedgerWithKnownBatches(tmp);
  ASSERT_NE(l, nullptr);
  const std::vector<uint64_t> sizes = CheckpointSizes(l->storage());
  ASSERT_EQ(sizes, (std::vector<uint64_t>{1, 2, 4, 7, 11, 16, 22, 29, 37}));
  ASSERT_EQ(l->Size(), 37u);
  const std::vector<Hash> leaves = AllLeafHashes(*l);

  std::map<uint64_t, Hash> roots;
  for (uint64_t size : sizes) {
    SCOPED_TRACE(::testing::Message() << "size " << size);
    absl::StatusOr<std::string> note = l->CheckpointAt(size);
    ASSERT_TRUE(note.ok()) << note.status();
    absl::StatusOr<Checkpoint> cp = OpenCheckpoint(*l, *note);
    ASSERT_TRUE(cp.ok()) << cp.status();
    EXPECT_EQ(cp->size, size);
    EXPECT_EQ(cp->root, Mth(leaves, 0, size));  // computed here from the leaves
    roots[size] = cp->root;
    // Every entry is provably in every checkpoint that covers it.
    for (uint64_t i = 0; i < size; ++i) {
      absl::StatusOr<std::vector<Hash>> proof = l->InclusionProof(i, size);
      ASSERT_TRUE(proof.ok()) << proof.status();
      absl::Status v = VerifyInclusion(leaves[i], i, size, *proof, cp->root);
      EXPECT_TRUE(v.ok()) << "index " << i << ": " << v;
    }
  }
  EXPECT_EQ(*l->CheckpointAt(37), l->LatestCheckpoint());

  // Consistency between every pair of stored checkpoints (including equal sizes).
  for (uint64_t a : sizes) {
    for (uint64_t b : sizes) {
      if (a > b) continue;
      absl::StatusOr<std::vector<Hash>> proof = l->ConsistencyProof(a, b);
      ASSERT_TRUE(proof.ok()) << a << " -> " << b << ": " << proof.status();
      absl::Status v = VerifyConsistency(a, b, roots[a], roots[b], *proof);
      EXPECT_TRUE(v.ok()) << a << " -> " << b << ": " << v;
      if (a < b) {  // and the proof is not vacuous: a wrong old root fails
        EXPECT_FALSE(VerifyConsistency(a, b, roots[b], roots[b], *proof).ok()) << a << " -> " << b;
      }
    }
  }

  // No batch ended at size 3.
  absl::StatusOr<std::string> none = l->CheckpointAt(3);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(none.status().message()), HasSubstr("tree size 3"));
  EXPECT_EQ(l->CheckpointAt(0).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(l->CheckpointAt(38).status().code(), absl::StatusCode::kNotFound);

  // The tlog-proof form of the latest checkpoint.
  absl::StatusOr<std::string> tlog = l->TlogProof(20);
  ASSERT_TRUE(tlog.ok()) << tlog.status();
  absl::StatusOr<TlogProof> parsed = ParseTlogProof(*tlog);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->index, 20u);
  EXPECT_EQ(parsed->checkpoint, l->LatestCheckpoint());
  EXPECT_TRUE(VerifyInclusion(leaves[20], 20, 37, parsed->path, roots[37]).ok());
}

TEST(Ledger, RequestsBeyondTheTreeAreClearErrors) {
  TempDir tmp;
  std::unique_ptr<Ledger> l = LedgerWithKnownBatches(tmp);
  ASSERT_NE(l, nullptr);
  const uint64_t n = l->Size();
  ASSERT_EQ(n, 37u);
  auto expect = [](const absl::Status& s, absl::StatusCode code, std::vector<std::string> parts) {
    EXPECT_EQ(s.code(), code) << s;
    for (const std::string& p : parts) EXPECT_THAT(std::string(s.message()), HasSubstr(p));
  };

  expect(l->LeafAt(n).status(), absl::StatusCode::kOutOfRange,
         {"entry 37", "37 entries", "0 to 36"});
  expect(l->LeafAt(UINT64_MAX).status(), absl::StatusCode::kOutOfRange, {"does not exist"});
  EXPECT_TRUE(l->LeafAt(n - 1).ok());

  expect(l->InclusionProof(0, n + 1).status(), absl::StatusCode::kOutOfRange, {"38", "37"});
  expect(l->InclusionProof(0, 0).status(), absl::StatusCode::kOutOfRange, {"tree size 0"});
  expect(l->InclusionProof(n, n).status(), absl::StatusCode::kInvalidArgument,
         {"index 37", "0 to 36"});
  expect(l->InclusionProof(10, 10).status(), absl::StatusCode::kInvalidArgument, {"index 10"});
  expect(l->InclusionProof(UINT64_MAX, n).status(), absl::StatusCode::kInvalidArgument,
         {"beyond the tree"});

  expect(l->ConsistencyProof(1, n + 1).status(), absl::StatusCode::kOutOfRange, {"38", "37"});
  expect(l->ConsistencyProof(0, n).status(), absl::StatusCode::kInvalidArgument, {"old size 0"});
  expect(l->ConsistencyProof(20, 10).status(), absl::StatusCode::kInvalidArgument,
         {"old size 20", "new size 10"});
  expect(l->ConsistencyProof(n + 5, n + 6).status(), absl::StatusCode::kOutOfRange, {"beyond"});

  EXPECT_FALSE(l->TlogProof(n).ok());
  // Proofs at sizes no checkpoint was signed for still work (any size up to Size()).
  absl::StatusOr<std::vector<Hash>> p = l->InclusionProof(2, 3);
  ASSERT_TRUE(p.ok());
  std::vector<Hash> leaves = AllLeafHashes(*l);
  EXPECT_TRUE(VerifyInclusion(leaves[2], 2, 3, *p, Mth(leaves, 0, 3)).ok());
}

}  // namespace
}  // namespace boai::ledger
