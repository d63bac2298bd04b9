// A fresh directory under the system temp dir per test, removed afterwards.
#ifndef BOAI_TESTS_LEDGER_TEMP_DIR_H_
#define BOAI_TESTS_LEDGER_TEMP_DIR_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>

namespace boai::test_support {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "boai-test-";
    if (info != nullptr) name += std::string(info->test_suite_name()) + "." + info->name() + "-";
    name += std::to_string(::getpid()) + "-" + std::to_string(counter++);
    // Parameterized tests are named "Prefix/Suite.Name/3": one directory, not nested ones.
    std::replace(name.begin(), name.end(), '/', '_');
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // A ledger data directory inside (not created: Ledger::Open creates it).
  std::string dir() const { return (path_ / "data").string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace boai::test_support

#endif  // BOAI_TESTS_LEDGER_TEMP_DIR_H_
