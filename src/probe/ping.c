/* The ping kind: rounds to one host, which may be a broadcast or
 * multicast address (then every responder is recorded and the job waits
 * out the last timeout). A send error that will not go away (a broadcast
 * destination without opts.broadcast, a bad argument) fails the call;
 * others (no route for a moment, a firewall's EPERM, no buffer space) are
 * recorded for their probe and the run goes on, as iputils ping does. */
#include <stdlib.h>
#include <string.h>

#include "probe/rounds.h"

static int ping_start(ik_job *job, const char *const *addresses, size_t n, void *results) {
  ik_host *host = (ik_host *)results;
  int err;
  (void)n;
  job->n = job->ndst = 1;
  job->hosts = host;
  if ((job->dst = (ik_address *)calloc(1, sizeof *job->dst)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %d targets", 1);
  if ((err = ik__rounds_new(job, sizeof(ik__rounds), 0)) != 0)
    return err;
  memset(host, 0, sizeof *host);
  if ((err = ik__job_resolve(job, 0, addresses[0], &job->dst[0], host->address,
                             sizeof host->address)) != 0 ||
      (err = ik_destination_check(&job->dst[0])) != 0)
    return err;
  job->broadcast = job->opts.broadcast != 0;
  ((ik__rounds *)job->kind_state)->linger = job->broadcast || ik__address_is_group(&job->dst[0]);
  return 0;
}

static int send_error_is_final(int err) {
  return err == IK_EBROADCAST || err == IK_EINVAL || err == IK_EFAMILY || err == IK_ENOMEM ||
         err == IK_EADDRFORMAT;
}

/* A final error fails the whole call, its detail kept; any other is the
 * probe's. */
static void ping_send_failed(ik_job *job, const ik__probe *p, int err) {
  int first = *ik__result_error(job, p->target) == 0;
  if (!send_error_is_final(err)) {
    ik__record_send_error(job, p, err);
    return;
  }
  ik__rounds_on_send_failed(job, p, err);
  if (first)
    ik__job_keep_detail(job);
}

/* Echo replies from the destination (any source for a group); ICMP errors
 * about a probe to the destination. */
static long ping_late_target(ik_job *job, const ik_reply *reply, const ik_address *quoted_dst) {
  if (quoted_dst != NULL)
    return ik__address_equal(&job->dst[0], quoted_dst) ? 0 : -1;
  return job->broadcast || ik__address_is_group(&job->dst[0]) ||
             ik__address_equal(&job->dst[0], &reply->source_addr)
           ? 0
           : -1;
}

static int ping_finish(ik_job *job, int status) {
  if (status == 0)
    status = job->hosts[0].error;
  return ik__rounds_finish(job, status);
}

static const ik__probe_ops ping_ops = {
  ik_ping_options_init,
  (IK__OPT_COMMON & ~(unsigned)IK__OPT_COUNT) | IK__OPT_LONG_COUNT | IK__OPT_TTL,
  ping_start,
  ik__rounds_tick,
  ik__rounds_on_sent,
  ik__rounds_on_answer,
  ik__rounds_on_complete,
  ping_send_failed,
  ping_late_target,
  ping_finish,
  ik__rounds_free,
  NULL, /* cancel: the engine's */
  NULL, /* halt */
  NULL,
  NULL,
};

int ik__ping_job(struct event_base *base, const char *address, const ik_ping_options *opts,
                 ik_host *host, ik_job_cb cb, void *arg, unsigned flags, ik_job **job) {
  if (job != NULL)
    *job = NULL;
  if (address == NULL || host == NULL)
    return ik__fail(IK_EINVAL, "ik_ping: %s is NULL", address == NULL ? "address" : "host");
  memset(host, 0, sizeof *host);
  return ik__job_start(base, &ping_ops, opts, &address, 1, host, cb, arg, flags, job);
}

int ik_async_ping(struct event_base *base, const char *address, const ik_ping_options *opts,
                  ik_host *host, ik_job_cb cb, void *arg, ik_job **job) {
  return ik__ping_job(base, address, opts, host, cb, arg, 0, job);
}
