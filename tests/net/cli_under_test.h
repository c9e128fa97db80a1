// What the tests that run the icmpkit tool share: which executable, and
// reading back the files a backgrounded run wrote.
#ifndef ICMPKIT_TESTS_NET_CLI_UNDER_TEST_H
#define ICMPKIT_TESTS_NET_CLI_UNDER_TEST_H

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#ifndef IKNET_ICMPKIT_CLI
#  define IKNET_ICMPKIT_CLI ""
#endif

namespace iknet {

// The executable under test; IKNET_ICMPKIT_CLI in the environment wins.
inline std::string Cli() {
  const char *e = std::getenv("IKNET_ICMPKIT_CLI");
  return e && *e ? e : IKNET_ICMPKIT_CLI;
}

// The whole content of a file ("" when it cannot be read).
inline std::string Slurp(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace iknet

#endif
