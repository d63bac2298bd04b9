// boai.v1.Ledger's streaming imports: ImportGifts (gifts) and Import (gifts and
// platform matching). Items are prepared on the handler's thread a chunk at a
// time and handed to the ledger's group-commit writer without waiting: while
// one chunk is being written and synced, the next is read and prepared, so the
// writer's batches stay full. Results are assembled in stream order at the end.
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "ledger/hash.h"
#include "ledger/strings.h"
#include "services/ledger_service.h"
#include "services/status.h"

namespace boai::service {
namespace {

// Items drafted and appended per AppendAsync call (they share batches).
constexpr size_t kImportChunk = 1024;
// Chunks handed to the writer and not yet durable, per stream. Enough to keep
// the writer busy while this thread prepares the next chunk; bounded so a fast
// client cannot queue unbounded memory.
constexpr int kMaxChunksInFlight = 4;

struct Chunk {
  std::vector<v1::ImportItemResult> results;  // one per item
  std::vector<size_t> slots;                  // the result of each draft
  std::vector<absl::StatusOr<ledger::AppendResult>> appended;
};

}  // namespace

grpc::Status LedgerService::ImportGifts(grpc::ServerContext* ctx,
                                        grpc::ServerReader<v1::RecordGiftRequest>* reader,
                                        v1::ImportGiftsResponse* out) {
  return RunImport(
      ctx, "ImportGifts",
      [reader](v1::ImportItem* item) { return reader->Read(item->mutable_gift()); }, out);
}

grpc::Status LedgerService::Import(grpc::ServerContext* ctx,
                                   grpc::ServerReader<v1::ImportItem>* reader,
                                   v1::ImportGiftsResponse* out) {
  return RunImport(
      ctx, "Import", [reader](v1::ImportItem* item) { return reader->Read(item); }, out);
}

grpc::Status LedgerService::RunImport(grpc::ServerContext* ctx, std::string_view rpc,
                                      const std::function<bool(v1::ImportItem*)>& next,
                                      v1::ImportGiftsResponse* out) {
  absl::StatusOr<User> user = Authorize(ctx, rpc, Access::kClerk);
  if (!user.ok()) return Reject(rpc, "", "", user.status());

  auto set_error = [&](v1::ImportItemResult* res, const absl::Status& s) {
    grpc::Status g = ToGrpcStatus(s);
    res->set_ok(false);
    res->set_error_code(static_cast<int32_t>(g.error_code()));
    res->set_error(StrCat("item ", res->item(), ": ", g.error_message()));
    spdlog::warn("rejected rpc={} user={} item={} key={} code={} error={}", rpc, Q(user->name),
                 res->item(), Q(res->idempotency_key()), GrpcCodeName(g.error_code()),
                 Q(g.error_message()));
  };

  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;  // guarded by mu
  std::deque<std::unique_ptr<Chunk>> chunks;

  std::vector<v1::ImportItem> pending;
  uint64_t item = 0;
  auto flush = [&]() {
    auto chunk = std::make_unique<Chunk>();
    std::vector<ledger::EntryDraft> drafts;
    chunk->results.resize(pending.size());
    for (size_t i = 0; i < pending.size(); ++i) {
      v1::ImportItem& in = pending[i];
      v1::ImportItemResult* res = &chunk->results[i];
      res->set_item(item - pending.size() + i + 1);
      absl::StatusOr<Write> w;
      if (in.has_gift()) {
        res->set_kind("gift");
        res->set_idempotency_key(in.gift().idempotency_key());
        w = PrepareGift(in.gift(), *user);
      } else if (in.has_match()) {
        res->set_kind("match");
        res->set_idempotency_key(in.match().idempotency_key());
        w = PrepareMatch(in.match());
      } else {
        w = absl::InvalidArgumentError("the item is empty: set gift or match");
      }
      if (!w.ok()) {
        set_error(res, w.status());
        continue;
      }
      if (!w->draft.has_value()) {
        absl::StatusOr<ledger::EntryDraft> d =
            clerk_->Draft(w->kind, user->name, std::move(w->body), w->key);
        if (!d.ok()) {
          set_error(res, d.status());
          continue;
        }
        w->draft = std::move(*d);
      }
      drafts.push_back(std::move(*w->draft));
      chunk->slots.push_back(i);
    }
    pending.clear();
    Chunk* raw = chunk.get();
    {
      std::unique_lock lock(mu);
      chunks.push_back(std::move(chunk));
      if (drafts.empty()) return;
      cv.wait(lock, [&] { return in_flight < kMaxChunksInFlight; });
      ++in_flight;
    }
    ledger_->AppendAsync(
        std::move(drafts),
        [raw, &mu, &cv, &in_flight](std::vector<absl::StatusOr<ledger::AppendResult>> results) {
          std::lock_guard lock(mu);
          raw->appended = std::move(results);
          --in_flight;
          cv.notify_all();
        });
  };

  v1::ImportItem in;
  while (next(&in)) {
    ++item;
    pending.push_back(std::move(in));
    in.Clear();
    if (pending.size() >= kImportChunk) flush();
  }
  if (!pending.empty()) flush();
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
  }

  std::string best_checkpoint;
  uint64_t best_size = 0;
  out->mutable_results()->Reserve(static_cast<int>(item));
  for (const std::unique_ptr<Chunk>& chunk : chunks) {
    for (size_t k = 0; k < chunk->slots.size(); ++k) {
      v1::ImportItemResult* res = &chunk->results[chunk->slots[k]];
      const absl::StatusOr<ledger::AppendResult>& r = chunk->appended[k];
      if (!r.ok()) {
        set_error(res, r.status());
        continue;
      }
      res->set_ok(true);
      res->set_index(r->index);
      res->set_leaf_hash(std::string(ledger::HashBytes(r->leaf_hash)));
      res->set_duplicate(r->duplicate);
      if (r->tree_size > best_size) {
        best_size = r->tree_size;
        best_checkpoint = r->checkpoint;
      }
    }
    for (v1::ImportItemResult& res : chunk->results) {
      if (!res.ok()) {
        out->set_failed(out->failed() + 1);
      } else if (res.duplicate()) {
        out->set_duplicates(out->duplicates() + 1);
      } else {
        out->set_recorded(out->recorded() + 1);
      }
      *out->add_results() = std::move(res);
    }
  }
  if (!best_checkpoint.empty()) {
    absl::Status s = FillCheckpoint(best_checkpoint, out->mutable_checkpoint());
    if (!s.ok()) return Reject(rpc, user->name, "", s);
  }
  spdlog::info("write rpc={} user={} items={} recorded={} duplicates={} failed={} tree_size={}",
               rpc, Q(user->name), item, out->recorded(), out->duplicates(), out->failed(),
               best_size);
  return grpc::Status::OK;
}

}  // namespace boai::service
