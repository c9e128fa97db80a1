// Issue 18: ik_socket_adopt takes ICMP sockets the program opened itself
// with socket(2) (as one would before dropping privileges, or as a
// privileged parent or systemd passes them in). Raw and DGRAM sockets of
// both families, opened in a namespace whose ping_group_range admits every
// group, echo on its loopback through ik_socket_send/receive and through
// ik_ping (opts.sockets). Sockets that are IP but not ICMP are refused and
// left open. The refusals that need no root are in tests/posix/test_adopt.cpp.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "icmpkit.h"
#include "netns.h"

namespace {

struct Mode {
  int family;
  bool dgram;
};

void PrintTo(const Mode &m, std::ostream *os) {
  *os << (m.family == IK_AF_INET ? "IPv4" : "IPv6") << (m.dgram ? " DGRAM" : " raw");
}

std::string mode_name(const ::testing::TestParamInfo<Mode> &i) {
  return std::string(i.param.family == IK_AF_INET ? "IPv4" : "IPv6") + (i.param.dgram ? "Dgram" : "Raw");
}

bool is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

class Adopt : public ::testing::TestWithParam<Mode> {
 protected:
  static std::unique_ptr<iknet::Topology> topo;
  static std::string setup_error;

  static void SetUpTestSuite() {
    if (!iknet::is_root()) return;
    try {
      topo.reset(new iknet::Topology);
      topo->add("pinger");
      topo->sysctl("pinger", "net.ipv4.ping_group_range", "0 2147483647");
    } catch (const std::exception &e) {
      setup_error = e.what();
    }
  }
  static void TearDownTestSuite() { topo.reset(); }

  void SetUp() override {
    IKNET_REQUIRE_ROOT();
    ASSERT_TRUE(topo) << setup_error;
  }

  int family() const { return GetParam().family; }
  const char *loopback() const { return family() == IK_AF_INET ? "127.0.0.1" : "::1"; }

  // socket(2) for this mode; fn runs in the namespace, where the socket is.
  int open_fd() const {
    return socket(family() == IK_AF_INET ? AF_INET : AF_INET6, GetParam().dgram ? SOCK_DGRAM : SOCK_RAW,
                  family() == IK_AF_INET ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6});
  }
  void in_pinger(const std::function<void()> &fn) { iknet::in_netns(topo->ns("pinger"), fn); }

  // Binds fd to the loopback address, with identifier id on DGRAM sockets.
  bool bind_loopback(int fd, uint16_t id) const {
    sockaddr_storage ss{};
    socklen_t len;
    if (family() == IK_AF_INET) {
      auto *sin = reinterpret_cast<sockaddr_in *>(&ss);
      sin->sin_family = AF_INET;
      sin->sin_port = htons(id);
      inet_pton(AF_INET, "127.0.0.1", &sin->sin_addr);
      len = sizeof *sin;
    } else {
      auto *sin6 = reinterpret_cast<sockaddr_in6 *>(&ss);
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons(id);
      inet_pton(AF_INET6, "::1", &sin6->sin6_addr);
      len = sizeof *sin6;
    }
    return bind(fd, reinterpret_cast<sockaddr *>(&ss), len) == 0;
  }
};

std::unique_ptr<iknet::Topology> Adopt::topo;
std::string Adopt::setup_error;

INSTANTIATE_TEST_SUITE_P(Mode, Adopt,
                         ::testing::Values(Mode{IK_AF_INET, false}, Mode{IK_AF_INET, true},
                                           Mode{IK_AF_INET6, false}, Mode{IK_AF_INET6, true}),
                         mode_name);

TEST_P(Adopt, TheSocketReportsWhatTheDescriptorIsAndIsConfiguredAsAnOpenedOne) {
  in_pinger([&] {
    int fd = open_fd();
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ik_socket *sock = nullptr;
    ASSERT_EQ(ik_socket_adopt(&sock, fd, 0), 0) << ik_last_error();
    EXPECT_EQ(ik_socket_native(sock), fd);
    EXPECT_EQ(ik_socket_family(sock), family());
    EXPECT_EQ(ik_socket_is_privileged(sock), GetParam().dgram ? 0 : 1);
    EXPECT_EQ(ik_socket_address(sock), nullptr); // bound to no address
    int blocking = -1;
    EXPECT_EQ(ik_socket_get_blocking(sock, &blocking), 0);
    EXPECT_EQ(blocking, 0);
    EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    int rcvbuf = 0, plain_rcvbuf = 0, plain = open_fd();
    socklen_t len = sizeof rcvbuf;
    ASSERT_GE(plain, 0);
    ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len), 0);
    ASSERT_EQ(getsockopt(plain, SOL_SOCKET, SO_RCVBUF, &plain_rcvbuf, &len), 0);
    close(plain);
    EXPECT_GT(rcvbuf, plain_rcvbuf); // raised, as ik_socket_open does
    // The socket owns the descriptor now: closing it closes fd.
    EXPECT_EQ(ik_socket_close(sock), 0);
    EXPECT_FALSE(is_open(fd));
    ik_socket_free(sock);
  });
}

TEST_P(Adopt, EchoThroughSendAndReceive) {
  in_pinger([&] {
    int fd = open_fd();
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ik_socket *sock = nullptr;
    ASSERT_EQ(ik_socket_adopt(&sock, fd, 0), 0) << ik_last_error();
    for (int sequence = 1; sequence <= 3; ++sequence) {
      ik_request req;
      ik_reply reply;
      ASSERT_EQ(ik_request_init(&req, loopback(), ik_unique_identifier(), sequence), 0);
      ASSERT_EQ(ik_socket_send(sock, &req), 0) << ik_last_error();
      ASSERT_EQ(ik_socket_receive(sock, &req, 2.0, &reply), 0) << ik_last_error();
      EXPECT_STREQ(reply.source, loopback());
      EXPECT_EQ(reply.sequence, sequence);
      EXPECT_EQ(reply.type, family() == IK_AF_INET ? 0 : 129);
      EXPECT_EQ(ik_reply_check(&reply), IK_OK);
    }
    ik_socket_free(sock);
  });
}

TEST_P(Adopt, PingBorrowsTheAdoptedSocket) {
  in_pinger([&] {
    int fd = open_fd();
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ik_socket *sock = nullptr;
    ASSERT_EQ(ik_socket_adopt(&sock, fd, 0), 0) << ik_last_error();
    ik_ping_options opts;
    ik_ping_options_init(&opts);
    opts.count = 3;
    opts.interval = 0.05;
    opts.sockets[family() == IK_AF_INET6] = sock;
    ik_host host;
    ASSERT_EQ(ik_ping(loopback(), &opts, &host), 0) << ik_last_error();
    EXPECT_EQ(host.packets_sent, 3);
    EXPECT_EQ(host.packets_received, 3);
    EXPECT_EQ(host.packet_loss, 0.0);
    ik_host_free(&host);
    EXPECT_TRUE(is_open(fd)) << "ik_ping closed a borrowed socket";
    EXPECT_FALSE(ik_socket_is_closed(sock));
    ik_socket_free(sock);
    EXPECT_FALSE(is_open(fd));
  });
}

TEST_P(Adopt, TheBoundAddressIsReportedAndADgramSocketKeepsItsIdentifier) {
  in_pinger([&] {
    int fd = open_fd();
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ASSERT_TRUE(bind_loopback(fd, 0x4b1d)) << std::strerror(errno);
    ik_socket *sock = nullptr;
    ASSERT_EQ(ik_socket_adopt(&sock, fd, 0), 0) << ik_last_error();
    ASSERT_NE(ik_socket_address(sock), nullptr);
    EXPECT_STREQ(ik_socket_address(sock), loopback());
    ik_request req;
    ik_reply reply;
    ASSERT_EQ(ik_request_init(&req, loopback(), 7, 1), 0);
    ASSERT_EQ(ik_socket_send(sock, &req), 0) << ik_last_error();
    // On Linux DGRAM sockets the kernel writes the bound "port" as the id.
    EXPECT_EQ(req.id, GetParam().dgram ? 0x4b1d : 7);
    ASSERT_EQ(ik_socket_receive(sock, &req, 2.0, &reply), 0) << ik_last_error();
    EXPECT_EQ(reply.id, req.id);
    ik_socket_free(sock);
  });
}

// ---- refusals of IP sockets that are not ICMP ones (root: raw sockets) ----

class AdoptRefusal : public ::testing::Test {
 protected:
  void SetUp() override { IKNET_REQUIRE_ROOT(); }
  // Refused with expected and a message holding fragment; fd left open, blocking.
  static void expect_refused(int fd, int expected, const std::string &fragment) {
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ik_socket *sock = nullptr;
    EXPECT_EQ(ik_socket_adopt(&sock, fd, 0), expected) << ik_last_error();
    EXPECT_EQ(sock, nullptr);
    EXPECT_NE(std::string(ik_last_error()).find(fragment), std::string::npos) << ik_last_error();
    EXPECT_TRUE(is_open(fd));
    EXPECT_FALSE(fcntl(fd, F_GETFL) & O_NONBLOCK) << "reconfigured before the refusal";
    ik_socket_free(sock);
    close(fd);
  }
};

TEST_F(AdoptRefusal, ARawUdpSocketIsNotICMP) {
  expect_refused(socket(AF_INET, SOCK_RAW, IPPROTO_UDP), IK_EINVAL,
                 "is an IPv4 raw socket of protocol 17 (UDP), not ICMP");
}

TEST_F(AdoptRefusal, AnIPv6RawSocketOfProtocolICMPIsNotICMPv6) {
  expect_refused(socket(AF_INET6, SOCK_RAW, IPPROTO_ICMP), IK_EINVAL,
                 "is an IPv6 raw socket of protocol 1 (ICMP), not ICMPv6");
}

TEST_F(AdoptRefusal, ARawIPSocketIsNotICMP) {
  expect_refused(socket(AF_INET, SOCK_RAW, IPPROTO_RAW), IK_EINVAL, "protocol 255 (raw IP), not ICMP");
}

TEST_F(AdoptRefusal, AnICMPSocketThatWritesItsOwnIPHeaderIsRefused) {
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), on = 1;
  ASSERT_GE(fd, 0) << std::strerror(errno);
  ASSERT_EQ(setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &on, sizeof on), 0);
  expect_refused(fd, IK_EINVAL, "has IP_HDRINCL set");
}

}  // namespace
