/* The monitor's metrics as Prometheus text (0.0.4) or OpenMetrics 1.0.0,
 * written from the public snapshot calls (monitor.h) into a caller's
 * buffer. docs/monitoring.md is the reference of the names. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

typedef struct out {
  char *buf;
  size_t len, used; /* used: what the whole text needs so far */
  int om;           /* OpenMetrics */
} out;

static void put(out *o, const char *fmt, ...) {
  va_list ap;
  int n;
  char *at = o->used < o->len ? o->buf + o->used : NULL;
  size_t room = o->used < o->len ? o->len - o->used : 0;
  va_start(ap, fmt);
  n = vsnprintf(at, room, fmt, ap);
  va_end(ap);
  if (n > 0)
    o->used += (size_t)n;
}

/* A label value: backslash, double quote and newline escaped. */
static void put_value(out *o, const char *v) {
  for (; *v; v++) {
    if (*v == '\\')
      put(o, "\\\\");
    else if (*v == '"')
      put(o, "\\\"");
    else if (*v == '\n')
      put(o, "\\n");
    else
      put(o, "%c", *v);
  }
}

static const char *family_name(int family) {
  return family == IK_AF_INET ? "ipv4" : family == IK_AF_INET6 ? "ipv6" : "";
}

/* name{target=...,address=...,family=...,labels...,extra} without the
 * closing brace: the caller adds its own labels, then "}". */
static void open_sample(out *o, const char *name, const ik_monitor_stats *s) {
  size_t i;
  put(o, "%s{target=\"", name);
  put_value(o, s->host);
  put(o, "\",address=\"");
  put_value(o, s->address);
  put(o, "\",family=\"%s\"", family_name(s->family));
  for (i = 0; i < s->nlabels; i++) {
    put(o, ",%s=\"", s->labels[i].name);
    put_value(o, s->labels[i].value);
    put(o, "\"");
  }
}

static void header(out *o, const char *name, const char *type, const char *help) {
  /* OpenMetrics names a counter's family without _total, an info's
   * without _info. */
  size_t len = strlen(name);
  if (o->om && strcmp(type, "counter") == 0 && len > 6 && strcmp(name + len - 6, "_total") == 0)
    len -= 6;
  else if (o->om && strcmp(type, "info") == 0 && len > 5 && strcmp(name + len - 5, "_info") == 0)
    len -= 5;
  if (!o->om && strcmp(type, "info") == 0)
    type = "gauge";
  put(o, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)len, name, help, (int)len, name, type);
}

static void counters(out *o, const ik_monitor *m, const char *name, const char *help,
                     size_t field) {
  size_t i, n = ik_monitor_size(m);
  header(o, name, "counter", help);
  for (i = 0; i < n; i++) {
    ik_monitor_stats s;
    ik_monitor_stats_get(m, i, &s);
    open_sample(o, name, &s);
    put(o, "} %llu\n", (unsigned long long)*(const uint64_t *)((const char *)&s + field));
  }
}

static void histogram(out *o, const ik_monitor *m) {
  size_t i, b, n = ik_monitor_size(m);
  header(o, "icmpkit_rtt_seconds", "histogram",
         "Round-trip time of the probes answered in time; _count: the replies.");
  for (i = 0; i < n; i++) {
    ik_monitor_stats s;
    uint64_t cum = 0;
    ik_monitor_stats_get(m, i, &s);
    for (b = 0; b < IK_MONITOR_BUCKETS; b++) {
      cum += s.buckets[b];
      open_sample(o, "icmpkit_rtt_seconds_bucket", &s);
      if (b + 1 < IK_MONITOR_BUCKETS)
        put(o, ",le=\"%g\"} %llu\n", ik_monitor_bucket_bound(b), (unsigned long long)cum);
      else
        put(o, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    }
    open_sample(o, "icmpkit_rtt_seconds_sum", &s);
    put(o, "} %.9g\n", s.rtt_sum);
    open_sample(o, "icmpkit_rtt_seconds_count", &s);
    put(o, "} %llu\n", (unsigned long long)s.replies);
  }
}

static void error_counters(out *o, const ik_monitor *m) {
  size_t i, k, n = ik_monitor_size(m);
  header(o, "icmpkit_icmp_errors_total", "counter",
         "Probes answered by an ICMP error, by its type and code (-1: other pairs).");
  for (i = 0; i < n; i++) {
    ik_monitor_stats s;
    ik_monitor_stats_get(m, i, &s);
    for (k = 0; k < s.nicmp; k++) {
      open_sample(o, "icmpkit_icmp_errors_total", &s);
      put(o, ",type=\"%d\",code=\"%d\"} %llu\n", s.icmp[k].type, s.icmp[k].code,
          (unsigned long long)s.icmp[k].count);
    }
  }
  header(o, "icmpkit_send_errors_total", "counter",
         "Probes that could not be sent (counted in icmpkit_probes_sent_total too), by reason.");
  for (i = 0; i < n; i++) {
    ik_monitor_stats s;
    ik_monitor_stats_get(m, i, &s);
    for (k = 0; k < s.nsend; k++) {
      char reason[32];
      const char *e = s.send[k].error != 0 ? ik_err_name(s.send[k].error) : "other";
      size_t j;
      if (strncmp(e, "IK_E", 4) == 0)
        e += 4;
      for (j = 0; e[j] && j + 1 < sizeof reason; j++)
        reason[j] = (char)(e[j] >= 'A' && e[j] <= 'Z' ? e[j] - 'A' + 'a' : e[j]);
      reason[j] = '\0';
      open_sample(o, "icmpkit_send_errors_total", &s);
      put(o, ",reason=\"%s\"} %llu\n", reason, (unsigned long long)s.send[k].count);
    }
  }
}

static void gauges(out *o, const ik_monitor *m) {
  size_t i, n = ik_monitor_size(m);
  header(o, "icmpkit_reply_ttl", "gauge", "TTL (hop limit) of the last reply received.");
  for (i = 0; i < n; i++) {
    ik_monitor_stats s;
    ik_monitor_stats_get(m, i, &s);
    if (s.reply_ttl < 0)
      continue;
    open_sample(o, "icmpkit_reply_ttl", &s);
    put(o, "} %d\n", s.reply_ttl);
  }
  header(o, "icmpkit_target_info", "info", "A target probed, with its address and labels.");
  for (i = 0; i < n; i++) {
    ik_monitor_stats s;
    ik_monitor_stats_get(m, i, &s);
    open_sample(o, "icmpkit_target_info", &s);
    put(o, "} 1\n");
  }
  header(o, "icmpkit_local_drops_total", "counter",
         "Replies the OS dropped for lack of receive queue room, where it tells (Linux).");
  put(o, "icmpkit_local_drops_total{family=\"ipv4\"} %llu\n",
      (unsigned long long)ik_monitor_local_drops(m, IK_AF_INET));
  put(o, "icmpkit_local_drops_total{family=\"ipv6\"} %llu\n",
      (unsigned long long)ik_monitor_local_drops(m, IK_AF_INET6));
  header(o, "icmpkit_build_info", "info", "The icmpkit library that runs the monitor.");
  put(o, "icmpkit_build_info{version=\"");
  put_value(o, ik_version());
  put(o, "\"} 1\n");
}

int ik_monitor_write_metrics(const ik_monitor *m, int format, char *buf, size_t len,
                             size_t *needed) {
  out o;
  if (m == NULL || (buf == NULL && len > 0) ||
      (format != IK_MONITOR_TEXT && format != IK_MONITOR_OPENMETRICS))
    return ik__fail(IK_EINVAL, "%s",
                    m == NULL     ? "the monitor is NULL"
                    : buf == NULL ? "buf is NULL"
                                  : "no such format");
  memset(&o, 0, sizeof o);
  o.buf = buf;
  o.len = len;
  o.om = format == IK_MONITOR_OPENMETRICS;
  counters(&o, m, "icmpkit_probes_sent_total",
           "Probes whose outcome is known: answered, timed out, ICMP error, or not sent.",
           offsetof(ik_monitor_stats, sent));
  histogram(&o, m);
  counters(&o, m, "icmpkit_duplicates_total", "Further copies of an answer.",
           offsetof(ik_monitor_stats, duplicates));
  counters(&o, m, "icmpkit_late_replies_total",
           "Answers that came after their probe timed out (counted as lost).",
           offsetof(ik_monitor_stats, late));
  counters(&o, m, "icmpkit_resolve_errors_total",
           "Lookups of the target's name that failed (it keeps its last address).",
           offsetof(ik_monitor_stats, resolve_errors));
  error_counters(&o, m);
  gauges(&o, m);
  if (o.om)
    put(&o, "# EOF\n");
  if (needed != NULL)
    *needed = o.used;
  if (o.used >= len) {
    if (len > 0)
      buf[len - 1] = '\0';
    return ik__fail(IK_ENOSPACE, "the metrics need %zu bytes, the buffer has %zu", o.used + 1, len);
  }
  return 0;
}
