#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "ledger/checkpoint.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"
#include "tools/audit/audit.h"

namespace boai::audit {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

const char* StateName(CosignatureCheck::State s) {
  switch (s) {
    case CosignatureCheck::State::kVerified:
      return "verified";
    case CosignatureCheck::State::kUnverified:
      return "unverified (key not given)";
    case CosignatureCheck::State::kFailed:
      return "FAILED";
  }
  return "";
}

std::string UtcTime(uint64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string KeyLabel(const Outcome& o) {
  if (!o.report.vkey_from_database) return "  (pinned)";
  if (o.online) {
    return "  (sent by the server and trusted on first use: compare it with the key the "
           "society published, or pin it with --vkey)";
  }
  return "  (read from the database: compare it with the key the society published, or pin "
         "it with --vkey)";
}

nlohmann::json Json(const Outcome& o) {
  const ledger::VerifyReport& r = o.report;
  nlohmann::json out = {{"ok", r.ok()},
                        {"source", o.source},
                        {"online", o.online},
                        {"origin", r.origin},
                        {"vkey", r.vkey},
                        {"vkey_from_database", r.vkey_from_database},
                        {"entries", r.entries},
                        {"bytes", r.bytes},
                        {"checkpoints", r.checkpoints},
                        {"tree_nodes", r.tree_nodes},
                        {"seconds", o.seconds}};
  if (r.entries > 0) out["root"] = ledger::HashToBase64(r.root);
  nlohmann::json keys = nlohmann::json::array();
  for (size_t e = 0; e < r.keys.epochs().size(); ++e) {
    const ledger::KeyEpoch& k = r.keys.epochs()[e];
    keys.push_back(
        {{"vkey", k.verifier.VerifierKey()},
         {"first_checkpoint_size", k.first_size},
         {"rotation_index", e == 0 ? nlohmann::json(nullptr) : nlohmann::json(k.rotation_index)}});
  }
  out["keys"] = keys;
  nlohmann::json saved = nlohmann::json::array();
  for (const SavedCheckpoint& s : o.saved) {
    saved.push_back({{"file", s.path}, {"consistent", s.problem.empty()}});
  }
  out["saved_checkpoints"] = saved;
  if (o.cosignatures_checked) {
    nlohmann::json cos = nlohmann::json::array();
    for (const CosignatureCheck& c : o.cosignatures) {
      nlohmann::json j = {
          {"tree_size", c.tree_size},
          {"name", c.name},
          {"status", c.state == CosignatureCheck::State::kVerified     ? "verified"
                     : c.state == CosignatureCheck::State::kUnverified ? "unverified"
                                                                       : "failed"}};
      if (!c.key_id.empty()) j["key_id"] = c.key_id;
      if (c.timestamp.has_value()) {
        j["time"] = *c.timestamp;
        j["time_utc"] = UtcTime(*c.timestamp);
      }
      if (!c.detail.empty()) j["detail"] = c.detail;
      cos.push_back(std::move(j));
    }
    out["cosignatures"] = cos;
  }
  if (o.replay != nullptr) {
    const books::Books& b = o.replay->books();
    nlohmann::json funds = nlohmann::json::object();
    for (const auto& [id, f] : b.funds()) {
      funds[id] = {{"name", f.def.name},     {"restricted", f.def.restricted},
                   {"net", f.net},           {"reserved", f.reserved},
                   {"voidable", f.voidable}, {"available", f.Available()}};
    }
    nlohmann::json receipts = nlohmann::json::object();
    for (const auto& [book, rb] : b.receipts()) {
      nlohmann::json gaps = nlohmann::json::array();
      for (const auto& [lo, hi] : rb.Gaps()) gaps.push_back({lo, hi});
      receipts[book] = {{"voided", rb.voided}, {"gaps", gaps}};
    }
    out["books"] = {{"accounting_entries", o.replay->accounting_entries()},
                    {"compared_with", o.state_compared},
                    {"funds", funds},
                    {"pending_payments", b.pending().size()},
                    {"reversals", b.reversed().size()},
                    {"receipts", receipts}};
  }
  if (r.finding.has_value()) {
    const ledger::Finding& f = *r.finding;
    out["finding"] = {{"check", f.check}, {"detail", f.detail}};
    if (f.index.has_value()) out["finding"]["index"] = *f.index;
  }
  return out;
}

}  // namespace

int Error(const absl::Status& s) {
  std::cerr << "boai-audit: " << ToStd(s.message()) << "\n";
  // Bad arguments are usage errors; everything else is about the data.
  return s.code() == absl::StatusCode::kInvalidArgument ||
                 s.code() == absl::StatusCode::kNotFound ||
                 s.code() == absl::StatusCode::kOutOfRange
             ? kExitUsage
             : kExitBad;
}

absl::StatusOr<std::string> KeyArgument(const std::string& arg) {
  if (arg.find('+') != std::string::npos) return std::string(StripWhitespace(arg));
  absl::StatusOr<std::string> k = ReadFile(arg);
  if (!k.ok()) {
    return absl::InvalidArgumentError(
        StrCat("\"", arg, "\" is neither a key (name+id+base64) nor a readable file"));
  }
  return std::string(StripWhitespace(*k));
}

absl::StatusOr<std::unique_ptr<ledger::Ledger>> OpenReadOnly(const std::string& dir) {
  ledger::LedgerOptions o;
  o.read_only = true;
  return ledger::Ledger::Open(dir, std::move(o));
}

std::string Thousands(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(i, ",");
  return s;
}

std::string Yuan(int64_t fen) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%s%s.%02lld", fen < 0 ? "-" : "",
                Thousands(static_cast<uint64_t>(fen < 0 ? -fen : fen) / 100).c_str(),
                static_cast<long long>((fen < 0 ? -fen : fen) % 100));
  return buf;
}

std::string Ranges(const std::vector<std::pair<int64_t, int64_t>>& ranges) {
  std::string out;
  for (const auto& [lo, hi] : ranges) {
    if (!out.empty()) out += ", ";
    out += lo == hi ? std::to_string(lo) : StrCat(lo, "-", hi);
  }
  return out;
}

Progress::Progress(bool enabled, std::string verb)
    : enabled_(enabled && ::isatty(STDERR_FILENO)), verb_(std::move(verb)), start_(Now()) {}

void Progress::Update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  double now = Now();
  if (now - last_ < 0.2 && done != total) return;  // a few redraws a second
  last_ = now;
  double rate = now > start_ ? done / (now - start_) : 0;
  std::fprintf(stderr, "\r\033[K  %s %s / %s entries (%s entries/s)", verb_.c_str(),
               Thousands(done).c_str(), Thousands(total).c_str(),
               Thousands(static_cast<uint64_t>(rate)).c_str());
}

void Progress::Clear() {
  if (enabled_) std::fprintf(stderr, "\r\033[K");
}

std::string CheckSavedCheckpoint(
    const std::string& path, const ledger::KeySchedule& keys, const std::string& origin,
    uint64_t entries, const ledger::Hash& root, std::string_view log,
    const std::function<absl::StatusOr<std::vector<ledger::Hash>>(uint64_t size)>& proof_for) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return std::string(ToStd(text.status().message()));
  absl::StatusOr<ledger::Note> note = ledger::ParseNote(*text);
  if (!note.ok()) return StrCat(path, ": ", note.status().message());
  absl::StatusOr<ledger::Checkpoint> cp = ledger::ParseCheckpointBody(note->text);
  if (!cp.ok()) return StrCat(path, ": ", cp.status().message());
  // Signed by the key in force at its size (the chain's rotations were verified).
  absl::Status sig = ledger::VerifyCheckpointSignatures(*note, keys, cp->size);
  if (!sig.ok()) return StrCat(path, ": ", sig.message());
  if (cp->origin != origin) {
    return StrCat(path, " is for log \"", cp->origin, "\", ", log, " is \"", origin, "\"");
  }
  if (cp->size > entries) {
    return StrCat(path, " is signed for ", cp->size, " entries but ", log, " holds only ", entries,
                  ": entries were removed since that checkpoint");
  }
  if (cp->size == 0) return StrCat(path, " is for an empty tree; nothing to compare");
  absl::StatusOr<std::vector<ledger::Hash>> proof = proof_for(cp->size);
  if (!proof.ok()) return StrCat(path, ": ", proof.status().message());
  absl::Status ok = ledger::VerifyConsistency(cp->size, entries, cp->root, root, *proof);
  if (!ok.ok()) {
    return StrCat(log, " is not consistent with ", path, " (size ", cp->size,
                  "): history before that size was rewritten (", ok.message(), ")");
  }
  return "";
}

int PrintOutcome(const Outcome& o, bool json) {
  const ledger::VerifyReport& r = o.report;
  if (json) {
    std::cout << Json(o).dump(2) << "\n";
    return r.ok() ? kExitOk : kExitBad;
  }
  std::cout << (o.online ? "server      " : "ledger      ") << o.source << "\n"
            << "origin      " << r.origin << "\n"
            << "log key     " << r.vkey << KeyLabel(o) << "\n";
  const std::vector<ledger::KeyEpoch>& epochs = r.keys.epochs();
  if (epochs.size() > 1) {
    std::cout << "key history created with " << epochs[0].verifier.VerifierKey() << "\n";
    for (size_t e = 1; e < epochs.size(); ++e) {
      std::cout << "            entry " << epochs[e].rotation_index << " rotated to "
                << epochs[e].verifier.VerifierKey() << "\n";
    }
  }
  std::cout << "entries     " << Thousands(r.entries) << " (" << Thousands(r.bytes) << " bytes"
            << (o.online ? ", hashed here" : "") << ")\n"
            << "checkpoints " << Thousands(r.checkpoints) << " signatures and roots checked\n";
  if (!o.online) std::cout << "tree nodes  " << Thousands(r.tree_nodes) << " compared\n";
  if (r.ok()) std::cout << "root        " << ledger::HashToBase64(r.root) << "\n";
  if (o.replay != nullptr && r.ok()) {
    const books::Books& b = o.replay->books();
    std::cout << "books       " << Thousands(o.replay->accounting_entries())
              << " accounting entries replayed under the rules; " << o.state_compared
              << " matches\n";
    std::printf("\n  %-24s %10s %16s %14s %14s %16s\n", "fund", "restricted", "net assets",
                "reserved", "voidable", "available");
    for (const auto& [id, f] : b.funds()) {
      std::printf("  %-24s %10s %16s %14s %14s %16s\n", id.c_str(), f.def.restricted ? "yes" : "no",
                  Yuan(f.net).c_str(), Yuan(f.reserved).c_str(), Yuan(f.voidable).c_str(),
                  Yuan(f.Available()).c_str());
    }
    for (const auto& [book, rb] : b.receipts()) {
      std::string voided;
      for (int64_t v : rb.voided) voided += (voided.empty() ? "" : ", ") + std::to_string(v);
      std::cout << "\n  receipt book " << book << ": voided " << (voided.empty() ? "none" : voided)
                << "; gaps " << (rb.Gaps().empty() ? "none" : Ranges(rb.Gaps())) << "\n";
    }
    std::cout << "  pending payment requests: " << b.pending().size()
              << "; reversals: " << b.reversed().size() << "\n\n";
  }
  for (const SavedCheckpoint& s : o.saved) {
    if (s.problem.empty()) std::cout << "consistent  with " << s.path << "\n";
  }
  if (o.cosignatures_checked) {
    if (o.cosignatures.empty()) std::cout << "cosigned    by no one yet\n";
    for (const CosignatureCheck& c : o.cosignatures) {
      std::cout << "cosignature size " << c.tree_size << " by " << c.name;
      if (c.timestamp.has_value()) std::cout << " at " << UtcTime(*c.timestamp);
      std::cout << ": " << StateName(c.state);
      if (c.state == CosignatureCheck::State::kFailed) std::cout << ": " << c.detail;
      std::cout << "\n";
    }
  }
  std::printf("time        %.2f s\n", o.seconds);
  if (r.ok()) {
    std::cout << "INTACT\n";
    return kExitOk;
  }
  const ledger::Finding& f = *r.finding;
  if (f.index.has_value()) {
    std::cout << "BROKEN at entry " << *f.index << " [" << f.check << "]: " << f.detail << "\n";
  } else {
    std::cout << "BROKEN [" << f.check << "]: " << f.detail << "\n";
  }
  return kExitBad;
}

}  // namespace boai::audit
