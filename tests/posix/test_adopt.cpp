// ik_socket_adopt's refusals, which need no ICMP socket and send nothing:
// whatever is not an ICMP raw or datagram socket gets its own error and a
// message naming what it is, and the descriptor stays the caller's, open
// and untouched (still blocking). The ICMP sockets themselves are adopted
// in tests/net/test_adopt.cpp (root, in a namespace).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "icmpkit.h"

namespace {

// A descriptor closed when the test ends, whatever adopt did.
struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

bool is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }
bool is_blocking(int fd) { return !(fcntl(fd, F_GETFL) & O_NONBLOCK); }

// Adopting fd fails with expected, leaves *sock NULL, says why (fragment),
// and leaves fd, if it was open, open and blocking.
void expect_refused(int fd, int expected, const std::string &fragment) {
  ik_socket *const stale = reinterpret_cast<ik_socket *>(&fd); // adopt must clear it
  ik_socket *sock = stale;
  bool was_open = fd >= 0 && is_open(fd);
  EXPECT_EQ(ik_socket_adopt(&sock, fd, 0), expected) << ik_last_error();
  EXPECT_EQ(sock, nullptr);
  EXPECT_NE(std::string(ik_last_error()).find(fragment), std::string::npos) << ik_last_error();
  if (sock != stale) ik_socket_free(sock);
  if (was_open) {
    EXPECT_TRUE(is_open(fd)) << "the refused descriptor was closed";
    EXPECT_TRUE(is_blocking(fd)) << "the refused descriptor was reconfigured";
  }
}

TEST(SocketAdopt, MinusOneIsNotADescriptor) {
  expect_refused(-1, IK_EINVAL, "-1 is not a file descriptor");
}

TEST(SocketAdopt, AClosedDescriptorIsUnavailable) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[0]);
  close(fds[1]);
  expect_refused(fds[0], IK_EUNAVAILABLE, "is not open");
}

TEST(SocketAdopt, APipeIsNotASocket) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  Fd r(fds[0]), w(fds[1]);
  expect_refused(r.fd, IK_EINVAL, "is not a socket");
}

TEST(SocketAdopt, AUdpSocketIsRefusedByItsProtocol) {
  Fd udp(socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP));
  ASSERT_GE(udp.fd, 0);
#if defined(SO_PROTOCOL)
  expect_refused(udp.fd, IK_EINVAL, "datagram socket of protocol 17 (UDP), not ICMP");
#else
  GTEST_SKIP() << "this system does not tell a socket's protocol (SO_PROTOCOL)";
#endif
}

TEST(SocketAdopt, AnIPv6UdpSocketIsRefusedByItsProtocol) {
  Fd udp(socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP));
  if (udp.fd < 0) GTEST_SKIP() << "no IPv6 here";
#if defined(SO_PROTOCOL)
  expect_refused(udp.fd, IK_EINVAL, "IPv6 datagram socket of protocol 17 (UDP), not ICMPv6");
#else
  GTEST_SKIP() << "this system does not tell a socket's protocol (SO_PROTOCOL)";
#endif
}

TEST(SocketAdopt, ATcpSocketIsRefusedAsAStream) {
  Fd tcp(socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
  ASSERT_GE(tcp.fd, 0);
  expect_refused(tcp.fd, IK_EINVAL, "is a stream socket");
}

TEST(SocketAdopt, AUnixSocketIsRefusedByItsFamily) {
  Fd unix_socket(socket(AF_UNIX, SOCK_DGRAM, 0));
  ASSERT_GE(unix_socket.fd, 0);
  expect_refused(unix_socket.fd, IK_EFAMILY, "is not an IPv4 or IPv6 socket");
}

TEST(SocketAdopt, UnknownFlagsAreRefusedBeforeTheDescriptorIsLookedAt) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  Fd r(fds[0]), w(fds[1]);
  ik_socket *sock = nullptr;
  EXPECT_EQ(ik_socket_adopt(&sock, r.fd, IK_SOCKET_UNPRIVILEGED), IK_EINVAL);
  EXPECT_NE(std::string(ik_last_error()).find("unknown adopt flags 0x1"), std::string::npos)
      << ik_last_error();
  EXPECT_EQ(sock, nullptr);
  EXPECT_TRUE(is_open(r.fd));
}

TEST(SocketAdopt, ANullOutputIsRefused) {
  EXPECT_EQ(ik_socket_adopt(nullptr, 0, 0), IK_EINVAL);
  EXPECT_NE(std::string(ik_last_error()).find("sock is NULL"), std::string::npos) << ik_last_error();
}

}  // namespace
