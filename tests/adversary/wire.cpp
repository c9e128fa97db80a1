#include "wire.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace adv {

IpAddr IpAddr::Parse(const std::string &text) {
  IpAddr a;
  if (inet_pton(AF_INET, text.c_str(), a.b) == 1) {
    a.family = 4;
  } else if (inet_pton(AF_INET6, text.c_str(), a.b) == 1) {
    a.family = 6;
  } else {
    std::fprintf(stderr, "adv::IpAddr::Parse: bad address '%s'\n", text.c_str());
    std::abort();
  }
  return a;
}

std::string IpAddr::Str() const {
  char buf[INET6_ADDRSTRLEN] = "";
  inet_ntop(family == 4 ? AF_INET : AF_INET6, b, buf, sizeof buf);
  return buf;
}

bool IpAddr::operator==(const IpAddr &o) const {
  return family == o.family && std::memcmp(b, o.b, Len()) == 0;
}

static uint16_t Get16(const uint8_t *p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
static void Put16(uint8_t *p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

std::optional<EchoRequest> ParseEchoRequest(const uint8_t *p, size_t n) {
  EchoRequest rq;
  size_t off;
  if (n >= 20 && p[0] >> 4 == 4) {
    size_t ihl = (p[0] & 0xfu) * 4u;
    if (ihl < 20 || n < ihl + 8 || p[9] != 1 || Get16(p + 2) != n) return std::nullopt;
    rq.family = 4;
    rq.tclass = p[1];
    rq.ttl = p[8];
    std::memcpy(rq.src.b, p + 12, 4);
    std::memcpy(rq.dst.b, p + 16, 4);
    off = ihl;
  } else if (n >= 48 && p[0] >> 4 == 6) {
    if (p[6] != 58 || Get16(p + 4) + 40u != n) return std::nullopt;
    rq.family = 6;
    rq.tclass = (p[0] & 0xf) << 4 | p[1] >> 4;
    rq.ttl = p[7];
    std::memcpy(rq.src.b, p + 8, 16);
    std::memcpy(rq.dst.b, p + 24, 16);
    off = 40;
  } else {
    return std::nullopt;
  }
  rq.src.family = rq.dst.family = rq.family;
  if (p[off] != EchoRequestType(rq.family) || p[off + 1] != 0) return std::nullopt;
  rq.id = Get16(p + off + 4);
  rq.seq = Get16(p + off + 6);
  rq.payload.assign(p + off + 8, p + n);
  rq.raw.assign(p, p + n);
  return rq;
}

uint16_t Checksum(const uint8_t *p, size_t n, uint32_t sum) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += Get16(p + i);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

Bytes Icmp(uint8_t type, uint8_t code, const Bytes &rest) {
  Bytes m = {type, code, 0, 0};
  m.insert(m.end(), rest.begin(), rest.end());
  return m;
}

Bytes EchoRest(uint16_t id, uint16_t seq, const Bytes &payload) {
  Bytes r(4);
  Put16(r.data(), id);
  Put16(r.data() + 2, seq);
  r.insert(r.end(), payload.begin(), payload.end());
  return r;
}

Ext Ext::PadOptions(uint8_t type, size_t len8) {
  // Next header (filled later), hdr ext len, then one unknown option of
  // type 0x1e (RFC 4727 experiment; top bits 00: skip it) filling the rest.
  // Not PadN: Linux drops runs of more than 7 padding bytes.
  Ext e{type, {}};
  size_t optlen = len8 * 8 - 2;
  e.body.push_back(static_cast<uint8_t>(len8 - 1));
  e.body.push_back(0x1e);
  e.body.push_back(static_cast<uint8_t>(optlen - 2));
  e.body.resize(1 + optlen, 0);
  return e;
}

Ext Ext::Fragment(uint16_t offset8, bool more, uint32_t ident) {
  Ext e{44, Bytes(7, 0)};
  Put16(e.body.data() + 1, static_cast<uint16_t>(offset8 << 3 | (more ? 1 : 0)));
  e.body[3] = static_cast<uint8_t>(ident >> 24);
  e.body[4] = static_cast<uint8_t>(ident >> 16);
  e.body[5] = static_cast<uint8_t>(ident >> 8);
  e.body[6] = static_cast<uint8_t>(ident);
  return e;
}

Bytes Ipv4(const IpAddr &src, const IpAddr &dst, Bytes icmp, const IpOpts &o) {
  icmp[2] = icmp[3] = 0;
  Put16(&icmp[2], Checksum(icmp.data(), icmp.size()));
  if (o.bad_checksum) icmp[3] ^= 0x5a;
  Bytes opts = o.v4_options;
  while (opts.size() % 4) opts.push_back(0);  // End of Option List
  size_t ihl = 20 + opts.size();
  Bytes p(ihl);
  p[0] = static_cast<uint8_t>(0x40 | ihl / 4);
  Put16(&p[2], static_cast<uint16_t>(ihl + icmp.size()));
  Put16(&p[4], 0x1234);
  p[8] = static_cast<uint8_t>(o.ttl);
  p[9] = 1;
  std::memcpy(&p[12], src.b, 4);
  std::memcpy(&p[16], dst.b, 4);
  if (!opts.empty()) std::memcpy(&p[20], opts.data(), opts.size());
  Put16(&p[10], Checksum(p.data(), ihl));
  p.insert(p.end(), icmp.begin(), icmp.end());
  return p;
}

static uint32_t PseudoSum6(const IpAddr &src, const IpAddr &dst, size_t len) {
  uint32_t sum = 0;
  for (int i = 0; i < 16; i += 2) sum += Get16(src.b + i) + Get16(dst.b + i);
  sum += static_cast<uint32_t>(len >> 16) + static_cast<uint32_t>(len & 0xffff) + 58;
  return sum;
}

static Bytes Ipv6Header(const IpAddr &src, const IpAddr &dst, size_t payload_len,
                        uint8_t next, int hlim) {
  Bytes p(40);
  p[0] = 0x60;
  Put16(&p[4], static_cast<uint16_t>(payload_len));
  p[6] = next;
  p[7] = static_cast<uint8_t>(hlim);
  std::memcpy(&p[8], src.b, 16);
  std::memcpy(&p[24], dst.b, 16);
  return p;
}

static Bytes ExtChain(const std::vector<Ext> &exts, uint8_t final_next, uint8_t *first) {
  Bytes chain;
  *first = exts.empty() ? final_next : exts[0].type;
  for (size_t i = 0; i < exts.size(); ++i) {
    chain.push_back(i + 1 < exts.size() ? exts[i + 1].type : final_next);
    chain.insert(chain.end(), exts[i].body.begin(), exts[i].body.end());
  }
  return chain;
}

Bytes Ipv6(const IpAddr &src, const IpAddr &dst, Bytes icmp, const IpOpts &o) {
  icmp[2] = icmp[3] = 0;
  Put16(&icmp[2], Checksum(icmp.data(), icmp.size(), PseudoSum6(src, dst, icmp.size())));
  if (o.bad_checksum) icmp[3] ^= 0x5a;
  uint8_t first;
  Bytes chain = ExtChain(o.v6_ext, 58, &first);
  Bytes p = Ipv6Header(src, dst, chain.size() + icmp.size(), first, o.ttl);
  p.insert(p.end(), chain.begin(), chain.end());
  p.insert(p.end(), icmp.begin(), icmp.end());
  return p;
}

Bytes Ip(const IpAddr &src, const IpAddr &dst, Bytes icmp, const IpOpts &o) {
  return src.family == 4 ? Ipv4(src, dst, std::move(icmp), o) : Ipv6(src, dst, std::move(icmp), o);
}

std::vector<Bytes> Ipv6Fragments(const IpAddr &src, const IpAddr &dst, Bytes icmp,
                                 size_t first_len, uint32_t ident, int hlim) {
  icmp[2] = icmp[3] = 0;
  Put16(&icmp[2], Checksum(icmp.data(), icmp.size(), PseudoSum6(src, dst, icmp.size())));
  std::vector<Bytes> out;
  for (size_t off = 0; off < icmp.size(); off += first_len) {
    size_t len = std::min(first_len, icmp.size() - off);
    bool more = off + len < icmp.size();
    uint8_t first;
    Bytes chain = ExtChain({Ext::Fragment(static_cast<uint16_t>(off / 8), more, ident)}, 58, &first);
    Bytes p = Ipv6Header(src, dst, chain.size() + len, first, hlim);
    p.insert(p.end(), chain.begin(), chain.end());
    p.insert(p.end(), icmp.begin() + static_cast<long>(off),
             icmp.begin() + static_cast<long>(off + len));
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<Bytes> Ipv4Fragments(const IpAddr &src, const IpAddr &dst, Bytes icmp,
                                 size_t first_len, uint16_t ident, int ttl) {
  IpOpts o;
  o.ttl = ttl;
  Bytes whole = Ipv4(src, dst, std::move(icmp), o);  // computes the ICMP checksum
  std::vector<Bytes> out;
  for (size_t off = 20; off < whole.size(); off += first_len) {
    size_t len = std::min(first_len, whole.size() - off);
    Bytes p(whole.begin(), whole.begin() + 20);
    p.insert(p.end(), whole.begin() + static_cast<long>(off),
             whole.begin() + static_cast<long>(off + len));
    Put16(&p[2], static_cast<uint16_t>(p.size()));
    Put16(&p[4], ident);
    bool more = off + len < whole.size();
    Put16(&p[6], static_cast<uint16_t>((more ? 0x2000 : 0) | (off - 20) / 8));
    p[10] = p[11] = 0;
    Put16(&p[10], Checksum(p.data(), 20));
    out.push_back(std::move(p));
  }
  return out;
}

Bytes ErrorRest(const Bytes &quote) {
  Bytes r(4, 0);
  r.insert(r.end(), quote.begin(), quote.end());
  return r;
}

Bytes QuoteOf(const EchoRequest &rq, size_t icmp_bytes) {
  size_t ip_len = rq.family == 4 ? (rq.raw[0] & 0xfu) * 4u : 40u;
  size_t n = std::min(rq.raw.size(), ip_len + icmp_bytes);
  return Bytes(rq.raw.begin(), rq.raw.begin() + static_cast<long>(n));
}

Bytes WithDestination(Bytes q, const IpAddr &dst) {
  if (dst.family == 4) {
    std::memcpy(&q[16], dst.b, 4);
    q[10] = q[11] = 0;
    Put16(&q[10], Checksum(q.data(), (q[0] & 0xfu) * 4u));
  } else {
    std::memcpy(&q[24], dst.b, 16);
  }
  return q;
}

}  // namespace adv
