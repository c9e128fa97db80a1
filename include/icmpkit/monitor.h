/* A long-running prober on a caller's libevent event_base: every target
 * probed every interval, forever, with Prometheus-style counters and an
 * RTT histogram per target, readable without HTTP (a snapshot, or the
 * text exposition written into a buffer). `icmpkit monitor` is built on it.
 * Included by <icmpkit.h>; do not include directly.
 *
 * Counting rule (so that loss = 1 - replies / sent is exact at any moment):
 * a probe is counted in `sent` only once its outcome is known: answered,
 * timed out, answered by an ICMP error, or refused by the OS (also counted
 * in its send error). A probe in flight counts nowhere. `replies` counts
 * the probes answered by an echo reply in time (the histogram's count);
 * copies of an answer go to `duplicates`, answers after the timeout to
 * `late` (their probe was already counted as lost).
 *
 * Threads: as ik_async (async.h): every call on the base's thread. */
#ifndef ICMPKIT_MONITOR_H
#define ICMPKIT_MONITOR_H

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

typedef struct ik_monitor ik_monitor;

/* RTT histogram: bucket i's upper bound is 50 us * 2^i (i < 20, the last
 * 26.2 s); bucket 20 is +Inf. */
#define IK_MONITOR_BUCKETS 21
/* Most distinct ICMP error (type, code) pairs and send error reasons kept
 * per target; further ones are counted in the last entry. */
#define IK_MONITOR_KINDS 8

#define IK_MONITOR_MODE_AUTO 0         /* datagram socket when allowed, else raw */
#define IK_MONITOR_MODE_PRIVILEGED 1   /* raw socket */
#define IK_MONITOR_MODE_UNPRIVILEGED 2 /* datagram socket */

typedef struct ik_monitor_label {
  const char *name; /* [a-zA-Z_][a-zA-Z0-9_]*, not one of the monitor's */
  const char *value;
} ik_monitor_label;

/* One target and how to probe it. Strings are copied by
 * ik_monitor_set_targets. */
typedef struct ik_monitor_target {
  const char *host; /* an address or a host name, as the user wrote it */
  const ik_monitor_label *labels;
  size_t nlabels;
  double interval;     /* seconds between probes, default 1 */
  double timeout;      /* seconds, default 1 */
  size_t payload_size; /* default 56 */
  int traffic_class;   /* 0..255, default 0 */
  const char *source;  /* address or interface name, NULL: any */
  int mode;            /* IK_MONITOR_MODE_*, default auto */
  int family;          /* of a name's address: 0 (IPv4 first), IK_AF_INET(6) */
  void *reserved[4];   /* room for later fields: left zero by init */
} ik_monitor_target;

IK_EXTERN void ik_monitor_target_init(ik_monitor_target *target);

typedef struct ik_monitor_options {
  /* Optional, already-open sockets (sockets[0] IPv4, [1] IPv6) for the
   * targets with no source and mode auto, as ik_ping_options.sockets:
   * borrowed, they must outlive the monitor. Targets with their own
   * source or mode get sockets the monitor opens. */
  ik_socket *sockets[2];
  /* Seconds between lookups of the target names (0: 60), in (0, 86400].
   * Names are looked up without blocking the loop (evdns); see
   * ik_monitor_set_targets for what an address change does. */
  double resolve_interval;
  void *reserved[4]; /* left zero by init */
} ik_monitor_options;

IK_EXTERN void ik_monitor_options_init(ik_monitor_options *opts);

/* A monitor with no targets on base (opts NULL: defaults).
 * Errors: IK_EINVAL (NULL base or out, resolve_interval out of range),
 * IK_ENOMEM. */
IK_EXTERN int ik_monitor_new(struct event_base *base, const ik_monitor_options *opts,
                             ik_monitor **out);
/* Replaces the targets: targets that stay (same host and labels) keep
 * their counters; new ones start at zero; gone ones vanish from the
 * metrics. Literal addresses and the special names ("localhost",
 * ".invalid") resolve here; other names are looked up on the loop
 * (evdns, never blocking it), now and every resolve_interval; a name's
 * probes wait, uncounted, for its first lookup (a staying name keeps its
 * address meanwhile). A name that does not resolve is kept as a target:
 * each of its probes is counted as sent and as a send error
 * "name_lookup". A lookup that fails later keeps the last address and
 * counts in resolve_errors. When the target's address is no longer
 * among those a lookup returns, the target moves to the first of them: its counters restart at zero under
 * the new address (new series), and the probes in flight of the targets
 * sharing its sockets are dropped uncounted. Each target's probes are spread evenly
 * over its interval (phase offsets), never in bursts. Probes in flight at
 * the call are dropped uncounted. On error nothing changes.
 * Errors: IK_EINVAL (NULL targets with n > 0, NULL host, an option out of
 * range, a bad or duplicate label name, the same host and labels twice),
 * IK_ENOMEM, and the errors of ik_socket_open for a socket a target needs. */
IK_EXTERN int ik_monitor_set_targets(ik_monitor *m, const ik_monitor_target *targets, size_t n);
/* Stops probing and frees everything; NULL is accepted. Name lookups
 * still waiting are cancelled: let the loop run once more before
 * event_base_free, for libevent to end their queries (as ik_job_free). */
IK_EXTERN void ik_monitor_free(ik_monitor *m);

typedef struct ik_monitor_icmp_count {
  int type, code; /* -1, -1: other pairs, past IK_MONITOR_KINDS - 1 */
  uint64_t count;
} ik_monitor_icmp_count;

typedef struct ik_monitor_error_count {
  int error; /* an ik_error (IK_ENAMELOOKUP: the name did not resolve); 0: other */
  uint64_t count;
} ik_monitor_error_count;

/* One target's counters at the time of the call. Strings and labels are
 * the monitor's: valid until the next ik_monitor_set_targets or free. */
typedef struct ik_monitor_stats {
  const char *host;
  const char *address; /* "" while the name does not resolve */
  int family;          /* 0 while the name does not resolve */
  const ik_monitor_label *labels;
  size_t nlabels;
  uint64_t sent;                        /* probes whose outcome is known (see above) */
  uint64_t replies;                     /* answered in time: the histogram's count */
  uint64_t duplicates;                  /* further copies of an answer */
  uint64_t late;                        /* answers after the probe timed out */
  uint64_t buckets[IK_MONITOR_BUCKETS]; /* replies per RTT bucket (not cumulative) */
  double rtt_sum;                       /* seconds */
  int reply_ttl;                        /* of the last reply, -1: none yet or unknown */
  size_t nicmp;
  ik_monitor_icmp_count icmp[IK_MONITOR_KINDS]; /* probes answered by an ICMP error */
  size_t nsend;
  ik_monitor_error_count send[IK_MONITOR_KINDS]; /* probes that could not be sent */
  uint64_t resolve_errors; /* lookups of the name that failed (the last address stays) */
  void *reserved[4];
} ik_monitor_stats;

/* Number of targets. */
IK_EXTERN size_t ik_monitor_size(const ik_monitor *m);
/* Target i's counters (i in the order given to ik_monitor_set_targets).
 * Errors: IK_EINVAL (NULL, i out of range). */
IK_EXTERN int ik_monitor_stats_get(const ik_monitor *m, size_t i, ik_monitor_stats *out);
/* Upper bound in seconds of histogram bucket i (i < IK_MONITOR_BUCKETS - 1). */
IK_EXTERN double ik_monitor_bucket_bound(size_t i);
/* Replies the OS dropped for lack of room on the monitor's sockets of
 * family (IK_AF_INET or IK_AF_INET6), where the OS tells (Linux); else 0. */
IK_EXTERN uint64_t ik_monitor_local_drops(const ik_monitor *m, int family);

#define IK_MONITOR_TEXT 0        /* Prometheus text format 0.0.4 */
#define IK_MONITOR_OPENMETRICS 1 /* OpenMetrics 1.0.0 text, ends in "# EOF" */

/* Writes every metric in format into buf (NUL-terminated) and the length
 * it needs, without the NUL, into *needed (when not NULL): call again
 * with a larger buffer on IK_ENOSPACE. Errors: IK_EINVAL (NULL m, bad
 * format, NULL buf with len > 0), IK_ENOSPACE. */
IK_EXTERN int ik_monitor_write_metrics(const ik_monitor *m, int format, char *buf, size_t len,
                                       size_t *needed);

#ifdef __cplusplus
}
#endif

#endif /* ICMPKIT_MONITOR_H */
