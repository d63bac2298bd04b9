// The demo dataset: the county society's 2019 figures (../shared/domain.md) as a
// list of operations, with synthetic personal data so privacy can be tested. The
// same list is loaded locally (through the Clerk, the writer and the rules) or by
// `boai demo` through the server.
//
// What it records (yuan):
//   donations raised in 2019, all channels ............... 135,700.00
//     博爱送万家 Spring Festival relief: cash 30,000, bank 40,000, goods 30,000
//     闫楼村 village pairing: 20 humanitarian relief boxes in kind, 5,000
//     九九公益日 99 Giving Day (光明行 cataract surgery): online 15,700
//     unrestricted gifts: 15,000
//   99 Giving Day matching 4,600, 300 clawed back, settled 15,700 + 4,300;
//     target 20,000 met (15,700 + 4,300)
//   grants: provincial Spring Festival allocation 100,000; Little Angel allocation
//     270,000; first-aid training bases 140,000 (70,000 to each of two bases)
//   paid: Spring Festival relief 200,000 (170,000 cash to 20 families, 30,000 goods);
//     20 relief boxes to 20 households; Little Angel 9 children x 30,000 = 270,000
//   one mistaken gift reversed and re-recorded; one receipt voided; one overspend
//   attempt on a training-base fund, rejected.
// And the year's non-monetary indicators (DemoIndicators): 1,379 certified in first
// aid, 35,000 trained, 123 stem-cell registrations, 30 organ-donation volunteers
// (the report says "about 30"), 1,800 volunteers.
#ifndef BOAI_LEDGER_BOOKS_DEMO_H_
#define BOAI_LEDGER_BOOKS_DEMO_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ledger/books/clerk.h"
#include "ledger/books/entries.h"
#include "ledger/books/personal.h"

namespace boai::books {

// One operation of the dataset.
struct DemoOp {
  std::string kind;
  std::string by;  // "admin", "clerk.wang" (clerk) or "approver.li" (approver)
  Body body;
  std::string key;  // idempotency key
  // The donor (gifts) or beneficiary (payments) behind the entry. The runner
  // registers them in the personal store and fills in the commitment or pseudonym.
  std::optional<PersonalData> person;
  // For decisions and reversals: the key of the entry they name; the runner fills
  // in its index.
  std::string ref_key;
  // The operation must be refused by the rules (the overspend attempt).
  bool expect_rejection = false;
};

std::vector<DemoOp> DemoDataset();

// The 2019 non-monetary indicators as `indicator` operations (dated 2019-12-31).
// Kept apart from DemoDataset() because `boai demo` through the server sends each
// operation as an RPC, and the API has no indicator RPC yet.
std::vector<DemoOp> DemoIndicators();

// Every personal value in the dataset (names, phones, id numbers, addresses,
// hospitals), for privacy scans of exported files.
std::vector<std::string> DemoPersonalValues();

// Loads the dataset, then the indicators, through `clerk`, registering people in `people`.
// Re-running it adds nothing (idempotent keys). Writes one line per step to `log`. Fails if any
// operation fails, or if the rejected one is accepted.
absl::Status LoadDemo(const Clerk& clerk, PersonalStore& people, std::ostream& log);

}  // namespace boai::books

#endif  // BOAI_LEDGER_BOOKS_DEMO_H_
