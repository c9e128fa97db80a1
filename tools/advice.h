/* What to change when no ICMP socket may be opened, worked out from the
 * situation rather than listing every remedy. */
#ifndef IKCLI_ADVICE_H
#define IKCLI_ADVICE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The situation when the sockets were opened, before the privilege drop. */
typedef struct ikcli_situation {
  unsigned long uid, gid; /* real ids */
  int in_range;           /* a group of the process is inside ping_group_range */
  int has_cap_net_raw;    /* CAP_NET_RAW in the permitted set (root, setcap) */
  int mode;               /* -1 auto, 0 --unprivileged, 1 --privileged */
  int family;             /* IK_AF_INET or IK_AF_INET6 refused */
  const char *range;      /* ping_group_range as read ("" unknown) */
  const char *binary;     /* path of the running binary, for setcap */
} ikcli_situation;

/* Writes to buf (NUL-terminated, truncated to len) the lines that tell
 * what to change: only remedies that do not already hold (no
 * ping_group_range advice to a group inside it, no setcap to a binary
 * that has the capability, no "run as root" to root). Pure: the same
 * situation gives the same text. Returns the number of remedies given
 * (0: everything holds, the text says the system itself refuses). */
int ikcli_permission_advice(const ikcli_situation *s, char *buf, size_t len);

/* 1 when one of the groups is inside range ("low high", as the kernel's
 * /proc/sys/net/ipv4/ping_group_range shows it), else 0. */
int ikcli_groups_in_range(const char *range, const unsigned long *groups, size_t n);

#ifdef __cplusplus
}
#endif

#endif
