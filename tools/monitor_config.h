/* icmpkit monitor's configuration file (--config FILE): YAML, parsed with
 * libyaml into plain structs. The monitor (tools/monitor.c) turns them into
 * targets; this file only reads and checks the text.
 *
 * Shape of the file (docs/monitoring.md has the reference):
 *
 *   listen: "127.0.0.1:9469"        # optional; --listen wins
 *   defaults:                        # optional; any group key
 *     interval: 1s
 *   targets:
 *     - hosts: [198.18.0.2, "fd00::2", "db.example"]
 *       interval: 1s                 # seconds, or with a unit: 500ms, 2s, 1m
 *       timeout: 2s
 *       size: 56
 *       traffic_class: 0
 *       source: eth0                 # address or interface name
 *       mode: auto                   # auto | privileged | unprivileged
 *       labels: {site: lab, role: db}
 */
#ifndef IKCLI_MONITOR_CONFIG_H
#define IKCLI_MONITOR_CONFIG_H

#include <stddef.h>

typedef struct ikcli_mon_label {
  char *name; /* a Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*, not one of ours */
  char *value;
} ikcli_mon_label;

#define IKCLI_MON_MODE_AUTO 0
#define IKCLI_MON_MODE_PRIVILEGED 1
#define IKCLI_MON_MODE_UNPRIVILEGED 2

typedef struct ikcli_mon_group {
  char **hosts; /* as written: address, name, or CIDR (expanded by the monitor) */
  size_t nhosts;
  double interval;   /* seconds, > 0 */
  double timeout;    /* seconds, > 0 */
  size_t size;       /* payload bytes */
  int traffic_class; /* 0..255 */
  char *source;      /* NULL: any */
  int mode;          /* IKCLI_MON_MODE_* */
  ikcli_mon_label *labels;
  size_t nlabels;
  int line; /* where the group starts in the file, for messages */
} ikcli_mon_group;

typedef struct ikcli_mon_config {
  char *listen; /* NULL: not set in the file */
  ikcli_mon_group *groups;
  size_t ngroups;
} ikcli_mon_config;

/* Reads path into *cfg (zeroed first). Unset keys take the defaults:
 * interval 1 s, timeout 1 s, size 56, traffic class 0, mode auto.
 * Returns 0, or -1 with msg = "FILE:LINE:COLUMN: what is wrong" (a YAML
 * syntax error, an unknown key, a bad value, a duplicate label, no
 * targets) and *cfg empty. */
int ikcli_mon_config_load(const char *path, ikcli_mon_config *cfg, char *msg, size_t msglen);
/* Frees what cfg owns and zeroes it; an empty cfg is accepted. */
void ikcli_mon_config_free(ikcli_mon_config *cfg);

#endif /* IKCLI_MONITOR_CONFIG_H */
