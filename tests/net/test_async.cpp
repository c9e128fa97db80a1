// The async socket wrapper (src/async.c) on real sockets, raw and DGRAM,
// IPv4 and IPv6, on the loopback of a private namespace whose firewall
// rejects one destination (an ICMP error comes back) and drops another
// (silence). Root only; every packet stays inside the namespace.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <event2/event.h>

#include "netns.h"

extern "C" {
#include "async_engine.h"
#include "socket.h"
}

namespace {

struct AsyncNet {
  iknet::Topology topo;
  AsyncNet() {
    topo.add("pinger");
    topo.sysctl("pinger", "net.ipv4.ping_group_range", "0 2147483647");
    topo.address("pinger", "lo", "fd00::2/128");
    topo.address("pinger", "lo", "fd00::3/128");
    topo.nft("pinger", "table inet iktest {\n"
                       " chain input {\n"
                       "  type filter hook input priority 0; policy accept;\n"
                       "  ip daddr 127.0.0.2 icmp type echo-request reject with icmp type host-unreachable\n"
                       "  ip6 daddr fd00::2 icmpv6 type echo-request reject with icmpv6 type addr-unreachable\n"
                       "  ip daddr 127.0.0.3 icmp type echo-request drop\n"
                       "  ip6 daddr fd00::3 icmpv6 type echo-request drop\n"
                       " }\n"
                       "}\n");
  }
};

struct Mode {
  int family;
  bool unprivileged;
};

void PrintTo(const Mode &m, std::ostream *os) {
  *os << (m.family == IK_AF_INET ? "IPv4" : "IPv6") << (m.unprivileged ? " DGRAM" : " raw");
}

// What one receive saw: how many callbacks, the last status and reply.
struct Outcome {
  int calls = 0;
  int status = 1;
  ik_reply reply{};
  std::function<void(Outcome &)> then;  // runs inside the callback
};

void record(int status, const ik_reply *reply, void *arg) {
  Outcome *o = static_cast<Outcome *>(arg);
  ++o->calls;
  o->status = status;
  if (reply != nullptr) o->reply = *reply;
  if (o->then) o->then(*o);
}

class AsyncNs : public ::testing::TestWithParam<Mode> {
 protected:
  static std::unique_ptr<AsyncNet> net;
  static std::string setup_error;

  static void SetUpTestSuite() {
    if (!iknet::is_root()) return;
    try {
      net.reset(new AsyncNet());
    } catch (const std::exception &e) {
      setup_error = e.what();
    }
  }
  static void TearDownTestSuite() { net.reset(); }

  ik_socket *sock = nullptr;
  event_base *base = nullptr;
  ik_async *async = nullptr;

  void SetUp() override {
    IKNET_REQUIRE_ROOT();
    ASSERT_TRUE(net) << setup_error;
    sock = open_socket();
    ASSERT_NE(sock, nullptr);
    ASSERT_NE(base = event_base_new(), nullptr);
    ASSERT_EQ(ik_async_new(base, sock, &async), 0) << ik_last_error();
  }
  void TearDown() override {
    ik_async_free(async);
    ik_socket_free(sock);
    if (base != nullptr) event_base_free(base);
  }

  ik_socket *open_socket() {
    ik_socket *s = nullptr;
    iknet::ScopedNetns in(net->topo.ns("pinger"));
    EXPECT_EQ(ik_socket_open(&s, family(), nullptr, flags()), 0) << ik_last_error();
    return s;
  }
  int family() const { return GetParam().family; }
  unsigned flags() const { return GetParam().unprivileged ? IK_SOCKET_UNPRIVILEGED : 0u; }
  const char *answering() const { return family() == IK_AF_INET ? "127.0.0.1" : "::1"; }
  const char *rejected() const { return family() == IK_AF_INET ? "127.0.0.2" : "fd00::2"; }
  const char *dropped() const { return family() == IK_AF_INET ? "127.0.0.3" : "fd00::3"; }

  ik_request request(const char *dest, int sequence, uint16_t id = 0) {
    ik_request req;
    EXPECT_EQ(ik_request_init(&req, dest, id != 0 ? id : ik_unique_identifier(), sequence), 0);
    return req;
  }
  // Runs the loop until done() or limit seconds have passed.
  void run_until(const std::function<bool()> &done, double limit = 10.0) {
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit);
    while (!done() && std::chrono::steady_clock::now() < end) {
      timeval tv{0, 10000};
      event_base_loopexit(base, &tv);
      event_base_loop(base, EVLOOP_ONCE);
    }
  }
};

std::unique_ptr<AsyncNet> AsyncNs::net;
std::string AsyncNs::setup_error;

INSTANTIATE_TEST_SUITE_P(Mode, AsyncNs,
                         ::testing::Values(Mode{IK_AF_INET, false}, Mode{IK_AF_INET, true},
                                           Mode{IK_AF_INET6, false}, Mode{IK_AF_INET6, true}),
                         [](const ::testing::TestParamInfo<Mode> &i) {
                           return std::string(i.param.family == IK_AF_INET ? "IPv4" : "IPv6") +
                                  (i.param.unprivileged ? "Dgram" : "Raw");
                         });

TEST_P(AsyncNs, EchoReplyCompletesTheReceiveWithTheReply) {
  ik_request req = request(answering(), 7);
  Outcome o;
  ASSERT_EQ(ik_async_send(async, &req), 0) << ik_last_error();
  ASSERT_EQ(ik_async_receive(async, &req, 5.0, record, &o), 0) << ik_last_error();
  EXPECT_EQ(o.calls, 0) << "the callback ran before the loop did";
  run_until([&] { return o.calls > 0; });
  ASSERT_EQ(o.calls, 1);
  ASSERT_EQ(o.status, 0) << ik_err_name(o.status);
  EXPECT_STREQ(o.reply.source, answering());
  EXPECT_EQ(o.reply.family, family());
  EXPECT_EQ(o.reply.id, req.id);
  EXPECT_EQ(o.reply.sequence, 7);
  EXPECT_EQ(o.reply.type, family() == IK_AF_INET ? 0 : 129);
  EXPECT_EQ(ik_reply_check(&o.reply), IK_OK);
  EXPECT_EQ(o.reply.bytes_received, 8u + IK_DEFAULT_PAYLOAD_SIZE);
  EXPECT_GT(ik_rtt_ms(&req, &o.reply), 0.0);
}

TEST_P(AsyncNs, UnansweredReceiveTimesOutOnce) {
  ik_request req = request(dropped(), 1);
  Outcome o;
  ASSERT_EQ(ik_async_send(async, &req), 0) << ik_last_error();
  ASSERT_EQ(ik_async_receive(async, &req, 0.05, record, &o), 0) << ik_last_error();
  run_until([&] { return o.calls > 0; });
  EXPECT_EQ(o.calls, 1);
  EXPECT_EQ(o.status, IK_ETIMEOUT) << ik_err_name(o.status);
  run_until([] { return false; }, 0.1);
  EXPECT_EQ(o.calls, 1);
}

TEST_P(AsyncNs, IcmpErrorCompletesTheReceiveThatItQuotes) {
  ik_request req = request(rejected(), 3);
  Outcome o;
  ASSERT_EQ(ik_async_send(async, &req), 0) << ik_last_error();
  ASSERT_EQ(ik_async_receive(async, &req, 5.0, record, &o), 0) << ik_last_error();
  run_until([&] { return o.calls > 0; });
  ASSERT_EQ(o.calls, 1);
  ASSERT_EQ(o.status, 0) << ik_err_name(o.status);
  EXPECT_EQ(ik_reply_check(&o.reply), IK_EDEST_UNREACHABLE);
  EXPECT_EQ(o.reply.sequence, 3);
  EXPECT_EQ(o.reply.id, req.id);
}

TEST_P(AsyncNs, ZeroTimeoutTakesAReplyAlreadyQueued) {
  ik_request req = request(answering(), 2);
  Outcome o;
  ASSERT_EQ(ik_async_send(async, &req), 0) << ik_last_error();
  // Loopback answers within the send; the reply waits in the socket.
  ASSERT_EQ(ik_async_receive(async, &req, 0.0, record, &o), 0) << ik_last_error();
  run_until([&] { return o.calls > 0; });
  EXPECT_EQ(o.calls, 1);
  EXPECT_EQ(o.status, 0) << ik_err_name(o.status);
}

// Issue 5's acceptance: 10,000 receives pending on one socket, half of them
// answered, half never sent; each completes once with the right status.
TEST_P(AsyncNs, TenThousandPendingReceivesCompleteOnceEach) {
  const int kCount = 10000;
  std::vector<ik_request> reqs(kCount);
  std::vector<Outcome> out(kCount);
  uint16_t id = ik_unique_identifier();
  int done = 0;
  for (int i = 0; i < kCount; ++i) {
    reqs[static_cast<size_t>(i)] = request(answering(), i, id);
    out[static_cast<size_t>(i)].then = [&done](Outcome &) { ++done; };
  }
  for (int i = 0; i < kCount; ++i) {
    ik_request &req = reqs[static_cast<size_t>(i)];
    if (i % 2 == 0) {
      ASSERT_EQ(ik_async_send(async, &req), 0) << ik_last_error();
      id = req.id;  // DGRAM: the kernel's; the unsent ones use it too
    } else {
      req.id = id;
    }
    ASSERT_EQ(ik_async_receive(async, &req, 3.0, record, &out[static_cast<size_t>(i)]), 0)
        << ik_last_error();
    // Loopback answers at once: let the loop read before the socket's
    // buffer fills.
    if (i % 64 == 63) event_base_loop(base, EVLOOP_NONBLOCK);
  }
  run_until([&] { return done == kCount; }, 20.0);
  int replies = 0, timeouts = 0;
  for (int i = 0; i < kCount; ++i) {
    const Outcome &o = out[static_cast<size_t>(i)];
    ASSERT_EQ(o.calls, 1) << "sequence " << i;
    if (i % 2 == 0) {
      EXPECT_EQ(o.status, 0) << "sequence " << i << ": " << ik_err_name(o.status);
      EXPECT_EQ(o.reply.sequence, i);
      replies += o.status == 0;
    } else {
      EXPECT_EQ(o.status, IK_ETIMEOUT) << "sequence " << i;
      timeouts += o.status == IK_ETIMEOUT;
    }
  }
  EXPECT_EQ(replies, kCount / 2);
  EXPECT_EQ(timeouts, kCount / 2);
}

}  // namespace
