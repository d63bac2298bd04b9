// boai-bench grpc: load on a running boaid through its public API.
#ifndef BOAI_TOOLS_BENCH_GRPC_H_
#define BOAI_TOOLS_BENCH_GRPC_H_

#include <string>

#include "CLI/CLI.hpp"

namespace boai::bench {

struct GrpcBenchArgs {
  std::string target = "127.0.0.1:50051";
  std::string token_file;
  std::string fund = "fund.bench";
  int clients = 64;
  double seconds = 5;
  int batch = 10000;  // gifts per ImportGifts stream
  int stream_clients = 2;
  int channels = 4;  // connections (at most one per client)
  // Which phases to run: "unary", "stream" or "both".
  std::string phases = "both";
};

// Adds the `grpc` verb to `app`, filling `args`.
CLI::App* AddGrpcVerb(CLI::App* app, GrpcBenchArgs* args);

// Runs it: unary RecordGift from `clients` concurrent callers for `seconds`,
// then ImportGifts streams of `batch` gifts from `stream_clients` callers for
// `seconds`; prints throughput, latency percentiles and this client's own CPU
// time per gift of each. Exit status.
int RunGrpcBench(const GrpcBenchArgs& args);

}  // namespace boai::bench

#endif  // BOAI_TOOLS_BENCH_GRPC_H_
