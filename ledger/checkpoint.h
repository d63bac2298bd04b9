// Checkpoints (C2SP tlog-checkpoint) and proofs (C2SP tlog-proof) as text.
//
//   checkpoint body = origin "\n" decimal(size) "\n" base64(root) "\n"
//   tlog-proof      = "c2sp.org/tlog-proof@v1\n" ["extra " base64 "\n"]
//                     "index " decimal "\n" *(base64(hash) "\n") "\n" signed-checkpoint
#ifndef BOAI_LEDGER_CHECKPOINT_H_
#define BOAI_LEDGER_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/hash.h"

namespace boai::ledger {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};

  // The note text: three lines, each ending in "\n".
  std::string Body() const;
};

// Parses a checkpoint note text (the part before the signatures).
absl::StatusOr<Checkpoint> ParseCheckpointBody(std::string_view text);

struct TlogProof {
  std::string extra;  // raw bytes; empty when absent
  uint64_t index = 0;
  std::vector<Hash> path;
  std::string checkpoint;  // the signed checkpoint note, verbatim
};

std::string FormatTlogProof(const TlogProof& proof);
absl::StatusOr<TlogProof> ParseTlogProof(std::string_view text);

// One base64 hash per line, as boai-audit consistency prints it.
std::string FormatHashLines(const std::vector<Hash>& hashes);
absl::StatusOr<std::vector<Hash>> ParseHashLines(std::string_view text);

}  // namespace boai::ledger

#endif  // BOAI_LEDGER_CHECKPOINT_H_
