// The run-time version, the header macros and the CMake project version
// (passed in as ICMPKIT_PROJECT_VERSION) are one and the same.
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "icmpkit.h"
}

TEST(Version, LibraryVersionIsTheCMakeProjectVersion) {
  EXPECT_STREQ(ik_version(), ICMPKIT_PROJECT_VERSION);
}

TEST(Version, HeaderStringIsTheCMakeProjectVersion) {
  EXPECT_STREQ(IK_VERSION_STRING, ICMPKIT_PROJECT_VERSION);
}

TEST(Version, ComponentsSpellTheVersionString) {
  std::string joined = std::to_string(IK_VERSION_MAJOR) + "." + std::to_string(IK_VERSION_MINOR) + "." +
                       std::to_string(IK_VERSION_PATCH);
  EXPECT_EQ(joined, IK_VERSION_STRING);
}

TEST(Version, HexPacksTheComponents) {
  EXPECT_EQ(IK_VERSION_HEX, (IK_VERSION_MAJOR << 16) | (IK_VERSION_MINOR << 8) | IK_VERSION_PATCH);
  EXPECT_EQ((IK_VERSION_HEX >> 8) & 0xff, IK_VERSION_MINOR);
}
