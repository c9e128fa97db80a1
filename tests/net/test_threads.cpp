/* The threaded multiping (ik_ping_options.threads) against the one-thread
 * one, on the Chain (raw and DGRAM): the same verdicts, statistics and
 * replies for a mix of alive, silent and unreachable hosts of both
 * families, a name that does not resolve, and a host whose replies r1
 * duplicates; callbacks on the calling thread, on_host in input order;
 * cancel within 0.1 s. Root only; every packet stays in the test's
 * namespaces. */
#include "test_topology_fixture.h"

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <event2/event.h>

namespace iknet {
namespace {

class ThreadedMultiping : public ChainTest {
 protected:
  void SetUp() override {
    ChainTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    /* r1 sends the pinger a second copy of every IPv4 echo reply. */
    chain_->topo.nft("r1", "table ip ikdup {\n"
                           " chain forward {\n"
                           "  type filter hook forward priority 0; policy accept;\n"
                           "  ip daddr " + Chain::pinger_address(4) + " icmp type echo-reply dup to " +
                           Chain::pinger_address(4) + " device \"eth0\"\n"
                           " }\n"
                           "}\n");
    for (int f : {4, 6}) {
      targets_.push_back(Chain::target_address(f));
      targets_.push_back(Chain::address_for(Chain::Fate::blackhole_route, f));
      targets_.push_back(Chain::address_for(Chain::Fate::unreachable_route, f));
    }
    targets_.push_back("nowhere.invalid");
    targets_.push_back("127.0.0.1");
    targets_.push_back("::1");
    for (const std::string &t : targets_) list_.push_back(t.c_str());
  }

  ik_ping_options options(int threads) const {
    ik_ping_options o;
    ik_multiping_options_init(&o);
    o.count = 3;
    o.interval = 0.1;
    o.timeout = 0.5;
    o.rate = 0;
    o.privileged = mode_.privileged;
    o.threads = threads;
    return o;
  }

  std::vector<std::string> targets_;
  std::vector<const char *> list_;
};

/* Everything but times and the copies r1 makes: the last probe's copy
 * may come after the call returned, so the copies are compared apart. */
std::string verdict(const ik_host &h) {
  std::string s = std::string(h.address) + " sent " + std::to_string(h.packets_sent) + " received " +
                  std::to_string(h.packets_received) + " loss " + std::to_string(h.packet_loss) +
                  " alive " + std::to_string(h.is_alive) + " rtts " + std::to_string(h.rtts_len) +
                  " error " + ik_err_name(h.error) + " replies";
  for (size_t i = 0; i < h.replies_len; ++i) {
    const ik_probe_reply &r = h.replies[i];
    if (r.reply.flags & IK_REPLY_DUPLICATE) continue;
    s += " [" + std::to_string(r.sequence) + " " + r.reply.source + " " + std::to_string(r.reply.type) + "/" +
         std::to_string(r.reply.code) + " error " + ik_err_name(r.error) + "]";
  }
  return s;
}

int copies(const ik_host &h) {
  int n = 0;
  for (size_t i = 0; i < h.replies_len; ++i) n += (h.replies[i].reply.flags & IK_REPLY_DUPLICATE) != 0;
  return n;
}

struct Seen {
  std::thread::id caller = std::this_thread::get_id();
  int replies = 0, off_thread = 0;
  std::set<unsigned> ids; /* identifiers of the echo replies: one per worker */
  std::vector<size_t> order;
  std::vector<ik_host> hosts;
};

void count_reply(void *arg, size_t, const ik_probe_reply *r) {
  Seen *s = static_cast<Seen *>(arg);
  s->replies++;
  s->off_thread += std::this_thread::get_id() != s->caller;
  if (r->reply.type == 0 || r->reply.type == 129) s->ids.insert(r->reply.id);
}

void keep_host(void *arg, size_t index, const ik_host *h) {
  Seen *s = static_cast<Seen *>(arg);
  s->off_thread += std::this_thread::get_id() != s->caller;
  s->order.push_back(index);
  s->hosts.push_back(*h);
}

TEST_P(ThreadedMultiping, GivesTheResultsOfOneThreadOnAMixedTopology) {
  const size_t n = list_.size();
  std::vector<ik_host> one(n), four(n);
  ik_ping_options o = options(1);
  Seen s1;
  o.on_reply = count_reply;
  o.on_reply_arg = &s1;
  ASSERT_EQ(ik_multiping(list_.data(), n, &o, one.data()), 0) << ik_last_error();
  o = options(4);
  Seen s4;
  o.on_reply = count_reply;
  o.on_reply_arg = &s4;
  ASSERT_EQ(ik_multiping(list_.data(), n, &o, four.data()), 0) << ik_last_error();
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(verdict(four[i]), verdict(one[i])) << "target " << i;
    /* 2 or 3 copies of the 3 replies, whichever the run. */
    EXPECT_EQ(four[i].duplicates, copies(four[i])) << verdict(four[i]);
    EXPECT_LE(four[i].duplicates, one[i].duplicates + 1) << verdict(four[i]);
    EXPECT_GE(four[i].duplicates + 1, one[i].duplicates) << verdict(four[i]);
  }
  /* The mix is what it should be, in input order. */
  EXPECT_EQ(one[0].packets_received, 3) << verdict(one[0]);
  EXPECT_GE(one[0].duplicates, 2) << verdict(one[0]);
  EXPECT_EQ(one[1].packets_received, 0) << verdict(one[1]);
  EXPECT_EQ(one[1].replies_len, 0u) << verdict(one[1]);
  EXPECT_EQ(one[2].packets_received, 0) << verdict(one[2]);
  EXPECT_GT(one[2].replies_len, 0u) << "the unreachable errors: " << verdict(one[2]);
  EXPECT_EQ(one[3].packets_received, 3) << verdict(one[3]);
  EXPECT_EQ(one[6].error, IK_ENAMELOOKUP);
  EXPECT_EQ(one[8].packets_received, 3) << verdict(one[8]);
  /* on_reply: every reply kept, on the calling thread; four workers, each
   * with its own identifier. */
  size_t kept = 0;
  for (const ik_host &h : four) kept += h.replies_len;
  EXPECT_EQ(static_cast<size_t>(s4.replies), kept);
  EXPECT_EQ(s4.off_thread, 0);
  EXPECT_EQ(s1.ids.size(), mode_.privileged ? 1u : 2u) << "one socket per family";
  /* Blocks of 3, 2, 2, 2 targets: workers 0, 1 and 3 have hosts that
   * answer (worker 2: unreachable and unresolved). */
  EXPECT_GE(s4.ids.size(), 3u) << "the workers' own identifiers";
  for (size_t i = 0; i < n; ++i) {
    ik_host_free(&one[i]);
    ik_host_free(&four[i]);
  }
}

TEST_P(ThreadedMultiping, StreamsOnHostInInputOrderOnTheCallingThread) {
  const size_t n = list_.size();
  std::vector<ik_host> one(n);
  ik_ping_options o = options(1);
  ASSERT_EQ(ik_multiping(list_.data(), n, &o, one.data()), 0) << ik_last_error();
  o = options(3);
  Seen s;
  o.on_host = keep_host;
  o.on_host_arg = &s;
  o.on_reply = count_reply;
  o.on_reply_arg = &s;
  ASSERT_EQ(ik_multiping(list_.data(), n, &o, nullptr), 0) << ik_last_error();
  std::vector<size_t> in_order;
  for (size_t i = 0; i < n; ++i) in_order.push_back(i);
  EXPECT_EQ(s.order, in_order);
  EXPECT_EQ(s.off_thread, 0);
  ASSERT_EQ(s.hosts.size(), n);
  for (size_t i = 0; i < n; ++i) {
    const ik_host &a = one[i], &b = s.hosts[i];
    EXPECT_STREQ(b.address, a.address);
    EXPECT_EQ(b.packets_sent, a.packets_sent) << verdict(a);
    EXPECT_EQ(b.packets_received, a.packets_received) << verdict(a);
    EXPECT_EQ(b.is_alive, a.is_alive) << verdict(a);
    EXPECT_EQ(b.error, a.error) << verdict(a);
    EXPECT_EQ(b.min_rtt > 0, a.min_rtt > 0) << verdict(a);
    ik_host_free(&one[i]);
  }
}

struct Done {
  int calls = 0, status = -1;
  struct event_base *base = nullptr;
};

void on_done(int status, void *arg) {
  Done *d = static_cast<Done *>(arg);
  d->calls++;
  d->status = status;
  event_base_loopbreak(d->base);
}

TEST_P(ThreadedMultiping, AsyncCancelEndsEveryWorkerWithinATenthOfASecond) {
  /* Many silent hosts: without the cancel the job lasts the timeout. */
  std::vector<std::string> silent;
  std::string base_addr = Chain::address_for(Chain::Fate::blackhole_route, family());
  for (int k = 1; k <= 200; ++k) {
    std::string a = base_addr.substr(0, base_addr.find_last_of(family() == 4 ? '.' : ':') + 1);
    silent.push_back(a + std::to_string(k));
  }
  std::vector<const char *> list;
  for (const std::string &a : silent) list.push_back(a.c_str());
  std::vector<ik_host> hosts(list.size());
  ik_ping_options o = options(2);
  o.timeout = 5;
  Done d;
  d.base = event_base_new();
  ik_job *job = nullptr;
  ASSERT_EQ(ik_async_multiping(d.base, list.data(), list.size(), &o, hosts.data(), on_done, &d, &job), 0)
      << ik_last_error();
  struct timeval later = {0, 200000};
  event_base_loopexit(d.base, &later);
  event_base_dispatch(d.base);
  auto start = std::chrono::steady_clock::now();
  ik_job_cancel(job);
  event_base_dispatch(d.base);
  double took = seconds_since(start);
  EXPECT_EQ(d.calls, 1);
  EXPECT_EQ(d.status, IK_ECANCELED);
  EXPECT_LT(took, 0.1);
  for (ik_host &h : hosts) {
    EXPECT_GT(h.packets_sent, 0) << h.address;
    ik_host_free(&h);
  }
  ik_job_free(job);
  event_base_free(d.base);
}

TEST_P(ThreadedMultiping, FreeingAJobMidwayStopsItsWorkersAndLeavesNoResults) {
  std::vector<ik_host> hosts(list_.size());
  ik_ping_options o = options(3);
  Done d;
  d.base = event_base_new();
  ik_job *job = nullptr;
  ASSERT_EQ(ik_async_multiping(d.base, list_.data(), list_.size(), &o, hosts.data(), on_done, &d, &job), 0);
  struct timeval later = {0, 150000};
  event_base_loopexit(d.base, &later);
  event_base_dispatch(d.base);
  ik_job_free(job);
  event_base_dispatch(d.base);
  EXPECT_EQ(d.calls, 0);
  for (ik_host &h : hosts) {
    EXPECT_EQ(h.replies, nullptr);
    EXPECT_EQ(h.rtts, nullptr);
  }
  event_base_free(d.base);
}

INSTANTIATE_TEST_SUITE_P(Modes, ThreadedMultiping, ::testing::ValuesIn(v4_modes()), ModeName);

}  // namespace
}  // namespace iknet
