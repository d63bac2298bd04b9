// Users, roles and bearer tokens of boaid.
//
// Tokens are random ("boai_" + 64 hex digits) and shown once; the server keeps
// only their SHA-256 (lowercase hex). Users live in DIR/credentials/users.toml,
// which AddUser rewrites atomically, plus any [[user]] tables of the --config file
// (read-only: AddUser cannot change them):
//
//   [[user]]
//   name = "admin"                 # the `by` of every entry the user writes
//   role = "admin"                 # public, auditor, clerk, approver or admin
//   token_sha256 = "9f86d0…"       # SHA-256 of the bearer token, hex
//
// A fresh data directory gets a bootstrap admin: its token in
// DIR/credentials/admin.token (mode 0600), its hash in users.toml.
#ifndef BOAI_SERVICES_AUTH_H_
#define BOAI_SERVICES_AUTH_H_

#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace boai::service {

// Roles, least trusted first. Each user has one.
enum class Role { kPublic, kAuditor, kClerk, kApprover, kAdmin };

std::string_view RoleName(Role r);
// "public", "auditor", "clerk", "approver" or "admin"; nullopt otherwise.
std::optional<Role> ParseRole(std::string_view s);

// What an RPC needs.
enum class Access {
  kPublic,    // anyone, even without a token
  kRead,      // auditor, clerk, approver, admin
  kClerk,     // clerk, admin
  kApprover,  // approver, admin
  kAdmin,     // admin
};
bool Allows(Role role, Access need);
// The roles that may, for messages: "clerk or admin".
std::string_view AccessRoles(Access need);

struct UserRecord {
  std::string name;
  Role role = Role::kPublic;
  std::string token_sha256;  // lowercase hex
  bool from_config = false;  // defined in the --config file, not users.toml
};

// The authenticated caller.
struct User {
  std::string name;  // empty for anonymous callers of public RPCs
  Role role = Role::kPublic;
};

// A client certificate mapped to a user, from a [[client_cert]] table of the
// config file (mutual TLS):
//
//   [[client_cert]]
//   subject_cn = "finance-desk-3"  # the certificate's subject CN, or
//   sha256 = "5f:0c:…"             # its SHA-256 fingerprint (of the DER bytes)
//   user = "clerk.zhao"            # the `by` of every entry it writes
//   role = "clerk"
//
// A fingerprint names one certificate; a CN names every certificate the client
// CA issues with that CN. When both kinds match, the fingerprint wins.
struct CertMapping {
  std::string subject_cn;
  std::string sha256;  // lowercase hex, no colons
  std::string user;
  Role role = Role::kPublic;
};

// Parses the [[client_cert]] tables of a TOML document. InvalidArgument names
// the table and field.
absl::StatusOr<std::vector<CertMapping>> ParseClientCerts(const std::string& toml_text,
                                                          const std::string& source_name);

// The lowercase hex SHA-256 fingerprint (of the DER bytes) and the subject CN
// ("" if none) of a PEM certificate. InvalidArgument if it does not parse.
absl::Status CertificateIdentity(std::string_view pem, std::string* sha256, std::string* cn);

// A new random bearer token.
std::string NewToken();
// Lowercase hex SHA-256 of `token`.
std::string TokenHash(std::string_view token);

inline constexpr char kBootstrapAdmin[] = "admin";

std::string CredentialsDir(const std::string& data_dir);
std::string UsersFilePath(const std::string& data_dir);
std::string AdminTokenPath(const std::string& data_dir);

// Parses the [[user]] tables of a TOML document. InvalidArgument names the
// table and field.
absl::StatusOr<std::vector<UserRecord>> ParseUsers(const std::string& toml_text,
                                                   const std::string& source_name);

class UserStore {
 public:
  // Loads DIR/credentials/users.toml, creating it with a bootstrap admin (and
  // DIR/credentials/admin.token) if absent. `config_users` come from the config
  // file. InvalidArgument for a malformed file or a name defined twice.
  static absl::StatusOr<std::unique_ptr<UserStore>> Open(const std::string& data_dir,
                                                         std::vector<UserRecord> config_users);

  // The user holding `token`, if any.
  std::optional<User> Authenticate(std::string_view token) const;

  // Client certificates mapped to users (replaces earlier mappings).
  void SetCertMappings(std::vector<CertMapping> mappings);
  // The user a verified client certificate (PEM, as gRPC reports the peer's)
  // maps to, if any.
  std::optional<User> AuthenticateCertificate(std::string_view pem) const;

  // Creates user `name` with `role` and returns their new token. If the user
  // exists: AlreadyExists unless `replace`, which issues a new token (the old one
  // stops working) and sets the role. FailedPrecondition for users defined in
  // the config file. InvalidArgument for a bad name.
  absl::StatusOr<std::string> AddUser(const std::string& name, Role role, bool replace);

  size_t size() const;

 private:
  explicit UserStore(std::string path) : path_(std::move(path)) {}
  absl::Status Insert(UserRecord u);
  // Writes users.toml (file users only) via a temporary file and a rename.
  absl::Status Save() const;

  std::string path_;
  mutable std::shared_mutex mu_;
  std::map<std::string, UserRecord> users_;     // by name
  std::map<std::string, std::string> by_hash_;  // token hash -> name
  std::vector<CertMapping> certs_;
};

}  // namespace boai::service

#endif  // BOAI_SERVICES_AUTH_H_
