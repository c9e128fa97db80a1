/* The traceroute kind, as traceroute(8) does it: up to sim_queries probes
 * in flight over as many TTLs as they cover, each TTL's count probes (with
 * fast: the next only when the one before went unanswered), any two sends
 * interval apart. The first answer that ends the trace (the destination's
 * echo reply, or an ICMP error other than time exceeded in transit) makes
 * its TTL the last one; each TTL is handed to on_hop once it and all
 * before it are complete. Sequences never repeat within a run, so a late
 * reply is never taken for a later probe. Results: one ik_host per TTL,
 * of which the hops that answered as icmplib counts it are handed out. */
#include <stdlib.h>
#include <string.h>

#include "probe/engine.h"

#define SIM_QUERIES 16 /* sim_queries 0: traceroute(8)'s default -N */

typedef struct trace_hop {
  int queued;  /* probes created for this TTL */
  int open;    /* of them, not complete */
  int counted; /* answers icmplib counts: time exceeded, echo reply */
  int final;   /* an answer ends the trace here */
  int reached; /* of them, an echo reply */
} trace_hop;

typedef struct trace_state {
  ik_hop **hops_out;
  size_t *nhops_out;
  trace_hop *hop; /* per TTL from first_hop: job->n */
  size_t shown;   /* TTLs handed to on_hop (all complete) */
  size_t end;     /* TTLs that may be probed: up to the first final one */
  int inflight;   /* probes created and not complete */
  int sim;        /* probes in flight at most */
  uint16_t next_seq;
  double last_sent;
} trace_state;

typedef struct trace_results {
  ik_hop **hops;
  size_t *nhops;
} trace_results;

static int trace_start(ik_job *job, const char *const *addresses, size_t n, void *results) {
  const trace_results *out = (const trace_results *)results;
  size_t hops = (size_t)(job->opts.max_hops - job->opts.first_hop + 1);
  char text[IK_ADDRSTRLEN];
  trace_state *s;
  int err;
  (void)n;
  if ((s = (trace_state *)calloc(1, sizeof *s)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a job");
  job->kind_state = s;
  s->hops_out = out->hops;
  s->nhops_out = out->nhops;
  s->end = hops;
  s->sim = job->opts.sim_queries > 0 ? job->opts.sim_queries : SIM_QUERIES;
  job->index_base = (size_t)job->opts.first_hop;
  job->ndst = 1;
  if ((job->dst = (ik_address *)calloc(1, sizeof *job->dst)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %d targets", 1);
  if ((err = ik__job_resolve(job, 0, addresses[0], &job->dst[0], text, sizeof text)) != 0)
    return err;
  if ((job->hosts = (ik_host *)calloc(hops, sizeof *job->hosts)) == NULL ||
      (s->hop = (trace_hop *)calloc(hops, sizeof *s->hop)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %zu hops", hops);
  job->n = hops;
  return 0;
}

/* Whether TTL t gets no more probes and has none in flight. */
static int complete(const ik_job *job, const trace_hop *h) {
  if (h->open > 0 || h->queued == 0)
    return 0;
  return h->queued == job->opts.count || (job->opts.fast && (h->counted > 0 || h->final));
}

static int wants_probe(const ik_job *job, const trace_hop *h) {
  if (h->queued == job->opts.count)
    return 0;
  if (!job->opts.fast)
    return 1;
  return h->open == 0 && h->counted == 0 && !h->final;
}

/* Hands complete TTLs to on_hop in order; the job stops after the last. */
static void show_complete(ik_job *job) {
  trace_state *s = (trace_state *)job->kind_state;
  while (s->shown < s->end && complete(job, &s->hop[s->shown])) {
    const trace_hop *h = &s->hop[s->shown];
    int last = s->shown + 1 == s->end;
    int end = !last        ? IK_TRACE_MORE
              : h->reached ? IK_TRACE_REACHED
              : h->final   ? IK_TRACE_UNREACHABLE
                           : IK_TRACE_MAX_HOPS;
    if (job->opts.on_hop != NULL) {
      ik_hop hop;
      hop.host = job->hosts[s->shown]; /* a view: its arrays stay the job's */
      hop.distance = job->opts.first_hop + (int)s->shown;
      ik__host_finish(&hop.host);
      job->opts.on_hop(job->opts.on_hop_arg, &hop, end);
    }
    s->shown++;
    if (last) {
      ik__job_stop(job, 0);
      return;
    }
  }
}

static void trace_tick(ik_job *job) {
  trace_state *s = (trace_state *)job->kind_state;
  ik__family *f = ik__job_family(job, job->dst[0].family);
  double now = ik__now_mono(), due;
  size_t t;
  ik__probe *p;

  for (;;) {
    if (job->stopped)
      return;
    if (f->nbatch > 0) {
      if (ik__job_flush(f) == IK_ENOBUFS) {
        ik__job_arm(job, IK__BACKOFF);
        return;
      }
      continue;
    }
    show_complete(job);
    if (job->stopped || s->inflight >= s->sim)
      return; /* on_complete calls again */
    for (t = s->shown; t < s->end && !wants_probe(job, &s->hop[t]); t++)
      ;
    if (t == s->end)
      return;
    due = s->last_sent + job->opts.interval;
    if (s->last_sent > 0 && due > now) {
      ik__job_arm(job, due - now);
      return;
    }
    if ((p = ik__job_probe(job, &job->dst[0], s->next_seq++, job->opts.first_hop + (int)t,
                           (uint32_t)t)) == NULL)
      return;
    s->hop[t].queued++;
    s->hop[t].open++;
    s->inflight++;
    s->last_sent = now;
    ik__job_queue(f, p);
  }
}

static void trace_on_sent(ik_job *job, const ik__probe *p, double now) {
  trace_state *s = (trace_state *)job->kind_state;
  (void)p;
  s->last_sent = now;
}

/* traceroute(8)'s rule: any answer but time exceeded in transit (code 0)
 * ends the trace at its TTL; icmplib counts time exceeded and echo
 * replies as answers. */
static void trace_on_answer(ik_job *job, const ik__probe *p, const ik_reply *reply) {
  trace_state *s = (trace_state *)job->kind_state;
  trace_hop *th = &s->hop[p->target];
  ik_host *h = &job->hosts[p->target];
  int check = ik_reply_check(reply);
  int dup = (reply->flags & IK_REPLY_DUPLICATE) != 0;
  int counted = !dup && (check == IK_OK || check == IK_ETIME_EXCEEDED);
  int final = !dup && !(check == IK_ETIME_EXCEEDED && reply->code == 0);
  /* The hop's address: the last counted answer's (icmplib), else the
   * first that came. */
  if (counted || h->replies_len == 0)
    memcpy(h->address, reply->source, sizeof h->address);
  if (counted)
    th->counted++;
  if (final) {
    th->final = 1;
    th->reached |= check == IK_OK;
    if (p->target + 1 < s->end)
      s->end = p->target + 1;
  }
  ik__record(job, p->target, reply, ik_rtt_ms(&p->req, reply), counted, dup);
}

static void trace_on_complete(ik_job *job, const ik__probe *p) {
  trace_state *s = (trace_state *)job->kind_state;
  s->hop[p->target].open--;
  s->inflight--;
  ik__job_tick_now(job);
}

static void trace_send_failed(ik_job *job, const ik__probe *p, int err) {
  (void)p;
  ik__job_stop(job, err);
}

/* Hops up to the end that got a counted answer, in TTL order (icmplib
 * lists no other). */
static int hand_out(ik_job *job) {
  trace_state *s = (trace_state *)job->kind_state;
  size_t i, listed = 0;
  ik_hop *hops = NULL;
  for (i = 0; i < s->end; i++)
    listed += job->hosts[i].rtts_len > 0;
  if (listed > 0 && (hops = (ik_hop *)calloc(listed, sizeof *hops)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %zu hops", listed);
  ik__results_finish(job);
  listed = 0;
  for (i = 0; i < job->n; i++) {
    if (i >= s->end || job->hosts[i].rtts_len == 0) {
      ik_host_free(&job->hosts[i]);
      continue;
    }
    hops[listed].host = job->hosts[i];
    hops[listed].distance = job->opts.first_hop + (int)i;
    memset(&job->hosts[i], 0, sizeof job->hosts[i]);
    listed++;
  }
  *s->hops_out = hops;
  *s->nhops_out = listed;
  return 0;
}

static int trace_finish(ik_job *job, int status) {
  if (status != 0 && status != IK_ECANCELED) {
    ik__results_empty(job);
  } else if ((status = hand_out(job)) != 0) {
    ik__results_empty(job);
    ik__job_keep_detail(job);
  }
  return status;
}

static void trace_free(ik_job *job) {
  trace_state *s = (trace_state *)job->kind_state;
  free(job->hosts); /* the job's own: one per TTL */
  job->hosts = NULL;
  if (s != NULL)
    free(s->hop);
  free(s);
}

static const ik__probe_ops traceroute_ops = {
  ik_traceroute_options_init,
  IK__OPT_COMMON | IK__OPT_FIRST_HOP | IK__OPT_MAX_HOPS | IK__OPT_SIM_QUERIES,
  trace_start,
  trace_tick,
  trace_on_sent,
  trace_on_answer,
  trace_on_complete,
  trace_send_failed,
  NULL, /* late replies are dropped: sequences never repeat */
  trace_finish,
  trace_free,
  NULL, /* cancel: the engine's */
  NULL, /* halt */
  NULL,
  NULL,
};

int ik__traceroute_job(struct event_base *base, const char *address, const ik_ping_options *opts,
                       ik_hop **hops, size_t *nhops, ik_job_cb cb, void *arg, unsigned flags,
                       ik_job **job) {
  trace_results out;
  if (job != NULL)
    *job = NULL;
  if (address == NULL || hops == NULL || nhops == NULL)
    return ik__fail(IK_EINVAL, "ik_traceroute: %s is NULL",
                    address == NULL ? "address"
                    : hops == NULL  ? "hops"
                                    : "nhops");
  *hops = NULL;
  *nhops = 0;
  out.hops = hops;
  out.nhops = nhops;
  return ik__job_start(base, &traceroute_ops, opts, &address, 1, &out, cb, arg, flags, job);
}

int ik_async_traceroute(struct event_base *base, const char *address, const ik_ping_options *opts,
                        ik_hop **hops, size_t *nhops, ik_job_cb cb, void *arg, ik_job **job) {
  return ik__traceroute_job(base, address, opts, hops, nhops, cb, arg, 0, job);
}
