// The socket API on loopback (root only). First on the host's loopback with
// raw sockets: echo on 127.0.0.1 and ::1, properties, closed-socket errors,
// timeouts, the icmplib examples. Then, raw and unprivileged (DGRAM), inside
// a namespace whose own loopback rejects or drops some destinations, for ICMP
// errors (through the error queue on DGRAM). Traffic stays on loopback.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <ostream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "netns.h"

#include <event2/event.h>

extern "C" {
#include "posix/posix.h" // ik__ep_tx_stamped
#include "socket.h" // ik__socket_endpoint, ik__ep_*, ik__now_mono
}

namespace {

#define SKIP_UNLESS_ROOT()                                                     \
  do {                                                                         \
    if (geteuid() != 0)                                                        \
      GTEST_SKIP() << "raw ICMP sockets need root (CAP_NET_RAW); run as root"; \
  } while (0)

struct Sock {
  ik_socket *s = nullptr;
  ~Sock() { ik_socket_free(s); }
};

const char *loopback(int family) { return family == IK_AF_INET ? "127.0.0.1" : "::1"; }

class Loopback : public ::testing::TestWithParam<int> {
protected:
  int family() const { return GetParam(); }
  Sock sock;
  void SetUp() override {
    SKIP_UNLESS_ROOT();
    ASSERT_EQ(ik_socket_open(&sock.s, family(), nullptr, 0), 0) << ik_last_error();
  }
  ik_request request(int sequence) {
    ik_request req;
    EXPECT_EQ(ik_request_init(&req, loopback(family()), ik_unique_identifier(), sequence), 0);
    return req;
  }
};

INSTANTIATE_TEST_SUITE_P(Family, Loopback, ::testing::Values(IK_AF_INET, IK_AF_INET6),
                         [](const ::testing::TestParamInfo<int> &i) {
                           return std::string(i.param == IK_AF_INET ? "IPv4" : "IPv6");
                         });

TEST_P(Loopback, EchoGetsTheReplyFromLoopback) {
  ik_request req = request(1);
  ik_reply reply;
  ASSERT_EQ(ik_socket_send(sock.s, &req), 0) << ik_last_error();
  ASSERT_EQ(ik_socket_receive(sock.s, &req, 2.0, &reply), 0) << ik_last_error();
  EXPECT_STREQ(reply.source, loopback(family()));
  EXPECT_EQ(reply.family, family());
  EXPECT_EQ(reply.id, req.id);
  EXPECT_EQ(reply.sequence, 1);
  EXPECT_EQ(reply.type, family() == IK_AF_INET ? 0 : 129);
  EXPECT_EQ(reply.code, 0);
  EXPECT_EQ(reply.bytes_received, 64u);
  EXPECT_EQ(ik_reply_check(&reply), IK_OK);
}

TEST_P(Loopback, ReceiveWithoutARequestReturnsTheNextReply) {
  ik_request req = request(2);
  ik_reply reply;
  ASSERT_EQ(ik_socket_send(sock.s, &req), 0) << ik_last_error();
  ASSERT_EQ(ik_socket_receive(sock.s, nullptr, 2.0, &reply), 0) << ik_last_error();
  // Another process's reply may come first on a raw socket; ours follows.
  while (reply.id != req.id || reply.sequence != req.sequence)
    ASSERT_EQ(ik_socket_receive(sock.s, nullptr, 2.0, &reply), 0) << ik_last_error();
  EXPECT_EQ(ik_reply_check(&reply), IK_OK);
}

TEST_P(Loopback, ReplyTimeIsTheKernelStampAfterTheSend) {
  ik_request req = request(3);
  ik_reply reply;
  ASSERT_EQ(ik_socket_send(sock.s, &req), 0);
  ASSERT_EQ(ik_socket_receive(sock.s, &req, 2.0, &reply), 0) << ik_last_error();
  EXPECT_GT(req.time, 1e9); // seconds since the epoch
  EXPECT_GE(reply.time, req.time);
  EXPECT_LT(ik_rtt_ms(&req, &reply), 1000.0);
}

TEST_P(Loopback, ReceivedTtlIsReported) {
  ik_request req = request(4);
  ik_reply reply;
  ASSERT_EQ(ik_socket_send(sock.s, &req), 0);
  ASSERT_EQ(ik_socket_receive(sock.s, &req, 2.0, &reply), 0) << ik_last_error();
  if (family() == IK_AF_INET) {
    int expected = 0;
    std::ifstream("/proc/sys/net/ipv4/ip_default_ttl") >> expected;
    EXPECT_EQ(reply.ttl, expected); // the kernel answers with its default TTL
  } else {
    EXPECT_GE(reply.ttl, 1);
    EXPECT_LE(reply.ttl, 255);
  }
}

TEST_P(Loopback, RequestTtlAndTrafficClassAreAccepted) {
  ik_request req = request(5);
  req.ttl = 3;
  req.traffic_class = 0x20;
  ik_reply reply;
  ASSERT_EQ(ik_socket_send(sock.s, &req), 0) << ik_last_error();
  ASSERT_EQ(ik_socket_receive(sock.s, &req, 2.0, &reply), 0) << ik_last_error();
  EXPECT_EQ(ik_reply_check(&reply), IK_OK);
}

TEST_P(Loopback, ExplicitPayloadIsEchoed) {
  ik_request req = request(6);
  static const char payload[] = "icmpkit explicit payload";
  req.payload = payload;
  req.payload_size = sizeof payload;
  ik_reply reply;
  ASSERT_EQ(ik_socket_send(sock.s, &req), 0);
  ASSERT_EQ(ik_socket_receive(sock.s, &req, 2.0, &reply), 0) << ik_last_error();
  EXPECT_EQ(reply.bytes_received, 8 + sizeof payload);
}

TEST_P(Loopback, ReceiveTimesOutWhenNothingMatches) {
  ik_request never_sent = request(7);
  ik_reply reply;
  double start = ik__now_mono();
  EXPECT_EQ(ik_socket_receive(sock.s, &never_sent, 0.2, &reply), IK_ETIMEOUT);
  EXPECT_GE(ik__now_mono() - start, 0.2);
}

TEST_P(Loopback, ReceiveTimesOutWhileUnrelatedRepliesKeepArriving) {
  ik_request never_sent = request(8);
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  // Another socket pings loopback all along: this raw socket sees every reply.
  std::thread noise([&] {
    Sock other;
    if (ik_socket_open(&other.s, family(), nullptr, 0) != 0)
      return;
    for (int seq = 0; !stop; seq++) {
      ik_request r;
      ik_request_init(&r, loopback(family()), never_sent.id, 1000 + seq % 1000);
      if (ik_socket_send(other.s, &r) == 0)
        sent++;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  ik_reply reply;
  double start = ik__now_mono();
  int err = ik_socket_receive(sock.s, &never_sent, 0.3, &reply);
  double elapsed = ik__now_mono() - start;
  stop = true;
  noise.join();
  EXPECT_GT(sent.load(), 10);
  EXPECT_EQ(err, IK_ETIMEOUT);
  EXPECT_GE(elapsed, 0.3);
  EXPECT_LT(elapsed, 2.0);
}

TEST_P(Loopback, ReplyWithTheSameIdButAnotherPayloadIsNotTaken) {
  // Two raw sockets see every reply: same id and sequence, only the payload
  // tells them apart (as two processes that picked the same id).
  Sock other;
  ASSERT_EQ(ik_socket_open(&other.s, family(), nullptr, 0), 0);
  ik_request theirs = request(9), mine = theirs;
  mine.payload_seed = theirs.payload_seed + 1;
  ik_reply reply;
  ASSERT_EQ(ik_socket_send(other.s, &theirs), 0);
  EXPECT_EQ(ik_socket_receive(sock.s, &mine, 0.3, &reply), IK_ETIMEOUT);
  EXPECT_EQ(ik_socket_receive(other.s, &theirs, 2.0, &reply), 0) << ik_last_error();
}

TEST_P(Loopback, ReceiveHonoursTheTimeoutOnABlockingSocket) {
  ASSERT_EQ(ik_socket_set_blocking(sock.s, 1), 0);
  ik_request never_sent = request(10);
  ik_reply reply;
  double start = ik__now_mono();
  EXPECT_EQ(ik_socket_receive(sock.s, &never_sent, 0.1, &reply), IK_ETIMEOUT);
  EXPECT_GE(ik__now_mono() - start, 0.1);
  ik_request req = request(11);
  ASSERT_EQ(ik_socket_send(sock.s, &req), 0);
  EXPECT_EQ(ik_socket_receive(sock.s, &req, 2.0, &reply), 0) << ik_last_error();
}

TEST_P(Loopback, BlockingIsOffByDefaultAndCanBeSwitched) {
  int blocking = -1;
  ASSERT_EQ(ik_socket_get_blocking(sock.s, &blocking), 0);
  EXPECT_EQ(blocking, 0);
  ASSERT_EQ(ik_socket_set_blocking(sock.s, 1), 0);
  ASSERT_EQ(ik_socket_get_blocking(sock.s, &blocking), 0);
  EXPECT_EQ(blocking, 1);
  EXPECT_EQ(fcntl(static_cast<int>(ik_socket_native(sock.s)), F_GETFL) & O_NONBLOCK, 0);
  ASSERT_EQ(ik_socket_set_blocking(sock.s, 0), 0);
  ASSERT_EQ(ik_socket_get_blocking(sock.s, &blocking), 0);
  EXPECT_EQ(blocking, 0);
}

TEST_P(Loopback, BroadcastPropertyExistsOnlyOnIPv4) {
  int enabled = -1;
  if (family() == IK_AF_INET6) {
    EXPECT_EQ(ik_socket_get_broadcast(sock.s, &enabled), IK_EINVAL);
    EXPECT_EQ(ik_socket_set_broadcast(sock.s, 1), IK_EINVAL);
    return;
  }
  ASSERT_EQ(ik_socket_get_broadcast(sock.s, &enabled), 0);
  EXPECT_EQ(enabled, 0);
  ASSERT_EQ(ik_socket_set_broadcast(sock.s, 1), 0);
  ASSERT_EQ(ik_socket_get_broadcast(sock.s, &enabled), 0);
  EXPECT_EQ(enabled, 1);
  ASSERT_EQ(ik_socket_set_broadcast(sock.s, 0), 0);
  ASSERT_EQ(ik_socket_get_broadcast(sock.s, &enabled), 0);
  EXPECT_EQ(enabled, 0);
}

TEST_P(Loopback, PropertiesDescribeTheSocket) {
  EXPECT_GE(ik_socket_native(sock.s), 0);
  EXPECT_GE(fcntl(static_cast<int>(ik_socket_native(sock.s)), F_GETFD), 0);
  EXPECT_EQ(ik_socket_family(sock.s), family());
  EXPECT_EQ(ik_socket_address(sock.s), nullptr);
  EXPECT_EQ(ik_socket_is_privileged(sock.s), 1);
  EXPECT_EQ(ik_socket_is_closed(sock.s), 0);
}

TEST_P(Loopback, ClosedSocketRefusesEveryCall) {
  ASSERT_EQ(ik_socket_close(sock.s), 0);
  EXPECT_EQ(ik_socket_close(sock.s), 0); // idempotent
  ik_request req = request(12);
  ik_reply reply;
  int v;
  EXPECT_EQ(ik_socket_is_closed(sock.s), 1);
  EXPECT_EQ(ik_socket_native(sock.s), -1);
  EXPECT_EQ(ik_socket_send(sock.s, &req), IK_EUNAVAILABLE);
  EXPECT_EQ(ik_socket_receive(sock.s, &req, 0.1, &reply), IK_EUNAVAILABLE);
  EXPECT_EQ(ik_socket_get_blocking(sock.s, &v), IK_EUNAVAILABLE);
  EXPECT_EQ(ik_socket_set_blocking(sock.s, 1), IK_EUNAVAILABLE);
  EXPECT_EQ(ik_socket_get_broadcast(sock.s, &v), IK_EUNAVAILABLE);
  EXPECT_EQ(ik_socket_set_broadcast(sock.s, 1), IK_EUNAVAILABLE);
  EXPECT_EQ(ik_socket_family(sock.s), family());
}

TEST_P(Loopback, BoundSourceIsUsedAndReported) {
  Sock bound;
  ASSERT_EQ(ik_socket_open(&bound.s, family(), loopback(family()), 0), 0) << ik_last_error();
  EXPECT_STREQ(ik_socket_address(bound.s), loopback(family()));
  ik_request req = request(13);
  ik_reply reply;
  ASSERT_EQ(ik_socket_send(bound.s, &req), 0);
  EXPECT_EQ(ik_socket_receive(bound.s, &req, 2.0, &reply), 0) << ik_last_error();
}

TEST_P(Loopback, SourceThatIsNotLocalIsRefused) {
  Sock bound;
  const char *foreign = family() == IK_AF_INET ? "198.18.255.254" : "fd00::dead";
  EXPECT_EQ(ik_socket_open(&bound.s, family(), foreign, 0), IK_EADDRESS);
  EXPECT_EQ(bound.s, nullptr);
  EXPECT_NE(std::string(ik_last_error()).find(foreign), std::string::npos) << ik_last_error();
}

// An interface name binds the socket to it (SO_BINDTODEVICE); the socket
// still reports no bound address.
TEST_P(Loopback, InterfaceNameBindsToThatInterface) {
  Sock dev;
  ASSERT_EQ(ik_socket_open(&dev.s, family(), "lo", 0), 0) << ik_last_error();
  EXPECT_EQ(ik_socket_address(dev.s), nullptr);
  ik_request req = request(15);
  ik_reply reply;
  ASSERT_EQ(ik_socket_send(dev.s, &req), 0) << ik_last_error();
  EXPECT_EQ(ik_socket_receive(dev.s, &req, 2.0, &reply), 0) << ik_last_error();
}

TEST_P(Loopback, UnknownInterfaceAndMistypedAddressAreRefused) {
  Sock s2;
  EXPECT_EQ(ik_socket_open(&s2.s, family(), "xyz0", 0), IK_EADDRESS);
  EXPECT_EQ(s2.s, nullptr);
  EXPECT_STREQ(ik_last_error(), "no interface named 'xyz0'");
  for (const char *bad : {"1.2.3.999", "1.2.3", "fd00::g", "a/b", "seventeen-chars-x"})
    EXPECT_EQ(ik_socket_open(&s2.s, family(), bad, 0), IK_EADDRFORMAT) << bad;
}

TEST_P(Loopback, AddressesOfTheOtherFamilyAreRefused) {
  const char *other = family() == IK_AF_INET ? "::1" : "127.0.0.1";
  Sock s2;
  EXPECT_EQ(ik_socket_open(&s2.s, family(), other, 0), IK_EFAMILY);
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, other, 1, 1), 0);
  EXPECT_EQ(ik_socket_send(sock.s, &req), IK_EFAMILY);
}

TEST_P(Loopback, OutOfRangeTtlOrTrafficClassIsRefusedBeforeSending) {
  ik_request req = request(14);
  req.ttl = 0;
  EXPECT_EQ(ik_socket_send(sock.s, &req), IK_EINVAL);
  req.ttl = 256;
  EXPECT_EQ(ik_socket_send(sock.s, &req), IK_EINVAL);
  req.ttl = 64;
  req.traffic_class = 256;
  EXPECT_EQ(ik_socket_send(sock.s, &req), IK_EINVAL);
}

TEST_P(Loopback, NegativeTimeoutIsRefused) {
  ik_reply reply;
  EXPECT_EQ(ik_socket_receive(sock.s, nullptr, -1.0, &reply), IK_EINVAL);
}

TEST_P(Loopback, WatchedEndpointSignalsAnArrivalToTheEventLoop) {
  // What the async engine builds on: the endpoint wakes a libevent loop.
  event_base *base = event_base_new();
  ASSERT_NE(base, nullptr);
  ik__endpoint *ep = ik__socket_endpoint(sock.s);
  int calls = 0;
  auto ready = [](void *arg) { ++*static_cast<int *>(arg); };
  ASSERT_EQ(ik__ep_watch(ep, base, ready, &calls), 0) << ik_last_error();
  EXPECT_EQ(ik__ep_watch(ep, base, ready, &calls), IK_EINVAL); // one watch per endpoint
  ik_request req = request(15);
  ASSERT_EQ(ik_socket_send(sock.s, &req), 0);
  timeval limit{2, 0};
  event_base_loopexit(base, &limit);
  event_base_loop(base, EVLOOP_ONCE);
  EXPECT_GE(calls, 1);
  ik__received rx;
  EXPECT_EQ(ik__ep_read(ep, &rx), 0);
  ik__ep_unwatch(ep);
  ik__ep_unwatch(ep); // harmless twice
  event_base_free(base);
}

// ---- inside a namespace: raw and DGRAM, echo and ICMP errors ----

// The pinger namespace: unprivileged ICMP allowed; its loopback answers
// ECHO_OK, rejects REJECTED (Destination Unreachable from the local stack)
// and silently drops DROPPED.
struct LoopbackNet {
  iknet::Topology topo;
  LoopbackNet() {
    topo.add("pinger");
    topo.add("plain"); // default sysctls: no unprivileged ICMP
    topo.add("peer");  // on a link, for IPv6 link-local addresses
    topo.veth("pinger", "eth0", "peer", "eth0");
    topo.address("pinger", "eth0", "fe80::1/64");
    topo.address("peer", "eth0", "fe80::2/64");
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

struct NsMode {
  int family;
  bool unprivileged;
};

void PrintTo(const NsMode &m, std::ostream *os) {
  *os << (m.family == IK_AF_INET ? "IPv4" : "IPv6") << (m.unprivileged ? " DGRAM" : " raw");
}

class LoopbackNs : public ::testing::TestWithParam<NsMode> {
protected:
  static std::unique_ptr<LoopbackNet> net;
  static std::string setup_error;

  static void SetUpTestSuite() {
    if (!iknet::is_root())
      return;
    try {
      net.reset(new LoopbackNet());
    } catch (const std::exception &e) {
      setup_error = e.what();
    }
  }
  static void TearDownTestSuite() { net.reset(); }

  void SetUp() override {
    IKNET_REQUIRE_ROOT();
    ASSERT_TRUE(net) << setup_error;
  }

  int family() const { return GetParam().family; }
  unsigned flags() const { return GetParam().unprivileged ? IK_SOCKET_UNPRIVILEGED : 0u; }
  const char *answering() const { return family() == IK_AF_INET ? "127.0.0.1" : "::1"; }
  const char *rejected() const { return family() == IK_AF_INET ? "127.0.0.2" : "fd00::2"; }
  const char *dropped() const { return family() == IK_AF_INET ? "127.0.0.3" : "fd00::3"; }
  int unreachable_type() const { return family() == IK_AF_INET ? 3 : 1; }
  int unreachable_code() const { return family() == IK_AF_INET ? 1 : 3; }

  // Runs fn with a socket of this mode opened in the pinger namespace.
  void with_socket(const std::function<void(ik_socket *)> &fn) {
    iknet::in_netns(net->topo.ns("pinger"), [&] {
      Sock sock;
      ASSERT_EQ(ik_socket_open(&sock.s, family(), nullptr, flags()), 0) << ik_last_error();
      fn(sock.s);
    });
  }
  ik_request request(const char *dest, int sequence) {
    ik_request req;
    EXPECT_EQ(ik_request_init(&req, dest, ik_unique_identifier(), sequence), 0);
    return req;
  }
};

std::unique_ptr<LoopbackNet> LoopbackNs::net;
std::string LoopbackNs::setup_error;

std::string mode_name(const ::testing::TestParamInfo<NsMode> &i) {
  return std::string(i.param.family == IK_AF_INET ? "IPv4" : "IPv6") + (i.param.unprivileged ? "Dgram" : "Raw");
}

INSTANTIATE_TEST_SUITE_P(Mode, LoopbackNs,
                         ::testing::Values(NsMode{IK_AF_INET, false}, NsMode{IK_AF_INET, true},
                                           NsMode{IK_AF_INET6, false}, NsMode{IK_AF_INET6, true}),
                         mode_name);

// Behaviours of some modes only: each suite is instantiated with exactly
// the modes it concerns, so no combination is run just to be skipped.
class LoopbackNsDgram : public LoopbackNs {};  // DGRAM sockets, both families
class LoopbackNsV4 : public LoopbackNs {};     // IPv4, both modes
class LoopbackNsV6 : public LoopbackNs {};     // IPv6, both modes
INSTANTIATE_TEST_SUITE_P(Mode, LoopbackNsDgram,
                         ::testing::Values(NsMode{IK_AF_INET, true}, NsMode{IK_AF_INET6, true}), mode_name);
INSTANTIATE_TEST_SUITE_P(Mode, LoopbackNsV4,
                         ::testing::Values(NsMode{IK_AF_INET, false}, NsMode{IK_AF_INET, true}), mode_name);
INSTANTIATE_TEST_SUITE_P(Mode, LoopbackNsV6,
                         ::testing::Values(NsMode{IK_AF_INET6, false}, NsMode{IK_AF_INET6, true}), mode_name);

// The identifier the kernel gave a DGRAM socket (its "port").
int bound_id(ik_socket *s) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(static_cast<int>(ik_socket_native(s)), reinterpret_cast<sockaddr *>(&ss), &len))
    return -1;
  return ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in *>(&ss)->sin_port
                                       : reinterpret_cast<sockaddr_in6 *>(&ss)->sin6_port);
}

TEST_P(LoopbackNs, EchoIsAnsweredWithTtlAndKernelTime) {
  with_socket([&](ik_socket *s) {
    EXPECT_EQ(ik_socket_is_privileged(s), GetParam().unprivileged ? 0 : 1);
    ik_request req = request(answering(), 1);
    ik_reply reply;
    ASSERT_EQ(ik_socket_send(s, &req), 0) << ik_last_error();
    ASSERT_EQ(ik_socket_receive(s, &req, 2.0, &reply), 0) << ik_last_error();
    EXPECT_STREQ(reply.source, answering());
    EXPECT_EQ(ik_reply_check(&reply), IK_OK);
    EXPECT_EQ(reply.id, req.id);
    EXPECT_EQ(reply.bytes_received, 64u);
    EXPECT_GE(reply.ttl, 1);
    EXPECT_LE(reply.ttl, 255);
    EXPECT_GE(reply.time, req.time);
  });
}

// On Linux the send time is the kernel's software transmit stamp, so the
// RTT leaves out the send system call's entry (see collect_tx_stamp).
TEST_P(LoopbackNs, SendTimeIsTheKernelsTransmitStamp) {
  with_socket([&](ik_socket *s) {
    ik__endpoint *ep = ik__socket_endpoint(s);
    for (int seq = 0; seq < 5; seq++) {
      ik_request req = request(answering(), seq);
      double before = ik__now_wall();
      ASSERT_EQ(ik_socket_send(s, &req), 0) << ik_last_error();
      double after = ik__now_wall();
      EXPECT_GE(req.time, before);
      EXPECT_LE(req.time, after);
      ik_reply reply;
      ASSERT_EQ(ik_socket_receive(s, &req, 2.0, &reply), 0) << ik_last_error();
      EXPECT_GE(reply.time, req.time);
      EXPECT_EQ(ik__ep_tx_stamped(ep), static_cast<unsigned long>(seq + 1)) << "seq " << seq;
    }
  });
}

// Batches (sendmmsg) ask for no stamps, so a sweep pays nothing for them,
// and do not upset the keys of the single sends that follow.
TEST_P(LoopbackNs, BatchesTakeNoTransmitStampsAndSingleSendsStillDo) {
  with_socket([&](ik_socket *s) {
    ik__endpoint *ep = ik__socket_endpoint(s);
    std::vector<ik_request> batch(8);
    std::vector<ik_request *> ptrs;
    for (size_t i = 0; i < batch.size(); i++) {
      batch[i] = request(answering(), static_cast<int>(i));
      ptrs.push_back(&batch[i]);
    }
    size_t sent = 0;
    ASSERT_EQ(ik__ep_send_many(ep, ptrs.data(), ptrs.size(), &sent), 0) << ik_last_error();
    ASSERT_EQ(sent, batch.size());
    EXPECT_EQ(ik__ep_tx_stamped(ep), 0u);
    ik_reply reply;
    for (auto &r : batch)
      ASSERT_EQ(ik_socket_receive(s, &r, 2.0, &reply), 0) << r.sequence << ": " << ik_last_error();
    ik_request one = request(answering(), 100);
    ASSERT_EQ(ik_socket_send(s, &one), 0) << ik_last_error();
    ASSERT_EQ(ik_socket_receive(s, &one, 2.0, &reply), 0) << ik_last_error();
    EXPECT_EQ(ik__ep_tx_stamped(ep), 1u);
  });
}

TEST_P(LoopbackNsDgram, DatagramSendWritesTheKernelsIdIntoTheRequest) {
  with_socket([&](ik_socket *s) {
    ik_request req = request(answering(), 1);
    req.id = static_cast<uint16_t>(bound_id(s) + 1); // surely not the kernel's
    ASSERT_EQ(ik_socket_send(s, &req), 0) << ik_last_error();
    EXPECT_EQ(req.id, bound_id(s));
    ik_reply reply;
    ASSERT_EQ(ik_socket_receive(s, &req, 2.0, &reply), 0) << ik_last_error();
    EXPECT_EQ(reply.id, req.id);
  });
}

TEST_P(LoopbackNs, RejectedEchoGivesDestinationUnreachableQuotingIt) {
  with_socket([&](ik_socket *s) {
    ik_request req = request(rejected(), 2);
    ik_reply reply;
    ASSERT_EQ(ik_socket_send(s, &req), 0) << ik_last_error();
    ASSERT_EQ(ik_socket_receive(s, &req, 2.0, &reply), 0) << ik_last_error();
    EXPECT_EQ(reply.type, unreachable_type());
    EXPECT_EQ(reply.code, unreachable_code());
    EXPECT_EQ(ik_reply_check(&reply), IK_EDEST_UNREACHABLE);
    EXPECT_EQ(reply.id, req.id);
    EXPECT_EQ(reply.sequence, 2);
    EXPECT_STREQ(reply.source, rejected()); // the local stack answers as the destination
    EXPECT_GE(reply.time, req.time);
  });
}

TEST_P(LoopbackNs, QueuedErrorDoesNotFailTheNextSend) {
  with_socket([&](ik_socket *s) {
    ik_request bad = request(rejected(), 3), good = request(answering(), 4);
    ik_reply reply;
    ASSERT_EQ(ik_socket_send(s, &bad), 0) << ik_last_error();
    // Let the error arrive before the next send (Linux then reports it to
    // the next sendto on a DGRAM socket).
    pollfd p{static_cast<int>(ik_socket_native(s)), POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 2000), 1);
    ASSERT_EQ(ik_socket_send(s, &good), 0) << ik_last_error();
    ASSERT_EQ(ik_socket_receive(s, &bad, 2.0, &reply), 0) << ik_last_error();
    EXPECT_EQ(ik_reply_check(&reply), IK_EDEST_UNREACHABLE);
    ASSERT_EQ(ik_socket_receive(s, &good, 2.0, &reply), 0) << ik_last_error();
    EXPECT_EQ(ik_reply_check(&reply), IK_OK);
  });
}

TEST_P(LoopbackNs, QueuedErrorDoesNotFailABatchOfSends) {
  with_socket([&](ik_socket *s) {
    ik_request bad = request(rejected(), 3);
    std::vector<ik_request> good(10);
    std::vector<ik_request *> ptrs;
    for (size_t i = 0; i < good.size(); i++) {
      good[i] = request(answering(), static_cast<int>(10 + i));
      ptrs.push_back(&good[i]);
    }
    ASSERT_EQ(ik_socket_send(s, &bad), 0) << ik_last_error();
    pollfd p{static_cast<int>(ik_socket_native(s)), POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 2000), 1);
    size_t sent = 0;
    ASSERT_EQ(ik__ep_send_many(ik__socket_endpoint(s), ptrs.data(), ptrs.size(), &sent), 0)
        << ik_last_error();
    EXPECT_EQ(sent, good.size());
    ik_reply reply;
    ASSERT_EQ(ik_socket_receive(s, &bad, 2.0, &reply), 0) << ik_last_error();
    EXPECT_EQ(ik_reply_check(&reply), IK_EDEST_UNREACHABLE);
    for (auto &g : good)
      EXPECT_EQ(ik_socket_receive(s, &g, 2.0, &reply), 0) << g.sequence << ": " << ik_last_error();
  });
}

TEST_P(LoopbackNs, ErrorsAndRepliesAlternateOnOneSocket) {
  with_socket([&](ik_socket *s) {
    for (int seq = 0; seq < 6; seq++) {
      bool bad = seq % 2 == 1;
      ik_request req = request(bad ? rejected() : answering(), seq);
      ik_reply reply;
      ASSERT_EQ(ik_socket_send(s, &req), 0) << "seq " << seq << ": " << ik_last_error();
      ASSERT_EQ(ik_socket_receive(s, &req, 2.0, &reply), 0) << "seq " << seq << ": " << ik_last_error();
      EXPECT_EQ(ik_reply_check(&reply), bad ? IK_EDEST_UNREACHABLE : IK_OK) << "seq " << seq;
      EXPECT_EQ(reply.sequence, seq);
    }
  });
}

TEST_P(LoopbackNsV6, LinkLocalDestinationWithAZoneIsAnsweredFromThatZone) {
  with_socket([&](ik_socket *s) {
    ik_request req = request("fe80::2%eth0", 6);
    EXPECT_NE(req.destination.scope_id, 0u);
    ik_reply reply;
    ASSERT_EQ(ik_socket_send(s, &req), 0) << ik_last_error();
    ASSERT_EQ(ik_socket_receive(s, &req, 2.0, &reply), 0) << ik_last_error();
    EXPECT_STREQ(reply.source, "fe80::2%eth0");
    EXPECT_EQ(ik_reply_check(&reply), IK_OK);
  });
}

TEST_P(LoopbackNsV6, LinkLocalSourceWithAZoneCanBeBound) {
  iknet::in_netns(net->topo.ns("pinger"), [&] {
    Sock bound;
    ASSERT_EQ(ik_socket_open(&bound.s, family(), "fe80::1%eth0", flags()), 0) << ik_last_error();
    EXPECT_STREQ(ik_socket_address(bound.s), "fe80::1%eth0");
    ik_request req = request("fe80::2%eth0", 7);
    ik_reply reply;
    ASSERT_EQ(ik_socket_send(bound.s, &req), 0) << ik_last_error();
    EXPECT_EQ(ik_socket_receive(bound.s, &req, 2.0, &reply), 0) << ik_last_error();
  });
}

TEST_P(LoopbackNs, BurstOfRequestsIsAnsweredInFull) {
  // Replies pile up in the socket before the first receive: none may be lost.
  with_socket([&](ik_socket *s) {
    const int n = 500;
    std::vector<ik_request> reqs(n);
    for (int i = 0; i < n; i++) {
      reqs[i] = request(answering(), i);
      ASSERT_EQ(ik_socket_send(s, &reqs[i]), 0) << i << ": " << ik_last_error();
    }
    for (int i = 0; i < n; i++) {
      ik_reply reply;
      ASSERT_EQ(ik_socket_receive(s, &reqs[i], 2.0, &reply), 0) << i << ": " << ik_last_error();
      EXPECT_EQ(reply.sequence, i);
    }
  });
}

TEST_P(LoopbackNs, SendManySendsEveryRequestAndEachIsAnswered) {
  // Runs of different options and a large payload break the batches.
  with_socket([&](ik_socket *s) {
    const size_t n = 300;
    std::vector<ik_request> reqs(n);
    std::vector<ik_request *> ptrs(n);
    for (size_t i = 0; i < n; i++) {
      reqs[i] = request(answering(), static_cast<int>(i));
      reqs[i].ttl = i < 100 || i >= 200 ? 64 : 32;
      if (i == 150)
        reqs[i].payload_size = 5000;
      ptrs[i] = &reqs[i];
    }
    size_t sent = 0;
    ASSERT_EQ(ik__ep_send_many(ik__socket_endpoint(s), ptrs.data(), n, &sent), 0) << ik_last_error();
    EXPECT_EQ(sent, n);
    for (size_t i = 0; i < n; i++) {
      ik_reply reply;
      EXPECT_GT(reqs[i].time, 1e9) << i;
      ASSERT_EQ(ik_socket_receive(s, &reqs[i], 2.0, &reply), 0) << i << ": " << ik_last_error();
      EXPECT_EQ(reply.id, reqs[i].id);
      EXPECT_EQ(reply.bytes_received, 8 + reqs[i].payload_size) << i;
    }
  });
}

TEST_P(LoopbackNs, SendManyStopsAtTheFirstRequestThatFails) {
  with_socket([&](ik_socket *s) {
    std::vector<ik_request> reqs(10);
    std::vector<ik_request *> ptrs(10);
    for (size_t i = 0; i < reqs.size(); i++) {
      reqs[i] = request(answering(), static_cast<int>(i));
      ptrs[i] = &reqs[i];
    }
    reqs[6].ttl = 300; // the OS refuses this TTL (the socket layer would have)
    size_t sent = 99;
    EXPECT_EQ(ik__ep_send_many(ik__socket_endpoint(s), ptrs.data(), ptrs.size(), &sent), IK_ESOCKET);
    EXPECT_EQ(sent, 6u);
    ik_reply reply;
    EXPECT_EQ(ik_socket_receive(s, &reqs[5], 2.0, &reply), 0) << ik_last_error();
  });
}

TEST_P(LoopbackNs, LargePayloadIsEchoedWhole) {
  with_socket([&](ik_socket *s) {
    for (size_t size : {size_t(56), size_t(10000), size_t(56)}) {
      ik_request req = request(answering(), static_cast<int>(size));
      req.payload_size = size;
      ik_reply reply;
      ASSERT_EQ(ik_socket_send(s, &req), 0) << ik_last_error();
      ASSERT_EQ(ik_socket_receive(s, &req, 2.0, &reply), 0) << size << ": " << ik_last_error();
      EXPECT_EQ(reply.bytes_received, 8 + size);
    }
  });
}

TEST_P(LoopbackNs, DroppedEchoTimesOut) {
  with_socket([&](ik_socket *s) {
    ik_request req = request(dropped(), 5);
    ik_reply reply;
    ASSERT_EQ(ik_socket_send(s, &req), 0) << ik_last_error();
    double start = ik__now_mono();
    EXPECT_EQ(ik_socket_receive(s, &req, 0.2, &reply), IK_ETIMEOUT);
    EXPECT_GE(ik__now_mono() - start, 0.2);
  });
}

TEST_P(LoopbackNs, NobodyGetsAPermissionErrorNamingTheFixes) {
  NsMode mode = GetParam();
  std::string out = iknet::run_as_nobody(net->topo.ns("plain"), [mode] {
    ik_socket *s = nullptr;
    int err = ik_socket_open(&s, mode.family, nullptr,
                             mode.unprivileged ? IK_SOCKET_UNPRIVILEGED : 0u);
    ik_socket_free(s);
    return std::string(ik_err_name(err)) + " " + ik_last_error();
  });
  EXPECT_EQ(out.rfind("IK_EPERMISSION ", 0), 0u) << out;
  EXPECT_NE(out.find("ping_group_range"), std::string::npos) << out;
  EXPECT_NE(out.find("setcap cap_net_raw+ep"), std::string::npos) << out;
}

// (Raw sockets need CAP_NET_RAW whatever the sysctl.)
TEST_P(LoopbackNsDgram, NobodyPingsWithAnUnprivilegedSocketWhereTheGroupIsAllowed) {
  NsMode mode = GetParam();
  const char *dest = answering();
  std::string out = iknet::run_as_nobody(net->topo.ns("pinger"), [mode, dest] {
    ik_socket *s = nullptr;
    ik_request req;
    ik_reply reply;
    int err = ik_socket_open(&s, mode.family, nullptr, IK_SOCKET_UNPRIVILEGED);
    if (err == 0 && (err = ik_request_init(&req, dest, 1, 1)) == 0 &&
        (err = ik_socket_send(s, &req)) == 0)
      err = ik_socket_receive(s, &req, 2.0, &reply);
    ik_socket_free(s);
    return std::string(ik_err_name(err)) + (err ? std::string(" ") + ik_last_error() : "");
  });
  EXPECT_EQ(out, "IK_OK");
}

#if defined(IKNET_ONE_PING) && defined(IKNET_VERBOSE_PING)
// The seed's branches of the examples, run inside the pinger namespace:
// answered, rejected (Destination Unreachable) and dropped (timeout).
TEST_P(LoopbackNs, VerbosePingPrintsEachOutcomeAsTheSeed) {
  std::string mode = GetParam().unprivileged ? " --unprivileged" : "";
  std::string unreachable = family() == IK_AF_INET ? "Destination host unreachable"
                                                   : "Address unreachable";
  for (auto dest : {answering(), rejected(), dropped()}) {
    iknet::CommandResult r = net->topo.exec(
        "pinger", std::string(IKNET_VERBOSE_PING) + mode + " " + dest + " 2 0 0.2");
    EXPECT_EQ(r.status, 0) << r.output;
    std::string d = std::regex_replace(dest, std::regex("\\."), "\\.");
    std::string line;
    if (dest == answering())
      line = "  64 bytes from " + d + ": icmp_seq=N time=[0-9]+\\.[0-9]{1,3} ms\n";
    else if (dest == rejected())
      line = "  [0-9]+ bytes from " + d + ": " + unreachable + "\n";
    else
      line = "  Request timeout for icmp_seq N\n";
    std::regex expected("PING " + d + ": 56 data bytes\n\n" +
                        std::regex_replace(line, std::regex("N"), "0") +
                        std::regex_replace(line, std::regex("N"), "1") + "\nCompleted\\.\n");
    EXPECT_TRUE(std::regex_match(r.output, expected)) << dest << ":\n" << r.output;
  }
}

// The seed's one_ping uses an IPv4 socket.
TEST_P(LoopbackNsV4, OnePingPrintsTheSeedsMessageForEachOutcome) {
  std::string cmd = std::string(IKNET_ONE_PING) + (GetParam().unprivileged ? " --unprivileged" : "");
  iknet::CommandResult ok = net->topo.exec("pinger", cmd + " 127.0.0.1 0.5");
  EXPECT_EQ(ok.status, 0);
  EXPECT_EQ(ok.output, "");
  iknet::CommandResult unreachable = net->topo.exec("pinger", cmd + " 127.0.0.2 0.5");
  EXPECT_EQ(unreachable.status, 1);
  EXPECT_EQ(unreachable.output, "Destination host unreachable\n");
  iknet::CommandResult timeout = net->topo.exec("pinger", cmd + " 127.0.0.3 0.2");
  EXPECT_EQ(timeout.status, 1);
  EXPECT_EQ(timeout.output, "The timeout has been reached (0.2s)\n");
}

TEST_P(LoopbackNs, ExamplesRunAsNobodyReportThePermissionProblem) {
  std::string cmd = std::string("setpriv --reuid=65534 --regid=65534 --clear-groups ") +
                    IKNET_VERBOSE_PING + (GetParam().unprivileged ? " --unprivileged " : " ") +
                    answering() + " 1";
  iknet::CommandResult r = net->topo.exec("plain", cmd);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("verbose_ping: insufficient privileges to create the socket: "),
            std::string::npos)
      << r.output;
}
#endif

// ---- the examples, as a user runs them ----

#if defined(IKNET_ONE_PING) && defined(IKNET_VERBOSE_PING)
std::string run(const std::string &cmd, int *status) {
  std::string out;
  FILE *p = popen(cmd.c_str(), "r");
  if (p == nullptr)
    return out;
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  int st = pclose(p);
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

TEST(Examples, VerbosePingPrintsTheSeedsLines) {
  SKIP_UNLESS_ROOT();
  for (const char *address : {"127.0.0.1", "::1"}) {
    int status = -1;
    std::string out =
        run(std::string(IKNET_VERBOSE_PING " ") + address + " 3 0.05 2", &status);
    EXPECT_EQ(status, 0);
    std::string a = std::regex_replace(address, std::regex("\\."), "\\.");
    std::regex expected("PING " + a + ": 56 data bytes\n\n" +
                        "  64 bytes from " + a + ": icmp_seq=0 time=[0-9]+\\.[0-9]{1,3} ms\n" +
                        "  64 bytes from " + a + ": icmp_seq=1 time=[0-9]+\\.[0-9]{1,3} ms\n" +
                        "  64 bytes from " + a + ": icmp_seq=2 time=[0-9]+\\.[0-9]{1,3} ms\n" +
                        "\nCompleted\\.\n");
    EXPECT_TRUE(std::regex_match(out, expected)) << out;
  }
}

TEST(Examples, OnePingIsSilentAndSucceedsWhenTheDestinationAnswers) {
  SKIP_UNLESS_ROOT();
  int status = -1;
  std::string out = run(IKNET_ONE_PING " 127.0.0.1", &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(out, "");
}

TEST(Examples, OnePingReportsAnAddressThatIsNotOne) {
  SKIP_UNLESS_ROOT();
  int status = -1;
  std::string out = run(IKNET_ONE_PING " not-an-address 2>&1", &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("one_ping: malformed IP address"), std::string::npos) << out;
}
#endif

} // namespace
