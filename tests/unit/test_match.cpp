// Matching a received message against a request (src/match.c), fed with
// hand-made ik__received values: no sockets.
#include <gtest/gtest.h>

#include "packet_builder.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "match.h"
#include "packet.h"
}

namespace {

ik_address addr(const char *text) {
  ik_address a;
  EXPECT_EQ(ik_address_parse(text, &a), 0) << text;
  return a;
}

struct MatchTest : ::testing::Test {
  ik_request req{};
  std::vector<uint8_t> payload;
  ik__received rx{};

  void SetUp() override {
    ASSERT_EQ(ik_request_init(&req, "198.18.0.9", 0x1234, 7), 0);
    payload.resize(req.payload_size);
    ASSERT_EQ(ik_request_payload(&req, payload.data(), payload.size()), 0);
    rx = echo_reply_from("198.18.0.9");
  }

  // The reply the destination would send.
  ik__received echo_reply_from(const char *source) {
    ik__received r{};
    r.pkt.family = IK_AF_INET;
    r.pkt.type = IK__V4_ECHO_REPLY;
    r.pkt.is_echo_reply = 1;
    r.pkt.id = req.id;
    r.pkt.sequence = req.sequence;
    r.pkt.ttl = -1;
    r.pkt.data = payload.data();
    r.pkt.data_len = payload.size();
    r.pkt.icmp_len = 8 + payload.size();
    r.pkt.checksum_ok = 1;
    r.source = addr(source);
    r.ttl = 63;
    r.time = 1700000000.25;
    return r;
  }

  // A router's Time Exceeded quoting the request.
  ik__received error_from(const char *router) {
    ik__received r{};
    r.pkt.family = IK_AF_INET;
    r.pkt.type = IK__V4_TIME_EXCEEDED;
    r.pkt.is_error = 1;
    r.pkt.id = req.id;
    r.pkt.sequence = req.sequence;
    r.pkt.ttl = -1;
    r.pkt.quoted_dst = req.destination;
    r.pkt.icmp_len = 36;
    r.pkt.checksum_ok = 1;
    r.source = addr(router);
    r.ttl = 255;
    return r;
  }
};

TEST_F(MatchTest, EchoReplyFromTheDestinationWithItsIdSequenceAndPayloadMatches) {
  EXPECT_EQ(ik__match(&req, &rx, 0), 1);
}

TEST_F(MatchTest, EchoReplyWithAnotherIdDoesNotMatch) {
  rx.pkt.id = static_cast<uint16_t>(req.id + 1);
  EXPECT_EQ(ik__match(&req, &rx, 0), 0);
}

TEST_F(MatchTest, EchoReplyWithAnotherSequenceDoesNotMatch) {
  rx.pkt.sequence = static_cast<uint16_t>(req.sequence + 1);
  EXPECT_EQ(ik__match(&req, &rx, 0), 0);
}

TEST_F(MatchTest, EchoReplyFromAnotherHostDoesNotMatch) {
  rx.source = addr("198.18.0.10");
  EXPECT_EQ(ik__match(&req, &rx, 0), 0);
}

TEST_F(MatchTest, EchoReplyFromAnotherHostMatchesWhenBroadcastIsAllowed) {
  rx.source = addr("198.18.0.10");
  EXPECT_EQ(ik__match(&req, &rx, IK__MATCH_ANY_SOURCE), 1);
}

TEST_F(MatchTest, EchoReplyFromAnyHostMatchesAMulticastRequest) {
  req.destination = addr("224.0.0.1");
  rx.source = addr("198.18.0.10");
  EXPECT_EQ(ik__match(&req, &rx, 0), 1);
}

TEST_F(MatchTest, EchoReplyCarryingAnotherPayloadDoesNotMatch) {
  // Another process on the same host with the same id: its payload differs.
  std::vector<uint8_t> other(payload);
  other[5] ^= 0x55;
  rx.pkt.data = other.data();
  EXPECT_EQ(ik__match(&req, &rx, 0), 0);
}

TEST_F(MatchTest, EchoReplyWithAShortenedPayloadDoesNotMatch) {
  rx.pkt.data_len = payload.size() - 1;
  EXPECT_EQ(ik__match(&req, &rx, 0), 0);
}

TEST_F(MatchTest, EchoReplyWithABadChecksumDoesNotMatch) {
  rx.pkt.checksum_ok = 0;
  EXPECT_EQ(ik__match(&req, &rx, 0), 0);
  EXPECT_EQ(ik__match(nullptr, &rx, 0), 0);
}

TEST_F(MatchTest, EchoReplyWithAnUncheckedChecksumMatches) {
  rx.pkt.checksum_ok = -1; // IPv6: the kernel checked it
  EXPECT_EQ(ik__match(&req, &rx, 0), 1);
}

TEST_F(MatchTest, ErrorQuotingTheRequestMatchesWhicheverRouterSentIt) {
  ik__received err = error_from("198.18.1.1");
  EXPECT_EQ(ik__match(&req, &err, 0), 1);
}

TEST_F(MatchTest, ErrorQuotingARequestToAnotherDestinationDoesNotMatch) {
  ik__received err = error_from("198.18.1.1");
  err.pkt.quoted_dst = addr("198.18.0.10");
  EXPECT_EQ(ik__match(&req, &err, 0), 0);
}

TEST_F(MatchTest, ErrorQuotingAnotherSequenceDoesNotMatch) {
  ik__received err = error_from("198.18.1.1");
  err.pkt.sequence = static_cast<uint16_t>(req.sequence + 1);
  EXPECT_EQ(ik__match(&req, &err, 0), 0);
}

TEST_F(MatchTest, ErrorQuotingAnotherIdDoesNotMatch) {
  ik__received err = error_from("198.18.1.1");
  err.pkt.id = static_cast<uint16_t>(req.id ^ 0x8000);
  EXPECT_EQ(ik__match(&req, &err, 0), 0);
}

TEST_F(MatchTest, NoRequestMatchesAnyEchoReplyAndAnyError) {
  rx.pkt.id = 1;
  rx.source = addr("198.18.7.7");
  ik__received err = error_from("198.18.1.1");
  err.pkt.sequence = 999;
  EXPECT_EQ(ik__match(nullptr, &rx, 0), 1);
  EXPECT_EQ(ik__match(nullptr, &err, 0), 1);
}

TEST_F(MatchTest, AMessageThatIsNeitherReplyNorErrorNeverMatches) {
  rx.pkt.is_echo_reply = 0;
  rx.pkt.type = IK__V4_ECHO_REQUEST;
  EXPECT_EQ(ik__match(nullptr, &rx, 0), 0);
  EXPECT_EQ(ik__match(&req, &rx, 0), 0);
}

TEST_F(MatchTest, LinkLocalReplyMatchesOnlyTheRequestsZone) {
  ASSERT_EQ(ik_request_init(&req, "fe80::1%7", 0x1234, 7), 0);
  ik__received r = echo_reply_from("198.18.0.9");
  r.pkt.family = IK_AF_INET6;
  r.pkt.type = IK__V6_ECHO_REPLY;
  r.pkt.checksum_ok = -1;
  // payload: ik_request_init drew a new seed
  payload.resize(req.payload_size);
  ASSERT_EQ(ik_request_payload(&req, payload.data(), payload.size()), 0);
  r.source = addr("fe80::1%7");
  EXPECT_EQ(ik__match(&req, &r, 0), 1);
  r.source = addr("fe80::1%8");
  EXPECT_EQ(ik__match(&req, &r, 0), 0);
}

TEST_F(MatchTest, ReplyCarriesWhatWasReceived) {
  ik_reply reply;
  std::memset(&reply, 0xab, sizeof reply);
  ik__reply_from(&rx, &reply);
  EXPECT_STREQ(reply.source, "198.18.0.9");
  EXPECT_TRUE(ik__address_equal(&reply.source_addr, &rx.source));
  EXPECT_EQ(reply.family, IK_AF_INET);
  EXPECT_EQ(reply.id, req.id);
  EXPECT_EQ(reply.sequence, req.sequence);
  EXPECT_EQ(reply.type, IK__V4_ECHO_REPLY);
  EXPECT_EQ(reply.code, 0);
  EXPECT_EQ(reply.bytes_received, 64u);
  EXPECT_DOUBLE_EQ(reply.time, 1700000000.25);
  EXPECT_EQ(reply.ttl, 63);
  EXPECT_EQ(reply.flags, 0u);
}

TEST_F(MatchTest, ReplyToAnErrorNamesTheRouterAndTheQuotedIdSequence) {
  ik__received err = error_from("198.18.1.1");
  ik_reply reply;
  ik__reply_from(&err, &reply);
  EXPECT_STREQ(reply.source, "198.18.1.1");
  EXPECT_EQ(reply.type, IK__V4_TIME_EXCEEDED);
  EXPECT_EQ(reply.id, req.id);
  EXPECT_EQ(reply.sequence, req.sequence);
  EXPECT_EQ(ik_reply_check(&reply), IK_ETIME_EXCEEDED);
}

TEST(MatchErrors, OnlyCodecRejectionsArePacketErrors) {
  EXPECT_TRUE(ik__is_packet_error(IK_ETRUNCATED));
  EXPECT_TRUE(ik__is_packet_error(IK_EMALFORMED));
  EXPECT_TRUE(ik__is_packet_error(IK_ECHECKSUM));
  EXPECT_TRUE(ik__is_packet_error(IK_EUNRELATED));
  EXPECT_FALSE(ik__is_packet_error(0));
  EXPECT_FALSE(ik__is_packet_error(IK_ETIMEOUT));
  EXPECT_FALSE(ik__is_packet_error(IK_ESOCKET));
  EXPECT_FALSE(ik__is_packet_error(IK_EUNAVAILABLE));
}

} // namespace

// ---- An error's quote must prove it came from our request (raw sockets) ----
// Packets built by the independent builder, parsed by the real codec.

namespace quoted {

using pb::Bytes;

struct Forged {
  ik_request req{};
  Bytes sent;       // the ICMP message req puts on the wire
  Bytes wire;       // the router's error, as a raw socket reads it
  ik__received rx{};
};

// The echo request req sends, checksum filled as the kernel does (ICMPv6:
// over the pseudo-header from src to dst).
Bytes sent_message(const ik_request &req, const uint8_t *src6) {
  Bytes body(req.payload_size);
  EXPECT_EQ(ik_request_payload(&req, body.data(), body.size()), 0);
  bool v4 = req.destination.family == IK_AF_INET;
  Bytes m = pb::icmp(v4 ? 8 : 128, 0, req.id, req.sequence, body, v4);
  if (!v4) {
    Bytes pseudo(40, 0);
    for (int i = 0; i < 16; ++i) {
      pseudo[i] = src6[i];
      pseudo[16 + i] = req.destination.bytes[i];
    }
    pb::put16(pseudo, 34, static_cast<unsigned>(m.size()));
    pseudo[39] = 58;
    pb::put16(m, 2, pb::ref_checksum(pb::cat(pseudo, m)));
  }
  return m;
}

// A Time Exceeded quoting `quoted` (the first `keep` bytes of it).
void parse_error(Forged &f, const Bytes &quoted, size_t keep) {
  Bytes q(quoted.begin(), quoted.begin() + static_cast<std::ptrdiff_t>(std::min(keep, quoted.size())));
  if (f.req.destination.family == IK_AF_INET) {
    pb::V4 inner;
    std::memcpy(inner.dst, f.req.destination.bytes, 4);
    Bytes ip = pb::ipv4(q, inner);
    pb::put16(ip, 2, static_cast<unsigned>(20 + quoted.size()));  // the header tells the full length
    f.wire = pb::ipv4(pb::icmp_error(11, 0, ip, true));
    ASSERT_EQ(ik__parse(f.wire.data(), f.wire.size(), IK_AF_INET, IK__LAYOUT_IP, &f.rx.pkt), 0)
        << ik_last_error();
  } else {
    pb::V6 inner;
    std::memcpy(inner.dst, f.req.destination.bytes, 16);
    Bytes ip = pb::ipv6(58, q, inner);
    f.wire = pb::icmp_error(3, 0, ip, false);
    ASSERT_EQ(ik__parse(f.wire.data(), f.wire.size(), IK_AF_INET6, IK__LAYOUT_ICMP, &f.rx.pkt), 0)
        << ik_last_error();
  }
  f.rx.source = addr(f.req.destination.family == IK_AF_INET ? "198.18.1.1" : "fd00::1:1");
}

Forged make(const char *dest, size_t keep, void (*tamper)(Bytes &) = nullptr) {
  Forged f;
  EXPECT_EQ(ik_request_init(&f.req, dest, 0x4242, 9), 0);
  f.sent = sent_message(f.req, pb::V6().src);
  Bytes q = f.sent;
  if (tamper) tamper(q);
  parse_error(f, q, keep);
  return f;
}

void flip_last_payload_byte(Bytes &m) { m.back() ^= 0x01; }
void other_payload_same_length(Bytes &m) {
  for (size_t i = 8; i < m.size(); ++i) m[i] = static_cast<uint8_t>(i);
}
void flip_checksum(Bytes &m) { m[3] ^= 0x40; }

class QuoteTest : public ::testing::TestWithParam<const char *> {};

TEST_P(QuoteTest, ErrorQuotingOurWholeRequestMatches) {
  Forged f = make(GetParam(), 10000);
  EXPECT_EQ(ik__match(&f.req, &f.rx, 0), 1);
}

TEST_P(QuoteTest, ErrorQuotingOnlyOurHeaderMatches) {
  Forged f = make(GetParam(), 8);  // RFC 792: 8 bytes of the original datagram
  EXPECT_EQ(ik__match(&f.req, &f.rx, 0), 1);
}

TEST_P(QuoteTest, ErrorQuotingAnotherPayloadWithOurIdAndSequenceDoesNotMatch) {
  Forged f = make(GetParam(), 10000, other_payload_same_length);
  EXPECT_EQ(ik__match(&f.req, &f.rx, 0), 0);
}

TEST_P(QuoteTest, ErrorQuotingOneChangedPayloadByteDoesNotMatch) {
  Forged f = make(GetParam(), 10000, flip_last_payload_byte);
  EXPECT_EQ(ik__match(&f.req, &f.rx, 0), 0);
}

TEST_P(QuoteTest, ErrorQuotingOnlyTheHeaderOfAnotherPayloadDoesNotMatchThroughItsChecksum) {
  Forged f;
  ASSERT_EQ(ik_request_init(&f.req, GetParam(), 0x4242, 9), 0);
  ik_request other = f.req;
  other.payload_seed ^= 0x5a5a5a5a;  // what a forger who cannot read our payload sends
  Bytes forged = sent_message(other, pb::V6().src);
  ASSERT_NE(forged, sent_message(f.req, pb::V6().src));
  parse_error(f, forged, 8);
  EXPECT_EQ(ik__match(&f.req, &f.rx, 0), 0);
}

TEST_P(QuoteTest, ErrorQuotingAnotherChecksumDoesNotMatch) {
  Forged f = make(GetParam(), 8, flip_checksum);
  EXPECT_EQ(ik__match(&f.req, &f.rx, 0), 0);
}

TEST_P(QuoteTest, ErrorQuotingMoreThanWeSentDoesNotMatch) {
  Forged f;
  ASSERT_EQ(ik_request_init(&f.req, GetParam(), 0x4242, 9), 0);
  Bytes longer = sent_message(f.req, pb::V6().src);
  longer.push_back(0x77);
  parse_error(f, longer, 10000);
  EXPECT_EQ(ik__match(&f.req, &f.rx, 0), 0);
}

TEST_P(QuoteTest, ErrorQuotingOurLargeRequestMatchesAndAChangeInItDoesNot) {
  Forged f;
  ASSERT_EQ(ik_request_init(&f.req, GetParam(), 0x4242, 9), 0);
  f.req.payload_size = 1400;  // past the comparison's stack buffer
  Bytes sent = sent_message(f.req, pb::V6().src);
  parse_error(f, sent, 10000);
  EXPECT_EQ(ik__match(&f.req, &f.rx, 0), 1);
  sent[700] ^= 0x80;
  parse_error(f, sent, 10000);
  EXPECT_EQ(ik__match(&f.req, &f.rx, 0), 0);
}

INSTANTIATE_TEST_SUITE_P(Family, QuoteTest, ::testing::Values("198.18.0.9", "fd00::9"),
                         [](const ::testing::TestParamInfo<const char *> &i) {
                           return std::string(i.index == 0 ? "V4" : "V6");
                         });

}  // namespace quoted
