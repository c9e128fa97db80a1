/* The multiping kind: rounds over many hosts at a limited rate; a host
 * whose name does not resolve or whose send fails gets the error, the
 * others go on. With on_host, only statistics are kept and streamed at
 * the end. */
#include <stdlib.h>
#include <string.h>

#include "probe/rounds.h"
#include "probe/threads.h"

typedef struct multi_state {
  ik__rounds rounds;                 /* first: rounds.c's view */
  ik__addr_index by_source;          /* built on the first late reply */
  char (*unresolved)[IK_ADDRSTRLEN]; /* streaming: names that did not resolve, in order */
  size_t nunresolved;
  ik__pool *pool; /* threads > 1: the workers probe, this job gathers */
} multi_state;

/* Streaming: the address texts are formatted at the end, one at a time;
 * the names that did not resolve are kept as given. */
static int keep_unresolved(multi_state *m, const char *name) {
  size_t cap = m->nunresolved;
  if (cap == 0 || (cap & (cap - 1)) == 0) {
    void *p = realloc(m->unresolved, (cap ? 2 * cap : 8) * sizeof *m->unresolved);
    if (p == NULL)
      return ik__fail(IK_ENOMEM, "no memory for %zu unresolved names", cap ? 2 * cap : 8);
    m->unresolved = (char(*)[IK_ADDRSTRLEN])p;
  }
  memset(m->unresolved[m->nunresolved], 0, sizeof m->unresolved[0]);
  if (name != NULL)
    strncpy(m->unresolved[m->nunresolved], name, sizeof m->unresolved[0] - 1);
  m->nunresolved++;
  return 0;
}

/* Fills dst[i] (and hosts[i]) for addresses[i]; a name that does not
 * resolve marks its host. */
static int resolve_hosts(ik_job *job, const char *const *addresses) {
  multi_state *m = (multi_state *)job->kind_state;
  size_t i;
  for (i = 0; i < job->n; i++) {
    ik_host *h = job->hosts != NULL ? &job->hosts[i] : NULL;
    int err;
    if (h != NULL)
      memset(h, 0, sizeof *h);
    err = ik__job_resolve(job, i, addresses[i], &job->dst[i], h != NULL ? h->address : NULL,
                          h != NULL ? sizeof h->address : 0);
    if (err == 0 && (err = ik_destination_check(&job->dst[i])) == 0)
      continue;
    memset(&job->dst[i], 0, sizeof job->dst[i]);
    *ik__result_error(job, (uint32_t)i) = err;
    if (h == NULL) {
      if ((err = keep_unresolved(m, addresses[i])) != 0)
        return err;
    } else if (addresses[i] != NULL) {
      strncpy(h->address, addresses[i], sizeof h->address - 1);
      h->address[sizeof h->address - 1] = '\0';
    }
  }
  return 0;
}

static int multi_start(ik_job *job, const char *const *addresses, size_t n, void *results) {
  int err, threads;
  job->n = job->ndst = n;
  if (n > 0 && (job->dst = (ik_address *)calloc(n, sizeof *job->dst)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %zu targets", n);
  if (job->opts.on_host == NULL)
    job->hosts = (ik_host *)results;
  else if (n > 0 && (job->stats = (ik__target_stats *)calloc(n, sizeof *job->stats)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %zu targets", n);
  if ((err = ik__rounds_new(job, sizeof(multi_state), job->opts.rate)) != 0 ||
      (err = resolve_hosts(job, addresses)) != 0)
    return err;
  ((ik__rounds *)job->kind_state)->reprobe = 1;
  if ((threads = ik__pool_size(&job->opts, n)) > 1) {
    job->ndst = 0; /* the workers open the sockets */
    return ik__pool_start(job, threads, &((multi_state *)job->kind_state)->pool);
  }
  return 0;
}

/* A worker's job (threads.c): its block of the pool job's targets,
 * resolved there, results recorded in place. */
static int shard_start(ik_job *job, const char *const *addresses, size_t n, void *results) {
  const ik__shard *s = (const ik__shard *)results;
  int err;
  (void)addresses;
  job->n = job->ndst = n;
  job->dst = (ik_address *)s->dst;
  job->hosts = s->hosts;
  job->stats = s->stats;
  job->index_base = s->first;
  job->borrowed_results = 1;
  if ((err = ik__rounds_new(job, sizeof(multi_state), job->opts.rate)) != 0)
    return err;
  ((ik__rounds *)job->kind_state)->reprobe = 1;
  return 0;
}

static void multi_tick(ik_job *job) {
  if (((multi_state *)job->kind_state)->pool == NULL)
    ik__rounds_tick(job);
}

static int multi_cancel(ik_job *job) {
  multi_state *m = (multi_state *)job->kind_state;
  if (m == NULL || m->pool == NULL)
    return 0;
  ik__pool_cancel(m->pool);
  return 1;
}

static void multi_halt(ik_job *job) {
  multi_state *m = (multi_state *)job->kind_state;
  if (m != NULL)
    ik__pool_halt(m->pool);
}

/* The host whose address sent the reply, or whose probe an ICMP error
 * quotes. */
static long multi_late_target(ik_job *job, const ik_reply *reply, const ik_address *quoted_dst) {
  multi_state *m = (multi_state *)job->kind_state;
  size_t pos = IK__ADDR_INDEX_FIRST;
  if (m->by_source.slot == NULL && ik__addr_index_build(&m->by_source, job->dst, job->n) != 0)
    return -1;
  return ik__addr_index_next(&m->by_source, job->dst,
                             quoted_dst != NULL ? quoted_dst : &reply->source_addr, &pos);
}

/* Streaming: each host's results to on_host, in input order. */
static void stream_hosts(ik_job *job) {
  multi_state *m = (multi_state *)job->kind_state;
  size_t i, unresolved = 0;
  for (i = 0; i < job->n; i++) {
    const ik__target_stats *s = &job->stats[i];
    ik_host h;
    memset(&h, 0, sizeof h);
    if (job->dst[i].family == 0)
      memcpy(h.address, m->unresolved[unresolved++], sizeof h.address);
    else
      ik_address_format(&job->dst[i], h.address, sizeof h.address);
    h.packets_sent = s->sent;
    h.duplicates = s->duplicates;
    h.error = s->error;
    ik__host_finish_stats(&h, &s->rtt);
    h.local_drops = (size_t)job->local_drops;
    job->opts.on_host(job->opts.on_host_arg, i, &h);
  }
}

static int multi_finish(ik_job *job, int status) {
  if (job->stats != NULL && (status == 0 || status == IK_ECANCELED)) {
    stream_hosts(job);
    return status;
  }
  return ik__rounds_finish(job, status);
}

static void multi_free(ik_job *job) {
  multi_state *m = (multi_state *)job->kind_state;
  if (m != NULL) {
    ik__pool_free(m->pool);
    ik__addr_index_free(&m->by_source);
    free(m->unresolved);
  }
  ik__rounds_free(job);
}

static const ik__probe_ops multiping_ops = {
  ik_multiping_options_init,
  IK__OPT_COMMON | IK__OPT_TTL | IK__OPT_RATE | IK__OPT_THREADS,
  multi_start,
  multi_tick,
  ik__rounds_on_sent,
  ik__rounds_on_answer,
  ik__rounds_on_complete,
  ik__rounds_on_send_failed,
  multi_late_target,
  multi_finish,
  multi_free,
  multi_cancel,
  multi_halt,
  NULL,
  NULL,
};

/* Its results are the pool job's to complete and stream. */
const ik__probe_ops ik__multiping_shard_ops = {
  ik_multiping_options_init,
  IK__OPT_COMMON | IK__OPT_TTL | IK__OPT_RATE,
  shard_start,
  ik__rounds_tick,
  ik__rounds_on_sent,
  ik__rounds_on_answer,
  ik__rounds_on_complete,
  ik__rounds_on_send_failed,
  multi_late_target,
  ik__rounds_finish,
  multi_free,
  NULL,
  NULL,
  NULL,
  NULL,
};

int ik__multiping_job(struct event_base *base, const char *const *addresses, size_t n,
                      const ik_ping_options *opts, ik_host *hosts, ik_job_cb cb, void *arg,
                      unsigned flags, ik_job **job) {
  if (job != NULL)
    *job = NULL;
  if (n > 0 && (addresses == NULL || (hosts == NULL && (opts == NULL || opts->on_host == NULL))))
    return ik__fail(IK_EINVAL, "ik_multiping: %s is NULL",
                    addresses == NULL ? "addresses" : "hosts");
  if (n > UINT32_MAX / 4)
    return ik__fail(IK_EINVAL, "ik_multiping: %zu hosts is too many", n);
  if (hosts != NULL && n > 0) /* empty until the names are in */
    memset(hosts, 0, n * sizeof *hosts);
  return ik__job_start(base, &multiping_ops, opts, addresses, n, hosts, cb, arg, flags, job);
}

int ik_async_multiping(struct event_base *base, const char *const *addresses, size_t n,
                       const ik_ping_options *opts, ik_host *hosts, ik_job_cb cb, void *arg,
                       ik_job **job) {
  return ik__multiping_job(base, addresses, n, opts, hosts, cb, arg, 0, job);
}
