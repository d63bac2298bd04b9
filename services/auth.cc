#include "services/auth.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "ledger/books/entries.h"
#include "ledger/files.h"
#include "ledger/hash.h"
#include "ledger/note.h"
#include "ledger/strings.h"

namespace boai::service {
namespace {

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Writes `contents` to `path` (mode 0600) through a temporary file, fsync and
// rename, so readers see the old file or the new one, never half of one.
absl::Status WriteFileAtomic(const std::string& path, std::string_view contents) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", tmp);
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status s = Errno("cannot write", tmp);
      ::close(fd);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    absl::Status s = Errno("cannot sync", tmp);
    ::close(fd);
    return s;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot rename onto", path);
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Parses a TOML document; the error names the file, the position and the problem.
absl::StatusOr<toml::table> ParseToml(const std::string& text, const std::string& source_name) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << e.source().begin;
    return absl::InvalidArgumentError(StrCat(source_name, ": not valid TOML at ", where.str(), ": ",
                                             std::string(e.description())));
  }
}

}  // namespace

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kPublic:
      return "public";
    case Role::kAuditor:
      return "auditor";
    case Role::kClerk:
      return "clerk";
    case Role::kApprover:
      return "approver";
    case Role::kAdmin:
      return "admin";
  }
  return "?";
}

std::optional<Role> ParseRole(std::string_view s) {
  for (Role r : {Role::kPublic, Role::kAuditor, Role::kClerk, Role::kApprover, Role::kAdmin}) {
    if (RoleName(r) == s) return r;
  }
  return std::nullopt;
}

bool Allows(Role role, Access need) {
  switch (need) {
    case Access::kPublic:
      return true;
    case Access::kRead:
      return role != Role::kPublic;
    case Access::kClerk:
      return role == Role::kClerk || role == Role::kAdmin;
    case Access::kApprover:
      return role == Role::kApprover || role == Role::kAdmin;
    case Access::kAdmin:
      return role == Role::kAdmin;
  }
  return false;
}

std::string_view AccessRoles(Access need) {
  switch (need) {
    case Access::kPublic:
      return "any role";
    case Access::kRead:
      return "auditor, clerk, approver or admin";
    case Access::kClerk:
      return "clerk or admin";
    case Access::kApprover:
      return "approver or admin";
    case Access::kAdmin:
      return "admin";
  }
  return "?";
}

std::string NewToken() {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof(raw)) != 1) std::abort();  // no randomness: nothing is safe
  std::string token =
      "boai_" + HexEncode(std::string_view(reinterpret_cast<char*>(raw), sizeof(raw)));
  std::memset(raw, 0, sizeof(raw));
  return token;
}

std::string TokenHash(std::string_view token) { return ledger::HashToHex(ledger::Sha256(token)); }

std::string CredentialsDir(const std::string& data_dir) { return data_dir + "/credentials"; }
std::string UsersFilePath(const std::string& data_dir) {
  return CredentialsDir(data_dir) + "/users.toml";
}
std::string AdminTokenPath(const std::string& data_dir) {
  return CredentialsDir(data_dir) + "/admin.token";
}

absl::StatusOr<std::vector<UserRecord>> ParseUsers(const std::string& toml_text,
                                                   const std::string& source_name) {
  absl::StatusOr<toml::table> parsed = ParseToml(toml_text, source_name);
  if (!parsed.ok()) return parsed.status();
  const toml::table& doc = *parsed;
  std::vector<UserRecord> out;
  const toml::node* users = doc.get("user");
  if (users == nullptr) return out;
  const toml::array* arr = users->as_array();
  if (arr == nullptr) {
    return absl::InvalidArgumentError(
        StrCat(source_name, ": \"user\" must be an array of tables ([[user]])"));
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = (*arr)[i].as_table();
    std::string where = StrCat(source_name, ": [[user]] number ", i + 1);
    if (t == nullptr) return absl::InvalidArgumentError(StrCat(where, " is not a table"));
    UserRecord u;
    u.name = t->get("name") ? t->get("name")->value_or(std::string()) : "";
    std::string role = t->get("role") ? t->get("role")->value_or(std::string()) : "";
    u.token_sha256 = t->get("token_sha256") ? t->get("token_sha256")->value_or(std::string()) : "";
    if (absl::Status s = books::CheckId("name", u.name); !s.ok()) {
      return absl::InvalidArgumentError(StrCat(where, ": ", ToStd(s.message())));
    }
    std::optional<Role> r = ParseRole(role);
    if (!r.has_value()) {
      return absl::InvalidArgumentError(
          StrCat(where, " (", u.name, "): role \"", role,
                 "\" is not one of public, auditor, clerk, approver, admin"));
    }
    u.role = *r;
    if (!IsHex64(u.token_sha256)) {
      return absl::InvalidArgumentError(
          StrCat(where, " (", u.name,
                 "): token_sha256 must be 64 lowercase hex digits (the SHA-256 of the token)"));
    }
    out.push_back(std::move(u));
  }
  return out;
}

absl::Status UserStore::Insert(UserRecord u) {
  if (users_.count(u.name)) {
    return absl::InvalidArgumentError(StrCat("user ", u.name, " is defined twice"));
  }
  if (by_hash_.count(u.token_sha256)) {
    return absl::InvalidArgumentError(
        StrCat("users ", by_hash_[u.token_sha256], " and ", u.name, " have the same token"));
  }
  by_hash_[u.token_sha256] = u.name;
  std::string name = u.name;
  users_.emplace(std::move(name), std::move(u));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<UserStore>> UserStore::Open(const std::string& data_dir,
                                                           std::vector<UserRecord> config_users) {
  std::string cred = CredentialsDir(data_dir);
  std::error_code ec;
  std::filesystem::create_directories(cred, ec);
  if (ec) return absl::InternalError(StrCat("cannot create ", cred, ": ", ec.message()));
  ::chmod(cred.c_str(), 0700);
  std::unique_ptr<UserStore> store(new UserStore(UsersFilePath(data_dir)));
  std::string path = store->path_;

  if (!std::filesystem::exists(path)) {
    // A fresh directory: a bootstrap admin. If an earlier start wrote the token
    // but died before users.toml, reuse that token.
    std::string token_path = AdminTokenPath(data_dir);
    std::string token;
    if (std::filesystem::exists(token_path)) {
      std::ifstream in(token_path);
      std::getline(in, token);
      token = std::string(StripWhitespace(token));
    }
    if (token.empty()) {
      token = NewToken();
      std::filesystem::remove(token_path, ec);
      absl::Status s = ledger::WritePrivateFile(token_path, token + "\n");
      if (!s.ok()) return s;
    }
    store->users_.clear();
    absl::Status s =
        store->Insert(UserRecord{kBootstrapAdmin, Role::kAdmin, TokenHash(token), false});
    if (!s.ok()) return s;
    s = store->Save();
    if (!s.ok()) return s;
  } else {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return absl::InternalError(StrCat("cannot read ", path));
    absl::StatusOr<std::vector<UserRecord>> users = ParseUsers(text.str(), path);
    if (!users.ok()) return users.status();
    for (UserRecord& u : *users) {
      absl::Status s = store->Insert(std::move(u));
      if (!s.ok()) return s;
    }
  }
  for (UserRecord& u : config_users) {
    u.from_config = true;
    absl::Status s = store->Insert(std::move(u));
    if (!s.ok()) return absl::InvalidArgumentError(StrCat("config file: ", ToStd(s.message())));
  }
  return store;
}

std::optional<User> UserStore::Authenticate(std::string_view token) const {
  std::string hash = TokenHash(token);
  std::shared_lock lock(mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  const UserRecord& u = users_.at(it->second);
  return User{u.name, u.role};
}

absl::StatusOr<std::string> UserStore::AddUser(const std::string& name, Role role, bool replace) {
  if (absl::Status s = books::CheckId("name", name); !s.ok()) return s;
  std::unique_lock lock(mu_);
  auto it = users_.find(name);
  std::optional<UserRecord> old;
  if (it != users_.end()) {
    if (it->second.from_config) {
      return absl::FailedPreconditionError(
          StrCat("user ", name, " is defined in the config file; change it there"));
    }
    if (!replace) {
      return absl::AlreadyExistsError(
          StrCat("user ", name,
                 " exists; to issue them a new token (the old one stops working), repeat with "
                 "replace set (boai add-user --replace)"));
    }
    if (it->second.role == Role::kAdmin && role != Role::kAdmin) {
      bool other_admin = false;
      for (const auto& [n, u] : users_)
        other_admin = other_admin || (n != name && u.role == Role::kAdmin);
      if (!other_admin) {
        return absl::FailedPreconditionError(
            StrCat("user ", name,
                   " is the only admin; changing their role would leave nobody able to manage "
                   "users. Add another admin first"));
      }
    }
    old = it->second;
    by_hash_.erase(it->second.token_sha256);
    users_.erase(it);
  }
  std::string token = NewToken();
  UserRecord u{name, role, TokenHash(token), false};
  by_hash_[u.token_sha256] = name;
  users_[name] = u;
  absl::Status s = Save();
  if (!s.ok()) {
    by_hash_.erase(u.token_sha256);
    users_.erase(name);
    if (old.has_value()) {
      by_hash_[old->token_sha256] = name;
      users_[name] = *old;
    }
    return s;
  }
  return token;
}

absl::StatusOr<std::vector<CertMapping>> ParseClientCerts(const std::string& toml_text,
                                                          const std::string& source_name) {
  absl::StatusOr<toml::table> parsed = ParseToml(toml_text, source_name);
  if (!parsed.ok()) return parsed.status();
  const toml::table& doc = *parsed;
  std::vector<CertMapping> out;
  const toml::node* certs = doc.get("client_cert");
  if (certs == nullptr) return out;
  const toml::array* arr = certs->as_array();
  if (arr == nullptr) {
    return absl::InvalidArgumentError(
        StrCat(source_name, ": \"client_cert\" must be an array of tables ([[client_cert]])"));
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = (*arr)[i].as_table();
    std::string where = StrCat(source_name, ": [[client_cert]] number ", i + 1);
    if (t == nullptr) return absl::InvalidArgumentError(StrCat(where, " is not a table"));
    for (const auto& [k, v] : *t) {
      std::string key(k.str());
      if (key != "subject_cn" && key != "sha256" && key != "user" && key != "role") {
        return absl::InvalidArgumentError(
            StrCat(where, ": unknown key \"", key, "\" (known: subject_cn, sha256, user, role)"));
      }
      if (!v.is_string()) {
        return absl::InvalidArgumentError(StrCat(where, ": ", key, " must be a string"));
      }
    }
    auto str = [t](const char* key) {
      const toml::node* n = t->get(key);
      return n == nullptr ? std::string() : n->value_or(std::string());
    };
    CertMapping m;
    m.subject_cn = str("subject_cn");
    m.user = str("user");
    for (char c : str("sha256")) {
      if (c == ':') continue;
      m.sha256 += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (m.subject_cn.empty() == m.sha256.empty()) {
      return absl::InvalidArgumentError(
          StrCat(where, ": give exactly one of subject_cn and sha256"));
    }
    if (!m.sha256.empty() && !IsHex64(m.sha256)) {
      return absl::InvalidArgumentError(
          StrCat(where,
                 ": sha256 must be the certificate's SHA-256 fingerprint, 64 hex digits "
                 "(colons allowed), e.g. from `openssl x509 -noout -fingerprint -sha256`"));
    }
    if (absl::Status s = books::CheckId("user", m.user); !s.ok()) {
      return absl::InvalidArgumentError(StrCat(where, ": ", ToStd(s.message())));
    }
    std::optional<Role> r = ParseRole(str("role"));
    if (!r.has_value()) {
      return absl::InvalidArgumentError(StrCat(where, " (", m.user, "): role \"", str("role"),
                                               "\" is not one of public, auditor, clerk, "
                                               "approver, admin"));
    }
    m.role = *r;
    out.push_back(std::move(m));
  }
  return out;
}

absl::Status CertificateIdentity(std::string_view pem, std::string* sha256, std::string* cn) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return absl::ResourceExhaustedError("BIO_new_mem_buf failed");
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (x == nullptr) return absl::InvalidArgumentError("the client certificate is not PEM X.509");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  bool ok = X509_digest(x, EVP_sha256(), md, &len) == 1;
  cn->clear();
  X509_NAME* name = X509_get_subject_name(x);
  int at = name == nullptr ? -1 : X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (at >= 0) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, data);
    if (n >= 0) cn->assign(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
    OPENSSL_free(utf8);
  }
  X509_free(x);
  if (!ok) return absl::InternalError("cannot hash the client certificate");
  *sha256 = HexEncode(std::string_view(reinterpret_cast<char*>(md), len));
  return absl::OkStatus();
}

void UserStore::SetCertMappings(std::vector<CertMapping> mappings) {
  std::unique_lock lock(mu_);
  certs_ = std::move(mappings);
}

std::optional<User> UserStore::AuthenticateCertificate(std::string_view pem) const {
  {
    std::shared_lock lock(mu_);
    if (certs_.empty()) return std::nullopt;
  }
  std::string sha256, cn;
  if (!CertificateIdentity(pem, &sha256, &cn).ok()) return std::nullopt;
  std::shared_lock lock(mu_);
  const CertMapping* by_cn = nullptr;
  for (const CertMapping& m : certs_) {
    if (!m.sha256.empty() && m.sha256 == sha256) return User{m.user, m.role};
    if (by_cn == nullptr && !m.subject_cn.empty() && m.subject_cn == cn) by_cn = &m;
  }
  if (by_cn != nullptr) return User{by_cn->user, by_cn->role};
  return std::nullopt;
}

size_t UserStore::size() const {
  std::shared_lock lock(mu_);
  return users_.size();
}

absl::Status UserStore::Save() const {
  std::string text =
      "# boaid users. Written by boaid (AddUser); tokens are stored as their SHA-256.\n"
      "# role: public, auditor, clerk, approver or admin.\n";
  for (const auto& [name, u] : users_) {
    if (u.from_config) continue;
    StrAppend(&text, "\n[[user]]\nname = \"", u.name, "\"\nrole = \"", RoleName(u.role),
              "\"\ntoken_sha256 = \"", u.token_sha256, "\"\n");
  }
  return WriteFileAtomic(path_, text);
}

}  // namespace boai::service
