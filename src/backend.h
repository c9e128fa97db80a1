/* Backend interface: implemented once in src/posix/ and once in src/win32/,
 * chosen by CMake at compile time. Neutral code calls only these for OS
 * services. All functions return 0 or a negative ik_error (with
 * ik__fail() detail) unless stated. */
#ifndef IK_BACKEND_H
#define IK_BACKEND_H

#include "internal.h"
#include "packet.h"

/* ---- system services ---- */

/* Wall clock (seconds since the epoch) and monotonic clock (seconds). */
double ik__now_wall(void);
double ik__now_mono(void);
/* Cryptographic-quality random bytes where the OS has them. */
void ik__random_bytes(void *buf, size_t len);
/* Process id, for ik_unique_identifier's seed. */
unsigned long ik__process_id(void);
/* Atomically adds 1 to *counter and returns the previous value. */
unsigned ik__atomic_fetch_inc(volatile unsigned *counter);
/* Atomically sets *p to desired if it holds expected; returns the value
 * *p held before (expected when the swap happened). */
unsigned ik__atomic_cas(volatile unsigned *p, unsigned expected, unsigned desired);
/* Interface name -> index for IPv6 zones; 0 if unknown. A numeric zone
 * is handled by the caller. */
uint32_t ik__if_index(const char *name);
/* Interface index -> name into buf; IK_EINVAL if unknown. */
int ik__if_name(uint32_t index, char *buf, size_t len);
/* For src/resolve.c, which calls the system resolver through libevent's
 * evutil_getaddrinfo: sockaddr -> ik_address (AF_INET or AF_INET6, at
 * least len bytes at sa), 0 or IK_EUNRELATED (another family, too short;
 * no detail set); and the system's text for a resolver error rc into buf
 * (returns buf). */
struct sockaddr;
int ik__address_from_sockaddr(const struct sockaddr *sa, size_t len, ik_address *a);
const char *ik__lookup_error_text(int rc, char *buf, size_t len);
/* For src/resolve_async.c: configures a new evdns_base as the system
 * resolver is: POSIX, /etc/resolv.conf (servers, search list, options;
 * none: 127.0.0.1, as the C library does) and /etc/hosts; Windows, the
 * network adapters' DNS servers (or the registry's) and the hosts file.
 * Errors: IK_ENAMELOOKUP (the configuration cannot be read). */
struct evdns_base;
int ik__dns_configure(struct evdns_base *dns);
/* Prepares the process for libevent; call before the library creates an
 * event_base itself or asks evutil_getaddrinfo. Windows: WSAStartup, once;
 * POSIX: nothing. No backend needs a thread-safe base (libevent's evthread):
 * ik__ep_watch calls libevent on the loop thread only. Errors: IK_ESOCKET. */
int ik__libevent_init(void);

/* ---- ICMP endpoint ----
 *
 * One ICMP socket of one family. The neutral layer (socket.c, async.c)
 * checks arguments, matches replies (match.c) and keeps deadlines; the
 * endpoint only talks to the OS. Two kinds of backend fit behind it:
 *  - datagram backends (POSIX): send writes a packet, read returns whatever
 *    the kernel delivered, one message at a time, including other
 *    processes' traffic on raw sockets;
 *  - transaction backends (Windows): send starts one OS call per request,
 *    the OS picks the wire id, and read returns at most one result per
 *    request, reported with the caller's id and sequence. Such a backend
 *    may drop a request it gave up on: the neutral layer times it out.
 * Endpoints are not thread-safe; one thread uses one endpoint at a time. */

struct event_base;
typedef struct ik__endpoint ik__endpoint;

/* One message read from an endpoint. */
typedef struct ik__received {
  /* The parsed ICMP message. For errors read from a Linux error queue the
   * codec did not see the message: type, code, id, sequence and quoted_dst
   * are filled from the queue entry and icmp_len is an estimate (8 + the
   * quoted IP header + the quoted bytes). pkt.data points into the
   * endpoint's buffer and stays valid until the next ik__ep_read. */
  ik__packet pkt;
  ik_address source; /* who sent the message (a router, for errors) */
  int ttl;           /* received TTL / hop limit, -1 when the OS gives none */
  double time;       /* wall clock at receipt: kernel stamp when available */
  /* 0, or the ik_error with which the OS failed the request that pkt names
   * (a transaction backend's local failure: Windows IP_BAD_DESTINATION,
   * IP_NO_RESOURCES ...). pkt.is_error, id, sequence and quoted_dst are
   * set as for an ICMP error, so the request's receive matches it and
   * completes with this error at once; ik_last_error() holds the detail
   * until the next ik__ep_read. Datagram backends leave it 0. */
  int error;
} ik__received;

/* Opens an endpoint. source: address to bind (NULL: any). unprivileged:
 * SOCK_DGRAM ICMP instead of SOCK_RAW. The endpoint starts non-blocking.
 * Errors: IK_EPERMISSION (the message says how to get the privilege),
 * IK_EADDRESS (bind: address not available), IK_ENOTSUP (family or mode
 * missing on this system), IK_ENOMEM, IK_ESOCKET. */
int ik__ep_open(ik__endpoint **ep, int family, const ik_address *source, int unprivileged);
/* Binds an open endpoint to the interface called name (ik_socket_open's
 * source when it is not an address): Linux SO_BINDTODEVICE, macOS
 * IP_BOUND_IF / IPV6_BOUND_IF, Windows the interface's address as source
 * (src/win32/iface.h). Errors: IK_EADDRESS (no interface of that name;
 * Windows: none of the endpoint's family on it), IK_EPERMISSION, IK_ENOTSUP
 * (the system cannot bind a socket to an interface: BSDs other than
 * macOS), IK_ENOMEM, IK_ESOCKET. */
int ik__ep_bind_device(ik__endpoint *ep, const char *name);
/* Takes over native, an open socket of the caller, once the descriptor
 * itself shows an ICMP (IPv4) or ICMPv6 raw or datagram socket, and
 * configures it as ik__ep_open does. *family gets its family, *source the
 * address it is bound to (family 0: none). On failure native is left open
 * (its options possibly changed). Errors: IK_EINVAL (not a descriptor, not
 * a socket, a stream socket, another protocol, IPv4 raw with IP_HDRINCL),
 * IK_EUNAVAILABLE (descriptor not open), IK_EFAMILY (neither IPv4 nor
 * IPv6), IK_ENOTSUP (Windows: the ICMP API has no socket), IK_ENOMEM,
 * IK_ESOCKET. */
int ik__ep_adopt(ik__endpoint **ep, intptr_t native, int *family, ik_address *source);
/* Releases everything; NULL is accepted. */
void ik__ep_close(ik__endpoint *ep);

/* Sends req (the caller checked its family and ranges): builds the echo
 * request, applies req->ttl / req->traffic_class, sets req->time and, where
 * the OS chooses the identifier (Linux DGRAM), writes it into req->id.
 * An ICMP error queued on the socket by an earlier probe is not a failure
 * of this send. Errors: IK_EBROADCAST (broadcast destination, broadcast
 * off), IK_ENOBUFS (no buffer space in the OS right now: wait, send
 * again; IK_ENOSPACE is only ever a caller's buffer), IK_ENOTSUP (option the OS refuses in this mode), IK_EINVAL,
 * IK_ESOCKET. */
int ik__ep_send(ik__endpoint *ep, ik_request *req);

/* Sends reqs[0..n) as ik__ep_send would, in as few system calls as the OS
 * allows (Linux: sendmmsg for runs of small requests with the same options;
 * such a run shares one req->time). *sent gets how many went out; on an
 * error, reqs[*sent] is the request that failed. Errors: those of
 * ik__ep_send. */
int ik__ep_send_many(ik__endpoint *ep, ik_request *const *reqs, size_t n, size_t *sent);

/* Reads one pending message without blocking. A backend may take several
 * messages from the OS at once (Linux: recvmmsg) and hand them out one per
 * call, so read until IK_ETIMEOUT before waiting. Errors: IK_ETIMEOUT when
 * nothing is pending; packet errors (see ik__is_packet_error in match.h:
 * IK_ETRUNCATED, IK_EMALFORMED, IK_ECHECKSUM, IK_EUNRELATED) for a message
 * that was consumed but is not usable, so the caller reads again;
 * IK_ESOCKET for an OS failure. */
int ik__ep_read(ik__endpoint *ep, ik__received *rx);

/* Waits up to timeout_s seconds (0: poll) until ik__ep_read may have
 * something. Returns 0 when it may (also early on a signal), IK_ETIMEOUT
 * otherwise, IK_ESOCKET on failure. */
int ik__ep_wait(ik__endpoint *ep, double timeout_s);

/* Asks base's loop thread to call ready(arg) whenever the OS has something
 * for ik__ep_read (a persistent read event on POSIX; completion events on
 * Windows), until ik__ep_unwatch; ready should read until IK_ETIMEOUT.
 * One watch per endpoint.
 * Errors: IK_EINVAL (already watched), IK_ENOMEM, IK_ESOCKET. */
int ik__ep_watch(ik__endpoint *ep, struct event_base *base, void (*ready)(void *arg), void *arg);
void ik__ep_unwatch(ik__endpoint *ep);

/* The longest the caller waits for a reply, in seconds (ik_socket_receive,
 * ik_async_receive tell it). A transaction backend passes it to the OS
 * with each later send, so a request holds its OS resources no longer;
 * datagram backends ignore it. */
void ik__ep_set_timeout_hint(ik__endpoint *ep, double seconds);

/* 1 when the endpoint counts as privileged (ik_socket_is_privileged):
 * POSIX raw sockets; every Windows endpoint (the ICMP API needs no
 * privilege, and icmplib says privileged on Windows). */
int ik__ep_is_privileged(const ik__endpoint *ep);
/* Lets into the endpoint's receive queue only echo replies carrying id and
 * ICMP errors that quote an echo request carrying id; id -1 takes that
 * filter away. Only for a caller whose requests on the endpoint all carry
 * id (the probe engine): an ik_socket's user may send any id, so a plain
 * socket keeps the filter by type only. Linux raw sockets: a classic BPF
 * program (SO_ATTACH_FILTER), so another prober's traffic never takes
 * room in our queue. Errors: IK_ENOTSUP (DGRAM sockets, which the Linux
 * kernel demultiplexes by identifier itself; other systems), IK_ESOCKET. */
int ik__ep_filter_id(ik__endpoint *ep, int id);
/* 1 when ik__ep_filter_id works on this system's raw endpoints, so raw
 * sockets of several workers each receive only their own replies (Linux);
 * 0 where every raw socket receives every reply of the host. */
int ik__raw_filters_ids(void);
/* Replies (and ICMP errors) the OS dropped on this endpoint's receive queue
 * for lack of room since it was opened, as far as the OS tells (Linux:
 * SO_RXQ_OVFL); 0 where it does not. Counted as messages are read. */
uint64_t ik__ep_local_drops(const ik__endpoint *ep);

/* Native handle: a file descriptor on POSIX, the ICMP HANDLE on Windows. */
intptr_t ik__ep_native(const ik__endpoint *ep);
/* Socket options; a backend without the notion fails with IK_ENOTSUP.
 * Errors: IK_ESOCKET with the OS text. */
int ik__ep_get_blocking(const ik__endpoint *ep, int *blocking);
int ik__ep_set_blocking(ik__endpoint *ep, int blocking);
int ik__ep_get_broadcast(const ik__endpoint *ep, int *enabled);
int ik__ep_set_broadcast(ik__endpoint *ep, int enabled);

#endif
