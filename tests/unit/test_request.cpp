#include <gtest/gtest.h>

#include <cstring>
#include <vector>

extern "C" {
#include "internal.h"
}

TEST(RequestInit, FillsIcmplibDefaults) {
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, "127.0.0.1", 7, 3), IK_OK);
  EXPECT_EQ(req.destination.family, IK_AF_INET);
  EXPECT_EQ(req.destination.bytes[0], 127);
  EXPECT_EQ(req.destination.bytes[3], 1);
  EXPECT_EQ(req.id, 7);
  EXPECT_EQ(req.sequence, 3);
  EXPECT_EQ(req.payload, nullptr);
  EXPECT_EQ(req.payload_size, 56u);
  EXPECT_EQ(req.ttl, 64);
  EXPECT_EQ(req.traffic_class, 0);
  EXPECT_EQ(req.time, 0.0);
}

TEST(RequestInit, ParsesAnIpv6Destination) {
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, "::1", 1, 1), IK_OK);
  EXPECT_EQ(req.destination.family, IK_AF_INET6);
  EXPECT_EQ(req.destination.bytes[15], 1);
}

TEST(RequestInit, MasksIdAndSequenceTo16Bits) {
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, "127.0.0.1", 0x12345L, 65536L), IK_OK);
  EXPECT_EQ(req.id, 0x2345);
  EXPECT_EQ(req.sequence, 0);
  ASSERT_EQ(ik_request_init(&req, "127.0.0.1", 65535L, 65537L), IK_OK);
  EXPECT_EQ(req.id, 65535);
  EXPECT_EQ(req.sequence, 1);
}

TEST(RequestInit, NegativeIdOrSequenceIsInvalid) {
  ik_request req;
  EXPECT_EQ(ik_request_init(&req, "127.0.0.1", -1, 1), IK_EINVAL);
  EXPECT_NE(std::strstr(ik_last_error(), "-1"), nullptr) << ik_last_error();
  EXPECT_EQ(ik_request_init(&req, "127.0.0.1", 1, -5), IK_EINVAL);
  EXPECT_NE(std::strstr(ik_last_error(), "-5"), nullptr) << ik_last_error();
}

TEST(RequestInit, MalformedDestinationIsRefused) {
  ik_request req;
  EXPECT_EQ(ik_request_init(&req, "256.1.1.1", 1, 1), IK_EADDRFORMAT);
  EXPECT_NE(std::strstr(ik_last_error(), "256.1.1.1"), nullptr) << ik_last_error();
  EXPECT_EQ(ik_request_init(&req, "localhost", 1, 1), IK_EADDRFORMAT);
}

TEST(RequestInit, NullArgumentsAreInvalid) {
  ik_request req;
  EXPECT_EQ(ik_request_init(nullptr, "127.0.0.1", 1, 1), IK_EINVAL);
  EXPECT_EQ(ik_request_init(&req, nullptr, 1, 1), IK_EINVAL);
}

TEST(RequestInit, EachRequestGetsItsOwnPayloadSeed) {
  // Two random 32-bit seeds collide with probability 2^-32 per pair; four
  // requests all sharing one seed means the random source is broken.
  ik_request a, b, c, d;
  ASSERT_EQ(ik_request_init(&a, "127.0.0.1", 1, 1), IK_OK);
  ASSERT_EQ(ik_request_init(&b, "127.0.0.1", 1, 1), IK_OK);
  ASSERT_EQ(ik_request_init(&c, "127.0.0.1", 1, 1), IK_OK);
  ASSERT_EQ(ik_request_init(&d, "127.0.0.1", 1, 1), IK_OK);
  EXPECT_FALSE(a.payload_seed == b.payload_seed && b.payload_seed == c.payload_seed &&
               c.payload_seed == d.payload_seed);
}

TEST(RequestPayload, GeneratedPayloadFollowsTheSeed) {
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, "127.0.0.1", 1, 1), IK_OK);
  std::vector<uint8_t> got(req.payload_size), want(req.payload_size);
  ASSERT_EQ(ik_request_payload(&req, got.data(), got.size()), IK_OK);
  ik__payload_fill(req.payload_seed, want.data(), want.size());
  EXPECT_EQ(got, want);
}

TEST(RequestPayload, ExplicitPayloadIsCopied) {
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, "127.0.0.1", 1, 1), IK_OK);
  const uint8_t bytes[5] = {1, 2, 3, 4, 5};
  req.payload = bytes;
  req.payload_size = sizeof bytes;
  uint8_t got[8] = {0};
  ASSERT_EQ(ik_request_payload(&req, got, sizeof got), IK_OK);
  EXPECT_EQ(std::memcmp(got, bytes, sizeof bytes), 0);
  EXPECT_EQ(got[5], 0);
}

// icmplib's ICMPRequest: "if payload: payload_size = len(payload)"
// (icmplib/models.py), and sockets.py sends "request.payload or
// random_byte_message(request.payload_size)".
TEST(RequestSetPayload, TheSizeIsThePayloadsLength) {
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, "127.0.0.1", 1, 1), IK_OK);
  const uint8_t bytes[5] = {1, 2, 3, 4, 5};
  ASSERT_EQ(ik_request_set_payload(&req, bytes, sizeof bytes), IK_OK);
  EXPECT_EQ(req.payload, bytes);
  EXPECT_EQ(req.payload_size, sizeof bytes);
  uint8_t got[5] = {0};
  ASSERT_EQ(ik_request_payload(&req, got, sizeof got), IK_OK); // 5 bytes suffice
  EXPECT_EQ(std::memcmp(got, bytes, sizeof bytes), 0);
}

TEST(RequestSetPayload, AnEmptyPayloadMeansTheDefaultRandomOne) {
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, "127.0.0.1", 1, 1), IK_OK);
  const uint8_t bytes[3] = {7, 8, 9};
  ASSERT_EQ(ik_request_set_payload(&req, bytes, sizeof bytes), IK_OK);
  ASSERT_EQ(ik_request_set_payload(&req, bytes, 0), IK_OK);
  EXPECT_EQ(req.payload, nullptr);
  EXPECT_EQ(req.payload_size, 3u); // icmplib keeps payload_size as it was
  ASSERT_EQ(ik_request_init(&req, "127.0.0.1", 1, 1), IK_OK);
  ASSERT_EQ(ik_request_set_payload(&req, nullptr, 0), IK_OK);
  EXPECT_EQ(req.payload, nullptr);
  EXPECT_EQ(req.payload_size, static_cast<size_t>(IK_DEFAULT_PAYLOAD_SIZE));
  std::vector<uint8_t> got(IK_DEFAULT_PAYLOAD_SIZE), expected(IK_DEFAULT_PAYLOAD_SIZE);
  ASSERT_EQ(ik_request_payload(&req, got.data(), got.size()), IK_OK);
  ik__payload_fill(req.payload_seed, expected.data(), expected.size());
  EXPECT_EQ(got, expected);
}

TEST(RequestSetPayload, RefusesANullRequestAndAnOversizedPayload) {
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, "127.0.0.1", 1, 1), IK_OK);
  const uint8_t byte = 1;
  EXPECT_EQ(ik_request_set_payload(nullptr, &byte, 1), IK_EINVAL);
  EXPECT_EQ(ik_request_set_payload(&req, &byte, IK_MAX_PAYLOAD_SIZE + 1u), IK_EINVAL);
  EXPECT_EQ(req.payload, nullptr); // unchanged
  EXPECT_EQ(req.payload_size, static_cast<size_t>(IK_DEFAULT_PAYLOAD_SIZE));
}

TEST(RequestPayload, BufferSmallerThanPayloadIsNoSpace) {
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, "127.0.0.1", 1, 1), IK_OK);
  uint8_t buf[55];
  EXPECT_EQ(ik_request_payload(&req, buf, sizeof buf), IK_ENOSPACE);
  EXPECT_NE(std::strstr(ik_last_error(), "56"), nullptr) << ik_last_error();
}

TEST(RequestPayload, EmptyPayloadNeedsNoBuffer) {
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, "127.0.0.1", 1, 1), IK_OK);
  req.payload_size = 0;
  EXPECT_EQ(ik_request_payload(&req, nullptr, 0), IK_OK);
}

TEST(RequestPayload, OversizedPayloadIsInvalid) {
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, "127.0.0.1", 1, 1), IK_OK);
  req.payload_size = IK_MAX_PAYLOAD_SIZE + 1;
  std::vector<uint8_t> buf(req.payload_size);
  EXPECT_EQ(ik_request_payload(&req, buf.data(), buf.size()), IK_EINVAL);
}

TEST(RequestPayload, NullArgumentsAreInvalid) {
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, "127.0.0.1", 1, 1), IK_OK);
  uint8_t buf[64];
  EXPECT_EQ(ik_request_payload(nullptr, buf, sizeof buf), IK_EINVAL);
  EXPECT_EQ(ik_request_payload(&req, nullptr, sizeof buf), IK_EINVAL);
}

TEST(Rtt, IsTheDifferenceInMilliseconds) {
  ik_request req{};
  ik_reply reply{};
  req.time = 1700000000.25;
  reply.time = 1700000000.2625;
  EXPECT_NEAR(ik_rtt_ms(&req, &reply), 12.5, 1e-3);
}

TEST(Rtt, ClockSteppingBackwardsGivesZeroNotNegative) {
  ik_request req{};
  ik_reply reply{};
  req.time = 100.0;
  reply.time = 99.0;
  EXPECT_EQ(ik_rtt_ms(&req, &reply), 0.0);
}

TEST(Rtt, NullArgumentsGiveZero) {
  ik_request req{};
  ik_reply reply{};
  reply.time = 5.0;
  EXPECT_EQ(ik_rtt_ms(nullptr, &reply), 0.0);
  EXPECT_EQ(ik_rtt_ms(&req, nullptr), 0.0);
}
