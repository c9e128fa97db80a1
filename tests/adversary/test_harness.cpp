// The harness itself, checked with plain kernel sockets (no icmpkit code):
// if these fail, every other adversary result is meaningless.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <gtest/gtest-spi.h>

#include "adversary.h"

namespace adv {
namespace {

// Sends one echo request with a raw socket and returns what the socket
// reads back within timeout_ms (empty when nothing arrives).
Bytes RawRoundTrip(int family, uint16_t id, int timeout_ms) {
  const Hosts &h = HostsFor(family);
  IpAddr dst = IpAddr::Parse(h.target);
  int fd = family == 4 ? socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)
                       : socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
  EXPECT_GE(fd, 0) << std::strerror(errno);
  if (fd < 0) return {};
  Bytes msg = Icmp(EchoRequestType(family), 0, EchoRest(id, 7, Bytes(56, 0xab)));
  if (family == 4) {  // the kernel fills the ICMPv6 checksum, not the ICMPv4 one
    uint16_t sum = Checksum(msg.data(), msg.size());
    msg[2] = static_cast<uint8_t>(sum >> 8);
    msg[3] = static_cast<uint8_t>(sum);
  }
  sockaddr_storage ss{};
  socklen_t sl;
  if (family == 4) {
    auto *sin = reinterpret_cast<sockaddr_in *>(&ss);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, dst.b, 4);
    sl = sizeof *sin;
  } else {
    auto *sin6 = reinterpret_cast<sockaddr_in6 *>(&ss);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, dst.b, 16);
    sl = sizeof *sin6;
  }
  EXPECT_EQ(sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr *>(&ss), sl),
            static_cast<ssize_t>(msg.size()))
      << std::strerror(errno);
  Bytes got;
  pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) == 1) {
    got.resize(65536);
    ssize_t n = recv(fd, got.data(), got.size(), 0);
    got.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  close(fd);
  return got;
}

TEST_F(TunTest, ResponderSeesTheKernelsEchoRequestV4) {
  net_->Run([] { RawRoundTrip(4, 0x1111, 1000); });
  auto rqs = net_->Requests();
  ASSERT_EQ(rqs.size(), 1u);
  EXPECT_EQ(rqs[0].family, 4);
  EXPECT_EQ(rqs[0].id, 0x1111);
  EXPECT_EQ(rqs[0].seq, 7);
  EXPECT_EQ(rqs[0].src.Str(), "198.18.0.1");
  EXPECT_EQ(rqs[0].dst.Str(), "198.18.1.1");
  EXPECT_EQ(rqs[0].payload, Bytes(56, 0xab));
}

TEST_F(TunTest, HandBuiltV4ReplyReachesARawSocket) {
  Bytes got;
  net_->Run([&] { got = RawRoundTrip(4, 0x2222, 1000); });
  ASSERT_EQ(got.size(), 20u + 64u);  // raw IPv4 sockets read the IP header
  EXPECT_EQ(got[20], 0);             // echo reply
  EXPECT_EQ(Checksum(got.data() + 20, 64), 0);
  EXPECT_EQ(Bytes(got.begin() + 28, got.end()), Bytes(56, 0xab));
}

TEST_F(TunTest, HandBuiltV6ReplyPassesTheKernelsChecksum) {
  // The kernel drops ICMPv6 with a wrong pseudo-header checksum before any
  // socket sees it, so a delivered reply proves ours is computed right.
  Bytes got;
  net_->Run([&] { got = RawRoundTrip(6, 0x3333, 1000); });
  ASSERT_EQ(got.size(), 64u);
  EXPECT_EQ(got[0], 129);
  EXPECT_EQ(Bytes(got.begin() + 8, got.end()), Bytes(56, 0xab));
}

TEST_F(TunTest, BadV4ChecksumStillReachesARawSocket) {
  // DESIGN §3: raw IPv4 delivery happens before the kernel's ICMP check,
  // so the library must verify checksums itself.
  net_->SetScript([](const EchoRequest &rq, TunNet &n) {
    ReplySpec bad;
    bad.ip.bad_checksum = true;
    n.Reply(rq, bad);
  });
  Bytes got;
  net_->Run([&] { got = RawRoundTrip(4, 0x4444, 1000); });
  ASSERT_EQ(got.size(), 84u);
  EXPECT_NE(Checksum(got.data() + 20, 64), 0);
}

TEST_F(TunTest, BadV6ChecksumIsDroppedByTheKernel) {
  net_->SetScript([](const EchoRequest &rq, TunNet &n) {
    ReplySpec bad;
    bad.ip.bad_checksum = true;
    n.Reply(rq, bad);
  });
  Bytes got;
  net_->Run([&] { got = RawRoundTrip(6, 0x5555, 300); });
  EXPECT_EQ(net_->PacketsWritten(), 1u);
  EXPECT_TRUE(got.empty());
}

TEST_F(TunTest, FragmentedV6ReplyIsReassembledByTheKernel) {
  net_->SetScript([](const EchoRequest &rq, TunNet &n) {
    Bytes icmp = Icmp(129, 0, EchoRest(rq.id, rq.seq, rq.payload));
    for (const Bytes &f : Ipv6Fragments(rq.dst, rq.src, icmp, 32, 77)) n.Write(f);
  });
  Bytes got;
  net_->Run([&] { got = RawRoundTrip(6, 0x6666, 1000); });
  EXPECT_EQ(net_->PacketsWritten(), 2u);
  ASSERT_EQ(got.size(), 64u);
  EXPECT_EQ(got[0], 129);
}

TEST_F(TunTest, NamespaceIsGoneAfterTheHarnessIsDestroyed) {
  std::string name = net_->Name();
  EXPECT_EQ(access(("/run/netns/" + name).c_str(), F_OK), 0);
  net_.reset();
  EXPECT_NE(access(("/run/netns/" + name).c_str(), F_OK), 0);
}

TEST_F(TunTest, RunFailsTheTestWhenItsNamespaceCannotBeJoined) {
  // Otherwise a test whose body never ran in the namespace would pass.
  static TunNet *net;  // EXPECT_NONFATAL_FAILURE's statement sees statics only
  static bool ran;
  net = net_.get();
  ran = false;
  ASSERT_EQ(Sh("ip netns del " + net->Name()), 0);
  EXPECT_NONFATAL_FAILURE(net->Run([] { ran = true; }), "the test body did not run");
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace adv
