// Name lookups of the asynchronous calls never block the loop (issue 20,
// point 3): ik_async_resolve and the names of ik_async_ping/multiping/
// traceroute go through libevent's evdns. Each test runs on a thread inside
// its own namespace and its own mount namespace, where /etc/resolv.conf
// and /etc/hosts are bind-mounted from files the test wrote (as
// `ip netns exec` does with /etc/netns/NAME/*): the name server is a UDP
// socket on the namespace's loopback that reads queries and never answers.
// Root only; no packet leaves the namespace.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <event2/event.h>

#include "netns.h"

extern "C" {
#include "icmpkit.h"
}

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Writes text into a new temporary file and returns its path.
std::string temp_file(const std::string &text) {
  char path[] = "/tmp/ik-resolve-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    close(fd);
    throw std::runtime_error("cannot write " + std::string(path));
  }
  close(fd);
  return path;
}

// Runs fn on a thread in a new namespace whose /etc/resolv.conf and
// /etc/hosts are resolv_conf and hosts (that thread's mount namespace only).
void with_system_files(const std::string &resolv_conf, const std::string &hosts,
                       const std::function<void()> &fn) {
  iknet::Topology topo;
  topo.add("dns");
  topo.sysctl("dns", "net.ipv4.ping_group_range", "0 2147483647");
  std::string rc = temp_file(resolv_conf), h = temp_file(hosts);
  iknet::in_netns(topo.ns("dns"), [&] {
    ASSERT_EQ(unshare(CLONE_NEWNS), 0) << "unshare(CLONE_NEWNS)";
    ASSERT_EQ(mount("none", "/", "none", MS_REC | MS_PRIVATE, nullptr), 0);
    ASSERT_EQ(mount(rc.c_str(), "/etc/resolv.conf", "none", MS_BIND, nullptr), 0);
    ASSERT_EQ(mount(h.c_str(), "/etc/hosts", "none", MS_BIND, nullptr), 0);
    fn();
  });
  unlink(rc.c_str());
  unlink(h.c_str());
}

// A name server that never answers: a UDP socket on 127.0.0.1:53 of the
// current namespace, read (counting the queries) from the test's loop.
struct SilentServer {
  int fd = -1;
  int queries = 0;
  struct event *ev = nullptr;

  explicit SilentServer(struct event_base *base) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(53);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0)
      throw std::runtime_error("cannot bind 127.0.0.1:53 in the namespace");
    ev = event_new(base, fd, EV_READ | EV_PERSIST, on_query, this);
    event_add(ev, nullptr);
  }
  ~SilentServer() {
    event_free(ev);
    close(fd);
  }
  static void on_query(evutil_socket_t fd, short, void *arg) {
    char buf[1500];
    while (recv(fd, buf, sizeof buf, 0) >= 0) static_cast<SilentServer *>(arg)->queries++;
  }
};

// A timer every 10 ms on the same base, recording the longest gap.
struct Ticker {
  struct event *ev;
  int ticks = 0;
  double longest = 0;
  Clock::time_point last = Clock::now();

  explicit Ticker(struct event_base *base) {
    ev = event_new(base, -1, EV_PERSIST, on_tick, this);
    timeval tv{0, 10000};
    event_add(ev, &tv);
  }
  ~Ticker() { event_free(ev); }
  void stop() { event_del(ev); }
  static void on_tick(evutil_socket_t, short, void *arg) {
    auto *t = static_cast<Ticker *>(arg);
    t->longest = std::max(t->longest, since(t->last));
    t->last = Clock::now();
    t->ticks++;
  }
};

// A server that is never answered: the lookup waits for seconds.
const char *kSilentConf = "nameserver 127.0.0.1\noptions timeout:3 attempts:1\n";
const char *kHosts = "127.0.0.1 self.test\n::1 self.test\n127.0.0.1 v4only.test\n";

// fn(base, dns) in a namespace whose only name server is dns (it never
// answers; the hosts file is kHosts), resolver settings resolv_conf.
// Afterwards the base runs to its end (libevent ends the cancelled
// queries) and is freed.
void with_silent_dns(const std::string &resolv_conf,
                     const std::function<void(struct event_base *, SilentServer &)> &fn) {
  with_system_files(resolv_conf, kHosts, [&] {
    struct event_base *base = event_base_new();
    ASSERT_NE(base, nullptr);
    {
      SilentServer dns(base);
      fn(base, dns);
    }
    event_base_dispatch(base);
    event_base_free(base);
  });
}

struct Done {
  int calls = 0;
  int status = 1;
  std::string detail;
};

void job_done(int status, void *arg) {
  auto *d = static_cast<Done *>(arg);
  d->calls++;
  d->status = status;
}

void run_for(struct event_base *base, double seconds) {
  timeval tv{0, static_cast<suseconds_t>(seconds * 1e6)};
  event_base_loopexit(base, &tv);
  event_base_dispatch(base);
}

struct Resolved {
  int calls = 0;
  int status = 1;
  std::vector<std::string> addrs;
  std::string detail;
};

void resolved(int status, const ik_address *addrs, size_t n, void *arg) {
  auto *r = static_cast<Resolved *>(arg);
  r->calls++;
  r->status = status;
  r->detail = ik_last_error();
  for (size_t i = 0; i < n; i++) {
    char text[IK_ADDRSTRLEN];
    ik_address_format(&addrs[i], text, sizeof text);
    r->addrs.push_back(text);
  }
}

TEST(AsyncResolve, PingOfANameWaitingForDnsNeverBlocksTheLoop) {
  IKNET_REQUIRE_ROOT();
  with_silent_dns(kSilentConf, [](struct event_base *base, SilentServer &dns) {
    Ticker ticker(base);
    ik_host host;
    Done done;
    ik_job *job = nullptr;
    auto t0 = Clock::now();
    ASSERT_EQ(ik_async_ping(base, "never-answered.test", nullptr, &host, job_done, &done, &job),
              IK_OK)
      << ik_last_error();
    double start_call = since(t0);
    run_for(base, 0.3);
    // The blocking resolver of old spent the server's 3 s timeout in the
    // start call, with the timer stopped. (Bounds loose for a loaded CI
    // machine; typically 1 ms and 10-12 ms.)
    std::printf("start call %.1f ms, longest gap between 10 ms ticks %.1f ms\n",
                start_call * 1e3, ticker.longest * 1e3);
    EXPECT_LT(start_call, 1.0);
    EXPECT_GE(ticker.ticks, 5);
    EXPECT_LT(ticker.longest, 1.0);
    EXPECT_GE(dns.queries, 1) << "the lookup did not ask the namespace's server";
    EXPECT_EQ(done.calls, 0);
    ik_job_free(job);  // during the lookup: cb never runs, nothing leaks (ASan)
    ticker.stop();
    run_for(base, 0.05);
    EXPECT_EQ(done.calls, 0);
  });
}

// The monitor looks its names up on the loop too (issue 20, point 3): a
// name whose server never answers neither stalls set_targets nor the loop
// nor the other targets; its probes wait uncounted; freeing the monitor
// during the lookup is clean (ASan).
TEST(AsyncResolve, MonitorOfANameWaitingForDnsNeverBlocksTheLoop) {
  IKNET_REQUIRE_ROOT();
  with_silent_dns(kSilentConf, [](struct event_base *base, SilentServer &dns) {
    Ticker ticker(base);
    ik_monitor *m = nullptr;
    ik_monitor_options mo;
    ik_monitor_options_init(&mo);
    mo.resolve_interval = 0.2;  // the second round finds the first still waiting
    ASSERT_EQ(ik_monitor_new(base, &mo, &m), IK_OK) << ik_last_error();
    ik_monitor_target t[2];
    ik_monitor_target_init(&t[0]);
    ik_monitor_target_init(&t[1]);
    t[0].host = "never-answered.test";
    t[1].host = "self.test";  // the hosts file: answered without the server
    t[0].interval = t[1].interval = 0.05;
    auto t0 = Clock::now();
    ASSERT_EQ(ik_monitor_set_targets(m, t, 2), IK_OK) << ik_last_error();
    double start_call = since(t0);
    run_for(base, 1.0);
    std::printf("set_targets %.1f ms, longest gap between 10 ms ticks %.1f ms\n",
                start_call * 1e3, ticker.longest * 1e3);
    EXPECT_LT(start_call, 1.0);
    EXPECT_LT(ticker.longest, 1.0);
    EXPECT_GE(dns.queries, 1) << "the lookup did not ask the namespace's server";
    EXPECT_LE(dns.queries, 4) << "one lookup (A and AAAA) at a time, not one per 0.2 s round";
    ik_monitor_stats s;
    ASSERT_EQ(ik_monitor_stats_get(m, 0, &s), IK_OK);
    EXPECT_STREQ(s.address, "");
    EXPECT_EQ(s.sent, 0u) << "probes waiting for the first lookup count nowhere";
    EXPECT_EQ(s.nsend, 0u);
    ASSERT_EQ(ik_monitor_stats_get(m, 1, &s), IK_OK);
    EXPECT_STREQ(s.address, "127.0.0.1");
    EXPECT_GE(s.sent, 5u);  // about 19; few under valgrind
    EXPECT_EQ(s.replies, s.sent);
    ik_monitor_free(m);  // during the lookup
    ticker.stop();
  });
}

TEST(AsyncResolve, CancelDuringTheLookupEndsTheJobOnceWithEcanceled) {
  IKNET_REQUIRE_ROOT();
  with_silent_dns(kSilentConf, [](struct event_base *base, SilentServer &) {
    const char *names[] = {"never-answered.test", "127.0.0.1"};
    ik_host hosts[2];
    Done done;
    ik_job *job = nullptr;
    ASSERT_EQ(ik_async_multiping(base, names, 2, nullptr, hosts, job_done, &done, &job), IK_OK)
      << ik_last_error();
    run_for(base, 0.1);
    ASSERT_EQ(done.calls, 0);
    ik_job_cancel(job);
    EXPECT_EQ(done.calls, 0) << "cb ran inside ik_job_cancel";
    run_for(base, 0.2);
    EXPECT_EQ(done.calls, 1);
    EXPECT_EQ(done.status, IK_ECANCELED);
    EXPECT_EQ(hosts[0].packets_sent + hosts[1].packets_sent, 0);
    ik_job_free(job);
    ik_host_free(&hosts[0]);
    ik_host_free(&hosts[1]);
  });
}

TEST(AsyncResolve, FreeingATracerouteDuringItsLookupIsClean) {
  IKNET_REQUIRE_ROOT();
  with_silent_dns(kSilentConf, [](struct event_base *base, SilentServer &) {
    ik_hop *hops = nullptr;
    size_t nhops = 0;
    Done done;
    ik_job *job = nullptr;
    ASSERT_EQ(ik_async_traceroute(base, "never-answered.test", nullptr, &hops, &nhops, job_done,
                                  &done, &job),
              IK_OK)
      << ik_last_error();
    run_for(base, 0.05);
    ik_job_free(job);
    run_for(base, 0.05);
    EXPECT_EQ(done.calls, 0);
    EXPECT_EQ(hops, nullptr);
    EXPECT_EQ(nhops, 0u);
  });
}

TEST(AsyncResolve, ANameTheServerNeverAnswersFailsWithEnamelookupThroughTheCallback) {
  IKNET_REQUIRE_ROOT();
  with_silent_dns("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n", [](struct event_base *base, SilentServer &) {
    Ticker ticker(base);
    Resolved r;
    ik_lookup *lookup = nullptr;
    ASSERT_EQ(ik_async_resolve(base, "never-answered.test", 0, resolved, &r, &lookup), IK_OK);
    // A ping of that name ends through cb, its host empty.
    ik_host host;
    Done done;
    std::string ping_detail;
    ASSERT_EQ(ik_async_ping(
                base, "never-answered.test", nullptr, &host,
                [](int status, void *arg) {
                  job_done(status, arg);
                  static_cast<Done *>(arg)->detail = ik_last_error();
                },
                &done, nullptr),
              IK_OK);
    for (int i = 0; i < 40 && (r.calls == 0 || done.calls == 0); i++) run_for(base, 0.1);
    EXPECT_EQ(r.calls, 1);
    EXPECT_EQ(r.status, IK_ENAMELOOKUP);
    EXPECT_NE(r.detail.find("never-answered.test"), std::string::npos) << r.detail;
    EXPECT_EQ(done.calls, 1);
    EXPECT_EQ(done.status, IK_ENAMELOOKUP);
    EXPECT_NE(done.detail.find("never-answered.test"), std::string::npos) << done.detail;
    EXPECT_EQ(host.packets_sent, 0);
    EXPECT_EQ(host.rtts, nullptr);
    EXPECT_LT(ticker.longest, 1.0);
  });
}

TEST(AsyncResolve, ANameFromTheHostsFileResolvesAndIsPinged) {
  IKNET_REQUIRE_ROOT();
  with_system_files(kSilentConf, kHosts, [] {
    struct event_base *base = event_base_new();
    ASSERT_NE(base, nullptr);
    Resolved both, v6, v4only;
    ASSERT_EQ(ik_async_resolve(base, "self.test", 0, resolved, &both, nullptr), IK_OK);
    ASSERT_EQ(ik_async_resolve(base, "SELF.test.", IK_AF_INET6, resolved, &v6, nullptr), IK_OK);
    ASSERT_EQ(ik_async_resolve(base, "v4only.test", IK_AF_INET6, resolved, &v4only, nullptr),
              IK_OK);
    EXPECT_EQ(both.calls + v6.calls + v4only.calls, 0) << "a callback ran inside the start call";
    ik_ping_options o;
    ik_ping_options_init(&o);
    o.count = 1;
    o.interval = 0.01;
    ik_host host;
    Done done;
    ASSERT_EQ(ik_async_ping(base, "self.test", &o, &host, job_done, &done, nullptr), IK_OK);
    event_base_dispatch(base);
    EXPECT_EQ(both.status, IK_OK) << both.detail;
    EXPECT_EQ(both.addrs, (std::vector<std::string>{"127.0.0.1", "::1"}));
    EXPECT_EQ(v6.addrs, (std::vector<std::string>{"::1"})) << v6.detail;
    EXPECT_EQ(v4only.status, IK_ENAMELOOKUP);
    EXPECT_NE(v4only.detail.find("no IPv6 address"), std::string::npos) << v4only.detail;
    EXPECT_EQ(done.calls, 1);
    EXPECT_EQ(done.status, IK_OK);
    EXPECT_STREQ(host.address, "127.0.0.1");
    EXPECT_EQ(host.packets_received, 1);
    ik_host_free(&host);
    event_base_free(base);
  });
}

TEST(AsyncResolve, AnInvalidNameFailsThroughTheCallback) {
  IKNET_REQUIRE_ROOT();
  with_system_files(kSilentConf, kHosts, [] {
    struct event_base *base = event_base_new();
    ASSERT_NE(base, nullptr);
    Resolved r;
    ASSERT_EQ(ik_async_resolve(base, "host.invalid", 0, resolved, &r, nullptr), IK_OK);
    EXPECT_EQ(r.calls, 0);
    const char *names[] = {"x.invalid", "self.test"};
    ik_ping_options o;
    ik_multiping_options_init(&o);
    o.count = 1;
    o.interval = 0.01;
    ik_host hosts[2];
    Done done;
    ASSERT_EQ(ik_async_multiping(base, names, 2, &o, hosts, job_done, &done, nullptr), IK_OK);
    event_base_dispatch(base);
    EXPECT_EQ(r.calls, 1);
    EXPECT_EQ(r.status, IK_ENAMELOOKUP);
    EXPECT_NE(r.detail.find(".invalid"), std::string::npos) << r.detail;
    EXPECT_EQ(done.status, IK_OK);
    EXPECT_EQ(hosts[0].error, IK_ENAMELOOKUP);
    EXPECT_STREQ(hosts[0].address, "x.invalid");
    EXPECT_STREQ(hosts[1].address, "127.0.0.1");
    EXPECT_EQ(hosts[1].packets_received, 1);
    ik_host_free(&hosts[0]);
    ik_host_free(&hosts[1]);
    event_base_free(base);
  });
}

}  // namespace
