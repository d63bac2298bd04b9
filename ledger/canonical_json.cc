#include "ledger/canonical_json.h"

#include "ledger/strings.h"

namespace boai::ledger {
namespace {

bool ValidKey(std::string_view k) {
  if (k.empty()) return false;
  for (char c : k) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::Status Encode(const nlohmann::json& v, const std::string& path, std::string* out) {
  using T = nlohmann::json::value_t;
  switch (v.type()) {
    case T::null:
      out->append("null");
      return absl::OkStatus();
    case T::boolean:
      out->append(v.get<bool>() ? "true" : "false");
      return absl::OkStatus();
    case T::number_integer: {
      int64_t x = v.get<int64_t>();
      if (x > kMaxJsonInteger || x < -kMaxJsonInteger) {
        return absl::InvalidArgumentError(
            StrCat("JSON value at ", path, " is ", x, ", outside +-(2^53-1)"));
      }
      StrAppend(out, x);
      return absl::OkStatus();
    }
    case T::number_unsigned: {
      uint64_t x = v.get<uint64_t>();
      if (x > static_cast<uint64_t>(kMaxJsonInteger)) {
        return absl::InvalidArgumentError(
            StrCat("JSON value at ", path, " is ", x, ", above 2^53-1"));
      }
      StrAppend(out, x);
      return absl::OkStatus();
    }
    case T::number_float:
      return absl::InvalidArgumentError(
          StrCat("JSON value at ", path,
                 " is a fraction; the ledger stores integers only (amounts in fen)"));
    case T::string: {
      const std::string& s = v.get_ref<const std::string&>();
      if (!IsValidUtf8(s)) {
        return absl::InvalidArgumentError(StrCat("JSON string at ", path, " is not UTF-8"));
      }
      AppendJsonString(out, s);
      return absl::OkStatus();
    }
    case T::array: {
      out->push_back('[');
      size_t i = 0;
      for (const auto& item : v) {
        if (i > 0) out->push_back(',');
        absl::Status s = Encode(item, StrCat(path, "[", i, "]"), out);
        if (!s.ok()) return s;
        ++i;
      }
      out->push_back(']');
      return absl::OkStatus();
    }
    case T::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, item] : v.items()) {  // std::map: sorted by bytes
        if (!ValidKey(key)) {
          return absl::InvalidArgumentError(
              StrCat("JSON key \"", key, "\" at ", path, " must be ASCII letters, digits, _ . -"));
        }
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(out, key);
        out->push_back(':');
        absl::Status s = Encode(item, StrCat(path, ".", key), out);
        if (!s.ok()) return s;
      }
      out->push_back('}');
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError(
          StrCat("JSON value at ", path, " has a type the ledger does not store"));
  }
}

}  // namespace

absl::StatusOr<std::string> EncodeCanonicalJson(const nlohmann::json& value) {
  std::string out;
  absl::Status s = Encode(value, "$", &out);
  if (!s.ok()) return s;
  return out;
}

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (int j = 1; j < len; ++j) {
      unsigned char cc = static_cast<unsigned char>(s[i + j]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

}  // namespace boai::ledger
