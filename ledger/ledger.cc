#include "ledger/ledger.h"

#include <fcntl.h>
#include <pthread.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <unordered_map>

#include "ledger/canonical_json.h"
#include "ledger/checkpoint.h"
#include "ledger/files.h"
#include "ledger/leaf.h"
#include "ledger/ledger_internal.h"
#include "ledger/strings.h"

namespace boai::ledger {

using ledger_internal::DataLoss;
using ledger_internal::IdempotencyKey;
using ledger_internal::kFormat;
using ledger_internal::kMetaFormat;
using ledger_internal::kMetaHead;
using ledger_internal::kMetaKeyPrefix;

namespace {

constexpr std::string_view kMetaOrigin = "origin";
constexpr std::string_view kMetaVkey = "vkey";

}  // namespace

std::string DatabasePath(const std::string& dir) { return dir + "/db"; }
std::string LogKeyPath(const std::string& dir) { return dir + "/keys/log.key"; }
std::string NextLogKeyPath(const std::string& dir) { return dir + "/keys/log.key.next"; }

absl::StatusOr<Hash> StoredNodes::Node(int level, uint64_t index) const {
  absl::StatusOr<std::optional<std::string>> v = storage_->Get(Cf::kTree, TreeKey(level, index));
  if (!v.ok()) return v.status();
  if (!v->has_value() || (*v)->size() < TreeOffset(level) + kHashSize) {
    return absl::DataLossError(StrCat("tree node at level ", level, " index ", index,
                                      (v->has_value() ? " is damaged" : " is missing")));
  }
  return HashFromBytes(std::string_view(**v).substr(TreeOffset(level), kHashSize));
}

absl::Status UpperNodes::Load(uint64_t size) {
  std::unique_lock lock(mu_);
  levels_.clear();
  for (int level = kCachedLevel; (size >> level) > 0; ++level) {
    std::vector<Hash>& nodes = levels_.emplace_back();
    nodes.reserve(size >> level);
    for (uint64_t i = 0; i < (size >> level); ++i) {
      absl::StatusOr<Hash> h = stored_.Node(level, i);
      if (!h.ok()) return h.status();
      nodes.push_back(*h);
    }
  }
  return absl::OkStatus();
}

void UpperNodes::Add(int level, uint64_t index, const Hash& h) {
  std::unique_lock lock(mu_);
  size_t l = static_cast<size_t>(level - kCachedLevel);
  if (levels_.size() <= l) levels_.resize(l + 1);
  if (levels_[l].size() == index) levels_[l].push_back(h);
}

absl::StatusOr<Hash> UpperNodes::Node(int level, uint64_t index) const {
  if (level >= kCachedLevel) {
    std::shared_lock lock(mu_);
    size_t l = static_cast<size_t>(level - kCachedLevel);
    if (l < levels_.size() && index < levels_[l].size()) return levels_[l][index];
  }
  return stored_.Node(level, index);
}

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(const std::string& dir,
                                                     LedgerOptions options) {
  std::unique_ptr<Ledger> l(new Ledger);
  l->options_ = std::move(options);
  l->dir_ = dir;
  const LedgerOptions& o = l->options_;
  StorageOptions so = o.storage;
  so.read_only = o.read_only;
  std::error_code ec;
  bool exists = std::filesystem::exists(DatabasePath(dir) + "/CURRENT", ec);
  if (!exists && (o.read_only || !o.create_if_missing)) {
    return absl::NotFoundError(
        StrCat("no ledger in ", dir, " (", DatabasePath(dir),
               " does not exist); check --data, or start boaid once to create one"));
  }
  if (!exists) {
    std::filesystem::create_directories(dir + "/keys", ec);
    if (ec) {
      return absl::FailedPreconditionError(StrCat("cannot create ", dir, "/keys: ", ec.message()));
    }
    ::chmod((dir + "/keys").c_str(), 0700);
    so.create_if_missing = true;
  }
  absl::StatusOr<std::unique_ptr<Storage>> st = Storage::Open(DatabasePath(dir), so);
  if (!st.ok()) return st.status();
  l->storage_ = std::move(*st);
  // The database holds personal data and the keys that open it: its owner only.
  if (!o.read_only) ::chmod(DatabasePath(dir).c_str(), 0700);

  absl::StatusOr<std::optional<std::string>> format = l->storage_->Get(Cf::kDefault, kMetaFormat);
  if (!format.ok()) return format.status();
  if (!format->has_value()) {
    if (o.read_only) return absl::NotFoundError(StrCat("no ledger in ", dir));
    absl::Status s = l->Create(LogKeyPath(dir));
    if (!s.ok()) return s;
  } else if (**format != kFormat) {
    return absl::FailedPreconditionError(StrCat("the database in ", dir, " has format \"", **format,
                                                "\"; this build reads \"", kFormat, "\""));
  }
  absl::Status s = l->LoadAndCheck();
  if (!s.ok()) return s;
  l->upper_ = std::make_unique<UpperNodes>(l->storage_.get());
  s = l->upper_->Load(l->head_.size);
  if (!s.ok()) return DataLoss(ToStd(s.message()));

  if (!o.read_only) {
    if (o.hook != nullptr) {
      absl::Status hs = o.hook->Open(*l->storage_);
      if (!hs.ok()) return hs;
    }
    if (!l->signer_.has_value()) {
      struct stat key_stat {};
      if (::stat(LogKeyPath(dir).c_str(), &key_stat) == 0 && (key_stat.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(key_stat.st_mode & 07777));
        return absl::FailedPreconditionError(StrCat(
            "the signing key ", LogKeyPath(dir), " can be read or written by other users (mode ",
            mode, "); make it private: chmod 600 ", LogKeyPath(dir)));
      }
      absl::StatusOr<std::string> key = ReadFile(LogKeyPath(dir));
      if (!key.ok()) {
        return absl::FailedPreconditionError(
            StrCat("the signing key ", LogKeyPath(dir),
                   " is missing; restore it from your key backup (the ledger can still be read and "
                   "verified without it)"));
      }
      absl::StatusOr<NoteSigner> signer = NoteSigner::FromPrivateKey(*key);
      if (!signer.ok()) {
        return absl::FailedPreconditionError(StrCat("the signing key ", LogKeyPath(dir),
                                                    " is unusable: ", signer.status().message()));
      }
      l->signer_ = std::move(*signer);
    }
    if (absl::Status ks = l->AdoptSigningKey(); !ks.ok()) return ks;
    l->writer_ = std::thread([p = l.get()] { p->WriterLoop(); });
    l->syncer_ = std::thread([p = l.get()] { p->SyncLoop(); });
  }
  return l;
}

absl::Status Ledger::Create(const std::string& key_path) {
  std::error_code ec;
  if (std::filesystem::exists(key_path, ec)) {
    absl::StatusOr<std::string> key = ReadFile(key_path);
    if (!key.ok()) return key.status();
    absl::StatusOr<NoteSigner> signer = NoteSigner::FromPrivateKey(*key);
    if (!signer.ok()) return signer.status();
    signer_ = std::move(*signer);
  } else {
    absl::StatusOr<NoteSigner> signer = NoteSigner::Generate(options_.origin);
    if (!signer.ok()) return signer.status();
    absl::Status s = WritePrivateFile(key_path, signer->PrivateKeyString() + "\n");
    if (!s.ok()) return s;
    signer_ = std::move(*signer);
  }
  origin_ = signer_->name();

  nlohmann::json body = {
      {"format", std::string(kFormat)}, {"origin", origin_}, {"vkey", signer_->VerifierKey()}};
  EntryDraft genesis{"log.genesis", "log.genesis", *EncodeCanonicalJson(body), {}};
  std::vector<Request> requests;
  requests.push_back(Request{{std::move(genesis)}, nullptr, {}, nullptr});
  rocksdb::WriteBatch wb;
  wb.Put(storage_->cf(Cf::kDefault), kMetaFormat, kFormat);
  wb.Put(storage_->cf(Cf::kDefault), kMetaOrigin, origin_);
  wb.Put(storage_->cf(Cf::kDefault), kMetaVkey, signer_->VerifierKey());
  Head head;
  std::vector<std::vector<absl::StatusOr<AppendResult>>> results;
  std::string checkpoint;
  BatchHook* hook = options_.hook;
  options_.hook = nullptr;  // the genesis entry is the log's, not the accounting's
  StageBatch(requests, head, &wb, results, &checkpoint);
  options_.hook = hook;
  if (!results[0][0].ok()) return results[0][0].status();
  return storage_->Write(&wb, /*sync=*/true);
}

absl::Status Ledger::AdoptSigningKey() {
  const KeySchedule keys = this->keys();
  const std::string current = keys.current().VerifierKey();
  if (signer_->VerifierKey() == current) return absl::OkStatus();
  // A rotation whose entry became durable before its new key replaced the old
  // one: finish it.
  const std::string next_path = NextLogKeyPath(dir_);
  absl::StatusOr<std::string> next = ReadFile(next_path);
  if (next.ok()) {
    absl::StatusOr<NoteSigner> signer = NoteSigner::FromPrivateKey(StripWhitespace(*next));
    if (signer.ok() && signer->VerifierKey() == current) {
      std::error_code ec;
      std::filesystem::rename(next_path, LogKeyPath(dir_), ec);
      if (ec) {
        return absl::FailedPreconditionError(
            StrCat("cannot finish the key rotation: renaming ", next_path, ": ", ec.message()));
      }
      if (absl::Status s = SyncDir(dir_ + "/keys"); !s.ok()) return s;
      signer_ = std::move(*signer);
      return absl::OkStatus();
    }
  }
  const int e = keys.Find(signer_->VerifierKey());
  if (e >= 0) {
    return absl::FailedPreconditionError(
        StrCat("the signing key ", LogKeyPath(dir_), " (", signer_->VerifierKey(),
               ") is a retired key of this ledger; the key in force is ", current, ", since entry ",
               keys.epochs().back().rotation_index,
               ". Restore that key from the backup made at rotation"));
  }
  return absl::FailedPreconditionError(StrCat("the signing key ", LogKeyPath(dir_), " (",
                                              signer_->VerifierKey(),
                                              ") is not this ledger's key (", current, ")"));
}

NoteVerifier Ledger::verifier() const {
  std::lock_guard<std::mutex> lock(checkpoint_mu_);
  return keys_.current();
}

KeySchedule Ledger::keys() const {
  std::lock_guard<std::mutex> lock(checkpoint_mu_);
  return keys_;
}

absl::Status Ledger::LoadAndCheck() {
  auto meta = [&](std::string_view key) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::optional<std::string>> v = storage_->Get(Cf::kDefault, key);
    if (!v.ok()) return v.status();
    if (!v->has_value()) return DataLoss(StrCat("the meta record \"", key, "\" is missing"));
    return **v;
  };
  absl::StatusOr<std::string> origin = meta(kMetaOrigin);
  if (!origin.ok()) return origin.status();
  origin_ = *origin;
  absl::StatusOr<std::string> vkey = meta(kMetaVkey);
  if (!vkey.ok()) return vkey.status();
  absl::StatusOr<NoteVerifier> verifier = NoteVerifier::FromVerifierKey(*vkey);
  if (!verifier.ok()) return DataLoss(ToStd(verifier.status().message()));
  KeySchedule keys(*verifier);
  // The keys of recorded rotations, in log order.
  std::unique_ptr<rocksdb::Iterator> kit = storage_->NewIterator(Cf::kDefault);
  for (kit->Seek(kMetaKeyPrefix); kit->Valid() && kit->key().starts_with(kMetaKeyPrefix);
       kit->Next()) {
    std::string_view k = kit->key().ToStringView().substr(kMetaKeyPrefix.size());
    absl::StatusOr<NoteVerifier> next = NoteVerifier::FromVerifierKey(kit->value().ToStringView());
    if (k.size() != 8 || !next.ok() || next->name() != origin_) {
      return DataLoss(StrCat("the key rotation record \"", HexEncode(kit->key().ToStringView()),
                             "\" is damaged"));
    }
    keys.Add(DecodeU64(k), *next);
  }
  absl::Status ks = FromRocks(kit->status(), "reading the key rotation records");
  if (!ks.ok()) return ks;
  // Each record names a log.key entry that introduced that key.
  for (size_t e = 1; e < keys.epochs().size(); ++e) {
    const KeyEpoch& epoch = keys.epochs()[e];
    absl::StatusOr<std::optional<std::string>> leaf =
        storage_->Get(Cf::kEntries, U64Key(epoch.rotation_index));
    if (!leaf.ok()) return leaf.status();
    LeafDecoder decoder;
    absl::StatusOr<DecodedLeaf> d =
        leaf->has_value() ? decoder.Decode(**leaf) : absl::NotFoundError("it is missing");
    absl::StatusOr<Rotation> rot =
        !d.ok() ? d.status()
        : d->header.kind != kRotationKind
            ? absl::InvalidArgumentError(StrCat("it has kind \"", d->header.kind, "\""))
            : ParseRotationBody(d->body, origin_);
    if (!rot.ok() || rot->new_vkey != epoch.verifier.VerifierKey()) {
      return DataLoss(StrCat("the key record for entry ", epoch.rotation_index,
                             " names a rotation the entry does not make",
                             rot.ok() ? "" : StrCat(" (", ToStd(rot.status().message()), ")")));
    }
  }
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    keys_ = std::move(keys);
  }

  absl::StatusOr<std::string> head = meta(kMetaHead);
  if (!head.ok()) return head.status();
  if (head->size() != 8 + kHashSize + 8) return DataLoss("the head record is damaged");
  head_.size = DecodeU64(*head);
  head_.last_hash = *HashFromBytes(head->substr(8, kHashSize));
  head_.last_time_ms = DecodeU64(head->substr(8 + kHashSize));
  if (head_.size == 0) return DataLoss("the head record says the log is empty");

  // The entries end exactly at the head.
  std::unique_ptr<rocksdb::Iterator> it = storage_->NewIterator(Cf::kEntries);
  it->SeekToLast();
  absl::Status s = FromRocks(it->status(), "reading the last entry");
  if (!s.ok()) return s;
  if (!it->Valid()) {
    return DataLoss(StrCat("the head says ", head_.size, " entries but there are none"));
  }
  uint64_t last = DecodeU64(it->key().ToStringView());
  if (last != head_.size - 1) {
    return DataLoss(StrCat("the head says ", head_.size, " entries (last index ", head_.size - 1,
                           ") but the last stored entry is index ", last));
  }
  if (LeafHash(it->value().ToStringView()) != head_.last_hash) {
    return DataLoss(StrCat("the hash of entry ", last, " differs from the head record"));
  }

  // The tree's root at the head equals the last checkpoint's, which verifies.
  StoredNodes nodes(storage_.get());
  absl::StatusOr<Frontier> frontier = Frontier::Load(nodes, head_.size);
  if (!frontier.ok()) return DataLoss(ToStd(frontier.status().message()));
  head_.frontier = std::move(*frontier);
  std::unique_ptr<rocksdb::Iterator> cit = storage_->NewIterator(Cf::kCheckpoints);
  cit->SeekToLast();
  s = FromRocks(cit->status(), "reading the last checkpoint");
  if (!s.ok()) return s;
  if (!cit->Valid()) return DataLoss("there is no checkpoint");
  uint64_t cp_size = DecodeU64(cit->key().ToStringView());
  if (cp_size != head_.size) {
    return DataLoss(
        StrCat("the last checkpoint is for ", cp_size, " entries but the head says ", head_.size));
  }
  std::string note_text = cit->value().ToString();
  absl::StatusOr<Note> note = ParseNote(note_text);
  if (!note.ok()) return DataLoss(StrCat("the last checkpoint: ", note.status().message()));
  s = VerifyCheckpointSignatures(*note, keys_, head_.size);
  if (!s.ok()) return DataLoss(StrCat("the last checkpoint: ", s.message()));
  absl::StatusOr<Checkpoint> cp = ParseCheckpointBody(note->text);
  if (!cp.ok()) return DataLoss(ToStd(cp.status().message()));
  if (cp->origin != origin_ || cp->size != head_.size) {
    return DataLoss("the last checkpoint's origin or size differs from the head");
  }
  Hash root = head_.frontier.Root();
  if (cp->root != root) {
    return DataLoss(StrCat("the tree's root at size ", head_.size, " (", HashToBase64(root),
                           ") differs from the last checkpoint's root (", HashToBase64(cp->root),
                           ")"));
  }
  latest_checkpoint_ = std::move(note_text);
  size_.store(head_.size, std::memory_order_release);
  return absl::OkStatus();
}

Ledger::~Ledger() {
  if (writer_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    writer_.join();
    {
      std::lock_guard<std::mutex> lock(sync_mu_);
      sync_stopping_ = true;
    }
    sync_cv_.notify_all();
    syncer_.join();
  }
}

uint64_t Ledger::NowMs() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

absl::Status CheckDraft(const EntryDraft& d) {
  absl::Status s = ValidateKind(d.kind);
  if (s.ok()) s = ValidateKey(d.key);
  if (!s.ok()) return s;
  if (d.kind.starts_with("log.")) {
    return absl::InvalidArgumentError(StrCat(
        "kind \"", d.kind, "\" is reserved for the log's own entries (genesis, key rotation)"));
  }
  // A JSON object, well-formed; its canonical form is the submitter's contract.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element body;
  if (d.body.empty() || d.body.front() != '{' || parser.parse(d.body).get(body) ||
      !body.is_object()) {
    return absl::InvalidArgumentError(
        StrCat("the body of entry \"", d.key, "\" is not a JSON object"));
  }
  return absl::OkStatus();
}

}  // namespace

void Ledger::AppendAsync(std::vector<EntryDraft> drafts, AppendCallback done) {
  if (options_.read_only) {
    done(std::vector<absl::StatusOr<AppendResult>>(
        drafts.size(), absl::FailedPreconditionError("the ledger is open read-only")));
    return;
  }
  std::vector<absl::Status> checked;
  checked.reserve(drafts.size());
  for (const EntryDraft& d : drafts) checked.push_back(CheckDraft(d));
  Enqueue(Request{std::move(drafts), std::move(done), std::move(checked), nullptr});
}

void Ledger::Enqueue(Request request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(request));
      cv_.notify_one();
      return;
    }
  }
  request.done(std::vector<absl::StatusOr<AppendResult>>(
      request.drafts.size(), absl::UnavailableError("the ledger is shutting down; retry")));
}

absl::StatusOr<AppendResult> Ledger::RotateKey(std::string_view reason) {
  if (options_.read_only) return absl::FailedPreconditionError("the ledger is open read-only");
  reason = StripWhitespace(reason);
  if (reason.empty() || reason.size() > 500) {
    return absl::InvalidArgumentError(
        "a key rotation needs a reason of 1 to 500 bytes (it is public, e.g. \"annual rotation\" "
        "or \"the server was replaced\")");
  }
  if (HasControlChar(reason)) {
    return absl::InvalidArgumentError("the rotation reason must not contain control characters");
  }
  absl::StatusOr<NoteSigner> next = NoteSigner::Generate(origin_);
  if (!next.ok()) return next.status();
  // The new key reaches the disk before any checkpoint it signs.
  const std::string next_path = NextLogKeyPath(dir_);
  std::error_code ec;
  std::filesystem::remove(next_path, ec);  // left by a rotation that never became durable
  absl::Status s = WritePrivateFile(next_path, next->PrivateKeyString() + "\n");
  if (s.ok()) s = SyncDir(dir_ + "/keys");
  if (!s.ok()) return s;

  const KeyId id = next->key_id();
  const std::string key =
      StrCat("log.key/", HexEncode(std::string_view(reinterpret_cast<const char*>(id.data()), 4)));
  EntryDraft draft{
      std::string(kRotationKind), key, EncodeRotationBody(origin_, verifier(), *next, reason), {}};
  std::promise<std::vector<absl::StatusOr<AppendResult>>> promise;
  std::future<std::vector<absl::StatusOr<AppendResult>>> future = promise.get_future();
  std::vector<EntryDraft> drafts;
  drafts.push_back(std::move(draft));
  Enqueue(Request{
      std::move(drafts),
      [&promise](std::vector<absl::StatusOr<AppendResult>> r) { promise.set_value(std::move(r)); },
      {},
      std::make_shared<const NoteSigner>(*next)});
  absl::StatusOr<AppendResult> r = std::move(future.get()[0]);
  if (!r.ok()) {
    std::filesystem::remove(next_path, ec);
    return r.status();
  }
  std::filesystem::rename(next_path, LogKeyPath(dir_), ec);
  if (ec) {
    return absl::InternalError(StrCat("the rotation is recorded as entry ", r->index, " but ",
                                      next_path, " could not replace ", LogKeyPath(dir_), " (",
                                      ec.message(),
                                      "); the ledger will finish this when it is next opened"));
  }
  s = SyncDir(dir_ + "/keys");
  if (!s.ok()) return s;
  return r;
}

std::vector<absl::StatusOr<AppendResult>> Ledger::AppendMany(std::vector<EntryDraft> drafts) {
  std::promise<std::vector<absl::StatusOr<AppendResult>>> promise;
  std::future<std::vector<absl::StatusOr<AppendResult>>> future = promise.get_future();
  AppendAsync(std::move(drafts), [&promise](std::vector<absl::StatusOr<AppendResult>> r) {
    promise.set_value(std::move(r));
  });
  return future.get();
}

absl::StatusOr<AppendResult> Ledger::Append(EntryDraft draft) {
  std::vector<EntryDraft> one;
  one.push_back(std::move(draft));
  return std::move(AppendMany(std::move(one))[0]);
}

absl::StatusOr<std::string> Ledger::LeafAt(uint64_t index) const {
  uint64_t size = Size();
  if (index >= size) {
    return absl::OutOfRangeError(StrCat("entry ", index, " does not exist: the ledger has ", size,
                                        " entries, indexes 0 to ", size - 1));
  }
  absl::StatusOr<std::optional<std::string>> v = storage_->Get(Cf::kEntries, U64Key(index));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return DataLoss(StrCat("entry ", index, " is missing"));
  return std::move(**v);
}

std::string Ledger::LatestCheckpoint() const {
  std::lock_guard<std::mutex> lock(checkpoint_mu_);
  return latest_checkpoint_;
}

absl::StatusOr<std::string> Ledger::CheckpointAt(uint64_t size) const {
  // A checkpoint beyond Size() is written but not yet synced: not served.
  absl::StatusOr<std::optional<std::string>> v =
      size > Size() ? std::optional<std::string>() : storage_->Get(Cf::kCheckpoints, U64Key(size));
  if (!v.ok()) return v.status();
  if (!v->has_value()) {
    return absl::NotFoundError(
        StrCat("no checkpoint was signed at tree size ", size,
               "; checkpoints exist only where a batch ended (the latest is at ", Size(), ")"));
  }
  return std::move(**v);
}

absl::StatusOr<std::vector<Hash>> Ledger::InclusionProof(uint64_t index, uint64_t tree_size) const {
  uint64_t size = Size();
  if (tree_size == 0 || tree_size > size) {
    return absl::OutOfRangeError(
        StrCat("tree size ", tree_size, " is not between 1 and the ledger's size ", size));
  }
  return boai::ledger::InclusionProof(*upper_, index, tree_size);
}

absl::StatusOr<std::vector<Hash>> Ledger::ConsistencyProof(uint64_t old_size,
                                                           uint64_t new_size) const {
  uint64_t size = Size();
  if (new_size > size) {
    return absl::OutOfRangeError(
        StrCat("tree size ", new_size, " is beyond the ledger's size ", size));
  }
  return boai::ledger::ConsistencyProof(*upper_, old_size, new_size);
}

absl::StatusOr<std::string> Ledger::TlogProof(uint64_t index) const {
  std::string checkpoint = LatestCheckpoint();
  absl::StatusOr<Note> note = ParseNote(checkpoint);
  if (!note.ok()) return note.status();
  absl::StatusOr<Checkpoint> cp = ParseCheckpointBody(note->text);
  if (!cp.ok()) return cp.status();
  absl::StatusOr<std::vector<Hash>> path = InclusionProof(index, cp->size);
  if (!path.ok()) return path.status();
  return FormatTlogProof(
      boai::ledger::TlogProof{"", index, std::move(*path), std::move(checkpoint)});
}

absl::StatusOr<std::optional<uint64_t>> Ledger::FindByKey(std::string_view key) const {
  absl::StatusOr<std::optional<std::string>> v = storage_->Get(Cf::kIndex, IdempotencyKey(key));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::nullopt;
  uint64_t index = DecodeU64(**v);
  if (index >= Size()) return std::nullopt;  // written but not yet synced
  return index;
}

}  // namespace boai::ledger
