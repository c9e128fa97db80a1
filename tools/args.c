/* Command-line parsing of the icmpkit tool (args.h). */
#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { P = 1, M = 2, T = 4, MO = 8 }; /* commands an option belongs to */

enum opt_id {
  OPT_COUNT,
  OPT_INTERVAL,
  OPT_TIMEOUT,
  OPT_SIZE,
  OPT_TTL,
  OPT_TCLASS,
  OPT_SOURCE,
  OPT_BROADCAST,
  OPT_V4,
  OPT_V6,
  OPT_PRIV,
  OPT_UNPRIV,
  OPT_JSON,
  OPT_RATE,
  OPT_FILE,
  OPT_CIDR,
  OPT_FIRST_HOP,
  OPT_MAX_HOPS,
  OPT_FAST,
  OPT_SIM_QUERIES,
  OPT_THREADS,
  OPT_HELP,
  OPT_ALIVE,
  OPT_UNREACHABLE,
  OPT_LISTEN,
  OPT_CONFIG,
  OPT_SERVICE,
  OPT_RESOLVE_INTERVAL
};

typedef struct opt {
  char short_name;       /* 0: long only */
  const char *long_name; /* NULL: short only */
  const char *value;     /* name of the value in messages; NULL: a flag */
  enum opt_id id;
  unsigned commands;
} opt;

static const opt options[] = {
  {'c', NULL, "COUNT", OPT_COUNT, P | M | T},
  {'i', NULL, "INTERVAL", OPT_INTERVAL, P | M | T | MO},
  {'W', NULL, "TIMEOUT", OPT_TIMEOUT, P | M | T | MO},
  {'s', NULL, "SIZE", OPT_SIZE, P | M | MO},
  {'t', NULL, "TTL", OPT_TTL, P | M},
  {'Q', NULL, "TCLASS", OPT_TCLASS, P | M | MO},
  {'I', NULL, "SOURCE", OPT_SOURCE, P | M | T | MO},
  {'b', NULL, NULL, OPT_BROADCAST, P},
  {'4', NULL, NULL, OPT_V4, P | M | T | MO},
  {'6', NULL, NULL, OPT_V6, P | M | T | MO},
  {0, "privileged", NULL, OPT_PRIV, P | M | T | MO},
  {0, "unprivileged", NULL, OPT_UNPRIV, P | M | T | MO},
  {0, "json", NULL, OPT_JSON, P | M | T},
  {0, "rate", "PPS", OPT_RATE, M},
  {0, "threads", "N", OPT_THREADS, M},
  {'f', NULL, "FILE", OPT_FILE, M | MO},
  {'g', NULL, "CIDR", OPT_CIDR, M | MO},
  {'f', NULL, "FIRST_HOP", OPT_FIRST_HOP, T},
  {'m', NULL, "MAX_HOPS", OPT_MAX_HOPS, T},
  {0, "fast", NULL, OPT_FAST, T},
  {'N', "sim-queries", "SIM_QUERIES", OPT_SIM_QUERIES, T},
  {'h', "help", NULL, OPT_HELP, P | M | T | MO},
  {'a', NULL, NULL, OPT_ALIVE, M},
  {'u', NULL, NULL, OPT_UNREACHABLE, M},
  {0, "listen", "ADDR:PORT", OPT_LISTEN, MO},
  {0, "config", "FILE", OPT_CONFIG, MO},
  {0, "service", NULL, OPT_SERVICE, MO},
  {0, "resolve-interval", "SECONDS", OPT_RESOLVE_INTERVAL, MO},
};

static int fail(char *msg, size_t msglen, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 3, 4)))
#endif
  ;

static int fail(char *msg, size_t msglen, const char *fmt, ...) {
  va_list ap;
  if (msg != NULL && msglen > 0) {
    va_start(ap, fmt);
    vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
  }
  return IK_EINVAL;
}

const char *ikcli_command_name(ikcli_command command) {
  switch (command) {
  case IKCLI_PING:
    return "ping";
  case IKCLI_MULTIPING:
    return "multiping";
  case IKCLI_TRACEROUTE:
    return "traceroute";
  case IKCLI_MONITOR:
    return "monitor";
  default:
    return "";
  }
}

static unsigned command_bit(ikcli_command c) {
  return c == IKCLI_PING         ? P
         : c == IKCLI_MULTIPING  ? M
         : c == IKCLI_TRACEROUTE ? T
         : c == IKCLI_MONITOR    ? MO
                                 : 0;
}

/* Decimal integer, optional '-', no spaces, in [lo, hi]. */
static int parse_long(const char *s, long lo, long hi, long *out) {
  char *end;
  long v;
  if ((*s < '0' || *s > '9') && !(*s == '-' && s[1] >= '0' && s[1] <= '9'))
    return -1;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

/* A finite decimal number, no spaces. strtod alone would take " 1", "inf",
 * "nan" and hexadecimal. */
static int parse_number(const char *s, double *out) {
  char *end;
  double v;
  const char *p = s + (*s == '-' || *s == '+');
  if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')))
    return -1;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
    return -1;
  errno = 0;
  v = strtod(s, &end);
  if (*end != '\0' || !isfinite(v) || (errno == ERANGE && v != 0.0))
    return -1;
  *out = v;
  return 0;
}

static const opt *find_short(char c, unsigned bit) {
  size_t i;
  for (i = 0; i < sizeof options / sizeof options[0]; i++)
    if (options[i].short_name == c && (options[i].commands & bit))
      return &options[i];
  return NULL;
}

static const opt *find_long(const char *name, size_t len, unsigned bit) {
  size_t i;
  for (i = 0; i < sizeof options / sizeof options[0]; i++)
    if (options[i].long_name && (options[i].commands & bit) &&
        strlen(options[i].long_name) == len && strncmp(options[i].long_name, name, len) == 0)
      return &options[i];
  return NULL;
}

/* Applies one option; spelled is how the user wrote it ("-c", "--rate"). */
static int take(ikcli_args *a, const opt *o, const char *spelled, const char *v, char *msg,
                size_t msglen) {
  char sh[48];
  long n;
  double d;
  ik_ping_options *x = &a->opts;

  switch (o->id) {
  case OPT_COUNT: {
    long max = a->command == IKCLI_PING ? IKCLI_MAX_PING_COUNT : IKCLI_MAX_COUNT;
    if (parse_long(v, 1, max, &n) != 0)
      return fail(msg, msglen, "%s: COUNT must be an integer from 1 to %ld, not '%s'", spelled, max,
                  ik_escape(v, sh, sizeof sh));
    x->count = (int)n;
    a->set |= IKCLI_SET_COUNT;
    return 0;
  }
  case OPT_INTERVAL:
    if (parse_number(v, &d) != 0 || d < 0.0 || d > IKCLI_MAX_SECONDS)
      return fail(msg, msglen, "%s: INTERVAL must be a number of seconds from 0 to %.0f, not '%s'",
                  spelled, IKCLI_MAX_SECONDS, ik_escape(v, sh, sizeof sh));
    x->interval = d;
    a->set |= IKCLI_SET_INTERVAL;
    return 0;
  case OPT_TIMEOUT:
    if (parse_number(v, &d) != 0 || !(d > 0.0) || d > IKCLI_MAX_SECONDS)
      return fail(msg, msglen,
                  "%s: TIMEOUT must be a number of seconds above 0 and at most %.0f, not '%s'",
                  spelled, IKCLI_MAX_SECONDS, ik_escape(v, sh, sizeof sh));
    x->timeout = d;
    a->set |= IKCLI_SET_TIMEOUT;
    return 0;
  case OPT_SIZE:
    if (parse_long(v, 0, IK_MAX_PAYLOAD_SIZE, &n) != 0)
      return fail(msg, msglen, "%s: SIZE must be an integer from 0 to %d bytes, not '%s'", spelled,
                  IK_MAX_PAYLOAD_SIZE, ik_escape(v, sh, sizeof sh));
    x->payload_size = (size_t)n;
    a->set |= IKCLI_SET_SIZE;
    return 0;
  case OPT_TTL:
    if (parse_long(v, 1, 255, &n) != 0)
      return fail(msg, msglen, "%s: TTL must be an integer from 1 to 255, not '%s'", spelled,
                  ik_escape(v, sh, sizeof sh));
    x->ttl = (int)n;
    a->set |= IKCLI_SET_TTL;
    return 0;
  case OPT_TCLASS: {
    unsigned long u = 0;
    int ok = 0;
    if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
      /* Hexadecimal, as iputils accepts for -Q (DSCP values read as 0xb8). */
      const char *h = v + 2;
      ok = *h != '\0' && strspn(h, "0123456789abcdefABCDEF") == strlen(h) && strlen(h) <= 2;
      if (ok)
        u = strtoul(h, NULL, 16);
    } else if (parse_long(v, 0, 255, &n) == 0) {
      ok = 1;
      u = (unsigned long)n;
    }
    if (!ok)
      return fail(msg, msglen,
                  "%s: TCLASS must be an integer from 0 to 255 (decimal or 0x hex), not '%s'",
                  spelled, ik_escape(v, sh, sizeof sh));
    x->traffic_class = (int)u;
    a->set |= IKCLI_SET_TCLASS;
    return 0;
  }
  case OPT_SOURCE:
    if (!ik_is_ipv4_address(v) && !ik_is_ipv6_address(v) && !ik_is_interface_name(v))
      return fail(msg, msglen,
                  "%s: SOURCE must be an interface name or an IPv4 or IPv6 address, not '%s'",
                  spelled, ik_escape(v, sh, sizeof sh));
    x->source = v;
    a->set |= IKCLI_SET_SOURCE;
    return 0;
  case OPT_BROADCAST:
    x->broadcast = 1;
    a->set |= IKCLI_SET_BROADCAST;
    return 0;
  case OPT_V4:
  case OPT_V6: {
    int fam = o->id == OPT_V4 ? IK_AF_INET : IK_AF_INET6;
    if ((a->set & IKCLI_SET_FAMILY) && x->family != fam)
      return fail(msg, msglen, "-4 and -6 exclude each other");
    x->family = fam;
    a->set |= IKCLI_SET_FAMILY;
    return 0;
  }
  case OPT_PRIV:
  case OPT_UNPRIV: {
    int want = o->id == OPT_PRIV;
    if (a->privileged >= 0 && a->privileged != want)
      return fail(msg, msglen, "--privileged and --unprivileged exclude each other");
    a->privileged = want;
    return 0;
  }
  case OPT_JSON:
    a->json = 1;
    return 0;
  case OPT_RATE:
    if (parse_number(v, &d) != 0 || !(d == 0.0 || (d >= IKCLI_MIN_RATE && d <= 1e9)))
      return fail(msg, msglen,
                  "%s: PPS must be 0 (no limit) or a number of probes per second from %g to "
                  "1e9, not '%s'",
                  spelled, IKCLI_MIN_RATE, ik_escape(v, sh, sizeof sh));
    x->rate = d;
    a->set |= IKCLI_SET_RATE;
    return 0;
  case OPT_FILE:
    if (*v == '\0')
      return fail(msg, msglen, "%s: FILE is empty (use - for standard input)", spelled);
    a->files[a->nfiles++] = v;
    return 0;
  case OPT_CIDR:
    a->cidrs[a->ncidrs++] = v;
    return 0;
  case OPT_FIRST_HOP:
  case OPT_MAX_HOPS:
    if (parse_long(v, 1, 255, &n) != 0)
      return fail(msg, msglen, "%s: %s must be an integer from 1 to 255, not '%s'", spelled,
                  o->value, ik_escape(v, sh, sizeof sh));
    if (o->id == OPT_FIRST_HOP) {
      x->first_hop = (int)n;
      a->set |= IKCLI_SET_FIRST_HOP;
    } else {
      x->max_hops = (int)n;
      a->set |= IKCLI_SET_MAX_HOPS;
    }
    return 0;
  case OPT_FAST:
    x->fast = 1;
    a->set |= IKCLI_SET_FAST;
    return 0;
  case OPT_SIM_QUERIES:
    if (parse_long(v, 1, 65536, &n) != 0)
      return fail(msg, msglen, "%s: %s must be an integer from 1 to 65536, not '%s'", spelled,
                  o->value, ik_escape(v, sh, sizeof sh));
    x->sim_queries = (int)n;
    a->set |= IKCLI_SET_SIM_QUERIES;
    return 0;
  case OPT_THREADS:
    if (parse_long(v, 0, IKCLI_MAX_THREADS, &n) != 0)
      return fail(msg, msglen, "%s: %s must be an integer from 0 (one per core) to %d, not '%s'",
                  spelled, o->value, IKCLI_MAX_THREADS, ik_escape(v, sh, sizeof sh));
    x->threads = (int)n;
    a->set |= IKCLI_SET_THREADS;
    return 0;
  case OPT_HELP:
    a->help = 1;
    return 0;
  case OPT_ALIVE:
  case OPT_UNREACHABLE: {
    int want = o->id == OPT_ALIVE ? IKCLI_SHOW_ALIVE : IKCLI_SHOW_UNREACHABLE;
    if (a->show != IKCLI_SHOW_ALL && a->show != want)
      return fail(msg, msglen, "-a and -u exclude each other");
    a->show = want;
    return 0;
  }
  case OPT_LISTEN:
    if (ikcli_parse_listen(v, NULL, 0, NULL) != 0)
      return fail(
        msg, msglen,
        "%s: ADDR:PORT must be an address and a port (127.0.0.1:9469, [::1]:9469, :9469), not '%s'",
        spelled, ik_escape(v, sh, sizeof sh));
    a->listen = v;
    return 0;
  case OPT_RESOLVE_INTERVAL:
    if (parse_number(v, &d) != 0 || !(d > 0.0) || d > 86400)
      return fail(msg, msglen,
                  "%s: SECONDS must be a number of seconds above 0 and at most 86400, not '%s'",
                  spelled, ik_escape(v, sh, sizeof sh));
    a->resolve_interval = d;
    return 0;
  case OPT_CONFIG:
    if (*v == '\0')
      return fail(msg, msglen, "%s: FILE is empty", spelled);
    a->config = v;
    return 0;
  case OPT_SERVICE:
    a->service = 1;
    return 0;
  }
  return fail(msg, msglen, "internal error: unhandled option %s", spelled);
}

/* One argument that starts with "--" (not "--" itself). *i moves past a
 * separate value. */
static int parse_long_option(ikcli_args *a, int argc, const char *const *argv, int *i, char *msg,
                             size_t msglen) {
  const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
  size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
  const opt *o = find_long(arg, len, command_bit(a->command));
  char spelled[64], sh[48];

  if (o == NULL)
    return fail(msg, msglen, "unknown option '%s' for %s", ik_escape(argv[*i], sh, sizeof sh),
                ikcli_command_name(a->command));
  snprintf(spelled, sizeof spelled, "--%s", o->long_name);
  if (o->value == NULL) {
    if (eq)
      return fail(msg, msglen, "%s takes no value", spelled);
    return take(a, o, spelled, NULL, msg, msglen);
  }
  if (eq)
    return take(a, o, spelled, eq + 1, msg, msglen);
  if (*i + 1 >= argc)
    return fail(msg, msglen, "%s needs a value (%s)", spelled, o->value);
  *i += 1;
  return take(a, o, spelled, argv[*i], msg, msglen);
}

/* A cluster of short options ("-b", "-c4", "-46", "-bc 4"). */
static int parse_short_options(ikcli_args *a, int argc, const char *const *argv, int *i, char *msg,
                               size_t msglen) {
  const char *p = argv[*i] + 1;
  char spelled[3] = {'-', 0, 0}, sh[48];
  int err;

  for (; *p; p++) {
    const opt *o = find_short(*p, command_bit(a->command));
    spelled[1] = *p;
    if (o == NULL) {
      char c[2] = {*p, 0};
      return fail(msg, msglen, "unknown option '-%s' for %s", ik_escape(c, sh, sizeof sh),
                  ikcli_command_name(a->command));
    }
    if (o->value == NULL) {
      if ((err = take(a, o, spelled, NULL, msg, msglen)) != 0)
        return err;
      continue;
    }
    if (p[1] != '\0')
      return take(a, o, spelled, p + 1, msg, msglen);
    if (*i + 1 >= argc)
      return fail(msg, msglen, "%s needs a value (%s)", spelled, o->value);
    *i += 1;
    return take(a, o, spelled, argv[*i], msg, msglen);
  }
  return 0;
}

static int check_operands(ikcli_args *a, char *msg, size_t msglen) {
  const char *name = ikcli_command_name(a->command);
  char sh[48];
  if (a->help)
    return 0;
  if (a->command == IKCLI_MULTIPING) {
    if (a->nhosts == 0 && a->nfiles == 0 && a->ncidrs == 0)
      return fail(msg, msglen, "multiping needs targets: HOST..., -f FILE or -g CIDR");
  } else if (a->command == IKCLI_MONITOR) {
    if (a->nhosts == 0 && a->nfiles == 0 && a->ncidrs == 0 && a->config == NULL)
      return fail(msg, msglen, "monitor needs targets: HOST..., -f FILE, -g CIDR or --config FILE");
  } else if (a->nhosts == 0) {
    return fail(msg, msglen, "%s needs a HOST", name);
  } else if (a->nhosts > 1) {
    return fail(msg, msglen, "%s takes one HOST; unexpected '%s'", name,
                ik_escape(a->hosts[1], sh, sizeof sh));
  }
  if ((a->set & IKCLI_SET_SOURCE) && (a->set & IKCLI_SET_FAMILY) &&
      (ik_is_ipv4_address(a->opts.source) || ik_is_ipv6_address(a->opts.source))) {
    int src = ik_is_ipv4_address(a->opts.source) ? IK_AF_INET : IK_AF_INET6;
    if (src != a->opts.family)
      return fail(msg, msglen, "-I: SOURCE %s is an IPv%d address but -%d was given",
                  ik_escape(a->opts.source, sh, sizeof sh), src, a->opts.family);
  }
  return 0;
}

int ikcli_parse_args(int argc, const char *const *argv, ikcli_args *out, char *msg, size_t msglen) {
  int i, options_done = 0, err = 0;
  const char *cmd;
  char sh[48];

  memset(out, 0, sizeof *out);
  out->privileged = -1;
  if (msg && msglen)
    msg[0] = '\0';
  if (argc < 2 || argv == NULL)
    return fail(msg, msglen, "missing command: ping, multiping, traceroute or monitor");
  cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    out->help = 1;
    return 0;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
    out->version = 1;
    return 0;
  }
  if (strcmp(cmd, "ping") == 0)
    out->command = IKCLI_PING;
  else if (strcmp(cmd, "multiping") == 0)
    out->command = IKCLI_MULTIPING;
  else if (strcmp(cmd, "traceroute") == 0)
    out->command = IKCLI_TRACEROUTE;
  else if (strcmp(cmd, "monitor") == 0)
    out->command = IKCLI_MONITOR;
  else
    return fail(msg, msglen, "unknown command '%s': use ping, multiping, traceroute or monitor",
                ik_escape(cmd, sh, sizeof sh));

  out->hosts = (const char **)calloc((size_t)argc, sizeof *out->hosts);
  out->files = (const char **)calloc((size_t)argc, sizeof *out->files);
  out->cidrs = (const char **)calloc((size_t)argc, sizeof *out->cidrs);
  if (!out->hosts || !out->files || !out->cidrs) {
    fail(msg, msglen, "out of memory");
    return IK_ENOMEM;
  }
  /* --help wins over any error, so that a user who got an option wrong can
   * always read the usage by appending it. */
  for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      out->help = 1;
      return 0;
    }
  for (i = 2; i < argc && err == 0; i++) {
    const char *arg = argv[i];
    if (options_done || arg[0] != '-' || arg[1] == '\0')
      out->hosts[out->nhosts++] = arg;
    else if (strcmp(arg, "--") == 0)
      options_done = 1;
    else if (arg[1] == '-')
      err = parse_long_option(out, argc, argv, &i, msg, msglen);
    else
      err = parse_short_options(out, argc, argv, &i, msg, msglen);
  }
  if (err == 0)
    err = check_operands(out, msg, msglen);
  return err;
}

int ikcli_apply_options(const ikcli_args *a, ik_ping_options *o, char *msg, size_t msglen) {
  const ik_ping_options *x = &a->opts;
  if (a->set & IKCLI_SET_COUNT)
    o->count = x->count;
  if (a->set & IKCLI_SET_INTERVAL)
    o->interval = x->interval;
  if (a->set & IKCLI_SET_TIMEOUT)
    o->timeout = x->timeout;
  if (a->set & IKCLI_SET_SIZE)
    o->payload_size = x->payload_size;
  if (a->set & IKCLI_SET_TTL)
    o->ttl = x->ttl;
  if (a->set & IKCLI_SET_TCLASS)
    o->traffic_class = x->traffic_class;
  if (a->set & IKCLI_SET_SOURCE)
    o->source = x->source;
  if (a->set & IKCLI_SET_BROADCAST)
    o->broadcast = x->broadcast;
  if (a->set & IKCLI_SET_FAMILY)
    o->family = x->family;
  if (a->set & IKCLI_SET_RATE)
    o->rate = x->rate;
  if (a->set & IKCLI_SET_FIRST_HOP)
    o->first_hop = x->first_hop;
  if (a->set & IKCLI_SET_MAX_HOPS)
    o->max_hops = x->max_hops;
  if (a->set & IKCLI_SET_FAST)
    o->fast = x->fast;
  if (a->set & IKCLI_SET_SIM_QUERIES)
    o->sim_queries = x->sim_queries;
  if (a->set & IKCLI_SET_THREADS)
    o->threads = x->threads;
  if (a->privileged >= 0)
    o->privileged = a->privileged;
  if (a->command == IKCLI_TRACEROUTE && o->first_hop > o->max_hops)
    return fail(msg, msglen, "-f: FIRST_HOP (%d) is beyond MAX_HOPS (%d)%s", o->first_hop,
                o->max_hops, (a->set & IKCLI_SET_MAX_HOPS) ? "" : ", the default of -m");
  return 0;
}

int ikcli_check_limits(const ikcli_args *a, const ik_ping_options *o, int root, char *msg,
                       size_t msglen) {
  if (root)
    return 0;
  if (a->command == IKCLI_MULTIPING) {
    if (o->interval < IKCLI_USER_MIN_HOST_INTERVAL)
      fail(msg, msglen, "-i: minimal interval per host allowed for user is %.0fms",
           IKCLI_USER_MIN_HOST_INTERVAL * 1e3);
    else if (o->rate == 0.0 || o->rate > IKCLI_USER_MAX_RATE)
      fail(msg, msglen,
           "--rate: at most %.0f probes per second allowed for user (0, no limit, is root's)",
           IKCLI_USER_MAX_RATE);
    else
      return 0;
    return IK_EPERMISSION;
  }
  if (o->interval < IKCLI_USER_MIN_INTERVAL)
    fail(msg, msglen, "cannot flood; minimal interval allowed for user is %.0fms",
         IKCLI_USER_MIN_INTERVAL * 1e3);
  else if (a->command != IKCLI_PING)
    return 0;
  else if (o->broadcast && o->interval < IKCLI_USER_MIN_BROADCAST_INTERVAL)
    fail(msg, msglen,
         "broadcast ping with too short interval: %.0fms; minimal interval allowed for user is "
         "%.0fms",
         o->interval * 1e3, IKCLI_USER_MIN_BROADCAST_INTERVAL * 1e3);
  else if ((double)o->payload_size > IKCLI_USER_MAX_PAYLOAD_RATE * o->interval)
    fail(msg, msglen,
         "-s %lu every %gs is %.0f bytes per second; at most %.0f allowed for user (raise -i or "
         "lower -s)",
         (unsigned long)o->payload_size, o->interval, (double)o->payload_size / o->interval,
         IKCLI_USER_MAX_PAYLOAD_RATE);
  else
    return 0;
  return IK_EPERMISSION;
}

int ikcli_parse_listen(const char *text, char *host, size_t hostlen, int *port) {
  const char *colon, *h = text;
  size_t hl;
  long n;
  if (text == NULL)
    return -1;
  if (*text == '[') {
    const char *close = strchr(text, ']');
    if (close == NULL || close[1] != ':')
      return -1;
    h = text + 1;
    hl = (size_t)(close - h);
    colon = close + 1;
    if (hl == 0 || hl >= 64)
      return -1;
    {
      char a[64];
      memcpy(a, h, hl);
      a[hl] = '\0';
      if (!ik_is_ipv6_address(a))
        return -1;
    }
  } else {
    colon = strrchr(text, ':');
    if (colon == NULL || memchr(text, ':', (size_t)(colon - text)) != NULL)
      return -1;
    hl = (size_t)(colon - text);
    if (hl >= 64)
      return -1;
    if (hl > 0) {
      char a[64];
      memcpy(a, text, hl);
      a[hl] = '\0';
      if (!ik_is_ipv4_address(a))
        return -1;
    }
  }
  if (parse_long(colon + 1, 1, 65535, &n) != 0)
    return -1;
  if (host != NULL && hostlen > 0) {
    if (hl == 0)
      snprintf(host, hostlen, "0.0.0.0");
    else
      snprintf(host, hostlen, "%.*s", (int)hl, h);
  }
  if (port != NULL)
    *port = (int)n;
  return 0;
}

void ikcli_args_free(ikcli_args *a) {
  free((void *)a->hosts);
  free((void *)a->files);
  free((void *)a->cidrs);
  a->hosts = a->files = a->cidrs = NULL;
  a->nhosts = a->nfiles = a->ncidrs = 0;
}

static const char usage_tool[] =
  "usage: icmpkit COMMAND [OPTIONS] ...\n"
  "\n"
  "Sends ICMP Echo Requests (IPv4 and IPv6) and reports replies and ICMP errors.\n"
  "\n"
  "commands:\n"
  "  ping        probe one host, like ping(8)\n"
  "  multiping   probe many hosts at once, like fping(8)\n"
  "  traceroute  list the routers on the way to a host, like traceroute(8)\n"
  "  monitor     probe hosts forever and serve Prometheus metrics\n"
  "\n"
  "  icmpkit COMMAND --help   options of a command\n"
  "  icmpkit --version        version of icmpkit\n"
  "\n"
  "Privileges: without --privileged or --unprivileged, icmpkit uses unprivileged\n"
  "ICMP sockets when the system allows them and raw sockets otherwise.\n"
  "Exit status: 0 every host answered (traceroute: destination reached), 1 some\n"
  "did not, 2 usage, name resolution or socket error.\n";

static const char usage_common[] =
  "  -c COUNT        probes per %s (%s)\n"
  "  -i INTERVAL     seconds between probes to one %s (default %s)\n"
  "  -W TIMEOUT      seconds to wait for each reply (default 2)\n"
  "  -4, -6          use IPv4 / IPv6 only (names resolve to that family)\n"
  "  --privileged    use a raw socket (root or CAP_NET_RAW)\n"
  "  --unprivileged  use an unprivileged ICMP socket (Linux: ping_group_range)\n"
  "  --json          JSON Lines on standard output instead of text\n"
  "  -h, --help      this help\n";

static const char usage_monitor[] =
  "usage: icmpkit monitor [-i INTERVAL] [-W TIMEOUT] [-s SIZE] [-Q TCLASS] [-I SOURCE]\n"
  "                       [-4|-6] [--listen ADDR:PORT] [--config FILE]\n"
  "                       [--resolve-interval SECONDS]\n"
  "                       [--privileged|--unprivileged] [--service]\n"
  "                       (HOST... | -f FILE | -g CIDR)\n"
  "\n"
  "Probes every target every INTERVAL, forever, each target's probes spread\n"
  "evenly over the interval, until SIGINT or SIGTERM (exit 0). With --listen,\n"
  "serves /metrics (Prometheus text, or OpenMetrics when the scraper asks),\n"
  "/-/healthy and POST /-/reload. SIGHUP or POST /-/reload reads --config\n"
  "again: targets that stay keep their counters; a bad file is refused and\n"
  "the running configuration stays. docs/monitoring.md lists the metrics.\n"
  "\n"
  "  -i INTERVAL     seconds between probes to one target (default 1)\n"
  "  -W TIMEOUT      seconds to wait for each reply (default 1)\n"
  "  -s SIZE         payload bytes (0..65507, default 56)\n"
  "  -Q TCLASS       DS field / traffic class (0..255 or 0x00..0xff)\n"
  "  -I SOURCE       interface (lo, eth0) or source address to send from\n"
  "  -4, -6          names resolve to IPv4 / IPv6 only\n"
  "  --listen ADDR:PORT  serve HTTP there (127.0.0.1:9469, [::1]:9469; :9469 all)\n"
  "  --config FILE   YAML target groups (docs/monitoring.md); --listen wins\n"
  "                  over the file's listen\n"
  "  --resolve-interval SECONDS  look host names up again this often (default\n"
  "                  60); a name whose address changes starts new series\n"
  "  --privileged    use raw sockets (root or CAP_NET_RAW)\n"
  "  --unprivileged  use unprivileged ICMP sockets (Linux: ping_group_range)\n"
  "  --service       run under the Windows Service Control Manager\n"
  "  -f FILE         read targets from FILE, one per line (- for standard input)\n"
  "  -g CIDR         every address of a range, e.g. 198.18.0.0/24\n"
  "  -h, --help      this help\n";

static char usage_buf[4][4096];

const char *ikcli_usage(ikcli_command command) {
  char common[1024];
  int k = (int)command - 1;
  if (command == IKCLI_NONE || k < 0 || k > 3)
    return usage_tool;
  if (usage_buf[k][0] != '\0')
    return usage_buf[k];
  switch (command) {
  case IKCLI_PING:
    snprintf(common, sizeof common, usage_common, "host",
             "1..2147483647, default: until interrupted", "host", "1");
    snprintf(usage_buf[k], sizeof usage_buf[k],
             "usage: icmpkit ping [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-s SIZE] [-t TTL]\n"
             "                    [-Q TCLASS] [-I SOURCE] [-b] [-4|-6]\n"
             "                    [--privileged|--unprivileged] [--json] HOST\n"
             "\n"
             "Sends COUNT echo requests to HOST (without -c: until Ctrl-C) and prints\n"
             "each reply or ICMP error, late ones included, then the statistics. A probe\n"
             "that cannot be sent (no route for a moment) is reported on standard error,\n"
             "counted as transmitted and lost, and the run goes on.\n"
             "\n%s"
             "  -s SIZE         payload bytes (0..65507, default 56)\n"
             "  -t TTL          time to live / hop limit (1..255, default 64)\n"
             "  -Q TCLASS       DS field / traffic class (0..255 or 0x00..0xff)\n"
             "  -I SOURCE       interface (lo, eth0) or source address to send from\n"
             "  -b              allow a broadcast destination; every responder is listed\n"
             "\n"
             "--json prints one object per host: address, packets_sent,\n"
             "packets_received, packet_loss (0..1), min_rtt, avg_rtt, max_rtt, jitter\n"
             "(ms), rtts (ms), is_alive, duplicates, send_errors and replies (sequence,\n"
             "source, type, code, rtt, ttl, bytes_received, duplicate).\n",
             common);
    break;
  case IKCLI_MULTIPING:
    snprintf(common, sizeof common, usage_common, "host", "1..65535, default 2", "host", "0.5");
    snprintf(usage_buf[k], sizeof usage_buf[k],
             "usage: icmpkit multiping [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [--rate PPS]\n"
             "                         [--threads N] [-s SIZE] [-t TTL] [-Q TCLASS]\n"
             "                         [-I SOURCE] [-a|-u] [-4|-6]\n"
             "                         [--privileged|--unprivileged] [--json]\n"
             "                         (HOST... | -f FILE | -g CIDR)\n"
             "\n"
             "Probes every target at once (IPv4 and IPv6 mixed) and prints one line per\n"
             "target, in the order given. A target that cannot be probed (a name that\n"
             "does not resolve, a broadcast address) is reported on standard error, as\n"
             "fping does, and the others are probed (exit status 1).\n"
             "\n%s"
             "  --rate PPS      most probes sent per second (1..1e9, default 1000; 0: no\n"
             "                  limit, root only)\n"
             "  --threads N     threads to probe with, each with its own sockets and a\n"
             "                  block of the targets (0, the default: one per core; 1:\n"
             "                  one thread); --rate holds for all together\n"
             "  -s SIZE         payload bytes (0..65507, default 56)\n"
             "  -t TTL          time to live / hop limit (1..255, default 64)\n"
             "  -Q TCLASS       DS field / traffic class (0..255 or 0x00..0xff)\n"
             "  -I SOURCE       interface (lo, eth0) or source address to send from (an\n"
             "                  address is of one family: the targets of the other\n"
             "                  family use the default)\n"
             "  -a              show only the targets that answered (fping -a)\n"
             "  -u              show only the targets that did not (fping -u)\n"
             "  -f FILE         read targets from FILE, one per line (- for standard\n"
             "                  input); blank lines and # comments are ignored\n"
             "  -g CIDR         every address of a range, e.g. 198.18.0.0/24 or\n"
             "                  fd00::/120 (IPv4: without network and broadcast\n"
             "                  addresses; at most 2^20 addresses)\n"
             "\n"
             "-f and -g may be repeated and combined with HOST operands; the results\n"
             "list the HOST operands first, then the -f hosts, then the -g ranges.\n"
             "--json prints one object per target (keys as for ping --json, plus name:\n"
             "the target as given, and error: why it was not probed, when it was not).\n",
             common);
    break;
  case IKCLI_MONITOR:
    snprintf(usage_buf[k], sizeof usage_buf[k], "%s", usage_monitor);
    break;
  default:
    snprintf(common, sizeof common, usage_common, "hop", "1..65535, default 2", "destination",
             "0.05");
    snprintf(usage_buf[k], sizeof usage_buf[k],
             "usage: icmpkit traceroute [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-f FIRST_HOP]\n"
             "                          [-m MAX_HOPS] [-N SIM_QUERIES] [--fast] [-I SOURCE]\n"
             "                          [-4|-6]\n"
             "                          [--privileged|--unprivileged] [--json] HOST\n"
             "\n"
             "Sends echo requests with growing TTLs and lists the routers that answer,\n"
             "one line per hop as soon as it and the hops before it are complete. The\n"
             "trace ends where the destination answers, where a router answers with an\n"
             "error such as destination unreachable (marked as traceroute(8) does: !H\n"
             "!N !P !S !F !X !V !C, !<code>), or at MAX_HOPS.\n"
             "\n%s"
             "  -f FIRST_HOP    first TTL (1..255, default 1)\n"
             "  -m MAX_HOPS     last TTL (1..255, default 30)\n"
             "  -N SIM_QUERIES  probes in flight at once, over several hops (default 16)\n"
             "  --fast          one probe per hop, another only if it goes unanswered\n"
             "  -I SOURCE       interface (lo, eth0) or source address to send from\n"
             "\n"
             "--json prints one object per hop that answered (keys as for ping --json,\n"
             "plus distance; replies lists ICMP errors too), then {\"destination\",\n"
             "\"reached\", \"hops\" (the hop objects printed), \"end\": \"reached\",\n"
             "\"unreachable\", \"max_hops\" or \"interrupted\"}; with \"unreachable\" also\n"
             "\"annotation\", \"source\", \"type\" and \"code\" of the answer.\n",
             common);
    break;
  }
  return usage_buf[k];
}
