// What src/posix/datagram.c makes of a datagram as recvmsg returns it:
// data layout, control messages, source, error queue. Built twice (see
// CMakeLists.txt): the expectations follow IK__POSIX_BSD.
// posix.h first: it sets the feature macros the backend is compiled with
// (macOS: __APPLE_USE_RFC_3542, so IPV6_HOPLIMIT has the same value here).
extern "C" {
#include "posix/posix.h"
}

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <cstring>
#include <ctime>
#include <vector>


#if IK__POSIX_LINUX
#  include <linux/errqueue.h>
#  include <linux/net_tstamp.h>
#endif

namespace {

using Bytes = std::vector<uint8_t>;

// An echo reply for req, its checksum filled (as a host would send it).
Bytes echo_reply(const ik_request &req) {
  Bytes b(ik__echo_size(&req));
  size_t len = 0;
  EXPECT_EQ(ik__build_echo(&req, req.id, b.data(), b.size(), &len), 0);
  b[0] = req.destination.family == IK_AF_INET ? IK__V4_ECHO_REPLY : IK__V6_ECHO_REPLY;
  b[2] = b[3] = 0;
  if (req.destination.family == IK_AF_INET) {
    uint16_t sum = ik__checksum(b.data(), b.size());
    b[2] = static_cast<uint8_t>(sum >> 8);
    b[3] = static_cast<uint8_t>(sum);
  }
  return b;
}

// IPv4 header (IHL 5, total length in network order) before payload.
Bytes with_ipv4_header(const Bytes &payload, const char *src, const char *dst, int ttl) {
  Bytes b(20, 0);
  b[0] = 0x45;
  size_t total = 20 + payload.size();
  b[2] = static_cast<uint8_t>(total >> 8);
  b[3] = static_cast<uint8_t>(total);
  b[8] = static_cast<uint8_t>(ttl);
  b[9] = 1;
  inet_pton(AF_INET, src, &b[12]);
  inet_pton(AF_INET, dst, &b[16]);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// A datagram as recvmsg would leave it: data, sender, control messages.
struct Datagram {
  Bytes data;
  sockaddr_storage name{};
  socklen_t namelen = 0;
  alignas(cmsghdr) unsigned char control[512]{};
  size_t controllen = 0;
  iovec iov{};
  msghdr msg{};

  void from_v4(const char *text, uint16_t port = 0) {
    auto *sin = reinterpret_cast<sockaddr_in *>(&name);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    inet_pton(AF_INET, text, &sin->sin_addr);
    namelen = sizeof *sin;
  }
  void from_v6(const char *text, uint32_t scope = 0) {
    auto *sin6 = reinterpret_cast<sockaddr_in6 *>(&name);
    sin6->sin6_family = AF_INET6;
    inet_pton(AF_INET6, text, &sin6->sin6_addr);
    sin6->sin6_scope_id = scope;
    namelen = sizeof *sin6;
  }
  void add(int level, int type, const void *value, size_t len) {
    auto *c = reinterpret_cast<cmsghdr *>(control + controllen);
    ASSERT_LE(controllen + CMSG_SPACE(len), sizeof control);
    c->cmsg_level = level;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(len);
    std::memcpy(CMSG_DATA(c), value, len);
    controllen += CMSG_SPACE(len);
  }
  const msghdr *get(int flags = 0) {
    iov.iov_base = data.data();
    iov.iov_len = data.size();
    msg.msg_name = namelen ? &name : nullptr;
    msg.msg_namelen = namelen;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = controllen ? control : nullptr;
    msg.msg_controllen = controllen;
    msg.msg_flags = flags;
    return &msg;
  }
};

void add_ttl_v4(Datagram &d, int ttl) {
#if IK__POSIX_BSD
  unsigned char v = static_cast<unsigned char>(ttl); // IP_RECVTTL: one byte
  d.add(IPPROTO_IP, IP_RECVTTL, &v, 1);
#else
  d.add(IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
#endif
}

void add_stamp(Datagram &d, long sec, long usec) {
#if IK__POSIX_BSD
  timeval tv{};
  tv.tv_sec = sec;
  tv.tv_usec = usec;
  d.add(SOL_SOCKET, SCM_TIMESTAMP, &tv, sizeof tv);
#else
  timespec ts{};
  ts.tv_sec = sec;
  ts.tv_nsec = usec * 1000;
  d.add(SOL_SOCKET, SCM_TIMESTAMPNS, &ts, sizeof ts);
#endif
}

struct DatagramTest : ::testing::Test {
  ik_request req4{}, req6{};
  void SetUp() override {
    ASSERT_EQ(ik_request_init(&req4, "198.18.0.9", 0x4242, 3), 0);
    ASSERT_EQ(ik_request_init(&req6, "fd00::9", 0x4243, 4), 0);
  }
};

TEST(DatagramFacts, LayoutFollowsFamilyModeAndSystem) {
  EXPECT_EQ(ik__posix_layout(IK_AF_INET, 0), IK__LAYOUT_IP);
  EXPECT_EQ(ik__posix_layout(IK_AF_INET, 1), IK__POSIX_BSD ? IK__LAYOUT_IP : IK__LAYOUT_ICMP);
  EXPECT_EQ(ik__posix_layout(IK_AF_INET6, 0), IK__LAYOUT_ICMP);
  EXPECT_EQ(ik__posix_layout(IK_AF_INET6, 1), IK__LAYOUT_ICMP);
}

TEST(DatagramFacts, OnlyLinuxDatagramSocketsRewriteTheIdAndQueueErrors) {
  EXPECT_EQ(ik__posix_kernel_sets_id(0), 0);
  EXPECT_EQ(ik__posix_kernel_sets_id(1), IK__POSIX_LINUX);
  EXPECT_EQ(ik__posix_uses_errqueue(0), 0);
  EXPECT_EQ(ik__posix_uses_errqueue(1), IK__POSIX_LINUX);
}

TEST_F(DatagramTest, RawIPv4ReplyTakesItsTtlFromTheIpHeader) {
  Datagram d;
  d.data = with_ipv4_header(echo_reply(req4), "198.18.0.9", "198.18.0.1", 61);
  d.from_v4("198.18.0.9");
  add_ttl_v4(d, 12); // the header wins over any control message
  ik__received rx;
  ASSERT_EQ(ik__posix_decode(IK_AF_INET, 0, d.get(), d.data.size(), &rx), 0);
  EXPECT_EQ(rx.pkt.is_echo_reply, 1);
  EXPECT_EQ(rx.pkt.id, 0x4242);
  EXPECT_EQ(rx.pkt.sequence, 3);
  EXPECT_EQ(rx.pkt.icmp_len, 64u);
  EXPECT_EQ(rx.ttl, 61);
  EXPECT_TRUE(ik__address_equal(&rx.source, &req4.destination));
  EXPECT_TRUE(ik__payload_matches(&req4, rx.pkt.data, rx.pkt.data_len));
}

TEST_F(DatagramTest, UnprivilegedIPv4ReplyHasTheLayoutOfTheSystem) {
  Datagram d;
  Bytes icmp = echo_reply(req4);
#if IK__POSIX_BSD
  d.data = with_ipv4_header(icmp, "198.18.0.9", "198.18.0.1", 60); // macOS keeps the header
#else
  d.data = icmp;
#endif
  d.from_v4("198.18.0.9");
  add_ttl_v4(d, 60);
  ik__received rx;
  ASSERT_EQ(ik__posix_decode(IK_AF_INET, 1, d.get(), d.data.size(), &rx), 0);
  EXPECT_EQ(rx.pkt.is_echo_reply, 1);
  EXPECT_EQ(rx.pkt.id, 0x4242);
  EXPECT_EQ(rx.pkt.icmp_len, 64u);
  EXPECT_EQ(rx.ttl, 60);
  EXPECT_TRUE(ik__payload_matches(&req4, rx.pkt.data, rx.pkt.data_len));
}

#if IK__POSIX_BSD
TEST_F(DatagramTest, IPv4HeaderWithHostOrderLengthWithoutHeaderIsAccepted) {
  // Older macOS kernels hand raw sockets ip_len in host order, header excluded.
  Datagram d;
  Bytes icmp = echo_reply(req4);
  d.data = with_ipv4_header(icmp, "198.18.0.9", "198.18.0.1", 60);
  uint16_t host_len = static_cast<uint16_t>(icmp.size());
  std::memcpy(&d.data[2], &host_len, 2);
  d.from_v4("198.18.0.9");
  ik__received rx;
  ASSERT_EQ(ik__posix_decode(IK_AF_INET, 1, d.get(), d.data.size(), &rx), 0);
  EXPECT_EQ(rx.pkt.is_echo_reply, 1);
  EXPECT_EQ(rx.pkt.icmp_len, 64u);
  EXPECT_TRUE(ik__payload_matches(&req4, rx.pkt.data, rx.pkt.data_len));
}
#endif

TEST_F(DatagramTest, IPv6ReplyTakesHopLimitFromControlAndKeepsTheZone) {
  Datagram d;
  d.data = echo_reply(req6);
  d.from_v6("fe80::9", 5);
  int hops = 59;
  d.add(IPPROTO_IPV6, IPV6_HOPLIMIT, &hops, sizeof hops);
  ik__received rx;
  ASSERT_EQ(ik__posix_decode(IK_AF_INET6, 0, d.get(), d.data.size(), &rx), 0);
  EXPECT_EQ(rx.pkt.is_echo_reply, 1);
  EXPECT_EQ(rx.pkt.id, 0x4243);
  EXPECT_EQ(rx.ttl, 59);
  EXPECT_EQ(rx.source.family, IK_AF_INET6);
  EXPECT_EQ(rx.source.scope_id, 5u);
  char text[IK_ADDRSTRLEN];
  rx.source.scope_id = 0;
  ASSERT_EQ(ik_address_format(&rx.source, text, sizeof text), 0);
  EXPECT_STREQ(text, "fe80::9");
}

TEST_F(DatagramTest, TtlIsUnknownWhenNothingCarriesIt) {
  Datagram d;
  d.data = echo_reply(req6);
  d.from_v6("fd00::9");
  ik__received rx;
  ASSERT_EQ(ik__posix_decode(IK_AF_INET6, 1, d.get(), d.data.size(), &rx), 0);
  EXPECT_EQ(rx.ttl, -1);
}

TEST_F(DatagramTest, KernelTimestampBecomesTheReceiveTime) {
  Datagram d;
  d.data = echo_reply(req6);
  d.from_v6("fd00::9");
  add_stamp(d, 1700000000, 250000);
  ik__received rx;
  ASSERT_EQ(ik__posix_decode(IK_AF_INET6, 0, d.get(), d.data.size(), &rx), 0);
  EXPECT_DOUBLE_EQ(rx.time, 1700000000.25);
}

TEST_F(DatagramTest, WithoutATimestampTheReceiveTimeIsNow) {
  Datagram d;
  d.data = echo_reply(req6);
  d.from_v6("fd00::9");
  double before = ik__now_wall();
  ik__received rx;
  ASSERT_EQ(ik__posix_decode(IK_AF_INET6, 0, d.get(), d.data.size(), &rx), 0);
  EXPECT_GE(rx.time, before);
  EXPECT_LE(rx.time, ik__now_wall());
}

TEST_F(DatagramTest, TruncatedDatagramIsRefusedUnparsed) {
  Datagram d;
  d.data = echo_reply(req6);
  d.from_v6("fd00::9");
  ik__received rx;
  ik__fail(IK_ETIMEOUT, "marker");
  EXPECT_EQ(ik__posix_decode(IK_AF_INET6, 0, d.get(MSG_TRUNC), d.data.size(), &rx),
            IK_ETRUNCATED);
  EXPECT_STREQ(ik_last_error(), "marker"); // a skipped message is no failure to report
}

TEST_F(DatagramTest, RawIPv4TimeExceededNamesTheRouterAndTheQuotedRequest) {
  Bytes request(ik__echo_size(&req4));
  size_t len = 0;
  ASSERT_EQ(ik__build_echo(&req4, req4.id, request.data(), request.size(), &len), 0);
  Bytes quote = with_ipv4_header(Bytes(request.begin(), request.begin() + 8), "198.18.0.1",
                                 "198.18.0.9", 1);
  Bytes icmp(8, 0);
  icmp[0] = IK__V4_TIME_EXCEEDED;
  icmp.insert(icmp.end(), quote.begin(), quote.end());
  uint16_t sum = ik__checksum(icmp.data(), icmp.size());
  icmp[2] = static_cast<uint8_t>(sum >> 8);
  icmp[3] = static_cast<uint8_t>(sum);
  Datagram d;
  d.data = with_ipv4_header(icmp, "198.18.1.1", "198.18.0.1", 255);
  d.from_v4("198.18.1.1");
  ik__received rx;
  ASSERT_EQ(ik__posix_decode(IK_AF_INET, 0, d.get(), d.data.size(), &rx), 0);
  EXPECT_EQ(rx.pkt.is_error, 1);
  EXPECT_EQ(rx.pkt.type, IK__V4_TIME_EXCEEDED);
  EXPECT_EQ(rx.pkt.id, req4.id);
  EXPECT_EQ(rx.pkt.sequence, req4.sequence);
  EXPECT_TRUE(ik__address_equal(&rx.pkt.quoted_dst, &req4.destination));
  ik_address router;
  ASSERT_EQ(ik_address_parse("198.18.1.1", &router), 0);
  EXPECT_TRUE(ik__address_equal(&rx.source, &router));
  EXPECT_EQ(rx.ttl, 255);
}

#if IK__POSIX_LINUX
// One entry of the error queue: the quoted echo request as data, the
// original destination as name, sock_extended_err (+ offender) as control.
struct ErrQueueTest : DatagramTest {
  Datagram d;

  void make(const ik_request &req, uint8_t origin, uint8_t type, uint8_t code,
            const char *offender) {
    Bytes request(ik__echo_size(&req));
    size_t len = 0;
    ASSERT_EQ(ik__build_echo(&req, req.id, request.data(), request.size(), &len), 0);
    d.data = request;
    struct {
      sock_extended_err ee;
      sockaddr_in6 off; // room for either family
    } e{};
    e.ee.ee_errno = EHOSTUNREACH;
    e.ee.ee_origin = origin;
    e.ee.ee_type = type;
    e.ee.ee_code = code;
    size_t n = sizeof e.ee;
    if (req.destination.family == IK_AF_INET) {
      char dst[IK_ADDRSTRLEN];
      ASSERT_EQ(ik_address_format(&req.destination, dst, sizeof dst), 0);
      d.from_v4(dst);
      auto *sin = reinterpret_cast<sockaddr_in *>(&e.off);
      sin->sin_family = AF_INET;
      inet_pton(AF_INET, offender, &sin->sin_addr);
      n += sizeof(sockaddr_in);
      d.add(IPPROTO_IP, IP_RECVERR, &e, n);
    } else {
      d.from_v6("fd00::9");
      e.off.sin6_family = AF_INET6;
      inet_pton(AF_INET6, offender, &e.off.sin6_addr);
      n += sizeof(sockaddr_in6);
      d.add(IPPROTO_IPV6, IPV6_RECVERR, &e, n);
    }
  }
};

TEST_F(ErrQueueTest, IPv4TimeExceededGivesRouterTypeCodeAndQuotedRequest) {
  make(req4, SO_EE_ORIGIN_ICMP, IK__V4_TIME_EXCEEDED, 0, "198.18.1.1");
  int ttl = 254;
  d.add(IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
  ik__received rx;
  ASSERT_EQ(ik__posix_decode_errqueue(IK_AF_INET, d.get(MSG_ERRQUEUE), d.data.size(), &rx), 0);
  EXPECT_EQ(rx.pkt.family, IK_AF_INET);
  EXPECT_EQ(rx.pkt.is_error, 1);
  EXPECT_EQ(rx.pkt.is_echo_reply, 0);
  EXPECT_EQ(rx.pkt.type, IK__V4_TIME_EXCEEDED);
  EXPECT_EQ(rx.pkt.code, 0);
  EXPECT_EQ(rx.pkt.id, req4.id);
  EXPECT_EQ(rx.pkt.sequence, req4.sequence);
  EXPECT_TRUE(ik__address_equal(&rx.pkt.quoted_dst, &req4.destination));
  char text[IK_ADDRSTRLEN];
  ASSERT_EQ(ik_address_format(&rx.source, text, sizeof text), 0);
  EXPECT_STREQ(text, "198.18.1.1");
  EXPECT_EQ(rx.ttl, 254);
  EXPECT_EQ(rx.pkt.icmp_len, 8u + 20u + d.data.size());
}

TEST_F(ErrQueueTest, IPv6UnreachableGivesRouterTypeCodeAndQuotedRequest) {
  make(req6, SO_EE_ORIGIN_ICMP6, IK__V6_DEST_UNREACH, 3, "fd00::1");
  ik__received rx;
  ASSERT_EQ(ik__posix_decode_errqueue(IK_AF_INET6, d.get(MSG_ERRQUEUE), d.data.size(), &rx), 0);
  EXPECT_EQ(rx.pkt.type, IK__V6_DEST_UNREACH);
  EXPECT_EQ(rx.pkt.code, 3);
  EXPECT_EQ(rx.pkt.id, req6.id);
  EXPECT_EQ(rx.pkt.sequence, req6.sequence);
  EXPECT_TRUE(ik__address_equal(&rx.pkt.quoted_dst, &req6.destination));
  char text[IK_ADDRSTRLEN];
  ASSERT_EQ(ik_address_format(&rx.source, text, sizeof text), 0);
  EXPECT_STREQ(text, "fd00::1");
  EXPECT_EQ(rx.ttl, -1);
}

TEST_F(ErrQueueTest, LocalErrorIsNotAnIcmpMessage) {
  make(req4, SO_EE_ORIGIN_LOCAL, 0, 0, "0.0.0.0");
  ik__received rx;
  ik__fail(IK_ETIMEOUT, "marker");
  EXPECT_EQ(ik__posix_decode_errqueue(IK_AF_INET, d.get(MSG_ERRQUEUE), d.data.size(), &rx),
            IK_EUNRELATED);
  EXPECT_STREQ(ik_last_error(), "marker"); // a skipped entry is no failure to report
}

TEST_F(ErrQueueTest, QuoteOfSomethingElseThanAnEchoRequestIsUnrelated) {
  make(req4, SO_EE_ORIGIN_ICMP, IK__V4_DEST_UNREACH, 1, "198.18.1.1");
  d.data[0] = IK__V4_ECHO_REPLY;
  ik__received rx;
  EXPECT_EQ(ik__posix_decode_errqueue(IK_AF_INET, d.get(MSG_ERRQUEUE), d.data.size(), &rx),
            IK_EUNRELATED);
}

TEST_F(ErrQueueTest, QuoteShorterThanTheEchoHeaderIsTruncated) {
  make(req4, SO_EE_ORIGIN_ICMP, IK__V4_DEST_UNREACH, 1, "198.18.1.1");
  for (size_t n = 0; n < 8; n++) {
    ik__received rx;
    EXPECT_EQ(ik__posix_decode_errqueue(IK_AF_INET, d.get(MSG_ERRQUEUE), n, &rx), IK_ETRUNCATED)
        << n;
  }
}

TEST_F(ErrQueueTest, EntryWithoutExtendedErrorIsMalformed) {
  make(req4, SO_EE_ORIGIN_ICMP, IK__V4_DEST_UNREACH, 1, "198.18.1.1");
  d.controllen = 0;
  ik__received rx;
  EXPECT_EQ(ik__posix_decode_errqueue(IK_AF_INET, d.get(MSG_ERRQUEUE), d.data.size(), &rx),
            IK_EMALFORMED);
}

// A transmit timestamp as the kernel queues it with OPT_TSONLY: no data,
// sock_extended_err of origin TIMESTAMPING with the OPT_ID key, and
// scm_timestamping whose first stamp is the software one.
struct TxStampTest : ErrQueueTest {
  void make_stamp(int family, uint32_t key, long sec, long nsec) {
    d = Datagram{};
    sock_extended_err ee{};
    ee.ee_errno = ENOMSG;
    ee.ee_origin = SO_EE_ORIGIN_TIMESTAMPING;
    ee.ee_info = SCM_TSTAMP_SND;
    ee.ee_data = key;
    timespec ts[3]{};
    ts[0].tv_sec = sec;
    ts[0].tv_nsec = nsec;
    d.add(SOL_SOCKET, SCM_TIMESTAMPING, ts, sizeof ts);
    if (family == IK_AF_INET)
      d.add(IPPROTO_IP, IP_RECVERR, &ee, sizeof ee);
    else
      d.add(IPPROTO_IPV6, IPV6_RECVERR, &ee, sizeof ee);
  }
};

TEST_F(TxStampTest, TransmitTimestampGivesItsKeyAndSoftwareTime) {
  for (int family : {IK_AF_INET, IK_AF_INET6}) {
    make_stamp(family, 41, 1700000000, 250000000);
    uint32_t key = 0;
    double time = 0;
    ASSERT_EQ(ik__posix_decode_tx_stamp(family, d.get(MSG_ERRQUEUE), &key, &time), 1) << family;
    EXPECT_EQ(key, 41u);
    EXPECT_DOUBLE_EQ(time, 1700000000.25);
  }
}

TEST_F(TxStampTest, TransmitTimestampWithoutTheStampHasTimeZero) {
  d = Datagram{};
  sock_extended_err ee{};
  ee.ee_origin = SO_EE_ORIGIN_TIMESTAMPING;
  ee.ee_data = 7;
  d.add(IPPROTO_IP, IP_RECVERR, &ee, sizeof ee);
  uint32_t key = 0;
  double time = -1;
  ASSERT_EQ(ik__posix_decode_tx_stamp(IK_AF_INET, d.get(MSG_ERRQUEUE), &key, &time), 1);
  EXPECT_EQ(key, 7u);
  EXPECT_EQ(time, 0.0);
}

TEST_F(TxStampTest, IcmpErrorIsNotATransmitTimestamp) {
  make(req4, SO_EE_ORIGIN_ICMP, IK__V4_DEST_UNREACH, 1, "198.18.1.1");
  uint32_t key = 0;
  double time = 0;
  EXPECT_EQ(ik__posix_decode_tx_stamp(IK_AF_INET, d.get(MSG_ERRQUEUE), &key, &time), 0);
  d.controllen = 0; // no sock_extended_err at all
  EXPECT_EQ(ik__posix_decode_tx_stamp(IK_AF_INET, d.get(MSG_ERRQUEUE), &key, &time), 0);
}

TEST_F(TxStampTest, TransmitTimestampIsNotDecodedAsAnIcmpError) {
  make_stamp(IK_AF_INET6, 3, 1, 0);
  ik__received rx;
  EXPECT_EQ(ik__posix_decode_errqueue(IK_AF_INET6, d.get(MSG_ERRQUEUE), 0, &rx), IK_EUNRELATED);
}
#endif

} // namespace
