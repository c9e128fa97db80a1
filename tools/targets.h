/* The target list of multiping: host arguments, -g CIDR ranges and -f
 * files, kept in one string arena so a million targets cost two
 * allocations. Every function reports failure through its return value and
 * a message; none exits the process (they are fuzzed). */
#ifndef IKCLI_TARGETS_H
#define IKCLI_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include "icmpkit.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most addresses one -g range may expand to, and most targets in total. */
#define IKCLI_MAX_TARGETS ((size_t)1 << 20)
/* Longest host name or address accepted on a -f line. */
#define IKCLI_MAX_HOST_LEN 255

typedef struct ikcli_targets {
  char *arena; /* NUL-terminated names, one after another */
  size_t arena_len, arena_cap;
  size_t *offsets; /* where each name starts in arena */
  size_t n, cap;
  const char **list; /* built by ikcli_targets_list */
} ikcli_targets;

/* All return 0, or a negative ik_error with a message in msg:
 * IK_EINVAL for bad input, IK_ENOMEM. msg may be NULL. */
int ikcli_targets_add(ikcli_targets *t, const char *host, char *msg, size_t msglen);
/* "a.b.c.d/p" or "ipv6/p" (an IPv6 zone may precede the "/"). Host bits
 * of the address are ignored, as fping does. IPv4 /0../30 exclude the
 * network and broadcast addresses; /31 gives both (RFC 3021), /32 one.
 * IPv6 ranges give every address. More than IKCLI_MAX_TARGETS addresses
 * is refused before anything is added. */
int ikcli_targets_add_cidr(ikcli_targets *t, const char *cidr, char *msg, size_t msglen);
/* One host per line; blank lines and lines starting with '#' are skipped,
 * as is a "# comment" after the host; CR LF accepted. name labels the
 * messages ("FILE:LINE: ..."). Nothing is added when any line is bad. */
int ikcli_targets_add_text(ikcli_targets *t, const uint8_t *data, size_t len, const char *name,
                           char *msg, size_t msglen);
/* Reads path ("-" for standard input) and calls ikcli_targets_add_text. */
int ikcli_targets_add_file(ikcli_targets *t, const char *path, char *msg, size_t msglen);
/* Appends from's names first..from->n - 1, in one copy. */
int ikcli_targets_append(ikcli_targets *t, const ikcli_targets *from, size_t first, char *msg,
                         size_t msglen);
/* Array of the n names (valid until the next add or free). NULL on ENOMEM. */
const char *const *ikcli_targets_list(ikcli_targets *t);
void ikcli_targets_free(ikcli_targets *t);

#ifdef __cplusplus
}
#endif

#endif
