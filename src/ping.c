/* ping, multiping and traceroute: one probing engine on the async socket
 * layer (async.c). The synchronous calls run a job on a private
 * event_base; the asynchronous ones run it on the caller's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "async_engine.h"
#include "backend.h"

#define IK__BATCH 64         /* requests handed to one ik__async_send_many */
#define IK__TICK_PROBES 256  /* sends per loop turn, so replies are read in between */
#define IK__CHUNK 1024       /* probe slots allocated at a time */
#define IK__BACKOFF 0.001    /* seconds to wait after IK_ENOSPACE before resending */
#define IK__CANCEL_POLL 0.05 /* seconds between looks at *opts->cancel */
#define IK__CANCEL_GRACE 0.05 /* seconds a canceled job waits for replies in flight */
#define IK__BURST 0.01       /* seconds of rate the token bucket may save up */

enum { KIND_PING, KIND_MULTI, KIND_TRACE };

struct ik_job;

/* One probe in flight. req comes first: a batch holds &probe->req. */
typedef struct probe {
  ik_request req;
  struct ik_job *job;
  struct probe *next_free;
  uint32_t target; /* host index; traceroute: hop index */
} probe;

/* A multiping host whose results stream to on_host: statistics only. */
typedef struct target_stats {
  ik__host_stats rtt;
  int sent, duplicates, error;
} target_stats;

typedef struct chunk {
  struct chunk *next;
  probe slots[IK__CHUNK];
} chunk;

/* One socket per address family in use. */
typedef struct family_ctx {
  struct ik_job *job;
  ik_socket *sock;
  int borrowed;                 /* sock is the caller's (opts.sockets) */
  ik_async *async;
  int id_known;                 /* id: read back from the first send */
  uint16_t id;
  ik_request *batch[IK__BATCH]; /* built, not yet sent (front: oldest) */
  size_t nbatch;
  double full_since;            /* monotonic time the OS first had no room, 0: it has */
} family_ctx;

struct ik_job {
  struct event_base *base;
  int kind;
  ik_ping_options opts; /* source not kept: only used to open */
  ik_job_cb cb;
  void *cb_arg;
  int self_owned;       /* started with job == NULL: freed after cb */
  int stopped, finished, status;
  int canceling;        /* no more sends; ends at the grace or the last reply */
  char detail[256];     /* ik_last_error() of status, restored before cb */
  family_ctx fam[2];    /* [0] IPv4, [1] IPv6 */
  struct event *tick_ev, *poll_ev, *done_ev;
  uint16_t id;          /* id of the requests (DGRAM: replaced by the kernel) */
  uint32_t seed;        /* payload seeds derive from it */
  size_t pending;       /* receives armed and not completed */
  chunk *chunks;
  probe *free_slots;
  /* Targets: hosts for ping/multiping (the caller's), hops for traceroute
   * (the job's, one per TTL). */
  size_t n;
  ik_host *hosts;       /* NULL when streaming */
  int stream;           /* multiping with on_host: stats instead of hosts */
  target_stats *stats;  /* streaming: per host */
  char (*unresolved)[IK_ADDRSTRLEN]; /* streaming: names that did not resolve, in order */
  size_t nunresolved;
  ik_address *dst;
  double *last_send;    /* per host, multiping with count > 1 */
  size_t round, next;   /* multiping cursor: probe `round` of host `next` */
  int linger;           /* broadcast/multicast ping: wait out the last timeout */
  double last_fill;     /* when the last probe was queued */
  double tokens, refilled;
  uint32_t *by_source;  /* host index by address, built on the first late reply */
  size_t by_source_size;
  /* traceroute */
  ik_hop **hops_out;
  size_t *nhops_out;
  int ttl, hop_sent, hop_pending, hop_counted, reached;
  uint16_t next_seq;
  double last_sent;
};

static int fam_index(int family) { return family == IK_AF_INET6 ? 1 : 0; }

/* ---- options ---- */

static void common_defaults(ik_ping_options *o) {
  memset(o, 0, sizeof *o);
  o->count = 4;
  o->interval = 1.0;
  o->timeout = 2.0;
  o->id = -1;
  o->privileged = 1;
  o->payload_size = IK_DEFAULT_PAYLOAD_SIZE;
  o->ttl = IK_DEFAULT_TTL;
  o->rate = 0.0;
  o->first_hop = 1;
  o->max_hops = 30;
}

void ik_ping_options_init(ik_ping_options *opts) {
  if (opts != NULL)
    common_defaults(opts);
}

void ik_multiping_options_init(ik_ping_options *opts) {
  if (opts == NULL)
    return;
  common_defaults(opts);
  opts->count = 2;
  opts->interval = 0.5;
  opts->rate = IK_DEFAULT_RATE;
}

void ik_traceroute_options_init(ik_ping_options *opts) {
  if (opts == NULL)
    return;
  common_defaults(opts);
  opts->count = 2;
  opts->interval = 0.05;
}

static int bad_seconds(double s) { return !(s >= 0) || isinf(s); }

static int check_options(const ik_ping_options *o, int kind) {
  if (o->count < 1 || o->count > 65536)
    return ik__fail(IK_EINVAL, "count %d out of range 1..65536", o->count);
  if (bad_seconds(o->interval))
    return ik__fail(IK_EINVAL, "interval %g: must be a finite number of seconds >= 0", o->interval);
  if (bad_seconds(o->timeout))
    return ik__fail(IK_EINVAL, "timeout %g: must be a finite number of seconds >= 0", o->timeout);
  if (o->id < -1 || o->id > 0xffff)
    return ik__fail(IK_EINVAL, "id %ld: use -1 (automatic) or 0..65535", o->id);
  if (o->family != 0 && o->family != IK_AF_INET && o->family != IK_AF_INET6)
    return ik__fail(IK_EINVAL, "family %d: use 0, 4 or 6", o->family);
  if (o->payload_size > IK_MAX_PAYLOAD_SIZE)
    return ik__fail(IK_EINVAL, "payload size %zu exceeds %d", o->payload_size, IK_MAX_PAYLOAD_SIZE);
  if (kind != KIND_TRACE && (o->ttl < 1 || o->ttl > 255))
    return ik__fail(IK_EINVAL, "ttl %d out of range 1..255", o->ttl);
  if (o->traffic_class < 0 || o->traffic_class > 255)
    return ik__fail(IK_EINVAL, "traffic class %d out of range 0..255", o->traffic_class);
  if (kind == KIND_MULTI && (!(o->rate >= 0) || isinf(o->rate)))
    return ik__fail(IK_EINVAL, "rate %g: must be a finite number of probes per second >= 0 (0: no limit)",
                    o->rate);
  if ((o->sockets[0] != NULL && ik_socket_family(o->sockets[0]) != IK_AF_INET) ||
      (o->sockets[1] != NULL && ik_socket_family(o->sockets[1]) != IK_AF_INET6))
    return ik__fail(IK_EINVAL, "sockets[0] must be an IPv4 socket and sockets[1] an IPv6 one");
  if (kind == KIND_TRACE) {
    if (o->first_hop < 1 || o->first_hop > 255)
      return ik__fail(IK_EINVAL, "first hop %d out of range 1..255", o->first_hop);
    if (o->max_hops < o->first_hop || o->max_hops > 255)
      return ik__fail(IK_EINVAL, "max hops %d out of range %d..255 (first hop %d)", o->max_hops,
                      o->first_hop, o->first_hop);
  }
  return 0;
}

/* ---- probe slots: chunks that never move, recycled through a free list ---- */

static probe *slot_get(ik_job *job) {
  probe *p = job->free_slots;
  if (p == NULL) {
    chunk *c = (chunk *)malloc(sizeof *c);
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

static void slot_put(ik_job *job, probe *p) {
  p->next_free = job->free_slots;
  job->free_slots = p;
}

static void make_request(ik_job *job, probe *p, const ik_address *dst, uint16_t seq, int ttl,
                         uint32_t target) {
  ik_request *r = &p->req;
  memset(r, 0, sizeof *r);
  r->destination = *dst;
  r->id = job->id;
  r->sequence = seq;
  r->payload = NULL; /* generated from the seed: no payload buffers */
  r->payload_size = job->opts.payload_size;
  r->payload_seed = job->seed ^ (target * 2654435761u) ^ ((uint32_t)seq << 16);
  r->ttl = ttl;
  r->traffic_class = job->opts.traffic_class;
  p->target = target;
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

/* Ends the job from the loop (done_cb), never from inside a callback of
 * async.c, so closing sockets never happens under the dispatcher's feet. */
static void stop(ik_job *job, int status) {
  if (job->stopped)
    return;
  job->stopped = 1;
  job->status = status;
  if (status != 0)
    snprintf(job->detail, sizeof job->detail, "%s", ik_last_error());
  event_del(job->tick_ev);
  if (job->poll_ev != NULL)
    event_del(job->poll_ev);
  event_active(job->done_ev, EV_TIMEOUT, 0);
}

/* Makes room for element len of an array whose capacity is base, 2 base,
 * 4 base ... (base: the probes per host, at most 16, so that a long ping
 * does not reserve its whole count at once); exact sizes come at the end. */
static int room(void **array, size_t len, size_t count, size_t size) {
  size_t base = count < 16 ? count : 16, cap, k;
  void *p;
  if (len == 0) {
    cap = base;
  } else {
    if (len < base || len % base != 0)
      return 0;
    k = len / base;
    if ((k & (k - 1)) != 0)
      return 0;
    cap = 2 * len;
  }
  if ((p = realloc(*array, cap * size)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for the replies of a host");
  *array = p;
  return 0;
}

static void shrink(void **array, size_t len, size_t size) {
  void *p;
  if (len == 0) {
    free(*array);
    *array = NULL;
  } else if ((p = realloc(*array, len * size)) != NULL) {
    *array = p;
  }
}

/* Records a reply for target t; counted: an answered probe (its RTT goes
 * into rtts). */
static void record(ik_job *job, uint32_t t, const ik_reply *reply, double rtt, int counted,
                   int duplicate) {
  ik_host *h = NULL;
  size_t count = (size_t)job->opts.count;
  ik_probe_reply one, *r = &one;

  if (job->stream) {
    target_stats *s = &job->stats[t];
    s->duplicates += duplicate != 0;
    if (counted)
      ik__host_stats_add(&s->rtt, rtt);
    if (job->opts.on_reply == NULL)
      return;
  } else {
    h = &job->hosts[t];
    if (room((void **)&h->replies, h->replies_len, count, sizeof *h->replies) != 0 ||
        (counted && room((void **)&h->rtts, h->rtts_len, count, sizeof *h->rtts) != 0)) {
      stop(job, IK_ENOMEM);
      return;
    }
    r = &h->replies[h->replies_len++];
    h->duplicates += duplicate != 0;
    if (counted)
      h->rtts[h->rtts_len++] = rtt;
  }
  r->sequence = reply->sequence;
  r->reply = *reply;
  r->rtt = rtt;
  if (duplicate)
    r->reply.flags |= IK_REPLY_DUPLICATE;
  if (job->kind == KIND_TRACE && counted) {
    memcpy(h->address, reply->source, sizeof h->address);
    if (ik_reply_check(reply) == IK_OK)
      job->reached = 1;
  }
  if (job->opts.on_reply != NULL)
    job->opts.on_reply(job->opts.on_reply_arg,
                       job->kind == KIND_MULTI ? (size_t)t
                       : job->kind == KIND_TRACE ? (size_t)job->opts.first_hop + t
                                                 : 0,
                       r);
}

/* Cancellation stops the sending at once and gives the probes in flight a
 * moment, so that a reply already on its way still counts (a probe sent
 * just before the cancel would otherwise always show as lost). */
static void begin_cancel(ik_job *job) {
  if (job->stopped || job->canceling)
    return;
  job->canceling = 1;
  if (job->pending == 0)
    stop(job, IK_ECANCELED);
  else
    arm(job->tick_ev, IK__CANCEL_GRACE);
}

static void check_done(ik_job *job) {
  if (job->stopped || job->pending > 0 || job->fam[0].nbatch > 0 || job->fam[1].nbatch > 0)
    return;
  /* More responders may still answer a broadcast: multi_tick wakes us. */
  if (job->linger && ik__now_mono() < job->last_fill + job->opts.timeout)
    return;
  if (job->kind != KIND_TRACE && job->round >= (size_t)job->opts.count)
    stop(job, 0);
}

static void probe_done(int status, const ik_reply *reply, void *arg) {
  probe *p = (probe *)arg;
  ik_job *job = p->job;
  uint32_t t = p->target;

  job->pending--;
  if (job->kind == KIND_TRACE)
    job->hop_pending--;
  if (status == IK_OK && !job->stopped) {
    int check = ik_reply_check(reply);
    int dup = (reply->flags & IK_REPLY_DUPLICATE) != 0;
    int counted = !dup && (check == IK_OK || (job->kind == KIND_TRACE && check == IK_ETIME_EXCEEDED));
    if (counted && job->kind == KIND_TRACE)
      job->hop_counted++;
    record(job, t, reply, ik_rtt_ms(&p->req, reply), counted, dup);
  } else if (status != IK_OK && status != IK_ETIMEOUT && status != IK_EUNAVAILABLE) {
    stop(job, status);
  }
  slot_put(job, p);
  if (job->stopped)
    return;
  if (job->canceling) {
    if (job->pending == 0)
      stop(job, IK_ECANCELED);
    return;
  }
  if (job->kind == KIND_TRACE)
    event_active(job->tick_ev, EV_TIMEOUT, 0);
  else
    check_done(job);
}

/* ---- sending ---- */

static int *host_error(ik_job *job, size_t t) {
  return job->stream ? &job->stats[t].error : &job->hosts[t].error;
}

/* A request went out (by now): wait for its reply. The next probe to the
 * same target is due an interval after now, not after when this one was
 * queued: a full buffer may have held it back since. */
static void armed(family_ctx *f, probe *p, double now) {
  ik_job *job = f->job;
  int err;
  if (job->kind == KIND_TRACE)
    job->last_sent = now;
  else if (job->last_send != NULL)
    job->last_send[p->target] = now;
  if (!f->id_known) { /* the kernel's id on Linux DGRAM sockets */
    f->id = p->req.id;
    f->id_known = 1;
  }
  if (job->stream)
    job->stats[p->target].sent++;
  else
    job->hosts[p->target].packets_sent++;
  err = ik_async_receive(f->async, &p->req, job->opts.timeout, probe_done, p);
  if (err != 0) {
    slot_put(job, p);
    stop(job, err);
    return;
  }
  job->pending++;
  if (job->kind == KIND_TRACE)
    job->hop_pending++;
}

/* A request could not be sent: icmplib counts it as not sent. Probing
 * that host stops (the error says why); a traceroute stops. */
static void send_failed(ik_job *job, probe *p, int err) {
  int *h_error = host_error(job, p->target);
  if (job->kind == KIND_TRACE) {
    stop(job, err);
  } else if (*h_error == 0) {
    *h_error = err;
    if (job->kind == KIND_PING)
      snprintf(job->detail, sizeof job->detail, "%s", ik_last_error());
  }
  slot_put(job, p);
}

/* Sends f's batch. Returns IK_ENOSPACE when the OS is out of buffers (what
 * is left stays in the batch), else 0. Buffers that stay full for a whole
 * timeout (a device whose carrier is down keeps its queue full) would
 * hold the job forever: from then on, until a send succeeds, each probe
 * that finds no room fails as a send error, as iputils ping reports it. */
static int flush(family_ctx *f) {
  while (f->nbatch > 0 && !f->job->stopped) {
    size_t sent = 0, i;
    int err = ik__async_send_many(f->async, f->batch, f->nbatch, &sent);
    double now = ik__now_mono();
    if (err == 0)
      sent = f->nbatch;
    for (i = 0; i < sent; i++)
      armed(f, (probe *)f->batch[i], now);
    f->nbatch -= sent;
    memmove(f->batch, f->batch + sent, f->nbatch * sizeof f->batch[0]);
    if (sent > 0)
      f->full_since = 0;
    if (err == 0)
      break;
    if (err == IK_ENOSPACE) {
      char why[256];
      if (f->full_since == 0)
        f->full_since = now;
      if (now - f->full_since < f->job->opts.timeout)
        return err;
      snprintf(why, sizeof why, "%s", ik_last_error());
      ik__fail(IK_ENOSPACE, "%s (no room for %.3g s, the timeout: probe given up)", why,
               now - f->full_since);
    }
    send_failed(f->job, (probe *)f->batch[0], err);
    f->nbatch--;
    memmove(f->batch, f->batch + 1, f->nbatch * sizeof f->batch[0]);
  }
  return 0;
}

static size_t batched(const ik_job *job) { return job->fam[0].nbatch + job->fam[1].nbatch; }

/* Moves due probes into the batches, at most quota in all. *due gets the
 * time the next probe becomes due when the interval holds it back. */
static void multi_fill(ik_job *job, double now, size_t quota, double *due) {
  size_t count = (size_t)job->opts.count;
  *due = 0;
  while (batched(job) < quota && job->round < count) {
    size_t t = job->next;
    family_ctx *f;
    probe *p;
    if (*host_error(job, t) == 0) {
      if (job->round > 0 && job->last_send[t] + job->opts.interval > now) {
        *due = job->last_send[t] + job->opts.interval;
        return;
      }
      f = &job->fam[fam_index(job->dst[t].family)];
      if (f->nbatch == IK__BATCH)
        return;
      if ((p = slot_get(job)) == NULL) {
        stop(job, ik__fail(IK_ENOMEM, "no memory for probes"));
        return;
      }
      make_request(job, p, &job->dst[t], (uint16_t)job->round, job->opts.ttl, (uint32_t)t);
      f->batch[f->nbatch++] = &p->req;
      job->last_fill = now;
      if (job->last_send != NULL)
        job->last_send[t] = now;
    }
    if (++job->next == job->n) {
      job->next = 0;
      job->round++;
    }
  }
}

static void multi_tick(ik_job *job) {
  double now = ik__now_mono(), due = 0, rate = job->opts.rate, wait;
  size_t budget = IK__TICK_PROBES;
  int err = 0, i;

  if (rate > 0) {
    double burst = rate * IK__BURST < 1 ? 1 : rate * IK__BURST;
    job->tokens += (now - job->refilled) * rate;
    if (job->tokens > burst)
      job->tokens = burst;
    job->refilled = now;
  }
  while (!job->stopped && err == 0) {
    size_t quota = budget, before, after;
    if (rate > 0 && (double)quota > job->tokens)
      quota = (size_t)job->tokens;
    /* What a full buffer held back leaves before anything new is queued,
     * so that no target gets its next probe right behind the held one. */
    if (batched(job) == 0)
      multi_fill(job, now, quota, &due);
    if ((before = batched(job)) == 0)
      break;
    for (i = 0; i < 2; i++)
      if (job->fam[i].nbatch > 0 && flush(&job->fam[i]) == IK_ENOSPACE)
        err = IK_ENOSPACE;
    after = batched(job);
    if (rate > 0)
      job->tokens -= (double)(before - after);
    budget = before - after >= budget ? 0 : budget - (before - after);
    if (budget == 0 || (rate > 0 && job->tokens < 1) || before == after)
      break;
  }
  if (job->stopped)
    return;
  if (err == IK_ENOSPACE)
    wait = IK__BACKOFF;
  else if (batched(job) == 0 && job->round >= (size_t)job->opts.count)
    /* Everything sent: replies and timeouts finish the job. */
    wait = job->linger && job->last_fill + job->opts.timeout > now ? job->last_fill + job->opts.timeout - now
                                                                    : -1;
  else if (budget == 0)
    wait = 0;
  else if (rate > 0 && job->tokens < 1)
    wait = (1 - job->tokens) / rate;
  else
    wait = due > now ? due - now : 0;
  if (wait >= 0)
    arm(job->tick_ev, wait);
  else
    check_done(job);
}

/* Traceroute as icmplib does it: count probes per TTL, the next TTL once
 * they all completed (with fast: once one was answered), until the
 * destination answers or max_hops. Probes of one TTL go out interval apart
 * (with fast: one at a time); sequences never repeat within a run, so a
 * late reply is never taken for a later probe. */
static void trace_tick(ik_job *job) {
  family_ctx *f = &job->fam[fam_index(job->dst[0].family)];
  int fast = job->opts.fast != 0, count = job->opts.count;
  double now = ik__now_mono(), due;
  probe *p;

  for (;;) {
    if (job->stopped)
      return;
    if (f->nbatch > 0) {
      if (flush(f) == IK_ENOSPACE) {
        arm(job->tick_ev, IK__BACKOFF);
        return;
      }
      continue;
    }
    if (job->hop_sent > 0 && job->hop_pending == 0 &&
        (job->hop_sent == count || (fast && job->hop_counted > 0))) {
      if (job->reached || job->ttl >= job->opts.max_hops) {
        stop(job, 0);
        return;
      }
      job->ttl++;
      job->hop_sent = job->hop_counted = 0;
    }
    if (job->hop_sent == count || (fast && job->hop_pending > 0))
      return; /* probe_done calls again */
    due = job->last_sent + job->opts.interval;
    if (job->last_sent > 0 && due > now) {
      arm(job->tick_ev, due - now);
      return;
    }
    if ((p = slot_get(job)) == NULL) {
      stop(job, ik__fail(IK_ENOMEM, "no memory for probes"));
      return;
    }
    make_request(job, p, &job->dst[0], job->next_seq++, job->ttl,
                 (uint32_t)(job->ttl - job->opts.first_hop));
    job->hop_sent++;
    job->last_sent = now;
    f->batch[f->nbatch++] = &p->req;
  }
}

static void tick_cb(evutil_socket_t fd, short what, void *arg) {
  ik_job *job = (ik_job *)arg;
  (void)fd;
  (void)what;
  if (job->stopped)
    return;
  if (job->canceling) /* the grace is over */
    stop(job, IK_ECANCELED);
  else if (job->kind == KIND_TRACE)
    trace_tick(job);
  else
    multi_tick(job);
}

static void poll_cb(evutil_socket_t fd, short what, void *arg) {
  ik_job *job = (ik_job *)arg;
  (void)fd;
  (void)what;
  if (*job->opts.cancel)
    begin_cancel(job);
}

/* ---- late replies: duplicates and further responders ---- */

static uint32_t address_hash(const ik_address *a) {
  uint32_t h = 2166136261u;
  size_t i, len = a->family == IK_AF_INET ? 4 : 16;
  for (i = 0; i < len; i++)
    h = (h ^ a->bytes[i]) * 16777619u;
  return h;
}

static int build_by_source(ik_job *job) {
  size_t size = 16, i;
  while (size < 2 * job->n)
    size *= 2;
  if ((job->by_source = (uint32_t *)malloc(size * sizeof *job->by_source)) == NULL)
    return IK_ENOMEM;
  memset(job->by_source, 0xff, size * sizeof *job->by_source);
  job->by_source_size = size;
  for (i = 0; i < job->n; i++) {
    size_t k;
    if (job->dst[i].family == 0)
      continue;
    for (k = address_hash(&job->dst[i]) & (size - 1); job->by_source[k] != UINT32_MAX;)
      k = (k + 1) & (size - 1);
    job->by_source[k] = (uint32_t)i;
  }
  return 0;
}

/* The target a late echo reply belongs to, or -1. */
static long late_target(ik_job *job, const ik_reply *reply) {
  size_t k;
  if (job->kind == KIND_PING)
    return job->opts.broadcast || ik__address_is_group(&job->dst[0]) ||
                   ik__address_equal(&job->dst[0], &reply->source_addr)
               ? 0
               : -1;
  if (job->by_source == NULL && build_by_source(job) != 0)
    return -1;
  for (k = address_hash(&reply->source_addr) & (job->by_source_size - 1);
       job->by_source[k] != UINT32_MAX; k = (k + 1) & (job->by_source_size - 1))
    if (ik__address_equal(&job->dst[job->by_source[k]], &reply->source_addr))
      return (long)job->by_source[k];
  return -1;
}

/* A reply that completed no pending receive. Its probe was answered:
 * from the same host it is a duplicate, from another (broadcast,
 * multicast) a further responder; both are recorded, neither counted. Its
 * probe timed out: it is lost, as icmplib would lose it. */
static void unmatched(void *arg, const ik_reply *reply, const ik_address *quoted_dst) {
  family_ctx *f = (family_ctx *)arg;
  ik_job *job = f->job;
  ik_host *h;
  size_t i;
  long t;
  int answered = 0;
  double rtt = 0;

  if (job->stopped || job->kind == KIND_TRACE || quoted_dst != NULL || !f->id_known ||
      reply->id != f->id || reply->sequence >= (unsigned)job->opts.count ||
      ik_reply_check(reply) != IK_OK || (t = late_target(job, reply)) < 0)
    return;
  if (job->stream) {
    /* No replies kept to compare with: the source is the host's (late_target
     * found it by source), so a payload async.c knows is a copy. */
    job->stats[t].duplicates += (reply->flags & IK_REPLY_DUPLICATE) != 0;
    return;
  }
  h = &job->hosts[t];
  for (i = 0; i < h->replies_len; i++) {
    const ik_reply *r = &h->replies[i].reply;
    if (r->sequence != reply->sequence || ik_reply_check(r) != IK_OK)
      continue;
    /* RTT from the probe's send time: the first answer's RTT plus the
     * time between the two arrivals. */
    rtt = h->replies[i].rtt + (reply->time - r->time) * 1000.0;
    if (ik__address_equal(&r->source_addr, &reply->source_addr)) {
      /* A copy only if async.c recognised the payload; one it could not
       * (its memory of answers is bounded) proves nothing. */
      if (reply->flags & IK_REPLY_DUPLICATE)
        record(job, (uint32_t)t, reply, rtt, 0, 1);
      return;
    }
    answered = 1;
  }
  if (answered)
    record(job, (uint32_t)t, reply, rtt, 0, 0);
}

/* ---- job lifetime ---- */

static void close_sockets(ik_job *job) {
  int i;
  for (i = 0; i < 2; i++) {
    family_ctx *f = &job->fam[i];
    if (f->async != NULL) {
      /* Pending receives complete here with IK_EUNAVAILABLE. */
      ik_socket *s = ik_async_detach(f->async);
      ik_async_free(f->async);
      f->async = NULL;
      if (s != NULL)
        f->sock = s;
    }
    if (!f->borrowed)
      ik_socket_free(f->sock);
    f->sock = NULL;
    f->borrowed = 0;
    f->nbatch = 0;
  }
}

static void release(ik_job *job) {
  chunk *c;
  close_sockets(job);
  while ((c = job->chunks) != NULL) {
    job->chunks = c->next;
    free(c);
  }
  job->free_slots = NULL;
  free(job->dst);
  free(job->stats);
  free(job->unresolved);
  job->stats = NULL;
  job->unresolved = NULL;
  free(job->last_send);
  free(job->by_source);
  job->dst = NULL;
  job->last_send = NULL;
  job->by_source = NULL;
}

static void empty_hosts(ik_host *hosts, size_t n) {
  size_t i;
  for (i = 0; hosts != NULL && i < n; i++)
    ik_host_free(&hosts[i]);
}

static void finish_hosts(ik_job *job) {
  size_t i;
  for (i = 0; i < job->n; i++) {
    ik_host *h = &job->hosts[i];
    shrink((void **)&h->rtts, h->rtts_len, sizeof *h->rtts);
    shrink((void **)&h->replies, h->replies_len, sizeof *h->replies);
    ik__host_finish(h);
  }
}

/* Streaming: each host's results to on_host, in input order. */
static void stream_hosts(ik_job *job) {
  size_t i, unresolved = 0;
  for (i = 0; i < job->n; i++) {
    const target_stats *s = &job->stats[i];
    ik_host h;
    memset(&h, 0, sizeof h);
    if (job->dst[i].family == 0)
      memcpy(h.address, job->unresolved[unresolved++], sizeof h.address);
    else
      ik_address_format(&job->dst[i], h.address, sizeof h.address);
    h.packets_sent = s->sent;
    h.duplicates = s->duplicates;
    h.error = s->error;
    ik__host_finish_stats(&h, &s->rtt);
    job->opts.on_host(job->opts.on_host_arg, i, &h);
  }
}

/* Hops that got a counted answer, in TTL order (icmplib lists no other). */
static int finish_trace(ik_job *job) {
  size_t i, listed = 0;
  ik_hop *hops = NULL;
  for (i = 0; i < job->n; i++)
    listed += job->hosts[i].rtts_len > 0;
  if (listed > 0 && (hops = (ik_hop *)calloc(listed, sizeof *hops)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %zu hops", listed);
  finish_hosts(job);
  listed = 0;
  for (i = 0; i < job->n; i++) {
    if (job->hosts[i].rtts_len == 0) {
      ik_host_free(&job->hosts[i]);
      continue;
    }
    hops[listed].host = job->hosts[i];
    hops[listed].distance = job->opts.first_hop + (int)i;
    memset(&job->hosts[i], 0, sizeof job->hosts[i]);
    listed++;
  }
  *job->hops_out = hops;
  *job->nhops_out = listed;
  return 0;
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
  status = job->status;
  if (status == 0 && job->kind == KIND_PING)
    status = job->hosts[0].error;
  if (status != 0 && status != IK_ECANCELED) {
    empty_hosts(job->hosts, job->n);
  } else if (job->kind == KIND_TRACE) {
    int err = finish_trace(job);
    if (err != 0) {
      empty_hosts(job->hosts, job->n);
      status = err;
      snprintf(job->detail, sizeof job->detail, "%s", ik_last_error());
    }
  } else if (job->stream) {
    stream_hosts(job);
  } else {
    finish_hosts(job);
  }
  release(job);
  if (job->kind == KIND_TRACE)
    free(job->hosts);
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

void ik_job_cancel(ik_job *job) {
  if (job != NULL && !job->finished)
    begin_cancel(job);
}

void ik_job_free(ik_job *job) {
  if (job == NULL)
    return;
  if (!job->finished) {
    job->stopped = 1;
    close_sockets(job);
    if (job->hosts != NULL)
      empty_hosts(job->hosts, job->n);
    if (job->kind == KIND_TRACE)
      free(job->hosts);
    release(job);
  }
  job_free_events(job);
  free(job);
}

static int job_new(struct event_base *base, int kind, const ik_ping_options *opts, ik_job_cb cb,
                   void *arg, ik_job **out) {
  ik_job *job;
  int err;
  *out = NULL;
  if (base == NULL || cb == NULL)
    return ik__fail(IK_EINVAL, "%s is NULL", base == NULL ? "the event base" : "the callback");
  if ((job = (ik_job *)calloc(1, sizeof *job)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a job");
  if (opts != NULL)
    job->opts = *opts;
  else if (kind == KIND_MULTI)
    ik_multiping_options_init(&job->opts);
  else if (kind == KIND_TRACE)
    ik_traceroute_options_init(&job->opts);
  else
    ik_ping_options_init(&job->opts);
  if ((err = check_options(&job->opts, kind)) != 0) {
    free(job);
    return err;
  }
  job->base = base;
  job->kind = kind;
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

static int open_family(ik_job *job, int family, const char *source_text) {
  family_ctx *f = &job->fam[fam_index(family)];
  ik_address src;
  const char *source = NULL;
  int err;

  if (f->async != NULL)
    return 0;
  /* One source for both families: it binds the socket of its own family. */
  if (source_text != NULL && *source_text != '\0' &&
      (ik_address_parse(source_text, &src) != 0 || src.family == family))
    source = source_text;
  if (job->opts.sockets[fam_index(family)] != NULL) {
    f->sock = job->opts.sockets[fam_index(family)];
    f->borrowed = 1;
  } else if ((err = ik_socket_open(&f->sock, family, source,
                                   job->opts.privileged ? 0u : IK_SOCKET_UNPRIVILEGED)) != 0) {
    return err;
  }
  if (job->kind == KIND_PING && job->opts.broadcast && family == IK_AF_INET &&
      (err = ik_socket_set_broadcast(f->sock, 1)) != 0)
    return err;
  if ((err = ik_async_new(job->base, f->sock, &f->async)) != 0)
    return err;
  ik__async_set_unmatched(f->async, unmatched, f);
  return 0;
}

/* Resolves name into dst and its text into text (unless NULL); a failure is
 * IK_ENAMELOOKUP naming the name. */
static int resolve_one(const char *name, int family, ik_address *dst, char *text, size_t len) {
  size_t found = 0;
  int err;
  if (name == NULL)
    return ik__fail(IK_ENAMELOOKUP, "the address is NULL");
  if ((err = ik_resolve(name, family, dst, 1, &found)) == 0 && found == 0)
    err = ik__fail(IK_ENAMELOOKUP, "cannot resolve '%.200s'", name);
  if (err == 0 && text != NULL)
    err = ik_address_format(dst, text, len);
  return err == IK_EADDRFORMAT ? IK_ENAMELOOKUP : err;
}

/* Fills hosts[i] and dst[i] for addresses[i]; a name that does not
 * resolve marks its host (multiping) or fails the call (ping). */
static int resolve_hosts(ik_job *job, const char *const *addresses) {
  size_t i, cap = 0;
  if (job->stream) {
    /* The address texts are formatted at the end, one at a time. */
    for (i = 0; i < job->n; i++) {
      int err = resolve_one(addresses[i], job->opts.family, &job->dst[i], NULL, 0);
      if (err == 0)
        continue;
      memset(&job->dst[i], 0, sizeof job->dst[i]);
      job->stats[i].error = err;
      if (job->nunresolved == cap) {
        void *p = realloc(job->unresolved, (cap = cap ? 2 * cap : 8) * sizeof *job->unresolved);
        if (p == NULL)
          return ik__fail(IK_ENOMEM, "no memory for %zu unresolved names", cap);
        job->unresolved = (char (*)[IK_ADDRSTRLEN])p;
      }
      memset(job->unresolved[job->nunresolved], 0, sizeof job->unresolved[0]);
      if (addresses[i] != NULL)
        strncpy(job->unresolved[job->nunresolved], addresses[i], sizeof job->unresolved[0] - 1);
      job->nunresolved++;
    }
    return 0;
  }
  for (i = 0; i < job->n; i++) {
    ik_host *h = &job->hosts[i];
    int err;
    memset(h, 0, sizeof *h);
    err = resolve_one(addresses[i], job->opts.family, &job->dst[i], h->address, sizeof h->address);
    if (err == 0)
      continue;
    if (job->kind != KIND_MULTI)
      return err;
    memset(&job->dst[i], 0, sizeof job->dst[i]);
    if (addresses[i] != NULL) {
      strncpy(h->address, addresses[i], sizeof h->address - 1);
      h->address[sizeof h->address - 1] = '\0';
    }
    h->error = err;
  }
  return 0;
}

/* Resolves, opens the sockets and starts the ticking. */
static int job_start(ik_job *job, const char *const *addresses, size_t n, ik_host *hosts,
                     const char *source) {
  size_t i;
  int err;

  if (n > 0 && (job->dst = (ik_address *)calloc(n, sizeof *job->dst)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %zu targets", n);
  if (job->kind == KIND_TRACE) {
    size_t hops = (size_t)(job->opts.max_hops - job->opts.first_hop + 1);
    char text[IK_ADDRSTRLEN];
    if ((err = resolve_one(addresses[0], job->opts.family, &job->dst[0], text, sizeof text)) != 0)
      return err;
    if ((job->hosts = (ik_host *)calloc(hops, sizeof *job->hosts)) == NULL)
      return ik__fail(IK_ENOMEM, "no memory for %zu hops", hops);
    job->n = hops;
  } else {
    job->n = n;
    job->stream = job->kind == KIND_MULTI && job->opts.on_host != NULL;
    if (!job->stream)
      job->hosts = hosts;
    else if (n > 0 && (job->stats = (target_stats *)calloc(n, sizeof *job->stats)) == NULL)
      return ik__fail(IK_ENOMEM, "no memory for %zu targets", n);
    if ((err = resolve_hosts(job, addresses)) != 0)
      return err;
    if (job->opts.count > 1 && n > 0 &&
        (job->last_send = (double *)calloc(n, sizeof *job->last_send)) == NULL)
      return ik__fail(IK_ENOMEM, "no memory for %zu targets", n);
  }
  for (i = 0; i < n; i++)
    if (job->dst[i].family != 0 && (err = open_family(job, job->dst[i].family, source)) != 0)
      return err;
  job->opts.source = NULL; /* borrowed for the call only */
  job->refilled = ik__now_mono();
  job->tokens = 1;
  job->ttl = job->opts.first_hop;
  if (job->kind != KIND_MULTI)
    job->opts.rate = 0;
  job->linger = job->kind == KIND_PING && (job->opts.broadcast || ik__address_is_group(&job->dst[0]));
  if (n == 0)
    job->round = (size_t)job->opts.count;
  event_active(job->tick_ev, EV_TIMEOUT, 0);
  if (job->poll_ev != NULL)
    arm(job->poll_ev, IK__CANCEL_POLL);
  return 0;
}

static int job_begin(ik_job *job, ik_job **out, const char *const *addresses, size_t n,
                     ik_host *hosts, const char *source) {
  int err = job_start(job, addresses, n, hosts, source);
  if (err != 0) {
    job->stopped = 1;
    release(job);
    if (job->kind == KIND_TRACE)
      free(job->hosts);
    else
      empty_hosts(job->hosts, job->n);
    job_free_events(job);
    free(job);
    return err;
  }
  if (out != NULL)
    *out = job;
  else
    job->self_owned = 1;
  return 0;
}

int ik_async_ping(struct event_base *base, const char *address, const ik_ping_options *opts,
                  ik_host *host, ik_job_cb cb, void *arg, ik_job **job) {
  ik_job *j;
  int err;
  if (job != NULL)
    *job = NULL;
  if (address == NULL || host == NULL)
    return ik__fail(IK_EINVAL, "ik_ping: %s is NULL", address == NULL ? "address" : "host");
  memset(host, 0, sizeof *host);
  if ((err = job_new(base, KIND_PING, opts, cb, arg, &j)) != 0)
    return err;
  return job_begin(j, job, &address, 1, host, j->opts.source);
}

int ik_async_multiping(struct event_base *base, const char *const *addresses, size_t n,
                       const ik_ping_options *opts, ik_host *hosts, ik_job_cb cb, void *arg,
                       ik_job **job) {
  ik_job *j;
  int err;
  if (job != NULL)
    *job = NULL;
  if (n > 0 && (addresses == NULL || (hosts == NULL && (opts == NULL || opts->on_host == NULL))))
    return ik__fail(IK_EINVAL, "ik_multiping: %s is NULL", addresses == NULL ? "addresses" : "hosts");
  if (n > UINT32_MAX / 4)
    return ik__fail(IK_EINVAL, "ik_multiping: %zu hosts is too many", n);
  if ((err = job_new(base, KIND_MULTI, opts, cb, arg, &j)) != 0)
    return err;
  return job_begin(j, job, addresses, n, hosts, j->opts.source);
}

int ik_async_traceroute(struct event_base *base, const char *address, const ik_ping_options *opts,
                        ik_hop **hops, size_t *nhops, ik_job_cb cb, void *arg, ik_job **job) {
  ik_job *j;
  int err;
  if (job != NULL)
    *job = NULL;
  if (address == NULL || hops == NULL || nhops == NULL)
    return ik__fail(IK_EINVAL, "ik_traceroute: %s is NULL",
                    address == NULL ? "address" : hops == NULL ? "hops" : "nhops");
  *hops = NULL;
  *nhops = 0;
  if ((err = job_new(base, KIND_TRACE, opts, cb, arg, &j)) != 0)
    return err;
  j->hops_out = hops;
  j->nhops_out = nhops;
  return job_begin(j, job, &address, 1, NULL, j->opts.source);
}

/* ---- the synchronous calls: a job on a private event_base ---- */

typedef struct sync_state {
  struct event_base *base;
  int done, status;
} sync_state;

static void sync_done(int status, void *arg) {
  sync_state *s = (sync_state *)arg;
  s->done = 1;
  s->status = status;
  event_base_loopbreak(s->base);
}

/* libevent's default clock is CLOCK_MONOTONIC_COARSE where the system has
 * one: it advances once per kernel tick (4 ms at HZ=250). A probe timer
 * then woke the loop, which read a time short of the deadline and slept
 * again: a 2 ms ping took two or three wake-ups per probe, went out 2.1 to
 * 4.5 ms apart and measured 11 to 17 us longer on loopback
 * (docs/performance.md, "RTT"). The precise clock costs one
 * timerfd_settime per wait on Linux. */
struct event_base *ik__precise_base_new(void) {
  struct event_config *cfg = event_config_new();
  struct event_base *base;
  if (cfg == NULL)
    return NULL;
  event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
  base = event_base_new_with_config(cfg);
  event_config_free(cfg);
  return base;
}

static int sync_base(sync_state *s) {
  int err;
  memset(s, 0, sizeof *s);
  if ((err = ik__libevent_init()) != 0)
    return err;
  if ((s->base = ik__precise_base_new()) == NULL)
    return ik__fail(IK_ENOMEM, "cannot create an event base");
  return 0;
}

/* Runs the started job (err: its start status) to completion. */
static int sync_run(sync_state *s, ik_job *job, int err) {
  if (err == 0) {
    event_base_dispatch(s->base);
    if (!s->done) {
      ik_job_free(job); /* leaves the results empty */
      err = ik__fail(IK_ESOCKET, "the event loop stopped before the probes completed");
    } else {
      ik_job_free(job);
      err = s->status == IK_ECANCELED ? 0 : s->status;
    }
  }
  event_base_free(s->base);
  return err;
}

int ik_ping(const char *address, const ik_ping_options *opts, ik_host *host) {
  sync_state s;
  ik_job *job = NULL;
  int err;
  if (address == NULL || host == NULL)
    return ik__fail(IK_EINVAL, "ik_ping: %s is NULL", address == NULL ? "address" : "host");
  memset(host, 0, sizeof *host);
  if ((err = sync_base(&s)) != 0)
    return err;
  err = ik_async_ping(s.base, address, opts, host, sync_done, &s, &job);
  return sync_run(&s, job, err);
}

int ik_multiping(const char *const *addresses, size_t n, const ik_ping_options *opts,
                 ik_host *hosts) {
  sync_state s;
  ik_job *job = NULL;
  int err;
  if ((err = sync_base(&s)) != 0)
    return err;
  err = ik_async_multiping(s.base, addresses, n, opts, hosts, sync_done, &s, &job);
  return sync_run(&s, job, err);
}

int ik_traceroute(const char *address, const ik_ping_options *opts, ik_hop **hops,
                  size_t *nhops) {
  sync_state s;
  ik_job *job = NULL;
  int err;
  if ((err = sync_base(&s)) != 0)
    return err;
  err = ik_async_traceroute(s.base, address, opts, hops, nhops, sync_done, &s, &job);
  return sync_run(&s, job, err);
}
