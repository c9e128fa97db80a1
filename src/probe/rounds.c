/* Rounds over a list of targets, shared by ping (one target) and
 * multiping: see rounds.h. */
#include <stdlib.h>

#include "probe/rounds.h"

int ik__rounds_new(ik_job *job, size_t size, double rate) {
  ik__rounds *r = (ik__rounds *)calloc(1, size);
  if (r == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a job");
  job->kind_state = r;
  if (job->opts.count > 1 && job->n > 0 &&
      (r->last_send = (double *)calloc(job->n, sizeof *r->last_send)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %zu targets", job->n);
  ik__ratelimit_init(&r->rate, rate, ik__now_mono());
  if (job->n == 0)
    r->round = (size_t)job->opts.count;
  return 0;
}

void ik__rounds_free(ik_job *job) {
  ik__rounds *r = (ik__rounds *)job->kind_state;
  if (r != NULL)
    free(r->last_send);
  free(r);
}

/* Rounds to run: the count, and the re-probe once it is added. */
static size_t rounds_total(const ik_job *job) {
  return (size_t)job->opts.count + (size_t)((const ik__rounds *)job->kind_state)->extra;
}

/* A reply the OS dropped for want of room in our queue, or a probe it
 * had no buffer for, says nothing about the host: so, once, the hosts
 * that have not answered (and those whose probe found no buffer) get one
 * more probe, at half the rate the rounds went out at, so a queue that
 * overflowed has twice the time to drain. Returns 1 when it started. */
static int reprobe(ik_job *job) {
  ik__rounds *r = (ik__rounds *)job->kind_state;
  double spent = r->last_fill - r->first_fill, rate = r->rate.rate;
  size_t t, again = 0;
  if (!r->reprobe || r->extra || (ik__job_local_drops(job) == 0 && job->send_failures == 0))
    return 0;
  r->extra = 1;
  for (t = 0; t < job->n; t++) {
    int *error = ik__result_error(job, (uint32_t)t);
    if (job->dst[t].family == 0 || ik__result_answered(job, (uint32_t)t))
      continue;
    if (*error == IK_ENOBUFS)
      *error = 0;
    again += *error == 0;
  }
  if (again == 0)
    return 0;
  /* A buffer that was full for a whole timeout gets a new one to empty
   * in: the re-probe waits for room (backing off) before giving up. */
  job->fam[0].full_since = job->fam[1].full_since = 0;
  if (rate <= 0 && spent > 0)
    rate = (double)r->queued / spent;
  ik__ratelimit_init(&r->rate, rate / 2, ik__now_mono());
  ik__job_tick_now(job);
  return 1;
}

static void check_done(ik_job *job) {
  ik__rounds *r = (ik__rounds *)job->kind_state;
  if (!ik__job_idle(job))
    return;
  /* More responders may still answer a broadcast: the tick wakes us. */
  if (r->linger && ik__now_mono() < r->last_fill + job->opts.timeout)
    return;
  if (r->round >= rounds_total(job) && !reprobe(job))
    ik__job_stop(job, 0);
}

void ik__rounds_on_complete(ik_job *job, const ik__probe *p) {
  (void)p;
  check_done(job);
}

/* The next probe to the same target is due an interval after now, not
 * after when this one was queued: a full buffer may have held it back. */
void ik__rounds_on_sent(ik_job *job, const ik__probe *p, double now) {
  ik__rounds *r = (ik__rounds *)job->kind_state;
  if (r->last_send != NULL)
    r->last_send[p->target] = now;
}

void ik__rounds_on_answer(ik_job *job, const ik__probe *p, const ik_reply *reply) {
  int dup = (reply->flags & IK_REPLY_DUPLICATE) != 0;
  int counted = !dup && ik_reply_check(reply) == IK_OK;
  ik__record(job, p->target, reply, ik__probe_rtt(p, reply), counted, dup);
}

void ik__rounds_on_send_failed(ik_job *job, const ik__probe *p, int err) {
  int *error = ik__result_error(job, p->target);
  if (*error == 0)
    *error = err;
}

int ik__rounds_finish(ik_job *job, int status) {
  if (status != 0 && status != IK_ECANCELED)
    ik__results_empty(job);
  else
    ik__results_finish(job);
  return status;
}

/* Moves due probes into the batches, at most quota in all. *due gets the
 * time the next probe becomes due when the interval holds it back. */
static void fill(ik_job *job, double now, size_t quota, double *due) {
  ik__rounds *r = (ik__rounds *)job->kind_state;
  size_t count = rounds_total(job);
  *due = 0;
  while (ik__job_batched(job) < quota && r->round < count) {
    size_t t = r->next;
    ik__family *f;
    ik__probe *p;
    if (*ik__result_error(job, (uint32_t)t) == 0 &&
        (r->round < (size_t)job->opts.count || !ik__result_answered(job, (uint32_t)t))) {
      if (r->round > 0 && r->last_send != NULL && r->last_send[t] + job->opts.interval > now) {
        *due = r->last_send[t] + job->opts.interval;
        return;
      }
      f = ik__job_family(job, job->dst[t].family);
      if (f->nbatch == IK__BATCH)
        return;
      if ((p = ik__job_probe(job, &job->dst[t], (uint32_t)r->round, job->opts.ttl, (uint32_t)t)) ==
          NULL)
        return;
      ik__job_queue(f, p);
      if (r->queued++ == 0)
        r->first_fill = now;
      r->last_fill = now;
      if (r->last_send != NULL)
        r->last_send[t] = now;
    }
    if (++r->next == job->n) {
      r->next = 0;
      r->round++;
    }
  }
}

void ik__rounds_tick(ik_job *job) {
  ik__rounds *r = (ik__rounds *)job->kind_state;
  double now = ik__now_mono(), due = 0, wait;
  size_t budget = IK__TICK_PROBES;
  int err = 0, i;

  ik__ratelimit_refill(&r->rate, now);
  while (!job->stopped && err == 0) {
    size_t quota = ik__ratelimit_quota(&r->rate, budget), before, after;
    /* What a full buffer held back leaves before anything new is queued,
     * so that no target gets its next probe right behind the held one. */
    if (ik__job_batched(job) == 0)
      fill(job, now, quota, &due);
    if ((before = ik__job_batched(job)) == 0)
      break;
    for (i = 0; i < 2; i++)
      if (job->fam[i].nbatch > 0 && ik__job_flush(&job->fam[i]) == IK_ENOBUFS)
        err = IK_ENOBUFS;
    after = ik__job_batched(job);
    ik__ratelimit_take(&r->rate, before - after);
    budget = before - after >= budget ? 0 : budget - (before - after);
    if (budget == 0 || ik__ratelimit_wait(&r->rate) > 0 || before == after)
      break;
  }
  if (job->stopped)
    return;
  if (err == IK_ENOBUFS)
    wait = IK__BACKOFF;
  else if (ik__job_batched(job) == 0 && r->round >= rounds_total(job))
    /* Everything sent: replies and timeouts finish the job. */
    wait = r->linger && r->last_fill + job->opts.timeout > now
             ? r->last_fill + job->opts.timeout - now
             : -1;
  else if (budget == 0)
    wait = 0;
  else if (ik__ratelimit_wait(&r->rate) > 0)
    wait = ik__ratelimit_wait(&r->rate);
  else
    wait = due > now ? due - now : 0;
  if (wait >= 0)
    ik__job_arm(job, wait);
  else
    check_done(job);
}
