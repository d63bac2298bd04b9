// boai internals shared by its verbs: global options, the connection to boaid,
// money and table formatting, error reporting and receipt verification.
#ifndef BOAI_TOOLS_BOAI_COMMON_H_
#define BOAI_TOOLS_BOAI_COMMON_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "boai/v1/ledger.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace boai::cli {

using nlohmann::json;

inline constexpr char kDefaultTarget[] = "127.0.0.1:50051";

// Options every verb shares. Each comes from a flag, else the config file
// (config.h), else its default.
struct Global {
  std::string target = kDefaultTarget;
  std::string token_file, token, tls_ca, vkey;
  // Client certificate and key (PEM) for mutual TLS.
  std::string tls_cert, tls_key;
  bool tls = false;
  bool json = false;
};

class Client {
 public:
  explicit Client(const Global& g) : g_(g) {}

  // Builds the channel (TLS if asked) and reads the token file. No RPC is made.
  absl::Status Connect();

  // A context carrying `token` (or the user's token) and a 60-second deadline.
  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token = "") const;

  v1::Ledger::Stub* stub() const { return stub_.get(); }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const std::string& token() const { return token_; }

 private:
  const Global& g_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Ledger::Stub> stub_;
  std::string token_;
};

// --- Config file (config.cc) ---
// The config file to read: `explicit_path` if given (it must exist), else
// $BOAI_CONFIG, else $XDG_CONFIG_HOME/boai/config.toml or
// ~/.config/boai/config.toml if it exists; "" when there is none.
absl::StatusOr<std::string> FindConfigFile(const std::string& explicit_path);
// Reads a boai TOML config file into the fields of `g` not named in
// `from_flags` (flag names without dashes: "target", "token-file", "tls-ca",
// "tls-cert", "tls-key", "vkey", "tls"). Relative paths are relative to the
// file's folder. InvalidArgument names the file and the key.
//
//   target = "boaid.county.example:50051"
//   token_file = "token"          # file holding the bearer token
//   vkey = "boai.local/ledger+…"  # the log's verifier key, pinned
//   [tls]
//   ca = "ca.pem"                 # trust this CA (turns TLS on)
//   cert = "me.pem"               # client certificate (mutual TLS)
//   key = "me.key"
absl::Status ApplyConfigFile(const std::string& path, const std::set<std::string>& from_flags,
                             Global* g);

// --- Money and text ---
// "1234", "1234.5", "1,234.56" yuan -> fen, exactly. No sign, at most 2 decimals.
absl::StatusOr<int64_t> ParseYuan(std::string_view s);
// fen -> "1,234.56"
std::string Yuan(int64_t fen);
// Terminal columns of UTF-8 text: CJK and other wide characters take two.
size_t DisplayWidth(std::string_view s);
// A plain-text table; columns listed in `right` are right-aligned (numbers).
void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows,
                const std::set<size_t>& right = {});
std::string TodayCst();
absl::StatusOr<std::string> ReadFile(const std::string& path);

// --- Errors: print, and return the exit status (1 refused/failed, 2 bad input) ---
std::string_view CodeName(grpc::StatusCode c);
int FailRpc(const Global& g, const grpc::Status& s);
int Fail(const absl::Status& s);
// With --json, Fail also writes {"ok": false, "code", "error"} to stdout, as FailRpc
// does for the server's refusals, so a script reads every error the same way.
void SetJsonErrors(bool json);

// --- Verification ---
// Checks an inclusion proof against its signed checkpoint: the root, and the
// signature when a verifier key is pinned. Returns what was checked.
absl::StatusOr<std::string> VerifyProof(
    uint64_t index, const std::string& leaf_hash,
    const google::protobuf::RepeatedPtrField<std::string>& hashes, const v1::SignedCheckpoint& cp,
    const std::string& vkey);
json ReceiptJson(const v1::Receipt& r);
// Prints a write's receipt after verifying it.
int PrintReceipt(const Global& g, const v1::Receipt& r);

// --- Verbs (write_verbs.cc) ---
struct GiftArgs {
  std::string amount, fund, channel = "cash", date, income = "donation", campaign, key;
  std::string name, phone, id_number, address, display;
  bool anonymous = false;
  std::string receipt_book, no_receipt;
  int64_t receipt_number = 0;
  std::string description, unit, valuation = "document", evidence;
  int64_t quantity = 0;
};
int Gift(const Global& g, Client& c, const GiftArgs& a);

struct PayArgs {
  std::string fund, amount, purpose, method = "bank", expires, date, key;
  std::string payee_name, payee_phone, payee_id, payee_address, payee_hospital, payee_label;
  std::string programme, tier;
  int64_t age = 0;
  bool transplant = false;
  uint64_t request = 0;
  std::string reason;
};
int PayRequest(const Global& g, Client& c, const PayArgs& a);
enum class PayDecision { kApprove, kReject, kExpire };
int PayDecide(const Global& g, Client& c, const PayArgs& a, PayDecision decision);
int Reverse(const Global& g, Client& c, uint64_t index, const std::string& reason,
            const std::string& date, const std::string& key);
int Void(const Global& g, Client& c, const std::string& book, int64_t number,
         const std::string& reason, const std::string& date, const std::string& key);
int RecordIndicator(const Global& g, Client& c, v1::RecordIndicatorRequest req);
// settle: a platform payout of a campaign's online gifts and matching. With
// `file` (the platform's settlement CSV, as boai import reads it) the SHA-256,
// the campaign and the totals come from the file, whose rows must all be
// recorded; --campaign, --gifts, --matching and --sha256, when also given, must
// agree with it. Without a file: campaign, sha256 and gifts and/or matching.
struct SettleArgs {
  std::string file, campaign, gifts, matching, sha256, date, key;
};
int Settle(const Global& g, Client& c, const SettleArgs& a);
int OpenFund(const Global& g, Client& c, const v1::OpenFundRequest& req);
int OpenCampaign(const Global& g, Client& c, const v1::OpenCampaignRequest& req);
int Init(const Global& g, Client& c);
int AddUser(const Global& g, Client& c, const std::string& name, const std::string& role,
            bool replace);

// --- Verbs (read_verbs.cc) ---
int Balances(const Global& g, Client& c, const std::string& fund);
int Campaign(const Global& g, Client& c, const std::string& id);
int Entry(const Global& g, Client& c, uint64_t index);
int Checkpoint(const Global& g, Client& c, uint64_t size);
int Prove(const Global& g, Client& c, uint64_t index, uint64_t size);
int Health(const Global& g, Client& c);

// --- Verbs (entries.cc) ---
struct EntriesArgs {
  std::string fund, campaign, account, donor, kind;
  uint64_t from = 0;
  uint32_t limit = 50;
};
int Entries(const Global& g, Client& c, const EntriesArgs& a);
int ReceiptLookup(const Global& g, Client& c, const std::string& book, int64_t number, bool verify);
int Receipts(const Global& g, Client& c, const std::string& book);

// --- Verbs (demo.cc) ---
int DemoLocal(const std::string& dir, const std::string& origin, bool quiet, bool json_out);
int DemoRemote(const Global& g, Client& c, bool quiet);

// --- Verbs (import.cc) ---
struct ImportArgs {
  std::string file;
  bool dry_run = false;
  // Items per stream (the server answers a stream with one result per item).
  size_t stream_items = 20000;
  bool progress = true;
};
int Import(const Global& g, Client& c, const ImportArgs& a);

}  // namespace boai::cli

#endif  // BOAI_TOOLS_BOAI_COMMON_H_
