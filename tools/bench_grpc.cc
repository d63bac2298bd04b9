// boai-bench grpc: drives a running boaid with unary RecordGift calls from many
// concurrent clients (the callback client API keeps `clients` calls in flight
// from a few threads, as many separate clerks would), then with ImportGifts
// streams, and prints throughput and latency percentiles.
//
// Every gift has a fresh idempotency key (a per-run prefix), so every call is a
// real append. The gifts go to --fund (opened if the token may, else it must be
// open already); run it against a scratch data directory.
#include "tools/bench_grpc.h"

#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "boai/v1/ledger.grpc.pb.h"
#include "ledger/books/books.h"
#include "ledger/strings.h"
#include "tools/bench_machine.h"

namespace boai::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// CPU seconds this process has used (all threads, user + system).
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

std::string Today() {
  uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  return books::DateOf(now);
}

struct Bench {
  const GrpcBenchArgs& args;
  std::string token, run, date;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::string bearer;  // "Bearer " + token

  v1::RecordGiftRequest Gift(const std::string& key, int64_t fen) const {
    v1::RecordGiftRequest g;
    g.set_idempotency_key(key);
    g.set_date(date);
    g.set_channel("cash");
    g.set_fund(args.fund);
    g.set_amount(fen);
    g.set_no_receipt("anonymous");
    return g;
  }
  void Auth(grpc::ClientContext* ctx) const {
    ctx->AddMetadata("authorization", bearer);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
  }
};

// One unary caller: issues a call, and from its completion the next, until
// `deadline`. Completions run on gRPC's threads.
struct UnaryCaller {
  Bench* bench;
  v1::Ledger::Stub* stub;
  int id;
  Clock::time_point deadline;
  std::vector<double> latencies_us;
  uint64_t failures = 0;
  std::string first_error;
  uint64_t n = 0;
  // Per call. The request is built once; each call changes only its key.
  std::optional<grpc::ClientContext> ctx;
  v1::RecordGiftRequest req;
  std::string key_prefix;
  v1::Receipt resp;
  Clock::time_point started;
  std::function<void()> on_done;  // called once when the caller stops

  void Next() {
    if (Clock::now() >= deadline) {
      on_done();
      return;
    }
    if (key_prefix.empty()) {
      key_prefix = StrCat("bench/", bench->run, "/u/", id, "/");
      req = bench->Gift(key_prefix, 100);
    }
    ctx.reset();
    ctx.emplace();
    bench->Auth(&*ctx);
    std::string* key = req.mutable_idempotency_key();
    key->resize(key_prefix.size());
    StrAppend(key, n++);
    resp.Clear();
    started = Clock::now();
    stub->async()->RecordGift(&*ctx, &req, &resp, [this](grpc::Status s) {
      double us = std::chrono::duration<double, std::micro>(Clock::now() - started).count();
      if (s.ok()) {
        latencies_us.push_back(us);
      } else {
        if (failures++ == 0) first_error = s.error_message();
      }
      Next();
    });
  }
};

int Unary(Bench& b) {
  const int clients = b.args.clients;
  std::vector<std::unique_ptr<v1::Ledger::Stub>> stubs;
  for (const auto& ch : b.channels) stubs.push_back(v1::Ledger::NewStub(ch));
  std::vector<std::unique_ptr<UnaryCaller>> callers;
  std::mutex mu;
  std::condition_variable cv;
  int running = clients;
  const StealMeter steal;
  const double cpu0 = CpuSeconds();
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      start + std::chrono::microseconds(static_cast<int64_t>(b.args.seconds * 1e6));
  for (int i = 0; i < clients; ++i) {
    auto c = std::make_unique<UnaryCaller>();
    c->bench = &b;
    c->stub = stubs[static_cast<size_t>(i) % stubs.size()].get();
    c->id = i;
    c->deadline = deadline;
    c->on_done = [&] {
      std::lock_guard lock(mu);
      if (--running == 0) cv.notify_all();
    };
    callers.push_back(std::move(c));
  }
  for (auto& c : callers) c->Next();
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return running == 0; });
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = CpuSeconds() - cpu0;
  std::vector<double> all;
  uint64_t failures = 0;
  std::string first_error;
  for (auto& c : callers) {
    all.insert(all.end(), c->latencies_us.begin(), c->latencies_us.end());
    failures += c->failures;
    if (first_error.empty()) first_error = c->first_error;
  }
  const double rate = static_cast<double>(all.size()) / secs;
  const double p50 = Percentile(all, 0.50), p99 = Percentile(all, 0.99);
  std::printf("unary RecordGift: %d clients, %.1f s: %zu gifts, %.0f gifts/s (goal >= 20,000)\n",
              clients, secs, all.size(), rate);
  std::printf("  latency p50 %.2f ms, p99 %.2f ms; %llu failed%s%s\n", p50 / 1000, p99 / 1000,
              static_cast<unsigned long long>(failures), failures ? ": " : "", first_error.c_str());
  std::printf("  this client's CPU: %.2f s, %.1f us per gift; %s\n", cpu,
              all.empty() ? 0.0 : cpu * 1e6 / static_cast<double>(all.size()),
              steal.Describe().c_str());
  return failures == 0 ? 0 : 1;
}

int Streaming(Bench& b) {
  const int n = std::max(1, b.args.stream_clients);
  std::atomic<uint64_t> gifts{0}, failures{0};
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::string first_error;
  const StealMeter steal;
  const double cpu0 = CpuSeconds();
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      start + std::chrono::microseconds(static_cast<int64_t>(b.args.seconds * 1e6));
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      auto stub = v1::Ledger::NewStub(b.channels[static_cast<size_t>(t) % b.channels.size()]);
      v1::RecordGiftRequest gift = b.Gift("", 100);
      for (uint64_t stream = 0; Clock::now() < deadline; ++stream) {
        grpc::ClientContext ctx;
        b.Auth(&ctx);
        v1::ImportGiftsResponse resp;
        const Clock::time_point s0 = Clock::now();
        auto w = stub->ImportGifts(&ctx, &resp);
        const std::string prefix = StrCat("bench/", b.run, "/s/", t, "/", stream, "/");
        for (int i = 0; i < b.args.batch; ++i) {
          std::string* key = gift.mutable_idempotency_key();
          key->assign(prefix);
          StrAppend(key, i);
          if (!w->Write(gift)) break;
        }
        w->WritesDone();
        grpc::Status s = w->Finish();
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - s0).count();
        std::lock_guard lock(mu);
        if (!s.ok() || resp.failed() > 0) {
          ++failures;
          if (first_error.empty()) {
            first_error = s.ok() ? resp.results(0).error() : s.error_message();
            for (const auto& r : resp.results()) {
              if (!r.ok()) {
                first_error = r.error();
                break;
              }
            }
          }
          continue;
        }
        gifts += resp.recorded();
        latencies_ms.push_back(ms);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = CpuSeconds() - cpu0;
  const double rate = static_cast<double>(gifts.load()) / secs;
  std::printf(
      "streaming ImportGifts: %d clients, %d gifts per stream, %.1f s: %llu gifts, %.0f gifts/s "
      "(goal >= 100,000)\n",
      n, b.args.batch, secs, static_cast<unsigned long long>(gifts.load()), rate);
  std::printf("  stream latency p50 %.1f ms, p99 %.1f ms (%zu streams); %llu failed%s%s\n",
              Percentile(latencies_ms, 0.5), Percentile(latencies_ms, 0.99), latencies_ms.size(),
              static_cast<unsigned long long>(failures.load()), failures ? ": " : "",
              first_error.c_str());
  std::printf("  this client's CPU: %.2f s, %.1f us per gift; %s\n", cpu,
              gifts.load() == 0 ? 0.0 : cpu * 1e6 / static_cast<double>(gifts.load()),
              steal.Describe().c_str());
  return failures == 0 ? 0 : 1;
}

}  // namespace

CLI::App* AddGrpcVerb(CLI::App* app, GrpcBenchArgs* a) {
  CLI::App* g = app->add_subcommand("grpc", "unary and streaming gifts through a running boaid");
  g->add_option("--target", a->target, "boaid HOST:PORT")->capture_default_str();
  g->add_option("--token-file", a->token_file, "a clerk or admin bearer token")->required();
  g->add_option("--clients", a->clients, "concurrent unary callers")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  g->add_option("--seconds", a->seconds, "seconds per phase")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  g->add_option("--batch", a->batch, "gifts per ImportGifts stream (boaid takes at most 20,000)")
      ->capture_default_str()
      ->check(CLI::Range(1, 20000));
  g->add_option("--channels", a->channels, "connections the callers share")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  g->add_option("--stream-clients", a->stream_clients, "concurrent streams")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  g->add_option("--fund", a->fund, "fund the gifts go to")->capture_default_str();
  g->add_option("--phases", a->phases, "which phases to run")
      ->capture_default_str()
      ->check(CLI::IsMember({"unary", "stream", "both"}));
  return g;
}

int RunGrpcBench(const GrpcBenchArgs& args) {
  Bench b{args, "", "", Today(), {}, ""};
  std::ifstream in(args.token_file);
  std::stringstream ss;
  ss << in.rdbuf();
  b.token = std::string(StripWhitespace(ss.str()));
  b.bearer = StrCat("Bearer ", b.token);
  if (!in || b.token.empty()) {
    std::fprintf(stderr, "boai-bench: cannot read a token from %s\n", args.token_file.c_str());
    return 2;
  }
  std::random_device rd;
  b.run = StrCat(rd(), "-", rd());
  // A few connections, as separate client machines would open.
  const int n = std::min(args.clients, args.channels);
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments ca;
    ca.SetInt("boai.bench.channel", i);  // distinct arguments: a connection each
    ca.SetMaxReceiveMessageSize(64 << 20);
    // No transparent retries: every call is issued once (and the retry filter,
    // which buffers each call's messages, is left out of the client's cost).
    ca.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
    b.channels.push_back(
        grpc::CreateCustomChannel(args.target, grpc::InsecureChannelCredentials(), ca));
  }
  // The fund, if this token may open it (idempotent); else it must be open.
  {
    auto stub = v1::Ledger::NewStub(b.channels[0]);
    grpc::ClientContext ctx;
    b.Auth(&ctx);
    v1::OpenFundRequest of;
    of.set_id(args.fund);
    of.set_name("boai-bench");
    of.set_purpose("load test");
    v1::Receipt r;
    grpc::Status s = stub->OpenFund(&ctx, of, &r);
    if (!s.ok() && s.error_code() != grpc::StatusCode::PERMISSION_DENIED) {
      std::fprintf(stderr, "boai-bench: cannot open %s at %s: %s\n", args.fund.c_str(),
                   args.target.c_str(), s.error_message().c_str());
      return 1;
    }
  }
  int rc = 0;
  if (args.phases != "stream") rc |= Unary(b);
  if (args.phases != "unary") rc |= Streaming(b);
  return rc;
}

}  // namespace boai::bench
