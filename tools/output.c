/* Human and JSON output of the icmpkit tool (output.h). */
#include "output.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int ikcli_is_echo_reply(const ik_reply *r) {
  return r->family == IK_AF_INET6 ? r->type == 129 : r->type == 0;
}

void ikcli_format_rtt(char *buf, size_t len, double ms) {
  /* Same steps as iputils: precision falls as the time grows. */
  if (ms >= 99.95)
    snprintf(buf, len, "%.0f", ms);
  else if (ms >= 9.995)
    snprintf(buf, len, "%.1f", ms);
  else if (ms >= 1.0)
    snprintf(buf, len, "%.2f", ms);
  else
    snprintf(buf, len, "%.3f", ms);
}

/* Header of an echo request on the wire, for the sizes ping and traceroute
 * announce: IPv4 20 + ICMP 8, IPv6 40 + ICMPv6 8. */
static size_t packet_size(int family, size_t payload) {
  return payload + 8 + (family == IK_AF_INET6 ? 40 : 20);
}

void ikcli_ping_header(ikcli_buf *b, const char *target, const char *address, int family,
                       size_t payload_size) {
  char shown[IKCLI_SHOWN_NAME];
  target = ik_escape(target, shown, sizeof shown);
  if (family == IK_AF_INET6)
    ikcli_buf_printf(b, "PING %s (%s) %lu data bytes\n", target, address,
                     (unsigned long)payload_size);
  else
    ikcli_buf_printf(b, "PING %s (%s) %lu(%lu) bytes of data.\n", target, address,
                     (unsigned long)payload_size, (unsigned long)packet_size(family, payload_size));
}

/* iputils ping's words for an ICMP error (the library's ik_reply_message
 * keeps icmplib's). What iputils reads from the message itself (the MTU
 * of "Frag needed", a parameter problem's pointer) is not in an ik_reply
 * and is left out. */
static const char *iputils_text(const ik_reply *r, char *buf, size_t len) {
  static const char *const unreach4[16] = {"Destination Net Unreachable",
                                           "Destination Host Unreachable",
                                           "Destination Protocol Unreachable",
                                           "Destination Port Unreachable",
                                           "Frag needed and DF set",
                                           "Source Route Failed",
                                           "Destination Net Unknown",
                                           "Destination Host Unknown",
                                           "Source Host Isolated",
                                           "Destination Net Prohibited",
                                           "Destination Host Prohibited",
                                           "Destination Net Unreachable for Type of Service",
                                           "Destination Host Unreachable for Type of Service",
                                           "Packet filtered",
                                           "Precedence Violation",
                                           "Precedence Cutoff"};
  static const char *const unreach6[5] = {"No route", "Administratively prohibited", NULL,
                                          "Address unreachable", "Port unreachable"};
  int code = r->code;
  if (r->family == IK_AF_INET6) {
    if (r->type == 1 && code >= 0 && code < 5 && unreach6[code] != NULL)
      snprintf(buf, len, "Destination unreachable: %s", unreach6[code]);
    else if (r->type == 1)
      snprintf(buf, len, "Destination unreachable: Unknown code %d", code);
    else if (r->type == 2)
      snprintf(buf, len, "Packet too big");
    else if (r->type == 3 && (code == 0 || code == 1))
      snprintf(buf, len, "Time exceeded: %s", code == 0 ? "Hop limit" : "Defragmentation failure");
    else if (r->type == 3)
      snprintf(buf, len, "Time exceeded: code %d", code);
    else if (r->type == 4)
      snprintf(buf, len, "Parameter problem: code %d", code);
    else
      return ik_reply_message(r);
    return buf;
  }
  if (r->type == 3 && code >= 0 && code < 16)
    return unreach4[code];
  if (r->type == 3)
    snprintf(buf, len, "Dest Unreachable, Bad Code: %d", code);
  else if (r->type == 11 && (code == 0 || code == 1))
    return code == 0 ? "Time to live exceeded" : "Frag reassembly time exceeded";
  else if (r->type == 11)
    snprintf(buf, len, "Time exceeded, Bad Code: %d", code);
  else if (r->type == 4)
    return "Source Quench";
  else if (r->type == 12)
    return "Parameter problem";
  else
    return ik_reply_message(r);
  return buf;
}

void ikcli_ping_reply(ikcli_buf *b, const ik_probe_reply *p) {
  char t[32];
  if (!ikcli_is_echo_reply(&p->reply)) {
    char text[64];
    ikcli_buf_printf(b, "From %s icmp_seq=%u %s\n", p->reply.source, (unsigned)p->sequence,
                     iputils_text(&p->reply, text, sizeof text));
    return;
  }
  ikcli_format_rtt(t, sizeof t, p->rtt);
  ikcli_buf_printf(b, "%lu bytes from %s: icmp_seq=%u", (unsigned long)p->reply.bytes_received,
                   p->reply.source, (unsigned)p->sequence);
  if (p->reply.ttl >= 0)
    ikcli_buf_printf(b, " ttl=%d", p->reply.ttl);
  ikcli_buf_printf(b, " time=%s ms%s\n", t, (p->reply.flags & IK_REPLY_DUPLICATE) ? " (DUP!)" : "");
}

void ikcli_ping_replies(ikcli_buf *b, const ik_host *h) {
  size_t i;
  for (i = 0; i < h->replies_len; i++)
    if (h->replies[i].error == 0)
      ikcli_ping_reply(b, &h->replies[i]);
}

/* iputils' "+N errors": the ICMP errors received (a failed send is not
 * one: iputils counts it as transmitted and lost). */
static size_t error_count(const ik_host *h) {
  size_t i, n = 0;
  for (i = 0; i < h->replies_len; i++)
    if (h->replies[i].error == 0 && !ikcli_is_echo_reply(&h->replies[i].reply))
      n++;
  return n;
}

void ikcli_ping_statistics(ikcli_buf *b, const char *target, const ik_host *h, double elapsed_ms) {
  size_t errors = error_count(h), i;
  char shown[IKCLI_SHOWN_NAME];
  ikcli_buf_printf(b, "\n--- %s ping statistics ---\n", ik_escape(target, shown, sizeof shown));
  ikcli_buf_printf(b, "%d packets transmitted, %d received", h->packets_sent, h->packets_received);
  if (h->duplicates > 0)
    ikcli_buf_printf(b, ", +%d duplicates", h->duplicates);
  if (errors > 0)
    ikcli_buf_printf(b, ", +%lu errors", (unsigned long)errors);
  if (h->packets_sent > 0)
    ikcli_buf_printf(
      b, ", %g%% packet loss",
      (double)(h->packets_sent - h->packets_received) * 100.0 / (double)h->packets_sent);
  ikcli_buf_printf(b, ", time %.0fms\n", elapsed_ms < 0 ? 0.0 : elapsed_ms);
  if (h->rtts_len > 0) {
    /* iputils' mdev: the standard deviation of the RTTs. */
    double sum = 0.0, sq = 0.0, mean, var;
    for (i = 0; i < h->rtts_len; i++) {
      sum += h->rtts[i];
      sq += h->rtts[i] * h->rtts[i];
    }
    mean = sum / (double)h->rtts_len;
    var = sq / (double)h->rtts_len - mean * mean;
    ikcli_buf_printf(b, "rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms, jitter %.3f ms\n",
                     h->min_rtt, h->avg_rtt, h->max_rtt, var > 0 ? sqrt(var) : 0.0, h->jitter);
  }
}

/* printf's "%d" at t, without printf: a sweep prints three per host.
 * Returns the length (at most 11). */
static size_t int_text(char *t, int v) {
  char r[12];
  size_t i = sizeof r, n;
  unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
  do {
    r[--i] = (char)('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0)
    r[--i] = '-';
  n = sizeof r - i;
  memcpy(t, r + i, n);
  return n;
}

/* printf's "%.3f" at t, byte for byte, when it can be done without
 * printf; returns the length (at most 10), or 0. printf rounds the exact
 * binary value; v * 1000 is within 1.2e-7 of it below 1e6, so away from a
 * tie its nearest integer is the one printf prints. Ties, negative numbers
 * (and -0), huge ones, NaN and infinities are left to printf. */
static size_t ms3_text(char *t, double v) {
  double y, f, d;
  unsigned long k;
  char r[16];
  size_t i = sizeof r;
  int digits = 0;
  if (signbit(v) || !(v < 1e6))
    return 0;
  y = v * 1000.0;
  f = floor(y);
  d = y - f;
  if (!(d < 0.5 - 1e-6 || d > 0.5 + 1e-6))
    return 0;
  k = (unsigned long)f + (d > 0.5);
  while (digits < 4 || k != 0) {
    if (digits == 3)
      r[--i] = '.';
    r[--i] = (char)('0' + k % 10);
    k /= 10;
    digits++;
  }
  memcpy(t, r + i, sizeof r - i);
  return sizeof r - i;
}

/* The line as printf writes it, for what ms3_text leaves to printf. */
static void multiping_line_printf(ikcli_buf *b, const ik_host *h, int width, int loss) {
  ikcli_buf_printf(b, "%-*s : xmt/rcv/%%loss = %d/%d/%d%%", width, h->address, h->packets_sent,
                   h->packets_received, loss);
  if (h->packets_received > 0)
    ikcli_buf_printf(b, ", min/avg/max = %.3f/%.3f/%.3f", h->min_rtt, h->avg_rtt, h->max_rtt);
}

void ikcli_multiping_line(ikcli_buf *b, const ik_host *h, int width) {
  int loss =
    h->packets_sent > 0 ? (h->packets_sent - h->packets_received) * 100 / h->packets_sent : 0;
  /* address, padding, counts and three times: well under 400 bytes */
  char line[IK_ADDRSTRLEN + 256 + 128];
  size_t n, len = strlen(h->address);
  if (h->error != 0 && h->packets_sent == 0) {
    char shown[IKCLI_SHOWN_NAME]; /* an unresolved name, as given */
    ikcli_buf_printf(b, "%-*s : %s\n", width, ik_escape(h->address, shown, sizeof shown),
                     ik_strerror(h->error));
    return;
  }
  /* Built by hand in one piece: printf, then the many small appends,
   * were the largest user-space costs of a sweep. */
  if (len >= IK_ADDRSTRLEN || width > 256) {
    multiping_line_printf(b, h, width, loss);
  } else {
    memcpy(line, h->address, len);
    for (n = len; width > 0 && n < (size_t)width; n++)
      line[n] = ' ';
    memcpy(line + n, " : xmt/rcv/%loss = ", 19);
    n += 19;
    n += int_text(line + n, h->packets_sent);
    line[n++] = '/';
    n += int_text(line + n, h->packets_received);
    line[n++] = '/';
    n += int_text(line + n, loss);
    line[n++] = '%';
    if (h->packets_received > 0) {
      const double times[3] = {h->min_rtt, h->avg_rtt, h->max_rtt};
      int i;
      memcpy(line + n, ", min/avg/max = ", 16);
      n += 16;
      for (i = 0; i < 3 && n > 0; i++) {
        size_t k = ms3_text(line + n, times[i]);
        if (k == 0) {
          n = 0; /* a time only printf writes right */
        } else {
          n += k;
          if (i < 2)
            line[n++] = '/';
        }
      }
    }
    if (n > 0)
      ikcli_buf_put(b, line, n);
    else
      multiping_line_printf(b, h, width, loss);
  }
  if (h->duplicates > 0)
    ikcli_buf_printf(b, ", +%d duplicates", h->duplicates);
  ikcli_buf_put(b, "\n", 1);
}

void ikcli_multiping_summary(ikcli_buf *b, size_t alive, size_t total, unsigned long local_drops) {
  ikcli_buf_printf(b, "\n%lu of %lu hosts alive\n", (unsigned long)alive, (unsigned long)total);
  if (local_drops > 0)
    ikcli_buf_printf(b,
                     "%lu replies dropped by this host (receive queue full): hosts that had "
                     "not answered were probed once more\n",
                     local_drops);
}

static void duration(ikcli_buf *b, double s) {
  long v = s < 0 ? 0 : (long)(s + 0.5);
  if (v < 60)
    ikcli_buf_printf(b, "%lds", v);
  else if (v < 3600)
    ikcli_buf_printf(b, "%ldm%02lds", v / 60, v % 60);
  else
    ikcli_buf_printf(b, "%ldh%02ldm", v / 3600, (v % 3600) / 60);
}

void ikcli_progress_line(ikcli_buf *b, size_t targets, size_t answered, double elapsed,
                         double expected) {
  double pct = expected > 0 ? elapsed * 100.0 / expected : 100.0;
  ikcli_buf_printf(b, "multiping: %lu of %lu targets answered, ", (unsigned long)answered,
                   (unsigned long)targets);
  duration(b, elapsed);
  ikcli_buf_puts(b, " of ~");
  duration(b, expected);
  /* Past the estimate the run is waiting for the last timeouts. */
  ikcli_buf_printf(b, " (%d%%)", pct > 99.0 ? 99 : (int)pct);
}

double ikcli_multiping_expected(size_t targets, const ik_ping_options *o) {
  double probes = (double)targets * (double)(o->count > 0 ? o->count : 1);
  double sending = o->rate > 0 ? probes / o->rate : 0.0;
  double spacing = (double)(o->count > 1 ? o->count - 1 : 0) * o->interval;
  return (sending > spacing ? sending : spacing) + o->timeout;
}

void ikcli_traceroute_header(ikcli_buf *b, const char *target, const char *address, int family,
                             int max_hops, size_t payload_size) {
  char shown[IKCLI_SHOWN_NAME];
  target = ik_escape(target, shown, sizeof shown);
  ikcli_buf_printf(b, "traceroute to %s (%s), %d hops max, %lu byte packets\n", target, address,
                   max_hops, (unsigned long)packet_size(family, payload_size));
}

const char *ikcli_trace_annotation(const ik_reply *r, char *buf, size_t len) {
  /* traceroute(8) 2.1's parse_icmp_res, code by code (its "!F-<mtu>"
   * without the MTU, which an ik_reply does not carry). */
  static const char *const unreach4[16] = {"!N", "!H", "!P", "",   "!F", "!S", "!N", "!H",
                                           "!N", "!X", "!X", "!N", "!H", "!X", "!V", "!C"};
  static const char *const unreach6[5] = {"!N", "!X", "!H", "!H", ""};
  int v6 = r->family == IK_AF_INET6, code = r->code;
  if (ikcli_is_echo_reply(r) || (r->type == (v6 ? 3 : 11) && code == 0))
    return "";
  if (r->type == (v6 ? 1 : 3)) {
    if (code >= 0 && code < (v6 ? 5 : 16))
      return v6 ? unreach6[code] : unreach4[code];
    snprintf(buf, len, "!<%d>", code);
  } else if (v6 && r->type == 2) {
    return "!F";
  } else {
    snprintf(buf, len, "!<%d-%d>", r->type, code);
  }
  return buf;
}

void ikcli_traceroute_hop(ikcli_buf *b, const ik_hop *hop, int count) {
  const ik_host *h = &hop->host;
  const char *shown_source = h->address;
  size_t i;
  int shown = 0;
  /* The line starts with the router that answered first. */
  for (i = 0; i < h->replies_len; i++)
    if (!(h->replies[i].reply.flags & IK_REPLY_DUPLICATE)) {
      shown_source = h->replies[i].reply.source;
      break;
    }
  ikcli_buf_printf(b, "%2d  %s", hop->distance, shown_source);
  for (i = 0; i < h->replies_len; i++) {
    const ik_probe_reply *p = &h->replies[i];
    char t[32], mark[24];
    if (p->reply.flags & IK_REPLY_DUPLICATE)
      continue;
    /* Another router at the same distance (load balancing, a route
     * change): named before its time, as traceroute does. */
    if (strcmp(p->reply.source, shown_source) != 0) {
      shown_source = p->reply.source;
      ikcli_buf_printf(b, "  %s", shown_source);
    }
    const char *note = ikcli_trace_annotation(&p->reply, mark, sizeof mark);
    ikcli_format_rtt(t, sizeof t, p->rtt);
    ikcli_buf_printf(b, "  %s ms%s%s", t, *note ? " " : "", note);
    shown++;
  }
  /* A hop built from RTTs alone (no reply list) still shows its times. */
  if (h->replies_len == 0)
    for (i = 0; i < h->rtts_len; i++, shown++) {
      char t[32];
      ikcli_format_rtt(t, sizeof t, h->rtts[i]);
      ikcli_buf_printf(b, "  %s ms", t);
    }
  for (; shown < count; shown++)
    ikcli_buf_puts(b, " *");
  ikcli_buf_puts(b, "\n");
}

void ikcli_traceroute_silent(ikcli_buf *b, int distance, int count) {
  int i;
  ikcli_buf_printf(b, "%2d ", distance);
  for (i = 0; i < count; i++)
    ikcli_buf_puts(b, " *");
  ikcli_buf_puts(b, "\n");
}

static void json_host(ikcli_buf *b, const ik_host *h, int distance, const char *name,
                      const char *error) {
  size_t i;
  int first = 1;
  ikcli_buf_puts(b, "{");
  ikcli_json_key(b, "address", 1);
  ikcli_json_string(b, h->address);
  if (name != NULL) {
    ikcli_json_key(b, "name", 0);
    ikcli_json_string(b, name);
  }
  if (error != NULL) {
    ikcli_json_key(b, "error", 0);
    ikcli_json_string(b, error);
  }
  if (distance >= 0) {
    ikcli_json_key(b, "distance", 0);
    ikcli_json_int(b, distance);
  }
  ikcli_json_key(b, "packets_sent", 0);
  ikcli_json_int(b, h->packets_sent);
  ikcli_json_key(b, "packets_received", 0);
  ikcli_json_int(b, h->packets_received);
  ikcli_json_key(b, "packet_loss", 0);
  ikcli_json_number(b, h->packet_loss);
  ikcli_json_key(b, "min_rtt", 0);
  ikcli_json_number(b, h->min_rtt);
  ikcli_json_key(b, "avg_rtt", 0);
  ikcli_json_number(b, h->avg_rtt);
  ikcli_json_key(b, "max_rtt", 0);
  ikcli_json_number(b, h->max_rtt);
  ikcli_json_key(b, "jitter", 0);
  ikcli_json_number(b, h->jitter);
  ikcli_json_key(b, "rtts", 0);
  ikcli_buf_puts(b, "[");
  for (i = 0; i < h->rtts_len; i++) {
    if (i)
      ikcli_buf_puts(b, ",");
    ikcli_json_number(b, h->rtts[i]);
  }
  ikcli_buf_puts(b, "]");
  ikcli_json_key(b, "is_alive", 0);
  ikcli_json_bool(b, h->is_alive);
  ikcli_json_key(b, "duplicates", 0);
  ikcli_json_int(b, h->duplicates);
  if (distance < 0) { /* a failed send is a reply with error set */
    int send_errors = 0;
    for (i = 0; i < h->replies_len; i++)
      send_errors += h->replies[i].error != 0;
    ikcli_json_key(b, "send_errors", 0);
    ikcli_json_int(b, send_errors);
    ikcli_json_key(b, "local_drops", 0);
    ikcli_json_int(b, (long long)h->local_drops);
  }
  ikcli_json_key(b, "replies", 0);
  ikcli_buf_puts(b, "[");
  /* Messages received only: a failed send is in send_errors. */
  for (i = 0; i < h->replies_len; i++) {
    const ik_probe_reply *p = &h->replies[i];
    if (p->error != 0)
      continue;
    ikcli_buf_puts(b, first ? "{" : ",{");
    first = 0;
    ikcli_json_key(b, "sequence", 1);
    ikcli_json_int(b, p->sequence);
    ikcli_json_key(b, "source", 0);
    ikcli_json_string(b, p->reply.source);
    ikcli_json_key(b, "type", 0);
    ikcli_json_int(b, p->reply.type);
    ikcli_json_key(b, "code", 0);
    ikcli_json_int(b, p->reply.code);
    ikcli_json_key(b, "rtt", 0);
    ikcli_json_number(b, p->rtt);
    ikcli_json_key(b, "ttl", 0);
    if (p->reply.ttl >= 0)
      ikcli_json_int(b, p->reply.ttl);
    else
      ikcli_buf_puts(b, "null");
    ikcli_json_key(b, "bytes_received", 0);
    ikcli_json_int(b, (long long)p->reply.bytes_received);
    ikcli_json_key(b, "duplicate", 0);
    ikcli_json_bool(b, (p->reply.flags & IK_REPLY_DUPLICATE) != 0);
    ikcli_buf_puts(b, "}");
  }
  ikcli_buf_puts(b, "]}\n");
}

void ikcli_json_host(ikcli_buf *b, const ik_host *h, int distance) {
  json_host(b, h, distance, NULL, NULL);
}

void ikcli_json_target(ikcli_buf *b, const ik_host *h, const char *name, const char *error) {
  json_host(b, h, -1, name, error);
}

void ikcli_json_trace_end(ikcli_buf *b, const char *destination, int end, const ik_probe_reply *why,
                          size_t hops) {
  static const char *const ends[] = {"interrupted", "reached", "unreachable", "max_hops"};
  ikcli_buf_puts(b, "{");
  ikcli_json_key(b, "destination", 1);
  ikcli_json_string(b, destination);
  ikcli_json_key(b, "reached", 0);
  ikcli_json_bool(b, end == IK_TRACE_REACHED);
  ikcli_json_key(b, "hops", 0);
  ikcli_json_int(b, (long long)hops);
  ikcli_json_key(b, "end", 0);
  ikcli_json_string(b, end >= 0 && end <= IK_TRACE_MAX_HOPS ? ends[end] : "interrupted");
  if (end == IK_TRACE_UNREACHABLE && why != NULL) {
    char buf[24];
    ikcli_json_key(b, "annotation", 0);
    ikcli_json_string(b, ikcli_trace_annotation(&why->reply, buf, sizeof buf));
    ikcli_json_key(b, "source", 0);
    ikcli_json_string(b, why->reply.source);
    ikcli_json_key(b, "type", 0);
    ikcli_json_int(b, why->reply.type);
    ikcli_json_key(b, "code", 0);
    ikcli_json_int(b, why->reply.code);
  }
  ikcli_buf_puts(b, "}\n");
}
