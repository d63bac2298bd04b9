// boaid as a library: opens a data directory (ledger, books, personal store,
// users) and serves boai.v1.Ledger, gRPC health checking and server reflection
// on one address. boaid_main.cc and the end-to-end tests both use it.
#ifndef BOAI_SERVICES_SERVER_H_
#define BOAI_SERVICES_SERVER_H_

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/books/books_hook.h"
#include "ledger/books/clerk.h"
#include "ledger/books/personal.h"
#include "ledger/ledger.h"
#include "services/auth.h"
#include "services/ledger_service.h"

namespace boai::service {

struct ServerOptions {
  // The data directory, created on first start (ledger, signing key, credentials).
  // Default: "./data"
  std::string data_dir = "./data";
  // HOST:PORT to listen on; port 0 picks a free port (see Server::port()).
  // Without TLS only loopback hosts are accepted.
  // Default: "127.0.0.1:50051"
  std::string listen = "127.0.0.1:50051";
  // PEM certificate chain and private key files; both or neither. With them the
  // server speaks TLS and may listen on any address.
  // Default: none
  std::string tls_cert, tls_key;
  // PEM CA certificate(s) that issue client certificates: turns on mutual TLS.
  // Clients presenting a certificate it verifies are mapped to users by
  // `client_certs`; others still authenticate with bearer tokens.
  // Default: none
  std::string tls_client_ca;
  // Refuse TLS connections without a verified client certificate.
  // Default: false
  bool require_client_cert = false;
  // Client certificates mapped to users ([[client_cert]], see auth.h).
  std::vector<CertMapping> client_certs;
  // Checkpoint origin of a new ledger.
  // Default: "boai.local/ledger"
  std::string origin = "boai.local/ledger";
  // fsync every batch. Default: true
  bool sync = true;
  // Most entries per batch. Default: 8192
  size_t max_batch_entries = 8192;
  // Users defined in the config file (besides DIR/credentials/users.toml).
  std::vector<UserRecord> users;
};

// Reads a boaid TOML config file into `options` (fields present only):
//
//   data = "./data"
//   listen = "127.0.0.1:50051"
//   [tls]
//   cert = "server.pem"
//   key = "server.key"
//   client_ca = "clients-ca.pem"  # mutual TLS: trust client certificates it issued
//   require_client_cert = false   # true: no connection without one
//   [[client_cert]]               # any number; see auth.h
//   subject_cn = "finance-desk-3" # or sha256 = "…" (the certificate's fingerprint)
//   user = "clerk.zhao"
//   role = "clerk"
//   [ledger]
//   origin = "boai.local/ledger"
//   sync = true
//   max_batch_entries = 8192
//   [log]
//   level = "info"              # trace, debug, info, warn, error
//   [[user]]                    # any number; see auth.h
//   name = "li"
//   role = "approver"
//   token_sha256 = "…"
//
// Relative paths are relative to boaid's working directory.
// `log_level` receives [log] level if present. InvalidArgument names the problem.
absl::Status LoadConfigFile(const std::string& path, ServerOptions* options,
                            std::string* log_level);

// OK if `listen` (HOST:PORT) may be used: any host with TLS, else only loopback
// (127.0.0.0/8, ::1, localhost) or a unix: socket. FailedPrecondition otherwise,
// saying how to fix it; InvalidArgument if it is not HOST:PORT.
absl::Status CheckListenAddress(std::string_view listen, bool tls);

class Server {
 public:
  // Opens the data directory and starts serving. A fresh directory gets a
  // signing key, the standard chart of accounts and a bootstrap admin token.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options);
  // Checks `options` without opening anything: the listen address, that the TLS
  // files exist and parse. What `boaid --check-config` runs.
  static absl::Status Check(const ServerOptions& options);
  // Shuts down (if not yet) and closes the ledger, finishing the batch in flight.
  ~Server();

  // The port actually listened on.
  int port() const { return port_; }
  // "127.0.0.1:<port>" style address for clients.
  std::string target() const;
  const std::string& data_dir() const { return options_.data_dir; }
  ledger::Ledger* ledger() const { return ledger_.get(); }

  // Blocks until Shutdown() (from another thread) has finished.
  void Wait();
  // Stops accepting calls, lets calls in progress finish (up to `grace_seconds`,
  // then cancels them) and reports NOT_SERVING to health checks. Idempotent.
  void Shutdown(double grace_seconds = 10);

 private:
  Server() = default;
  // From the ledger's writer or syncer thread, once, when a database write or an
  // fsync failed and the ledger stopped accepting writes: logs the error and turns
  // health checks to NOT_SERVING (reads are still served). Restarting boaid is the
  // way back.
  void OnWritesStopped(const absl::Status& why);

  ServerOptions options_;
  // Destroyed in reverse order: the gRPC server first, the ledger (which finishes
  // its batch in flight) after, the hook last.
  books::BooksHook hook_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<books::PersonalStore> people_;
  std::unique_ptr<books::Clerk> clerk_;
  std::unique_ptr<UserStore> users_;
  std::unique_ptr<LedgerService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::mutex shutdown_mu_;
  bool shut_down_ = false;
  // The health service while the gRPC server exists, and whether writes stopped.
  // Its own mutex: OnWritesStopped runs on the ledger's threads, which Shutdown
  // may be waiting for.
  std::mutex health_mu_;
  grpc::HealthCheckServiceInterface* health_ = nullptr;
  bool writes_stopped_ = false;
};

}  // namespace boai::service

#endif  // BOAI_SERVICES_SERVER_H_
