/* Results of a job: replies and statistics recorded into the caller's
 * ik_host array (or, for a streamed multiping, statistics per host), and
 * what late replies may add to them, bounded whatever arrives. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "probe/engine.h"

#define NONE UINT32_MAX

/* A host's stored echo replies that answered a probe (ik_reply_check OK),
 * chained per sequence in arrival order: a late reply finds the answers
 * to its probe without looking at the others. Built on the host's first
 * late reply (most hosts never get one), then kept up to date. */
typedef struct seq_chain {
  uint32_t head, tail;         /* indexes into host->replies */
  uint16_t copies, responders; /* stored after the first answer */
  uint16_t errors;             /* late ICMP errors stored */
} seq_chain;

struct ik__late_index {
  uint32_t *next; /* per stored reply: the next of its sequence, NONE */
  size_t next_cap;
  seq_chain seq[1]; /* one per sequence in use: opts.count, at most 65536 */
};

/* Sequences in use: a long ping's wrap past 65535. */
static size_t sequences(const ik_job *job) {
  return job->opts.count < 65536 ? (size_t)job->opts.count : 65536;
}

static void count_duplicate(int *duplicates) {
  if (*duplicates < INT_MAX)
    (*duplicates)++;
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

/* Adds host->replies[i] to its sequence's chain. */
static int chain(struct ik__late_index *li, const ik_host *h, size_t count, uint32_t i) {
  const ik_reply *r = &h->replies[i].reply;
  seq_chain *s;
  if (r->sequence >= count || ik_reply_check(r) != IK_OK)
    return 0;
  if (i >= li->next_cap) {
    size_t cap = li->next_cap ? 2 * li->next_cap : 16;
    void *p;
    while (cap <= i)
      cap *= 2;
    if ((p = realloc(li->next, cap * sizeof *li->next)) == NULL)
      return IK_ENOMEM;
    li->next = (uint32_t *)p;
    li->next_cap = cap;
  }
  s = &li->seq[r->sequence];
  li->next[i] = NONE;
  /* A first answer from the head's source again is a later lap's (a copy
   * would be flagged): the sequence's chain starts over. */
  if (s->head == NONE ||
      (!(r->flags & IK_REPLY_DUPLICATE) &&
       ik__address_equal(&h->replies[s->head].reply.source_addr, &r->source_addr))) {
    s->head = i;
    s->copies = s->responders = s->errors = 0;
  } else {
    li->next[s->tail] = i;
    if (r->flags & IK_REPLY_DUPLICATE)
      s->copies++;
    else
      s->responders++;
  }
  s->tail = i;
  return 0;
}

static struct ik__late_index *late_index(ik_job *job, uint32_t t) {
  size_t count = sequences(job), i;
  const ik_host *h = &job->hosts[t];
  struct ik__late_index *li;
  if (job->late == NULL &&
      (job->late = (struct ik__late_index **)calloc(job->n, sizeof *job->late)) == NULL)
    return NULL;
  if (job->late[t] != NULL)
    return job->late[t];
  li = (struct ik__late_index *)calloc(1, sizeof *li + (count - 1) * sizeof li->seq[0]);
  if (li == NULL)
    return NULL;
  for (i = 0; i < count; i++)
    li->seq[i].head = li->seq[i].tail = NONE;
  for (i = 0; i < h->replies_len; i++)
    if (chain(li, h, count, (uint32_t)i) != 0) {
      free(li->next);
      free(li);
      return NULL;
    }
  return job->late[t] = li;
}

void ik__record(ik_job *job, uint32_t t, const ik_reply *reply, double rtt, int counted,
                int duplicate) {
  ik_host *h = NULL;
  size_t count = (size_t)job->opts.count;
  ik_probe_reply one, *r = &one;

  if (job->stats != NULL) {
    ik__target_stats *s = &job->stats[t];
    if (duplicate)
      count_duplicate(&s->duplicates);
    if (counted)
      ik__host_stats_add(&s->rtt, rtt);
    if (job->opts.on_reply == NULL)
      return;
  } else {
    h = &job->hosts[t];
    if (room((void **)&h->replies, h->replies_len, count, sizeof *h->replies) != 0 ||
        (counted && room((void **)&h->rtts, h->rtts_len, count, sizeof *h->rtts) != 0)) {
      ik__job_stop(job, IK_ENOMEM);
      return;
    }
    r = &h->replies[h->replies_len++];
    if (duplicate)
      count_duplicate(&h->duplicates);
    if (counted)
      h->rtts[h->rtts_len++] = rtt;
  }
  r->sequence = reply->sequence;
  r->reply = *reply;
  r->rtt = rtt;
  r->error = 0;
  if (duplicate)
    r->reply.flags |= IK_REPLY_DUPLICATE;
  if (h != NULL && job->late != NULL && job->late[t] != NULL &&
      chain(job->late[t], h, sequences(job), (uint32_t)(h->replies_len - 1)) != 0) {
    ik__job_stop(job, ik__fail(IK_ENOMEM, "no memory for the replies of a host"));
    return;
  }
  if (job->opts.on_reply != NULL)
    job->opts.on_reply(job->opts.on_reply_arg, job->index_base + t, r);
}

/* Its probe was answered: from the same host it is a duplicate, from
 * another (broadcast, multicast) a further responder; both are recorded
 * (up to IK__COPIES_KEPT and IK__RESPONDERS_KEPT a probe), neither
 * counted as an answer. Its probe timed out: it is lost, as icmplib would
 * lose it. */
void ik__record_late(ik_job *job, uint32_t t, const ik_reply *reply) {
  struct ik__late_index *li;
  const seq_chain *s;
  ik_host *h;
  uint32_t i;
  int answered = 0;
  double rtt = 0;

  if (job->stats != NULL) {
    /* No replies kept to compare with: the source is the host's (the kind
     * found it by source), so a payload async.c knows is a copy. */
    if (reply->flags & IK_REPLY_DUPLICATE)
      count_duplicate(&job->stats[t].duplicates);
    return;
  }
  if (reply->sequence >= sequences(job) || (li = late_index(job, t)) == NULL)
    return;
  h = &job->hosts[t];
  s = &li->seq[reply->sequence];
  if (ik_reply_check(reply) != IK_OK) {
    /* An ICMP error after its probe's timeout (a missing neighbour's Host
     * Unreachable comes after ~3 s): iputils reports each one. */
    if (s->errors < IK__COPIES_KEPT) {
      li->seq[reply->sequence].errors++;
      ik__record(job, t, reply, 0, 0, 0);
    }
    return;
  }
  for (i = s->head; i != NONE; i = li->next[i]) {
    const ik_reply *r = &h->replies[i].reply;
    /* RTT from the probe's send time: the first answer's RTT plus the
     * time between the two arrivals. */
    rtt = h->replies[i].rtt + (reply->time - r->time) * 1000.0;
    if (ik__address_equal(&r->source_addr, &reply->source_addr)) {
      /* A copy only if async.c recognised the payload; one it could not
       * (its memory of answers is bounded) proves nothing. */
      if ((reply->flags & IK_REPLY_DUPLICATE) == 0)
        return;
      if (s->copies < IK__COPIES_KEPT)
        ik__record(job, t, reply, rtt, 0, 1);
      else
        count_duplicate(&h->duplicates);
      return;
    }
    answered = 1;
  }
  if (answered && s->responders < IK__RESPONDERS_KEPT)
    ik__record(job, t, reply, rtt, 0, 0);
}

void ik__result_sent(ik_job *job, uint32_t t) {
  if (job->stats != NULL)
    job->stats[t].sent++;
  else if (job->hosts != NULL) /* NULL: the kind counts (monitor) */
    job->hosts[t].packets_sent++;
}

void ik__record_send_error(ik_job *job, const ik__probe *p, int err) {
  ik_reply r;
  ik_host *h;
  ik_probe_reply *e;
  size_t count = (size_t)job->opts.count;
  ik__result_sent(job, p->target);
  if (job->stats != NULL)
    return;
  h = &job->hosts[p->target];
  if (room((void **)&h->replies, h->replies_len, count, sizeof *h->replies) != 0) {
    ik__job_stop(job, IK_ENOMEM);
    return;
  }
  memset(&r, 0, sizeof r);
  r.source_addr = p->req.destination;
  if (ik_address_format(&r.source_addr, r.source, sizeof r.source) != 0)
    r.source[0] = '\0';
  r.family = r.source_addr.family;
  r.id = p->req.id;
  r.sequence = p->req.sequence;
  r.type = r.code = r.ttl = -1;
  r.time = ik__now_wall();
  e = &h->replies[h->replies_len++];
  e->sequence = r.sequence;
  e->reply = r;
  e->rtt = 0;
  e->error = err;
  if (job->opts.on_reply != NULL)
    job->opts.on_reply(job->opts.on_reply_arg, job->index_base + p->target, e);
}

int *ik__result_error(ik_job *job, uint32_t t) {
  return job->stats != NULL ? &job->stats[t].error : &job->hosts[t].error;
}

int ik__result_answered(const ik_job *job, uint32_t t) {
  return job->stats != NULL ? job->stats[t].rtt.received > 0 : job->hosts[t].rtts_len > 0;
}

void ik__results_empty(ik_job *job) {
  size_t i;
  for (i = 0; job->hosts != NULL && i < job->n; i++)
    ik_host_free(&job->hosts[i]);
}

void ik__results_finish(ik_job *job) {
  size_t i;
  for (i = 0; job->hosts != NULL && i < job->n; i++) {
    ik_host *h = &job->hosts[i];
    shrink((void **)&h->rtts, h->rtts_len, sizeof *h->rtts);
    shrink((void **)&h->replies, h->replies_len, sizeof *h->replies);
    ik__host_finish(h);
    h->local_drops = (size_t)job->local_drops;
  }
}

void ik__results_release(ik_job *job) {
  size_t i;
  if (job->late != NULL) {
    for (i = 0; i < job->n; i++)
      if (job->late[i] != NULL) {
        free(job->late[i]->next);
        free(job->late[i]);
      }
    free(job->late);
    job->late = NULL;
  }
  if (!job->borrowed_results)
    free(job->stats);
  job->stats = NULL;
}
