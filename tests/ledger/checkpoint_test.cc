// Tests for ledger/checkpoint.h (C2SP tlog-checkpoint and tlog-proof).
#include "ledger/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "tests/ledger/note_test_support.h"

namespace boai::ledger {
namespace {

using note_testing::MustGenerate;
using note_testing::MustVerifier;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------
// tlog-checkpoint

TEST(TlogCheckpoint, BodyRoundTrip) {
  Checkpoint c{"example.org/log", 1234567, LeafHash("x")};
  std::string body = c.Body();
  EXPECT_EQ(body, "example.org/log\n1234567\n" + HashToBase64(c.root) + "\n");
  absl::StatusOr<Checkpoint> back = ParseCheckpointBody(body);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->origin, c.origin);
  EXPECT_EQ(back->size, c.size);
  EXPECT_EQ(back->root, c.root);
  // Extension lines are allowed and ignored.
  back = ParseCheckpointBody(body + "extension line\n");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->size, c.size);
  // Size 0 is written as "0".
  EXPECT_EQ((Checkpoint{"o", 0, {}}.Body().substr(0, 4)), "o\n0\n");
}

TEST(TlogCheckpoint, MalformedBodiesAreRejected) {
  const std::string root = HashToBase64(LeafHash("x"));
  struct Case {
    std::string text;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"", "newline"},
      {"o\n5\n" + root, "newline"},
      {"o\n5\n", "lines"},
      {"\n5\n" + root + "\n", "origin"},
      {"o\n05\n" + root + "\n", "05"},
      {"o\n-5\n" + root + "\n", "-5"},
      {"o\n5 \n" + root + "\n", "decimal"},
      {"o\nfive\n" + root + "\n", "five"},
      {"o\n99999999999999999999\n" + root + "\n", "decimal"},
      {"o\n5\n" + root.substr(0, 40) + "\n", "root"},
      {"o\n5\n" + HashToHex(LeafHash("x")) + "\n", "root"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Checkpoint> cp = ParseCheckpointBody(c.text);
    ASSERT_FALSE(cp.ok()) << c.text;
    EXPECT_EQ(cp.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(cp.status().message()), HasSubstr("checkpoint")) << c.text;
    EXPECT_THAT(std::string(cp.status().message()), HasSubstr(c.reason)) << c.text;
  }
}

// ---------------------------------------------------------------------------
// tlog-proof

TEST(TlogProof, FormatIsTheC2spLayout) {
  NoteSigner signer = MustGenerate("example.org/log");
  std::string checkpoint = SignNote(Checkpoint{"example.org/log", 3, LeafHash("r")}.Body(), signer);
  TlogProof p{"", 2, {LeafHash("a"), LeafHash("b")}, checkpoint};
  EXPECT_EQ(FormatTlogProof(p), "c2sp.org/tlog-proof@v1\nindex 2\n" + HashToBase64(LeafHash("a")) +
                                    "\n" + HashToBase64(LeafHash("b")) + "\n\n" + checkpoint);
  p.extra = std::string(
      "\x00\x01"
      "extra",
      7);
  EXPECT_EQ(FormatTlogProof(p), "c2sp.org/tlog-proof@v1\nextra AAFleHRyYQ==\nindex 2\n" +
                                    HashToBase64(LeafHash("a")) + "\n" +
                                    HashToBase64(LeafHash("b")) + "\n\n" + checkpoint);
}

TEST(TlogProof, RoundTrip) {
  NoteSigner signer = MustGenerate("example.org/log");
  std::string checkpoint = SignNote(Checkpoint{"example.org/log", 9, LeafHash("r")}.Body(), signer);
  for (const std::string& extra : {std::string(), std::string("opaque\n\x00"
                                                              "bytes",
                                                              13)}) {
    for (size_t hashes : {0, 1, 4}) {
      TlogProof p;
      p.extra = extra;
      p.index = hashes * 1000 + 7;
      for (size_t i = 0; i < hashes; ++i) p.path.push_back(LeafHash(std::to_string(i)));
      p.checkpoint = checkpoint;
      absl::StatusOr<TlogProof> back = ParseTlogProof(FormatTlogProof(p));
      ASSERT_TRUE(back.ok()) << back.status();
      EXPECT_EQ(back->extra, p.extra);
      EXPECT_EQ(back->index, p.index);
      EXPECT_EQ(back->path, p.path);
      EXPECT_EQ(back->checkpoint, p.checkpoint);
    }
  }
}

TEST(TlogProof, MalformedProofsAreRejected) {
  const std::string h = HashToBase64(LeafHash("a"));
  const std::string cp = "example.org/log\n1\n" + h + "\n\n\xE2\x80\x94 example.org/log AAAAAAAA\n";
  struct Case {
    std::string text;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"", "first line"},
      {"c2sp.org/tlog-proof@v2\nindex 0\n\n" + cp, "first line"},
      {"c2sp.org/tlog-proof@v1", "first line"},
      {"c2sp.org/tlog-proof@v1\n", "after the header"},
      {"c2sp.org/tlog-proof@v1\n\n" + cp, "index"},
      {"c2sp.org/tlog-proof@v1\nindex\n\n" + cp, "index"},
      {"c2sp.org/tlog-proof@v1\nindex 01\n\n" + cp, "index 01"},
      {"c2sp.org/tlog-proof@v1\nindex -1\n\n" + cp, "index -1"},
      {"c2sp.org/tlog-proof@v1\nindex 1x\n\n" + cp, "index 1x"},
      {"c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\n" + cp, "extra"},
      {"c2sp.org/tlog-proof@v1\nextra AA==\n", "index"},
      {"c2sp.org/tlog-proof@v1\nindex 0\n" + h.substr(1) + "\n\n" + cp, "base64"},
      {"c2sp.org/tlog-proof@v1\nindex 0\n" + h + " \n\n" + cp, "base64"},
      {"c2sp.org/tlog-proof@v1\nindex 0\n" + h + "\n", "blank line"},
      {"c2sp.org/tlog-proof@v1\nindex 0\n" + h + "\n\n", "no checkpoint"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<TlogProof> p = ParseTlogProof(c.text);
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(p.status().message()), HasSubstr("malformed tlog-proof")) << c.text;
    EXPECT_THAT(std::string(p.status().message()), HasSubstr(c.reason)) << c.text;
  }
}

TEST(TlogProof, HashLinesRoundTrip) {
  std::vector<Hash> hashes = {LeafHash("1"), LeafHash("2"), LeafHash("3")};
  std::string text = FormatHashLines(hashes);
  EXPECT_EQ(text, HashToBase64(hashes[0]) + "\n" + HashToBase64(hashes[1]) + "\n" +
                      HashToBase64(hashes[2]) + "\n");
  absl::StatusOr<std::vector<Hash>> back = ParseHashLines(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, hashes);
  // Blank lines and surrounding spaces are tolerated.
  back = ParseHashLines("\n  " + HashToBase64(hashes[0]) + " \r\n\n" + HashToBase64(hashes[1]));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, std::vector<Hash>(hashes.begin(), hashes.begin() + 2));
  EXPECT_TRUE(ParseHashLines("").ok());
  EXPECT_TRUE(ParseHashLines("")->empty());
  absl::StatusOr<std::vector<Hash>> bad = ParseHashLines(text + "not a hash\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("not a hash"));
}

// A proof made of these pieces verifies end to end, and a changed piece does not.
TEST(TlogProof, EndToEndVerification) {
  std::vector<std::string> leaves;
  class Nodes : public NodeSource {
   public:
    absl::StatusOr<Hash> Node(int level, uint64_t index) const override {
      auto it = map.find({level, index});
      if (it == map.end()) return absl::NotFoundError("missing");
      return it->second;
    }
    std::map<std::pair<int, uint64_t>, Hash> map;
  } nodes;
  Frontier f;
  for (int i = 0; i < 13; ++i) {
    leaves.push_back("entry " + std::to_string(i));
    f.Append(LeafHash(leaves.back()), [&](int l, uint64_t x, const Hash& h) {
      nodes.map[{l, x}] = h;
    });
  }
  NoteSigner signer = MustGenerate("example.org/log");
  NoteVerifier verifier = MustVerifier(signer.VerifierKey());
  std::string checkpoint =
      SignNote(Checkpoint{"example.org/log", f.size(), f.Root()}.Body(), signer);

  auto verify = [&](const std::string& proof_text, std::string_view leaf) -> absl::Status {
    absl::StatusOr<TlogProof> p = ParseTlogProof(proof_text);
    if (!p.ok()) return p.status();
    absl::StatusOr<Note> n = ParseNote(p->checkpoint);
    if (!n.ok()) return n.status();
    if (absl::Status s = VerifyNote(*n, verifier); !s.ok()) return s;
    absl::StatusOr<Checkpoint> cp = ParseCheckpointBody(n->text);
    if (!cp.ok()) return cp.status();
    return VerifyInclusion(LeafHash(leaf), p->index, cp->size, p->path, cp->root);
  };
  for (uint64_t i = 0; i < leaves.size(); ++i) {
    absl::StatusOr<std::vector<Hash>> path = InclusionProof(nodes, i, f.size());
    ASSERT_TRUE(path.ok());
    std::string text = FormatTlogProof(TlogProof{"", i, *path, checkpoint});
    absl::Status s = verify(text, leaves[i]);
    EXPECT_TRUE(s.ok()) << "index " << i << ": " << s;
    EXPECT_FALSE(verify(text, leaves[(i + 1) % leaves.size()]).ok()) << "index " << i;
    std::string wrong_index = FormatTlogProof(TlogProof{"", (i + 1) % f.size(), *path, checkpoint});
    EXPECT_FALSE(verify(wrong_index, leaves[i]).ok()) << "index " << i;
    // A changed tree size in the checkpoint breaks its signature.
    std::string resized = text;
    resized.replace(resized.find("\n13\n"), 4, "\n12\n");
    EXPECT_FALSE(verify(resized, leaves[i]).ok()) << "index " << i;
  }
}

}  // namespace
}  // namespace boai::ledger
