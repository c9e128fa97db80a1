// The Windows backend's choice of a source address for an interface name
// (src/win32/iface.h): a pure function over the adapters Windows lists, so
// it runs here on every platform. The Windows side (GetAdaptersAddresses,
// the address reaching IcmpSendEcho2Ex) is tested in tests/win32.
#include <gtest/gtest.h>

#include <string>
#include <vector>

extern "C" {
#include "win32/iface.h"
}

namespace {

ik_address addr(const char *text) {
  ik_address a{};
  EXPECT_EQ(ik_address_parse(text, &a), 0) << text;
  return a;
}

struct Adapter {
  const char *friendly, *guid;
  unsigned long index, index6;
  std::vector<ik_address> addresses;
};

// A machine's adapters, in the order GetAdaptersAddresses gives them.
struct Table {
  std::vector<Adapter> adapters;
  // The source chosen for name and family, as text; "ERR:<name>: <detail>"
  // when none.
  std::string pick(const char *name, int family, ik_address *chosen = nullptr) const {
    std::vector<ik__win32_adapter> list;
    for (const Adapter &a : adapters)
      list.push_back({a.friendly, a.guid, a.index, a.index6, a.addresses.data(), a.addresses.size()});
    ik_address out{};
    int err = ik__win32_adapter_source(list.data(), list.size(), name, family, &out);
    if (chosen != nullptr)
      *chosen = out;
    if (err != 0)
      return std::string("ERR:") + ik_err_name(err) + ": " + ik_last_error();
    char text[IK_ADDRSTRLEN];
    EXPECT_EQ(ik_address_format(&out, text, sizeof text), 0);
    return text;
  }
};

// What Wine 8 lists on this project's machines (tests/win32 prints it):
// lo with ::1 before 127.0.0.1 and no IPv6 index, an interface without
// addresses, and eth0 with a global, a link-local and an IPv4 address.
Table wine() {
  return {{{"lo", "{00000001-0000-0000-0000-4E6574446576}", 1, 0, {addr("::1"), addr("127.0.0.1")}},
           {"ifb0", "{00000002-0000-0000-0000-4E6574446576}", 2, 0, {}},
           {"eth0",
            "{00000004-0000-0000-0000-4E6574446576}",
            4,
            0,
            {addr("fd00::2"), addr("fe80::fc:ff:fe00:1"), addr("192.0.2.2")}}}};
}

// What Windows 10 lists: friendly names with blanks and non-ASCII letters,
// link-local addresses first.
Table windows() {
  ik_address ll = addr("fe80::1"), ll4 = addr("169.254.7.7");
  ll.scope_id = 12;
  return {{{"Ethernet 2",
            "{4D36E972-E325-11CE-BFC1-08002BE10318}",
            12,
            12,
            {ll, addr("2001:db8::12"), ll4, addr("198.18.0.12")}},
           {"Conexi\xc3\xb3n de red", "{11111111-2222-3333-4444-555555555555}", 7, 7, {ll4}},
           {"Loopback Pseudo-Interface 1",
            "{6B3A9E21-0000-0000-0000-000000000001}",
            1,
            1,
            {addr("::1"), addr("127.0.0.1")}}}};
}

TEST(Win32Iface, FriendlyNameGivesItsFirstAddressOfTheFamily) {
  EXPECT_EQ(wine().pick("lo", IK_AF_INET), "127.0.0.1");
  EXPECT_EQ(wine().pick("lo", IK_AF_INET6), "::1");
  EXPECT_EQ(wine().pick("eth0", IK_AF_INET), "192.0.2.2");
  EXPECT_EQ(windows().pick("Loopback Pseudo-Interface 1", IK_AF_INET), "127.0.0.1");
  EXPECT_EQ(windows().pick("Conexi\xc3\xb3n de red", IK_AF_INET), "169.254.7.7");
}

TEST(Win32Iface, NamesAreMatchedWithoutRegardToAsciiCase) {
  EXPECT_EQ(windows().pick("ethernet 2", IK_AF_INET), "198.18.0.12");
  EXPECT_EQ(wine().pick("LO", IK_AF_INET), "127.0.0.1");
  EXPECT_EQ(windows().pick("{6b3a9e21-0000-0000-0000-000000000001}", IK_AF_INET), "127.0.0.1");
  // UTF-8 beyond ASCII must match byte for byte.
  EXPECT_EQ(windows().pick("CONEXI\xc3\x93N DE RED", IK_AF_INET).rfind("ERR:IK_EADDRESS", 0), 0u);
}

TEST(Win32Iface, AdapterNameAndIndexNameTheAdapterToo) {
  EXPECT_EQ(wine().pick("{00000004-0000-0000-0000-4E6574446576}", IK_AF_INET), "192.0.2.2");
  EXPECT_EQ(wine().pick("4", IK_AF_INET), "192.0.2.2");
  EXPECT_EQ(wine().pick("1", IK_AF_INET6), "::1");
  // The IPv6 index alone (an adapter whose IPv4 index differs).
  Table t = windows();
  t.adapters[0].index = 30;
  EXPECT_EQ(t.pick("12", IK_AF_INET6), "2001:db8::12");
  EXPECT_EQ(t.pick("30", IK_AF_INET6), "2001:db8::12");
}

TEST(Win32Iface, FriendlyNameWinsOverAnotherAdaptersGuidOrIndex) {
  Table t = wine();
  t.adapters[2].friendly = "1"; // eth0 renamed "1"; lo has index 1
  EXPECT_EQ(t.pick("1", IK_AF_INET), "192.0.2.2");
  t.adapters[2].friendly = "{00000001-0000-0000-0000-4E6574446576}"; // lo's GUID
  EXPECT_EQ(t.pick("{00000001-0000-0000-0000-4e6574446576}", IK_AF_INET), "192.0.2.2");
}

TEST(Win32Iface, LinkLocalAddressesOnlyWhenTheAdapterHasNoOther) {
  EXPECT_EQ(windows().pick("Ethernet 2", IK_AF_INET6), "2001:db8::12");
  EXPECT_EQ(windows().pick("Ethernet 2", IK_AF_INET), "198.18.0.12");
  Table t = windows();
  t.adapters[0].addresses.erase(t.adapters[0].addresses.begin() + 1); // the global IPv6
  // The link-local one keeps its zone (Windows' sin6_scope_id).
  ik_address chosen{};
  t.pick("Ethernet 2", IK_AF_INET6, &chosen);
  EXPECT_EQ(chosen.family, IK_AF_INET6);
  EXPECT_EQ(chosen.bytes[0], 0xfe);
  EXPECT_EQ(chosen.bytes[15], 1);
  EXPECT_EQ(chosen.scope_id, 12u);
}

TEST(Win32Iface, UnknownNameIsAnAddressErrorNamingIt) {
  EXPECT_EQ(wine().pick("nosuch0", IK_AF_INET), "ERR:IK_EADDRESS: no interface named 'nosuch0'");
  EXPECT_EQ(wine().pick("7", IK_AF_INET), "ERR:IK_EADDRESS: no interface named '7'");
  // 0 is no index: adapters without an IPv6 index have 0 there.
  EXPECT_EQ(wine().pick("0", IK_AF_INET6), "ERR:IK_EADDRESS: no interface named '0'");
  EXPECT_EQ(wine().pick("l", IK_AF_INET), "ERR:IK_EADDRESS: no interface named 'l'");
  EXPECT_EQ(wine().pick("lo0", IK_AF_INET), "ERR:IK_EADDRESS: no interface named 'lo0'");
  EXPECT_EQ(Table{}.pick("lo", IK_AF_INET), "ERR:IK_EADDRESS: no interface named 'lo'");
  // Adapters Windows gives no names are never matched.
  Table t{{{nullptr, nullptr, 3, 3, {addr("198.18.0.3")}}}};
  EXPECT_EQ(t.pick("3", IK_AF_INET), "198.18.0.3");
  EXPECT_EQ(t.pick("x", IK_AF_INET), "ERR:IK_EADDRESS: no interface named 'x'");
}

TEST(Win32Iface, AdapterWithoutAnAddressOfTheFamilySaysSo) {
  EXPECT_EQ(wine().pick("ifb0", IK_AF_INET), "ERR:IK_EADDRESS: interface 'ifb0' has no IPv4 address");
  EXPECT_EQ(wine().pick("ifb0", IK_AF_INET6), "ERR:IK_EADDRESS: interface 'ifb0' has no IPv6 address");
  EXPECT_EQ(windows().pick("Conexi\xc3\xb3n de red", IK_AF_INET6),
            "ERR:IK_EADDRESS: interface 'Conexi\xc3\xb3n de red' has no IPv6 address");
}

} // namespace
