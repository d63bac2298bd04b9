// Crash safety: a writer process is killed with SIGKILL at random moments while
// several threads append; every append it acknowledged must survive, and the ledger
// must reopen and verify with no trace of a half-written batch.
//
// How the writer process is made. fork() from a gtest process is not safe here: by
// the time this test runs, earlier tests have used RocksDB, whose default Env keeps
// process-wide background thread pools (and their mutexes) alive after every DB is
// closed. A forked child inherits those objects but not the threads, so a DB opened
// in the child may wait forever for a flush or compaction thread that does not
// exist, or deadlock on a mutex that was held at fork time. Instead the parent
// re-executes this very test binary (/proc/self/exe) with posix_spawn, running only
// the helper test CrashChild.AppendUntilKilled, which does its work only when the
// environment variable BOAI_CRASH_CHILD_DIR is set (otherwise it skips). The child
// starts from a clean process image, so it can create threads and open RocksDB
// normally. GTEST_* variables are removed from the child's environment so that
// sharding or --gtest_output settings of the parent run do not apply to it.
//
// Acknowledgements travel over a pipe: after Append returns OK (the batch is synced),
// the child writes one line "<index> <leaf hash hex>\n" with a single write(), which
// is atomic for pipes (the line is far below PIPE_BUF), so the parent never sees a
// torn line. The parent's copy of the write end is closed, so after the kill the
// parent reads to EOF and has every acknowledgement the child ever sent.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ledger/canonical_json.h"
#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/leaf.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/verify.h"
#include "tests/ledger/temp_dir.h"

extern char** environ;

namespace boai::ledger {
namespace {

namespace fs = std::filesystem;
using ::boai::test_support::TempDir;
using Clock = std::chrono::steady_clock;

constexpr char kChildDirEnv[] = "BOAI_CRASH_CHILD_DIR";
constexpr char kChildFdEnv[] = "BOAI_CRASH_ACK_FD";
constexpr int kChildAckFd = 100;  // where the child finds the pipe
constexpr int kChildThreads = 4;
constexpr int kRounds = 5;
constexpr size_t kMinAcksPerRound = 300;

// ---------------------------------------------------------------------------------
// The child: appends from several threads until it is killed.

void WriteAll(int fd, const std::string& s) {
  // One write() per line: atomic on a pipe. A broken pipe means the parent is gone.
  ssize_t n = ::write(fd, s.data(), s.size());
  if (n != static_cast<ssize_t>(s.size())) ::_exit(3);
}

TEST(CrashChild, AppendUntilKilled) {
  const char* dir = std::getenv(kChildDirEnv);
  const char* fd_text = std::getenv(kChildFdEnv);
  if (dir == nullptr || fd_text == nullptr) {
    GTEST_SKIP() << "helper process of Crash.KilledWriterLosesNothingAcknowledged";
  }
  const int fd = std::atoi(fd_text);
  LedgerOptions o;
  o.sync = true;
  absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(dir, o);
  if (!l.ok()) {
    WriteAll(fd, "ERR " + l.status().ToString() + "\n");
    ::_exit(2);
  }
  Ledger* ledger = l->get();
  const std::string pid = std::to_string(::getpid());
  std::vector<std::thread> threads;
  for (int t = 0; t < kChildThreads; ++t) {
    threads.emplace_back([=] {
      // Threads send requests of different sizes, so batches mix requests.
      const int per_request = 1 + t % 3;
      for (uint64_t n = 0;; ++n) {
        std::vector<EntryDraft> drafts;
        for (int j = 0; j < per_request; ++j) {
          std::string key = "crash-" + pid + "-" + std::to_string(t) + "-" + std::to_string(n) +
                            "-" + std::to_string(j);
          nlohmann::json body = {{"donor", "张*"}, {"memo", "爱心人士"}, {"n", n}, {"t", t}};
          drafts.push_back(EntryDraft{"gift", key, *EncodeCanonicalJson(body), {}});
        }
        for (const absl::StatusOr<AppendResult>& r : ledger->AppendMany(std::move(drafts))) {
          if (!r.ok()) {
            WriteAll(fd, "ERR " + r.status().ToString() + "\n");
            ::_exit(2);
          }
          if (!r->duplicate)
            WriteAll(fd, std::to_string(r->index) + " " + HashToHex(r->leaf_hash) + "\n");
        }
      }
    });
  }
  // Never returns normally: the parent kills us. Give up after a minute in case the
  // parent died without killing us.
  std::this_thread::sleep_for(std::chrono::seconds(60));
  ::_exit(4);
}

// ---------------------------------------------------------------------------------
// The parent.

struct Child {
  pid_t pid = -1;
  int fd = -1;  // read end of the acknowledgement pipe
};

absl::StatusOr<Child> SpawnChild(const std::string& dir) {
  // Exec /proc/self/exe itself rather than the path it names: in the spawned child it
  // still refers to this very binary even if a rebuild has replaced or removed the
  // file on disk meanwhile.
  char exe[] = "/proc/self/exe";

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError(std::strerror(errno));
  if (fds[1] == kChildAckFd || fds[0] == kChildAckFd) {
    ::close(fds[0]);
    ::close(fds[1]);
    return absl::InternalError("pipe landed on the child's fd number");
  }

  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view v(*e);
    if (v.starts_with("GTEST_") || v.starts_with(kChildDirEnv) || v.starts_with(kChildFdEnv))
      continue;
    env.emplace_back(v);
  }
  env.push_back(std::string(kChildDirEnv) + "=" + dir);
  env.push_back(std::string(kChildFdEnv) + "=" + std::to_string(kChildAckFd));
  std::vector<char*> envp;
  for (std::string& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string filter = "--gtest_filter=CrashChild.AppendUntilKilled";
  std::vector<char*> argv = {exe, filter.data(), nullptr};

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  // dup2 to another number clears O_CLOEXEC on the copy; everything else of ours
  // (the read end included) is close-on-exec.
  posix_spawn_file_actions_adddup2(&fa, fds[1], kChildAckFd);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, exe, &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (err != 0) {
    ::close(fds[0]);
    return absl::InternalError(std::string("posix_spawn: ") + std::strerror(err));
  }
  return Child{pid, fds[0]};
}

// Reads what is available within `timeout_ms` into `buf`. False at EOF.
bool ReadSome(int fd, std::string* buf, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  int r = ::poll(&p, 1, timeout_ms);
  if (r <= 0) return true;  // nothing yet
  char chunk[8192];
  ssize_t n = ::read(fd, chunk, sizeof(chunk));
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  buf->append(chunk, static_cast<size_t>(n));
  return true;
}

size_t CountLines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST(Crash, KilledWriterLosesNothingAcknowledged) {
  TempDir tmp;
  const std::string dir = tmp.dir();
  LedgerOptions o;
  o.sync = true;
  std::string last_checkpoint;
  {
    absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(dir, o);
    ASSERT_TRUE(l.ok()) << l.status();
    last_checkpoint = (*l)->LatestCheckpoint();
  }

  const uint64_t seed = std::random_device{}();
  std::mt19937_64 rng(seed);
  SCOPED_TRACE(::testing::Message() << "random seed " << seed);

  std::map<uint64_t, Hash> acked;  // every acknowledgement so far, all rounds
  uint64_t size_before = 1;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(::testing::Message() << "round " << round);
    const size_t target = kMinAcksPerRound + rng() % 200;
    const int extra_delay_ms = static_cast<int>(rng() % 30);

    absl::StatusOr<Child> child = SpawnChild(dir);
    ASSERT_TRUE(child.ok()) << child.status();
    std::string out;
    bool open = true;
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (open && CountLines(out) < target && Clock::now() < deadline) {
      open = ReadSome(child->fd, &out, 100);
    }
    // Let it run a little longer (a random moment within a batch, or between), then kill.
    const auto kill_at = Clock::now() + std::chrono::milliseconds(extra_delay_ms);
    while (open && Clock::now() < kill_at) open = ReadSome(child->fd, &out, 1);
    ::kill(child->pid, SIGKILL);
    while (open) open = ReadSome(child->fd, &out, 1000);
    ::close(child->fd);
    int status = 0;
    ASSERT_EQ(::waitpid(child->pid, &status, 0), child->pid);
    ASSERT_EQ(out.find("ERR"), std::string::npos) << out.substr(out.find("ERR"), 300);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the writer ended on its own (status " << status << ") after " << CountLines(out)
        << " acknowledgements";
    ASSERT_GE(CountLines(out), target) << "the writer was too slow (30 s)";
    ASSERT_TRUE(out.empty() || out.back() == '\n') << "torn acknowledgement line";

    // Parse this round's acknowledgements.
    std::istringstream lines(out);
    std::string index_text, hash_text;
    size_t this_round = 0;
    uint64_t max_index = 0;
    while (lines >> index_text >> hash_text) {
      uint64_t index = std::stoull(index_text);
      absl::StatusOr<Hash> h = HashFromHex(hash_text);
      ASSERT_TRUE(h.ok()) << hash_text;
      ASSERT_GE(index, size_before) << "index " << index << " was handed out before this round";
      ASSERT_TRUE(acked.emplace(index, *h).second) << "index " << index << " acknowledged twice";
      max_index = std::max(max_index, index);
      ++this_round;
    }
    ASSERT_EQ(this_round, CountLines(out));

    // Reopen: Open itself checks that the head, the entries, the tree and the last
    // checkpoint agree, i.e. that no part of a batch is visible without the rest.
    absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(dir, o);
    ASSERT_TRUE(l.ok()) << l.status();
    Ledger& ledger = **l;
    const uint64_t size = ledger.Size();
    ASSERT_GT(size, max_index);
    ASSERT_GE(size, size_before + this_round);
    for (const auto& [index, hash] : acked) {
      absl::StatusOr<std::string> leaf = ledger.LeafAt(index);
      ASSERT_TRUE(leaf.ok()) << "acknowledged entry " << index << ": " << leaf.status();
      ASSERT_EQ(LeafHash(*leaf), hash) << "acknowledged entry " << index << " changed";
    }
    // Every entry written since the last round, acknowledged or not, is complete: its
    // idempotency key was indexed in the same batch.
    for (uint64_t i = size_before; i < size; ++i) {
      absl::StatusOr<DecodedLeaf> leaf = DecodeLeafStrict(*ledger.LeafAt(i));
      ASSERT_TRUE(leaf.ok()) << i << ": " << leaf.status();
      absl::StatusOr<std::optional<uint64_t>> by_key = ledger.FindByKey(leaf->header.key);
      ASSERT_TRUE(by_key.ok());
      ASSERT_EQ(*by_key, std::optional<uint64_t>(i)) << leaf->header.key;
    }
    // The log only grew: the previous round's checkpoint is a prefix of the latest.
    absl::StatusOr<Note> old_note = ParseNote(last_checkpoint);
    absl::StatusOr<Note> new_note = ParseNote(ledger.LatestCheckpoint());
    ASSERT_TRUE(old_note.ok() && new_note.ok());
    ASSERT_TRUE(VerifyNote(*new_note, ledger.verifier()).ok());
    absl::StatusOr<Checkpoint> old_cp = ParseCheckpointBody(old_note->text);
    absl::StatusOr<Checkpoint> new_cp = ParseCheckpointBody(new_note->text);
    ASSERT_TRUE(old_cp.ok() && new_cp.ok());
    EXPECT_EQ(new_cp->size, size);
    absl::StatusOr<std::vector<Hash>> proof = ledger.ConsistencyProof(old_cp->size, new_cp->size);
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_TRUE(
        VerifyConsistency(old_cp->size, new_cp->size, old_cp->root, new_cp->root, *proof).ok());

    // The recovered ledger takes new appends where it stopped.
    absl::StatusOr<AppendResult> after =
        ledger.Append(EntryDraft{"gift",
                                 "after-kill-" + std::to_string(round),
                                 *EncodeCanonicalJson(nlohmann::json{{"round", round}}),
                                 {}});
    ASSERT_TRUE(after.ok()) << after.status();
    EXPECT_EQ(after->index, size);
    acked.emplace(after->index, after->leaf_hash);
    size_before = size + 1;
    last_checkpoint = after->checkpoint;
    const Hash root_after = ParseCheckpointBody(ParseNote(after->checkpoint)->text)->root;

    // Full verification, after closing: the reopen replays the log into new tables and
    // may start compactions, and VerifyLedger's read-only RocksDB open is not safe
    // against a live writer's background work (files vanish under it).
    l->reset();
    absl::StatusOr<VerifyReport> report = VerifyLedger(dir, {});
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_TRUE(report->ok()) << report->finding->check << " at "
                              << report->finding->index.value_or(UINT64_MAX) << ": "
                              << report->finding->detail;
    EXPECT_EQ(report->entries, size + 1);
    EXPECT_EQ(report->root, root_after);
    std::cerr << "[ info ] round " << round << ": killed after " << this_round
              << " acknowledgements (+" << extra_delay_ms << " ms); " << size
              << " entries survived\n";
  }
  EXPECT_GE(acked.size(), kRounds * kMinAcksPerRound);
}

}  // namespace
}  // namespace boai::ledger
