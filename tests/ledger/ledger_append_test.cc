// Ledger appends: creation, single, batched and concurrent appends, group commit, shutdown.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger.h"
#include "tests/ledger/ledger_test_support.h"
#include "tests/ledger/temp_dir.h"

namespace boai::ledger {
namespace {

namespace fs = std::filesystem;
using ::boai::test_support::TempDir;
using namespace ::boai::ledger::testing;  // NOLINT

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

}  // namespace
}  // namespace boai::ledger
