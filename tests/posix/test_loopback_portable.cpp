// The socket API on the host's loopback, raw and unprivileged (DGRAM), IPv4
// and IPv6, with nothing but POSIX: the suite that runs on macOS (AppVeyor)
// as well as on Linux. Label "loopback". A mode the system refuses here
// (raw without root; DGRAM where Linux's net.ipv4.ping_group_range leaves
// the user out) is skipped with the reason; the Linux namespaces of
// tests/net cover those there. Traffic stays on 127.0.0.1 and ::1.
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "icmpkit.h"

namespace {

using Param = std::tuple<int, bool>; // family, unprivileged

const char *loopback(int family) { return family == IK_AF_INET ? "127.0.0.1" : "::1"; }

class PortableLoopback : public ::testing::TestWithParam<Param> {
protected:
  int family() const { return std::get<0>(GetParam()); }
  bool unprivileged() const { return std::get<1>(GetParam()); }
  ik_socket *sock = nullptr;

  void SetUp() override {
    int err = ik_socket_open(&sock, family(), nullptr, unprivileged() ? IK_SOCKET_UNPRIVILEGED : 0);
    if (err == IK_EPERMISSION) GTEST_SKIP() << "not allowed here: " << ik_last_error();
    ASSERT_EQ(err, 0) << ik_last_error();
  }
  void TearDown() override { ik_socket_free(sock); }

  // Sends one request with the given TTL / hop limit and traffic class and
  // waits for its reply.
  void ping(int ttl, int traffic_class, uint16_t sequence) {
    ik_request req;
    ik_reply reply;
    ASSERT_EQ(ik_request_init(&req, loopback(family()), ik_unique_identifier(), sequence), 0);
    req.ttl = ttl;
    req.traffic_class = traffic_class;
    ASSERT_EQ(ik_socket_send(sock, &req), 0) << ik_last_error();
    ASSERT_EQ(ik_socket_receive(sock, &req, 2.0, &reply), 0) << ik_last_error();
    EXPECT_STREQ(reply.source, loopback(family()));
    EXPECT_EQ(reply.sequence, sequence);
    EXPECT_EQ(reply.type, family() == IK_AF_INET ? 0 : 129);
    EXPECT_EQ(reply.bytes_received, 64u);
    EXPECT_EQ(ik_reply_check(&reply), IK_OK);
    EXPECT_GT(reply.time, 0.0);
  }
};

INSTANTIATE_TEST_SUITE_P(Mode, PortableLoopback,
                         ::testing::Combine(::testing::Values(IK_AF_INET, IK_AF_INET6),
                                            ::testing::Values(false, true)),
                         [](const ::testing::TestParamInfo<Param> &i) {
                           return std::string(std::get<0>(i.param) == IK_AF_INET ? "IPv4" : "IPv6") +
                                  (std::get<1>(i.param) ? "_dgram" : "_raw");
                         });

TEST_P(PortableLoopback, EchoIsAnswered) { ping(IK_DEFAULT_TTL, 0, 1); }

// macOS lets unprivileged ICMPv6 sockets set both (XNU icmp6_dgram_ctloutput).
TEST_P(PortableLoopback, TtlAndTrafficClassCanBeChosen) {
  ping(5, 0x20, 2);
  ping(IK_DEFAULT_TTL, 0, 3);
}

TEST_P(PortableLoopback, ReceiveTimesOutWhenNothingWasSent) {
  ik_request req;
  ik_reply reply;
  ASSERT_EQ(ik_request_init(&req, loopback(family()), ik_unique_identifier(), 9), 0);
  EXPECT_EQ(ik_socket_receive(sock, &req, 0.2, &reply), IK_ETIMEOUT);
}

} // namespace
