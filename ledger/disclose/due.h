// The disclosure deadline calendar (../shared/domain.md, Charity Law 2023 and the
// disclosure measures in force from 2026-01-01):
//   - a public fundraising campaign running longer than 6 months discloses at
//     least every 3 months while it runs: the k-th interim disclosure covers
//     [start + 3(k-1) months, start + 3k months - 1 day] and is due by
//     start + 3k months, for every k with start + 3k months before the end;
//   - every campaign: a full disclosure within 3 months of its end (end + 3 months);
//   - the annual work and financial report for year Y by 31 May of Y+1, for every
//     year from the first dated entry's year to the year of the day asked about.
// The ledger does not record what was published, so a status says only where the
// day stands against the deadline: "overdue" (the deadline has passed: check it
// was published), "due" (within the next 30 days) or "upcoming".
#ifndef BOAI_LEDGER_DISCLOSE_DUE_H_
#define BOAI_LEDGER_DISCLOSE_DUE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/disclose/figures.h"
#include "nlohmann/json.hpp"

namespace boai::disclose {

struct DueItem {
  std::string what;      // "annual-report", "campaign-interim", "campaign-final"
  std::string period;    // the boai-disclose --period to publish it with
  std::string from, to;  // what it covers
  std::string due;       // the deadline, inclusive
  std::string status;    // "overdue", "due" or "upcoming"
  std::string name;      // the campaign's name, or "" for annual reports
};

// Days before a deadline from which it is "due" rather than "upcoming".
inline constexpr int kDueWindowDays = 30;

// The calendar of the ledger prefix `all` as seen on `on` ("YYYY-MM-DD"), sorted by
// due date then period. InvalidArgument if `on` is not a date.
absl::StatusOr<std::vector<DueItem>> DueCalendar(const std::vector<Leaf>& all,
                                                 const std::string& on);

nlohmann::json DueJson(const std::vector<DueItem>& items, const std::string& on);

}  // namespace boai::disclose

#endif  // BOAI_LEDGER_DISCLOSE_DUE_H_
