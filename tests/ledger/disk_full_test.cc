// A full disk: when RocksDB cannot write, the ledger stops accepting writes, says
// so to every caller, and neither aborts nor loses an acknowledged entry. (A
// reviewer's boaid died with SIGABRT: after a failed write the syncer asked
// RocksDB to sync the broken log file, which Debian's RocksDB asserts against.)
//
// The full disk is made with RLIMIT_FSIZE, in a child process that re-executes
// this test binary (see crash_test.cc for why not fork): every write past the limit
// fails with EFBIG, as one past the end of a full disk fails with ENOSPC. The child
// writes how many appends were acknowledged to DIR/acked; the parent checks that
// the child exited normally, then reopens and verifies the ledger without a limit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/strings.h"
#include "ledger/verify.h"
#include "tests/ledger/ledger_test_support.h"
#include "tests/ledger/temp_dir.h"

extern char** environ;

namespace boai::ledger {
namespace {

using ::boai::test_support::TempDir;
using ::testing::HasSubstr;
using namespace ::boai::ledger::testing;  // NOLINT

constexpr char kChildDirEnv[] = "BOAI_DISK_FULL_CHILD_DIR";

uint64_t LargestFile(const std::string& dir) {
  uint64_t largest = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) largest = std::max<uint64_t>(largest, e.file_size());
  }
  return largest;
}

TEST(DiskFullChild, AppendUntilTheDiskIsFull) {
  const char* dir = std::getenv(kChildDirEnv);
  if (dir == nullptr) GTEST_SKIP() << "helper process of DiskFull.StopsWritesWithoutAborting";
  LedgerOptions o;  // synced, as boaid runs
  std::atomic<int> stopped_calls{0};
  o.on_writes_stopped = [&stopped_calls](const absl::Status&) { ++stopped_calls; };
  std::unique_ptr<Ledger> l = MustOpen(dir, o);
  ASSERT_NE(l, nullptr);
  uint64_t acked = 0;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(l->Append(Gift(StrCat("before-", i))).ok());
    ++acked;
  }
  ::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead
  const uint64_t limit = LargestFile(dir) + 256 * 1024;
  rlimit rl{limit, limit};
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &rl), 0) << std::strerror(errno);
  absl::StatusOr<AppendResult> r;
  const std::string padding(2000, 'x');
  for (int i = 0; i < 100000; ++i) {
    EntryDraft d = Draft("gift", StrCat("fill-", i), {{"amount", 1}, {"pad", padding}});
    r = l->Append(std::move(d));
    if (!r.ok()) break;
    ++acked;
  }
  ASSERT_FALSE(r.ok()) << "the size limit was never reached";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("stopped accepting writes"));
  ASSERT_TRUE(l->WritesStopped().has_value());
  // Every later write fails the same way, at once, without touching the disk.
  absl::StatusOr<AppendResult> later = l->Append(Gift("after"));
  ASSERT_FALSE(later.ok());
  EXPECT_THAT(std::string(later.status().message()), HasSubstr("stopped accepting writes"));
  EXPECT_EQ(stopped_calls.load(), 1);
  l.reset();  // closing must not abort either
  rl = {RLIM_INFINITY, RLIM_INFINITY};
  ::setrlimit(RLIMIT_FSIZE, &rl);  // raising a hard limit needs privilege: best effort
  std::ofstream(StrCat(dir, "/acked")) << acked << "\n";
}

TEST(DiskFull, StopsWritesWithoutAbortingAndLosesNothingAcknowledged) {
  TempDir tmp;
  const std::string dir = tmp.dir() + "/ledger";
  char exe[] = "/proc/self/exe";
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view v(*e);
    if (!v.starts_with("GTEST_") && !v.starts_with(kChildDirEnv)) env.emplace_back(v);
  }
  env.push_back(StrCat(kChildDirEnv, "=", dir));
  std::vector<char*> envp;
  for (std::string& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string filter = "--gtest_filter=DiskFullChild.AppendUntilTheDiskIsFull";
  std::vector<char*> argv = {exe, filter.data(), nullptr};
  pid_t pid = -1;
  ASSERT_EQ(::posix_spawn(&pid, exe, nullptr, nullptr, argv.data(), envp.data()), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  ASSERT_EQ(WEXITSTATUS(status), 0) << "the child's checks failed (its output is above)";

  uint64_t acked = 0;
  std::ifstream(dir + "/acked") >> acked;
  ASSERT_GE(acked, 21u);  // genesis aside, at least the 20 appends before the limit
  std::unique_ptr<Ledger> l = MustOpen(dir, Fast());
  ASSERT_NE(l, nullptr);
  EXPECT_GE(l->Size(), acked + 1);  // + genesis
  ASSERT_TRUE(l->Append(Gift("after-restart")).ok());
  l.reset();
  absl::StatusOr<VerifyReport> v = VerifyLedger(dir, VerifyOptions());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok()) << (v->finding.has_value() ? v->finding->detail : "");
}

}  // namespace
}  // namespace boai::ledger
