// Delivery fixtures: one probe's answer (echo reply, Time Exceeded,
// Destination Unreachable, Parameter Problem, Packet Too Big; IPv4 and
// IPv6; with and without IP options / extension headers) built as it
// leaves the answering host, then turned into the bytes, sender and
// control messages each kernel hands to user space, as that kernel's
// source code does it (each Kernel row cites the file and function). Every
// form must decode and match to the same ik_reply.
//
// Built twice like the rest of tests/posix: the native (Linux) build runs
// the Linux rows, the IK_FORCE_BSD build the XNU and FreeBSD rows.
//
// IPv6: no kernel shows a socket the IPv6 header or the outer packet's
// extension headers (Linux net/ipv6/raw.c ipv6_raw_deliver and
// net/ipv6/ping.c start the data at the ICMPv6 header; XNU and FreeBSD
// netinet6/raw_ip6.c rip6_input m_adj(m, *offp) drops everything before
// it), so a "with extension headers" IPv6 answer is delivered byte for byte
// like the one without: the rows say so. The quoted packet inside an error
// keeps its extension headers (they are ICMPv6 data).
// posix.h first: it sets the feature macros the backend is compiled with
// (macOS: __APPLE_USE_RFC_3542, so IPV6_HOPLIMIT has the same value here).
extern "C" {
#include "posix/posix.h"
#include "match.h"
}

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <cstring>
#include <string>
#include <vector>

#include "packet_builder.h"


#if IK__POSIX_LINUX
#  include <linux/errqueue.h>
#endif

namespace {

using pb::Bytes;

const char kUs4[] = "198.18.0.1", kTarget4[] = "198.18.0.9", kRouter4[] = "198.18.1.254";
const char kUs6[] = "fd00::1", kTarget6[] = "fd00::9", kRouter6[] = "fd00::fe";
const uint16_t kId = 0x1234, kSeq = 7;
const int kTtl = 61;                       // TTL / hop limit of every answer as received
const double kTime = 1700000000.25;        // receive stamp, exact in binary

enum class Kernel { LinuxRaw, LinuxDgram, XnuRaw, XnuDgram, FreeBsdRaw, FreeBsd10Raw, FreeBsd9Raw };

struct KernelInfo {
  Kernel kernel;
  const char *name;
  bool bsd;          // decoded by the IK__POSIX_BSD backend
  int unprivileged;  // SOCK_DGRAM
  const char *v4;    // how IPv4 answers reach the socket
  const char *v6;    // how IPv6 answers reach the socket
};

const KernelInfo kKernels[] = {
    {Kernel::LinuxRaw, "linux_raw", false, 0,
     "net/ipv4/raw.c raw_rcv: skb_push back to the network header: the whole datagram, IP options "
     "included, ip_len and ip_off in network order",
     "net/ipv6/raw.c ipv6_raw_deliver/rawv6_rcv: data from the ICMPv6 header; hop limit from "
     "IPV6_RECVHOPLIMIT"},
    {Kernel::LinuxDgram, "linux_dgram", false, 1,
     "net/ipv4/ping.c ping_rcv/ping_recvmsg: echo replies from the ICMP header (TTL from "
     "IP_RECVTTL); errors through ping_err -> ip_icmp_error (net/ipv4/ip_sockglue.c), read with "
     "MSG_ERRQUEUE by ip_recv_error: the quoted echo request as data, the quoted destination as "
     "name, sock_extended_err + the router as offender",
     "net/ipv6/ping.c + net/ipv4/ping.c ping_recvmsg: from the ICMPv6 header; errors through "
     "ipv6_icmp_error (net/ipv6/datagram.c), data = the quoted echo request after the quoted "
     "headers"},
    {Kernel::XnuRaw, "xnu_raw", true, 0,
     "bsd/netinet/ip_input.c ip_input: NTOHS(ip_len), NTOHS(ip_off), ip_len -= hlen; "
     "bsd/netinet/ip_icmp.c icmp_input deliver: NTOHS(icp->icmp_ip.ip_len) after in_cksum; "
     "bsd/netinet/raw_ip.c rip_input hands the whole datagram, options included",
     "bsd/netinet6/raw_ip6.c rip6_input: m_adj to the ICMPv6 header"},
    {Kernel::XnuDgram, "xnu_dgram", true, 1,
     "bsd/netinet/in_proto.c: SOCK_DGRAM/IPPROTO_ICMP has pr_input icmp_input, so the datagram "
     "socket gets rip_input's bytes: exactly as xnu_raw",
     "bsd/netinet6/icmp6.c icmp6_dgram_* sockets are fed by rip6_input: as xnu_raw"},
    {Kernel::FreeBsdRaw, "freebsd_raw", true, 0,
     "sys/netinet/raw_ip.c rip_input (11.0 and later): network order, header included; "
     "sys/netinet/ip_icmp.c icmp_input (14.x) deliver: ip_stripoptions before ip_ctlprotox, so an "
     "error arrives without the outer options; the quote is left alone",
     "sys/netinet6/raw_ip6.c rip6_input: m_adj to the ICMPv6 header"},
    {Kernel::FreeBsd10Raw, "freebsd10_raw", true, 0,
     "ip(4) of FreeBSD 11: 'Before FreeBSD 11.0 packets received on raw IP sockets had the ip_len "
     "and ip_off fields converted to host byte order' (10.x: header included, since r241913 the "
     "stack and icmp_input keep the quote in network order)",
     "sys/netinet6/raw_ip6.c rip6_input: m_adj to the ICMPv6 header"},
    {Kernel::FreeBsd9Raw, "freebsd9_raw", true, 0,
     "ip(4): 'Before FreeBSD 10.0 ... had the ip_hl subtracted from the ip_len field'; "
     "sys/netinet/ip_icmp.c icmp_input deliver: NTOHS(icp->icmp_ip.ip_len): the XNU form",
     "sys/netinet6/raw_ip6.c rip6_input: m_adj to the ICMPv6 header"},
};

enum class What { EchoReply, TimeExceeded, DestUnreachable, ParamProblem, PacketTooBig };

struct Scenario {
  const char *name;
  int family;
  What what;
  bool extra_headers; // v4: outer IP options; v6: outer extension headers (stripped by the kernel)
  bool quote_fragment; // v6: our request went out fragmented: the quote holds a fragment header
};

const Scenario kScenarios[] = {
    {"v4_echo_reply", 4, What::EchoReply, false, false},
    {"v4_echo_reply_ip_options", 4, What::EchoReply, true, false},
    {"v4_time_exceeded", 4, What::TimeExceeded, false, false},
    {"v4_time_exceeded_ip_options", 4, What::TimeExceeded, true, false},
    {"v4_dest_unreachable", 4, What::DestUnreachable, false, false},
    {"v4_dest_unreachable_ip_options", 4, What::DestUnreachable, true, false},
    {"v4_param_problem", 4, What::ParamProblem, false, false},
    {"v4_param_problem_ip_options", 4, What::ParamProblem, true, false},
    {"v4_frag_needed", 4, What::PacketTooBig, false, false},
    {"v4_frag_needed_ip_options", 4, What::PacketTooBig, true, false},
    {"v6_echo_reply", 6, What::EchoReply, false, false},
    {"v6_echo_reply_ext_headers_stripped", 6, What::EchoReply, true, false},
    {"v6_time_exceeded", 6, What::TimeExceeded, false, false},
    {"v6_time_exceeded_ext_headers_stripped", 6, What::TimeExceeded, true, false},
    {"v6_time_exceeded_quoting_a_fragment", 6, What::TimeExceeded, false, true},
    {"v6_dest_unreachable", 6, What::DestUnreachable, false, false},
    {"v6_dest_unreachable_ext_headers_stripped", 6, What::DestUnreachable, true, false},
    {"v6_param_problem", 6, What::ParamProblem, false, false},
    {"v6_param_problem_ext_headers_stripped", 6, What::ParamProblem, true, false},
    {"v6_packet_too_big", 6, What::PacketTooBig, false, false},
    {"v6_packet_too_big_quoting_a_fragment", 6, What::PacketTooBig, false, true},
};

// ICMP type and code of each answer, per family.
void type_code(const Scenario &s, int *type, int *code) {
  const bool v4 = s.family == 4;
  switch (s.what) {
  case What::EchoReply: *type = v4 ? 0 : 129; *code = 0; break;
  case What::TimeExceeded: *type = v4 ? 11 : 3; *code = 0; break;
  case What::DestUnreachable: *type = v4 ? 3 : 1; *code = v4 ? 1 : 3; break;
  case What::ParamProblem: *type = v4 ? 12 : 4; *code = v4 ? 0 : 1; break;
  case What::PacketTooBig: *type = v4 ? 3 : 2; *code = v4 ? 4 : 0; break;
  }
}

void addr(int family, const char *text, uint8_t *out) {
  ASSERT_EQ(inet_pton(family == 4 ? AF_INET : AF_INET6, text, out), 1) << text;
}

uint16_t get16(const Bytes &b, size_t at) { return static_cast<uint16_t>(b[at] << 8 | b[at + 1]); }
// A 16-bit field rewritten in little-endian host order (every macOS and
// FreeBSD host we deliver to is little-endian; IK_FORCE_BSD reads it so).
void put_host16(Bytes &b, size_t at, unsigned v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}

// What the answering host sends, and what the receiving kernel needs.
struct Wire {
  Bytes icmp;          // the ICMP(v6) message as sent
  Bytes ip;            // v4: the whole datagram (outer header + icmp)
  Bytes quoted_echo;   // errors: the quoted echo request (after the quoted headers)
  std::string sender;  // who sent it
  size_t icmp_len = 0;
};

Wire build_wire(const Scenario &s, const ik_request &req) {
  Wire w;
  const bool v4 = s.family == 4;
  int type = 0, code = 0;
  type_code(s, &type, &code);
  Bytes echo(ik__echo_size(&req));
  size_t len = 0;
  EXPECT_EQ(ik__build_echo(&req, req.id, echo.data(), echo.size(), &len), 0);
  if (!v4) { // our kernel filled the ICMPv6 checksum (RFC 4443 2.3: over the pseudo-header)
    Bytes pseudo(40, 0);
    addr(6, kUs6, pseudo.data());
    addr(6, kTarget6, pseudo.data() + 16);
    pb::put16(pseudo, 34, static_cast<unsigned>(echo.size()));
    pseudo[39] = 58;
    pb::put16(echo, 2, pb::ref_checksum(pb::cat(pseudo, echo)));
  }
  if (s.what == What::EchoReply) {
    w.icmp = echo;
    w.icmp[0] = static_cast<uint8_t>(type);
    w.icmp[2] = w.icmp[3] = 0;
    if (v4) pb::put16(w.icmp, 2, pb::ref_checksum(w.icmp));
    else w.icmp[2] = 0xc3, w.icmp[3] = 0x3c;
    w.sender = v4 ? kTarget4 : kTarget6;
  } else {
    Bytes quote;
    if (v4) {
      pb::V4 h; // our request as the router saw it: DF set, TTL spent
      addr(4, kUs4, h.src);
      addr(4, kTarget4, h.dst);
      h.ttl = 1;
      h.frag = 0x4000;
      quote = pb::ipv4(echo, h);
    } else {
      pb::V6 h;
      addr(6, kUs6, h.src);
      addr(6, kTarget6, h.dst);
      quote = s.quote_fragment ? pb::ipv6(44, pb::cat(pb::fragment(58, 0, true), echo), h)
                               : pb::ipv6(58, echo, h);
    }
    w.quoted_echo = echo;
    Bytes m(8, 0);
    m[0] = static_cast<uint8_t>(type);
    m[1] = static_cast<uint8_t>(code);
    if (s.what == What::PacketTooBig) { // v4: next-hop MTU (RFC 1191); v6: MTU (RFC 4443)
      if (v4) pb::put16(m, 6, 1400);
      else pb::put16(m, 6, 1280);
    }
    if (s.what == What::ParamProblem) m[v4 ? 4 : 7] = v4 ? 1 : 6; // the pointer
    w.icmp = pb::cat(m, quote);
    if (v4) pb::put16(w.icmp, 2, pb::ref_checksum(w.icmp));
    else w.icmp[2] = 0x77, w.icmp[3] = 0x88;
    w.sender = v4 ? kRouter4 : kRouter6;
  }
  w.icmp_len = w.icmp.size();
  if (v4) {
    pb::V4 o;
    addr(4, w.sender.c_str(), o.src);
    addr(4, kUs4, o.dst);
    o.ttl = kTtl;
    o.ihl = s.extra_headers ? 8 : 5; // 12 bytes of options (NOPs, then end of list)
    w.ip = pb::ipv4(w.icmp, o);
  }
  return w;
}

// A datagram as recvmsg would leave it.
struct Delivery {
  Bytes data;
  sockaddr_storage name{};
  socklen_t namelen = 0;
  alignas(cmsghdr) unsigned char control[512]{};
  size_t controllen = 0;
  iovec iov{};
  msghdr msg{};
  bool errqueue = false;

  void from(int family, const std::string &text) {
    if (family == 4) {
      auto *sin = reinterpret_cast<sockaddr_in *>(&name);
      sin->sin_family = AF_INET;
      inet_pton(AF_INET, text.c_str(), &sin->sin_addr);
      namelen = sizeof *sin;
    } else {
      auto *sin6 = reinterpret_cast<sockaddr_in6 *>(&name);
      sin6->sin6_family = AF_INET6;
      inet_pton(AF_INET6, text.c_str(), &sin6->sin6_addr);
      namelen = sizeof *sin6;
    }
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
  const msghdr *get() {
    iov.iov_base = data.data();
    iov.iov_len = data.size();
    msg.msg_name = namelen ? &name : nullptr;
    msg.msg_namelen = namelen;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = controllen ? control : nullptr;
    msg.msg_controllen = controllen;
    msg.msg_flags = errqueue ? MSG_ERRQUEUE : 0;
    return &msg;
  }
};

// The receive stamp as each system reports it: Linux SO_TIMESTAMPNS
// (timespec), the BSDs SO_TIMESTAMP (timeval).
void add_stamp(Delivery &d, bool bsd) {
  if (bsd) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(kTime);
    tv.tv_usec = 250000;
    d.add(SOL_SOCKET, SCM_TIMESTAMP, &tv, sizeof tv);
  } else {
#if defined(SCM_TIMESTAMPNS)
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(kTime);
    ts.tv_nsec = 250000000;
    d.add(SOL_SOCKET, SCM_TIMESTAMPNS, &ts, sizeof ts);
#endif
  }
}

void add_ttl(Delivery &d, int family, bool bsd) {
  if (family == 6) {
    int v = kTtl;
    d.add(IPPROTO_IPV6, IPV6_HOPLIMIT, &v, sizeof v);
  } else if (bsd) {
    unsigned char v = kTtl; // IP_RECVTTL: one byte
    d.add(IPPROTO_IP, IP_RECVTTL, &v, 1);
  } else {
    int v = kTtl;
    d.add(IPPROTO_IP, IP_TTL, &v, sizeof v);
  }
}

// The datagram as the kernel leaves it in user space.
Delivery deliver(const KernelInfo &k, const Scenario &s, const Wire &w) {
  Delivery d;
  const bool error = s.what != What::EchoReply;
  add_stamp(d, k.bsd);
  if (s.family == 6) { // every kernel: from the ICMPv6 header, outer extension headers gone
    d.data = w.icmp;
    add_ttl(d, 6, k.bsd);
  } else if (k.kernel == Kernel::LinuxDgram) {
    d.data = w.icmp;
    add_ttl(d, 4, false);
  } else {
    d.data = w.ip;
    const size_t hlen = static_cast<size_t>(d.data[0] & 0x0f) * 4;
    const size_t total = d.data.size();
    const uint16_t off = get16(d.data, 6);
    switch (k.kernel) {
    case Kernel::LinuxRaw:
      break; // untouched
    case Kernel::XnuRaw:
    case Kernel::XnuDgram:
    case Kernel::FreeBsd9Raw:
      put_host16(d.data, 2, static_cast<unsigned>(total - hlen));
      put_host16(d.data, 6, off);
      if (error) { // the quote's ip_len, at ICMP offset 8 + 2
        const size_t at = hlen + 8 + 2;
        put_host16(d.data, at, get16(d.data, at));
      }
      break;
    case Kernel::FreeBsd10Raw:
      put_host16(d.data, 2, static_cast<unsigned>(total));
      put_host16(d.data, 6, off);
      break;
    case Kernel::FreeBsdRaw:
      if (error && hlen > 20) { // ip_stripoptions: header back to 20 bytes, ip_len follows
        d.data.erase(d.data.begin() + 20, d.data.begin() + static_cast<long>(hlen));
        d.data[0] = 0x45;
        pb::put16(d.data, 2, static_cast<unsigned>(d.data.size()));
      }
      break;
    default:
      break;
    }
  }
  d.from(s.family, w.sender);

#if IK__POSIX_LINUX
  if (k.kernel == Kernel::LinuxDgram && error) {
    // ip_recv_error / ipv6_recv_error: data is the quoted echo request,
    // name the quoted destination, the router the offender.
    d = Delivery{};
    d.errqueue = true;
    d.data = w.quoted_echo;
    d.from(s.family, s.family == 4 ? kTarget4 : kTarget6);
    int type = 0, code = 0;
    type_code(s, &type, &code);
    struct {
      sock_extended_err ee;
      sockaddr_in6 off; // room for either family
    } e{};
    e.ee.ee_errno = EHOSTUNREACH;
    e.ee.ee_origin = s.family == 4 ? SO_EE_ORIGIN_ICMP : SO_EE_ORIGIN_ICMP6;
    e.ee.ee_type = static_cast<uint8_t>(type);
    e.ee.ee_code = static_cast<uint8_t>(code);
    size_t n = sizeof e.ee;
    if (s.family == 4) {
      auto *sin = reinterpret_cast<sockaddr_in *>(&e.off);
      sin->sin_family = AF_INET;
      inet_pton(AF_INET, w.sender.c_str(), &sin->sin_addr);
      n += sizeof(sockaddr_in);
      d.add(IPPROTO_IP, IP_RECVERR, &e, n);
    } else {
      e.off.sin6_family = AF_INET6;
      inet_pton(AF_INET6, w.sender.c_str(), &e.off.sin6_addr);
      n += sizeof(sockaddr_in6);
      d.add(IPPROTO_IPV6, IPV6_RECVERR, &e, n);
    }
    add_ttl(d, s.family, false); // ip_cmsg_recv on the ICMP error's skb
    add_stamp(d, false);
  }
#endif
  return d;
}

struct Fixture {
  KernelInfo kernel;
  Scenario scenario;
};

void PrintTo(const Fixture &f, std::ostream *os) { *os << f.kernel.name << "/" << f.scenario.name; }

std::vector<Fixture> fixtures_for_this_build() {
  std::vector<Fixture> v;
  for (const auto &k : kKernels)
    if (k.bsd == (IK__POSIX_BSD != 0))
      for (const auto &s : kScenarios) v.push_back({k, s});
  return v;
}

class DeliveryFixture : public ::testing::TestWithParam<Fixture> {};

TEST_P(DeliveryFixture, DecodesAndMatchesToTheSameReply) {
  const KernelInfo &k = GetParam().kernel;
  const Scenario &s = GetParam().scenario;
  SCOPED_TRACE(s.family == 4 ? k.v4 : k.v6);
  ik_request req{};
  ASSERT_EQ(ik_request_init(&req, s.family == 4 ? kTarget4 : kTarget6, kId, kSeq), 0);
  const Wire w = build_wire(s, req);
  Delivery d = deliver(k, s, w);

  ik__received rx;
  int err;
#if IK__POSIX_LINUX
  if (d.errqueue)
    err = ik__posix_decode_errqueue(s.family, d.get(), d.data.size(), &rx);
  else
#endif
    err = ik__posix_decode(s.family, k.unprivileged, d.get(), d.data.size(), &rx);
  ASSERT_EQ(err, 0) << ik_last_error();
  EXPECT_EQ(ik__match(&req, &rx, 0), 1);

  ik_reply got;
  ik__reply_from(&rx, &got);
  int type = 0, code = 0;
  type_code(s, &type, &code);
  EXPECT_STREQ(got.source, w.sender.c_str());
  EXPECT_EQ(got.family, s.family);
  EXPECT_EQ(got.id, kId);
  EXPECT_EQ(got.sequence, kSeq);
  EXPECT_EQ(got.type, type);
  EXPECT_EQ(got.code, code);
  size_t bytes = w.icmp_len;
  // The Linux error queue shows only the quoted echo request: icmpkit
  // counts 8 + a bare IP header + those bytes (backend.h), which misses a
  // quoted fragment header.
  if (d.errqueue && s.quote_fragment) bytes -= 8;
  EXPECT_EQ(got.bytes_received, bytes);
  EXPECT_DOUBLE_EQ(got.time, kTime);
  EXPECT_EQ(got.ttl, kTtl);
  EXPECT_EQ(got.flags, 0u);
}

INSTANTIATE_TEST_SUITE_P(Kernels, DeliveryFixture, ::testing::ValuesIn(fixtures_for_this_build()),
                         [](const ::testing::TestParamInfo<Fixture> &i) {
                           return std::string(i.param.kernel.name) + "_" + i.param.scenario.name;
                         });

// The forms differ where the kernels differ: a check that the rows above
// really are different byte strings, not one form under several names.
TEST(DeliveryFixtureForms, EachKernelsIpv4ErrorIsItsOwnByteString) {
  ik_request req{};
  ASSERT_EQ(ik_request_init(&req, kTarget4, kId, kSeq), 0);
  const Scenario &s = kScenarios[3]; // v4 Time Exceeded with IP options
  const Wire w = build_wire(s, req);
  std::vector<Bytes> seen;
  for (const auto &k : kKernels) {
    if (k.kernel == Kernel::XnuDgram || k.kernel == Kernel::FreeBsd9Raw) continue; // = xnu_raw
    Bytes b = deliver(k, s, w).data;
    for (const auto &other : seen) EXPECT_NE(b, other) << k.name;
    seen.push_back(b);
  }
}

} // namespace
