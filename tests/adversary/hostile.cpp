#include "hostile.h"

namespace adv {

namespace {
size_t IpHeaderLen(const EchoRequest &rq) { return rq.family == 4 ? 20 : 40; }
size_t ProtocolOffset(const EchoRequest &rq) { return rq.family == 4 ? 9 : 6; }

// Destination Unreachable (host) from the other host, quoting q.
Bytes HostileError(const EchoRequest &rq, const Bytes &q) {
  const Hosts &h = HostsFor(rq.family);
  return ErrorPacket(rq, h.other, UnreachType(rq.family), rq.family == 4 ? 1 : 3, q);
}
}  // namespace

ReplySpec BadSpec() {
  ReplySpec s;
  s.ip.ttl = kBadTtl;
  return s;
}

Bytes GoodReply(const EchoRequest &rq) {
  ReplySpec good;
  good.ip.ttl = kGoodTtl;
  return EchoReplyPacket(rq, good);
}

Bytes GoodTimeExceeded(const EchoRequest &rq) {
  const Hosts &h = HostsFor(rq.family);
  return ErrorPacket(rq, h.router, TimeExceededType(rq.family), 0, QuoteOf(rq, 8));
}

Packets BadChecksumReply(const EchoRequest &rq) {
  ReplySpec s = BadSpec();
  s.ip.bad_checksum = true;
  return {EchoReplyPacket(rq, s)};
}

Packets AlteredPayloadReply(const EchoRequest &rq) {
  ReplySpec s = BadSpec();
  s.payload = rq.payload;
  (*s.payload)[10] ^= 0x01;
  return {EchoReplyPacket(rq, s)};
}

Packets TruncatedReplies(const EchoRequest &rq) {
  Packets out;
  for (size_t keep : {size_t{48}, size_t{1}, size_t{0}}) {  // payload bytes kept
    ReplySpec s = BadSpec();
    s.payload = Bytes(rq.payload.begin(), rq.payload.begin() + static_cast<long>(keep));
    out.push_back(EchoReplyPacket(rq, s));
  }
  // Shorter than an echo header: type, code, checksum only.
  IpOpts o;
  o.ttl = kBadTtl;
  out.push_back(Ip(rq.dst, rq.src, Icmp(EchoReplyType(rq.family), 0, {}), o));
  return out;
}

Packets OversizedReplies(const EchoRequest &rq) {
  Packets out;
  for (size_t extra : {size_t{1}, size_t{100}, size_t{60000}}) {
    ReplySpec s = BadSpec();
    s.payload = rq.payload;
    s.payload->resize(rq.payload.size() + extra, 0x77);
    out.push_back(EchoReplyPacket(rq, s));
  }
  return out;
}

Packets ReplyFromAnotherHost(const EchoRequest &rq) {
  ReplySpec s = BadSpec();
  s.src = HostsFor(rq.family).other;
  return {EchoReplyPacket(rq, s)};
}

Packets RepliesWithAnotherId(const EchoRequest &rq) {
  Packets out;
  for (uint16_t delta : {1, 0x100, 0x8000}) {
    ReplySpec s = BadSpec();
    s.id = static_cast<uint16_t>(rq.id + delta);
    out.push_back(EchoReplyPacket(rq, s));
  }
  return out;
}

Packets RepliesWithSequenceOffsets(const EchoRequest &rq, std::initializer_list<uint16_t> deltas) {
  Packets out;
  for (uint16_t delta : deltas) {
    ReplySpec s = BadSpec();
    s.seq = static_cast<uint16_t>(rq.seq + delta);
    out.push_back(EchoReplyPacket(rq, s));
  }
  return out;
}

Packets EchoRequestLookalike(const EchoRequest &rq) {
  IpOpts o;
  o.ttl = kBadTtl;
  return {Ip(rq.dst, rq.src, Icmp(EchoRequestType(rq.family), 0, EchoRest(rq.id, rq.seq, rq.payload)), o)};
}

Packets ErrorsWithTruncatedQuote(const EchoRequest &rq) {
  Packets out;
  for (size_t icmp_bytes : {size_t{6}, size_t{4}, size_t{0}})
    out.push_back(HostileError(rq, QuoteOf(rq, icmp_bytes)));
  Bytes short_ip = QuoteOf(rq, 0);
  short_ip.resize(short_ip.size() / 2);
  out.push_back(HostileError(rq, short_ip));
  out.push_back(HostileError(rq, {}));
  return out;
}

Packets ErrorsWithGarbageQuote(const EchoRequest &rq) {
  Packets out;
  Bytes garbage(rq.raw.size());
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>(i * 37 + 11);
  out.push_back(HostileError(rq, garbage));
  // Right shape, wrong contents: the quoted protocol, or the quoted ICMP
  // type (an echo reply, a timestamp request) is not our echo request.
  Bytes q = QuoteOf(rq, 8);
  Bytes proto = q, reply = q, other = q;
  proto[ProtocolOffset(rq)] = 17;  // UDP
  reply[IpHeaderLen(rq)] = EchoReplyType(rq.family);
  other[IpHeaderLen(rq)] = rq.family == 4 ? 13 : 139;
  for (const Bytes &b : {proto, reply, other}) out.push_back(HostileError(rq, b));
  return out;
}

Packets ErrorQuotingAnotherDestination(const EchoRequest &rq) {
  const Hosts &h = HostsFor(rq.family);
  return {HostileError(rq, WithDestination(QuoteOf(rq, 8), IpAddr::Parse(h.elsewhere)))};
}

Packets ErrorQuotingAnotherSequence(const EchoRequest &rq, uint16_t flip) {
  Bytes q = QuoteOf(rq, 8);
  size_t seq = IpHeaderLen(rq) + 6;
  q[seq] ^= static_cast<uint8_t>(flip >> 8);
  q[seq + 1] ^= static_cast<uint8_t>(flip);
  return {HostileError(rq, q)};
}

Packets UnrelatedIcmp(const EchoRequest &rq) {
  IpAddr other = IpAddr::Parse(HostsFor(rq.family).other);
  Packets out;
  Bytes udp_quote = QuoteOf(rq, 8);
  udp_quote[ProtocolOffset(rq)] = 17;
  if (rq.family == 4) {
    for (uint8_t type : {14, 9, 10, 15, 16, 17, 18, 30, 40, 42, 43, 253, 254})
      out.push_back(Ip(other, rq.src, Icmp(type, 0, Bytes(12, 0x11))));
    out.push_back(Ip(other, rq.src, Icmp(3, 3, ErrorRest(udp_quote))));
    out.push_back(Ip(other, rq.src, Icmp(11, 0, ErrorRest(udp_quote))));
  } else {
    for (uint8_t type : {139, 140, 144, 145, 146, 147, 160, 200, 201, 255})
      out.push_back(Ip(other, rq.src, Icmp(type, 0, Bytes(12, 0x11))));
    out.push_back(Ip(other, rq.src, Icmp(1, 4, ErrorRest(udp_quote))));
    out.push_back(Ip(other, rq.src, Icmp(3, 0, ErrorRest(udp_quote))));
  }
  out.push_back(Ip(other, rq.src,
                   Icmp(EchoReplyType(rq.family), 0,
                        EchoRest(static_cast<uint16_t>(rq.id ^ 0x5555), rq.seq, rq.payload))));
  return out;
}

Packets UnrelatedIcmpFlood(const EchoRequest &rq, int rounds) {
  Packets one = UnrelatedIcmp(rq), out;
  for (int i = 0; i < rounds; ++i) out.insert(out.end(), one.begin(), one.end());
  return out;
}

}  // namespace adv
