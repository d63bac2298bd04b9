// Leaf encoding, version 1: the bytes that are hashed, stored and exported.
// docs/leaf-format.md is the reference; this file is the one place that writes them.
//
//   leaf    = '{"body":' body ',"index":' uint ',"key":' string ',"kind":"' kind
//             '","prev":"' hex64 '","time_ms":' uint ',"v":1}'
//   body    = a canonical JSON object (canonical_json.h)
//   kind    = [a-z][a-z0-9_.]{0,63}         e.g. "log.genesis", "gift"
//   key     = the writer's idempotency key, a non-empty string of at most 256 bytes
//   prev    = lowercase hex of the previous leaf's RFC 9162 leaf hash; 64 zeros at index 0
//   time_ms = milliseconds since 1970-01-01T00:00:00Z when the log sequenced the entry;
//             never smaller than the previous leaf's
//
// The whole leaf is canonical JSON: keys in sorted order, no whitespace.
#ifndef BOAI_LEDGER_LEAF_H_
#define BOAI_LEDGER_LEAF_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/hash.h"

namespace boai::ledger {

inline constexpr int kLeafVersion = 1;
inline constexpr size_t kMaxKeyBytes = 256;

struct LeafHeader {
  uint64_t index = 0;
  std::string key;
  std::string kind;
  Hash prev{};
  uint64_t time_ms = 0;
};

// The leaf bytes for `header` and `body`. REQUIRES: ValidateKind(kind) and
// ValidateKey(key) are OK and `body` is a canonical JSON object.
std::string EncodeLeaf(const LeafHeader& header, std::string_view body);

absl::Status ValidateKind(std::string_view kind);
absl::Status ValidateKey(std::string_view key);

// A decoded leaf: the header fields and the body's exact bytes.
struct DecodedLeaf {
  LeafHeader header;
  std::string body;
};

// The same without copying the body: `body` points into the bytes that were
// decoded and is valid as long as they are.
struct LeafView {
  LeafHeader header;
  std::string_view body;
};

// Decodes a leaf without trusting it. InvalidArgument says what is wrong: not JSON,
// an unknown version, fields missing, out of order or of the wrong type. Decoding
// does not check canonical form of the body (see DecodeLeafStrict).
// Thread-compatible: use one LeafDecoder per thread.
class LeafDecoder {
 public:
  LeafDecoder();
  ~LeafDecoder();
  absl::StatusOr<DecodedLeaf> Decode(std::string_view bytes);
  absl::StatusOr<LeafView> DecodeView(std::string_view bytes);
  // The verifier's fast path: reads the envelope of a canonical version-1 leaf from
  // its fixed layout (no JSON parser), and checks only that the body is delimited by
  // braces: whether the body is JSON is left to whoever reads the body (the books
  // replay parses every one). Anything off the canonical layout goes through
  // DecodeView, so errors are the same.
  absl::StatusOr<LeafView> DecodeEnvelope(std::string_view bytes);

 private:
  struct Impl;
  Impl* impl_;
};

// Decode plus a check that the bytes are exactly what EncodeLeaf would write
// for the decoded fields (canonical body included).
absl::StatusOr<DecodedLeaf> DecodeLeafStrict(std::string_view bytes);

}  // namespace boai::ledger

#endif  // BOAI_LEDGER_LEAF_H_
