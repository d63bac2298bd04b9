// The standard chart of accounts (民间非营利组织会计制度, simplified) and the
// postings each kind of entry makes. The clerk builds postings with
// ExpectedPostings(); the rules refuse any entry whose postings differ from it, so
// a leaf's postings always follow from what the leaf says.
#ifndef BOAI_LEDGER_BOOKS_CHART_H_
#define BOAI_LEDGER_BOOKS_CHART_H_

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/books/entries.h"

namespace boai::books {

inline constexpr std::string_view kCash = "1001";                // 库存现金
inline constexpr std::string_view kBank = "1002";                // 银行存款
inline constexpr std::string_view kPlatformReceivable = "1121";  // 应收款-募捐平台
inline constexpr std::string_view kGoods = "1201";               // 捐赠物资
inline constexpr std::string_view kUnrestricted = "3101";        // 非限定性净资产
inline constexpr std::string_view kRestricted = "3102";          // 限定性净资产
inline constexpr std::string_view kDonationIncome = "4101";      // 捐赠收入
inline constexpr std::string_view kMatchingIncome = "4102";      // 平台配捐收入
inline constexpr std::string_view kGrantIncome = "4201";         // 补助收入
inline constexpr std::string_view kProgrammeCost = "5101";       // 业务活动成本

// The account.open bodies of the standard chart, for a new ledger.
std::vector<AccountOpen> StandardChart();

// What the books know that postings depend on.
class PostingContext {
 public:
  virtual ~PostingContext() = default;
  virtual absl::StatusOr<std::string> CampaignFund(std::string_view campaign) const = 0;
  // A pending payment request.
  virtual absl::StatusOr<PaymentRequest> PendingRequest(uint64_t index) const = 0;
  // Postings of an earlier entry (for reversals).
  virtual absl::StatusOr<std::vector<Posting>> PostingsAt(uint64_t index) const = 0;
};

// The postings `e` must carry. Kinds that move no money give an empty list.
absl::StatusOr<std::vector<Posting>> ExpectedPostings(const Entry& e, const PostingContext& ctx);

}  // namespace boai::books

#endif  // BOAI_LEDGER_BOOKS_CHART_H_
