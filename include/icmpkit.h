/*
 * icmpkit: ICMP Echo for C on Linux, macOS/BSD and Windows.
 *
 * Conventions (see docs/api.md):
 *  - every function that can fail returns int: 0 or a negative ik_error;
 *  - outputs go through pointers; the caller owns what it allocates and frees
 *    library-allocated results with the matching *_free function;
 *  - sockets and async wrappers are opaque handles, requests/replies/results
 *    are plain structs;
 *  - after a failure, ik_last_error() gives a detail message (OS text, the
 *    offending name or option) for the calling thread.
 * The header is C99 and compiles as C++; it includes no platform header.
 */
#ifndef ICMPKIT_H
#define ICMPKIT_H

#include <stddef.h>
#include <stdint.h>

#include "icmpkit/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(ICMPKIT_BUILDING_SHARED)
#    define IK_EXTERN __declspec(dllexport)
#  elif defined(ICMPKIT_USING_SHARED)
#    define IK_EXTERN __declspec(dllimport)
#  else
#    define IK_EXTERN
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define IK_EXTERN __attribute__((visibility("default")))
#else
#  define IK_EXTERN
#endif

/* Version of the library at run time, e.g. "0.1.0" (IK_VERSION_STRING). */
IK_EXTERN const char *ik_version(void);

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/*
 * XX(name, value, message). Values are stable ABI. The families follow
 * icmplib: ICMPLibError > NameLookupError, ICMPSocketError > (SocketAddress,
 * SocketPermission, SocketUnavailable, SocketBroadcast, TimeoutExceeded),
 * ICMPError > (DestinationUnreachable, TimeExceeded).
 */
#define IK_ERROR_MAP(XX)                                                     \
  XX(EINVAL, -1, "invalid argument")                                         \
  XX(ENOMEM, -2, "out of memory")                                            \
  XX(ENAMELOOKUP, -3, "the name lookup failed")                              \
  XX(ESOCKET, -4, "ICMP socket error")                                       \
  XX(EADDRESS, -5, "the requested address cannot be assigned to the socket") \
  XX(EPERMISSION, -6, "insufficient privileges to create the socket")        \
  XX(EUNAVAILABLE, -7, "the socket is closed or unavailable")                \
  XX(EBROADCAST, -8, "broadcast is not enabled on the socket")               \
  XX(ETIMEOUT, -9, "the timeout has been exceeded")                          \
  XX(EDEST_UNREACHABLE, -10, "destination unreachable")                      \
  XX(ETIME_EXCEEDED, -11, "time exceeded")                                   \
  XX(EICMP, -12, "ICMP error message")                                       \
  XX(EADDRFORMAT, -13, "malformed IP address")                               \
  XX(EFAMILY, -14, "address family does not match the socket")               \
  XX(ETRUNCATED, -15, "packet truncated")                                    \
  XX(EMALFORMED, -16, "malformed packet")                                    \
  XX(ECHECKSUM, -17, "bad ICMP checksum")                                    \
  XX(EUNRELATED, -18, "ICMP message unrelated to an echo request")           \
  XX(ENOTSUP, -19, "not supported on this system")                           \
  XX(ECANCELED, -20, "operation canceled")                                   \
  XX(ENOSPACE, -21, "buffer too small")                                      \
  XX(ENOBUFS, -22, "no buffer space in the system")

typedef enum ik_error {
  IK_OK = 0,
#define IK__XX(name, value, msg) IK_##name = value,
  IK_ERROR_MAP(IK__XX)
#undef IK__XX
    IK__ERROR_MIN = -22
} ik_error;

/* Static message for an ik_error ("unknown error" for other values). */
IK_EXTERN const char *ik_strerror(int err);
/* Static name of an ik_error, e.g. "IK_ETIMEOUT" ("IK_UNKNOWN" otherwise). */
IK_EXTERN const char *ik_err_name(int err);
/* Detail message of the calling thread's last failure; never NULL. Any
 * user-provided text in it (names, addresses) has passed ik_escape. */
IK_EXTERN const char *ik_last_error(void);
/* Copies text into buf (len bytes with the NUL) in a form that is safe to
 * show on a terminal or write to a log: printable ASCII and valid UTF-8
 * are kept; each byte of a control character (C0, DEL, C1, so ESC
 * sequences), of invalid or overlong UTF-8, or of a zero-width or
 * bidirectional formatting character becomes \xNN. Text that does not fit
 * is cut between characters and ends with "...". Escaped text passes
 * through unchanged (a backslash is not escaped), so applying it twice is
 * harmless. Returns buf; NULL text is shown as "(null)"; "" when buf is
 * NULL or len 0. */
IK_EXTERN const char *ik_escape(const char *text, char *buf, size_t len);
/* 1 for the codes of what icmplib raises as ICMPSocketError or one of its
 * subclasses: ESOCKET (ICMPSocketError itself), EADDRESS, EPERMISSION,
 * EUNAVAILABLE, EBROADCAST, ETIMEOUT, and the OS failures icmplib reports
 * as a plain ICMPSocketError: ENOBUFS, ENOTSUP, EFAMILY. */
IK_EXTERN int ik_is_socket_error(int err);
/* icmplib's ICMPError family (EDEST_UNREACHABLE, ETIME_EXCEEDED, EICMP). */
IK_EXTERN int ik_is_icmp_error(int err);

/* ------------------------------------------------------------------ */
/* Addresses                                                           */
/* ------------------------------------------------------------------ */

enum { IK_AF_INET = 4, IK_AF_INET6 = 6 };

/* Longest text form, with an IPv6 zone name and the terminating NUL. */
#define IK_ADDRSTRLEN 64

typedef struct ik_address {
  int family;        /* IK_AF_INET or IK_AF_INET6; 0 = unset */
  uint8_t bytes[16]; /* network order; IPv4 uses the first 4 */
  uint32_t scope_id; /* IPv6 zone (interface index), 0 = none */
} ik_address;

/* Parses an IPv4 dotted quad or an IPv6 literal (optionally "%zone").
 * IPv4-mapped IPv6 literals (::ffff:a.b.c.d) are refused: use the IPv4 form.
 * Errors: IK_EINVAL, IK_EADDRFORMAT. */
IK_EXTERN int ik_address_parse(const char *text, ik_address *out);
/* Canonical text (RFC 5952 for IPv6). Errors: IK_EINVAL, IK_ENOSPACE. */
IK_EXTERN int ik_address_format(const ik_address *addr, char *buf, size_t len);
/* 1 when ik_address_parse would accept text as that family, judged on
 * syntax alone (an IPv6 zone name is not looked up); 0 otherwise. */
IK_EXTERN int ik_is_ipv4_address(const char *text);
IK_EXTERN int ik_is_ipv6_address(const char *text);
/* A syntactically valid DNS host name (RFC 1123 labels, not an address). */
IK_EXTERN int ik_is_hostname(const char *text);
/* 1 when ik_socket_open would take text, which is not an address, as an
 * interface name rather than as a mistyped address (the platform's rule,
 * docs/api.md); 0 otherwise, also for NULL. Nothing is looked up. */
IK_EXTERN int ik_is_interface_name(const char *text);
/* 0 when dst can be probed; IK_EINVAL, with a message saying what to use
 * instead, for the unspecified address (0.0.0.0, ::) and for an IPv6
 * link-local unicast or link/interface-local multicast address without a
 * zone. ik_ping and ik_multiping check their destinations with it. */
IK_EXTERN int ik_destination_check(const ik_address *dst);

/* Resolves a name or literal. family: 0 (IPv4 addresses first, as
 * icmplib), IK_AF_INET or IK_AF_INET6. Writes up to max addresses without
 * duplicates, *n gets the count. Literals are parsed, never looked up
 * (inet_aton forms such as "1.2.3" or "0x7f.1" are malformed literals);
 * "localhost" names give the loopback address and ".invalid" names fail,
 * both without a query (RFC 6761).
 * Errors: IK_EINVAL, IK_ENAMELOOKUP (message names the name). */
IK_EXTERN int ik_resolve(const char *name, int family, ik_address *out, size_t max, size_t *n);

/* Process-unique 16-bit identifier: starts at a random value drawn from
 * the OS once per process (plus the PID, so a forked child differs from
 * its parent), incremented on each call, wraps at 16 bits; thread-safe. */
IK_EXTERN uint16_t ik_unique_identifier(void);

/* ------------------------------------------------------------------ */
/* Requests and replies                                                */
/* ------------------------------------------------------------------ */

#define IK_DEFAULT_PAYLOAD_SIZE 56
#define IK_DEFAULT_TTL 64
#define IK_MAX_PAYLOAD_SIZE 65507

typedef struct ik_request {
  ik_address destination;
  uint16_t id; /* on Linux DGRAM sockets, replaced by send */
  uint16_t sequence;
  const void *payload;   /* NULL: pseudo-random bytes from payload_seed */
  size_t payload_size;   /* default 56; the length of payload when given
                           (set both with ik_request_set_payload) */
  uint32_t payload_seed; /* set by ik_request_init, used when payload NULL */
  int ttl;               /* 1..255, default 64 */
  int traffic_class;     /* 0..255, default 0 (DS field / traffic class) */
  double time;           /* seconds since the epoch, set by send (Linux: the
                           kernel's transmit stamp); 0 before */
  void *reserved[2];     /* room for later fields (docs/releasing.md): left
                           zero by ik_request_init; do not use */
} ik_request;

/* Fills defaults and parses the destination (an IP literal).
 * id and sequence are masked to 16 bits. Errors: IK_EINVAL, IK_EADDRFORMAT. */
IK_EXTERN int ik_request_init(ik_request *req, const char *destination, long id, long sequence);
/* icmplib's ICMPRequest(payload=...): the request sends these len bytes
 * (borrowed: they must stay valid while req is sent and matched) and
 * payload_size becomes len, the payload's length. An empty payload
 * (NULL or len 0) means icmplib's default: pseudo-random bytes, payload_size
 * left as it is (56 unless changed). Errors: IK_EINVAL (NULL req, len over
 * IK_MAX_PAYLOAD_SIZE). */
IK_EXTERN int ik_request_set_payload(ik_request *req, const void *payload, size_t len);
/* Copies the payload bytes the request sends (explicit or generated) into
 * buf. Errors: IK_EINVAL, IK_ENOSPACE. */
IK_EXTERN int ik_request_payload(const ik_request *req, void *buf, size_t len);

/* Reply flags */
#define IK_REPLY_DUPLICATE 0x1u /* same (id, sequence) seen before */

typedef struct ik_reply {
  char source[IK_ADDRSTRLEN]; /* text form of source_addr */
  ik_address source_addr;     /* host that composed the ICMP message */
  int family;                 /* 4 or 6 */
  uint16_t id;
  uint16_t sequence;
  int type;
  int code;
  size_t bytes_received; /* ICMP message length (header + data) */
  double time;           /* seconds since the epoch (kernel stamp) */
  int ttl;               /* received TTL / hop limit, -1 if unknown */
  unsigned flags;        /* IK_REPLY_* */
  void *reserved[2];     /* room for later fields (docs/releasing.md):
                                 zero; do not use */
} ik_reply;

/* The seed's raise_for_status: IK_OK for an echo reply, else
 * IK_EDEST_UNREACHABLE, IK_ETIME_EXCEEDED or IK_EICMP. */
IK_EXTERN int ik_reply_check(const ik_reply *reply);
/* icmplib's text for the reply's type/code ("Destination host unreachable",
 * "Time to live exceeded", "Error type: T, code: C", ...); "" for an echo
 * reply. Static storage except for the generic form, written to a
 * thread-local buffer. */
IK_EXTERN const char *ik_reply_message(const ik_reply *reply);
/* Round-trip time in milliseconds. */
IK_EXTERN double ik_rtt_ms(const ik_request *req, const ik_reply *reply);

/* ------------------------------------------------------------------ */
/* Sockets                                                             */
/* ------------------------------------------------------------------ */

typedef struct ik_socket ik_socket;

#define IK_SOCKET_UNPRIVILEGED 0x1u /* SOCK_DGRAM ICMP (Linux, macOS) */

/* Opens an ICMP socket. source: address to bind, or the name of an
 * interface to bind to (Linux SO_BINDTODEVICE, macOS IP_BOUND_IF; Windows:
 * the adapter's friendly name, GUID or index, whose address becomes the
 * source; IK_ENOTSUP elsewhere), NULL (or "") for any; a bind that fails is an error. flags: 0 for a raw socket (root or
 * CAP_NET_RAW), IK_SOCKET_UNPRIVILEGED for a SOCK_DGRAM one (on Linux, the
 * group must be in net.ipv4.ping_group_range). Raw sockets get a kernel
 * filter passing only echo replies and ICMP errors. The socket starts
 * non-blocking. IPv4-mapped IPv6 addresses are refused (use the IPv4 form).
 * Errors: IK_EINVAL, IK_EADDRFORMAT, IK_EFAMILY (source of the other
 * family), IK_EPERMISSION (the detail says how to get the privilege),
 * IK_EADDRESS (not an address of this host; no interface of that name),
 * IK_ESOCKET, IK_ENOTSUP, IK_ENOMEM. */
IK_EXTERN int ik_socket_open(ik_socket **sock, int family, const char *source, unsigned flags);
/* Takes over native, an ICMP socket the caller opened (POSIX: a file
 * descriptor from socket(2), or one a privileged parent or systemd passed
 * in), so a program can open its sockets, drop its privileges, then probe
 * (docs/security.md). The family, raw or datagram kind and bound address
 * are read from the descriptor (ik_socket_family, ik_socket_is_privileged,
 * ik_socket_address report them), then it is configured as ik_socket_open
 * configures its own: non-blocking, close-on-exec, filters, timestamps,
 * error queue. On success the socket owns native: ik_socket_close closes
 * it. On failure native is NOT closed (it stays the caller's, its options
 * possibly changed) and *sock is NULL. Where the OS cannot tell a socket's
 * protocol (macOS) any IPv4/IPv6 raw or datagram socket is taken as ICMP.
 * flags: 0 (reserved). Errors: IK_EINVAL (flags, a negative value, not a
 * socket, a stream socket, a protocol other than ICMP for IPv4 or ICMPv6
 * for IPv6, an IPv4 raw socket with IP_HDRINCL), IK_EUNAVAILABLE (native
 * is not an open descriptor), IK_EFAMILY (neither IPv4 nor IPv6, e.g. a
 * Unix socket), IK_ENOTSUP (Windows: the ICMP API has no socket to hand
 * over; use ik_socket_open, which needs no privilege there), IK_ENOMEM,
 * IK_ESOCKET. */
IK_EXTERN int ik_socket_adopt(ik_socket **sock, intptr_t native, unsigned flags);
/* Sends an echo request (non-blocking); applies req->ttl (1..255) and
 * req->traffic_class (0..255), sets req->time (on Linux the kernel's
 * software transmit stamp when it gives one right away, else the time
 * just before the send), and req->id on Linux DGRAM sockets (the
 * kernel's identifier). An ICMP error about an earlier request
 * that is still queued on the socket does not fail the send.
 * Errors: IK_EINVAL, IK_EFAMILY, IK_EBROADCAST, IK_EUNAVAILABLE,
 * IK_ENOBUFS (the OS has no buffer space right now: receive, wait a
 * little, send again), IK_ESOCKET. */
IK_EXTERN int ik_socket_send(ik_socket *sock, ik_request *req);
/* Waits up to timeout seconds (monotonic clock, whatever else arrives) for
 * the reply matching match: an echo reply with its id, sequence and
 * payload (match->payload must still point at the bytes sent), a valid
 * checksum, from its destination (from any host when the destination is a
 * group address or broadcast is enabled); or an ICMP error quoting it
 * (Linux DGRAM sockets read these from the socket's error queue). NULL:
 * the next echo reply or ICMP error about an echo request. Messages that
 * do not match are consumed. Call again for more replies to a broadcast.
 * reply->ttl is the received TTL / hop limit, -1 when the OS gives none;
 * reply->time is the kernel's receive time where available.
 * Errors: IK_EINVAL, IK_EFAMILY, IK_ETIMEOUT, IK_EUNAVAILABLE, IK_ESOCKET;
 * on Windows also the request's own failure, at once (IK_EINVAL,
 * IK_ENOSPACE, IK_EICMP, IK_ENOMEM, IK_ESOCKET: docs/api.md). */
IK_EXTERN int ik_socket_receive(ik_socket *sock, const ik_request *match, double timeout,
                                ik_reply *reply);
/* Closes the OS resources; idempotent. Later calls give IK_EUNAVAILABLE.
 * A socket wrapped by an ik_async detaches it: the wrapper's pending
 * receives complete with IK_EUNAVAILABLE before this returns (see
 * ik_async_new). Errors: IK_EINVAL. */
IK_EXTERN int ik_socket_close(ik_socket *sock);
/* Closes if needed and frees the handle; a wrapped socket detaches its
 * ik_async as ik_socket_close does. NULL is accepted. */
IK_EXTERN void ik_socket_free(ik_socket *sock);

/* Native handle (fd, or Windows ICMP HANDLE); -1 when closed. */
IK_EXTERN intptr_t ik_socket_native(const ik_socket *sock);
IK_EXTERN int ik_socket_family(const ik_socket *sock);
/* Bound source address, or NULL when listening on all interfaces. */
IK_EXTERN const char *ik_socket_address(const ik_socket *sock);
IK_EXTERN int ik_socket_is_privileged(const ik_socket *sock);
IK_EXTERN int ik_socket_is_closed(const ik_socket *sock);
/* Blocking only affects direct use of the native handle and sends: receive
 * always honours its timeout. Errors: IK_EINVAL, IK_EUNAVAILABLE,
 * IK_ESOCKET. */
IK_EXTERN int ik_socket_get_blocking(const ik_socket *sock, int *blocking);
IK_EXTERN int ik_socket_set_blocking(ik_socket *sock, int blocking);
/* IPv4 only (IPv6 sockets give IK_EINVAL); off by default. While on, a
 * broadcast destination is allowed and replies match from any source.
 * Errors: IK_EINVAL, IK_EUNAVAILABLE, IK_ESOCKET. */
IK_EXTERN int ik_socket_get_broadcast(const ik_socket *sock, int *enabled);
IK_EXTERN int ik_socket_set_broadcast(ik_socket *sock, int enabled);

#ifdef __cplusplus
}
#endif

#include "icmpkit/ping.h"
#include "icmpkit/async.h"
#include "icmpkit/monitor.h"

#endif /* ICMPKIT_H */
