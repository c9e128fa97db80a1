/* async_scale: the event-loop benchmark. N receives pending at once on one
 * asynchronous socket, then N echo requests whose replies complete them;
 * against ik_multiping sweeping the same N hosts in the same process.
 *
 *   async_scale [-n N] [-u]      (-u: unprivileged DGRAM socket)
 *
 * Prints one line of key=value pairs:
 *   pending        receives started and pending at once
 *   heap_per       heap bytes per pending receive (mallinfo2 delta; -1
 *                  without glibc)
 *   rss_per        resident-set bytes per pending receive (statm delta)
 *   register_s     time to start the N receives
 *   complete_s     time from the first send to the last completion
 *   replies        receives completed with a reply (must be N)
 *   sweep_s        ik_multiping of the same N hosts (count 1, timeout 1,
 *                  rate 0), wall time of the call
 *   sweep_replies  hosts that answered the sweep
 * Hosts are 127.8.0.1 onwards: run it in a network namespace (bench/run). */
#define _GNU_SOURCE
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __GLIBC__
#  include <malloc.h>
#endif

#include "icmpkit.h"

typedef struct state {
  struct event_base *base;
  size_t want, done, replies;
  double last;
} state;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long heap_bytes(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 mi = mallinfo2();
  return (long)(mi.uordblks + mi.hblkhd);
#else
  return -1;
#endif
}

static long rss_bytes(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f == NULL)
    return 0;
  if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
    resident = 0;
  fclose(f);
  return resident * sysconf(_SC_PAGESIZE);
}

static void host_text(size_t i, char *buf, size_t len) {
  unsigned long a = 0x7f080001ul + (unsigned long)i;
  snprintf(buf, len, "127.%lu.%lu.%lu", (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static void on_receive(int status, const ik_reply *reply, void *arg) {
  state *st = arg;
  (void)reply;
  if (status == IK_OK)
    st->replies++;
  if (++st->done == st->want) {
    st->last = now();
    event_base_loopbreak(st->base);
  }
}

static int fail(const char *what, int err) {
  fprintf(stderr, "async_scale: %s: %s (%s)\n", what, ik_strerror(err), ik_last_error());
  return 1;
}

/* Sends every request, letting the loop read replies in between so the
 * socket's receive buffer never overflows. */
static int send_all(ik_async *async, struct event_base *base, ik_request *reqs, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    int rc;
    while ((rc = ik_async_send(async, &reqs[i])) == IK_ENOBUFS)
      event_base_loop(base, EVLOOP_NONBLOCK);
    if (rc != IK_OK)
      return fail("ik_async_send", rc);
    if (i % 256 == 255)
      event_base_loop(base, EVLOOP_NONBLOCK);
  }
  return 0;
}

static int run_async(size_t n, unsigned flags, double *register_s, double *complete_s,
                     long *heap_per, long *rss_per, size_t *replies) {
  state st;
  ik_socket *sock = NULL;
  ik_async *async = NULL;
  ik_request *reqs = calloc(n, sizeof *reqs);
  uint16_t id = ik_unique_identifier();
  long heap0, rss0;
  double t0, t1;
  size_t i;
  int rc;

  memset(&st, 0, sizeof st);
  st.base = event_base_new();
  if (reqs == NULL || st.base == NULL)
    return fail("setup", IK_ENOMEM);
  for (i = 0; i < n; i++) {
    char text[IK_ADDRSTRLEN];
    host_text(i, text, sizeof text);
    /* (id, sequence) stays unique past 65,536 requests. */
    if ((rc = ik_request_init(&reqs[i], text, (long)(id + (i >> 16)), (long)(i & 0xffff))) != 0)
      return fail("ik_request_init", rc);
  }
  if ((rc = ik_socket_open(&sock, IK_AF_INET, NULL, flags)) != 0)
    return fail("ik_socket_open", rc);
  if ((rc = ik_async_new(st.base, sock, &async)) != 0)
    return fail("ik_async_new", rc);

  st.want = n;
  heap0 = heap_bytes();
  rss0 = rss_bytes();
  t0 = now();
  for (i = 0; i < n; i++)
    if ((rc = ik_async_receive(async, &reqs[i], 10.0, on_receive, &st)) != 0)
      return fail("ik_async_receive", rc);
  t1 = now();
  *heap_per = heap0 < 0 ? -1 : (heap_bytes() - heap0) / (long)n;
  *rss_per = (rss_bytes() - rss0) / (long)n;
  *register_s = t1 - t0;

  if (send_all(async, st.base, reqs, n) != 0)
    return 1;
  if (st.done < n)
    event_base_dispatch(st.base);
  *complete_s = st.last - t1;
  *replies = st.replies;

  ik_async_free(async);
  ik_socket_free(sock);
  event_base_free(st.base);
  free(reqs);
  return 0;
}

static int run_sweep(size_t n, unsigned flags, double *sweep_s, size_t *replies) {
  char(*texts)[IK_ADDRSTRLEN] = calloc(n, sizeof *texts);
  const char **addrs = calloc(n, sizeof *addrs);
  ik_host *hosts = calloc(n, sizeof *hosts);
  ik_ping_options opts;
  double t0;
  size_t i;
  int rc;

  if (texts == NULL || addrs == NULL || hosts == NULL)
    return fail("setup", IK_ENOMEM);
  for (i = 0; i < n; i++) {
    host_text(i, texts[i], sizeof texts[i]);
    addrs[i] = texts[i];
  }
  ik_multiping_options_init(&opts);
  opts.count = 1;
  opts.interval = 0;
  opts.timeout = 1;
  opts.rate = 0;
  opts.privileged = !(flags & IK_SOCKET_UNPRIVILEGED);
  t0 = now();
  rc = ik_multiping(addrs, n, &opts, hosts);
  *sweep_s = now() - t0;
  if (rc != 0)
    return fail("ik_multiping", rc);
  *replies = 0;
  for (i = 0; i < n; i++) {
    *replies += hosts[i].packets_received > 0;
    ik_host_free(&hosts[i]);
  }
  free(hosts);
  free(addrs);
  free(texts);
  return 0;
}

int main(int argc, char **argv) {
  size_t n = 100000, replies = 0, sweep_replies = 0;
  unsigned flags = 0;
  double register_s = 0, complete_s = 0, sweep_s = 0;
  long heap_per = 0, rss_per = 0;
  int opt;

  while ((opt = getopt(argc, argv, "n:u")) != -1) {
    if (opt == 'n')
      n = (size_t)strtoul(optarg, NULL, 10);
    else if (opt == 'u')
      flags = IK_SOCKET_UNPRIVILEGED;
    else
      return 2;
  }
  if (n < 1 || n > (1u << 24) - 2) {
    fprintf(stderr, "usage: async_scale [-n N(1..16777214)] [-u]\n");
    return 2;
  }
  if (run_async(n, flags, &register_s, &complete_s, &heap_per, &rss_per, &replies) != 0)
    return 1;
  if (run_sweep(n, flags, &sweep_s, &sweep_replies) != 0)
    return 1;
  printf(
    "pending=%zu heap_per=%ld rss_per=%ld register_s=%.6f complete_s=%.6f replies=%zu "
    "sweep_s=%.6f sweep_replies=%zu\n",
    n, heap_per, rss_per, register_s, complete_s, replies, sweep_s, sweep_replies);
  return replies == n && sweep_replies == n ? 0 : 1;
}
