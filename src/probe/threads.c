/* The threaded multiping: see threads.h. Workers talk to the pool's loop
 * through a socket pair each (thread.h), not through libevent's thread
 * support: the caller's event_base need not be thread-safe (the library
 * never calls evthread_use_pthreads, which must precede every base of the
 * process), and nothing but a wake-up byte crosses threads besides what
 * the lock guards. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "probe/threads.h"
#include "thread.h"

/* An on_reply call, handed from a worker to the pool's loop. */
typedef struct handed {
  size_t index;
  ik_probe_reply r;
  char *detail; /* a failed send's ik_last_error() */
} handed;

typedef struct worker {
  ik__pool *pool;
  ik__shard shard;
  ik_ping_options opts;
  struct event_base *base; /* the worker's loop */
  ik_job *job;             /* its shard job, on base */
  struct event *cancel_ev; /* on base: the pool wrote into wake[0] */
  struct event *news_ev;   /* on the pool's base: the worker wrote into wake[1] */
  evutil_socket_t wake[2]; /* [0] the pool's end, [1] the worker's */
  ik__thread *thread;
  int counted; /* the pool saw it end (pool's loop only) */
  int status;  /* its job's, written before done */
  char detail[256];
  /* Under pool->lock. */
  handed *q;
  size_t qlen, qcap;
  int done;
} worker;

struct ik__pool {
  ik_job *job;
  ik__lock *lock;
  worker *w;
  size_t nw, ended;
  int canceled;
};

int ik_cpu_count(void) { return ik__cpu_count(); }

/* Raw sockets: each receives every echo reply of the host, so where the
 * kernel cannot filter them by identifier (ik__raw_filters_ids), each
 * worker's queue would hold the others' replies too and overflow in a
 * fast sweep (65,534 loopback hosts: 50,293 answered with two workers):
 * one thread for them by default; threads > 1 is still honoured. */
int ik_default_threads(int privileged) {
  return privileged && !ik__raw_filters_ids() ? 1 : ik__cpu_count();
}

static int raw_sockets(const ik_ping_options *opts) {
  if (opts->sockets[0] != NULL)
    return ik_socket_is_privileged(opts->sockets[0]);
  if (opts->sockets[1] != NULL)
    return ik_socket_is_privileged(opts->sockets[1]);
  return opts->privileged != 0;
}

int ik__pool_size(const ik_ping_options *opts, size_t n) {
  int t = opts->threads > 0 ? opts->threads : ik_default_threads(raw_sockets(opts));
  if ((opts->sockets[0] != NULL || opts->sockets[1] != NULL) && opts->more_sockets == NULL)
    return 1; /* a borrowed socket serves one thread */
  if ((size_t)t > n)
    t = (int)n;
  return t < 1 ? 1 : t;
}

/* ---- on the worker's thread ---- */

static void hand_over(void *arg, size_t index, const ik_probe_reply *r) {
  worker *w = (worker *)arg;
  ik__pool *pool = w->pool;
  char *detail = NULL;
  int wake;
  if (r->error != 0 && (detail = (char *)malloc(strlen(ik_last_error()) + 1)) != NULL)
    strcpy(detail, ik_last_error());
  ik__lock_take(pool->lock);
  if (w->qlen == w->qcap) {
    size_t cap = w->qcap ? 2 * w->qcap : 64;
    void *p = realloc(w->q, cap * sizeof *w->q);
    if (p == NULL) {
      ik__lock_give(pool->lock);
      free(detail);
      ik__job_stop(w->job, ik__fail(IK_ENOMEM, "no memory to hand replies over"));
      return;
    }
    w->q = (handed *)p;
    w->qcap = cap;
  }
  wake = w->qlen == 0;
  w->q[w->qlen].index = index;
  w->q[w->qlen].r = *r;
  w->q[w->qlen].detail = detail;
  w->qlen++;
  ik__lock_give(pool->lock);
  if (wake)
    ik__wake_send(w->wake[1]);
}

static void worker_cancel(evutil_socket_t fd, short what, void *arg) {
  worker *w = (worker *)arg;
  (void)what;
  ik__wake_drain(fd);
  ik_job_cancel(w->job);
}

static void worker_done(int status, void *arg) {
  worker *w = (worker *)arg;
  w->status = status;
  if (status != 0)
    snprintf(w->detail, sizeof w->detail, "%s", ik_last_error());
  event_base_loopbreak(w->base);
}

static void worker_main(void *arg) {
  worker *w = (worker *)arg;
  w->status = -1;
  event_base_dispatch(w->base);
  if (w->status == -1) {
    w->status = IK_ESOCKET;
    snprintf(w->detail, sizeof w->detail, "a worker's event loop stopped before its probes ended");
  }
  ik__lock_take(w->pool->lock);
  w->done = 1;
  ik__lock_give(w->pool->lock);
  ik__wake_send(w->wake[1]);
}

/* ---- on the pool's loop ---- */

static void cancel_workers(ik__pool *pool) {
  size_t k;
  for (k = 0; k < pool->nw; k++)
    if (pool->w[k].wake[0] != IK__NO_SOCKET)
      ik__wake_send(pool->w[k].wake[0]);
}

void ik__pool_cancel(ik__pool *pool) {
  if (!pool->canceled)
    cancel_workers(pool);
  pool->canceled = 1;
}

/* The job's status once every worker ended: the first error in input
 * order (with its detail), else canceled if any was. */
static int pool_status(const ik__pool *pool) {
  size_t k;
  for (k = 0; k < pool->nw; k++)
    if (pool->w[k].status != 0 && pool->w[k].status != IK_ECANCELED)
      return ik__fail(pool->w[k].status, "%s", pool->w[k].detail);
  for (k = 0; k < pool->nw; k++)
    if (pool->w[k].status == IK_ECANCELED)
      return IK_ECANCELED;
  return pool->canceled ? IK_ECANCELED : 0;
}

static void deliver(ik_job *job, handed *q, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (q[i].detail != NULL)
      ik__fail(q[i].r.error, "%s", q[i].detail);
    if (!job->stopped)
      job->opts.on_reply(job->opts.on_reply_arg, q[i].index, &q[i].r);
    free(q[i].detail);
  }
  free(q);
}

static void news(evutil_socket_t fd, short what, void *arg) {
  worker *w = (worker *)arg;
  ik__pool *pool = w->pool;
  handed *q;
  size_t n;
  int done;
  (void)what;
  ik__wake_drain(fd);
  ik__lock_take(pool->lock);
  q = w->q;
  n = w->qlen;
  w->q = NULL;
  w->qlen = w->qcap = 0;
  done = w->done;
  ik__lock_give(pool->lock);
  deliver(pool->job, q, n);
  if (!done || w->counted)
    return;
  w->counted = 1;
  pool->ended++;
  /* One worker's failure ends the job: the others need not go on. */
  if (w->status != 0 && w->status != IK_ECANCELED && !pool->canceled)
    cancel_workers(pool);
  if (pool->ended == pool->nw)
    ik__job_stop(pool->job, pool_status(pool));
}

/* ---- start and end ---- */

/* Worker k's options: its share of the rate, its own identifier, its
 * borrowed sockets if the caller gave some, on_reply handed over. */
static void worker_options(const ik_job *job, size_t k, int threads, ik_ping_options *o) {
  const ik_ping_options *in = &job->opts;
  *o = *in;
  o->threads = 1;
  o->more_sockets = NULL;
  o->cancel = NULL;
  o->on_host = NULL;
  o->on_host_arg = NULL;
  o->rate = in->rate / threads;
  if (k == 0)
    o->id = job->id;
  else
    o->id = in->id >= 0 ? (long)((job->id + k) & 0xffff) : (long)ik_unique_identifier();
  if (k > 0) {
    o->sockets[0] = in->more_sockets != NULL ? in->more_sockets[2 * (k - 1)] : NULL;
    o->sockets[1] = in->more_sockets != NULL ? in->more_sockets[2 * (k - 1) + 1] : NULL;
  }
  if (in->on_reply != NULL)
    o->on_reply = hand_over;
}

/* Worker k's loop, events and job, made on the calling thread. */
static int worker_prepare(ik__pool *pool, worker *w, size_t k, size_t first, size_t n,
                          int threads) {
  ik_job *job = pool->job;
  int err;
  w->pool = pool;
  w->shard.first = first;
  w->shard.n = n;
  w->shard.dst = job->dst + first;
  w->shard.hosts = job->hosts != NULL ? job->hosts + first : NULL;
  w->shard.stats = job->stats != NULL ? job->stats + first : NULL;
  worker_options(job, k, threads, &w->opts);
  w->opts.on_reply_arg = w;
  if ((err = ik__wake_pair(w->wake)) != 0 || (err = ik__precise_base_new(&w->base)) != 0)
    return err;
  w->cancel_ev = event_new(w->base, w->wake[1], EV_READ | EV_PERSIST, worker_cancel, w);
  w->news_ev = event_new(job->base, w->wake[0], EV_READ | EV_PERSIST, news, w);
  if (w->cancel_ev == NULL || w->news_ev == NULL || event_add(w->cancel_ev, NULL) != 0 ||
      event_add(w->news_ev, NULL) != 0)
    return ik__fail(IK_ENOMEM, "no memory for a worker's events");
  /* the shard's names are resolved already: no lookup on the worker */
  err = ik__job_start(w->base, &ik__multiping_shard_ops, &w->opts, NULL, n, &w->shard, worker_done,
                      w, IK__JOB_BLOCKING_NAMES, &w->job);
  w->opts.source = NULL; /* the caller's, for the start only */
  return err;
}

int ik__pool_start(ik_job *job, int threads, ik__pool **out) {
  ik__pool *pool = (ik__pool *)calloc(1, sizeof *pool);
  size_t k, first = 0, per, extra;
  int err = 0;
  *out = pool;
  if (pool == NULL || (pool->w = (worker *)calloc((size_t)threads, sizeof *pool->w)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %d threads", threads);
  pool->job = job;
  pool->nw = (size_t)threads;
  for (k = 0; k < pool->nw; k++)
    pool->w[k].wake[0] = pool->w[k].wake[1] = IK__NO_SOCKET;
  if ((err = ik__lock_new(&pool->lock)) != 0)
    return err;
  /* Contiguous blocks, the first n % threads one target longer. */
  per = job->n / pool->nw;
  extra = job->n % pool->nw;
  for (k = 0; k < pool->nw && err == 0; k++) {
    size_t n = per + (k < extra);
    err = worker_prepare(pool, &pool->w[k], k, first, n, threads);
    first += n;
  }
  for (k = 0; k < pool->nw && err == 0; k++)
    err = ik__thread_start(&pool->w[k].thread, worker_main, &pool->w[k]);
  return err;
}

void ik__pool_halt(ik__pool *pool) {
  size_t k;
  if (pool == NULL)
    return;
  cancel_workers(pool);
  for (k = 0; k < pool->nw; k++) {
    worker *w = &pool->w[k];
    ik__thread_join(w->thread);
    w->thread = NULL;
    if (w->job != NULL) /* the job's total: every host's local_drops */
      pool->job->local_drops += w->job->local_drops;
    /* A job whose thread never ran is discarded here (its slice of the
     * results emptied); one that ended is only freed. */
    ik_job_free(w->job);
    w->job = NULL;
  }
}

void ik__pool_free(ik__pool *pool) {
  size_t k, i;
  if (pool == NULL)
    return;
  ik__pool_halt(pool);
  for (k = 0; pool->w != NULL && k < pool->nw; k++) {
    worker *w = &pool->w[k];
    if (w->cancel_ev != NULL)
      event_free(w->cancel_ev);
    if (w->news_ev != NULL)
      event_free(w->news_ev);
    if (w->base != NULL)
      event_base_free(w->base);
    ik__wake_close(w->wake);
    for (i = 0; i < w->qlen; i++)
      free(w->q[i].detail);
    free(w->q);
  }
  free(pool->w);
  ik__lock_free(pool->lock);
  free(pool);
}
