/* ICMP codec: builds echo requests and parses what a socket hands back.
 * Every length read from a packet is checked against the bytes we hold
 * before it is used: the input is hostile by assumption (issue 8). */
#include <stdlib.h>
#include <string.h>

#include "packet.h"

enum {
  IK__ICMP_HEADER = 8,    /* type, code, checksum, id, sequence */
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
  for (i = 0; i + 1 < len; i += 2) sum += get16(p + i);
  if (len & 1) sum += (uint64_t)p[len - 1] << 8; /* pad with a zero byte */
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)(~sum & 0xffff);
}

size_t ik__echo_size(const ik_request *req) {
  return req ? IK__ICMP_HEADER + req->payload_size : 0;
}

int ik__build_echo(const ik_request *req, uint16_t id, uint8_t *buf,
                   size_t cap, size_t *len) {
  size_t size;
  int v4, err;
  if (!req || !buf || !len) return ik__fail(IK_EINVAL, "build_echo: NULL argument");
  v4 = req->destination.family == IK_AF_INET;
  if (!v4 && req->destination.family != IK_AF_INET6)
    return ik__fail(IK_EINVAL, "build_echo: destination family %d is neither 4 nor 6",
                    req->destination.family);
  if (req->payload_size > IK_MAX_PAYLOAD_SIZE)
    return ik__fail(IK_EINVAL, "build_echo: payload size %zu exceeds %d", req->payload_size,
                    IK_MAX_PAYLOAD_SIZE);
  size = ik__echo_size(req);
  *len = size;
  if (size > cap)
    return ik__fail(IK_ENOSPACE, "build_echo: %zu-byte echo request does not fit in %zu bytes",
                    size, cap);
  if ((err = ik_request_payload(req, buf + IK__ICMP_HEADER, cap - IK__ICMP_HEADER)) != 0)
    return err;
  buf[0] = (uint8_t)(v4 ? IK__V4_ECHO_REQUEST : IK__V6_ECHO_REQUEST);
  buf[1] = 0;
  put16(buf + 2, 0);
  put16(buf + 4, id);
  put16(buf + 6, req->sequence);
  /* ICMPv6's checksum covers a pseudo-header with the source address,
   * which only the kernel knows: it fills it in on every socket type. */
  if (v4) put16(buf + 2, ik__checksum(buf, size));
  return 0;
}

int ik__payload_matches(const ik_request *req, const uint8_t *data, size_t len) {
  uint8_t small[IK__PAYLOAD_STACK];
  uint8_t *expected;
  int same;
  if (!req || len != req->payload_size) return 0;
  if (len == 0) return 1;
  if (!data) return 0;
  if (req->payload) return memcmp(req->payload, data, len) == 0;
  /* Without memory we cannot prove the echo intact: say it is not, so a
   * corrupted reply is never counted as good. */
  expected = len <= sizeof small ? small : (uint8_t *)malloc(len);
  if (!expected) return 0;
  ik__payload_fill(req->payload_seed, expected, len);
  same = memcmp(expected, data, len) == 0;
  if (expected != small) free(expected);
  return same;
}

/* ---- parsing ---- */

static int is_v4_error(int type) {
  return type == IK__V4_DEST_UNREACH || type == IK__V4_SOURCE_QUENCH ||
         type == IK__V4_REDIRECT || type == IK__V4_TIME_EXCEEDED ||
         type == IK__V4_PARAM_PROBLEM;
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
    return ik__fail(IK_ETRUNCATED, "quoted ICMP header: %zu of 8 bytes", n);
  if (q[0] != echo_type)
    return ik__fail(IK_EUNRELATED, "error quotes ICMP type %d, not an echo request", q[0]);
  out->id = get16(q + 4);
  out->sequence = get16(q + 6);
  out->quoted_icmp = q;
  out->quoted_icmp_len = n;
  return 0;
}

static int parse_quote_v4(const uint8_t *q, size_t n, ik__packet *out) {
  size_t hlen;
  if (n > 0 && q[0] >> 4 != 4)
    return ik__fail(IK_EMALFORMED, "quoted IP version %d in an ICMPv4 error", q[0] >> 4);
  if (n > 0 && (q[0] & 0x0f) < 5)
    return ik__fail(IK_EMALFORMED, "quoted IPv4 header length %d words (< 5)", q[0] & 0x0f);
  hlen = n > 0 ? (size_t)(q[0] & 0x0f) * 4 : IK__IPV4_MIN_HEADER;
  if (n < hlen) return ik__fail(IK_ETRUNCATED, "quoted IPv4 header: %zu of %zu bytes", n, hlen);
  out->quoted_dst.family = out->quoted_src.family = IK_AF_INET;
  memcpy(out->quoted_dst.bytes, q + 16, 4);
  memcpy(out->quoted_src.bytes, q + 12, 4);
  if (q[9] != IK__PROTO_ICMP)
    return ik__fail(IK_EUNRELATED, "error quotes IP protocol %d, not ICMP", q[9]);
  /* Only the first fragment carries the ICMP header. */
  if ((get16(q + 6) & 0x1fff) != 0)
    return ik__fail(IK_EUNRELATED, "error quotes a non-first IPv4 fragment");
  return parse_quoted_echo(q + hlen, n - hlen, IK__V4_ECHO_REQUEST, out);
}

static int parse_quote_v6(const uint8_t *q, size_t n, ik__packet *out) {
  size_t off = IK__IPV6_HEADER, ext_len;
  int next, count;
  if (n > 0 && q[0] >> 4 != 6)
    return ik__fail(IK_EMALFORMED, "quoted IP version %d in an ICMPv6 error", q[0] >> 4);
  if (n < IK__IPV6_HEADER)
    return ik__fail(IK_ETRUNCATED, "quoted IPv6 header: %zu of 40 bytes", n);
  out->quoted_dst.family = out->quoted_src.family = IK_AF_INET6;
  memcpy(out->quoted_dst.bytes, q + 24, 16);
  memcpy(out->quoted_src.bytes, q + 8, 16);
  next = q[6];
  for (count = 0; next != IK__PROTO_ICMPV6; ++count) {
    if (count == IK__V6_MAX_EXT_HEADERS)
      return ik__fail(IK_EMALFORMED, "quoted IPv6 packet has more than %d extension headers",
                      IK__V6_MAX_EXT_HEADERS);
    switch (next) {
    case IK__V6_HOP_BY_HOP:
    case IK__V6_ROUTING:
    case IK__V6_DEST_OPTIONS:
      if (n - off < 2)
        return ik__fail(IK_ETRUNCATED, "quoted IPv6 extension header %d cut at offset %zu",
                        next, off);
      ext_len = ((size_t)q[off + 1] + 1) * 8;
      break;
    case IK__V6_FRAGMENT:
      ext_len = 8;
      if (n - off >= 4 && (get16(q + off + 2) & 0xfff8) != 0)
        return ik__fail(IK_EUNRELATED, "error quotes a non-first IPv6 fragment");
      break;
    default:
      return ik__fail(IK_EUNRELATED, "error quotes IPv6 next header %d, not ICMPv6", next);
    }
    if (n - off < ext_len)
      return ik__fail(IK_ETRUNCATED, "quoted IPv6 extension header %d: %zu of %zu bytes", next,
                      n - off, ext_len);
    next = q[off];
    off += ext_len;
  }
  return parse_quoted_echo(q + off, n - off, IK__V6_ECHO_REQUEST, out);
}

/* p: the ICMP message, n bytes. */
static int parse_icmp(const uint8_t *p, size_t n, int family, ik__packet *out) {
  int v4 = family == IK_AF_INET, err;
  if (n < IK__ICMP_HEADER) {
    if (n >= 2) {
      out->type = p[0];
      out->code = p[1];
    }
    return ik__fail(IK_ETRUNCATED, "ICMP header: %zu of 8 bytes", n);
  }
  out->type = p[0];
  out->code = p[1];
  out->icmp_len = n;
  if (v4) out->checksum_ok = ik__checksum(p, n) == 0;
  if (out->type == (v4 ? IK__V4_ECHO_REPLY : IK__V6_ECHO_REPLY)) {
    out->is_echo_reply = 1;
    out->id = get16(p + 4);
    out->sequence = get16(p + 6);
    out->data = p + IK__ICMP_HEADER;
    out->data_len = n - IK__ICMP_HEADER;
  } else if (v4 ? is_v4_error(out->type) : is_v6_error(out->type)) {
    err = v4 ? parse_quote_v4(p + IK__ICMP_HEADER, n - IK__ICMP_HEADER, out)
             : parse_quote_v6(p + IK__ICMP_HEADER, n - IK__ICMP_HEADER, out);
    if (err) return err;
    out->is_error = 1;
  } else {
    return ik__fail(IK_EUNRELATED, "ICMPv%d type %d code %d is neither an echo reply nor an error",
                    v4 ? 4 : 6, out->type, out->code);
  }
  if (out->checksum_ok == 0)
    return ik__fail(IK_ECHECKSUM, "ICMPv4 type %d: checksum does not verify over %zu bytes",
                    out->type, n);
  return 0;
}

/* The IPv4 total length matches the buffer as Linux and modern FreeBSD
 * report it (network order, header included) or as macOS does (host order,
 * header excluded; every macOS host is little-endian, and reading it so
 * everywhere keeps the rule independent of this host). Anything else is a
 * lie or a cut. Rare crafted values fit both readings; they still never
 * make us read past len. */
static int total_length_fits(const uint8_t *ip, size_t hlen, size_t len) {
  size_t net = get16(ip + 2), macos = (size_t)(ip[2] | (ip[3] << 8)) + hlen;
  return net == len || macos == len;
}

static int parse_ipv4(const uint8_t *buf, size_t len, ik__packet *out) {
  size_t hlen, total;
  if (len > 0 && buf[0] >> 4 != 4)
    return ik__fail(IK_EMALFORMED, "IP version %d where an IPv4 header was expected", buf[0] >> 4);
  if (len > 0 && (buf[0] & 0x0f) < 5)
    return ik__fail(IK_EMALFORMED, "IPv4 header length %d words (< 5)", buf[0] & 0x0f);
  hlen = len > 0 ? (size_t)(buf[0] & 0x0f) * 4 : IK__IPV4_MIN_HEADER;
  if (len < hlen) return ik__fail(IK_ETRUNCATED, "IPv4 header: %zu of %zu bytes", len, hlen);
  total = get16(buf + 2);
  if (!total_length_fits(buf, hlen, len)) {
    if (total > len)
      return ik__fail(IK_ETRUNCATED, "IPv4 datagram: %zu of %zu bytes", len, total);
    return ik__fail(IK_EMALFORMED, "IPv4 total length %zu does not match %zu bytes received",
                    total, len);
  }
  if (buf[9] != IK__PROTO_ICMP)
    return ik__fail(IK_EMALFORMED, "IP protocol %d where ICMP was expected", buf[9]);
  out->ttl = buf[8];
  out->ip_src.family = IK_AF_INET;
  memcpy(out->ip_src.bytes, buf + 12, 4);
  return parse_icmp(buf + hlen, len - hlen, IK_AF_INET, out);
}

int ik__parse(const uint8_t *buf, size_t len, int family, int layout, ik__packet *out) {
  if (!out || (!buf && len > 0)) return ik__fail(IK_EINVAL, "parse: NULL argument");
  memset(out, 0, sizeof *out);
  out->family = family;
  out->ttl = -1;
  out->checksum_ok = -1;
  if (family != IK_AF_INET && family != IK_AF_INET6)
    return ik__fail(IK_EINVAL, "parse: family %d is neither 4 nor 6", family);
  if (layout == IK__LAYOUT_IP && family == IK_AF_INET) return parse_ipv4(buf, len, out);
  if (layout != IK__LAYOUT_ICMP)
    return ik__fail(IK_EINVAL, "parse: layout %d is not valid for IPv%d", layout, family);
  return parse_icmp(buf, len, family, out);
}
