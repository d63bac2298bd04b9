// boai.v1.Ledger: thin handlers over the core. Each handler authenticates and
// authorizes the caller, validates and converts the request, makes one core call
// (the Clerk for writes, the Ledger or the books for reads) and maps the
// absl::Status to a gRPC status with ToGrpcStatus. Every write and every
// rejection is logged (spdlog) without personal data: user, RPC, idempotency
// key, index or status code and message.
//
// The definitions: ledger_service.cc (construction, auth, the shared write path
// RunWrite/PrepareAndAppend/FillReceipt, shared helpers), write_service.cc (the
// write RPCs, InitBooks, AddUser), import_service.cc (ImportGifts, Import) and
// read_service.cc (reads and verification).
#ifndef BOAI_SERVICES_LEDGER_SERVICE_H_
#define BOAI_SERVICES_LEDGER_SERVICE_H_

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "boai/v1/ledger.grpc.pb.h"
#include "ledger/books/books_hook.h"
#include "ledger/books/clerk.h"
#include "ledger/books/personal.h"
#include "ledger/ledger.h"
#include "ledger/thread_pool.h"
#include "services/auth.h"
#include "services/entry_index.h"

namespace boai::service {

using books::kAnonymousDisplay;

// A value as a JSON string, for log lines: quoted, escaped, never multi-line.
std::string Q(std::string_view s);
// Fills a SignedCheckpoint from a signed note's text.
absl::Status FillCheckpoint(const std::string& note_text, v1::SignedCheckpoint* out);

// The most bytes of an id (fund, campaign, account, programme, tier, receipt
// book, payee label, indicator): books::CheckId's limit.
inline constexpr size_t kMaxIdBytes = 64;
// InvalidArgument naming the first field whose id is longer than kMaxIdBytes,
// quoting only its start (ShortValue): an 8 KB fund id is a malformed request,
// not a fund that "is not open", and its error must stay small. Empty and shorter
// ids pass; the books check the rest.
absl::Status IdsFit(std::initializer_list<std::pair<std::string_view, std::string_view>> ids);

// Items one ImportGifts or Import stream takes. The response carries a result per
// item (about 60 bytes plus the key): 20,000 items with keys of ~50 bytes make
// about 2.2 MB, under a client's default 4 MB receive limit. The item after the
// last one taken is answered RESOURCE_EXHAUSTED and the stream ends there.
inline constexpr uint64_t kMaxImportItems = 20000;

// The generated service with every unary write on the callback API: a write
// authorizes and drafts on the gRPC thread that received it, hands the draft to
// the ledger's group-commit writer (Ledger::AppendAsync) and returns; the receipt
// goes out from the writer's completion once the batch is synced. No thread waits
// for the disk, so many concurrent writers cost no thread each. Reads, imports,
// InitBooks and AddUser stay synchronous.
using LedgerServiceBase = v1::Ledger::WithCallbackMethod_RecordGift<
    v1::Ledger::WithCallbackMethod_RequestPayment<v1::Ledger::WithCallbackMethod_ApprovePayment<
        v1::Ledger::WithCallbackMethod_RejectPayment<v1::Ledger::WithCallbackMethod_ExpirePayment<
            v1::Ledger::WithCallbackMethod_Reverse<v1::Ledger::WithCallbackMethod_VoidReceipt<
                v1::Ledger::WithCallbackMethod_RecordIndicator<
                    v1::Ledger::WithCallbackMethod_RecordMatch<
                        v1::Ledger::WithCallbackMethod_Clawback<
                            v1::Ledger::WithCallbackMethod_Settle<
                                v1::Ledger::WithCallbackMethod_OpenFund<
                                    v1::Ledger::WithCallbackMethod_OpenCampaign<
                                        v1::Ledger::WithCallbackMethod_SetProgrammeRules<
                                            v1::Ledger::WithCallbackMethod_ReleaseFund<
                                                v1::Ledger::Service>>>>>>>>>>>>>>>;

class LedgerService final : public LedgerServiceBase {
 public:
  // None owned; all must outlive the service.
  LedgerService(ledger::Ledger* ledger, const books::BooksHook* books, const books::Clerk* clerk,
                books::PersonalStore* people, UserStore* users);
  // Waits for the work handed to the blocking pool (see RunWrite).
  ~LedgerService() override;

  // Writes (callback API; each answers once its entry is durable).
  grpc::ServerUnaryReactor* RecordGift(grpc::CallbackServerContext* ctx,
                                       const v1::RecordGiftRequest* req, v1::Receipt* out) override;
  grpc::ServerUnaryReactor* RequestPayment(grpc::CallbackServerContext* ctx,
                                           const v1::RequestPaymentRequest* req,
                                           v1::Receipt* out) override;
  grpc::ServerUnaryReactor* ApprovePayment(grpc::CallbackServerContext* ctx,
                                           const v1::ApprovePaymentRequest* req,
                                           v1::Receipt* out) override;
  grpc::ServerUnaryReactor* RejectPayment(grpc::CallbackServerContext* ctx,
                                          const v1::RejectPaymentRequest* req,
                                          v1::Receipt* out) override;
  grpc::ServerUnaryReactor* ExpirePayment(grpc::CallbackServerContext* ctx,
                                          const v1::ExpirePaymentRequest* req,
                                          v1::Receipt* out) override;
  grpc::ServerUnaryReactor* Reverse(grpc::CallbackServerContext* ctx, const v1::ReverseRequest* req,
                                    v1::Receipt* out) override;
  grpc::ServerUnaryReactor* VoidReceipt(grpc::CallbackServerContext* ctx,
                                        const v1::VoidReceiptRequest* req,
                                        v1::Receipt* out) override;
  grpc::ServerUnaryReactor* RecordIndicator(grpc::CallbackServerContext* ctx,
                                            const v1::RecordIndicatorRequest* req,
                                            v1::Receipt* out) override;
  grpc::ServerUnaryReactor* RecordMatch(grpc::CallbackServerContext* ctx,
                                        const v1::RecordMatchRequest* req,
                                        v1::Receipt* out) override;
  grpc::ServerUnaryReactor* Clawback(grpc::CallbackServerContext* ctx,
                                     const v1::ClawbackRequest* req, v1::Receipt* out) override;
  grpc::ServerUnaryReactor* Settle(grpc::CallbackServerContext* ctx, const v1::SettleRequest* req,
                                   v1::Receipt* out) override;
  grpc::ServerUnaryReactor* OpenFund(grpc::CallbackServerContext* ctx,
                                     const v1::OpenFundRequest* req, v1::Receipt* out) override;
  grpc::ServerUnaryReactor* OpenCampaign(grpc::CallbackServerContext* ctx,
                                         const v1::OpenCampaignRequest* req,
                                         v1::Receipt* out) override;
  grpc::ServerUnaryReactor* SetProgrammeRules(grpc::CallbackServerContext* ctx,
                                              const v1::SetProgrammeRulesRequest* req,
                                              v1::Receipt* out) override;
  grpc::ServerUnaryReactor* ReleaseFund(grpc::CallbackServerContext* ctx,
                                        const v1::ReleaseFundRequest* req,
                                        v1::Receipt* out) override;
  // Synchronous writes. (ImportGifts and Import are served by RunImport, on
  // handlers the constructor installs: see there.)
  grpc::Status InitBooks(grpc::ServerContext* ctx, const v1::InitBooksRequest* req,
                         v1::InitBooksResponse* out) override;
  grpc::Status AddUser(grpc::ServerContext* ctx, const v1::AddUserRequest* req,
                       v1::AddUserResponse* out) override;

  // Reads.
  grpc::Status GetEntry(grpc::ServerContext* ctx, const v1::GetEntryRequest* req,
                        v1::Entry* out) override;
  grpc::Status ListEntries(grpc::ServerContext* ctx, const v1::ListEntriesRequest* req,
                           grpc::ServerWriter<v1::Entry>* writer) override;
  grpc::Status ListEntryPage(grpc::ServerContext* ctx, const v1::ListEntriesRequest* req,
                             v1::EntryPage* out) override;
  grpc::Status GetReceipt(grpc::ServerContext* ctx, const v1::GetReceiptRequest* req,
                          v1::ReceiptRecord* out) override;
  grpc::Status ListReceipts(grpc::ServerContext* ctx, const v1::ListReceiptsRequest* req,
                            v1::ListReceiptsResponse* out) override;
  grpc::Status GetBalances(grpc::ServerContext* ctx, const v1::GetBalancesRequest* req,
                           v1::GetBalancesResponse* out) override;
  grpc::Status GetCampaign(grpc::ServerContext* ctx, const v1::GetCampaignRequest* req,
                           v1::Campaign* out) override;

  // Verification.
  grpc::Status GetCheckpoint(grpc::ServerContext* ctx, const v1::GetCheckpointRequest* req,
                             v1::GetCheckpointResponse* out) override;
  grpc::Status GetInclusionProof(grpc::ServerContext* ctx, const v1::GetInclusionProofRequest* req,
                                 v1::GetInclusionProofResponse* out) override;
  grpc::Status GetConsistencyProof(grpc::ServerContext* ctx,
                                   const v1::GetConsistencyProofRequest* req,
                                   v1::GetConsistencyProofResponse* out) override;
  grpc::Status GetCosignatures(grpc::ServerContext* ctx, const v1::GetCosignaturesRequest* req,
                               v1::GetCosignaturesResponse* out) override;

 private:
  // A write ready for the clerk.
  struct Write {
    std::string kind;
    books::Body body;
    std::string key;
    std::string person_id;  // registered for the request, if any
    // The final draft when preparing it already made one (saves drafting twice).
    std::optional<ledger::EntryDraft> draft;
    // What to answer instead of the core's message when the key is taken by other
    // content (ALREADY_EXISTS), for keys the server made up ("" = the core's).
    std::string conflict = {};
  };

  // InvalidArgument naming `field` unless entry `index` is in the log.
  absl::Status EntryExists(std::string_view field, uint64_t index) const;
  // The entry of a decision on payment request `request` (payment.approve,
  // .reject or .expire): checks the key, the reason when one is required (a
  // rejection's), and that the request exists.
  absl::StatusOr<Write> PaymentDecisionWrite(std::string_view kind, const std::string& key,
                                             const std::string& date, uint64_t request,
                                             std::optional<std::string_view> reason) const;

  // Authenticates the caller of `rpc` (bearer token, else a client certificate
  // mapped to a user) and checks that their role allows `need`.
  absl::StatusOr<User> Authorize(const grpc::ServerContextBase* ctx, std::string_view rpc,
                                 Access need) const;
  // Runs a write on the callback API: authorize, `prepare` the entry (validation,
  // personal data), draft it, hand it to Ledger::AppendAsync, and from its
  // completion (the batch is synced) fill the receipt, log and Finish. With
  // `may_block` (the request carries personal data, whose store syncs each
  // Register), `prepare` runs on a small pool of threads instead of gRPC's.
  // `prepare` is called at most once, before the call is finished; `key` is only
  // for the log of a rejected authorization.
  grpc::ServerUnaryReactor* RunWrite(grpc::CallbackServerContext* ctx, std::string_view rpc,
                                     Access need, std::string_view key, bool may_block,
                                     std::function<absl::StatusOr<Write>(const User&)> prepare,
                                     v1::Receipt* out);
  // The part of RunWrite after authorization.
  void PrepareAndAppend(grpc::ServerUnaryReactor* reactor, std::string_view rpc,
                        std::string_view key, const User& user,
                        const std::function<absl::StatusOr<Write>(const User&)>& prepare,
                        v1::Receipt* out);
  // Runs anything else: authorize, `body`, log a rejection.
  grpc::Status Run(grpc::ServerContext* ctx, std::string_view rpc, Access need,
                   const std::function<absl::Status(const User&)>& body);
  grpc::Status Reject(std::string_view rpc, const std::string& user, std::string_view key,
                      const absl::Status& status) const;

  absl::StatusOr<Write> PrepareGift(const v1::RecordGiftRequest& req, const User& user) const;
  absl::StatusOr<Write> PrepareMatch(const v1::RecordMatchRequest& req) const;
  // ImportGifts (`gifts_only`: each message is a RecordGiftRequest) or Import
  // (each is an ImportItem), read as raw bytes and parsed here: the generated
  // reader's Read returns false both at the end of the stream and for a message
  // that does not parse (e.g. a string field that is not UTF-8), so it would end
  // the import early and silently. Here such an item gets its own failed result.
  grpc::Status RunImport(grpc::ServerContext* ctx, std::string_view rpc, bool gifts_only,
                         grpc::ServerReader<grpc::ByteBuffer>* reader,
                         v1::ImportGiftsResponse* out);
  // Installs RunImport as the handler of ImportGifts and Import.
  void InstallImportHandlers();
  // The entries of a ListEntriesRequest: at most `limit`, from the index.
  absl::StatusOr<std::vector<uint64_t>> FindEntries(const v1::ListEntriesRequest& req, size_t limit,
                                                    uint64_t* scanned_to, uint64_t* end);
  absl::Status FillReceipt(const ledger::AppendResult& r, std::string_view kind,
                           std::string_view person_id, v1::Receipt* out) const;
  std::string Today() const;

  ledger::Ledger* ledger_;
  const books::BooksHook* books_;
  const books::Clerk* clerk_;
  books::PersonalStore* people_;
  UserStore* users_;
  mutable EntryIndex index_;
  class ProofNodes;
  std::unique_ptr<ProofNodes> proof_nodes_;
  // The parts of callback writes that may block (registering personal data syncs
  // the personal store), so gRPC's callback threads never wait for a disk. Last,
  // so it is destroyed (running any task still queued) before what tasks use.
  std::unique_ptr<ledger::ThreadPool> pool_;
};

}  // namespace boai::service

#endif  // BOAI_SERVICES_LEDGER_SERVICE_H_
