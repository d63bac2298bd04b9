// boai import FILE: a platform settlement CSV (csv.h), checked line by line, then
// streamed to boaid's Import RPC with idempotency keys derived from the
// platform's transaction ids, so a re-run (after a failure, or by mistake) adds
// nothing that is already recorded.
#include <unistd.h>

#include <iostream>
#include <map>

#include "ledger/hash.h"
#include "ledger/strings.h"
#include "tools/boai/common.h"
#include "tools/boai/csv.h"

namespace boai::cli {
namespace {

// A progress bar on stderr, drawn only when stderr is a terminal.
class Progress {
 public:
  Progress(bool enabled, size_t total) : on_(enabled && ::isatty(2) == 1), total_(total) {}
  void Update(size_t done) {
    if (!on_ || total_ == 0) return;
    size_t pct = done * 100 / total_;
    if (pct == last_pct_ && done != total_) return;
    last_pct_ = pct;
    constexpr size_t kWidth = 30;
    size_t filled = done * kWidth / total_;
    std::cerr << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] "
              << done << "/" << total_ << " rows " << pct << "%" << std::flush;
  }
  void Finish() {
    if (on_ && last_pct_ != SIZE_MAX) std::cerr << "\n";
  }

 private:
  bool on_;
  size_t total_;
  size_t last_pct_ = SIZE_MAX;
};

struct KindTotals {
  size_t rows = 0, added = 0, already = 0, failed = 0;
  int64_t amount = 0, amount_added = 0;
};

void PrintErrors(const std::string& file, const std::vector<LineError>& errors) {
  for (const LineError& e : errors) std::cerr << file << ":" << e.line << ": " << e.reason << "\n";
}

json ErrorsJson(const std::vector<LineError>& errors) {
  json a = json::array();
  for (const LineError& e : errors) a.push_back({{"line", e.line}, {"error", e.reason}});
  return a;
}

void PrintTotals(const std::map<std::string, KindTotals>& by_kind, bool dry_run) {
  std::vector<std::vector<std::string>> rows;
  KindTotals all;
  for (const auto& [kind, t] : by_kind) {
    if (dry_run) {
      rows.push_back({kind, std::to_string(t.rows), Yuan(t.amount)});
    } else {
      rows.push_back({kind, std::to_string(t.rows), std::to_string(t.added),
                      std::to_string(t.already), std::to_string(t.failed), Yuan(t.amount_added)});
    }
    all.rows += t.rows;
    all.added += t.added;
    all.already += t.already;
    all.failed += t.failed;
    all.amount += t.amount;
    all.amount_added += t.amount_added;
  }
  if (dry_run) {
    rows.push_back({"total", std::to_string(all.rows), Yuan(all.amount)});
    PrintTable(std::cout, {"rows", "good", "amount (yuan)"}, rows, {1, 2});
  } else {
    rows.push_back({"total", std::to_string(all.rows), std::to_string(all.added),
                    std::to_string(all.already), std::to_string(all.failed),
                    Yuan(all.amount_added)});
    PrintTable(std::cout, {"rows", "sent", "new", "already recorded", "failed", "new (yuan)"}, rows,
               {1, 2, 3, 4, 5});
  }
}

}  // namespace

int Import(const Global& g, Client& c, const ImportArgs& a) {
  absl::StatusOr<std::string> text = ReadFile(a.file);
  if (!text.ok()) return Fail(text.status());
  const std::string sha256 = ledger::HashToHex(ledger::Sha256(*text));
  SettlementFile file = ParseSettlementCsv(*text);
  std::map<std::string, KindTotals> by_kind;
  for (const SettlementRow& r : file.rows) {
    by_kind[r.type].rows++;
    by_kind[r.type].amount += r.amount;
  }

  if (a.dry_run || !file.errors.empty()) {
    if (g.json) {
      json kinds = json::object();
      for (const auto& [k, t] : by_kind) kinds[k] = {{"rows", t.rows}, {"amount", t.amount}};
      std::cout << json{{"ok", file.errors.empty()},
                        {"dry_run", a.dry_run},
                        {"file", a.file},
                        {"sha256", sha256},
                        {"lines", file.data_lines},
                        {"good", file.rows.size()},
                        {"bad", file.errors.size()},
                        {"errors", ErrorsJson(file.errors)},
                        {"by_kind", kinds},
                        {"unit", "fen"}}
                       .dump(2)
                << "\n";
    } else {
      PrintErrors(a.file, file.errors);
      std::cout << a.file << " (sha256 " << sha256 << "): " << file.data_lines << " rows, "
                << file.rows.size() << " good, " << file.errors.size() << " bad\n";
      PrintTotals(by_kind, true);
    }
    if (!file.errors.empty()) {
      if (!a.dry_run && !g.json) {
        std::cerr << "boai: nothing was imported: fix the lines above (or remove them) and run "
                     "again; --dry-run checks a file without importing\n";
      }
      return a.dry_run ? 1 : 2;
    }
    return 0;
  }

  // Each campaign's fund: a gift goes to the fund of its campaign.
  std::map<std::string, std::string> fund_of;
  for (const SettlementRow& r : file.rows) {
    if (r.type != "gift" || fund_of.count(r.campaign)) continue;
    v1::GetCampaignRequest req;
    req.set_id(r.campaign);
    v1::Campaign camp;
    grpc::Status s = c.stub()->GetCampaign(c.Ctx().get(), req, &camp);
    if (!s.ok()) {
      std::cerr << "boai: " << a.file << ":" << r.line << ": campaign " << r.campaign << "\n";
      return FailRpc(g, s);
    }
    fund_of[r.campaign] = camp.fund();
  }

  Progress progress(a.progress && !g.json, file.rows.size());
  std::vector<LineError> failures;
  std::vector<std::string> failure_codes;
  std::string checkpoint;
  uint64_t tree_size = 0;
  const size_t per_stream = std::max<size_t>(1, a.stream_items);
  for (size_t first = 0; first < file.rows.size(); first += per_stream) {
    const size_t last = std::min(file.rows.size(), first + per_stream);
    v1::ImportGiftsResponse resp;
    auto ctx = c.Ctx();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
    std::unique_ptr<grpc::ClientWriter<v1::ImportItem>> w = c.stub()->Import(ctx.get(), &resp);
    v1::ImportItem item;
    for (size_t i = first; i < last; ++i) {
      const SettlementRow& r = file.rows[i];
      item.Clear();
      if (r.type == "gift") {
        v1::RecordGiftRequest* gr = item.mutable_gift();
        gr->set_idempotency_key(ImportKey(r));
        gr->set_date(r.date);
        gr->set_channel("online");
        gr->set_income("donation");
        gr->set_fund(fund_of[r.campaign]);
        gr->set_campaign(r.campaign);
        gr->set_amount(r.amount);
        if (!r.donor_name.empty() || !r.donor_phone.empty()) {
          gr->mutable_donor()->set_name(r.donor_name);
          gr->mutable_donor()->set_phone(r.donor_phone);
        }
        if (r.display == "anonymous" || r.donor_name.empty()) {
          gr->set_display(v1::DONOR_DISPLAY_ANONYMOUS);
        } else {
          gr->set_display(v1::DONOR_DISPLAY_MASKED_NAME);
        }
        gr->set_receipt_book(r.receipt_book);
        gr->set_receipt_number(r.receipt_number);
        gr->set_no_receipt(r.no_receipt);
      } else {
        v1::RecordMatchRequest* m = item.mutable_match();
        m->set_idempotency_key(ImportKey(r));
        m->set_date(r.date);
        m->set_campaign(r.campaign);
        m->set_platform_ref(r.transaction_id);
        m->set_amount(r.amount);
      }
      if (!w->Write(item)) break;  // the server ended the call: Finish says why
      progress.Update(i + 1);
    }
    w->WritesDone();
    grpc::Status s = w->Finish();
    if (!s.ok()) {
      progress.Finish();
      size_t done = 0;
      for (const auto& [k, t] : by_kind) done += t.added + t.already;
      std::cerr << "boai: the import stopped at row " << first + 1 << " of " << file.rows.size()
                << " (line " << file.rows[first].line << "); rows before it are recorded (" << done
                << "). Run the same command again: recorded rows are not added twice\n";
      return FailRpc(g, s);
    }
    std::vector<bool> answered(last - first, false);
    for (const v1::ImportItemResult& res : resp.results()) {
      if (res.item() == 0 || res.item() > last - first || answered[res.item() - 1]) continue;
      answered[res.item() - 1] = true;
      const SettlementRow& r = file.rows[first + res.item() - 1];
      KindTotals& t = by_kind[r.type];
      if (!res.ok()) {
        ++t.failed;
        // The server prefixes "item N: "; the line number is what a person needs.
        std::string why = res.error();
        if (size_t colon = why.find(": "); why.rfind("item ", 0) == 0 && colon != std::string::npos)
          why = why.substr(colon + 2);
        failures.push_back({r.line, why});
        failure_codes.push_back(
            std::string(CodeName(static_cast<grpc::StatusCode>(res.error_code()))));
      } else if (res.duplicate()) {
        ++t.already;
      } else {
        ++t.added;
        t.amount_added += r.amount;
      }
    }
    // A row the server did not answer was not recorded (the server stopped reading the
    // stream early, e.g. on a message it could not parse): count it as failed.
    for (size_t k = 0; k < answered.size(); ++k) {
      if (answered[k]) continue;
      ++by_kind[file.rows[first + k].type].failed;
      failures.push_back({file.rows[first + k].line,
                          "the server returned no result for this row, so it was not recorded; "
                          "run the same command again"});
      failure_codes.push_back(std::string(CodeName(grpc::StatusCode::UNKNOWN)));
    }
    if (resp.checkpoint().tree_size() > tree_size) {
      tree_size = resp.checkpoint().tree_size();
      checkpoint = resp.checkpoint().note();
    }
  }
  progress.Finish();

  size_t added = 0, already = 0;
  for (const auto& [k, t] : by_kind) {
    added += t.added;
    already += t.already;
  }
  if (g.json) {
    json kinds = json::object();
    for (const auto& [k, t] : by_kind) {
      kinds[k] = {{"rows", t.rows},
                  {"new", t.added},
                  {"already_recorded", t.already},
                  {"failed", t.failed},
                  {"amount_new", t.amount_added}};
    }
    json fails = json::array();
    for (size_t i = 0; i < failures.size(); ++i) {
      fails.push_back(
          {{"line", failures[i].line}, {"code", failure_codes[i]}, {"error", failures[i].reason}});
    }
    std::cout << json{{"ok", failures.empty()},
                      {"file", a.file},
                      {"sha256", sha256},
                      {"rows", file.rows.size()},
                      {"new", added},
                      {"already_recorded", already},
                      {"failed", failures.size()},
                      {"failures", fails},
                      {"by_kind", kinds},
                      {"tree_size", tree_size},
                      {"checkpoint", checkpoint},
                      {"unit", "fen"}}
                     .dump(2)
              << "\n";
  } else {
    for (size_t i = 0; i < failures.size(); ++i) {
      std::cerr << a.file << ":" << failures[i].line << ": " << failure_codes[i] << ": "
                << failures[i].reason << "\n";
    }
    std::cout << a.file << " (sha256 " << sha256 << ")\n";
    PrintTotals(by_kind, false);
    std::cout << added << " new, " << already << " already recorded, " << failures.size()
              << " failed";
    if (tree_size > 0) std::cout << "; log size " << tree_size;
    std::cout << "\n";
  }
  return failures.empty() ? 0 : 1;
}

}  // namespace boai::cli
