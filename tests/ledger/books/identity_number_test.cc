// Identity numbers as typed: the resident identity number check grants need.
#include "ledger/books/identity_number.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace boai::books {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ResidentIdNumber, ChecksLengthDigitsBirthDateAndCheckCharacter) {
  EXPECT_TRUE(CheckResidentIdNumber("11010519491231002X").ok());
  EXPECT_TRUE(CheckResidentIdNumber("110105-19491231-002x").ok());  // as identities match
  EXPECT_EQ(ResidentIdCheckChar("11010519491231002"), 'X');
  struct Bad {
    const char* id;
    const char* says;
  };
  for (const Bad& b :
       {Bad{"1101051949123100", "has 16 characters"}, Bad{"11010519491231002Y", "check character"},
        Bad{"1101051949A231002X", "character 11 of the identity number"},
        Bad{"110105194913310021", "not a birth date"},
        Bad{"110105194902300028", "not a birth date"},
        Bad{"110105194912310020", "check character"}}) {
    SCOPED_TRACE(b.id);
    absl::Status s = CheckResidentIdNumber(b.id);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()), HasSubstr(b.says));
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr(b.id))) << "never echo the number";
  }
}

TEST(CompactNumber, DropsSpacesAndDashesAndMakesFullWidthAscii) {
  EXPECT_EQ(CompactNumber("110105-1949 1231\u3000002\uFF58"), "11010519491231002x");
  EXPECT_EQ(CompactNumber("\uFF11\uFF13\uFF16\u2014\uFF0D0"), "1360");
  EXPECT_EQ(CompactNumber("张三"), "张三");  // other text is left alone
}

}  // namespace
}  // namespace boai::books
