// The async socket wrapper (src/async.c) on real sockets, raw and DGRAM,
// IPv4 and IPv6, on the loopback of a private namespace whose firewall
// rejects one destination (an ICMP error comes back) and drops another
// (silence). Root only; every packet stays inside the namespace.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
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

  // Closing or freeing the socket detaches its wrapper: pending receives
  // complete once with IK_EUNAVAILABLE before the call returns, no timer or
  // read event of the wrapper fires later, and the wrapper refuses work.
  void ExpectDetachedByTheSocket(std::vector<Outcome> &out) {
    for (const Outcome &o : out) {
      EXPECT_EQ(o.calls, 1) << "completed before the socket call returned";
      EXPECT_EQ(o.status, IK_EUNAVAILABLE) << ik_err_name(o.status);
    }
    run_until([] { return false; }, 0.1);  // the 10 ms timeout is long past
    for (const Outcome &o : out) EXPECT_EQ(o.calls, 1);
    EXPECT_TRUE(ik_async_is_closed(async));
    EXPECT_EQ(ik_async_socket(async), nullptr);
    ik_request req;
    ASSERT_EQ(ik_request_init(&req, "127.0.0.1", 1, 1), 0);
    Outcome later;
    EXPECT_EQ(ik_async_send(async, &req), IK_EUNAVAILABLE);
    EXPECT_EQ(ik_async_receive(async, &req, 1.0, record, &later), IK_EUNAVAILABLE);
    EXPECT_EQ(ik_async_detach(async), nullptr);
    EXPECT_EQ(ik_async_close(async), 0);
    EXPECT_EQ(later.calls, 0);
  }

  // Work pending on the wrapper: a receive that times out in 10 ms, one in
  // 5 s, and one whose reply is already queued (its read event pending).
  void StartPendingWork(std::vector<ik_request> &reqs, std::vector<Outcome> &out) {
    reqs = {request(dropped(), 1), request(dropped(), 2), request(answering(), 3)};
    out.resize(3);
    ASSERT_EQ(ik_async_send(async, &reqs[2]), 0) << ik_last_error();
    const double timeouts[] = {0.01, 5.0, 5.0};
    for (size_t i = 0; i < 3; ++i)
      ASSERT_EQ(ik_async_receive(async, &reqs[i], timeouts[i], record, &out[i]), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the reply is queued
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

// ---- errors ----

TEST_P(AsyncNs, ReceiveRefusesNegativeOrNanTimeoutAndNullCallback) {
  ik_request req = request(answering(), 1);
  Outcome o;
  EXPECT_EQ(ik_async_receive(async, &req, -1.0, record, &o), IK_EINVAL);
  EXPECT_EQ(ik_async_receive(async, &req, std::nan(""), record, &o), IK_EINVAL);
  EXPECT_EQ(ik_async_receive(async, &req, 1.0, nullptr, &o), IK_EINVAL);
  EXPECT_EQ(ik_async_receive(nullptr, &req, 1.0, record, &o), IK_EINVAL);
  run_until([] { return false; }, 0.05);
  EXPECT_EQ(o.calls, 0) << "a refused receive called back";
}

TEST_P(AsyncNs, ReceiveRefusesARequestOfTheOtherFamily) {
  ik_request req = request(family() == IK_AF_INET ? "::1" : "127.0.0.1", 1);
  Outcome o;
  EXPECT_EQ(ik_async_receive(async, &req, 1.0, record, &o), IK_EFAMILY);
  EXPECT_EQ(ik_async_send(async, &req), IK_EFAMILY);
}

TEST_P(AsyncNs, ClosedWrapperRefusesSendAndReceive) {
  ik_request req = request(answering(), 1);
  Outcome o;
  ASSERT_EQ(ik_async_close(async), 0);
  EXPECT_TRUE(ik_async_is_closed(async));
  EXPECT_EQ(ik_async_socket(async), nullptr);
  EXPECT_TRUE(ik_socket_is_closed(sock)) << "close closes the socket too";
  EXPECT_EQ(ik_async_send(async, &req), IK_EUNAVAILABLE);
  EXPECT_EQ(ik_async_receive(async, &req, 1.0, record, &o), IK_EUNAVAILABLE);
  EXPECT_EQ(ik_async_close(async), 0) << "close is idempotent";
  EXPECT_EQ(ik_async_detach(async), nullptr);
}

TEST_P(AsyncNs, WrappingAClosedSocketIsUnavailable) {
  ik_socket *other = open_socket();
  ik_async *a = nullptr;
  ASSERT_EQ(ik_socket_close(other), 0);
  EXPECT_EQ(ik_async_new(base, other, &a), IK_EUNAVAILABLE);
  EXPECT_EQ(a, nullptr);
  ik_socket_free(other);
}

TEST_P(AsyncNs, WrappingASocketTwiceIsRefused) {
  ik_async *a = nullptr;
  EXPECT_EQ(ik_async_new(base, sock, &a), IK_EINVAL);
  EXPECT_EQ(a, nullptr);
}

// ---- completion on close, detach and free ----

TEST_P(AsyncNs, DetachCompletesPendingReceivesAndReturnsAUsableSocket) {
  ik_request req = request(dropped(), 1);
  Outcome o;
  ASSERT_EQ(ik_async_receive(async, &req, 5.0, record, &o), 0);
  ik_socket *back = ik_async_detach(async);
  EXPECT_EQ(back, sock);
  EXPECT_EQ(o.calls, 1) << "detach runs the callbacks before it returns";
  EXPECT_EQ(o.status, IK_EUNAVAILABLE);
  EXPECT_TRUE(ik_async_is_closed(async));
  EXPECT_FALSE(ik_socket_is_closed(sock));
  // The socket works synchronously again, and the old timer never fires.
  ik_request echo = request(answering(), 2);
  ik_reply reply;
  ASSERT_EQ(ik_socket_send(sock, &echo), 0) << ik_last_error();
  EXPECT_EQ(ik_socket_receive(sock, &echo, 2.0, &reply), 0) << ik_last_error();
  run_until([] { return false; }, 0.05);
  EXPECT_EQ(o.calls, 1);
}

TEST_P(AsyncNs, SocketCanBeWrappedAgainAfterDetach) {
  ASSERT_EQ(ik_async_detach(async), sock);
  ik_async *again = nullptr;
  ASSERT_EQ(ik_async_new(base, sock, &again), 0) << ik_last_error();
  ik_request req = request(answering(), 4);
  Outcome o;
  ASSERT_EQ(ik_async_send(again, &req), 0) << ik_last_error();
  ASSERT_EQ(ik_async_receive(again, &req, 5.0, record, &o), 0);
  run_until([&] { return o.calls > 0; });
  EXPECT_EQ(o.status, 0) << ik_err_name(o.status);
  ik_async_free(again);
}

TEST_P(AsyncNs, FreeWithPendingReceivesCallsEachBackOnceAndNeverAgain) {
  std::vector<ik_request> reqs;
  std::vector<Outcome> out(100);
  for (int i = 0; i < 100; ++i) reqs.push_back(request(i % 2 ? answering() : dropped(), i));
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(ik_async_send(async, &reqs[static_cast<size_t>(i)]), 0) << ik_last_error();
    ASSERT_EQ(ik_async_receive(async, &reqs[static_cast<size_t>(i)], i % 3 ? 5.0 : 0.0, record,
                               &out[static_cast<size_t>(i)]),
              0);
  }
  ik_async_free(async);
  async = nullptr;
  for (const Outcome &o : out) {
    EXPECT_EQ(o.calls, 1);
    EXPECT_EQ(o.status, IK_EUNAVAILABLE);
  }
  EXPECT_TRUE(ik_socket_is_closed(sock));
  run_until([] { return false; }, 0.05);  // no timer or read event is left
  for (const Outcome &o : out) EXPECT_EQ(o.calls, 1);
}

// ---- the wrapped socket closed or freed under the wrapper (issue 15) ----

TEST_P(AsyncNs, ClosingTheWrappedSocketDetachesTheWrapper) {
  std::vector<ik_request> reqs;
  std::vector<Outcome> out;
  StartPendingWork(reqs, out);
  ASSERT_EQ(ik_socket_close(sock), 0);
  EXPECT_TRUE(ik_socket_is_closed(sock));
  ExpectDetachedByTheSocket(out);
}

TEST_P(AsyncNs, FreeingTheWrappedSocketDetachesTheWrapper) {
  std::vector<ik_request> reqs;
  std::vector<Outcome> out;
  StartPendingWork(reqs, out);
  ik_socket_free(sock);
  sock = nullptr;
  ExpectDetachedByTheSocket(out);
}

TEST_P(AsyncNs, CallbackCanFreeTheSocketWhoseCloseCompletesIt) {
  std::vector<ik_request> reqs;
  std::vector<Outcome> out;
  StartPendingWork(reqs, out);
  out[0].then = [&](Outcome &) {
    ik_socket *s = sock;
    sock = nullptr;
    ik_socket_free(s);
  };
  ASSERT_EQ(ik_socket_close(sock), 0);
  EXPECT_EQ(sock, nullptr) << "the callback ran inside the close";
  ExpectDetachedByTheSocket(out);
}

TEST_P(AsyncNs, CallbackCanFreeTheWrapperWhenTheSocketIsFreed) {
  std::vector<ik_request> reqs;
  std::vector<Outcome> out;
  StartPendingWork(reqs, out);
  out[0].then = [&](Outcome &) {
    ik_async *w = async;
    async = nullptr;
    ik_async_free(w);
  };
  ik_socket_free(sock);
  sock = nullptr;
  EXPECT_EQ(async, nullptr);
  for (const Outcome &o : out) {
    EXPECT_EQ(o.calls, 1);
    EXPECT_EQ(o.status, IK_EUNAVAILABLE);
  }
  run_until([] { return false; }, 0.1);
  for (const Outcome &o : out) EXPECT_EQ(o.calls, 1);
}

TEST_P(AsyncNs, SocketFreedAfterItsWrapperIsNotTouchedByIt) {
  // The usual order (the wrapper first) leaves the socket owned by nobody:
  // freeing it then runs no callback.
  std::vector<ik_request> reqs;
  std::vector<Outcome> out;
  StartPendingWork(reqs, out);
  ik_async_free(async);
  async = nullptr;
  for (Outcome &o : out) o.then = [](Outcome &) { ADD_FAILURE() << "called after the free"; };
  ik_socket_free(sock);
  sock = nullptr;
}

TEST_P(AsyncNs, DetachedSocketCanBeClosedWithoutTheWrapperHearingOfIt) {
  Outcome o;
  ik_request req = request(dropped(), 1);
  ASSERT_EQ(ik_async_receive(async, &req, 0.01, record, &o), 0);
  ASSERT_EQ(ik_async_detach(async), sock);
  ASSERT_EQ(o.calls, 1);
  ASSERT_EQ(ik_socket_close(sock), 0);
  EXPECT_EQ(o.calls, 1);
  ik_async *again = nullptr;
  EXPECT_EQ(ik_async_new(base, sock, &again), IK_EUNAVAILABLE) << "a closed socket cannot be wrapped";
}

// ---- callbacks that call back into the wrapper ----

TEST_P(AsyncNs, CallbackCanFreeTheWrapperWhileRepliesAreBeingDispatched) {
  std::vector<ik_request> reqs;
  std::vector<Outcome> out(20);
  for (int i = 0; i < 20; ++i) reqs.push_back(request(answering(), i));
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(ik_async_send(async, &reqs[static_cast<size_t>(i)]), 0) << ik_last_error();
    ASSERT_EQ(ik_async_receive(async, &reqs[static_cast<size_t>(i)], 5.0, record,
                               &out[static_cast<size_t>(i)]),
              0);
  }
  // The first reply frees the wrapper: the other 19 complete inside that
  // free (unavailable), though their replies were already waiting.
  int first = -1;
  for (int i = 0; i < 20; ++i)
    out[static_cast<size_t>(i)].then = [&, i](Outcome &o) {
      if (first < 0 && o.status == 0) {
        first = i;
        ik_async *a = async;
        async = nullptr;
        ik_async_free(a);
      }
    };
  run_until([&] { return first >= 0; });
  ASSERT_GE(first, 0);
  int ok = 0, unavailable = 0;
  for (const Outcome &o : out) {
    EXPECT_EQ(o.calls, 1);
    ok += o.status == 0;
    unavailable += o.status == IK_EUNAVAILABLE;
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(unavailable, 19);
  run_until([] { return false; }, 0.05);
  for (const Outcome &o : out) EXPECT_EQ(o.calls, 1);
}

TEST_P(AsyncNs, CallbackCanCloseTheWrapperFromATimeout) {
  ik_request a = request(dropped(), 1), b = request(dropped(), 2);
  Outcome oa, ob;
  oa.then = [&](Outcome &) { EXPECT_EQ(ik_async_close(async), 0); };
  ASSERT_EQ(ik_async_receive(async, &a, 0.01, record, &oa), 0);
  ASSERT_EQ(ik_async_receive(async, &b, 5.0, record, &ob), 0);
  run_until([&] { return ob.calls > 0; });
  EXPECT_EQ(oa.calls, 1);
  EXPECT_EQ(oa.status, IK_ETIMEOUT);
  EXPECT_EQ(ob.calls, 1);
  EXPECT_EQ(ob.status, IK_EUNAVAILABLE);
  EXPECT_TRUE(ik_socket_is_closed(sock));
}

TEST_P(AsyncNs, CallbackCanFreeTheWrapperFromATimeout) {
  ik_request a = request(dropped(), 1), b = request(dropped(), 2), c = request(dropped(), 3);
  Outcome oa, ob, oc;
  // a and b share a timeout queue: the free inside a's callback runs from
  // that queue's own timer, whose event goes with the wrapper.
  oa.then = [&](Outcome &) {
    ik_async *w = async;
    async = nullptr;
    ik_async_free(w);
  };
  ASSERT_EQ(ik_async_receive(async, &a, 0.01, record, &oa), 0);
  ASSERT_EQ(ik_async_receive(async, &b, 0.01, record, &ob), 0);
  ASSERT_EQ(ik_async_receive(async, &c, 5.0, record, &oc), 0);
  run_until([&] { return oc.calls > 0; });
  EXPECT_EQ(oa.status, IK_ETIMEOUT);
  for (Outcome *o : {&ob, &oc}) {
    EXPECT_EQ(o->calls, 1);
    EXPECT_EQ(o->status, IK_EUNAVAILABLE);
  }
  run_until([] { return false; }, 0.05);
  EXPECT_EQ(oa.calls, 1);
}

TEST_P(AsyncNs, CallbackCanSendAndReceiveAgain) {
  // A ping loop in callbacks: each reply sends the next request.
  std::vector<ik_request> reqs(5);
  std::vector<Outcome> out(5);
  uint16_t id = ik_unique_identifier();
  for (int i = 0; i < 5; ++i) {
    reqs[static_cast<size_t>(i)] = request(answering(), i, id);
    if (i + 1 < 5)
      out[static_cast<size_t>(i)].then = [&, i](Outcome &) {
        ik_request &next = reqs[static_cast<size_t>(i + 1)];
        EXPECT_EQ(ik_async_send(async, &next), 0) << ik_last_error();
        EXPECT_EQ(ik_async_receive(async, &next, 5.0, record, &out[static_cast<size_t>(i + 1)]), 0);
      };
  }
  ASSERT_EQ(ik_async_send(async, &reqs[0]), 0) << ik_last_error();
  ASSERT_EQ(ik_async_receive(async, &reqs[0], 5.0, record, &out[0]), 0);
  run_until([&] { return out[4].calls > 0; });
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(out[static_cast<size_t>(i)].calls, 1);
    EXPECT_EQ(out[static_cast<size_t>(i)].status, 0);
    EXPECT_EQ(out[static_cast<size_t>(i)].reply.sequence, i);
  }
}

TEST_P(AsyncNs, CallbackCanDetachAndFreeDuringDetach) {
  ik_request a = request(dropped(), 1), b = request(dropped(), 2), c = request(dropped(), 3);
  Outcome oa, ob, oc;
  // Detach completes a first; a's callback frees the wrapper: b and c
  // complete inside that free, and nothing runs after it.
  oa.then = [&](Outcome &) {
    ik_async *w = async;
    async = nullptr;
    ik_async_free(w);
    EXPECT_EQ(ob.calls, 1);
    EXPECT_EQ(oc.calls, 1);
  };
  ASSERT_EQ(ik_async_receive(async, &a, 5.0, record, &oa), 0);
  ASSERT_EQ(ik_async_receive(async, &b, 5.0, record, &ob), 0);
  ASSERT_EQ(ik_async_receive(async, &c, 5.0, record, &oc), 0);
  ik_async *w = async;
  EXPECT_EQ(ik_async_detach(w), sock);
  for (Outcome *o : {&oa, &ob, &oc}) {
    EXPECT_EQ(o->calls, 1);
    EXPECT_EQ(o->status, IK_EUNAVAILABLE);
  }
  EXPECT_FALSE(ik_socket_is_closed(sock)) << "detach, not close, was asked first";
}

// ---- matching ----

TEST_P(AsyncNs, NullMatchTakesTheNextReplyOfAnyRequest) {
  ik_request req = request(answering(), 9);
  Outcome o;
  ASSERT_EQ(ik_async_receive(async, nullptr, 5.0, record, &o), 0);
  ASSERT_EQ(ik_async_send(async, &req), 0) << ik_last_error();
  run_until([&] { return o.calls > 0; });
  ASSERT_EQ(o.status, 0) << ik_err_name(o.status);
  EXPECT_EQ(o.reply.sequence, 9);
  EXPECT_EQ(o.reply.id, req.id);
}

TEST_P(AsyncNs, ReplyToAnotherSequenceDoesNotCompleteTheReceive) {
  ik_request sent = request(answering(), 1);
  ASSERT_EQ(ik_async_send(async, &sent), 0) << ik_last_error();
  ik_request other = sent;
  other.sequence = 2;
  Outcome o;
  ASSERT_EQ(ik_async_receive(async, &other, 0.1, record, &o), 0);
  run_until([&] { return o.calls > 0; });
  EXPECT_EQ(o.calls, 1);
  EXPECT_EQ(o.status, IK_ETIMEOUT);
}

struct Unmatched {
  int calls = 0;
  ik_reply reply{};
  bool has_quoted = false;
  ik_address quoted{};
};

void on_unmatched(void *arg, const ik_reply *reply, const ik_address *quoted_dst, const ik__received *) {
  Unmatched *u = static_cast<Unmatched *>(arg);
  ++u->calls;
  u->reply = *reply;
  u->has_quoted = quoted_dst != nullptr;
  if (quoted_dst != nullptr) u->quoted = *quoted_dst;
}

TEST_P(AsyncNs, ReplyWithoutPendingReceiveGoesToTheUnmatchedHook) {
  Unmatched u;
  ik__async_set_unmatched(async, on_unmatched, &u);
  ik_request req = request(answering(), 11);
  ASSERT_EQ(ik_async_send(async, &req), 0) << ik_last_error();
  run_until([&] { return u.calls > 0; });
  ASSERT_EQ(u.calls, 1);
  EXPECT_EQ(u.reply.sequence, 11);
  EXPECT_EQ(u.reply.id, req.id);
  EXPECT_FALSE(u.has_quoted);
}

TEST_P(AsyncNs, IcmpErrorWithoutPendingReceiveGivesTheHookTheQuotedDestination) {
  Unmatched u;
  ik__async_set_unmatched(async, on_unmatched, &u);
  // Rarely (1 run in 200 here, on a loaded machine, raw and DGRAM alike,
  // each in a fresh namespace; once in a clean-clone CI run) the
  // firewall's ICMPv6 error never arrives at all: the probe is sent again,
  // at most 5 times. The namespace's ICMP counters are printed whenever a
  // probe went unanswered: they tell whether the kernel sent the error
  // (Out...Unreachs) and whether it reached the socket.
  auto counters = [] {
    return iknet::run_command("ip netns exec " + net->topo.ns("pinger") +
                              " nstat -asz | grep -E 'Icmp6?(In|Out)(DestUnreachs|Errors|Echos) '")
        .output;
  };
  int sent = 0;
  while (u.calls == 0 && sent < 5) {
    ik_request req = request(rejected(), 12 + sent++);
    ASSERT_EQ(ik_async_send(async, &req), 0) << ik_last_error();
    run_until([&] { return u.calls > 0; }, 2.0);
  }
  if (sent > 1) std::printf("[ info ] %d probes until an error came; counters:\n%s", sent, counters().c_str());
  ASSERT_GE(u.calls, 1) << sent << " probes, no error; counters:\n" << counters();
  EXPECT_LE(u.calls, sent);
  EXPECT_EQ(ik_reply_check(&u.reply), IK_EDEST_UNREACHABLE);
  ASSERT_TRUE(u.has_quoted);
  char text[IK_ADDRSTRLEN];
  ASSERT_EQ(ik_address_format(&u.quoted, text, sizeof text), 0);
  EXPECT_STREQ(text, rejected());
}

TEST_P(AsyncNs, SendManyGoesOutAndEachReplyIsReceived) {
  std::vector<ik_request> reqs;
  std::vector<ik_request *> ptrs;
  std::vector<Outcome> out(40);
  for (int i = 0; i < 40; ++i) reqs.push_back(request(answering(), i));
  for (ik_request &r : reqs) ptrs.push_back(&r);
  size_t sent = 99;
  ASSERT_EQ(ik__async_send_many(async, ptrs.data(), ptrs.size(), &sent), 0) << ik_last_error();
  EXPECT_EQ(sent, 40u);
  for (int i = 0; i < 40; ++i)
    ASSERT_EQ(ik_async_receive(async, &reqs[static_cast<size_t>(i)], 5.0, record,
                               &out[static_cast<size_t>(i)]),
              0);
  run_until([&] { return out[39].calls > 0; });
  for (const Outcome &o : out) EXPECT_EQ(o.status, 0) << ik_err_name(o.status);
}

TEST_P(AsyncNs, SendManyStopsAtTheFirstInvalidRequest) {
  std::vector<ik_request> reqs;
  for (int i = 0; i < 3; ++i) reqs.push_back(request(answering(), i));
  reqs[1].ttl = 0;
  ik_request *ptrs[] = {&reqs[0], &reqs[1], &reqs[2]};
  size_t sent = 99;
  EXPECT_EQ(ik__async_send_many(async, ptrs, 3, &sent), IK_EINVAL);
  EXPECT_EQ(sent, 1u);
}

// Same scenario through ik_socket_receive and through the wrapper: the
// replies agree field by field (except the receive time).
TEST_P(AsyncNs, ResultsEqualThoseOfTheSynchronousReceive) {
  const char *dests[] = {answering(), rejected()};
  for (const char *dest : dests) {
    ASSERT_EQ(ik_async_detach(async), sock);
    ik_async_free(async);
    async = nullptr;
    ik_request req = request(dest, 21);
    ik_reply sync_reply;
    ASSERT_EQ(ik_socket_send(sock, &req), 0) << ik_last_error();
    ASSERT_EQ(ik_socket_receive(sock, &req, 2.0, &sync_reply), 0) << ik_last_error();

    ASSERT_EQ(ik_async_new(base, sock, &async), 0) << ik_last_error();
    ik_request again = request(dest, 22, req.id);
    Outcome o;
    ASSERT_EQ(ik_async_send(async, &again), 0) << ik_last_error();
    ASSERT_EQ(ik_async_receive(async, &again, 2.0, record, &o), 0);
    run_until([&] { return o.calls > 0; });
    ASSERT_EQ(o.status, 0) << ik_err_name(o.status);
    const ik_reply &r = o.reply;
    EXPECT_STREQ(r.source, sync_reply.source) << dest;
    EXPECT_EQ(r.family, sync_reply.family);
    EXPECT_EQ(r.id, sync_reply.id);
    EXPECT_EQ(r.sequence, 22);
    EXPECT_EQ(sync_reply.sequence, 21);
    EXPECT_EQ(r.type, sync_reply.type);
    EXPECT_EQ(r.code, sync_reply.code);
    EXPECT_EQ(r.bytes_received, sync_reply.bytes_received);
    EXPECT_EQ(r.ttl, sync_reply.ttl);
    EXPECT_EQ(r.flags, sync_reply.flags);
  }
}

// Sending one request twice brings two identical replies: the second
// completes the second receive, flagged as a duplicate; a third copy with
// no receive left reaches the unmatched hook flagged too.
TEST_P(AsyncNs, SecondCopyOfAReplyIsFlaggedDuplicate) {
  Unmatched u;
  ik__async_set_unmatched(async, on_unmatched, &u);
  ik_request req = request(answering(), 5);
  Outcome first, second;
  ASSERT_EQ(ik_async_send(async, &req), 0) << ik_last_error();
  ASSERT_EQ(ik_async_receive(async, &req, 5.0, record, &first), 0);
  ASSERT_EQ(ik_async_receive(async, &req, 5.0, record, &second), 0);
  ASSERT_EQ(ik_async_send(async, &req), 0) << ik_last_error();
  ASSERT_EQ(ik_async_send(async, &req), 0) << ik_last_error();
  run_until([&] { return u.calls > 0; });
  ASSERT_EQ(first.status, 0);
  ASSERT_EQ(second.status, 0);
  EXPECT_EQ(first.reply.flags & IK_REPLY_DUPLICATE, 0u) << "the oldest receive gets the first copy";
  EXPECT_NE(second.reply.flags & IK_REPLY_DUPLICATE, 0u);
  ASSERT_EQ(u.calls, 1);
  EXPECT_NE(u.reply.flags & IK_REPLY_DUPLICATE, 0u);
}

// The dispatcher yields to the rest of the loop after a bounded amount of
// work, both for replies read and for receives timed out; the rest follows
// on later turns of the loop. (Counted per turn, not timed.)
TEST_P(AsyncNs, ManyRepliesAreDispatchedOverSeveralTurnsOfTheLoop) {
  const int kCount = 600;
  std::vector<ik_request> reqs(kCount);
  std::vector<Outcome> out(kCount);
  int done = 0;
  for (int i = 0; i < kCount; ++i) {
    reqs[static_cast<size_t>(i)] = request(answering(), i);
    out[static_cast<size_t>(i)].then = [&done](Outcome &) { ++done; };
    ASSERT_EQ(ik_async_send(async, &reqs[static_cast<size_t>(i)]), 0) << ik_last_error();
    ASSERT_EQ(ik_async_receive(async, &reqs[static_cast<size_t>(i)], 10.0, record,
                               &out[static_cast<size_t>(i)]),
              0);
  }
  event_base_loop(base, EVLOOP_ONCE);
  EXPECT_GT(done, 0);
  EXPECT_LE(done, 256) << "one wake-up handled every reply";
  run_until([&] { return done == kCount; });
  for (const Outcome &o : out) {
    EXPECT_EQ(o.calls, 1);
    EXPECT_EQ(o.status, 0) << ik_err_name(o.status);
  }
}

TEST_P(AsyncNs, ManyTimeoutsAreDeliveredOverSeveralTurnsOfTheLoop) {
  const int kCount = 1000;
  std::vector<ik_request> reqs(kCount);
  std::vector<Outcome> out(kCount);
  int done = 0;
  for (int i = 0; i < kCount; ++i) {
    reqs[static_cast<size_t>(i)] = request(dropped(), i);
    out[static_cast<size_t>(i)].then = [&done](Outcome &) { ++done; };
    ASSERT_EQ(ik_async_receive(async, &reqs[static_cast<size_t>(i)], 0.0, record,
                               &out[static_cast<size_t>(i)]),
              0);
  }
  event_base_loop(base, EVLOOP_ONCE);
  EXPECT_GT(done, 0);
  EXPECT_LE(done, 256) << "one timer firing timed out every receive";
  run_until([&] { return done == kCount; });
  for (const Outcome &o : out) {
    EXPECT_EQ(o.calls, 1);
    EXPECT_EQ(o.status, IK_ETIMEOUT);
  }
}

}  // namespace
