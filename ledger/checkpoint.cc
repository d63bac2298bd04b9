#include "ledger/checkpoint.h"

#include "ledger/strings.h"

namespace boai::ledger {
namespace {

constexpr std::string_view kProofHeader = "c2sp.org/tlog-proof@v1";

}  // namespace

std::string Checkpoint::Body() const {
  return StrCat(origin, "\n", size, "\n", HashToBase64(root), "\n");
}

absl::StatusOr<Checkpoint> ParseCheckpointBody(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return absl::InvalidArgumentError("malformed checkpoint: the text does not end in a newline");
  }
  std::vector<std::string_view> lines = Split(text.substr(0, text.size() - 1), '\n');
  if (lines.size() < 3) {
    return absl::InvalidArgumentError(
        StrCat("malformed checkpoint: expected origin, size and root lines, got ", lines.size(),
               " lines"));
  }
  Checkpoint c;
  c.origin = std::string(lines[0]);
  if (c.origin.empty()) return absl::InvalidArgumentError("malformed checkpoint: empty origin");
  if (!ParseDecimal(lines[1], &c.size)) {
    return absl::InvalidArgumentError(
        StrCat("malformed checkpoint: tree size \"", lines[1], "\" is not a decimal"));
  }
  absl::StatusOr<Hash> root = HashFromBase64(lines[2]);
  if (!root.ok()) {
    return absl::InvalidArgumentError(
        StrCat("malformed checkpoint root hash: ", root.status().message()));
  }
  c.root = *root;
  return c;
}

std::string FormatTlogProof(const TlogProof& proof) {
  std::string out = StrCat(kProofHeader, "\n");
  if (!proof.extra.empty()) StrAppend(&out, "extra ", Base64Encode(proof.extra), "\n");
  StrAppend(&out, "index ", proof.index, "\n", FormatHashLines(proof.path), "\n", proof.checkpoint);
  return out;
}

absl::StatusOr<TlogProof> ParseTlogProof(std::string_view text) {
  auto bad = [](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("malformed tlog-proof: ", why));
  };
  TlogProof p;
  auto next_line = [&text](std::string_view* line) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return false;
    *line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    return true;
  };
  std::string_view line;
  if (!next_line(&line) || line != kProofHeader) {
    return bad(StrCat("the first line is not ", kProofHeader));
  }
  if (!next_line(&line)) return bad("it ends after the header");
  if (line.substr(0, 6) == "extra ") {
    if (!Base64Decode(line.substr(6), &p.extra)) return bad("extra is not base64");
    if (!next_line(&line)) return bad("no index line");
  }
  if (line.substr(0, 6) != "index " || !ParseDecimal(line.substr(6), &p.index)) {
    return bad(StrCat("expected \"index N\", got \"", line, "\""));
  }
  while (true) {
    if (!next_line(&line)) return bad("no blank line before the checkpoint");
    if (line.empty()) break;
    absl::StatusOr<Hash> h = HashFromBase64(line);
    if (!h.ok()) return bad(ToStd(h.status().message()));
    p.path.push_back(*h);
  }
  p.checkpoint = std::string(text);
  if (p.checkpoint.empty()) return bad("no checkpoint after the proof");
  return p;
}

std::string FormatHashLines(const std::vector<Hash>& hashes) {
  std::string out;
  for (const Hash& h : hashes) StrAppend(&out, HashToBase64(h), "\n");
  return out;
}

absl::StatusOr<std::vector<Hash>> ParseHashLines(std::string_view text) {
  std::vector<Hash> out;
  for (std::string_view line : Split(text, '\n')) {
    if (StripWhitespace(line).empty()) continue;
    absl::StatusOr<Hash> h = HashFromBase64(StripWhitespace(line));
    if (!h.ok()) return h.status();
    out.push_back(*h);
  }
  return out;
}

}  // namespace boai::ledger
