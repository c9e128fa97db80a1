#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>

extern "C" {
#include "backend.h"
}

namespace {

// Parses then formats; "ERR:<name>" on failure.
std::string canonical(const std::string &text) {
  ik_address a;
  int err = ik_address_parse(text.c_str(), &a);
  if (err != 0) return std::string("ERR:") + ik_err_name(err);
  char buf[IK_ADDRSTRLEN];
  err = ik_address_format(&a, buf, sizeof buf);
  if (err != 0) return std::string("FORMAT:") + ik_err_name(err);
  return buf;
}

bool contains(const char *haystack, const std::string &needle) {
  return std::strstr(haystack, needle.c_str()) != nullptr;
}

// Name of some interface of this machine, "" when none can be named.
std::string some_interface(uint32_t *index) {
  char name[IK_ADDRSTRLEN];
  for (uint32_t i = 1; i < 64; i++) {
    if (ik__if_name(i, name, sizeof name) == 0) {
      *index = i;
      return name;
    }
  }
  return "";
}

}  // namespace

TEST(AddressParse, DottedQuad) {
  ik_address a;
  ASSERT_EQ(ik_address_parse("192.0.2.10", &a), IK_OK);
  EXPECT_EQ(a.family, IK_AF_INET);
  EXPECT_EQ(a.bytes[0], 192);
  EXPECT_EQ(a.bytes[1], 0);
  EXPECT_EQ(a.bytes[2], 2);
  EXPECT_EQ(a.bytes[3], 10);
  EXPECT_EQ(a.scope_id, 0u);
}

TEST(AddressParse, Ipv4Extremes) {
  EXPECT_EQ(canonical("0.0.0.0"), "0.0.0.0");
  EXPECT_EQ(canonical("255.255.255.255"), "255.255.255.255");
}

TEST(AddressParse, Ipv4RejectsWhatInetPtonRejects) {
  for (const char *bad : {"", " ", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.", ".1.2.3", "256.1.1.1",
                          "1.2.3.256", "1234.1.1.1", "01.2.3.4", "1.2.3.00", "1.2.3.4 ", " 1.2.3.4",
                          "1.2.3.4a", "1.2.3.-4", "+1.2.3.4", "0x7f.0.0.1", "1,2,3,4", "1.2.3.4/24"}) {
    EXPECT_EQ(canonical(bad), "ERR:IK_EADDRFORMAT") << "'" << bad << "'";
  }
}

TEST(AddressParse, MalformedMessageQuotesTheText) {
  ik_address a;
  ASSERT_EQ(ik_address_parse("01.2.3.4", &a), IK_EADDRFORMAT);
  EXPECT_TRUE(contains(ik_last_error(), "'01.2.3.4'")) << ik_last_error();
  EXPECT_TRUE(contains(ik_last_error(), "leading zero")) << ik_last_error();
  ASSERT_EQ(ik_address_parse("0001.2.3.4", &a), IK_EADDRFORMAT);
  EXPECT_TRUE(contains(ik_last_error(), "leading zero")) << ik_last_error();
  ASSERT_EQ(ik_address_parse("256.1.1.1", &a), IK_EADDRFORMAT);
  EXPECT_TRUE(contains(ik_last_error(), "larger than 255")) << ik_last_error();
}

TEST(AddressParse, VeryLongInputIsRefusedAndTheMessageStaysShort) {
  std::string digits(10000, '1');
  std::string colons(10000, ':');
  std::string groups;
  for (int i = 0; i < 2000; i++) groups += "abcd:";
  for (const std::string &s : {digits, colons, groups, digits + ".1.1.1"}) {
    ik_address a;
    EXPECT_EQ(ik_address_parse(s.c_str(), &a), IK_EADDRFORMAT);
    EXPECT_LT(std::strlen(ik_last_error()), 300u);
    EXPECT_TRUE(contains(ik_last_error(), "...")) << ik_last_error();
  }
}

TEST(AddressParse, Ipv6Basic) {
  ik_address a;
  ASSERT_EQ(ik_address_parse("2001:db8::2:1", &a), IK_OK);
  EXPECT_EQ(a.family, IK_AF_INET6);
  const uint8_t want[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1};
  EXPECT_EQ(std::memcmp(a.bytes, want, 16), 0);
  EXPECT_EQ(a.scope_id, 0u);
}

TEST(AddressParse, Ipv6WithEmbeddedIpv4Tail) {
  EXPECT_EQ(canonical("::1.2.3.4"), "::102:304");
  EXPECT_EQ(canonical("64:ff9b::192.0.2.33"), "64:ff9b::c000:221");
  EXPECT_EQ(canonical("1:2:3:4:5:6:1.2.3.4"), "1:2:3:4:5:6:102:304");
}

TEST(AddressParse, Ipv6RejectsMalformedText) {
  for (const char *bad : {":", ":::", "1:", ":1", "1:2", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9",
                          "1::2::3", "::1::", "12345::", "g::", "1:2:3:4:5:6:7::8", "::1:2:3:4:5:6:7:8",
                          "1::2:", "::1.2.3", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4", "::01.2.3.4",
                          "::256.1.1.1", "1:2:3:4:5:6:7:8 ", " ::1", "[::1]", "::1/128", "1.2.3.4::"}) {
    EXPECT_EQ(canonical(bad), "ERR:IK_EADDRFORMAT") << "'" << bad << "'";
  }
}

TEST(AddressParse, Ipv4MappedIsRefusedWithAdviceToUseIpv4) {
  ik_address a;
  ASSERT_EQ(ik_address_parse("::ffff:1.2.3.4", &a), IK_EADDRFORMAT);
  EXPECT_TRUE(contains(ik_last_error(), "IPv4-mapped")) << ik_last_error();
  EXPECT_TRUE(contains(ik_last_error(), "use the IPv4 form 1.2.3.4")) << ik_last_error();
  // The same address in hex notation is the same mapped address.
  EXPECT_EQ(ik_address_parse("::FFFF:102:304", &a), IK_EADDRFORMAT);
  EXPECT_TRUE(contains(ik_last_error(), "use the IPv4 form 1.2.3.4")) << ik_last_error();
}

TEST(AddressParse, NumericZoneBecomesScopeId) {
  ik_address a;
  ASSERT_EQ(ik_address_parse("fe80::1%999999", &a), IK_OK);
  EXPECT_EQ(a.scope_id, 999999u);
  ASSERT_EQ(ik_address_parse("fe80::1%4294967295", &a), IK_OK);
  EXPECT_EQ(a.scope_id, 4294967295u);
}

TEST(AddressParse, ZoneNumberBeyond32BitsIsRefused) {
  ik_address a;
  EXPECT_EQ(ik_address_parse("fe80::1%4294967296", &a), IK_EADDRFORMAT);
  EXPECT_TRUE(contains(ik_last_error(), "out of range")) << ik_last_error();
}

TEST(AddressParse, NamedZoneIsLookedUp) {
  uint32_t index = 0;
  std::string name = some_interface(&index);
  if (name.empty()) GTEST_SKIP() << "this machine names no network interface";
  ik_address a;
  ASSERT_EQ(ik_address_parse(("fe80::1%" + name).c_str(), &a), IK_OK) << ik_last_error();
  EXPECT_EQ(a.scope_id, index);
}

TEST(AddressParse, LoopbackZoneByName) {
  if (ik__if_index("lo") == 0) GTEST_SKIP() << "no interface named 'lo' (not Linux)";
  ik_address a;
  ASSERT_EQ(ik_address_parse("fe80::1%lo", &a), IK_OK);
  EXPECT_EQ(a.scope_id, ik__if_index("lo"));
  EXPECT_EQ(canonical("fe80::1%lo"), "fe80::1%lo");
}

TEST(AddressParse, UnknownZoneNameIsRefusedAndNamed) {
  ik_address a;
  ASSERT_EQ(ik_address_parse("fe80::1%nosuchif0", &a), IK_EADDRFORMAT);
  EXPECT_TRUE(contains(ik_last_error(), "'nosuchif0'")) << ik_last_error();
}

TEST(AddressParse, LongZoneNamesAreRefused) {
  ik_address a;
  std::string longest = "fe80::1%" + std::string(63, 'z');
  EXPECT_EQ(ik_address_parse(longest.c_str(), &a), IK_EADDRFORMAT);
  EXPECT_TRUE(contains(ik_last_error(), std::string(63, 'z'))) << ik_last_error();
  std::string too_long = "fe80::1%" + std::string(64, 'z');
  EXPECT_EQ(ik_address_parse(too_long.c_str(), &a), IK_EADDRFORMAT);
  EXPECT_TRUE(contains(ik_last_error(), "too long")) << ik_last_error();
}

TEST(AddressParse, MalformedZonesAreRefused) {
  for (const char *bad : {"fe80::1%", "fe80::1% lo", "fe80::1%lo ", "fe80::1%l%o", "1.2.3.4%1",
                          "1.2.3.4%lo", "%1", "::%"}) {
    EXPECT_EQ(canonical(bad), "ERR:IK_EADDRFORMAT") << "'" << bad << "'";
  }
  ik_address a;
  ASSERT_EQ(ik_address_parse("fe80::1%", &a), IK_EADDRFORMAT);
  EXPECT_TRUE(contains(ik_last_error(), "empty zone")) << ik_last_error();
}

TEST(AddressParse, NullArgumentsAreInvalid) {
  ik_address a;
  EXPECT_EQ(ik_address_parse(nullptr, &a), IK_EINVAL);
  EXPECT_EQ(ik_address_parse("127.0.0.1", nullptr), IK_EINVAL);
}

// RFC 5952 section 4 (and its examples).
TEST(AddressFormat, Rfc5952Vectors) {
  EXPECT_EQ(canonical("2001:db8:0:0:0:0:2:1"), "2001:db8::2:1");
  EXPECT_EQ(canonical("2001:0db8:0000:0000:0000:0000:0002:0001"), "2001:db8::2:1");
  EXPECT_EQ(canonical("2001:db8::0:1"), "2001:db8::1");
  EXPECT_EQ(canonical("2001:db8::0001"), "2001:db8::1");
  EXPECT_EQ(canonical("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");   // one 0 group stays
  EXPECT_EQ(canonical("2001:db8::1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");    // "::" for one group undone
  EXPECT_EQ(canonical("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");            // longest run
  EXPECT_EQ(canonical("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");      // leftmost on tie
  EXPECT_EQ(canonical("2001:DB8::ABCD"), "2001:db8::abcd");               // lowercase
  EXPECT_EQ(canonical("0:0:0:0:0:0:0:0"), "::");
  EXPECT_EQ(canonical("0:0:0:0:0:0:0:1"), "::1");
  EXPECT_EQ(canonical("1:0:0:0:0:0:0:0"), "1::");
  EXPECT_EQ(canonical("1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8");
  EXPECT_EQ(canonical("fe80:0:0:0:0:0:0:1"), "fe80::1");
  EXPECT_EQ(canonical("ff02::1"), "ff02::1");
}

TEST(AddressFormat, NumericZoneWithoutInterfaceIsAppendedAsNumber) {
  EXPECT_EQ(canonical("fe80::1%999999"), "fe80::1%999999");
}

TEST(AddressFormat, NamedZoneIsAppendedByName) {
  uint32_t index = 0;
  std::string name = some_interface(&index);
  if (name.empty()) GTEST_SKIP() << "this machine names no network interface";
  EXPECT_EQ(canonical("fe80::1%" + std::to_string(index)), "fe80::1%" + name);
}

TEST(AddressFormat, Ipv4MappedStructUsesMixedNotation) {
  // ik_address_parse refuses these, but a struct may still hold one.
  ik_address a{};
  a.family = IK_AF_INET6;
  a.bytes[10] = a.bytes[11] = 0xff;
  a.bytes[12] = 192;
  a.bytes[13] = 0;
  a.bytes[14] = 2;
  a.bytes[15] = 1;
  char buf[IK_ADDRSTRLEN];
  ASSERT_EQ(ik_address_format(&a, buf, sizeof buf), IK_OK);
  EXPECT_STREQ(buf, "::ffff:192.0.2.1");
}

TEST(AddressFormat, LongestTextFitsInAddrStrLen) {
  EXPECT_EQ(canonical("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295"),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295");
}

TEST(AddressFormat, BufferTooSmallIsNoSpaceAndLeavesEmptyString) {
  ik_address a;
  ASSERT_EQ(ik_address_parse("10.20.30.40", &a), IK_OK);
  char buf[12];
  std::memset(buf, 'x', sizeof buf);
  EXPECT_EQ(ik_address_format(&a, buf, 11), IK_ENOSPACE);
  EXPECT_STREQ(buf, "");
  EXPECT_TRUE(contains(ik_last_error(), "12")) << ik_last_error();
  EXPECT_EQ(ik_address_format(&a, buf, 12), IK_OK);
  EXPECT_STREQ(buf, "10.20.30.40");
}

TEST(AddressFormat, InvalidArguments) {
  ik_address a{};
  char buf[IK_ADDRSTRLEN];
  EXPECT_EQ(ik_address_format(&a, buf, sizeof buf), IK_EINVAL);  // family 0
  a.family = 5;
  EXPECT_EQ(ik_address_format(&a, buf, sizeof buf), IK_EINVAL);
  a.family = IK_AF_INET;
  EXPECT_EQ(ik_address_format(nullptr, buf, sizeof buf), IK_EINVAL);
  EXPECT_EQ(ik_address_format(&a, nullptr, sizeof buf), IK_EINVAL);
}

TEST(AddressPredicates, Ipv4) {
  EXPECT_TRUE(ik_is_ipv4_address("127.0.0.1"));
  EXPECT_FALSE(ik_is_ipv4_address("::1"));
  EXPECT_FALSE(ik_is_ipv4_address("1.2.3"));
  EXPECT_FALSE(ik_is_ipv4_address("999.1.1.1"));
  EXPECT_FALSE(ik_is_ipv4_address("localhost"));
  EXPECT_FALSE(ik_is_ipv4_address(""));
  EXPECT_FALSE(ik_is_ipv4_address(nullptr));
}

TEST(AddressPredicates, Ipv6IsSyntacticEvenForZones) {
  EXPECT_TRUE(ik_is_ipv6_address("::1"));
  EXPECT_TRUE(ik_is_ipv6_address("fe80::1%nosuchif0"));  // zone not looked up
  EXPECT_TRUE(ik_is_ipv6_address("fe80::1%3"));
  EXPECT_FALSE(ik_is_ipv6_address("fe80::1%"));
  EXPECT_FALSE(ik_is_ipv6_address("::ffff:1.2.3.4"));
  EXPECT_FALSE(ik_is_ipv6_address("1.2.3.4"));
  EXPECT_FALSE(ik_is_ipv6_address(":::"));
  EXPECT_FALSE(ik_is_ipv6_address(""));
  EXPECT_FALSE(ik_is_ipv6_address(nullptr));
}

TEST(Hostname, AcceptsRfc1123Names) {
  std::string label63(63, 'a');
  std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_EQ(name253.size(), 253u);
  for (const std::string &ok : {std::string("localhost"), std::string("example.com"),
                                std::string("example.com."), std::string("a"), std::string("a-b.c"),
                                std::string("1a.example"), std::string("123.example.org"),
                                std::string("xn--bcher-kva.example"), std::string("EXAMPLE.Org"),
                                label63, name253, name253 + "."}) {
    EXPECT_TRUE(ik_is_hostname(ok.c_str())) << ok;
  }
}

TEST(Hostname, RefusesWhatIsNotAHostName) {
  std::string label64(64, 'a');
  std::string label63(63, 'a');
  std::string name254 = label63 + "." + label63 + "." + label63 + "." + std::string(62, 'b');
  for (const std::string &bad :
       {std::string(""), std::string("."), std::string(".."), std::string("-a.com"), std::string("a-.com"),
        std::string("a..b"), std::string(".a"), std::string("a_b.com"), std::string("a b"),
        std::string("a.com "), std::string("a.com.."), label64, name254, std::string("1.2.3.4"),
        std::string("1.2.3"), std::string("123"), std::string("example.123"), std::string("::1"),
        std::string("fe80::1%lo"), std::string("caf\xc3\xa9.example")}) {
    EXPECT_FALSE(ik_is_hostname(bad.c_str())) << bad;
  }
  EXPECT_FALSE(ik_is_hostname(nullptr));
}

// ik_socket_open's rule, which the CLI (-I) and the monitor's config use.
TEST(InterfaceName, AcceptsNamesRefusesMistypedAddresses) {
  for (const char *ok : {"lo", "eth0", "veth-ik.1", "wlp2s0", "br_0"}) EXPECT_TRUE(ik_is_interface_name(ok)) << ok;
  for (const char *bad : {"", "1.2.3.4", "1.2.3", "fe80::1", "lo%1", "a/b", "a\tb", "a\nb"})
    EXPECT_FALSE(ik_is_interface_name(bad)) << bad;
  EXPECT_FALSE(ik_is_interface_name(nullptr));
#ifdef _WIN32
  EXPECT_TRUE(ik_is_interface_name("Ethernet 2"));  // friendly names hold blanks
  EXPECT_TRUE(ik_is_interface_name("12"));          // an interface index
  EXPECT_TRUE(ik_is_interface_name(std::string(200, 'n').c_str()));
#else
  EXPECT_FALSE(ik_is_interface_name("eth 0"));  // POSIX names have no blank
  EXPECT_FALSE(ik_is_interface_name("12"));     // only digits: an address typo
  EXPECT_TRUE(ik_is_interface_name("fifteen-chars-x"));
  EXPECT_FALSE(ik_is_interface_name("sixteen-chars-xx"));  // IFNAMSIZ
#endif
}

TEST(AddressEqual, SameFamilyAndBytes) {
  ik_address a, b;
  ASSERT_EQ(ik_address_parse("192.0.2.1", &a), IK_OK);
  ASSERT_EQ(ik_address_parse("192.0.2.1", &b), IK_OK);
  EXPECT_TRUE(ik__address_equal(&a, &b));
  ASSERT_EQ(ik_address_parse("192.0.2.2", &b), IK_OK);
  EXPECT_FALSE(ik__address_equal(&a, &b));
  ASSERT_EQ(ik_address_parse("::c000:201", &b), IK_OK);  // same low bytes, other family
  EXPECT_FALSE(ik__address_equal(&a, &b));
}

TEST(AddressEqual, Ipv4IgnoresBytesBeyondTheFirstFour) {
  ik_address a{}, b{};
  a.family = b.family = IK_AF_INET;
  a.bytes[0] = b.bytes[0] = 10;
  b.bytes[8] = 0x55;
  EXPECT_TRUE(ik__address_equal(&a, &b));
}

TEST(AddressEqual, ScopeMattersOnlyWhenBothHaveOne) {
  ik_address a, b;
  ASSERT_EQ(ik_address_parse("fe80::1%7", &a), IK_OK);
  ASSERT_EQ(ik_address_parse("fe80::1", &b), IK_OK);
  EXPECT_TRUE(ik__address_equal(&a, &b));
  ASSERT_EQ(ik_address_parse("fe80::1%8", &b), IK_OK);
  EXPECT_FALSE(ik__address_equal(&a, &b));
}

TEST(AddressEqual, UnsetAddressesAreNeverEqual) {
  ik_address a{}, b{};
  EXPECT_FALSE(ik__address_equal(&a, &b));
}

TEST(AddressGroup, BroadcastAndMulticast) {
  for (const char *group : {"255.255.255.255", "224.0.0.1", "239.255.255.255", "ff02::1", "ff05::2"}) {
    ik_address a;
    ASSERT_EQ(ik_address_parse(group, &a), IK_OK) << group;
    EXPECT_TRUE(ik__address_is_group(&a)) << group;
  }
  for (const char *single : {"127.0.0.1", "223.255.255.255", "240.0.0.1", "192.0.2.255", "::1", "fe80::1"}) {
    ik_address a;
    ASSERT_EQ(ik_address_parse(single, &a), IK_OK) << single;
    EXPECT_FALSE(ik__address_is_group(&a)) << single;
  }
}

// IPv4 is formatted without snprintf: every octet value in every position
// must come out as "%u.%u.%u.%u" prints it.
TEST(AddressFormat, Ipv4IsWhatPrintfWritesForEveryOctetValue) {
  for (unsigned v = 0; v < 256; v++)
    for (int pos = 0; pos < 4; pos++) {
      ik_address a;
      std::memset(&a, 0, sizeof a);
      a.family = IK_AF_INET;
      uint8_t b[4] = {1, 22, 133, 4};
      b[pos] = static_cast<uint8_t>(v);
      std::memcpy(a.bytes, b, 4);
      char got[IK_ADDRSTRLEN], expect[IK_ADDRSTRLEN];
      ASSERT_EQ(ik_address_format(&a, got, sizeof got), 0);
      std::snprintf(expect, sizeof expect, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
      ASSERT_STREQ(got, expect);
    }
}
