// Key helpers shared by the signed-note and checkpoint tests: a failure to make a
// key fails the test that asked for it.
#ifndef BOAI_TESTS_LEDGER_NOTE_TEST_SUPPORT_H_
#define BOAI_TESTS_LEDGER_NOTE_TEST_SUPPORT_H_

#include <gtest/gtest.h>

#include <string_view>

#include "absl/status/statusor.h"
#include "ledger/note.h"

namespace boai::ledger::note_testing {

inline NoteVerifier MustVerifier(std::string_view vkey) {
  absl::StatusOr<NoteVerifier> v = NoteVerifier::FromVerifierKey(vkey);
  EXPECT_TRUE(v.ok()) << v.status();
  return *v;
}

inline NoteSigner MustGenerate(std::string_view name) {
  absl::StatusOr<NoteSigner> s = NoteSigner::Generate(name);
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

}  // namespace boai::ledger::note_testing

#endif  // BOAI_TESTS_LEDGER_NOTE_TEST_SUPPORT_H_
