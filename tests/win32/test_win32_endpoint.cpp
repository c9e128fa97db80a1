// The Windows backend (src/win32/) driven through a fake Win32 ICMP API:
// the test plays the OS, completing each request with the status, address
// and data it chooses, in the order it chooses.
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>

#include <gtest/gtest.h>

#include <event2/event.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <functional>
#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include "match.h"
#include "socket.h"
#include "win32/icmp_api.h"
}

namespace {

// One call to the fake send4/send6, as the backend made it.
struct Call {
  int family;
  HANDLE event;
  unsigned char *reply;
  DWORD reply_size;
  std::vector<unsigned char> data;
  IP_OPTION_INFORMATION options;
  ULONG source4, destination4;
  sockaddr_in6 source6, destination6;
  DWORD timeout;
};

const HANDLE kIcmpHandle = reinterpret_cast<HANDLE>(static_cast<intptr_t>(0x4d2));

struct Fake {
  static Fake *current;
  std::vector<Call> calls;
  std::map<void *, DWORD> replies; // reply buffer -> what Icmp*ParseReplies returns
  DWORD send_error = ERROR_IO_PENDING; // what a send leaves in GetLastError
  DWORD send_result = 0;               // what a send returns (non-zero: done at once)
  ULONG immediate_status = IP_SUCCESS; // for send_result != 0
  DWORD create6_error = 0;             // non-zero: Icmp6CreateFile fails so
  bool layout32 = false;               // IPv4 replies as ICMP_ECHO_REPLY32
  int closes = 0;
  ik__icmp_api api{create4, create6, close, send4, send6, parse4, parse6};

  static HANDLE WINAPI create4() { return kIcmpHandle; }
  static HANDLE WINAPI create6() {
    if (current->create6_error != 0) {
      SetLastError(current->create6_error);
      return INVALID_HANDLE_VALUE;
    }
    return kIcmpHandle;
  }
  static BOOL WINAPI close(HANDLE h) {
    EXPECT_EQ(h, kIcmpHandle);
    ++current->closes;
    return TRUE;
  }
  static DWORD record(Call c, void *data, WORD size, IP_OPTION_INFORMATION *options) {
    c.data.assign(static_cast<unsigned char *>(data), static_cast<unsigned char *>(data) + size);
    c.options = *options;
    current->replies[c.reply] = 0; // no insertion later, while pool threads read
    current->calls.push_back(c);
    if (current->send_result != 0) {
      current->complete(current->calls.size() - 1, current->immediate_status, "198.18.0.9");
      return current->send_result;
    }
    SetLastError(current->send_error);
    return 0;
  }
  static DWORD WINAPI send4(HANDLE icmp, HANDLE event, ik__icmp_apc_fn apc, void *ctx, ULONG src, ULONG dst,
                            void *data, WORD size, IP_OPTION_INFORMATION *options, void *reply,
                            DWORD reply_size, DWORD timeout) {
    EXPECT_EQ(icmp, kIcmpHandle);
    EXPECT_EQ(apc, nullptr);
    EXPECT_EQ(ctx, nullptr);
    Call c{};
    c.family = IK_AF_INET;
    c.event = event;
    c.reply = static_cast<unsigned char *>(reply);
    c.reply_size = reply_size;
    c.source4 = src;
    c.destination4 = dst;
    c.timeout = timeout;
    return record(c, data, size, options);
  }
  static DWORD WINAPI send6(HANDLE icmp, HANDLE event, ik__icmp_apc_fn apc, void *ctx, sockaddr_in6 *src,
                            sockaddr_in6 *dst, void *data, WORD size, IP_OPTION_INFORMATION *options,
                            void *reply, DWORD reply_size, DWORD timeout) {
    EXPECT_EQ(icmp, kIcmpHandle);
    EXPECT_EQ(apc, nullptr);
    EXPECT_EQ(ctx, nullptr);
    Call c{};
    c.family = IK_AF_INET6;
    c.event = event;
    c.reply = static_cast<unsigned char *>(reply);
    c.reply_size = reply_size;
    c.source6 = *src;
    c.destination6 = *dst;
    c.timeout = timeout;
    return record(c, data, size, options);
  }
  static DWORD parse(void *reply) {
    DWORD n = current->replies[reply];
    if (n == 0) {
      ULONG status = *reinterpret_cast<ULONG *>(static_cast<unsigned char *>(reply) +
                                                 (current->family_of(reply) == IK_AF_INET
                                                      ? offsetof(ICMP_ECHO_REPLY, Status)
                                                      : offsetof(ik__icmpv6_echo_reply, Status)));
      SetLastError(status);
    }
    return n;
  }
  static DWORD WINAPI parse4(void *reply, DWORD) { return parse(reply); }
  static DWORD WINAPI parse6(void *reply, DWORD) { return parse(reply); }

  int family_of(void *reply) const {
    for (const Call &c : calls)
      if (c.reply == reply)
        return c.family;
    ADD_FAILURE() << "parse of a buffer never sent";
    return 0;
  }

  // Writes what the OS would for call i and signals its event. from: the
  // replying host. Local failures (timeouts ...) parse to 0 replies.
  void complete(size_t i, ULONG status, const char *from, UCHAR ttl = 63, ULONG rtt_ms = 1) {
    Call &c = calls.at(i);
    ik_address a{};
    ASSERT_EQ(ik_address_parse(from, &a), 0) << from;
    int type, code;
    replies[c.reply] = ik__icmp_status_to_icmp(c.family, status, &type, &code) ? 1 : 0;
    if (c.family == IK_AF_INET && layout32) {
      // What Microsoft's IcmpParseReplies page says a 64-bit process gets:
      // 32-bit Data and OptionsData, the data after the 28-byte structure.
      auto *r = reinterpret_cast<ik__icmp_echo_reply32 *>(c.reply);
      std::memset(r, 0, sizeof *r);
      std::memcpy(&r->Address, a.bytes, 4);
      r->Status = status;
      r->RoundTripTime = rtt_ms;
      unsigned char *data = c.reply + sizeof *r;
      r->Data = static_cast<ULONG>(reinterpret_cast<uintptr_t>(data));
      r->DataSize = status == IP_SUCCESS ? static_cast<USHORT>(c.data.size()) : 0;
      r->Ttl = ttl;
      std::memcpy(data, c.data.data(), r->DataSize);
    } else if (c.family == IK_AF_INET) {
      ASSERT_GE(c.reply_size, sizeof(ICMP_ECHO_REPLY) + c.data.size());
      auto *r = reinterpret_cast<ICMP_ECHO_REPLY *>(c.reply);
      std::memcpy(&r->Address, a.bytes, 4);
      r->Status = status;
      r->RoundTripTime = rtt_ms;
      r->Data = c.reply + sizeof *r;
      r->DataSize = status == IP_SUCCESS ? static_cast<USHORT>(c.data.size()) : 0;
      r->Options.Ttl = ttl;
      std::memcpy(r->Data, c.data.data(), r->DataSize);
    } else {
      ASSERT_GE(c.reply_size, sizeof(ik__icmpv6_echo_reply) + c.data.size());
      auto *r = reinterpret_cast<ik__icmpv6_echo_reply *>(c.reply);
      std::memset(r, 0, sizeof *r);
      std::memcpy(r->Address.sin6_addr, a.bytes, 16);
      r->Status = status;
      r->RoundTripTime = rtt_ms;
      if (status == IP_SUCCESS)
        std::memcpy(c.reply + sizeof *r, c.data.data(), c.data.size());
    }
    if (send_result == 0)
      SetEvent(c.event);
  }
};
Fake *Fake::current;

// Polls a condition the pool threads make true; false after ~10 s.
bool eventually(const std::function<bool()> &cond) {
  for (int i = 0; i < 10000; ++i) {
    if (cond())
      return true;
    Sleep(1);
  }
  return cond();
}

struct Win32Endpoint : ::testing::Test {
  Fake fake;
  ik_socket *sock = nullptr;
  ik_request req{};
  long live_before = 0;

  void SetUp() override {
    Fake::current = &fake;
    ik__icmp_api_set(&fake.api);
    live_before = ik__win32_live_transactions();
  }
  void TearDown() override {
    ik_socket_free(sock);
    // Every test ends with no request left behind.
    EXPECT_TRUE(eventually([&] { return ik__win32_live_transactions() == live_before; }))
        << ik__win32_live_transactions() << " requests still held";
    ik__icmp_api_set(nullptr);
    Fake::current = nullptr;
  }
  void open(int family) { ASSERT_EQ(ik_socket_open(&sock, family, nullptr, 0), 0) << ik_last_error(); }
  void send(const char *dst, long id, long seq) {
    ASSERT_EQ(ik_request_init(&req, dst, id, seq), 0);
    ASSERT_EQ(ik_socket_send(sock, &req), 0) << ik_last_error();
  }
  ik__endpoint *ep() { return ik__socket_endpoint(sock); }
  // Waits for the next completion the backend queues and reads it.
  int read_next(ik__received *rx) {
    EXPECT_EQ(ik__ep_wait(ep(), 10.0), 0);
    return ik__ep_read(ep(), rx);
  }
};

// ---- IP_STATUS -> ICMP -------------------------------------------------

struct Mapping {
  ULONG status;
  int type, code;
};

TEST(Win32StatusMapping, EveryIpv4StatusGivesThePosixTypeAndCode) {
  const Mapping v4[] = {
      {IP_SUCCESS, 0, 0},          {IP_DEST_NET_UNREACHABLE, 3, 0}, {IP_DEST_HOST_UNREACHABLE, 3, 1},
      {IP_DEST_PROT_UNREACHABLE, 3, 2}, {IP_DEST_PORT_UNREACHABLE, 3, 3}, {IP_PACKET_TOO_BIG, 3, 4},
      {IP_BAD_ROUTE, 3, 5},        {IP_TTL_EXPIRED_TRANSIT, 11, 0}, {IP_TTL_EXPIRED_REASSEM, 11, 1},
      {IP_PARAM_PROBLEM, 12, 0},   {IP_SOURCE_QUENCH, 4, 0},
  };
  for (const Mapping &m : v4) {
    int type = -1, code = -1;
    ASSERT_TRUE(ik__icmp_status_to_icmp(IK_AF_INET, m.status, &type, &code)) << m.status;
    EXPECT_EQ(type, m.type) << m.status;
    EXPECT_EQ(code, m.code) << m.status;
  }
}

TEST(Win32StatusMapping, EveryIpv6StatusGivesThePosixTypeAndCode) {
  const Mapping v6[] = {
      {IP_SUCCESS, 129, 0},          {IP_DEST_NO_ROUTE, 1, 0},         {IP_DEST_PROHIBITED, 1, 1},
      {IP_DEST_SCOPE_MISMATCH, 1, 2}, {IP_DEST_ADDR_UNREACHABLE, 1, 3}, {IP_DEST_PORT_UNREACHABLE, 1, 4},
      {IP_DEST_UNREACHABLE, 1, 0},   {IP_PACKET_TOO_BIG, 2, 0},        {IP_HOP_LIMIT_EXCEEDED, 3, 0},
      {IP_REASSEMBLY_TIME_EXCEEDED, 3, 1}, {IP_TIME_EXCEEDED, 3, 0},   {IP_BAD_HEADER, 4, 0},
      {IP_UNRECOGNIZED_NEXT_HEADER, 4, 1}, {IP_BAD_OPTION, 4, 2},      {IP_PARAMETER_PROBLEM, 4, 0},
  };
  for (const Mapping &m : v6) {
    int type = -1, code = -1;
    ASSERT_TRUE(ik__icmp_status_to_icmp(IK_AF_INET6, m.status, &type, &code)) << m.status;
    EXPECT_EQ(type, m.type) << m.status;
    EXPECT_EQ(code, m.code) << m.status;
  }
}

// RFC 4443 defines Destination Unreachable codes 0-7 (7: RFC 6554), Time
// Exceeded 0-1 and Parameter Problem 0-2; a catch-all status must not
// invent another.
TEST(Win32StatusMapping, Ipv6StatusesGiveOnlyCodesRfc4443Defines) {
  const int max_code[5] = {-1, 7, 0, 1, 2}; // by type 1..4
  for (ULONG s = IP_STATUS_BASE; s < IP_STATUS_BASE + 100; ++s) {
    int type = -1, code = -1;
    if (!ik__icmp_status_to_icmp(IK_AF_INET6, s, &type, &code))
      continue;
    ASSERT_GE(type, 1) << s;
    ASSERT_LE(type, 4) << s;
    EXPECT_GE(code, 0) << s;
    EXPECT_LE(code, max_code[type]) << s;
  }
}

TEST(Win32StatusMapping, ProtocolUnreachableDependsOnTheFamily) {
  int type, code;
  ASSERT_TRUE(ik__icmp_status_to_icmp(IK_AF_INET, 11004, &type, &code));
  EXPECT_EQ(type, 3);
  EXPECT_EQ(code, 2);
  ASSERT_TRUE(ik__icmp_status_to_icmp(IK_AF_INET6, 11004, &type, &code));
  EXPECT_EQ(type, 1);
  EXPECT_EQ(code, 1);
}

TEST(Win32StatusMapping, StatusesOfOneFamilyOnlyAreNotRepliesInTheOther) {
  int type, code;
  for (ULONG s : {IP_BAD_ROUTE, IP_SOURCE_QUENCH})
    EXPECT_FALSE(ik__icmp_status_to_icmp(IK_AF_INET6, s, &type, &code)) << s;
  for (ULONG s : {IP_BAD_OPTION, IP_DEST_UNREACHABLE, IP_TIME_EXCEEDED, IP_BAD_HEADER,
                  IP_UNRECOGNIZED_NEXT_HEADER, IP_DEST_SCOPE_MISMATCH})
    EXPECT_FALSE(ik__icmp_status_to_icmp(IK_AF_INET, s, &type, &code)) << s;
}

TEST(Win32StatusMapping, LocalFailuresAreNotReplies) {
  int type, code;
  for (int family : {IK_AF_INET, IK_AF_INET6})
    for (ULONG s : {ULONG(IP_BUF_TOO_SMALL), ULONG(IP_NO_RESOURCES), ULONG(IP_HW_ERROR), ULONG(IP_REQ_TIMED_OUT),
                    ULONG(IP_BAD_REQ), ULONG(IP_OPTION_TOO_BIG), ULONG(IP_BAD_DESTINATION),
                    ULONG(IP_GENERAL_FAILURE), ULONG(ERROR_ACCESS_DENIED), ULONG(ERROR_NOT_ENOUGH_MEMORY)})
      EXPECT_FALSE(ik__icmp_status_to_icmp(family, s, &type, &code)) << family << " " << s;
}

struct LocalFailure {
  ULONG status;
  int error;
  const char *name;
};

// Every local failure an echo call documents, and what the request gets.
// IP_NO_RESOURCES is the OS out of buffer room (ENOBUFS on POSIX).
const LocalFailure kLocalFailures[] = {
    {IP_BUF_TOO_SMALL, IK_ESOCKET, "IP_BUF_TOO_SMALL"},
    {IP_NO_RESOURCES, IK_ENOBUFS, "IP_NO_RESOURCES"},
    {IP_BAD_OPTION, IK_EINVAL, "IP_BAD_OPTION"},
    {IP_HW_ERROR, IK_ESOCKET, "IP_HW_ERROR"},
    {IP_BAD_REQ, IK_EINVAL, "IP_BAD_REQ"},
    {IP_OPTION_TOO_BIG, IK_EINVAL, "IP_OPTION_TOO_BIG"},
    {IP_BAD_DESTINATION, IK_EINVAL, "IP_BAD_DESTINATION"},
    {IP_STATUS_BASE + 32, IK_ESOCKET, "IP_NEGOTIATING_IPSEC"},
    {IP_ICMP_ERROR, IK_EICMP, "IP_ICMP_ERROR"},
    {IP_STATUS_BASE + 50, IK_ESOCKET, "IP_GENERAL_FAILURE"},
};

TEST(Win32StatusMapping, EachLocalFailureHasItsOwnErrorAndName) {
  char text[256];
  for (const LocalFailure &f : kLocalFailures) {
    EXPECT_EQ(ik__icmp_status_error(IK_AF_INET, f.status), f.error) << f.name;
    std::string said = ik__icmp_status_text(f.status, text, sizeof text);
    EXPECT_EQ(said.rfind(f.name, 0), 0u) << said;
  }
  EXPECT_EQ(ik__icmp_status_error(IK_AF_INET, IP_REQ_TIMED_OUT), 0); // no reply, not an error
  EXPECT_EQ(ik__icmp_status_error(IK_AF_INET, ERROR_NOT_ENOUGH_MEMORY), IK_ENOMEM);
  EXPECT_EQ(ik__icmp_status_error(IK_AF_INET, ERROR_INVALID_PARAMETER), IK_EINVAL);
  EXPECT_EQ(ik__icmp_status_error(IK_AF_INET, ERROR_ACCESS_DENIED), IK_ESOCKET);
}

// ---- buffers -------------------------------------------------------------

TEST(Win32ReplyBuffer, SizeIsReplyHeaderDataEightAndStatusBlock) {
  // x64: ICMP_ECHO_REPLY is 40 bytes, IO_STATUS_BLOCK 16.
  EXPECT_EQ(sizeof(ICMP_ECHO_REPLY), sizeof(void *) == 8 ? 40u : 28u);
  EXPECT_EQ(ik__icmp_reply_size(IK_AF_INET, 56), sizeof(ICMP_ECHO_REPLY) + 56 + 8 + 2 * sizeof(void *));
  EXPECT_EQ(ik__icmp_reply_size(IK_AF_INET6, 56), 36 + 56 + 8 + 2 * sizeof(void *));
  EXPECT_EQ(ik__icmp_reply_size(IK_AF_INET, 0), sizeof(ICMP_ECHO_REPLY) + 8 + 2 * sizeof(void *));
}

TEST(Win32ReplyBuffer, Ipv6ReplyHasTheSdkLayout) {
  EXPECT_EQ(sizeof(ik__ipv6_address_ex), 26u);
  EXPECT_EQ(sizeof(ik__icmpv6_echo_reply), 36u);
  EXPECT_EQ(offsetof(ik__icmpv6_echo_reply, Status), 28u);
  EXPECT_EQ(offsetof(ik__icmpv6_echo_reply, RoundTripTime), 32u);
}

TEST_F(Win32Endpoint, SendGivesTheOsPayloadTtlTosAndAFullSizeBuffer) {
  open(IK_AF_INET);
  ASSERT_EQ(ik_request_init(&req, "198.18.0.9", 1, 2), 0);
  req.ttl = 7;
  req.traffic_class = 0x20;
  req.payload_size = 100;
  ASSERT_EQ(ik_socket_send(sock, &req), 0) << ik_last_error();
  ASSERT_EQ(fake.calls.size(), 1u);
  const Call &c = fake.calls[0];
  std::vector<unsigned char> payload(100);
  ASSERT_EQ(ik_request_payload(&req, payload.data(), payload.size()), 0);
  EXPECT_EQ(c.data, payload);
  EXPECT_EQ(c.options.Ttl, 7);
  EXPECT_EQ(c.options.Tos, 0x20);
  EXPECT_EQ(c.reply_size, ik__icmp_reply_size(IK_AF_INET, 100));
  EXPECT_EQ(c.source4, 0u);
  EXPECT_EQ(c.destination4, htonl(0xC6120009));
  EXPECT_GT(c.timeout, 0u);
  EXPECT_NE(c.event, nullptr);
  EXPECT_GT(req.time, 0.0);
  fake.complete(0, IP_REQ_TIMED_OUT, "198.18.0.9");
}

// ---- replies and the (id, sequence) table -----------------------------------

TEST_F(Win32Endpoint, EchoReplyCarriesTheCallersIdSequenceSourceAndTtl) {
  open(IK_AF_INET);
  send("198.18.0.9", 0x1234, 77);
  fake.complete(0, IP_SUCCESS, "198.18.0.9", 61);
  ik_reply reply;
  ASSERT_EQ(ik_socket_receive(sock, &req, 10.0, &reply), 0) << ik_last_error();
  EXPECT_EQ(reply.id, 0x1234);
  EXPECT_EQ(reply.sequence, 77);
  EXPECT_EQ(reply.family, IK_AF_INET);
  EXPECT_EQ(reply.type, 0);
  EXPECT_EQ(reply.code, 0);
  EXPECT_STREQ(reply.source, "198.18.0.9");
  EXPECT_EQ(reply.ttl, 61);
  EXPECT_EQ(reply.bytes_received, 8u + 56u);
  EXPECT_EQ(ik_reply_check(&reply), IK_OK);
  EXPECT_GE(reply.time, req.time);
}

TEST_F(Win32Endpoint, CompletionsInAnyOrderKeepTheirOwnIdAndSequence) {
  open(IK_AF_INET);
  ik_request reqs[3];
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(ik_request_init(&reqs[i], "198.18.0.9", 500 + i, 10 + i), 0);
    ASSERT_EQ(ik_socket_send(sock, &reqs[i]), 0);
  }
  for (int i : {2, 0, 1}) {
    fake.complete(i, IP_SUCCESS, "198.18.0.9");
    ik_reply reply;
    ASSERT_EQ(ik_socket_receive(sock, &reqs[i], 10.0, &reply), 0) << ik_last_error();
    EXPECT_EQ(reply.id, 500 + i);
    EXPECT_EQ(reply.sequence, 10 + i);
  }
}

TEST_F(Win32Endpoint, TimeExceededComesFromTheRouterAndMatchesTheRequest) {
  open(IK_AF_INET);
  send("198.18.0.9", 9, 3);
  fake.complete(0, IP_TTL_EXPIRED_TRANSIT, "198.18.1.1");
  ik_reply reply;
  ASSERT_EQ(ik_socket_receive(sock, &req, 10.0, &reply), 0) << ik_last_error();
  EXPECT_EQ(reply.type, 11);
  EXPECT_EQ(reply.code, 0);
  EXPECT_STREQ(reply.source, "198.18.1.1");
  EXPECT_EQ(reply.id, 9);
  EXPECT_EQ(reply.sequence, 3);
  EXPECT_EQ(ik_reply_check(&reply), IK_ETIME_EXCEEDED);
  EXPECT_STREQ(ik_reply_message(&reply), "Time to live exceeded");
  EXPECT_GT(reply.bytes_received, 8u);
}

TEST_F(Win32Endpoint, ErrorQuotesTheRequestsDestination) {
  open(IK_AF_INET);
  send("198.18.0.9", 9, 3);
  fake.complete(0, IP_DEST_HOST_UNREACHABLE, "198.18.1.1");
  ik__received rx;
  ASSERT_EQ(read_next(&rx), 0) << ik_last_error();
  EXPECT_TRUE(rx.pkt.is_error);
  EXPECT_FALSE(rx.pkt.is_echo_reply);
  EXPECT_TRUE(ik__address_equal(&rx.pkt.quoted_dst, &req.destination));
  EXPECT_TRUE(ik__match(&req, &rx, 0));
  ik_request other = req;
  other.sequence = 4;
  EXPECT_FALSE(ik__match(&other, &rx, 0));
}

TEST_F(Win32Endpoint, OsTimeoutIsConsumedAsNoReply) {
  open(IK_AF_INET);
  send("198.18.0.9", 9, 3);
  fake.complete(0, IP_REQ_TIMED_OUT, "0.0.0.0");
  ik__received rx;
  EXPECT_EQ(read_next(&rx), IK_EUNRELATED);
  EXPECT_NE(std::string(ik_last_error()).find("timed out"), std::string::npos) << ik_last_error();
  EXPECT_EQ(ik__ep_read(ep(), &rx), IK_ETIMEOUT);
}

TEST_F(Win32Endpoint, SuccessWithoutAParsedReplyIsAGeneralFailure) {
  open(IK_AF_INET);
  send("198.18.0.9", 9, 3);
  fake.complete(0, IP_SUCCESS, "198.18.0.9");
  fake.replies[fake.calls[0].reply] = 0; // Icmp*ParseReplies finds nothing
  ik__received rx;
  ASSERT_EQ(read_next(&rx), 0);
  EXPECT_EQ(rx.error, IK_ESOCKET);
  EXPECT_NE(std::string(ik_last_error()).find("IP_GENERAL_FAILURE"), std::string::npos) << ik_last_error();
}

// ---- local failures: at once, to their own request ---------------------------

TEST_F(Win32Endpoint, EachLocalFailureEndsItsReceiveAtOnceWithItsError) {
  open(IK_AF_INET);
  for (size_t i = 0; i < sizeof kLocalFailures / sizeof kLocalFailures[0]; ++i) {
    const LocalFailure &f = kLocalFailures[i];
    send("198.18.0.9", 9, static_cast<long>(i));
    fake.complete(i, f.status, "0.0.0.0");
    ik_reply reply;
    DWORD start = GetTickCount();
    EXPECT_EQ(ik_socket_receive(sock, &req, 10.0, &reply), f.error) << f.name << ": " << ik_last_error();
    EXPECT_LT(GetTickCount() - start, 5000u) << f.name << " waited for the timeout";
    std::string said = ik_last_error();
    EXPECT_NE(said.find(f.name), std::string::npos) << said;
    EXPECT_NE(said.find("198.18.0.9"), std::string::npos) << said;
  }
}

TEST_F(Win32Endpoint, LocalFailureOfOneRequestLeavesTheOthersAlone) {
  open(IK_AF_INET);
  ik_request bad, good;
  ASSERT_EQ(ik_request_init(&bad, "198.18.0.8", 1, 1), 0);
  ASSERT_EQ(ik_request_init(&good, "198.18.0.9", 1, 2), 0);
  ASSERT_EQ(ik_socket_send(sock, &bad), 0);
  ASSERT_EQ(ik_socket_send(sock, &good), 0);
  fake.complete(0, IP_BAD_DESTINATION, "0.0.0.0");
  fake.complete(1, IP_SUCCESS, "198.18.0.9");
  ik_reply reply;
  ASSERT_EQ(ik_socket_receive(sock, &good, 10.0, &reply), 0) << ik_last_error();
  EXPECT_EQ(reply.sequence, 2);
}

TEST_F(Win32Endpoint, EchoDataOutsideTheReplyBufferIsTruncated) {
  open(IK_AF_INET);
  send("198.18.0.9", 9, 3);
  fake.complete(0, IP_SUCCESS, "198.18.0.9");
  auto *r = reinterpret_cast<ICMP_ECHO_REPLY *>(fake.calls[0].reply);
  r->DataSize = static_cast<USHORT>(fake.calls[0].reply_size); // runs past the end
  ik__received rx;
  EXPECT_EQ(read_next(&rx), IK_ETRUNCATED);
}

TEST_F(Win32Endpoint, ReceiveIgnoresOtherRequestsReplies) {
  open(IK_AF_INET);
  ik_request first, second;
  ASSERT_EQ(ik_request_init(&first, "198.18.0.9", 1, 1), 0);
  ASSERT_EQ(ik_request_init(&second, "198.18.0.9", 1, 2), 0);
  ASSERT_EQ(ik_socket_send(sock, &first), 0);
  ASSERT_EQ(ik_socket_send(sock, &second), 0);
  fake.complete(0, IP_SUCCESS, "198.18.0.9");
  fake.complete(1, IP_SUCCESS, "198.18.0.9");
  ik_reply reply;
  ASSERT_EQ(ik_socket_receive(sock, &second, 10.0, &reply), 0) << ik_last_error();
  EXPECT_EQ(reply.sequence, 2);
}

TEST_F(Win32Endpoint, Ipv6EchoReplyDataFollowsThe36ByteHeader) {
  open(IK_AF_INET6);
  send("fd00::9", 0x4321, 5);
  const Call &c = fake.calls.at(0);
  EXPECT_EQ(c.family, IK_AF_INET6);
  EXPECT_EQ(c.reply_size, ik__icmp_reply_size(IK_AF_INET6, 56));
  EXPECT_EQ(c.destination6.sin6_family, AF_INET6);
  EXPECT_EQ(c.destination6.sin6_addr.s6_addr[0], 0xfd);
  EXPECT_EQ(c.destination6.sin6_addr.s6_addr[15], 0x09);
  fake.complete(0, IP_SUCCESS, "fd00::9");
  ik_reply reply;
  ASSERT_EQ(ik_socket_receive(sock, &req, 10.0, &reply), 0) << ik_last_error();
  EXPECT_EQ(reply.type, 129);
  EXPECT_EQ(reply.id, 0x4321);
  EXPECT_STREQ(reply.source, "fd00::9");
  EXPECT_EQ(reply.ttl, -1);
  EXPECT_EQ(ik_reply_check(&reply), IK_OK);
}

TEST_F(Win32Endpoint, Ipv6AddressUnreachableIsType1Code3) {
  open(IK_AF_INET6);
  send("fd00::9", 1, 1);
  fake.complete(0, IP_DEST_ADDR_UNREACHABLE, "fd00::1");
  ik_reply reply;
  ASSERT_EQ(ik_socket_receive(sock, &req, 10.0, &reply), 0) << ik_last_error();
  EXPECT_EQ(reply.type, 1);
  EXPECT_EQ(reply.code, 3);
  EXPECT_STREQ(reply.source, "fd00::1");
  EXPECT_EQ(ik_reply_check(&reply), IK_EDEST_UNREACHABLE);
  EXPECT_STREQ(ik_reply_message(&reply), "Address unreachable");
}

TEST_F(Win32Endpoint, MissingIcmpv6IsNotSupportedOnThisSystem) {
  fake.create6_error = ERROR_CALL_NOT_IMPLEMENTED;
  EXPECT_EQ(ik_socket_open(&sock, IK_AF_INET6, nullptr, 0), IK_ENOTSUP);
  // As the CLI prints it ("strerror: detail"): "not supported" said once.
  std::string said = std::string(ik_strerror(IK_ENOTSUP)) + ": " + ik_last_error();
  EXPECT_NE(said.find("no ICMPv6 echo API (Icmp6CreateFile: error 120)"), std::string::npos) << said;
  EXPECT_EQ(said.find("not supported"), said.rfind("not supported")) << said;
  EXPECT_EQ(sock, nullptr);
}

TEST_F(Win32Endpoint, AdoptingANativeHandleIsNotSupported) {
  EXPECT_EQ(ik_socket_adopt(&sock, 3, 0), IK_ENOTSUP);
  EXPECT_NE(std::string(ik_last_error()).find("open the socket with ik_socket_open"), std::string::npos) << ik_last_error();
  EXPECT_EQ(sock, nullptr);
}

TEST_F(Win32Endpoint, OtherCreateFailuresAreSocketErrors) {
  fake.create6_error = ERROR_ACCESS_DENIED;
  EXPECT_EQ(ik_socket_open(&sock, IK_AF_INET6, nullptr, 0), IK_ESOCKET);
  EXPECT_NE(std::string(ik_last_error()).find("Icmp6CreateFile"), std::string::npos) << ik_last_error();
}

TEST_F(Win32Endpoint, RefusedSendIsReportedAndKeepsNothing) {
  open(IK_AF_INET);
  fake.send_error = ERROR_INVALID_PARAMETER;
  ASSERT_EQ(ik_request_init(&req, "198.18.0.9", 1, 1), 0);
  EXPECT_EQ(ik_socket_send(sock, &req), IK_EINVAL);
  EXPECT_NE(std::string(ik_last_error()).find("198.18.0.9"), std::string::npos) << ik_last_error();
  EXPECT_EQ(ik__win32_live_transactions(), live_before);
}

TEST_F(Win32Endpoint, ImmediateCompletionIsReadable) {
  open(IK_AF_INET);
  fake.send_result = 1;
  send("198.18.0.9", 3, 4);
  ik_reply reply;
  ASSERT_EQ(ik_socket_receive(sock, &req, 0.0, &reply), 0) << ik_last_error();
  EXPECT_EQ(reply.sequence, 4);
}

TEST_F(Win32Endpoint, LimitedBroadcastNeedsBroadcastEnabled) {
  open(IK_AF_INET);
  ASSERT_EQ(ik_request_init(&req, "255.255.255.255", 1, 1), 0);
  EXPECT_EQ(ik_socket_send(sock, &req), IK_EBROADCAST);
  EXPECT_TRUE(fake.calls.empty());
  ASSERT_EQ(ik_socket_set_broadcast(sock, 1), 0);
  EXPECT_EQ(ik_socket_send(sock, &req), 0) << ik_last_error();
  fake.complete(0, IP_REQ_TIMED_OUT, "0.0.0.0");
}

TEST_F(Win32Endpoint, NativeHandleIsTheIcmpHandle) {
  open(IK_AF_INET);
  EXPECT_EQ(ik_socket_native(sock), reinterpret_cast<intptr_t>(kIcmpHandle));
}

// As icmplib: the ICMP API needs no privilege, so every socket is one.
TEST_F(Win32Endpoint, SocketsArePrivilegedInBothModes) {
  ASSERT_EQ(ik_socket_open(&sock, IK_AF_INET, nullptr, IK_SOCKET_UNPRIVILEGED), 0) << ik_last_error();
  EXPECT_EQ(ik_socket_is_privileged(sock), 1);
  ik_socket_free(sock);
  sock = nullptr;
  open(IK_AF_INET);
  EXPECT_EQ(ik_socket_is_privileged(sock), 1);
}

// ---- an interface name as the source -----------------------------------------

// The loopback adapter as GetAdaptersAddresses lists it: Wine names it
// after the Linux interface ("lo", {00000001-0000-0000-0000-4E6574446576},
// index 1, ::1 before 127.0.0.1), Windows "Loopback Pseudo-Interface 1".
// Printed, so a run shows what the system gave.
struct Loopback {
  std::string friendly, guid;
  unsigned long index = 0;
};

Loopback loopback_adapter() {
  Loopback lo;
  ULONG size = 1 << 16;
  std::vector<unsigned char> buf(size);
  auto *list = reinterpret_cast<IP_ADAPTER_ADDRESSES *>(buf.data());
  ULONG rc = GetAdaptersAddresses(AF_UNSPEC, GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST, nullptr,
                                  list, &size);
  EXPECT_EQ(rc, static_cast<ULONG>(NO_ERROR));
  for (IP_ADAPTER_ADDRESSES *a = rc == NO_ERROR ? list : nullptr; a != nullptr; a = a->Next) {
    char name[1024] = "";
    WideCharToMultiByte(CP_UTF8, 0, a->FriendlyName, -1, name, sizeof name, nullptr, nullptr);
    std::printf("adapter %lu (IPv6 %lu) '%s' %s type %lu:", a->IfIndex, a->Ipv6IfIndex, name,
                a->AdapterName, a->IfType);
    for (IP_ADAPTER_UNICAST_ADDRESS *u = a->FirstUnicastAddress; u != nullptr; u = u->Next) {
      char text[128] = "?";
      DWORD len = sizeof text;
      WSAAddressToStringA(u->Address.lpSockaddr, u->Address.iSockaddrLength, nullptr, text, &len);
      std::printf(" %s", text);
    }
    std::printf("\n");
    if (a->IfType == IF_TYPE_SOFTWARE_LOOPBACK && lo.friendly.empty())
      lo = {name, a->AdapterName, a->IfIndex};
  }
  EXPECT_FALSE(lo.friendly.empty()) << "no loopback adapter listed";
  return lo;
}

TEST_F(Win32Endpoint, InterfaceNameSendsFromItsAddress) {
  ASSERT_EQ(ik__winsock_init(), 0);
  Loopback lo = loopback_adapter();
  ASSERT_FALSE(lo.friendly.empty());
  std::string index = std::to_string(lo.index);
  // Friendly name, adapter name and index alike.
  for (const std::string &name : {lo.friendly, lo.guid, index}) {
    ASSERT_EQ(ik_socket_open(&sock, IK_AF_INET, name.c_str(), 0), 0) << name << ": " << ik_last_error();
    send("127.0.0.1", 1, 1);
    ASSERT_EQ(fake.calls.size(), 1u);
    EXPECT_EQ(fake.calls[0].source4, htonl(0x7f000001)) << name;
    fake.complete(0, IP_REQ_TIMED_OUT, "0.0.0.0");
    ik_reply reply;
    EXPECT_EQ(ik_socket_receive(sock, &req, 0.0, &reply), IK_ETIMEOUT);
    ik_socket_free(sock);
    sock = nullptr;
    fake.calls.clear();
  }
  // IPv6 (the fake has the API Wine lacks): ::1, the loopback's.
  ASSERT_EQ(ik_socket_open(&sock, IK_AF_INET6, lo.friendly.c_str(), 0), 0) << ik_last_error();
  send("::1", 1, 1);
  ASSERT_EQ(fake.calls.size(), 1u);
  EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&fake.calls[0].source6.sin6_addr));
  EXPECT_EQ(fake.calls[0].source6.sin6_family, AF_INET6);
  fake.complete(0, IP_REQ_TIMED_OUT, "::");
}

TEST_F(Win32Endpoint, UnknownInterfaceIsAnAddressErrorNamingIt) {
  // Blanks and long names are Windows interface names, not mistyped addresses.
  for (const char *name : {"nosuch0", "No Such Adapter 9", "{00000000-DEAD-BEEF-0000-000000000000}", "99999"}) {
    EXPECT_EQ(ik_socket_open(&sock, IK_AF_INET, name, 0), IK_EADDRESS) << name;
    EXPECT_EQ(std::string(ik_last_error()), std::string("no interface named '") + name + "'");
    EXPECT_EQ(sock, nullptr);
  }
  // Mistyped addresses stay so.
  EXPECT_EQ(ik_socket_open(&sock, IK_AF_INET, "1.2.3.999", 0), IK_EADDRFORMAT);
  EXPECT_EQ(ik_socket_open(&sock, IK_AF_INET, "fd00::g", 0), IK_EADDRFORMAT);
  EXPECT_EQ(ik_socket_open(&sock, IK_AF_INET, "tab\tbed", 0), IK_EADDRFORMAT);
  EXPECT_TRUE(fake.calls.empty());
}

// ---- the OS timeout follows the caller's -------------------------------------

TEST_F(Win32Endpoint, OsWaitsAsLongAsTheCallerDoes) {
  open(IK_AF_INET);
  send("198.18.0.9", 1, 0);
  EXPECT_EQ(fake.calls.at(0).timeout, 30000u); // nothing said yet
  fake.complete(0, IP_REQ_TIMED_OUT, "0.0.0.0");
  ik_reply reply;
  EXPECT_EQ(ik_socket_receive(sock, &req, 1.5, &reply), IK_ETIMEOUT);
  send("198.18.0.9", 1, 1);
  EXPECT_EQ(fake.calls.at(1).timeout, 1500u);
  // A shorter wait later (a poll) does not cut short what others wait for.
  fake.complete(1, IP_REQ_TIMED_OUT, "0.0.0.0");
  EXPECT_EQ(ik_socket_receive(sock, &req, 0.0, &reply), IK_ETIMEOUT);
  send("198.18.0.9", 1, 2);
  EXPECT_EQ(fake.calls.at(2).timeout, 1500u);
  fake.complete(2, IP_REQ_TIMED_OUT, "0.0.0.0");
}

TEST_F(Win32Endpoint, OsTimeoutIsAtLeastOneSecond) {
  open(IK_AF_INET);
  ik_reply reply;
  EXPECT_EQ(ik_socket_receive(sock, nullptr, 0.0, &reply), IK_ETIMEOUT); // Windows rejects 0
  send("198.18.0.9", 1, 0);
  EXPECT_EQ(fake.calls.at(0).timeout, 1000u);
  fake.complete(0, IP_REQ_TIMED_OUT, "0.0.0.0");
}

// ---- ICMP_ECHO_REPLY and ICMP_ECHO_REPLY32 ------------------------------------

TEST(Win32ReplyLayout, TheSdks32BitReplyIs28Bytes) {
  EXPECT_EQ(sizeof(ik__icmp_echo_reply32), 28u);
  EXPECT_EQ(offsetof(ik__icmp_echo_reply32, Data), 16u);
  EXPECT_EQ(offsetof(ik__icmp_echo_reply32, Ttl), 20u);
  // The fields before Data are shared with the native layout.
  EXPECT_EQ(offsetof(ICMP_ECHO_REPLY, DataSize), offsetof(ik__icmp_echo_reply32, DataSize));
  EXPECT_EQ(offsetof(ICMP_ECHO_REPLY, Data), 16u);
}

TEST(Win32ReplyLayout, DataOutsideTheBufferInEitherLayoutIsTruncated) {
  alignas(8) unsigned char space[256] = {};
  unsigned char *buf = space; // the reply buffer: its first 128 bytes
  const size_t size = 128;
  auto *r = reinterpret_cast<ICMP_ECHO_REPLY *>(buf);
  r->Data = buf + size + 16; // neither a native nor a 32-bit pointer into buf
  r->Options.Ttl = 9;
  const unsigned char *data = nullptr;
  int ttl = -1;
  EXPECT_EQ(ik__icmp_reply4_locate(buf, size, 8, &data, &ttl), IK_ETRUNCATED);
  r->Data = buf + 100;
  EXPECT_EQ(ik__icmp_reply4_locate(buf, size, 28, &data, &ttl), 0);
  EXPECT_EQ(data, buf + 100);
  EXPECT_EQ(ttl, 9);
  EXPECT_EQ(ik__icmp_reply4_locate(buf, size, 29, &data, &ttl), IK_ETRUNCATED);
}

// A reply not yet fixed up by IcmpParseReplies holds offsets, not pointers.
TEST(Win32ReplyLayout, DataGivenAsAnOffsetFromTheBufferIsFound) {
  alignas(8) unsigned char buf[128] = {};
  const unsigned char *data = nullptr;
  int ttl = -1;
  auto *r = reinterpret_cast<ICMP_ECHO_REPLY *>(buf);
  r->Data = reinterpret_cast<void *>(uintptr_t{48});
  r->Options.Ttl = 7;
  ASSERT_EQ(ik__icmp_reply4_locate(buf, sizeof buf, 56, &data, &ttl), 0);
  EXPECT_EQ(data, buf + 48);
  EXPECT_EQ(ttl, 7);
  std::memset(buf, 0, sizeof buf);
  auto *r32 = reinterpret_cast<ik__icmp_echo_reply32 *>(buf);
  r32->Data = 28;
  r32->Ttl = 5;
  ASSERT_EQ(ik__icmp_reply4_locate(buf, sizeof buf, 56, &data, &ttl), 0);
  EXPECT_EQ(data, buf + 28);
  EXPECT_EQ(ttl, 5);
  r32->Data = 100; // 100 + 56 runs past the end
  EXPECT_EQ(ik__icmp_reply4_locate(buf, sizeof buf, 56, &data, &ttl), IK_ETRUNCATED);
}

TEST_F(Win32Endpoint, EchoReplyIn32BitLayoutGivesTheSameReply) {
  fake.layout32 = true;
  open(IK_AF_INET);
  send("198.18.0.9", 0x1234, 77);
  fake.complete(0, IP_SUCCESS, "198.18.0.9", 57);
  ik_reply reply;
  // The receive checks the echoed payload, so the data was found.
  ASSERT_EQ(ik_socket_receive(sock, &req, 10.0, &reply), 0) << ik_last_error();
  EXPECT_EQ(reply.sequence, 77);
  EXPECT_STREQ(reply.source, "198.18.0.9");
  EXPECT_EQ(reply.ttl, 57);
  EXPECT_EQ(reply.bytes_received, 8u + 56u);
}

TEST_F(Win32Endpoint, ErrorIn32BitLayoutGivesTheSameReply) {
  fake.layout32 = true;
  open(IK_AF_INET);
  send("198.18.0.9", 9, 3);
  fake.complete(0, IP_TTL_EXPIRED_TRANSIT, "198.18.1.1", 250);
  ik_reply reply;
  ASSERT_EQ(ik_socket_receive(sock, &req, 10.0, &reply), 0) << ik_last_error();
  EXPECT_EQ(reply.type, 11);
  EXPECT_STREQ(reply.source, "198.18.1.1");
  EXPECT_EQ(reply.ttl, 250);
}

// ---- close and cancellation -------------------------------------------------

TEST_F(Win32Endpoint, CloseLeavesRequestsInFlightToTheOsAndFreesThemOnCompletion) {
  open(IK_AF_INET);
  for (int i = 0; i < 3; ++i)
    send("198.18.0.9", 1, i);
  ASSERT_EQ(ik_socket_close(sock), 0);
  EXPECT_EQ(fake.closes, 1);
  // IcmpCloseHandle does not cancel: the buffers must outlive the handle.
  EXPECT_EQ(ik__win32_live_transactions(), live_before + 3);
  for (size_t i = 0; i < 3; ++i)
    fake.complete(i, IP_SUCCESS, "198.18.0.9"); // writes into memory still ours
  EXPECT_TRUE(eventually([&] { return ik__win32_live_transactions() == live_before; }));
  ik_reply reply;
  EXPECT_EQ(ik_socket_receive(sock, nullptr, 0.0, &reply), IK_EUNAVAILABLE);
}

TEST_F(Win32Endpoint, CloseFreesRepliesNotYetRead) {
  open(IK_AF_INET);
  send("198.18.0.9", 1, 1);
  fake.complete(0, IP_SUCCESS, "198.18.0.9");
  ASSERT_EQ(ik__ep_wait(ep(), 10.0), 0);
  ik_socket_free(sock);
  sock = nullptr;
  EXPECT_EQ(ik__win32_live_transactions(), live_before);
}

TEST_F(Win32Endpoint, ManyRequestsInFlightAllComplete) {
  open(IK_AF_INET);
  const int n = 300;
  for (int i = 0; i < n; ++i)
    send("198.18.0.9", 7, i);
  for (int i = n - 1; i >= 0; --i)
    fake.complete(static_cast<size_t>(i), IP_SUCCESS, "198.18.0.9");
  std::vector<bool> seen(n);
  for (int i = 0; i < n; ++i) {
    ik_reply reply;
    ASSERT_EQ(ik_socket_receive(sock, nullptr, 10.0, &reply), 0) << ik_last_error();
    ASSERT_LT(reply.sequence, n);
    EXPECT_FALSE(seen[reply.sequence]) << reply.sequence;
    seen[reply.sequence] = true;
  }
}

// ---- the libevent bridge ------------------------------------------------------

struct Bridge : Win32Endpoint {
  event_base *base = nullptr;
  struct State {
    Bridge *self;
    int calls = 0;
    std::vector<int> sequences;
  } state{this, 0, {}};

  void SetUp() override {
    // What the library and applications do before creating a base.
    ASSERT_EQ(ik__libevent_init(), 0) << ik_last_error();
    Win32Endpoint::SetUp();
    base = event_base_new();
    ASSERT_NE(base, nullptr);
  }
  void TearDown() override {
    if (sock != nullptr && ep() != nullptr)
      ik__ep_unwatch(ep());
    ik_socket_free(sock);
    sock = nullptr;
    event_base_free(base);
    Win32Endpoint::TearDown();
  }
  static void ready(void *arg) {
    auto *st = static_cast<State *>(arg);
    ++st->calls;
    ik__received rx;
    while (ik__ep_read(st->self->ep(), &rx) != IK_ETIMEOUT)
      st->sequences.push_back(rx.pkt.sequence);
    if (st->sequences.size() >= 2)
      event_base_loopbreak(st->self->base);
  }
  // Runs the loop until ready() breaks it, at most 10 s.
  void run() {
    timeval limit{10, 0};
    event_base_loopexit(base, &limit);
    event_base_dispatch(base);
  }
};

TEST_F(Bridge, CompletionsOnPoolThreadsWakeTheLoopThread) {
  open(IK_AF_INET);
  ASSERT_EQ(ik__ep_watch(ep(), base, ready, &state), 0);
  send("198.18.0.9", 1, 1);
  send("198.18.0.9", 1, 2);
  // The OS side completes from another thread while the loop waits.
  std::thread os([&] {
    fake.complete(1, IP_SUCCESS, "198.18.0.9");
    fake.complete(0, IP_SUCCESS, "198.18.0.9");
  });
  run();
  os.join();
  EXPECT_GE(state.calls, 1);
  ASSERT_EQ(state.sequences.size(), 2u);
  EXPECT_EQ(state.sequences[0] + state.sequences[1], 3);
}

TEST_F(Bridge, RepliesReadyBeforeTheWatchAreReported) {
  open(IK_AF_INET);
  send("198.18.0.9", 1, 1);
  send("198.18.0.9", 1, 2);
  fake.complete(0, IP_SUCCESS, "198.18.0.9");
  fake.complete(1, IP_SUCCESS, "198.18.0.9");
  ASSERT_TRUE(eventually([&] { return ik__ep_wait(ep(), 0) == 0; }));
  ASSERT_EQ(ik__ep_watch(ep(), base, ready, &state), 0);
  run();
  EXPECT_EQ(state.sequences.size(), 2u);
}

TEST_F(Bridge, WatchingTwiceIsRefused) {
  open(IK_AF_INET);
  ASSERT_EQ(ik__ep_watch(ep(), base, ready, &state), 0);
  EXPECT_EQ(ik__ep_watch(ep(), base, ready, &state), IK_EINVAL);
}

TEST_F(Bridge, UnwatchedEndpointNoLongerKeepsTheLoopAlive) {
  open(IK_AF_INET);
  ASSERT_EQ(ik__ep_watch(ep(), base, ready, &state), 0);
  ik__ep_unwatch(ep());
  EXPECT_EQ(event_base_dispatch(base), 1); // 1: no events left
  EXPECT_EQ(state.calls, 0);
}

// ---- the async wrapper and a ping job on the Windows backend ------------------

struct AsyncWin32 : Bridge {
  struct Outcome {
    int calls = 0;
    int status = 1;
    ik_reply reply{};
    DWORD thread = 0;
    std::string detail; // ik_last_error() in the callback
  };
  static void record(int status, const ik_reply *reply, void *arg) {
    auto *o = static_cast<Outcome *>(arg);
    ++o->calls;
    o->status = status;
    if (reply != nullptr)
      o->reply = *reply;
    o->thread = GetCurrentThreadId();
    o->detail = ik_last_error();
  }
  ik_async *async = nullptr;
  std::vector<ik_request> reqs;
  std::vector<Outcome> out;

  void TearDown() override {
    ik_async_free(async);
    Bridge::TearDown();
  }
  // Wraps an IPv4 socket, sends n requests and starts a receive for each.
  void start(size_t n) {
    open(IK_AF_INET);
    ASSERT_EQ(ik_async_new(base, sock, &async), 0) << ik_last_error();
    reqs.resize(n);
    out.resize(n);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(ik_request_init(&reqs[i], "198.18.0.9", 0x77, static_cast<long>(i)), 0);
      ASSERT_EQ(ik_async_send(async, &reqs[i]), 0) << ik_last_error();
      ASSERT_EQ(ik_async_receive(async, &reqs[i], 10.0, record, &out[i]), 0) << ik_last_error();
    }
  }
  // Runs the loop until done() or about limit seconds.
  void run_until(const std::function<bool()> &done, double limit = 10.0) {
    for (int i = 0; i < static_cast<int>(limit * 100) && !done(); ++i) {
      timeval tick{0, 10000};
      event_base_loopexit(base, &tick);
      event_base_loop(base, EVLOOP_ONCE);
    }
  }
};

TEST_F(AsyncWin32, CompletionsFromPoolThreadsCompleteTheirReceivesOnTheLoopThread) {
  start(2);
  std::thread os([&] {
    fake.complete(1, IP_SUCCESS, "198.18.0.9");
    fake.complete(0, IP_TTL_EXPIRED_TRANSIT, "198.18.0.1");
  });
  run_until([&] { return out[0].calls > 0 && out[1].calls > 0; });
  os.join();
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(out[i].calls, 1);
    EXPECT_EQ(out[i].status, 0) << ik_err_name(out[i].status);
    EXPECT_EQ(out[i].thread, GetCurrentThreadId()) << "a callback ran on a pool thread";
    EXPECT_EQ(out[i].reply.id, 0x77);
    EXPECT_EQ(out[i].reply.sequence, static_cast<int>(i));
  }
  EXPECT_STREQ(out[1].reply.source, "198.18.0.9");
  EXPECT_STREQ(out[0].reply.source, "198.18.0.1");
  EXPECT_EQ(ik_reply_check(&out[0].reply), IK_ETIME_EXCEEDED);
}

TEST_F(AsyncWin32, LocalFailureCompletesItsReceiveAtOnceWithTheStatusName) {
  start(2);
  DWORD begin = GetTickCount();
  fake.complete(0, IP_BAD_DESTINATION, "0.0.0.0");
  run_until([&] { return out[0].calls > 0; });
  EXPECT_LT(GetTickCount() - begin, 5000u) << "waited for the receive's timeout";
  EXPECT_EQ(out[0].calls, 1);
  EXPECT_EQ(out[0].status, IK_EINVAL) << ik_err_name(out[0].status);
  EXPECT_NE(out[0].detail.find("IP_BAD_DESTINATION"), std::string::npos) << out[0].detail;
  EXPECT_EQ(out[1].calls, 0); // the other request is still waiting
  fake.complete(1, IP_SUCCESS, "198.18.0.9");
  run_until([&] { return out[1].calls > 0; });
  EXPECT_EQ(out[1].status, 0) << ik_err_name(out[1].status);
}

TEST_F(AsyncWin32, AsyncReceiveTellsTheOsHowLongToWait) {
  start(1); // receives of 10 s
  ik_request next;
  ASSERT_EQ(ik_request_init(&next, "198.18.0.9", 0x77, 1), 0);
  ASSERT_EQ(ik_async_send(async, &next), 0) << ik_last_error();
  EXPECT_EQ(fake.calls.at(1).timeout, 10000u);
  fake.complete(0, IP_SUCCESS, "198.18.0.9");
  fake.complete(1, IP_SUCCESS, "198.18.0.9");
  run_until([&] { return out[0].calls > 0; });
}

TEST_F(AsyncWin32, FreeWithRequestsInFlightCallsEachBackOnceAndNeverAgain) {
  start(3);
  ik_async_free(async);
  async = nullptr;
  for (const Outcome &o : out) {
    EXPECT_EQ(o.calls, 1);
    EXPECT_EQ(o.status, IK_EUNAVAILABLE) << ik_err_name(o.status);
  }
  // The OS completes them later, into buffers the backend still holds
  // (TearDown checks they are all freed).
  for (size_t i = 0; i < 3; ++i)
    fake.complete(i, IP_SUCCESS, "198.18.0.9");
  run_until([] { return false; }, 0.2);
  for (const Outcome &o : out)
    EXPECT_EQ(o.calls, 1);
}

TEST_F(AsyncWin32, DetachCompletesReceivesAndTheSocketStillGetsItsReply) {
  start(1);
  EXPECT_EQ(ik_async_detach(async), sock);
  EXPECT_EQ(out[0].calls, 1);
  EXPECT_EQ(out[0].status, IK_EUNAVAILABLE);
  fake.complete(0, IP_SUCCESS, "198.18.0.9");
  ik_reply reply;
  ASSERT_EQ(ik_socket_receive(sock, &reqs[0], 10.0, &reply), 0) << ik_last_error();
  EXPECT_EQ(reply.sequence, 0);
  EXPECT_EQ(out[0].calls, 1);
}

TEST_F(AsyncWin32, CanceledPingCompletesOnceAndLeavesNothingBehind) {
  ik_ping_options o;
  ik_ping_options_init(&o);
  o.count = 3;
  o.interval = 0.05;
  o.timeout = 5;
  ik_host host;
  ik_job *job = nullptr;
  Outcome done;
  auto on_done = [](int status, void *arg) { record(status, nullptr, arg); };
  ASSERT_EQ(ik_async_ping(base, "198.18.0.9", &o, &host, on_done, &done, &job), 0) << ik_last_error();
  run_until([&] { return !fake.calls.empty(); });
  ASSERT_FALSE(fake.calls.empty()) << "the job sent nothing";
  ik_job_cancel(job);
  run_until([&] { return done.calls > 0; }, 5.0);
  EXPECT_EQ(done.calls, 1);
  EXPECT_EQ(done.status, IK_ECANCELED) << ik_err_name(done.status);
  EXPECT_EQ(done.thread, GetCurrentThreadId());
  EXPECT_GE(host.packets_sent, 1);
  EXPECT_EQ(host.packets_received, 0);
  ik_job_free(job);
  // The OS answers after all: nothing may run or leak (TearDown checks).
  for (size_t i = 0; i < fake.calls.size(); ++i)
    fake.complete(i, IP_SUCCESS, "198.18.0.9");
  run_until([] { return false; }, 0.2);
  EXPECT_EQ(done.calls, 1);
  ik_host_free(&host);
}

// ---- a caller's plain event_base ----------------------------------------------
//
// The application's base made as examples/async_multiping.c makes it:
// WSAStartup and event_base_new(), no evthread_use_windows_threads() (which
// nothing in this program calls, the library included), so libevent may be
// called on the loop thread only. Pool threads complete requests in any
// order while the loop sleeps in select().

struct PlainBase : Win32Endpoint {
  event_base *base = nullptr;
  ik_async *async = nullptr;

  void SetUp() override {
    WSADATA wsa;
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &wsa), 0);
    Win32Endpoint::SetUp();
  }
  void TearDown() override {
    finish_run();
    Win32Endpoint::TearDown();
    WSACleanup();
  }
  void finish_run() {
    ik_async_free(async);
    async = nullptr;
    ik_socket_free(sock);
    sock = nullptr;
    if (base != nullptr)
      event_base_free(base);
    base = nullptr;
  }

  struct Tally {
    event_base *base;
    size_t expected, done = 0, failed = 0;
    std::vector<int> calls;
  };
  struct Slot {
    Tally *tally;
    size_t index;
  };
  static void counted(int status, const ik_reply *reply, void *arg) {
    auto *slot = static_cast<Slot *>(arg);
    Tally *t = slot->tally;
    ++t->calls[slot->index];
    if (status != 0 || reply == nullptr || reply->sequence != static_cast<int>(slot->index))
      ++t->failed;
    if (++t->done == t->expected)
      event_base_loopbreak(t->base);
  }
};

// 10,000 completions a run, in waves of 1,000 in flight (10,000 thread-pool
// waits at once exhaust a 32-bit Wine process).
TEST_F(PlainBase, TenThousandCompletionsFromPoolThreadsCallEachReceiveBackOnce) {
  const size_t n = 10000, wave = 1000;
  for (unsigned run = 0; run < 3; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    base = event_base_new();
    ASSERT_NE(base, nullptr);
    open(IK_AF_INET);
    ASSERT_EQ(ik_async_new(base, sock, &async), 0) << ik_last_error();
    Tally tally{base, 0, 0, 0, std::vector<int>(n, 0)};
    std::vector<ik_request> reqs(n);
    std::vector<Slot> slots(n);
    std::mt19937 random(run);
    for (size_t first = 0; first < n; first += wave) {
      for (size_t i = first; i < first + wave; ++i) {
        slots[i] = Slot{&tally, i};
        ASSERT_EQ(ik_request_init(&reqs[i], "198.18.0.9", 0x55, static_cast<long>(i)), 0);
        ASSERT_EQ(ik_async_send(async, &reqs[i]), 0) << ik_last_error();
        ASSERT_EQ(ik_async_receive(async, &reqs[i], 60.0, counted, &slots[i]), 0) << ik_last_error();
      }
      std::vector<size_t> order(wave);
      std::iota(order.begin(), order.end(), first);
      std::shuffle(order.begin(), order.end(), random);
      tally.expected = first + wave;
      // The OS side: another thread, while the loop sleeps in select().
      std::thread os([&] {
        for (size_t k = 0; k < wave; ++k) {
          fake.complete(order[k], IP_SUCCESS, "198.18.0.9");
          if (k % 250 == 249)
            Sleep(1); // let the loop go back to sleep between bursts
        }
      });
      // Only counted() ends the loop early: a lost wake-up runs into this.
      const timeval limit{20, 0};
      event *stop = evtimer_new(
          base, [](evutil_socket_t, short, void *b) { event_base_loopbreak(static_cast<event_base *>(b)); },
          base);
      ASSERT_NE(stop, nullptr);
      evtimer_add(stop, &limit);
      event_base_dispatch(base);
      event_free(stop);
      os.join();
      ASSERT_EQ(tally.done, first + wave) << "callbacks lost in the wave from " << first;
    }
    EXPECT_EQ(tally.failed, 0u);
    size_t lost = 0, doubled = 0;
    for (int c : tally.calls) {
      lost += c == 0;
      doubled += c > 1;
    }
    EXPECT_EQ(lost, 0u);
    EXPECT_EQ(doubled, 0u);
    finish_run();
    EXPECT_TRUE(eventually([&] { return ik__win32_live_transactions() == live_before; }));
    fake.calls.clear();
    fake.replies.clear();
  }
}

} // namespace
