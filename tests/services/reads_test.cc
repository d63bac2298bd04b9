// Filtered, paged reads (ListEntryPage, ListEntries), the receipt register
// (GetReceipt, ListReceipts) and `boai receipt --verify` / `boai entries`.
#include <set>

#include "ledger/ledger.h"
#include "service_test_support.h"

namespace boai::service::testing {
namespace {

class ReadsTest : public CliTest {
 protected:
  // All entries, streamed without filters.
  std::vector<v1::Entry> All() {
    auto ctx = Ctx(auditor_);
    auto reader = stub_->ListEntries(ctx.get(), v1::ListEntriesRequest());
    std::vector<v1::Entry> out;
    v1::Entry e;
    while (reader->Read(&e)) out.push_back(e);
    EXPECT_TRUE(reader->Finish().ok());
    return out;
  }

  // Every page of `req` (limit per page), following next_start.
  std::vector<uint64_t> Pages(v1::ListEntriesRequest req, int* pages) {
    std::vector<uint64_t> out;
    *pages = 0;
    while (true) {
      v1::EntryPage page;
      grpc::Status s = stub_->ListEntryPage(Ctx(auditor_).get(), req, &page);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      ++*pages;
      EXPECT_LE(page.entries_size(), static_cast<int>(req.limit()));
      for (const v1::Entry& e : page.entries()) out.push_back(e.index());
      if (!page.more()) break;
      EXPECT_GT(page.next_start(), req.start());
      req.set_start(page.next_start());
    }
    return out;
  }

  v1::Receipt GiftWith(const std::string& key, int64_t fen, const std::string& fund,
                       const std::string& channel, const std::string& phone) {
    v1::RecordGiftRequest g = CashGift(key, fen, fund);
    g.set_channel(channel);
    if (!phone.empty()) {
      g.mutable_donor()->set_name("赵敏");
      g.mutable_donor()->set_phone(phone);
      g.set_no_receipt("declined");
    }
    v1::Receipt r;
    grpc::Status s = Gift(clerk_, g, &r);
    EXPECT_TRUE(s.ok()) << key << ": " << s.error_message();
    return r;
  }
};

TEST_F(ReadsTest, PagingAndFiltersMatchTheLeaves) {
  for (int i = 0; i < 12; ++i) {
    GiftWith(StrCat("G-", i), 100 + i, i % 3 == 0 ? "fund.relief" : "fund.general",
             i % 2 == 0 ? "cash" : "bank", i % 4 == 0 ? "13900000001" : "");
  }
  v1::RequestPaymentRequest pr;
  pr.set_idempotency_key("PAY-1");
  pr.set_date("2024-03-02");
  pr.set_fund("fund.relief");
  pr.set_amount(50);
  pr.set_purpose("relief");
  pr.set_method("cash");
  pr.set_payee_label("family-list-1");
  v1::Receipt pay;
  ASSERT_TRUE(stub_->RequestPayment(Ctx(clerk_).get(), pr, &pay).ok());

  std::vector<v1::Entry> all = All();
  ASSERT_EQ(all.size(), server_->ledger()->Size());
  // Expected results, from the bodies.
  auto expect = [&](auto pred) {
    std::vector<uint64_t> out;
    for (const v1::Entry& e : all) {
      nlohmann::json b = nlohmann::json::parse(e.body_json());
      if (pred(e, b)) out.push_back(e.index());
    }
    return out;
  };
  auto posts = [](const nlohmann::json& b, const char* field, const std::string& v) {
    if (!b.contains("postings")) return false;
    for (const auto& p : b["postings"])
      if (p[field] == v) return true;
    return false;
  };
  int pages = 0;
  v1::ListEntriesRequest req;
  req.set_limit(2);
  req.set_fund("fund.relief");
  std::vector<uint64_t> relief = Pages(req, &pages);
  EXPECT_EQ(relief, expect([&](const v1::Entry& e, const nlohmann::json& b) {
              return b.value("fund", "") == "fund.relief" || b.value("id", "") == "fund.relief" ||
                     posts(b, "fund", "fund.relief");
            }));
  EXPECT_EQ(relief.size(), 1u + 4u + 1u);  // fund.open, 4 gifts, the payment request
  EXPECT_EQ(pages, 3);

  req.clear_fund();
  req.set_account("1001");  // cash on hand
  req.set_limit(4);
  std::vector<uint64_t> cash = Pages(req, &pages);
  EXPECT_EQ(cash, expect([&](const v1::Entry&, const nlohmann::json& b) {
              return posts(b, "account", "1001");
            }));
  EXPECT_EQ(cash.size(), 6u);

  // Two filters at once, and a start in the middle.
  req.set_fund("fund.general");
  req.set_start(all.size() / 2);
  std::vector<uint64_t> both = Pages(req, &pages);
  EXPECT_EQ(both, expect([&](const v1::Entry& e, const nlohmann::json& b) {
              return e.index() >= all.size() / 2 && posts(b, "account", "1001") &&
                     posts(b, "fund", "fund.general");
            }));

  // The donor's commitment finds the donor's gifts (the same person twice).
  std::string commitment;
  for (const v1::Entry& e : all) {
    if (e.key() == "G-0") commitment = nlohmann::json::parse(e.body_json())["donor"]["commitment"];
  }
  ASSERT_EQ(commitment.size(), 64u);
  v1::ListEntriesRequest dr;
  dr.set_donor_commitment(commitment);
  dr.set_limit(10);
  v1::EntryPage dp;
  ASSERT_TRUE(stub_->ListEntryPage(Ctx(auditor_).get(), dr, &dp).ok());
  std::set<std::string> keys;
  for (const v1::Entry& e : dp.entries()) keys.insert(e.key());
  EXPECT_EQ(keys, (std::set<std::string>{"G-0", "G-4", "G-8"}));
  EXPECT_FALSE(dp.more());

  // The stream takes the same filters; new entries are found at once.
  GiftWith("G-late", 7, "fund.relief", "cash", "");
  v1::ListEntriesRequest sr;
  sr.set_fund("fund.relief");
  sr.set_kind("gift");
  auto ctx = Ctx(auditor_);
  auto reader = stub_->ListEntries(ctx.get(), sr);
  v1::Entry e;
  std::vector<std::string> streamed;
  while (reader->Read(&e)) streamed.push_back(e.key());
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(streamed, (std::vector<std::string>{"G-0", "G-3", "G-6", "G-9", "G-late"}));

  // Bad requests.
  v1::EntryPage bad;
  dr.set_donor_commitment("ZZ");
  EXPECT_EQ(stub_->ListEntryPage(Ctx(auditor_).get(), dr, &bad).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListEntriesRequest big;
  big.set_limit(5000);
  EXPECT_EQ(stub_->ListEntryPage(Ctx(auditor_).get(), big, &bad).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  big.set_limit(1);
  big.set_start(1u << 30);
  EXPECT_EQ(stub_->ListEntryPage(Ctx(auditor_).get(), big, &bad).error_code(),
            grpc::StatusCode::OUT_OF_RANGE);
  big.set_start(0);
  big.set_fund("fund with spaces");
  EXPECT_EQ(stub_->ListEntryPage(Ctx(auditor_).get(), big, &bad).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // A filter naming nothing that exists is a typo, not an empty result.
  for (auto [field, value, message] :
       {std::tuple{"kind", "gfit", "kind \"gfit\" is not an entry kind"},
        std::tuple{"fund", "fund.nosuch", "fund fund.nosuch is not open"},
        std::tuple{"campaign", "camp.x", "campaign camp.x is not open"},
        std::tuple{"account", "9999", "account 9999 is not open"}}) {
    v1::ListEntriesRequest typo;
    if (std::string_view(field) == "kind") typo.set_kind(value);
    if (std::string_view(field) == "fund") typo.set_fund(value);
    if (std::string_view(field) == "campaign") typo.set_campaign(value);
    if (std::string_view(field) == "account") typo.set_account(value);
    grpc::Status st = stub_->ListEntryPage(Ctx(auditor_).get(), typo, &bad);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_NE(st.error_message().find(message), std::string::npos) << st.error_message();
  }
  EXPECT_EQ(stub_->ListEntryPage(Ctx("").get(), v1::ListEntriesRequest(), &bad).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  std::string pub = AddUser("portal", v1::ROLE_PUBLIC);
  EXPECT_EQ(stub_->ListEntryPage(Ctx(pub).get(), v1::ListEntriesRequest(), &bad).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // The CLI pages the same way.
  std::string auditor = TokenFile("auditor", auditor_);
  CliRun r = Boai(auditor, "entries --fund fund.relief --limit 2");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find(StrCat("more from --from ", relief[1] + 1)), std::string::npos) << r.out;
  r = Boai(auditor, StrCat("--json entries --fund fund.relief --kind gift --from ", relief[1] + 1));
  ASSERT_EQ(r.status, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["entries"].size(), 4u);  // G-3, G-6, G-9, G-late
  EXPECT_EQ(j["more"], false);
}

TEST_F(ReadsTest, ReceiptRegisterAndVerifiedLookup) {
  auto receipt_gift = [&](const std::string& key, int64_t number) {
    v1::RecordGiftRequest g = CashGift(key, 1000);
    g.set_no_receipt("");
    g.set_receipt_book("HB2024");
    g.set_receipt_number(number);
    v1::Receipt r;
    grpc::Status s = Gift(clerk_, g, &r);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return r;
  };
  v1::Receipt one = receipt_gift("HB2024-1", 1);
  receipt_gift("HB2024-3", 3);
  v1::Receipt five = receipt_gift("HB2024-5", 5);
  v1::VoidReceiptRequest vr;
  vr.set_idempotency_key("void-4");
  vr.set_date("2024-03-02");
  vr.set_book("HB2024");
  vr.set_number(4);
  vr.set_reason("torn");
  v1::Receipt voided;
  ASSERT_TRUE(stub_->VoidReceipt(Ctx(clerk_).get(), vr, &voided).ok());
  vr.set_idempotency_key("void-5");
  vr.set_number(5);
  v1::Receipt voided5;
  ASSERT_TRUE(stub_->VoidReceipt(Ctx(clerk_).get(), vr, &voided5).ok());

  auto get = [&](int64_t n) {
    v1::GetReceiptRequest req;
    req.set_book("HB2024");
    req.set_number(n);
    v1::ReceiptRecord rec;
    grpc::Status s = stub_->GetReceipt(Ctx(auditor_).get(), req, &rec);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return rec;
  };
  v1::ReceiptRecord r1 = get(1);
  EXPECT_EQ(r1.state(), v1::RECEIPT_ISSUED);
  EXPECT_EQ(r1.gift().index(), one.index());
  EXPECT_EQ(r1.gift().leaf_hash(), one.leaf_hash());
  EXPECT_EQ(get(2).state(), v1::RECEIPT_MISSING);
  v1::ReceiptRecord r4 = get(4);
  EXPECT_EQ(r4.state(), v1::RECEIPT_VOIDED);
  EXPECT_FALSE(r4.has_gift());
  EXPECT_EQ(r4.void_entry().index(), voided.index());
  v1::ReceiptRecord r5 = get(5);  // issued, then voided
  EXPECT_EQ(r5.state(), v1::RECEIPT_VOIDED);
  EXPECT_EQ(r5.gift().index(), five.index());
  EXPECT_EQ(r5.void_entry().index(), voided5.index());
  EXPECT_EQ(get(9).state(), v1::RECEIPT_UNUSED);

  v1::ListReceiptsRequest lr;
  v1::ListReceiptsResponse reg;
  ASSERT_TRUE(stub_->ListReceipts(Ctx(auditor_).get(), lr, &reg).ok());
  ASSERT_EQ(reg.books_size(), 1);
  EXPECT_EQ(reg.books(0).voided_size(), 2);
  ASSERT_EQ(reg.books(0).missing_size(), 1);
  EXPECT_EQ(reg.books(0).missing(0).first(), 2);
  EXPECT_EQ(reg.books(0).missing(0).last(), 2);
  lr.set_book("HB1999");
  EXPECT_EQ(stub_->ListReceipts(Ctx(auditor_).get(), lr, &reg).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::GetReceiptRequest bad;
  bad.set_book("HB2024");
  bad.set_number(0);
  v1::ReceiptRecord rec;
  EXPECT_EQ(stub_->GetReceipt(Ctx(auditor_).get(), bad, &rec).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // boai receipt --verify: the leaf hash, the inclusion proof and the signature
  // under the pinned key.
  std::string vkey = server_->ledger()->verifier().VerifierKey();
  std::string auditor = TokenFile("auditor", auditor_);
  CliRun r = Boai(auditor, StrCat("--vkey '", vkey, "' receipt HB2024 1 --verify"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find(StrCat("issued by entry #", one.index())), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("inclusion proof and checkpoint signature verified"), std::string::npos)
      << r.out;
  r = Boai(auditor, "receipt HB2024 1 --verify");  // no pinned key
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("--vkey"), std::string::npos) << r.out;
  r = Boai(auditor, StrCat("--vkey '", vkey, "' receipt HB2024 2 --verify"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("RECEIPT_MISSING"), std::string::npos) << r.out;
  // Another log's key: the signature does not verify.
  std::string other = MakeTempDir();
  std::string other_vkey;
  {
    absl::StatusOr<std::unique_ptr<ledger::Ledger>> l =
        ledger::Ledger::Open(other, ledger::LedgerOptions());
    ASSERT_TRUE(l.ok()) << l.status();
    other_vkey = (*l)->verifier().VerifierKey();
  }
  std::filesystem::remove_all(other);
  r = Boai(auditor, StrCat("--vkey '", other_vkey, "' receipt HB2024 1 --verify"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("not signed by"), std::string::npos) << r.out;
  r = Boai(auditor, "--json receipts");
  ASSERT_EQ(r.status, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["books"][0]["missing"][0][0], 2);
  r = Boai(auditor, "campaign-progress camp.none");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("NOT_FOUND"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace boai::service::testing
