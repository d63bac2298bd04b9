#include "ledger/canonical_json.h"

#include <algorithm>
#include <bit>
#include <cstring>

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

// Where a value sits, as a chain up to the root; spelled out ("$.a[2].b") only for
// an error, so encoding builds no path strings.
struct Path {
  const Path* parent = nullptr;  // nullptr: the root, "$"
  std::string_view key;          // a member's key, or
  size_t index = 0;              // an array item's index, when key is empty

  std::string ToString() const {
    if (parent == nullptr) return "$";
    return key.empty() ? StrCat(parent->ToString(), "[", index, "]")
                       : StrCat(parent->ToString(), ".", key);
  }
};

absl::Status Encode(const nlohmann::json& v, const Path& at, std::string* out) {
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
            StrCat("JSON value at ", at.ToString(), " is ", x, ", outside +-(2^53-1)"));
      }
      StrAppend(out, x);
      return absl::OkStatus();
    }
    case T::number_unsigned: {
      uint64_t x = v.get<uint64_t>();
      if (x > static_cast<uint64_t>(kMaxJsonInteger)) {
        return absl::InvalidArgumentError(
            StrCat("JSON value at ", at.ToString(), " is ", x, ", above 2^53-1"));
      }
      StrAppend(out, x);
      return absl::OkStatus();
    }
    case T::number_float:
      return absl::InvalidArgumentError(
          StrCat("JSON value at ", at.ToString(),
                 " is a fraction; the ledger stores integers only (amounts in fen)"));
    case T::string: {
      const std::string& s = v.get_ref<const std::string&>();
      if (!IsValidUtf8(s)) {
        return absl::InvalidArgumentError(
            StrCat("JSON string at ", at.ToString(), " is not UTF-8"));
      }
      AppendJsonString(out, s);
      return absl::OkStatus();
    }
    case T::array: {
      out->push_back('[');
      size_t i = 0;
      for (const auto& item : v) {
        if (i > 0) out->push_back(',');
        absl::Status s = Encode(item, Path{&at, {}, i}, out);
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
          return absl::InvalidArgumentError(StrCat("JSON key \"", key, "\" at ", at.ToString(),
                                                   " must be ASCII letters, digits, _ . -"));
        }
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(out, key);
        out->push_back(':');
        absl::Status s = Encode(item, Path{&at, key, 0}, out);
        if (!s.ok()) return s;
      }
      out->push_back('}');
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError(
          StrCat("JSON value at ", at.ToString(), " has a type the ledger does not store"));
  }
}

// The length of the well-formed UTF-8 sequence at the start of `s` (which begins
// with a byte >= 0x80), or 0 if it is not one (overlong forms, surrogates and
// code points past U+10FFFF are not).
size_t Utf8SequenceLength(const unsigned char* p, size_t avail) {
  unsigned char c = p[0];
  size_t len;
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
    return 0;
  }
  if (len > avail) return 0;
  for (size_t j = 1; j < len; ++j) {
    if ((p[j] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[j] & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

struct KeyCharTable {
  bool ok[256] = {};
  constexpr KeyCharTable() {
    for (int c = 0; c < 256; ++c) {
      ok[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    }
  }
};
constexpr KeyCharTable kKeyChars;

// SWAR: the 8 bytes of a word tested at once, each byte's high bit the answer for
// that byte. Where a test can flag a byte falsely (has_zero), it only does so above
// a byte it flags rightly, so the lowest flagged byte is always right.
constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
inline uint64_t LoadWord(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  // p[0] must be the lowest byte (LowestByte, Head): swapped on a big-endian machine.
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}
inline uint64_t HasZero(uint64_t x) { return (x - kOnes) & ~x & kHigh; }
inline uint64_t Equals(uint64_t w, unsigned char c) { return HasZero(w ^ (c * kOnes)); }
// Bytes in [lo, hi], for ASCII ranges; exact per byte (x's bytes are >= 0x80, so no
// subtraction borrows from the next byte).
inline uint64_t InRange(uint64_t w, unsigned char lo, unsigned char hi) {
  const uint64_t x = w | kHigh;
  return (x - lo * kOnes) & ~(x - (hi + 1) * kOnes) & kHigh;
}
// Bytes a string holds as themselves with no closer look: printable ASCII but '"'
// and '\\'. The flagged bytes are the others.
inline uint64_t NotPlain(uint64_t w) {
  const uint64_t below_space = (w - 0x20 * kOnes) & ~w & kHigh;
  return (w & kHigh) | below_space | Equals(w, '"') | Equals(w, '\\');
}
// Bytes that are not key characters [A-Za-z0-9_.-].
inline uint64_t NotKeyChar(uint64_t w) {
  // Letters folded to lower case (b | 0x20 is in a-z exactly for A-Z and a-z).
  const uint64_t key = InRange(w, '-', '.') | InRange(w, '0', '9') | InRange(w, '_', '_') |
                       InRange(w | (0x20 * kOnes), 'a', 'z');
  return (w & kHigh) | (~key & kHigh);
}
inline size_t LowestByte(uint64_t flags) { return static_cast<size_t>(__builtin_ctzll(flags)) / 8; }

// prev < key in byte order, given their KeyHeads: the first 8 bytes compared as
// one big-endian number (keys hold no zero byte, so the zero padding sorts a prefix
// first), then byte by byte.
inline bool KeyBefore(std::string_view prev, uint64_t prev_head, std::string_view key,
                      uint64_t key_head) {
  const uint64_t a = __builtin_bswap64(prev_head), b = __builtin_bswap64(key_head);
  if (a != b) return a < b;
  const size_t n = std::min(prev.size(), key.size());
  for (size_t i = 8; i < n; ++i) {
    if (prev[i] != key[i]) {
      return static_cast<unsigned char>(prev[i]) < static_cast<unsigned char>(key[i]);
    }
  }
  return prev.size() < key.size();
}

// The one-pass reader behind ParseCanonicalJson: accepts exactly the language of
// Encode() above, value by value.
class CanonicalReader {
 public:
  CanonicalReader(std::string_view text, std::vector<CanonicalJsonNode>* nodes)
      : begin_(reinterpret_cast<const unsigned char*>(text.data())),
        p_(begin_),
        end_(begin_ + text.size()),
        nodes_(*nodes) {}

  absl::Status Run() {
    nodes_.clear();
    if (Value(0, {}, 0) && p_ != end_) Fail("bytes follow the value");
    return status_;
  }

 private:
  static constexpr int kMaxDepth = 64;

  // Records the first problem, found at `at` (default: the current byte).
  bool Fail(std::string_view why, const unsigned char* at = nullptr) {
    if (status_.ok()) {
      status_ = absl::InvalidArgumentError(StrCat("not canonical JSON at byte ",
                                                  static_cast<uint64_t>((at ? at : p_) - begin_),
                                                  ": ", why));
    }
    return false;
  }
  std::string_view View(const unsigned char* from) const {
    return std::string_view(reinterpret_cast<const char*>(from), p_ - from);
  }
  bool Literal(std::string_view word, CanonicalJsonNode::Type type, size_t at) {
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        std::string_view(reinterpret_cast<const char*>(p_), word.size()) != word) {
      return Fail("not a JSON value");
    }
    p_ += word.size();
    nodes_[at].type = type;
    return true;
  }

  bool Value(int depth, std::string_view key, uint64_t key_head) {
    if (p_ == end_) return Fail("the text ends where a value should start");
    const size_t at = nodes_.size();
    nodes_.emplace_back();
    nodes_[at].key = key;
    nodes_[at].key_head = key_head;
    const unsigned char* start = p_;
    bool ok;
    switch (*p_) {
      case '{':
        ok = depth < kMaxDepth ? Object(depth, at) : Fail("nested too deep");
        break;
      case '[':
        ok = depth < kMaxDepth ? Array(depth, at) : Fail("nested too deep");
        break;
      case '"':
        ok = String(at);
        break;
      case 't':
        ok = Literal("true", CanonicalJsonNode::Type::kTrue, at);
        break;
      case 'f':
        ok = Literal("false", CanonicalJsonNode::Type::kFalse, at);
        break;
      case 'n':
        ok = Literal("null", CanonicalJsonNode::Type::kNull, at);
        break;
      default:
        ok = Integer(at);
    }
    if (!ok) return false;
    nodes_[at].text = View(start);
    nodes_[at].skip = static_cast<uint32_t>(nodes_.size() - at);
    return true;
  }

  bool Object(int depth, size_t at) {
    nodes_[at].type = CanonicalJsonNode::Type::kObject;
    ++p_;  // '{'
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    std::string_view prev;
    uint64_t prev_head = 0;
    uint32_t size = 0;
    while (true) {
      if (p_ == end_ || *p_ != '"') return Fail("expected a key in double quotes");
      const unsigned char* k = ++p_;
      p_ = EndOfKey(k);
      if (p_ == end_ || *p_ != '"') {
        return Fail("a key must be ASCII letters, digits, _ . - with no escapes");
      }
      std::string_view key = View(k);
      if (key.empty()) return Fail("a key must not be empty", k - 1);
      const uint64_t head = Head(k, key.size());
      if (size > 0 && !KeyBefore(prev, prev_head, key, head)) {
        return Fail(prev == key ? "a key appears twice" : "keys are not in sorted order", k - 1);
      }
      ++p_;  // closing quote
      if (p_ == end_ || *p_ != ':') return Fail("expected ':' right after the key");
      ++p_;
      if (!Value(depth + 1, key, head)) return false;
      ++size;
      prev = key;
      prev_head = head;
      if (p_ == end_) return Fail("the text ends inside an object");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ != '}') return Fail("expected ',' or '}' right after a member");
      ++p_;
      nodes_[at].size = size;
      return true;
    }
  }

  // KeyHead of the key of `size` bytes at `k`, a word at a time where the text
  // goes on that far.
  uint64_t Head(const unsigned char* k, size_t size) const {
    if (end_ - k < 8) return KeyHead(std::string_view(reinterpret_cast<const char*>(k), size));
    const uint64_t w = LoadWord(k);
    return size >= 8 ? w : w & ((uint64_t{1} << (8 * size)) - 1);
  }

  // The first byte from `q` on that is not a key character (the closing quote of
  // a good key), or end_.
  const unsigned char* EndOfKey(const unsigned char* q) const {
    while (end_ - q >= 8) {
      const uint64_t other = NotKeyChar(LoadWord(q));
      if (other != 0) return q + LowestByte(other);
      q += 8;
    }
    while (q != end_ && kKeyChars.ok[*q]) ++q;
    return q;
  }

  bool Array(int depth, size_t at) {
    nodes_[at].type = CanonicalJsonNode::Type::kArray;
    ++p_;  // '['
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    uint32_t size = 0;
    while (true) {
      if (!Value(depth + 1, {}, 0)) return false;
      ++size;
      if (p_ == end_) return Fail("the text ends inside an array");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ != ']') return Fail("expected ',' or ']' right after an item");
      ++p_;
      nodes_[at].size = size;
      return true;
    }
  }

  bool Integer(size_t at) {
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return Fail("not a JSON value");
    uint64_t v = 0;
    if (*p_ == '0') {
      ++p_;
      if (negative) return Fail("-0 is written 0");
      if (p_ != end_ && *p_ >= '0' && *p_ <= '9') return Fail("a number has a leading zero");
    } else {
      int digits = 0;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
        if (++digits > 16) return Fail("an integer is outside +-(2^53-1)");
        v = v * 10 + (*p_ - '0');
        ++p_;
      }
      if (v > static_cast<uint64_t>(kMaxJsonInteger)) {
        return Fail("an integer is outside +-(2^53-1)");
      }
    }
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) {
      return Fail("a number has a fraction or an exponent; only integers are stored");
    }
    nodes_[at].type = CanonicalJsonNode::Type::kInteger;
    nodes_[at].integer = negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
    return true;
  }

  static int LowerHex(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  }

  bool String(size_t at) {
    nodes_[at].type = CanonicalJsonNode::Type::kString;
    ++p_;  // opening quote
    while (true) {
      // The common case: printable ASCII, written as itself, 8 bytes at a time.
      const unsigned char* q = p_;
      while (true) {
        if (end_ - q < 8) {
          while (q != end_ && *q >= 0x20 && *q < 0x80 && *q != '"' && *q != '\\') ++q;
          break;
        }
        const uint64_t other = NotPlain(LoadWord(q));
        if (other != 0) {
          q += LowestByte(other);
          break;
        }
        q += 8;
      }
      p_ = q;
      if (p_ == end_) return Fail("the text ends inside a string");
      const unsigned char c = *p_;
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c == '\\') {
        nodes_[at].escaped = true;
        if (end_ - p_ < 2) return Fail("the text ends inside an escape");
        switch (p_[1]) {
          case '"':
          case '\\':
          case 'b':
          case 'f':
          case 'n':
          case 'r':
          case 't':
            p_ += 2;
            continue;
          case 'u': {
            // Only the other control characters are written as \u00xx, in lowercase.
            if (end_ - p_ < 6 || p_[2] != '0' || p_[3] != '0') {
              return Fail("a \\u escape for a character the encoder writes as itself");
            }
            int hi = LowerHex(p_[4]), lo = LowerHex(p_[5]);
            int ch = hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
            if (ch < 0 || ch >= 0x20 || ch == '\b' || ch == '\f' || ch == '\n' || ch == '\r' ||
                ch == '\t') {
              return Fail("a \\u escape that is not the canonical way to write its character");
            }
            p_ += 6;
            continue;
          }
          default:
            return Fail("an escape the encoder does not write");
        }
      }
      if (c < 0x20) return Fail("a control character in a string is not escaped");
      size_t len = Utf8SequenceLength(p_, end_ - p_);
      if (len == 0) return Fail("a string is not valid UTF-8");
      p_ += len;
    }
  }

  const unsigned char* const begin_;
  const unsigned char* p_;
  const unsigned char* const end_;
  std::vector<CanonicalJsonNode>& nodes_;
  absl::Status status_;
};

}  // namespace

absl::Status ParseCanonicalJson(std::string_view text, std::vector<CanonicalJsonNode>* nodes) {
  return CanonicalReader(text, nodes).Run();
}

std::string CanonicalJsonString(const CanonicalJsonNode& node) {
  std::string_view raw = node.text.substr(1, node.text.size() - 2);
  if (!node.escaped) return std::string(raw);
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') {
      out.push_back(raw[i]);
      continue;
    }
    char e = raw[++i];
    switch (e) {
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        auto hex = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
        out.push_back(static_cast<char>(hex(raw[i + 3]) * 16 + hex(raw[i + 4])));
        i += 4;
        break;
      }
      default:  // '"' or '\\'
        out.push_back(e);
    }
  }
  return out;
}

absl::StatusOr<std::string> EncodeCanonicalJson(const nlohmann::json& value) {
  std::string out;
  absl::Status s = Encode(value, Path{}, &out);
  if (!s.ok()) return s;
  return out;
}

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t plain = 0;  // the first byte not yet written
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;  // written literally, in runs
    out->append(s.data() + plain, i - plain);
    plain = i + 1;
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
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->append(s.data() + plain, s.size() - plain);
  out->push_back('"');
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0;
  while (i < s.size()) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    size_t len = Utf8SequenceLength(p + i, s.size() - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace boai::ledger
