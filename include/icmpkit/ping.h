/* High-level probing: ping, multiping, traceroute and their results.
 * Included by <icmpkit.h>; do not include directly. */
#ifndef ICMPKIT_PING_H
#define ICMPKIT_PING_H

#ifdef __cplusplus
extern "C" {
#endif

/* One matched reply or ICMP error, as collected by the high-level calls;
 * for ik_ping also a probe whose send failed: then error is the ik_error
 * of the send (its detail is ik_last_error() during on_reply), reply has
 * the sequence, the destination as source, type and code -1, ttl -1, time
 * of the attempt, and rtt 0. */
typedef struct ik_probe_reply {
  uint16_t sequence;
  ik_reply reply;
  double rtt;        /* milliseconds */
  int error;         /* 0: a message received; else the failed send's */
  void *reserved[1]; /* room for later fields (docs/releasing.md) */
} ik_probe_reply;

/* Statistics of one host (icmplib's Host). */
typedef struct ik_host {
  char address[IK_ADDRSTRLEN];
  int packets_sent;
  int packets_received;
  double packet_loss;                       /* 0..1 */
  double min_rtt, avg_rtt, max_rtt, jitter; /* ms; 0 when none */
  double *rtts;                             /* packets_received RTTs in ms */
  size_t rtts_len;
  int is_alive;
  int duplicates;
  /* every matched reply or ICMP error; of the copies of one probe's answer
   * (all counted in duplicates) at most 8 are kept, and at most 255
   * further responders to one probe */
  ik_probe_reply *replies;
  size_t replies_len;
  int error; /* 0, or the ik_error that stopped probing it */
  /* ping, multiping: replies to the call's probes (to any of its hosts)
   * that the OS dropped for want of room in the call's receive queues, as
   * far as it tells (Linux; 0 elsewhere); the same in every host of one
   * multiping. Such a loss is not the host's: multiping then probes the
   * hosts that have not answered once more (docs/api.md). */
  size_t local_drops; /* size_t: the size of the reserved pointer it took on every ABI */
  void *reserved[3];  /* room for later fields (docs/releasing.md) */
} ik_host;

struct ik_hop; /* below: on_hop's argument */

/* Options shared by ping, multiping and traceroute. Always start from
 * ik_ping_options_init / ik_multiping_options_init /
 * ik_traceroute_options_init, which set icmplib's defaults. */
typedef struct ik_ping_options {
  int count;           /* probes per host (per hop for traceroute); ping:
                           up to INT_MAX (sequences wrap past 65535),
                           others up to 65536 */
  double interval;     /* seconds between probes to one host (traceroute: any two) */
  double timeout;      /* seconds to wait for each reply */
  long id;             /* -1: ik_unique_identifier() */
  const char *source;  /* source address or interface name to bind, NULL: any */
  int family;          /* 0: auto (IPv4 preferred for names), 4 or 6 */
  int privileged;      /* 1: raw socket, 0: SOCK_DGRAM */
  size_t payload_size; /* default 56 */
  int ttl;             /* default 64 (ping, multiping) */
  int traffic_class;   /* default 0 */
  int broadcast;       /* ping only: allow a broadcast destination */
  double rate;         /* multiping: max probes per second, 0 = unlimited */
  int first_hop;       /* traceroute: default 1 */
  int max_hops;        /* traceroute: default 30 */
  int fast;            /* traceroute: one probe a hop, more only if unanswered */
  /* Progress, all optional (NULL). on_reply runs for every matched reply
   * or ICMP error kept in replies as it arrives, before the call returns (index: the
   * host's position for multiping, 0 for ping, the hop distance for
   * traceroute, where answers to hops past the end may come too: their
   * probes were in flight). When *cancel becomes nonzero (a signal handler may set
   * it), probing stops within 0.1 s and the call returns the results so
   * far. */
  void (*on_reply)(void *arg, size_t index, const ik_probe_reply *reply);
  void *on_reply_arg;
  const volatile int *cancel;
  /* multiping only, optional: the results of each host go to on_host
   * (index: its position), in input order, once probing is over (just
   * before the call returns or cb runs), and hosts is not used (may be
   * NULL). Only statistics are kept, about 80 bytes a host instead of an
   * ik_host and its arrays: the host passed has rtts and replies NULL, the
   * same statistics as otherwise, and is valid during the call only.
   * Copies of a reply that arrive after its probe completed are counted
   * in duplicates but do not reach on_reply; late answers from another
   * address than the host's are not kept. Not called when the call fails;
   * must not free the job. */
  void (*on_host)(void *arg, size_t index, const ik_host *host);
  void *on_host_arg;
  /* Optional, already-open sockets to probe with instead of opening new
   * ones: sockets[0] IPv4, sockets[1] IPv6 (ik_socket_open), NULL: the
   * call opens one of opts->privileged's kind when a target needs it. A
   * program that needs privileges only to open its sockets opens them,
   * drops the privileges, then probes (examples/dropped_privileges.c).
   * The call borrows them: they stay the caller's, open, and may be left
   * non-blocking (and ping -b: broadcast on); use a socket in one call at a
   * time and not meanwhile. */
  ik_socket *sockets[2];
  /* traceroute: probes in flight at once, over as many hops as they
   * cover (traceroute(8)'s -N); 0 (the default): 16, 1: one at a time. */
  int sim_queries;
  /* traceroute only, optional: each hop from first_hop on, in order, as
   * soon as it and every hop before it are complete (its probes answered
   * or timed out), silent hops included (address "", no replies). The hop
   * has every reply and ICMP error received for it, its statistics, and
   * packets_sent (with fast, fewer than count); it is valid during the
   * call only. end is IK_TRACE_MORE, or on the last hop why the trace
   * ends there: IK_TRACE_REACHED (the destination answered),
   * IK_TRACE_UNREACHABLE (an ICMP error other than time exceeded, such
   * as destination unreachable), IK_TRACE_MAX_HOPS. Not called for hops
   * a cancel left incomplete; must not free the job. */
  void (*on_hop)(void *arg, const struct ik_hop *hop, int end);
  void *on_hop_arg;
  /* multiping only: worker threads to spread the targets over, each with
   * its own sockets and event loop and a contiguous block of the targets;
   * 0 (the default): one per core available to the process
   * (ik_cpu_count), except with raw sockets where the kernel cannot
   * filter them by identifier (every system but Linux; Windows until its
   * threads are tested): one (each raw socket would receive every echo
   * reply of the host and, in a fast sweep, overflow);
   * never more than the targets; 1: all on the calling thread, as
   * before. Results, statistics, on_host (in input order) and
   * on_reply are the same as with one thread, and the callbacks still run
   * on the calling (loop) thread, but the workers write the results until
   * the call returns (async: until cb): do not read them before; opts.rate
   * holds for the whole job (each
   * worker gets rate / threads); on a raw socket each worker uses its own
   * identifier (id + k for worker k when id is set). Borrowed sockets
   * serve one thread each: with sockets[] set and more_sockets NULL, the
   * job runs on one thread. */
  int threads;
  /* multiping with borrowed sockets[] and threads > 1, optional: the
   * borrowed sockets of workers 1 .. threads - 1, two a worker,
   * more_sockets[2 (k - 1)] IPv4 and [2 (k - 1) + 1] IPv6 for worker k
   * (NULL where sockets[] is NULL), for a program that opens its sockets
   * before it drops its privileges. */
  ik_socket *const *more_sockets;
  /* Room for later options (docs/releasing.md): zero from the init
   * functions, where a later option takes it with "as before" as its zero
   * value. Do not use. */
  void *reserved[1];
} ik_ping_options;

/* on_hop's end: why a traceroute ended at this hop. */
#define IK_TRACE_MORE 0
#define IK_TRACE_REACHED 1
#define IK_TRACE_UNREACHABLE 2
#define IK_TRACE_MAX_HOPS 3

/* Default send rate of multiping (probes per second); polite on a real
 * network, 0 disables the limit. */
#define IK_DEFAULT_RATE 1000.0

IK_EXTERN void ik_ping_options_init(ik_ping_options *opts); /* count 4, interval 1, timeout 2 */
IK_EXTERN void ik_multiping_options_init(
  ik_ping_options *opts); /* count 2, interval 0.5, timeout 2 */
IK_EXTERN void ik_traceroute_options_init(
  ik_ping_options *opts); /* count 2, interval 0.05, timeout 2, hops 1..30 */

/* One traceroute hop (icmplib's Hop). */
typedef struct ik_hop {
  ik_host host;
  int distance;
  void *reserved[2]; /* room for later fields (docs/releasing.md) */
} ik_hop;

/* The number of cores this process may run on (Linux: its CPU affinity
 * mask; Windows: the active processors; elsewhere the online ones), at
 * least 1: multiping's default number of threads. */
IK_EXTERN int ik_cpu_count(void);
/* multiping's number of threads when ik_ping_options.threads is 0, for raw
 * (privileged 1) or unprivileged (0) sockets: ik_cpu_count(), but 1 for
 * raw sockets where the kernel cannot filter their replies by identifier
 * (every system but Linux). For a program that opens the workers'
 * sockets itself (more_sockets). */
IK_EXTERN int ik_default_threads(int privileged);

/* Frees what a result owns (not the struct itself). NULL is accepted. */
IK_EXTERN void ik_host_free(ik_host *host);
IK_EXTERN void ik_hops_free(ik_hop *hops, size_t n);

/* A send that fails for a while (no route, a firewall's EPERM, no buffer
 * space for a whole timeout) is recorded for its probe (a reply with error
 * set) and probing goes on; ICMP errors that arrive after their probe's
 * timeout are kept in replies too (not counted as answers).
 * Errors: IK_EINVAL (also for a destination ik_destination_check refuses),
 * IK_ENAMELOOKUP, socket errors of ik_socket_open, IK_EBROADCAST,
 * IK_ESOCKET also when too few file descriptors are left for the call's
 * event loop (ik_last_error names EMFILE or ENFILE), IK_ENOMEM. The three
 * synchronous calls install libevent log and fatal callbacks (docs/api.md,
 * "libevent's messages and fatal errors"). */
IK_EXTERN int ik_ping(const char *address, const ik_ping_options *opts, ik_host *host);
/* Results in input order (hosts may be NULL when opts->on_host streams
 * them); a host whose name does not resolve gets host.error =
 * IK_ENAMELOOKUP and the call still probes the others. Errors: as
 * ik_ping, and IK_EINVAL for NULL addresses or hosts. */
IK_EXTERN int ik_multiping(const char *const *addresses, size_t n, const ik_ping_options *opts,
                           ik_host *hosts);
/* Probes for several hops are in flight together (opts->sim_queries),
 * each hop's count probes interval apart from any other probe; with fast,
 * a hop gets its next probe only when the one before went unanswered.
 * The trace ends at the first hop where the destination answers, or a
 * router answers with an ICMP error other than time exceeded (such as
 * destination unreachable: icmplib goes on to max_hops), or at max_hops.
 * *hops is allocated (free with ik_hops_free); only hops that answered
 * with time exceeded or an echo reply are listed, as icmplib does (their
 * replies include any ICMP error too); on_hop sees every hop. */
IK_EXTERN int ik_traceroute(const char *address, const ik_ping_options *opts, ik_hop **hops,
                            size_t *nhops);

/* ---- The same three on a caller's libevent event_base ----
 *
 * Each starts a job and returns at once; the job runs on base's loop
 * thread and ends by calling cb(status, arg) once (the callback rules of
 * icmpkit/async.h: never when the start call fails, never after
 * ik_job_free). Literals, "localhost" and ".invalid" names are resolved
 * in the call (their errors are the call's); other names are looked up
 * on the loop without blocking it (as ik_async_resolve, icmpkit/async.h)
 * and probing starts when the answers are in; cancel and free work during
 * the lookup (free: let the loop run once more before event_base_free, for
 * libevent to end the query). opts (NULL: the call's defaults) is copied;
 * the results (host, hosts, hops/nhops) must stay valid until cb. status:
 * IK_OK; IK_ECANCELED (ik_job_cancel or *opts->cancel) with the results so
 * far; or an error that stopped the job (ping, traceroute: a looked-up
 * name's IK_ENAMELOOKUP; ping: IK_EINVAL for a looked-up address that
 * ik_destination_check refuses; IK_ENOMEM, IK_ESOCKET, ping:
 * a send error that cannot go away such as IK_EBROADCAST), with results
 * holding no allocation. opts->on_reply runs
 * on the loop thread and must not free the job. Intervals follow base's
 * clock: for intervals of a few milliseconds create base with
 * EVENT_BASE_FLAG_PRECISE_TIMER, as the synchronous calls do (libevent's
 * default clock on Linux advances once per kernel tick, 1 to 10 ms). */
struct event_base;
typedef struct ik_job ik_job;
typedef void (*ik_job_cb)(int status, void *arg);

/* job: gets the handle (free it with ik_job_free, from cb if you like);
 * NULL: the job frees itself after cb. Errors: as ik_ping, and IK_EINVAL
 * for a NULL base or cb. */
IK_EXTERN int ik_async_ping(struct event_base *base, const char *address,
                            const ik_ping_options *opts, ik_host *host, ik_job_cb cb, void *arg,
                            ik_job **job);
/* Errors: as ik_multiping, and IK_EINVAL for a NULL base or cb. */
IK_EXTERN int ik_async_multiping(struct event_base *base, const char *const *addresses, size_t n,
                                 const ik_ping_options *opts, ik_host *hosts, ik_job_cb cb,
                                 void *arg, ik_job **job);
/* *hops and *nhops are written just before cb runs. Errors: as
 * ik_traceroute, and IK_EINVAL for a NULL base or cb. */
IK_EXTERN int ik_async_traceroute(struct event_base *base, const char *address,
                                  const ik_ping_options *opts, ik_hop **hops, size_t *nhops,
                                  ik_job_cb cb, void *arg, ik_job **job);
/* Stops probing: nothing more is sent, replies in flight get up to 50 ms,
 * then cb runs on the loop with IK_ECANCELED and the results so far.
 * Nothing happens once cb has run. NULL is accepted. */
IK_EXTERN void ik_job_cancel(ik_job *job);
/* Frees the job. If cb has not run yet, the work stops, cb never runs and
 * the results are left empty (nothing allocated). May be called from cb;
 * not from on_reply. NULL is accepted. */
IK_EXTERN void ik_job_free(ik_job *job);

#ifdef __cplusplus
}
#endif

#endif /* ICMPKIT_PING_H */
