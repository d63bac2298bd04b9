#include "ledger/canonical_json.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace boai::ledger
