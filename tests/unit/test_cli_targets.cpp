// multiping targets: CIDR expansion, host files, limits.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "targets.h"
}

namespace {

struct Targets {
  ikcli_targets t = {};
  char msg[512] = "";
  ~Targets() { ikcli_targets_free(&t); }
  int Cidr(const char *c) { return ikcli_targets_add_cidr(&t, c, msg, sizeof msg); }
  int Text(const std::string &s) {
    return ikcli_targets_add_text(&t, reinterpret_cast<const uint8_t *>(s.data()), s.size(),
                                  "hosts.txt", msg, sizeof msg);
  }
  std::vector<std::string> All() {
    const char *const *l = ikcli_targets_list(&t);
    std::vector<std::string> v;
    for (size_t i = 0; i < t.n; i++) v.push_back(l[i]);
    return v;
  }
};

using V = std::vector<std::string>;

}  // namespace

TEST(CliTargets, Ipv4SlashThirtyExcludesNetworkAndBroadcast) {
  Targets t;
  ASSERT_EQ(t.Cidr("198.18.0.0/30"), 0) << t.msg;
  EXPECT_EQ(t.All(), (V{"198.18.0.1", "198.18.0.2"}));
}

TEST(CliTargets, Ipv4SlashThirtyOneGivesBothAddresses) {
  Targets t;
  ASSERT_EQ(t.Cidr("198.18.0.6/31"), 0) << t.msg;
  EXPECT_EQ(t.All(), (V{"198.18.0.6", "198.18.0.7"}));
}

TEST(CliTargets, Ipv4SlashThirtyTwoGivesTheAddress) {
  Targets t;
  ASSERT_EQ(t.Cidr("198.18.3.4/32"), 0) << t.msg;
  EXPECT_EQ(t.All(), (V{"198.18.3.4"}));
}

TEST(CliTargets, HostBitsAreIgnoredAndCarryCrossesOctets) {
  Targets t;
  ASSERT_EQ(t.Cidr("198.18.1.77/23"), 0) << t.msg;
  V all = t.All();
  ASSERT_EQ(all.size(), 510u);
  EXPECT_EQ(all.front(), "198.18.0.1");
  EXPECT_EQ(all[254], "198.18.0.255");
  EXPECT_EQ(all[255], "198.18.1.0");
  EXPECT_EQ(all.back(), "198.18.1.254");
}

TEST(CliTargets, Ipv4SlashTwelveIsTheLargestAllowed) {
  Targets t;
  ASSERT_EQ(t.Cidr("10.0.0.0/12"), 0) << t.msg;
  EXPECT_EQ(t.t.n, (size_t(1) << 20) - 2);
  EXPECT_STREQ(ikcli_targets_list(&t.t)[t.t.n - 1], "10.15.255.254");
}

TEST(CliTargets, RangesOver2To20AreRefusedWithTheReason) {
  Targets t;
  EXPECT_EQ(t.Cidr("10.0.0.0/11"), IK_EINVAL);
  EXPECT_NE(std::string(t.msg).find("2^21 addresses; at most 2^20 (1048576)"), std::string::npos)
      << t.msg;
  EXPECT_EQ(t.Cidr("0.0.0.0/0"), IK_EINVAL);
  EXPECT_NE(std::string(t.msg).find("2^32"), std::string::npos) << t.msg;
  EXPECT_EQ(t.Cidr("fd00::/107"), IK_EINVAL);
  EXPECT_NE(std::string(t.msg).find("2^21"), std::string::npos) << t.msg;
  EXPECT_NE(std::string(t.msg).find("/108 or more"), std::string::npos) << t.msg;
  EXPECT_EQ(t.Cidr("::/0"), IK_EINVAL);
  EXPECT_EQ(t.t.n, 0u);
}

TEST(CliTargets, Ipv6SlashOneTwentyEightGivesTheAddress) {
  Targets t;
  ASSERT_EQ(t.Cidr("fd00::5/128"), 0) << t.msg;
  EXPECT_EQ(t.All(), (V{"fd00::5"}));
}

TEST(CliTargets, Ipv6SlashOneTwentySevenGivesBoth) {
  Targets t;
  ASSERT_EQ(t.Cidr("fd00:0:0:1::3/127"), 0) << t.msg;
  EXPECT_EQ(t.All(), (V{"fd00:0:0:1::2", "fd00:0:0:1::3"}));
}

TEST(CliTargets, Ipv6KeepsEveryAddressIncludingTheFirst) {
  Targets t;
  ASSERT_EQ(t.Cidr("fd00::/126"), 0) << t.msg;
  EXPECT_EQ(t.All(), (V{"fd00::", "fd00::1", "fd00::2", "fd00::3"}));
}

TEST(CliTargets, Ipv6SlashOneOhEightGives2To20) {
  Targets t;
  ASSERT_EQ(t.Cidr("fd00::abcd:1234/108"), 0) << t.msg;
  ASSERT_EQ(t.t.n, size_t(1) << 20);
  const char *const *l = ikcli_targets_list(&t.t);
  EXPECT_STREQ(l[0], "fd00::abc0:0");
  EXPECT_STREQ(l[1], "fd00::abc0:1");
  EXPECT_STREQ(l[t.t.n - 1], "fd00::abcf:ffff");
}

TEST(CliTargets, TheTotalIsCappedAcrossRanges) {
  Targets t;
  ASSERT_EQ(t.Cidr("fd00::/108"), 0) << t.msg;
  EXPECT_EQ(t.Cidr("198.18.0.0/30"), IK_EINVAL);
  EXPECT_NE(std::string(t.msg).find("exceed the limit"), std::string::npos) << t.msg;
  EXPECT_EQ(ikcli_targets_add(&t.t, "one-more", t.msg, sizeof t.msg), IK_EINVAL);
  EXPECT_NE(std::string(t.msg).find("too many targets"), std::string::npos) << t.msg;
}

TEST(CliTargets, MalformedRangesAreRefusedAndNamed) {
  const char *bad[] = {"198.18.0.0",  "198.18.0.0/",   "198.18.0.0/33", "fd00::/129",
                       "198.18.0/24", "/24",           "198.18.0.0/-1", "198.18.0.0/+8",
                       "198.18.0.0/ 8", "198.18.0.0/08x", "host/24",    "198.18.0.0/1000",
                       "::ffff:1.2.3.4/120", "1.2.3.4/24/8"};
  for (const char *c : bad) {
    Targets t;
    EXPECT_EQ(t.Cidr(c), IK_EINVAL) << c;
    EXPECT_NE(std::string(t.msg).find("-g '"), std::string::npos) << c << ": " << t.msg;
    EXPECT_EQ(t.t.n, 0u) << c;
  }
}

TEST(CliTargets, FileSkipsBlanksAndCommentsAndAcceptsCrLf) {
  Targets t;
  ASSERT_EQ(t.Text("# lab hosts\n\n127.0.0.1\r\n  ::1  \n\t# indented comment\n"
                   "gateway.example # trailing comment\nlast-without-newline"),
            0)
      << t.msg;
  EXPECT_EQ(t.All(), (V{"127.0.0.1", "::1", "gateway.example", "last-without-newline"}));
}

TEST(CliTargets, EmptyFileAddsNothing) {
  Targets t;
  EXPECT_EQ(t.Text(""), 0);
  EXPECT_EQ(t.Text("\n\n# only comments\n"), 0);
  EXPECT_EQ(t.t.n, 0u);
}

TEST(CliTargets, BadLinesAreRefusedWithTheirNumberAndNothingIsAdded) {
  Targets t;
  ASSERT_EQ(ikcli_targets_add(&t.t, "kept", t.msg, sizeof t.msg), 0);
  EXPECT_EQ(t.Text("a\nb c\n"), IK_EINVAL);
  EXPECT_STREQ(t.msg, "hosts.txt:2: more than one host on the line (one per line)");
  EXPECT_EQ(t.Text("a\n" + std::string(256, 'x') + "\n"), IK_EINVAL);
  EXPECT_STREQ(t.msg, "hosts.txt:2: host name longer than 255 characters");
  EXPECT_EQ(t.Text(std::string("ok\nn\0ul\n", 8)), IK_EINVAL);
  EXPECT_STREQ(t.msg, "hosts.txt:2: control or non-ASCII character in the host name");
  EXPECT_EQ(t.Text("caf\xc3\xa9\n"), IK_EINVAL);
  EXPECT_STREQ(t.msg, "hosts.txt:1: control or non-ASCII character in the host name");
  EXPECT_EQ(t.All(), (V{"kept"}));
}

TEST(CliTargets, ReadsAFileFromDisk) {
  const std::string name = "icmpkit-test-cli-targets-hosts.txt";  // in the build directory
  FILE *f = std::fopen(name.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("127.0.0.1\n127.0.0.2\n", f);
  std::fclose(f);
  Targets t;
  EXPECT_EQ(ikcli_targets_add_file(&t.t, name.c_str(), t.msg, sizeof t.msg), 0) << t.msg;
  std::remove(name.c_str());
  EXPECT_EQ(t.All(), (V{"127.0.0.1", "127.0.0.2"}));
}

TEST(CliTargets, MissingFileIsNamedWithTheSystemReason) {
  Targets t;
  EXPECT_EQ(ikcli_targets_add_file(&t.t, "/nonexistent/icmpkit-hosts", t.msg, sizeof t.msg),
            IK_EINVAL);
  EXPECT_NE(std::string(t.msg).find("-f /nonexistent/icmpkit-hosts: "), std::string::npos) << t.msg;
}

TEST(CliTargets, HostOperandsAreChecked) {
  Targets t;
  EXPECT_EQ(ikcli_targets_add(&t.t, "", t.msg, sizeof t.msg), IK_EINVAL);
  EXPECT_STREQ(t.msg, "empty host name");
  EXPECT_EQ(ikcli_targets_add(&t.t, "a b", t.msg, sizeof t.msg), IK_EINVAL);
  EXPECT_EQ(ikcli_targets_add(&t.t, std::string(256, 'h').c_str(), t.msg, sizeof t.msg), IK_EINVAL);
  EXPECT_EQ(ikcli_targets_add(&t.t, std::string(255, 'h').c_str(), t.msg, sizeof t.msg), 0);
  EXPECT_EQ(t.t.n, 1u);
}

// Range addresses are formatted by hand: each must be what "%u.%u.%u.%u"
// prints, for one- two- and three-digit octets in every position.
TEST(CliTargets, Ipv4RangeAddressesAreDottedQuadsAsPrintfWritesThem) {
  Targets t;
  const unsigned firsts[] = {0, 9, 10, 99, 100, 255};
  for (unsigned f : firsts) {
    std::string r = std::to_string(f) + ".0.0.0/20";
    ASSERT_EQ(t.Cidr(r.c_str()), 0) << t.msg;
  }
  ASSERT_EQ(t.Cidr("198.16.0.0/14"), 0) << t.msg;
  std::vector<std::string> expect;
  char text[32];
  for (unsigned f : firsts)
    for (unsigned i = 1; i + 1 < (1u << 12); i++) {
      std::snprintf(text, sizeof text, "%u.%u.%u.%u", f, 0u, i >> 8, i & 255);
      expect.push_back(text);
    }
  for (unsigned i = 1; i + 1 < (1u << 18); i++) {
    std::snprintf(text, sizeof text, "%u.%u.%u.%u", 198u, 16 + (i >> 16), (i >> 8) & 255, i & 255);
    expect.push_back(text);
  }
  EXPECT_TRUE(t.All() == expect);
}

TEST(CliTargets, AppendCopiesTheNamesFromAnIndexInOrder) {
  Targets from, to;
  ASSERT_EQ(from.Text("a.example\nb.example\n"), 0) << from.msg;
  ASSERT_EQ(from.Cidr("198.18.0.0/30"), 0) << from.msg;
  ASSERT_EQ(ikcli_targets_add(&to.t, "first", to.msg, sizeof to.msg), 0);
  ASSERT_EQ(ikcli_targets_append(&to.t, &from.t, 1, to.msg, sizeof to.msg), 0) << to.msg;
  EXPECT_EQ(to.All(), (V{"first", "b.example", "198.18.0.1", "198.18.0.2"}));
  ASSERT_EQ(ikcli_targets_append(&to.t, &from.t, from.t.n, to.msg, sizeof to.msg), 0);
  EXPECT_EQ(to.t.n, 4u);
  ASSERT_EQ(ikcli_targets_add(&to.t, "last", to.msg, sizeof to.msg), 0);
  EXPECT_EQ(to.All().back(), "last");
}

TEST(CliTargets, AppendRefusesToPassTheTargetLimit) {
  Targets from, to;
  ASSERT_EQ(from.Cidr("10.0.0.0/12"), 0) << from.msg;
  ASSERT_EQ(to.Cidr("198.18.0.0/30"), 0) << to.msg;
  ASSERT_EQ(ikcli_targets_add(&to.t, "x", to.msg, sizeof to.msg), 0);  // 2^20 - 2 + 3: one too many
  EXPECT_EQ(ikcli_targets_append(&to.t, &from.t, 0, to.msg, sizeof to.msg), IK_EINVAL);
  EXPECT_NE(std::string(to.msg).find("too many targets"), std::string::npos) << to.msg;
  EXPECT_EQ(to.t.n, 3u);
}
