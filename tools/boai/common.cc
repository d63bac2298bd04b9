#include "tools/boai/common.h"

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "ledger/books/books.h"
#include "ledger/checkpoint.h"
#include "ledger/files.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/strings.h"

namespace boai::cli {

absl::Status Client::Connect() {
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (g_.tls || !g_.tls_ca.empty() || !g_.tls_cert.empty()) {
    grpc::SslCredentialsOptions ssl;
    if (!g_.tls_ca.empty()) {
      absl::StatusOr<std::string> ca = ReadFile(g_.tls_ca);
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (g_.tls_cert.empty() != g_.tls_key.empty()) {
      return absl::InvalidArgumentError(
          "a client certificate needs both --tls-cert and --tls-key (or cert and key in the "
          "config file)");
    }
    if (!g_.tls_cert.empty()) {
      absl::StatusOr<std::string> cert = ReadFile(g_.tls_cert);
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = ReadFile(g_.tls_key);
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    creds = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(256 << 20);
  args.SetMaxSendMessageSize(256 << 20);
  channel_ = grpc::CreateCustomChannel(g_.target, creds, args);
  stub_ = v1::Ledger::NewStub(channel_);
  token_ = g_.token;
  if (token_.empty() && !g_.token_file.empty()) {
    absl::StatusOr<std::string> t = ReadFile(g_.token_file);
    if (!t.ok()) return t.status();
    token_ = std::string(StripWhitespace(*t));
    if (token_.empty()) {
      return absl::InvalidArgumentError(StrCat(
          "token file ", g_.token_file,
          " is empty: put the bearer token in it (AddUser / `boai add-user` prints it once)"));
    }
    // Like ssh with a private key: a token others can read is anyone's token. A
    // warning, not a refusal, so that a mode set by a deployment tool does not
    // stop work; the fix is one command.
    struct stat st {};
    if (::stat(g_.token_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
      std::cerr << "boai: warning: token file " << g_.token_file
                << " can be read or written by other users (mode " << mode
                << "); anyone who can read it can act as you: chmod 600 " << g_.token_file << "\n";
    }
  }
  return absl::OkStatus();
}

std::unique_ptr<grpc::ClientContext> Client::Ctx(const std::string& token) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  const std::string& t = token.empty() ? token_ : token;
  if (!t.empty()) ctx->AddMetadata("authorization", "Bearer " + t);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return ctx;
}
// ---------------------------------------------------------------------------
// Money and text
// ---------------------------------------------------------------------------

// "1234", "1234.5", "1,234.56" yuan -> fen, exactly. No sign, at most 2 decimals;
// commas only between groups of three digits ("12,5" may be a decimal comma, so it
// is refused); at most 2^53-1 fen, the largest integer the leaf format carries.
absl::StatusOr<int64_t> ParseYuan(std::string_view s) {
  constexpr int64_t kMaxFen = (int64_t{1} << 53) - 1;
  auto bad = [s](std::string_view why) {
    return absl::InvalidArgumentError(
        StrCat("amount \"", s, "\" ", why, "; write yuan with at most 2 decimals, e.g. 1234.50"));
  };
  s = StripWhitespace(s);
  if (s.empty()) return bad("is empty");
  const size_t point = s.find('.');
  std::string_view whole = s.substr(0, point);
  std::string_view dec = point == std::string_view::npos ? "" : s.substr(point + 1);
  if (whole.find_first_not_of("0123456789,") != std::string_view::npos ||
      dec.find_first_not_of("0123456789") != std::string_view::npos) {
    return bad("is not a number");
  }
  if (whole.find(',') != std::string_view::npos) {
    // 1,234 and 12,345,678: a first group of 1 to 3 digits, then groups of exactly 3.
    const size_t first = whole.find(',');
    bool grouped = first >= 1 && first <= 3 && (whole.size() - first) % 4 == 0;
    for (size_t i = first; grouped && i < whole.size(); i += 4) {
      grouped = whole[i] == ',' && whole.substr(i + 1, 3).find(',') == std::string_view::npos;
    }
    if (!grouped) {
      return bad("has a comma that does not separate thousands (write 1,234.50 or 1234.50)");
    }
  }
  auto too_large = [&bad] {
    return bad(StrCat("is too large: the largest amount a ledger entry holds is ", Yuan(kMaxFen),
                      " yuan"));
  };
  int64_t yuan = 0;
  int digits = 0;
  for (char c : whole) {
    if (c == ',') continue;
    if (yuan > kMaxFen / 100) return too_large();
    yuan = yuan * 10 + (c - '0');
    ++digits;
  }
  if (digits == 0) return bad("has no whole yuan");
  if (point != std::string_view::npos && (dec.empty() || dec.size() > 2)) {
    return bad(dec.empty() ? "ends in a point" : "has more than 2 decimals");
  }
  const int64_t fen = dec.empty() ? 0 : (dec[0] - '0') * 10 + (dec.size() == 2 ? dec[1] - '0' : 0);
  if (yuan > (kMaxFen - fen) / 100) return too_large();
  const int64_t total = yuan * 100 + fen;
  if (total <= 0) return bad("must be more than 0");
  return total;
}

// fen -> "1,234.56"
std::string Yuan(int64_t fen) {
  bool neg = fen < 0;
  uint64_t v = neg ? static_cast<uint64_t>(-(fen + 1)) + 1 : static_cast<uint64_t>(fen);
  std::string whole = std::to_string(v / 100);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ',';
    grouped += whole[i];
  }
  char dec[4];
  std::snprintf(dec, sizeof(dec), ".%02u", static_cast<unsigned>(v % 100));
  return StrCat(neg ? "-" : "", grouped, dec);
}

// Terminal columns of UTF-8 text: CJK and other wide characters take two.
size_t DisplayWidth(std::string_view s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    uint32_t cp = c;
    if (len > 1 && i + len <= s.size()) {
      cp = c & (0xFF >> (len + 1));
      for (size_t k = 1; k < len; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    w += (cp >= 0x1100 && (cp <= 0x115F || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                           (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                           (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD)))
             ? 2
             : 1;
    i += len;
  }
  return w;
}

// A plain-text table; columns listed in `right` are right-aligned (numbers).
void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, const std::set<size_t>& right) {
  std::vector<size_t> width(header.size(), 0);
  for (size_t c = 0; c < header.size(); ++c) width[c] = DisplayWidth(header[c]);
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], DisplayWidth(r[c]));
  }
  auto line = [&](const std::vector<std::string>& r) {
    std::string s;
    for (size_t c = 0; c < width.size(); ++c) {
      std::string cell = c < r.size() ? r[c] : "";
      std::string pad(width[c] - DisplayWidth(cell), ' ');
      if (c > 0) s += "  ";
      s += right.count(c) ? pad + cell : (c + 1 == width.size() ? cell : cell + pad);
    }
    out << s << "\n";
  };
  line(header);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& r : rows) line(r);
}

std::string TodayCst() {
  uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  return books::DateOf(now);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  absl::StatusOr<std::string> text = ledger::ReadFile(path);
  // A file named on the command line or in the config: unreadable is a usage error.
  if (absl::IsNotFound(text.status())) return absl::InvalidArgumentError(text.status().message());
  return text;
}

std::string_view CodeName(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    default:
      return "ERROR";
  }
}

int FailRpc(const Global& g, const grpc::Status& s) {
  if (g.json) {
    std::cout << json{{"ok", false},
                      {"code", CodeName(s.error_code())},
                      {"error", s.error_message()}}
                     .dump(2)
              << "\n";
  }
  std::cerr << "boai: " << CodeName(s.error_code()) << ": " << s.error_message();
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE)
    std::cerr << " (is boaid running at " << g.target << "?)";
  std::cerr << "\n";
  return s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? 2 : 1;
}

namespace {
bool json_errors = false;
}  // namespace

void SetJsonErrors(bool json) { json_errors = json; }

int Fail(const absl::Status& s) {
  if (json_errors) {
    std::cout << json{{"ok", false},
                      {"code", absl::StatusCodeToString(s.code())},
                      {"error", std::string(ToStd(s.message()))}}
                     .dump(2)
              << "\n";
  }
  std::cerr << "boai: " << ToStd(s.message()) << "\n";
  return s.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

static absl::StatusOr<ledger::Hash> HashOf(const std::string& raw) {
  return ledger::HashFromBytes(raw);
}

// Checks an inclusion proof against its signed checkpoint: the root, and the
// signature when a verifier key is pinned. Returns what was checked.
absl::StatusOr<std::string> VerifyProof(
    uint64_t index, const std::string& leaf_hash,
    const google::protobuf::RepeatedPtrField<std::string>& hashes, const v1::SignedCheckpoint& cp,
    const std::string& vkey) {
  absl::StatusOr<ledger::Note> note = ledger::ParseNote(cp.note());
  if (!note.ok()) return note.status();
  absl::StatusOr<ledger::Checkpoint> body = ledger::ParseCheckpointBody(note->text);
  if (!body.ok()) return body.status();
  std::vector<ledger::Hash> path;
  for (const std::string& h : hashes) {
    absl::StatusOr<ledger::Hash> x = HashOf(h);
    if (!x.ok()) return x.status();
    path.push_back(*x);
  }
  absl::StatusOr<ledger::Hash> leaf = HashOf(leaf_hash);
  if (!leaf.ok()) return leaf.status();
  absl::Status inc = ledger::VerifyInclusion(*leaf, index, body->size, path, body->root);
  if (!inc.ok())
    return absl::DataLossError(
        StrCat("the inclusion proof does not verify: ", ToStd(inc.message())));
  if (vkey.empty())
    return std::string(
        "inclusion proof verified against the checkpoint root (signature not checked: pass "
        "--vkey)");
  absl::StatusOr<ledger::NoteVerifier> v = ledger::NoteVerifier::FromVerifierKey(vkey);
  if (!v.ok()) return v.status();
  absl::Status sig = ledger::VerifyNote(*note, *v);
  if (!sig.ok())
    return absl::DataLossError(
        StrCat("the checkpoint is not signed by ", vkey, ": ", ToStd(sig.message())));
  return std::string("inclusion proof and checkpoint signature verified");
}

json ReceiptJson(const v1::Receipt& r) {
  json j = {{"index", r.index()},
            {"kind", r.kind()},
            {"leaf_hash", HexEncode(r.leaf_hash())},
            {"duplicate", r.duplicate()},
            {"tree_size", r.checkpoint().tree_size()},
            {"checkpoint", r.checkpoint().note()},
            {"tlog_proof", r.tlog_proof()}};
  if (!r.person_id().empty()) j["person_id"] = r.person_id();
  return j;
}

// Prints a write's receipt after verifying it.
// The server has recorded the entry whatever the proof check says, so the receipt
// is printed either way; a proof that does not verify is then the error (exit 1).
int PrintReceipt(const Global& g, const v1::Receipt& r) {
  absl::StatusOr<std::string> checked =
      VerifyProof(r.index(), r.leaf_hash(), r.inclusion_proof(), r.checkpoint(), g.vkey);
  if (g.json) {
    json j = ReceiptJson(r);
    j["ok"] = checked.ok();
    if (checked.ok()) {
      j["verified"] = *checked;
    } else {
      j["error"] = {{"code", "PROOF_NOT_VERIFIED"},
                    {"message", std::string(ToStd(checked.status().message()))}};
    }
    std::cout << j.dump(2) << "\n";
    return checked.ok() ? 0 : 1;
  }
  std::cout << (r.duplicate() ? "already recorded " : "recorded ") << r.kind() << " as entry #"
            << r.index() << "\n"
            << "  leaf hash   " << HexEncode(r.leaf_hash()) << "\n"
            << "  checkpoint  tree size " << r.checkpoint().tree_size() << "\n";
  if (!r.person_id().empty()) std::cout << "  person      " << r.person_id() << "\n";
  if (!checked.ok()) {
    std::cout.flush();
    return Fail(absl::DataLossError(StrCat(
        "entry #", r.index(),
        " was recorded, but its receipt did not verify: ", ToStd(checked.status().message()))));
  }
  std::cout << "  " << *checked << "\n";
  return 0;
}

}  // namespace boai::cli
