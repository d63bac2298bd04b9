// boai's register reads: entries (filtered, paged), receipt (look up and
// verify one official receipt), receipts (the register of a book).
#include <iostream>

#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/strings.h"
#include "tools/boai/common.h"

namespace boai::cli {
namespace {

// The money an entry moves, for the table: its amount field, else the
// settlement's gifts + matching, else the debits of its postings; 0 if none.
int64_t EntryAmount(const json& body) {
  if (body.contains("amount") && body["amount"].is_number_integer())
    return body["amount"].get<int64_t>();
  if (body.contains("gifts") && body["gifts"].is_number_integer()) {
    return body["gifts"].get<int64_t>() + body.value("matching", int64_t{0});
  }
  int64_t debits = 0;
  if (body.contains("postings") && body["postings"].is_array()) {
    for (const json& p : body["postings"]) {
      int64_t v = p.value("amount", int64_t{0});
      if (v > 0) debits += v;
    }
  }
  return debits;
}

std::string EntryFund(const json& body) {
  for (const char* k : {"fund", "from"}) {
    if (body.contains(k) && body[k].is_string()) return body[k].get<std::string>();
  }
  if (body.contains("postings") && body["postings"].is_array() && !body["postings"].empty()) {
    return body["postings"][0].value("fund", "");
  }
  return "";
}

json EntryJson(const v1::Entry& e) {
  return {{"index", e.index()},
          {"kind", e.kind()},
          {"key", e.key()},
          {"by", e.by()},
          {"time_ms", e.time_ms()},
          {"leaf_hash", HexEncode(e.leaf_hash())},
          {"body", json::parse(e.body_json(), nullptr, false)}};
}

}  // namespace

int Entries(const Global& g, Client& c, const EntriesArgs& a) {
  if (a.limit == 0 || a.limit > 1000) {
    return Fail(absl::InvalidArgumentError(
        StrCat("--limit ", a.limit, " must be 1-1000; page on with --from")));
  }
  v1::ListEntriesRequest req;
  req.set_start(a.from);
  req.set_fund(a.fund);
  req.set_campaign(a.campaign);
  req.set_account(a.account);
  req.set_donor_commitment(a.donor);
  req.set_kind(a.kind);
  req.set_limit(a.limit);
  v1::EntryPage page;
  grpc::Status s = c.stub()->ListEntryPage(c.Ctx().get(), req, &page);
  if (!s.ok()) return FailRpc(g, s);
  if (g.json) {
    json entries = json::array();
    for (const v1::Entry& e : page.entries()) entries.push_back(EntryJson(e));
    std::cout << json{{"entries", entries},
                      {"next_start", page.next_start()},
                      {"more", page.more()},
                      {"tree_size", page.tree_size()}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const v1::Entry& e : page.entries()) {
    json body = json::parse(e.body_json(), nullptr, false);
    if (!body.is_object()) body = json::object();
    int64_t amount = EntryAmount(body);
    rows.push_back({std::to_string(e.index()), e.kind(), body.value("date", ""),
                    amount == 0 ? "" : Yuan(amount), EntryFund(body), body.value("campaign", ""),
                    e.key(), e.by()});
  }
  PrintTable(std::cout, {"#", "kind", "date", "yuan", "fund", "campaign", "key", "by"}, rows,
             {0, 3});
  std::cout << page.entries_size() << " entries";
  if (page.more()) {
    std::cout << "; more from --from " << page.next_start();
  } else {
    std::cout << "; no more (log size " << page.tree_size() << ")";
  }
  std::cout << "\n";
  return 0;
}

int ReceiptLookup(const Global& g, Client& c, const std::string& book, int64_t number,
                  bool verify) {
  if (verify && g.vkey.empty()) {
    return Fail(absl::InvalidArgumentError(
        "--verify needs the log's verifier key, pinned: --vkey KEY or vkey in the config file "
        "(from boai-audit vkey, kept apart from the server)"));
  }
  v1::GetReceiptRequest req;
  req.set_book(book);
  req.set_number(number);
  v1::ReceiptRecord rec;
  grpc::Status s = c.stub()->GetReceipt(c.Ctx().get(), req, &rec);
  if (!s.ok()) return FailRpc(g, s);
  std::string state = v1::ReceiptState_Name(rec.state());
  std::string verified;
  if (verify) {
    if (!rec.has_gift()) {
      return Fail(absl::NotFoundError(StrCat("receipt ", book, "-", number, " was not issued (",
                                             state, "): there is no gift to verify")));
    }
    const v1::Entry& e = rec.gift();
    // The leaf must say what the register says, and hash to what is proven.
    json body = json::parse(e.body_json(), nullptr, false);
    if (!body.is_object() || !body.contains("receipt") ||
        body["receipt"].value("book", "") != book ||
        body["receipt"].value("number", int64_t{0}) != number) {
      return Fail(absl::DataLossError(
          StrCat("entry ", e.index(), " does not carry receipt ", book, "-", number)));
    }
    if (e.body_json().empty() || e.leaf().find(e.body_json()) == std::string::npos) {
      return Fail(absl::DataLossError(StrCat("entry ", e.index(), ": the body is not the leaf's")));
    }
    std::string leaf_hash(ledger::HashBytes(ledger::LeafHash(e.leaf())));
    v1::GetInclusionProofRequest preq;
    preq.set_index(e.index());
    v1::GetInclusionProofResponse proof;
    s = c.stub()->GetInclusionProof(c.Ctx().get(), preq, &proof);
    if (!s.ok()) return FailRpc(g, s);
    if (proof.leaf_hash() != leaf_hash) {
      return Fail(absl::DataLossError(StrCat("entry ", e.index(), ": the proof is for leaf hash ",
                                             HexEncode(proof.leaf_hash()),
                                             " but the leaf hashes to ", HexEncode(leaf_hash))));
    }
    absl::StatusOr<std::string> checked =
        VerifyProof(e.index(), leaf_hash, proof.hashes(), proof.checkpoint(), g.vkey);
    if (!checked.ok()) return Fail(checked.status());
    verified = StrCat(*checked, " (tree size ", proof.tree_size(), ")");
  }
  // A gift corrected since: the reversal that undid it (reversals are few; the
  // server's index finds them by kind).
  std::optional<v1::Entry> reversal;
  if (rec.has_gift()) {
    v1::ListEntriesRequest lr;
    lr.set_kind("reversal");
    lr.set_start(rec.gift().index() + 1);
    auto ctx = c.Ctx();
    std::unique_ptr<grpc::ClientReader<v1::Entry>> reader = c.stub()->ListEntries(ctx.get(), lr);
    v1::Entry e;
    while (reader->Read(&e)) {
      json body = json::parse(e.body_json(), nullptr, false);
      if (body.is_object() && body.value("reverses", uint64_t{0}) == rec.gift().index()) {
        reversal = e;
      }
    }
    if (grpc::Status rs = reader->Finish(); !rs.ok()) return FailRpc(g, rs);
  }
  // An unused number of a book nobody has used is most likely a misspelt book.
  bool unknown_book = false;
  if (rec.state() == v1::RECEIPT_UNUSED) {
    v1::ListReceiptsRequest lr;
    lr.set_book(book);
    v1::ListReceiptsResponse books;
    unknown_book = c.stub()->ListReceipts(c.Ctx().get(), lr, &books).error_code() ==
                   grpc::StatusCode::NOT_FOUND;
  }
  if (g.json) {
    json j = {{"book", rec.book()}, {"number", rec.number()}, {"state", state}};
    if (rec.has_gift()) j["gift"] = EntryJson(rec.gift());
    if (reversal.has_value()) j["reversed_by"] = EntryJson(*reversal);
    if (rec.has_void_entry()) j["void"] = EntryJson(rec.void_entry());
    if (unknown_book) j["book_known"] = false;
    if (verify) j["verified"] = verified;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << "receipt " << book << "-" << number << ": " << state << "\n";
  if (rec.has_gift()) {
    json body = json::parse(rec.gift().body_json(), nullptr, false);
    std::cout << "  issued by entry #" << rec.gift().index() << " (" << body.value("date", "")
              << ", " << Yuan(body.value("amount", int64_t{0})) << " yuan to "
              << body.value("fund", "") << ", donor shown as "
              << (body.contains("donor") ? body["donor"].value("display", "") : "") << ")\n";
  }
  if (reversal.has_value()) {
    json body = json::parse(reversal->body_json(), nullptr, false);
    std::cout << "  reversed by entry #" << reversal->index() << " (" << body.value("date", "")
              << "): " << body.value("reason", "") << "\n";
  }
  if (unknown_book) {
    std::cout << "  no receipt of book " << book
              << " has been issued or voided: is the book's name right? (boai receipts lists "
                 "the books)\n";
  }
  if (rec.has_void_entry()) {
    json body = json::parse(rec.void_entry().body_json(), nullptr, false);
    std::cout << "  voided by entry #" << rec.void_entry().index() << " (" << body.value("date", "")
              << "): " << body.value("reason", "") << "\n";
  }
  if (verify) std::cout << "  " << verified << "\n";
  return 0;
}

int Receipts(const Global& g, Client& c, const std::string& book) {
  v1::ListReceiptsRequest req;
  req.set_book(book);
  v1::ListReceiptsResponse resp;
  grpc::Status s = c.stub()->ListReceipts(c.Ctx().get(), req, &resp);
  if (!s.ok()) return FailRpc(g, s);
  auto ranges = [](const auto& rs) {
    std::string out;
    for (const v1::NumberRange& r : rs) {
      if (!out.empty()) out += ", ";
      out += r.first() == r.last() ? std::to_string(r.first()) : StrCat(r.first(), "-", r.last());
    }
    return out;
  };
  if (g.json) {
    json books = json::array();
    for (const v1::ReceiptBookRegister& b : resp.books()) {
      json issued = json::array(), missing = json::array();
      for (const auto& r : b.issued()) issued.push_back({r.first(), r.last()});
      for (const auto& r : b.missing()) missing.push_back({r.first(), r.last()});
      books.push_back({{"book", b.book()},
                       {"issued", issued},
                       {"voided", std::vector<int64_t>(b.voided().begin(), b.voided().end())},
                       {"missing", missing}});
    }
    std::cout << json{{"books", books}, {"tree_size", resp.tree_size()}}.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const v1::ReceiptBookRegister& b : resp.books()) {
    std::string voided;
    for (int64_t v : b.voided()) voided += (voided.empty() ? "" : ", ") + std::to_string(v);
    rows.push_back({b.book(), ranges(b.issued()), voided, ranges(b.missing())});
  }
  PrintTable(std::cout, {"book", "issued", "voided", "missing"}, rows);
  return 0;
}

}  // namespace boai::cli
