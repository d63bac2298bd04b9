// boaid: the Boai ledger's gRPC server.
//
//   boaid --data DIR --listen HOST:PORT [--config FILE] [--tls-cert PEM --tls-key PEM]
//
// Command-line flags override the config file (services/server.h documents it).
// SIGTERM or SIGINT: stop accepting calls, finish those in progress, finish and
// sync the batch in flight, exit 0.
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "ledger/strings.h"
#include "services/server.h"

namespace {

int Fail(const absl::Status& s) {
  std::cerr << "boaid: " << boai::ToStd(s.message()) << "\n";
  return s.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

int Main(int argc, char** argv) {
  CLI::App app{"boaid: the Boai ledger's gRPC server"};
  boai::service::ServerOptions options;
  std::string config, data, listen, tls_cert, tls_key, log_level = "info";
  app.add_option("--config", config, "TOML config file (flags override it)");
  app.add_option("--data", data, "data directory, created on first start [./data]");
  app.add_option("--listen", listen, "HOST:PORT; without TLS loopback only [127.0.0.1:50051]");
  app.add_option("--tls-cert", tls_cert, "PEM certificate chain: serve TLS");
  app.add_option("--tls-key", tls_key, "PEM private key of --tls-cert");
  std::string tls_client_ca;
  app.add_option("--tls-client-ca", tls_client_ca,
                 "PEM CA of client certificates: mutual TLS (map them with [[client_cert]])");
  bool check_config = false;
  app.add_flag("--check-config", check_config,
               "check the config file and flags (TLS files, addresses, users) and exit: 0 if "
               "good, 2 if not");
  CLI::Option* level_opt =
      app.add_option("--log-level", log_level, "trace, debug, info, warn or error [info]");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  std::string config_level;
  if (!config.empty()) {
    if (!std::filesystem::exists(config)) {
      std::cerr << "boaid: --config " << config << ": no such file\n";
      return 2;
    }
    absl::Status s = boai::service::LoadConfigFile(config, &options, &config_level);
    if (!s.ok()) return Fail(s);
  }
  if (!data.empty()) options.data_dir = data;
  if (!listen.empty()) options.listen = listen;
  if (!tls_cert.empty()) options.tls_cert = tls_cert;
  if (!tls_key.empty()) options.tls_key = tls_key;
  if (!tls_client_ca.empty()) options.tls_client_ca = tls_client_ca;
  if (level_opt->count() == 0 && !config_level.empty()) log_level = config_level;

  if (check_config) {
    absl::Status s = boai::service::Server::Check(options);
    if (!s.ok()) {
      std::cerr << "boaid: " << boai::ToStd(s.message()) << "\n";
      return 2;
    }
    std::cout << "boaid: configuration OK (listen " << options.listen << ", data "
              << options.data_dir << ", " << options.users.size() << " config users, "
              << options.client_certs.size() << " client certificate mappings, TLS "
              << (options.tls_cert.empty() ? "off" : "on") << ")\n";
    return 0;
  }

  // Logs go to stderr (stdout stays free for output a script might read).
  spdlog::set_default_logger(spdlog::stderr_color_mt("boaid"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z boaid %l %v");
  spdlog::level::level_enum level = spdlog::level::from_str(log_level);
  if (level == spdlog::level::off && log_level != "off") {
    std::cerr << "boaid: --log-level " << log_level
              << " is not trace, debug, info, warn or error\n";
    return 2;
  }
  spdlog::set_level(level);

  // Signals go to one thread that waits for them; every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<boai::service::Server>> server =
      boai::service::Server::Start(options);
  if (!server.ok()) return Fail(server.status());
  std::thread waiter([&server, &signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("received {}", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    (*server)->Shutdown();
  });
  (*server)->Wait();
  waiter.join();
  server->reset();  // closes the ledger: the batch in flight is finished and synced
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
