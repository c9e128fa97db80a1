// ik_escape, and the library's message paths that show user text through
// it: ik_last_error() of names and addresses (the CLI's are in
// test_cli_escape.cpp). Control bytes, escape sequences, C1 controls in
// UTF-8, invalid UTF-8 and bidirectional overrides never come out raw.
#include <gtest/gtest.h>

#include <string>

#include "escape_check.h"

using namespace escape_check;

TEST(Escape, PrintableAsciiAndValidUtf8AreKept) {
  EXPECT_EQ(Escaped("host-1.example.org"), "host-1.example.org");
  EXPECT_EQ(Escaped("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(Escaped("back\\slash"), "back\\slash");
}

TEST(Escape, ControlBytesBecomeHex) {
  EXPECT_EQ(Escaped("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(Escaped("a\tb\nc\rd\x7f"), "a\\x09b\\x0ac\\x0dd\\x7f");
  EXPECT_EQ(Escaped("\x1b]0;title\x07"), "\\x1b]0;title\\x07");
}

TEST(Escape, C1ControlsAndFormattingCharactersBecomeHex) {
  EXPECT_EQ(Escaped("\xc2\x9b" "2J"), "\\xc2\\x9b2J");               // CSI as UTF-8
  EXPECT_EQ(Escaped("\xe2\x80\xae" "txt.exe"), "\\xe2\\x80\\xaetxt.exe");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(Escaped("a\xe2\x80\x8b" "b"), "a\\xe2\\x80\\x8bb");         // ZERO WIDTH SPACE
  EXPECT_EQ(Escaped("\xef\xbb\xbf"), "\\xef\\xbb\\xbf");                // BOM
}

TEST(Escape, InvalidUtf8BecomesHex) {
  EXPECT_EQ(Escaped("\x9b"), "\\x9b");              // lone C1 byte (8-bit CSI)
  EXPECT_EQ(Escaped("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(Escaped("\xc0\xaf"), "\\xc0\\xaf");     // overlong '/'
  EXPECT_EQ(Escaped("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
  EXPECT_EQ(Escaped("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(Escaped("\xc3"), "\\xc3");              // cut sequence at the end
  EXPECT_EQ(Escaped("\xe6\x97x"), "\\xe6\\x97x");   // cut sequence inside
}

TEST(Escape, IsIdempotent) {
  std::string once = Escaped(kHostile);
  ExpectInert(once);
  EXPECT_EQ(Escaped(once), once);
}

TEST(Escape, LongTextIsCutBetweenCharactersWithAnEllipsis) {
  EXPECT_EQ(Escaped(std::string(100, 'A'), 11), "AAAAAAA...");
  EXPECT_EQ(Escaped("AAAAAAAAAA", 11), "AAAAAAAAAA");  // exactly fits
  EXPECT_EQ(Escaped("\x1b\x1b\x1b", 11), "\\x1b...");  // never half an escape
  EXPECT_EQ(Escaped("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 11), "\xc3\xa9\xc3\xa9\xc3\xa9...");
  EXPECT_EQ(Escaped("abc", 1), "");
  EXPECT_EQ(Escaped("abcdef", 4), "...");  // room for the ellipsis only
}

TEST(Escape, NullTextAndNoBuffer) {
  char buf[16];
  EXPECT_STREQ(ik_escape(nullptr, buf, sizeof buf), "(null)");
  EXPECT_STREQ(ik_escape("x", nullptr, 4), "");
  EXPECT_STREQ(ik_escape("x", buf, 0), "");
}

// ---- the library's messages ----

TEST(EscapePaths, ResolveNamesAHostileNameEscaped) {
  ik_address out[2];
  size_t n = 0;
  EXPECT_EQ(ik_resolve("\x1b[2Jhost", 0, out, 2, &n), IK_ENAMELOOKUP);
  ExpectInert(ik_last_error());
  EXPECT_NE(std::string(ik_last_error()).find("'\\x1b[2Jhost'"), std::string::npos) << ik_last_error();
  EXPECT_EQ(ik_resolve(kHostile.c_str(), 0, out, 2, &n), IK_ENAMELOOKUP);
  ExpectInert(ik_last_error());
  EXPECT_EQ(ik_resolve("\xe2\x80\xae" "1.2.3.4:", 0, out, 2, &n), IK_ENAMELOOKUP);  // literal path
  ExpectInert(ik_last_error());
  EXPECT_EQ(ik_resolve("x\xc2\x9b" ".invalid", 0, out, 2, &n), IK_ENAMELOOKUP);  // special names
  ExpectInert(ik_last_error());
}

TEST(EscapePaths, AddressParseNamesAHostileAddressEscaped) {
  ik_address a;
  EXPECT_NE(ik_address_parse("fe80::1%\x1b[31meth0", &a), 0);
  ExpectInert(ik_last_error());
  EXPECT_NE(ik_address_parse(("1.2.3." + kHostile).c_str(), &a), 0);
  ExpectInert(ik_last_error());
  ik_request req;
  EXPECT_NE(ik_request_init(&req, kHostile.c_str(), 1, 1), 0);
  ExpectInert(ik_last_error());
}

