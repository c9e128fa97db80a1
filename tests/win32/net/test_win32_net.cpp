// The Windows backend on the real ICMP API, for real packets: run by
// scripts/test-windows under Wine inside the pinger namespace of a chain
//   pinger 198.18.1.2 -- 198.18.1.1 R1 198.18.2.1 -- 198.18.2.2 R2 198.18.3.1 -- 198.18.3.2 target
// where R2 routes 198.18.9.0/24 to "unreachable" and 198.18.8.0/24 to a
// blackhole. Without IK_WIN32_CHAIN=1 only the loopback tests run.
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" {
#include "icmpkit.h"
}

namespace {

bool chain() {
  const char *v = std::getenv("IK_WIN32_CHAIN");
  return v != nullptr && std::string(v) == "1";
}

struct Probe : ::testing::Test {
  ik_socket *sock = nullptr;
  void SetUp() override { ASSERT_EQ(ik_socket_open(&sock, IK_AF_INET, nullptr, 0), 0) << ik_last_error(); }
  void TearDown() override { ik_socket_free(sock); }
  // One request and its answer; returns receive's status.
  int probe(const char *dst, int ttl, int seq, ik_reply *reply, double timeout = 5.0) {
    ik_request req;
    EXPECT_EQ(ik_request_init(&req, dst, 0x5151, seq), 0);
    req.ttl = ttl;
    EXPECT_EQ(ik_socket_send(sock, &req), 0) << ik_last_error();
    int err = ik_socket_receive(sock, &req, timeout, reply);
    if (err == 0)
      rtt = ik_rtt_ms(&req, reply);
    return err;
  }
  double rtt = -1;
};

TEST_F(Probe, LoopbackAnswersThreeEchoesWithSaneRtts) {
  for (int seq = 0; seq < 3; ++seq) {
    ik_reply reply;
    ASSERT_EQ(probe("127.0.0.1", 64, seq, &reply), 0) << ik_last_error();
    EXPECT_EQ(ik_reply_check(&reply), IK_OK);
    EXPECT_STREQ(reply.source, "127.0.0.1");
    EXPECT_EQ(reply.sequence, seq);
    EXPECT_EQ(reply.id, 0x5151);
    EXPECT_EQ(reply.bytes_received, 64u);
    EXPECT_GT(reply.ttl, 0);
    EXPECT_GE(rtt, 0.0);
    EXPECT_LT(rtt, 1000.0);
  }
}

// The friendly name of the loopback adapter GetAdaptersAddresses lists
// (Wine: "lo", the Linux name; Windows: "Loopback Pseudo-Interface 1"),
// every adapter printed on the way.
std::string loopback_name() {
  ULONG size = 1 << 16;
  std::vector<unsigned char> buf(size);
  auto *list = reinterpret_cast<IP_ADAPTER_ADDRESSES *>(buf.data());
  std::string found;
  if (GetAdaptersAddresses(AF_UNSPEC, GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST, nullptr, list,
                           &size) != NO_ERROR)
    return found;
  for (IP_ADAPTER_ADDRESSES *a = list; a != nullptr; a = a->Next) {
    char name[1024] = "";
    WideCharToMultiByte(CP_UTF8, 0, a->FriendlyName, -1, name, sizeof name, nullptr, nullptr);
    std::printf("adapter %lu '%s' %s type %lu\n", a->IfIndex, name, a->AdapterName, a->IfType);
    if (a->IfType == IF_TYPE_SOFTWARE_LOOPBACK && found.empty())
      found = name;
  }
  return found;
}

TEST(RealApi, LoopbackAnswersThroughTheLoopbackInterfaceNamed) {
  std::string name = loopback_name();
  ASSERT_FALSE(name.empty()) << "GetAdaptersAddresses lists no loopback adapter";
  ik_socket *sock = nullptr;
  ASSERT_EQ(ik_socket_open(&sock, IK_AF_INET, name.c_str(), 0), 0) << name << ": " << ik_last_error();
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, "127.0.0.1", 0x5152, 1), 0);
  ASSERT_EQ(ik_socket_send(sock, &req), 0) << ik_last_error();
  ik_reply reply;
  ASSERT_EQ(ik_socket_receive(sock, &req, 5.0, &reply), 0) << ik_last_error();
  EXPECT_EQ(ik_reply_check(&reply), IK_OK);
  EXPECT_STREQ(reply.source, "127.0.0.1");
  ik_socket_free(sock);
  EXPECT_EQ(ik_socket_open(&sock, IK_AF_INET, "nosuch0", 0), IK_EADDRESS);
  EXPECT_STREQ(ik_last_error(), "no interface named 'nosuch0'");
}

TEST(RealApi, Icmpv6IsCleanlyNotSupportedWhereTheSystemLacksIt) {
  ik_socket *sock = nullptr;
  int err = ik_socket_open(&sock, IK_AF_INET6, nullptr, 0);
  if (err == 0) {
    ik_socket_free(sock);
    GTEST_SKIP() << "this system has an ICMPv6 API (real Windows)";
  }
  EXPECT_EQ(err, IK_ENOTSUP);
  // Printed as the CLI does ("strerror: detail"), it names the missing API
  // and says "not supported" once (Wine: no Icmp6ParseReplies).
  std::string said = std::string(ik_strerror(err)) + ": " + ik_last_error();
  EXPECT_NE(said.find("ICMPv6 echo API"), std::string::npos) << said;
  EXPECT_EQ(said.find("not supported"), said.rfind("not supported")) << said;
}

struct Chain : Probe {
  void SetUp() override {
    if (!chain())
      GTEST_SKIP() << "needs the namespace chain of scripts/test-windows (IK_WIN32_CHAIN=1)";
    Probe::SetUp();
  }
};

TEST_F(Chain, TargetAnswersTheEcho) {
  ik_reply reply;
  ASSERT_EQ(probe("198.18.3.2", 64, 1, &reply), 0) << ik_last_error();
  EXPECT_EQ(ik_reply_check(&reply), IK_OK);
  EXPECT_STREQ(reply.source, "198.18.3.2");
  EXPECT_EQ(reply.ttl, 62); // 64 less the two routers on the way back
}

TEST_F(Chain, EachTtlGetsTimeExceededFromItsRouter) {
  const char *hops[] = {"198.18.1.1", "198.18.2.2"};
  for (int ttl = 1; ttl <= 2; ++ttl) {
    ik_reply reply;
    ASSERT_EQ(probe("198.18.3.2", ttl, ttl, &reply), 0) << ik_last_error();
    EXPECT_EQ(reply.type, 11) << "ttl " << ttl;
    EXPECT_EQ(reply.code, 0) << "ttl " << ttl;
    EXPECT_STREQ(reply.source, hops[ttl - 1]);
    EXPECT_EQ(reply.sequence, ttl);
    EXPECT_EQ(ik_reply_check(&reply), IK_ETIME_EXCEEDED);
    EXPECT_STREQ(ik_reply_message(&reply), "Time to live exceeded");
  }
  ik_reply reply;
  ASSERT_EQ(probe("198.18.3.2", 3, 3, &reply), 0) << ik_last_error();
  EXPECT_EQ(ik_reply_check(&reply), IK_OK);
}

TEST_F(Chain, UnreachableRouteGivesDestinationUnreachableFromTheRouter) {
  ik_reply reply;
  ASSERT_EQ(probe("198.18.9.1", 64, 1, &reply), 0) << ik_last_error();
  EXPECT_EQ(reply.type, 3);
  EXPECT_STREQ(reply.source, "198.18.2.2");
  EXPECT_EQ(ik_reply_check(&reply), IK_EDEST_UNREACHABLE);
  EXPECT_EQ(reply.bytes_received, 92u); // as a Linux host counts it: 8 + 20 + 64
}

TEST_F(Chain, BlackholeTimesOut) {
  ik_reply reply;
  EXPECT_EQ(probe("198.18.8.1", 64, 1, &reply, 1.0), IK_ETIMEOUT);
}

} // namespace
