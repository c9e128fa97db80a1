// The send back-off (issue 7): when the kernel has no buffer space
// (ENOBUFS, or EAGAIN on a full non-blocking socket), the engine keeps the
// unsent requests, waits IK__BACKOFF and sends them again; no probe is
// dropped, counted as lost or sent early. Loopback never runs out of
// buffers, so the icmpkit tool runs with send_fail_shim.c preloaded, which
// makes chosen sends fail, and reports what it injected.
//
// The suite is CliTool, like the other tests that start the tool as a
// child: the valgrind stage of .ci/run leaves those out (its children run
// outside valgrind).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../unit/cli_json_parser.h"
#include "netns.h"
#include "cli_under_test.h"

#ifndef IKNET_SEND_FAIL_SHIM
#define IKNET_SEND_FAIL_SHIM ""
#endif

using testjson::Value;

using iknet::Cli;
using iknet::Slurp;

namespace {

#define REQUIRE_CLI_AND_SHIM()                                                                 \
  do {                                                                                         \
    IKNET_REQUIRE_ROOT();                                                                      \
    if (Cli().empty()) GTEST_SKIP() << "the icmpkit tool is not built (ICMPKIT_BUILD_TOOLS=OFF)"; \
    if (std::string(IKNET_SEND_FAIL_SHIM).empty())                                             \
      GTEST_SKIP() << "send_fail_shim is built on Linux only";                                 \
  } while (0)

// What send_fail_shim.c wrote at the tool's exit.
struct Report {
  bool read = false;
  unsigned long injections = 0, failed = 0, partial = 0, sends = 0;
  double gap_us = -1;  // shortest time between two messages that went out
};

struct ShimRun {
  int status = -1;
  std::string out, err;
  Report report;
  std::vector<Value> lines;  // stdout parsed as JSON Lines
};

// A namespace of its own for each test; ping_group_range admits root so
// that --unprivileged works.
struct Solo {
  iknet::Topology topo;
  Solo() {
    topo.add("solo");
    topo.sysctl("solo", "net.ipv4.ping_group_range", "0 2147483647");
  }
};

// Runs "icmpkit args" in the namespace with the shim preloaded; shim is
// its settings ("IKSHIM_FAIL_EVERY=3 IKSHIM_FAIL_MS=20 ..."); prefix runs
// before env (e.g. "timeout 30 ", outside the shim).
ShimRun RunWithShim(const Solo &solo, const std::string &shim, const std::string &args,
                    const std::string &prefix = "") {
  static int n = 0;
  std::string base = "/tmp/ik-backoff-" + std::to_string(getpid()) + "-" + std::to_string(++n);
  // An ASan build checks that its runtime comes first; the shim comes first.
  const char *asan = std::getenv("ASAN_OPTIONS");
  std::string asan_options = std::string(asan && *asan ? std::string(asan) + ":" : "") +
                             "verify_asan_link_order=0";
  std::string cmd = prefix + "env LD_PRELOAD=" + std::string(IKNET_SEND_FAIL_SHIM) + " IKSHIM_REPORT=" +
                    base + ".report ASAN_OPTIONS=" + asan_options + " " + shim + " " + Cli() + " " +
                    args + " >" + base + ".out 2>" + base + ".err";
  iknet::CommandResult r = solo.topo.exec("solo", cmd);
  ShimRun run;
  run.status = r.status;
  run.out = Slurp(base + ".out");
  run.err = Slurp(base + ".err") + r.output;
  std::string report = Slurp(base + ".report");
  run.report.read = std::sscanf(report.c_str(), "injections %lu failed %lu partial %lu sends %lu gap %lf",
                                &run.report.injections, &run.report.failed, &run.report.partial,
                                &run.report.sends, &run.report.gap_us) == 5;
  for (const char *ext : {".out", ".err", ".report"}) std::remove((base + ext).c_str());
  try {
    run.lines = testjson::ParseLines(run.out);
  } catch (const std::exception &e) {
    ADD_FAILURE() << e.what() << "\nstdout:\n" << run.out << "\nstderr:\n" << run.err;
  }
  return run;
}

std::string Describe(const ShimRun &r) {
  std::ostringstream s;
  s << "exit " << r.status << "; shim: " << r.report.injections << " injections, " << r.report.failed
    << " failed calls, " << r.report.partial << " partial, " << r.report.sends << " sends, gap "
    << r.report.gap_us << " us\nstderr:\n"
    << r.err;
  return s.str();
}

// Every host line: all count probes sent and answered.
void ExpectEveryProbeAnswered(const ShimRun &r, size_t hosts, int count) {
  ASSERT_EQ(r.lines.size(), hosts) << Describe(r);
  for (const Value &h : r.lines) {
    EXPECT_TRUE(h["is_alive"].b) << h["address"].str;
    EXPECT_EQ(h["packets_sent"].num, count) << h["address"].str;
    EXPECT_EQ(h["packets_received"].num, count) << h["address"].str;
    EXPECT_EQ(h["packet_loss"].num, 0) << h["address"].str;
    EXPECT_EQ(h["rtts"].arr.size(), static_cast<size_t>(count)) << h["address"].str;
  }
}

// Runs args with the shim and checks that, although sends failed (the
// shim says it failed some), the CLI answered as without it: exit 0, every
// probe of every host answered.
void ExpectBackOffWithoutLoss(const std::string &shim, const std::string &args, size_t hosts,
                              int count) {
  Solo solo;
  ShimRun r = RunWithShim(solo, shim, args);
  EXPECT_EQ(r.status, 0) << Describe(r);
  ExpectEveryProbeAnswered(r, hosts, count);
  ASSERT_TRUE(r.report.read) << Describe(r);
  EXPECT_GT(r.report.failed, 0u) << Describe(r);
}

// Runs args (probes 10 ms apart) with every third send failing for 25 ms:
// the two sends after a held probe go through, and the second must still
// wait the interval, which counts from when the previous send returned,
// so no load can make a gap shorter.
void ExpectIntervalKeptAfterBackOff(const std::string &args) {
  Solo solo;
  ShimRun r = RunWithShim(solo, "IKSHIM_FAIL_EVERY=3 IKSHIM_FAIL_MS=25", args);
  EXPECT_EQ(r.status, 0) << Describe(r);
  ASSERT_TRUE(r.report.read) << Describe(r);
  EXPECT_GT(r.report.injections, 0u) << Describe(r);
  EXPECT_GE(r.report.gap_us, 10000 - 1) << Describe(r);
}

const char kSweep[] = "multiping --privileged -c 1 -W 1 --rate 0 --json -g 127.1.0.0/22";
const size_t kSweepHosts = 1022;

}  // namespace

// ---- multiping: batches (sendmmsg) ----

TEST(CliTool, SweepBacksOffFromEnobufsAndEveryHostAnswers) {
  REQUIRE_CLI_AND_SHIM();
  ExpectBackOffWithoutLoss("IKSHIM_ERRNO=ENOBUFS IKSHIM_FAIL_EVERY=3 IKSHIM_FAIL_MS=2",
                           kSweep, kSweepHosts, 1);
}

TEST(CliTool, SweepBacksOffFromEagainAndEveryHostAnswers) {
  REQUIRE_CLI_AND_SHIM();
  ExpectBackOffWithoutLoss("IKSHIM_ERRNO=EAGAIN IKSHIM_FAIL_EVERY=3 IKSHIM_FAIL_MS=5",
                           kSweep, kSweepHosts, 1);
}

// The kernel sends the front of a vector and returns its length when the
// buffer fills up in the middle: the rest goes out later.
TEST(CliTool, SweepSendsTheRestAfterAPartialSendmmsg) {
  REQUIRE_CLI_AND_SHIM();
  Solo solo;
  ShimRun r = RunWithShim(solo, "IKSHIM_FAIL_EVERY=2 IKSHIM_PARTIAL=1 IKSHIM_FAIL_MS=2", kSweep);
  EXPECT_EQ(r.status, 0) << Describe(r);
  ExpectEveryProbeAnswered(r, kSweepHosts, 1);
  ASSERT_TRUE(r.report.read) << Describe(r);
  EXPECT_GT(r.report.partial, 0u) << Describe(r);
}

TEST(CliTool, MixedMultipingBacksOffAndCountsEveryProbe) {
  REQUIRE_CLI_AND_SHIM();
  ExpectBackOffWithoutLoss("IKSHIM_FAIL_EVERY=2 IKSHIM_FAIL_MS=5",
                           "multiping --privileged -c 3 -i 0.01 -W 1 --json 127.0.0.1 ::1 127.0.0.2", 3, 3);
}

TEST(CliTool, DgramMixedMultipingBacksOffAndCountsEveryProbe) {
  REQUIRE_CLI_AND_SHIM();
  ExpectBackOffWithoutLoss("IKSHIM_FAIL_EVERY=2 IKSHIM_FAIL_MS=5",
                           "multiping --unprivileged -c 3 -i 0.01 -W 1 --json 127.0.0.1 ::1 127.0.0.2", 3, 3);
}

// ---- ping: single sends (sendmsg) ----

TEST(CliTool, PingV4BacksOffFromEnobufsWithoutLoss) {
  REQUIRE_CLI_AND_SHIM();
  ExpectBackOffWithoutLoss("IKSHIM_FAIL_EVERY=3 IKSHIM_FAIL_MS=20",
                           "ping --privileged -c 20 -i 0.01 -W 1 --json 127.0.0.1", 1, 20);
}

TEST(CliTool, PingV6BacksOffFromEagainWithoutLoss) {
  REQUIRE_CLI_AND_SHIM();
  ExpectBackOffWithoutLoss("IKSHIM_ERRNO=EAGAIN IKSHIM_FAIL_EVERY=3 IKSHIM_FAIL_MS=20",
                           "ping --privileged -c 20 -i 0.01 -W 1 --json ::1", 1, 20);
}

TEST(CliTool, DgramPingBacksOffFromEnobufsWithoutLoss) {
  REQUIRE_CLI_AND_SHIM();
  Solo solo;
  for (const char *host : {"127.0.0.1", "::1"}) {
    ShimRun r = RunWithShim(solo, "IKSHIM_FAIL_EVERY=3 IKSHIM_FAIL_MS=20",
                            std::string("ping --unprivileged -c 20 -i 0.01 -W 1 --json ") + host);
    EXPECT_EQ(r.status, 0) << host << ": " << Describe(r);
    ExpectEveryProbeAnswered(r, 1, 20);
    ASSERT_TRUE(r.report.read) << Describe(r);
    EXPECT_GT(r.report.failed, 0u) << host << ": " << Describe(r);
  }
}

// A probe held back by a full buffer leaves late; the next one still
// waits the interval after it (not after when it was due), so the two
// never leave together.
TEST(CliTool, PingKeepsTheIntervalAfterABackOff) {
  REQUIRE_CLI_AND_SHIM();
  ExpectIntervalKeptAfterBackOff("ping --privileged -c 12 -i 0.01 -W 1 --json 127.0.0.1");
}

// While the buffer stays full, the engine retries once per IK__BACKOFF
// (1 ms), not in a loop: the failed calls per millisecond of failure
// stay near one.
TEST(CliTool, BackOffWaitsBetweenRetries) {
  REQUIRE_CLI_AND_SHIM();
  Solo solo;
  const int window_ms = 50;
  ShimRun r = RunWithShim(solo, "IKSHIM_FAIL_EVERY=2 IKSHIM_FAIL_MS=" + std::to_string(window_ms),
                          "multiping --privileged -c 4 -i 0.01 -W 1 --json 127.0.0.1 ::1");
  EXPECT_EQ(r.status, 0) << Describe(r);
  ExpectEveryProbeAnswered(r, 2, 4);
  ASSERT_TRUE(r.report.read) << Describe(r);
  ASSERT_GT(r.report.injections, 0u) << Describe(r);
  // Per window: one tick per millisecond at most, each trying both
  // families' sockets, and a batch falls back to one single send.
  EXPECT_LE(r.report.failed, r.report.injections * 2 * 2 * (window_ms + 2)) << Describe(r);
}

// ---- traceroute ----

TEST(CliTool, TracerouteBacksOffAndReachesTheDestination) {
  REQUIRE_CLI_AND_SHIM();
  Solo solo;
  ShimRun r = RunWithShim(solo, "IKSHIM_FAIL_EVERY=2 IKSHIM_FAIL_MS=5",
                          "traceroute --privileged -c 3 -i 0.01 -W 1 --json 127.0.0.1");
  EXPECT_EQ(r.status, 0) << Describe(r);
  ASSERT_EQ(r.lines.size(), 2u) << r.out << Describe(r);
  EXPECT_EQ(r.lines[0]["address"].str, "127.0.0.1");
  EXPECT_EQ(r.lines[0]["packets_sent"].num, 3);
  EXPECT_EQ(r.lines[0]["packets_received"].num, 3);
  EXPECT_TRUE(r.lines[1]["reached"].b);
  EXPECT_EQ(r.lines[1]["hops"].num, 1);
  ASSERT_TRUE(r.report.read) << Describe(r);
  EXPECT_GT(r.report.failed, 0u) << Describe(r);
}

TEST(CliTool, TracerouteKeepsTheIntervalAfterABackOff) {
  REQUIRE_CLI_AND_SHIM();
  ExpectIntervalKeptAfterBackOff("traceroute --privileged -c 6 -i 0.01 -W 1 --json 127.0.0.1");
}

// ---- buffers that never empty ----

// A device whose carrier is down keeps its queue, hence the socket's
// buffer, full: a probe held back for a whole timeout is given up as a
// send failure, never retried forever. Since issue 17 each such probe is
// reported and counted as transmitted and lost, and the run goes on, as
// iputils ping does (it used to end with exit 2). "timeout 30" turns a
// hang into status 124.
TEST(CliTool, PingReportsEachProbeWhenTheBufferStaysFullForAWholeTimeout) {
  REQUIRE_CLI_AND_SHIM();
  Solo solo;
  ShimRun r = RunWithShim(solo, "IKSHIM_FAIL_EVERY=1 IKSHIM_FAIL_MS=100000000",
                          "ping --privileged -c 3 -W 0.3 --json 127.0.0.1", "timeout 30 ");
  EXPECT_EQ(r.status, 1) << Describe(r);
  ASSERT_EQ(r.lines.size(), 1u) << Describe(r);
  EXPECT_EQ(r.lines[0]["packets_sent"].num, 3) << Describe(r);
  EXPECT_EQ(r.lines[0]["packets_received"].num, 0) << Describe(r);
  EXPECT_EQ(r.lines[0]["send_errors"].num, 3) << Describe(r);
  ASSERT_TRUE(r.report.read) << Describe(r);
  EXPECT_GT(r.report.failed, 0u) << Describe(r);
  EXPECT_EQ(r.report.sends, r.report.failed) << Describe(r);
}

TEST(CliTool, MultipingReportsEveryHostWhoseSendsNeverFindRoom) {
  REQUIRE_CLI_AND_SHIM();
  Solo solo;
  ShimRun r = RunWithShim(solo, "IKSHIM_ERRNO=EAGAIN IKSHIM_FAIL_EVERY=1 IKSHIM_FAIL_MS=100000000",
                          "multiping --privileged -c 2 -W 0.3 --json 127.0.0.1 127.0.0.2 ::1",
                          "timeout 30 ");
  EXPECT_EQ(r.status, 1) << Describe(r); // nobody alive
  ASSERT_EQ(r.lines.size(), 3u) << Describe(r);
  for (const Value &h : r.lines) {
    EXPECT_FALSE(h["is_alive"].b) << h["address"].str;
    EXPECT_EQ(h["packets_received"].num, 0) << h["address"].str;
    EXPECT_NE(r.err.find(h["address"].str + ": no buffer space in the system"), std::string::npos)
        << h["address"].str << ": " << Describe(r);
  }
}

/* Issue 19: a probe given up because the buffer stayed full for a whole
 * timeout says nothing about its host. The IPv6 socket's sends fail for
 * 0.6 s (twice -W), the IPv4 one's first send goes through: multiping
 * probes ::1 once more when its rounds are over, waits for room again, and
 * finds it alive. Before, ::1 was reported with "no buffer space" and
 * dead (exit 1). */
TEST(CliTool, MultipingProbesAgainAHostWhoseProbeFoundNoRoom) {
  REQUIRE_CLI_AND_SHIM();
  Solo solo;
  ShimRun r = RunWithShim(solo, "IKSHIM_ERRNO=ENOBUFS IKSHIM_FAIL_EVERY=2 IKSHIM_FAIL_MS=600",
                          "multiping --privileged -c 1 -W 0.3 --json 127.0.0.1 ::1", "timeout 30 ");
  EXPECT_EQ(r.status, 0) << Describe(r);
  ASSERT_EQ(r.lines.size(), 2u) << Describe(r);
  for (const Value &h : r.lines) {
    EXPECT_TRUE(h["is_alive"].b) << h["address"].str << ": " << Describe(r);
    EXPECT_EQ(h["packets_received"].num, 1) << h["address"].str;
  }
  EXPECT_EQ(r.err.find("no buffer space"), std::string::npos) << Describe(r);
}
