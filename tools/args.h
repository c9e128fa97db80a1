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
  IKCLI_TRACEROUTE
} ikcli_command;

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
  IKCLI_SET_SIM_QUERIES = 1u << 13
};

/* Largest -c: one 16-bit sequence number per probe. */
#define IKCLI_MAX_COUNT 65535
/* Largest -i and -W, in seconds (one day). */
#define IKCLI_MAX_SECONDS 86400.0

typedef struct ikcli_args {
  ikcli_command command;
  int help;            /* print the usage of command (global when NONE) */
  int version;
  int json;
  int privileged;      /* -1: least privilege that works; 0 or 1: forced */
  unsigned set;        /* IKCLI_SET_* */
  ik_ping_options opts;/* only the fields named by set are meaningful */
  /* Operands and repeated options, pointing into argv. */
  const char **hosts;
  size_t nhosts;
  const char **files;  /* multiping -f */
  size_t nfiles;
  const char **cidrs;  /* multiping -g */
  size_t ncidrs;
} ikcli_args;

/* Parses argv[1..argc-1] (argv[0] is the program). Returns 0, or IK_EINVAL
 * with a one-line message in msg (IK_ENOMEM). out is always safe to pass to
 * ikcli_args_free afterwards. */
int ikcli_parse_args(int argc, const char *const *argv, ikcli_args *out, char *msg,
                     size_t msglen);
/* Copies the options the command line set over opts, which holds the
 * command's defaults, and checks what depends on both (first hop after the
 * last). Returns 0 or IK_EINVAL with msg. */
int ikcli_apply_options(const ikcli_args *args, ik_ping_options *opts, char *msg,
                        size_t msglen);
void ikcli_args_free(ikcli_args *args);

/* Usage text of a command (IKCLI_NONE: the whole tool), ending in "\n". */
const char *ikcli_usage(ikcli_command command);
/* "ping", "multiping", "traceroute", or "" for IKCLI_NONE. */
const char *ikcli_command_name(ikcli_command command);

#ifdef __cplusplus
}
#endif

#endif
