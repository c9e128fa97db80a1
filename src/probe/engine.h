/* The probe engine: what its files share. engine.c runs a job (probe
 * slots, batches, flush and back-off, cancel, the end, late replies); a
 * probe kind (ping.c, multiping.c, traceroute.c) decides what to send and
 * what a reply means, through a struct ik__probe_ops, and keeps its state
 * in job->kind_state. The engine never looks at which kind runs. */
#ifndef IK_PROBE_ENGINE_H
#define IK_PROBE_ENGINE_H

#include <event2/event.h>

#include "async_engine.h"
#include "backend.h"
#include "probe/options.h"

#define IK__BATCH 64        /* requests handed to one ik__async_send_many */
#define IK__TICK_PROBES 256 /* sends per loop turn, so replies are read in between */
#define IK__BACKOFF 0.001   /* seconds to wait after IK_ENOBUFS before resending */

/* One probe in flight. req comes first: a batch holds &probe->req. */
typedef struct ik__probe {
  ik_request req;
  struct ik_job *job;
  struct ik__probe *next_free;
  uint32_t target;  /* index into job->hosts */
  double sent_wall; /* wall clock just before the send, the RTT's fallback */
} ik__probe;

/* One socket per address family in use. */
typedef struct ik__family {
  struct ik_job *job;
  ik_socket *sock;
  int borrowed; /* sock is the caller's (opts.sockets): never freed here */
  ik_async *async;
  int id_known; /* id: read back from the first send */
  uint16_t id;
  ik_request *batch[IK__BATCH]; /* built, not yet sent (front: oldest) */
  size_t nbatch;
  double full_since;   /* monotonic time the OS first had no room, 0: it has */
  int filtered;        /* the socket has the job's identifier filter */
  uint64_t drops_base; /* the socket's local drops when the job took it */
} ik__family;

/* A streamed multiping host (on_host): statistics only. */
typedef struct ik__target_stats {
  ik__host_stats rtt;
  int sent, duplicates, error;
} ik__target_stats;

struct ik__late_index;
typedef struct ik__job_names ik__job_names;

/* What a kind does; every member is required unless said otherwise. */
typedef struct ik__probe_ops {
  void (*defaults)(ik_ping_options *opts); /* opts == NULL at the start call */
  unsigned options;                        /* rows of options.c this kind checks */
  /* Checks what the table cannot, resolves the targets into job->dst,
   * sets job->hosts (or job->stats), job->n and job->ndst, and its state.
   * results: where the caller wants them (the kind knows the type). */
  int (*start)(ik_job *job, const char *const *addresses, size_t n, void *results);
  void (*tick)(ik_job *job); /* queue and flush what is due */
  void (*on_sent)(ik_job *job, const ik__probe *p, double now);
  void (*on_answer)(ik_job *job, const ik__probe *p, const ik_reply *reply);
  /* p ended (answered or timed out), the job goes on; p is freed after. */
  void (*on_complete)(ik_job *job, const ik__probe *p);
  void (*on_send_failed)(ik_job *job, const ik__probe *p, int err);
  /* The target a late echo reply or ICMP error belongs to, or -1 (an
   * error's quoted_dst: the destination of the probe it answers; NULL for
   * echo replies). NULL: late replies are not this kind's business. */
  long (*late_target)(ik_job *job, const ik_reply *reply, const ik_address *quoted_dst);
  /* Completes the results (or empties them when status fails) and returns
   * the job's final status. */
  int (*finish)(ik_job *job, int status);
  void (*free)(ik_job *job); /* kind_state and what the kind allocated */
  /* Optional. cancel: returns 1 when the kind stops the job itself
   * (threads.c: its workers end, then the job), 0 for the engine's way;
   * halt: before the results are completed or emptied, makes sure nothing
   * outside the loop touches them any more (threads.c joins its workers). */
  int (*cancel)(ik_job *job);
  void (*halt)(ik_job *job);
  /* Optional (NULL: job->opts for every target): target t's own request
   * settings over job->opts' (payload size, traffic class) when req is
   * not NULL, and its timeout when timeout is not NULL (the monitor's
   * targets each have theirs). */
  void (*shape)(const ik_job *job, uint32_t t, ik_request *req, double *timeout);
  /* Optional: p's receive failed with status (not a timeout: Windows
   * reports a probe the OS could not route this way). Nonzero: the kind
   * counted it and the job goes on (on_complete follows); NULL or 0: the
   * job stops with status. */
  int (*on_failed)(ik_job *job, const ik__probe *p, int status);
} ik__probe_ops;

struct ik_job {
  struct event_base *base;
  const ik__probe_ops *ops;
  void *kind_state;
  ik_ping_options opts; /* source not kept: only used to open */
  ik_job_cb cb;
  void *cb_arg;
  int self_owned;       /* started with job == NULL: freed after cb */
  int begun;            /* the kind started (not while names are looked up) */
  ik__job_names *names; /* names.c: looked up before the kind starts */
  int stopped, finished, status;
  int canceling;     /* no more sends; ends at the grace or the last reply */
  int broadcast;     /* IPv4 sockets get SO_BROADCAST */
  char detail[256];  /* ik_last_error() of status, restored before cb */
  ik__family fam[2]; /* [0] IPv4, [1] IPv6 */
  struct event *tick_ev, *poll_ev, *done_ev;
  uint16_t id;         /* id of the requests (DGRAM: replaced by the kernel) */
  uint32_t seed;       /* payload seeds derive from it */
  uint32_t last_count; /* the highest probe number of ik__job_probe so far */
  size_t pending;      /* receives armed and not completed */
  struct ik__chunk *chunks;
  ik__probe *free_slots;
  /* Targets and results (results.c). */
  ik_address *dst; /* ndst destinations: the engine opens their sockets */
  size_t ndst;
  int borrowed_results;         /* a worker's job (threads.c): dst and stats are its pool's */
  size_t n;                     /* results: hosts (ping, multiping) or hops */
  ik_host *hosts;               /* NULL when streaming */
  ik__target_stats *stats;      /* streaming: per host */
  size_t index_base;            /* on_reply's index: index_base + target */
  struct ik__late_index **late; /* per host, built on its first late reply */
  uint64_t local_drops;         /* of sockets already closed (ik__job_local_drops) */
  unsigned send_failures;       /* probes given up for want of OS buffers */
};

/* ---- engine.c: what kinds call ---- */

/* flags: IK__JOB_BLOCKING_NAMES, the synchronous calls: names are
 * resolved in the start call by the system resolver; without it, names
 * that need DNS are looked up on the loop (names.c) and the kind starts
 * when the last answers. */
#define IK__JOB_BLOCKING_NAMES 1u
int ik__job_start(struct event_base *base, const ik__probe_ops *ops, const ik_ping_options *opts,
                  const char *const *addresses, size_t n, void *results, ik_job_cb cb, void *arg,
                  unsigned flags, ik_job **out);
ik__family *ik__job_family(ik_job *job, int family);
size_t ik__job_batched(const ik_job *job);
/* A new request in slot p (NULL when out of memory: the job stopped). */
ik__probe *ik__job_probe(ik_job *job, const ik_address *dst, uint32_t count, int ttl,
                         uint32_t target);
void ik__job_queue(ik__family *f, ik__probe *p);
/* The probe's RTT in ms: from the kernel's transmit stamp, or, when the
 * receive stamp precedes it (the host's own copy of a broadcast or
 * multicast reply is looped back before the transmit stamp is taken),
 * from the wall clock read just before the send, as iputils measures. */
double ik__probe_rtt(const ik__probe *p, const ik_reply *reply);
/* Sends f's batch: IK_ENOBUFS when the OS is out of buffers (the rest
 * stays queued), else 0. */
int ik__job_flush(ik__family *f);
void ik__job_arm(ik_job *job, double seconds); /* the next tick */
void ik__job_tick_now(ik_job *job);
void ik__job_stop(ik_job *job, int status);
int ik__job_idle(const ik_job *job); /* running, nothing pending or queued */
/* Replies the OS dropped on the job's sockets for want of queue room
 * since the job took them (ik__ep_local_drops). */
uint64_t ik__job_local_drops(const ik_job *job);
void ik__job_keep_detail(ik_job *job); /* ik_last_error() becomes the job's detail */
/* The names have been looked up (names.c): the kind starts, or the job
 * ends with the error. */
void ik__job_names_ready(ik_job *job, const char *const *addresses, size_t n, void *results);

/* ---- names.c ---- */

/* Starts a lookup for each of addresses that needs DNS and sets job->names
 * (left NULL when none does: the kind may start at once). */
int ik__job_names_start(ik_job *job, const char *const *addresses, size_t n, void *results);
void ik__job_names_free(ik_job *job); /* cancels lookups still waiting */
/* Resolves addresses[i] (name) into dst and its text into text (unless
 * NULL): job->names' answer when it was looked up, else ik_resolve's; a
 * failure is IK_ENAMELOOKUP naming the name. */
int ik__job_resolve(ik_job *job, size_t i, const char *name, ik_address *dst, char *text,
                    size_t len);

/* ---- the kinds' start calls (ping.c, multiping.c, traceroute.c) ----
 * ik_async_* with flags 0; the synchronous calls pass
 * IK__JOB_BLOCKING_NAMES. */
int ik__ping_job(struct event_base *base, const char *address, const ik_ping_options *opts,
                 ik_host *host, ik_job_cb cb, void *arg, unsigned flags, ik_job **job);
int ik__multiping_job(struct event_base *base, const char *const *addresses, size_t n,
                      const ik_ping_options *opts, ik_host *hosts, ik_job_cb cb, void *arg,
                      unsigned flags, ik_job **job);
int ik__traceroute_job(struct event_base *base, const char *address, const ik_ping_options *opts,
                       ik_hop **hops, size_t *nhops, ik_job_cb cb, void *arg, unsigned flags,
                       ik_job **job);

/* ---- results.c ---- */

/* Duplicate copies of one probe's answer kept in ik_host.replies (all are
 * counted in duplicates), and further responders to one probe kept. */
#define IK__COPIES_KEPT 8
#define IK__RESPONDERS_KEPT 255

/* Records a reply for target t; counted: an answered probe (its RTT goes
 * into rtts). */
void ik__record(ik_job *job, uint32_t t, const ik_reply *reply, double rtt, int counted,
                int duplicate);
/* A late echo reply from target t (after its receive completed): a copy
 * of the answer, a further responder, or nothing worth keeping. O(1): a
 * per-host index by sequence, at most 1 + IK__COPIES_KEPT +
 * IK__RESPONDERS_KEPT replies to compare. A late ICMP error (its probe
 * timed out, or another router answers too) is kept, at most
 * IK__COPIES_KEPT a probe, and never counted as an answer. */
void ik__record_late(ik_job *job, uint32_t t, const ik_reply *reply);
void ik__result_sent(ik_job *job, uint32_t t);
/* A probe to target t could not be sent (err, detail in ik_last_error()):
 * counted as sent, as iputils does, and kept in replies with error set. */
void ik__record_send_error(ik_job *job, const ik__probe *p, int err);
int *ik__result_error(ik_job *job, uint32_t t);
int ik__result_answered(const ik_job *job, uint32_t t); /* 1: a probe to t was answered */
void ik__results_empty(ik_job *job);                    /* hosts freed inside, kept */
void ik__results_finish(ik_job *job);                   /* exact sizes and statistics */
void ik__results_release(ik_job *job);                  /* the engine's own memory */

/* ---- addrindex.c: targets by address ---- */

/* An open-addressing index of a job's destinations, for replies matched
 * by their source address (late replies) or by the destination an ICMP
 * error quotes. Unresolved destinations (family 0) are left out. */
typedef struct ik__addr_index {
  uint32_t *slot; /* a target's index; UINT32_MAX: empty */
  size_t size;    /* a power of two, at least twice the targets */
} ik__addr_index;
#define IK__ADDR_INDEX_FIRST ((size_t)-1)
int ik__addr_index_build(ik__addr_index *x, const ik_address *dst, size_t n); /* IK_ENOMEM */
/* The next target whose address is a, -1 after the last; *pos starts at
 * IK__ADDR_INDEX_FIRST (several targets may share an address). */
long ik__addr_index_next(const ik__addr_index *x, const ik_address *dst, const ik_address *a,
                         size_t *pos);
void ik__addr_index_free(ik__addr_index *x);

/* ---- ratelimit.c: a token bucket ---- */

typedef struct ik__ratelimit {
  double rate; /* per second, 0: no limit */
  double tokens, refilled;
} ik__ratelimit;

void ik__ratelimit_init(ik__ratelimit *rl, double rate, double now);
void ik__ratelimit_refill(ik__ratelimit *rl, double now);
size_t ik__ratelimit_quota(const ik__ratelimit *rl, size_t want);
void ik__ratelimit_take(ik__ratelimit *rl, size_t n);
/* Seconds until the next token, 0 when one is there. */
double ik__ratelimit_wait(const ik__ratelimit *rl);

#endif
