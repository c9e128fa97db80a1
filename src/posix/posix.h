/* POSIX backend internals: which kernel family we build for, and the
 * decoding of what recvmsg returns. Include this first in every src/posix source:
 * it sets the feature macros before any system header. */
#ifndef IK_POSIX_H
#define IK_POSIX_H

#if defined(__linux__) && !defined(_GNU_SOURCE)
#  define _GNU_SOURCE /* RFC 3542 names (IPV6_RECVHOPLIMIT), MSG_ERRQUEUE */
#endif
#if defined(__APPLE__)
#  define __APPLE_USE_RFC_3542 1 /* IPV6_RECVHOPLIMIT instead of the RFC 2292 names */
#endif

/* macOS and the BSDs share one behaviour (IK_FORCE_BSD builds it on Linux
 * so the unit tests can check its buffer handling):
 *  - IPv4 DGRAM ICMP sockets deliver the IP header, like raw ones;
 *  - the kernel keeps the caller's echo identifier;
 *  - ICMP errors arrive as packets (no error queue);
 *  - SO_TIMESTAMP (timeval) instead of SO_TIMESTAMPNS, IP_RECVTTL as a byte. */
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) || \
  defined(__DragonFly__) || defined(IK_FORCE_BSD)
#  define IK__POSIX_BSD 1
#  define IK__POSIX_LINUX 0
#elif defined(__linux__)
#  define IK__POSIX_BSD 0
#  define IK__POSIX_LINUX 1
#else
#  error "icmpkit: unknown POSIX system: teach src/posix/posix.h about it"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "backend.h"

/* How ik__ep_bind_device binds a socket to an interface: macOS with
 * IP_BOUND_IF / IPV6_BOUND_IF (an int, the interface index; every macOS
 * version, raw and datagram sockets, no privilege: XNU ip_ctloutput,
 * ip6_ctloutput, icmp_dgram_ctloutput, icmp6_dgram_ctloutput), preferred to
 * the SO_BINDTODEVICE that XNU's public headers have only since macOS 15
 * (xnu-11215, unknown to older kernels); Linux with SO_BINDTODEVICE (the
 * name). An IK_FORCE_BSD build on Linux takes XNU's values (netinet/in.h,
 * netinet6/in6.h) so the macOS choice compiles and is unit-tested there. */
#if defined(IP_BOUND_IF) && defined(IPV6_BOUND_IF)
#  define IK__IP_BOUND_IF IP_BOUND_IF
#  define IK__IPV6_BOUND_IF IPV6_BOUND_IF
#elif defined(IK_FORCE_BSD)
#  define IK__IP_BOUND_IF 25
#  define IK__IPV6_BOUND_IF 125
#endif

typedef struct ik__bind_option {
  int level, name;
  int by_index; /* 1: the value is index, an int; 0: the name's bytes, no NUL */
  int index;
} ik__bind_option;

/* The setsockopt that binds a socket of family to the interface called
 * name whose index is index. Errors: IK_ENOTSUP (this system has none:
 * BSDs other than macOS; the message names the interface). */
int ik__posix_bind_option(int family, const char *name, unsigned index, ik__bind_option *opt);

/* Where received datagrams start (IK__LAYOUT_IP or IK__LAYOUT_ICMP). */
int ik__posix_layout(int family, int unprivileged);
/* 1 when the kernel replaces the echo identifier by its own (Linux DGRAM). */
int ik__posix_kernel_sets_id(int unprivileged);
/* 1 when ICMP errors are read from the socket's error queue (Linux DGRAM). */
int ik__posix_uses_errqueue(int unprivileged);

/* ik_address -> sockaddr: IK_EINVAL for an unset family. The other way
 * is ik__address_from_sockaddr (backend.h). */
int ik__posix_to_sockaddr(const ik_address *a, struct sockaddr_storage *ss, socklen_t *len);

/* How many sends took the kernel's transmit timestamp as their time
 * (Linux; 0 elsewhere). For the tests. */
unsigned long ik__ep_tx_stamped(const ik__endpoint *ep);

/* The decoders below return codes only, like the codec (packet.h): a
 * rejected message leaves ik_last_error() alone.
 * Decodes one datagram of the normal receive queue: msg is what recvmsg
 * filled (name, control, flags; the data in msg_iov[0]), len its result.
 * Errors: IK_ETRUNCATED (MSG_TRUNC), the codec's errors. */
int ik__posix_decode(int family, int unprivileged, const struct msghdr *msg, size_t len,
                     ik__received *rx);

#if IK__POSIX_LINUX
/* Decodes one entry of the Linux error queue (IP_RECVERR/IPV6_RECVERR):
 * type/code from sock_extended_err, source from its offender, quoted_dst
 * from msg_name, id/sequence from the echo request in the data.
 * Errors: IK_EUNRELATED (a local error, or not about an echo request),
 * IK_ETRUNCATED, IK_EMALFORMED. */
int ik__posix_decode_errqueue(int family, const struct msghdr *msg, size_t len, ik__received *rx);
/* 1 when msg, an error-queue entry, is a transmit timestamp
 * (SO_TIMESTAMPING, origin SO_EE_ORIGIN_TIMESTAMPING): *key gets its
 * SOF_TIMESTAMPING_OPT_ID key, *time the software stamp (wall clock; 0 when
 * the entry carries none). 0 for any other entry. */
int ik__posix_decode_tx_stamp(int family, const struct msghdr *msg, uint32_t *key, double *time);
#endif

#endif
