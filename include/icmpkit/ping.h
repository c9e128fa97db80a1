/* High-level probing: ping, multiping, traceroute and their results.
 * Included by <icmpkit.h>; do not include directly. */
#ifndef ICMPKIT_PING_H
#define ICMPKIT_PING_H

#ifdef __cplusplus
extern "C" {
#endif

/* One matched reply or ICMP error, as collected by the high-level calls. */
typedef struct ik_probe_reply {
  uint16_t sequence;
  ik_reply reply;
  double rtt;           /* milliseconds */
} ik_probe_reply;

/* Options shared by ping, multiping and traceroute. Always start from
 * ik_ping_options_init / ik_multiping_options_init /
 * ik_traceroute_options_init, which set icmplib's defaults. */
typedef struct ik_ping_options {
  int count;            /* probes per host (per hop for traceroute) */
  double interval;      /* seconds between probes to one host */
  double timeout;       /* seconds to wait for each reply */
  long id;              /* -1: ik_unique_identifier() */
  const char *source;   /* source address to bind, NULL: any */
  int family;           /* 0: auto (IPv4 preferred for names), 4 or 6 */
  int privileged;       /* 1: raw socket, 0: SOCK_DGRAM */
  size_t payload_size;  /* default 56 */
  int ttl;              /* default 64 (ping, multiping) */
  int traffic_class;    /* default 0 */
  int broadcast;        /* ping only: allow a broadcast destination */
  double rate;          /* multiping: max probes per second, 0 = unlimited */
  int first_hop;        /* traceroute: default 1 */
  int max_hops;         /* traceroute: default 30 */
  int fast;             /* traceroute: next hop as soon as a reply arrives */
  /* Progress, all optional (NULL). on_reply runs for every matched reply
   * or ICMP error as it arrives, before the call returns (index: the
   * host's position for multiping, 0 for ping, the hop distance for
   * traceroute). When *cancel becomes nonzero (a signal handler may set
   * it), probing stops within 0.1 s and the call returns the results so
   * far. */
  void (*on_reply)(void *arg, size_t index, const ik_probe_reply *reply);
  void *on_reply_arg;
  const volatile int *cancel;
} ik_ping_options;

/* Default send rate of multiping (probes per second); polite on a real
 * network, 0 disables the limit. */
#define IK_DEFAULT_RATE 1000.0

IK_EXTERN void ik_ping_options_init(ik_ping_options *opts);       /* count 4, interval 1, timeout 2 */
IK_EXTERN void ik_multiping_options_init(ik_ping_options *opts);  /* count 2, interval 0.5, timeout 2 */
IK_EXTERN void ik_traceroute_options_init(ik_ping_options *opts); /* count 2, interval 0.05, timeout 2, hops 1..30 */

/* Statistics of one host (icmplib's Host). */
typedef struct ik_host {
  char address[IK_ADDRSTRLEN];
  int packets_sent;
  int packets_received;
  double packet_loss;   /* 0..1 */
  double min_rtt, avg_rtt, max_rtt, jitter; /* ms; 0 when none */
  double *rtts;         /* packets_received RTTs in ms */
  size_t rtts_len;
  int is_alive;
  int duplicates;
  ik_probe_reply *replies; /* every matched reply or ICMP error */
  size_t replies_len;
  int error;            /* 0, or the ik_error that stopped probing it */
} ik_host;

/* One traceroute hop (icmplib's Hop). */
typedef struct ik_hop {
  ik_host host;
  int distance;
} ik_hop;

/* Frees what a result owns (not the struct itself). NULL is accepted. */
IK_EXTERN void ik_host_free(ik_host *host);
IK_EXTERN void ik_hops_free(ik_hop *hops, size_t n);

/* Errors: IK_EINVAL, IK_ENAMELOOKUP, socket errors of ik_socket_open. */
IK_EXTERN int ik_ping(const char *address, const ik_ping_options *opts,
                      ik_host *host);
/* Results in input order; a host whose name does not resolve gets
 * host.error = IK_ENAMELOOKUP and the call still probes the others. */
IK_EXTERN int ik_multiping(const char *const *addresses, size_t n,
                           const ik_ping_options *opts, ik_host *hosts);
/* *hops is allocated (free with ik_hops_free); only responding hops are
 * listed, as icmplib does. */
IK_EXTERN int ik_traceroute(const char *address, const ik_ping_options *opts,
                            ik_hop **hops, size_t *nhops);

#ifdef __cplusplus
}
#endif

#endif /* ICMPKIT_PING_H */
