// Writes a fixture for the Go interoperability test (run_go_interop.sh): a fresh
// ledger's verifier key, checkpoints, C2SP tlog-proofs, leaf bytes and consistency
// proofs, plus deliberately tampered copies that a correct verifier must reject.
//
//   export_fixture OUT_DIR
//
// OUT_DIR must not exist. The ledger itself goes to OUT_DIR/ledger. Files written:
//   vkey, origin, checkpoint             the verifier key, origin, latest checkpoint
//   proof_<i>, leaf_<i>                  TlogProof(i) and LeafAt(i), every entry i
//   old_<n>, consistency_<n>             CheckpointAt(n) and ConsistencyProof(n, latest)
//                                        for every size n where a batch ended
//   args                                 go_verify's arguments for all of the above,
//                                        one a line
//   bad_leaf                             leaf_7 with one byte changed
//   bad_proof                            proof_7 with one bit of one hash flipped
//   bad_index                            proof_7 claiming index 8
//   short_proof, long_proof              proof_7 without its last hash / with one more
//   bad_consistency_<n>                  consistency_<n> with one bit flipped
//   bad_checkpoint                       the latest checkpoint with another root, same
//                                        signature
//   other_vkey                           a different key with the log's name
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"

namespace {

using namespace boai::ledger;

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "export_fixture: " << what << "\n";
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Die(what + ": " + std::string(v.status().message()));
  return *std::move(v);
}

void Write(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out.good()) Die("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: export_fixture OUT_DIR\n";
    return 2;
  }
  const std::string out = argv[1];
  if (::mkdir(out.c_str(), 0755) != 0) Die("cannot create " + out + " (it must not exist)");
  auto path = [&](const std::string& name) { return out + "/" + name; };

  LedgerOptions options;
  options.origin = "example.org/interop";
  options.sync = false;
  std::unique_ptr<Ledger> ledger = Must(Ledger::Open(path("ledger"), options), "open ledger");
  if (ledger->Size() != 1) Die("a new ledger should hold just its genesis entry");

  // 37 entries in batches of different sizes; remember where each batch ended.
  std::vector<uint64_t> batch_ends = {1};
  int n = 0;
  for (int batch : {1, 4, 9, 2, 16, 5}) {
    std::vector<EntryDraft> drafts;
    for (int i = 0; i < batch; ++i, ++n) {
      drafts.push_back(EntryDraft{"gift",
                                  "key-" + std::to_string(n),
                                  R"({"amount":)" + std::to_string(100 + n) + R"(,"from":"donor-)" +
                                      std::to_string(n % 7) + R"("})",
                                  {}});
    }
    std::vector<absl::StatusOr<AppendResult>> results = ledger->AppendMany(std::move(drafts));
    uint64_t end = 0;
    for (const absl::StatusOr<AppendResult>& r : results) {
      if (!r.ok()) Die("append: " + std::string(r.status().message()));
      end = std::max(end, r->tree_size);
    }
    batch_ends.push_back(end);
  }
  const uint64_t size = ledger->Size();
  if (size != 38) Die("expected 38 entries, have " + std::to_string(size));

  const std::string origin = ledger->origin();
  const std::string vkey = ledger->verifier().VerifierKey();
  const std::string latest = ledger->LatestCheckpoint();
  Write(path("origin"), origin);
  Write(path("vkey"), vkey + "\n");
  Write(path("checkpoint"), latest);

  std::string args = "-vkey\n" + path("vkey") + "\n-checkpoint\n" + path("checkpoint") +
                     "\n-origin\n" + origin + "\n";
  for (uint64_t i = 0; i < size; ++i) {
    const std::string idx = std::to_string(i);
    Write(path("proof_" + idx), Must(ledger->TlogProof(i), "TlogProof " + idx));
    Write(path("leaf_" + idx), Must(ledger->LeafAt(i), "LeafAt " + idx));
    args += "-inclusion\n" + path("proof_" + idx) + "," + path("leaf_" + idx) + "\n";
  }
  for (uint64_t old : batch_ends) {
    const std::string s = std::to_string(old);
    Write(path("old_" + s), Must(ledger->CheckpointAt(old), "CheckpointAt " + s));
    std::vector<Hash> proof = Must(ledger->ConsistencyProof(old, size), "ConsistencyProof " + s);
    Write(path("consistency_" + s), FormatHashLines(proof));
    args += "-consistency\n" + path("old_" + s) + "," + path("consistency_" + s) + "\n";
    if (!proof.empty()) {
      proof[proof.size() / 2][old % kHashSize] ^= 0x10;
      Write(path("bad_consistency_" + s), FormatHashLines(proof));
    }
  }
  Write(path("args"), args);

  // Tampered copies.
  std::string leaf = Must(ledger->LeafAt(7), "LeafAt 7");
  leaf[leaf.size() / 2] ^= 0x01;
  Write(path("bad_leaf"), leaf);

  const TlogProof good = Must(ParseTlogProof(Must(ledger->TlogProof(7), "TlogProof 7")), "parse");
  if (good.path.size() < 3) Die("proof_7 is unexpectedly short");
  TlogProof p = good;
  p.path[1][5] ^= 0x04;
  Write(path("bad_proof"), FormatTlogProof(p));
  p = good;
  p.index = 8;
  Write(path("bad_index"), FormatTlogProof(p));
  p = good;
  p.path.pop_back();
  Write(path("short_proof"), FormatTlogProof(p));
  p = good;
  p.path.push_back(LeafHash("one more"));
  Write(path("long_proof"), FormatTlogProof(p));

  Note note = Must(ParseNote(latest), "parse checkpoint");
  Checkpoint cp = Must(ParseCheckpointBody(note.text), "parse checkpoint body");
  const std::string old_body = cp.Body();
  if (note.text != old_body) Die("checkpoint text is not origin, size, root");
  cp.root[0] ^= 0x80;
  std::string forged = latest;
  forged.replace(0, old_body.size(), cp.Body());
  Write(path("bad_checkpoint"), forged);

  NoteSigner other = Must(NoteSigner::Generate(origin), "generate key");
  Write(path("other_vkey"), other.VerifierKey() + "\n");

  std::cout << "fixture: " << size << " entries, batches ending at";
  for (uint64_t e : batch_ends) std::cout << " " << e;
  std::cout << "\n";
  return 0;
}
