// Shared by the boaid end-to-end tests: a real server (services/server.h) on a
// loopback port chosen by the kernel, with a temporary data directory, and
// clients through the generated C++ stubs.
#ifndef BOAI_TESTS_SERVICES_SERVICE_TEST_SUPPORT_H_
#define BOAI_TESTS_SERVICES_SERVICE_TEST_SUPPORT_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "boai/v1/ledger.grpc.pb.h"
#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "services/auth.h"
#include "services/server.h"

namespace boai::service::testing {

inline std::string MakeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "boai-svc-XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr);
  return tmpl;
}

inline std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// A context with a bearer token (none if empty) and a deadline.
inline std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return ctx;
}

// Writes a token file as a user should keep it: mode 0600 (boai warns otherwise).
inline void WriteTokenFile(const std::string& path, const std::string& token) {
  std::ofstream(path) << token << "\n";
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace);
}

// A cash gift to `fund` without personal data.
inline v1::RecordGiftRequest CashGift(const std::string& key, int64_t fen,
                                      const std::string& fund = "fund.general") {
  v1::RecordGiftRequest r;
  r.set_idempotency_key(key);
  r.set_date("2024-03-01");
  r.set_channel("cash");
  r.set_fund(fund);
  r.set_amount(fen);
  r.set_no_receipt("anonymous");
  return r;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    StartServer();
    admin_ = Trim(ReadFileText(AdminTokenPath(dir_)));
    ASSERT_FALSE(admin_.empty());
    clerk_ = AddUser("clerk.wang", v1::ROLE_CLERK);
    approver_ = AddUser("approver.li", v1::ROLE_APPROVER);
    auditor_ = AddUser("auditor.zhou", v1::ROLE_AUDITOR);
    OpenFund("fund.general", false);
    OpenFund("fund.relief", true);
  }

  void TearDown() override {
    stub_.reset();
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void StartServer() {
    ServerOptions o;
    o.data_dir = dir_;
    o.listen = "127.0.0.1:0";
    o.sync = false;  // tests need no fsync; the production default is on
    absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    channel_ = grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials());
    stub_ = v1::Ledger::NewStub(channel_);
  }

  void StopServer() {
    stub_.reset();
    channel_.reset();
    server_.reset();
  }

  std::string AddUser(const std::string& name, v1::Role role) {
    v1::AddUserRequest req;
    req.set_name(name);
    req.set_role(role);
    v1::AddUserResponse resp;
    grpc::Status s = stub_->AddUser(Ctx(admin_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.token();
  }

  void OpenFund(const std::string& id, bool restricted) {
    v1::OpenFundRequest req;
    req.set_id(id);
    req.set_name(id + " name");
    req.set_purpose("tests");
    req.set_restricted(restricted);
    v1::Receipt r;
    grpc::Status s = stub_->OpenFund(Ctx(admin_).get(), req, &r);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  grpc::Status Gift(const std::string& token, const v1::RecordGiftRequest& req, v1::Receipt* out) {
    return stub_->RecordGift(Ctx(token).get(), req, out);
  }

  std::string dir_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Ledger::Stub> stub_;
  std::string admin_, clerk_, approver_, auditor_;
};

// The output (stdout and stderr) and exit status of a shell command.
struct CliRun {
  int status = -1;
  std::string out;
};

inline CliRun RunCommand(const std::string& cmd) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  CliRun r;
  if (p == nullptr) return r;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// A ServiceTest that also runs the boai binary against its server.
class CliTest : public ServiceTest {
 protected:
  CliRun Boai(const std::string& token_file, const std::string& args) {
    return RunCommand(StrCat(BOAI_PATH, " --target ", server_->target(),
                             token_file.empty() ? "" : StrCat(" --token-file ", token_file), " ",
                             args));
  }

  std::string TokenFile(const std::string& name, const std::string& token) {
    std::string path = StrCat(dir_, "/", name, ".token");
    WriteTokenFile(path, token);
    return path;
  }

  int64_t FundNet(const std::string& fund) {
    v1::GetBalancesRequest br;
    br.set_fund(fund);
    v1::GetBalancesResponse bal;
    grpc::Status s = stub_->GetBalances(Ctx(auditor_).get(), br, &bal);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return bal.funds_size() == 1 ? bal.funds(0).net() : -1;
  }
};

// The boaid binary as a child process, on a port the kernel picks.
class BoaidProcess {
 public:
  ~BoaidProcess() { Kill(SIGKILL); }

  // Starts `boaid --data DIR --listen 127.0.0.1:0 ARGS...` and waits until it
  // logs its port. False if it did not come up.
  bool Start(const std::string& data_dir, const std::string& log,
             std::vector<std::string> args = {}) {
    log_ = log;
    std::ofstream(log, std::ios::trunc).flush();
    pid_ = ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      FILE* f = std::freopen(log.c_str(), "w", stderr);
      (void)f;
      if (file_size_limit_ > 0) {
        // A write past the limit then fails with EFBIG, as on a full disk.
        ::signal(SIGXFSZ, SIG_IGN);
        struct rlimit limit = {file_size_limit_, file_size_limit_};
        ::setrlimit(RLIMIT_FSIZE, &limit);
      }
      std::vector<std::string> all = {BOAID_PATH, "--data", data_dir, "--listen", "127.0.0.1:0"};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (std::string& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(BOAID_PATH, argv.data());
      ::_exit(127);
    }
    port_ = 0;
    for (int i = 0; i < 600 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::string text = ReadFileText(log);
      size_t at = text.find(" port=");
      if (at != std::string::npos) port_ = std::atoi(text.c_str() + at + 6);
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = 0;
        return false;
      }
    }
    return port_ != 0;
  }

  // Sends `sig` and waits for the process; returns its wait status.
  int Kill(int sig) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
    return status;
  }

  std::string target() const { return StrCat("127.0.0.1:", port_); }
  std::string log() const { return ReadFileText(log_); }
  // For the next Start: the largest file the server may write (RLIMIT_FSIZE),
  // 0 for no limit.
  void set_file_size_limit(rlim_t bytes) { file_size_limit_ = bytes; }

 private:
  rlim_t file_size_limit_ = 0;
  pid_t pid_ = 0;
  int port_ = 0;
  std::string log_;
};

// A hash as the API sends it (32 raw bytes).
inline ledger::Hash H(const std::string& raw) {
  absl::StatusOr<ledger::Hash> h = ledger::HashFromBytes(raw);
  EXPECT_TRUE(h.ok()) << h.status();
  return h.ok() ? *h : ledger::Hash{};
}

// Checks a receipt the way a donor's verifier would: the checkpoint's signature
// under the log's key, then the inclusion proof against its root.
inline void ExpectReceiptVerifies(const v1::Receipt& r, const ledger::NoteVerifier& verifier) {
  absl::StatusOr<ledger::Note> note = ledger::ParseNote(r.checkpoint().note());
  ASSERT_TRUE(note.ok()) << note.status();
  EXPECT_TRUE(ledger::VerifyNote(*note, verifier).ok());
  absl::StatusOr<ledger::Checkpoint> cp = ledger::ParseCheckpointBody(note->text);
  ASSERT_TRUE(cp.ok()) << cp.status();
  EXPECT_EQ(cp->size, r.checkpoint().tree_size());
  EXPECT_EQ(std::string(ledger::HashBytes(cp->root)), r.checkpoint().root_hash());
  EXPECT_GT(cp->size, r.index());
  std::vector<ledger::Hash> path;
  for (const std::string& h : r.inclusion_proof()) path.push_back(H(h));
  absl::Status ok = ledger::VerifyInclusion(H(r.leaf_hash()), r.index(), cp->size, path, cp->root);
  EXPECT_TRUE(ok.ok()) << ok;
  // The same proof as C2SP tlog-proof text.
  absl::StatusOr<ledger::TlogProof> tp = ledger::ParseTlogProof(r.tlog_proof());
  ASSERT_TRUE(tp.ok()) << tp.status();
  EXPECT_EQ(tp->index, r.index());
  EXPECT_EQ(tp->path, path);
  EXPECT_EQ(tp->checkpoint, r.checkpoint().note());
}

}  // namespace boai::service::testing

#endif  // BOAI_TESTS_SERVICES_SERVICE_TEST_SUPPORT_H_
