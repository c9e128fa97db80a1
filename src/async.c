/* The async socket wrapper: one read watch per socket, pending receives in
 * an open-addressing table, timeouts in per-timeout FIFO queues (see
 * docs/architecture.md, "Async engine"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "async_engine.h"
#include "match.h"
#include "socket.h"

/* Messages read, or receives timed out, per wake-up before yielding to
 * the other events of the base (a 1 ms timer must keep firing during a
 * large multiping). */
#define IK__ASYNC_BURST 256
/* Consecutive socket failures after which the pending receives fail with
 * IK_ESOCKET (one failure may just be a consumed socket error). */
#define IK__ASYNC_SOCKET_FAILURES 8
/* Longest timer armed at once; a longer (or infinite) timeout re-arms. */
#define IK__ASYNC_MAX_TIMER 86400.0

#define NONE UINT32_MAX

/* One pending receive. 72 bytes; with the table slots and the pool's
 * spare room, under 256 bytes per receive in the worst case. */
typedef struct pending {
  const ik_request *match; /* NULL: any message */
  ik_async_cb cb;
  void *arg;
  double deadline;     /* monotonic */
  uint64_t serial;     /* receive order, to complete duplicates FIFO */
  uint32_t hash;       /* of (id, sequence, destination) */
  uint32_t queue;      /* index of its timeout queue */
  uint32_t prev, next; /* in its queue; next also links the free list */
  uint32_t any_prev, any_next;
  unsigned char in_any; /* on the any-source list instead of the table */
} pending;

/* Receives sharing one timeout value: deadlines only grow along the queue,
 * so one timer armed for the head serves them all. */
typedef struct timeout_queue {
  ik_async *owner;
  double timeout;
  uint32_t head, tail, count;
  struct event *timer;
} timeout_queue;

struct ik_async {
  struct event_base *base;
  ik_socket *sock;  /* NULL once detached or closed */
  int was_blocking; /* restored on detach; -1 unknown */
  unsigned depth;   /* nested calls that may run callbacks */
  int free_requested;
  ik__unmatched_fn unmatched;
  void *unmatched_arg;
  ik__seen seen;
  struct event *resume; /* continues a wake-up cut at IK__ASYNC_BURST */
  unsigned flags;       /* ik__socket_match_flags for the current wake-up */

  pending *entries;
  uint32_t capacity, free_head, live;
  uint64_t serial;

  uint32_t *slots; /* entry index or NONE; mask + 1 slots */
  uint32_t mask, table_count;
  uint32_t seed;

  uint32_t any_head, any_tail;

  timeout_queue **queues;
  uint32_t nqueues, last_queue;
};

/* ---- hashing ---- */

static uint32_t mix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x7feb352dU;
  h ^= h >> 15;
  h *= 0x846ca68bU;
  h ^= h >> 16;
  return h;
}

/* The scope of an IPv6 address is left out: ik__address_equal ignores it
 * when either side has none. */
static uint32_t key_hash(const ik_async *a, uint16_t id, uint16_t sequence,
                         const ik_address *addr) {
  /* Mixed before the address joins: XORed raw, a sequence that counts up
   * with the address (one probe per host of a range) cancels it out and
   * piles every key into a few slots. */
  uint32_t h = mix(a->seed ^ ((uint32_t)id << 16 | sequence));
  size_t i, len = addr->family == IK_AF_INET ? 4 : 16;
  for (i = 0; i < len; i += 4)
    h = mix(h ^ ((uint32_t)addr->bytes[i] << 24 | (uint32_t)addr->bytes[i + 1] << 16 |
                 (uint32_t)addr->bytes[i + 2] << 8 | addr->bytes[i + 3]));
  return mix(h ^ (uint32_t)addr->family);
}

/* ---- the table (linear probing, backward-shift deletion) ---- */

static int table_grow(ik_async *a) {
  uint32_t cap = a->slots == NULL ? 64 : (a->mask + 1) * 2, i, j;
  uint32_t *slots = malloc(sizeof *slots * cap);
  if (slots == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %lu pending receives", (unsigned long)a->live + 1);
  for (i = 0; i < cap; ++i)
    slots[i] = NONE;
  if (a->slots != NULL)
    for (i = 0; i <= a->mask; ++i)
      if (a->slots[i] != NONE) {
        for (j = a->entries[a->slots[i]].hash & (cap - 1); slots[j] != NONE;
             j = (j + 1) & (cap - 1))
          ;
        slots[j] = a->slots[i];
      }
  free(a->slots);
  a->slots = slots;
  a->mask = cap - 1;
  return 0;
}

static void table_insert(ik_async *a, uint32_t idx) {
  uint32_t j = a->entries[idx].hash & a->mask;
  while (a->slots[j] != NONE)
    j = (j + 1) & a->mask;
  a->slots[j] = idx;
  ++a->table_count;
}

static void table_remove(ik_async *a, uint32_t idx) {
  uint32_t i = a->entries[idx].hash & a->mask, j, home;
  while (a->slots[i] != idx)
    i = (i + 1) & a->mask;
  /* Pull later members of the run back so that no lookup meets a hole
   * before the entry it looks for. */
  for (j = (i + 1) & a->mask; a->slots[j] != NONE; j = (j + 1) & a->mask) {
    home = a->entries[a->slots[j]].hash & a->mask;
    if (((j - home) & a->mask) >= ((j - i) & a->mask)) {
      a->slots[i] = a->slots[j];
      i = j;
    }
  }
  a->slots[i] = NONE;
  --a->table_count;
}

/* The oldest pending receive in the table that rx answers, or NONE. */
static uint32_t table_find(const ik_async *a, const ik__received *rx) {
  const ik_address *addr = rx->pkt.is_error ? &rx->pkt.quoted_dst : &rx->source;
  uint32_t h, j, best = NONE;
  if (a->table_count == 0)
    return NONE;
  h = key_hash(a, rx->pkt.id, rx->pkt.sequence, addr);
  for (j = h & a->mask; a->slots[j] != NONE; j = (j + 1) & a->mask) {
    const pending *e = &a->entries[a->slots[j]];
    if (e->hash == h && (best == NONE || e->serial < a->entries[best].serial) &&
        ik__match(e->match, rx, a->flags))
      best = a->slots[j];
  }
  return best;
}

/* ---- the list of receives that accept any source ---- */

static void any_append(ik_async *a, uint32_t idx) {
  pending *e = &a->entries[idx];
  e->in_any = 1;
  e->any_next = NONE;
  e->any_prev = a->any_tail;
  if (a->any_tail != NONE)
    a->entries[a->any_tail].any_next = idx;
  else
    a->any_head = idx;
  a->any_tail = idx;
}

static void any_remove(ik_async *a, uint32_t idx) {
  pending *e = &a->entries[idx];
  if (e->any_prev != NONE)
    a->entries[e->any_prev].any_next = e->any_next;
  else
    a->any_head = e->any_next;
  if (e->any_next != NONE)
    a->entries[e->any_next].any_prev = e->any_prev;
  else
    a->any_tail = e->any_prev;
}

static uint32_t any_find(const ik_async *a, const ik__received *rx) {
  uint32_t i;
  for (i = a->any_head; i != NONE; i = a->entries[i].any_next)
    if (ik__match(a->entries[i].match, rx, a->flags))
      return i;
  return NONE;
}

/* ---- timeout queues ---- */

static void on_timer(evutil_socket_t fd, short what, void *arg);

static void arm(timeout_queue *q, double deadline) {
  double wait = deadline - ik__now_mono();
  struct timeval tv;
  if (!(wait > 0))
    wait = 0;
  if (wait > IK__ASYNC_MAX_TIMER)
    wait = IK__ASYNC_MAX_TIMER;
  tv.tv_sec = (long)wait;
  /* Round up so the timer never fires before the deadline. */
  tv.tv_usec = (long)ceil((wait - (double)tv.tv_sec) * 1e6);
  if (tv.tv_usec >= 1000000) {
    tv.tv_sec += 1;
    tv.tv_usec -= 1000000;
  }
  event_add(q->timer, &tv);
}

/* The queue for timeout, reusing an empty one before making one. */
static int queue_for(ik_async *a, double timeout, uint32_t *index) {
  uint32_t i, spare = NONE;
  timeout_queue *q, **queues;
  if (a->last_queue < a->nqueues && a->queues[a->last_queue]->timeout == timeout) {
    *index = a->last_queue;
    return 0;
  }
  for (i = 0; i < a->nqueues; ++i) {
    if (a->queues[i]->timeout == timeout) {
      *index = a->last_queue = i;
      return 0;
    }
    if (spare == NONE && a->queues[i]->count == 0)
      spare = i;
  }
  if (spare != NONE) {
    a->queues[spare]->timeout = timeout;
    *index = a->last_queue = spare;
    return 0;
  }
  if ((queues = realloc(a->queues, sizeof *queues * (a->nqueues + 1))) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a timeout queue");
  a->queues = queues;
  if ((q = calloc(1, sizeof *q)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a timeout queue");
  if ((q->timer = evtimer_new(a->base, on_timer, q)) == NULL) {
    free(q);
    return ik__fail(IK_ENOMEM, "event_new failed for a timeout queue");
  }
  q->owner = a;
  q->timeout = timeout;
  q->head = q->tail = NONE;
  a->queues[a->nqueues] = q;
  *index = a->last_queue = a->nqueues++;
  return 0;
}

static void queue_append(ik_async *a, uint32_t idx) {
  pending *e = &a->entries[idx];
  timeout_queue *q = a->queues[e->queue];
  e->next = NONE;
  e->prev = q->tail;
  if (q->tail != NONE)
    a->entries[q->tail].next = idx;
  else
    q->head = idx;
  q->tail = idx;
  if (q->count++ == 0)
    arm(q, e->deadline);
}

static void queue_remove(ik_async *a, uint32_t idx) {
  pending *e = &a->entries[idx];
  timeout_queue *q = a->queues[e->queue];
  if (e->prev != NONE)
    a->entries[e->prev].next = e->next;
  else
    q->head = e->next;
  if (e->next != NONE)
    a->entries[e->next].prev = e->prev;
  else
    q->tail = e->prev;
  /* A timer left for a removed head just fires early and re-arms; an empty
   * queue stops it so that it can serve another timeout. */
  if (--q->count == 0)
    event_del(q->timer);
}

/* ---- pending receives ---- */

static int pool_take(ik_async *a, uint32_t *idx) {
  if (a->free_head == NONE) {
    uint32_t cap = a->capacity == 0 ? 64 : a->capacity * 2, i;
    pending *entries;
    if (a->capacity >= NONE / 2)
      return ik__fail(IK_ENOMEM, "too many pending receives");
    if ((entries = realloc(a->entries, sizeof *entries * cap)) == NULL)
      return ik__fail(IK_ENOMEM, "no memory for %lu pending receives", (unsigned long)cap);
    a->entries = entries;
    for (i = a->capacity; i < cap; ++i)
      entries[i].next = i + 1 < cap ? i + 1 : NONE;
    a->free_head = a->capacity;
    a->capacity = cap;
  }
  *idx = a->free_head;
  a->free_head = a->entries[*idx].next;
  return 0;
}

/* Removes entry idx everywhere and runs its callback. The entry's memory
 * may move or be reused by the callback: nothing of it is used after. */
static void complete(ik_async *a, uint32_t idx, int status, const ik_reply *reply) {
  pending *e = &a->entries[idx];
  ik_async_cb cb = e->cb;
  void *arg = e->arg;
  if (e->in_any)
    any_remove(a, idx);
  else
    table_remove(a, idx);
  queue_remove(a, idx);
  e->next = a->free_head;
  a->free_head = idx;
  --a->live;
  cb(status, reply, arg);
}

/* Completes the receives pending now, queue by queue, each oldest first.
 * Those that callbacks add meanwhile (at the tails, with later serials)
 * stay pending, so this ends. */
static void complete_all(ik_async *a, int status) {
  uint64_t limit = a->serial;
  uint32_t i, head;
  for (i = 0; i < a->nqueues; ++i)
    while ((head = a->queues[i]->head) != NONE && a->entries[head].serial < limit)
      complete(a, head, status, NULL);
}

static void destroy(ik_async *a) {
  uint32_t i;
  for (i = 0; i < a->nqueues; ++i) {
    event_free(a->queues[i]->timer);
    free(a->queues[i]);
  }
  free(a->queues);
  if (a->resume != NULL)
    event_free(a->resume);
  free(a->entries);
  free(a->slots);
  free(a);
}

/* Every entry point that can run callbacks is bracketed by depth++ and
 * leave(), so an ik_async_free from a callback is carried out last. */
static void leave(ik_async *a) {
  if (--a->depth == 0 && a->free_requested)
    destroy(a);
}

/* ---- dispatch ---- */

static void deliver(ik_async *a, const ik__received *rx) {
  uint32_t idx = table_find(a, rx);
  ik_reply reply;
  int seen;
  if (idx == NONE && a->any_head != NONE)
    idx = any_find(a, rx);
  if (rx->error != 0) { /* the OS failed a request: only its receive hears */
    if (idx != NONE)
      complete(a, idx, rx->error, NULL);
    return;
  }
  if (idx == NONE && (a->unmatched == NULL || !ik__match(NULL, rx, 0)))
    return;
  /* Only what answered a receive (payload checked) is remembered: a
   * message that failed that check must not make the genuine reply after
   * it look like a copy. An unmatched message is a copy only with the
   * remembered payload; with another one it is someone else's (another
   * process's raw socket, a forgery) and nobody's business here. */
  if (idx != NONE)
    seen = ik__seen_check(&a->seen, rx) ? IK__SEEN_COPY : IK__SEEN_NEW;
  else if ((seen = ik__seen_lookup(&a->seen, rx)) == IK__SEEN_OTHER)
    return;
  ik__reply_from(rx, &reply);
  if (seen == IK__SEEN_COPY)
    reply.flags |= IK_REPLY_DUPLICATE;
  if (idx != NONE)
    complete(a, idx, 0, &reply);
  else
    a->unmatched(a->unmatched_arg, &reply, rx->pkt.is_error ? &rx->pkt.quoted_dst : NULL, rx);
}

/* Reads what the socket has, up to IK__ASYNC_BURST messages; the rest
 * waits for the next wake-up, which the resume timer guarantees even when
 * the backend holds messages the OS no longer signals. */
static void drain(ik_async *a) {
  static const struct timeval now = {0, 0};
  ik__received rx;
  unsigned n, failures = 0;
  int err;
  if (a->sock == NULL)
    return;
  a->flags = ik__socket_match_flags(a->sock);
  for (n = 0; n < IK__ASYNC_BURST; ++n) {
    if (a->sock == NULL || a->free_requested)
      return;
    err = ik__ep_read(ik__socket_endpoint(a->sock), &rx);
    if (err == IK_ETIMEOUT)
      return;
    if (err == 0) {
      failures = 0;
      deliver(a, &rx);
    } else if (!ik__is_packet_error(err) && ++failures >= IK__ASYNC_SOCKET_FAILURES) {
      complete_all(a, err);
      return;
    }
  }
  event_add(a->resume, &now);
}

static void on_ready(void *arg) {
  ik_async *a = (ik_async *)arg;
  ++a->depth;
  drain(a);
  leave(a);
}

static void on_resume(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  on_ready(arg);
}

static void on_timer(evutil_socket_t fd, short what, void *arg) {
  timeout_queue *q = (timeout_queue *)arg;
  ik_async *a = q->owner;
  unsigned n;
  double now;
  (void)fd;
  (void)what;
  ++a->depth;
  /* Replies already queued when the time is up still count, as with
   * ik_socket_receive (so a zero timeout means "what is there now"). */
  drain(a);
  now = ik__now_mono();
  for (n = 0; n < IK__ASYNC_BURST && a->sock != NULL && q->head != NONE &&
              a->entries[q->head].deadline <= now;
       ++n)
    complete(a, q->head, ik__fail(IK_ETIMEOUT, "the timeout has been reached (%gs)", q->timeout),
             NULL);
  /* The rest (if the burst ran out) on the next turn of the loop. */
  if (a->sock != NULL && q->head != NONE)
    arm(q, a->entries[q->head].deadline);
  leave(a);
}

/* ---- public API ---- */

static int unavailable(void) {
  return ik__fail(IK_EUNAVAILABLE, "the async socket is closed or detached");
}

int ik_async_new(struct event_base *base, ik_socket *sock, ik_async **async) {
  ik_async *a;
  ik__endpoint *ep;
  int err, blocking;

  if (async == NULL)
    return ik__fail(IK_EINVAL, "ik_async_new: async is NULL");
  *async = NULL;
  if (base == NULL || sock == NULL)
    return ik__fail(IK_EINVAL, "ik_async_new: %s is NULL", base == NULL ? "base" : "sock");
  if ((ep = ik__socket_endpoint(sock)) == NULL)
    return ik__fail(IK_EUNAVAILABLE, "ik_async_new: the socket is closed");
  if (ik__socket_owner(sock) != NULL)
    return ik__fail(IK_EINVAL, "ik_async_new: the socket is already wrapped by an ik_async");
  if ((a = calloc(1, sizeof *a)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for an async socket");
  a->base = base;
  a->sock = sock;
  a->free_head = a->any_head = a->any_tail = NONE;
  a->was_blocking = ik__ep_get_blocking(ep, &blocking) == 0 ? blocking : -1;
  ik__random_bytes(&a->seed, sizeof a->seed);
  if ((a->resume = evtimer_new(base, on_resume, a)) == NULL) {
    free(a);
    return ik__fail(IK_ENOMEM, "event_new failed");
  }
  if ((err = table_grow(a)) != 0 || (err = ik__ep_set_blocking(ep, 0)) != 0 ||
      (err = ik__ep_watch(ep, base, on_ready, a)) != 0) {
    if (a->was_blocking > 0)
      ik__ep_set_blocking(ep, 1);
    destroy(a);
    return err;
  }
  ik__socket_set_owner(sock, a);
  *async = a;
  return 0;
}

int ik_async_send(ik_async *async, ik_request *req) {
  if (async == NULL)
    return ik__fail(IK_EINVAL, "ik_async_send: async is NULL");
  if (async->sock == NULL)
    return unavailable();
  return ik_socket_send(async->sock, req);
}

int ik__async_send_many(ik_async *async, ik_request *const *reqs, size_t n, size_t *sent) {
  if (sent != NULL)
    *sent = 0;
  if (async == NULL || sent == NULL || (reqs == NULL && n > 0))
    return ik__fail(IK_EINVAL, "ik__async_send_many: %s is NULL",
                    async == NULL  ? "async"
                    : sent == NULL ? "sent"
                                   : "reqs");
  if (async->sock == NULL)
    return unavailable();
  return ik__socket_send_many(async->sock, reqs, n, sent);
}

int ik_async_receive(ik_async *async, const ik_request *match, double timeout, ik_async_cb cb,
                     void *arg) {
  ik_async *a = async;
  uint32_t idx = NONE, queue = 0;
  pending *e;
  int err;

  if (a == NULL || cb == NULL)
    return ik__fail(IK_EINVAL, "ik_async_receive: %s is NULL", a == NULL ? "async" : "cb");
  if (a->sock == NULL)
    return unavailable();
  if (!(timeout >= 0)) /* also refuses NaN */
    return ik__fail(IK_EINVAL, "timeout %g: must be >= 0 seconds", timeout);
  if (match != NULL && match->destination.family != ik_socket_family(a->sock))
    return ik__fail(IK_EFAMILY, "the request to match is not %s",
                    ik_socket_family(a->sock) == IK_AF_INET ? "IPv4" : "IPv6");
  if (a->table_count + 1 > (a->mask + 1) / 2 && (err = table_grow(a)) != 0)
    return err;
  if ((err = queue_for(a, timeout, &queue)) != 0 || (err = pool_take(a, &idx)) != 0)
    return err;
  ik__ep_set_timeout_hint(ik__socket_endpoint(a->sock), timeout);
  e = &a->entries[idx];
  e->match = match;
  e->cb = cb;
  e->arg = arg;
  e->deadline = ik__now_mono() + timeout;
  e->serial = a->serial++;
  e->queue = queue;
  e->in_any = 0;
  ++a->live;
  /* Keyed by the id after the send (Linux DGRAM rewrites it). Receives
   * that any host may answer cannot be keyed by source. */
  if (match == NULL || ik__address_is_group(&match->destination) ||
      ik__socket_match_flags(a->sock) & IK__MATCH_ANY_SOURCE) {
    e->hash = 0;
    any_append(a, idx);
  } else {
    e->hash = key_hash(a, match->id, match->sequence, &match->destination);
    table_insert(a, idx);
  }
  queue_append(a, idx);
  return 0;
}

ik_socket *ik_async_detach(ik_async *async) {
  ik_socket *sock;
  ik__endpoint *ep;
  if (async == NULL || async->sock == NULL)
    return NULL;
  sock = async->sock;
  ep = ik__socket_endpoint(sock);
  async->sock = NULL;
  ik__socket_set_owner(sock, NULL);
  if (ep != NULL) {
    ik__ep_unwatch(ep);
    if (async->was_blocking > 0)
      ik__ep_set_blocking(ep, 1);
  }
  event_del(async->resume);
  ++async->depth;
  complete_all(async, ik__fail(IK_EUNAVAILABLE, "the async socket was closed or detached"));
  leave(async);
  return sock;
}

int ik_async_close(ik_async *async) {
  ik_socket *sock;
  if (async == NULL)
    return ik__fail(IK_EINVAL, "ik_async_close: async is NULL");
  ++async->depth;
  if ((sock = ik_async_detach(async)) != NULL)
    ik_socket_close(sock);
  leave(async);
  return 0;
}

int ik_async_is_closed(const ik_async *async) { return async == NULL || async->sock == NULL; }

ik_socket *ik_async_socket(const ik_async *async) { return async != NULL ? async->sock : NULL; }

void ik_async_free(ik_async *async) {
  if (async == NULL || async->free_requested)
    return;
  ++async->depth;
  ik_async_close(async);
  /* Called from a callback of ik_async_detach/close, the receives that
   * call had not reached yet complete now, before this returns. */
  complete_all(async, ik__fail(IK_EUNAVAILABLE, "the async socket was freed"));
  async->free_requested = 1;
  leave(async);
}

/* Ownership (issue 15): ik_socket_close/ik_socket_free on the wrapped
 * socket. Its endpoint is closed already, which removed the read watch;
 * the timers stop as complete_all empties their queues. */
void ik__async_socket_gone(ik_async *async) {
  async->sock = NULL;
  event_del(async->resume);
  ++async->depth;
  complete_all(async, ik__fail(IK_EUNAVAILABLE, "the wrapped socket was closed or freed"));
  leave(async);
}

void ik__async_set_unmatched(ik_async *async, ik__unmatched_fn fn, void *arg) {
  async->unmatched = fn;
  async->unmatched_arg = arg;
}

struct event_base *ik__async_base(const ik_async *async) {
  return async->base;
}
