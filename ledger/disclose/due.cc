#include "ledger/disclose/due.h"

#include <algorithm>

#include "ledger/books/entries.h"
#include "ledger/strings.h"

namespace boai::disclose {

absl::StatusOr<std::vector<DueItem>> DueCalendar(const std::vector<Leaf>& all,
                                                 const std::string& on) {
  absl::Status date_ok = books::CheckDate("--on", on);
  if (!date_ok.ok()) return date_ok;
  auto status = [&on](const std::string& due) -> std::string {
    if (due < on) return "overdue";
    return due <= AddDays(on, kDueWindowDays) ? "due" : "upcoming";
  };
  std::vector<DueItem> items;
  std::string first_date;
  for (const Leaf& l : all) {
    std::string d = l.Date();
    if (!d.empty() && (first_date.empty() || d < first_date)) first_date = d;
    if (l.kind != "campaign.open") continue;
    auto s = [&l](const char* f) { return l.body.value(f, std::string()); };
    const std::string id = s("id"), start = s("start"), end = s("end"), name = s("name");
    if (end > AddMonths(start, 6)) {  // longer than six months: interim disclosures
      for (int k = 1; AddMonths(start, 3 * k) < end; ++k) {
        std::string due = AddMonths(start, 3 * k);
        items.push_back({"campaign-interim", id, AddMonths(start, 3 * (k - 1)), AddDays(due, -1),
                         due, status(due), name});
      }
    }
    std::string due = AddMonths(end, 3);
    items.push_back({"campaign-final", id, start, end, due, status(due), name});
  }
  if (!first_date.empty()) {
    int first = std::stoi(first_date.substr(0, 4));
    int last = std::stoi(on.substr(0, 4));
    for (int y = first; y <= last; ++y) {
      std::string year = std::to_string(y);
      std::string due = StrCat(y + 1, "-05-31");
      items.push_back({"annual-report", year, StrCat(year, "-01-01"), StrCat(year, "-12-31"), due,
                       status(due), ""});
    }
  }
  std::sort(items.begin(), items.end(), [](const DueItem& a, const DueItem& b) {
    return std::tie(a.due, a.period, a.what) < std::tie(b.due, b.period, b.what);
  });
  return items;
}

nlohmann::json DueJson(const std::vector<DueItem>& items, const std::string& on) {
  nlohmann::json rows = nlohmann::json::array();
  for (const DueItem& i : items) {
    rows.push_back({{"what", i.what},
                    {"period", i.period},
                    {"name", i.name},
                    {"from", i.from},
                    {"to", i.to},
                    {"due", i.due},
                    {"status", i.status}});
  }
  return {{"on", on}, {"due_window_days", kDueWindowDays}, {"disclosures", rows}};
}

}  // namespace boai::disclose
