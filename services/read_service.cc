// boai.v1.Ledger's reads and verification RPCs.
#include <spdlog/spdlog.h>

#include "ledger/checkpoint.h"
#include "ledger/cosignature.h"
#include "ledger/hash.h"
#include "ledger/leaf.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"
#include "services/ledger_service.h"
#include "services/status.h"

namespace boai::service {

// Reads
// ---------------------------------------------------------------------------

namespace {

absl::Status FillEntry(const ledger::Ledger& log, uint64_t index, v1::Entry* out) {
  absl::StatusOr<std::string> leaf = log.LeafAt(index);
  if (!leaf.ok()) return leaf.status();
  thread_local ledger::LeafDecoder decoder;
  absl::StatusOr<ledger::LeafView> view = decoder.DecodeView(*leaf);
  if (!view.ok()) {
    return absl::DataLossError(
        StrCat("entry ", index, " does not decode: ", ToStd(view.status().message())));
  }
  out->set_index(index);
  out->set_leaf_hash(std::string(ledger::HashBytes(ledger::LeafHash(*leaf))));
  out->set_kind(view->header.kind);
  out->set_key(view->header.key);
  out->set_time_ms(view->header.time_ms);
  out->set_body_json(std::string(view->body));
  nlohmann::json body = nlohmann::json::parse(view->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("by") && body["by"].is_string()) {
    out->set_by(body["by"].get<std::string>());
  }
  out->set_leaf(std::move(*leaf));
  return absl::OkStatus();
}

// The signed checkpoint at `tree_size`, or the latest for 0.
absl::StatusOr<std::string> CheckpointNote(const ledger::Ledger& ledger, uint64_t tree_size) {
  if (tree_size == 0) return ledger.LatestCheckpoint();
  return ledger.CheckpointAt(tree_size);
}

}  // namespace

grpc::Status LedgerService::GetEntry(grpc::ServerContext* ctx, const v1::GetEntryRequest* req,
                                     v1::Entry* out) {
  return Run(ctx, "GetEntry", Access::kRead,
             [&](const User&) { return FillEntry(*ledger_, req->index(), out); });
}

absl::StatusOr<std::vector<uint64_t>> LedgerService::FindEntries(const v1::ListEntriesRequest& req,
                                                                 size_t limit, uint64_t* scanned_to,
                                                                 uint64_t* end) {
  const uint64_t size = ledger_->Size();
  if (req.start() > size) {
    return absl::OutOfRangeError(StrCat("start ", req.start(), " is beyond the log's size ", size));
  }
  *end = size;
  if (req.count() != 0 && req.count() < size - req.start()) *end = req.start() + req.count();
  if (absl::Status s = IdsFit({{"account", req.account()},
                               {"fund", req.fund()},
                               {"campaign", req.campaign()},
                               {"kind", req.kind()}});
      !s.ok())
    return s;
  for (auto [field, value] : {std::pair{"account", &req.account()}, std::pair{"fund", &req.fund()},
                              std::pair{"campaign", &req.campaign()}}) {
    if (!value->empty()) {
      if (absl::Status s = books::CheckId(field, *value); !s.ok()) return s;
    }
  }
  // A filter naming nothing that exists is a typo to report, not "0 entries".
  if (!req.kind().empty() && !books::IsDefinedKind(req.kind()) && req.kind() != "log.genesis" &&
      req.kind() != ledger::kRotationKind) {
    return absl::InvalidArgumentError(
        StrCat("kind \"", req.kind(),
               "\" is not an entry kind, e.g. gift, payment.request, "
               "payment.approve, reversal, settlement (docs/accounting.md lists them all)"));
  }
  std::string unknown;
  books_->Read([&](const books::Books& b) {
    if (!req.account().empty() && !b.accounts().count(req.account())) {
      unknown = StrCat("account ", req.account(), " is not open");
    } else if (!req.fund().empty() && !b.funds().count(req.fund())) {
      unknown = StrCat("fund ", req.fund(), " is not open");
    } else if (!req.campaign().empty() && !b.campaigns().count(req.campaign())) {
      unknown = StrCat("campaign ", req.campaign(), " is not open");
    }
    return true;
  });
  if (!unknown.empty()) return absl::InvalidArgumentError(StrCat(unknown, " (check the filter)"));
  const std::string& donor = req.donor_commitment();
  if (!donor.empty() &&
      (donor.size() != 64 || donor.find_first_not_of("0123456789abcdef") != std::string::npos)) {
    return absl::InvalidArgumentError(
        StrCat("donor_commitment must be 64 lowercase hex digits (a SHA-256), got \"",
               ShortValue(donor), "\""));
  }
  if (absl::Status s = index_.CatchUp(); !s.ok()) return s;
  EntryFilter f{req.kind(), req.account(), req.fund(), req.campaign(), donor};
  return index_.Find(f, req.start(), *end, limit, scanned_to);
}

grpc::Status LedgerService::ListEntries(grpc::ServerContext* ctx, const v1::ListEntriesRequest* req,
                                        grpc::ServerWriter<v1::Entry>* writer) {
  return Run(ctx, "ListEntries", Access::kRead, [&](const User&) -> absl::Status {
    uint64_t scanned_to = 0, end = 0;
    absl::StatusOr<std::vector<uint64_t>> found =
        FindEntries(*req, req->limit(), &scanned_to, &end);
    if (!found.ok()) return found.status();
    for (uint64_t i : *found) {
      if (ctx->IsCancelled()) return absl::CancelledError("the client cancelled the stream");
      v1::Entry e;
      absl::Status s = FillEntry(*ledger_, i, &e);
      if (!s.ok()) return s;
      if (!writer->Write(e)) return absl::CancelledError("the client went away");
    }
    return absl::OkStatus();
  });
}

grpc::Status LedgerService::ListEntryPage(grpc::ServerContext* ctx,
                                          const v1::ListEntriesRequest* req, v1::EntryPage* out) {
  return Run(ctx, "ListEntryPage", Access::kRead, [&](const User&) -> absl::Status {
    constexpr uint32_t kDefaultPage = 100, kMaxPage = 1000;
    if (req->limit() > kMaxPage) {
      return absl::InvalidArgumentError(
          StrCat("limit ", req->limit(), " is more than a page may hold (", kMaxPage,
                 "); page with next_start, or stream with ListEntries"));
    }
    const size_t limit = req->limit() == 0 ? kDefaultPage : req->limit();
    // One more than the page holds: whether another page exists is then known.
    uint64_t scanned_to = 0, end = 0;
    absl::StatusOr<std::vector<uint64_t>> found = FindEntries(*req, limit + 1, &scanned_to, &end);
    if (!found.ok()) return found.status();
    const bool more = found->size() > limit;
    if (more) found->resize(limit);
    for (uint64_t i : *found) {
      if (absl::Status s = FillEntry(*ledger_, i, out->add_entries()); !s.ok()) return s;
    }
    out->set_next_start(more ? found->back() + 1 : end);
    out->set_more(more);
    out->set_tree_size(ledger_->Size());
    return absl::OkStatus();
  });
}

grpc::Status LedgerService::GetReceipt(grpc::ServerContext* ctx, const v1::GetReceiptRequest* req,
                                       v1::ReceiptRecord* out) {
  return Run(ctx, "GetReceipt", Access::kRead, [&](const User&) -> absl::Status {
    if (absl::Status s = IdsFit({{"book", req->book()}}); !s.ok()) return s;
    if (absl::Status s = books::CheckId("book", req->book()); !s.ok()) return s;
    if (req->number() <= 0) {
      return absl::InvalidArgumentError(
          StrCat("number must be a positive receipt number, got ", req->number()));
    }
    if (absl::Status s = index_.CatchUp(); !s.ok()) return s;
    EntryIndex::ReceiptEntries r = index_.Receipt(req->book(), req->number());
    out->set_book(req->book());
    out->set_number(req->number());
    if (r.issued.has_value()) {
      if (absl::Status s = FillEntry(*ledger_, *r.issued, out->mutable_gift()); !s.ok()) return s;
    }
    if (r.voided.has_value()) {
      absl::Status s = FillEntry(*ledger_, *r.voided, out->mutable_void_entry());
      if (!s.ok()) return s;
    }
    if (r.voided.has_value()) {
      out->set_state(v1::RECEIPT_VOIDED);
    } else if (r.issued.has_value()) {
      out->set_state(v1::RECEIPT_ISSUED);
    } else {
      // Neither: a gap if inside the book's used range.
      bool inside = books_->Read([&](const books::Books& b) {
        auto it = b.receipts().find(req->book());
        if (it == b.receipts().end()) return false;
        for (const auto& [first, last] : it->second.Gaps()) {
          if (req->number() >= first && req->number() <= last) return true;
        }
        return false;
      });
      out->set_state(inside ? v1::RECEIPT_MISSING : v1::RECEIPT_UNUSED);
    }
    return absl::OkStatus();
  });
}

grpc::Status LedgerService::ListReceipts(grpc::ServerContext* ctx,
                                         const v1::ListReceiptsRequest* req,
                                         v1::ListReceiptsResponse* out) {
  return Run(ctx, "ListReceipts", Access::kRead, [&](const User&) -> absl::Status {
    if (absl::Status s = IdsFit({{"book", req->book()}}); !s.ok()) return s;
    out->set_tree_size(ledger_->Size());
    bool found = books_->Read([&](const books::Books& b) {
      bool any = false;
      for (const auto& [id, book] : b.receipts()) {
        if (!req->book().empty() && id != req->book()) continue;
        any = true;
        v1::ReceiptBookRegister* r = out->add_books();
        r->set_book(id);
        for (const auto& [first, last] : book.issued) {
          v1::NumberRange* n = r->add_issued();
          n->set_first(first);
          n->set_last(last);
        }
        for (int64_t v : book.voided) r->add_voided(v);
        for (const auto& [first, last] : book.Gaps()) {
          v1::NumberRange* n = r->add_missing();
          n->set_first(first);
          n->set_last(last);
        }
      }
      return any;
    });
    if (!req->book().empty() && !found) {
      return absl::NotFoundError(
          StrCat("receipt book ", req->book(), " has no issued or voided number"));
    }
    return absl::OkStatus();
  });
}

grpc::Status LedgerService::GetBalances(grpc::ServerContext* ctx, const v1::GetBalancesRequest* req,
                                        v1::GetBalancesResponse* out) {
  return Run(ctx, "GetBalances", Access::kRead, [&](const User&) -> absl::Status {
    if (absl::Status s = IdsFit({{"fund", req->fund()}}); !s.ok()) return s;
    out->set_tree_size(ledger_->Size());
    bool found = books_->Read([&](const books::Books& b) {
      bool any = false;
      for (const auto& [id, f] : b.funds()) {
        if (!req->fund().empty() && id != req->fund()) continue;
        any = true;
        v1::FundBalance* fb = out->add_funds();
        fb->set_id(id);
        fb->set_name(f.def.name);
        fb->set_restricted(f.def.restricted);
        fb->set_net(f.net);
        fb->set_reserved(f.reserved);
        fb->set_voidable(f.voidable);
        fb->set_available(f.Available());
      }
      for (const auto& [key, amount] : b.balances()) {
        const auto& [account, fund] = key;
        if (amount == 0 || (!req->fund().empty() && fund != req->fund())) continue;
        v1::AccountBalance* ab = out->add_balances();
        ab->set_account(account);
        auto a = b.accounts().find(account);
        if (a != b.accounts().end()) ab->set_account_name(a->second.name);
        ab->set_fund(fund);
        ab->set_amount(amount);
      }
      return any;
    });
    if (!req->fund().empty() && !found) {
      return absl::NotFoundError(StrCat("fund ", req->fund(), " is not open"));
    }
    return absl::OkStatus();
  });
}

grpc::Status LedgerService::GetCampaign(grpc::ServerContext* ctx, const v1::GetCampaignRequest* req,
                                        v1::Campaign* out) {
  return Run(ctx, "GetCampaign", Access::kRead, [&](const User&) -> absl::Status {
    if (req->id().empty()) {
      return absl::InvalidArgumentError("id is required: the campaign's id, e.g. camp.99-2019");
    }
    if (absl::Status s = IdsFit({{"id", req->id()}}); !s.ok()) return s;
    bool found = books_->Read([&](const books::Books& b) {
      auto it = b.campaigns().find(req->id());
      if (it == b.campaigns().end()) return false;
      const books::CampaignState& c = it->second;
      out->set_id(c.def.id);
      out->set_name(c.def.name);
      out->set_fund(c.def.fund);
      out->set_platform(c.def.platform);
      out->set_start(c.def.start);
      out->set_end(c.def.end);
      out->set_target(c.def.target);
      out->set_raised(c.raised);
      out->set_gifts(c.gifts);
      out->set_online_unsettled(c.online_unsettled);
      out->set_matched(c.matched);
      out->set_clawed_back(c.clawed_back);
      out->set_settled_gifts(c.settled_gifts);
      out->set_settled_matching(c.settled_matching);
      out->set_progress(c.raised + c.matched - c.clawed_back);
      return true;
    });
    if (!found) return absl::NotFoundError(StrCat("campaign ", req->id(), " is not open"));
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------

grpc::Status LedgerService::GetCheckpoint(grpc::ServerContext* ctx,
                                          const v1::GetCheckpointRequest* req,
                                          v1::GetCheckpointResponse* out) {
  return Run(ctx, "GetCheckpoint", Access::kPublic, [&](const User&) -> absl::Status {
    absl::StatusOr<std::string> note = CheckpointNote(*ledger_, req->tree_size());
    if (!note.ok()) return note.status();
    out->set_verifier_key(ledger_->verifier().VerifierKey());
    return FillCheckpoint(*note, out->mutable_checkpoint());
  });
}

grpc::Status LedgerService::GetInclusionProof(grpc::ServerContext* ctx,
                                              const v1::GetInclusionProofRequest* req,
                                              v1::GetInclusionProofResponse* out) {
  return Run(ctx, "GetInclusionProof", Access::kPublic, [&](const User&) -> absl::Status {
    std::string note;
    uint64_t size = req->tree_size();
    if (size == 0) {
      note = ledger_->LatestCheckpoint();
      v1::SignedCheckpoint cp;
      if (absl::Status s = FillCheckpoint(note, &cp); !s.ok()) return s;
      size = cp.tree_size();
    } else if (absl::StatusOr<std::string> at = ledger_->CheckpointAt(size); at.ok()) {
      note = std::move(*at);
    }
    if (req->index() >= size) {
      return absl::OutOfRangeError(
          StrCat("entry ", req->index(), " is not in the tree of size ", size));
    }
    absl::StatusOr<std::vector<ledger::Hash>> path = ledger_->InclusionProof(req->index(), size);
    if (!path.ok()) return path.status();
    absl::StatusOr<std::string> leaf = ledger_->LeafAt(req->index());
    if (!leaf.ok()) return leaf.status();
    out->set_index(req->index());
    out->set_tree_size(size);
    out->set_leaf_hash(std::string(ledger::HashBytes(ledger::LeafHash(*leaf))));
    for (const ledger::Hash& h : *path) out->add_hashes(std::string(ledger::HashBytes(h)));
    if (!note.empty()) {
      if (absl::Status s = FillCheckpoint(note, out->mutable_checkpoint()); !s.ok()) return s;
      out->set_tlog_proof(
          ledger::FormatTlogProof(ledger::TlogProof{"", req->index(), *path, note}));
    }
    return absl::OkStatus();
  });
}

grpc::Status LedgerService::GetConsistencyProof(grpc::ServerContext* ctx,
                                                const v1::GetConsistencyProofRequest* req,
                                                v1::GetConsistencyProofResponse* out) {
  return Run(ctx, "GetConsistencyProof", Access::kPublic, [&](const User&) -> absl::Status {
    std::string note;
    uint64_t new_size = req->new_size();
    if (new_size == 0) {
      note = ledger_->LatestCheckpoint();
      v1::SignedCheckpoint cp;
      if (absl::Status s = FillCheckpoint(note, &cp); !s.ok()) return s;
      new_size = cp.tree_size();
    } else if (absl::StatusOr<std::string> at = ledger_->CheckpointAt(new_size); at.ok()) {
      note = std::move(*at);
    }
    if (req->old_size() == 0 || req->old_size() > new_size) {
      return absl::InvalidArgumentError(
          StrCat("old_size must be between 1 and new_size ", new_size, ", got ", req->old_size()));
    }
    absl::StatusOr<std::vector<ledger::Hash>> proof =
        ledger_->ConsistencyProof(req->old_size(), new_size);
    if (!proof.ok()) return proof.status();
    out->set_old_size(req->old_size());
    out->set_new_size(new_size);
    for (const ledger::Hash& h : *proof) out->add_hashes(std::string(ledger::HashBytes(h)));
    if (!note.empty()) return FillCheckpoint(note, out->mutable_checkpoint());
    return absl::OkStatus();
  });
}

grpc::Status LedgerService::GetCosignatures(grpc::ServerContext* ctx,
                                            const v1::GetCosignaturesRequest* req,
                                            v1::GetCosignaturesResponse* out) {
  return Run(ctx, "GetCosignatures", Access::kPublic, [&](const User&) -> absl::Status {
    uint64_t size = 0;
    if (!req->all()) {
      absl::StatusOr<std::string> note = CheckpointNote(*ledger_, req->tree_size());
      if (!note.ok()) return note.status();
      if (absl::Status s = FillCheckpoint(*note, out->mutable_checkpoint()); !s.ok()) return s;
      size = out->checkpoint().tree_size();
      out->set_tree_size(size);
    }
    // A handful per audit: listing them all and keeping one size is cheap, and
    // keeps each cosigner's name as stored (a line that does not parse has one too).
    absl::StatusOr<std::vector<ledger::StoredCosignature>> stored =
        ledger::ListCosignatures(*ledger_->storage());
    if (!stored.ok()) return stored.status();
    for (ledger::StoredCosignature& c : *stored) {
      if (!req->all() && c.tree_size != size) continue;
      v1::CosignatureLine* line = out->add_cosignatures();
      line->set_tree_size(c.tree_size);
      line->set_name(std::move(c.name));
      line->set_line(std::move(c.line));
    }
    return absl::OkStatus();
  });
}

}  // namespace boai::service
