// End-to-end tests of boaid: a real server on a loopback port, driven through the
// generated C++ client.
#include <grpcpp/generic/generic_stub.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "service_test_support.h"
#include "services/ledger_service.h"

namespace boai::service::testing {
namespace {

ledger::Hash H(const std::string& raw) {
  absl::StatusOr<ledger::Hash> h = ledger::HashFromBytes(raw);
  EXPECT_TRUE(h.ok()) << h.status();
  return h.ok() ? *h : ledger::Hash{};
}

// Checks a receipt the way a donor's verifier would: the checkpoint's signature
// under the log's key, then the inclusion proof against its root.
void ExpectReceiptVerifies(const v1::Receipt& r, const ledger::NoteVerifier& verifier) {
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

TEST_F(ServiceTest, GiftReceiptProvesInclusionAndKeepsPersonalDataOffTheLog) {
  v1::RecordGiftRequest req = CashGift("HB2024-0001", 123456);
  req.set_no_receipt("");
  req.set_receipt_book("HB2024");
  req.set_receipt_number(1);
  req.mutable_donor()->set_name("张伟");
  req.mutable_donor()->set_phone("13800000001");
  req.mutable_donor()->set_id_number("410000198001010011");
  req.mutable_donor()->set_address("某县城关镇幸福路1号");
  v1::Receipt r;
  grpc::Status s = Gift(clerk_, req, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(r.duplicate());
  EXPECT_EQ(r.kind(), "gift");
  EXPECT_EQ(r.leaf_hash().size(), 32u);
  EXPECT_EQ(r.person_id().substr(0, 2), "p-");
  ExpectReceiptVerifies(r, server_->ledger()->verifier());

  // The public key a client would pin is the server's.
  v1::GetCheckpointResponse cp;
  ASSERT_TRUE(stub_->GetCheckpoint(Ctx("").get(), v1::GetCheckpointRequest(), &cp).ok());
  EXPECT_EQ(cp.verifier_key(), server_->ledger()->verifier().VerifierKey());
  absl::StatusOr<ledger::NoteVerifier> pinned =
      ledger::NoteVerifier::FromVerifierKey(cp.verifier_key());
  ASSERT_TRUE(pinned.ok());
  ExpectReceiptVerifies(r, *pinned);

  // The leaf: hashes to the receipt's leaf hash, written by the clerk, shows the
  // masked name, and holds none of the personal data.
  v1::GetEntryRequest ge;
  ge.set_index(r.index());
  v1::Entry e;
  ASSERT_TRUE(stub_->GetEntry(Ctx(auditor_).get(), ge, &e).ok());
  EXPECT_EQ(std::string(ledger::HashBytes(ledger::LeafHash(e.leaf()))), r.leaf_hash());
  EXPECT_EQ(e.kind(), "gift");
  EXPECT_EQ(e.by(), "clerk.wang");
  EXPECT_EQ(e.key(), "HB2024-0001");
  EXPECT_NE(e.leaf().find("张*"), std::string::npos);
  for (const char* secret : {"张伟", "13800000001", "410000198001010011", "幸福路"}) {
    EXPECT_EQ(e.leaf().find(secret), std::string::npos) << secret;
  }

  // Proofs by index for anyone, without a token.
  v1::GetInclusionProofRequest pr;
  pr.set_index(r.index());
  v1::GetInclusionProofResponse proof;
  ASSERT_TRUE(stub_->GetInclusionProof(Ctx("").get(), pr, &proof).ok());
  EXPECT_EQ(proof.leaf_hash(), r.leaf_hash());
  absl::StatusOr<ledger::Checkpoint> latest =
      ledger::ParseCheckpointBody(ledger::ParseNote(proof.checkpoint().note())->text);
  ASSERT_TRUE(latest.ok());
  std::vector<ledger::Hash> path;
  for (const std::string& h : proof.hashes()) path.push_back(H(h));
  EXPECT_TRUE(
      ledger::VerifyInclusion(H(proof.leaf_hash()), r.index(), latest->size, path, latest->root)
          .ok());

  // Consistency from the receipt's checkpoint to the latest.
  v1::GetConsistencyProofRequest cr;
  cr.set_old_size(r.checkpoint().tree_size());
  v1::GetConsistencyProofResponse cons;
  ASSERT_TRUE(stub_->GetConsistencyProof(Ctx("").get(), cr, &cons).ok());
  std::vector<ledger::Hash> cpath;
  for (const std::string& h : cons.hashes()) cpath.push_back(H(h));
  EXPECT_TRUE(ledger::VerifyConsistency(cons.old_size(), cons.new_size(),
                                        H(r.checkpoint().root_hash()),
                                        H(cons.checkpoint().root_hash()), cpath)
                  .ok());

  // Balances: the gift is in fund.general's cash.
  v1::GetBalancesRequest br;
  br.set_fund("fund.general");
  v1::GetBalancesResponse bal;
  ASSERT_TRUE(stub_->GetBalances(Ctx(auditor_).get(), br, &bal).ok());
  ASSERT_EQ(bal.funds_size(), 1);
  EXPECT_EQ(bal.funds(0).net(), 123456);
  EXPECT_EQ(bal.funds(0).available(), 123456);
  bool cash = false;
  for (const v1::AccountBalance& b : bal.balances())
    cash |= b.account() == "1001" && b.amount() == 123456;
  EXPECT_TRUE(cash);
}

TEST_F(ServiceTest, AuthFailures) {
  v1::Receipt r;
  // No token.
  grpc::Status s = Gift("", CashGift("k1", 100), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_NE(s.error_message().find("authorization"), std::string::npos);
  // An unknown token.
  s = Gift("boai_0000", CashGift("k1", 100), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  // Not a bearer token.
  {
    auto ctx = Ctx("");
    ctx->AddMetadata("authorization", "Basic YWRtaW46YWRtaW4=");
    s = stub_->RecordGift(ctx.get(), CashGift("k1", 100), &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  // A clerk approving.
  v1::ApprovePaymentRequest ap;
  ap.set_idempotency_key("approve-1");
  ap.set_request(1);
  s = stub_->ApprovePayment(Ctx(clerk_).get(), ap, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_NE(s.error_message().find("approver"), std::string::npos);
  // An auditor writing, a clerk adding users or opening funds, an approver recording gifts.
  EXPECT_EQ(Gift(auditor_, CashGift("k2", 100), &r).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Gift(approver_, CashGift("k2", 100), &r).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::AddUserRequest au;
  au.set_name("mallory");
  au.set_role(v1::ROLE_ADMIN);
  v1::AddUserResponse aur;
  EXPECT_EQ(stub_->AddUser(Ctx(clerk_).get(), au, &aur).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::OpenFundRequest of;
  of.set_id("fund.x");
  of.set_name("x");
  EXPECT_EQ(stub_->OpenFund(Ctx(clerk_).get(), of, &r).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A public user: proofs yes, reads no.
  std::string pub = AddUser("donor-portal", v1::ROLE_PUBLIC);
  v1::GetCheckpointResponse cp;
  EXPECT_TRUE(stub_->GetCheckpoint(Ctx(pub).get(), v1::GetCheckpointRequest(), &cp).ok());
  v1::GetBalancesResponse bal;
  EXPECT_EQ(stub_->GetBalances(Ctx(pub).get(), v1::GetBalancesRequest(), &bal).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->GetBalances(Ctx("").get(), v1::GetBalancesRequest(), &bal).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Nothing was written by any of it.
  v1::GetBalancesRequest br;
  br.set_fund("fund.general");
  ASSERT_TRUE(stub_->GetBalances(Ctx(auditor_).get(), br, &bal).ok());
  EXPECT_EQ(bal.funds(0).net(), 0);
}

TEST_F(ServiceTest, PaymentsNeedTwoPeopleAndCannotOverspend) {
  v1::Receipt gift;
  ASSERT_TRUE(Gift(clerk_, CashGift("gift-relief", 100000, "fund.relief"), &gift).ok());

  // Overspend: the refusal names the fund.
  v1::RequestPaymentRequest over;
  over.set_idempotency_key("pay-over");
  over.set_date("2024-03-02");
  over.set_fund("fund.relief");
  over.set_amount(100001);
  over.set_purpose("relief");
  over.set_method("cash");
  over.set_payee_label("family-list-1");
  v1::Receipt r;
  grpc::Status s = stub_->RequestPayment(Ctx(clerk_).get(), over, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("fund.relief"), std::string::npos) << s.error_message();

  // The admin (who may do everything) requests, and may not approve their own request.
  v1::RequestPaymentRequest pay = over;
  pay.set_idempotency_key("pay-1");
  pay.set_amount(60000);
  pay.clear_payee_label();
  pay.mutable_payee()->set_name("困难户1号户主");
  pay.mutable_payee()->set_id_number("410000196001011001");
  v1::Receipt req;
  s = stub_->RequestPayment(Ctx(admin_).get(), pay, &req);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(req.person_id().substr(0, 2), "p-");
  v1::ApprovePaymentRequest ap;
  ap.set_idempotency_key("approve-pay-1");
  ap.set_date("2024-03-02");
  ap.set_request(req.index());
  s = stub_->ApprovePayment(Ctx(admin_).get(), ap, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();

  // The reservation counts: a second request beyond what is left is refused.
  v1::RequestPaymentRequest second = over;
  second.set_idempotency_key("pay-2");
  second.set_amount(40001);
  EXPECT_EQ(stub_->RequestPayment(Ctx(clerk_).get(), second, &r).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // Another user approves; the leaf names the payee by pseudonym only.
  v1::Receipt approved;
  s = stub_->ApprovePayment(Ctx(approver_).get(), ap, &approved);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ExpectReceiptVerifies(approved, server_->ledger()->verifier());
  v1::GetEntryRequest ge;
  ge.set_index(req.index());
  v1::Entry e;
  ASSERT_TRUE(stub_->GetEntry(Ctx(auditor_).get(), ge, &e).ok());
  EXPECT_NE(e.leaf().find(req.person_id()), std::string::npos);
  EXPECT_EQ(e.leaf().find("困难户"), std::string::npos);
  EXPECT_EQ(e.by(), "admin");
  ge.set_index(approved.index());
  ASSERT_TRUE(stub_->GetEntry(Ctx(auditor_).get(), ge, &e).ok());
  EXPECT_EQ(e.kind(), "payment.approve");
  EXPECT_EQ(e.by(), "approver.li");

  v1::GetBalancesRequest br;
  br.set_fund("fund.relief");
  v1::GetBalancesResponse bal;
  ASSERT_TRUE(stub_->GetBalances(Ctx(clerk_).get(), br, &bal).ok());
  EXPECT_EQ(bal.funds(0).net(), 40000);
  EXPECT_EQ(bal.funds(0).reserved(), 0);

  // Reject path: request, then the approver rejects with a reason.
  v1::RequestPaymentRequest third = over;
  third.set_idempotency_key("pay-3");
  third.set_amount(10000);
  v1::Receipt third_r;
  ASSERT_TRUE(stub_->RequestPayment(Ctx(clerk_).get(), third, &third_r).ok());
  v1::RejectPaymentRequest rj;
  rj.set_idempotency_key("reject-pay-3");
  rj.set_date("2024-03-02");
  rj.set_request(third_r.index());
  EXPECT_EQ(stub_->RejectPayment(Ctx(approver_).get(), rj, &r).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // no reason
  rj.set_reason("duplicate of pay-1");
  ASSERT_TRUE(stub_->RejectPayment(Ctx(approver_).get(), rj, &r).ok());
  ASSERT_TRUE(stub_->GetBalances(Ctx(clerk_).get(), br, &bal).ok());
  EXPECT_EQ(bal.funds(0).reserved(), 0);
  EXPECT_EQ(bal.funds(0).available(), 40000);
}

TEST_F(ServiceTest, IdempotentRetriesAndKeyConflicts) {
  v1::Receipt first, again, other;
  ASSERT_TRUE(Gift(clerk_, CashGift("BANK-0001", 5000), &first).ok());
  grpc::Status s = Gift(clerk_, CashGift("BANK-0001", 5000), &again);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.index(), first.index());
  EXPECT_EQ(again.leaf_hash(), first.leaf_hash());
  ExpectReceiptVerifies(again, server_->ledger()->verifier());

  s = Gift(clerk_, CashGift("BANK-0001", 5001), &other);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();

  // With personal data, a retry registers the same person and writes the same leaf.
  v1::RecordGiftRequest named = CashGift("BANK-0002", 700);
  named.mutable_donor()->set_name("李娜");
  named.mutable_donor()->set_phone("13800000002");
  ASSERT_TRUE(Gift(clerk_, named, &first).ok());
  ASSERT_TRUE(Gift(clerk_, named, &again).ok());
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.index(), first.index());

  // Missing key, bad amount: INVALID_ARGUMENT naming the field.
  s = Gift(clerk_, CashGift("", 100), &other);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("idempotency_key"), std::string::npos);
  s = Gift(clerk_, CashGift("BANK-0003", -5), &other);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("amount"), std::string::npos);
  // The same receipt number twice.
  v1::RecordGiftRequest a = CashGift("R-1", 100), b = CashGift("R-2", 100);
  for (v1::RecordGiftRequest* g : {&a, &b}) {
    g->set_no_receipt("");
    g->set_receipt_book("HB2024");
    g->set_receipt_number(7);
  }
  ASSERT_TRUE(Gift(clerk_, a, &other).ok());
  EXPECT_EQ(Gift(clerk_, b, &other).error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(ServiceTest, ImportGiftsReportsEachItem) {
  auto run = [&](v1::ImportGiftsResponse* resp) {
    auto ctx = Ctx(clerk_);
    std::unique_ptr<grpc::ClientWriter<v1::RecordGiftRequest>> w =
        stub_->ImportGifts(ctx.get(), resp);
    for (int i = 1; i <= 6; ++i) {
      v1::RecordGiftRequest g = CashGift(StrCat("TX-", i), 100 * i);
      g.set_channel("bank");
      if (i == 3) g.set_amount(0);             // bad: no amount
      if (i == 5) g.set_fund("fund.unknown");  // bad: refused by the books
      if (i == 6) g.mutable_donor()->set_name("王芳");
      ASSERT_TRUE(w->Write(g));
    }
    ASSERT_TRUE(w->WritesDone());
    grpc::Status s = w->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
  };
  v1::ImportGiftsResponse resp;
  run(&resp);
  ASSERT_EQ(resp.results_size(), 6);
  EXPECT_EQ(resp.recorded(), 4u);
  EXPECT_EQ(resp.failed(), 2u);
  EXPECT_EQ(resp.duplicates(), 0u);
  std::set<uint64_t> indexes;
  for (const v1::ImportItemResult& r : resp.results()) {
    EXPECT_EQ(r.idempotency_key(), StrCat("TX-", r.item()));
    if (r.item() == 3 || r.item() == 5) {
      EXPECT_FALSE(r.ok());
      EXPECT_NE(r.error().find(StrCat("item ", r.item())), std::string::npos) << r.error();
      if (r.item() == 3) {
        EXPECT_EQ(r.error_code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
        EXPECT_NE(r.error().find("amount"), std::string::npos) << r.error();
      }
    } else {
      EXPECT_TRUE(r.ok()) << r.error();
      EXPECT_EQ(r.leaf_hash().size(), 32u);
      indexes.insert(r.index());
    }
  }
  EXPECT_EQ(indexes.size(), 4u);
  EXPECT_GT(resp.checkpoint().tree_size(), *indexes.rbegin());

  // Importing the same stream again adds nothing.
  v1::ImportGiftsResponse again;
  run(&again);
  EXPECT_EQ(again.recorded(), 0u);
  EXPECT_EQ(again.duplicates(), 4u);
  EXPECT_EQ(again.failed(), 2u);
  for (int i = 0; i < 6; ++i) {
    if (resp.results(i).ok()) {
      EXPECT_EQ(again.results(i).index(), resp.results(i).index());
    }
  }

  // Imports need the clerk role too.
  v1::ImportGiftsResponse denied;
  auto ctx = Ctx(auditor_);
  auto w = stub_->ImportGifts(ctx.get(), &denied);
  w->Write(CashGift("TX-99", 100));
  w->WritesDone();
  EXPECT_EQ(w->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

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
