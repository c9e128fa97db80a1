// The icmpkit command-line tool driven in the namespace chain
// (pinger - r1 - r2 - r3 - target), its exit statuses and JSON checked by a
// parser, and its verdicts compared with Debian's python3-icmplib on the
// same scenario.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "../unit/cli_json_parser.h"
#include "netns.h"

#ifndef IKNET_ICMPKIT_CLI
#define IKNET_ICMPKIT_CLI ""
#endif
#ifndef IKNET_CLI_ICMPLIB_PY
#define IKNET_CLI_ICMPLIB_PY ""
#endif

using iknet::Chain;
using testjson::Value;

namespace {

// The executable under test; IKNET_ICMPKIT_CLI in the environment wins.
std::string Cli() {
  const char *e = std::getenv("IKNET_ICMPKIT_CLI");
  return e && *e ? e : IKNET_ICMPKIT_CLI;
}

#define REQUIRE_CLI()                                                              \
  do {                                                                             \
    if (Cli().empty()) GTEST_SKIP() << "the icmpkit tool is not built (ICMPKIT_BUILD_TOOLS=OFF)"; \
  } while (0)

struct CliRun {
  int status = -1;
  std::string out, err;
};

std::string Slurp(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

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
      {"ping -c 0 127.0.0.1", "-c: COUNT must be an integer from 1 to 65535"},
      {"ping -t 256 127.0.0.1", "-t: TTL"},
      {"ping -W nan 127.0.0.1", "-W: TIMEOUT"},
      {"ping -s 65508 127.0.0.1", "-s: SIZE"},
      {"multiping --rate -1 127.0.0.1", "--rate: PPS"},
      {"multiping -g 10.0.0.0/8", "2^24 addresses"},
      {"traceroute -f 9 -m 3 127.0.0.1", "-f: FIRST_HOP (9) is beyond MAX_HOPS (3)"},
      {"ping nonexistent.invalid", "nonexistent.invalid"},
      {"multiping 127.0.0.1 nonexistent.invalid", "nonexistent.invalid"},
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

INSTANTIATE_TEST_SUITE_P(
    ModesAndFamilies, CliChain,
    ::testing::Combine(::testing::Values(Mode::privileged, Mode::unprivileged, Mode::nobody_auto),
                       ::testing::Values(4, 6)),
    [](const ::testing::TestParamInfo<std::tuple<Mode, int>> &i) {
      Mode m = std::get<0>(i.param);
      return std::string(m == Mode::privileged ? "Raw" : m == Mode::unprivileged ? "Dgram" : "NobodyAuto") +
             "V" + std::to_string(std::get<1>(i.param));
    });

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
