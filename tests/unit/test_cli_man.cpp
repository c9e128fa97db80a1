// The man page quotes the CLI's messages and lines; these tests read
// man/icmpkit.1.in and check each quote against what the code prints, so
// the two cannot drift apart.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

extern "C" {
#include "output.h"
}

namespace {

std::string ManPage() {
  std::string here = __FILE__;  // .../tests/unit/test_cli_man.cpp
  std::string root = here.substr(0, here.rfind("tests/unit/"));
  std::ifstream f(root + "man/icmpkit.1.in");
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

ik_probe_reply Reply(int family, const char *source, int type, int code, double rtt) {
  ik_probe_reply p;
  std::memset(&p, 0, sizeof p);
  std::snprintf(p.reply.source, sizeof p.reply.source, "%s", source);
  p.reply.family = family;
  p.reply.type = type;
  p.reply.code = code;
  p.reply.bytes_received = 64;
  p.reply.ttl = 64;
  p.rtt = rtt;
  return p;
}

std::string Printed(const ik_probe_reply &p) {
  ikcli_buf b = {};
  ikcli_ping_reply(&b, &p);
  std::string s(b.data, b.len);
  ikcli_buf_free(&b);
  return s.substr(0, s.size() - 1);  // without the newline
}

bool HasLine(const std::string &text, const std::string &line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST(CliManPage, ErrorMessageTableIsWhatTheCliPrints) {
  std::string man = ManPage();
  ASSERT_FALSE(man.empty()) << "man/icmpkit.1.in not found from " << __FILE__;
  std::regex row(R"(^IPv([46]) (\d+)/(\d+)\t(.+)$)");
  std::istringstream in(man);
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, row)) continue;
    ik_probe_reply p = Reply(m[1] == "4" ? IK_AF_INET : IK_AF_INET6, "198.18.3.1", std::stoi(m[2]),
                             std::stoi(m[3]), 0.1);
    EXPECT_EQ(Printed(p), "From 198.18.3.1 icmp_seq=0 " + m[4].str()) << line;
    rows++;
  }
  // Every code iputils ping names: IPv4 3/0..15 and 11/0..1, IPv6 1/0, 1/1,
  // 1/3, 1/4 and 3/0..1.
  EXPECT_EQ(rows, 16 + 2 + 4 + 2);
}

TEST(CliManPage, QuotedReplyAndErrorLinesAreWhatTheCliPrints) {
  std::string man = ManPage();
  ik_probe_reply echo = Reply(IK_AF_INET, "127.0.0.1", 0, 0, 0.042);
  ik_probe_reply error = Reply(IK_AF_INET, "198.18.3.1", 3, 0, 0.1);
  EXPECT_TRUE(HasLine(man, Printed(echo))) << Printed(echo);
  EXPECT_TRUE(HasLine(man, Printed(error))) << Printed(error);
}

TEST(CliManPage, QuotedMultipingLineIsWhatTheCliPrints) {
  std::string man = ManPage();
  double rtts[2] = {0.031, 0.049};
  ik_host h;
  std::memset(&h, 0, sizeof h);
  std::snprintf(h.address, sizeof h.address, "127.0.0.1");
  h.packets_sent = h.packets_received = 2;
  h.rtts = rtts;
  h.rtts_len = 2;
  h.min_rtt = 0.031;
  h.avg_rtt = 0.04;
  h.max_rtt = 0.049;
  ikcli_buf b = {};
  ikcli_multiping_line(&b, &h, 0);
  std::string printed(b.data, b.len - 1);
  ikcli_buf_free(&b);
  EXPECT_TRUE(HasLine(man, printed)) << printed;
}
