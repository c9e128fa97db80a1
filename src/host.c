/* Statistics of ik_host results (icmplib's Host and Hop), and freeing them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Python's round(x, digits): the exact binary value rounded to the nearest
 * decimal, ties to even. printf's %.*f does exactly that (it converts the
 * exact binary value under round-to-nearest-even), and strtod brings back
 * the nearest double, which is what Python's round returns. */
static double round_like_python(double x, int digits) {
  char text[400];
  if (!isfinite(x))
    return x;
  if (digits == 3 && x >= 0 && x < 1e6) {
    /* The fast way, taken by every RTT and loss of a sweep: x * 1000 is
     * within 1.2e-7 of the exact product, so away from a tie its nearest
     * integer k is the exact one, and k / 1000 (one correctly rounded
     * division) is the double nearest to the decimal, which strtod gives. */
    double y = x * 1000.0, f = floor(y), d = y - f;
    if (d < 0.5 - 1e-6)
      return f / 1000.0;
    if (d > 0.5 + 1e-6)
      return (f + 1.0) / 1000.0;
  }
  snprintf(text, sizeof text, "%.*f", digits, x);
  return strtod(text, NULL);
}

void ik__host_stats_add(ik__host_stats *s, double rtt) {
  if (s->received == 0) {
    s->lo = s->hi = rtt;
  } else {
    /* |previous - this|, as icmplib's loop computes it. */
    s->deltas += s->last > rtt ? s->last - rtt : rtt - s->last;
    if (rtt < s->lo)
      s->lo = rtt;
    if (rtt > s->hi)
      s->hi = rtt;
  }
  /* Summed in order, one addition at a time, as icmplib's loop does: the
   * rounding of the last digit depends on it. */
  s->sum += rtt;
  s->last = rtt;
  s->received++;
}

void ik__host_finish_stats(ik_host *host, const ik__host_stats *s) {
  int n = s->received;

  host->packets_received = n;
  /* icmplib: 1 - received / sent rounded to 3 digits, 0 when nothing was
   * sent (Debian's python3-icmplib 2.1 models.py; icmplib 3 rounds to 2). */
  host->packet_loss = host->packets_sent > 0
                        ? round_like_python(1.0 - (double)n / (double)host->packets_sent, 3)
                        : 0.0;
  host->is_alive = n > 0;
  if (n == 0) {
    host->min_rtt = host->avg_rtt = host->max_rtt = host->jitter = 0.0;
    return;
  }
  host->min_rtt = round_like_python(s->lo, 3);
  host->max_rtt = round_like_python(s->hi, 3);
  host->avg_rtt = round_like_python(s->sum / (double)n, 3);
  /* icmplib 3's jitter: the mean absolute difference of consecutive RTTs,
   * 0 with fewer than two. */
  host->jitter = n < 2 ? 0.0 : round_like_python(s->deltas / (double)(n - 1), 3);
}

void ik__host_finish(ik_host *host) {
  ik__host_stats s;
  size_t i;
  memset(&s, 0, sizeof s);
  for (i = 0; i < host->rtts_len; i++)
    ik__host_stats_add(&s, host->rtts[i]);
  ik__host_finish_stats(host, &s);
}

void ik_host_free(ik_host *host) {
  if (host == NULL)
    return;
  free(host->rtts);
  free(host->replies);
  host->rtts = NULL;
  host->rtts_len = 0;
  host->replies = NULL;
  host->replies_len = 0;
}

void ik_hops_free(ik_hop *hops, size_t n) {
  size_t i;
  if (hops == NULL)
    return;
  for (i = 0; i < n; i++)
    ik_host_free(&hops[i].host);
  free(hops);
}
