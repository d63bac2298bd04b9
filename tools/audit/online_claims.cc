// verify --target: the server's balances, saved checkpoints and cosignatures, checked here.
#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "boai/v1/ledger.grpc.pb.h"
#include "ledger/books/books.h"
#include "ledger/checkpoint.h"
#include "ledger/cosignature.h"
#include "ledger/hash.h"
#include "ledger/strings.h"
#include "tools/audit/audit.h"
#include "tools/audit/online_verifier.h"

namespace boai::audit {

using ledger::Hash;

std::string OnlineVerifier::CompareBalances(const v1::GetBalancesResponse& b) const {
  const books::Books& books = replay_->books();
  std::map<std::string, const v1::FundBalance*> server;
  for (const v1::FundBalance& f : b.funds()) server[f.id()] = &f;
  for (const auto& [id, f] : books.funds()) {
    auto it = server.find(id);
    if (it == server.end()) {
      return StrCat("the server does not report fund ", id, ", which the entries open");
    }
    const v1::FundBalance& s = *it->second;
    auto differ = [&](std::string_view what, int64_t theirs, int64_t ours) {
      return StrCat("the server reports ", what, " of fund ", id, " as ", Yuan(theirs),
                    " yuan but the entries give ", Yuan(ours), " yuan");
    };
    if (s.net() != f.net) return differ("the net assets", s.net(), f.net);
    if (s.reserved() != f.reserved) return differ("the reservations", s.reserved(), f.reserved);
    if (s.voidable() != f.voidable)
      return differ("the voidable matching", s.voidable(), f.voidable);
    if (s.available() != f.Available())
      return differ("the available money", s.available(), f.Available());
    if (s.restricted() != f.def.restricted || s.name() != f.def.name) {
      return StrCat("the server describes fund ", id, " differently from its fund.open entry");
    }
    server.erase(it);
  }
  if (!server.empty()) {
    return StrCat("the server reports fund ", server.begin()->first, ", which no entry opens");
  }
  std::map<std::pair<std::string, std::string>, int64_t> ours;
  for (const auto& [key, amount] : books.balances()) {
    if (amount != 0) ours[key] = amount;
  }
  for (const v1::AccountBalance& a : b.balances()) {
    auto it = ours.find({a.account(), a.fund()});
    int64_t mine = it == ours.end() ? 0 : it->second;
    if (mine != a.amount()) {
      return StrCat("the server reports account ", a.account(), " of fund ", a.fund(), " at ",
                    Yuan(a.amount()), " yuan but the entries give ", Yuan(mine), " yuan");
    }
    if (it != ours.end()) ours.erase(it);
  }
  if (!ours.empty()) {
    const auto& [key, amount] = *ours.begin();
    return StrCat("the server does not report account ", key.first, " of fund ", key.second,
                  ", which the entries give ", Yuan(amount), " yuan");
  }
  return "";
}

std::string OnlineVerifier::CheckSaved(const std::string& path, uint64_t size) {
  return CheckSavedCheckpoint(
      path, keys_, report().origin, size, report().root, "the server's log",
      [this, size](uint64_t old_size) -> absl::StatusOr<std::vector<Hash>> {
        v1::GetConsistencyProofRequest req;
        req.set_old_size(old_size);
        req.set_new_size(size);
        v1::GetConsistencyProofResponse resp;
        grpc::Status s = stub_->GetConsistencyProof(Ctx().get(), req, &resp);
        if (!s.ok()) return RpcError("GetConsistencyProof", args_.target, s);
        std::vector<Hash> proof;
        for (const std::string& h : resp.hashes()) {
          absl::StatusOr<Hash> hash = ledger::HashFromBytes(h);
          if (!hash.ok()) {
            return absl::InvalidArgumentError(
                StrCat("the server's consistency proof: ", hash.status().message()));
          }
          proof.push_back(*hash);
        }
        return proof;
      });
}

absl::StatusOr<bool> OnlineVerifier::FetchCosignatures() {
  v1::GetCosignaturesRequest req;
  req.set_all(true);
  v1::GetCosignaturesResponse resp;
  grpc::Status s = stub_->GetCosignatures(Ctx().get(), req, &resp);
  if (s.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    std::cerr << "boai-audit: warning: " << args_.target
              << " does not serve cosignatures (a boaid older than GetCosignatures); they are "
                 "not checked: verify a copy of the data directory with --data for them\n";
    return false;
  }
  if (!s.ok()) return RpcError("GetCosignatures", args_.target, s);
  std::vector<ledger::StoredCosignature> list;
  for (const v1::CosignatureLine& c : resp.cosignatures()) {
    list.push_back({c.tree_size(), c.name(), c.line()});
    if (c.tree_size() > 0) cosigned_roots_.emplace(c.tree_size(), Hash{});
  }
  cosignatures_ = std::move(list);
  return true;
}

absl::StatusOr<bool> OnlineVerifier::CheckCosignaturesAt(uint64_t size) {
  // The server's checkpoint at each cosigned size within the log, checked as the
  // offline verifier checks every stored checkpoint: signature, origin, root.
  std::map<uint64_t, std::string> notes;
  for (const auto& [at, root] : cosigned_roots_) {
    if (at > size) break;
    v1::GetCheckpointRequest req;
    req.set_tree_size(at);
    v1::GetCheckpointResponse resp;
    grpc::Status s = stub_->GetCheckpoint(Ctx().get(), req, &resp);
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) continue;  // the log signed none there
    if (!s.ok()) return RpcError(StrCat("GetCheckpoint ", at), args_.target, s);
    ledger::Checkpoint cp;
    if (!CheckCheckpoint(resp.checkpoint(), at, &cp)) return false;
    if (cp.root != root) {
      return Fail(at - 1, "checkpoint-root",
                  StrCat("the server's checkpoint at tree size ", at, " has root ",
                         ledger::HashToBase64(cp.root), " but the leaves give ",
                         ledger::HashToBase64(root)));
    }
    notes[at] = resp.checkpoint().note();
  }
  outcome_.cosignatures = CheckCosignatureLines(
      *cosignatures_, size,
      [&notes](uint64_t at) -> absl::StatusOr<std::string> {
        auto it = notes.find(at);
        if (it == notes.end()) return absl::NotFoundError("");
        return it->second;
      },
      cosigners_);
  outcome_.cosignatures_checked = true;
  if (std::optional<ledger::Finding> f = CosignatureFinding(outcome_.cosignatures)) {
    return Fail(f->index, f->check, f->detail);
  }
  return true;
}

}  // namespace boai::audit
