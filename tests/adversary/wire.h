// Hand-built IPv4/IPv6/ICMP packets for the TUN adversary. Written
// independently of src/packet.c on purpose: a bug shared by the library's
// codec and the test's codec would hide itself.
#ifndef IK_ADVERSARY_WIRE_H
#define IK_ADVERSARY_WIRE_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace adv {

using Bytes = std::vector<uint8_t>;

struct IpAddr {
  int family = 0;  // 4 or 6
  uint8_t b[16] = {};
  static IpAddr Parse(const std::string &text);  // aborts on bad text
  std::string Str() const;
  size_t Len() const { return family == 4 ? 4 : 16; }
  bool operator==(const IpAddr &o) const;
};

// An echo request as the kernel wrote it to the tun.
struct EchoRequest {
  int family = 0;
  IpAddr src, dst;
  uint16_t id = 0, seq = 0;
  Bytes payload;  // after the 8-byte ICMP header
  Bytes raw;      // the whole IP packet
  int ttl = 0;    // TTL / hop limit
  int tclass = 0; // TOS / traffic class
};

// Parses an IP packet read from the tun; nullopt unless it is an ICMP(v6)
// echo request without IPv6 extension headers.
std::optional<EchoRequest> ParseEchoRequest(const uint8_t *p, size_t n);

// RFC 1071 sum, folded and complemented; `initial` carries a pseudo-header.
uint16_t Checksum(const uint8_t *p, size_t n, uint32_t initial = 0);

// ICMP message: type, code, checksum (filled by the IP builders), then rest.
Bytes Icmp(uint8_t type, uint8_t code, const Bytes &rest);
// rest of an echo message: id, sequence, payload.
Bytes EchoRest(uint16_t id, uint16_t seq, const Bytes &payload);

struct Ext {        // one IPv6 extension header
  uint8_t type;     // 0 hop-by-hop, 60 destination options, 44 fragment
  Bytes body;       // everything after the next-header byte
  static Ext PadOptions(uint8_t type, size_t len8);  // len8 * 8 bytes of options
  static Ext Fragment(uint16_t offset8, bool more, uint32_t ident);
};

// Options for the IP wrapper.
struct IpOpts {
  int ttl = 64;
  bool bad_checksum = false;   // corrupt the ICMP checksum after computing it
  Bytes v4_options;            // appended to the IPv4 header (padded to 4)
  std::vector<Ext> v6_ext;     // between the IPv6 header and ICMPv6
};

// Full IPv4 packet carrying ICMP message `icmp` (checksum computed here).
Bytes Ipv4(const IpAddr &src, const IpAddr &dst, Bytes icmp, const IpOpts &o = {});
// Full IPv6 packet carrying ICMPv6 message `icmp` (pseudo-header checksum
// computed here over the whole message).
Bytes Ipv6(const IpAddr &src, const IpAddr &dst, Bytes icmp, const IpOpts &o = {});
Bytes Ip(const IpAddr &src, const IpAddr &dst, Bytes icmp, const IpOpts &o = {});
// The ICMPv6 message split into two IPv6 fragments at `first_len` bytes of
// ICMP (a multiple of 8).
std::vector<Bytes> Ipv6Fragments(const IpAddr &src, const IpAddr &dst, Bytes icmp,
                                 size_t first_len, uint32_t ident, int hlim = 64);

// The same for IPv4 (more-fragments bit and offsets in the IP header).
std::vector<Bytes> Ipv4Fragments(const IpAddr &src, const IpAddr &dst, Bytes icmp,
                                 size_t first_len, uint16_t ident, int ttl = 64);

// Family-specific echo reply / error type numbers.
inline uint8_t EchoReplyType(int family) { return family == 4 ? 0 : 129; }
inline uint8_t EchoRequestType(int family) { return family == 4 ? 8 : 128; }
inline uint8_t TimeExceededType(int family) { return family == 4 ? 11 : 3; }
inline uint8_t UnreachType(int family) { return family == 4 ? 3 : 1; }

// Error body: 4 unused bytes then the quote.
Bytes ErrorRest(const Bytes &quote);
// The request's IP packet cut after `icmp_bytes` bytes of its ICMP message.
Bytes QuoteOf(const EchoRequest &rq, size_t icmp_bytes);
// Rewrites the destination of a quoted IP packet (fixing the v4 header sum).
Bytes WithDestination(Bytes quote, const IpAddr &dst);

}  // namespace adv

#endif
