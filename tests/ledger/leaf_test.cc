// Leaf encoding v1: golden bytes, round trips, and what the decoders refuse.
//
// The expected leaf bytes below are written out by hand from docs/leaf-format.md's
// grammar (leaf.h), and the expected leaf hashes were computed outside this code base:
//
//   { printf '\x00'; printf '%s' "$LEAF"; } | sha256sum
//
// Do not "fix" a golden value by pasting what EncodeLeaf produces: a change here is a
// change of the on-disk and exported format.
#include "ledger/leaf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "ledger/canonical_json.h"
#include "ledger/hash.h"

namespace boai::ledger {
namespace {

using ::testing::HasSubstr;

Hash Counting() {  // 00 01 02 ... 1f
  Hash h{};
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(i);
  return h;
}

Hash AllFf() {
  Hash h;
  h.fill(0xff);
  return h;
}

bool SameHeader(const LeafHeader& a, const LeafHeader& b) {
  return a.index == b.index && a.key == b.key && a.kind == b.kind && a.prev == b.prev &&
         a.time_ms == b.time_ms;
}

struct Golden {
  const char* name;
  LeafHeader header;
  std::string body;
  std::string leaf;       // expected EncodeLeaf bytes
  std::string leaf_hash;  // expected LeafHash, hex, computed with sha256sum
};

std::vector<Golden> Goldens() {
  std::vector<Golden> g;
  g.push_back(Golden{"genesis", LeafHeader{0, "log.genesis", "log.genesis", Hash{}, 1700000000000},
                     R"({"format":"boai-ledger/1","origin":"boai.local/ledger"})",
                     R"({"body":{"format":"boai-ledger/1","origin":"boai.local/ledger"},"index":0,)"
                     R"("key":"log.genesis","kind":"log.genesis",)"
                     R"("prev":"0000000000000000000000000000000000000000000000000000000000000000",)"
                     R"("time_ms":1700000000000,"v":1})",
                     "1f8b90cec606a958d9bee8e328f6a8f85c5fef8ee1b04f5ce3b2e10e0921d83c"});
  // Chinese text (UTF-8 written literally), and every escape canonical JSON uses in a
  // body: \" \\ \n \t \u00xx; "/" is not escaped.
  g.push_back(Golden{
      "chinese_body_with_escapes", LeafHeader{42, "R-2024-0001", "gift", Counting(), 1717171717171},
      R"json({"amount":10000,"donor":"张*","memo":"爱心人士 \"善款\"\\/\n\t\u0001\u001f","tags":["教育",null,true,-5]})json",
      R"json({"body":{"amount":10000,"donor":"张*","memo":"爱心人士 \"善款\"\\/\n\t\u0001\u001f","tags":["教育",null,true,-5]},)json"
      R"json("index":42,"key":"R-2024-0001","kind":"gift",)json"
      R"json("prev":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",)json"
      R"json("time_ms":1717171717171,"v":1})json",
      "54b421a798c8ccaba15f98460e8820983dea050645396adce54674b3293123c8"});
  // The key is escaped by EncodeLeaf itself: quote, backslash, control bytes.
  g.push_back(
      Golden{"escaped_key_max_index",
             LeafHeader{18446744073709551615ull, "收据 \"7\"\\\x01\t", "refund.v2_x", AllFf(),
                        9007199254740993ull},
             "{}",
             R"json({"body":{},"index":18446744073709551615,"key":"收据 \"7\"\\\u0001\t",)json"
             R"json("kind":"refund.v2_x",)json"
             R"json("prev":"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",)json"
             R"json("time_ms":9007199254740993,"v":1})json",
             "63043b432756044f00695ba5f474716287e4d63774f11beef665aa845dc2d88f"});
  return g;
}

TEST(LeafGolden, EncodeLeafWritesExactBytes) {
  for (const Golden& g : Goldens()) {
    SCOPED_TRACE(g.name);
    // The test's bodies are themselves canonical.
    absl::StatusOr<std::string> canon = EncodeCanonicalJson(nlohmann::json::parse(g.body));
    ASSERT_TRUE(canon.ok()) << canon.status();
    EXPECT_EQ(*canon, g.body);

    std::string leaf = EncodeLeaf(g.header, g.body);
    EXPECT_EQ(leaf, g.leaf);
    EXPECT_EQ(HashToHex(LeafHash(leaf)), g.leaf_hash);
    // The leaf hash is domain-separated: not the plain SHA-256 of the bytes.
    EXPECT_NE(HashToHex(Sha256(leaf)), g.leaf_hash);
  }
}

TEST(LeafGolden, ChineseTextIsLiteralUtf8) {
  std::string leaf = Goldens()[1].leaf;
  // 张 = E5 BC A0, 爱心人士 = E7 88 B1 E5 BF 83 E4 BA BA E5 A3 AB; no \u escapes.
  EXPECT_THAT(leaf, HasSubstr("\"donor\":\"\xE5\xBC\xA0*\""));
  EXPECT_THAT(leaf, HasSubstr("\xE7\x88\xB1\xE5\xBF\x83\xE4\xBA\xBA\xE5\xA3\xAB"));
  EXPECT_EQ(leaf.find("\\u5"), std::string::npos);
}

TEST(LeafGolden, DecodeGivesBackTheFields) {
  for (const Golden& g : Goldens()) {
    SCOPED_TRACE(g.name);
    LeafDecoder decoder;
    absl::StatusOr<DecodedLeaf> d = decoder.Decode(g.leaf);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_TRUE(SameHeader(d->header, g.header));
    EXPECT_EQ(d->header.key, g.header.key);
    EXPECT_EQ(d->body, g.body);
    absl::StatusOr<DecodedLeaf> strict = DecodeLeafStrict(g.leaf);
    ASSERT_TRUE(strict.ok()) << strict.status();
    EXPECT_TRUE(SameHeader(strict->header, g.header));
    EXPECT_EQ(strict->body, g.body);
  }
}

TEST(LeafRoundTrip, DecodeOfEncodeIsIdentity) {
  std::vector<std::pair<LeafHeader, std::string>> cases = {
      {LeafHeader{1, "k", "a", Hash{}, 0}, "{}"},
      {LeafHeader{7, std::string(kMaxKeyBytes, 'x'), std::string(64, 'z'), Counting(), 1},
       R"({"a":[1,2,{"b":"c"}],"z":null})"},
      {LeafHeader{123456789, "银行回单 No.\"88\"\n", "donation.cash_in", AllFf(), 1700000000123},
       R"({"donor":"爱心人士","name":"张*","note":"\\\"\u0000"})"},
      {LeafHeader{UINT64_MAX, "\x7f/\\", "x.y_z.0", Counting(), UINT64_MAX},
       R"({"n":-9007199254740991})"},
  };
  LeafDecoder decoder;  // reused across leaves
  for (const auto& [header, body] : cases) {
    std::string leaf = EncodeLeaf(header, body);
    SCOPED_TRACE(leaf);
    absl::StatusOr<DecodedLeaf> d = decoder.Decode(leaf);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_TRUE(SameHeader(d->header, header));
    EXPECT_EQ(d->body, body);
    absl::StatusOr<DecodedLeaf> strict = DecodeLeafStrict(leaf);
    ASSERT_TRUE(strict.ok()) << strict.status();
    EXPECT_EQ(EncodeLeaf(strict->header, strict->body), leaf);
  }
}

// A valid leaf with one piece replaced, for the rejection tests.
std::string Leaf(
    std::string_view body = "{}", std::string_view index = "3", std::string_view key = R"("k-1")",
    std::string_view kind = R"("gift")",
    std::string_view prev = R"("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")",
    std::string_view time = "1700000000000", std::string_view v = "1") {
  std::string s = "{\"body\":";
  s += body;
  s += ",\"index\":";
  s += index;
  s += ",\"key\":";
  s += key;
  s += ",\"kind\":";
  s += kind;
  s += ",\"prev\":";
  s += prev;
  s += ",\"time_ms\":";
  s += time;
  s += ",\"v\":";
  s += v;
  s += "}";
  return s;
}

void ExpectRejected(std::string_view bytes, std::string_view message_part) {
  SCOPED_TRACE(std::string(bytes));
  LeafDecoder decoder;
  absl::StatusOr<DecodedLeaf> d = decoder.Decode(bytes);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr(std::string(message_part)));
  // The strict decoder refuses whatever the plain one refuses.
  absl::StatusOr<DecodedLeaf> s = DecodeLeafStrict(bytes);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  // The decoder stays usable after a rejection.
  EXPECT_TRUE(decoder.Decode(Leaf()).ok());
}

TEST(LeafDecoder, TheHelperLeafIsValid) {
  LeafDecoder decoder;
  absl::StatusOr<DecodedLeaf> d = decoder.Decode(Leaf());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->header.index, 3u);
  EXPECT_EQ(d->header.key, "k-1");
  EXPECT_EQ(d->header.kind, "gift");
  EXPECT_EQ(d->header.prev, Counting());
  EXPECT_EQ(d->header.time_ms, 1700000000000u);
  EXPECT_EQ(d->body, "{}");
  EXPECT_TRUE(DecodeLeafStrict(Leaf()).ok());
}

TEST(LeafDecoder, RejectsNonJson) {
  ExpectRejected("", "malformed leaf");
  ExpectRejected("hello", "malformed leaf");
  ExpectRejected("{\"body\":{}", "malformed leaf");
  ExpectRejected("{\"body\":{},\"index\":", "malformed leaf");
  ExpectRejected(std::string("\x00\x01\x02", 3), "malformed leaf");
  ExpectRejected("[1,2,3]", "not a JSON object");
  ExpectRejected("\"a string\"", "not a JSON object");
}

// The lax decoder does not check canonical form, but it must not take bytes that are
// not JSON at all: VerifyLedger relies on it, and other readers of exported leaves
// (any JSON library) would refuse them.
TEST(LeafDecoder, RejectsTrailingBytesAfterTheLeaf) {
  ExpectRejected(Leaf() + "}", "not JSON");
  ExpectRejected(Leaf() + "]", "not JSON");
  ExpectRejected(Leaf() + "xyz", "malformed leaf");
  ExpectRejected(Leaf() + "{}", "malformed leaf");
  ExpectRejected(Leaf() + ",1", "malformed leaf");
}

TEST(LeafDecoder, RejectsABodyThatIsNotJson) {
  ExpectRejected(Leaf(R"({"a":tru})"), "not JSON");
  ExpectRejected(Leaf(R"({"a":1 2})"), "not JSON");
  ExpectRejected(Leaf(R"({"a":})"), "not JSON");
  ExpectRejected(Leaf(R"({"a" 1})"), "not JSON");
  ExpectRejected(Leaf(R"({"a":[1,}})"), "not JSON");
  ExpectRejected(Leaf(R"({"a":"\q"})"), "not JSON");
  ExpectRejected(Leaf("{\"a\":\"\xC0\xAF\"}"), "not JSON");  // not UTF-8
  // Valid but non-canonical JSON is the strict decoder's business only.
  LeafDecoder decoder;
  EXPECT_TRUE(decoder.Decode(Leaf(R"({ "b" : 1 , "a" : 2 })")).ok());
}

TEST(LeafDecoder, RejectsMissingFields) {
  ExpectRejected("{}", "0 of the 7 fields");
  // Missing the last field.
  ExpectRejected(
      R"({"body":{},"index":3,"key":"k","kind":"gift","prev":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f","time_ms":1})",
      "6 of the 7 fields");
  // Missing a middle field (key): the next field shows up where key belongs.
  ExpectRejected(
      R"({"body":{},"index":3,"kind":"gift","prev":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f","time_ms":1,"v":1})",
      "unexpected field \"kind\" at position 3");
  // Missing body.
  ExpectRejected(
      R"({"index":3,"key":"k","kind":"gift","prev":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f","time_ms":1,"v":1})",
      "unexpected field \"index\" at position 1");
}

TEST(LeafDecoder, RejectsFieldsOutOfOrder) {
  ExpectRejected(
      R"({"body":{},"index":3,"kind":"gift","key":"k","prev":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f","time_ms":1,"v":1})",
      "unexpected field \"kind\" at position 3");
  ExpectRejected(
      R"({"v":1,"body":{},"index":3,"key":"k","kind":"gift","prev":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f","time_ms":1})",
      "unexpected field \"v\" at position 1");
  // A repeated field is out of order too.
  ExpectRejected(
      R"({"body":{},"body":{},"index":3,"key":"k","kind":"gift","prev":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f","time_ms":1,"v":1})",
      "unexpected field \"body\" at position 2");
}

TEST(LeafDecoder, RejectsExtraFields) {
  std::string leaf = Leaf();
  std::string extra_at_end = leaf.substr(0, leaf.size() - 1) + ",\"x\":1}";
  ExpectRejected(extra_at_end, "unexpected field \"x\" at position 8");
  std::string extra_in_middle = leaf;
  extra_in_middle.insert(leaf.find(",\"index\""), ",\"amount\":5");
  ExpectRejected(extra_in_middle, "unexpected field \"amount\" at position 2");
}

TEST(LeafDecoder, RejectsWrongTypes) {
  ExpectRejected(Leaf("[]"), "body is not a JSON object");
  ExpectRejected(Leaf("\"{}\""), "body is not a JSON object");
  ExpectRejected(Leaf("null"), "body is not a JSON object");
  ExpectRejected(Leaf("{}", "\"3\""), "index is not a non-negative integer");
  ExpectRejected(Leaf("{}", "-1"), "index is not a non-negative integer");
  ExpectRejected(Leaf("{}", "1.5"), "index is not a non-negative integer");
  ExpectRejected(Leaf("{}", "18446744073709551616"), "malformed leaf");  // 2^64
  ExpectRejected(Leaf("{}", "3", "7"), "key is not a string");
  ExpectRejected(Leaf("{}", "3", "null"), "key is not a string");
  ExpectRejected(Leaf("{}", "3", R"("k")", "[\"gift\"]"), "kind is not a string");
  ExpectRejected(Leaf("{}", "3", R"("k")", R"("gift")", "0"), "prev is not 64 hex digits");
  ExpectRejected(Leaf("{}", "3", R"("k")", R"("gift")", R"("00")", "\"1\""),
                 "prev is not 64 hex digits");
  const std::string prev = R"("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")";
  ExpectRejected(Leaf("{}", "3", R"("k")", R"("gift")", prev, "\"1700000000000\""),
                 "time_ms is not a non-negative integer");
  ExpectRejected(Leaf("{}", "3", R"("k")", R"("gift")", prev, "-5"),
                 "time_ms is not a non-negative integer");
  ExpectRejected(Leaf("{}", "3", R"("k")", R"("gift")", prev, "1", "\"1\""), "v is not an integer");
  ExpectRejected(Leaf("{}", "3", R"("k")", R"("gift")", prev, "1", "true"), "v is not an integer");
}

TEST(LeafDecoder, RejectsPrevThatIsNot64Hex) {
  auto with_prev = [](std::string_view p) { return Leaf("{}", "3", R"("k")", R"("gift")", p); };
  const std::string ok = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  ExpectRejected(with_prev("\"" + ok.substr(1) + "\""), "prev is not 64 hex digits");  // 63
  ExpectRejected(with_prev("\"" + ok + "0\""), "prev is not 64 hex digits");           // 65
  ExpectRejected(with_prev("\"" + ok.substr(0, 63) + "g\""), "prev is not 64 hex digits");
  ExpectRejected(with_prev("\"\""), "prev is not 64 hex digits");
  ExpectRejected(with_prev("\" " + ok.substr(1) + "\""), "prev is not 64 hex digits");
}

TEST(LeafDecoder, RejectsUnknownVersion) {
  const std::string prev = R"("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")";
  // A v2 leaf with v1's fields.
  ExpectRejected(Leaf("{}", "3", R"("k")", R"("gift")", prev, "1", "2"), "unknown leaf version 2");
  ExpectRejected(Leaf("{}", "3", R"("k")", R"("gift")", prev, "1", "0"), "unknown leaf version 0");
  // A v2 leaf with other fields: still reported as a version problem.
  ExpectRejected(R"({"body":{},"hash_alg":"sha3","index":3,"v":2})", "unknown leaf version 2");
  ExpectRejected(R"({"v":7})", "unknown leaf version 7");
}

TEST(LeafDecodeStrict, AcceptsWhatTheLaxDecoderAcceptsButRejectsNonCanonicalBytes) {
  const std::string canonical = Goldens()[1].leaf;
  ASSERT_TRUE(DecodeLeafStrict(canonical).ok());

  std::vector<std::pair<std::string, std::string>> variants;
  auto replace = [&](std::string_view what, std::string_view with) {
    std::string s = canonical;
    size_t at = s.find(what);
    EXPECT_NE(at, std::string::npos) << what;
    if (at != std::string::npos) s.replace(at, what.size(), with);
    return s;
  };
  variants.emplace_back("space after a top-level colon", replace("\"index\":42", "\"index\": 42"));
  variants.emplace_back("space inside the body", replace("\"amount\":10000", "\"amount\" : 10000"));
  variants.emplace_back("leading whitespace", " " + canonical);
  variants.emplace_back("trailing newline", canonical + "\n");
  variants.emplace_back("unsorted body keys", replace(R"("amount":10000,"donor":"张*")",
                                                      R"("donor":"张*","amount":10000)"));
  variants.emplace_back("duplicate body key",
                        replace("\"amount\":10000", "\"amount\":10000,\"amount\":10000"));
  variants.emplace_back("duplicate body key, different values",
                        replace("\"amount\":10000", "\"amount\":1,\"amount\":10000"));
  variants.emplace_back("escaped non-ASCII in body", replace("张", "\\u5f20"));
  variants.emplace_back("escaped slash in body", replace("\\\\/", "\\\\\\/"));
  variants.emplace_back("escaped ASCII in key", replace("\"R-2024", "\"\\u0052-2024"));
  variants.emplace_back("uppercase prev", replace("0a0b0c0d0e0f", "0A0B0C0D0E0F"));
  variants.emplace_back("leading zero in index", replace("\"index\":42", "\"index\":042"));
  variants.emplace_back("fraction in body", replace("\"amount\":10000", "\"amount\":100.5"));
  variants.emplace_back("exponent in body", replace("\"amount\":10000", "\"amount\":1e4"));

  for (const auto& [what, bytes] : variants) {
    SCOPED_TRACE(what);
    ASSERT_NE(bytes, canonical);
    absl::StatusOr<DecodedLeaf> s = DecodeLeafStrict(bytes);
    ASSERT_FALSE(s.ok()) << bytes;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(LeafDecodeStrict, NamesCanonicalForm) {
  std::string leaf = Leaf(R"({"b":1,"a":2})");
  LeafDecoder decoder;
  ASSERT_TRUE(decoder.Decode(leaf).ok());  // the lax decoder does not look at the body
  absl::StatusOr<DecodedLeaf> s = DecodeLeafStrict(leaf);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("canonical"));
}

TEST(LeafValidation, Kinds) {
  for (std::string_view ok : {"a", "gift", "log.genesis", "x0_._9", "z"}) {
    EXPECT_TRUE(ValidateKind(ok).ok()) << ok;
  }
  EXPECT_TRUE(ValidateKind(std::string(64, 'a')).ok());
  for (std::string_view bad : {"", "Gift", "1gift", "_a", ".a", "gift-x", "gift x", "礼物"}) {
    absl::Status s = ValidateKind(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(ValidateKind(std::string(65, 'a')).ok());
}

TEST(LeafValidation, Keys) {
  EXPECT_TRUE(ValidateKey("k").ok());
  EXPECT_TRUE(ValidateKey("收据 #1 \"x\"").ok());
  EXPECT_TRUE(ValidateKey(std::string(kMaxKeyBytes, 'k')).ok());
  EXPECT_EQ(ValidateKey("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateKey(std::string(kMaxKeyBytes + 1, 'k')).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateKey("\xE5\xBC").code(), absl::StatusCode::kInvalidArgument);  // truncated
  EXPECT_EQ(ValidateKey("\xC0\xAF").code(), absl::StatusCode::kInvalidArgument);  // overlong
}

}  // namespace
}  // namespace boai::ledger
