// boai's config file: where the server is and how to authenticate, so staff do
// not repeat --target and --token-file on every command.
#include <toml++/toml.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "ledger/strings.h"
#include "tools/boai/common.h"

namespace boai::cli {

absl::StatusOr<std::string> FindConfigFile(const std::string& explicit_path) {
  namespace fs = std::filesystem;
  if (!explicit_path.empty()) {
    if (!fs::exists(explicit_path)) {
      return absl::InvalidArgumentError(StrCat("--config ", explicit_path, ": no such file"));
    }
    return explicit_path;
  }
  if (const char* env = std::getenv("BOAI_CONFIG"); env != nullptr && *env != '\0') {
    if (!fs::exists(env)) {
      return absl::InvalidArgumentError(
          StrCat("BOAI_CONFIG names ", env, ", which does not exist"));
    }
    return std::string(env);
  }
  std::string base;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    base = StrCat(home, "/.config");
  }
  if (!base.empty()) {
    std::string path = StrCat(base, "/boai/config.toml");
    if (fs::exists(path)) return path;
  }
  return std::string();
}

absl::Status ApplyConfigFile(const std::string& path, const std::set<std::string>& from_flags,
                             Global* g) {
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << e.source().begin;
    return absl::InvalidArgumentError(
        StrCat(path, ": not valid TOML at ", where.str(), ": ", std::string(e.description())));
  }
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  auto resolve = [&dir](std::string p) {
    if (p.empty() || p[0] == '/') return p;
    if (p.rfind("~/", 0) == 0) {
      const char* home = std::getenv("HOME");
      return home == nullptr ? p : StrCat(home, p.substr(1));
    }
    return (dir / p).string();
  };
  auto get = [&](const toml::table& t, std::string_view where, std::string_view key,
                 std::string* out) -> absl::Status {
    const toml::node* n = t.get(key);
    if (n == nullptr) return absl::OkStatus();
    if (!n->is_string()) {
      return absl::InvalidArgumentError(StrCat(path, ": ", where, key, " must be a string"));
    }
    *out = n->value_or(std::string());
    return absl::OkStatus();
  };
  for (const auto& [k, v] : doc) {
    std::string key(k.str());
    if (key != "target" && key != "token_file" && key != "vkey" && key != "tls") {
      return absl::InvalidArgumentError(
          StrCat(path, ": unknown key \"", key,
                 "\" (known: target, token_file, vkey, [tls] ca/cert/key)"));
    }
  }
  std::string target, token_file, vkey, ca, cert, key;
  absl::Status s = get(doc, "", "target", &target);
  if (s.ok()) s = get(doc, "", "token_file", &token_file);
  if (s.ok()) s = get(doc, "", "vkey", &vkey);
  if (!s.ok()) return s;
  if (const toml::node* t = doc.get("tls")) {
    const toml::table* tls = t->as_table();
    if (tls == nullptr) return absl::InvalidArgumentError(StrCat(path, ": tls must be a table"));
    for (const auto& [k, v] : *tls) {
      std::string name(k.str());
      if (name != "ca" && name != "cert" && name != "key") {
        return absl::InvalidArgumentError(
            StrCat(path, ": unknown key \"tls.", name, "\" (known: ca, cert, key)"));
      }
    }
    if (s = get(*tls, "tls.", "ca", &ca); !s.ok()) return s;
    if (s = get(*tls, "tls.", "cert", &cert); !s.ok()) return s;
    if (s = get(*tls, "tls.", "key", &key); !s.ok()) return s;
  }
  auto set = [&](std::string_view flag, const std::string& value, std::string* field) {
    if (!value.empty() && !from_flags.count(std::string(flag))) *field = value;
  };
  set("target", target, &g->target);
  // A token given on the command line (--token) also beats the config's file.
  if (!from_flags.count("token")) set("token-file", resolve(token_file), &g->token_file);
  set("vkey", vkey, &g->vkey);
  set("tls-ca", resolve(ca), &g->tls_ca);
  set("tls-cert", resolve(cert), &g->tls_cert);
  set("tls-key", resolve(key), &g->tls_key);
  return absl::OkStatus();
}

}  // namespace boai::cli
