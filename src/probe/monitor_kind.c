/* The monitor probe kind: each target of a group probed every interval,
 * forever, when due (monitor.c's group_start spreads the first probes over
 * the interval); a target's own payload size, traffic class and timeout go
 * through ops->shape. Counters go into the monitor's targets, so a replace
 * of the targets keeps them. */
#include <stdlib.h>
#include <string.h>

#include "probe/monitor_state.h"

/* A probe may leave this much before it is due, so that one wake-up sends
 * every probe of the next 2 ms (at most 500 wake-ups a second, whatever
 * the number of targets) while the probes stay spread over the interval. */
#define SLACK 0.002

static mon_group *group_of(const ik_job *job) { return (mon_group *)job->kind_state; }

static int mon_start(ik_job *job, const char *const *addresses, size_t n, void *results) {
  mon_group *g = (mon_group *)results;
  size_t i;
  (void)addresses;
  job->kind_state = g;
  job->n = job->ndst = n;
  if (n > 0 && (job->dst = (ik_address *)calloc(n, sizeof *job->dst)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %zu targets", n);
  for (i = 0; i < n; i++)
    job->dst[i] = g->t[i]->addr;
  if (ik__addr_index_build(&g->by_addr, job->dst, n) != 0)
    return ik__fail(IK_ENOMEM, "no memory for %zu targets", n);
  return 0;
}

static void heap_down(mon_group *g, size_t n, size_t i) {
  uint32_t *h = g->heap;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, s = i;
    uint32_t tmp;
    if (l < n && g->due[h[l]] < g->due[h[s]])
      s = l;
    if (r < n && g->due[h[r]] < g->due[h[s]])
      s = r;
    if (s == i)
      return;
    tmp = h[i];
    h[i] = h[s];
    h[s] = tmp;
    i = s;
  }
}

/* A probe that failed: counted as sent too unless its on_complete will. */
static void count_send_error(mon_target *t, int err, int sent) {
  ik_monitor_stats *c = &t->c;
  size_t i;
  if (sent)
    c->sent++;
  for (i = 0; i < c->nsend; i++)
    if (c->send[i].error == err) {
      c->send[i].count++;
      return;
    }
  if (c->nsend == IK_MONITOR_KINDS) { /* the last entry takes the others */
    c->send[IK_MONITOR_KINDS - 1].error = 0;
    c->send[IK_MONITOR_KINDS - 1].count++;
    return;
  }
  c->send[c->nsend].error = err;
  c->send[c->nsend++].count = 1;
}

static void count_icmp_error(mon_target *t, int type, int code) {
  ik_monitor_stats *c = &t->c;
  size_t i;
  for (i = 0; i < c->nicmp; i++)
    if (c->icmp[i].type == type && c->icmp[i].code == code) {
      c->icmp[i].count++;
      return;
    }
  if (c->nicmp == IK_MONITOR_KINDS) {
    c->icmp[IK_MONITOR_KINDS - 1].type = c->icmp[IK_MONITOR_KINDS - 1].code = -1;
    c->icmp[IK_MONITOR_KINDS - 1].count++;
    return;
  }
  c->icmp[c->nicmp].type = type;
  c->icmp[c->nicmp].code = code;
  c->icmp[c->nicmp++].count = 1;
}

/* Queues what is due, oldest first, at most IK__TICK_PROBES a turn; a
 * target whose probe is overdue by a whole interval skips ahead rather
 * than catching up in a burst. */
static void mon_tick(ik_job *job) {
  mon_group *g = group_of(job);
  double now = ik__now_mono(), wait;
  size_t budget = IK__TICK_PROBES;
  int err = 0, i;

  for (i = 0; i < 2; i++)
    if (job->fam[i].nbatch > 0 && ik__job_flush(&job->fam[i]) == IK_ENOBUFS)
      err = IK_ENOBUFS;
  while (!err && !job->stopped && budget > 0 && g->n > 0 && g->due[g->heap[0]] <= now + SLACK) {
    uint32_t t = g->heap[0];
    mon_target *tg = g->t[t];
    if (job->dst[t].family == 0) {
      if (!tg->first)
        count_send_error(tg, IK_ENAMELOOKUP, 1);
    } else {
      ik__family *f = ik__job_family(job, job->dst[t].family);
      ik__probe *p;
      if (f->nbatch == IK__BATCH && ik__job_flush(f) == IK_ENOBUFS) {
        err = IK_ENOBUFS;
        break;
      }
      if ((p = ik__job_probe(job, &job->dst[t], g->count[t]++, 64, t)) == NULL)
        return;
      ik__job_queue(f, p);
      budget--;
    }
    g->due[t] += tg->interval;
    if (g->due[t] <= now)
      g->due[t] = now + tg->interval;
    heap_down(g, g->n, 0);
  }
  for (i = 0; i < 2 && !err; i++)
    if (job->fam[i].nbatch > 0 && ik__job_flush(&job->fam[i]) == IK_ENOBUFS)
      err = IK_ENOBUFS;
  if (job->stopped || g->n == 0)
    return;
  if (err)
    wait = IK__BACKOFF;
  else if (budget == 0)
    wait = 0;
  else
    wait = g->due[g->heap[0]] - now;
  ik__job_arm(job, wait);
}

static slot *slot_of(mon_group *g, uint32_t t, uint16_t seq) {
  slot *s = &g->ring[t][seq % IK__MON_RING];
  return s->seq == seq ? s : NULL;
}

static void mon_on_sent(ik_job *job, const ik__probe *p, double now) {
  mon_group *g = group_of(job);
  slot *s = &g->ring[p->target][p->req.sequence % IK__MON_RING];
  (void)now;
  s->seq = p->req.sequence;
  s->state = IK__MON_IN_FLIGHT;
}

static void mon_on_answer(ik_job *job, const ik__probe *p, const ik_reply *reply) {
  mon_group *g = group_of(job);
  mon_target *t = g->t[p->target];
  slot *s = slot_of(g, p->target, p->req.sequence);
  double rtt;
  size_t b;
  if (ik_reply_check(reply) != IK_OK) {
    count_icmp_error(t, reply->type, reply->code);
    if (s != NULL)
      s->state = IK__MON_LOST;
    return;
  }
  if ((reply->flags & IK_REPLY_DUPLICATE) != 0) {
    t->c.duplicates++;
    return;
  }
  rtt = ik__probe_rtt(p, reply) / 1000.0;
  for (b = 0; b < IK__MON_BOUNDS && rtt > ik_monitor_bucket_bound(b); b++)
    ;
  t->c.buckets[b]++;
  t->c.replies++;
  t->c.rtt_sum += rtt;
  t->c.reply_ttl = reply->ttl;
  if (s != NULL)
    s->state = IK__MON_ANSWERED;
}

/* The outcome is known now: only here does a probe count as sent. */
static void mon_on_complete(ik_job *job, const ik__probe *p) {
  mon_group *g = group_of(job);
  slot *s = slot_of(g, p->target, p->req.sequence);
  g->t[p->target]->c.sent++;
  if (s != NULL && s->state == IK__MON_IN_FLIGHT)
    s->state = IK__MON_LOST;
}

static void mon_on_send_failed(ik_job *job, const ik__probe *p, int err) {
  count_send_error(group_of(job)->t[p->target], err, 1);
}

/* Windows: the OS could not send it (no route): a send error, and the
 * probe completes as lost. */
static int mon_on_failed(ik_job *job, const ik__probe *p, int status) {
  count_send_error(group_of(job)->t[p->target], status, 0);
  return 1;
}

/* Echo replies after their receive completed: a copy of an answer, or an
 * answer after the timeout. Counted here; the engine keeps nothing. */
static long mon_late_target(ik_job *job, const ik_reply *reply, const ik_address *quoted_dst) {
  mon_group *g = group_of(job);
  size_t pos = IK__ADDR_INDEX_FIRST;
  long t;
  if (quoted_dst != NULL)
    return -1;
  while ((t = ik__addr_index_next(&g->by_addr, job->dst, &reply->source_addr, &pos)) >= 0) {
    slot *s = slot_of(g, (uint32_t)t, reply->sequence);
    if (s == NULL)
      continue;
    if (s->state == IK__MON_ANSWERED)
      g->t[t]->c.duplicates++;
    else if (s->state == IK__MON_LOST)
      g->t[t]->c.late++;
    return -1;
  }
  return -1;
}

static int mon_finish(ik_job *job, int status) {
  (void)job;
  return status;
}

static void mon_free(ik_job *job) { (void)job; /* the group is the monitor's */ }

static void mon_shape(const ik_job *job, uint32_t t, ik_request *req, double *timeout) {
  const mon_target *tg = group_of(job)->t[t];
  if (req != NULL) {
    req->payload_size = tg->size;
    req->traffic_class = tg->tclass;
  }
  if (timeout != NULL)
    *timeout = tg->timeout;
}

static void mon_defaults(ik_ping_options *opts) {
  if (opts != NULL)
    ik_ping_options_init(opts);
}

const ik__probe_ops ik__monitor_ops = {
  mon_defaults,
  0,
  mon_start,
  mon_tick,
  mon_on_sent,
  mon_on_answer,
  mon_on_complete,
  mon_on_send_failed,
  mon_late_target,
  mon_finish,
  mon_free,
  NULL,
  NULL,
  mon_shape,
  mon_on_failed,
};
