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

TEST(Error, FamiliesFollowIcmplib) {
  for (int e : {IK_ESOCKET, IK_EADDRESS, IK_EPERMISSION, IK_EUNAVAILABLE, IK_EBROADCAST, IK_ETIMEOUT}) {
    EXPECT_TRUE(ik_is_socket_error(e)) << ik_err_name(e);
    EXPECT_FALSE(ik_is_icmp_error(e)) << ik_err_name(e);
  }
  for (int e : {IK_EDEST_UNREACHABLE, IK_ETIME_EXCEEDED, IK_EICMP}) {
    EXPECT_TRUE(ik_is_icmp_error(e)) << ik_err_name(e);
    EXPECT_FALSE(ik_is_socket_error(e)) << ik_err_name(e);
  }
  EXPECT_FALSE(ik_is_socket_error(IK_ENAMELOOKUP));
  EXPECT_FALSE(ik_is_icmp_error(IK_ENAMELOOKUP));
  EXPECT_FALSE(ik_is_socket_error(IK_OK));
}

TEST(Error, FailRecordsDetailAndReturnsCode) {
  EXPECT_EQ(ik__fail(IK_EINVAL, "bad %s %d", "ttl", 300), IK_EINVAL);
  EXPECT_STREQ(ik_last_error(), "bad ttl 300");
}

TEST(Version, MatchesHeader) {
  EXPECT_STREQ(ik_version(), IK_VERSION_STRING);
  EXPECT_EQ(IK_VERSION_HEX, (IK_VERSION_MAJOR << 16) | (IK_VERSION_MINOR << 8) | IK_VERSION_PATCH);
}
