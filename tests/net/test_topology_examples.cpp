/* The seed's examples (examples/one_ping, examples/verbose_ping) run in the
 * pinger namespace, through every branch the seed handles: reply, timeout
 * (blackhole) and ICMP errors (unreachable from r3, time exceeded in the
 * routing loop). Outputs are compared whole with the seed's formats. */
#include "test_topology_fixture.h"

#include <regex>

namespace iknet {
namespace {

#if defined(IKNET_ONE_PING) && defined(IKNET_VERBOSE_PING)

/* Size of the ICMP errors Linux routers send about a 64-byte echo request:
 * 8 + the quoted IP header + the whole request. */
size_t error_bytes(int family) { return 8 + (family == 4 ? 20 : 40) + 64; }

std::string escaped(const std::string &s) { return std::regex_replace(s, std::regex("[.]"), "\\."); }

class ExamplesTest : public ChainTest {
 protected:
  CommandResult run(const char *program, const std::string &args) {
    std::string flag = mode_.privileged ? "" : " --unprivileged";
    CommandResult r = chain_->topo.exec("pinger", std::string(program) + flag + " " + args + " 2>&1");
    last_ = r.output;
    return r;
  }
  std::string last_;
};

using OnePingTest = ExamplesTest;
using VerbosePingTest = ExamplesTest;

TEST_P(OnePingTest, IsSilentWhenTheTargetAnswers) {
  CommandResult r = run(IKNET_ONE_PING, Chain::target_address(4));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.output, "");
}

TEST_P(OnePingTest, PrintsTheTimeoutAgainstABlackhole) {
  CommandResult r = run(IKNET_ONE_PING, Chain::address_for(Chain::Fate::blackhole_route, 4) + " 0.3");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.output, "The timeout has been reached (0.3s)\n");
}

TEST_P(OnePingTest, PrintsTheUnreachableMessages) {
  struct Case {
    Chain::Fate fate;
    const char *text;
  } cases[] = {{Chain::Fate::no_route, "Destination network unreachable\n"},
               {Chain::Fate::unreachable_route, "Destination host unreachable\n"},
               {Chain::Fate::prohibit_route, "Packet filtered\n"}};
  for (const Case &c : cases) {
    CommandResult r = run(IKNET_ONE_PING, Chain::address_for(c.fate, 4) + " 1");
    EXPECT_EQ(r.status, 1) << c.text;
    EXPECT_EQ(r.output, c.text);
  }
}

TEST_P(OnePingTest, PrintsTimeToLiveExceededFromTheLoop) {
  CommandResult r = run(IKNET_ONE_PING, Chain::address_for(Chain::Fate::routing_loop, 4) + " 1");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.output, "Time to live exceeded\n");
}

INSTANTIATE_TEST_SUITE_P(Mode, OnePingTest, ::testing::ValuesIn(v4_modes()), ModeName);

TEST_P(VerbosePingTest, PrintsOneLinePerReply) {
  std::string target = Chain::target_address(family());
  CommandResult r = run(IKNET_VERBOSE_PING, target + " 3 0.05 1");
  EXPECT_EQ(r.status, 0);
  std::string line = "  64 bytes from " + escaped(target) + ": icmp_seq=(\\d) time=\\d+\\.\\d{1,3} ms\n";
  std::regex expected("PING " + escaped(target) + ": 56 data bytes\n\n" + line + line + line + "\nCompleted\\.\n");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(r.output, m, expected)) << r.output;
  EXPECT_EQ(m[1].str() + m[2].str() + m[3].str(), "012");
}

TEST_P(VerbosePingTest, PrintsRequestTimeoutAgainstABlackhole) {
  std::string dest = Chain::address_for(Chain::Fate::blackhole_route, family());
  CommandResult r = run(IKNET_VERBOSE_PING, dest + " 2 0 0.3");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.output, "PING " + dest + ": 56 data bytes\n\n"
                      "  Request timeout for icmp_seq 0\n"
                      "  Request timeout for icmp_seq 1\n"
                      "\nCompleted.\n");
}

TEST_P(VerbosePingTest, PrintsTheRoutersUnreachableMessage) {
  std::string dest = Chain::address_for(Chain::Fate::prohibit_route, family());
  CommandResult r = run(IKNET_VERBOSE_PING, dest + " 1 0 1");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.output, "PING " + dest + ": 56 data bytes\n\n  " + std::to_string(error_bytes(family())) +
                          " bytes from " + Chain::error_source(Chain::Fate::prohibit_route, family()) + ": " +
                          (family() == 4 ? "Packet filtered"
                                         : "Communication with destination administratively prohibited") +
                          "\n\nCompleted.\n");
}

TEST_P(VerbosePingTest, PrintsTimeExceededFromTheLoop) {
  std::string dest = Chain::address_for(Chain::Fate::routing_loop, family());
  CommandResult r = run(IKNET_VERBOSE_PING, dest + " 1 0 1");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.output, "PING " + dest + ": 56 data bytes\n\n  " + std::to_string(error_bytes(family())) +
                          " bytes from " + Chain::error_source(Chain::Fate::routing_loop, family()) + ": " +
                          (family() == 4 ? "Time to live exceeded" : "Hop limit exceeded") + "\n\nCompleted.\n");
}

INSTANTIATE_TEST_SUITE_P(Mode, VerbosePingTest, ::testing::ValuesIn(all_modes()), ModeName);

#else
TEST(Examples, AreBuiltForTheTopologyTests) {
  GTEST_SKIP() << "examples/one_ping and verbose_ping are not built (ICMPKIT_BUILD_EXAMPLES=OFF)";
}
#endif

}  // namespace
}  // namespace iknet
