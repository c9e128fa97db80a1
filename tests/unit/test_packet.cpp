// The ICMP codec (src/packet.c) against hand-built packets: every layout,
// every error it can return, and every truncation of every sample.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "packet_builder.h"

extern "C" {
#include "packet.h"
}

using pb::Bytes;

namespace {

// Parses an exactly sized heap copy of b, so ASan sees any read past the
// end; the copy lives until the next call, so out->data stays readable.
int parse(const Bytes &b, int family, int layout, ik__packet *out) {
  static Bytes held;
  Bytes copy(b);
  held.swap(copy);
  return ik__parse(held.empty() ? nullptr : held.data(), held.size(), family, layout, out);
}

ik_request make_request(int family, unsigned seq) {
  ik_request r;
  std::memset(&r, 0, sizeof r);
  r.destination.family = family;
  r.destination.bytes[0] = family == IK_AF_INET ? 198 : 0xfd;
  r.destination.bytes[family == IK_AF_INET ? 3 : 15] = 1;
  r.id = 0x4321;
  r.sequence = static_cast<uint16_t>(seq);
  r.payload_size = 56;
  r.payload_seed = 0x5eed;
  r.ttl = 64;
  return r;
}

const uint8_t kRouter4[4] = {198, 18, 1, 254};
const uint8_t kDst4[4] = {198, 18, 0, 1};
const uint8_t kDst6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

Bytes echo4(unsigned id, unsigned seq, size_t n = 56) {
  return pb::icmp(IK__V4_ECHO_REQUEST, 0, id, seq, pb::pattern(n), true);
}
Bytes echo6(unsigned id, unsigned seq, size_t n = 56) {
  return pb::icmp(IK__V6_ECHO_REQUEST, 0, id, seq, pb::pattern(n), false);
}
Bytes reply4(unsigned id, unsigned seq, size_t n = 56) {
  return pb::icmp(IK__V4_ECHO_REPLY, 0, id, seq, pb::pattern(n), true);
}
Bytes reply6(unsigned id, unsigned seq, size_t n = 56) {
  return pb::icmp(IK__V6_ECHO_REPLY, 0, id, seq, pb::pattern(n), false);
}
Bytes from_router(const Bytes &icmp) {
  pb::V4 h;
  std::memcpy(h.src, kRouter4, 4);
  h.ttl = 250;
  return pb::ipv4(icmp, h);
}
// Overwrites the IPv4 total length the way macOS reports it: without the
// header, in host (little-endian) order.
Bytes macos_total_length(Bytes b) {
  size_t hlen = static_cast<size_t>(b[0] & 0x0f) * 4, v = b.size() - hlen;
  b[2] = static_cast<uint8_t>(v);
  b[3] = static_cast<uint8_t>(v >> 8);
  return b;
}

struct Sample {
  std::string name;
  Bytes bytes;
  int family, layout;
  size_t complete; // shortest prefix that still holds the id and sequence
  bool is_error;
  unsigned id, seq;
};

void PrintTo(const Sample &s, std::ostream *os) { *os << s.name; }

std::vector<Sample> samples() {
  std::vector<Sample> v;
  v.push_back({"v4_dgram_reply", reply4(0x1234, 7), 4, IK__LAYOUT_ICMP, 8, false, 0x1234, 7});
  v.push_back({"v4_dgram_reply_empty", reply4(0xfffe, 0xffff, 0), 4, IK__LAYOUT_ICMP, 8, false,
               0xfffe, 0xffff});
  for (int ihl = 5; ihl <= 15; ++ihl) {
    pb::V4 h;
    h.ihl = ihl;
    Bytes b = pb::ipv4(reply4(0x1234, 8), h);
    v.push_back({"v4_raw_reply_ihl" + std::to_string(ihl), b, 4, IK__LAYOUT_IP, b.size(), false,
                 0x1234, 8});
  }
  Bytes mac = macos_total_length(pb::ipv4(reply4(0x0102, 9)));
  v.push_back({"v4_macos_reply_host_order", mac, 4, IK__LAYOUT_IP, mac.size(), false, 0x0102, 9});
  pb::V4 opt;
  opt.ihl = 7;
  mac = macos_total_length(pb::ipv4(reply4(0x0102, 10, 300), opt));
  v.push_back({"v4_macos_reply_long_with_options", mac, 4, IK__LAYOUT_IP, mac.size(), false, 0x0102,
               10});
  v.push_back({"v6_reply", reply6(0xabcd, 1), 6, IK__LAYOUT_ICMP, 8, false, 0xabcd, 1});

  const int v4_errors[][2] = {{3, 1}, {4, 0}, {5, 1}, {11, 0}, {12, 0}};
  for (const auto &tc : v4_errors) {
    std::string name = "v4_error_" + std::to_string(tc[0]) + "_" + std::to_string(tc[1]);
    Bytes e = pb::icmp_error(tc[0], tc[1], pb::ipv4(echo4(0x1111, 3)), true);
    v.push_back({name + "_dgram", e, 4, IK__LAYOUT_ICMP, 8 + 20 + 8, true, 0x1111, 3});
    Bytes r = from_router(e);
    v.push_back({name + "_raw", r, 4, IK__LAYOUT_IP, r.size(), true, 0x1111, 3});
  }
  {
    pb::V4 h;
    h.ihl = 15;
    Bytes quote = pb::ipv4(echo4(0x2222, 4), h);
    quote.resize(60 + 8); // RFC 792: header + 64 bits of the original data
    Bytes e = pb::icmp_error(IK__V4_TIME_EXCEEDED, 0, quote, true);
    v.push_back({"v4_error_quoting_options_rfc792_cut", e, 4, IK__LAYOUT_ICMP, e.size(), true,
                 0x2222, 4});
    pb::V4 o;
    o.ihl = 9;
    Bytes r = pb::ipv4(e, o);
    v.push_back({"v4_raw_options_error_quoting_options", r, 4, IK__LAYOUT_IP, r.size(), true,
                 0x2222, 4});
  }
  const int v6_errors[][2] = {{1, 3}, {2, 0}, {3, 0}, {4, 1}};
  for (const auto &tc : v6_errors) {
    Bytes e = pb::icmp_error(tc[0], tc[1], pb::ipv6(58, echo6(0x3333, 5)), false);
    v.push_back({"v6_error_" + std::to_string(tc[0]) + "_" + std::to_string(tc[1]), e, 6,
                 IK__LAYOUT_ICMP, 8 + 40 + 8, true, 0x3333, 5});
  }
  struct Ext {
    const char *name;
    int first;
    Bytes headers;
  };
  const Ext exts[] = {
      {"hop_by_hop", 0, pb::ext(58, 0)},
      {"routing", 43, pb::ext(58, 1)},
      {"fragment", 44, pb::fragment(58, 0, true)},
      {"dest_options", 60, pb::ext(58, 2)},
      {"chain", 0,
       pb::cat(pb::cat(pb::cat(pb::ext(60, 0), pb::ext(43, 3)), pb::cat(pb::ext(44, 1),
                                                                        pb::fragment(60, 0, true))),
               pb::ext(58, 0))},
  };
  for (const auto &x : exts) {
    Bytes e = pb::icmp_error(IK__V6_TIME_EXCEEDED, 0,
                             pb::ipv6(x.first, pb::cat(x.headers, echo6(0x4444, 6))), false);
    v.push_back({std::string("v6_error_quoting_") + x.name, e, 6, IK__LAYOUT_ICMP,
                 8 + 40 + x.headers.size() + 8, true, 0x4444, 6});
  }
  return v;
}

class PacketSample : public ::testing::TestWithParam<Sample> {};

TEST_P(PacketSample, ParsesWhole) {
  const Sample &s = GetParam();
  ik__packet p;
  ASSERT_EQ(parse(s.bytes, s.family, s.layout, &p), 0) << ik_last_error();
  EXPECT_EQ(p.family, s.family);
  EXPECT_EQ(p.id, s.id);
  EXPECT_EQ(p.sequence, s.seq);
  EXPECT_EQ(p.is_error, s.is_error ? 1 : 0);
  EXPECT_EQ(p.is_echo_reply, s.is_error ? 0 : 1);
  EXPECT_EQ(p.checksum_ok, s.family == 4 ? 1 : -1);
  size_t ip_len = s.layout == IK__LAYOUT_IP ? static_cast<size_t>(s.bytes[0] & 0x0f) * 4 : 0;
  EXPECT_EQ(p.icmp_len, s.bytes.size() - ip_len);
  EXPECT_EQ(p.type, s.bytes[ip_len]);
  EXPECT_EQ(p.code, s.bytes[ip_len + 1]);
  if (s.is_error) {
    EXPECT_EQ(p.data, nullptr);
    ASSERT_EQ(p.quoted_dst.family, s.family);
    EXPECT_EQ(0, std::memcmp(p.quoted_dst.bytes, s.family == 4 ? kDst4 : kDst6,
                             s.family == 4 ? 4 : 16));
  } else {
    EXPECT_EQ(p.quoted_dst.family, 0);
    EXPECT_EQ(p.data_len, p.icmp_len - 8);
    EXPECT_EQ(p.data_len == 0 || std::memcmp(p.data, pb::pattern(p.data_len).data(), p.data_len) == 0,
              true);
  }
  if (s.layout == IK__LAYOUT_IP) {
    EXPECT_EQ(p.ttl, s.bytes[8]);
    ASSERT_EQ(p.ip_src.family, 4);
    EXPECT_EQ(0, std::memcmp(p.ip_src.bytes, &s.bytes[12], 4));
  } else {
    EXPECT_EQ(p.ttl, -1);
    EXPECT_EQ(p.ip_src.family, 0);
  }
}

// Cut short anywhere, a sample is ETRUNCATED while its id and sequence are
// incomplete. Past that: a leading IPv4 header's total length still shows
// the cut; without one an IPv4 checksum no longer verifies; IPv6 has no
// checksum to check here, and the shorter message is simply accepted (the
// payload comparison catches it).
TEST_P(PacketSample, EveryTruncationGivesItsExactError) {
  const Sample &s = GetParam();
  for (size_t len = 0; len < s.bytes.size(); ++len) {
    Bytes cut(s.bytes.begin(), s.bytes.begin() + static_cast<std::ptrdiff_t>(len));
    ik__packet p;
    int expected = IK_ETRUNCATED;
    if (len >= s.complete) expected = s.family == 6 ? IK_OK : IK_ECHECKSUM;
    ASSERT_EQ(parse(cut, s.family, s.layout, &p), expected)
        << "cut at " << len << " of " << s.bytes.size() << ": " << ik_last_error();
    if (expected != IK_ETRUNCATED) {
      EXPECT_EQ(p.id, s.id);
      EXPECT_EQ(p.sequence, s.seq);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Codec, PacketSample, ::testing::ValuesIn(samples()),
                         [](const ::testing::TestParamInfo<Sample> &i) { return i.param.name; });

// ---- checksum ----

TEST(Checksum, Rfc1071WorkedExample) {
  // RFC 1071 section 3: these bytes sum to ddf2, so the checksum is 220d.
  const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(ik__checksum(b, sizeof b), 0x220d);
}

TEST(Checksum, OddLengthPadsTheLastByteWithZero) {
  const uint8_t b[] = {0x00, 0x01, 0xf2};
  EXPECT_EQ(ik__checksum(b, 3), 0x0dfe); // ~(0x0001 + 0xf200)
  const uint8_t one = 0xab;
  EXPECT_EQ(ik__checksum(&one, 1), 0x54ff); // ~0xab00
}

TEST(Checksum, EmptyInputIsAllOnes) { EXPECT_EQ(ik__checksum(nullptr, 0), 0xffff); }

TEST(Checksum, CarryWrapsAround) {
  const uint8_t b[] = {0xff, 0xff, 0x00, 0x01};
  EXPECT_EQ(ik__checksum(b, sizeof b), 0xfffe); // 0xffff + 1 = 0x1_0000 -> 0x0001
}

TEST(Checksum, EchoRequestHeaderKnownValue) {
  const uint8_t b[] = {0x08, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01};
  EXPECT_EQ(ik__checksum(b, sizeof b), 0xf7fd);
}

TEST(Checksum, MessageHoldingItsChecksumSumsToZero) {
  Bytes m = reply4(0x1234, 77, 33);
  EXPECT_EQ(ik__checksum(m.data(), m.size()), 0);
}

TEST(Checksum, LongInputsDoNotOverflow) {
  Bytes ff(65535, 0xff); // 32767 words of ffff (= -0) and ff00
  EXPECT_EQ(ik__checksum(ff.data(), ff.size()), 0x00ff);
  Bytes big(1 << 20, 0xff);
  EXPECT_EQ(ik__checksum(big.data(), big.size()), 0x0000);
}

TEST(Checksum, AgreesWithByteWiseReferenceAtEveryLengthAndAlignment) {
  Bytes data(301);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 37 + 11);
  for (size_t start = 0; start < 2; ++start)
    for (size_t len = 0; start + len <= data.size(); ++len) {
      Bytes part(data.begin() + static_cast<std::ptrdiff_t>(start),
                 data.begin() + static_cast<std::ptrdiff_t>(start + len));
      ASSERT_EQ(ik__checksum(&data[start], len), pb::ref_checksum(part))
          << "start " << start << " len " << len;
    }
}

// ---- building ----

TEST(BuildEcho, V4BytesAndChecksumAreExact) {
  ik_request r = make_request(IK_AF_INET, 7);
  r.payload = "abc";
  r.payload_size = 3;
  uint8_t buf[16];
  size_t len = 0;
  ASSERT_EQ(ik__build_echo(&r, 0x1234, buf, sizeof buf, &len), 0);
  // Sum 0800 + 1234 + 0007 + 6162 + 6300 = de9d, complement 2162.
  const uint8_t want[] = {8, 0, 0x21, 0x62, 0x12, 0x34, 0x00, 0x07, 'a', 'b', 'c'};
  ASSERT_EQ(len, sizeof want);
  EXPECT_EQ(0, std::memcmp(buf, want, len));
}

TEST(BuildEcho, V6LeavesTheChecksumToTheKernel) {
  ik_request r = make_request(IK_AF_INET6, 0xbeef);
  r.payload = "xy";
  r.payload_size = 2;
  uint8_t buf[16];
  size_t len = 0;
  ASSERT_EQ(ik__build_echo(&r, 0xcafe, buf, sizeof buf, &len), 0);
  const uint8_t want[] = {128, 0, 0, 0, 0xca, 0xfe, 0xbe, 0xef, 'x', 'y'};
  ASSERT_EQ(len, sizeof want);
  EXPECT_EQ(0, std::memcmp(buf, want, len));
}

TEST(BuildEcho, UsesTheIdArgumentNotTheRequestId) {
  ik_request r = make_request(IK_AF_INET, 1);
  uint8_t buf[64];
  size_t len = 0;
  ASSERT_EQ(ik__build_echo(&r, 0x0a0b, buf, sizeof buf, &len), 0);
  EXPECT_EQ(buf[4], 0x0a);
  EXPECT_EQ(buf[5], 0x0b);
}

TEST(BuildEcho, GeneratedPayloadComesFromTheSeed) {
  ik_request r = make_request(IK_AF_INET, 1);
  uint8_t buf[64], expected[56];
  size_t len = 0;
  ASSERT_EQ(ik__echo_size(&r), 64u);
  ASSERT_EQ(ik__build_echo(&r, r.id, buf, sizeof buf, &len), 0);
  ASSERT_EQ(len, 64u);
  ik__payload_fill(r.payload_seed, expected, sizeof expected);
  EXPECT_EQ(0, std::memcmp(buf + 8, expected, sizeof expected));
  EXPECT_EQ(ik__checksum(buf, len), 0);
}

TEST(BuildEcho, EmptyPayloadIsAnEightByteHeader) {
  ik_request r = make_request(IK_AF_INET, 1);
  r.payload_size = 0;
  uint8_t buf[8];
  size_t len = 0;
  ASSERT_EQ(ik__build_echo(&r, 1, buf, sizeof buf, &len), 0);
  EXPECT_EQ(len, 8u);
  EXPECT_EQ(ik__checksum(buf, len), 0);
}

TEST(BuildEcho, TooSmallBufferIsNoSpaceAndReportsTheSizeNeeded) {
  ik_request r = make_request(IK_AF_INET, 1);
  uint8_t buf[63];
  size_t len = 0;
  EXPECT_EQ(ik__build_echo(&r, 1, buf, sizeof buf, &len), IK_ENOSPACE);
  EXPECT_EQ(len, 64u);
}

TEST(BuildEcho, RejectsInvalidArguments) {
  ik_request r = make_request(IK_AF_INET, 1);
  uint8_t buf[64];
  size_t len = 0;
  EXPECT_EQ(ik__build_echo(nullptr, 1, buf, sizeof buf, &len), IK_EINVAL);
  EXPECT_EQ(ik__build_echo(&r, 1, nullptr, sizeof buf, &len), IK_EINVAL);
  EXPECT_EQ(ik__build_echo(&r, 1, buf, sizeof buf, nullptr), IK_EINVAL);
  r.destination.family = 0;
  EXPECT_EQ(ik__build_echo(&r, 1, buf, sizeof buf, &len), IK_EINVAL);
  r = make_request(IK_AF_INET, 1);
  r.payload_size = IK_MAX_PAYLOAD_SIZE + 1;
  EXPECT_EQ(ik__build_echo(&r, 1, buf, sizeof buf, &len), IK_EINVAL);
}

TEST(BuildEcho, MaximumPayloadFits) {
  ik_request r = make_request(IK_AF_INET, 1);
  r.payload_size = IK_MAX_PAYLOAD_SIZE;
  Bytes buf(8 + IK_MAX_PAYLOAD_SIZE);
  size_t len = 0;
  ASSERT_EQ(ik__build_echo(&r, 1, buf.data(), buf.size(), &len), 0);
  EXPECT_EQ(len, buf.size());
  EXPECT_EQ(ik__checksum(buf.data(), len), 0);
}

TEST(BuildEcho, EchoSizeOfNullIsZero) { EXPECT_EQ(ik__echo_size(nullptr), 0u); }

// A built request turned into the reply a host sends parses back to the
// same id, sequence and payload, in both families.
TEST(BuildEcho, RoundTripsThroughTheParserAsAReply) {
  for (int family : {IK_AF_INET, IK_AF_INET6}) {
    ik_request r = make_request(family, 0x0102);
    uint8_t buf[64];
    size_t len = 0;
    ASSERT_EQ(ik__build_echo(&r, 0x0304, buf, sizeof buf, &len), 0);
    Bytes reply(buf, buf + len);
    reply[0] = family == IK_AF_INET ? IK__V4_ECHO_REPLY : IK__V6_ECHO_REPLY;
    if (family == IK_AF_INET) {
      pb::put16(reply, 2, 0);
      pb::put16(reply, 2, pb::ref_checksum(reply));
    }
    ik__packet p;
    ASSERT_EQ(parse(reply, family, IK__LAYOUT_ICMP, &p), 0) << ik_last_error();
    EXPECT_EQ(p.id, 0x0304);
    EXPECT_EQ(p.sequence, 0x0102);
    EXPECT_TRUE(ik__payload_matches(&r, p.data, p.data_len));
  }
}

// ---- payload comparison ----

TEST(PayloadMatches, ExplicitPayloadMustBeIdentical) {
  ik_request r = make_request(IK_AF_INET, 1);
  const uint8_t sent[] = {1, 2, 3, 4};
  r.payload = sent;
  r.payload_size = sizeof sent;
  const uint8_t same[] = {1, 2, 3, 4}, changed[] = {1, 2, 3, 5}, shorter[] = {1, 2, 3};
  EXPECT_TRUE(ik__payload_matches(&r, same, sizeof same));
  EXPECT_FALSE(ik__payload_matches(&r, changed, sizeof changed));
  EXPECT_FALSE(ik__payload_matches(&r, shorter, sizeof shorter));
}

TEST(PayloadMatches, GeneratedPayloadOfAnySizeIsRecognised) {
  for (size_t n : {size_t(1), size_t(56), size_t(1024), size_t(1025), size_t(IK_MAX_PAYLOAD_SIZE)}) {
    ik_request r = make_request(IK_AF_INET, 1);
    r.payload_size = n;
    Bytes echoed(n);
    ik__payload_fill(r.payload_seed, echoed.data(), n);
    EXPECT_TRUE(ik__payload_matches(&r, echoed.data(), n)) << n;
    echoed[n - 1] ^= 1;
    EXPECT_FALSE(ik__payload_matches(&r, echoed.data(), n)) << n;
    r.payload_seed ^= 1;
    echoed[n - 1] ^= 1;
    EXPECT_FALSE(ik__payload_matches(&r, echoed.data(), n)) << n;
  }
}

TEST(PayloadMatches, EmptyPayloadMatchesOnlyEmptyData) {
  ik_request r = make_request(IK_AF_INET, 1);
  r.payload_size = 0;
  const uint8_t one = 0;
  EXPECT_TRUE(ik__payload_matches(&r, nullptr, 0));
  EXPECT_FALSE(ik__payload_matches(&r, &one, 1));
  EXPECT_FALSE(ik__payload_matches(nullptr, &one, 1));
}

// ---- the leading IPv4 header ----

TEST(ParseIpv4Header, VersionOtherThanFourIsMalformed) {
  for (int version = 0; version < 16; ++version) {
    if (version == 4) continue;
    pb::V4 h;
    h.version = version;
    ik__packet p;
    EXPECT_EQ(parse(pb::ipv4(reply4(1, 1), h), 4, IK__LAYOUT_IP, &p), IK_EMALFORMED) << version;
  }
}

TEST(ParseIpv4Header, HeaderLengthBelowFiveWordsIsMalformed) {
  for (int ihl = 0; ihl < 5; ++ihl) {
    Bytes b = pb::ipv4(reply4(1, 1));
    b[0] = static_cast<uint8_t>(0x40 | ihl);
    ik__packet p;
    EXPECT_EQ(parse(b, 4, IK__LAYOUT_IP, &p), IK_EMALFORMED) << ihl;
  }
}

TEST(ParseIpv4Header, HeaderLengthBeyondTheBufferIsTruncated) {
  Bytes b = pb::ipv4(Bytes(20, 0)); // 40 bytes
  b[0] = 0x4f;                      // claims 60
  ik__packet p;
  EXPECT_EQ(parse(b, 4, IK__LAYOUT_IP, &p), IK_ETRUNCATED);
}

TEST(ParseIpv4Header, TotalLengthAboveTheBufferIsTruncated) {
  Bytes b = pb::ipv4(reply4(1, 1));
  pb::put16(b, 2, static_cast<unsigned>(b.size() + 1));
  ik__packet p;
  EXPECT_EQ(parse(b, 4, IK__LAYOUT_IP, &p), IK_ETRUNCATED);
  pb::put16(b, 2, 0xffff);
  EXPECT_EQ(parse(b, 4, IK__LAYOUT_IP, &p), IK_ETRUNCATED);
}

TEST(ParseIpv4Header, TotalLengthBelowTheBufferIsMalformed) {
  Bytes b = pb::ipv4(reply4(1, 1)); // 84 bytes
  ik__packet p;
  for (unsigned lie : {0u, 10u, 19u, 20u, 28u, 83u}) {
    pb::put16(b, 2, lie);
    EXPECT_EQ(parse(b, 4, IK__LAYOUT_IP, &p), IK_EMALFORMED) << lie;
  }
}

TEST(ParseIpv4Header, ProtocolOtherThanIcmpIsMalformed) {
  pb::V4 h;
  h.protocol = 17;
  ik__packet p;
  EXPECT_EQ(parse(pb::ipv4(reply4(1, 1), h), 4, IK__LAYOUT_IP, &p), IK_EMALFORMED);
}

TEST(ParseIpv4Header, RecordsTtlAndSource) {
  ik__packet p;
  ASSERT_EQ(parse(from_router(reply4(5, 6)), 4, IK__LAYOUT_IP, &p), 0);
  EXPECT_EQ(p.ttl, 250);
  EXPECT_EQ(p.ip_src.family, 4);
  EXPECT_EQ(0, std::memcmp(p.ip_src.bytes, kRouter4, 4));
}

// ---- message types ----

TEST(ParseType, EchoRequestsAreUnrelatedWithTypeSet) {
  ik__packet p;
  EXPECT_EQ(parse(echo4(1, 1), 4, IK__LAYOUT_ICMP, &p), IK_EUNRELATED);
  EXPECT_EQ(p.type, IK__V4_ECHO_REQUEST);
  EXPECT_EQ(parse(pb::ipv4(echo4(1, 1)), 4, IK__LAYOUT_IP, &p), IK_EUNRELATED);
  EXPECT_EQ(p.type, IK__V4_ECHO_REQUEST);
  EXPECT_EQ(parse(echo6(1, 1), 6, IK__LAYOUT_ICMP, &p), IK_EUNRELATED);
  EXPECT_EQ(p.type, IK__V6_ECHO_REQUEST);
}

TEST(ParseType, OtherTypesAreUnrelatedWithTypeAndCodeSet) {
  const int v4[][2] = {{13, 0}, {14, 0}, {9, 0}, {255, 7}, {129, 0}};
  const int v6[][2] = {{133, 0}, {134, 0}, {135, 0}, {136, 0}, {143, 0}, {0, 0}, {5, 2}, {8, 0}};
  ik__packet p;
  for (const auto &t : v4) {
    EXPECT_EQ(parse(pb::icmp(t[0], t[1], 1, 1, pb::pattern(24), true), 4, IK__LAYOUT_ICMP, &p),
              IK_EUNRELATED)
        << t[0];
    EXPECT_EQ(p.type, t[0]);
    EXPECT_EQ(p.code, t[1]);
  }
  for (const auto &t : v6) {
    EXPECT_EQ(parse(pb::icmp(t[0], t[1], 1, 1, pb::pattern(24), false), 6, IK__LAYOUT_ICMP, &p),
              IK_EUNRELATED)
        << t[0];
    EXPECT_EQ(p.type, t[0]);
    EXPECT_EQ(p.code, t[1]);
  }
}

TEST(ParseType, ShortMessageStillReportsTypeAndCode) {
  ik__packet p;
  EXPECT_EQ(parse(Bytes{3, 1, 0, 0}, 4, IK__LAYOUT_ICMP, &p), IK_ETRUNCATED);
  EXPECT_EQ(p.type, 3);
  EXPECT_EQ(p.code, 1);
}

// ---- checksums of received messages ----

TEST(ParseChecksum, BadV4EchoReplyChecksumIsReportedWithThePacketFilled) {
  Bytes b = reply4(0x1234, 9);
  b[3] ^= 0x01;
  ik__packet p;
  EXPECT_EQ(parse(b, 4, IK__LAYOUT_ICMP, &p), IK_ECHECKSUM);
  EXPECT_EQ(p.checksum_ok, 0);
  EXPECT_EQ(p.is_echo_reply, 1);
  EXPECT_EQ(p.id, 0x1234);
  EXPECT_EQ(p.sequence, 9);
  EXPECT_EQ(p.data_len, 56u);
}

TEST(ParseChecksum, AlteredPayloadOnRawV4IsCaught) {
  Bytes b = pb::ipv4(reply4(0x1234, 9));
  b[40] ^= 0x80;
  ik__packet p;
  EXPECT_EQ(parse(b, 4, IK__LAYOUT_IP, &p), IK_ECHECKSUM);
  EXPECT_EQ(p.checksum_ok, 0);
}

TEST(ParseChecksum, BadV4ErrorChecksumIsReportedWithTheQuoteParsed) {
  Bytes b = pb::icmp_error(IK__V4_DEST_UNREACH, 3, pb::ipv4(echo4(0x55, 0x66)), true);
  b[2] ^= 0xff;
  ik__packet p;
  EXPECT_EQ(parse(b, 4, IK__LAYOUT_ICMP, &p), IK_ECHECKSUM);
  EXPECT_EQ(p.is_error, 1);
  EXPECT_EQ(p.id, 0x55);
  EXPECT_EQ(p.sequence, 0x66);
  EXPECT_EQ(p.quoted_dst.family, 4);
}

// XNU's icmp_input swaps the quoted ip_len to host order after checking
// the checksum (bsd/netinet/ip_icmp.c, NTOHS(icp->icmp_ip.ip_len)).
Bytes swap_quoted_length(Bytes icmp) {
  std::swap(icmp[8 + 2], icmp[8 + 3]);
  return icmp;
}

TEST(ParseChecksum, BsdKernelFlagAcceptsAnErrorWhoseQuotedLengthTheKernelSwapped) {
  Bytes b = swap_quoted_length(
      pb::icmp_error(IK__V4_TIME_EXCEEDED, 0, pb::ipv4(echo4(0x77, 0x88)), true));
  ik__packet p;
  ASSERT_EQ(parse(b, 4, IK__LAYOUT_ICMP | IK__PARSE_BSD_KERNEL, &p), 0);
  EXPECT_EQ(p.checksum_ok, 1);
  EXPECT_EQ(p.id, 0x77);
  EXPECT_EQ(p.sequence, 0x88);
  Bytes raw = macos_total_length(from_router(b));
  ASSERT_EQ(parse(raw, 4, IK__LAYOUT_IP | IK__PARSE_BSD_KERNEL, &p), 0);
  EXPECT_EQ(p.checksum_ok, 1);
}

TEST(ParseChecksum, WithoutTheBsdKernelFlagASwappedQuotedLengthIsABadChecksum) {
  Bytes b = swap_quoted_length(
      pb::icmp_error(IK__V4_TIME_EXCEEDED, 0, pb::ipv4(echo4(0x77, 0x88)), true));
  ik__packet p;
  EXPECT_EQ(parse(b, 4, IK__LAYOUT_ICMP, &p), IK_ECHECKSUM);
  EXPECT_EQ(p.checksum_ok, 0);
}

TEST(ParseChecksum, BsdKernelFlagStillRejectsAnyOtherDamage) {
  Bytes e = pb::icmp_error(IK__V4_DEST_UNREACH, 1, pb::ipv4(echo4(0x77, 0x88)), true);
  ik__packet p;
  for (size_t i = 0; i < e.size(); ++i) {
    if (i == 8 + 2 || i == 8 + 3) continue; // the swapped field itself
    Bytes b = swap_quoted_length(e);
    b[i] ^= 0x04;
    int err = parse(b, 4, IK__LAYOUT_ICMP | IK__PARSE_BSD_KERNEL, &p);
    EXPECT_NE(err, 0) << "byte " << i << " altered";
  }
  Bytes reply = reply4(0x1234, 9);
  std::swap(reply[10], reply[11]); // an echo reply has no quote to swap back
  EXPECT_EQ(parse(reply, 4, IK__LAYOUT_ICMP | IK__PARSE_BSD_KERNEL, &p), IK_ECHECKSUM);
}

TEST(ParseIpv4Header, BsdKernelFlagAcceptsFreeBsd10HostOrderLengthWithTheHeader) {
  Bytes b = pb::ipv4(reply4(0x1234, 9));
  std::swap(b[2], b[3]); // FreeBSD 10: host order, header included
  ik__packet p;
  EXPECT_EQ(parse(b, 4, IK__LAYOUT_IP | IK__PARSE_BSD_KERNEL, &p), 0);
  EXPECT_EQ(parse(b, 4, IK__LAYOUT_IP, &p), IK_ETRUNCATED); // 0x5400 read in network order
}

TEST(ParseChecksum, UnrelatedTypeWithBadChecksumIsUnrelated) {
  Bytes b = pb::icmp(13, 0, 1, 1, pb::pattern(12), true);
  b[2] ^= 0xff;
  ik__packet p;
  EXPECT_EQ(parse(b, 4, IK__LAYOUT_ICMP, &p), IK_EUNRELATED);
  EXPECT_EQ(p.checksum_ok, 0);
}

TEST(ParseChecksum, V6ChecksumIsLeftToTheKernel) {
  Bytes b = reply6(1, 2);
  b[2] = 0xde;
  b[3] = 0xad;
  ik__packet p;
  EXPECT_EQ(parse(b, 6, IK__LAYOUT_ICMP, &p), 0);
  EXPECT_EQ(p.checksum_ok, -1);
}

// ---- quoted datagrams ----

Bytes v4_error_quoting(const Bytes &quote) {
  return pb::icmp_error(IK__V4_DEST_UNREACH, 1, quote, true);
}
Bytes v6_error_quoting(const Bytes &quote) {
  return pb::icmp_error(IK__V6_DEST_UNREACH, 3, quote, false);
}

TEST(ParseQuote, QuoteOfAnotherProtocolIsUnrelated) {
  pb::V4 h;
  h.protocol = 17; // say, a UDP probe whose first bytes happen to look like an echo request
  ik__packet p;
  EXPECT_EQ(parse(v4_error_quoting(pb::ipv4(echo4(1, 1), h)), 4, IK__LAYOUT_ICMP, &p),
            IK_EUNRELATED);
  EXPECT_EQ(p.type, IK__V4_DEST_UNREACH);
  for (int next : {6, 17, 59, 51}) {
    EXPECT_EQ(parse(v6_error_quoting(pb::ipv6(next, echo6(1, 1))), 6, IK__LAYOUT_ICMP, &p),
              IK_EUNRELATED)
        << next;
  }
}

TEST(ParseQuote, QuoteOfAnIcmpMessageOtherThanEchoRequestIsUnrelated) {
  ik__packet p;
  EXPECT_EQ(parse(v4_error_quoting(pb::ipv4(reply4(1, 1))), 4, IK__LAYOUT_ICMP, &p),
            IK_EUNRELATED);
  EXPECT_EQ(parse(v4_error_quoting(pb::ipv4(pb::icmp(13, 0, 1, 1, Bytes(12), true))), 4,
                  IK__LAYOUT_ICMP, &p),
            IK_EUNRELATED);
  EXPECT_EQ(parse(v6_error_quoting(pb::ipv6(58, reply6(1, 1))), 6, IK__LAYOUT_ICMP, &p),
            IK_EUNRELATED);
}

TEST(ParseQuote, QuoteOfTheOtherFamilysEchoTypeIsUnrelated) {
  ik__packet p;
  EXPECT_EQ(parse(v4_error_quoting(pb::ipv4(pb::icmp(128, 0, 1, 1, Bytes(8), true))), 4,
                  IK__LAYOUT_ICMP, &p),
            IK_EUNRELATED);
  EXPECT_EQ(parse(v6_error_quoting(pb::ipv6(58, echo4(1, 1))), 6, IK__LAYOUT_ICMP, &p),
            IK_EUNRELATED);
}

TEST(ParseQuote, QuoteOfTheOtherIpVersionIsMalformed) {
  ik__packet p;
  EXPECT_EQ(parse(v4_error_quoting(pb::ipv6(58, echo6(1, 1))), 4, IK__LAYOUT_ICMP, &p),
            IK_EMALFORMED);
  EXPECT_EQ(parse(v6_error_quoting(pb::ipv4(echo4(1, 1))), 6, IK__LAYOUT_ICMP, &p),
            IK_EMALFORMED);
}

TEST(ParseQuote, QuotedHeaderLengthBelowFiveWordsIsMalformed) {
  Bytes quote = pb::ipv4(echo4(1, 1));
  quote[0] = 0x44;
  ik__packet p;
  EXPECT_EQ(parse(v4_error_quoting(quote), 4, IK__LAYOUT_ICMP, &p), IK_EMALFORMED);
}

TEST(ParseQuote, QuotedHeaderLengthBeyondTheQuoteIsTruncated) {
  Bytes quote = pb::ipv4(echo4(1, 1, 0)); // 28 bytes
  quote[0] = 0x48;                        // claims a 32-byte header
  ik__packet p;
  EXPECT_EQ(parse(v4_error_quoting(quote), 4, IK__LAYOUT_ICMP, &p), IK_ETRUNCATED);
}

TEST(ParseQuote, QuoteOfANonFirstFragmentIsUnrelated) {
  pb::V4 h;
  h.frag = 185; // offset 1480 bytes: no ICMP header in here
  ik__packet p;
  EXPECT_EQ(parse(v4_error_quoting(pb::ipv4(echo4(1, 1), h)), 4, IK__LAYOUT_ICMP, &p),
            IK_EUNRELATED);
  h.frag = 0x2000; // more fragments, offset 0: the first fragment
  EXPECT_EQ(parse(v4_error_quoting(pb::ipv4(echo4(1, 1), h)), 4, IK__LAYOUT_ICMP, &p), 0);
  EXPECT_EQ(parse(v6_error_quoting(pb::ipv6(44, pb::cat(pb::fragment(58, 185, false), echo6(1, 1)))),
                  6, IK__LAYOUT_ICMP, &p),
            IK_EUNRELATED);
}

TEST(ParseQuote, ExtensionHeaderLongerThanTheQuoteIsTruncated) {
  Bytes hbh = pb::ext(58, 0);
  hbh[1] = 200; // claims 1608 bytes
  ik__packet p;
  EXPECT_EQ(parse(v6_error_quoting(pb::ipv6(0, pb::cat(hbh, echo6(1, 1)))), 6, IK__LAYOUT_ICMP, &p),
            IK_ETRUNCATED);
}

Bytes chain_of(int headers) {
  Bytes chain;
  for (int i = 0; i < headers; ++i) chain = pb::cat(chain, pb::ext(i + 1 < headers ? 60 : 58, 0));
  return pb::ipv6(60, pb::cat(chain, echo6(0x77, 0x88)));
}

TEST(ParseQuote, SixteenExtensionHeadersAreWalked) {
  ik__packet p;
  ASSERT_EQ(parse(v6_error_quoting(chain_of(16)), 6, IK__LAYOUT_ICMP, &p), 0) << ik_last_error();
  EXPECT_EQ(p.id, 0x77);
  EXPECT_EQ(p.sequence, 0x88);
}

TEST(ParseQuote, MoreThanSixteenExtensionHeadersAreMalformed) {
  ik__packet p;
  EXPECT_EQ(parse(v6_error_quoting(chain_of(17)), 6, IK__LAYOUT_ICMP, &p), IK_EMALFORMED);
}

TEST(ParseQuote, QuotedDestinationIsTheQuotedHeadersDestination) {
  pb::V6 h;
  h.dst[15] = 0x99;
  ik__packet p;
  ASSERT_EQ(parse(v6_error_quoting(pb::ipv6(58, echo6(1, 1), h)), 6, IK__LAYOUT_ICMP, &p), 0);
  EXPECT_EQ(p.quoted_dst.family, 6);
  EXPECT_EQ(0, std::memcmp(p.quoted_dst.bytes, h.dst, 16));
  pb::V4 h4;
  h4.dst[3] = 0x99;
  ASSERT_EQ(parse(v4_error_quoting(pb::ipv4(echo4(1, 1), h4)), 4, IK__LAYOUT_ICMP, &p), 0);
  EXPECT_EQ(0, std::memcmp(p.quoted_dst.bytes, h4.dst, 4));
}

// ---- arguments ----

TEST(ParseArguments, InvalidArgumentsAreRejected) {
  Bytes b = reply4(1, 1);
  ik__packet p;
  EXPECT_EQ(ik__parse(b.data(), b.size(), 4, IK__LAYOUT_ICMP, nullptr), IK_EINVAL);
  EXPECT_EQ(ik__parse(nullptr, 8, 4, IK__LAYOUT_ICMP, &p), IK_EINVAL);
  EXPECT_EQ(ik__parse(b.data(), b.size(), 5, IK__LAYOUT_ICMP, &p), IK_EINVAL);
  EXPECT_EQ(ik__parse(b.data(), b.size(), 4, 2, &p), IK_EINVAL);
  // No IPv6 socket hands over the IPv6 header.
  EXPECT_EQ(ik__parse(b.data(), b.size(), 6, IK__LAYOUT_IP, &p), IK_EINVAL);
}

TEST(ParseArguments, EmptyBufferIsTruncated) {
  ik__packet p;
  EXPECT_EQ(ik__parse(nullptr, 0, 4, IK__LAYOUT_ICMP, &p), IK_ETRUNCATED);
  EXPECT_EQ(ik__parse(nullptr, 0, 4, IK__LAYOUT_IP, &p), IK_ETRUNCATED);
  EXPECT_EQ(ik__parse(nullptr, 0, 6, IK__LAYOUT_ICMP, &p), IK_ETRUNCATED);
}

// ---- the thread's error detail ----

// Rejecting a packet is routine (a raw socket sees every ICMP message of the
// host): the codec returns its code and leaves ik_last_error() to the public
// call that fails, so a flood of junk costs no formatting.
TEST(CodecDetail, RejectionsLeaveTheErrorDetailAlone) {
  ik__fail(IK_ETIMEOUT, "marker");
  Bytes bad_sum = reply4(1, 1);
  bad_sum[3] ^= 0x01;
  Bytes short_ihl = pb::ipv4(reply4(1, 1));
  short_ihl[0] = 0x44;
  Bytes quote_of_udp = pb::icmp_error(IK__V4_DEST_UNREACH, 3, Bytes(28, 0x45), true);
  ik__packet p;
  EXPECT_EQ(parse(bad_sum, 4, IK__LAYOUT_ICMP, &p), IK_ECHECKSUM);
  EXPECT_EQ(parse(short_ihl, 4, IK__LAYOUT_IP, &p), IK_EMALFORMED);
  EXPECT_EQ(parse(Bytes{3, 1, 0, 0}, 4, IK__LAYOUT_ICMP, &p), IK_ETRUNCATED);
  EXPECT_EQ(parse(echo6(1, 1), 6, IK__LAYOUT_ICMP, &p), IK_EUNRELATED);
  EXPECT_NE(parse(quote_of_udp, 4, IK__LAYOUT_ICMP, &p), 0);
  EXPECT_EQ(ik__parse(nullptr, 8, 4, IK__LAYOUT_ICMP, &p), IK_EINVAL);
  ik_request r = make_request(IK_AF_INET, 1);
  uint8_t buf[16];
  size_t len = 0;
  EXPECT_EQ(ik__build_echo(&r, 1, buf, sizeof buf, &len), IK_ENOSPACE);
  EXPECT_STREQ(ik_last_error(), "marker");
}

} // namespace
