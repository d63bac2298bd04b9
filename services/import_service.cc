// boai.v1.Ledger's streaming imports: ImportGifts (gifts) and Import (gifts and
// platform matching). Items are prepared on the handler's thread a chunk at a
// time and handed to the ledger's group-commit writer without waiting: while
// one chunk is being written and synced, the next is read and prepared, so the
// writer's batches stay full. Results are assembled in stream order at the end.
//
// The streams are read as raw messages and parsed here (InstallImportHandlers):
// an item that does not parse gets its own failed result instead of ending the
// stream unnoticed. The caller's authorization is checked again before each
// chunk, and a stream takes at most kMaxImportItems items.
#include <google/protobuf/descriptor.h>
#include <grpcpp/support/method_handler.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

#include "ledger/hash.h"
#include "ledger/leaf.h"
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

// An item read from the stream.
struct Pending {
  v1::ImportItem item;
  // Not OK: the item is not recorded, for this reason (it did not parse, or it is
  // past the stream's limit).
  absl::Status unread;
};

// An item's key as its result echoes it: a key longer than any valid one (which
// is refused) is cut, so that the response stays small.
std::string ResultKey(const std::string& key) {
  return key.size() <= ledger::kMaxKeyBytes ? key : ShortValue(key);
}

struct Chunk {
  std::vector<v1::ImportItemResult> results;  // one per item
  std::vector<size_t> slots;                  // the result of each draft
  std::vector<absl::StatusOr<ledger::AppendResult>> appended;
};

}  // namespace

void LedgerService::InstallImportHandlers() {
  const google::protobuf::ServiceDescriptor* service =
      v1::ImportItem::descriptor()->file()->FindServiceByName("Ledger");
  for (bool gifts_only : {true, false}) {
    const char* rpc = gifts_only ? "ImportGifts" : "Import";
    const google::protobuf::MethodDescriptor* method = service->FindMethodByName(rpc);
    // The generated service numbers its methods in the proto's order, as the
    // descriptor does. The handler reads grpc::ByteBuffer instead of the request
    // type; the service owns it.
    MarkMethodStreamed(method->index(),
                       new grpc::internal::ClientStreamingHandler<LedgerService, grpc::ByteBuffer,
                                                                  v1::ImportGiftsResponse>(
                           [gifts_only, rpc](LedgerService* self, grpc::ServerContext* ctx,
                                             grpc::ServerReader<grpc::ByteBuffer>* reader,
                                             v1::ImportGiftsResponse* out) {
                             return self->RunImport(ctx, rpc, gifts_only, reader, out);
                           },
                           this));
  }
}

grpc::Status LedgerService::RunImport(grpc::ServerContext* ctx, std::string_view rpc,
                                      bool gifts_only, grpc::ServerReader<grpc::ByteBuffer>* reader,
                                      v1::ImportGiftsResponse* out) {
  absl::StatusOr<User> user = Authorize(ctx, rpc, Access::kClerk);
  if (!user.ok()) return Reject(rpc, "", "", user.status());

  auto set_error = [&](v1::ImportItemResult* res, const absl::Status& s) {
    grpc::Status g = ToGrpcStatus(s);
    res->set_ok(false);
    res->set_error_code(static_cast<int32_t>(g.error_code()));
    res->set_error(StrCat("item ", res->item(), ": ", g.error_message()));
    spdlog::warn("rejected rpc={} user={} item={} key={} code={} error={}", rpc, Q(user->name),
                 res->item(), Q(ShortValue(res->idempotency_key())), GrpcCodeName(g.error_code()),
                 Q(g.error_message()));
  };

  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;  // guarded by mu
  std::deque<std::unique_ptr<Chunk>> chunks;

  std::vector<Pending> pending;
  uint64_t item = 0;     // items read
  uint64_t handled = 0;  // items of the chunks handed on
  // Why the caller may no longer write, if a re-check failed.
  std::optional<absl::Status> refused;
  auto flush = [&]() {
    // Checked again before each chunk: a user whose token was replaced (AddUser
    // with replace) or whose role no longer allows imports writes nothing more,
    // as a new call of theirs would be refused.
    if (absl::StatusOr<User> now = Authorize(ctx, rpc, Access::kClerk); !now.ok()) {
      refused = now.status();
      pending.clear();
      return;
    }
    handled += pending.size();
    auto chunk = std::make_unique<Chunk>();
    std::vector<ledger::EntryDraft> drafts;
    chunk->results.resize(pending.size());
    for (size_t i = 0; i < pending.size(); ++i) {
      v1::ImportItem& in = pending[i].item;
      v1::ImportItemResult* res = &chunk->results[i];
      res->set_item(item - pending.size() + i + 1);
      if (!pending[i].unread.ok()) {
        if (in.has_gift() || gifts_only) res->set_kind("gift");
        if (in.has_match()) res->set_kind("match");
        if (in.has_gift()) res->set_idempotency_key(ResultKey(in.gift().idempotency_key()));
        if (in.has_match()) res->set_idempotency_key(ResultKey(in.match().idempotency_key()));
        set_error(res, pending[i].unread);
        continue;
      }
      absl::StatusOr<Write> w;
      if (in.has_gift()) {
        res->set_kind("gift");
        res->set_idempotency_key(ResultKey(in.gift().idempotency_key()));
        w = PrepareGift(in.gift(), *user);
      } else if (in.has_match()) {
        res->set_kind("match");
        res->set_idempotency_key(ResultKey(in.match().idempotency_key()));
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

  grpc::ByteBuffer message;
  while (!refused.has_value() && reader->Read(&message)) {
    ++item;
    Pending p;
    grpc::Status parsed =
        gifts_only ? grpc::SerializationTraits<v1::RecordGiftRequest>::Deserialize(
                         &message, p.item.mutable_gift())
                   : grpc::SerializationTraits<v1::ImportItem>::Deserialize(&message, &p.item);
    if (!parsed.ok()) {
      p.item.Clear();
      p.unread = absl::InvalidArgumentError(
          StrCat("not recorded: the message does not parse as ",
                 gifts_only ? "boai.v1.RecordGiftRequest" : "boai.v1.ImportItem",
                 " (is a string field not UTF-8? use bytes for raw data); the other items are "
                 "handled as usual"));
    }
    if (item > kMaxImportItems) {
      // Answered, and the stream ends here: the response stays within what a
      // client receives by default.
      p.unread = absl::ResourceExhaustedError(
          StrCat("not recorded, nor any item after it: a stream takes at most ", kMaxImportItems,
                 " items; send the rest in a new stream"));
      pending.push_back(std::move(p));
      break;
    }
    pending.push_back(std::move(p));
    if (pending.size() >= kImportChunk) flush();
  }
  if (!refused.has_value() && !pending.empty()) flush();
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
  }
  if (refused.has_value()) {
    return Reject(
        rpc, user->name, "",
        absl::Status(
            refused->code(),
            StrCat(ToStd(refused->message()), "; checked again during the stream: ",
                   handled == 0 ? std::string("none of its items was recorded")
                                : StrCat("its first ", handled,
                                         " items were handled before (each recorded unless "
                                         "refused; sending them again with the same keys is "
                                         "safe), none after"))));
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
