// Issue 18: the icmpkit tool installed the way distributions install ping
// (a copy with `setcap cap_net_raw+ep`), run by nobody in a namespace whose
// ping_group_range admits no one, so the capability is what makes it work.
// The floors for users who are not root refuse with exit 2; an allowed run
// works and, while it runs, holds no capability and has no_new_privs set.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <regex>
#include <string>

#include "netns.h"

#ifndef IKNET_ICMPKIT_CLI
#define IKNET_ICMPKIT_CLI ""
#endif

namespace {

const char kAsNobody[] = "setpriv --reuid=65534 --regid=65534 --clear-groups ";

std::string CliPath() {
  const char *e = std::getenv("IKNET_ICMPKIT_CLI");
  return e && *e ? e : IKNET_ICMPKIT_CLI;
}
#define IKNET_ICMPKIT_CLI_OR_ENV CliPath()

class SetcapCli : public ::testing::Test {
 protected:
  void SetUp() override {
    IKNET_REQUIRE_ROOT();
    const char *e = std::getenv("IKNET_ICMPKIT_CLI");
    std::string cli = e && *e ? e : IKNET_ICMPKIT_CLI;
    if (cli.empty()) GTEST_SKIP() << "the icmpkit tool is not built (ICMPKIT_BUILD_TOOLS=OFF)";
    char dir[] = "/tmp/ik-setcap-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    chmod(dir, 0755);
    copy_ = SetcapCopy(cli, "icmpkit");
    ASSERT_FALSE(HasFailure());
    topo_.reset(new iknet::Topology);
    topo_->add("solo");
    topo_->sysctl("solo", "net.ipv4.ping_group_range", "1 0");  // no datagram sockets for anyone
  }
  void TearDown() override {
    topo_.reset();
    if (!dir_.empty()) iknet::run_command("rm -rf " + dir_);
  }
  iknet::CommandResult Run(const std::string &args, bool nobody = true) {
    return topo_->exec("solo", (nobody ? kAsNobody : "") + copy_ + " " + args + " 2>&1");
  }
  // A setcap'd copy of program in the temporary directory.
  std::string SetcapCopy(const std::string &program, const std::string &name) {
    std::string copy = dir_ + "/" + name;
    iknet::CommandResult r = iknet::run_command("cp " + program + " " + copy + " && chmod 755 " + copy +
                                                " && setcap cap_net_raw+ep " + copy + " && getcap " + copy);
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("cap_net_raw"), std::string::npos) << r.output;
    return copy;
  }
  // Starts the copy (or program) as nobody, reads its /proc/PID/status
  // after `after` seconds, and returns "status lines\n---\noutput\nrc=N".
  std::string RunAndWatch(const std::string &args, double after, std::string program = "") {
    std::string out = "/tmp/ik-setcap-run-" + std::to_string(getpid());
    if (program.empty()) program = copy_;
    iknet::CommandResult r = topo_->exec(
        "solo", std::string(kAsNobody) + program + " " + args + " >" + out + " 2>&1 & p=$!; sleep " +
                    std::to_string(after) + "; grep -E '^(Cap|NoNewPrivs|Uid)' /proc/$p/status; echo ---; wait $p; " +
                    "rc=$?; cat " + out + "; rm -f " + out + "; echo rc=$rc");
    return r.output;
  }

  std::string dir_, copy_;
  std::unique_ptr<iknet::Topology> topo_;
};

void ExpectNoCapabilityLeft(const std::string &watched, const std::string &what) {
  for (const char *set : {"CapInh", "CapPrm", "CapEff", "CapAmb"})
    EXPECT_NE(watched.find(std::string(set) + ":\t0000000000000000\n"), std::string::npos)
        << what << ": " << set << " not empty\n" << watched;
  EXPECT_NE(watched.find("NoNewPrivs:\t1\n"), std::string::npos) << what << "\n" << watched;
  EXPECT_NE(watched.find("Uid:\t65534\t65534\t65534\t65534\n"), std::string::npos) << what << "\n" << watched;
}

}  // namespace

TEST_F(SetcapCli, UserFloorsAreRefusedWithExitTwo) {
  const std::pair<const char *, const char *> cases[] = {
      {"ping -i 0 -c 65535 127.0.0.1", "cannot flood; minimal interval allowed for user is 2ms"},
      {"ping -i 0.001 -c 1 ::1", "cannot flood; minimal interval allowed for user is 2ms"},
      {"ping -b -i 0.5 -c 1 127.0.0.1", "broadcast ping with too short interval: 500ms"},
      {"ping -s 65507 -i 0.002 -c 1 127.0.0.1", "at most 10000000 allowed for user"},
      {"multiping --rate 0 -g 127.2.0.0/16", "--rate: at most 1000 probes per second allowed for user"},
      {"multiping --rate 5000 127.0.0.1", "--rate: at most 1000 probes per second allowed for user"},
      {"multiping -i 0.001 127.0.0.1", "-i: minimal interval per host allowed for user is 10ms"},
      {"traceroute -i 0 127.0.0.1", "cannot flood; minimal interval allowed for user is 2ms"},
  };
  for (const auto &c : cases) {
    iknet::CommandResult r = Run(c.first);
    EXPECT_EQ(r.status, 2) << c.first << "\n" << r.output;
    EXPECT_NE(r.output.find(c.second), std::string::npos) << c.first << "\n" << r.output;
    EXPECT_EQ(r.output.find("PING"), std::string::npos) << c.first << ": nothing is sent\n" << r.output;
  }
}

TEST_F(SetcapCli, RootKeepsEveryOption) {
  for (const char *args : {"ping -i 0 -c 20 -W 1 127.0.0.1", "ping -s 65507 -i 0 -c 3 -W 1 127.0.0.1",
                           "multiping --rate 0 -i 0 -c 1 -W 1 127.0.0.1 ::1", "traceroute -i 0 -c 1 -W 1 ::1"}) {
    iknet::CommandResult r = Run(args, false);
    EXPECT_EQ(r.status, 0) << args << "\n" << r.output;
  }
}

TEST_F(SetcapCli, AllowedPingWorksWithoutAnyCapabilityLeft) {
  std::string watched = RunAndWatch("ping --privileged -c 4 -i 0.4 127.0.0.1", 0.6);
  ExpectNoCapabilityLeft(watched, "ping");
  EXPECT_NE(watched.find("4 packets transmitted, 4 received, 0% packet loss"), std::string::npos) << watched;
  EXPECT_NE(watched.find("rc=0"), std::string::npos) << watched;
}

TEST_F(SetcapCli, AllowedMultipingOfBothFamiliesWorksWithoutAnyCapabilityLeft) {
  std::string watched = RunAndWatch("multiping -c 4 -i 0.4 127.0.0.1 ::1", 0.6);
  ExpectNoCapabilityLeft(watched, "multiping");
  EXPECT_NE(watched.find("2 of 2 hosts alive"), std::string::npos) << watched;
  EXPECT_NE(watched.find("rc=0"), std::string::npos) << watched;
}

TEST_F(SetcapCli, TracerouteWorksWithoutAnyCapabilityLeft) {
  std::string watched = RunAndWatch("traceroute -6 -c 3 -i 0.4 ::1", 0.6);
  ExpectNoCapabilityLeft(watched, "traceroute");
  EXPECT_NE(watched.find("rc=0"), std::string::npos) << watched;
}

// Issue 17: the advice follows the situation. The setcap'd copy, asked for
// a datagram socket the range refuses, is told to set the range or to
// leave out --unprivileged, never to setcap itself or to run as root; a
// -I interface works through the capability too.
TEST_F(SetcapCli, PermissionAdviceNeverRepeatsWhatHolds) {
  iknet::CommandResult r = Run("ping --unprivileged -c 1 127.0.0.1");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("sysctl -w net.ipv4.ping_group_range"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("leave out --unprivileged"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("uid 65534 gid 65534, outside the range, with CAP_NET_RAW"), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("setcap"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("run icmpkit as root"), std::string::npos) << r.output;
  iknet::CommandResult dev = Run("ping --privileged -c 1 -W 1 -I lo 127.0.0.1");
  EXPECT_EQ(dev.status, 0) << dev.output;
}

// Root is never told to run as root, nor a group inside the range to set it.
TEST_F(SetcapCli, RootAndUsersInsideTheRangeGetNoAdviceThatAlreadyHolds) {
  // Root without CAP_NET_RAW (as in a container), datagram sockets refused.
  iknet::CommandResult root =
      topo_->exec("solo", "setpriv --inh-caps=-all --bounding-set=-net_raw " + std::string(IKNET_ICMPKIT_CLI_OR_ENV) +
                              " ping -c 1 127.0.0.1 2>&1");
  EXPECT_EQ(root.status, 2) << root.output;
  EXPECT_EQ(root.output.find("run icmpkit as root"), std::string::npos) << root.output;
  EXPECT_NE(root.output.find("lacks it"), std::string::npos) << root.output;
  topo_->sysctl("solo", "net.ipv4.ping_group_range", "0 2147483647");
  iknet::CommandResult inside = Run("ping --privileged -c 1 127.0.0.1", true);
  // The copy has the capability: use the plain binary for a user without it.
  iknet::CommandResult plain = topo_->exec(
      "solo", std::string(kAsNobody) + IKNET_ICMPKIT_CLI_OR_ENV + " ping --privileged -c 1 127.0.0.1 2>&1");
  EXPECT_EQ(inside.status, 0) << inside.output;
  EXPECT_EQ(plain.status, 2) << plain.output;
  EXPECT_EQ(plain.output.find("ping_group_range=\""), std::string::npos) << plain.output;
  EXPECT_NE(plain.output.find("leave out --privileged"), std::string::npos) << plain.output;
  EXPECT_NE(plain.output.find("setcap cap_net_raw+ep"), std::string::npos) << plain.output;
}

#if defined(IKNET_DROPPED_PRIVILEGES)
TEST_F(SetcapCli, ExampleOpensDropsEveryPrivilegeAndPings) {
  std::string example = SetcapCopy(IKNET_DROPPED_PRIVILEGES, "dropped_privileges");
  std::string watched = RunAndWatch("127.0.0.1", 0.25, example);
  ExpectNoCapabilityLeft(watched, "examples/dropped_privileges");
  EXPECT_NE(watched.find("127.0.0.1: 3 sent, 3 received\nrc=0"), std::string::npos) << watched;
}
#endif

// Issue 18's list of places where terminal control sequences in arguments
// reached stderr raw: host names with and without a colon, multiping
// operands of any length, -f paths, -g ranges. No namespace needed: each
// is refused before anything is sent.
TEST(CliEscaping, ArgumentsReachStderrEscaped) {
  const char *e = std::getenv("IKNET_ICMPKIT_CLI");
  std::string cli = e && *e ? e : IKNET_ICMPKIT_CLI;
  if (cli.empty()) GTEST_SKIP() << "the icmpkit tool is not built (ICMPKIT_BUILD_TOOLS=OFF)";
  const std::string esc = "\"$(printf '\\033]0;owned\\007\\033[2J\\302\\233')\"";
  const std::string args[] = {
      "ping " + esc + "host",
      "ping " + esc + "::1",
      "multiping 127.0.0.1 " + esc + "x",
      "multiping 127.0.0.1 " + esc + std::string(300, 'y'),
      "multiping -f /nonexistent/" + esc,
      "multiping -g " + esc + "/24",
      "traceroute " + esc + "1.2.3.4",
  };
  for (const std::string &a : args) {
    iknet::CommandResult r = iknet::run_command(cli + " " + a + " 2>&1 >/dev/null");
    EXPECT_EQ(r.status, 2) << a << "\n" << r.output;
    EXPECT_EQ(r.output.find('\033'), std::string::npos) << a << "\n" << r.output;
    EXPECT_EQ(r.output.find('\007'), std::string::npos) << a << "\n" << r.output;
    EXPECT_EQ(r.output.find("\302\233"), std::string::npos) << a << "\n" << r.output;
    EXPECT_NE(r.output.find("\\x1b]0;owned\\x07\\x1b[2J\\xc2\\x9b"), std::string::npos) << a << "\n" << r.output;
  }
}
