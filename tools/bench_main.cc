// boai-bench: load and timing, reported as ratios against baselines measured in
// the same run (the machine is shared and noisy).
//
//   boai-bench append --data DIR --count N [--batch B] [--threads T] [--no-sync] [--rounds R]
//   boai-bench verify --data LEDGER_DIR [--rounds R]
//   boai-bench grpc --target HOST:PORT --token-file FILE --clients C --seconds S [--batch B]
//     (tools/bench_grpc.cc: unary and streaming gifts through a running boaid)
//
// 1. appends N synthetic donation-like entries through the core (T threads, B
//    entries per call), then writes the same number and size of values to a plain
//    RocksDB with the same sync setting, and prints both rates and their ratio;
// 2. times inclusion and consistency proofs at the final size (p50, p99);
// 3. verifies the whole ledger and compares its MB/s with raw SHA-256 over the
//    same leaf bytes (R rounds, interleaved; the median ratio and its range);
// 4. reports peak RSS of each phase.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "ledger/books/books_hook.h"
#include "ledger/books/clerk.h"
#include "ledger/books/replay.h"
#include "ledger/canonical_json.h"
#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "ledger/storage.h"
#include "ledger/strings.h"
#include "ledger/verify.h"
#include "nlohmann/json.hpp"
#include "rocksdb/db.h"
#include "tools/bench_grpc.h"
#include "tools/bench_machine.h"
#include "tools/cli_input.h"

namespace boai::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Peak RSS since the last ResetPeakRss(), in MiB (Linux: VmHWM).
void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }
double PeakRssMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// The funds the synthetic gifts go to, opened before the load.
constexpr const char* kFunds[] = {"fund.little-angel", "fund.spring-relief", "fund.99-giving-day",
                                  "fund.unrestricted"};

// A gift exactly as the accounting layer records one (canonical JSON, ~400-byte
// leaf, valid under every rule: postings, receipt number, user), formatted
// directly so that generating it costs little next to appending it.
std::string SyntheticBody(std::mt19937_64& rng, uint64_t n) {
  static const char* kNames[] = {"张*", "李*", "爱心人士", "王*"};
  char commitment[65];
  for (int i = 0; i < 64; i += 16)
    std::snprintf(commitment + i, 17, "%016llx", static_cast<unsigned long long>(rng()));
  const uint64_t amount = rng() % 5000000 + 100;
  const bool cash = rng() % 2 == 0;
  const char* fund = kFunds[rng() % 4];
  return StrCat("{\"amount\":", amount, ",\"by\":\"clerk.bench\",\"channel\":\"",
                cash ? "cash" : "bank", "\",\"date\":\"2019-09-09\",\"donor\":{\"commitment\":\"",
                std::string_view(commitment, 64), "\",\"display\":\"", kNames[rng() % 4],
                "\"},\"fund\":\"", fund, "\",\"income\":\"donation\",\"postings\":[{\"account\":\"",
                cash ? "1001" : "1002", "\",\"amount\":", amount, ",\"fund\":\"", fund,
                "\"},{\"account\":\"4101\",\"amount\":-", amount, ",\"fund\":\"", fund,
                "\"}],\"receipt\":{\"book\":\"HB2019\",\"number\":", n + 1, "}}");
}

// Opens the standard chart and the funds, as an administrator would first.
absl::Status OpenBooks(const books::Clerk& clerk) {
  if (absl::Status s = clerk.OpenStandardChart("admin").status(); !s.ok()) return s;
  for (const char* id : kFunds) {
    books::FundOpen f;
    f.id = id;
    f.name = id;
    f.purpose = "benchmark";
    f.restricted = std::string_view(id) != "fund.unrestricted";
    absl::StatusOr<ledger::AppendResult> r =
        clerk.Record("fund.open", "admin", f, StrCat("fund/", id));
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

struct Percentiles {
  double p50_us, p99_us;
};

Percentiles Measure(std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

// One verification of the ledger in ledger_dir (read-only open included): its
// report, or the failure already printed. `seconds` and `rss` are set.
std::optional<ledger::VerifyReport> VerifyOnce(const std::string& ledger_dir, bool tree,
                                               bool with_books, bool* state_compared,
                                               double* seconds, double* rss) {
  ResetPeakRss();
  auto v0 = Clock::now();
  ledger::StorageOptions so;
  so.read_only = true;
  absl::StatusOr<std::unique_ptr<ledger::Storage>> st =
      ledger::Storage::Open(ledger::DatabasePath(ledger_dir), so);
  if (!st.ok()) {
    std::cerr << "boai-bench: " << ToStd(st.status().message()) << "\n";
    return std::nullopt;
  }
  ledger::VerifyOptions vo;
  vo.check_tree = tree;
  std::optional<books::Replay> replay;
  if (with_books) {
    replay.emplace(st->get());
    vo.checker = &*replay;
  }
  ledger::VerifyReport report = ledger::VerifyLedger(**st, vo);
  std::optional<std::string> state_diff;
  // A ledger appended without the rules has no derived state to compare.
  if (report.ok() && replay.has_value()) {
    std::unique_ptr<rocksdb::Iterator> it = (*st)->NewIterator(ledger::Cf::kState);
    it->SeekToFirst();
    *state_compared = it->Valid();
    if (*state_compared) state_diff = replay->CompareState(**st);
  }
  *seconds = Seconds(v0);
  *rss = PeakRssMiB();
  if (!report.ok() || state_diff.has_value()) {
    std::cerr << "boai-bench: verification failed: "
              << (report.ok() ? *state_diff : report.finding->detail) << "\n";
    return std::nullopt;
  }
  return report;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// The baseline's input: up to 64 MiB of the ledger's real leaves, back to back, in
// memory mapped for it alone and unmapped after, so that it never counts in a
// verification's peak RSS.
class LeafSample {
 public:
  explicit LeafSample(const std::string& ledger_dir) {
    base_ = static_cast<char*>(
        mmap(nullptr, kCapacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (base_ == MAP_FAILED) throw std::bad_alloc();
    ledger::StorageOptions so;
    so.read_only = true;
    absl::StatusOr<std::unique_ptr<ledger::Storage>> st =
        ledger::Storage::Open(ledger::DatabasePath(ledger_dir), so);
    if (!st.ok()) return;
    std::unique_ptr<rocksdb::Iterator> it = (*st)->NewIterator(ledger::Cf::kEntries);
    size_t used = 0;
    for (it->SeekToFirst(); it->Valid() && used + it->value().size() <= kCapacity; it->Next()) {
      std::memcpy(base_ + used, it->value().data(), it->value().size());
      used += it->value().size();
      ends_.push_back(used);
    }
  }
  ~LeafSample() { munmap(base_, kCapacity); }
  LeafSample(const LeafSample&) = delete;
  LeafSample& operator=(const LeafSample&) = delete;

  // Seconds to SHA-256 `bytes` bytes of leaves, one digest per leaf, round-robin.
  double HashSeconds(uint64_t bytes) const {
    if (ends_.empty()) return 0;
    auto h0 = Clock::now();
    uint64_t hashed = 0;
    volatile uint8_t sink = 0;  // keeps the hashing from being optimised away
    for (size_t i = 0; hashed < bytes; i = (i + 1) % ends_.size()) {
      size_t begin = i == 0 ? 0 : ends_[i - 1];
      sink = sink ^ ledger::Sha256(std::string_view(base_ + begin, ends_[i] - begin))[0];
      hashed += ends_[i] - begin;
    }
    return Seconds(h0);
  }

 private:
  static constexpr size_t kCapacity = size_t{64} << 20;
  char* base_;
  std::vector<size_t> ends_;
};

// Verifies the ledger in ledger_dir three ways and compares each with raw SHA-256
// over the same leaf bytes (the `verify` verb, and the last phase of `append`).
// Everything is measured `rounds` times and each ratio is taken within its round
// (the three ways, then the baseline), so that a noisy neighbour slowing one
// measurement shows as a spread rather than as the result: the median is reported
// with the lowest and highest.
int Verify(const std::string& ledger_dir, int rounds) {
  //   log      the core's full verification: leaves, chain, root, every checkpoint
  //   + tree   also every stored tree node compared (boai-audit verify --no-books)
  //   + books  also the accounting replayed and the derived state compared
  //            (boai-audit verify, the auditor's default)
  struct VerifyRun {
    const char* name;
    bool tree, books;
    std::vector<double> seconds = {}, ratios = {};
    double rss = 0;
  };
  std::vector<VerifyRun> runs = {
      {"log", false, false}, {"log + tree", true, false}, {"log + tree + books", true, true}};
  bool state_compared = false;
  ledger::VerifyReport report;
  std::vector<double> sha_seconds;
  const StealMeter steal;
  for (int round = 0; round < rounds; ++round) {
    for (VerifyRun& run : runs) {
      double seconds = 0, rss = 0;
      std::optional<ledger::VerifyReport> r =
          VerifyOnce(ledger_dir, run.tree, run.books, &state_compared, &seconds, &rss);
      if (!r.has_value()) return 1;
      report = std::move(*r);
      run.seconds.push_back(seconds);
      // Later rounds start with what the allocator kept from earlier ones: the
      // first round's peak is the one that says what a verification needs.
      if (round == 0) run.rss = rss;
    }
    // Raw SHA-256 over as many bytes of the same leaves, from memory.
    double sha_s = LeafSample(ledger_dir).HashSeconds(report.bytes);
    sha_seconds.push_back(sha_s);
    for (VerifyRun& run : runs) run.ratios.push_back(sha_s / run.seconds.back());
    if (rounds > 1) std::fprintf(stderr, "  verify: round %d of %d done\n", round + 1, rounds);
  }
  double mb = report.bytes / 1e6;
  std::printf(
      "\nverify (%s entries, %.1f MB of leaves, %llu checkpoints; %d round%s: median "
      "[lowest-highest]; %s)\n",
      std::to_string(report.entries).c_str(), mb,
      static_cast<unsigned long long>(report.checkpoints), rounds, rounds == 1 ? "" : "s",
      steal.Describe().c_str());
  std::printf("  raw SHA-256          %8.1f MB/s\n", mb / Median(sha_seconds));
  for (const VerifyRun& run : runs) {
    const double s = Median(run.seconds);
    std::printf("  %-20s %8.1f MB/s  %8.0f entries/s  ratio %.2f [%.2f-%.2f]  RSS %.0f MiB\n",
                run.name, mb / s, report.entries / s, Median(run.ratios),
                *std::min_element(run.ratios.begin(), run.ratios.end()),
                *std::max_element(run.ratios.begin(), run.ratios.end()), run.rss);
  }
  if (!state_compared) {
    std::printf("  (no derived state in this ledger, so none compared: append with --books)\n");
  }
  std::printf(
      "  goals: log >= 0.60 of raw SHA-256 (core); with books >= 0.50 (audit); RSS < 300\n");
  return 0;
}

int Append(const std::string& dir, uint64_t count, uint64_t batch, int threads, bool sync,
           bool with_books, int rounds) {
  namespace fs = std::filesystem;
  const std::string ledger_dir = dir + "/ledger";
  const std::string plain_dir = dir + "/plain-rocksdb";
  fs::remove_all(ledger_dir);
  fs::remove_all(plain_dir);
  fs::create_directories(dir);
  std::printf("boai-bench append: %llu entries, %d threads, %llu entries per call, %s\n",
              static_cast<unsigned long long>(count), threads,
              static_cast<unsigned long long>(batch),
              sync ? "synced (fsync per batch)" : "NOT synced");
  std::printf("  %s\n", with_books ? "accounting rules applied in the writer (--books)"
                                   : "straight through the core, no accounting rules");

  // Phase 1: through the core.
  const StealMeter steal;  // over both append phases
  ResetPeakRss();
  ledger::LedgerOptions options;
  options.origin = "bench.boai.local/ledger";
  options.sync = sync;
  // With --books the rules check every gift in the writer, as they do in boaid.
  books::BooksHook books_hook;
  if (with_books) options.hook = &books_hook;
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> log = ledger::Ledger::Open(ledger_dir, options);
  if (!log.ok()) {
    std::cerr << "boai-bench: " << ToStd(log.status().message()) << "\n";
    return 1;
  }
  if (absl::Status s = OpenBooks(books::Clerk(log->get(), &books_hook)); !s.ok()) {
    std::cerr << "boai-bench: opening the books: " << ToStd(s.message()) << "\n";
    return 1;
  }
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> value_bytes{0};
  std::atomic<bool> failed{false};
  auto t0 = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(t + 1);
      while (true) {
        uint64_t start = next.fetch_add(batch);
        if (start >= count) return;
        uint64_t n = std::min(batch, count - start);
        std::vector<ledger::EntryDraft> drafts;
        for (uint64_t i = 0; i < n; ++i) {
          // With --books, parsed on this thread as boaid's handlers do (Clerk::Draft),
          // so the writer only applies the rules.
          std::string body = SyntheticBody(rng, start + i);
          absl::StatusOr<books::Entry> parsed =
              with_books ? books::ParseEntry("gift", std::string_view(body)) : books::Entry{};
          if (!parsed.ok()) {
            if (!failed.exchange(true))
              std::cerr << "synthetic gift: " << ToStd(parsed.status().message()) << "\n";
            return;
          }
          drafts.push_back(
              {"gift", StrCat("bench-", start + i), std::move(body), std::move(*parsed)});
        }
        for (auto& r : (*log)->AppendMany(std::move(drafts))) {
          if (!r.ok()) {
            if (!failed.exchange(true))
              std::cerr << "append failed: " << ToStd(r.status().message()) << "\n";
            return;
          }
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  double core_s = Seconds(t0);
  if (failed) return 1;
  uint64_t size = (*log)->Size();
  uint64_t checkpoints = 0;
  {
    auto it = (*log)->storage()->NewIterator(ledger::Cf::kCheckpoints);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++checkpoints;
      value_bytes += 0;
    }
  }
  // Average leaf size, for the plain RocksDB baseline.
  uint64_t leaf_bytes = 0;
  {
    auto it = (*log)->storage()->NewIterator(ledger::Cf::kEntries);
    for (it->SeekToFirst(); it->Valid(); it->Next()) leaf_bytes += it->value().size();
  }
  const size_t avg_leaf = static_cast<size_t>(leaf_bytes / size);
  double core_rate = count / core_s;
  double core_rss = PeakRssMiB();

  // Phase 2: plain RocksDB, same sync, same number of values of the same size, the
  // same batch size per call from the same number of threads.
  {
    rocksdb::Options ro;
    ro.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(ro, plain_dir, &raw);
    if (!s.ok()) {
      std::cerr << "boai-bench: plain RocksDB: " << s.ToString() << "\n";
      return 1;
    }
    std::unique_ptr<rocksdb::DB> db(raw);
    std::atomic<uint64_t> pnext{0};
    auto p0 = Clock::now();
    std::vector<std::thread> pw;
    for (int t = 0; t < threads; ++t) {
      pw.emplace_back([&, t] {
        std::mt19937_64 rng(t + 100);
        std::string value(avg_leaf, 'x');
        rocksdb::WriteOptions wo;
        wo.sync = sync;
        while (true) {
          uint64_t start = pnext.fetch_add(batch);
          if (start >= count) return;
          uint64_t n = std::min(batch, count - start);
          rocksdb::WriteBatch wb;
          for (uint64_t i = 0; i < n; ++i) {
            for (size_t j = 0; j < value.size(); j += 8) value[j] = static_cast<char>(rng());
            wb.Put(ledger::U64Key(start + i), value);
          }
          db->Write(wo, &wb);
        }
      });
    }
    for (auto& w : pw) w.join();
    double plain_s = Seconds(p0);
    double plain_rate = count / plain_s;
    std::printf("\nappend (%zu-byte leaves; %s)\n", avg_leaf, steal.Describe().c_str());
    std::printf(
        "  core ledger     %10.0f entries/s  (%llu batches, %.1f entries per fsync+signature)\n",
        core_rate, static_cast<unsigned long long>(checkpoints),
        static_cast<double>(size) / checkpoints);
    std::printf("  plain RocksDB   %10.0f entries/s\n", plain_rate);
    std::printf("  ratio           %10.2f  (goal >= 0.50)\n", core_rate / plain_rate);
  }
  std::filesystem::remove_all(plain_dir);

  // Phase 3: proofs at the final size.
  {
    std::mt19937_64 rng(7);
    const int kSamples = 20000;
    std::vector<double> incl, cons;
    for (int i = 0; i < kSamples; ++i) {
      uint64_t idx = rng() % size;
      auto s0 = Clock::now();
      auto p = (*log)->InclusionProof(idx, size);
      incl.push_back(Seconds(s0) * 1e6);
      if (!p.ok()) return 1;
      uint64_t m = rng() % size + 1;
      s0 = Clock::now();
      auto c = (*log)->ConsistencyProof(m, size);
      cons.push_back(Seconds(s0) * 1e6);
      if (!c.ok()) return 1;
    }
    Percentiles pi = Measure(incl), pc = Measure(cons);
    std::printf("\nproofs at %llu entries (%d samples each)\n",
                static_cast<unsigned long long>(size), kSamples);
    std::printf("  inclusion       p50 %7.1f us   p99 %7.1f us  (goal p99 < 200)\n", pi.p50_us,
                pi.p99_us);
    std::printf("  consistency     p50 %7.1f us   p99 %7.1f us  (goal p99 < 200)\n", pc.p50_us,
                pc.p99_us);
  }
  log->reset();

  std::printf("\npeak RSS: append %.0f MiB (goal < 300)\n", core_rss);
  return Verify(ledger_dir, rounds);
}

int Main(int argc, char** argv) {
  CLI::App app{"boai-bench: throughput and latency of the Boai ledger, as ratios to baselines"};
  app.require_subcommand(1);
  CLI::App* append = app.add_subcommand("append", "append through the core, prove, verify");
  std::string dir = "./bench-data";
  uint64_t count = 100000, batch = 100;
  int threads = 8;
  bool no_sync = false, with_books = false;
  append->add_option("--data", dir, "scratch directory (its ledger/ is replaced)")
      ->capture_default_str();
  append->add_option("--count", count, "entries to append")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  append->add_option("--batch", batch, "entries per append call")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{100000}));
  append->add_option("--threads", threads, "writer threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  append->add_flag("--no-sync", no_sync, "do not fsync (both sides)");
  append->add_flag("--books", with_books,
                   "also apply the accounting rules in the writer (as boaid does) and keep "
                   "the derived state; default: straight through the core");
  CLI::App* verify = app.add_subcommand(
      "verify", "verify an existing ledger three ways, against raw SHA-256 over its leaves");
  std::string verify_dir;
  verify
      ->add_option("--data", verify_dir, "the ledger's data directory (e.g. DIR/ledger of append)")
      ->required();
  int rounds = 3;
  for (CLI::App* verb : {append, verify}) {
    verb->add_option("--rounds", rounds,
                     "times the verification and its SHA-256 baseline are measured, "
                     "interleaved (the median ratio is reported, with the range)")
        ->capture_default_str()
        ->check(CLI::Range(1, 100));
  }
  GrpcBenchArgs grpc_args;
  CLI::App* grpc_cmd = AddGrpcVerb(&app, &grpc_args);
  try {
    boai::tools::ApplyInputRules(app);
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (*append) return Append(dir, count, batch, threads, !no_sync, with_books, rounds);
  if (*verify) return Verify(verify_dir, rounds);
  if (*grpc_cmd) return RunGrpcBench(grpc_args);
  return 2;
}

}  // namespace
}  // namespace boai::bench

int main(int argc, char** argv) {
  // As boaid: Debian's Abseil leaves absl::Mutex deadlock detection on, which costs
  // the gRPC client about 100 ns per lock (services/boaid_main.cc).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return boai::bench::Main(argc, argv);
}
