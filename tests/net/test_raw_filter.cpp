// Raw sockets see every ICMP message of the host; the kernel filter that
// ik_socket_open installs keeps the uninteresting ones (echo requests,
// neighbour discovery, router adverts) from waking the receiver at all.
// Nothing observable in a reply tells whether the filter is there (the
// codec drops the same types later), so these tests read it back from the
// kernel (Linux: ICMP_FILTER is Linux's). Root only; no packet is sent.
#include <gtest/gtest.h>

#ifdef __linux__

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/icmp.h>

extern "C" {
#include <icmpkit.h>
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

TEST(RawFilter, IPv4RawSocketPassesOnlyEchoRepliesAndErrors) {
  SKIP_UNLESS_ROOT();
  Sock sock;
  ASSERT_EQ(ik_socket_open(&sock.s, IK_AF_INET, nullptr, 0), 0) << ik_last_error();
  struct icmp_filter f = {};
  socklen_t len = sizeof f;
  ASSERT_EQ(getsockopt(static_cast<int>(ik_socket_native(sock.s)), SOL_RAW, ICMP_FILTER, &f, &len), 0);
  auto passes = [&](int type) { return (f.data & (1u << type)) == 0; };  // a set bit blocks
  for (int type : {ICMP_ECHOREPLY, ICMP_DEST_UNREACH, ICMP_SOURCE_QUENCH, ICMP_REDIRECT, ICMP_TIME_EXCEEDED,
                   ICMP_PARAMETERPROB})  // the errors quote the datagram they are about
    EXPECT_TRUE(passes(type)) << "type " << type;
  for (int type : {ICMP_ECHO, ICMP_TIMESTAMP, ICMP_TIMESTAMPREPLY, ICMP_ADDRESS, ICMP_ADDRESSREPLY})
    EXPECT_FALSE(passes(type)) << "type " << type;
}

TEST(RawFilter, IPv6RawSocketPassesOnlyEchoRepliesAndErrors) {
  SKIP_UNLESS_ROOT();
  Sock sock;
  ASSERT_EQ(ik_socket_open(&sock.s, IK_AF_INET6, nullptr, 0), 0) << ik_last_error();
  struct icmp6_filter f;
  socklen_t len = sizeof f;
  ASSERT_EQ(getsockopt(static_cast<int>(ik_socket_native(sock.s)), IPPROTO_ICMPV6, ICMP6_FILTER, &f, &len), 0);
  for (int type : {ICMP6_ECHO_REPLY, ICMP6_DST_UNREACH, ICMP6_TIME_EXCEEDED, ICMP6_PACKET_TOO_BIG,
                   ICMP6_PARAM_PROB})
    EXPECT_TRUE(ICMP6_FILTER_WILLPASS(type, &f)) << "type " << type;
  for (int type : {ICMP6_ECHO_REQUEST, ND_ROUTER_ADVERT, ND_NEIGHBOR_SOLICIT, ND_NEIGHBOR_ADVERT, ND_REDIRECT,
                   MLD_LISTENER_QUERY})
    EXPECT_TRUE(ICMP6_FILTER_WILLBLOCK(type, &f)) << "type " << type;
}

}  // namespace
#endif  // __linux__
