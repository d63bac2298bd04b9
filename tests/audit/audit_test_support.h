// Shared by the boai-audit tests: temporary directories and running the tools.
#ifndef BOAI_TESTS_AUDIT_AUDIT_TEST_SUPPORT_H_
#define BOAI_TESTS_AUDIT_AUDIT_TEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace boai::audit::testing {

inline std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  char* made = ::mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr);
  return tmpl;
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A finished command: exit status (-1 if it did not exit), stdout, stderr.
struct Run {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs `tool args` through the shell (stdin from /dev/null); stderr goes through
// `err_file`.
inline Run RunTool(const std::string& tool, const std::string& args, const std::string& err_file) {
  std::string cmd = tool + " " + args + " </dev/null 2>" + err_file;
  Run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof(buf), p)) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.err = ReadText(err_file);
  return r;
}

}  // namespace boai::audit::testing

#endif  // BOAI_TESTS_AUDIT_AUDIT_TEST_SUPPORT_H_
