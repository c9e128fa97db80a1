// Matching a received message against a request (src/match.c), fed with
// hand-made ik__received values: no sockets.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

extern "C" {
#include "match.h"
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
