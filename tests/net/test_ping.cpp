/* ik_ping, ik_multiping, ik_traceroute and their async forms across
 * pinger - r1 - r2 - r3 - target (raw and DGRAM, IPv4 and IPv6), and on the
 * loopback of the pinger namespace. Root only; every packet stays in the
 * test's namespaces. */
#include "test_topology_fixture.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <set>
#include <string>
#include <vector>

#include <event2/event.h>

namespace iknet {
namespace {

constexpr int kHopsToTarget = Chain::kRouters + 1;

ik_ping_options quick_ping(const Mode &m, int count = 3) {
  ik_ping_options o;
  ik_ping_options_init(&o);
  o.count = count;
  o.interval = 0.02;
  o.timeout = 0.5;
  o.privileged = m.privileged;
  return o;
}

ik_ping_options quick_trace(const Mode &m) {
  ik_ping_options o;
  ik_traceroute_options_init(&o);
  o.interval = 0.01;
  o.timeout = 0.5;
  o.max_hops = 8;
  o.privileged = m.privileged;
  return o;
}

/* What the tests compare between runs: verdicts, not times. */
std::string summary(const ik_host &h) {
  std::string s = std::string(h.address) + " sent " + std::to_string(h.packets_sent) + " received " +
                  std::to_string(h.packets_received) + " dup " + std::to_string(h.duplicates) + " error " +
                  ik_err_name(h.error) + " replies";
  for (size_t i = 0; i < h.replies_len; ++i)
    s += " [" + std::to_string(h.replies[i].sequence) + " " + h.replies[i].reply.source + " " +
         std::to_string(h.replies[i].reply.type) + "/" + std::to_string(h.replies[i].reply.code) + "]";
  return s;
}

std::string hop_list(const ik_hop *hops, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i)
    s += std::to_string(hops[i].distance) + " " + summary(hops[i].host) + "\n";
  return s;
}

struct Done {
  int calls = 0;
  int status = 1;
};

void on_done(int status, void *arg) {
  Done *d = static_cast<Done *>(arg);
  d->calls++;
  d->status = status;
}

class PingChain : public ChainTest {};

TEST_P(PingChain, PingOfTheTargetGetsEveryReplyInOrder) {
  ik_ping_options o = quick_ping(mode_);
  ik_host h;
  const std::string target = Chain::target_address(family());
  ASSERT_EQ(ik_ping(target.c_str(), &o, &h), 0) << ik_last_error();
  EXPECT_STREQ(h.address, target.c_str());
  EXPECT_EQ(h.packets_sent, 3);
  EXPECT_EQ(h.packets_received, 3);
  EXPECT_EQ(h.packet_loss, 0.0);
  EXPECT_TRUE(h.is_alive);
  ASSERT_EQ(h.rtts_len, 3u);
  ASSERT_EQ(h.replies_len, 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(h.replies[i].sequence, i);
    EXPECT_STREQ(h.replies[i].reply.source, target.c_str());
    EXPECT_EQ(h.replies[i].reply.type, mode_.echo_reply_type());
    EXPECT_EQ(h.replies[i].rtt, h.rtts[i]);
    EXPECT_GE(h.rtts[i], 0.0);
    EXPECT_LT(h.rtts[i], 500.0);
  }
  EXPECT_LE(h.min_rtt, h.avg_rtt);
  EXPECT_LE(h.avg_rtt, h.max_rtt);
  EXPECT_EQ(h.duplicates, 0);
  EXPECT_EQ(h.error, 0);
  ik_host_free(&h);
}

TEST_P(PingChain, PingIntoABlackholeTimesOutEveryProbe) {
  ik_ping_options o = quick_ping(mode_, 2);
  o.timeout = 0.3;
  ik_host h;
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(ik_ping(Chain::address_for(Chain::Fate::blackhole_route, family()).c_str(), &o, &h), 0)
      << ik_last_error();
  double took = seconds_since(start);
  EXPECT_EQ(h.packets_sent, 2);
  EXPECT_EQ(h.packets_received, 0);
  EXPECT_EQ(h.packet_loss, 1.0);
  EXPECT_FALSE(h.is_alive);
  EXPECT_EQ(h.replies_len, 0u);
  EXPECT_EQ(h.rtts, nullptr);
  EXPECT_GE(took, 0.3) << "the last probe waits its whole timeout";
  ik_host_free(&h);
}

TEST_P(PingChain, PingOfAnUnreachableRouteRecordsTheRoutersErrors) {
  ik_ping_options o = quick_ping(mode_, 2);
  ik_host h;
  ASSERT_EQ(ik_ping(Chain::address_for(Chain::Fate::unreachable_route, family()).c_str(), &o, &h), 0)
      << ik_last_error();
  EXPECT_EQ(h.packets_sent, 2);
  EXPECT_EQ(h.packets_received, 0) << "an ICMP error is not an answer";
  EXPECT_FALSE(h.is_alive);
  ASSERT_EQ(h.replies_len, 2u) << summary(h);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(h.replies[i].sequence, i);
    EXPECT_STREQ(h.replies[i].reply.source,
                 Chain::error_source(Chain::Fate::unreachable_route, family()).c_str());
    EXPECT_EQ(h.replies[i].reply.type, mode_.unreachable_type());
    EXPECT_EQ(ik_reply_check(&h.replies[i].reply), IK_EDEST_UNREACHABLE);
  }
  ik_host_free(&h);
}

TEST_P(PingChain, AsyncPingGivesTheSameResultsAsPing) {
  const std::string dests[] = {Chain::target_address(family()),
                               Chain::address_for(Chain::Fate::prohibit_route, family()),
                               Chain::address_for(Chain::Fate::nft_drop, family())};
  for (const std::string &d : dests) {
    SCOPED_TRACE(d);
    ik_ping_options o = quick_ping(mode_, 2);
    o.timeout = 0.3;
    ik_host sync_h, async_h;
    ASSERT_EQ(ik_ping(d.c_str(), &o, &sync_h), 0) << ik_last_error();
    struct event_base *base = event_base_new();
    Done done;
    ik_job *job = nullptr;
    ASSERT_EQ(ik_async_ping(base, d.c_str(), &o, &async_h, on_done, &done, &job), 0) << ik_last_error();
    event_base_dispatch(base);
    EXPECT_EQ(done.calls, 1);
    EXPECT_EQ(done.status, 0);
    EXPECT_EQ(summary(async_h), summary(sync_h));
    ik_job_free(job);
    event_base_free(base);
    ik_host_free(&sync_h);
    ik_host_free(&async_h);
  }
}

TEST_P(PingChain, TracerouteListsEachRouterThenTheTarget) {
  ik_ping_options o = quick_trace(mode_);
  ik_hop *hops = nullptr;
  size_t n = 0;
  ASSERT_EQ(ik_traceroute(Chain::target_address(family()).c_str(), &o, &hops, &n), 0) << ik_last_error();
  ASSERT_EQ(n, static_cast<size_t>(kHopsToTarget)) << hop_list(hops, n);
  for (int k = 1; k <= kHopsToTarget; ++k) {
    const ik_hop &hop = hops[k - 1];
    std::string expect = k <= Chain::kRouters ? Chain::router_address(k, family()) : Chain::target_address(family());
    EXPECT_EQ(hop.distance, k);
    EXPECT_STREQ(hop.host.address, expect.c_str());
    EXPECT_EQ(hop.host.packets_sent, 2);
    EXPECT_EQ(hop.host.packets_received, 2);
    ASSERT_EQ(hop.host.replies_len, 2u);
    EXPECT_EQ(hop.host.replies[0].reply.type,
              k <= Chain::kRouters ? mode_.time_exceeded_type() : mode_.echo_reply_type());
  }
  ik_hops_free(hops, n);
}

TEST_P(PingChain, FastTracerouteSendsOneProbePerAnsweringHop) {
  ik_ping_options o = quick_trace(mode_);
  o.fast = 1;
  o.count = 3;
  ik_hop *hops = nullptr;
  size_t n = 0;
  ASSERT_EQ(ik_traceroute(Chain::target_address(family()).c_str(), &o, &hops, &n), 0) << ik_last_error();
  ASSERT_EQ(n, static_cast<size_t>(kHopsToTarget)) << hop_list(hops, n);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(hops[i].host.packets_sent, 1) << hop_list(hops, n);
    EXPECT_EQ(hops[i].host.packets_received, 1);
  }
  ik_hops_free(hops, n);
}

TEST_P(PingChain, TracerouteFromAFirstHopSkipsTheNearerRouters) {
  ik_ping_options o = quick_trace(mode_);
  o.first_hop = 3;
  ik_hop *hops = nullptr;
  size_t n = 0;
  ASSERT_EQ(ik_traceroute(Chain::target_address(family()).c_str(), &o, &hops, &n), 0) << ik_last_error();
  ASSERT_EQ(n, 2u) << hop_list(hops, n);
  EXPECT_EQ(hops[0].distance, 3);
  EXPECT_STREQ(hops[0].host.address, Chain::router_address(3, family()).c_str());
  EXPECT_EQ(hops[1].distance, 4);
  ik_hops_free(hops, n);
}

/* icmplib counts only Time Exceeded and echo replies: the unreachable
 * answers of r3 list no hop (the walk ends there; icmplib's goes on to
 * max_hops and lists nothing more). */
TEST_P(PingChain, TracerouteToAnUnreachableRouteListsOnlyTheRoutersBefore) {
  ik_ping_options o = quick_trace(mode_);
  o.max_hops = 5;
  ik_hop *hops = nullptr;
  size_t n = 0;
  ASSERT_EQ(ik_traceroute(Chain::address_for(Chain::Fate::unreachable_route, family()).c_str(), &o, &hops, &n), 0)
      << ik_last_error();
  ASSERT_EQ(n, 2u) << hop_list(hops, n);
  EXPECT_STREQ(hops[0].host.address, Chain::router_address(1, family()).c_str());
  EXPECT_STREQ(hops[1].host.address, Chain::router_address(2, family()).c_str());
  ik_hops_free(hops, n);
}

TEST_P(PingChain, AsyncTracerouteGivesTheSameHopsAsTraceroute) {
  ik_ping_options o = quick_trace(mode_);
  ik_hop *sync_hops = nullptr, *async_hops = nullptr;
  size_t sync_n = 0, async_n = 0;
  const std::string target = Chain::target_address(family());
  ASSERT_EQ(ik_traceroute(target.c_str(), &o, &sync_hops, &sync_n), 0) << ik_last_error();
  struct event_base *base = event_base_new();
  Done done;
  ASSERT_EQ(ik_async_traceroute(base, target.c_str(), &o, &async_hops, &async_n, on_done, &done, nullptr), 0);
  event_base_dispatch(base);
  EXPECT_EQ(done.calls, 1);
  EXPECT_EQ(done.status, 0);
  EXPECT_EQ(hop_list(async_hops, async_n), hop_list(sync_hops, sync_n));
  ik_hops_free(sync_hops, sync_n);
  ik_hops_free(async_hops, async_n);
  event_base_free(base);
}

INSTANTIATE_TEST_SUITE_P(Modes, PingChain, ::testing::ValuesIn(all_modes()), ModeName);

/* Both families at once: the parameter's family is not used. */
class MultipingChain : public ChainTest {};

enum class Verdict { alive, silent, unreachable };

TEST_P(MultipingChain, ThousandsOfMixedHostsGetExactVerdictsInInputOrder) {
  /* A whole local IPv6 prefix, so that many distinct IPv6 hosts answer. */
  chain_->topo.ip("pinger", "-6 route add local fd00:0:0:200::/64 dev lo");
  auto v6 = [](Chain::Fate f, size_t k) {
    std::string a = Chain::address_for(f, 6);
    char hex[8];
    std::snprintf(hex, sizeof hex, "%zx", k + 1);
    return a.substr(0, a.size() - 1) + hex;
  };
  std::vector<std::string> names;
  std::vector<Verdict> expect;
  for (size_t i = 0; i < 1200; ++i) {
    size_t k = i / 5;
    char hex[8];
    std::snprintf(hex, sizeof hex, "%zx", k + 1);
    switch (i % 5) {
      case 0: names.push_back("127.0." + std::to_string(k / 250) + "." + std::to_string(k % 250 + 1));
              expect.push_back(Verdict::alive); break;
      case 1: names.push_back(std::string("fd00:0:0:200::") + hex); expect.push_back(Verdict::alive); break;
      case 2: names.push_back("198.19." + std::to_string(static_cast<int>(Chain::Fate::blackhole_route) + 1) + "." +
                              std::to_string(k + 1));
              expect.push_back(Verdict::silent); break;
      case 3: names.push_back(v6(Chain::Fate::nft_drop, k)); expect.push_back(Verdict::silent); break;
      default:
        /* nft rejects: the error of an unreachable route is rate-limited
         * per source by a global sysctl we may not change. */
        if (k % 2 == 0)
          names.push_back("198.19." + std::to_string(static_cast<int>(Chain::Fate::nft_host_unreachable) + 1) +
                          "." + std::to_string(k + 1));
        else
          names.push_back(v6(Chain::Fate::nft_host_unreachable, k));
        expect.push_back(Verdict::unreachable);
        break;
    }
  }
  std::vector<const char *> list;
  for (const std::string &s : names) list.push_back(s.c_str());
  std::vector<ik_host> hosts(names.size());
  ik_ping_options o;
  ik_multiping_options_init(&o);
  o.count = 2;
  o.interval = 0.05;
  o.timeout = 0.6;
  o.rate = 0;
  o.privileged = mode_.privileged;
  ASSERT_EQ(ik_multiping(list.data(), list.size(), &o, hosts.data()), 0) << ik_last_error();
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(names[i] + ": " + summary(hosts[i]));
    ik_address a;
    ASSERT_EQ(ik_address_parse(names[i].c_str(), &a), 0);
    char canonical[IK_ADDRSTRLEN];
    ik_address_format(&a, canonical, sizeof canonical);
    EXPECT_STREQ(hosts[i].address, canonical);
    EXPECT_EQ(hosts[i].packets_sent, 2);
    EXPECT_EQ(hosts[i].error, 0);
    switch (expect[i]) {
      case Verdict::alive:
        EXPECT_EQ(hosts[i].packets_received, 2);
        EXPECT_TRUE(hosts[i].is_alive);
        break;
      case Verdict::silent:
        EXPECT_EQ(hosts[i].packets_received, 0);
        EXPECT_EQ(hosts[i].replies_len, 0u);
        break;
      case Verdict::unreachable:
        EXPECT_EQ(hosts[i].packets_received, 0);
        ASSERT_EQ(hosts[i].replies_len, 2u);
        EXPECT_EQ(ik_reply_check(&hosts[i].replies[0].reply), IK_EDEST_UNREACHABLE);
        break;
    }
    ik_host_free(&hosts[i]);
  }
}

TEST_P(MultipingChain, AnUnresolvableNameMarksOnlyItsHost) {
  const std::string t4 = Chain::target_address(4), t6 = Chain::target_address(6);
  const char *list[] = {t4.c_str(), "nowhere.invalid", t6.c_str()};
  ik_host hosts[3];
  ik_ping_options o;
  ik_multiping_options_init(&o);
  o.count = 1;
  o.privileged = mode_.privileged;
  ASSERT_EQ(ik_multiping(list, 3, &o, hosts), 0) << ik_last_error();
  EXPECT_TRUE(hosts[0].is_alive) << summary(hosts[0]);
  EXPECT_EQ(hosts[1].error, IK_ENAMELOOKUP);
  EXPECT_EQ(hosts[1].packets_sent, 0);
  EXPECT_TRUE(hosts[2].is_alive) << summary(hosts[2]);
  for (ik_host &h : hosts) ik_host_free(&h);
}

struct Streamed {
  std::vector<size_t> order;
  std::vector<ik_host> hosts;
};

void keep_host(void *arg, size_t index, const ik_host *h) {
  Streamed *s = static_cast<Streamed *>(arg);
  s->order.push_back(index);
  s->hosts.push_back(*h);
}

TEST_P(MultipingChain, OnHostStreamsEachHostInOrderWithTheStatisticsOfTheArray) {
  const std::string t4 = Chain::target_address(4), t6 = Chain::target_address(6);
  const std::string silent = "198.19." + std::to_string(static_cast<int>(Chain::Fate::blackhole_route) + 1) + ".9";
  const char *list[] = {t4.c_str(), "nowhere.invalid", t6.c_str(), silent.c_str(), "127.0.0.1"};
  ik_ping_options o = quick_ping(mode_, 3);
  o.rate = 0;
  ik_host kept[5];
  ASSERT_EQ(ik_multiping(list, 5, &o, kept), 0) << ik_last_error();
  Streamed s;
  o.on_host = keep_host;
  o.on_host_arg = &s;
  ASSERT_EQ(ik_multiping(list, 5, &o, nullptr), 0) << ik_last_error();
  ASSERT_EQ(s.order, (std::vector<size_t>{0, 1, 2, 3, 4}));
  for (size_t i = 0; i < 5; ++i) {
    const ik_host &a = kept[i], &b = s.hosts[i];
    SCOPED_TRACE(summary(a));
    EXPECT_STREQ(b.address, a.address);
    EXPECT_EQ(b.packets_sent, a.packets_sent);
    EXPECT_EQ(b.packets_received, a.packets_received);
    EXPECT_EQ(b.packet_loss, a.packet_loss);
    EXPECT_EQ(b.is_alive, a.is_alive);
    EXPECT_EQ(b.error, a.error);
    EXPECT_EQ(b.duplicates, 0);
    EXPECT_EQ(b.rtts, nullptr);
    EXPECT_EQ(b.replies, nullptr);
    EXPECT_EQ(b.rtts_len, 0u);
    /* RTTs differ between runs; their statistics must be coherent. */
    EXPECT_LE(b.min_rtt, b.avg_rtt);
    EXPECT_LE(b.avg_rtt, b.max_rtt);
    EXPECT_EQ(b.min_rtt > 0, a.min_rtt > 0);
    ik_host_free(&kept[i]);
  }
  EXPECT_EQ(s.hosts[1].error, IK_ENAMELOOKUP);
  EXPECT_STREQ(s.hosts[1].address, "nowhere.invalid");
  EXPECT_EQ(s.hosts[0].packets_received, 3);
  EXPECT_EQ(s.hosts[3].packets_received, 0);
}

/* r1 sends the pinger a second copy of every IPv4 echo reply (nft dup). */
void duplicate_echo_replies_at_r1(Chain &chain) {
  chain.topo.nft("r1", "table ip ikdup {\n"
                       " chain forward {\n"
                       "  type filter hook forward priority 0; policy accept;\n"
                       "  ip daddr " + Chain::pinger_address(4) + " icmp type echo-reply dup to " +
                       Chain::pinger_address(4) + " device \"eth0\"\n"
                       " }\n"
                       "}\n");
}

TEST_P(MultipingChain, OnHostCountsLateCopiesAsDuplicates) {
  duplicate_echo_replies_at_r1(*chain_);
  const std::string t4 = Chain::target_address(4);
  const char *list[] = {t4.c_str()};
  ik_ping_options o = quick_ping(mode_, 3);
  o.interval = 0.1;
  o.rate = 0;
  Streamed s;
  o.on_host = keep_host;
  o.on_host_arg = &s;
  ASSERT_EQ(ik_multiping(list, 1, &o, nullptr), 0) << ik_last_error();
  ASSERT_EQ(s.hosts.size(), 1u);
  EXPECT_EQ(s.hosts[0].packets_received, 3);
  /* The call may return before the last probe's copy arrives. */
  EXPECT_GE(s.hosts[0].duplicates, 2);
  EXPECT_LE(s.hosts[0].duplicates, 3);
}

TEST_P(MultipingChain, BroadcastPingRecordsEveryResponderAndCountsEachProbeOnce) {
  ik_ping_options o = quick_ping(mode_, 2);
  o.broadcast = 1;
  o.interval = 0.2;
  ik_host h;
  ASSERT_EQ(ik_ping(Chain::broadcast_address().c_str(), &o, &h), 0) << ik_last_error();
  EXPECT_EQ(h.packets_sent, 2);
  EXPECT_EQ(h.packets_received, 2);
  std::set<std::string> seen;
  for (size_t i = 0; i < h.replies_len; ++i) {
    seen.insert(h.replies[i].reply.source);
    EXPECT_EQ(h.replies[i].reply.flags & IK_REPLY_DUPLICATE, 0u);
  }
  std::vector<std::string> responders = Chain::broadcast_responders();
  EXPECT_EQ(seen, std::set<std::string>(responders.begin(), responders.end())) << summary(h);
  EXPECT_EQ(h.replies_len, 2 * responders.size()) << summary(h);
  ik_host_free(&h);
}

TEST_P(MultipingChain, DuplicatedRepliesAreRecordedFlaggedAndNotCounted) {
  duplicate_echo_replies_at_r1(*chain_);
  ik_ping_options o = quick_ping(mode_, 3);
  o.interval = 0.1;
  ik_host h;
  ASSERT_EQ(ik_ping(Chain::target_address(4).c_str(), &o, &h), 0) << ik_last_error();
  EXPECT_EQ(h.packets_sent, 3);
  EXPECT_EQ(h.packets_received, 3);
  EXPECT_EQ(h.packet_loss, 0.0);
  EXPECT_EQ(h.rtts_len, 3u);
  /* The call returns at the last probe's first reply: its copy may come
   * too late to be seen. */
  EXPECT_GE(h.duplicates, 2) << summary(h);
  EXPECT_LE(h.duplicates, 3) << summary(h);
  ASSERT_EQ(h.replies_len, 3u + static_cast<size_t>(h.duplicates)) << summary(h);
  int flagged = 0;
  for (size_t i = 0; i < h.replies_len; ++i) flagged += (h.replies[i].reply.flags & IK_REPLY_DUPLICATE) != 0;
  EXPECT_EQ(flagged, h.duplicates);
  EXPECT_EQ(h.replies[1].sequence, 0u);
  EXPECT_NE(h.replies[1].reply.flags & IK_REPLY_DUPLICATE, 0u) << "the copy of probe 0";
  ik_host_free(&h);
}

TEST_P(MultipingChain, BroadcastDestinationWithoutTheOptionFailsThePing) {
  ik_ping_options o = quick_ping(mode_, 1);
  ik_host h;
  EXPECT_EQ(ik_ping(Chain::broadcast_address().c_str(), &o, &h), IK_EBROADCAST);
  EXPECT_EQ(h.replies, nullptr);
}

volatile int g_cancel_flag = 0;

void cancel_after_first(void *arg, size_t, const ik_probe_reply *) {
  *static_cast<volatile int *>(arg) = 1;
}

TEST_P(MultipingChain, CancelFlagStopsPingEarlyWithTheResultsSoFar) {
  ik_ping_options o = quick_ping(mode_, 50);
  o.interval = 0.1;
  g_cancel_flag = 0;
  o.cancel = &g_cancel_flag;
  o.on_reply = cancel_after_first;
  o.on_reply_arg = const_cast<int *>(&g_cancel_flag);
  ik_host h;
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(ik_ping(Chain::target_address(4).c_str(), &o, &h), 0) << ik_last_error();
  double took = seconds_since(start);
  EXPECT_LT(took, 1.0) << "50 probes 0.1 s apart would take 5 s";
  EXPECT_GE(h.packets_received, 1);
  EXPECT_LT(h.packets_sent, 50);
  ik_host_free(&h);
}

INSTANTIATE_TEST_SUITE_P(Modes, MultipingChain, ::testing::ValuesIn(v4_modes()), ModeName);

/* ---- the async engine on the pinger's loopback ---- */

class AsyncMultiping : public ChainTest {};

double thread_cpu_seconds() {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/* Gaps between ticks in wall time, and in CPU time of the loop thread:
 * the work the loop did without letting the timer run, whatever the
 * scheduler of a loaded machine adds. */
struct Ticker {
  std::chrono::steady_clock::time_point last;
  double last_cpu = 0;
  double max_gap = 0, max_cpu_gap = 0;
  int ticks = 0;
  bool started = false;
};

void tick(evutil_socket_t, short, void *arg) {
  Ticker *t = static_cast<Ticker *>(arg);
  auto now = std::chrono::steady_clock::now();
  double cpu = thread_cpu_seconds();
  if (t->started) {
    double gap = std::chrono::duration<double>(now - t->last).count();
    if (gap > t->max_gap) t->max_gap = gap;
    if (cpu - t->last_cpu > t->max_cpu_gap) t->max_cpu_gap = cpu - t->last_cpu;
  }
  t->started = true;
  t->last = now;
  t->last_cpu = cpu;
  t->ticks++;
}

std::vector<std::string> loopback_hosts(size_t n) {
  std::vector<std::string> v;
  for (size_t i = 0; i < n; ++i) {
    size_t h = i + 1;
    v.push_back("127.1." + std::to_string(h >> 8) + "." + std::to_string(h & 255));
  }
  return v;
}

/* Bound: 50 ms of the loop thread's CPU time between two ticks, generous
 * for ASan (the engine yields every 256 sends, the socket layer every 256
 * reads). Wall-time gaps are printed, and bounded loosely, because on a
 * loaded machine the scheduler alone can add tens of milliseconds. */
TEST_P(AsyncMultiping, OneMillisecondTimerKeepsFiringDuringTenThousandHosts) {
  std::vector<std::string> names = loopback_hosts(10000);
  std::vector<const char *> list;
  for (const std::string &s : names) list.push_back(s.c_str());
  std::vector<ik_host> hosts(names.size());
  ik_ping_options o;
  ik_multiping_options_init(&o);
  o.count = 2;
  o.interval = 0.05;
  o.timeout = 1;
  o.rate = 0;
  o.privileged = mode_.privileged;
  struct event_base *base = event_base_new();
  Ticker ticker;
  struct event *timer = event_new(base, -1, EV_PERSIST, tick, &ticker);
  struct timeval ms = {0, 1000};
  event_add(timer, &ms);
  Done done;
  ik_job *job = nullptr;
  ASSERT_EQ(ik_async_multiping(base, list.data(), list.size(), &o, hosts.data(), on_done, &done, &job), 0)
      << ik_last_error();
  while (done.calls == 0) event_base_loop(base, EVLOOP_ONCE);
  std::printf("[ info ] %d ticks, max gap between 1 ms ticks: %.1f ms wall, %.1f ms loop CPU\n", ticker.ticks,
              ticker.max_gap * 1e3, ticker.max_cpu_gap * 1e3);
  EXPECT_EQ(done.status, 0);
  EXPECT_GT(ticker.ticks, 1);
  EXPECT_LT(ticker.max_cpu_gap, 0.050);
  EXPECT_LT(ticker.max_gap, 1.0);
  size_t alive = 0;
  for (ik_host &h : hosts) {
    alive += h.packets_received == 2;
    ik_host_free(&h);
  }
  EXPECT_EQ(alive, hosts.size());
  ik_job_free(job);
  event_free(timer);
  event_base_free(base);
}

TEST_P(AsyncMultiping, CancelCompletesWithCanceledAndTheResultsSoFar) {
  std::vector<std::string> names(200, Chain::address_for(Chain::Fate::blackhole_route, 4));
  names.push_back("127.0.0.1");
  std::vector<const char *> list;
  for (const std::string &s : names) list.push_back(s.c_str());
  std::vector<ik_host> hosts(names.size());
  ik_ping_options o;
  ik_multiping_options_init(&o);
  o.count = 3;
  o.interval = 0.01;
  o.timeout = 30;
  o.rate = 0;
  o.privileged = mode_.privileged;
  struct event_base *base = event_base_new();
  Done done;
  ik_job *job = nullptr;
  ASSERT_EQ(ik_async_multiping(base, list.data(), list.size(), &o, hosts.data(), on_done, &done, &job), 0);
  struct timeval later = {0, 200000};
  event_base_once(base, -1, EV_TIMEOUT, [](evutil_socket_t, short, void *j) { ik_job_cancel(static_cast<ik_job *>(j)); },
                  job, &later);
  auto start = std::chrono::steady_clock::now();
  while (done.calls == 0) event_base_loop(base, EVLOOP_ONCE);
  EXPECT_LT(seconds_since(start), 5.0) << "the 30 s timeouts were cut short";
  EXPECT_EQ(done.status, IK_ECANCELED);
  EXPECT_EQ(hosts.back().packets_received, 3) << summary(hosts.back());
  EXPECT_EQ(hosts[0].packets_sent, 3);
  EXPECT_EQ(hosts[0].packets_received, 0);
  for (ik_host &h : hosts) ik_host_free(&h);
  ik_job_free(job);
  event_base_free(base);
}

/* The synchronous call is a wrapper over the async engine: both give the
 * same verdicts and replies (times aside) for the same mixed list. */
TEST_P(AsyncMultiping, GivesTheSameResultsAsMultiping) {
  using F = Chain::Fate;
  std::vector<std::string> names = {Chain::target_address(4), Chain::target_address(6),
                                    Chain::router_address(2, 4), Chain::router_address(1, 6),
                                    "127.0.0.1", "::1",
                                    Chain::address_for(F::nft_drop, 4), Chain::address_for(F::nft_drop, 6),
                                    Chain::address_for(F::nft_host_unreachable, 4),
                                    Chain::address_for(F::nft_host_unreachable, 6),
                                    Chain::address_for(F::nft_admin_prohibited, 6),
                                    Chain::address_for(F::blackhole_route, 4), "no.such.host.invalid"};
  std::vector<const char *> list;
  for (const std::string &s : names) list.push_back(s.c_str());
  ik_ping_options o;
  ik_multiping_options_init(&o);
  o.count = 2;
  o.interval = 0.05;
  o.timeout = 0.4;
  o.privileged = mode_.privileged;
  std::vector<ik_host> sync_hosts(names.size()), async_hosts(names.size());
  ASSERT_EQ(ik_multiping(list.data(), list.size(), &o, sync_hosts.data()), 0) << ik_last_error();
  struct event_base *base = event_base_new();
  Done done;
  ik_job *job = nullptr;
  ASSERT_EQ(ik_async_multiping(base, list.data(), list.size(), &o, async_hosts.data(), on_done, &done, &job), 0)
      << ik_last_error();
  event_base_dispatch(base);
  EXPECT_EQ(done.calls, 1);
  EXPECT_EQ(done.status, 0);
  size_t alive = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(summary(async_hosts[i]), summary(sync_hosts[i]));
    alive += async_hosts[i].is_alive;
  }
  EXPECT_EQ(alive, 6u) << "targets, routers and loopback answer; the rest do not";
  for (size_t i = 0; i < names.size(); ++i) {
    ik_host_free(&sync_hosts[i]);
    ik_host_free(&async_hosts[i]);
  }
  ik_job_free(job);
  event_base_free(base);
}

/* ASan and valgrind check the rest: nothing leaks, nothing runs after. */
TEST_P(AsyncMultiping, FreeingAJobWithWorkPendingNeverCallsBack) {
  std::vector<std::string> names(500, Chain::address_for(Chain::Fate::blackhole_route, 4));
  std::vector<const char *> list;
  for (const std::string &s : names) list.push_back(s.c_str());
  std::vector<ik_host> hosts(names.size());
  ik_ping_options o;
  ik_multiping_options_init(&o);
  o.timeout = 30;
  o.rate = 0;
  o.privileged = mode_.privileged;
  /* It reads packets_sent before cb, which only a one-thread job allows
   * (worker threads write the results until cb); test_threads.cpp frees a
   * threaded job midway. */
  o.threads = 1;
  struct event_base *base = event_base_new();
  Done done;
  ik_job *job = nullptr;
  ASSERT_EQ(ik_async_multiping(base, list.data(), list.size(), &o, hosts.data(), on_done, &done, &job), 0);
  struct timeval later = {0, 100000};
  event_base_loopexit(base, &later);
  event_base_dispatch(base);
  EXPECT_GT(hosts[0].packets_sent, 0) << "probes were in flight";
  ik_job_free(job);
  event_base_dispatch(base);
  EXPECT_EQ(done.calls, 0);
  for (ik_host &h : hosts) {
    EXPECT_EQ(h.replies, nullptr);
    EXPECT_EQ(h.rtts, nullptr);
  }
  event_base_free(base);
}

#if defined(IKNET_ASYNC_MULTIPING)
TEST_P(AsyncMultiping, ExampleTicksWhilePingingAndReportsEveryHost) {
  std::string flag = mode_.privileged ? "" : " --unprivileged";
  CommandResult r = chain_->topo.exec("pinger", std::string(IKNET_ASYNC_MULTIPING) + flag + " " +
                                                    Chain::target_address(4) + " " + Chain::target_address(6) +
                                                    " 127.0.0.1 2>&1");
  EXPECT_EQ(r.status, 0) << r.output;
  for (const std::string &h : {Chain::target_address(4), Chain::target_address(6), std::string("127.0.0.1")}) {
    EXPECT_NE(r.output.find(h + ": 3 sent, 3 received"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(h + ": reply from " + h + " icmp_seq=2"), std::string::npos) << r.output;
  }
  /* 3 probes 0.2 s apart: at least 4 of the 0.1 s ticks come in between. */
  EXPECT_NE(r.output.find("tick 4\n"), std::string::npos) << r.output;
}
#endif

INSTANTIATE_TEST_SUITE_P(Modes, AsyncMultiping, ::testing::ValuesIn(v4_modes()), ModeName);

}  // namespace
}  // namespace iknet
