/* ICMP codec: builds echo requests and parses what a socket hands back.
 * Every length read from a packet is checked against the bytes we hold
 * before it is used: the input is hostile by assumption (issue 8). */
#include <stdlib.h>
#include <string.h>

#include "packet.h"

enum {
  IK__ICMP_HEADER = 8, /* type, code, checksum, id, sequence */
  IK__IPV4_MIN_HEADER = 20,
  IK__IPV6_HEADER = 40,
  IK__PROTO_ICMP = 1,
  IK__PROTO_ICMPV6 = 58,
  IK__V6_HOP_BY_HOP = 0,
  IK__V6_ROUTING = 43,
  IK__V6_FRAGMENT = 44,
  IK__V6_DEST_OPTIONS = 60,
  /* More extension headers than any sane sender puts before ICMPv6; the
   * buffer length already bounds the walk, this only bounds the work. */
  IK__V6_MAX_EXT_HEADERS = 16,
  /* Generated payloads up to this size are compared without malloc. */
  IK__PAYLOAD_STACK = 1024
};

static uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)(v & 0xff);
}

uint16_t ik__checksum(const void *data, size_t len) {
  const uint8_t *p = (const uint8_t *)data;
  uint64_t sum = 0; /* cannot overflow below 2^48 bytes */
  size_t i;
  for (i = 0; i + 1 < len; i += 2)
    sum += get16(p + i);
  if (len & 1)
    sum += (uint64_t)p[len - 1] << 8; /* pad with a zero byte */
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)(~sum & 0xffff);
}

size_t ik__echo_size(const ik_request *req) {
  return req ? IK__ICMP_HEADER + req->payload_size : 0;
}

int ik__build_echo(const ik_request *req, uint16_t id, uint8_t *buf, size_t cap, size_t *len) {
  size_t size;
  int v4, err;
  if (!req || !buf || !len)
    return IK_EINVAL;
  v4 = req->destination.family == IK_AF_INET;
  if (!v4 && req->destination.family != IK_AF_INET6)
    return IK_EINVAL;
  if (req->payload_size > IK_MAX_PAYLOAD_SIZE)
    return IK_EINVAL;
  size = ik__echo_size(req);
  *len = size;
  if (size > cap)
    return IK_ENOSPACE;
  if ((err = ik_request_payload(req, buf + IK__ICMP_HEADER, cap - IK__ICMP_HEADER)) != 0)
    return err;
  buf[0] = (uint8_t)(v4 ? IK__V4_ECHO_REQUEST : IK__V6_ECHO_REQUEST);
  buf[1] = 0;
  put16(buf + 2, 0);
  put16(buf + 4, id);
  put16(buf + 6, req->sequence);
  /* ICMPv6's checksum covers a pseudo-header with the source address,
   * which only the kernel knows: it fills it in on every socket type. */
  if (v4)
    put16(buf + 2, ik__checksum(buf, size));
  return 0;
}

int ik__payload_matches(const ik_request *req, const uint8_t *data, size_t len) {
  uint8_t small[IK__PAYLOAD_STACK];
  uint8_t *expected;
  int same;
  if (!req || len != req->payload_size)
    return 0;
  if (len == 0)
    return 1;
  if (!data)
    return 0;
  if (req->payload)
    return memcmp(req->payload, data, len) == 0;
  /* Without memory we cannot prove the echo intact: say it is not, so a
   * corrupted reply is never counted as good. */
  expected = len <= sizeof small ? small : (uint8_t *)malloc(len);
  if (!expected)
    return 0;
  ik__payload_fill(req->payload_seed, expected, len);
  same = memcmp(expected, data, len) == 0;
  if (expected != small)
    free(expected);
  return same;
}

/* ---- parsing ---- */

static int is_v4_error(int type) {
  return type == IK__V4_DEST_UNREACH || type == IK__V4_SOURCE_QUENCH || type == IK__V4_REDIRECT ||
         type == IK__V4_TIME_EXCEEDED || type == IK__V4_PARAM_PROBLEM;
}

static int is_v6_error(int type) {
  return type == IK__V6_DEST_UNREACH || type == IK__V6_PACKET_TOO_BIG ||
         type == IK__V6_TIME_EXCEEDED || type == IK__V6_PARAM_PROBLEM;
}

/* Reads id and sequence from the quoted ICMP header at q (n bytes), which
 * must be an echo request of the family. RFC 792 only promises 8 bytes of
 * the original payload, which is exactly this header. */
static int parse_quoted_echo(const uint8_t *q, size_t n, int echo_type, ik__packet *out) {
  if (n < IK__ICMP_HEADER)
    return IK_ETRUNCATED;
  if (q[0] != echo_type)
    return IK_EUNRELATED;
  out->id = get16(q + 4);
  out->sequence = get16(q + 6);
  out->quoted_icmp = q;
  out->quoted_icmp_len = n;
  return 0;
}

static int parse_quote_v4(const uint8_t *q, size_t n, ik__packet *out) {
  size_t hlen;
  if (n > 0 && q[0] >> 4 != 4)
    return IK_EMALFORMED;
  if (n > 0 && (q[0] & 0x0f) < 5)
    return IK_EMALFORMED;
  hlen = n > 0 ? (size_t)(q[0] & 0x0f) * 4 : IK__IPV4_MIN_HEADER;
  if (n < hlen)
    return IK_ETRUNCATED;
  out->quoted_dst.family = out->quoted_src.family = IK_AF_INET;
  memcpy(out->quoted_dst.bytes, q + 16, 4);
  memcpy(out->quoted_src.bytes, q + 12, 4);
  if (q[9] != IK__PROTO_ICMP)
    return IK_EUNRELATED;
  /* Only the first fragment carries the ICMP header. */
  if ((get16(q + 6) & 0x1fff) != 0)
    return IK_EUNRELATED;
  return parse_quoted_echo(q + hlen, n - hlen, IK__V4_ECHO_REQUEST, out);
}

static int parse_quote_v6(const uint8_t *q, size_t n, ik__packet *out) {
  size_t off = IK__IPV6_HEADER, ext_len;
  int next, count;
  if (n > 0 && q[0] >> 4 != 6)
    return IK_EMALFORMED;
  if (n < IK__IPV6_HEADER)
    return IK_ETRUNCATED;
  out->quoted_dst.family = out->quoted_src.family = IK_AF_INET6;
  memcpy(out->quoted_dst.bytes, q + 24, 16);
  memcpy(out->quoted_src.bytes, q + 8, 16);
  next = q[6];
  for (count = 0; next != IK__PROTO_ICMPV6; ++count) {
    if (count == IK__V6_MAX_EXT_HEADERS)
      return IK_EMALFORMED;
    switch (next) {
    case IK__V6_HOP_BY_HOP:
    case IK__V6_ROUTING:
    case IK__V6_DEST_OPTIONS:
      if (n - off < 2)
        return IK_ETRUNCATED;
      ext_len = ((size_t)q[off + 1] + 1) * 8;
      break;
    case IK__V6_FRAGMENT:
      ext_len = 8;
      if (n - off >= 4 && (get16(q + off + 2) & 0xfff8) != 0)
        return IK_EUNRELATED;
      break;
    default:
      return IK_EUNRELATED;
    }
    if (n - off < ext_len)
      return IK_ETRUNCATED;
    next = q[off];
    off += ext_len;
  }
  return parse_quoted_echo(q + off, n - off, IK__V6_ECHO_REQUEST, out);
}

/* XNU's icmp_input (bsd/netinet/ip_icmp.c, the "deliver:" label of the
 * Destination Unreachable / Time Exceeded / Parameter Problem / Source
 * Quench cases) verifies the checksum, then on little-endian hosts turns
 * the quoted header's ip_len to host order (NTOHS(icp->icmp_ip.ip_len))
 * for the protocols' ctlinput, and rip_input hands that altered packet to
 * raw and datagram sockets. FreeBSD did the same before 10.0
 * (sys/netinet/ip_icmp.c, icmp_input); from 10.0 its stack keeps ip_len in
 * network order and leaves the quote alone. Neither touches the quoted
 * ip_off. So when an ICMPv4 error fails, it is summed again with the
 * quoted ip_len (bytes 8+2 and 8+3 of the message) swapped back: the
 * one's-complement sum changes by the swapped word minus the original.
 * The kernel verified the original; this recovers exactly that check. */
static int bsd_quote_checksum_ok(const uint8_t *p, size_t n) {
  uint32_t sum, word, swapped;
  if (n < IK__ICMP_HEADER + 4)
    return 0;
  word = get16(p + IK__ICMP_HEADER + 2);
  swapped = ((word & 0xff) << 8) | (word >> 8);
  sum = (uint32_t)(~ik__checksum(p, n) & 0xffff); /* folded sum, 0xffff when valid */
  sum += (~word & 0xffff) + swapped;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

/* p: the ICMP message, n bytes; bsd: IK__PARSE_BSD_KERNEL was given. */
static int parse_icmp(const uint8_t *p, size_t n, int family, int bsd, ik__packet *out) {
  int v4 = family == IK_AF_INET, err;
  if (n < IK__ICMP_HEADER) {
    if (n >= 2) {
      out->type = p[0];
      out->code = p[1];
    }
    return IK_ETRUNCATED;
  }
  out->type = p[0];
  out->code = p[1];
  out->icmp_len = n;
  if (v4)
    out->checksum_ok = ik__checksum(p, n) == 0;
  if (out->type == (v4 ? IK__V4_ECHO_REPLY : IK__V6_ECHO_REPLY)) {
    out->is_echo_reply = 1;
    out->id = get16(p + 4);
    out->sequence = get16(p + 6);
    out->data = p + IK__ICMP_HEADER;
    out->data_len = n - IK__ICMP_HEADER;
  } else if (v4 ? is_v4_error(out->type) : is_v6_error(out->type)) {
    err = v4 ? parse_quote_v4(p + IK__ICMP_HEADER, n - IK__ICMP_HEADER, out)
             : parse_quote_v6(p + IK__ICMP_HEADER, n - IK__ICMP_HEADER, out);
    if (err)
      return err;
    out->is_error = 1;
    if (v4 && bsd && out->checksum_ok == 0)
      out->checksum_ok = bsd_quote_checksum_ok(p, n);
  } else {
    return IK_EUNRELATED;
  }
  if (out->checksum_ok == 0)
    return IK_ECHECKSUM;
  return 0;
}

/* The IPv4 total length matches the buffer as Linux and FreeBSD 11 and
 * later report it (network order, header included) or as macOS does (host
 * order, header excluded; every macOS host is little-endian, and reading
 * it so everywhere keeps the rule independent of this host). With bsd,
 * also FreeBSD 10's host order with the header included (its ip(4):
 * "Before FreeBSD 11.0 ... ip_len and ip_off fields converted to host byte
 * order"). Anything else is a lie or a cut. Rare crafted values fit more
 * than one reading; they still never make us read past len. */
static int total_length_fits(const uint8_t *ip, size_t hlen, size_t len, int bsd) {
  size_t net = get16(ip + 2), host = (size_t)(ip[2] | (ip[3] << 8));
  return net == len || host + hlen == len || (bsd && host == len);
}

static int parse_ipv4(const uint8_t *buf, size_t len, int bsd, ik__packet *out) {
  size_t hlen, total;
  if (len > 0 && buf[0] >> 4 != 4)
    return IK_EMALFORMED;
  if (len > 0 && (buf[0] & 0x0f) < 5)
    return IK_EMALFORMED;
  hlen = len > 0 ? (size_t)(buf[0] & 0x0f) * 4 : IK__IPV4_MIN_HEADER;
  if (len < hlen)
    return IK_ETRUNCATED;
  total = get16(buf + 2);
  if (!total_length_fits(buf, hlen, len, bsd)) {
    if (total > len)
      return IK_ETRUNCATED;
    return IK_EMALFORMED;
  }
  if (buf[9] != IK__PROTO_ICMP)
    return IK_EMALFORMED;
  out->ttl = buf[8];
  out->ip_src.family = IK_AF_INET;
  memcpy(out->ip_src.bytes, buf + 12, 4);
  return parse_icmp(buf + hlen, len - hlen, IK_AF_INET, bsd, out);
}

int ik__parse(const uint8_t *buf, size_t len, int family, int layout, ik__packet *out) {
  int bsd = (layout & IK__PARSE_BSD_KERNEL) != 0;
  layout &= ~IK__PARSE_BSD_KERNEL;
  if (!out || (!buf && len > 0))
    return IK_EINVAL;
  memset(out, 0, sizeof *out);
  out->family = family;
  out->ttl = -1;
  out->checksum_ok = -1;
  if (family != IK_AF_INET && family != IK_AF_INET6)
    return IK_EINVAL;
  if (layout == IK__LAYOUT_IP && family == IK_AF_INET)
    return parse_ipv4(buf, len, bsd, out);
  if (layout != IK__LAYOUT_ICMP)
    return IK_EINVAL;
  return parse_icmp(buf, len, family, bsd, out);
}
