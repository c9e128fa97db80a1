// The CLI's message paths that show user text through ik_escape: target
// files, ranges and output lines (the library's: test_escape.cpp).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

extern "C" {
#include "icmpkit.h"
#include "output.h"
#include "targets.h"
}

#include "escape_check.h"

using namespace escape_check;

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
