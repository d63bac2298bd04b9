// The ImportGifts and Import streams at their edges: an item that does not parse,
// a user whose token is replaced while their stream runs, and a stream longer
// than the server takes.
#include <thread>

#include "service_test_support.h"
#include "services/ledger_service.h"

namespace boai::service::testing {
namespace {

// Waits (without a time limit of its own: the test's timeout is the limit) until
// the server's ledger holds `size` entries.
void WaitForSize(const Server& server, uint64_t size) {
  while (server.ledger()->Size() < size) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

TEST_F(ServiceTest, AnItemThatDoesNotParseGetsItsOwnResultAndTheStreamGoesOn) {
  const uint64_t before = server_->ledger()->Size();
  v1::ImportGiftsResponse resp;
  auto ctx = Ctx(clerk_);
  auto w = stub_->ImportGifts(ctx.get(), &resp);
  // Items 3 and 6 (the last) carry a key that is not UTF-8: protobuf writes the
  // bytes, the server cannot parse the message. The generated reader would end
  // the stream at item 3 as if the client had finished.
  for (int i = 1; i <= 6; ++i) {
    v1::RecordGiftRequest g = CashGift(StrCat("parse-", i), 100 * i);
    if (i == 3 || i == 6) g.set_idempotency_key(StrCat("bad\xff\xfe", i));
    ASSERT_TRUE(w->Write(g));
  }
  w->WritesDone();
  grpc::Status s = w->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.results_size(), 6);
  EXPECT_EQ(resp.recorded(), 4u);
  EXPECT_EQ(resp.failed(), 2u);
  for (int i : {3, 6}) {
    const v1::ImportItemResult& r = resp.results(i - 1);
    EXPECT_EQ(r.item(), static_cast<uint64_t>(i));
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(r.error().find(StrCat("item ", i, ": not recorded: the message does not parse")),
              std::string::npos)
        << r.error();
  }
  for (int i : {1, 2, 4, 5}) EXPECT_TRUE(resp.results(i - 1).ok()) << resp.results(i - 1).error();
  EXPECT_EQ(server_->ledger()->Size(), before + 4);

  // Import (gifts and matching) the same way.
  v1::ImportGiftsResponse resp2;
  auto ctx2 = Ctx(clerk_);
  auto w2 = stub_->Import(ctx2.get(), &resp2);
  v1::ImportItem bad;
  *bad.mutable_gift() = CashGift("bad\xc3", 100);
  v1::ImportItem good;
  *good.mutable_gift() = CashGift("parse-7", 700);
  ASSERT_TRUE(w2->Write(bad));
  ASSERT_TRUE(w2->Write(good));
  w2->WritesDone();
  s = w2->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp2.results_size(), 2);
  EXPECT_FALSE(resp2.results(0).ok());
  EXPECT_NE(resp2.results(0).error().find("does not parse as boai.v1.ImportItem"),
            std::string::npos)
      << resp2.results(0).error();
  EXPECT_TRUE(resp2.results(1).ok()) << resp2.results(1).error();
}

TEST_F(ServiceTest, AStreamStopsWritingOnceItsUsersTokenIsReplaced) {
  const uint64_t before = server_->ledger()->Size();
  v1::ImportGiftsResponse resp;
  auto ctx = Ctx(clerk_);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
  auto w = stub_->ImportGifts(ctx.get(), &resp);
  // One chunk (1,024 items) is handed on as soon as it is read.
  for (int i = 0; i < 1024; ++i) ASSERT_TRUE(w->Write(CashGift(StrCat("revoke-", i), 100)));
  WaitForSize(*server_, before + 1024);

  // The admin gives clerk.wang a new token: the old one, which the stream
  // authenticated with, stops working.
  v1::AddUserRequest au;
  au.set_name("clerk.wang");
  au.set_role(v1::ROLE_CLERK);
  au.set_replace(true);
  v1::AddUserResponse aur;
  grpc::Status s = stub_->AddUser(Ctx(admin_).get(), au, &aur);
  ASSERT_TRUE(s.ok()) << s.error_message();

  for (int i = 1024; i < 1030; ++i) {
    if (!w->Write(CashGift(StrCat("revoke-", i), 100))) break;
  }
  w->WritesDone();
  s = w->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_NE(s.error_message().find("its first 1024 items were handled before"), std::string::npos)
      << s.error_message();
  EXPECT_EQ(server_->ledger()->Size(), before + 1024);
}

TEST_F(ServiceTest, AStreamTakesAtMostTheDocumentedNumberOfItems) {
  const uint64_t before = server_->ledger()->Size();
  v1::ImportGiftsResponse resp;
  auto ctx = Ctx(clerk_);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
  auto w = stub_->ImportGifts(ctx.get(), &resp);
  const uint64_t sent = kMaxImportItems + 5;
  for (uint64_t i = 0; i < sent; ++i) {
    // The server ends the call after the first item it does not take.
    if (!w->Write(CashGift(StrCat("limit-", i), 100))) break;
  }
  w->WritesDone();
  grpc::Status s = w->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.results_size(), static_cast<int>(kMaxImportItems + 1));
  EXPECT_EQ(resp.recorded(), kMaxImportItems);
  const v1::ImportItemResult& last = resp.results(static_cast<int>(kMaxImportItems));
  EXPECT_FALSE(last.ok());
  EXPECT_EQ(last.item(), kMaxImportItems + 1);
  EXPECT_EQ(last.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(last.idempotency_key(), StrCat("limit-", kMaxImportItems));
  EXPECT_NE(last.error().find(StrCat("a stream takes at most ", kMaxImportItems, " items")),
            std::string::npos)
      << last.error();
  EXPECT_EQ(server_->ledger()->Size(), before + kMaxImportItems);
  // The whole response fits a client's default 4 MB receive limit: about 60
  // bytes a result besides the key (11-15 bytes here).
  EXPECT_LT(resp.ByteSizeLong(), size_t{4} << 20);
  EXPECT_LT(resp.ByteSizeLong(), (60 + 15) * (kMaxImportItems + 1)) << resp.ByteSizeLong();
}

}  // namespace
}  // namespace boai::service::testing
