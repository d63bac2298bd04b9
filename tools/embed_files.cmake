# Turns one file into a C++ source that registers its bytes with boai-disclose at
# start-up (tools/disclose_main.cc, RegisterSiteFile), so the installed binary
# carries the static site and needs no source tree.
#   cmake -DIN=<file> -DNAME=<path inside the site> -DOUT=<generated .cc> -P embed_files.cmake
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){32})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}.tmp"
"// Generated from ${NAME} by tools/embed_files.cmake. Do not edit.\n"
"#include <cstddef>\n"
"namespace boai::disclose_site {\n"
"bool RegisterSiteFile(const char* name, const unsigned char* data, size_t size);\n"
"namespace {\n"
"const unsigned char kData[] = {\n${bytes}0};\n"
"const bool kRegistered = RegisterSiteFile(\"${NAME}\", kData, ${size});\n"
"}  // namespace\n"
"}  // namespace boai::disclose_site\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
