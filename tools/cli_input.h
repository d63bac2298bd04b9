// Rules every program applies to its command-line values (ApplyInputRules).
//
// Text must be UTF-8: a name typed in a GBK terminal would otherwise reach the
// server as bytes protobuf refuses to send, with no word of why.
//
// Whole numbers are decimal. CLI11 2.1 converts them with strtoll(..., base 0):
// "0020" would be read as octal 16, "0x10" as 16, and an unsigned option would
// take "-1" as 2^64-1. A receipt number typed as printed on the form ("0020") must
// be 20, and a negative index must be refused, not wrapped.
#ifndef BOAI_TOOLS_CLI_INPUT_H_
#define BOAI_TOOLS_CLI_INPUT_H_

#include <string>
#include <string_view>

#include "CLI/CLI.hpp"
#include "ledger/canonical_json.h"

namespace boai::tools {

// For every option of `app` and of its subcommands, at any depth: values must be
// UTF-8, and whole-number options (CLI11 type INT or UINT) accept only decimal
// digits (after a '-' where the type is signed), leading zeros included. Call
// once, after all options are added.
inline void ApplyInputRules(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    opt->check(CLI::Validator(
        [](std::string& s) -> std::string {
          return ledger::IsValidUtf8(s) ? ""
                                        : "the value is not UTF-8 text (is the terminal or file "
                                          "in GBK? switch it to UTF-8)";
        },
        "", "utf8"));
    const std::string type = opt->get_type_name();
    const bool is_signed = type.rfind("INT", 0) == 0;
    if (!is_signed && type.rfind("UINT", 0) != 0) continue;
    opt->transform(CLI::Validator(
        [is_signed](std::string& s) -> std::string {
          const size_t start = is_signed && !s.empty() && s[0] == '-' ? 1 : 0;
          if (start == s.size() || s.find_first_not_of("0123456789", start) != std::string::npos) {
            return "\"" + s + "\" is not a " + (is_signed ? "" : "non-negative ") +
                   "whole number in decimal digits, e.g. 20";
          }
          const size_t first = s.find_first_not_of('0', start);  // "0020" -> "20", "000" -> "0"
          s.erase(start, (first == std::string::npos ? s.size() - 1 : first) - start);
          return "";
        },
        "", "decimal"));
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    ApplyInputRules(*sub);
  }
}

}  // namespace boai::tools

#endif  // BOAI_TOOLS_CLI_INPUT_H_
