#include "services/server.h"

#include <arpa/inet.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>

#include "ledger/files.h"
#include "ledger/strings.h"

namespace boai::service {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, std::string_view what) {
  absl::StatusOr<std::string> text = ledger::ReadFile(path);
  if (!text.ok())
    return absl::InvalidArgumentError(StrCat(what, ": ", ToStd(text.status().message())));
  return text;
}

// Refuses keys of `t` outside `known`, so a typo in the config file is an error
// rather than a silently ignored setting.
absl::Status CheckKeys(const toml::table& t, std::string_view where,
                       const std::set<std::string>& known) {
  for (const auto& [k, v] : t) {
    std::string key(k.str());
    if (!known.count(key)) {
      return absl::InvalidArgumentError(StrCat(where, ": unknown key \"", key, "\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status LoadConfigFile(const std::string& path, ServerOptions* options,
                            std::string* log_level) {
  absl::StatusOr<std::string> text = ReadFile(path, "config file");
  if (!text.ok()) return text.status();
  toml::table doc;
  try {
    doc = toml::parse(*text, path);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << e.source().begin;
    return absl::InvalidArgumentError(
        StrCat(path, ": not valid TOML at ", where.str(), ": ", std::string(e.description())));
  }
  if (absl::Status s =
          CheckKeys(doc, path, {"data", "listen", "tls", "ledger", "log", "user", "client_cert"});
      !s.ok())
    return s;
  auto str = [&](const toml::node* n, std::string_view name, std::string* out) -> absl::Status {
    if (n == nullptr) return absl::OkStatus();
    if (!n->is_string())
      return absl::InvalidArgumentError(StrCat(path, ": ", name, " must be a string"));
    *out = n->value_or(std::string());
    return absl::OkStatus();
  };
  absl::Status s = str(doc.get("data"), "data", &options->data_dir);
  if (s.ok()) s = str(doc.get("listen"), "listen", &options->listen);
  if (!s.ok()) return s;
  if (const toml::table* tls = doc["tls"].as_table()) {
    if (s = CheckKeys(*tls, StrCat(path, " [tls]"),
                      {"cert", "key", "client_ca", "require_client_cert"});
        !s.ok())
      return s;
    if (s = str(tls->get("cert"), "tls.cert", &options->tls_cert); !s.ok()) return s;
    if (s = str(tls->get("key"), "tls.key", &options->tls_key); !s.ok()) return s;
    if (s = str(tls->get("client_ca"), "tls.client_ca", &options->tls_client_ca); !s.ok()) return s;
    if (const toml::node* n = tls->get("require_client_cert")) {
      if (!n->is_boolean()) {
        return absl::InvalidArgumentError(
            StrCat(path, ": tls.require_client_cert must be true or false"));
      }
      options->require_client_cert = n->value_or(false);
    }
  }
  if (const toml::table* l = doc["ledger"].as_table()) {
    if (s = CheckKeys(*l, StrCat(path, " [ledger]"), {"origin", "sync", "max_batch_entries"});
        !s.ok())
      return s;
    if (s = str(l->get("origin"), "ledger.origin", &options->origin); !s.ok()) return s;
    if (const toml::node* n = l->get("sync")) {
      if (!n->is_boolean())
        return absl::InvalidArgumentError(StrCat(path, ": ledger.sync must be true or false"));
      options->sync = n->value_or(true);
    }
    if (const toml::node* n = l->get("max_batch_entries")) {
      int64_t v = n->value_or(int64_t{0});
      if (!n->is_integer() || v < 1 || v > 1000000) {
        return absl::InvalidArgumentError(
            StrCat(path, ": ledger.max_batch_entries must be an integer 1-1000000"));
      }
      options->max_batch_entries = static_cast<size_t>(v);
    }
  }
  if (const toml::table* l = doc["log"].as_table()) {
    if (s = CheckKeys(*l, StrCat(path, " [log]"), {"level"}); !s.ok()) return s;
    if (s = str(l->get("level"), "log.level", log_level); !s.ok()) return s;
  }
  absl::StatusOr<std::vector<UserRecord>> users = ParseUsers(*text, path);
  if (!users.ok()) return users.status();
  options->users = std::move(*users);
  absl::StatusOr<std::vector<CertMapping>> certs = ParseClientCerts(*text, path);
  if (!certs.ok()) return certs.status();
  options->client_certs = std::move(*certs);
  return absl::OkStatus();
}

absl::Status CheckListenAddress(std::string_view listen, bool tls) {
  if (listen.substr(0, 5) == "unix:") return absl::OkStatus();  // local by construction
  size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == listen.size()) {
    return absl::InvalidArgumentError(StrCat(
        "listen address \"", listen, "\" is not HOST:PORT, e.g. 127.0.0.1:50051 or [::1]:50051"));
  }
  std::string_view host = listen.substr(0, colon);
  uint64_t port = 0;
  if (!ParseDecimal(listen.substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError(
        StrCat("listen address \"", listen, "\": the port must be 0-65535"));
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (tls) return absl::OkStatus();
  std::string h(host);
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool loopback = h == "localhost";
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    loopback = (ntohl(v4.s_addr) >> 24) == 127;
  } else if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    loopback = IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
  }
  if (!loopback) {
    return absl::FailedPreconditionError(StrCat(
        "boaid refuses to listen on ", listen,
        " without TLS: bearer tokens and donors' personal data would cross the network in clear "
        "text. Listen on loopback (127.0.0.1, ::1 or localhost), or give --tls-cert and "
        "--tls-key"));
  }
  return absl::OkStatus();
}

namespace {

// The server's credentials for `options`, after checking every TLS setting.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerOptions& options) {
  const bool tls = !options.tls_cert.empty() || !options.tls_key.empty();
  if (tls && (options.tls_cert.empty() || options.tls_key.empty())) {
    return absl::InvalidArgumentError("TLS needs both --tls-cert and --tls-key");
  }
  if (absl::Status s = CheckListenAddress(options.listen, tls); !s.ok()) return s;
  if (!tls) {
    if (!options.tls_client_ca.empty() || options.require_client_cert ||
        !options.client_certs.empty()) {
      return absl::InvalidArgumentError(
          "client certificates ([tls] client_ca, require_client_cert, [[client_cert]]) need TLS: "
          "give the server's certificate and key too");
    }
    return grpc::InsecureServerCredentials();
  }
  if (options.tls_client_ca.empty() &&
      (options.require_client_cert || !options.client_certs.empty())) {
    return absl::InvalidArgumentError(
        "[[client_cert]] and require_client_cert need [tls] client_ca, the CA that issues the "
        "client certificates");
  }
  absl::StatusOr<std::string> cert = ReadFile(options.tls_cert, "TLS certificate");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(options.tls_key, "TLS private key");
  if (!key.ok()) return key.status();
  std::string sha256, cn;
  if (!CertificateIdentity(*cert, &sha256, &cn).ok()) {
    return absl::InvalidArgumentError(
        StrCat("TLS certificate ", options.tls_cert, " is not a PEM X.509 certificate"));
  }
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!options.tls_client_ca.empty()) {
    absl::StatusOr<std::string> ca = ReadFile(options.tls_client_ca, "client CA certificate");
    if (!ca.ok()) return ca.status();
    if (!CertificateIdentity(*ca, &sha256, &cn).ok()) {
      return absl::InvalidArgumentError(
          StrCat("client CA ", options.tls_client_ca, " is not a PEM X.509 certificate"));
    }
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request =
        options.require_client_cert ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                    : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

absl::Status Server::Check(const ServerOptions& options) { return Credentials(options).status(); }

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = Credentials(options);
  if (!credentials.ok()) return credentials.status();
  std::shared_ptr<grpc::ServerCredentials> creds = *credentials;
  const bool tls = !options.tls_cert.empty();

  std::unique_ptr<Server> server(new Server());
  server->options_ = options;
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec)
    return absl::InternalError(StrCat("cannot create ", options.data_dir, ": ", ec.message()));

  ledger::LedgerOptions lo;
  lo.origin = options.origin;
  lo.sync = options.sync;
  lo.max_batch_entries = options.max_batch_entries;
  lo.hook = &server->hook_;
  lo.on_writes_stopped = [srv = server.get()](const absl::Status& why) {
    srv->OnWritesStopped(why);
  };
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> log = ledger::Ledger::Open(options.data_dir, lo);
  if (!log.ok()) return log.status();
  server->ledger_ = std::move(*log);
  server->people_ = std::make_unique<books::PersonalStore>(server->ledger_->storage());
  server->clerk_ = std::make_unique<books::Clerk>(server->ledger_.get(), &server->hook_);
  absl::StatusOr<std::unique_ptr<UserStore>> users =
      UserStore::Open(options.data_dir, options.users);
  if (!users.ok()) return users.status();
  server->users_ = std::move(*users);
  server->users_->SetCertMappings(options.client_certs);

  // A fresh ledger gets the standard chart of accounts, opened by the bootstrap admin.
  if (server->hook_.Read([](const books::Books& b) { return b.accounts().empty(); })) {
    absl::StatusOr<uint32_t> opened = server->clerk_->OpenStandardChart(kBootstrapAdmin);
    if (!opened.ok()) return opened.status();
    spdlog::info("write rpc=startup user={} kind=account.open opened={}", kBootstrapAdmin, *opened);
  }

  server->service_ =
      std::make_unique<LedgerService>(server->ledger_.get(), &server->hook_, server->clerk_.get(),
                                      server->people_.get(), server->users_.get());
  static std::once_flag plugins;
  std::call_once(plugins, [] {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  });
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, creds, &server->port_);
  // gRPC sets SO_REUSEPORT by default: a second boaid on the same port would then
  // start "successfully" and take half of the connections to another ledger.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(server->service_.get());
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.SetMaxSendMessageSize(64 << 20);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        StrCat("cannot listen on ", options.listen,
               " (is the port in use, or the host not on this machine?)"));
  }
  {
    std::lock_guard<std::mutex> lock(server->health_mu_);
    server->health_ = server->server_->GetHealthCheckService();
    server->health_->SetServingStatus(!server->writes_stopped_);
  }
  spdlog::info("serving listen={} port={} tls={} data={} entries={} users={} vkey={}",
               options.listen, server->port_, tls, options.data_dir, server->ledger_->Size(),
               server->users_->size(), server->ledger_->verifier().VerifierKey());
  return server;
}

void Server::OnWritesStopped(const absl::Status& why) {
  spdlog::error(
      "the ledger stopped accepting writes: {} -- health checks now answer NOT_SERVING and every "
      "write is refused UNAVAILABLE; reads go on. Every receipt already given is durable. Fix the "
      "cause (disk space, the disk), then restart boaid",
      ToStd(why.message()));
  std::lock_guard<std::mutex> lock(health_mu_);
  writes_stopped_ = true;
  if (health_ != nullptr) health_->SetServingStatus(false);
}

std::string Server::target() const { return StrCat("127.0.0.1:", port_); }

void Server::Wait() {
  if (server_ != nullptr) server_->Wait();
}

void Server::Shutdown(double grace_seconds) {
  std::lock_guard<std::mutex> lock(shutdown_mu_);
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  spdlog::info("shutting down: finishing calls in progress (up to {} s)", grace_seconds);
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(grace_seconds * 1000)));
}

Server::~Server() {
  const bool started = server_ != nullptr;
  Shutdown();
  {
    std::lock_guard<std::mutex> lock(health_mu_);
    health_ = nullptr;  // the ledger may still stop writes while it closes
  }
  server_.reset();
  service_.reset();
  // The ledger's destructor finishes the batch in flight and syncs it.
  users_.reset();
  clerk_.reset();
  people_.reset();
  ledger_.reset();
  if (started) spdlog::info("stopped: the ledger is closed and synced");
}

}  // namespace boai::service
