// The shared fixture of the disclosure tests: one demo ledger for the whole DiscloseTest suite.
#ifndef BOAI_TESTS_DISCLOSE_DISCLOSE_TEST_SUPPORT_H_
#define BOAI_TESTS_DISCLOSE_DISCLOSE_TEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <ios>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/books/books_hook.h"
#include "ledger/books/clerk.h"
#include "ledger/books/demo.h"
#include "ledger/books/personal.h"
#include "ledger/disclose/check.h"
#include "ledger/disclose/statement.h"
#include "ledger/ledger.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"

namespace boai::disclose::disclose_testing {

namespace fs = std::filesystem;
using nlohmann::json;

inline std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One demo ledger for the whole suite (loading it is the slow part).
class DiscloseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(fs::temp_directory_path() /
                         StrCat("boai-disclose-test-", std::random_device{}(), "-", ::getpid()));
    books::BooksHook hook;
    ledger::LedgerOptions o;
    o.origin = "boai.local/ledger";  // the default origin, as in docs/examples
    o.sync = false;
    o.hook = &hook;
    auto log = ledger::Ledger::Open(Data(), o);
    ASSERT_TRUE(log.ok()) << log.status();
    books::PersonalStore people((*log)->storage());
    books::Clerk clerk(log->get(), &hook);
    std::ostringstream steps;
    absl::Status s = books::LoadDemo(clerk, people, steps);
    ASSERT_TRUE(s.ok()) << s << steps.str();
  }
  static void TearDownTestSuite() {
    fs::remove_all(*root_);
    delete root_;
  }
  static std::string Data() { return (*root_ / "data").string(); }

  void SetUp() override {
    ledger::LedgerOptions o;
    o.read_only = true;
    auto log = ledger::Ledger::Open(Data(), o);
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
  }

  json Statement(const std::string& period, BuildOptions options = {}) {
    absl::StatusOr<json> s = BuildStatement(*log_, period, options);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : json();
  }
  std::string Check(const json& statement) {
    absl::StatusOr<CheckReport> r = CheckStatement(statement, *log_);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? (r->ok() ? "OK" : r->problem) : "error";
  }
  static json Row(const json& rows, const std::string& field, const json& value) {
    for (const json& r : rows) {
      if (r[field] == value) return r;
    }
    ADD_FAILURE() << "no row with " << field << " = " << value.dump();
    return json::object();
  }

  inline static fs::path* root_ = nullptr;
  std::unique_ptr<ledger::Ledger> log_;
};

}  // namespace boai::disclose::disclose_testing

#endif  // BOAI_TESTS_DISCLOSE_DISCLOSE_TEST_SUPPORT_H_
