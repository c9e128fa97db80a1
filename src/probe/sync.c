/* The synchronous calls: ik_ping, ik_multiping and ik_traceroute run
 * their asynchronous job on a private event_base until it ends, with the
 * names resolved by the blocking system resolver (nsswitch, LLMNR...). */
#include <string.h>

#include <event2/event.h>

#include "probe/engine.h"

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

static int sync_base(sync_state *s) {
  memset(s, 0, sizeof *s);
  return ik__precise_base_new(&s->base); /* src/evbase.c */
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
  err = ik__ping_job(s.base, address, opts, host, sync_done, &s, IK__JOB_BLOCKING_NAMES, &job);
  return sync_run(&s, job, err);
}

int ik_multiping(const char *const *addresses, size_t n, const ik_ping_options *opts,
                 ik_host *hosts) {
  sync_state s;
  ik_job *job = NULL;
  int err;
  if ((err = sync_base(&s)) != 0)
    return err;
  err = ik__multiping_job(s.base, addresses, n, opts, hosts, sync_done, &s, IK__JOB_BLOCKING_NAMES,
                          &job);
  return sync_run(&s, job, err);
}

int ik_traceroute(const char *address, const ik_ping_options *opts, ik_hop **hops, size_t *nhops) {
  sync_state s;
  ik_job *job = NULL;
  int err;
  if ((err = sync_base(&s)) != 0)
    return err;
  err = ik__traceroute_job(s.base, address, opts, hops, nhops, sync_done, &s,
                           IK__JOB_BLOCKING_NAMES, &job);
  return sync_run(&s, job, err);
}
