// The socket option ik__ep_bind_device hands to setsockopt for an interface
// name (src/posix/posix.h): Linux SO_BINDTODEVICE with the name; macOS
// IP_BOUND_IF / IPV6_BOUND_IF with the index, also where the SDK has
// SO_BINDTODEVICE (macOS 15 headers, unknown to older kernels). Built
// natively and with IK_FORCE_BSD, which checks the macOS choice on Linux.
// posix.h first: it sets the feature macros the backend is compiled with.
extern "C" {
#include "posix/posix.h"
}

#include <gtest/gtest.h>

#include <string>

namespace {

#if IK__POSIX_BSD && defined(IK__IP_BOUND_IF)
TEST(BindOption, MacosBindsByIndexWithIpBoundIf) {
  ik__bind_option o;
  ASSERT_EQ(ik__posix_bind_option(IK_AF_INET, "en0", 4, &o), 0);
  EXPECT_EQ(o.level, IPPROTO_IP);
  EXPECT_EQ(o.name, 25); // XNU bsd/netinet/in.h
  EXPECT_EQ(o.by_index, 1);
  EXPECT_EQ(o.index, 4);
  ASSERT_EQ(ik__posix_bind_option(IK_AF_INET6, "utun3", 17, &o), 0);
  EXPECT_EQ(o.level, IPPROTO_IPV6);
  EXPECT_EQ(o.name, 125); // XNU bsd/netinet6/in6.h
  EXPECT_EQ(o.by_index, 1);
  EXPECT_EQ(o.index, 17);
#  if defined(__APPLE__)
  EXPECT_EQ(IP_BOUND_IF, 25);
  EXPECT_EQ(IPV6_BOUND_IF, 125);
#  endif
}
#elif IK__POSIX_LINUX
TEST(BindOption, LinuxBindsByNameWithSoBindToDevice) {
  for (int family : {IK_AF_INET, IK_AF_INET6}) {
    ik__bind_option o;
    ASSERT_EQ(ik__posix_bind_option(family, "eth0", 2, &o), 0);
    EXPECT_EQ(o.level, SOL_SOCKET);
    EXPECT_EQ(o.name, SO_BINDTODEVICE);
    EXPECT_EQ(o.by_index, 0);
  }
}
#else
TEST(BindOption, OtherBsdsCannotBindToAnInterface) {
  ik__bind_option o;
  EXPECT_EQ(ik__posix_bind_option(IK_AF_INET, "em0", 1, &o), IK_ENOTSUP);
  EXPECT_NE(std::string(ik_last_error()).find("'em0'"), std::string::npos) << ik_last_error();
}
#endif

} // namespace
