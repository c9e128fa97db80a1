/* The monitor (include/icmpkit/monitor.h): what its two files share.
 * monitor.c keeps the targets, groups, sockets and names; monitor_kind.c
 * is the probe kind that runs one group's job. */
#ifndef IK_PROBE_MONITOR_STATE_H
#define IK_PROBE_MONITOR_STATE_H

#include "probe/engine.h"
#include "resolve.h"

#define IK__MON_RING 8 /* probes per target whose outcome late replies may ask */
#define IK__MON_BOUNDS (IK_MONITOR_BUCKETS - 1) /* finite histogram bounds */

/* A slot's state: the outcome of a recent probe, for late replies. */
enum { IK__MON_IN_FLIGHT = 1, IK__MON_ANSWERED, IK__MON_LOST };

typedef struct slot {
  uint16_t seq;
  uint8_t state;
} slot;

typedef struct mon_target {
  char *host, *source, *key;
  ik_monitor_label *labels; /* sorted by name; strings owned */
  size_t nlabels;
  double interval, timeout;
  size_t size;
  int tclass, mode, family;
  ik_address addr; /* family 0: the name did not resolve */
  char address[IK_ADDRSTRLEN];
  ik_monitor_stats c; /* counters only (pointers filled by stats_get) */
  struct ik_monitor *m;
  int dns;            /* a name evdns looks up (not a literal or special name) */
  int first;          /* its first lookup is running: probes wait, uncounted */
  ik__lookup *lookup; /* running, or NULL */
  int moved;          /* next_addr waits for apply_moves */
  ik_address next_addr;
} mon_target;

struct ik_monitor;

/* One job: the targets that share (mode, source). */
typedef struct mon_group {
  struct ik_monitor *m;
  int mode;
  const char *source; /* a target's */
  ik_job *job;
  int status; /* the job ended with it (not 0: it stopped) */
  mon_target **t;
  size_t n;
  double *due;
  uint32_t *count, *heap;
  ik__addr_index by_addr;
  slot (*ring)[IK__MON_RING];
} mon_group;

/* The kind; its job's results argument is the group (mon_group). */
extern const ik__probe_ops ik__monitor_ops;

#endif
