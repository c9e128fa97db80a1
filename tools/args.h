/* Command line of the icmpkit tool: subcommand, options, operands.
 * Parsing never exits or prints: it returns an error and a message naming
 * the offending option, so it can be tested and fuzzed. */
#ifndef IKCLI_ARGS_H
#define IKCLI_ARGS_H

#include <stddef.h>

#include "icmpkit.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ikcli_command {
  IKCLI_NONE = 0, /* only --help or --version */
  IKCLI_PING,
  IKCLI_MULTIPING,
  IKCLI_TRACEROUTE,
  IKCLI_MONITOR
} ikcli_command;

enum { IKCLI_SHOW_ALL = 0, IKCLI_SHOW_ALIVE = 1, IKCLI_SHOW_UNREACHABLE = 2 };

/* Which fields of ikcli_args.opts the command line set. */
enum {
  IKCLI_SET_COUNT = 1u << 0,
  IKCLI_SET_INTERVAL = 1u << 1,
  IKCLI_SET_TIMEOUT = 1u << 2,
  IKCLI_SET_SIZE = 1u << 3,
  IKCLI_SET_TTL = 1u << 4,
  IKCLI_SET_TCLASS = 1u << 5,
  IKCLI_SET_SOURCE = 1u << 6,
  IKCLI_SET_BROADCAST = 1u << 7,
  IKCLI_SET_FAMILY = 1u << 8,
  IKCLI_SET_RATE = 1u << 9,
  IKCLI_SET_FIRST_HOP = 1u << 10,
  IKCLI_SET_MAX_HOPS = 1u << 11,
  IKCLI_SET_FAST = 1u << 12,
  IKCLI_SET_SIM_QUERIES = 1u << 13,
  IKCLI_SET_THREADS = 1u << 14
};

/* Largest -c of multiping and traceroute (one 16-bit sequence number per
 * probe); ping's sequence numbers wrap, its -c goes to INT_MAX. */
#define IKCLI_MAX_COUNT 65535
/* Largest -i and -W, in seconds (one hour): longer waits make no
 * progress a user could watch. */
#define IKCLI_MAX_SECONDS 3600.0
#define IKCLI_MAX_PING_COUNT 2147483647
/* Largest multiping --threads (the library's limit). */
#define IKCLI_MAX_THREADS 1024
/* Slowest --rate other than 0: one probe a second. Below, a sweep would
 * seem to hang after its first probe. */
#define IKCLI_MIN_RATE 1.0

/* Limits for users who are not root (real uid), whatever capabilities the
 * binary has: a setcap'd icmpkit must not flood on their behalf. */
#define IKCLI_USER_MIN_INTERVAL 0.002         /* ping, traceroute -i: iputils ping's 2 ms */
#define IKCLI_USER_MIN_BROADCAST_INTERVAL 1.0 /* ping -b: iputils ping's 1 s */
#define IKCLI_USER_MIN_HOST_INTERVAL 0.010    /* multiping -i: fping's -p floor, 10 ms */
#define IKCLI_USER_MAX_RATE 1000.0            /* multiping --rate: fping's -i floor, 1 ms */
#define IKCLI_USER_MAX_PAYLOAD_RATE 1e7       /* ping: payload bytes a second (-s / -i) */

typedef struct ikcli_args {
  ikcli_command command;
  int help; /* print the usage of command (global when NONE) */
  int version;
  int json;
  int privileged;       /* -1: least privilege that works; 0 or 1: forced */
  int show;             /* multiping: IKCLI_SHOW_ALL, _ALIVE (-a), _UNREACHABLE (-u) */
  unsigned set;         /* IKCLI_SET_* */
  ik_ping_options opts; /* only the fields named by set are meaningful */
  /* Operands and repeated options, pointing into argv. */
  const char **hosts;
  size_t nhosts;
  const char **files; /* multiping -f */
  size_t nfiles;
  const char **cidrs; /* multiping -g */
  size_t ncidrs;
  /* monitor */
  const char *listen;      /* --listen ADDR:PORT, NULL: no HTTP */
  const char *config;      /* --config FILE */
  int service;             /* --service: under the Windows SCM */
  double resolve_interval; /* --resolve-interval SECONDS, 0: the library's default */
} ikcli_args;

/* Parses argv[1..argc-1] (argv[0] is the program). Returns 0, or IK_EINVAL
 * with a one-line message in msg (IK_ENOMEM). out is always safe to pass to
 * ikcli_args_free afterwards. */
int ikcli_parse_args(int argc, const char *const *argv, ikcli_args *out, char *msg, size_t msglen);
/* Copies the options the command line set over opts, which holds the
 * command's defaults, and checks what depends on both (first hop after the
 * last). Returns 0 or IK_EINVAL with msg. */
int ikcli_apply_options(const ikcli_args *args, ik_ping_options *opts, char *msg, size_t msglen);
/* Refuses, with an iputils-like message in msg (IK_EPERMISSION), the
 * options opts (as ikcli_apply_options left them) that only root may use:
 * root 0 for a user who is not root. Returns 0 when root is nonzero. */
int ikcli_check_limits(const ikcli_args *args, const ik_ping_options *opts, int root, char *msg,
                       size_t msglen);
void ikcli_args_free(ikcli_args *args);
/* --listen's "ADDR:PORT": an IPv4 address, "[IPv6]", or nothing (every
 * IPv4 address), then a port 1..65535. Returns 0 with the address (the
 * brackets removed) in host and the port, or -1. host/port may be NULL. */
int ikcli_parse_listen(const char *text, char *host, size_t hostlen, int *port);

/* Usage text of a command (IKCLI_NONE: the whole tool), ending in "\n". */
const char *ikcli_usage(ikcli_command command);
/* "ping", "multiping", "traceroute", "monitor", or "" for IKCLI_NONE. */
const char *ikcli_command_name(ikcli_command command);

#ifdef __cplusplus
}
#endif

#endif
