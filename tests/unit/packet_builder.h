// Builds ICMP test packets byte by byte, independently of src/packet.c (its
// own checksum and header code), so the codec is checked against a second
// implementation. Used by test_packet.cpp and tests/fuzz/gen_corpus_packet.cpp.
#ifndef IK_TEST_PACKET_BUILDER_H
#define IK_TEST_PACKET_BUILDER_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pb {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes &b, size_t off, unsigned v) {
  b[off] = static_cast<uint8_t>(v >> 8);
  b[off + 1] = static_cast<uint8_t>(v);
}

inline Bytes cat(Bytes a, const Bytes &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// RFC 1071 written the long way: byte by byte into a 32-bit sum.
inline unsigned ref_checksum(const Bytes &b) {
  uint32_t sum = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    sum += (i % 2 == 0) ? (b[i] * 256u) : b[i];
    if (sum > 0xffff) sum -= 0xffff;
  }
  return ~sum & 0xffffu;
}

// Payload bytes with no zero and no 0xff, so a truncation never leaves
// an IPv4 checksum valid by accident.
inline Bytes pattern(size_t n, uint8_t first = 0x10) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(first + i % 200);
  return b;
}

// ICMP message; the checksum is left 0 (IPv6) unless v4_checksum.
inline Bytes icmp(int type, int code, unsigned id, unsigned seq, const Bytes &body,
                  bool v4_checksum) {
  Bytes m(8);
  m[0] = static_cast<uint8_t>(type);
  m[1] = static_cast<uint8_t>(code);
  put16(m, 4, id);
  put16(m, 6, seq);
  m = cat(m, body);
  if (v4_checksum) put16(m, 2, ref_checksum(m));
  return m;
}

// An ICMP error (its 4 "unused" bytes zero) quoting `quote`.
inline Bytes icmp_error(int type, int code, const Bytes &quote, bool v4_checksum) {
  return icmp(type, code, 0, 0, quote, v4_checksum);
}

struct V4 {
  uint8_t src[4] = {198, 18, 0, 2};
  uint8_t dst[4] = {198, 18, 0, 1};
  int ttl = 64;
  int protocol = 1;
  int ihl = 5;        // header words, options fill the rest with NOPs + EOL
  int version = 4;
  int frag = 0;       // flags + fragment offset field
};

// IPv4 header followed by `payload`, total length in network order.
inline Bytes ipv4(const Bytes &payload, const V4 &h = V4()) {
  size_t hlen = static_cast<size_t>(h.ihl) * 4;
  Bytes b(hlen < 20 ? 20 : hlen, 0);
  b[0] = static_cast<uint8_t>(h.version << 4 | (h.ihl & 0x0f));
  put16(b, 2, static_cast<unsigned>(b.size() + payload.size()));
  put16(b, 4, 0x4d2);
  put16(b, 6, static_cast<unsigned>(h.frag));
  b[8] = static_cast<uint8_t>(h.ttl);
  b[9] = static_cast<uint8_t>(h.protocol);
  for (int i = 0; i < 4; ++i) {
    b[12 + i] = h.src[i];
    b[16 + i] = h.dst[i];
  }
  for (size_t i = 20; i < b.size(); ++i) b[i] = 1; // NOP
  if (b.size() > 20) b[b.size() - 1] = 0;           // end of options list
  put16(b, 10, ref_checksum(b));
  return cat(b, payload);
}

struct V6 {
  uint8_t src[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  uint8_t dst[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  int version = 6;
};

// IPv6 header with next header `next`, followed by `payload`.
inline Bytes ipv6(int next, const Bytes &payload, const V6 &h = V6()) {
  Bytes b(40, 0);
  b[0] = static_cast<uint8_t>(h.version << 4);
  put16(b, 4, static_cast<unsigned>(payload.size()));
  b[6] = static_cast<uint8_t>(next);
  b[7] = 64;
  for (int i = 0; i < 16; ++i) {
    b[8 + i] = h.src[i];
    b[24 + i] = h.dst[i];
  }
  return cat(b, payload);
}

// Hop-by-hop, routing or destination options header of (units + 1) * 8
// bytes (padded with PadN-like filler that the codec must skip).
inline Bytes ext(int next, int units) {
  Bytes b(static_cast<size_t>(units + 1) * 8, 0);
  b[0] = static_cast<uint8_t>(next);
  b[1] = static_cast<uint8_t>(units);
  b[2] = 1; // PadN
  b[3] = static_cast<uint8_t>(b.size() - 4);
  return b;
}

// Fragment header; offset in 8-byte units.
inline Bytes fragment(int next, unsigned offset, bool more) {
  Bytes b(8, 0);
  b[0] = static_cast<uint8_t>(next);
  put16(b, 2, offset << 3 | (more ? 1u : 0u));
  b[7] = 42; // identification
  return b;
}

} // namespace pb

#endif
