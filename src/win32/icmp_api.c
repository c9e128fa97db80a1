/* The Win32 ICMP functions: found in iphlpapi.dll, replaceable by tests,
 * and the mapping of their results to ICMP. */
#include "icmp_api.h"

#include <stddef.h>
#include <stdio.h>
#include <winternl.h> /* IO_STATUS_BLOCK */

#include "../packet.h"

/* The SDK's sizes; a mismatch would make us read the data from the wrong
 * place. */
typedef char ik__icmpv6_reply_is_36_bytes[sizeof(ik__icmpv6_echo_reply) == 36 ? 1 : -1];
typedef char ik__icmp_reply32_is_28_bytes[sizeof(ik__icmp_echo_reply32) == 28 ? 1 : -1];

/* Not in every SDK's ipexport.h. */
#ifndef IP_NEGOTIATING_IPSEC
#  define IP_NEGOTIATING_IPSEC (IP_STATUS_BASE + 32)
#endif
#ifndef IP_GENERAL_FAILURE
#  define IP_GENERAL_FAILURE (IP_STATUS_BASE + 50)
#endif

static ik__icmp_api system_api;
static const ik__icmp_api *fake_api;
static INIT_ONCE system_once = INIT_ONCE_STATIC_INIT;
/* First function not found per family (index 0: IPv4, 1: IPv6), or NULL.
 * Wine, for one, has no Icmp6ParseReplies. */
static const char *system_missing[2];

/* Casting through void (*)(void) tells gcc the signature change is meant. */
#define IK__RESOLVE(dll, v6, field, type, name)  \
  do {                                           \
    FARPROC f = GetProcAddress(dll, name);       \
    if (f == NULL && system_missing[v6] == NULL) \
      system_missing[v6] = name;                 \
    system_api.field = (type)(void (*)(void))f;  \
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
 * that produce each one (DESIGN.md section 7). A catch-all status (IPv6
 * IP_DEST_UNREACHABLE, IP_TIME_EXCEEDED, IP_PARAMETER_PROBLEM) says the
 * type but not the code: we report code 0 of that type, so no reply ever
 * carries a code RFC 4443 does not define, nor a specific one (policy
 * failure, reject route ...) that Windows did not report. */
int ik__icmp_status_to_icmp(int family, unsigned long status, int *type, int *code) {
  int t = -1, c = 0;
  if (family == IK_AF_INET) {
    switch (status) {
    case IP_SUCCESS:
      t = IK__V4_ECHO_REPLY;
      break;
    case IP_DEST_NET_UNREACHABLE:
      t = IK__V4_DEST_UNREACH;
      c = 0;
      break;
    case IP_DEST_HOST_UNREACHABLE:
      t = IK__V4_DEST_UNREACH;
      c = 1;
      break;
    case IP_DEST_PROT_UNREACHABLE:
      t = IK__V4_DEST_UNREACH;
      c = 2;
      break;
    case IP_DEST_PORT_UNREACHABLE:
      t = IK__V4_DEST_UNREACH;
      c = 3;
      break;
    case IP_PACKET_TOO_BIG:
      t = IK__V4_DEST_UNREACH;
      c = 4;
      break;
    case IP_BAD_ROUTE:
      t = IK__V4_DEST_UNREACH;
      c = 5;
      break;
    case IP_TTL_EXPIRED_TRANSIT:
      t = IK__V4_TIME_EXCEEDED;
      c = 0;
      break;
    case IP_TTL_EXPIRED_REASSEM:
      t = IK__V4_TIME_EXCEEDED;
      c = 1;
      break;
    case IP_PARAM_PROBLEM:
      t = IK__V4_PARAM_PROBLEM;
      c = 0;
      break;
    case IP_SOURCE_QUENCH:
      t = IK__V4_SOURCE_QUENCH;
      c = 0;
      break;
    default:
      break;
    }
  } else {
    switch (status) {
    case IP_SUCCESS:
      t = IK__V6_ECHO_REPLY;
      break;
    case IP_DEST_NO_ROUTE:
      t = IK__V6_DEST_UNREACH;
      c = 0;
      break;
    case IP_DEST_PROHIBITED:
      t = IK__V6_DEST_UNREACH;
      c = 1;
      break;
    case IP_DEST_SCOPE_MISMATCH:
      t = IK__V6_DEST_UNREACH;
      c = 2;
      break;
    case IP_DEST_ADDR_UNREACHABLE:
      t = IK__V6_DEST_UNREACH;
      c = 3;
      break;
    case IP_DEST_PORT_UNREACHABLE:
      t = IK__V6_DEST_UNREACH;
      c = 4;
      break;
    case IP_DEST_UNREACHABLE:
      t = IK__V6_DEST_UNREACH;
      c = 0;
      break;
    case IP_PACKET_TOO_BIG:
      t = IK__V6_PACKET_TOO_BIG;
      c = 0;
      break;
    case IP_HOP_LIMIT_EXCEEDED:
      t = IK__V6_TIME_EXCEEDED;
      c = 0;
      break;
    case IP_REASSEMBLY_TIME_EXCEEDED:
      t = IK__V6_TIME_EXCEEDED;
      c = 1;
      break;
    case IP_TIME_EXCEEDED:
      t = IK__V6_TIME_EXCEEDED;
      c = 0;
      break;
    case IP_BAD_HEADER:
      t = IK__V6_PARAM_PROBLEM;
      c = 0;
      break;
    case IP_UNRECOGNIZED_NEXT_HEADER:
      t = IK__V6_PARAM_PROBLEM;
      c = 1;
      break;
    case IP_BAD_OPTION:
      t = IK__V6_PARAM_PROBLEM;
      c = 2;
      break;
    case IP_PARAMETER_PROBLEM:
      t = IK__V6_PARAM_PROBLEM;
      c = 0;
      break;
    default:
      break;
    }
  }
  if (t < 0)
    return 0;
  *type = t;
  *code = c;
  return 1;
}

/* Every IP_STATUS an echo call documents (Microsoft's ICMP_ECHO_REPLY and
 * ICMPV6_ECHO_REPLY pages, ipexport.h), with its SDK name. */
static const struct {
  unsigned long status;
  const char *name, *text;
} status_names[] = {
  {IP_SUCCESS, "IP_SUCCESS", "success"},
  {IP_BUF_TOO_SMALL, "IP_BUF_TOO_SMALL", "reply buffer too small"},
  {IP_DEST_NET_UNREACHABLE, "IP_DEST_NET_UNREACHABLE", "destination network unreachable"},
  {IP_DEST_HOST_UNREACHABLE, "IP_DEST_HOST_UNREACHABLE", "destination host unreachable"},
  {IP_DEST_PROT_UNREACHABLE, "IP_DEST_PROT_UNREACHABLE", "destination protocol unreachable"},
  {IP_DEST_PORT_UNREACHABLE, "IP_DEST_PORT_UNREACHABLE", "destination port unreachable"},
  {IP_NO_RESOURCES, "IP_NO_RESOURCES", "insufficient IP resources"},
  {IP_BAD_OPTION, "IP_BAD_OPTION", "bad IP option"},
  {IP_HW_ERROR, "IP_HW_ERROR", "hardware error"},
  {IP_PACKET_TOO_BIG, "IP_PACKET_TOO_BIG", "packet too big"},
  {IP_REQ_TIMED_OUT, "IP_REQ_TIMED_OUT", "request timed out"},
  {IP_BAD_REQ, "IP_BAD_REQ", "bad request"},
  {IP_BAD_ROUTE, "IP_BAD_ROUTE", "bad route"},
  {IP_TTL_EXPIRED_TRANSIT, "IP_TTL_EXPIRED_TRANSIT", "TTL expired in transit"},
  {IP_TTL_EXPIRED_REASSEM, "IP_TTL_EXPIRED_REASSEM", "TTL expired during reassembly"},
  {IP_PARAM_PROBLEM, "IP_PARAM_PROBLEM", "parameter problem"},
  {IP_SOURCE_QUENCH, "IP_SOURCE_QUENCH", "source quench"},
  {IP_OPTION_TOO_BIG, "IP_OPTION_TOO_BIG", "IP option too big"},
  {IP_BAD_DESTINATION, "IP_BAD_DESTINATION", "bad destination"},
  {IP_NEGOTIATING_IPSEC, "IP_NEGOTIATING_IPSEC", "negotiating IPsec"},
  {IP_DEST_UNREACHABLE, "IP_DEST_UNREACHABLE", "destination unreachable"},
  {IP_TIME_EXCEEDED, "IP_TIME_EXCEEDED", "time exceeded"},
  {IP_BAD_HEADER, "IP_BAD_HEADER", "bad IP header"},
  {IP_UNRECOGNIZED_NEXT_HEADER, "IP_UNRECOGNIZED_NEXT_HEADER", "unrecognized next header"},
  {IP_ICMP_ERROR, "IP_ICMP_ERROR", "ICMP error"},
  {IP_DEST_SCOPE_MISMATCH, "IP_DEST_SCOPE_MISMATCH", "destination scope mismatch"},
  {IP_GENERAL_FAILURE, "IP_GENERAL_FAILURE", "general failure"},
};

int ik__icmp_status_error(int family, unsigned long status) {
  switch (status) {
  case IP_REQ_TIMED_OUT:
    return 0;
  /* The reply buffer is the library's, not the caller's: IK_ENOSPACE is
   * only ever a caller's buffer. */
  case IP_BUF_TOO_SMALL:
    return IK_ESOCKET;
  case IP_BAD_REQ:
  case IP_BAD_DESTINATION:
  case IP_OPTION_TOO_BIG:
  case ERROR_INVALID_PARAMETER:
    return IK_EINVAL;
  case IP_BAD_OPTION:
    return family == IK_AF_INET ? IK_EINVAL : IK_ESOCKET;
  case IP_ICMP_ERROR:
    return IK_EICMP;
  case ERROR_NOT_ENOUGH_MEMORY:
  case ERROR_OUTOFMEMORY:
    return IK_ENOMEM;
  case IP_NO_RESOURCES:
    return IK_ENOBUFS; /* out of buffer room, as ENOBUFS on POSIX */
  default:
    return IK_ESOCKET;
  }
}

const char *ik__icmp_status_text(unsigned long status, char *buf, size_t len) {
  for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
    if (status_names[i].status == status) {
      snprintf(buf, len, "%s (%lu): %s", status_names[i].name, status, status_names[i].text);
      return buf;
    }
  if (status < IP_STATUS_BASE)
    ik__win32_error_text(status, buf, len);
  else
    snprintf(buf, len, "IP status %lu", status);
  return buf;
}

/* Where Data points: an address in buf, or an offset from its start (a
 * buffer IcmpParseReplies has not fixed up); NULL when neither leaves n
 * bytes within [buf + head, buf + size). */
static const unsigned char *place(const unsigned char *buf, size_t size, size_t head, uintptr_t p,
                                  size_t n) {
  uintptr_t b = (uintptr_t)buf;
  uintptr_t offset = p >= b ? p - b : p; /* an address below buf is none */
  if (p < b && p >= size)
    return NULL;
  if (offset < head || offset > size || n > size - offset)
    return NULL;
  return buf + offset;
}

int ik__icmp_reply4_locate(const unsigned char *buf, size_t size, size_t data_len,
                           const unsigned char **data, int *ttl) {
  const unsigned char *at;
  if (size >= sizeof(ICMP_ECHO_REPLY)) {
    const ICMP_ECHO_REPLY *r = (const ICMP_ECHO_REPLY *)(const void *)buf;
    if ((at = place(buf, size, sizeof *r, (uintptr_t)r->Data, data_len)) != NULL) {
      *data = at;
      *ttl = r->Options.Ttl;
      return 0;
    }
  }
  /* The 32-bit layout differs only where pointers are 64-bit. Its Data
   * holds an offset or just the low half of an address in buf. */
  if (sizeof(void *) > 4 && size >= sizeof(ik__icmp_echo_reply32)) {
    const ik__icmp_echo_reply32 *r = (const ik__icmp_echo_reply32 *)(const void *)buf;
    uint32_t low = (uint32_t)(uintptr_t)buf;
    uint32_t offset = r->Data < size ? r->Data : r->Data - low; /* modulo 2^32 */
    if ((at = place(buf, size, sizeof *r, offset, data_len)) != NULL) {
      *data = at;
      *ttl = r->Ttl;
      return 0;
    }
  }
  return ik__fail(IK_ETRUNCATED, "the echo reply's data lies outside the reply buffer");
}
