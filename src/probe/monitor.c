/* The monitor (include/icmpkit/monitor.h): its targets, split into groups
 * that share sockets (mode, source), one engine job of the monitor kind
 * (monitor_kind.c) for each; the names looked up again on the loop; the
 * public calls. The counters live in the targets, so a replace keeps
 * those of the targets that stay. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "probe/monitor_state.h"
#include "socket.h"

#define RESOLVE_INTERVAL 60.0 /* default seconds between re-resolutions */
#define RESOLVE_MAX 16        /* addresses of a name a target may stay on */

typedef struct mon_socket {
  int mode, family;
  char *source;
  ik_socket *sock;
} mon_socket;

struct ik_monitor {
  struct event_base *base;
  ik_monitor_options opts;
  mon_target **t;
  size_t n;
  mon_group *groups;
  size_t ngroups;
  mon_socket *socks;
  size_t nsocks;
  double resolve_interval;
  struct event *resolve_ev; /* every resolve_interval: the names again */
  struct event *apply_ev;   /* active: a name's address changed */
};

/* ---- options ---- */

void ik_monitor_target_init(ik_monitor_target *target) {
  if (target == NULL)
    return;
  memset(target, 0, sizeof *target);
  target->interval = 1.0;
  target->timeout = 1.0;
  target->payload_size = 56;
}

void ik_monitor_options_init(ik_monitor_options *opts) {
  if (opts != NULL)
    memset(opts, 0, sizeof *opts);
}

double ik_monitor_bucket_bound(size_t i) {
  return i < IK__MON_BOUNDS ? 50e-6 * ldexp(1.0, (int)i) : 0;
}

/* ---- targets ---- */

static void target_free(mon_target *t) {
  size_t i;
  if (t == NULL)
    return;
  ik__lookup_cancel(t->lookup);
  for (i = 0; i < t->nlabels; i++) {
    free((char *)t->labels[i].name);
    free((char *)t->labels[i].value);
  }
  free(t->labels);
  free(t->host);
  free(t->source);
  free(t->key);
  free(t);
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = (char *)malloc(n);
  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

static int label_cmp(const void *a, const void *b) {
  return strcmp(((const ik_monitor_label *)a)->name, ((const ik_monitor_label *)b)->name);
}

static const char *const reserved_labels[] = {"target", "address", "family",  "type",     "code",
                                              "reason", "le",      "version", "quantile", NULL};

static int check_label(const char *name) {
  const char *c;
  size_t i;
  if (name == NULL || *name == '\0' || (*name >= '0' && *name <= '9'))
    return 0;
  for (c = name; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
          *c == '_'))
      return 0;
  for (i = 0; reserved_labels[i] != NULL; i++)
    if (strcmp(name, reserved_labels[i]) == 0)
      return 0;
  return !(name[0] == '_' && name[1] == '_');
}

static int check_target(const ik_monitor_target *in, size_t i) {
  size_t k;
  if (in->host == NULL || *in->host == '\0')
    return ik__fail(IK_EINVAL, "target %zu: no host", i);
  if (!(in->interval > 0 && in->interval <= 86400))
    return ik__fail(IK_EINVAL, "%.200s: interval %g out of range (0, 86400] s", in->host,
                    in->interval);
  if (!(in->timeout > 0 && in->timeout <= 3600))
    return ik__fail(IK_EINVAL, "%.200s: timeout %g out of range (0, 3600] s", in->host,
                    in->timeout);
  if (in->payload_size > IK_MAX_PAYLOAD_SIZE)
    return ik__fail(IK_EINVAL, "%.200s: payload size %zu over %d", in->host, in->payload_size,
                    IK_MAX_PAYLOAD_SIZE);
  if (in->traffic_class < 0 || in->traffic_class > 255)
    return ik__fail(IK_EINVAL, "%.200s: traffic class %d out of range 0..255", in->host,
                    in->traffic_class);
  if (in->mode < IK_MONITOR_MODE_AUTO || in->mode > IK_MONITOR_MODE_UNPRIVILEGED)
    return ik__fail(IK_EINVAL, "%.200s: no socket mode %d", in->host, in->mode);
  if (in->family != 0 && in->family != IK_AF_INET && in->family != IK_AF_INET6)
    return ik__fail(IK_EINVAL, "%.200s: no address family %d", in->host, in->family);
  if (in->nlabels > 0 && in->labels == NULL)
    return ik__fail(IK_EINVAL, "%.200s: labels is NULL", in->host);
  for (k = 0; k < in->nlabels; k++)
    if (!check_label(in->labels[k].name) || in->labels[k].value == NULL)
      return ik__fail(IK_EINVAL, "%.200s: bad label name '%.100s'", in->host,
                      in->labels[k].name != NULL ? in->labels[k].name : "(null)");
  return 0;
}

/* "host\0name=value\0..." with labels sorted: what a target is. */
static char *make_key(const mon_target *t) {
  size_t len = strlen(t->host) + 1, i;
  char *key, *p;
  for (i = 0; i < t->nlabels; i++)
    len += strlen(t->labels[i].name) + strlen(t->labels[i].value) + 2;
  if ((key = (char *)malloc(len + 1)) == NULL)
    return NULL;
  p = key;
  p += sprintf(p, "%s", t->host) + 1;
  for (i = 0; i < t->nlabels; i++)
    p += sprintf(p, "%s=%s", t->labels[i].name, t->labels[i].value) + 1;
  *p = '\0';
  return key;
}

static size_t key_len(const char *key) {
  const char *p = key;
  while (*p)
    p += strlen(p) + 1;
  return (size_t)(p - key);
}

static uint32_t key_hash(const char *key) {
  uint32_t h = 2166136261u;
  size_t i, n = key_len(key);
  for (i = 0; i < n; i++)
    h = (h ^ (uint8_t)key[i]) * 16777619u;
  return h;
}

static int key_equal(const char *a, const char *b) {
  size_t n = key_len(a);
  return n == key_len(b) && memcmp(a, b, n) == 0;
}

/* Literals and the special names now; a name to look up waits for its
 * first lookup (never blocking: start_lookup). */
static void resolve_local(mon_target *t) {
  size_t found = 0;
  int rc = ik__resolve_local(t->host, t->family, &t->addr, 1, &found);
  if (rc == IK__RESOLVE_DNS)
    t->dns = t->first = 1;
  if (rc != 0 || found == 0 || ik_address_format(&t->addr, t->address, sizeof t->address) != 0) {
    memset(&t->addr, 0, sizeof t->addr);
    t->address[0] = '\0';
  }
}

static int target_new(const ik_monitor_target *in, mon_target **out) {
  mon_target *t = (mon_target *)calloc(1, sizeof *t);
  size_t k;
  *out = t;
  if (t == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a target");
  t->interval = in->interval;
  t->timeout = in->timeout;
  t->size = in->payload_size;
  t->tclass = in->traffic_class;
  t->mode = in->mode;
  t->family = in->family;
  t->c.reply_ttl = -1;
  if ((t->host = dup_str(in->host)) == NULL ||
      (in->source != NULL && *in->source && (t->source = dup_str(in->source)) == NULL) ||
      (in->nlabels > 0 &&
       (t->labels = (ik_monitor_label *)calloc(in->nlabels, sizeof *t->labels)) == NULL))
    return ik__fail(IK_ENOMEM, "no memory for a target");
  for (k = 0; k < in->nlabels; k++) {
    t->nlabels++;
    if ((t->labels[k].name = dup_str(in->labels[k].name)) == NULL ||
        (t->labels[k].value = dup_str(in->labels[k].value)) == NULL)
      return ik__fail(IK_ENOMEM, "no memory for a target");
  }
  if (t->nlabels > 1) /* qsort's base must not be NULL, even for 0 */
    qsort(t->labels, t->nlabels, sizeof *t->labels, label_cmp);
  for (k = 1; k < t->nlabels; k++)
    if (strcmp(t->labels[k - 1].name, t->labels[k].name) == 0)
      return ik__fail(IK_EINVAL, "%.200s: label '%.100s' twice", t->host, t->labels[k].name);
  if ((t->key = make_key(t)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a target");
  resolve_local(t);
  return 0;
}

/* An open-addressing index of targets by key: where key is, or the free
 * slot where it would go. */
static size_t key_slot(mon_target **index, size_t size, const char *key) {
  size_t k;
  for (k = key_hash(key) & (size - 1); index[k] != NULL; k = (k + 1) & (size - 1))
    if (key_equal(index[k]->key, key))
      break;
  return k;
}

static mon_target **key_index(mon_target **t, size_t n, size_t *size) {
  mon_target **index;
  size_t i;
  for (*size = 2; *size < 2 * n;)
    *size *= 2;
  if ((index = (mon_target **)calloc(*size, sizeof *index)) == NULL)
    return NULL;
  for (i = 0; i < n; i++)
    index[key_slot(index, *size, t[i]->key)] = t[i];
  return index;
}

/* ---- sockets and groups ---- */

static int same_source(const char *a, const char *b) {
  return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The socket of (mode, source, family): the caller's, one already open,
 * or a new one. */
static int socket_for(ik_monitor *m, int mode, const char *source, int family, ik_socket **out) {
  mon_socket *s;
  size_t i;
  int err = 0, k;
  if (mode == IK_MONITOR_MODE_AUTO && source == NULL &&
      (*out = m->opts.sockets[family == IK_AF_INET6]) != NULL)
    return 0;
  for (i = 0; i < m->nsocks; i++)
    if (m->socks[i].mode == mode && m->socks[i].family == family &&
        same_source(m->socks[i].source, source)) {
      *out = m->socks[i].sock;
      return 0;
    }
  if ((s = (mon_socket *)realloc(m->socks, (m->nsocks + 1) * sizeof *s)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a socket");
  m->socks = s;
  s = &m->socks[m->nsocks];
  memset(s, 0, sizeof *s);
  s->mode = mode;
  s->family = family;
  if (source != NULL && (s->source = dup_str(source)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a socket");
  /* Auto: the least privilege that works (a datagram socket), else raw. */
  for (k = 0; k < 2; k++) {
    int privileged = mode == IK_MONITOR_MODE_PRIVILEGED || (mode == IK_MONITOR_MODE_AUTO && k == 1);
    if (k == 1 && mode != IK_MONITOR_MODE_AUTO)
      break;
    if ((err =
           ik_socket_open(&s->sock, family, source, privileged ? 0u : IK_SOCKET_UNPRIVILEGED)) == 0)
      break;
  }
  if (err != 0) {
    free(s->source);
    return err;
  }
  m->nsocks++;
  *out = s->sock;
  return 0;
}

static void group_release(mon_group *g) {
  ik_job_free(g->job);
  free(g->t);
  free(g->due);
  free(g->count);
  free(g->heap);
  ik__addr_index_free(&g->by_addr);
  free(g->ring);
  memset(g, 0, sizeof *g);
}

static void groups_free(mon_group *groups, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    group_release(&groups[i]);
  free(groups);
}

static void job_ended(int status, void *arg) {
  mon_group *g = (mon_group *)arg;
  /* Only a socket failure ends a monitor's job; its targets stop
   * counting until the next ik_monitor_set_targets. */
  g->status = status != 0 ? status : IK_EUNAVAILABLE;
}

/* Splits t into groups by (mode, source). */
static int make_groups(mon_target **t, size_t n, mon_group **out, size_t *nout) {
  mon_group *g = NULL;
  size_t ng = 0, i, j;
  *out = NULL;
  *nout = 0;
  for (i = 0; i < n; i++) {
    for (j = 0; j < ng; j++)
      if (g[j].mode == t[i]->mode && same_source(g[j].source, t[i]->source))
        break;
    if (j == ng) {
      mon_group *more = (mon_group *)realloc(g, (ng + 1) * sizeof *g);
      if (more == NULL)
        break;
      g = more;
      memset(&g[ng], 0, sizeof g[ng]);
      g[ng].mode = t[i]->mode;
      g[ng].source = t[i]->source;
      ng++;
    }
    g[j].n++;
  }
  *out = g;
  *nout = ng;
  if (i < n)
    return ik__fail(IK_ENOMEM, "no memory for target groups");
  for (j = 0; j < ng; j++) {
    size_t m = g[j].n;
    g[j].n = 0;
    g[j].t = (mon_target **)malloc(m * sizeof *g[j].t);
    g[j].due = (double *)malloc(m * sizeof *g[j].due);
    g[j].count = (uint32_t *)calloc(m, sizeof *g[j].count);
    g[j].heap = (uint32_t *)malloc(m * sizeof *g[j].heap);
    g[j].ring = (slot(*)[IK__MON_RING])calloc(m, sizeof *g[j].ring);
    if (g[j].t == NULL || g[j].due == NULL || g[j].count == NULL || g[j].heap == NULL ||
        g[j].ring == NULL)
      return ik__fail(IK_ENOMEM, "no memory for %zu targets", m);
  }
  for (i = 0; i < n; i++)
    for (j = 0; j < ng; j++)
      if (g[j].mode == t[i]->mode && same_source(g[j].source, t[i]->source)) {
        g[j].t[g[j].n++] = t[i];
        break;
      }
  return 0;
}

/* The sockets a group's targets need, found or opened into opts. */
static int group_sockets(ik_monitor *m, mon_group *g, ik_ping_options *opts) {
  size_t i;
  int err;
  for (i = 0; i < g->n; i++) {
    int fam = g->t[i]->addr.family;
    if (fam != 0 && opts->sockets[fam == IK_AF_INET6] == NULL &&
        (err = socket_for(m, g->mode, g->source, fam, &opts->sockets[fam == IK_AF_INET6])) != 0)
      return err;
  }
  return 0;
}

/* Phase offsets: target i of n first due at i/n of its interval. */
static int group_start(ik_monitor *m, mon_group *g, const ik_ping_options *opts) {
  double now = ik__now_mono();
  size_t i;
  g->m = m;
  for (i = 0; i < g->n; i++) {
    g->due[i] = now + g->t[i]->interval * (double)i / (double)g->n;
    g->heap[i] = (uint32_t)i; /* ascending due: already a heap */
  }
  return ik__job_start(m->base, &ik__monitor_ops, opts, NULL, g->n, g, job_ended, g,
                       IK__JOB_BLOCKING_NAMES, &g->job);
}

static void sockets_prune(ik_monitor *m) {
  size_t i, j, k = 0;
  for (i = 0; i < m->nsocks; i++) {
    int used = 0;
    for (j = 0; j < m->n && !used; j++)
      used = m->t[j]->mode == m->socks[i].mode &&
             same_source(m->t[j]->source, m->socks[i].source) &&
             m->t[j]->addr.family == m->socks[i].family;
    if (used) {
      m->socks[k++] = m->socks[i];
    } else {
      ik_socket_free(m->socks[i].sock);
      free(m->socks[i].source);
    }
  }
  m->nsocks = k;
}

/* ---- names looked up again (evdns, never blocking the loop) ---- */

/* A group's job again, on its targets' current addresses (a socket
 * opened for a new family): its probes in flight are dropped uncounted. */
static int group_restart(ik_monitor *m, mon_group *g) {
  ik_ping_options opts;
  size_t i;
  int err;
  ik_job_free(g->job);
  g->job = NULL;
  ik__addr_index_free(&g->by_addr);
  g->status = 0;
  for (i = 0; i < g->n; i++) {
    g->count[i] = 0;
    memset(g->ring[i], 0, sizeof g->ring[i]);
  }
  ik_ping_options_init(&opts);
  opts.privileged = g->mode != IK_MONITOR_MODE_UNPRIVILEGED;
  if ((err = group_sockets(m, g, &opts)) == 0)
    err = group_start(m, g, &opts);
  if (err != 0)
    g->status = err;
  return err;
}

/* The new addresses of the names that moved: each such target starts new
 * series (its counters from zero under the new address label), and its
 * group's job restarts, so that no probe to the old address is counted
 * under the new one. */
static void apply_moves(evutil_socket_t fd, short what, void *arg) {
  ik_monitor *m = (ik_monitor *)arg;
  size_t i, j;
  (void)fd;
  (void)what;
  for (i = 0; i < m->ngroups; i++) {
    mon_group *g = &m->groups[i];
    int moved = 0;
    for (j = 0; j < g->n; j++) {
      mon_target *t = g->t[j];
      if (!t->moved)
        continue;
      t->moved = 0;
      t->addr = t->next_addr;
      if (ik_address_format(&t->addr, t->address, sizeof t->address) != 0)
        t->address[0] = '\0';
      memset(&t->c, 0, sizeof t->c);
      t->c.reply_ttl = -1;
      moved = 1;
    }
    if (moved)
      group_restart(m, g);
  }
  sockets_prune(m);
}

/* A name whose answers rotate (round-robin DNS) does not move while its
 * address is still one of them. */
static void resolved(int status, const ik_address *addrs, size_t n, void *arg) {
  mon_target *t = (mon_target *)arg;
  const ik_address *cur = t->moved ? &t->next_addr : &t->addr;
  size_t i;
  t->lookup = NULL;
  t->first = 0;
  if (status != IK_OK || n == 0) {
    t->c.resolve_errors++; /* the last address stays */
    return;
  }
  for (i = 0; i < n; i++)
    if (ik__address_equal(&addrs[i], cur))
      return;
  t->next_addr = addrs[0];
  t->moved = 1;
  event_active(t->m->apply_ev, EV_TIMEOUT, 0);
}

static void start_lookup(mon_target *t) {
  if (!t->dns || t->lookup != NULL)
    return;
  if (ik__resolve_start(t->m->base, t->host, t->family, RESOLVE_MAX, resolved, t, &t->lookup) !=
      0) {
    t->lookup = NULL;
    t->first = 0;
    t->c.resolve_errors++;
  }
}

static void resolve_again(evutil_socket_t fd, short what, void *arg) {
  ik_monitor *m = (ik_monitor *)arg;
  size_t i;
  (void)fd;
  (void)what;
  for (i = 0; i < m->n; i++)
    start_lookup(m->t[i]);
}

/* ---- public calls ---- */

int ik_monitor_new(struct event_base *base, const ik_monitor_options *opts, ik_monitor **out) {
  ik_monitor *m;
  if (out == NULL || base == NULL)
    return ik__fail(IK_EINVAL, "%s is NULL", out == NULL ? "out" : "the event base");
  *out = NULL;
  if ((m = (ik_monitor *)calloc(1, sizeof *m)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a monitor");
  m->base = base;
  if (opts != NULL)
    m->opts = *opts;
  m->resolve_interval = m->opts.resolve_interval != 0 ? m->opts.resolve_interval : RESOLVE_INTERVAL;
  if (!(m->resolve_interval > 0 && m->resolve_interval <= 86400)) {
    free(m);
    return ik__fail(IK_EINVAL, "resolve interval %g out of range (0, 86400] s",
                    opts->resolve_interval);
  }
  if ((m->resolve_ev = event_new(base, -1, EV_PERSIST, resolve_again, m)) == NULL ||
      (m->apply_ev = event_new(base, -1, 0, apply_moves, m)) == NULL) {
    if (m->resolve_ev != NULL)
      event_free(m->resolve_ev);
    free(m);
    return ik__fail(IK_ENOMEM, "no memory for a monitor");
  }
  *out = m;
  return 0;
}

static void targets_free(mon_target **t, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    target_free(t[i]);
  free(t);
}

static int build_targets(const ik_monitor_target *in, size_t n, mon_target ***out) {
  mon_target **t = (mon_target **)calloc(n > 0 ? n : 1, sizeof *t), **index;
  size_t i, size;
  int err = 0;
  *out = t;
  if (t == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %zu targets", n);
  for (i = 0; i < n && err == 0; i++)
    if ((err = check_target(&in[i], i)) == 0)
      err = target_new(&in[i], &t[i]);
  if (err != 0)
    return err;
  for (size = 2; size < 2 * n;)
    size *= 2;
  if ((index = (mon_target **)calloc(size, sizeof *index)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %zu targets", n);
  for (i = 0; i < n && err == 0; i++) {
    size_t k = key_slot(index, size, t[i]->key);
    if (index[k] != NULL)
      err = ik__fail(IK_EINVAL, "%.200s: the same target (host and labels) twice", t[i]->host);
    index[k] = t[i];
  }
  free(index);
  return err;
}

int ik_monitor_set_targets(ik_monitor *m, const ik_monitor_target *targets, size_t n) {
  mon_target **t = NULL, **old_index;
  mon_group *groups = NULL;
  ik_ping_options *opts = NULL;
  size_t ngroups = 0, i, size;
  int err;

  if (m == NULL || (targets == NULL && n > 0))
    return ik__fail(IK_EINVAL, "%s is NULL", m == NULL ? "the monitor" : "targets");
  if ((err = build_targets(targets, n, &t)) != 0 || (err = make_groups(t, n, &groups, &ngroups)))
    goto fail;
  if (ngroups > 0 && (opts = (ik_ping_options *)calloc(ngroups, sizeof *opts)) == NULL) {
    err = ik__fail(IK_ENOMEM, "no memory for target groups");
    goto fail;
  }
  for (i = 0; i < ngroups; i++) {
    ik_ping_options_init(&opts[i]);
    opts[i].privileged = groups[i].mode != IK_MONITOR_MODE_UNPRIVILEGED;
    if ((err = group_sockets(m, &groups[i], &opts[i])) != 0)
      goto fail;
  }
  /* Committed: the old jobs stop (their probes in flight uncounted), the
   * staying targets take their counters along. */
  groups_free(m->groups, m->ngroups);
  m->groups = NULL;
  m->ngroups = 0;
  if ((old_index = key_index(m->t, m->n, &size)) != NULL) {
    for (i = 0; i < n; i++) {
      mon_target *o = old_index[key_slot(old_index, size, t[i]->key)];
      if (o == NULL)
        continue;
      t[i]->c = o->c;
      /* A name keeps its address until its lookup tells another. */
      if (t[i]->dns && o->dns && !o->first && t[i]->family == o->family) {
        t[i]->addr = o->moved ? o->next_addr : o->addr;
        t[i]->first = 0;
        if (o->moved) {
          memset(&t[i]->c, 0, sizeof t[i]->c);
          t[i]->c.reply_ttl = -1;
        }
        if (ik_address_format(&t[i]->addr, t[i]->address, sizeof t[i]->address) != 0)
          t[i]->address[0] = '\0';
      }
    }
    free(old_index);
  }
  targets_free(m->t, m->n);
  m->t = t;
  m->n = n;
  m->groups = groups;
  m->ngroups = ngroups;
  event_del(m->apply_ev);
  event_del(m->resolve_ev);
  for (i = 0; i < n; i++) {
    t[i]->m = m;
    start_lookup(t[i]);
    if (t[i]->dns && !event_pending(m->resolve_ev, EV_TIMEOUT, NULL)) {
      struct timeval tv;
      tv.tv_sec = (long)m->resolve_interval;
      tv.tv_usec = (long)((m->resolve_interval - (double)tv.tv_sec) * 1e6);
      event_add(m->resolve_ev, &tv);
    }
  }
  err = 0;
  for (i = 0; i < ngroups; i++) {
    int e = group_start(m, &groups[i], &opts[i]);
    if (e != 0 && err == 0)
      err = e;
    if (e != 0)
      groups[i].status = e;
  }
  free(opts);
  sockets_prune(m);
  return err;
fail:
  free(opts);
  groups_free(groups, ngroups);
  targets_free(t, n);
  return err;
}

void ik_monitor_free(ik_monitor *m) {
  size_t i;
  if (m == NULL)
    return;
  event_free(m->resolve_ev);
  event_free(m->apply_ev);
  groups_free(m->groups, m->ngroups);
  targets_free(m->t, m->n);
  for (i = 0; i < m->nsocks; i++) {
    ik_socket_free(m->socks[i].sock);
    free(m->socks[i].source);
  }
  free(m->socks);
  free(m);
}

size_t ik_monitor_size(const ik_monitor *m) { return m != NULL ? m->n : 0; }

int ik_monitor_stats_get(const ik_monitor *m, size_t i, ik_monitor_stats *out) {
  const mon_target *t;
  if (m == NULL || out == NULL || i >= m->n)
    return ik__fail(IK_EINVAL, "%s", m == NULL || out == NULL ? "NULL argument" : "no such target");
  t = m->t[i];
  *out = t->c;
  out->host = t->host;
  out->address = t->address;
  out->family = t->addr.family;
  out->labels = t->labels;
  out->nlabels = t->nlabels;
  return 0;
}

static uint64_t socket_drops(ik_socket *s) {
  ik__endpoint *ep = s != NULL ? ik__socket_endpoint(s) : NULL;
  return ep != NULL ? ik__ep_local_drops(ep) : 0;
}

uint64_t ik_monitor_local_drops(const ik_monitor *m, int family) {
  uint64_t n = 0;
  size_t i;
  if (m == NULL)
    return 0;
  n = socket_drops(m->opts.sockets[family == IK_AF_INET6]);
  for (i = 0; i < m->nsocks; i++)
    if (m->socks[i].family == family)
      n += socket_drops(m->socks[i].sock);
  return n;
}
