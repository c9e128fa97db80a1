/* The rate limiter of ik_multiping, measured on the wire: multiping of
 * hundreds of loopback addresses (127.1.x.y, all local in a namespace of
 * its own), every echo request captured on lo with its kernel stamp.
 * Asserted, for the default rate (IK_DEFAULT_RATE) and a set one:
 * - the average rate over the run, (requests - 1) / (last - first stamp),
 *   within kTolerance of the rate;
 * - no burst beyond the token bucket's: in any window of the run, at most
 *   burst + rate * window requests, where the bucket saves up at most
 *   10 ms of rate and never less than one probe (src/ping.c IK__BURST),
 *   plus kSlackProbes for stamps taken a little after the send decision.
 * Every other library net test sets rate = 0: this is the only one that
 * checks the limit is kept. */
#include "netns.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

extern "C" {
#include "icmpkit.h"
}

namespace iknet {
namespace {

/* +-25%: wide enough for a loaded 2-core machine (a late tick is made up
 * from the bucket, up to 10 ms of rate), narrow enough to catch a limiter
 * that is off, halves or doubles the rate. */
constexpr double kTolerance = 0.25;
constexpr double kBurstSeconds = 0.01;
/* A batch of sends is stamped as each packet passes lo, a little after
 * the decision to send it: 2 probes and 2 ms of rate of slack. */
constexpr double kSlackProbes = 2;
constexpr double kSlackSeconds = 0.002;

class Pacing : public ::testing::Test {
 protected:
  void SetUp() override {
    IKNET_REQUIRE_ROOT();
    topo_.reset(new Topology());
    topo_->add("pinger");
    in_ns_.reset(new ScopedNetns(topo_->ns("pinger")));
  }
  void TearDown() override {
    in_ns_.reset();
    topo_.reset();
  }

  /* multiping of n loopback addresses at opts' rate (count 1); returns the
   * kernel stamps of the echo requests seen on lo, in order. */
  std::vector<double> send_times(ik_ping_options o, size_t n) {
    std::vector<std::string> names;
    for (size_t i = 0; i < n; ++i)
      names.push_back("127.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1));
    std::vector<const char *> addresses;
    for (const std::string &s : names) addresses.push_back(s.c_str());
    std::vector<ik_host> hosts(n);
    o.count = 1;
    o.timeout = 1.0;
    o.family = 4;
    o.privileged = 1;
    o.id = ik_unique_identifier();
    Capture capture(topo_->ns("pinger"), "lo");
    EXPECT_EQ(ik_multiping(addresses.data(), n, &o, hosts.data()), 0) << ik_last_error();
    int received = 0;
    for (ik_host &h : hosts) {
      received += h.packets_received;
      ik_host_free(&h);
    }
    EXPECT_EQ(received, static_cast<int>(n));
    std::vector<double> times;
    Capture::Packet p;
    const uint16_t id = static_cast<uint16_t>(o.id);
    /* worker k of a threaded job (the default on raw sockets on Linux) uses
   * id + k: the rate holds for all of them together */
  const unsigned workers = static_cast<unsigned>(ik_cpu_count());
  while (capture.next(
      0.3,
      [&](const Capture::Packet &q) {
        return q.icmp_type == 8 && static_cast<uint16_t>(q.icmp_id - id) < workers;
      },
      &p))
      times.push_back(p.time);
    std::sort(times.begin(), times.end());
    return times;
  }

  void expect_paced(const std::vector<double> &t, size_t n, double rate) {
    ASSERT_EQ(t.size(), n) << "echo requests captured";
    const double span = t.back() - t.front();
    ASSERT_GT(span, 0);
    const double average = static_cast<double>(n - 1) / span;
    EXPECT_GE(average, rate * (1 - kTolerance)) << "over " << span << " s";
    EXPECT_LE(average, rate * (1 + kTolerance)) << "over " << span << " s";
    const double burst = std::max(1.0, rate * kBurstSeconds);
    double worst = -1e9;
    size_t wi = 0, wj = 0;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i; j < n; ++j) {
        double excess = static_cast<double>(j - i + 1) - rate * (t[j] - t[i] + kSlackSeconds);
        if (excess > worst) {
          worst = excess;
          wi = i;
          wj = j;
        }
      }
    EXPECT_LE(worst, burst + kSlackProbes)
        << (wj - wi + 1) << " requests within " << (t[wj] - t[wi]) * 1000 << " ms (burst " << burst << ")";
    std::printf("[ pacing   ] rate %g: %zu requests in %.3f s = %.1f/s, worst window +%.1f over the rate\n", rate, n,
                span, average, worst);
  }

  std::unique_ptr<Topology> topo_;
  std::unique_ptr<ScopedNetns> in_ns_;
};

TEST_F(Pacing, MultipingKeepsTheDefaultRateWithoutBursts) {
  ik_ping_options o;
  ik_multiping_options_init(&o);
  ASSERT_EQ(o.rate, IK_DEFAULT_RATE);
  const size_t n = 1000;  /* one second at 1,000/s */
  expect_paced(send_times(o, n), n, IK_DEFAULT_RATE);
}

TEST_F(Pacing, MultipingKeepsASetRateWithoutBursts) {
  ik_ping_options o;
  ik_multiping_options_init(&o);
  o.rate = 200;
  const size_t n = 300;  /* 1.5 s at 200/s */
  expect_paced(send_times(o, n), n, 200);
}

}  // namespace
}  // namespace iknet
