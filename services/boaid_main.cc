// boaid: the Boai ledger's gRPC server.
//
//   boaid --data DIR --listen HOST:PORT [--config FILE] [--tls-cert PEM --tls-key PEM]
//   boaid rotate-key --data DIR --reason TEXT   (with the server stopped)
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
#include "absl/synchronization/mutex.h"
#include "ledger/ledger.h"
#include "ledger/strings.h"
#include "services/server.h"
#include "tools/cli_input.h"

namespace {

int Fail(const absl::Status& s) {
  std::cerr << "boaid: " << boai::ToStd(s.message()) << "\n";
  return s.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

// Rotates the checkpoint signing key of a stopped server's ledger (keys.h). The
// database lock refuses a running server's directory.
int RotateKey(const std::string& dir, const std::string& reason) {
  boai::ledger::LedgerOptions lo;
  lo.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<boai::ledger::Ledger>> log = boai::ledger::Ledger::Open(dir, lo);
  if (!log.ok()) {
    if (boai::ToStd(log.status().message()).find("lock") != std::string::npos) {
      std::cerr << "boaid: " << dir
                << " is in use (is boaid running?); stop the server, then rotate the key\n";
      return 1;
    }
    return Fail(log.status());
  }
  const std::string old_vkey = (*log)->verifier().VerifierKey();
  absl::StatusOr<boai::ledger::AppendResult> r = (*log)->RotateKey(reason);
  if (!r.ok()) return Fail(r.status());
  std::cout << "rotated the log key at entry " << r->index << "\n"
            << "  retired  " << old_vkey << "\n"
            << "  new key  " << (*log)->verifier().VerifierKey() << "\n"
            << "The new private key is " << boai::ledger::LogKeyPath(dir)
            << ": back it up now. Publish the new verifier key; auditors who pinned the old one\n"
            << "still verify the whole log, the rotation entry links the keys. If the old key\n"
            << "was compromised, destroy every copy of it.\n";
  return 0;
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
  std::string reason;
  CLI::App* rotate = app.add_subcommand(
      "rotate-key",
      "rotate the checkpoint signing key (server stopped): records the rotation on the chain, "
      "signed by the old and the new key");
  rotate->add_option("--reason", reason, "why, recorded publicly (e.g. \"annual rotation\")")
      ->required();
  rotate->fallthrough();  // --data and --config may follow the verb
  try {
    boai::tools::ApplyInputRules(app);
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
  if (rotate->parsed()) return RotateKey(options.data_dir, reason);

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

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which leaves absl::Mutex's deadlock
  // detection on: every lock gRPC takes (dozens per call) then updates a global
  // lock graph, about 100 ns each. It is a debugging aid, not a safeguard.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return Main(argc, argv);
}
