// boai: the finance staff's command line.
//
//   boai demo --data DIR     load the 2019 demo dataset into a local ledger (no server)
//
// The server verbs (boai --target HOST:PORT ...) come with boaid.
#include <iostream>

#include "CLI/CLI.hpp"
#include "ledger/books/books_hook.h"
#include "ledger/books/clerk.h"
#include "ledger/books/demo.h"
#include "ledger/books/personal.h"
#include "ledger/ledger.h"
#include "ledger/strings.h"

namespace boai::cli {
namespace {

int Fail(const absl::Status& s) {
  std::cerr << "boai: " << ToStd(s.message()) << "\n";
  return s.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

int Demo(const std::string& dir, const std::string& origin, bool quiet) {
  books::BooksHook hook;
  ledger::LedgerOptions o;
  o.origin = origin;
  o.hook = &hook;
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> log = ledger::Ledger::Open(dir, o);
  if (!log.ok()) return Fail(log.status());
  books::PersonalStore people((*log)->storage());
  books::Clerk clerk(log->get(), &hook);
  std::ostringstream steps;
  absl::Status s = books::LoadDemo(clerk, people, quiet ? steps : std::cout);
  if (!s.ok()) return Fail(s);
  std::cout << "demo: the 2019 dataset is in " << dir << " (" << (*log)->Size()
            << " entries); the latest checkpoint:\n"
            << (*log)->LatestCheckpoint();
  return 0;
}

int Main(int argc, char** argv) {
  CLI::App app{"boai: record gifts and payments in a Boai ledger"};
  app.require_subcommand(1);
  CLI::App* demo = app.add_subcommand("demo", "load the 2019 demo dataset (idempotent)");
  std::string dir = "./data";
  std::string origin = "boai.local/ledger";
  bool quiet = false;
  demo->add_option("--data", dir, "local data directory (created if absent)")->capture_default_str();
  demo->add_option("--origin", origin, "checkpoint origin for a new ledger")->capture_default_str();
  demo->add_flag("--quiet", quiet, "do not list every step");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*demo) return Demo(dir, origin, quiet);
  return 2;
}

}  // namespace
}  // namespace boai::cli

int main(int argc, char** argv) { return boai::cli::Main(argc, argv); }
