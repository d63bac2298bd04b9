// End-to-end tests of boaid's life as a server: health and reflection, listening
// rules, concurrent clients, shutdown with writes in flight, restart, and the
// binary under SIGTERM.
#include <grpcpp/generic/generic_stub.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "ledger/ledger.h"
#include "service_test_support.h"
#include "services/ledger_service.h"

namespace boai::service::testing {
namespace {

TEST_F(ServiceTest, HealthAndReflectionWithoutCredentials) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckRequest hreq;
  grpc::health::v1::HealthCheckResponse hresp;
  grpc::Status s = health->Check(Ctx("").get(), hreq, &hresp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(hresp.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  // Server reflection: list_services (field 7, empty string) through a generic call.
  grpc::GenericStub generic(channel_);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call = generic.PrepareCall(
      &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  auto step = [&cq](void* want) {
    void* tag = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(tag, want);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(step(reinterpret_cast<void*>(1)));
  grpc::Slice slice(std::string("\x3a\x00", 2));
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, reinterpret_cast<void*>(2));
  ASSERT_TRUE(step(reinterpret_cast<void*>(2)));
  call->WritesDone(reinterpret_cast<void*>(3));
  ASSERT_TRUE(step(reinterpret_cast<void*>(3)));
  grpc::ByteBuffer in;
  call->Read(&in, reinterpret_cast<void*>(4));
  ASSERT_TRUE(step(reinterpret_cast<void*>(4)));
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(in.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& sl : slices)
    bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  EXPECT_NE(bytes.find("boai.v1.Ledger"), std::string::npos);
  grpc::Status fin;
  call->Finish(&fin, reinterpret_cast<void*>(5));
  step(reinterpret_cast<void*>(5));
  EXPECT_TRUE(fin.ok()) << fin.error_message();
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
}

TEST(ServiceListenTest, RefusesNonLoopbackWithoutTls) {
  for (const char* ok : {"127.0.0.1:50051", "127.1.2.3:1", "localhost:0", "[::1]:50051",
                         "LOCALHOST:1", "unix:/tmp/boaid.sock"}) {
    EXPECT_TRUE(CheckListenAddress(ok, false).ok()) << ok;
  }
  for (const char* bad :
       {"0.0.0.0:50051", "[::]:50051", "10.0.0.5:50051", "example.org:443", "128.0.0.1:1"}) {
    absl::Status s = CheckListenAddress(bad, false);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << bad;
    EXPECT_NE(ToStd(s.message()).find("TLS"), std::string_view::npos);
    EXPECT_TRUE(CheckListenAddress(bad, true).ok()) << bad;
  }
  EXPECT_EQ(CheckListenAddress("50051", false).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckListenAddress("127.0.0.1:99999", false).code(),
            absl::StatusCode::kInvalidArgument);

  // The server refuses before touching the data directory.
  std::string dir = MakeTempDir() + "/data";
  ServerOptions o;
  o.data_dir = dir;
  o.listen = "0.0.0.0:0";
  absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(o);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(std::filesystem::exists(dir));

  // And so does the binary, with a message and exit status 1.
  std::string cmd = StrCat(BOAID_PATH, " --data ", dir, " --listen 0.0.0.0:50051 2>&1");
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) output.append(buf, n);
  int status = ::pclose(p);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  EXPECT_NE(output.find("refuses to listen on 0.0.0.0:50051 without TLS"), std::string::npos)
      << output;
  std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
}

TEST_F(ServiceTest, ConcurrentClientsGetDistinctIndexes) {
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each client its own channel, as separate processes would.
      auto channel = grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials());
      auto stub = v1::Ledger::NewStub(channel);
      for (int i = 0; i < kEach; ++i) {
        v1::Receipt r;
        grpc::Status s =
            stub->RecordGift(Ctx(clerk_).get(), CashGift(StrCat("C-", t, "-", i), 100 + i), &r);
        if (!s.ok() || r.duplicate()) {
          ++failures;
          continue;
        }
        got[t].push_back(r.index());
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<uint64_t> all;
  for (const auto& v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  v1::GetBalancesRequest br;
  br.set_fund("fund.general");
  v1::GetBalancesResponse bal;
  ASSERT_TRUE(stub_->GetBalances(Ctx(auditor_).get(), br, &bal).ok());
  EXPECT_EQ(bal.funds(0).net(), kThreads * (kEach * 100 + kEach * (kEach - 1) / 2));
}

// Unary writes are answered from the ledger's completion (callback API), those
// with personal data after a detour through the blocking pool. A graceful
// shutdown with many of them in flight answers every call, and every receipt it
// sent is durable: after a restart each retry finds the same entry.
TEST_F(ServiceTest, ShutdownAnswersWritesInFlightAndEveryReceiptIsDurable) {
  constexpr int kCalls = 120;
  struct Call {
    grpc::ClientContext ctx;
    v1::RecordGiftRequest req;
    v1::Receipt resp;
    grpc::Status status;
  };
  // Shared with the callbacks, so a failed assertion cannot leave them dangling.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    int done = 0, ok = 0;
    std::vector<std::unique_ptr<Call>> calls;
  };
  auto st = std::make_shared<State>();
  auto stub = v1::Ledger::NewStub(
      grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < kCalls; ++i) {
    auto c = std::make_unique<Call>();
    c->ctx.AddMetadata("authorization", "Bearer " + clerk_);
    c->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    c->req = CashGift(StrCat("inflight-", i), 100 + i);
    if (i % 4 == 0) {
      c->req.mutable_donor()->set_name("赵敏");
      c->req.mutable_donor()->set_phone(StrCat("1390000", 1000 + i));
    }
    st->calls.push_back(std::move(c));
  }
  for (const std::unique_ptr<Call>& c : st->calls) {
    Call* raw = c.get();
    stub->async()->RecordGift(&raw->ctx, &raw->req, &raw->resp, [st, raw](grpc::Status s) {
      std::lock_guard lock(st->mu);
      raw->status = std::move(s);
      ++st->done;
      if (raw->status.ok()) ++st->ok;
      st->cv.notify_all();
    });
  }
  {
    // Shut down as soon as the first receipt is out, with the rest in flight.
    std::unique_lock lock(st->mu);
    ASSERT_TRUE(st->cv.wait_for(lock, std::chrono::seconds(60),
                                [&] { return st->ok > 0 || st->done == kCalls; }));
  }
  server_->Shutdown(30);
  {
    std::unique_lock lock(st->mu);
    ASSERT_TRUE(st->cv.wait_for(lock, std::chrono::seconds(60), [&] { return st->done == kCalls; }))
        << st->done << " of " << kCalls << " calls answered";
  }
  EXPECT_GT(st->ok, 0);
  for (const std::unique_ptr<Call>& c : st->calls) {
    const grpc::StatusCode code = c->status.error_code();
    EXPECT_TRUE(code == grpc::StatusCode::OK || code == grpc::StatusCode::UNAVAILABLE ||
                code == grpc::StatusCode::CANCELLED)
        << c->req.idempotency_key() << ": " << code << " " << c->status.error_message();
  }
  stub.reset();
  StopServer();
  StartServer();
  for (const std::unique_ptr<Call>& c : st->calls) {
    if (!c->status.ok()) continue;
    ExpectReceiptVerifies(c->resp, server_->ledger()->verifier());
    v1::Receipt again;
    grpc::Status s = Gift(clerk_, c->req, &again);
    ASSERT_TRUE(s.ok()) << c->req.idempotency_key() << ": " << s.error_message();
    EXPECT_TRUE(again.duplicate()) << c->req.idempotency_key();
    EXPECT_EQ(again.index(), c->resp.index());
    EXPECT_EQ(again.leaf_hash(), c->resp.leaf_hash());
  }
}

// A second server cannot take a port in use (gRPC would allow it through
// SO_REUSEPORT, and the two ledgers would each get part of the connections).
TEST_F(ServiceTest, SecondServerOnTheSamePortFails) {
  std::string other = MakeTempDir();
  ServerOptions o;
  o.data_dir = other;
  o.listen = server_->target();
  o.sync = false;
  absl::StatusOr<std::unique_ptr<Server>> second = Server::Start(o);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  EXPECT_NE(ToStd(second.status().message()).find("cannot listen on " + server_->target()),
            std::string::npos)
      << second.status();
  second = absl::UnknownError("released");
  std::filesystem::remove_all(other);
}

// Log values are JSON strings: plain ASCII quoted as is, anything else escaped.
TEST(LogQuoteTest, QuotesAndEscapes) {
  EXPECT_EQ(Q("bench/1-2/u/3/4"), "\"bench/1-2/u/3/4\"");
  EXPECT_EQ(Q(""), "\"\"");
  EXPECT_EQ(Q("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Q("line\nbreak\t"), "\"line\\nbreak\\t\"");
  EXPECT_EQ(Q("张伟"), "\"张伟\"");
  EXPECT_EQ(Q("bad\xff"), "\"bad\xef\xbf\xbd\"");  // invalid UTF-8 becomes U+FFFD
}

TEST_F(ServiceTest, RestartKeepsEntriesAndUsers) {
  v1::Receipt r;
  ASSERT_TRUE(Gift(clerk_, CashGift("before-restart", 4200), &r).ok());
  std::string token_file = ReadFileText(AdminTokenPath(dir_));
  StopServer();
  StartServer();
  EXPECT_EQ(ReadFileText(AdminTokenPath(dir_)), token_file);
  v1::Receipt again;
  ASSERT_TRUE(Gift(clerk_, CashGift("before-restart", 4200), &again).ok());
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.index(), r.index());
  // The chart is not opened twice; InitBooks is idempotent.
  v1::InitBooksResponse ib;
  ASSERT_TRUE(stub_->InitBooks(Ctx(admin_).get(), v1::InitBooksRequest(), &ib).ok());
  EXPECT_EQ(ib.opened(), 0u);
  EXPECT_EQ(ib.accounts(), 10u);
  // A replaced token stops working.
  v1::AddUserRequest au;
  au.set_name("clerk.wang");
  au.set_role(v1::ROLE_CLERK);
  v1::AddUserResponse aur;
  EXPECT_EQ(stub_->AddUser(Ctx(admin_).get(), au, &aur).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  au.set_replace(true);
  ASSERT_TRUE(stub_->AddUser(Ctx(admin_).get(), au, &aur).ok());
  EXPECT_EQ(Gift(clerk_, CashGift("after", 1), &r).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Gift(aur.token(), CashGift("after", 1), &r).ok());
  // The only admin cannot be given another role: nobody could manage users after.
  v1::AddUserRequest demote;
  demote.set_name("admin");
  demote.set_role(v1::ROLE_PUBLIC);
  demote.set_replace(true);
  v1::AddUserResponse demoted;
  grpc::Status only = stub_->AddUser(Ctx(admin_).get(), demote, &demoted);
  EXPECT_EQ(only.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << only.error_message();
  EXPECT_NE(only.error_message().find("only admin"), std::string::npos) << only.error_message();
  EXPECT_TRUE(Gift(clerk_, CashGift("still-admin", 1), &r).error_code() ==
                  grpc::StatusCode::UNAUTHENTICATED &&
              stub_->InitBooks(Ctx(admin_).get(), v1::InitBooksRequest(), &ib).ok());
  // Users are stored hashed.
  std::string users = ReadFileText(UsersFilePath(dir_));
  EXPECT_EQ(users.find(aur.token()), std::string::npos);
  EXPECT_NE(users.find(TokenHash(aur.token())), std::string::npos);
}

// The boaid binary: serves, records, and on SIGTERM finishes and exits 0 with the
// entry durable.
TEST(ServiceBinaryTest, ServesAndShutsDownOnSigterm) {
  std::string dir = MakeTempDir();
  std::string log = dir + "/boaid.log";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    ::execl(BOAID_PATH, BOAID_PATH, "--data", (dir + "/data").c_str(), "--listen", "127.0.0.1:0",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Never leave the server running when an assertion returns early.
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
  } reaper{pid};
  int port = 0;
  for (int i = 0; i < 200 && port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::string text = ReadFileText(log);
    size_t at = text.find(" port=");
    if (at != std::string::npos) port = std::atoi(text.c_str() + at + 6);
  }
  ASSERT_NE(port, 0) << ReadFileText(log);
  std::string admin = Trim(ReadFileText(AdminTokenPath(dir + "/data")));
  auto stub = v1::Ledger::NewStub(
      grpc::CreateChannel(StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  v1::Receipt r;
  grpc::Status s = stub->RecordGift(Ctx(admin).get(), CashGift("bin-1", 100, "fund.none"), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << s.error_message();  // fund not open
  v1::OpenFundRequest of;
  of.set_id("fund.general");
  of.set_name("general");
  ASSERT_TRUE(stub->OpenFund(Ctx(admin).get(), of, &r).ok());
  ASSERT_TRUE(stub->RecordGift(Ctx(admin).get(), CashGift("bin-1", 100), &r).ok());
  stub.reset();
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  reaper.pid = 0;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << ReadFileText(log);
  std::string text = ReadFileText(log);
  EXPECT_NE(text.find("received SIGTERM"), std::string::npos);
  EXPECT_NE(text.find("key=\"bin-1\""), std::string::npos);
  EXPECT_NE(text.find("code=INVALID_ARGUMENT"), std::string::npos);

  // The entry is durable: an auditor opening the directory read-only finds it.
  ledger::LedgerOptions ro;
  ro.read_only = true;
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> l = ledger::Ledger::Open(dir + "/data", ro);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ((*l)->Size(), r.index() + 1);
  absl::StatusOr<std::optional<uint64_t>> found = (*l)->FindByKey("bin-1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(**found, r.index());
  l->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace boai::service::testing
