/* source, traffic_class and payload_size through the high-level calls
 * (ik_ping, ik_multiping, ik_traceroute) and the CLI's -I / -Q / -s, checked
 * on the wire: every echo request that reaches the target (captured on its
 * interface) comes from the bound source, carries the TOS / traffic class
 * byte, and holds an ICMP message of 8 + payload_size bytes. The source is
 * the pinger's second address (on br0), not the one the kernel would pick
 * toward the target, so an option that is parsed but never applied shows. */
#include "test_topology_fixture.h"

#include <cstdlib>
#include <string>
#include <vector>

#ifndef IKNET_ICMPKIT_CLI
#define IKNET_ICMPKIT_CLI ""
#endif

namespace iknet {
namespace {

constexpr int kTclass = 0xb8;       /* DSCP EF */
constexpr size_t kPayload = 123;    /* not the default 56, odd on purpose */
constexpr int kCount = 2;

class WireOptions : public ChainTest {
 protected:
  std::string source() const { return Chain::pinger_second_address(family()); }
  std::string target() const { return Chain::target_address(family()); }

  ik_ping_options with_options(ik_ping_options o) const {
    o.count = kCount;
    o.interval = 0.02;
    o.timeout = 1.0;
    o.family = family();
    o.privileged = mode_.privileged;
    o.source = nullptr;
    o.traffic_class = kTclass;
    o.payload_size = kPayload;
    return o;
  }

  /* The echo requests that reached the target (the call has returned:
   * they all passed already; 0.3 s of quiet ends the list). */
  std::vector<Capture::Packet> requests_at_target(Capture &capture) const {
    std::vector<Capture::Packet> seen;
    Capture::Packet p;
    const int type = mode_.echo_request_type();
    const std::string dest = target();
    while (capture.next(0.3, [&](const Capture::Packet &q) {
      return q.icmp_type == type && q.destination == dest;
    }, &p))
      seen.push_back(p);
    return seen;
  }

  void expect_on_wire(const std::vector<Capture::Packet> &seen, size_t n) const {
    EXPECT_EQ(seen.size(), n) << "echo requests seen at the target";
    for (const Capture::Packet &p : seen) {
      EXPECT_EQ(p.source, source()) << "seq " << p.icmp_sequence << ": the kernel's choice would be "
                                    << Chain::pinger_address(family());
      EXPECT_EQ(p.traffic_class, kTclass) << "seq " << p.icmp_sequence;
      EXPECT_EQ(p.icmp_length, static_cast<int>(8 + kPayload)) << "seq " << p.icmp_sequence;
    }
  }
};

TEST_P(WireOptions, PingSendsFromTheSourceWithTheTrafficClassAndPayloadSize) {
  ik_ping_options o;
  ik_ping_options_init(&o);
  o = with_options(o);
  std::string src = source();
  o.source = src.c_str();
  Capture capture(chain_->target(), Chain::target_ifname());
  ik_host h;
  ASSERT_EQ(ik_ping(target().c_str(), &o, &h), 0) << ik_last_error();
  EXPECT_EQ(h.packets_received, kCount);
  for (size_t i = 0; i < h.replies_len; ++i)
    EXPECT_EQ(h.replies[i].reply.bytes_received, 8 + kPayload);
  ik_host_free(&h);
  expect_on_wire(requests_at_target(capture), kCount);
}

TEST_P(WireOptions, MultipingSendsFromTheSourceWithTheTrafficClassAndPayloadSize) {
  ik_ping_options o;
  ik_multiping_options_init(&o);
  o = with_options(o);
  std::string src = source(), dest = target();
  o.source = src.c_str();
  const char *addresses[] = {dest.c_str()};
  Capture capture(chain_->target(), Chain::target_ifname());
  ik_host h;
  ASSERT_EQ(ik_multiping(addresses, 1, &o, &h), 0) << ik_last_error();
  EXPECT_EQ(h.error, 0) << ik_err_name(h.error);
  EXPECT_EQ(h.packets_received, kCount);
  ik_host_free(&h);
  expect_on_wire(requests_at_target(capture), kCount);
}

TEST_P(WireOptions, TracerouteSendsFromTheSourceWithTheTrafficClassAndPayloadSize) {
  ik_ping_options o;
  ik_traceroute_options_init(&o);
  o = with_options(o);
  o.max_hops = 8;
  std::string src = source();
  o.source = src.c_str();
  Capture capture(chain_->target(), Chain::target_ifname());
  ik_hop *hops = nullptr;
  size_t n = 0;
  ASSERT_EQ(ik_traceroute(target().c_str(), &o, &hops, &n), 0) << ik_last_error();
  ASSERT_GT(n, 0u);
  EXPECT_EQ(hops[n - 1].distance, Chain::kRouters + 1);
  EXPECT_STREQ(hops[n - 1].host.address, target().c_str());
  ik_hops_free(hops, n);
  /* Only the last TTL's probes reach the target; the routers answer the
   * others. */
  expect_on_wire(requests_at_target(capture), kCount);
}

TEST_P(WireOptions, CliPingOptionsISQAreOnTheWire) {
  const char *env = std::getenv("IKNET_ICMPKIT_CLI");
  std::string cli = env && *env ? env : IKNET_ICMPKIT_CLI;
  if (cli.empty()) GTEST_SKIP() << "the icmpkit tool is not built (ICMPKIT_BUILD_TOOLS=OFF)";
  Capture capture(chain_->target(), Chain::target_ifname());
  /* The test's thread is in the pinger namespace: so is the command. */
  CommandResult r = run_command(cli + " ping -c " + std::to_string(kCount) + " -i 0.05 -W 1 -I " + source() +
                                " -Q 0xb8 -s " + std::to_string(kPayload) + (family() == 4 ? " -4" : " -6") +
                                (mode_.privileged ? " --privileged " : " --unprivileged ") + target());
  EXPECT_EQ(r.status, 0) << r.output;
  expect_on_wire(requests_at_target(capture), kCount);
}

INSTANTIATE_TEST_SUITE_P(Mode, WireOptions, ::testing::ValuesIn(all_modes()), ModeName);

}  // namespace
}  // namespace iknet
