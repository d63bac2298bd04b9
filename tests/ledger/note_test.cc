// Tests for ledger/note.h (C2SP signed-note): Go's golden vectors, keys, signing and verifying.
#include "ledger/note.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/ledger/note_test_support.h"

namespace boai::ledger {
namespace {

using note_testing::MustGenerate;
using note_testing::MustVerifier;
using ::testing::HasSubstr;

// Golden values from golang.org/x/mod/sumdb/note (note.go package docs,
// example_test.go ExampleSign/ExampleOpen and note_test.go TestOpen), as shipped
// by Debian's golang-golang-x-mod-dev 0.7.0.
constexpr std::string_view kPeterPrivate =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kPeterVkey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kEnochVkey =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
constexpr std::string_view kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr std::string_view kPeterSig =
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
constexpr std::string_view kEnochSig =
    "\xE2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

std::string S(std::string_view v) { return std::string(v); }

// ParseNote then VerifyNote, as a verifier would use them.
absl::Status OpenNote(std::string_view note, const NoteVerifier& verifier) {
  absl::StatusOr<Note> n = ParseNote(note);
  if (!n.ok()) return n.status();
  return VerifyNote(*n, verifier);
}

std::string KeyIdHex(const KeyId& id) {
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%02x%02x%02x%02x", id[0], id[1], id[2], id[3]);
  return buf;
}

// ---------------------------------------------------------------------------
// Golden vectors from Go.

TEST(NoteGolden, PrivateKeyGivesGosVerifierKey) {
  absl::StatusOr<NoteSigner> signer = NoteSigner::FromPrivateKey(kPeterPrivate);
  ASSERT_TRUE(signer.ok()) << signer.status();
  EXPECT_EQ(signer->name(), "PeterNeumann");
  EXPECT_EQ(KeyIdHex(signer->key_id()), "c74f20a3");
  EXPECT_EQ(signer->VerifierKey(), kPeterVkey);
  EXPECT_EQ(signer->PrivateKeyString(), kPeterPrivate);
  // A trailing newline, as in a key file, is fine.
  absl::StatusOr<NoteSigner> from_file = NoteSigner::FromPrivateKey(S(kPeterPrivate) + "\n");
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ(from_file->VerifierKey(), kPeterVkey);
}

TEST(NoteGolden, SignatureEqualsGos) {
  absl::StatusOr<NoteSigner> signer = NoteSigner::FromPrivateKey(kPeterPrivate);
  ASSERT_TRUE(signer.ok()) << signer.status();
  // Ed25519 is deterministic, so our note must be byte-for-byte ExampleSign's output.
  std::string note = SignNote(kText, *signer);
  EXPECT_EQ(note, S(kText) + "\n" + S(kPeterSig));
  EXPECT_TRUE(OpenNote(note, MustVerifier(kPeterVkey)).ok());
}

TEST(NoteGolden, GosSignedExampleVerifies) {
  NoteVerifier peter = MustVerifier(kPeterVkey);
  EXPECT_EQ(peter.name(), "PeterNeumann");
  EXPECT_EQ(KeyIdHex(peter.key_id()), "c74f20a3");
  EXPECT_EQ(peter.VerifierKey(), kPeterVkey);
  std::string msg = S(kText) + "\n" + S(kPeterSig);
  absl::StatusOr<Note> n = ParseNote(msg);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->text, kText);
  ASSERT_EQ(n->signatures.size(), 1u);
  EXPECT_EQ(n->signatures[0].name, "PeterNeumann");
  EXPECT_EQ(KeyIdHex(n->signatures[0].key_id), "c74f20a3");
  EXPECT_EQ(n->signatures[0].signature.size(), 64u);
  absl::Status s = VerifyNote(*n, peter);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(NoteGolden, TwoSignaturesEachVerifiesAndUnknownOnesAreIgnored) {
  NoteVerifier peter = MustVerifier(kPeterVkey);
  NoteVerifier enoch = MustVerifier(kEnochVkey);
  std::string msg = S(kText) + "\n" + S(kPeterSig) + S(kEnochSig);
  EXPECT_TRUE(OpenNote(msg, peter).ok());
  EXPECT_TRUE(OpenNote(msg, enoch).ok());
  absl::StatusOr<Note> n = ParseNote(msg);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(n->signatures.size(), 2u);
  EXPECT_EQ(n->signatures[1].name, "EnochRoot");
  EXPECT_EQ(KeyIdHex(n->signatures[1].key_id), "af0cfe78");
  // A key that signed nothing here.
  absl::Status s = OpenNote(msg, MustVerifier(MustGenerate("Stranger").VerifierKey()));
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("no signature"));
}

TEST(NoteGolden, GosMalformedMessagesAreRejected) {
  NoteVerifier peter = MustVerifier(kPeterVkey);
  std::string text = S(kText), sig = S(kPeterSig);
  // note_test.go TestOpen badMsgs.
  const std::vector<std::string> bad = {
      text,
      text + "\n",
      text + "\n" + sig.substr(0, sig.size() - 1),
      "\x01" + text + "\n" + sig,
      "\xff" + text + "\n" + sig,
      text + "\n" +
          "\xE2\x80\x94 Bad Name "
          "x08go/ZJkuBS9UG/"
          "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
      text + "\n" + sig + "Unexpected line.\n",
      // "Invalid signature": four extra base64 characters inside the signature.
      text + "\n" + sig.substr(0, 60) + "ABCD" + sig.substr(60),
  };
  for (const std::string& msg : bad) {
    EXPECT_FALSE(OpenNote(msg, peter).ok()) << "accepted:\n" << msg;
  }
}

TEST(NoteGolden, GosManglingsOfTheVerifierKeyAreRejected) {
  // note_test.go TestNewVerifier: every proper substring, every byte incremented.
  const std::string vkey = S(kPeterVkey);
  for (size_t i = 0; i <= vkey.size(); ++i) {
    for (size_t j = i + 1; j <= vkey.size(); ++j) {
      if (i == 0 && j == vkey.size()) continue;
      EXPECT_FALSE(NoteVerifier::FromVerifierKey(vkey.substr(i, j - i)).ok())
          << vkey.substr(i, j - i);
    }
  }
  for (size_t i = 0; i < vkey.size(); ++i) {
    std::string b = vkey;
    ++b[i];
    EXPECT_FALSE(NoteVerifier::FromVerifierKey(b).ok()) << b;
  }
  // Wrong-length key and unknown algorithm, each with a matching key id.
  EXPECT_FALSE(NoteVerifier::FromVerifierKey(
                   "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
                   .ok());
  absl::StatusOr<NoteVerifier> alg = NoteVerifier::FromVerifierKey(
      "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  ASSERT_FALSE(alg.ok());
  EXPECT_THAT(std::string(alg.status().message()), HasSubstr("unsupported key type"));
}

TEST(NoteGolden, GosManglingsOfThePrivateKeyAreRejected) {
  const std::string skey = S(kPeterPrivate);
  for (size_t i = 0; i <= skey.size(); ++i) {
    for (size_t j = i + 1; j <= skey.size(); ++j) {
      if (i == 0 && j == skey.size()) continue;
      // A substring ending in newline characters only would be stripped; there are none.
      EXPECT_FALSE(NoteSigner::FromPrivateKey(skey.substr(i, j - i)).ok()) << skey.substr(i, j - i);
    }
  }
  for (size_t i = 0; i < skey.size(); ++i) {
    std::string b = skey;
    ++b[i];
    EXPECT_FALSE(NoteSigner::FromPrivateKey(b).ok()) << b;
  }
}

// ---------------------------------------------------------------------------

TEST(NoteKeys, KeyIdIsTruncatedSha256OfNameNewlineTypeKey) {
  NoteVerifier peter = MustVerifier(kPeterVkey);
  ASSERT_EQ(peter.public_key().size(), 32u);
  std::string input = "PeterNeumann\n";
  input.push_back('\x01');
  input += peter.public_key();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ASSERT_EQ(EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha256(), nullptr), 1);
  KeyId want{digest[0], digest[1], digest[2], digest[3]};
  EXPECT_EQ(ComputeKeyId("PeterNeumann", 0x01, peter.public_key()), want);
  EXPECT_EQ(KeyIdHex(want), "c74f20a3");
  // The type byte and the name are part of the id.
  EXPECT_NE(ComputeKeyId("PeterNeumann", 0x02, peter.public_key()), want);
  EXPECT_NE(ComputeKeyId("PeterNeumanN", 0x01, peter.public_key()), want);
}

TEST(NoteKeys, GeneratedKeysRoundTrip) {
  NoteSigner a = MustGenerate("example.org/log");
  NoteSigner b = MustGenerate("example.org/log");
  EXPECT_NE(a.VerifierKey(), b.VerifierKey());
  EXPECT_EQ(a.name(), "example.org/log");

  // Verifier-key string form: name+hex(id)+base64(0x01 || 32-byte key).
  const std::string vkey = a.VerifierKey();
  // The base64 part may itself contain '+': split at the first two only.
  size_t first = vkey.find('+');
  size_t second = vkey.find('+', first + 1);
  ASSERT_NE(second, std::string::npos) << vkey;
  const std::vector<std::string> parts = {
      vkey.substr(0, first), vkey.substr(first + 1, second - first - 1), vkey.substr(second + 1)};
  EXPECT_EQ(parts[0], "example.org/log");
  EXPECT_EQ(parts[1], KeyIdHex(a.key_id()));
  EXPECT_EQ(parts[2].size(), 44u);
  EXPECT_EQ(parts[2][0], 'A');  // base64 of a leading 0x01 byte starts with 'A'

  NoteVerifier v = MustVerifier(vkey);
  EXPECT_EQ(v.VerifierKey(), vkey);
  EXPECT_EQ(v.key_id(), a.key_id());
  EXPECT_EQ(v.key_id(), ComputeKeyId(a.name(), 0x01, v.public_key()));

  // The private-key string gives back the same key.
  const std::string priv = a.PrivateKeyString();
  EXPECT_EQ(priv.rfind("PRIVATE+KEY+example.org/log+" + KeyIdHex(a.key_id()) + "+", 0), 0u);
  absl::StatusOr<NoteSigner> again = NoteSigner::FromPrivateKey(priv);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->VerifierKey(), vkey);
  EXPECT_EQ(again->Sign("same message"), a.Sign("same message"));
}

// About half of all keys have a '+' in their base64; every key must round-trip.
TEST(NoteKeys, ManyGeneratedKeysRoundTrip) {
  int with_plus = 0;
  for (int i = 0; i < 64; ++i) {
    NoteSigner s = MustGenerate("example.org/log");
    const std::string vkey = s.VerifierKey();
    with_plus +=
        vkey.substr(std::string("example.org/log+12345678+").size()).find('+') != std::string::npos;
    absl::StatusOr<NoteVerifier> v = NoteVerifier::FromVerifierKey(vkey);
    ASSERT_TRUE(v.ok()) << vkey << ": " << v.status();
    EXPECT_EQ(v->VerifierKey(), vkey);
    absl::StatusOr<NoteSigner> again = NoteSigner::FromPrivateKey(s.PrivateKeyString());
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->VerifierKey(), vkey);
    EXPECT_TRUE(OpenNote(SignNote("text\n", *again), *v).ok());
  }
  EXPECT_GT(with_plus, 0);
}

TEST(NoteKeys, MalformedKeysAreRejectedWithReasons) {
  struct Case {
    std::string vkey;
    std::string reason;
  };
  const std::string key = "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  const std::vector<Case> cases = {
      {"", "three"},
      {"PeterNeumann+c74f20a3", "three"},
      {"PeterNeumann+c74f20a3+" + key + "+x", "verifier key"},
      {"+c74f20a3+" + key, "name"},
      {"Peter Neumann+c74f20a3+" + key, "name"},
      {"PeterNeumann+c74f20+" + key, "8 hex"},
      {"PeterNeumann+c74f20zz+" + key, "hex"},
      {"PeterNeumann+c74f20a3+not-base64!", "base64"},
      {"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10", "33 bytes"},
      {"PeterNeumann+c74f20a4+" + key, "does not match"},
      {"PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "type"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<NoteVerifier> v = NoteVerifier::FromVerifierKey(c.vkey);
    ASSERT_FALSE(v.ok()) << c.vkey;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << c.vkey;
    EXPECT_THAT(std::string(v.status().message()), HasSubstr(c.reason)) << c.vkey;
    EXPECT_THAT(std::string(v.status().message()), HasSubstr("verifier key")) << c.vkey;
  }
  absl::StatusOr<NoteSigner> s = NoteSigner::FromPrivateKey(kPeterVkey);  // a public key
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("PRIVATE+KEY"));
  s = NoteSigner::FromPrivateKey(
      "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("key id"));
  EXPECT_FALSE(NoteSigner::Generate("two words").ok());
  EXPECT_FALSE(NoteSigner::Generate("").ok());
  EXPECT_FALSE(NoteSigner::Generate("a+b").ok());
}

// ---------------------------------------------------------------------------

class NoteSigning : public ::testing::Test {
 protected:
  NoteSigner signer_ = MustGenerate("example.org/test");
  NoteVerifier verifier_ = MustVerifier(signer_.VerifierKey());
  const std::string text_ = "example.org/test\n17\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
};

TEST_F(NoteSigning, RoundTrip) {
  std::string note = SignNote(text_, signer_);
  ASSERT_EQ(note.rfind(text_ + "\n\xE2\x80\x94 example.org/test ", 0), 0u) << note;
  EXPECT_EQ(note.back(), '\n');
  absl::StatusOr<Note> n = ParseNote(note);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->text, text_);
  ASSERT_EQ(n->signatures.size(), 1u);
  EXPECT_EQ(n->signatures[0].name, "example.org/test");
  EXPECT_EQ(n->signatures[0].key_id, signer_.key_id());
  EXPECT_TRUE(verifier_.Verify(text_, n->signatures[0].signature));
  absl::Status s = VerifyNote(*n, verifier_);
  EXPECT_TRUE(s.ok()) << s;
  // The signature line is FormatSignatureLine's.
  EXPECT_EQ(note,
            text_ + "\n" +
                FormatSignatureLine(signer_.name(), signer_.key_id(), n->signatures[0].signature));
}

TEST_F(NoteSigning, TextMayContainBlankLines) {
  std::string text = "first\n\nthird\n";
  std::string note = SignNote(text, signer_);
  absl::StatusOr<Note> n = ParseNote(note);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->text, text);
  EXPECT_TRUE(VerifyNote(*n, verifier_).ok());
}

TEST_F(NoteSigning, CosignedNoteVerifiesForEachKey) {
  NoteSigner witness = MustGenerate("witness.example");
  std::string note = SignNote(text_, signer_) +
                     FormatSignatureLine(witness.name(), witness.key_id(), witness.Sign(text_));
  EXPECT_TRUE(OpenNote(note, verifier_).ok());
  EXPECT_TRUE(OpenNote(note, MustVerifier(witness.VerifierKey())).ok());
}

TEST_F(NoteSigning, ModifiedTextIsRejected) {
  std::string note = SignNote(text_, signer_);
  for (size_t i : {size_t{0}, size_t{17}, text_.size() - 2}) {
    std::string bad = note;
    bad[i] ^= 0x01;
    absl::Status s = OpenNote(bad, verifier_);
    EXPECT_FALSE(s.ok()) << "byte " << i;
    EXPECT_THAT(std::string(s.message()), HasSubstr("does not verify")) << "byte " << i;
  }
  // An added line of text.
  std::string bad = "extra\n" + note;
  EXPECT_FALSE(OpenNote(bad, verifier_).ok());
}

TEST_F(NoteSigning, ModifiedSignatureIsRejected) {
  absl::StatusOr<Note> n = ParseNote(SignNote(text_, signer_));
  ASSERT_TRUE(n.ok());
  for (size_t i = 0; i < 64; i += 9) {
    Note bad = *n;
    bad.signatures[0].signature[i] ^= 0x40;
    absl::Status s = VerifyNote(bad, verifier_);
    EXPECT_FALSE(s.ok()) << "byte " << i;
    EXPECT_THAT(std::string(s.message()), HasSubstr("does not verify"));
  }
  Note truncated = *n;
  truncated.signatures[0].signature.pop_back();
  EXPECT_FALSE(VerifyNote(truncated, verifier_).ok());
  // And through the text form: a changed base64 character in the signature.
  std::string note = SignNote(text_, signer_);
  size_t sig_at = note.rfind(' ') + 20;
  note[sig_at] = note[sig_at] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(OpenNote(note, verifier_).ok());
}

TEST_F(NoteSigning, WrongKeyIsRejected) {
  // Same name, other key: the key id differs, so the signature is unknown.
  NoteSigner other = MustGenerate("example.org/test");
  absl::Status s = OpenNote(SignNote(text_, other), verifier_);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("no signature by key"));
  EXPECT_THAT(std::string(s.message()), HasSubstr(verifier_.VerifierKey()));
  // A forged line claiming our name and key id, signed by another key.
  std::string forged =
      text_ + "\n" + FormatSignatureLine(signer_.name(), signer_.key_id(), other.Sign(text_));
  s = OpenNote(forged, verifier_);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("does not verify"));
  // Our key id under another name is someone else's key.
  std::string renamed =
      text_ + "\n" +
      FormatSignatureLine("example.org/other", signer_.key_id(), signer_.Sign(text_));
  EXPECT_FALSE(OpenNote(renamed, verifier_).ok());
}

TEST_F(NoteSigning, MalformedNotesAreRejectedWithReasons) {
  const std::string good = SignNote(text_, signer_);
  const std::string sig_line = good.substr(text_.size() + 1);
  struct Case {
    std::string note;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"", "blank line"},
      {text_, "blank line"},
      {text_ + sig_line, "blank line"},
      {good.substr(0, good.size() - 1), "newline"},
      {text_ + "\n", "newline"},
      {text_ + "\n" + "- example.org/test AAAA\n", "em dash"},
      {text_ + "\n" + sig_line + "trailing junk\n", "em dash"},
      {text_ + "\n" + "\xE2\x80\x94 example.org/test\n", "no key name"},
      {text_ + "\n" + "\xE2\x80\x94  AAAAAAAA\n", "no key name"},
      {text_ + "\n" + "\xE2\x80\x94 example.org/test !!!!\n", "base64"},
      {text_ + "\n" + "\xE2\x80\x94 example.org/test AAAA\n", "base64"},  // 3 bytes
  };
  for (const Case& c : cases) {
    absl::StatusOr<Note> n = ParseNote(c.note);
    ASSERT_FALSE(n.ok()) << "parsed:\n" << c.note;
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(n.status().message()), HasSubstr("malformed"));
    EXPECT_THAT(std::string(n.status().message()), HasSubstr(c.reason)) << c.note;
  }
}

}  // namespace
}  // namespace boai::ledger
