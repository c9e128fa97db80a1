/* Option defaults of the three calls and the one table of option ranges,
 * used by the engine for a job's options and by socket.c for requests. */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "probe/options.h"

enum { INT, LONG, SIZE, SECONDS, RATE, FAMILY };

typedef struct range {
  unsigned opt;
  const char *name;
  int type;
  size_t offset;    /* in ik_ping_options */
  long long lo, hi; /* integer types */
  long lo_from;     /* >= 0: lo is the int at this offset (max hops >= first hop) */
  const char *hint;
} range;

#define AT(field) offsetof(ik_ping_options, field)

static const range ranges[] = {
  {IK__OPT_COUNT, "count", INT, AT(count), 1, 65536, -1, ""},
  {IK__OPT_INTERVAL, "interval", SECONDS, AT(interval), 0, 0, -1, ""},
  {IK__OPT_TIMEOUT, "timeout", SECONDS, AT(timeout), 0, 0, -1, ""},
  {IK__OPT_ID, "id", LONG, AT(id), -1, 0xffff, -1, " (-1: automatic)"},
  {IK__OPT_FAMILY, "family", FAMILY, AT(family), 0, 0, -1, ""},
  {IK__OPT_PAYLOAD_SIZE, "payload size", SIZE, AT(payload_size), 0, IK_MAX_PAYLOAD_SIZE, -1, ""},
  {IK__OPT_TTL, "ttl", INT, AT(ttl), 1, 255, -1, ""},
  {IK__OPT_TRAFFIC_CLASS, "traffic class", INT, AT(traffic_class), 0, 255, -1, ""},
  {IK__OPT_RATE, "rate", RATE, AT(rate), 0, 0, -1, ""},
  {IK__OPT_FIRST_HOP, "first hop", INT, AT(first_hop), 1, 255, -1, ""},
  {IK__OPT_MAX_HOPS, "max hops", INT, AT(max_hops), 1, 255, (long)AT(first_hop), ""},
  {IK__OPT_LONG_COUNT, "count", INT, AT(count), 1, INT_MAX, -1, ""},
  {IK__OPT_SIM_QUERIES, "sim queries", INT, AT(sim_queries), 0, 65536, -1, " (0: 16)"},
  {IK__OPT_THREADS, "threads", INT, AT(threads), 0, 1024, -1, " (0: one per core)"},
};

#define NRANGES (sizeof ranges / sizeof ranges[0])

static const range *row(unsigned opt) {
  size_t i;
  for (i = 0; i < NRANGES; i++)
    if (ranges[i].opt == opt)
      return &ranges[i];
  return NULL;
}

static int check_integer(const range *r, long long value, long long lo) {
  if (value < lo || value > r->hi)
    return ik__fail(IK_EINVAL, "%s %lld out of range %lld..%lld%s", r->name, value, lo, r->hi,
                    r->hint);
  return 0;
}

int ik__option_check(unsigned opt, long long value) {
  const range *r = row(opt);
  return r == NULL ? ik__fail(IK_EINVAL, "no such option") : check_integer(r, value, r->lo);
}

int ik__option_check_size(unsigned opt, size_t value) {
  const range *r = row(opt);
  if (r == NULL)
    return ik__fail(IK_EINVAL, "no such option");
  if (value > (unsigned long long)r->hi)
    return ik__fail(IK_EINVAL, "%s %zu exceeds %lld", r->name, value, r->hi);
  return 0;
}

static int check_row(const range *r, const ik_ping_options *o) {
  const char *at = (const char *)o + r->offset;
  int i;
  long l;
  double d;
  size_t z;
  switch (r->type) {
  case INT:
    memcpy(&i, at, sizeof i);
    if (r->lo_from >= 0) {
      int lo;
      memcpy(&lo, (const char *)o + r->lo_from, sizeof lo);
      return check_integer(r, i, lo > r->lo ? lo : r->lo);
    }
    return check_integer(r, i, r->lo);
  case LONG:
    memcpy(&l, at, sizeof l);
    return check_integer(r, l, r->lo);
  case SIZE:
    memcpy(&z, at, sizeof z);
    return ik__option_check_size(r->opt, z);
  case FAMILY:
    memcpy(&i, at, sizeof i);
    if (i != 0 && i != IK_AF_INET && i != IK_AF_INET6)
      return ik__fail(IK_EINVAL, "family %d: use 0, 4 or 6", i);
    return 0;
  default: /* SECONDS, RATE */
    memcpy(&d, at, sizeof d);
    if (!(d >= 0) || isinf(d))
      return ik__fail(IK_EINVAL, "%s %g: must be a finite number of %s >= 0%s", r->name, d,
                      r->type == RATE ? "probes per second" : "seconds",
                      r->type == RATE ? " (0: no limit)" : "");
    return 0;
  }
}

int ik__options_check(const ik_ping_options *o, unsigned mask) {
  size_t i;
  int err;
  for (i = 0; i < NRANGES; i++)
    if ((ranges[i].opt & mask) != 0 && (err = check_row(&ranges[i], o)) != 0)
      return err;
  /* Borrowed sockets (opts->sockets): each of its slot's family. */
  if ((o->sockets[0] != NULL && ik_socket_family(o->sockets[0]) != IK_AF_INET) ||
      (o->sockets[1] != NULL && ik_socket_family(o->sockets[1]) != IK_AF_INET6))
    return ik__fail(IK_EINVAL, "sockets[0] must be an IPv4 socket and sockets[1] an IPv6 one");
  return 0;
}

/* ---- defaults (icmplib's) ---- */

static void common_defaults(ik_ping_options *o) {
  memset(o, 0, sizeof *o);
  o->count = 4;
  o->interval = 1.0;
  o->timeout = 2.0;
  o->id = -1;
  o->privileged = 1;
  o->payload_size = IK_DEFAULT_PAYLOAD_SIZE;
  o->ttl = IK_DEFAULT_TTL;
  o->rate = 0.0;
  o->first_hop = 1;
  o->max_hops = 30;
}

void ik_ping_options_init(ik_ping_options *opts) {
  if (opts != NULL)
    common_defaults(opts);
}

void ik_multiping_options_init(ik_ping_options *opts) {
  if (opts == NULL)
    return;
  common_defaults(opts);
  opts->count = 2;
  opts->interval = 0.5;
  opts->rate = IK_DEFAULT_RATE;
}

void ik_traceroute_options_init(ik_ping_options *opts) {
  if (opts == NULL)
    return;
  common_defaults(opts);
  opts->count = 2;
  opts->interval = 0.05;
}
