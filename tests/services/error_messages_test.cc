// What boaid answers to malformed requests: the status code docs/api.md gives,
// and a message that names the field, says what to do, and stays small however
// large the bad value (a status message travels in gRPC's trailers, which a
// client refuses beyond 8 KiB).
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "service_test_support.h"
#include "services/status.h"

namespace boai::service::testing {
namespace {

// Everything the in-process server logs while it lives.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  std::string text() {
    spdlog::default_logger()->flush();
    return out_.str();
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

TEST(StatusTest, LongMessagesAreCutAndValuesQuotedByTheirStart) {
  grpc::Status g = ToGrpcStatus(absl::InvalidArgumentError(std::string(20000, 'x')));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LE(g.error_message().size(), kMaxStatusMessage);
  EXPECT_NE(g.error_message().find("(message cut: 20000 bytes in all)"), std::string::npos);
  EXPECT_EQ(ShortValue("fund.general"), "fund.general");
  EXPECT_EQ(ShortValue(std::string(100, 'a')), std::string(32, 'a') + "...(100 bytes)");
  // A cut never splits a UTF-8 character (光 is 3 bytes: 32 = 10 * 3 + 2).
  std::string chinese;
  for (int i = 0; i < 30; ++i) chinese += "光";
  EXPECT_EQ(ShortValue(chinese).substr(0, 30), chinese.substr(0, 30));
  EXPECT_EQ(ShortValue(chinese), chinese.substr(0, 30) + "...(90 bytes)");
}

TEST_F(ServiceTest, AnOverlongIdIsInvalidAndItsErrorStaysSmall) {
  LogCapture log;
  const std::string huge(8192, 'f');
  auto expect_invalid = [](const grpc::Status& s, const std::string& field) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_NE(s.error_message().find(StrCat(field, " is 8192 bytes")), std::string::npos)
        << s.error_message();
    EXPECT_LT(s.error_message().size(), 300u) << s.error_message();
  };
  v1::GetBalancesRequest br;
  br.set_fund(huge);
  v1::GetBalancesResponse bal;
  expect_invalid(stub_->GetBalances(Ctx(auditor_).get(), br, &bal), "fund");

  v1::Receipt r;
  expect_invalid(Gift(clerk_, CashGift("long-fund", 100, huge), &r), "fund");

  v1::GetCampaignRequest cr;
  cr.set_id(huge);
  v1::Campaign c;
  expect_invalid(stub_->GetCampaign(Ctx(auditor_).get(), cr, &c), "id");
  cr.set_id("");
  grpc::Status s = stub_->GetCampaign(Ctx(auditor_).get(), cr, &c);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("id is required"), std::string::npos) << s.error_message();

  v1::ListEntriesRequest lr;
  lr.set_kind(huge);
  v1::EntryPage page;
  expect_invalid(stub_->ListEntryPage(Ctx(auditor_).get(), lr, &page), "kind");
  lr.set_kind("");
  lr.set_donor_commitment(huge);
  s = stub_->ListEntryPage(Ctx(auditor_).get(), lr, &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(s.error_message().size(), 300u) << s.error_message();

  v1::ListReceiptsRequest rr;
  rr.set_book(huge);
  v1::ListReceiptsResponse rresp;
  expect_invalid(stub_->ListReceipts(Ctx(auditor_).get(), rr, &rresp), "book");

  v1::RequestPaymentRequest pr;
  pr.set_idempotency_key("long-programme");
  pr.set_fund("fund.relief");
  pr.set_amount(100);
  pr.set_purpose("aid");
  pr.set_payee_label("hospital-1");
  pr.mutable_grant()->set_programme(huge);
  expect_invalid(stub_->RequestPayment(Ctx(clerk_).get(), pr, &r), "grant.programme");

  // An 8 KB idempotency key: refused with its length, and logged by its start.
  s = Gift(clerk_, CashGift(huge, 100), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(s.error_message().size(), 300u) << s.error_message();
  // Nothing the server logged quotes a value whole.
  std::istringstream lines(log.text());
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    EXPECT_LT(line.size(), 1000u) << line.substr(0, 300);
  }
  EXPECT_GT(n, 8);
}

TEST_F(ServiceTest, StatusCodesAreTheOnesTheApiDocumentGives) {
  v1::Receipt gift;
  ASSERT_TRUE(Gift(clerk_, CashGift("codes-1", 5000), &gift).ok());
  // An entry reversed before: ALREADY_EXISTS (its reversal exists), as a receipt
  // voided before.
  v1::ReverseRequest rv;
  rv.set_idempotency_key("codes-reverse-1");
  rv.set_date("2024-03-02");
  rv.set_reverses(gift.index());
  rv.set_reason("entered twice");
  v1::Receipt r;
  ASSERT_TRUE(stub_->Reverse(Ctx(clerk_).get(), rv, &r).ok());
  rv.set_idempotency_key("codes-reverse-2");
  grpc::Status s = stub_->Reverse(Ctx(clerk_).get(), rv, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();

  // A consistency proof to a size the tree has not reached: OUT_OF_RANGE, as an
  // inclusion proof past the end.
  v1::GetConsistencyProofRequest cp;
  cp.set_old_size(1);
  cp.set_new_size(server_->ledger()->Size() + 1000);
  v1::GetConsistencyProofResponse cpr;
  s = stub_->GetConsistencyProof(Ctx("").get(), cp, &cpr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::OUT_OF_RANGE) << s.error_message();
  cp.set_old_size(0);
  cp.set_new_size(0);
  s = stub_->GetConsistencyProof(Ctx("").get(), cp, &cpr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();

  // Deciding an entry that does not exist: INVALID_ARGUMENT, as reversing one.
  v1::ApprovePaymentRequest ap;
  ap.set_idempotency_key("codes-approve");
  ap.set_date("2024-03-02");
  ap.set_request(999999);
  s = stub_->ApprovePayment(Ctx(approver_).get(), ap, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("entry 999999 does not exist"), std::string::npos)
      << s.error_message();
  rv.set_idempotency_key("codes-reverse-3");
  rv.set_reverses(999999);
  s = stub_->Reverse(Ctx(clerk_).get(), rv, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  // An entry that exists but is no pending request: FAILED_PRECONDITION.
  ap.set_request(gift.index());
  s = stub_->ApprovePayment(Ctx(approver_).get(), ap, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
}

TEST_F(ServiceTest, MessagesNameTheMistakeMade) {
  v1::AddUserRequest au;
  au.set_name("someone");
  au.set_role(static_cast<v1::Role>(99));
  v1::AddUserResponse aur;
  grpc::Status s = stub_->AddUser(Ctx(admin_).get(), au, &aur);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("role 99 is not a role"), std::string::npos)
      << s.error_message();

  v1::RecordGiftRequest g = CashGift("msg-1", 100);
  g.clear_no_receipt();
  g.set_receipt_number(7);
  v1::Receipt r;
  s = Gift(clerk_, g, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("receipt_number 7 needs receipt_book"), std::string::npos)
      << s.error_message();

  g = CashGift("msg-2", 100);
  g.mutable_in_kind()->set_description("rice");
  s = Gift(clerk_, g, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("in_kind is only for channel in_kind, not channel \"cash\""),
            std::string::npos)
      << s.error_message();

  // Opening a fund again with another name: about the fund, not the key the
  // server made up for it.
  v1::OpenFundRequest of;
  of.set_id("fund.general");
  of.set_name("another name");
  s = stub_->OpenFund(Ctx(admin_).get(), of, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(s.error_message().find("fund fund.general is already open"), std::string::npos)
      << s.error_message();
  EXPECT_EQ(s.error_message().find("fund/fund.general"), std::string::npos) << s.error_message();
}

}  // namespace
}  // namespace boai::service::testing
