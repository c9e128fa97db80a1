// Socket options an unprivileged (SOCK_DGRAM) ICMPv6 socket applies. XNU
// lets a non-root ICMPv6 datagram socket set IPV6_UNICAST_HOPS,
// IPV6_MULTICAST_HOPS and IPV6_TCLASS (bsd/netinet6/icmp6.c,
// icmp6_dgram_ctloutput hands them to ip6_ctloutput), so the BSD build must
// not refuse them (it answered IK_ENOTSUP for anything but 64 and 0).
// On Linux the test runs in a private network namespace of a child process
// (needs root, as the CI runs), where ping_group_range admits every group
// and only loopback exists; elsewhere it runs as is.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdio>
#include <functional>

#include "icmpkit.h"

#if defined(__linux__)
#  include <net/if.h>
#  include <sched.h>
#  include <sys/ioctl.h>
#endif

namespace {

// Runs check in a context where unprivileged ICMP sockets work and ::1 is
// reachable; returns its exit status (0: every expectation held).
int run_isolated(const std::function<int()> &check) {
#if defined(__linux__)
  pid_t pid = fork();
  if (pid < 0) return 100;
  if (pid == 0) {
    if (unshare(CLONE_NEWNET) != 0) _exit(101);
    FILE *f = std::fopen("/proc/sys/net/ipv4/ping_group_range", "w");
    if (f == nullptr || std::fputs("0 2147483647", f) < 0 || std::fclose(f) != 0) _exit(102);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) _exit(103);
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) _exit(104);
    close(fd);
    _exit(check());
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return 105;
  return WEXITSTATUS(status);
#else
  return check();
#endif
}

int sockopt(ik_socket *s, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  if (getsockopt(static_cast<int>(ik_socket_native(s)), IPPROTO_IPV6, name, &v, &len) != 0) return -1;
  return v;
}

TEST(UnprivilegedIPv6Options, HopLimitAndTrafficClassAreApplied) {
#if defined(__linux__)
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a private network namespace";
#endif
  int status = run_isolated([] {
    ik_socket *s = nullptr;
    ik_request req;
    if (ik_socket_open(&s, IK_AF_INET6, nullptr, IK_SOCKET_UNPRIVILEGED) != 0) return 10;
    if (ik_request_init(&req, "::1", 1, 1) != 0) return 11;
    req.ttl = 5;
    req.traffic_class = 0x20;
    if (ik_socket_send(s, &req) != 0) return 12; // IK_ENOTSUP before
    if (sockopt(s, IPV6_UNICAST_HOPS) != 5) return 13;
    if (sockopt(s, IPV6_TCLASS) != 0x20) return 14;
    if (ik_request_init(&req, "ff02::1", 1, 2) != 0) return 15;
    req.ttl = 3;
    int err = ik_socket_send(s, &req);
    if (err != 0 && err != IK_ESOCKET) return 16; // the group may be unroutable; not refused
    if (sockopt(s, IPV6_MULTICAST_HOPS) != 3) return 17;
    ik_socket_free(s);
    return 0;
  });
  EXPECT_EQ(status, 0) << "10 open, 12 send refused, 13 hop limit, 14 traffic class, 17 multicast "
                          "hops; 10x: namespace setup";
}

} // namespace
