#include <gtest/gtest.h>

#include <set>
#include <string>

extern "C" {
#include "internal.h"
}

TEST(Error, EveryCodeHasItsOwnMessageAndName) {
  std::set<std::string> messages, names;
  int count = 0;
#define IK__XX(name, value, msg)                             \
  EXPECT_STREQ(ik_strerror(IK_##name), msg);                 \
  EXPECT_STREQ(ik_err_name(IK_##name), "IK_" #name);         \
  messages.insert(ik_strerror(IK_##name));                   \
  names.insert(ik_err_name(IK_##name));                      \
  EXPECT_LT(IK_##name, 0);                                   \
  EXPECT_GE(IK_##name, IK__ERROR_MIN);                       \
  ++count;
  IK_ERROR_MAP(IK__XX)
#undef IK__XX
  EXPECT_EQ(messages.size(), static_cast<size_t>(count));
  EXPECT_EQ(names.size(), static_cast<size_t>(count));
  EXPECT_EQ(count, -IK__ERROR_MIN);
}

TEST(Error, UnknownCodesAreNamedUnknown) {
  EXPECT_STREQ(ik_strerror(1), "unknown error");
  EXPECT_STREQ(ik_strerror(-1000), "unknown error");
  EXPECT_STREQ(ik_err_name(-1000), "IK_UNKNOWN");
  EXPECT_STREQ(ik_strerror(IK_OK), "success");
}

// icmplib raises ICMPSocketError (or SocketAddressError, SocketPermissionError,
// SocketUnavailableError, SocketBroadcastError, TimeoutExceeded, its
// subclasses) for these; ICMPError (DestinationUnreachable, TimeExceeded) for
// the ICMP ones. Every code is checked, so a new one must be placed here.
TEST(Error, SocketErrorFamilyIsIcmplibsIcmpSocketError) {
  const std::set<int> socket_errors = {IK_ESOCKET,    IK_EADDRESS,  IK_EPERMISSION,
                                       IK_EUNAVAILABLE, IK_EBROADCAST, IK_ETIMEOUT,
                                       IK_ENOBUFS,    IK_ENOTSUP,   IK_EFAMILY};
#define IK__XX(name, value, msg)                                                           \
  EXPECT_EQ(ik_is_socket_error(IK_##name), socket_errors.count(IK_##name) ? 1 : 0) << #name;
  IK_ERROR_MAP(IK__XX)
#undef IK__XX
  EXPECT_FALSE(ik_is_socket_error(IK_OK));
  EXPECT_FALSE(ik_is_socket_error(IK__ERROR_MIN - 1));
}

TEST(Error, IcmpErrorFamilyIsIcmplibsIcmpError) {
  const std::set<int> icmp_errors = {IK_EDEST_UNREACHABLE, IK_ETIME_EXCEEDED, IK_EICMP};
#define IK__XX(name, value, msg)                                                           \
  EXPECT_EQ(ik_is_icmp_error(IK_##name), icmp_errors.count(IK_##name) ? 1 : 0) << #name;
  IK_ERROR_MAP(IK__XX)
#undef IK__XX
  EXPECT_FALSE(ik_is_icmp_error(IK_OK));
}

// "Your buffer is too small" and "the system has no buffer room right now"
// ask the caller for different things, so they are different codes.
TEST(Error, BufferTooSmallIsNotNoSystemBufferSpace) {
  EXPECT_NE(IK_ENOSPACE, IK_ENOBUFS);
  EXPECT_STREQ(ik_strerror(IK_ENOSPACE), "buffer too small");
  EXPECT_STREQ(ik_strerror(IK_ENOBUFS), "no buffer space in the system");
  EXPECT_FALSE(ik_is_socket_error(IK_ENOSPACE));
}

TEST(Error, FailRecordsDetailAndReturnsCode) {
  EXPECT_EQ(ik__fail(IK_EINVAL, "bad %s %d", "ttl", 300), IK_EINVAL);
  EXPECT_STREQ(ik_last_error(), "bad ttl 300");
}

TEST(Version, MatchesHeader) {
  EXPECT_STREQ(ik_version(), IK_VERSION_STRING);
  EXPECT_EQ(IK_VERSION_HEX, (IK_VERSION_MAJOR << 16) | (IK_VERSION_MINOR << 8) | IK_VERSION_PATCH);
}
