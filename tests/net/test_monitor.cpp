// icmpkit monitor scraped by a real Prometheus (Debian's `prometheus`) in a
// namespace topology: the counters Prometheus stores agree exactly with the
// echo requests and replies nft counted in the target namespace, and a 20 %
// random drop of one target's requests shows as a PromQL loss of 0.2 within
// 4 binomial standard deviations. `promtool check metrics` accepts the
// exposition. Runs as root; skipped with a reason when the tool or
// Prometheus is missing (CI installs both: scripts/deps).
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include <algorithm>

#include "cli_under_test.h"
#include "netns.h"

#ifndef IKNET_PROM_QUERY_PY
#define IKNET_PROM_QUERY_PY ""
#endif

namespace {

using iknet::Cli;
using iknet::Slurp;

const char kT2[] = "198.18.60.2";  // answers every request
const char kT3[] = "198.18.60.3";  // nft drops 20 % of its requests
const char kMetrics[] = "http://127.0.0.1:19469";
const char kProm[] = "http://127.0.0.1:19090";

std::string Q() { return std::string("python3 ") + IKNET_PROM_QUERY_PY; }

void Sleep(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

// The topology: mon (the monitor, Prometheus) - t (two target addresses).
class MonitorNet : public ::testing::Test {
 protected:
  void SetUp() override {
    IKNET_REQUIRE_ROOT();
    if (Cli().empty()) GTEST_SKIP() << "the icmpkit tool is not built";
    dir_ = "/tmp/ik-mon-" + std::to_string(getpid());
    iknet::run_command("rm -rf " + dir_ + " && mkdir -p " + dir_);
    topo_.add("mon");
    topo_.add("t");
    topo_.veth("mon", "eth0", "t", "eth0");
    topo_.address("mon", "eth0", "198.18.60.1/24");
    topo_.address("t", "eth0", std::string(kT2) + "/24");
    topo_.address("t", "eth0", std::string(kT3) + "/24");
    // Requests counted as they arrive (before the drop), replies as they
    // leave: what really crossed the wire.
    topo_.nft("t",
              "table inet mon {\n"
              "  counter req2 {}\n  counter req3 {}\n  counter rep2 {}\n  counter rep3 {}\n"
              "  chain in {\n    type filter hook input priority 0;\n"
              "    ip daddr 198.18.60.2 icmp type echo-request counter name req2\n"
              "    ip daddr 198.18.60.3 icmp type echo-request counter name req3\n"
              "    ip daddr 198.18.60.3 icmp type echo-request numgen random mod 100 < 20 drop\n"
              "  }\n"
              "  chain out {\n    type filter hook output priority 0;\n"
              "    ip saddr 198.18.60.2 icmp type echo-reply counter name rep2\n"
              "    ip saddr 198.18.60.3 icmp type echo-reply counter name rep3\n"
              "  }\n}\n");
    ready_ = true;
  }

  void TearDown() override {
    if (!ready_) return;
    for (const char *f : {"/mon.pid", "/prom.pid"}) {
      std::string pid = Slurp(dir_ + f);
      if (!pid.empty()) iknet::run_command("kill -TERM " + pid + " 2>/dev/null");
    }
    Sleep(0.5);
    iknet::run_command("rm -rf " + dir_);
  }

  // Starts the monitor in mon: its pid in mon.pid, its exit status in
  // mon.rc once it ends.
  // wrap: a command prefix that execs the rest (unshare ...).
  void StartMonitor(const std::string &args, const std::string &wrap = "") {
    std::string cmd = "(" + wrap + Cli() + " monitor --listen 127.0.0.1:19469 " + args + " >" + dir_ +
                      "/mon.log 2>&1 & echo $! >" + dir_ + "/mon.pid; wait $!; echo $? >" + dir_ +
                      "/mon.rc) >/dev/null 2>&1 &";
    ASSERT_EQ(topo_.exec("mon", cmd).status, 0);
    ASSERT_TRUE(WaitFor("mon", Q() + " get " + kMetrics + "/-/healthy")) << Slurp(dir_ + "/mon.log");
  }

  void StartPrometheus() {
    std::ofstream(dir_ + "/prom.yml") << "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
                                         "scrape_configs:\n  - job_name: icmpkit\n"
                                         "    static_configs:\n      - targets: ['127.0.0.1:19469']\n";
    std::string cmd = "(prometheus --config.file=" + dir_ + "/prom.yml --storage.tsdb.path=" + dir_ +
                      "/data --web.listen-address=127.0.0.1:19090 >" + dir_ +
                      "/prom.log 2>&1 & echo $! >" + dir_ + "/prom.pid) >/dev/null 2>&1";
    ASSERT_EQ(topo_.exec("mon", cmd).status, 0);
    ASSERT_TRUE(WaitFor("mon", Q() + " get " + kProm + "/-/ready")) << Slurp(dir_ + "/prom.log");
  }

  bool WaitFor(const std::string &role, const std::string &cmd, double seconds = 20) {
    for (double t = 0; t < seconds; t += 0.2) {
      if (topo_.exec(role, cmd + " >/dev/null 2>&1").status == 0) return true;
      Sleep(0.2);
    }
    return false;
  }

  // PromQL instant query in mon: target label -> value.
  std::map<std::string, double> Query(const std::string &promql) {
    iknet::CommandResult r = topo_.exec("mon", Q() + " query " + kProm + " '" + promql + "'");
    EXPECT_EQ(r.status, 0) << r.output;
    std::map<std::string, double> out;
    std::istringstream in(r.output);
    std::string target, value;
    while (in >> target >> value) out[target] = std::stod(value);
    return out;
  }

  long long NftCounter(const std::string &name) {
    iknet::CommandResult r = topo_.exec("t", "nft list counter inet mon " + name);
    size_t at = r.output.find("packets ");
    EXPECT_NE(at, std::string::npos) << r.output;
    return at == std::string::npos ? -1 : std::stoll(r.output.substr(at + 8));
  }

  // The monitor's own /metrics, once.
  std::string Scrape() { return topo_.exec("mon", Q() + " get " + kMetrics + "/metrics").output; }

  // One metric of one target in a scrape (-1: absent).
  static double Metric(const std::string &text, const std::string &name,
                       const std::string &target) {
    std::string key = name + "{target=\"" + target + "\"";
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
      if (line.compare(0, key.size(), key) == 0) return std::stod(line.substr(line.rfind(' ') + 1));
    return -1;
  }

  iknet::Topology topo_;
  std::string dir_;
  bool ready_ = false;
};

class MonitorProm : public MonitorNet {
 protected:
  void SetUp() override {
    MonitorNet::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (iknet::run_command("command -v prometheus && command -v promtool").status != 0)
      GTEST_SKIP() << "needs Debian's prometheus (promtool): scripts/deps installs it";
  }
};

// A probe still waiting for its reply counts nowhere: with every request to
// one target dropped and a 3 s timeout, nothing is counted as sent for 3 s
// although requests leave; the answered target's sent always equals its
// replies.
TEST_F(MonitorNet, AProbeInFlightCountsNeitherAsSentNorAsAnswered) {
  topo_.nft("t",
            "table inet drop3 {\n  chain in {\n    type filter hook input priority 10;\n"
            "    ip daddr 198.18.60.3 icmp type echo-request drop\n  }\n}\n");
  StartMonitor(std::string("-i 0.1 -W 3 ") + kT2 + " " + kT3);
  Sleep(2);
  std::string m = Scrape();
  EXPECT_EQ(Metric(m, "icmpkit_probes_sent_total", kT3), 0) << m;
  EXPECT_EQ(Metric(m, "icmpkit_rtt_seconds_count", kT3), 0);
  EXPECT_GE(NftCounter("req3"), 10);
  double sent = Metric(m, "icmpkit_probes_sent_total", kT2);
  EXPECT_GE(sent, 10);
  EXPECT_EQ(Metric(m, "icmpkit_rtt_seconds_count", kT2), sent);
  Sleep(2.5);  // the first ones time out: lost
  m = Scrape();
  double lost = Metric(m, "icmpkit_probes_sent_total", kT3);
  EXPECT_GE(lost, 5);
  EXPECT_LT(lost, NftCounter("req3"));
  EXPECT_EQ(Metric(m, "icmpkit_rtt_seconds_count", kT3), 0);
}

TEST_F(MonitorProm, PrometheusCountsAgreeWithTheWireAndLossIsTheDropRate) {
  // The link is down until Prometheus has scraped once: until then every
  // probe is a send error, so (sent - send errors) counts from zero.
  topo_.ip("mon", "link set eth0 down");
  StartMonitor(std::string("-i 0.005 -W 1 ") + kT2 + " " + kT3);
  StartPrometheus();
  ASSERT_TRUE(WaitFor("mon", Q() + " query " + kProm + " 'up == 1' | grep -q ."))
    << Slurp(dir_ + "/prom.log");
  const std::string out =
    "sum by (target) (icmpkit_probes_sent_total) - sum by (target) (icmpkit_send_errors_total)";
  std::map<std::string, double> before = Query(out);
  ASSERT_EQ(before[kT2], 0);
  ASSERT_EQ(before[kT3], 0);

  topo_.ip("mon", "link set eth0 up");
  Sleep(12);
  topo_.ip("mon", "link set eth0 down");
  Sleep(1 + 2.5);  // the last probes time out, then two more scrapes

  // The exposition as Prometheus reads it passes promtool.
  iknet::CommandResult check = topo_.exec(
    "mon", Q() + " get " + kMetrics + "/metrics | promtool check metrics; echo rc=$?");
  EXPECT_EQ(check.output, "rc=0\n");

  std::map<std::string, double> sent = Query(out);
  std::map<std::string, double> replies = Query("sum by (target) (icmpkit_rtt_seconds_count)");
  std::map<std::string, double> loss = Query("1 - sum by (target) (icmpkit_rtt_seconds_count) / (" +
                                             out + ")");
  std::map<std::string, double> scrapes = Query("count_over_time(up[1h])");
  long long req2 = NftCounter("req2"), req3 = NftCounter("req3");
  long long rep2 = NftCounter("rep2"), rep3 = NftCounter("rep3");

  EXPECT_GE(scrapes["-"], 12);
  ASSERT_GT(req2, 1000);
  EXPECT_EQ(sent[kT2], req2);
  EXPECT_EQ(sent[kT3], req3);
  EXPECT_EQ(replies[kT2], rep2);
  EXPECT_EQ(replies[kT3], rep3);
  EXPECT_EQ(loss[kT2], 0);
  // Binomial: n requests each dropped with p = 0.2; 4 sigma.
  double n = sent[kT3], sigma = std::sqrt(0.2 * 0.8 / n);
  EXPECT_NEAR(loss[kT3], 0.2, 4 * sigma) << "n=" << n << " sigma=" << sigma;

  // A reload (no --config: the command line's targets again) keeps the
  // counters of the targets that stay.
  iknet::CommandResult reload =
    topo_.exec("mon", Q() + " post " + kMetrics + "/-/reload");
  EXPECT_EQ(reload.output, "200 reloaded: 2 targets\n");
  Sleep(2.5);
  std::map<std::string, double> after = Query("sum by (target) (icmpkit_rtt_seconds_count)");
  EXPECT_EQ(after[kT2], rep2);
  EXPECT_EQ(after[kT3], rep3);

  // SIGTERM ends it cleanly.
  iknet::run_command("kill -TERM " + Slurp(dir_ + "/mon.pid"));
  for (int i = 0; i < 50 && Slurp(dir_ + "/mon.rc").empty(); i++) Sleep(0.1);
  EXPECT_EQ(Slurp(dir_ + "/mon.rc"), "0\n") << Slurp(dir_ + "/mon.log");
}

TEST_F(MonitorProm, ServesOpenMetricsWhenAskedAndTheOtherPaths) {
  StartMonitor(std::string("-i 0.1 ") + kT2);
  Sleep(0.5);
  iknet::CommandResult om = topo_.exec(
    "mon", Q() + " get " + kMetrics + "/metrics 'application/openmetrics-text; version=1.0.0'");
  EXPECT_EQ(om.status, 0);
  EXPECT_NE(om.output.find("# TYPE icmpkit_probes_sent counter\n"), std::string::npos) << om.output;
  EXPECT_EQ(om.output.substr(om.output.size() - 6), "# EOF\n");
  iknet::CommandResult text = topo_.exec("mon", Q() + " get " + kMetrics + "/metrics");
  EXPECT_NE(text.output.find("# TYPE icmpkit_probes_sent_total counter\n"), std::string::npos);
  EXPECT_EQ(topo_.exec("mon", Q() + " get " + kMetrics + "/-/healthy").output, "Healthy.\n");
  EXPECT_NE(topo_.exec("mon", Q() + " get " + kMetrics + "/nothing").status, 0);
  EXPECT_EQ(topo_.exec("mon", Q() + " get " + kMetrics + "/-/reload").status, 1);  // GET: 405
}

// What fails is counted by kind, each failure once as sent: a router's
// Host Unreachable by (type, code), a send the OS refuses (no route) by
// reason; a name that does not resolve by reason too.
TEST_F(MonitorNet, IcmpErrorsAndSendErrorsAreCountedByKindAndAsSent) {
  topo_.router("t");
  topo_.ip("t", "route add unreachable 198.18.70.0/24");
  topo_.ip("mon", "route add 198.18.70.0/24 via 198.18.60.2");
  StartMonitor("-i 0.1 -W 1 198.18.70.1 198.18.80.1 nowhere.invalid");
  Sleep(2);
  std::string m = Scrape();
  double sent = Metric(m, "icmpkit_probes_sent_total", "198.18.70.1");
  EXPECT_GE(sent, 10) << m;
  EXPECT_EQ(Metric(m, "icmpkit_rtt_seconds_count", "198.18.70.1"), 0);
  EXPECT_NE(m.find("icmpkit_icmp_errors_total{target=\"198.18.70.1\",address=\"198.18.70.1\","
                   "family=\"ipv4\",type=\"3\",code=\"1\"} " +
                   std::to_string(static_cast<long long>(sent)) + "\n"),
            std::string::npos)
    << m;
  for (const char *t : {"198.18.80.1", "nowhere.invalid"}) {
    double n = Metric(m, "icmpkit_probes_sent_total", t);
    EXPECT_GE(n, 10) << t;
    EXPECT_EQ(Metric(m, "icmpkit_send_errors_total", t), n) << t << "\n" << m;
  }
  EXPECT_NE(m.find("target=\"nowhere.invalid\",address=\"\",family=\"\",reason=\"namelookup\"}"),
            std::string::npos);
}

// Each target's probes leave at its own phase: 126 targets probed once a
// second arrive spread over the second (never more than a few in 50 ms),
// each once a second, with the size and traffic class asked for.
TEST_F(MonitorNet, ProbesSpreadEvenlyOverTheInterval) {
  topo_.ip("t", "route add local 198.18.61.0/24 dev lo");
  topo_.ip("mon", "route add 198.18.61.0/24 via 198.18.60.2");
  iknet::Capture cap(topo_.ns("t"), "eth0");
  StartMonitor("-i 1 -s 32 -Q 0x20 -g 198.18.61.0/25");
  Sleep(1);  // past the start
  std::vector<double> times;
  std::map<std::string, int> per_target;
  iknet::Capture::Packet p;
  double first = 0;
  auto request = [](const iknet::Capture::Packet &q) {
    return q.icmp_type == 8 && q.destination.compare(0, 10, "198.18.61.") == 0;
  };
  while (cap.next(2, request, &p)) {
    if (first == 0) first = p.time;
    if (p.time - first >= 2.0) break;
    times.push_back(p.time);
    per_target[p.destination]++;
    EXPECT_EQ(p.traffic_class, 0x20);
    EXPECT_EQ(p.icmp_length, 8 + 32);
  }
  ASSERT_GE(times.size(), 2u * 126 - 4);
  EXPECT_LE(times.size(), 2u * 126 + 4);
  EXPECT_EQ(per_target.size(), 126u);
  for (const auto &kv : per_target) EXPECT_NEAR(kv.second, 2, 1) << kv.first;
  size_t most = 0;
  for (size_t i = 0, j = 0; i < times.size(); i++) {
    while (times[i] - times[j] > 0.05) j++;
    most = std::max(most, i - j + 1);
  }
  EXPECT_LE(most, 12u) << "126 probes a second: about 6 in 50 ms when spread";
}

// The value of the first line of text that starts with prefix (-1: none).
double Sample(const std::string &text, const std::string &prefix) {
  size_t at = ("\n" + text).find("\n" + prefix);
  if (at == std::string::npos) return -1;
  size_t end = text.find('\n', at);
  std::string line = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
  return std::stod(line.substr(line.rfind(' ') + 1));
}

// --config: a reload keeps the counters of the targets that stay (same host
// and labels), drops the gone ones and starts new ones at zero; a refused
// file (POST: HTTP 400 with the parser's FILE:LINE message; SIGHUP: logged)
// leaves the running targets probing.
TEST_F(MonitorNet, ConfigReloadKeepsStayingCountersAndABadFileChangesNothing) {
  const std::string cfg = dir_ + "/monitor.yml";
  std::ofstream(cfg) << "targets:\n"
                        "  - hosts: [198.18.60.2]\n    interval: 100ms\n    labels: {site: a}\n"
                        "  - hosts: [198.18.60.3]\n    interval: 100ms\n";
  StartMonitor("--config " + cfg);
  const std::string a = "icmpkit_probes_sent_total{target=\"198.18.60.2\",address=\"198.18.60.2\","
                        "family=\"ipv4\",site=\"a\"} ";
  const std::string b = "icmpkit_probes_sent_total{target=\"198.18.60.2\",address=\"198.18.60.2\","
                        "family=\"ipv4\",site=\"b\"} ";
  const std::string gone = "icmpkit_probes_sent_total{target=\"198.18.60.3\"";
  Sleep(1.5);
  std::string m = Scrape();
  double before = Sample(m, a);
  ASSERT_GE(before, 8) << m;
  ASSERT_GE(Sample(m, gone), 8);

  std::ofstream(cfg) << "targets:\n"
                        "  - hosts: [198.18.60.2]\n    interval: 100ms\n    labels: {site: a}\n"
                        "  - hosts: [198.18.60.2]\n    interval: 100ms\n    labels: {site: b}\n";
  iknet::CommandResult r = topo_.exec("mon", Q() + " post " + kMetrics + "/-/reload");
  EXPECT_EQ(r.output, "200 reloaded: 2 targets\n");
  m = Scrape();
  EXPECT_GE(Sample(m, a), before) << m;
  EXPECT_LE(Sample(m, b), 2);
  EXPECT_EQ(Sample(m, gone), -1);
  Sleep(0.5);
  m = Scrape();
  double kept = Sample(m, a);
  EXPECT_GE(kept, before + 3);

  std::ofstream(cfg) << "targets:\n  - hosts: [198.18.60.2\n";  // unclosed flow sequence
  r = topo_.exec("mon", Q() + " post " + kMetrics + "/-/reload");
  EXPECT_EQ(r.output.compare(0, 4, "400 "), 0) << r.output;
  EXPECT_NE(r.output.find(cfg + ":"), std::string::npos) << r.output;
  iknet::run_command("kill -HUP " + Slurp(dir_ + "/mon.pid"));
  Sleep(0.5);
  m = Scrape();
  EXPECT_GE(Sample(m, a), kept + 3) << "the old configuration stopped";
  EXPECT_GE(Sample(m, b), 3);
  std::string log = Slurp(dir_ + "/mon.log");
  size_t first = log.find("reload refused");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_NE(log.find("reload refused", first + 1), std::string::npos) << "SIGHUP: " << log;
}

// Names are looked up again every --resolve-interval on the loop (evdns):
// the monitor runs in its own mount namespace whose /etc/hosts is a file
// the test rewrites (in place, so the bind mount shows it). When the name
// moves from .2 to .3, the series of the new address starts from zero and
// gets probes (nft sees them arrive at .3); the old series is gone. When
// the name stops resolving, the target keeps its address and counts the
// failed lookups in icmpkit_resolve_errors_total.
TEST_F(MonitorNet, ANameWhoseAddressChangesIsProbedAtItsNewAddress) {
  const std::string hosts = dir_ + "/hosts", conf = dir_ + "/resolv.conf";
  std::ofstream(hosts) << "198.18.60.2 moving.test\n";
  // No name server listens: a lookup the hosts file cannot answer fails.
  std::ofstream(conf) << "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n";
  std::ofstream(dir_ + "/wrap.sh") << "mount --bind " + hosts + " /etc/hosts && mount --bind " +
                                          conf + " /etc/resolv.conf && exec \"$@\"\n";
  StartMonitor("-4 -i 0.1 --resolve-interval 0.3 moving.test", "unshare -m sh " + dir_ + "/wrap.sh ");
  const std::string at2 = "{target=\"moving.test\",address=\"198.18.60.2\",family=\"ipv4\"} ";
  const std::string at3 = "{target=\"moving.test\",address=\"198.18.60.3\",family=\"ipv4\"} ";
  Sleep(1.5);
  std::string m = Scrape();
  double sent2 = Sample(m, "icmpkit_probes_sent_total" + at2);
  EXPECT_GE(sent2, 8) << m;
  EXPECT_EQ(Sample(m, "icmpkit_rtt_seconds_count" + at2), sent2);
  EXPECT_EQ(Sample(m, "icmpkit_probes_sent_total" + at3), -1);
  EXPECT_EQ(Sample(m, "icmpkit_resolve_errors_total" + at2), 0);
  EXPECT_EQ(NftCounter("req3"), 0);

  auto moved = std::chrono::steady_clock::now();
  std::ofstream(hosts) << "198.18.60.3 moving.test\n";
  Sleep(2.5);
  m = Scrape();
  // At most one probe every 0.1 s since the file changed (the scrape may
  // come late on a loaded machine); sent2 more if the counters went on.
  double since_move = std::chrono::duration<double>(std::chrono::steady_clock::now() - moved).count();
  EXPECT_EQ(Sample(m, "icmpkit_probes_sent_total" + at2), -1) << "the old series stays:\n" << m;
  double sent3 = Sample(m, "icmpkit_probes_sent_total" + at3);
  EXPECT_GE(sent3, 8) << m;
  EXPECT_LE(sent3, since_move * 10 + 1) << "counted from zero at the move";
  double replies3 = Sample(m, "icmpkit_rtt_seconds_count" + at3);
  EXPECT_GE(replies3, 1);
  EXPECT_LE(replies3, sent3);
  long long req3 = NftCounter("req3");
  EXPECT_GE(req3, sent3);
  long long req2 = NftCounter("req2");

  std::ofstream(hosts) << "127.0.0.1 localhost\n";  // moving.test no longer resolves
  Sleep(3.5);
  m = Scrape();
  EXPECT_GE(Sample(m, "icmpkit_resolve_errors_total" + at3), 1) << m;
  EXPECT_GE(Sample(m, "icmpkit_probes_sent_total" + at3), sent3 + 20) << "kept its address";
  EXPECT_GE(NftCounter("req3"), req3 + 20);
  EXPECT_EQ(NftCounter("req2"), req2) << "probes went to the old address";
  EXPECT_EQ(Sample(m, "icmpkit_send_errors_total" + at3.substr(0, at3.size() - 2) +
                          ",reason=\"namelookup\"} "),
            -1);
}

}  // namespace
