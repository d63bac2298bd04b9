// boai-disclose: public statements (公示) from a ledger, read-only.
//
//   boai-disclose --data DIR --period P --out DIR [--previous FILE] [--organisation NAME]
//   boai-disclose due --data DIR --on YYYY-MM-DD [--json] [--all]
//
// P is a year (2019), a quarter (2019Q3), a month (2019-09), a campaign id or a
// programme id. The ledger is verified first; nothing is written from a ledger that
// does not verify. docs/disclosure.md describes the output.
//
// Exit status: 0 done, 1 the ledger (or the previous statement) is wrong, 2 usage.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "CLI/CLI.hpp"
#include "ledger/disclose/due.h"
#include "ledger/disclose/statement.h"
#include "ledger/ledger.h"
#include "ledger/strings.h"
#include "tools/cli_input.h"

namespace boai::disclose_site {

// The static site's files, registered by the sources CMake generates from
// tools/disclose/site/ (tools/embed_files.cmake).
std::map<std::string, std::string>& SiteFiles() {
  static std::map<std::string, std::string> files;
  return files;
}

bool RegisterSiteFile(const char* name, const unsigned char* data, size_t size) {
  SiteFiles()[name] = std::string(reinterpret_cast<const char*>(data), size);
  return true;
}

}  // namespace boai::disclose_site

namespace boai::disclose {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitBad = 1;
constexpr int kExitUsage = 2;

int Fail(const absl::Status& s) {
  std::cerr << "boai-disclose: " << ToStd(s.message()) << "\n";
  return s.code() == absl::StatusCode::kInvalidArgument || s.code() == absl::StatusCode::kNotFound
             ? kExitUsage
             : kExitBad;
}

absl::StatusOr<std::unique_ptr<ledger::Ledger>> OpenReadOnly(const std::string& dir) {
  ledger::LedgerOptions o;
  o.read_only = true;
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> log = ledger::Ledger::Open(dir, std::move(o));
  if (!log.ok()) {
    return absl::Status(log.status().code(), StrCat("cannot open the ledger in ", dir, ": ",
                                                    ToStd(log.status().message())));
  }
  return log;
}

std::string Yuan(int64_t fen) {
  std::string digits = std::to_string((fen < 0 ? -fen : fen) / 100);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  char cents[8];
  std::snprintf(cents, sizeof(cents), ".%02lld",
                static_cast<long long>((fen < 0 ? -fen : fen) % 100));
  return StrCat(fen < 0 ? "-" : "", digits, cents);
}

int Publish(const std::string& dir, const std::string& period, const std::string& out,
            const std::string& previous_path, const std::string& organisation) {
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> log = OpenReadOnly(dir);
  if (!log.ok()) return Fail(log.status());
  absl::Status verified = VerifyForPublishing(**log);
  if (!verified.ok()) return Fail(verified);

  BuildOptions options;
  if (!organisation.empty()) options.organisation = organisation;
  if (!previous_path.empty()) {
    std::ifstream in(previous_path, std::ios::binary);
    if (!in) return Fail(absl::NotFoundError(StrCat("cannot read ", previous_path)));
    std::ostringstream ss;
    ss << in.rdbuf();
    nlohmann::json prev = nlohmann::json::parse(ss.str(), nullptr, false);
    if (prev.is_discarded()) {
      return Fail(absl::InvalidArgumentError(
          StrCat(previous_path, " is not JSON; pass an earlier statement.json")));
    }
    options.previous = std::move(prev);
  }
  absl::StatusOr<nlohmann::json> statement = BuildStatement(**log, period, options);
  if (!statement.ok()) return Fail(statement.status());

  std::map<std::string, std::string> files = StatementFiles(*statement);
  for (const auto& [name, bytes] : disclose_site::SiteFiles()) {
    if (files.count(name)) {
      return Fail(absl::InternalError(
          StrCat("the site file ", name, " would overwrite a statement file; rename it")));
    }
    files[name] = bytes;
  }
  absl::Status written = WriteFiles(out, files);
  if (!written.ok()) {  // where to write is the caller's choice: a usage error, not the ledger's
    std::cerr << "boai-disclose: " << ToStd(written.message()) << " (choose another --out)\n";
    return kExitUsage;
  }

  const nlohmann::json& s = *statement;
  std::cout << "statement   " << s["period"]["kind"].get<std::string>() << " "
            << s["period"]["id"].get<std::string>() << " ("
            << s["period"]["from"].get<std::string>() << " to "
            << s["period"]["to"].get<std::string>() << ")\n"
            << "income      " << Yuan(s["income"]["total"]) << " yuan (donations "
            << Yuan(s["income"]["donations"]) << ", grants " << Yuan(s["income"]["grants"])
            << ", matching " << Yuan(s["income"]["matching"]) << ")\n"
            << "payments    " << Yuan(s["payments"]["total"]) << " yuan in "
            << s["payments"]["count"] << " payments\n"
            << "entries     " << s["integrity"]["entries"].size()
            << " leaves with inclusion proofs against the checkpoint of size ";
  // The size is the checkpoint text's second line.
  std::string cp = s["integrity"]["checkpoint"];
  std::vector<std::string_view> lines = Split(cp, '\n');
  std::cout << (lines.size() > 1 ? std::string(lines[1]) : "?") << "\n"
            << "wrote       " << files.size() << " files to " << out
            << " (open index.html; statement.json, statement.js, CSV tables)\n";
  return kExitOk;
}

int Due(const std::string& dir, const std::string& on, bool json, bool all) {
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> log = OpenReadOnly(dir);
  if (!log.ok()) return Fail(log.status());
  absl::StatusOr<std::vector<Leaf>> leaves = LoadLeaves(**log, (*log)->Size());
  if (!leaves.ok()) return Fail(leaves.status());
  absl::StatusOr<std::vector<DueItem>> items = DueCalendar(*leaves, on);
  if (!items.ok()) return Fail(items.status());
  if (!all) {
    // Deadlines more than a year past are history; --all shows them too.
    std::vector<DueItem> recent;
    std::string since = AddMonths(on, -12);
    for (DueItem& i : *items) {
      if (i.due >= since) recent.push_back(std::move(i));
    }
    *items = std::move(recent);
  }
  if (json) {
    std::cout << DueJson(*items, on).dump(2) << "\n";
    return kExitOk;
  }
  std::printf(
      "disclosure deadlines on %s (overdue = the deadline has passed: check it was "
      "published)\n\n",
      on.c_str());
  std::printf("  %-18s %-14s %-25s %-12s %s\n", "what", "period", "covers", "due", "status");
  for (const DueItem& i : *items) {
    std::printf("  %-18s %-14s %-25s %-12s %s%s%s\n", i.what.c_str(), i.period.c_str(),
                StrCat(i.from, " to ", i.to).c_str(), i.due.c_str(), i.status.c_str(),
                i.name.empty() ? "" : "  ", i.name.c_str());
  }
  if (items->empty()) std::printf("  (nothing)\n");
  return kExitOk;
}

int Main(int argc, char** argv) {
  CLI::App app{"boai-disclose: public statements (公示) from a Boai ledger, verified first"};
  app.require_subcommand(0, 1);
  std::string dir = "./data", period, out, previous, organisation;
  app.add_option("--data", dir, "ledger data directory (read-only)")->capture_default_str();
  app.add_option("--period", period,
                 "2019 (year), 2019Q3 (quarter), 2019-09 (month), a campaign id or a programme id");
  app.add_option("--out", out, "directory to write the statement and the static site into");
  app.add_option("--previous", previous,
                 "an earlier statement.json: include the consistency proof from its checkpoint")
      ->check(CLI::ExistingFile);
  app.add_option("--organisation", organisation, "the organisation's name on the statement");

  CLI::App* due = app.add_subcommand("due", "which disclosures are due or overdue on a day");
  std::string on;
  bool json = false, all = false;
  due->add_option("--data", dir, "ledger data directory (read-only)")->capture_default_str();
  due->add_option("--on", on, "the day, YYYY-MM-DD")->required();
  due->add_flag("--json", json, "print JSON");
  due->add_flag("--all", all, "also list deadlines more than a year past");

  try {
    boai::tools::ApplyInputRules(app);
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  if (*due) return Due(dir, on, json, all);
  if (period.empty() || out.empty()) {
    std::cerr << "boai-disclose: give --period and --out (or the verb due); see --help\n";
    return kExitUsage;
  }
  return Publish(dir, period, out, previous, organisation);
}

}  // namespace
}  // namespace boai::disclose

int main(int argc, char** argv) { return boai::disclose::Main(argc, argv); }
