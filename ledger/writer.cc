// The group-commit writer: one thread gathers the waiting requests into a batch,
// applies the rules, encodes and hashes the leaves, extends the tree, signs one
// checkpoint and stages one WriteBatch; a second thread writes and syncs it and
// answers every caller in the batch. See ledger.h.

#include <pthread.h>

#include <chrono>
#include <unordered_map>

#include "ledger/canonical_json.h"
#include "ledger/checkpoint.h"
#include "ledger/leaf.h"
#include "ledger/ledger.h"
#include "ledger/ledger_internal.h"
#include "ledger/strings.h"

namespace boai::ledger {

using ledger_internal::DataLoss;
using ledger_internal::IdempotencyKey;
using ledger_internal::KeyMetaKey;
using ledger_internal::kMetaHead;

namespace {

std::string EncodeHead(uint64_t size, const Hash& last, uint64_t time_ms) {
  return StrCat(U64Key(size), HashBytes(last), U64Key(time_ms));
}

absl::Status KeyConflict(std::string_view key, uint64_t index) {
  return absl::AlreadyExistsError(StrCat(
      "idempotency key \"", key, "\" was already used by entry ", index,
      " with different content; a retry must send the same content, a new record needs a new "
      "key"));
}

}  // namespace

void Ledger::WriterLoop() {
  pthread_setname_np(pthread_self(), "boai-writer");
  while (true) {
    std::vector<Request> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is answered
      size_t entries = 0;
      while (!queue_.empty() && (batch.empty() || entries + queue_.front().drafts.size() <=
                                                      options_.max_batch_entries)) {
        if (queue_.front().rotate_to != nullptr) {  // a key rotation is a batch of its own
          if (batch.empty()) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
          }
          break;
        }
        entries += queue_.front().drafts.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    ProcessBatch(batch);
  }
}

void Ledger::ProcessBatch(std::vector<Request>& requests) {
  Written batch;
  batch.requests = std::move(requests);
  std::optional<absl::Status> failed;
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    failed = failed_;
  }
  if (failed.has_value()) {
    batch.results.resize(batch.requests.size());
    for (size_t i = 0; i < batch.requests.size(); ++i) {
      batch.results[i].assign(batch.requests[i].drafts.size(), *failed);
    }
    Answer(batch);
    return;
  }
  Head next = head_;
  rocksdb::WriteBatch wb;
  std::vector<UpperNode> upper;
  StageBatch(batch.requests, next, &wb, batch.results, &batch.checkpoint, &upper);

  absl::Status written = absl::OkStatus();
  if (next.size != head_.size) {
    if (options_.before_write) written = options_.before_write();
    // Not synced here: the syncer thread makes it durable (and covers any batches
    // written meanwhile with the same fsync) before anyone hears back. Readers see
    // only up to the durable size.
    if (written.ok()) {
      std::lock_guard<std::mutex> wal(wal_mu_);
      written = storage_->Write(&wb, /*sync=*/false);
      if (!written.ok()) {
        // RocksDB refuses further writes after a failed one, and its log file
        // cannot be synced again: stop, and say so to every later caller.
        StopWrites(absl::UnavailableError(
            StrCat("the ledger could not write to its database and has stopped accepting "
                   "writes; fix the cause (e.g. free disk space), restart boaid, then retry "
                   "with the same keys: ",
                   ToStd(written.message()))));
      }
    }
  }
  if (!written.ok()) {
    // Nothing of the batch reached the database: forget it and go on from head_.
    if (options_.hook != nullptr) options_.hook->Abort();
    absl::Status failed = WritesStopped().value_or(absl::UnavailableError(
        StrCat("the batch was not written, nothing of it is stored; retry with the same keys: ",
               ToStd(written.message()))));
    for (auto& per_request : batch.results) {
      for (auto& r : per_request) {
        if (r.ok()) r = failed;
      }
    }
    Answer(batch);
    return;
  }
  if (options_.hook != nullptr) options_.hook->Commit();
  if (const auto& to = batch.requests.front().rotate_to; to != nullptr && next.size != head_.size) {
    signer_ = *to;
    batch.rotation_index = head_.size;
    batch.rotated_to = to;
  }
  for (const UpperNode& n : upper) upper_->Add(n.level, n.index, n.hash);
  head_ = std::move(next);
  batch.size = head_.size;
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    to_sync_.push_back(std::move(batch));
  }
  sync_cv_.notify_one();
}

void Ledger::SyncLoop() {
  pthread_setname_np(pthread_self(), "boai-sync");
  while (true) {
    std::vector<Written> batches;
    {
      std::unique_lock<std::mutex> lock(sync_mu_);
      sync_cv_.wait(lock, [this] { return sync_stopping_ || !to_sync_.empty(); });
      if (to_sync_.empty()) return;
      while (!to_sync_.empty()) {
        batches.push_back(std::move(to_sync_.front()));
        to_sync_.pop_front();
      }
    }
    std::optional<absl::Status> stopped;
    {
      std::lock_guard<std::mutex> wal(wal_mu_);
      stopped = WritesStopped();  // a failed write since: these batches cannot be synced
      if (!stopped.has_value() && options_.sync) {
        absl::Status synced = FromRocks(storage_->db()->SyncWAL(), "syncing the write-ahead log");
        if (!synced.ok()) {
          // After a failed fsync nothing about the file can be trusted: stop writing.
          // Restarting recovers exactly what reached the disk; callers retry with the
          // same idempotency keys and get the original entry if it survived.
          StopWrites(absl::UnavailableError(
              StrCat("the ledger could not sync its log to disk and has stopped accepting "
                     "writes; restart boaid, then retry with the same keys: ",
                     ToStd(synced.message()))));
          stopped = WritesStopped();
        }
      }
    }
    if (stopped.has_value()) {
      const absl::Status failed = *stopped;
      for (Written& b : batches) {
        for (auto& per_request : b.results) {
          for (auto& r : per_request) {
            if (r.ok()) r = failed;
          }
        }
        Answer(b);
      }
      continue;
    }
    // Publish the keys of durable rotations and the newest durable checkpoint,
    // then answer in log order.
    for (const Written& b : batches) {
      if (b.rotated_to == nullptr) continue;
      absl::StatusOr<NoteVerifier> v = NoteVerifier::FromVerifierKey(b.rotated_to->VerifierKey());
      std::lock_guard<std::mutex> lock(checkpoint_mu_);
      if (v.ok()) keys_.Add(b.rotation_index, *v);
    }
    for (auto it = batches.rbegin(); it != batches.rend(); ++it) {
      if (it->checkpoint.empty()) continue;
      std::lock_guard<std::mutex> lock(checkpoint_mu_);
      latest_checkpoint_ = it->checkpoint;
      size_.store(it->size, std::memory_order_release);
      break;
    }
    const std::string latest = LatestCheckpoint();
    for (Written& b : batches) {
      const bool appended = !b.checkpoint.empty();
      for (auto& per_request : b.results) {
        for (auto& r : per_request) {
          if (!r.ok()) continue;
          r->tree_size = appended ? b.size : Size();
          r->checkpoint = appended ? b.checkpoint : latest;
        }
      }
      Answer(b);
    }
  }
}

std::optional<absl::Status> Ledger::WritesStopped() const {
  std::lock_guard<std::mutex> lock(sync_mu_);
  return failed_;
}

void Ledger::StopWrites(const absl::Status& why) {
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    if (failed_.has_value()) return;
    failed_ = why;
  }
  if (options_.on_writes_stopped) options_.on_writes_stopped(why);
}

void Ledger::Answer(Written& batch) {
  for (size_t i = 0; i < batch.requests.size(); ++i) {
    if (batch.requests[i].done) batch.requests[i].done(std::move(batch.results[i]));
  }
}

absl::StatusOr<AppendResult> Ledger::FindDuplicate(const EntryDraft& d, uint64_t index) const {
  absl::StatusOr<std::optional<std::string>> leaf = storage_->Get(Cf::kEntries, U64Key(index));
  if (!leaf.ok()) return leaf.status();
  if (!leaf->has_value()) return DataLoss(StrCat("entry ", index, " is missing"));
  LeafDecoder decoder;
  absl::StatusOr<DecodedLeaf> old = decoder.Decode(**leaf);
  if (!old.ok()) return DataLoss(StrCat("entry ", index, ": ", ToStd(old.status().message())));
  if (old->header.kind != d.kind || old->body != d.body) return KeyConflict(d.key, index);
  AppendResult dup;
  dup.index = index;
  dup.leaf_hash = LeafHash(**leaf);
  dup.duplicate = true;
  return dup;
}

void Ledger::StageBatch(std::vector<Request>& requests, Head& head, rocksdb::WriteBatch* wb,
                        std::vector<std::vector<absl::StatusOr<AppendResult>>>& results,
                        std::string* checkpoint, std::vector<UpperNode>* upper) {
  const uint64_t start_size = head.size;
  const uint64_t time_ms = std::max(NowMs(), head.last_time_ms);
  // A key rotation is alone in its batch (WriterLoop).
  const NoteSigner* rotate_to = requests.size() == 1 ? requests[0].rotate_to.get() : nullptr;

  // Look up every idempotency key of the batch in one MultiGet.
  std::vector<std::string> index_keys;
  for (const Request& r : requests) {
    for (const EntryDraft& d : r.drafts) index_keys.push_back(IdempotencyKey(d.key));
  }
  std::vector<rocksdb::Slice> slices(index_keys.begin(), index_keys.end());
  std::vector<rocksdb::PinnableSlice> found(slices.size());
  std::vector<rocksdb::Status> statuses(slices.size());
  if (!slices.empty()) {
    storage_->db()->MultiGet(rocksdb::ReadOptions(), storage_->cf(Cf::kIndex), slices.size(),
                             slices.data(), found.data(), statuses.data());
  }
  // key -> (request, draft) of the entry that used it in this batch
  std::unordered_map<std::string_view, std::pair<size_t, size_t>> batch_keys;

  std::string tree_row;
  auto add_node = [&tree_row, upper](int level, uint64_t index, const Hash& h) {
    tree_row.append(HashBytes(h));
    if (upper != nullptr && level >= UpperNodes::kCachedLevel) upper->push_back({level, index, h});
  };
  results.resize(requests.size());
  size_t k = 0;
  for (size_t r = 0; r < requests.size(); ++r) {
    results[r].reserve(requests[r].drafts.size());
    for (const EntryDraft& d : requests[r].drafts) {
      const size_t slot = k++;
      const absl::Status& valid =
          requests[r].checked.empty() ? absl::OkStatus() : requests[r].checked[results[r].size()];
      if (!valid.ok()) {
        results[r].push_back(valid);
        continue;
      }
      if (auto it = batch_keys.find(d.key); it != batch_keys.end()) {
        // A retry inside this batch: compare with the first draft that used the key.
        auto [fr, fi] = it->second;
        const EntryDraft& first = requests[fr].drafts[fi];
        if (first.kind == d.kind && first.body == d.body) {
          AppendResult again = *results[fr][fi];
          again.duplicate = true;
          results[r].push_back(again);
        } else {
          results[r].push_back(KeyConflict(d.key, results[fr][fi]->index));
        }
        continue;
      }
      if (statuses[slot].ok() && found[slot].size() == 8) {
        absl::StatusOr<AppendResult> dup = FindDuplicate(d, DecodeU64(found[slot].ToStringView()));
        results[r].push_back(std::move(dup));
        continue;
      }
      if (!statuses[slot].ok() && !statuses[slot].IsNotFound()) {
        results[r].push_back(FromRocks(statuses[slot], "looking up an idempotency key"));
        continue;
      }
      if (rotate_to != nullptr) {
        absl::StatusOr<Rotation> rot = ParseRotationBody(d.body, origin_);
        if (rot.ok() && (rot->old_vkey != signer_->VerifierKey() ||
                         rot->new_vkey != rotate_to->VerifierKey())) {
          rot = absl::FailedPreconditionError(
              "the log's key changed since this rotation was asked for (another rotation ran "
              "first); ask again");
        }
        if (!rot.ok()) {
          results[r].push_back(rot.status());
          continue;
        }
      }
      if (options_.hook != nullptr) {
        absl::Status s = options_.hook->Apply(d, head.size, time_ms, wb);
        if (!s.ok()) {
          results[r].push_back(s);
          continue;
        }
      }
      LeafHeader header{head.size, d.key, d.kind, head.last_hash, time_ms};
      std::string leaf = EncodeLeaf(header, d.body);
      Hash leaf_hash = LeafHash(leaf);
      tree_row.clear();
      head.frontier.Append(leaf_hash, add_node);
      wb->Put(storage_->cf(Cf::kEntries), U64Key(head.size), leaf);
      wb->Put(storage_->cf(Cf::kTree), U64Key(head.size), tree_row);
      wb->Put(storage_->cf(Cf::kIndex), index_keys[slot], U64Key(head.size));
      batch_keys.emplace(d.key, std::make_pair(r, results[r].size()));
      AppendResult ok;
      ok.index = head.size;
      ok.leaf_hash = leaf_hash;
      results[r].push_back(ok);
      head.last_hash = leaf_hash;
      head.last_time_ms = time_ms;
      ++head.size;
    }
  }
  if (options_.hook != nullptr) options_.hook->Seal(wb);
  if (head.size == start_size) return;
  Checkpoint cp{origin_, head.size, head.frontier.Root()};
  *checkpoint = SignNote(cp.Body(), *signer_);
  if (rotate_to != nullptr) {
    // The handover: the new key signs this checkpoint too, and every later one.
    const std::string text = cp.Body();
    *checkpoint +=
        FormatSignatureLine(rotate_to->name(), rotate_to->key_id(), rotate_to->Sign(text));
    wb->Put(storage_->cf(Cf::kDefault), KeyMetaKey(start_size), rotate_to->VerifierKey());
  }
  wb->Put(storage_->cf(Cf::kCheckpoints), U64Key(head.size), *checkpoint);
  wb->Put(storage_->cf(Cf::kDefault), kMetaHead,
          EncodeHead(head.size, head.last_hash, head.last_time_ms));
}

}  // namespace boai::ledger
