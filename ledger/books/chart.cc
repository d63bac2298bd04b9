#include "ledger/books/chart.h"

#include "ledger/strings.h"

namespace boai::books {
namespace {

std::vector<Posting> Pair(std::string_view debit, std::string_view credit, const std::string& fund,
                          int64_t amount) {
  return {Posting{std::string(debit), fund, amount}, Posting{std::string(credit), fund, -amount}};
}

}  // namespace

std::vector<AccountOpen> StandardChart() {
  return {
      {std::string(kCash), "库存现金 Cash on hand", AccountType::kAsset},
      {std::string(kBank), "银行存款 Bank deposits", AccountType::kAsset},
      {std::string(kPlatformReceivable), "应收款-募捐平台 Receivable from giving platforms",
       AccountType::kAsset},
      {std::string(kGoods), "捐赠物资 Donated goods", AccountType::kAsset},
      {std::string(kUnrestricted), "非限定性净资产 Unrestricted net assets",
       AccountType::kNetAssets},
      {std::string(kRestricted), "限定性净资产 Restricted net assets", AccountType::kNetAssets},
      {std::string(kDonationIncome), "捐赠收入 Donation income", AccountType::kIncome},
      {std::string(kMatchingIncome), "平台配捐收入 Platform matching income", AccountType::kIncome},
      {std::string(kGrantIncome), "补助收入 Grants (government, higher-level Red Cross)",
       AccountType::kIncome},
      {std::string(kProgrammeCost), "业务活动成本 Programme expenses", AccountType::kExpense},
  };
}

absl::StatusOr<std::vector<Posting>> ExpectedPostings(const Entry& e, const PostingContext& ctx) {
  if (const auto* g = std::get_if<Gift>(&e.body)) {
    std::string_view debit = g->channel == "cash"     ? kCash
                             : g->channel == "bank"   ? kBank
                             : g->channel == "online" ? kPlatformReceivable
                                                      : kGoods;
    std::string_view credit = g->income == "grant" ? kGrantIncome : kDonationIncome;
    return Pair(debit, credit, g->fund, g->amount);
  }
  if (const auto* m = std::get_if<Match>(&e.body)) {
    absl::StatusOr<std::string> fund = ctx.CampaignFund(m->campaign);
    if (!fund.ok()) return fund.status();
    return Pair(kPlatformReceivable, kMatchingIncome, *fund, m->amount);
  }
  if (const auto* c = std::get_if<Clawback>(&e.body)) {
    absl::StatusOr<std::string> fund = ctx.CampaignFund(c->campaign);
    if (!fund.ok()) return fund.status();
    return Pair(kMatchingIncome, kPlatformReceivable, *fund, c->amount);
  }
  if (const auto* s = std::get_if<Settlement>(&e.body)) {
    absl::StatusOr<std::string> fund = ctx.CampaignFund(s->campaign);
    if (!fund.ok()) return fund.status();
    return Pair(kBank, kPlatformReceivable, *fund, s->gifts + s->matching);
  }
  if (const auto* d = std::get_if<PaymentDecision>(&e.body);
      d != nullptr && e.kind == "payment.approve") {
    absl::StatusOr<PaymentRequest> req = ctx.PendingRequest(d->request);
    if (!req.ok()) return req.status();
    std::string_view from = req->method == "cash" ? kCash : req->method == "goods" ? kGoods : kBank;
    return Pair(kProgrammeCost, from, req->fund, req->amount);
  }
  if (const auto* v = std::get_if<Reversal>(&e.body)) {
    absl::StatusOr<std::vector<Posting>> target = ctx.PostingsAt(v->reverses);
    if (!target.ok()) return target.status();
    std::vector<Posting> out = *target;
    for (Posting& p : out) p.amount = -p.amount;
    return out;
  }
  if (const auto* r = std::get_if<Release>(&e.body)) {
    std::vector<Posting> out = Pair(kRestricted, kBank, r->from, r->amount);
    std::vector<Posting> in = Pair(kBank, kUnrestricted, r->to, r->amount);
    out.insert(out.end(), in.begin(), in.end());
    return out;
  }
  return std::vector<Posting>{};
}

}  // namespace boai::books
