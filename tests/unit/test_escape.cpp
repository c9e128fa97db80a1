// ik_escape, and every message path that shows user text through it: the
// library's ik_last_error() (names, addresses), the CLI's target files,
// ranges and output lines. Control bytes, escape sequences, C1 controls
// in UTF-8, invalid UTF-8 and bidirectional overrides never come out raw.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

extern "C" {
#include "icmpkit.h"
#include "output.h"
#include "targets.h"
}

namespace {

std::string Escaped(const std::string &s, size_t len = 256) {
  std::string buf(len, '\x7f');
  return ik_escape(s.c_str(), &buf[0], len);
}

// Nothing a terminal would act on: no byte below 0x20, no DEL, no bytes of
// UTF-8 C1 controls, no invalid UTF-8 (this text is what ik_escape made).
void ExpectInert(const std::string &s) {
  for (unsigned char c : s) {
    EXPECT_TRUE(c >= 0x20 && c != 0x7f) << "byte " << int(c) << " in: " << s;
    EXPECT_NE(c, 0x9b) << s;
  }
  EXPECT_EQ(s.find("\xc2\x9b"), std::string::npos) << s;
  EXPECT_EQ(s.find("\xe2\x80\xae"), std::string::npos) << s;
}

const std::string kHostile = "a\x1b[2J\x07\x9b\xc2\x9b\xe2\x80\xae\xff\xc0\xaf\xed\xa0\x80z";

}  // namespace

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

// ---- the CLI's messages and lines ----

TEST(EscapePaths, RangeMessagesShowTheRangeEscaped) {
  ikcli_targets t = {};
  char msg[512];
  for (const std::string &cidr : {kHostile, kHostile + "/24", "10.0.0.0/" + kHostile, "1.2.3.4" + kHostile + "/8"}) {
    EXPECT_NE(ikcli_targets_add_cidr(&t, cidr.c_str(), msg, sizeof msg), 0);
    ExpectInert(msg);
    EXPECT_NE(std::string(msg).find("\\x1b[2J"), std::string::npos) << msg;
  }
  ikcli_targets_free(&t);
}

TEST(EscapePaths, FileMessagesShowThePathEscaped) {
  ikcli_targets t = {};
  char msg[512];
  std::string path = "/nonexistent/" + kHostile;
  EXPECT_NE(ikcli_targets_add_file(&t, path.c_str(), msg, sizeof msg), 0);
  ExpectInert(msg);
  EXPECT_NE(std::string(msg).find("-f /nonexistent/a\\x1b[2J"), std::string::npos) << msg;
  const std::string bad = "bad host\n";
  EXPECT_NE(ikcli_targets_add_text(&t, reinterpret_cast<const uint8_t *>(bad.data()), bad.size(),
                                   kHostile.c_str(), msg, sizeof msg), 0);
  ExpectInert(msg);
  ikcli_targets_free(&t);
}

TEST(EscapePaths, FileOfNulBytesIsRefusedAfterItsFirstBlock) {
  ikcli_targets t = {};
  char msg[512];
  EXPECT_EQ(ikcli_targets_add_file(&t, "/dev/zero", msg, sizeof msg), IK_EINVAL);
  EXPECT_STREQ(msg, "-f /dev/zero: not a text file (a NUL byte within 65536 bytes)");
  ikcli_targets_free(&t);
}

TEST(EscapePaths, OutputLinesShowTheTargetEscaped) {
  ikcli_buf b = {};
  ik_host h = {};
  ikcli_ping_header(&b, kHostile.c_str(), "127.0.0.1", IK_AF_INET, 56);
  ikcli_ping_statistics(&b, kHostile.c_str(), &h, 1.0);
  ikcli_traceroute_header(&b, kHostile.c_str(), "127.0.0.1", IK_AF_INET, 30, 56);
  std::snprintf(h.address, sizeof h.address, "%s", kHostile.c_str());
  h.error = IK_ENAMELOOKUP;
  ikcli_multiping_line(&b, &h, 10);
  std::string out(b.data, b.len);
  ikcli_buf_free(&b);
  std::string no_newlines;
  for (char c : out) no_newlines += c == '\n' ? ' ' : c;
  ExpectInert(no_newlines);
  EXPECT_NE(out.find("PING a\\x1b[2J\\x07\\x9b"), std::string::npos) << out;
  EXPECT_NE(out.find("--- a\\x1b[2J"), std::string::npos) << out;
  EXPECT_NE(out.find("traceroute to a\\x1b[2J"), std::string::npos) << out;
}
