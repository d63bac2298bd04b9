// Small file operations the ledger and the tools share: reading a whole file,
// creating a private (0600) file durably, and making a directory entry durable.

#ifndef BOAI_LEDGER_FILES_H_
#define BOAI_LEDGER_FILES_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace boai::ledger {

// The whole file. NotFound ("cannot read PATH: reason") if it cannot be opened.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Creates `path` with mode 0600 holding `contents`, synced; fails if it exists.
absl::Status WritePrivateFile(const std::string& path, std::string_view contents);

// Makes a rename or a new file in `dir` durable.
absl::Status SyncDir(const std::string& dir);

}  // namespace boai::ledger

#endif  // BOAI_LEDGER_FILES_H_
