/* Error codes, their texts, and the per-thread detail message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static IK__THREAD_LOCAL char last_error[512];

const char *ik_strerror(int err) {
  switch (err) {
  case IK_OK:
    return "success";
#define IK__XX(name, value, msg) \
  case IK_##name:                \
    return msg;
    IK_ERROR_MAP(IK__XX)
#undef IK__XX
  default:
    return "unknown error";
  }
}

const char *ik_err_name(int err) {
  switch (err) {
  case IK_OK:
    return "IK_OK";
#define IK__XX(name, value, msg) \
  case IK_##name:                \
    return "IK_" #name;
    IK_ERROR_MAP(IK__XX)
#undef IK__XX
  default:
    return "IK_UNKNOWN";
  }
}

int ik_is_socket_error(int err) {
  return err == IK_ESOCKET || err == IK_EADDRESS || err == IK_EPERMISSION ||
         err == IK_EUNAVAILABLE || err == IK_EBROADCAST || err == IK_ETIMEOUT ||
         err == IK_ENOBUFS || err == IK_ENOTSUP || err == IK_EFAMILY;
}

int ik_is_icmp_error(int err) {
  return err == IK_EDEST_UNREACHABLE || err == IK_ETIME_EXCEEDED || err == IK_EICMP;
}

const char *ik_last_error(void) { return last_error; }

int ik__fail(int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  /* The library's own words are ASCII: whatever else is there came from
   * a caller (a name, an address) and must not drive a terminal. */
  if (ik__needs_escape(last_error)) {
    char raw[sizeof last_error];
    memcpy(raw, last_error, sizeof raw);
    ik_escape(raw, last_error, sizeof last_error);
  }
  return err;
}
