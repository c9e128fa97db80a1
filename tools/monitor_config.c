/* The monitor's YAML configuration (monitor_config.h), read with libyaml's
 * event parser: the file's shape is fixed and shallow, so a small
 * recursive descent over events checks it as it goes, with the mark of the
 * event at fault in every message. Events (not libyaml's document loader)
 * because only they show aliases, which are refused: a few lines of
 * aliases can stand for billions of nodes. */
#include "monitor_config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "args.h" /* IKCLI_MAX_SECONDS: the command line's -i and -W ceiling */
#include "icmpkit.h"
#include "targets.h"

/* Sizes past which a file or a value is refused rather than read. */
#define MAX_FILE_BYTES ((size_t)16 << 20)
#define MAX_LABELS 32
#define MAX_LABEL_NAME 128
#define MAX_LABEL_VALUE 1024
#define MAX_LISTEN 256

/* Keys of a target group, as bits of what a group (or defaults) set. */
enum {
  K_HOSTS = 1u << 0,
  K_INTERVAL = 1u << 1,
  K_TIMEOUT = 1u << 2,
  K_SIZE = 1u << 3,
  K_TCLASS = 1u << 4,
  K_SOURCE = 1u << 5,
  K_MODE = 1u << 6,
  K_LABELS = 1u << 7
};
static const char *const group_keys[] = {"hosts",         "interval", "timeout", "size",
                                         "traffic_class", "source",   "mode",    "labels"};
#define GROUP_KEY_LIST "hosts, interval, timeout, size, traffic_class, source, mode, labels"

enum { T_LISTEN = 1u << 0, T_DEFAULTS = 1u << 1, T_TARGETS = 1u << 2 };
static const char *const top_keys[] = {"listen", "defaults", "targets"};

typedef struct reader {
  yaml_parser_t parser;
  yaml_event_t ev; /* the current event; type YAML_NO_EVENT when none */
  const char *path;
  char *msg;
  size_t msglen;
} reader;

static int vfail(reader *r, const yaml_mark_t *at, const char *fmt, va_list ap) {
  int n = snprintf(r->msg, r->msglen, "%s:%lu:%lu: ", r->path, (unsigned long)at->line + 1,
                   (unsigned long)at->column + 1);
  if (n >= 0 && (size_t)n < r->msglen)
    vsnprintf(r->msg + n, r->msglen - (size_t)n, fmt, ap);
  return -1;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail_at(reader *r, const yaml_mark_t *at, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(r, at, fmt, ap);
  va_end(ap);
  return -1;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int
fail(reader *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(r, &r->ev.start_mark, fmt, ap);
  va_end(ap);
  return -1;
}

/* libyaml's own error: a reader error (bad UTF-8, a control character)
 * has only a byte offset, the others a mark. */
static int yaml_fail(reader *r, const unsigned char *text, size_t len) {
  yaml_parser_t *p = &r->parser;
  char sh[256];
  if (p->error == YAML_MEMORY_ERROR)
    return fail_at(r, &p->mark, "out of memory");
  if (p->error == YAML_READER_ERROR) {
    yaml_mark_t m = {0, 0, 0};
    size_t i;
    for (i = 0; i < p->problem_offset && i < len; i++) {
      if (text[i] == '\n') {
        m.line++;
        m.column = 0;
      } else if ((text[i] & 0xc0) != 0x80) {
        m.column++;
      }
    }
    return fail_at(r, &m, "%s (the file must be UTF-8 text)",
                   ik_escape(p->problem ? p->problem : "unreadable", sh, sizeof sh));
  }
  if (p->context != NULL)
    return fail_at(r, &p->problem_mark, "%s %s", ik_escape(p->problem, sh, sizeof sh), p->context);
  return fail_at(r, &p->problem_mark, "%s",
                 ik_escape(p->problem ? p->problem : "?", sh, sizeof sh));
}

/* Moves to the next event. Aliases end the reading here, wherever they are. */
static int next(reader *r, const unsigned char *text, size_t len) {
  yaml_event_delete(&r->ev);
  if (!yaml_parser_parse(&r->parser, &r->ev)) {
    memset(&r->ev, 0, sizeof r->ev);
    return yaml_fail(r, text, len);
  }
  if (r->ev.type == YAML_ALIAS_EVENT)
    return fail(r, "aliases (*name) are not supported in this file");
  return 0;
}
#define NEXT(r) next((r), text, len)

/* The current event's scalar, NUL-terminated by libyaml; refused when it is
 * not a scalar or holds a NUL of its own (a "\0" escape). */
static int scalar(reader *r, const char *what, const char **out) {
  if (r->ev.type != YAML_SCALAR_EVENT)
    return fail(r, "%s must be a single value, not a %s", what,
                r->ev.type == YAML_MAPPING_START_EVENT    ? "mapping"
                : r->ev.type == YAML_SEQUENCE_START_EVENT ? "list"
                                                          : "YAML structure");
  if (strlen((const char *)r->ev.data.scalar.value) != r->ev.data.scalar.length)
    return fail(r, "%s contains a NUL character", what);
  *out = (const char *)r->ev.data.scalar.value;
  return 0;
}

/* The next key of a mapping (the reader is on the key's event): its index
 * in keys, each allowed once (*set has a bit per key seen); -2 at the end
 * of the mapping, -1 after failing. where follows "unknown key" (" in
 * defaults"), expected lists the keys. */
static int next_key(reader *r, const unsigned char *text, size_t len, const char *const *keys,
                    int n, const char *where, const char *expected, unsigned *set) {
  const char *k;
  char sh[128];
  int i;
  if (NEXT(r) != 0)
    return -1;
  if (r->ev.type == YAML_MAPPING_END_EVENT)
    return -2;
  if (scalar(r, "a key", &k) != 0)
    return -1;
  for (i = 0; i < n && strcmp(k, keys[i]) != 0; i++) {
  }
  if (i == n)
    return fail(r, "unknown key '%s'%s (expected %s)", ik_escape(k, sh, sizeof sh), where,
                expected);
  if (*set & (1u << i))
    return fail(r, "duplicate key '%s'", k);
  *set |= 1u << i;
  return i;
}

static char *dup_text(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = (char *)malloc(n);
  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

/* ---- values ---- */

/* A finite decimal number without sign, exponent or hex, then an optional
 * unit: ms, s, m; none means seconds. */
static int parse_duration(const char *s, double *out) {
  char *end;
  double v, scale = 1.0;
  if (!((*s >= '0' && *s <= '9') || (*s == '.' && s[1] >= '0' && s[1] <= '9')))
    return -1;
  errno = 0;
  v = strtod(s, &end);
  if (end == s || !isfinite(v) || errno == ERANGE)
    return -1;
  /* strtod also reads exponents and hexadecimal: only digits and one dot here. */
  if (strspn(s, "0123456789.") != (size_t)(end - s))
    return -1;
  if (strcmp(end, "ms") == 0)
    scale = 1e-3;
  else if (strcmp(end, "m") == 0)
    scale = 60.0;
  else if (strcmp(end, "s") != 0 && *end != '\0')
    return -1;
  *out = v * scale;
  return 0;
}

/* Decimal integer from 0 to hi, digits only. */
static int parse_uint(const char *s, unsigned long hi, unsigned long *out) {
  char *end;
  unsigned long v;
  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  v = strtoul(s, &end, 10);
  if (errno != 0 || *end != '\0' || v > hi)
    return -1;
  *out = v;
  return 0;
}

/* 0..255 in decimal or 0x hex, as the CLI's -Q. */
static int parse_tclass(const char *s, int *out) {
  unsigned long u;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    const char *h = s + 2;
    if (*h == '\0' || strlen(h) > 2 || strspn(h, "0123456789abcdefABCDEF") != strlen(h))
      return -1;
    u = strtoul(h, NULL, 16);
  } else if (parse_uint(s, 255, &u) != 0) {
    return -1;
  }
  *out = (int)u;
  return 0;
}

/* The CLI's -I rule (tools/args.c): an address, or what ik_socket_open
 * takes as an interface name. */
static int valid_source(const char *v) {
  return ik_is_ipv4_address(v) || ik_is_ipv6_address(v) || ik_is_interface_name(v);
}

static int valid_label_name(const char *s) {
  size_t i;
  if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
    return 0;
  for (i = 1; s[i] != '\0'; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
          (s[i] >= '0' && s[i] <= '9')))
      return 0;
  return 1;
}

/* ---- target groups ---- */

static void free_labels(ikcli_mon_label *labels, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    free(labels[i].name);
    free(labels[i].value);
  }
  free(labels);
}

static void free_group(ikcli_mon_group *g) {
  size_t i;
  for (i = 0; i < g->nhosts; i++)
    free(g->hosts[i]);
  free(g->hosts);
  free(g->source);
  free_labels(g->labels, g->nlabels);
  memset(g, 0, sizeof *g);
}

/* Checks host as the monitor will read it: an address, a name, or a CIDR
 * range; msg gets the reason. */
static int check_host(const char *host, char *why, size_t whylen) {
  ikcli_targets t;
  int rc;
  memset(&t, 0, sizeof t);
  rc = strchr(host, '/') != NULL ? ikcli_targets_add_cidr(&t, host, why, whylen)
                                 : ikcli_targets_add(&t, host, why, whylen);
  ikcli_targets_free(&t);
  return rc;
}

static int read_hosts(reader *r, const unsigned char *text, size_t len, ikcli_mon_group *g,
                      size_t *total) {
  size_t cap = 0;
  yaml_mark_t start = r->ev.start_mark;
  if (r->ev.type != YAML_SEQUENCE_START_EVENT)
    return fail(r, "hosts must be a list, e.g. [198.18.0.2, db.example]");
  for (;;) {
    const char *v;
    char why[256], sh[128];
    if (NEXT(r) != 0)
      return -1;
    if (r->ev.type == YAML_SEQUENCE_END_EVENT)
      break;
    if (scalar(r, "a host", &v) != 0)
      return -1;
    if (check_host(v, why, sizeof why) != 0)
      return fail(r, "host '%s': %s", ik_escape(v, sh, sizeof sh), why);
    if (++*total > IKCLI_MAX_TARGETS)
      return fail(r, "more than %lu hosts in the file", (unsigned long)IKCLI_MAX_TARGETS);
    if (g->nhosts == cap) {
      size_t ncap = cap ? 2 * cap : 8;
      char **grown = (char **)realloc(g->hosts, ncap * sizeof *grown);
      if (grown == NULL)
        return fail(r, "out of memory");
      g->hosts = grown;
      cap = ncap;
    }
    if ((g->hosts[g->nhosts] = dup_text(v)) == NULL)
      return fail(r, "out of memory");
    g->nhosts++;
  }
  if (g->nhosts == 0)
    return fail_at(r, &start, "hosts is empty: a target group needs at least one host");
  return 0;
}

static int read_labels(reader *r, const unsigned char *text, size_t len, ikcli_mon_group *g) {
  if (r->ev.type != YAML_MAPPING_START_EVENT)
    return fail(r, "labels must be a mapping, e.g. {site: lab, role: db}");
  for (;;) {
    const char *name, *value;
    char sh[160];
    size_t i;
    ikcli_mon_label *l;
    if (NEXT(r) != 0)
      return -1;
    if (r->ev.type == YAML_MAPPING_END_EVENT)
      return 0;
    if (scalar(r, "a label name", &name) != 0)
      return -1;
    if (strlen(name) > MAX_LABEL_NAME || !valid_label_name(name))
      return fail(r, "label name '%s' is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)",
                  ik_escape(name, sh, sizeof sh));
    if (strcmp(name, "target") == 0 || strcmp(name, "address") == 0 || strcmp(name, "family") == 0)
      return fail(r, "label name '%s' is the monitor's own (target, address, family)", name);
    if (name[0] == '_' && name[1] == '_')
      return fail(r, "label name '%s': names starting with __ are reserved by Prometheus", name);
    for (i = 0; i < g->nlabels; i++)
      if (strcmp(g->labels[i].name, name) == 0)
        return fail(r, "duplicate label '%s'", name);
    if (g->nlabels == MAX_LABELS)
      return fail(r, "more than %d labels", MAX_LABELS);
    l = (ikcli_mon_label *)realloc(g->labels, (g->nlabels + 1) * sizeof *l);
    if (l == NULL)
      return fail(r, "out of memory");
    g->labels = l;
    l += g->nlabels;
    memset(l, 0, sizeof *l);
    g->nlabels++;
    if ((l->name = dup_text(name)) == NULL)
      return fail(r, "out of memory");
    if (NEXT(r) != 0 || scalar(r, "a label value", &value) != 0)
      return -1;
    /* (name went with its event: l->name is the copy.) */
    if (strlen(value) > MAX_LABEL_VALUE)
      return fail(r, "label '%s': value longer than %d bytes", l->name, MAX_LABEL_VALUE);
    if ((l->value = dup_text(value)) == NULL)
      return fail(r, "out of memory");
  }
}

/* One key's value of a group (the current event is the value); key is
 * the index in group_keys. */
static int read_group_value(reader *r, const unsigned char *text, size_t len, int index,
                            ikcli_mon_group *g, size_t *total) {
  unsigned key = 1u << index;
  const char *v;
  char sh[128];
  unsigned long u;
  double d;
  switch (key) {
  case K_HOSTS:
    return read_hosts(r, text, len, g, total);
  case K_LABELS:
    return read_labels(r, text, len, g);
  default:
    break;
  }
  if (scalar(r, group_keys[index], &v) != 0)
    return -1;
  switch (key) {
  case K_INTERVAL:
  case K_TIMEOUT:
    if (parse_duration(v, &d) != 0 || !(d > 0.0) || d > IKCLI_MAX_SECONDS)
      return fail(r,
                  "%s must be a duration above 0 and at most %.0f s: seconds, or with a unit "
                  "(500ms, 2s, 1m), not '%s'",
                  key == K_INTERVAL ? "interval" : "timeout", IKCLI_MAX_SECONDS,
                  ik_escape(v, sh, sizeof sh));
    if (key == K_INTERVAL)
      g->interval = d;
    else
      g->timeout = d;
    return 0;
  case K_SIZE:
    if (parse_uint(v, IK_MAX_PAYLOAD_SIZE, &u) != 0)
      return fail(r, "size must be an integer from 0 to %d, not '%s'", IK_MAX_PAYLOAD_SIZE,
                  ik_escape(v, sh, sizeof sh));
    g->size = (size_t)u;
    return 0;
  case K_TCLASS:
    if (parse_tclass(v, &g->traffic_class) != 0)
      return fail(r, "traffic_class must be an integer from 0 to 255 (decimal or 0x hex), not '%s'",
                  ik_escape(v, sh, sizeof sh));
    return 0;
  case K_SOURCE:
    if (!valid_source(v))
      return fail(r, "source must be an interface name or an IPv4 or IPv6 address, not '%s'",
                  ik_escape(v, sh, sizeof sh));
    if ((g->source = dup_text(v)) == NULL)
      return fail(r, "out of memory");
    return 0;
  default: /* K_MODE */
    if (strcmp(v, "auto") == 0)
      g->mode = IKCLI_MON_MODE_AUTO;
    else if (strcmp(v, "privileged") == 0)
      g->mode = IKCLI_MON_MODE_PRIVILEGED;
    else if (strcmp(v, "unprivileged") == 0)
      g->mode = IKCLI_MON_MODE_UNPRIVILEGED;
    else
      return fail(r, "mode must be auto, privileged or unprivileged, not '%s'",
                  ik_escape(v, sh, sizeof sh));
    return 0;
  }
}

/* A group mapping (the current event is its start) into g; *set gets the
 * keys it had. defaults may not list hosts. */
static int read_group(reader *r, const unsigned char *text, size_t len, int defaults,
                      ikcli_mon_group *g, unsigned *set, size_t *total) {
  yaml_mark_t start = r->ev.start_mark;
  const char *what = defaults ? "defaults" : "a target group";
  g->line = (int)start.line + 1;
  *set = 0;
  if (r->ev.type != YAML_MAPPING_START_EVENT)
    return fail(r, "%s must be a mapping of %s", what, GROUP_KEY_LIST);
  for (;;) {
    int i = next_key(r, text, len, group_keys, (int)(sizeof group_keys / sizeof group_keys[0]),
                     defaults ? " in defaults" : " in a target group", GROUP_KEY_LIST, set);
    if (i == -2)
      break;
    if (i < 0)
      return -1;
    if (defaults && (1u << i) == K_HOSTS)
      return fail(r, "hosts belongs in a target group, not in defaults");
    if (NEXT(r) != 0 || read_group_value(r, text, len, i, g, total) != 0)
      return -1;
  }
  if (!defaults && !(*set & K_HOSTS))
    return fail_at(r, &start, "a target group needs hosts");
  return 0;
}

/* What defaults set, into each group that did not set it; labels merge,
 * a group's own value winning. */
static int apply_defaults(const ikcli_mon_group *d, unsigned dset, ikcli_mon_group *g,
                          unsigned gset) {
  size_t i, j;
  if (!(gset & K_INTERVAL))
    g->interval = (dset & K_INTERVAL) ? d->interval : 1.0;
  if (!(gset & K_TIMEOUT))
    g->timeout = (dset & K_TIMEOUT) ? d->timeout : 1.0;
  if (!(gset & K_SIZE))
    g->size = (dset & K_SIZE) ? d->size : 56;
  if (!(gset & K_TCLASS))
    g->traffic_class = (dset & K_TCLASS) ? d->traffic_class : 0;
  if (!(gset & K_MODE))
    g->mode = (dset & K_MODE) ? d->mode : IKCLI_MON_MODE_AUTO;
  if (!(gset & K_SOURCE) && d->source != NULL && (g->source = dup_text(d->source)) == NULL)
    return -1;
  for (i = 0; i < d->nlabels; i++) {
    ikcli_mon_label *l;
    for (j = 0; j < g->nlabels && strcmp(g->labels[j].name, d->labels[i].name) != 0; j++) {
    }
    if (j < g->nlabels)
      continue;
    if ((l = (ikcli_mon_label *)realloc(g->labels, (g->nlabels + 1) * sizeof *l)) == NULL)
      return -1;
    g->labels = l;
    l += g->nlabels;
    l->name = dup_text(d->labels[i].name);
    l->value = dup_text(d->labels[i].value);
    g->nlabels++;
    if (l->name == NULL || l->value == NULL)
      return -1;
  }
  return 0;
}

/* ---- the file ---- */

typedef struct state {
  ikcli_mon_group defaults;
  unsigned dset;
  unsigned *gset; /* what each group of cfg set */
  size_t total;   /* hosts in all groups */
} state;

static int read_targets(reader *r, const unsigned char *text, size_t len, ikcli_mon_config *cfg,
                        state *s) {
  size_t cap = 0;
  if (r->ev.type != YAML_SEQUENCE_START_EVENT)
    return fail(r, "targets must be a list of target groups (- hosts: [...])");
  for (;;) {
    if (NEXT(r) != 0)
      return -1;
    if (r->ev.type == YAML_SEQUENCE_END_EVENT)
      return 0;
    if (cfg->ngroups == cap) {
      size_t ncap = cap ? 2 * cap : 4;
      ikcli_mon_group *grown = (ikcli_mon_group *)realloc(cfg->groups, ncap * sizeof *grown);
      unsigned *sets;
      if (grown == NULL)
        return fail(r, "out of memory");
      cfg->groups = grown;
      if ((sets = (unsigned *)realloc(s->gset, ncap * sizeof *sets)) == NULL)
        return fail(r, "out of memory");
      s->gset = sets;
      cap = ncap;
    }
    memset(&cfg->groups[cfg->ngroups], 0, sizeof cfg->groups[0]);
    cfg->ngroups++;
    if (read_group(r, text, len, 0, &cfg->groups[cfg->ngroups - 1], &s->gset[cfg->ngroups - 1],
                   &s->total) != 0)
      return -1;
  }
}

static int read_top(reader *r, const unsigned char *text, size_t len, ikcli_mon_config *cfg,
                    state *s) {
  unsigned set = 0;
  yaml_mark_t top;
  size_t i;
  if (NEXT(r) != 0 || NEXT(r) != 0) /* stream start, then the document */
    return -1;
  if (r->ev.type == YAML_STREAM_END_EVENT)
    return fail(r, "the file is empty: expected a mapping with a targets list");
  if (NEXT(r) != 0)
    return -1;
  top = r->ev.start_mark;
  if (r->ev.type != YAML_MAPPING_START_EVENT)
    return fail(r, "expected a mapping with a targets list at the top of the file");
  for (;;) {
    int idx = next_key(r, text, len, top_keys, (int)(sizeof top_keys / sizeof top_keys[0]), "",
                       "listen, defaults, targets", &set);
    if (idx == -2)
      break;
    if (idx < 0 || NEXT(r) != 0)
      return -1;
    if (idx == 0) {
      const char *v;
      char sh[128];
      if (scalar(r, "listen", &v) != 0)
        return -1;
      if (*v == '\0' || strlen(v) > MAX_LISTEN)
        return fail(r, "listen must be ADDRESS:PORT, not '%s'", ik_escape(v, sh, sizeof sh));
      if ((cfg->listen = dup_text(v)) == NULL)
        return fail(r, "out of memory");
    } else if (idx == 1) {
      if (read_group(r, text, len, 1, &s->defaults, &s->dset, &s->total) != 0)
        return -1;
    } else if (read_targets(r, text, len, cfg, s) != 0) {
      return -1;
    }
  }
  if (cfg->ngroups == 0)
    return fail_at(r, &top, "no targets: the file needs a targets list with at least one group");
  if (NEXT(r) != 0 || NEXT(r) != 0) /* document end, then stream end */
    return -1;
  if (r->ev.type != YAML_STREAM_END_EVENT)
    return fail(r, "only one YAML document is read: remove this one");
  for (i = 0; i < cfg->ngroups; i++)
    if (apply_defaults(&s->defaults, s->dset, &cfg->groups[i], s->gset[i]) != 0)
      return fail_at(r, &top, "out of memory");
  return 0;
}

/* The whole file into memory (libyaml reads a string; the size is capped). */
static int slurp(const char *path, unsigned char **out, size_t *outlen, char *msg, size_t msglen) {
  FILE *f = fopen(path, "rb");
  unsigned char *buf = NULL;
  size_t len = 0, cap = 0, n;
  char sh[256];
  if (f == NULL) {
    snprintf(msg, msglen, "%s: %s", ik_escape(path, sh, sizeof sh), strerror(errno));
    return -1;
  }
  do {
    if (len == cap) {
      unsigned char *grown;
      if (cap >= MAX_FILE_BYTES) {
        snprintf(msg, msglen, "%s: larger than %lu MiB", ik_escape(path, sh, sizeof sh),
                 (unsigned long)(MAX_FILE_BYTES >> 20));
        goto fail;
      }
      cap = cap ? 2 * cap : 4096;
      if ((grown = (unsigned char *)realloc(buf, cap + 1)) == NULL) {
        snprintf(msg, msglen, "%s: out of memory", ik_escape(path, sh, sizeof sh));
        goto fail;
      }
      buf = grown;
    }
    n = fread(buf + len, 1, cap - len, f);
    len += n;
  } while (n > 0);
  if (ferror(f)) {
    snprintf(msg, msglen, "%s: %s", ik_escape(path, sh, sizeof sh), strerror(errno));
    goto fail;
  }
  fclose(f);
  *out = buf;
  *outlen = len;
  return 0;
fail:
  free(buf);
  fclose(f);
  return -1;
}

int ikcli_mon_config_load(const char *path, ikcli_mon_config *cfg, char *msg, size_t msglen) {
  reader r;
  state s;
  unsigned char *text = NULL;
  size_t len = 0;
  char shown[256];
  int rc;
  memset(cfg, 0, sizeof *cfg);
  if (msglen > 0)
    msg[0] = '\0';
  if (slurp(path, &text, &len, msg, msglen) != 0)
    return -1;
  memset(&r, 0, sizeof r);
  memset(&s, 0, sizeof s);
  r.path = ik_escape(path, shown, sizeof shown);
  r.msg = msg;
  r.msglen = msglen;
  if (!yaml_parser_initialize(&r.parser)) {
    snprintf(msg, msglen, "%s: out of memory", shown);
    free(text);
    return -1;
  }
  yaml_parser_set_input_string(&r.parser, text, len);
  rc = read_top(&r, text, len, cfg, &s);
  yaml_event_delete(&r.ev);
  yaml_parser_delete(&r.parser);
  free(text);
  free_group(&s.defaults);
  free(s.gset);
  if (rc != 0)
    ikcli_mon_config_free(cfg);
  return rc;
}

void ikcli_mon_config_free(ikcli_mon_config *cfg) {
  size_t i;
  for (i = 0; i < cfg->ngroups; i++)
    free_group(&cfg->groups[i]);
  free(cfg->groups);
  free(cfg->listen);
  memset(cfg, 0, sizeof *cfg);
}
