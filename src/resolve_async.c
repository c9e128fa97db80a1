/* Lookups that never block the loop (resolve.h): literals and the special
 * names answered by resolve.c on the next loop turn, other names through
 * libevent's evdns.
 *
 * Ownership of the evdns_base: one per event_base, created by the first
 * lookup that needs DNS and freed when its last query is called back, so
 * nothing of ours outlives the lookups (event_base_free needs no hook) and
 * each new batch of lookups reads the system's configuration afresh. A
 * base and its lookups belong to one thread (async.h), so the registry of
 * bases is per thread and needs no lock.
 *
 * Each address family is its own evdns_getaddrinfo query: evdns finishes
 * a one-family query entirely before calling back (a two-family one may
 * still touch its evdns_base after the callback, when one family timed
 * out), which is what lets the callback free the evdns_base. */
#define _POSIX_C_SOURCE 200112L /* as resolve.c: the socket constants under -std=c11 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "backend.h"
#include "resolve.h"

typedef struct ik__dns {
  struct event_base *base;
  struct evdns_base *evdns;
  size_t refs; /* lookups with a query evdns has not called back */
  struct ik__dns *next;
} ik__dns;

static IK__THREAD_LOCAL ik__dns *dns_list;

/* One family's query. */
typedef struct ik__query {
  struct ik__lookup *lookup;
  struct evdns_getaddrinfo_request *req; /* NULL: answered within the call */
  int waiting;                           /* evdns has not called back */
  int rc;                                /* evdns's result */
  struct evutil_addrinfo *res;
} ik__query;

struct ik__lookup {
  ik__dns *dns;   /* while a query waits */
  ik__query q[2]; /* [0] A, [1] AAAA */
  int waiting;    /* queries not called back */
  int starting;   /* inside ik__resolve_start */
  int canceled;   /* freed when the last query is called back */
  int delivering; /* cb is running: freed when it returns */
  struct event *done_ev;
  ik__lookup_cb cb;
  void *arg;
  int family;
  size_t max;
  int status;
  char detail[256];
  ik_address *addrs;
  size_t n;
  char *name;  /* as given, for the messages */
  char *query; /* in name's allocation */
};

/* ---- the evdns_base of an event_base ---- */

static int dns_get(struct event_base *base, ik__dns **out) {
  ik__dns *d;
  int err;
  for (d = dns_list; d != NULL; d = d->next)
    if (d->base == base) {
      *out = d;
      return 0;
    }
  if ((d = (ik__dns *)calloc(1, sizeof *d)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for the DNS resolver");
  /* DISABLE_WHEN_INACTIVE: an idle resolver keeps no event pending, so it
   * never holds event_base_dispatch open. */
  if ((d->evdns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL) {
    free(d);
    return ik__fail(IK_ENOMEM, "libevent could not create a DNS resolver");
  }
  if ((err = ik__dns_configure(d->evdns)) != 0) {
    evdns_base_free(d->evdns, 0);
    free(d);
    return err;
  }
  d->base = base;
  d->next = dns_list;
  dns_list = d;
  *out = d;
  return 0;
}

/* Frees the evdns_base with its last lookup: never from inside evdns's
 * own code but when a one-family query has been called back (see the top
 * of the file), when no query of it is left. */
static void dns_release(ik__dns *d) {
  ik__dns **pp;
  if (--d->refs > 0)
    return;
  for (pp = &dns_list; *pp != d; pp = &(*pp)->next)
    ;
  *pp = d->next;
  evdns_base_free(d->evdns, 0);
  free(d);
}

/* ---- lookups ---- */

static void lookup_free(ik__lookup *l) {
  int i;
  for (i = 0; i < 2; i++)
    if (l->q[i].res != NULL)
      evutil_freeaddrinfo(l->q[i].res);
  if (l->done_ev != NULL)
    event_free(l->done_ev);
  free(l->addrs);
  free(l->name);
  free(l);
}

static void keep_failure(ik__lookup *l, int status) {
  size_t len = strlen(ik_last_error());
  if (len >= sizeof l->detail)
    len = sizeof l->detail - 1;
  memcpy(l->detail, ik_last_error(), len);
  l->detail[len] = '\0';
  l->status = status;
  l->n = 0;
}

static size_t count(const struct evutil_addrinfo *ai) {
  size_t n = 0;
  for (; ai != NULL; ai = ai->ai_next)
    n++;
  return n;
}

/* Both queries answered: IPv4 addresses first, as ik__resolve orders
 * them; an error only when neither found an address. */
static void collect(ik__lookup *l) {
  size_t room = count(l->q[0].res) + count(l->q[1].res);
  int i;
  if (room > l->max)
    room = l->max;
  if (room > 0 && (l->addrs = (ik_address *)malloc(room * sizeof *l->addrs)) == NULL) {
    keep_failure(l, ik__fail(IK_ENOMEM, "no memory for the addresses of '%.80s'", l->name));
    return;
  }
  ik__addrinfo_collect(l->q[0].res, IK_AF_INET, l->addrs, room, &l->n);
  ik__addrinfo_collect(l->q[1].res, IK_AF_INET6, l->addrs, room, &l->n);
  if (l->n > 0)
    return;
  for (i = 0; i < 2; i++)
    if (l->q[i].rc != 0) {
      keep_failure(l, ik__fail(IK_ENAMELOOKUP, "cannot resolve '%.80s': %s", l->name,
                               evutil_gai_strerror(l->q[i].rc)));
      return;
    }
  keep_failure(l, ik__resolve_none(l->name, l->family));
}

static void deliver(evutil_socket_t fd, short what, void *arg) {
  ik__lookup *l = (ik__lookup *)arg;
  (void)fd;
  (void)what;
  l->delivering = 1;
  if (l->status != 0)
    ik__fail(l->status, "%s", l->detail);
  l->cb(l->status, l->status == 0 ? l->addrs : NULL, l->status == 0 ? l->n : 0, l->arg);
  lookup_free(l);
}

/* evdns's callback, from its deferred queue or from inside
 * evdns_getaddrinfo (a hosts file entry). */
static void query_done(int rc, struct evutil_addrinfo *res, void *arg) {
  ik__query *q = (ik__query *)arg;
  ik__lookup *l = q->lookup;
  q->waiting = 0;
  q->req = NULL;
  q->rc = rc;
  q->res = res;
  if (--l->waiting > 0)
    return;
  if (!l->starting) { /* ik__resolve_start releases it after the call */
    dns_release(l->dns);
    l->dns = NULL;
  }
  if (l->canceled) {
    lookup_free(l);
    return;
  }
  collect(l);
  event_active(l->done_ev, EV_TIMEOUT, 0);
}

static void ask(ik__lookup *l, ik__query *q, int family) {
  struct evutil_addrinfo hints;
  struct evdns_getaddrinfo_request *req;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = family;
  hints.ai_socktype = SOCK_DGRAM; /* one entry per address */
  q->lookup = l;
  q->waiting = 1;
  req = evdns_getaddrinfo(l->dns->evdns, l->query, NULL, &hints, query_done, q);
  if (q->waiting)
    q->req = req;
}

/* The name needs DNS: one query per family wanted. */
static void start_queries(ik__lookup *l, struct event_base *base) {
  int fam[2], nfam = 0, i, err;
  if ((err = dns_get(base, &l->dns)) != 0) {
    keep_failure(l, err);
    event_active(l->done_ev, EV_TIMEOUT, 0);
    return;
  }
  if (l->family != IK_AF_INET6)
    fam[nfam++] = AF_INET;
  if (l->family != IK_AF_INET)
    fam[nfam++] = AF_INET6;
  l->dns->refs++;
  l->waiting = nfam;
  l->starting = 1;
  for (i = 0; i < nfam; i++)
    ask(l, &l->q[fam[i] == AF_INET6], fam[i]);
  l->starting = 0;
  if (l->waiting == 0) { /* answered within the calls: query_done left it */
    dns_release(l->dns);
    l->dns = NULL;
  }
}

int ik__resolve_start(struct event_base *base, const char *name, int family, size_t max,
                      ik__lookup_cb cb, void *arg, ik__lookup **lookup) {
  ik__lookup *l;
  size_t len;
  int rc;

  if (lookup != NULL)
    *lookup = NULL;
  if (base == NULL || cb == NULL)
    return ik__fail(IK_EINVAL, "%s is NULL", base == NULL ? "the event base" : "the callback");
  if ((rc = ik__resolve_check("ik_async_resolve", name, family, max)) != 0)
    return rc;
  if ((rc = ik__libevent_init()) != 0)
    return rc;
  len = strlen(name);
  if ((l = (ik__lookup *)calloc(1, sizeof *l)) == NULL ||
      (l->name = (char *)malloc(2 * (len + 1))) == NULL ||
      (l->done_ev = evtimer_new(base, deliver, l)) == NULL) {
    if (l != NULL) {
      free(l->name);
      free(l);
    }
    return ik__fail(IK_ENOMEM, "no memory for a name lookup");
  }
  memcpy(l->name, name, len + 1);
  /* What evdns is asked: without a final dot, or it would miss "host." in
   * the hosts file, which the C library finds. */
  l->query = l->name + len + 1;
  memcpy(l->query, name, len + 1);
  if (len > 1 && l->query[len - 1] == '.')
    l->query[len - 1] = '\0';
  l->cb = cb;
  l->arg = arg;
  l->family = family;
  l->max = max;
  if (lookup != NULL)
    *lookup = l;
  /* No DNS for these: at most two addresses (localhost's). */
  if ((l->addrs = (ik_address *)malloc(2 * sizeof *l->addrs)) == NULL) {
    lookup_free(l);
    if (lookup != NULL)
      *lookup = NULL;
    return ik__fail(IK_ENOMEM, "no memory for a name lookup");
  }
  rc = ik__resolve_local(name, family, l->addrs, max < 2 ? max : 2, &l->n);
  if (rc == IK__RESOLVE_DNS) {
    free(l->addrs);
    l->addrs = NULL;
    start_queries(l, base);
    return 0;
  }
  if (rc != 0)
    keep_failure(l, rc);
  event_active(l->done_ev, EV_TIMEOUT, 0);
  return 0;
}

void ik__lookup_cancel(ik__lookup *l) {
  int i;
  if (l == NULL || l->delivering)
    return;
  if (l->waiting == 0) {
    lookup_free(l);
    return;
  }
  /* evdns calls each query back once more (EVUTIL_EAI_CANCEL) on a later
   * loop turn; query_done frees the lookup then. */
  l->canceled = 1;
  event_del(l->done_ev);
  for (i = 0; i < 2; i++)
    if (l->q[i].waiting && l->q[i].req != NULL)
      evdns_getaddrinfo_cancel(l->q[i].req);
}

/* ---- the public face ---- */

int ik_async_resolve(struct event_base *base, const char *name, int family, ik_resolve_cb cb,
                     void *arg, ik_lookup **lookup) {
  ik__lookup *l = NULL;
  int rc = ik__resolve_start(base, name, family, SIZE_MAX, cb, arg, &l);
  if (lookup != NULL)
    *lookup = (ik_lookup *)l;
  return rc;
}

void ik_lookup_cancel(ik_lookup *lookup) { ik__lookup_cancel((ik__lookup *)lookup); }
