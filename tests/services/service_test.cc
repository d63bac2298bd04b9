// End-to-end tests of boaid: a real server on a loopback port, driven through the
// generated C++ client: receipts and proofs, auth, payments, idempotency, imports.
// The server's life (health, listening, shutdown, restart) is in
// service_lifecycle_test.cc.

#include <set>

#include "ledger/books/personal.h"
#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "service_test_support.h"
#include "services/ledger_service.h"

namespace boai::service::testing {
namespace {

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

TEST_F(ServiceTest, AnAnonymousGiftIsNotLinkedToTheDonorsNamedGifts) {
  // The same donor gives once named and once anonymously: the leaves carry
  // unrelated commitments, so the published anonymous gift points at nobody.
  auto gift = [&](const std::string& key, v1::DonorDisplay display, v1::Receipt* r) {
    v1::RecordGiftRequest req = CashGift(key, 5000);
    req.mutable_donor()->set_name("张伟");
    req.mutable_donor()->set_phone("13800000001");
    req.set_display(display);
    return Gift(clerk_, req, r);
  };
  v1::Receipt named, anon, again;
  ASSERT_TRUE(gift("named-1", v1::DONOR_DISPLAY_MASKED_NAME, &named).ok());
  ASSERT_TRUE(gift("anon-1", v1::DONOR_DISPLAY_ANONYMOUS, &anon).ok());
  EXPECT_EQ(named.person_id(), anon.person_id());  // the society still knows who gave
  auto commitment = [&](uint64_t index) {
    v1::GetEntryRequest ge;
    ge.set_index(index);
    v1::Entry e;
    EXPECT_TRUE(stub_->GetEntry(Ctx(auditor_).get(), ge, &e).ok());
    nlohmann::json body = nlohmann::json::parse(e.body_json(), nullptr, false);
    return body.is_object() ? body["donor"]["commitment"].get<std::string>() : std::string();
  };
  const std::string c_named = commitment(named.index()), c_anon = commitment(anon.index());
  EXPECT_EQ(c_anon.size(), 64u);
  EXPECT_NE(c_anon, c_named);
  // A retry is the same entry (same commitment, same leaf).
  ASSERT_TRUE(gift("anon-1", v1::DONOR_DISPLAY_ANONYMOUS, &again).ok());
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.leaf_hash(), anon.leaf_hash());
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

  // Expiry path: a request past its last day is expired by a clerk, which
  // releases the reservation; an approver cannot expire it, nor can it expire early.
  v1::RequestPaymentRequest fourth = over;
  fourth.set_idempotency_key("pay-4");
  fourth.set_amount(10000);
  fourth.set_expires("2024-03-05");
  v1::Receipt fourth_r;
  ASSERT_TRUE(stub_->RequestPayment(Ctx(clerk_).get(), fourth, &fourth_r).ok());
  v1::ExpirePaymentRequest ex;
  ex.set_idempotency_key("expire-pay-4");
  ex.set_date("2024-03-05");
  ex.set_request(fourth_r.index());
  s = stub_->ExpirePayment(Ctx(clerk_).get(), ex, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("does not expire until after 2024-03-05"), std::string::npos)
      << s.error_message();
  ex.set_date("2024-03-06");
  EXPECT_EQ(stub_->ExpirePayment(Ctx(approver_).get(), ex, &r).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->ExpirePayment(Ctx(clerk_).get(), ex, &r).ok());
  ExpectReceiptVerifies(r, server_->ledger()->verifier());
  ASSERT_TRUE(stub_->GetBalances(Ctx(clerk_).get(), br, &bal).ok());
  EXPECT_EQ(bal.funds(0).reserved(), 0);
  EXPECT_EQ(bal.funds(0).available(), 40000);
  ap.set_idempotency_key("approve-pay-4");
  ap.set_date("2024-03-06");
  ap.set_request(fourth_r.index());
  EXPECT_EQ(stub_->ApprovePayment(Ctx(approver_).get(), ap, &r).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
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

// A grant is paid to a child known by a valid identity number: a label, or a
// number typed wrongly, would let one child get the one-per-child grant twice.
TEST_F(ServiceTest, AGrantNeedsTheChildsIdentityNumber) {
  v1::RequestPaymentRequest req;
  req.set_idempotency_key("la-1");
  req.set_date("2024-03-02");
  req.set_fund("fund.relief");
  req.set_amount(3000000);
  req.set_purpose("小天使基金");
  req.set_method("bank");
  req.mutable_grant()->set_programme("prog.little-angel");
  req.mutable_grant()->set_tier("standard");
  req.mutable_grant()->set_age(8);
  req.set_payee_label("child-zhang");
  v1::Receipt r;
  grpc::Status s = stub_->RequestPayment(Ctx(clerk_).get(), req, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("not to a payee_label"), std::string::npos) << s.error_message();
  req.clear_payee_label();
  req.mutable_payee()->set_name("张小花");
  req.mutable_payee()->set_id_number("410000-20160101-0029");  // check character wrong
  s = stub_->RequestPayment(Ctx(clerk_).get(), req, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("check character"), std::string::npos) << s.error_message();
  EXPECT_EQ(s.error_message().find("410000"), std::string::npos) << "never echo the number";
  // A valid number passes on to the programme's rules (none here).
  req.mutable_payee()->set_id_number(
      StrCat("41000020160101300", std::string(1, books::ResidentIdCheckChar("41000020160101300"))));
  s = stub_->RequestPayment(Ctx(clerk_).get(), req, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("no rules in force"), std::string::npos) << s.error_message();
}

}  // namespace
}  // namespace boai::service::testing
