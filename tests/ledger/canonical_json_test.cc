#include "ledger/canonical_json.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "ledger/strings.h"

namespace boai::ledger {
namespace {

TEST(CanonicalJson, SortsKeysAndDropsWhitespace) {
  nlohmann::json v = nlohmann::json::parse(R"({ "b": 1, "a": [true, null, "x"], "A": -5 })");
  EXPECT_EQ(*EncodeCanonicalJson(v), R"({"A":-5,"a":[true,null,"x"],"b":1})");
}

TEST(CanonicalJson, EscapesLikeRfc8785) {
  nlohmann::json v = std::string("\"\\\b\f\n\r\t\x01\x1f/\xE5\xBC\xA0*\x7f");
  EXPECT_EQ(*EncodeCanonicalJson(v), "\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f/\xE5\xBC\xA0*\x7f\"");
}

TEST(CanonicalJson, RefusesFractionsAndHugeIntegers) {
  EXPECT_FALSE(EncodeCanonicalJson(nlohmann::json(1.5)).ok());
  EXPECT_TRUE(EncodeCanonicalJson(nlohmann::json(kMaxJsonInteger)).ok());
  EXPECT_FALSE(EncodeCanonicalJson(nlohmann::json(kMaxJsonInteger + 1)).ok());
  EXPECT_FALSE(EncodeCanonicalJson(nlohmann::json(-kMaxJsonInteger - 1)).ok());
  EXPECT_FALSE(EncodeCanonicalJson(nlohmann::json(uint64_t{1} << 60)).ok());
}

TEST(CanonicalJson, RefusesBadKeysAndInvalidUtf8) {
  nlohmann::json bad_key = {{"a b", 1}};
  absl::StatusOr<std::string> r = EncodeCanonicalJson(bad_key);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("a b"), std::string::npos);
  EXPECT_FALSE(EncodeCanonicalJson(nlohmann::json(std::string("\xC0\xAF"))).ok());      // overlong
  EXPECT_FALSE(EncodeCanonicalJson(nlohmann::json(std::string("\xED\xA0\x80"))).ok());  // surrogate
  EXPECT_FALSE(EncodeCanonicalJson(nlohmann::json(std::string("\xE5\xBC"))).ok());      // truncated
}

TEST(CanonicalJson, NestedPathsInErrors) {
  nlohmann::json v = {{"postings", {{{"amount", 1.0}}}}};
  absl::StatusOr<std::string> r = EncodeCanonicalJson(v);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("$.postings[0].amount"), std::string::npos);
}

// ---- ParseCanonicalJson: one pass, no re-encoding ----

// The reference answer to "is this text canonical?": parse it with nlohmann and
// check that the canonical encoding of what was read gives the same bytes back (the
// books replay's check before ParseCanonicalJson).
bool CanonicalByReencoding(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return false;
  absl::StatusOr<std::string> again = EncodeCanonicalJson(j);
  return again.ok() && *again == text;
}

// The value the nodes describe, rebuilt as nlohmann JSON. Advances `n` past it.
nlohmann::json FromNodes(const CanonicalJsonNode*& n) {
  using T = CanonicalJsonNode::Type;
  const CanonicalJsonNode& v = *n++;
  switch (v.type) {
    case T::kNull:
      return nullptr;
    case T::kTrue:
      return true;
    case T::kFalse:
      return false;
    case T::kInteger:
      return v.integer;
    case T::kString:
      return CanonicalJsonString(v);
    case T::kArray: {
      nlohmann::json a = nlohmann::json::array();
      for (uint32_t i = 0; i < v.size; ++i) a.push_back(FromNodes(n));
      return a;
    }
    case T::kObject: {
      nlohmann::json o = nlohmann::json::object();
      for (uint32_t i = 0; i < v.size; ++i) {
        std::string key(n->key);
        o[key] = FromNodes(n);
      }
      return o;
    }
  }
  return nullptr;
}

// Checks ParseCanonicalJson against the reference on `text`; returns whether it
// was accepted.
bool ExpectSameVerdict(const std::string& text) {
  std::vector<CanonicalJsonNode> nodes;
  absl::Status s = ParseCanonicalJson(text, &nodes);
  const bool reference = CanonicalByReencoding(text);
  EXPECT_EQ(s.ok(), reference) << "text: " << text << "\nParseCanonicalJson: " << s;
  if (s.ok() && reference) {
    const CanonicalJsonNode* n = nodes.data();
    EXPECT_EQ(FromNodes(n), nlohmann::json::parse(text)) << text;
    EXPECT_EQ(n, nodes.data() + nodes.size()) << text;
    EXPECT_EQ(nodes.front().skip, nodes.size()) << text;
    EXPECT_EQ(nodes.front().text, text);
  }
  return s.ok();
}

TEST(ParseCanonicalJson, AcceptsExactlyTheCanonicalTexts) {
  struct Case {
    std::string text;
    bool canonical;
  };
  const std::vector<Case> cases = {
      {"{}", true},
      {"[]", true},
      {"0", true},
      {"-1", true},
      {"null", true},
      {"true", true},
      {"false", true},
      {"9007199254740991", true},
      {"-9007199254740991", true},
      {R"("")", true},
      {R"("\u0000\u001f\u000b")", true},
      {R"("\b\f\n\r\t\"\\")", true},
      {"\"/\x7f\xE5\xBC\xA0\xF0\x9F\x98\x80\"", true},
      {R"({"A":1,"_":2,"a":3})", true},
      {R"({"a":1,"ab":2,"b":{"c":[1,"x",null,true,false,[],{}]}})", true},
      {R"({"a-b":1,"a.b":2})", true},
      // Keys longer than a word, sharing their first 8 bytes.
      {R"({"abcdefgh":1,"abcdefgh1":2,"abcdefgh2":3,"abcdefghij":4})", true},
      {R"({"abcdefgh2":1,"abcdefgh1":2})", false},
      {R"({"abcdefgh1":1,"abcdefgh":2})", false},
      {R"({"abcdefghij":1,"abcdefghij":2})", false},
      {"", false},
      {" {}", false},
      {"{} ", false},
      {R"({"a":1}x)", false},
      {std::string("{}\0", 3), false},
      {R"({"b":1,"a":2})", false},
      {R"({"a":1,"a":1})", false},
      {R"({"a":1,"a":2})", false},
      {R"({"":1})", false},
      {R"({"a b":1})", false},
      {R"({"\u0061":1})", false},
      {R"({"a" :1})", false},
      {R"({"a": 1})", false},
      {R"({"a":1 })", false},
      {"[1,]", false},
      {"[1 ,2]", false},
      {"01", false},
      {"-0", false},
      {"+1", false},
      {"1.0", false},
      {"1e2", false},
      {"1E2", false},
      {"9007199254740992", false},
      {"-9007199254740992", false},
      {"12345678901234567890", false},
      {R"("\u001F")", false},
      {R"("\u0008")", false},
      {R"("\u000a")", false},
      {R"("\u0041")", false},
      {R"("\u00e9")", false},
      {R"("\/")", false},
      {R"("\ud83d\ude00")", false},
      {R"("\x")", false},
      {"\"\x01\"", false},
      {"\"\xC0\xAF\"", false},
      {"\"\xED\xA0\x80\"", false},
      {"\"\xE5\xBC\"", false},
      {"\"\xF4\x90\x80\x80\"", false},
      {"\"\x80\"", false},
      {"tru", false},
      {"nul", false},
      {"True", false},
      {R"("abc)", false},
      {R"({"a")", false},
      {R"({"a":)", false},
      {"[", false},
  };
  for (const Case& c : cases) {
    std::vector<CanonicalJsonNode> nodes;
    EXPECT_EQ(ParseCanonicalJson(c.text, &nodes).ok(), c.canonical) << c.text;
    EXPECT_EQ(CanonicalByReencoding(c.text), c.canonical) << "the reference disagrees: " << c.text;
  }
}

// Every byte in a key of every length up to 12 at every place in it: accepted
// exactly when it is one of [A-Za-z0-9_.-]. The reader tests a key 8 bytes at a
// time where the text goes on that far and byte by byte near its end; short texts
// reach the second way, longer ones the first.
TEST(ParseCanonicalJson, AcceptsExactlyTheKeyAlphabetInKeys) {
  std::vector<CanonicalJsonNode> nodes;
  for (int c = 0; c < 256; ++c) {
    const bool key_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    for (size_t size = 1; size <= 12; ++size) {
      for (size_t at = 0; at < size; ++at) {
        std::string key(size, 'k');
        key[at] = static_cast<char>(c);
        for (const std::string& text :
             {"{\"" + key + "\":1}", "{\"" + key + "\":\"a long value\"}"}) {
          EXPECT_EQ(ParseCanonicalJson(text, &nodes).ok(), key_char)
              << "byte " << c << " at " << at << " in " << text;
        }
      }
    }
  }
}

TEST(ParseCanonicalJson, SaysWhereAndWhat) {
  std::vector<CanonicalJsonNode> nodes;
  absl::Status s = ParseCanonicalJson(R"({"b":1,"a":2})", &nodes);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("byte 7"), std::string::npos) << s;
  EXPECT_NE(s.message().find("sorted"), std::string::npos) << s;
  s = ParseCanonicalJson(R"({"a":1.5})", &nodes);
  EXPECT_NE(s.message().find("fraction"), std::string::npos) << s;
  s = ParseCanonicalJson(R"({"a":"\u0041"})", &nodes);
  EXPECT_NE(s.message().find("byte 6"), std::string::npos) << s;
}

TEST(ParseCanonicalJson, LaysOutNodesInDocumentOrder) {
  std::vector<CanonicalJsonNode> nodes;
  ASSERT_TRUE(ParseCanonicalJson(R"({"a":[1,{"b":"x\ny"}],"c":-7})", &nodes).ok());
  using T = CanonicalJsonNode::Type;
  ASSERT_EQ(nodes.size(), 6u);
  EXPECT_EQ(nodes[0].type, T::kObject);
  EXPECT_EQ(nodes[0].size, 2u);
  EXPECT_EQ(nodes[1].key, "a");
  EXPECT_EQ(nodes[1].type, T::kArray);
  EXPECT_EQ(nodes[1].skip, 4u);  // the array, 1, the object and its string
  EXPECT_EQ(nodes[1].text, R"([1,{"b":"x\ny"}])");
  EXPECT_EQ(nodes[2].integer, 1);
  EXPECT_EQ(nodes[4].key, "b");
  EXPECT_TRUE(nodes[4].escaped);
  EXPECT_EQ(CanonicalJsonString(nodes[4]), "x\ny");
  EXPECT_EQ(nodes[5].key, "c");
  EXPECT_EQ(nodes[5].integer, -7);
  // The vector is reused: a second parse replaces what the first left.
  ASSERT_TRUE(ParseCanonicalJson("[]", &nodes).ok());
  EXPECT_EQ(nodes.size(), 1u);
}

TEST(ParseCanonicalJson, RefusesNestingDeeperThan64) {
  std::vector<CanonicalJsonNode> nodes;
  EXPECT_TRUE(ParseCanonicalJson(std::string(64, '[') + std::string(64, ']'), &nodes).ok());
  absl::Status s = ParseCanonicalJson(std::string(65, '[') + std::string(65, ']'), &nodes);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("deep"), std::string::npos) << s;
}

// Writes JSON texts that are canonical most of the time and off it in every way
// the encoder could be: whitespace, key order, duplicate and bad keys, other
// escapes, raw control characters, bad UTF-8, number forms.
class TextMaker {
 public:
  explicit TextMaker(uint32_t seed) : rng_(seed) {}

  std::string Text() { return Value(0); }

  // A small random edit of `text`: a byte dropped, doubled, replaced or inserted.
  std::string Mutate(std::string text) {
    static const std::string kBytes = std::string("{}[]\":,\\ -.0159eEutrfnlab/") +
                                      std::string("\x00\x01\x1f\x7f\x80\xBF\xC0\xE5\xED\xF4", 10);
    const size_t at = text.empty() ? 0 : Pick(text.size());
    const char byte = kBytes[Pick(kBytes.size())];
    switch (Pick(4)) {
      case 0:
        if (!text.empty()) text.erase(at, 1);
        break;
      case 1:
        if (!text.empty()) text.insert(at, 1, text[at]);
        break;
      case 2:
        if (!text.empty()) text[at] = byte;
        break;
      default:
        text.insert(at, 1, byte);
    }
    return text;
  }

 private:
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Rare() { return Pick(40) == 0; }  // a deviation from canonical form

  std::string Value(int depth) {
    std::string out = Rare() ? " " : "";
    switch (Pick(depth < 3 ? 7 : 5)) {
      case 0:
        out += Rare() ? "Null" : "null";
        break;
      case 1:
        out += "true";
        break;
      case 2:
        out += "false";
        break;
      case 3:
        out += Integer();
        break;
      case 4:
        out += String();
        break;
      case 5: {
        out += '[';
        const size_t n = Pick(4);
        for (size_t i = 0; i < n; ++i) {
          if (i > 0) out += Rare() ? ", " : ",";
          out += Value(depth + 1);
        }
        if (n > 0 && Rare()) out += ',';
        out += ']';
        break;
      }
      default:
        out += Object(depth);
    }
    if (Rare()) out += ' ';
    return out;
  }

  std::string Integer() {
    static const std::vector<std::string> kEdges = {"0",
                                                    "1",
                                                    "-1",
                                                    "9",
                                                    "10",
                                                    "-10",
                                                    "9007199254740991",
                                                    "-9007199254740991",
                                                    "9007199254740992",
                                                    "-9007199254740992",
                                                    "18446744073709551616"};
    static const std::vector<std::string> kOff = {"-0",  "01", "1.0", "1e3",
                                                  "1E3", "+1", "-",   "0x1"};
    if (Rare()) return kOff[Pick(kOff.size())];
    if (Pick(3) == 0) return kEdges[Pick(kEdges.size())];
    std::string digits = std::to_string(1 + Pick(9));
    for (size_t n = Pick(16); n > 0; --n) digits += static_cast<char>('0' + Pick(10));
    return Pick(3) == 0 ? "-" + digits : digits;
  }

  std::string String() {
    // Characters as code points (or a raw byte, for bad UTF-8, when negative).
    static const std::vector<int> kChars = {'a',  'Z',  '0',    ' ',     '/',   '"',   '\\', 0x00,
                                            0x01, '\b', '\t',   '\n',    0x0b,  '\f',  '\r', 0x1f,
                                            0x7f, 0xe9, 0x5f20, 0x1f600, -0x80, -0xC0, -0xED};
    static const char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    for (size_t n = Pick(6); n > 0; --n) {
      const int c = kChars[Pick(kChars.size())];
      if (c < 0) {
        out += static_cast<char>(-c);
        continue;
      }
      if (Rare()) {  // some other escape
        char buf[8];
        std::snprintf(buf, sizeof(buf), Pick(2) ? "\\u%04x" : "\\u%04X", c > 0xffff ? 0xd83d : c);
        out += buf;
        continue;
      }
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\r':
          out += "\\r";
          break;
        default:
          if (c < 0x20 && !Rare()) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 15];
          } else if (c < 0x80) {
            out += static_cast<char>(c);
          } else if (c < 0x800) {
            out += static_cast<char>(0xC0 | (c >> 6));
            out += static_cast<char>(0x80 | (c & 0x3F));
          } else if (c < 0x10000) {
            out += static_cast<char>(0xE0 | (c >> 12));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
          } else {
            out += static_cast<char>(0xF0 | (c >> 18));
            out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
          }
      }
    }
    return out + "\"";
  }

  std::string Object(int depth) {
    static const std::vector<std::string> kKeys = {
        "a",        "b",         "A",          "Z",          "_",
        "-",        ".",         "0",          "9",          "ab",
        "a.b",      "a-b",       "a_b",        "by",         "amount",
        "requires", "requires_", "requires_a", "requires_b", "requires_tier"};
    static const std::vector<std::string> kBadKeys = {"", "a b", "\\u0061", "\xC3\xA9", "a/b"};
    std::vector<std::string> keys;
    for (size_t n = Pick(5); n > 0; --n) {
      keys.push_back(Rare() ? kBadKeys[Pick(kBadKeys.size())] : kKeys[Pick(kKeys.size())]);
    }
    std::sort(keys.begin(), keys.end());
    if (!Rare()) keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    if (Rare()) std::shuffle(keys.begin(), keys.end(), rng_);
    std::string out = "{";
    for (size_t i = 0; i < keys.size(); ++i) {
      if (i > 0) out += ',';
      out += "\"" + keys[i] + "\"";
      out += Rare() ? ": " : ":";
      out += Value(depth + 1);
    }
    return out + "}";
  }

  std::mt19937 rng_;
};

TEST(ParseCanonicalJson, AgreesWithReencodingOnGeneratedTexts) {
  TextMaker maker(20190909);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = maker.Text();
    (ExpectSameVerdict(text) ? accepted : refused)++;
    if (::testing::Test::HasFailure()) return;
  }
  // Both sides of the line were exercised, not one.
  EXPECT_GT(accepted, 5000);
  EXPECT_GT(refused, 2000);
}

TEST(ParseCanonicalJson, AgreesWithReencodingOnEditedCanonicalTexts) {
  TextMaker maker(7);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = maker.Text();
    if (!CanonicalByReencoding(text)) continue;
    for (int k = 0; k < 3; ++k) {
      text = maker.Mutate(text);
      (ExpectSameVerdict(text) ? accepted : refused)++;
    }
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(refused, 10000);
}

}  // namespace
}  // namespace boai::ledger
