/* Run-time version, from the CMake project version. */
#include "icmpkit.h"

const char *ik_version(void) { return IK_VERSION_STRING; }
