/* The threaded multiping (threads.c): a pool of workers, each running a
 * multiping "shard" job over a contiguous block of the targets on its own
 * thread, event_base and sockets, recording straight into the caller's
 * results (the blocks do not overlap). The job the caller holds stays on
 * the caller's base: it resolved the targets, hands on_reply over from
 * the workers, ends when they have all ended, and streams on_host in
 * input order as a one-thread job does. */
#ifndef IK_PROBE_THREADS_H
#define IK_PROBE_THREADS_H

#include "probe/engine.h"

/* What a shard job probes: targets [first, first + n) of its pool's job. */
typedef struct ik__shard {
  const ik_address *dst; /* the pool job's dst + first */
  ik_host *hosts;        /* + first, or NULL when streaming */
  ik__target_stats *stats;
  size_t first, n;
} ik__shard;

/* multiping.c: the kind of a worker's job (results: an ik__shard). */
extern const ik__probe_ops ik__multiping_shard_ops;

typedef struct ik__pool ik__pool;

/* The workers a multiping of n targets with opts gets: opts->threads, 0:
 * ik_cpu_count() (raw sockets: 1, see threads.c); at most n; 1 with
 * borrowed sockets and no more_sockets. */
int ik__pool_size(const ik_ping_options *opts, size_t n);
/* Starts threads workers over job's resolved targets (job->dst, and
 * job->hosts or job->stats); their sockets open here, on the calling
 * thread, so that errors come from the start call. */
int ik__pool_start(ik_job *job, int threads, ik__pool **pool);
/* Asks every worker to cancel; the job ends when they have ended. */
void ik__pool_cancel(ik__pool *pool);
/* Cancels the workers that run and waits for their threads. */
void ik__pool_halt(ik__pool *pool);
void ik__pool_free(ik__pool *pool);

#endif
