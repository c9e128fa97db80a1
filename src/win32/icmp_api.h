/* The Win32 ICMP functions the backend calls, as a table: the system's
 * (resolved from iphlpapi.dll at first use) or a test's fake. Own
 * prototypes, because mingw-w64 lacks IcmpSendEcho2Ex and the SDKs differ
 * on the APC type; the APC is never used (NULL), the event is. */
#ifndef IK_WIN32_ICMP_API_H
#define IK_WIN32_ICMP_API_H

#include "win32.h"

typedef void(WINAPI *ik__icmp_apc_fn)(void *context, void *io_status, ULONG reserved);
typedef HANDLE(WINAPI *ik__icmp_create_fn)(void);
typedef BOOL(WINAPI *ik__icmp_close_fn)(HANDLE icmp);
typedef DWORD(WINAPI *ik__icmp_send4_fn)(HANDLE icmp, HANDLE event, ik__icmp_apc_fn apc,
                                         void *apc_context, ULONG source, ULONG destination,
                                         void *data, WORD size, IP_OPTION_INFORMATION *options,
                                         void *reply, DWORD reply_size, DWORD timeout_ms);
typedef DWORD(WINAPI *ik__icmp_send6_fn)(HANDLE icmp, HANDLE event, ik__icmp_apc_fn apc,
                                         void *apc_context, struct sockaddr_in6 *source,
                                         struct sockaddr_in6 *destination, void *data, WORD size,
                                         IP_OPTION_INFORMATION *options, void *reply,
                                         DWORD reply_size, DWORD timeout_ms);
typedef DWORD(WINAPI *ik__icmp_parse_fn)(void *reply, DWORD reply_size);

typedef struct ik__icmp_api {
  ik__icmp_create_fn create4; /* IcmpCreateFile */
  ik__icmp_create_fn create6; /* Icmp6CreateFile */
  ik__icmp_close_fn close;    /* IcmpCloseHandle */
  ik__icmp_send4_fn send4;    /* IcmpSendEcho2Ex; source 0: any, as IcmpSendEcho2 */
  ik__icmp_send6_fn send6;    /* Icmp6SendEcho2 */
  ik__icmp_parse_fn parse4;   /* IcmpParseReplies */
  ik__icmp_parse_fn parse6;   /* Icmp6ParseReplies */
} ik__icmp_api;

/* The table in use for family (4 or 6). Errors: IK_ENOTSUP (iphlpapi.dll
 * lacks a function the family needs; the message names it). */
int ik__icmp_api_get(int family, const ik__icmp_api **api);
/* Tests: use api instead of the system's until called again with NULL. */
void ik__icmp_api_set(const ik__icmp_api *api);

/* What Icmp6SendEcho2 writes, with the SDK's layout: IPV6_ADDRESS_EX is
 * packed (26 bytes; mingw-w64 10 forgets the packing) and mingw-w64 10 has
 * no ICMPV6_ECHO_REPLY at all. The echoed data follows at offset 36. */
#pragma pack(push, 1)
typedef struct ik__ipv6_address_ex {
  USHORT sin6_port;
  ULONG sin6_flowinfo;
  USHORT sin6_addr[8];
  ULONG sin6_scope_id;
} ik__ipv6_address_ex;
#pragma pack(pop)

typedef struct ik__icmpv6_echo_reply {
  ik__ipv6_address_ex Address;
  ULONG Status;
  unsigned int RoundTripTime;
} ik__icmpv6_echo_reply;

/* ICMP_ECHO_REPLY32 as Microsoft's ipexport.h has it (28 bytes: 32-bit
 * Data and OptionsData), which mingw-w64 10 gets wrong (its pointers are
 * 64-bit). The first 16 bytes are those of ICMP_ECHO_REPLY. */
typedef struct ik__icmp_echo_reply32 {
  ULONG Address;
  ULONG Status;
  ULONG RoundTripTime;
  USHORT DataSize;
  USHORT Reserved;
  ULONG Data; /* a 32-bit pointer */
  UCHAR Ttl, Tos, Flags, OptionsSize;
  ULONG OptionsData;
} ik__icmp_echo_reply32;

/* Where an IPv4 reply buffer holds the echoed data (data_len bytes, the
 * reply's DataSize) and the reply's TTL, whichever layout the OS wrote:
 * the native ICMP_ECHO_REPLY (what .NET and Wine read), or, on 64-bit
 * Windows, ICMP_ECHO_REPLY32 (what Microsoft's IcmpParseReplies page says
 * 64-bit processes get; docs/architecture.md weighs the evidence). A
 * layout is taken when its Data pointer (for the 32-bit one: the low 32
 * bits of an address) points into the buffer with data_len bytes after it.
 * *ttl: 0 when the OS gave none. Errors: IK_ETRUNCATED (neither fits). */
int ik__icmp_reply4_locate(const unsigned char *buf, size_t size, size_t data_len,
                           const unsigned char **data, int *ttl);

/* The reply buffer a request of request_size data bytes needs: one reply
 * structure, the data, 8 bytes for an ICMP error and the IO_STATUS_BLOCK
 * the asynchronous call stores at its end (else IP_BUF_TOO_SMALL). */
size_t ik__icmp_reply_size(int family, size_t request_size);

/* The APC to pass with the event (never called on Windows, where the
 * event alone is signalled), or NULL. Wine 8 frees the IO_STATUS_BLOCK of
 * an event-only asynchronous IcmpSendEcho2Ex before the call completes, so
 * the completion writes into freed heap; with an APC it keeps the block
 * until the APC has run. Those APCs then wait for an alertable moment:
 * ik__icmp_run_apcs gives them one. */
ik__icmp_apc_fn ik__icmp_apc_for(const ik__icmp_api *api);
/* Runs this thread's queued APCs (Wine's, see above) without waiting. */
void ik__icmp_run_apcs(void);

/* The ICMP type/code a POSIX host would have received for a completion
 * status of this family. Returns 1 for such a reply (SUCCESS included),
 * 0 for a local failure (timeout, no resources, Win32 errors ...). */
int ik__icmp_status_to_icmp(int family, unsigned long status, int *type, int *code);

/* The ik_error for a status that is not a reply (ik__icmp_status_to_icmp
 * gave 0), or 0 for IP_REQ_TIMED_OUT: no reply, the caller's own deadline
 * decides. Request-shaped failures (IP_BAD_REQ, IP_BAD_DESTINATION,
 * IP_OPTION_TOO_BIG, IPv4 IP_BAD_OPTION, ERROR_INVALID_PARAMETER) give
 * IK_EINVAL, IP_ICMP_ERROR IK_EICMP, the Win32 out-of-memory errors
 * IK_ENOMEM, IP_NO_RESOURCES IK_ENOBUFS, everything else (IP_BUF_TOO_SMALL:
 * the buffer is the library's, IP_HW_ERROR, IP_GENERAL_FAILURE, IP_NEGOTIATING_IPSEC, unknown values)
 * IK_ESOCKET. */
int ik__icmp_status_error(int family, unsigned long status);

/* Text for an IP_STATUS value, with its SDK name ("IP_BAD_DESTINATION
 * (11018): bad destination"), or for a Win32 error below 11000, into buf.
 * Returns buf. */
const char *ik__icmp_status_text(unsigned long status, char *buf, size_t len);

#endif
