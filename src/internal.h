/* Internal helpers shared by the neutral sources (never installed). */
#ifndef IK_INTERNAL_H
#define IK_INTERNAL_H

#include "icmpkit.h"

/* Per-thread storage for detail messages and formatted texts. */
#if defined(_MSC_VER)
#  define IK__THREAD_LOCAL __declspec(thread)
#else
#  define IK__THREAD_LOCAL _Thread_local
#endif

/* 1 when text holds a byte ik_escape may change (outside printable
 * ASCII). */
int ik__needs_escape(const char *text);
/* Records a detail message for ik_last_error() (printf-style, passed
 * through ik_escape) and returns err, so that a failure path reads:
 * return ik__fail(IK_EINVAL, "...", ...). */
int ik__fail(int err, const char *fmt, ...)
#if defined(__MINGW32__)
  /* gcc's "printf" means the old MSVCRT dialect there (no %zu); C11
     * mingw builds use mingw's own C99 vsnprintf. */
  __attribute__((format(gnu_printf, 2, 3)))
#elif defined(__GNUC__)
  __attribute__((format(printf, 2, 3)))
#endif
  ;

/* 1 when both addresses have the same family and bytes (scope ignored
 * when either side has none). */
int ik__address_equal(const ik_address *a, const ik_address *b);
/* 1 for 255.255.255.255, IPv4 multicast/IPv6 multicast: replies may come
 * from other sources. Subnet broadcasts are recognised by the kernel's
 * EACCES on send, not here. */
int ik__address_is_group(const ik_address *a);

/* The system resolver's part of ik_resolve (src/resolve.c): no literal or
 * RFC 6761 handling, family 0/4/6. */
int ik__resolve(const char *name, int family, ik_address *out, size_t max, size_t *n);

/* Deterministic payload bytes for a seed (so a request need not store
 * them to verify the echo). */
void ik__payload_fill(uint32_t seed, uint8_t *buf, size_t len);

/* What icmplib's statistics need from the RTTs of a host, gathered one
 * RTT at a time (ik__host_stats_add) so that a streamed multiping keeps
 * no RTT array; the operations and their order are those of
 * ik__host_finish, so both give bit-identical results. */
typedef struct ik__host_stats {
  double sum, deltas, last, lo, hi;
  int received;
} ik__host_stats;

void ik__host_stats_add(ik__host_stats *s, double rtt);
/* ik__host_finish from gathered statistics instead of host->rtts. */
void ik__host_finish_stats(ik_host *host, const ik__host_stats *s);

/* Completes a result whose packets_sent, rtts and rtts_len are set:
 * packets_received, packet_loss, min/avg/max RTT, jitter and is_alive,
 * computed and rounded as icmplib computes them (see src/host.c).
 * duplicates, replies and error are left as they are. */
void ik__host_finish(ik_host *host);

#endif
