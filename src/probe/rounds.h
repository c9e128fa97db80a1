/* Rounds: probe `round` of every target in turn, count rounds, each
 * target's probes an interval apart, paced by a token bucket. The
 * scheduling that ping and multiping share (rounds.c); their kind state
 * starts with an ik__rounds. */
#ifndef IK_PROBE_ROUNDS_H
#define IK_PROBE_ROUNDS_H

#include "probe/engine.h"

typedef struct ik__rounds {
  double *last_send;  /* per target, with count > 1 */
  size_t round, next; /* cursor: probe `round` of target `next` */
  int linger;         /* broadcast/multicast: wait out the last timeout */
  double last_fill;   /* when the last probe was queued */
  ik__ratelimit rate;
  /* Multiping: after the last round, when the OS dropped replies (or
   * probes found no buffer), one more round to the hosts that did not
   * answer, at half the rate (see reprobe in rounds.c). */
  int reprobe;       /* the kind wants it */
  int extra;         /* 1 once that round is added */
  double first_fill; /* when the first probe was queued */
  size_t queued;     /* probes queued so far */
} ik__rounds;

/* Sets job->kind_state to a zeroed state of size bytes (an ik__rounds
 * first) for job->n targets, paced at rate. */
int ik__rounds_new(ik_job *job, size_t size, double rate);
void ik__rounds_tick(ik_job *job);
void ik__rounds_on_sent(ik_job *job, const ik__probe *p, double now);
void ik__rounds_on_answer(ik_job *job, const ik__probe *p, const ik_reply *reply);
void ik__rounds_on_complete(ik_job *job, const ik__probe *p);
/* A send failed: probing that target stops (its error says why). */
void ik__rounds_on_send_failed(ik_job *job, const ik__probe *p, int err);
/* Completes the results unless status failed (then empties them). */
int ik__rounds_finish(ik_job *job, int status);
void ik__rounds_free(ik_job *job);

#endif
