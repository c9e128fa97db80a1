/* The Win32 ICMP functions: found in iphlpapi.dll, replaceable by tests,
 * and the mapping of their results to ICMP. */
#include "icmp_api.h"

#include <stddef.h>
#include <stdio.h>
#include <winternl.h> /* IO_STATUS_BLOCK */

#include "../packet.h"

/* The SDK's size; a mismatch would make us read the data from the wrong
 * place. */
typedef char ik__icmpv6_reply_is_36_bytes[sizeof(ik__icmpv6_echo_reply) == 36 ? 1 : -1];

static ik__icmp_api system_api;
static const ik__icmp_api *fake_api;
static INIT_ONCE system_once = INIT_ONCE_STATIC_INIT;
/* First function not found per family (index 0: IPv4, 1: IPv6), or NULL.
 * Wine, for one, has no Icmp6ParseReplies. */
static const char *system_missing[2];

/* Casting through void (*)(void) tells gcc the signature change is meant. */
#define IK__RESOLVE(dll, v6, field, type, name)                                  \
  do {                                                                           \
    FARPROC f = GetProcAddress(dll, name);                                       \
    if (f == NULL && system_missing[v6] == NULL)                                 \
      system_missing[v6] = name;                                                 \
    system_api.field = (type)(void (*)(void))f;                                  \
  } while (0)

static int on_wine;

static void WINAPI noop_apc(void *context, void *io_status, ULONG reserved) {
  (void)context, (void)io_status, (void)reserved;
}

static BOOL CALLBACK resolve_system(PINIT_ONCE once, PVOID param, PVOID *context) {
  (void)once, (void)param, (void)context;
  HMODULE ntdll = GetModuleHandleA("ntdll.dll");
  on_wine = ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
  HMODULE dll = LoadLibraryA("iphlpapi.dll");
  if (dll == NULL) {
    system_missing[0] = system_missing[1] = "iphlpapi.dll";
    return TRUE;
  }
  IK__RESOLVE(dll, 0, create4, ik__icmp_create_fn, "IcmpCreateFile");
  IK__RESOLVE(dll, 1, create6, ik__icmp_create_fn, "Icmp6CreateFile");
  IK__RESOLVE(dll, 0, close, ik__icmp_close_fn, "IcmpCloseHandle");
  IK__RESOLVE(dll, 0, send4, ik__icmp_send4_fn, "IcmpSendEcho2Ex");
  IK__RESOLVE(dll, 1, send6, ik__icmp_send6_fn, "Icmp6SendEcho2");
  IK__RESOLVE(dll, 0, parse4, ik__icmp_parse_fn, "IcmpParseReplies");
  IK__RESOLVE(dll, 1, parse6, ik__icmp_parse_fn, "Icmp6ParseReplies");
  return TRUE;
}

int ik__icmp_api_get(int family, const ik__icmp_api **api) {
  const ik__icmp_api *fake = fake_api;
  if (fake != NULL) {
    *api = fake;
    return 0;
  }
  InitOnceExecuteOnce(&system_once, resolve_system, NULL, NULL);
  const char *missing = system_missing[family == IK_AF_INET6];
  if (missing == NULL)
    missing = system_missing[0]; /* IcmpCloseHandle serves both */
  /* The message completes ik_strerror(IK_ENOTSUP), "not supported on this
   * system", which callers print before it: it names what is missing. */
  if (missing != NULL)
    return ik__fail(IK_ENOTSUP, "iphlpapi.dll has no %s echo API (no %s)",
                    family == IK_AF_INET6 ? "ICMPv6" : "ICMP", missing);
  *api = &system_api;
  return 0;
}

void ik__icmp_api_set(const ik__icmp_api *api) { fake_api = api; }

ik__icmp_apc_fn ik__icmp_apc_for(const ik__icmp_api *api) {
  return api == &system_api && on_wine ? noop_apc : NULL;
}

void ik__icmp_run_apcs(void) {
  if (on_wine)
    SleepEx(0, TRUE);
}

size_t ik__icmp_reply_size(int family, size_t request_size) {
  size_t head = family == IK_AF_INET6 ? sizeof(ik__icmpv6_echo_reply) : sizeof(ICMP_ECHO_REPLY);
  return head + request_size + 8 + sizeof(IO_STATUS_BLOCK);
}

/* Windows folds ICMP messages into IP_STATUS values; these are the codes
 * that produce each one (DESIGN.md section 7). Where one status stands for
 * several codes (the IPv6 catch-alls), we report the first code that no
 * other status claims. */
int ik__icmp_status_to_icmp(int family, unsigned long status, int *type, int *code) {
  int t = -1, c = 0;
  if (family == IK_AF_INET) {
    switch (status) {
    case IP_SUCCESS: t = IK__V4_ECHO_REPLY; break;
    case IP_DEST_NET_UNREACHABLE: t = IK__V4_DEST_UNREACH; c = 0; break;
    case IP_DEST_HOST_UNREACHABLE: t = IK__V4_DEST_UNREACH; c = 1; break;
    case IP_DEST_PROT_UNREACHABLE: t = IK__V4_DEST_UNREACH; c = 2; break;
    case IP_DEST_PORT_UNREACHABLE: t = IK__V4_DEST_UNREACH; c = 3; break;
    case IP_PACKET_TOO_BIG: t = IK__V4_DEST_UNREACH; c = 4; break;
    case IP_BAD_ROUTE: t = IK__V4_DEST_UNREACH; c = 5; break;
    case IP_TTL_EXPIRED_TRANSIT: t = IK__V4_TIME_EXCEEDED; c = 0; break;
    case IP_TTL_EXPIRED_REASSEM: t = IK__V4_TIME_EXCEEDED; c = 1; break;
    case IP_PARAM_PROBLEM: t = IK__V4_PARAM_PROBLEM; c = 0; break;
    case IP_SOURCE_QUENCH: t = IK__V4_SOURCE_QUENCH; c = 0; break;
    default: break;
    }
  } else {
    switch (status) {
    case IP_SUCCESS: t = IK__V6_ECHO_REPLY; break;
    case IP_DEST_NO_ROUTE: t = IK__V6_DEST_UNREACH; c = 0; break;
    case IP_DEST_PROHIBITED: t = IK__V6_DEST_UNREACH; c = 1; break;
    case IP_DEST_SCOPE_MISMATCH: t = IK__V6_DEST_UNREACH; c = 2; break;
    case IP_DEST_ADDR_UNREACHABLE: t = IK__V6_DEST_UNREACH; c = 3; break;
    case IP_DEST_PORT_UNREACHABLE: t = IK__V6_DEST_UNREACH; c = 4; break;
    case IP_DEST_UNREACHABLE: t = IK__V6_DEST_UNREACH; c = 5; break;
    case IP_PACKET_TOO_BIG: t = IK__V6_PACKET_TOO_BIG; c = 0; break;
    case IP_HOP_LIMIT_EXCEEDED: t = IK__V6_TIME_EXCEEDED; c = 0; break;
    case IP_REASSEMBLY_TIME_EXCEEDED: t = IK__V6_TIME_EXCEEDED; c = 1; break;
    case IP_TIME_EXCEEDED: t = IK__V6_TIME_EXCEEDED; c = 2; break;
    case IP_BAD_HEADER: t = IK__V6_PARAM_PROBLEM; c = 0; break;
    case IP_UNRECOGNIZED_NEXT_HEADER: t = IK__V6_PARAM_PROBLEM; c = 1; break;
    case IP_BAD_OPTION: t = IK__V6_PARAM_PROBLEM; c = 2; break;
    case IP_PARAMETER_PROBLEM: t = IK__V6_PARAM_PROBLEM; c = 3; break;
    default: break;
    }
  }
  if (t < 0)
    return 0;
  *type = t;
  *code = c;
  return 1;
}

const char *ik__icmp_status_text(unsigned long status, char *buf, size_t len) {
  const char *text = NULL;
  switch (status) {
  case IP_BUF_TOO_SMALL: text = "reply buffer too small"; break;
  case IP_NO_RESOURCES: text = "no resources"; break;
  case IP_HW_ERROR: text = "hardware error"; break;
  case IP_REQ_TIMED_OUT: text = "request timed out"; break;
  case IP_BAD_REQ: text = "bad request"; break;
  case IP_OPTION_TOO_BIG: text = "IP option too big"; break;
  case IP_BAD_DESTINATION: text = "bad destination"; break;
  case IP_ICMP_ERROR: text = "ICMP error"; break;
  case IP_GENERAL_FAILURE: text = "general failure"; break;
  default: break;
  }
  if (text != NULL)
    snprintf(buf, len, "%s (IP status %lu)", text, status);
  else if (status < IP_STATUS_BASE)
    ik__win32_error_text(status, buf, len);
  else
    snprintf(buf, len, "IP status %lu", status);
  return buf;
}
