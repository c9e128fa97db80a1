/* The probe engine: runs a job of any kind on an event_base (the caller's,
 * or sync.c's private one). It owns the job's lifetime, the probe slots,
 * the batches and their flush with back-off, cancel, the end, and routes
 * late replies; what to send and what a reply means is the kind's
 * (job->ops, engine.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "probe/engine.h"
#include "socket.h"

#define IK__CHUNK 1024        /* probe slots allocated at a time */
#define IK__CANCEL_POLL 0.05  /* seconds between looks at *opts->cancel */
#define IK__CANCEL_GRACE 0.05 /* seconds a canceled job waits for replies in flight */

typedef struct ik__chunk {
  struct ik__chunk *next;
  ik__probe slots[IK__CHUNK];
} ik__chunk;

ik__family *ik__job_family(ik_job *job, int family) {
  return &job->fam[family == IK_AF_INET6 ? 1 : 0];
}

size_t ik__job_batched(const ik_job *job) { return job->fam[0].nbatch + job->fam[1].nbatch; }

void ik__job_keep_detail(ik_job *job) {
  snprintf(job->detail, sizeof job->detail, "%s", ik_last_error());
}

/* ---- probe slots: chunks that never move, recycled through a free list ---- */

static ik__probe *slot_get(ik_job *job) {
  ik__probe *p = job->free_slots;
  if (p == NULL) {
    ik__chunk *c = (ik__chunk *)malloc(sizeof *c);
    size_t i;
    if (c == NULL)
      return NULL;
    c->next = job->chunks;
    job->chunks = c;
    for (i = IK__CHUNK; i-- > 0;) {
      c->slots[i].next_free = job->free_slots;
      job->free_slots = &c->slots[i];
    }
    p = job->free_slots;
  }
  job->free_slots = p->next_free;
  p->job = job;
  return p;
}

static void slot_put(ik_job *job, ik__probe *p) {
  p->next_free = job->free_slots;
  job->free_slots = p;
}

/* The request of probe number count to target: its sequence is count's
 * low 16 bits; past 65,536 probes the sequences wrap, and each lap gets
 * other payload bytes, so that a lap's answer is never taken for a copy of
 * the last's. */
static void fill_request(const ik_job *job, ik_request *r, const ik_address *dst, uint32_t count,
                         int ttl, uint32_t target) {
  uint16_t seq = (uint16_t)count;
  memset(r, 0, sizeof *r);
  r->destination = *dst;
  r->id = job->id;
  r->sequence = seq;
  r->payload = NULL; /* generated from the seed: no payload buffers */
  r->payload_size = job->opts.payload_size;
  r->payload_seed =
    job->seed ^ (target * 2654435761u) ^ ((uint32_t)seq << 16) ^ (count >> 16) * 0x9e3779b9u;
  r->ttl = ttl;
  r->traffic_class = job->opts.traffic_class;
  if (job->ops->shape != NULL)
    job->ops->shape(job, target, r, NULL);
}

ik__probe *ik__job_probe(ik_job *job, const ik_address *dst, uint32_t count, int ttl,
                         uint32_t target) {
  ik__probe *p = slot_get(job);
  if (p == NULL) {
    ik__job_stop(job, ik__fail(IK_ENOMEM, "no memory for probes"));
    return NULL;
  }
  fill_request(job, &p->req, dst, count, ttl, target);
  if (count > job->last_count)
    job->last_count = count;
  p->target = target;
  return p;
}

void ik__job_queue(ik__family *f, ik__probe *p) { f->batch[f->nbatch++] = &p->req; }

double ik__probe_rtt(const ik__probe *p, const ik_reply *reply) {
  double ms;
  if (reply->time >= p->req.time || p->sent_wall <= 0)
    return ik_rtt_ms(&p->req, reply);
  ms = (reply->time - p->sent_wall) * 1000.0;
  return ms > 0.0 ? ms : 0.0;
}

/* ---- timers and the end of a job ---- */

static void arm(struct event *ev, double seconds) {
  struct timeval tv;
  if (!(seconds > 0))
    seconds = 0;
  tv.tv_sec = (long)seconds;
  tv.tv_usec = (long)((seconds - (double)tv.tv_sec) * 1e6);
  event_add(ev, &tv);
}

void ik__job_arm(ik_job *job, double seconds) { arm(job->tick_ev, seconds); }

void ik__job_tick_now(ik_job *job) { event_active(job->tick_ev, EV_TIMEOUT, 0); }

/* Ends the job from the loop (done_cb), never from inside a callback of
 * async.c, so closing sockets never happens under the dispatcher's feet. */
void ik__job_stop(ik_job *job, int status) {
  if (job->stopped)
    return;
  job->stopped = 1;
  job->status = status;
  if (status != 0)
    ik__job_keep_detail(job);
  event_del(job->tick_ev);
  if (job->poll_ev != NULL)
    event_del(job->poll_ev);
  event_active(job->done_ev, EV_TIMEOUT, 0);
}

static uint64_t family_drops(const ik__family *f) {
  ik__endpoint *ep = f->sock != NULL ? ik__socket_endpoint(f->sock) : NULL;
  return ep != NULL ? ik__ep_local_drops(ep) - f->drops_base : 0;
}

uint64_t ik__job_local_drops(const ik_job *job) {
  return job->local_drops + family_drops(&job->fam[0]) + family_drops(&job->fam[1]);
}

int ik__job_idle(const ik_job *job) {
  return !job->stopped && job->pending == 0 && ik__job_batched(job) == 0;
}

/* Cancellation stops the sending at once and gives the probes in flight a
 * moment, so that a reply already on its way still counts (a probe sent
 * just before the cancel would otherwise always show as lost). */
static void begin_cancel(ik_job *job) {
  if (job->stopped || job->canceling)
    return;
  job->canceling = 1;
  ik__job_names_free(job); /* still looking names up: nothing was sent */
  if (job->ops->cancel != NULL && job->ops->cancel(job))
    return;
  if (job->pending == 0)
    ik__job_stop(job, IK_ECANCELED);
  else
    arm(job->tick_ev, IK__CANCEL_GRACE);
}

static void probe_done(int status, const ik_reply *reply, void *arg) {
  ik__probe *p = (ik__probe *)arg;
  ik_job *job = p->job;

  job->pending--;
  if (status == IK_OK && !job->stopped)
    job->ops->on_answer(job, p, reply);
  else if (status != IK_OK && status != IK_ETIMEOUT && status != IK_EUNAVAILABLE &&
           (job->stopped || job->ops->on_failed == NULL || !job->ops->on_failed(job, p, status)))
    ik__job_stop(job, status);
  if (!job->stopped && job->canceling && job->pending == 0)
    ik__job_stop(job, IK_ECANCELED);
  else if (!job->stopped && !job->canceling)
    job->ops->on_complete(job, p);
  slot_put(job, p);
}

/* ---- sending ---- */

/* A request went out (by now): wait for its reply. */
static void armed(ik__family *f, ik__probe *p, double now) {
  ik_job *job = f->job;
  double timeout = job->opts.timeout;
  int err;
  job->ops->on_sent(job, p, now);
  if (!f->id_known) { /* the kernel's id on Linux DGRAM sockets */
    f->id = p->req.id;
    f->id_known = 1;
  }
  ik__result_sent(job, p->target);
  if (job->ops->shape != NULL)
    job->ops->shape(job, p->target, NULL, &timeout);
  err = ik_async_receive(f->async, &p->req, timeout, probe_done, p);
  if (err != 0) {
    slot_put(job, p);
    ik__job_stop(job, err);
    return;
  }
  job->pending++;
}

/* Buffers that stay full for a whole timeout (a device whose carrier is
 * down keeps its queue full) would hold the job forever: from then on,
 * until a send succeeds, each probe that finds no room fails as a send
 * error, as iputils ping reports it. */
int ik__job_flush(ik__family *f) {
  ik_job *job = f->job;
  while (f->nbatch > 0 && !job->stopped) {
    size_t sent = 0, i;
    double wall = ik__now_wall(), now;
    int err;
    ik__probe *failed;
    for (i = 0; i < f->nbatch; i++)
      ((ik__probe *)f->batch[i])->sent_wall = wall;
    err = ik__async_send_many(f->async, f->batch, f->nbatch, &sent);
    now = ik__now_mono();
    if (err == 0)
      sent = f->nbatch;
    for (i = 0; i < sent; i++)
      armed(f, (ik__probe *)f->batch[i], now);
    f->nbatch -= sent;
    memmove(f->batch, f->batch + sent, f->nbatch * sizeof f->batch[0]);
    if (sent > 0)
      f->full_since = 0;
    if (err == 0)
      break;
    if (err == IK_ENOBUFS) {
      char why[256];
      if (f->full_since == 0)
        f->full_since = now;
      if (now - f->full_since < job->opts.timeout)
        return err;
      snprintf(why, sizeof why, "%s", ik_last_error());
      ik__fail(IK_ENOBUFS, "%s (no room for %.3g s, the timeout: probe given up)", why,
               now - f->full_since);
      job->send_failures++;
    }
    /* Not sent: icmplib counts it as not sent; the kind says what else. */
    failed = (ik__probe *)f->batch[0];
    f->nbatch--;
    memmove(f->batch, f->batch + 1, f->nbatch * sizeof f->batch[0]);
    job->ops->on_send_failed(job, failed, err);
    slot_put(job, failed);
  }
  return 0;
}

static void tick_cb(evutil_socket_t fd, short what, void *arg) {
  ik_job *job = (ik_job *)arg;
  (void)fd;
  (void)what;
  if (job->stopped)
    return;
  if (job->canceling) /* the grace is over */
    ik__job_stop(job, IK_ECANCELED);
  else
    job->ops->tick(job);
}

static void poll_cb(evutil_socket_t fd, short what, void *arg) {
  ik_job *job = (ik_job *)arg;
  (void)fd;
  (void)what;
  if (*job->opts.cancel)
    begin_cancel(job);
}

/* ---- late replies: duplicates and further responders ---- */

/* An ICMP error that came after its probe completed must prove, as one
 * that completes a receive must (match.c), that it quotes our request: on a
 * raw socket byte for byte, so that a local user who sends requests with
 * our identifier cannot have a router's errors about them counted. The
 * request is rebuilt for this lap or the one before (the sequence alone
 * does not tell which); the TTL is not part of the quoted ICMP message. */
static int late_error_is_ours(const ik_job *job, const ik__family *f, uint32_t t,
                              const ik__received *rx) {
  uint32_t lap = job->last_count >> 16, k;
  for (k = 0; k < 2 && k <= lap; k++) {
    ik_request req;
    fill_request(job, &req, &job->dst[t], ((lap - k) << 16) | rx->pkt.sequence, 0, t);
    req.id = f->id; /* the kernel's, on Linux DGRAM sockets */
    if (ik__match(&req, rx, 0))
      return 1;
  }
  return 0;
}

/* A reply or ICMP error that completed no pending receive (its probe
 * answered or timed out): the kind finds its target, results.c its probe
 * (by sequence) and whether it is worth keeping. */
static void unmatched(void *arg, const ik_reply *reply, const ik_address *quoted_dst,
                      const ik__received *rx) {
  ik__family *f = (ik__family *)arg;
  ik_job *job = f->job;
  long t;
  if (job->stopped || job->ops->late_target == NULL || !f->id_known || reply->id != f->id ||
      (quoted_dst == NULL) != (ik_reply_check(reply) == IK_OK) ||
      (t = job->ops->late_target(job, reply, quoted_dst)) < 0 ||
      (quoted_dst != NULL && !late_error_is_ours(job, f, (uint32_t)t, rx)))
    return;
  ik__record_late(job, (uint32_t)t, reply);
}

/* ---- job lifetime ---- */

static void close_sockets(ik_job *job) {
  int i;
  for (i = 0; i < 2; i++) {
    ik__family *f = &job->fam[i];
    job->local_drops += family_drops(f);
    f->drops_base = 0;
    if (f->async != NULL) {
      /* Pending receives complete here with IK_EUNAVAILABLE. */
      ik_socket *s = ik_async_detach(f->async);
      ik_async_free(f->async);
      f->async = NULL;
      if (s != NULL)
        f->sock = s;
    }
    if (f->borrowed && f->filtered && ik__socket_endpoint(f->sock) != NULL)
      ik__ep_filter_id(ik__socket_endpoint(f->sock), -1); /* the caller's again */
    if (!f->borrowed)
      ik_socket_free(f->sock);
    f->filtered = 0;
    f->sock = NULL;
    f->borrowed = 0;
    f->nbatch = 0;
  }
}

/* Everything but the events and the job itself. */
static void release(ik_job *job) {
  ik__chunk *c;
  ik__job_names_free(job);
  close_sockets(job);
  while ((c = job->chunks) != NULL) {
    job->chunks = c->next;
    free(c);
  }
  job->free_slots = NULL;
  ik__results_release(job);
  if (!job->borrowed_results)
    free(job->dst);
  job->dst = NULL;
  job->ops->free(job);
  job->kind_state = NULL;
}

static void done_cb(evutil_socket_t fd, short what, void *arg) {
  ik_job *job = (ik_job *)arg;
  ik_job_cb cb = job->cb;
  void *cb_arg = job->cb_arg;
  int status;
  (void)fd;
  (void)what;

  event_del(job->tick_ev);
  if (job->poll_ev != NULL)
    event_del(job->poll_ev);
  close_sockets(job);
  if (job->ops->halt != NULL)
    job->ops->halt(job);
  /* A job that never began (cancelled while its names were looked up, or
   * the kind's start failed then) has nothing to finish. */
  status = job->begun ? job->ops->finish(job, job->status) : job->status;
  release(job);
  job->hosts = NULL;
  job->finished = 1;
  if (status != 0) /* closing the sockets may have replaced the detail */
    ik__fail(status, "%s", job->detail);
  if (job->self_owned)
    ik_job_free(job);
  cb(status, cb_arg);
}

static void job_free_events(ik_job *job) {
  if (job->tick_ev != NULL)
    event_free(job->tick_ev);
  if (job->poll_ev != NULL)
    event_free(job->poll_ev);
  if (job->done_ev != NULL)
    event_free(job->done_ev);
}

/* Stops a job whose cb has not run: its results are left empty. */
static void discard(ik_job *job) {
  job->stopped = 1;
  close_sockets(job);
  if (job->ops->halt != NULL)
    job->ops->halt(job);
  ik__results_empty(job);
  release(job);
}

void ik_job_cancel(ik_job *job) {
  if (job != NULL && !job->finished)
    begin_cancel(job);
}

void ik_job_free(ik_job *job) {
  if (job == NULL)
    return;
  if (!job->finished)
    discard(job);
  job_free_events(job);
  free(job);
}

static int job_new(struct event_base *base, const ik__probe_ops *ops, const ik_ping_options *opts,
                   ik_job_cb cb, void *arg, ik_job **out) {
  ik_job *job;
  int err;
  *out = NULL;
  if (base == NULL || cb == NULL)
    return ik__fail(IK_EINVAL, "%s is NULL", base == NULL ? "the event base" : "the callback");
  if ((job = (ik_job *)calloc(1, sizeof *job)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a job");
  if (opts != NULL)
    job->opts = *opts;
  else
    ops->defaults(&job->opts);
  if ((err = ik__options_check(&job->opts, ops->options)) != 0) {
    free(job);
    return err;
  }
  job->base = base;
  job->ops = ops;
  job->cb = cb;
  job->cb_arg = arg;
  job->fam[0].job = job->fam[1].job = job;
  job->id = job->opts.id >= 0 ? (uint16_t)job->opts.id : ik_unique_identifier();
  ik__random_bytes(&job->seed, sizeof job->seed);
  job->tick_ev = evtimer_new(base, tick_cb, job);
  job->done_ev = evtimer_new(base, done_cb, job);
  if (job->opts.cancel != NULL)
    job->poll_ev = event_new(base, -1, EV_PERSIST, poll_cb, job);
  if (job->tick_ev == NULL || job->done_ev == NULL ||
      (job->opts.cancel != NULL && job->poll_ev == NULL)) {
    job_free_events(job);
    free(job);
    return ik__fail(IK_ENOMEM, "no memory for the job's timers");
  }
  *out = job;
  return 0;
}

/* Every request of the job carries job->id (raw sockets keep it), so a
 * raw socket's queue may hold only what answers that id: another prober's
 * replies then cost us nothing. Where that is not possible (IK_ENOTSUP,
 * or the kernel refused: a caller's socket with a locked filter) the codec
 * and the matching sort them out, as they do anyway. */
static void take_socket(ik_job *job, ik__family *f) {
  ik__endpoint *ep = ik__socket_endpoint(f->sock);
  if (ep == NULL)
    return; /* a closed borrowed socket: ik_async_new says so */
  f->drops_base = ik__ep_local_drops(ep);
  f->filtered = ik__ep_is_privileged(ep) && ik__ep_filter_id(ep, job->id) == 0;
}

static int open_family(ik_job *job, int family, const char *source_text) {
  ik__family *f = ik__job_family(job, family);
  ik_address src;
  const char *source = NULL;
  int err;

  if (f->async != NULL)
    return 0;
  /* One source for both families: it binds the socket of its own family. */
  if (source_text != NULL && *source_text != '\0' &&
      (ik_address_parse(source_text, &src) != 0 || src.family == family))
    source = source_text;
  if (job->opts.sockets[family == IK_AF_INET6] != NULL) {
    f->sock = job->opts.sockets[family == IK_AF_INET6];
    f->borrowed = 1;
  } else if ((err = ik_socket_open(&f->sock, family, source,
                                   job->opts.privileged ? 0u : IK_SOCKET_UNPRIVILEGED)) != 0) {
    return err;
  }
  if (job->broadcast && family == IK_AF_INET && (err = ik_socket_set_broadcast(f->sock, 1)) != 0)
    return err;
  take_socket(job, f);
  if ((err = ik_async_new(job->base, f->sock, &f->async)) != 0)
    return err;
  ik__async_set_unmatched(f->async, unmatched, f);
  return 0;
}

/* The kind resolves and sets up; the engine opens the sockets and starts
 * the ticking. */
static int job_begin(ik_job *job, const char *const *addresses, size_t n, void *results) {
  const char *source = job->opts.source;
  size_t i;
  int err;
  if ((err = job->ops->start(job, addresses, n, results)) != 0)
    return err;
  for (i = 0; i < job->ndst; i++)
    if (job->dst[i].family != 0 && (err = open_family(job, job->dst[i].family, source)) != 0)
      return err;
  job->opts.source = NULL; /* borrowed for the call only (or names.c's copy) */
  job->begun = 1;
  ik__job_tick_now(job);
  if (job->poll_ev != NULL)
    arm(job->poll_ev, IK__CANCEL_POLL);
  return 0;
}

void ik__job_names_ready(ik_job *job, const char *const *addresses, size_t n, void *results) {
  int err = job_begin(job, addresses, n, results);
  ik__job_names_free(job);
  if (err != 0) { /* as ik__job_stop, after emptying the results */
    ik__job_keep_detail(job);
    discard(job);
    job->status = err;
    event_active(job->done_ev, EV_TIMEOUT, 0);
  }
}

int ik__job_start(struct event_base *base, const ik__probe_ops *ops, const ik_ping_options *opts,
                  const char *const *addresses, size_t n, void *results, ik_job_cb cb, void *arg,
                  unsigned flags, ik_job **out) {
  ik_job *job;
  int err;
  if ((err = job_new(base, ops, opts, cb, arg, &job)) != 0)
    return err;
  if (!(flags & IK__JOB_BLOCKING_NAMES))
    err = ik__job_names_start(job, addresses, n, results);
  if (err == 0 && job->names == NULL)
    err = job_begin(job, addresses, n, results);
  if (err != 0) {
    discard(job);
    job_free_events(job);
    free(job);
    return err;
  }
  if (job->names != NULL && job->poll_ev != NULL)
    arm(job->poll_ev, IK__CANCEL_POLL);
  if (out != NULL)
    *out = job;
  else
    job->self_owned = 1;
  return 0;
}
