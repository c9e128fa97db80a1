// The icmpkit command-line tool driven in the namespace chain
// (pinger - r1 - r2 - r3 - target), its exit statuses and JSON checked by a
// parser, and its verdicts compared with Debian's python3-icmplib on the
// same scenario.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "../unit/cli_json_parser.h"
#include "netns.h"
#include "cli_under_test.h"

#ifndef IKNET_CLI_ICMPLIB_PY
#define IKNET_CLI_ICMPLIB_PY ""
#endif

using iknet::Chain;
using testjson::Value;

using iknet::Cli;
using iknet::Slurp;

namespace {

#define REQUIRE_CLI()                                                              \
  do {                                                                             \
    if (Cli().empty()) GTEST_SKIP() << "the icmpkit tool is not built (ICMPKIT_BUILD_TOOLS=OFF)"; \
  } while (0)

struct CliRun {
  int status = -1;
  std::string out, err;
};

// Runs "icmpkit args" with stdout and stderr apart, in role of topo (here
// when topo is null). interrupt_after > 0: SIGINT after that many seconds.
CliRun RunCliIn(const iknet::Topology *topo, const std::string &role, const std::string &args,
                bool as_nobody = false, double interrupt_after = 0) {
  static int n = 0;
  std::string base = "/tmp/ik-cli-" + std::to_string(getpid()) + "-" + std::to_string(++n);
  std::string cmd = (as_nobody ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "") +
                    Cli() + " " + args + " >" + base + ".out 2>" + base + ".err";
  if (interrupt_after > 0)  // the tool installs its handler over the shell's SIG_IGN
    cmd += " & p=$!; sleep " + std::to_string(interrupt_after) + "; kill -INT $p; wait $p";
  iknet::CommandResult r = topo ? topo->exec(role, cmd) : iknet::run_command(cmd);
  CliRun out;
  out.status = r.status;
  out.out = Slurp(base + ".out");
  out.err = Slurp(base + ".err") + r.output;
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return out;
}

CliRun RunCli(const Chain *chain, const std::string &role, const std::string &args,
              bool as_nobody = false) {
  return RunCliIn(chain ? &chain->topo : nullptr, role, args, as_nobody);
}

std::vector<std::string> SplitLines(const std::string &text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) v.push_back(line);
  return v;
}

std::vector<Value> Lines(const CliRun &r) {
  try {
    return testjson::ParseLines(r.out);
  } catch (const std::exception &e) {
    ADD_FAILURE() << e.what() << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err;
    return {};
  }
}

}  // namespace

// ---- no network: usage and names (exit 2, nothing on stdout) ----

TEST(CliTool, UsageErrorsExitTwoWithNothingOnStdout) {
  REQUIRE_CLI();
  const std::pair<const char *, const char *> cases[] = {
      {"ping -c 0 127.0.0.1", "-c: COUNT must be an integer from 1 to 2147483647"},
      {"multiping -c 65536 127.0.0.1", "-c: COUNT must be an integer from 1 to 65535"},
      {"ping -t 256 127.0.0.1", "-t: TTL"},
      {"ping -W nan 127.0.0.1", "-W: TIMEOUT"},
      {"ping -s 65508 127.0.0.1", "-s: SIZE"},
      {"multiping --rate -1 127.0.0.1", "--rate: PPS"},
      {"multiping -g 10.0.0.0/8", "2^24 addresses"},
      {"traceroute -f 9 -m 3 127.0.0.1", "-f: FIRST_HOP (9) is beyond MAX_HOPS (3)"},
      {"ping nonexistent.invalid", "nonexistent.invalid"},
      // multiping reports such a name and probes the others (issue 17):
      // CliLikeFping.UnresolvedNameIsReportedAndTheOthersAreProbed
      {"frobnicate", "unknown command"},
      {"", "missing command"},
  };
  for (const auto &c : cases) {
    CliRun r = RunCli(nullptr, "", c.first);
    EXPECT_EQ(r.status, 2) << c.first << "\n" << r.err;
    EXPECT_EQ(r.out, "") << c.first;
    EXPECT_NE(r.err.find(c.second), std::string::npos) << c.first << "\n" << r.err;
  }
}

TEST(CliTool, HelpAndVersionExitZero) {
  REQUIRE_CLI();
  CliRun v = RunCli(nullptr, "", "--version");
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.out.rfind("icmpkit ", 0), 0u) << v.out;
  for (const char *cmd : {"--help", "ping --help", "multiping --help", "traceroute -h"}) {
    CliRun h = RunCli(nullptr, "", cmd);
    EXPECT_EQ(h.status, 0) << cmd;
    EXPECT_EQ(h.out.rfind("usage: icmpkit", 0), 0u) << cmd << "\n" << h.out;
  }
}

// With few file descriptors left (issue 15: libevent exited the process
// with status 1, "not answered"), each command exits 2 with the reason.
TEST(CliTool, FewDescriptorsExitTwoNamingTheLimit) {
  IKNET_REQUIRE_ROOT();
  REQUIRE_CLI();
  iknet::Topology topo;
  topo.add("solo");
  for (const char *args : {"ping -c 1 127.0.0.1", "multiping -c 1 127.0.0.1 127.0.0.2",
                           "traceroute -c 1 -m 2 127.0.0.1", "ping --json -c 1 127.0.0.1"}) {
    // 0, 1 and 2 are open: 3 more for the socket of the privilege probe,
    // then too few for the event loop. (No redirection after the ulimit:
    // dash would need a descriptor above 9 to make it.)
    iknet::CommandResult r =
        topo.exec("solo", std::string("ulimit -n 6; exec ") + Cli() + " " + args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find("out of file descriptors (EMFILE"), std::string::npos)
        << args << "\n" << r.output;
    EXPECT_EQ(r.output.find("[err]"), std::string::npos) << args << ": libevent's own message\n"
                                                         << r.output;
  }
}

// In a namespace where ping_group_range admits nobody, an unprivileged
// user without CAP_NET_RAW can open neither socket kind: exit 2, and the
// message names every remedy.
TEST(CliTool, NeitherSocketPermittedExitsTwoNamingEveryRemedy) {
  IKNET_REQUIRE_ROOT();
  REQUIRE_CLI();
  iknet::Topology topo;
  topo.add("solo");
  topo.sysctl("solo", "net.ipv4.ping_group_range", "1 0");
  for (const char *args : {"ping -c 1 127.0.0.1", "multiping -c 1 127.0.0.1 ::1",
                           "traceroute -c 1 ::1"}) {
    CliRun r = RunCliIn(&topo, "solo", args, true);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.err;
    EXPECT_EQ(r.out, "") << args;
    for (const char *remedy : {"ping_group_range", "setcap cap_net_raw+ep", "as root"})
      EXPECT_NE(r.err.find(remedy), std::string::npos) << args << ": no '" << remedy << "' in\n"
                                                       << r.err;
  }
  // Forcing the raw socket gets the same help; root is still fine.
  CliRun forced = RunCliIn(&topo, "solo", "ping --privileged -c 1 127.0.0.1", true);
  EXPECT_EQ(forced.status, 2) << forced.err;
  EXPECT_NE(forced.err.find("setcap cap_net_raw+ep"), std::string::npos) << forced.err;
  CliRun root = RunCliIn(&topo, "solo", "ping -c 1 -W 1 127.0.0.1");
  EXPECT_EQ(root.status, 0) << root.err;
}

// Issue 17: as root where datagram sockets are refused (range "1 0"), a
// source the host does not own was reported as a permission problem (the
// datagram socket's refusal), and with --privileged the reason came twice.
TEST(CliTool, RootIsToldTheSourceIsNotLocalNotAboutPermissions) {
  IKNET_REQUIRE_ROOT();
  REQUIRE_CLI();
  iknet::Topology topo;
  topo.add("solo");
  topo.sysctl("solo", "net.ipv4.ping_group_range", "1 0");
  for (const char *args : {"ping -c 1 -I 198.18.9.9 127.0.0.1", "ping --privileged -c 1 -I 198.18.9.9 127.0.0.1",
                           "traceroute -I fd00::99 ::1", "multiping -I 198.18.9.9 127.0.0.1"}) {
    CliRun r = RunCliIn(&topo, "solo", args);
    std::string expected = std::string(std::strstr(args, "-I ") + 3);
    expected = expected.substr(0, expected.find(' ')) + " is not an address of this host";
    EXPECT_EQ(r.status, 2) << args << "\n" << r.err;
    EXPECT_EQ(r.out, "") << args;
    size_t at = r.err.find(expected);
    EXPECT_NE(at, std::string::npos) << args << "\n" << r.err;
    if (at != std::string::npos) {
      EXPECT_EQ(r.err.find(expected, at + 1), std::string::npos) << args << ": said twice\n" << r.err;
    }
    EXPECT_EQ(r.err.find("not permitted"), std::string::npos) << args << "\n" << r.err;
  }
}

// ---- the chain ----

namespace {

// Addresses the target answers for (AnyIP routes on its loopback), for the
// large multiping: 1022 IPv4 and 256 IPv6 hosts.
const char kManyV4[] = "198.18.64.0/22";
const char kManyV6[] = "fd00:0:0:40::/120";

enum class Mode { privileged, unprivileged, nobody_auto };

std::string ModeArgs(Mode m) {
  return m == Mode::privileged ? "--privileged " : m == Mode::unprivileged ? "--unprivileged " : "";
}

class CliChain : public ::testing::TestWithParam<std::tuple<Mode, int>> {
 protected:
  static void SetUpTestSuite() {
    if (!iknet::is_root() || Cli().empty()) return;
    try {
      chain_ = new Chain;
      chain_->topo.ip("target", std::string("route add local ") + kManyV4 + " dev lo");
      chain_->topo.ip("target", std::string("-6 route add local ") + kManyV6 + " dev lo");
      chain_->topo.ip("r3", std::string("route add ") + kManyV4 + " via " + Chain::target_address(4));
      chain_->topo.ip("r3", std::string("-6 route add ") + kManyV6 + " via " + Chain::target_address(6));
    } catch (const std::exception &e) {
      setup_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete chain_;
    chain_ = nullptr;
  }
  void SetUp() override {
    IKNET_REQUIRE_ROOT();
    REQUIRE_CLI();
    ASSERT_NE(chain_, nullptr) << setup_error_;
  }
  Mode mode() const { return std::get<0>(GetParam()); }
  int family() const { return std::get<1>(GetParam()); }
  // "ping -c 1 ..." with the mode's option after the command word.
  CliRun Run(const std::string &args) {
    size_t sp = args.find(' ');
    return RunCli(chain_, "pinger", args.substr(0, sp + 1) + ModeArgs(mode()) + args.substr(sp + 1),
                  mode() == Mode::nobody_auto);
  }

  static Chain *chain_;
  static std::string setup_error_;
};

Chain *CliChain::chain_ = nullptr;
std::string CliChain::setup_error_;

}  // namespace

TEST_P(CliChain, PingOfTheTargetExitsZeroWithEveryReply) {
  std::string target = Chain::target_address(family());
  CliRun r = Run("ping -c 3 -i 0.05 -W 1 --json " + target);
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<Value> lines = Lines(r);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  const Value &h = lines[0];
  EXPECT_EQ(h["address"].str, target);
  EXPECT_EQ(h["packets_sent"].num, 3);
  EXPECT_EQ(h["packets_received"].num, 3);
  EXPECT_EQ(h["packet_loss"].num, 0);
  EXPECT_TRUE(h["is_alive"].b);
  ASSERT_EQ(h["replies"].arr.size(), 3u);
  for (const Value &rep : h["replies"].arr) {
    EXPECT_EQ(rep["source"].str, target);
    EXPECT_EQ(rep["type"].num, family() == 4 ? 0 : 129);
    EXPECT_EQ(rep["bytes_received"].num, 64);
  }
  EXPECT_GT(h["min_rtt"].num, 0);
  EXPECT_LE(h["min_rtt"].num, h["max_rtt"].num);
}

TEST_P(CliChain, PingHumanOutputIsHeaderRepliesThenStatistics) {
  std::string target = Chain::target_address(family());
  CliRun r = Run("ping -c 3 -i 0.05 -W 1 " + target);
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<std::string> l = SplitLines(r.out);
  ASSERT_EQ(l.size(), 8u) << r.out;
  EXPECT_EQ(l[0], "PING " + target + " (" + target + ") " +
                      (family() == 4 ? "56(84) bytes of data." : "56 data bytes"));
  for (int i = 0; i < 3; i++)
    EXPECT_EQ(l[1 + i].rfind("64 bytes from " + target + ": icmp_seq=" + std::to_string(i) +
                                 " ttl=61 time=",
                             0),
              0u)
        << l[1 + i];
  EXPECT_EQ(l[4], "");
  EXPECT_EQ(l[5], "--- " + target + " ping statistics ---");
  EXPECT_EQ(l[6].rfind("3 packets transmitted, 3 received, 0% packet loss, time ", 0), 0u) << l[6];
  EXPECT_EQ(l[7].rfind("rtt min/avg/max/mdev = ", 0), 0u) << l[7];
}

TEST_P(CliChain, InterruptedPingPrintsTheStatisticsSoFar) {
  std::string target = Chain::target_address(family());
  CliRun r = RunCliIn(&chain_->topo, "pinger",
                      "ping " + ModeArgs(mode()) + "-c 1000 -i 0.1 -W 1 " + target,
                      mode() == Mode::nobody_auto, 0.55);
  EXPECT_EQ(r.status, 0) << r.err;  // replies came: alive, as without the interrupt
  std::vector<std::string> l = SplitLines(r.out);
  ASSERT_GE(l.size(), 5u) << r.out;
  EXPECT_EQ(l[l.size() - 3], "--- " + target + " ping statistics ---") << r.out;
  int sent = 0, received = 0;
  ASSERT_EQ(std::sscanf(l[l.size() - 2].c_str(), "%d packets transmitted, %d received", &sent,
                        &received),
            2)
      << r.out;
  EXPECT_GE(sent, 3);
  EXPECT_LE(sent, 20);
  EXPECT_EQ(received, sent);
  EXPECT_EQ(l.size(), static_cast<size_t>(received) + 5u) << r.out;  // header, replies, block
}

TEST_P(CliChain, InterruptedJsonPingIsOneCompleteObject) {
  std::string target = Chain::target_address(family());
  CliRun r = RunCliIn(&chain_->topo, "pinger",
                      "ping " + ModeArgs(mode()) + "--json -c 1000 -i 0.1 -W 1 " + target,
                      mode() == Mode::nobody_auto, 0.55);
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<Value> lines = Lines(r);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_GE(lines[0]["packets_sent"].num, 3);
  EXPECT_LE(lines[0]["packets_sent"].num, 20);
  EXPECT_EQ(lines[0]["replies"].arr.size(), lines[0]["packets_received"].num);
}

TEST_P(CliChain, PingIntoABlackholeExitsOne) {
  CliRun r = Run("ping -c 2 -i 0.05 -W 0.3 --json " +
                 Chain::address_for(Chain::Fate::blackhole_route, family()));
  EXPECT_EQ(r.status, 1) << r.err;
  std::vector<Value> lines = Lines(r);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_FALSE(lines[0]["is_alive"].b);
  EXPECT_EQ(lines[0]["packets_received"].num, 0);
  EXPECT_EQ(lines[0]["packet_loss"].num, 1);
}

TEST_P(CliChain, PingWithNoRouteShowsTheRoutersError) {
  std::string dest = Chain::address_for(Chain::Fate::no_route, family());
  std::string r3 = Chain::router_address(3, family());
  CliRun r = Run("ping -c 1 -W 0.5 " + dest);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.out.find("From " + r3 + " icmp_seq="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(family() == 4 ? "Destination Net Unreachable" : "Destination unreachable: No route"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("1 packets transmitted, 0 received, +1 errors, 100% packet loss"),
            std::string::npos)
      << r.out;
}

TEST_P(CliChain, TracerouteListsEachRouterThenTheTarget) {
  std::string target = Chain::target_address(family());
  CliRun r = Run("traceroute -c 1 -W 0.5 --json " + target);
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<Value> lines = Lines(r);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  for (int k = 1; k <= 3; k++) {
    EXPECT_EQ(lines[k - 1]["distance"].num, k);
    EXPECT_EQ(lines[k - 1]["address"].str, Chain::router_address(k, family()));
    EXPECT_EQ(lines[k - 1]["replies"].arr.at(0)["type"].num, family() == 4 ? 11 : 3);
  }
  EXPECT_EQ(lines[3]["distance"].num, 4);
  EXPECT_EQ(lines[3]["address"].str, target);
  EXPECT_EQ(lines[4]["destination"].str, target);
  EXPECT_TRUE(lines[4]["reached"].b);
  EXPECT_EQ(lines[4]["hops"].num, 4);
}

TEST_P(CliChain, TracerouteHumanOutputHasOneLinePerDistance) {
  std::string target = Chain::target_address(family());
  CliRun r = Run("traceroute -c 2 -W 0.5 " + target);
  EXPECT_EQ(r.status, 0) << r.err;
  std::istringstream in(r.out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.rfind("traceroute to " + target + " (" + target + "), 30 hops max, ", 0), 0u)
      << line;
  for (int k = 1; k <= 4; k++) {
    ASSERT_TRUE(std::getline(in, line)) << r.out;
    std::string who = k < 4 ? Chain::router_address(k, family()) : target;
    EXPECT_EQ(line.rfind(" " + std::to_string(k) + "  " + who + "  ", 0), 0u) << line;
    EXPECT_EQ(line.find('*'), std::string::npos) << line;
  }
  EXPECT_FALSE(std::getline(in, line)) << line;
}

TEST_P(CliChain, TracerouteIntoABlackholeIsNotReached) {
  CliRun r = Run("traceroute -c 1 -W 0.3 -m 5 --json " +
                 Chain::address_for(Chain::Fate::blackhole_route, family()));
  EXPECT_EQ(r.status, 1) << r.err;
  std::vector<Value> lines = Lines(r);
  // r3 drops blackholed packets before their TTL is looked at: only r1 and
  // r2 answer, then the summary.
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[1]["address"].str, Chain::router_address(2, family()));
  EXPECT_FALSE(lines[2]["reached"].b);
  EXPECT_EQ(lines[2]["hops"].num, 2);
}

// "RawV4", "DgramV6", "NobodyAutoV4" ...: the test names of a (mode, family) pair.
std::string ModeFamilyName(const ::testing::TestParamInfo<std::tuple<Mode, int>> &i) {
  Mode m = std::get<0>(i.param);
  return std::string(m == Mode::privileged ? "Raw" : m == Mode::unprivileged ? "Dgram" : "NobodyAuto") +
         "V" + std::to_string(std::get<1>(i.param));
}

INSTANTIATE_TEST_SUITE_P(
    ModesAndFamilies, CliChain,
    ::testing::Combine(::testing::Values(Mode::privileged, Mode::unprivileged, Mode::nobody_auto),
                       ::testing::Values(4, 6)),
    ModeFamilyName);

// ---- scale and icmplib comparison (IPv4 and IPv6 together) ----

class CliChainMixed : public CliChain {};

TEST_P(CliChainMixed, MultipingOfThousandsMixedKeepsInputOrderAndVerdicts) {
  std::vector<std::string> dead = {Chain::address_for(Chain::Fate::blackhole_route, 4),
                                   Chain::address_for(Chain::Fate::nft_drop, 6),
                                   Chain::address_for(Chain::Fate::prohibit_route, 4),
                                   Chain::address_for(Chain::Fate::unreachable_route, 6)};
  // nobody keeps the default rate: --rate 0 is root's (issue 18's floors).
  bool nobody = std::get<0>(GetParam()) == Mode::nobody_auto;
  std::string args = std::string("multiping -c 1 -W 0.5 ") + (nobody ? "" : "--rate 0 ") + "--json " + dead[0] + " -g " + kManyV4 +
                     " " + dead[1] + " -g " + kManyV6 + " " + dead[2] + " " + dead[3];
  CliRun r = Run(args);
  EXPECT_EQ(r.status, 1) << r.err;
  std::vector<Value> lines = Lines(r);
  ASSERT_EQ(lines.size(), 1022u + 256u + 4u) << r.err;
  // Operands come first, in order, then -f files, then -g ranges.
  for (size_t i = 0; i < 4; i++) {
    EXPECT_EQ(lines[i]["address"].str, dead[i]);
    EXPECT_FALSE(lines[i]["is_alive"].b) << dead[i];
  }
  EXPECT_EQ(lines[4]["address"].str, "198.18.64.1");
  EXPECT_EQ(lines[4 + 1021]["address"].str, "198.18.67.254");
  EXPECT_EQ(lines[4 + 1022]["address"].str, "fd00:0:0:40::");
  EXPECT_EQ(lines.back()["address"].str, "fd00:0:0:40::ff");
  size_t alive = 0;
  for (size_t i = 4; i < lines.size(); i++) alive += lines[i]["is_alive"].b;
  EXPECT_EQ(alive, 1022u + 256u);
}

TEST_P(CliChainMixed, BroadcastPingListsEveryResponder) {
  // A user's broadcast ping needs -i 1 or more, as with iputils ping.
  bool nobody = std::get<0>(GetParam()) == Mode::nobody_auto;
  CliRun r = Run(std::string("ping -b -c 2 -i ") + (nobody ? "1" : "0.1") + " -W 0.5 -4 --json " +
                 Chain::broadcast_address());
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<Value> lines = Lines(r);
  ASSERT_EQ(lines.size(), 1u);
  std::set<std::string> sources;
  for (const Value &rep : lines[0]["replies"].arr) sources.insert(rep["source"].str);
  std::vector<std::string> want = Chain::broadcast_responders();
  EXPECT_EQ(sources, std::set<std::string>(want.begin(), want.end()));
}

TEST_P(CliChainMixed, MulticastPingListsEveryResponder) {
  // ff02::1 on the pinger's bridge: each host answers from its link-local
  // address (the pinger itself may answer too).
  std::set<std::string> want;
  for (size_t i = 1; i <= Chain::broadcast_responders().size(); i++) {
    iknet::CommandResult a = chain_->topo.exec(
        "h" + std::to_string(i),
        "ip -6 -o addr show dev eth0 scope link | sed -E 's|.* inet6 ([^/]+)/.*|\\1|'");
    ASSERT_EQ(a.status, 0) << a.output;
    want.insert(a.output.substr(0, a.output.find('\n')));
  }
  CliRun r = Run("ping -c 2 -i 0.1 -W 0.5 --json ff02::1%br0");
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<Value> lines = Lines(r);
  ASSERT_EQ(lines.size(), 1u);
  std::set<std::string> sources;
  for (const Value &rep : lines[0]["replies"].arr)
    sources.insert(rep["source"].str.substr(0, rep["source"].str.find('%')));
  for (const std::string &w : want) EXPECT_EQ(sources.count(w), 1u) << w << " did not answer\n" << r.out;
}

// The progress line does not depend on the mode: one is enough.
class CliProgress : public CliChainMixed {};

TEST_P(CliProgress, LongMultipingShowsAProgressLineOnlyOnATerminal) {
  if (iknet::run_command("command -v script").status != 0) GTEST_SKIP() << "script(1) is not installed";
  // 3 probes 0.5 s apart with a 2 s timeout: expected to last 3 s, the
  // threshold of the progress line. script(1) gives the tool a terminal;
  // standard output goes to /dev/null, so what script copies out is
  // standard error alone.
  std::string args = "multiping --privileged -c 3 -i 0.5 -W 2 -g 127.0.3.0/28";
  iknet::CommandResult tty =
      chain_->topo.exec("pinger", "script -qec '" + Cli() + " " + args + " >/dev/null' /dev/null");
  EXPECT_EQ(tty.status, 0) << tty.output;
  EXPECT_NE(tty.output.find("\rmultiping: "), std::string::npos) << tty.output;
  EXPECT_NE(tty.output.find(" of 14 targets answered, "), std::string::npos) << tty.output;
  CliRun plain = Run("multiping -c 3 -i 0.5 -W 2 -g 127.0.3.0/28");
  EXPECT_EQ(plain.status, 0) << plain.err;
  EXPECT_EQ(plain.err.find("targets answered"), std::string::npos) << plain.err;
  EXPECT_NE(plain.out.find("14 of 14 hosts alive"), std::string::npos) << plain.out;
}

TEST_P(CliChainMixed, BroadcastWithoutDashBIsAUsageError) {
  CliRun r = Run("ping -c 1 -W 0.3 " + Chain::broadcast_address());
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("-b"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Mode, CliProgress,
                         ::testing::Combine(::testing::Values(Mode::privileged), ::testing::Values(0)),
                         [](const ::testing::TestParamInfo<std::tuple<Mode, int>> &) { return std::string("Raw"); });

INSTANTIATE_TEST_SUITE_P(Modes, CliChainMixed,
                         ::testing::Combine(::testing::Values(Mode::privileged,
                                                              Mode::nobody_auto),
                                            ::testing::Values(0)),
                         [](const ::testing::TestParamInfo<std::tuple<Mode, int>> &i) {
                           return std::string(std::get<0>(i.param) == Mode::privileged
                                                  ? "Raw"
                                                  : "NobodyAuto");
                         });

// ---- the same scenarios through python3-icmplib ----

namespace {

// Debian's python3-icmplib belongs to the system interpreter, which a
// pyenv or venv python3 earlier in PATH would not see.
std::string Python() { return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3"; }

// Linux rate-limits the ICMP errors of route lookups (no route, unreachable
// and prohibit routes) per destination: a burst of 5, then one a second
// (net.ipv4.route.error_cost/error_burst, global sysctls a test must not
// touch; nft rejects and IPv6 are not limited this way). Before a
// comparison needs n such IPv4 errors, wait until n tokens are back.
void SpareRouteErrors(int family, int n) {
  if (family == 4) usleep(static_cast<useconds_t>(n) * 1000000u + 100000u);
}

bool IsRouteFate(Chain::Fate f) {
  return f == Chain::Fate::no_route || f == Chain::Fate::unreachable_route ||
         f == Chain::Fate::prohibit_route;
}

// Runs the icmplib side in the pinger namespace (root, raw sockets).
Value Icmplib(const Chain *chain, const std::string &args) {
  iknet::CommandResult r =
      chain->topo.exec("pinger", Python() + " " + std::string(IKNET_CLI_ICMPLIB_PY) + " " + args);
  if (r.status != 0) throw std::runtime_error("icmplib " + args + ": " + r.output);
  return testjson::Parse(r.output.substr(0, r.output.find('\n')));
}

}  // namespace

class CliVersusIcmplib : public CliChain {
 protected:
  void SetUp() override {
    CliChain::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (iknet::run_command(Python() + " -c 'import icmplib'").status != 0)
      GTEST_SKIP() << "python3-icmplib is not installed (scripts/deps installs it)";
  }
};

TEST_P(CliVersusIcmplib, TracerouteHopListsAreTheSame) {
  std::string target = Chain::target_address(family());
  CliRun r = Run("traceroute -c 1 -W 0.5 -m 8 --json " + target);
  std::vector<Value> lines = Lines(r);
  ASSERT_GE(lines.size(), 1u);
  Value theirs = Icmplib(chain_, "traceroute " + target + " 1 0.5 8");
  ASSERT_EQ(theirs.arr.size() + 1, lines.size()) << r.out;
  for (size_t i = 0; i < theirs.arr.size(); i++) {
    EXPECT_EQ(lines[i]["distance"].num, theirs.arr[i].arr[0].num);
    EXPECT_EQ(lines[i]["address"].str, theirs.arr[i].arr[1].str);
  }
}

TEST_P(CliVersusIcmplib, MultipingVerdictsAreTheSame) {
  std::vector<std::string> hosts = {Chain::target_address(family()),
                                    Chain::router_address(2, family())};
  for (Chain::Fate f : {Chain::Fate::no_route, Chain::Fate::unreachable_route,
                        Chain::Fate::prohibit_route, Chain::Fate::blackhole_route,
                        Chain::Fate::nft_host_unreachable, Chain::Fate::nft_admin_prohibited,
                        Chain::Fate::nft_drop})
    hosts.push_back(Chain::address_for(f, family()));
  std::string list;
  for (const auto &h : hosts) list += " " + h;
  SpareRouteErrors(family(), 3);
  CliRun r = Run("multiping -c 1 -W 0.3 --json" + list);
  std::vector<Value> lines = Lines(r);
  ASSERT_EQ(lines.size(), hosts.size()) << r.err;
  SpareRouteErrors(family(), 3);
  Value theirs = Icmplib(chain_, "multiping 1 0.3 1" + list);
  ASSERT_EQ(theirs.arr.size(), hosts.size());
  for (size_t i = 0; i < hosts.size(); i++)
    EXPECT_EQ(lines[i]["is_alive"].b, theirs.arr[i].b) << hosts[i];
}

TEST_P(CliVersusIcmplib, ErrorClassesAreTheSame) {
  for (Chain::Fate f : {Chain::Fate::no_route, Chain::Fate::unreachable_route,
                        Chain::Fate::prohibit_route, Chain::Fate::nft_host_unreachable,
                        Chain::Fate::nft_admin_prohibited, Chain::Fate::blackhole_route}) {
    std::string dest = Chain::address_for(f, family());
    if (IsRouteFate(f)) SpareRouteErrors(family(), 2);
    CliRun r = Run("ping -c 1 -W 0.3 --json " + dest);
    std::vector<Value> lines = Lines(r);
    ASSERT_EQ(lines.size(), 1u) << dest << r.err;
    Value theirs = Icmplib(chain_, "error " + dest + " 0.3 1");
    const auto &replies = lines[0]["replies"].arr;
    if (theirs["class"].str == "TimeoutExceeded") {
      EXPECT_TRUE(replies.empty()) << dest << ": icmplib timed out, icmpkit got\n" << r.out;
      continue;
    }
    ASSERT_EQ(replies.size(), 1u) << dest << " icmplib: " << theirs["class"].str;
    EXPECT_EQ(replies[0]["type"].num, theirs["type"].num) << dest;
    EXPECT_EQ(replies[0]["code"].num, theirs["code"].num) << dest;
    int t = static_cast<int>(replies[0]["type"].num);
    std::string ours = (family() == 4 ? t == 3 : t == 1)   ? "DestinationUnreachable"
                       : (family() == 4 ? t == 11 : t == 3) ? "TimeExceeded"
                                                            : "ICMPError";
    EXPECT_NE(theirs["class"].str.find(ours), std::string::npos)
        << dest << ": icmplib says " << theirs["class"].str;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, CliVersusIcmplib,
                         ::testing::Combine(::testing::Values(Mode::privileged),
                                            ::testing::Values(4, 6)),
                         [](const ::testing::TestParamInfo<std::tuple<Mode, int>> &i) {
                           return "V" + std::to_string(std::get<1>(i.param));
                         });

// The issue's convention for human output: error lines as iputils ping
// prints them. Both run in the pinger namespace against the same refusals;
// the router and the words must agree (ping counts icmp_seq from 1).
class CliVersusIputils : public CliChain {};

std::string ErrorLine(const std::string &out) {
  static const std::regex from(R"(^From (\S+) icmp_seq=\d+ (.+)$)");
  for (const std::string &line : SplitLines(out)) {
    std::smatch m;
    if (std::regex_match(line, m, from)) return m[1].str() + " " + m[2].str();
  }
  return "";
}

TEST_P(CliVersusIputils, ErrorLinesReadAsIputilsPings) {
  for (Chain::Fate f : {Chain::Fate::no_route, Chain::Fate::unreachable_route,
                        Chain::Fate::prohibit_route, Chain::Fate::nft_host_unreachable,
                        Chain::Fate::nft_admin_prohibited, Chain::Fate::routing_loop}) {
    std::string dest = Chain::address_for(f, family());
    if (IsRouteFate(f)) SpareRouteErrors(family(), 1);
    CliRun ours = Run("ping -c 1 -W 0.5 " + dest);
    if (IsRouteFate(f)) SpareRouteErrors(family(), 1);
    iknet::CommandResult theirs = chain_->topo.exec("pinger", "ping -n -c 1 -W 1 " + dest);
    std::string line = ErrorLine(ours.out);
    EXPECT_NE(line, "") << dest << ":\n" << ours.out;
    EXPECT_EQ(line, ErrorLine(theirs.output)) << dest << "\nicmpkit:\n" << ours.out << "iputils:\n" << theirs.output;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, CliVersusIputils,
                         ::testing::Combine(::testing::Values(Mode::privileged),
                                            ::testing::Values(4, 6)),
                         [](const ::testing::TestParamInfo<std::tuple<Mode, int>> &i) {
                           return "V" + std::to_string(std::get<1>(i.param));
                         });

// ---- issue 17: ping and multiping behave like ping(8) and fping ----
//
// Each test runs icmpkit and, where they apply, iputils ping or fping on the
// same scenario in the pinger namespace, and compares what was counted.

namespace {

class CliLikePing : public CliChain {
 protected:
  // icmpkit (args after the command word, with the mode's option) in the
  // background while shell runs in the pinger namespace; then both end.
  CliRun RunWhile(const std::string &args, const std::string &shell) {
    static int n = 0;
    std::string base = "/tmp/ik-cli17-" + std::to_string(getpid()) + "-" + std::to_string(++n);
    size_t sp = args.find(' ');
    std::string cli = (mode() == Mode::nobody_auto ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "") +
                      Cli() + " " + args.substr(0, sp + 1) + ModeArgs(mode()) + args.substr(sp + 1);
    iknet::CommandResult r = chain_->topo.exec(
        "pinger", "(" + cli + " >" + base + ".out 2>" + base + ".err; echo $? >" + base +
                      ".rc) & " + shell + "; wait");
    CliRun out;
    out.status = std::atoi(Slurp(base + ".rc").c_str());
    out.out = Slurp(base + ".out");
    out.err = Slurp(base + ".err") + r.output;
    for (const char *ext : {".out", ".err", ".rc"}) std::remove((base + ext).c_str());
    return out;
  }
  // "N packets transmitted, M received[, +E errors]" of ping's statistics.
  static void Counts(const std::string &out, int *sent, int *received, int *errors) {
    static const std::regex stats(R"((\d+) packets transmitted, (\d+) received(, \+(\d+) errors)?)");
    std::smatch m;
    *sent = *received = *errors = -1;
    if (!std::regex_search(out, m, stats)) return;
    *sent = std::stoi(m[1].str());
    *received = std::stoi(m[2].str());
    *errors = m[4].matched ? std::stoi(m[4].str()) : 0;
  }
  // The pinger's default route goes away for about half a second.
  std::string RouteFlap() const {
    std::string v = family() == 4 ? "ip -4 " : "ip -6 ";
    return "sleep 0.5; " + v + "route del default; sleep 0.5; " + v + "route add default via " +
           Chain::router_address(1, family());
  }
};

}  // namespace

// The tests that need what only root may ask (issue 18's floors refuse
// -i below 2 ms and a broadcast ping faster than once a second to other
// users): run as root, with a raw and with an unprivileged socket.
class CliLikePingAsRoot : public CliLikePing {};

// Without -c, ping goes on until Ctrl-C (it used to stop after 4 probes).
TEST_P(CliLikePing, PingWithoutCountRunsUntilInterrupted) {
  std::string target = Chain::target_address(family());
  CliRun r = RunCliIn(&chain_->topo, "pinger", "ping " + ModeArgs(mode()) + "-i 0.1 -W 1 " + target,
                      mode() == Mode::nobody_auto, 1.05);
  EXPECT_EQ(r.status, 0) << r.err;
  int sent, received, errors;
  Counts(r.out, &sent, &received, &errors);
  EXPECT_GE(sent, 8) << r.out;  // 11 at 0.1 s apart in 1.05 s; 4 before the fix
  EXPECT_EQ(received, sent) << r.out;
}

// -c past 65535: the sequence numbers wrap (65,600 probes: 64 of them reuse
// a sequence number) and every reply still matches its own probe, none
// taken for a copy of the previous lap's. iputils needs root for -i 0, so
// the count is checked against itself.
TEST_P(CliLikePingAsRoot, CountPastTheSequenceWrapMatchesEveryReply) {
  std::string target = Chain::target_address(family());
  CliRun r = Run("ping -c 65600 -i 0.00001 -W 2 --json " + target);
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<Value> lines = Lines(r);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["packets_sent"].num, 65600);
  EXPECT_EQ(lines[0]["packets_received"].num, 65600);
  EXPECT_EQ(lines[0]["duplicates"].num, 0);
  const auto &replies = lines[0]["replies"].arr;
  ASSERT_EQ(replies.size(), 65600u);
  EXPECT_EQ(replies.back()["sequence"].num, (65600 - 1) % 65536);
}

// The route is gone for half a second: each send that fails is reported on
// standard error, counted as transmitted and lost, and the run goes on, as
// iputils ping does (exit 0 once replies came).
TEST_P(CliLikePing, TransientSendErrorsAreReportedAndTheRunGoesOn) {
  std::string target = Chain::target_address(family());
  CliRun ours = RunWhile("ping -c 8 -i 0.2 -W 1 " + target, RouteFlap());
  iknet::CommandResult theirs =
      chain_->topo.exec("pinger", "(ping -n -c 8 -i 0.2 -W 1 " + target + "; echo rc=$?) & " +
                                      RouteFlap() + "; wait");
  int sent, received, errors, tsent, treceived, terrors;
  Counts(ours.out, &sent, &received, &errors);
  Counts(theirs.output, &tsent, &treceived, &terrors);
  EXPECT_EQ(ours.status, 0) << ours.out << ours.err;
  EXPECT_NE(theirs.output.find("rc=0"), std::string::npos) << theirs.output;
  EXPECT_EQ(sent, 8) << ours.out;
  EXPECT_EQ(tsent, 8) << theirs.output;
  EXPECT_EQ(errors, terrors) << ours.out << theirs.output;
  // Both lose the probes of the same half second (one either way: the
  // flap and the sends are not in step).
  EXPECT_GE(received, 4) << ours.out;
  EXPECT_LE(received, 7) << ours.out;
  EXPECT_LE(std::abs(received - treceived), 1) << ours.out << theirs.output;
  size_t failed = 0;
  for (const std::string &line : SplitLines(ours.err))
    if (line.find("icmp_seq=") != std::string::npos &&
        line.find("Network is unreachable") != std::string::npos)
      failed++;
  EXPECT_EQ(failed, static_cast<size_t>(8 - received)) << ours.err;
  CliRun json = RunWhile("ping -c 8 -i 0.2 -W 1 --json " + target, RouteFlap());
  std::vector<Value> lines = Lines(json);
  ASSERT_EQ(lines.size(), 1u) << json.err;
  EXPECT_EQ(lines[0]["packets_sent"].num, 8);
  EXPECT_GE(lines[0]["send_errors"].num, 1);
  EXPECT_EQ(lines[0]["send_errors"].num + lines[0]["packets_received"].num, 8) << json.out;
  EXPECT_EQ(lines[0]["replies"].arr.size(), lines[0]["packets_received"].num);
}

// A neighbour that does not answer ARP / neighbour discovery: the pinger's
// own Host Unreachable comes about 3 s after the probe, long after -W 1.
// iputils prints each and counts them as errors; so does icmpkit now.
TEST_P(CliLikePing, IcmpErrorsAfterTheTimeoutAreReportedAndCounted) {
  std::string prefix = family() == 4 ? "198.18.100." : "fd00:0:0:100::";
  std::string own = Chain::pinger_second_address(family());
  CliRun ours = Run("ping -c 6 -i 1 -W 1 " + prefix + "77");
  iknet::CommandResult theirs = chain_->topo.exec("pinger", "ping -n -c 6 -i 1 -W 1 " + prefix + "78");
  int sent, received, errors, tsent, treceived, terrors;
  Counts(ours.out, &sent, &received, &errors);
  Counts(theirs.output, &tsent, &treceived, &terrors);
  if (terrors < 3) {
    // Seen once in CI on a loaded machine: iputils got the error of one
    // probe only (its neighbour queue's timing, not ours); ask it again,
    // at another address with no neighbour entry yet.
    theirs = chain_->topo.exec("pinger", "ping -n -c 6 -i 1 -W 1 " + prefix + "79");
    Counts(theirs.output, &tsent, &treceived, &terrors);
  }
  EXPECT_EQ(ours.status, 1) << ours.err;
  EXPECT_EQ(sent, 6);
  EXPECT_EQ(received, 0);
  EXPECT_GE(terrors, 3) << theirs.output;
  // The errors of the first three or four probes (the first resolution's
  // queue): the same count give or take the one probe sent as it fails.
  EXPECT_GE(errors, 3) << ours.out;
  EXPECT_LE(std::abs(errors - terrors), 1) << ours.out << theirs.output;
  std::string words = family() == 4 ? "Destination Host Unreachable"
                                    : "Destination unreachable: Address unreachable";
  EXPECT_NE(ours.out.find("From " + own + " icmp_seq="), std::string::npos) << ours.out;
  EXPECT_NE(ours.out.find(words), std::string::npos) << ours.out;
  EXPECT_EQ(ErrorLine(ours.out), ErrorLine(theirs.output)) << ours.out << theirs.output;
}

// The pinger answers its own broadcast (IPv4) or multicast (IPv6) probe:
// that copy's receive stamp can precede the transmit stamp, and it showed
// time=0.000 ms. iputils measures from the user-space send time.
TEST_P(CliLikePingAsRoot, OwnCopyOfAGroupReplyHasARealRtt) {
  chain_->topo.sysctl("pinger", "net.ipv4.icmp_echo_ignore_broadcasts", "0");
  std::string args = family() == 4 ? "ping -b -c 3 -i 0.1 -W 0.5 --json " + Chain::broadcast_address()
                                   : std::string("ping -c 3 -i 0.1 -W 0.5 --json ff02::1%br0");
  CliRun r = Run(args);
  chain_->topo.sysctl("pinger", "net.ipv4.icmp_echo_ignore_broadcasts", "1");
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<Value> lines = Lines(r);
  ASSERT_EQ(lines.size(), 1u);
  iknet::CommandResult own = chain_->topo.exec(
      "pinger", family() == 4 ? "echo " + Chain::pinger_second_address(4)
                              : "ip -6 -o addr show dev br0 scope link | sed -E 's|.* inet6 ([^/]+)/.*|\\1|'");
  std::string mine = own.output.substr(0, own.output.find('\n'));
  int seen = 0;
  for (const Value &rep : lines[0]["replies"].arr) {
    if (rep["source"].str.substr(0, rep["source"].str.find('%')) != mine) continue;
    seen++;
    EXPECT_GT(rep["rtt"].num, 0) << r.out;
  }
  EXPECT_GE(seen, 1) << mine << " did not answer itself\n" << r.out;
}

INSTANTIATE_TEST_SUITE_P(
    ModesAndFamilies, CliLikePingAsRoot,
    ::testing::Combine(::testing::Values(Mode::privileged, Mode::unprivileged), ::testing::Values(4, 6)),
    [](const ::testing::TestParamInfo<std::tuple<Mode, int>> &i) {
      return std::string(std::get<0>(i.param) == Mode::privileged ? "Raw" : "Dgram") + "V" +
             std::to_string(std::get<1>(i.param));
    });

INSTANTIATE_TEST_SUITE_P(
    ModesAndFamilies, CliLikePing,
    ::testing::Combine(::testing::Values(Mode::privileged, Mode::nobody_auto), ::testing::Values(4, 6)),
    [](const ::testing::TestParamInfo<std::tuple<Mode, int>> &i) {
      return std::string(std::get<0>(i.param) == Mode::privileged ? "Raw" : "NobodyAuto") + "V" +
             std::to_string(std::get<1>(i.param));
    });

// The unspecified address and a link-local one without its zone are refused
// at once, with a message saying what to use (iputils sends 0.0.0.0 to the
// local host, waits out :: and fe80::1, and warns about the zone).
TEST(CliTool, UnspecifiedAndZonelessLinkLocalAreRefusedAtOnce) {
  REQUIRE_CLI();
  struct Case {
    const char *host, *words;
  } cases[] = {{"0.0.0.0", "0.0.0.0 is the unspecified address, which no host has: use 127.0.0.1"},
               {"::", ":: is the unspecified address, which no host has: use ::1"},
               {"fe80::1", "fe80::1 is a link-local address: name the interface as a zone, e.g. fe80::1%eth0"},
               {"ff02::1", "ff02::1 is a link-local address: name the interface as a zone"}};
  for (const Case &c : cases) {
    CliRun r = RunCli(nullptr, "", std::string("ping -c 1 -W 5 ") + c.host);
    EXPECT_EQ(r.status, 2) << c.host;
    EXPECT_EQ(r.out, "") << c.host;
    EXPECT_NE(r.err.find(c.words), std::string::npos) << c.host << ": " << r.err;
  }
}

// ---- multiping next to fping ----

namespace {

bool HasKey(const Value &v, const std::string &key) {
  for (const auto &kv : v.obj)
    if (kv.first == key) return true;
  return false;
}

class CliLikeFping : public CliLikePing {
 protected:
  // fping's -c summary (on its standard error): target -> "xmt/rcv".
  std::map<std::string, std::string> Fping(const std::string &args) {
    iknet::CommandResult r = chain_->topo.exec("pinger", "fping " + args + " 2>&1");
    std::map<std::string, std::string> m;
    static const std::regex line(R"(^(\S+)\s+: xmt/rcv/%loss = (\d+/\d+)/)");
    for (const std::string &l : SplitLines(r.output)) {
      std::smatch x;
      if (std::regex_search(l, x, line)) m[x[1].str()] = x[2].str();
    }
    fping_output_ = r.output;
    return m;
  }
  std::string fping_output_;
};

}  // namespace

// A name that does not resolve no longer stops the run: it is reported
// (standard error, fping style), the others are probed, exit 1; JSON gets
// "error" for it and "name" for every target (address stays the address).
TEST_P(CliLikeFping, UnresolvedNameIsReportedAndTheOthersAreProbed) {
  std::string target = Chain::target_address(family());
  std::string dead = Chain::address_for(Chain::Fate::blackhole_route, family());
  // localhost: a name that resolves to another address. This host's
  // hosts file gives it no IPv6 address, which icmpkit's RFC 6761 rule
  // gives it, so fping would drop it: IPv6 probes the target twice.
  std::string local = family() == 4 ? "localhost" : target;
  std::string list = target + " nosuch.invalid " + local + " " + dead;
  CliRun text = Run("multiping -c 2 -i 0.1 -W 0.3 " + list);
  EXPECT_EQ(text.status, 1) << text.err;
  EXPECT_NE(text.err.find("nosuch.invalid"), std::string::npos) << text.err;
  std::map<std::string, std::string> ours;
  static const std::regex line(R"(^(\S+)\s+: xmt/rcv/%loss = (\d+/\d+)/)");
  for (const std::string &l : SplitLines(text.out)) {
    std::smatch x;
    if (std::regex_search(l, x, line)) ours[x[1].str()] = x[2].str();
  }
  std::map<std::string, std::string> theirs =
      Fping(std::string("-") + std::to_string(family()) + " -c 2 -p 100 -t 300 " + list);
  EXPECT_EQ(ours, theirs) << text.out << "fping:\n" << fping_output_;
  EXPECT_EQ(ours.count("nosuch.invalid"), 0u);
  EXPECT_NE(text.out.find("2 of 4 hosts alive"), std::string::npos) << text.out;
  EXPECT_EQ(SplitLines(text.out).size(), 3u + 2u) << text.out;  // no line for the bad name

  CliRun json = Run("multiping -c 1 -W 0.3 --json " + list);
  EXPECT_EQ(json.status, 1) << json.err;
  std::vector<Value> lines = Lines(json);
  ASSERT_EQ(lines.size(), 4u) << json.err;
  EXPECT_EQ(lines[0]["name"].str, target);
  EXPECT_EQ(lines[0]["address"].str, target);
  EXPECT_TRUE(lines[0]["is_alive"].b);
  EXPECT_FALSE(HasKey(lines[0], "error"));
  EXPECT_EQ(lines[1]["name"].str, "nosuch.invalid");
  EXPECT_NE(lines[1]["error"].str.find("nosuch.invalid"), std::string::npos) << json.out;
  EXPECT_EQ(lines[1]["packets_sent"].num, 0);
  EXPECT_EQ(lines[2]["name"].str, local);
  EXPECT_EQ(lines[2]["address"].str, family() == 4 ? "127.0.0.1" : target);
  EXPECT_TRUE(lines[2]["is_alive"].b);
  EXPECT_FALSE(lines[3]["is_alive"].b);
  EXPECT_FALSE(HasKey(lines[3], "error"));
}

// A broadcast target (multiping has no -b) gets the reason in JSON, not
// only on standard error; so does an address ping refuses.
TEST_P(CliLikeFping, UnprobeableTargetsGetAnErrorKey) {
  if (family() == 6) GTEST_SKIP() << "IPv6 has no broadcast; :: is covered with IPv4's 0.0.0.0";
  std::string target = Chain::target_address(family());
  CliRun r = Run("multiping -c 1 -W 0.3 --json " + target + " " + Chain::broadcast_address() +
                 " 0.0.0.0 ::");
  EXPECT_EQ(r.status, 1) << r.err;
  std::vector<Value> lines = Lines(r);
  ASSERT_EQ(lines.size(), 4u) << r.err;
  EXPECT_TRUE(lines[0]["is_alive"].b);
  EXPECT_NE(lines[1]["error"].str.find("broadcast"), std::string::npos) << r.out;
  EXPECT_NE(lines[2]["error"].str.find("unspecified"), std::string::npos) << r.out;
  EXPECT_NE(lines[3]["error"].str.find("unspecified"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("broadcast"), std::string::npos) << r.err;
}

// -a and -u select the lines as fping's -a and -u select the targets.
TEST_P(CliLikeFping, AliveAndUnreachableFiltersAgreeWithFping) {
  std::string target = Chain::target_address(family());
  std::string r2 = Chain::router_address(2, family());
  std::string dead = Chain::address_for(Chain::Fate::blackhole_route, family());
  std::string refused = Chain::address_for(Chain::Fate::prohibit_route, family());
  std::string list = target + " " + dead + " " + r2 + " " + refused;
  for (const char *flag : {"-a", "-u"}) {
    SpareRouteErrors(family(), 2);
    CliRun ours = Run(std::string("multiping -c 1 -W 0.3 ") + flag + " " + list);
    EXPECT_EQ(ours.status, 1) << ours.err;
    std::vector<std::string> shown;
    for (const std::string &l : SplitLines(ours.out))
      if (l.find(" : xmt/rcv") != std::string::npos) shown.push_back(l.substr(0, l.find(' ')));
    SpareRouteErrors(family(), 2);
    iknet::CommandResult theirs =
        chain_->topo.exec("pinger", std::string("fping ") + flag + " -r 0 -t 300 " + list + " 2>/dev/null");
    EXPECT_EQ(shown, SplitLines(theirs.output)) << flag << "\nicmpkit:\n" << ours.out
                                                << "fping:\n" << theirs.output;
    CliRun json = Run(std::string("multiping -c 1 -W 0.3 --json ") + flag + " " + list);
    std::vector<std::string> objects;
    for (const Value &v : Lines(json)) objects.push_back(v["name"].str);
    EXPECT_EQ(objects, shown) << json.out;
  }
}

// -I, -s, -t and -Q reach the wire for multiping as for ping.
TEST_P(CliLikeFping, SourceSizeTtlAndTrafficClassApply) {
  std::string target = Chain::target_address(family());
  std::string second = Chain::pinger_second_address(family());
  iknet::Capture cap(chain_->topo.ns("r1"), "eth0");  // r1's side of link 1, before forwarding
  CliRun r = Run("multiping -c 1 -W 0.5 --json -I " + second + " -s 100 -t 2 -Q 0x20 " + target);
  EXPECT_EQ(r.status, 1) << r.err;  // the TTL runs out at r2
  std::vector<Value> lines = Lines(r);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  ASSERT_EQ(lines[0]["replies"].arr.size(), 1u) << r.out;
  EXPECT_EQ(lines[0]["replies"].arr[0]["type"].num, family() == 4 ? 11 : 3);
  iknet::Capture::Packet p;
  ASSERT_TRUE(cap.next(1.0,
                       [&](const iknet::Capture::Packet &q) {
                         return q.destination == target && q.icmp_type == (family() == 4 ? 8 : 128);
                       },
                       &p));
  EXPECT_EQ(p.source, second);
  EXPECT_EQ(p.hop_limit, 2);
  EXPECT_EQ(p.traffic_class, 0x20);
  CliRun big = Run("multiping -c 1 -W 0.5 --json -s 100 " + target);
  std::vector<Value> b = Lines(big);
  ASSERT_EQ(b.size(), 1u);
  ASSERT_EQ(b[0]["replies"].arr.size(), 1u);
  EXPECT_EQ(b[0]["replies"].arr[0]["bytes_received"].num, 108);
}

INSTANTIATE_TEST_SUITE_P(
    ModesAndFamilies, CliLikeFping,
    ::testing::Combine(::testing::Values(Mode::privileged, Mode::nobody_auto), ::testing::Values(4, 6)),
    [](const ::testing::TestParamInfo<std::tuple<Mode, int>> &i) {
      return std::string(std::get<0>(i.param) == Mode::privileged ? "Raw" : "NobodyAuto") + "V" +
             std::to_string(std::get<1>(i.param));
    });

// ---- -I: an interface name or an address (issue 17) ----

namespace {

class CliSource : public CliChain {
 protected:
  // The command with its options and the target, made to end quickly.
  static std::string Command(const std::string &cmd, const std::string &source, const std::string &to) {
    std::string quick = cmd == "traceroute" ? " -c 1 -W 0.5 -m 4" : " -c 1 -W 0.5";
    return cmd + quick + " -I " + source + " " + to;
  }
  // Whether an echo request to `to` reaches r1 (out of the pinger's eth0)
  // while args run; its source in *source.
  bool ReachesR1(const std::string &args, const std::string &to, CliRun *r, std::string *source) {
    iknet::Capture cap(chain_->topo.ns("r1"), "eth0");  // the capture sees only incoming packets
    *r = Run(args);
    iknet::Capture::Packet p;
    bool seen = cap.next(0.5,
                         [&](const iknet::Capture::Packet &q) {
                           return q.destination == to && q.icmp_type == (family() == 4 ? 8 : 128);
                         },
                         &p);
    *source = p.source;
    return seen;
  }
};

}  // namespace

// -I eth0 sends through the link toward r1 and reaches the target; -I br0
// (no route to the target there) sends nothing toward r1 and gets nothing.
TEST_P(CliSource, InterfaceNameSendsThroughThatInterface) {
  std::string target = Chain::target_address(family());
  for (const char *cmd : {"ping", "multiping", "traceroute"}) {
    CliRun r;
    std::string source;
    EXPECT_TRUE(ReachesR1(Command(cmd, "eth0", target), target, &r, &source)) << cmd;
    EXPECT_EQ(source, Chain::pinger_address(family())) << cmd;
    EXPECT_EQ(r.status, 0) << cmd << "\n" << r.out << r.err;
    EXPECT_FALSE(ReachesR1(Command(cmd, "br0", target), target, &r, &source))
        << cmd << " -I br0 went out of eth0\n" << r.out << r.err;
    // 1, or 2 where the send fails (IPv6: no route on br0) and the command
    // gives up on send errors (traceroute).
    EXPECT_NE(r.status, 0) << cmd << " -I br0\n" << r.out << r.err;
  }
}

// -I ADDRESS: the address is the packets' source, for each command.
TEST_P(CliSource, AddressIsTheSourceOnTheWire) {
  std::string target = Chain::target_address(family());
  std::string second = Chain::pinger_second_address(family());
  for (const char *cmd : {"ping", "multiping", "traceroute"}) {
    CliRun r;
    std::string source;
    EXPECT_TRUE(ReachesR1(Command(cmd, second, target), target, &r, &source)) << cmd;
    EXPECT_EQ(source, second) << cmd;
    EXPECT_EQ(r.status, 0) << cmd << "\n" << r.out << r.err;
  }
}

// What is wrong with -I is said once, exit 2, nothing on standard output
// and no permission advice.
TEST_P(CliSource, WrongSourcesAreNamed) {
  std::string target = Chain::target_address(family());
  std::string other = Chain::pinger_address(family() == 4 ? 6 : 4);
  std::string foreign = Chain::unassigned_local_address(family());
  for (const char *cmd : {"ping", "traceroute", "multiping"}) {
    std::vector<std::pair<std::string, std::string>> cases = {
        {Command(cmd, "xyz0", target), "no interface named 'xyz0'"},
        {Command(cmd, foreign, target), foreign + " is not an address of this host"},
    };
    if (std::string(cmd) != "multiping")  // multiping: the other family's targets use the default
      cases.push_back({Command(cmd, other, target),
                       "-I " + other + " is an IPv" + std::to_string(family() == 4 ? 6 : 4) +
                           " address; the target " + target + " is IPv" + std::to_string(family())});
    for (const auto &c : cases) {
      CliRun r = Run(c.first);
      EXPECT_EQ(r.status, 2) << c.first << "\n" << r.err;
      EXPECT_EQ(r.out, "") << c.first;
      size_t at = r.err.find(c.second);
      EXPECT_NE(at, std::string::npos) << c.first << "\n" << r.err;
      if (at != std::string::npos) {
        EXPECT_EQ(r.err.find(c.second, at + 1), std::string::npos) << c.first << ": said twice\n" << r.err;
      }
      EXPECT_EQ(r.err.find("ping_group_range"), std::string::npos) << c.first << "\n" << r.err;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    ModesAndFamilies, CliSource,
    ::testing::Combine(::testing::Values(Mode::privileged, Mode::unprivileged, Mode::nobody_auto),
                       ::testing::Values(4, 6)),
    ModeFamilyName);
