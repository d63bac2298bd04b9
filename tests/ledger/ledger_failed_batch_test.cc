// Ledger faults: a failed batch stores nothing; the batch hook sees log order and aborts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "tests/ledger/ledger_test_support.h"
#include "tests/ledger/temp_dir.h"

namespace boai::ledger {
namespace {

using ::boai::test_support::TempDir;
using ::testing::HasSubstr;
using namespace ::boai::ledger::testing;  // NOLINT

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

// Rules for the hook test: refuses bodies with "refuse":true, stages one state
// record per accepted entry, and one per batch when sealed (how many entries the
// batch's Applys accepted).
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
    ++since_seal;
    batch->Put(cf, "seen-" + d.key, std::to_string(index));
    return absl::OkStatus();
  }
  void Seal(rocksdb::WriteBatch* batch) override {
    std::lock_guard<std::mutex> lock(mu);
    seals.push_back(since_seal);
    batch->Put(cf, "sealed-" + std::to_string(seals.size()), std::to_string(since_seal));
    since_seal = 0;
  }
  void Commit() override { ++commits; }
  void Abort() override { ++aborts; }

  std::mutex mu;
  absl::Status open_error = absl::OkStatus();
  rocksdb::ColumnFamilyHandle* cf = nullptr;
  std::vector<uint64_t> applied;
  int since_seal = 0;
  std::vector<int> seals;  // per sealed batch: the entries its Applys accepted
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
  EXPECT_EQ(hook.seals, (std::vector<int>{2}));  // once, after the batch's last Apply
  EXPECT_EQ(**l->storage()->Get(Cf::kState, "seen-h3"), "2");
  EXPECT_EQ(**l->storage()->Get(Cf::kState, "sealed-1"), "2");  // written with the batch

  fail = true;
  EXPECT_FALSE(l->Append(Gift("h4")).ok());
  EXPECT_EQ(hook.aborts.load(), 1);
  EXPECT_EQ(*l->storage()->Get(Cf::kState, "seen-h4"), std::nullopt);  // staged effects dropped
  EXPECT_EQ(hook.seals, (std::vector<int>{2, 1}));
  EXPECT_EQ(*l->storage()->Get(Cf::kState, "sealed-2"), std::nullopt);
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

}  // namespace
}  // namespace boai::ledger
