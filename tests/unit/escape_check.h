// What every escaping test checks: text that nothing a terminal would act
// on survives (test_escape.cpp, test_cli_escape.cpp).
#ifndef ICMPKIT_TESTS_ESCAPE_CHECK_H
#define ICMPKIT_TESTS_ESCAPE_CHECK_H

#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "icmpkit.h"
}

namespace escape_check {

inline std::string Escaped(const std::string &s, size_t len = 256) {
  std::string buf(len, '\x7f');
  return ik_escape(s.c_str(), &buf[0], len);
}

// Nothing a terminal would act on: no byte below 0x20, no DEL, no bytes of
// UTF-8 C1 controls, no invalid UTF-8 (this text is what ik_escape made).
inline void ExpectInert(const std::string &s) {
  for (unsigned char c : s) {
    EXPECT_TRUE(c >= 0x20 && c != 0x7f) << "byte " << int(c) << " in: " << s;
    EXPECT_NE(c, 0x9b) << s;
  }
  EXPECT_EQ(s.find("\xc2\x9b"), std::string::npos) << s;
  EXPECT_EQ(s.find("\xe2\x80\xae"), std::string::npos) << s;
}

inline const std::string kHostile = "a\x1b[2J\x07\x9b\xc2\x9b\xe2\x80\xae\xff\xc0\xaf\xed\xa0\x80z";

}  // namespace escape_check

#endif
