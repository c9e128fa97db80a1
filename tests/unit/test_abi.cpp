// The sizes of the public structs are ABI (docs/releasing.md, "Structs
// that grow"): a program built against one version passes and receives
// them (arrays of ik_host included) with its own idea of their size. Each
// ends with reserved room that later fields take, so the size stays; this
// table records it per version and data model, and fails when a struct
// grows, shrinks or moves a field into padding without a version bump.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <string>

#include "icmpkit.h"

namespace {

struct Layout {
  int major, minor;
  size_t pointer, double_align;  // the data model: sizeof(void *), alignment of a double member
  size_t address, request, reply, probe_reply, host, hop, ping_options;
};

// A row describes a released ABI and never changes once that version is
// out: a new layout gets a new row under a new version (a new minor
// version while the major one is 0).
constexpr Layout kLayouts[] = {
    // 64-bit: Linux, macOS, BSD (LP64) and Windows (LLP64) agree.
    {0, 1, 8, 8, 24, 88, 144, 176, 192, 216, 200},
    // 32-bit with 8-byte aligned doubles: Windows x86, ARM.
    {0, 1, 4, 8, 24, 64, 136, 160, 160, 176, 128},
    // 32-bit with 4-byte aligned doubles in structs: i386 System V.
    {0, 1, 4, 4, 24, 64, 132, 152, 156, 168, 124},
};

struct DoubleMember {
  char c;
  double d;
};

const Layout *RowForThisBuild() {
  for (const Layout &l : kLayouts)
    if (l.major == IK_VERSION_MAJOR && l.minor == IK_VERSION_MINOR && l.pointer == sizeof(void *) &&
        l.double_align == offsetof(DoubleMember, d))
      return &l;
  return nullptr;
}

TEST(Abi, PublicStructSizesAreThoseRecordedForThisVersion) {
  const Layout *row = RowForThisBuild();
  ASSERT_NE(row, nullptr) << "no recorded layout for version " << IK_VERSION_STRING << " with "
                          << sizeof(void *) << "-byte pointers and doubles aligned to "
                          << offsetof(DoubleMember, d)
                          << ": add a row to kLayouts (docs/releasing.md, \"Structs that grow\")";
  EXPECT_EQ(sizeof(ik_address), row->address);
  EXPECT_EQ(sizeof(ik_request), row->request);
  EXPECT_EQ(sizeof(ik_reply), row->reply);
  EXPECT_EQ(sizeof(ik_probe_reply), row->probe_reply);
  EXPECT_EQ(sizeof(ik_host), row->host);
  EXPECT_EQ(sizeof(ik_hop), row->hop);
  EXPECT_EQ(sizeof(ik_ping_options), row->ping_options);
}

// The reserved room must read as zero from the init functions: a later
// option that takes it gives zero the meaning "as before".
TEST(Abi, InitFunctionsLeaveTheReservedRoomZero) {
  ik_ping_options o;
  ik_request r;
  for (void (*init)(ik_ping_options *) :
       {ik_ping_options_init, ik_multiping_options_init, ik_traceroute_options_init}) {
    memset(&o, 0xa5, sizeof o);
    init(&o);
    for (void *p : o.reserved) EXPECT_EQ(p, nullptr);
  }
  memset(&r, 0xa5, sizeof r);
  ASSERT_EQ(ik_request_init(&r, "127.0.0.1", 1, 1), 0);
  for (void *p : r.reserved) EXPECT_EQ(p, nullptr);
}

}  // namespace
