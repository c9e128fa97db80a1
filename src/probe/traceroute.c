/* The traceroute kind, as icmplib does it: count probes per TTL, the next
 * TTL once they all completed (with fast: once one was answered), until
 * the destination answers or max_hops. Probes of one TTL go out interval
 * apart (with fast: one at a time); sequences never repeat within a run,
 * so a late reply is never taken for a later probe. Results: one ik_host
 * per TTL, of which the hops that answered are handed out. */
#include <stdlib.h>
#include <string.h>

#include "probe/engine.h"

typedef struct trace_state {
  ik_hop **hops_out;
  size_t *nhops_out;
  int ttl, hop_sent, hop_pending, hop_counted, reached;
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
  s->ttl = job->opts.first_hop;
  job->index_base = (size_t)job->opts.first_hop;
  job->ndst = 1;
  if ((job->dst = (ik_address *)calloc(1, sizeof *job->dst)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %d targets", 1);
  if ((err = ik__job_resolve(addresses[0], job->opts.family, &job->dst[0], text, sizeof text)) != 0)
    return err;
  if ((job->hosts = (ik_host *)calloc(hops, sizeof *job->hosts)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %zu hops", hops);
  job->n = hops;
  return 0;
}

static void trace_tick(ik_job *job) {
  trace_state *s = (trace_state *)job->kind_state;
  ik__family *f = ik__job_family(job, job->dst[0].family);
  int fast = job->opts.fast != 0, count = job->opts.count;
  double now = ik__now_mono(), due;
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
    if (s->hop_sent > 0 && s->hop_pending == 0 &&
        (s->hop_sent == count || (fast && s->hop_counted > 0))) {
      if (s->reached || s->ttl >= job->opts.max_hops) {
        ik__job_stop(job, 0);
        return;
      }
      s->ttl++;
      s->hop_sent = s->hop_counted = 0;
    }
    if (s->hop_sent == count || (fast && s->hop_pending > 0))
      return; /* on_complete calls again */
    due = s->last_sent + job->opts.interval;
    if (s->last_sent > 0 && due > now) {
      ik__job_arm(job, due - now);
      return;
    }
    if ((p = ik__job_probe(job, &job->dst[0], s->next_seq++, s->ttl,
                           (uint32_t)(s->ttl - job->opts.first_hop))) == NULL)
      return;
    s->hop_sent++;
    s->last_sent = now;
    ik__job_queue(f, p);
  }
}

static void trace_on_sent(ik_job *job, const ik__probe *p, double now) {
  trace_state *s = (trace_state *)job->kind_state;
  (void)p;
  s->last_sent = now;
  s->hop_pending++;
}

/* A hop answers with time exceeded, the destination with an echo reply:
 * both count. */
static void trace_on_answer(ik_job *job, const ik__probe *p, const ik_reply *reply) {
  trace_state *s = (trace_state *)job->kind_state;
  int check = ik_reply_check(reply);
  int dup = (reply->flags & IK_REPLY_DUPLICATE) != 0;
  int counted = !dup && (check == IK_OK || check == IK_ETIME_EXCEEDED);
  ik_host *h = &job->hosts[p->target];
  if (counted) {
    s->hop_counted++;
    memcpy(h->address, reply->source, sizeof h->address);
    if (check == IK_OK)
      s->reached = 1;
  }
  ik__record(job, p->target, reply, ik_rtt_ms(&p->req, reply), counted, dup);
}

static void trace_on_complete(ik_job *job) {
  trace_state *s = (trace_state *)job->kind_state;
  s->hop_pending--;
  ik__job_tick_now(job);
}

static void trace_send_failed(ik_job *job, const ik__probe *p, int err) {
  (void)p;
  ik__job_stop(job, err);
}

/* Hops that got a counted answer, in TTL order (icmplib lists no other). */
static int hand_out(ik_job *job) {
  trace_state *s = (trace_state *)job->kind_state;
  size_t i, listed = 0;
  ik_hop *hops = NULL;
  for (i = 0; i < job->n; i++)
    listed += job->hosts[i].rtts_len > 0;
  if (listed > 0 && (hops = (ik_hop *)calloc(listed, sizeof *hops)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %zu hops", listed);
  ik__results_finish(job);
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
  free(job->hosts); /* the job's own: one per TTL */
  job->hosts = NULL;
  free(job->kind_state);
}

static const ik__probe_ops traceroute_ops = {
    ik_traceroute_options_init,
    IK__OPT_COMMON | IK__OPT_FIRST_HOP | IK__OPT_MAX_HOPS,
    trace_start,
    trace_tick,
    trace_on_sent,
    trace_on_answer,
    trace_on_complete,
    trace_send_failed,
    NULL, /* late replies are dropped: sequences never repeat */
    trace_finish,
    trace_free,
};

int ik_async_traceroute(struct event_base *base, const char *address, const ik_ping_options *opts,
                        ik_hop **hops, size_t *nhops, ik_job_cb cb, void *arg, ik_job **job) {
  trace_results out;
  if (job != NULL)
    *job = NULL;
  if (address == NULL || hops == NULL || nhops == NULL)
    return ik__fail(IK_EINVAL, "ik_traceroute: %s is NULL",
                    address == NULL ? "address" : hops == NULL ? "hops" : "nhops");
  *hops = NULL;
  *nhops = 0;
  out.hops = hops;
  out.nhops = nhops;
  return ik__job_start(base, &traceroute_ops, opts, &address, 1, &out, cb, arg, job);
}
