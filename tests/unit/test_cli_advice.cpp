// The CLI's permission advice as a pure function of the situation: it
// never advises what already holds.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "advice.h"
#include "icmpkit.h"

namespace {

const char *const kSysctl = "sysctl -w net.ipv4.ping_group_range";
const char *const kSetcap = "setcap cap_net_raw+ep /usr/bin/icmpkit";
const char *const kRoot = "run icmpkit as root";

struct Advice {
  std::string text;
  int n;
};

Advice AdviceFor(unsigned long uid, int in_range, int cap, int mode, int family = IK_AF_INET) {
  ikcli_situation s{};
  s.uid = uid;
  s.gid = uid;
  s.in_range = in_range;
  s.has_cap_net_raw = cap;
  s.mode = mode;
  s.family = family;
  s.range = in_range ? "0 2147483647" : "1 0";
  s.binary = "/usr/bin/icmpkit";
  char buf[2048];
  Advice a;
  a.n = ikcli_permission_advice(&s, buf, sizeof buf);
  a.text = buf;
  return a;
}

bool Has(const Advice &a, const char *part) { return a.text.find(part) != std::string::npos; }

TEST(CliAdvice, AutoForAUserWithNothingListsEveryRemedy) {
  Advice a = AdviceFor(1000, 0, 0, -1);
  EXPECT_TRUE(Has(a, kSysctl)) << a.text;
  EXPECT_TRUE(Has(a, kSetcap)) << a.text;
  EXPECT_TRUE(Has(a, kRoot)) << a.text;
  EXPECT_TRUE(Has(a, "uid 1000 gid 1000, outside the range, without CAP_NET_RAW")) << a.text;
  EXPECT_TRUE(Has(a, "\"1 0\"")) << a.text;
  EXPECT_EQ(a.n, 3);
}

TEST(CliAdvice, AUserInsideTheRangeIsNotToldToSetIt) {
  Advice a = AdviceFor(1000, 1, 0, 1);  // --privileged
  EXPECT_FALSE(Has(a, kSysctl)) << a.text;
  EXPECT_TRUE(Has(a, kSetcap)) << a.text;
  EXPECT_TRUE(Has(a, "leave out --privileged")) << a.text;
}

TEST(CliAdvice, ACapableBinaryIsNotToldToSetcap) {
  Advice a = AdviceFor(1000, 0, 1, 0);  // --unprivileged
  EXPECT_FALSE(Has(a, "setcap")) << a.text;
  EXPECT_FALSE(Has(a, kRoot)) << a.text;
  EXPECT_TRUE(Has(a, kSysctl)) << a.text;
  EXPECT_TRUE(Has(a, "leave out --unprivileged")) << a.text;
}

TEST(CliAdvice, RootIsNeverToldToRunAsRoot) {
  for (int mode : {-1, 0, 1})
    for (int cap : {0, 1})
      for (int range : {0, 1}) {
        Advice a = AdviceFor(0, range, cap, mode);
        EXPECT_FALSE(Has(a, kRoot)) << mode << cap << range << a.text;
        EXPECT_FALSE(Has(a, "setcap")) << mode << cap << range << a.text;
      }
  Advice lacking = AdviceFor(0, 0, 0, 1);
  EXPECT_TRUE(Has(lacking, "give this root process CAP_NET_RAW")) << lacking.text;
}

TEST(CliAdvice, ModesAskOnlyForWhatTheyUse) {
  Advice priv = AdviceFor(1000, 0, 0, 1);
  EXPECT_FALSE(Has(priv, kSysctl)) << priv.text;  // the range does not help a raw socket
  EXPECT_TRUE(Has(priv, "--privileged needs a raw ICMP socket")) << priv.text;
  Advice unpriv = AdviceFor(1000, 0, 0, 0);
  EXPECT_FALSE(Has(unpriv, "setcap")) << unpriv.text;
  EXPECT_FALSE(Has(unpriv, kRoot)) << unpriv.text;
  EXPECT_TRUE(Has(unpriv, kSysctl)) << unpriv.text;
}

TEST(CliAdvice, WhenEverythingHoldsItBlamesTheSystemAndAdvisesNothing) {
  Advice a = AdviceFor(1000, 1, 1, -1);
  EXPECT_EQ(a.n, 0);
  EXPECT_TRUE(Has(a, "yet the system refused")) << a.text;
  EXPECT_FALSE(Has(a, "Do one of")) << a.text;
}

TEST(CliAdvice, TheFamilyIsNamed) {
  EXPECT_TRUE(Has(AdviceFor(1000, 0, 0, 0, IK_AF_INET6), "datagram ICMPv6 socket"));
  EXPECT_TRUE(Has(AdviceFor(1000, 0, 0, 0, IK_AF_INET), "datagram ICMP socket"));
}

TEST(CliAdvice, GroupsInRangeLikeTheKernel) {
  const unsigned long g[] = {1000, 27};
  EXPECT_TRUE(ikcli_groups_in_range("0 2147483647", g, 2));
  EXPECT_TRUE(ikcli_groups_in_range("27 27", g, 2));
  EXPECT_FALSE(ikcli_groups_in_range("1 0", g, 2));  // the default: nobody
  EXPECT_FALSE(ikcli_groups_in_range("1001 2000", g, 2));
  EXPECT_FALSE(ikcli_groups_in_range("", g, 2));
  EXPECT_FALSE(ikcli_groups_in_range(nullptr, g, 2));
}

TEST(CliAdvice, ATinyBufferIsTruncatedNotOverrun) {
  ikcli_situation s{};
  s.mode = -1;
  char buf[8];
  std::memset(buf, 'x', sizeof buf);
  ikcli_permission_advice(&s, buf, sizeof buf);
  EXPECT_EQ(std::string(buf).size(), 7u);
}

}  // namespace
