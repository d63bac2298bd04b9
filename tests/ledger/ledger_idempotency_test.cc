// Ledger idempotency keys (duplicate, conflicting, within a batch); invalid drafts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <memory>
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

}  // namespace
}  // namespace boai::ledger
