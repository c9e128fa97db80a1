/* Pings every host named on the command line at once, inside the
 * program's own libevent loop, while a timer of that loop keeps ticking:
 * the probing never blocks the loop. Each reply is printed as it arrives,
 * a summary per host at the end; exit status 0 when every host answered.
 *
 * usage: async_multiping [--unprivileged] HOST... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#if defined(_WIN32)
#  include <winsock2.h>
#endif

#include <icmpkit.h>

typedef struct state {
  struct event_base *base;
  const char *const *names;
  int ticks;
  int done, status;
} state;

static void on_tick(evutil_socket_t fd, short what, void *arg) {
  state *s = (state *)arg;
  (void)fd;
  (void)what;
  printf("tick %d\n", ++s->ticks);
}

static void on_reply(void *arg, size_t index, const ik_probe_reply *r) {
  state *s = (state *)arg;
  if (ik_reply_check(&r->reply) == IK_OK)
    printf("%s: reply from %s icmp_seq=%u time=%.3f ms\n", s->names[index], r->reply.source,
           (unsigned)r->sequence, r->rtt);
  else
    printf("%s: from %s icmp_seq=%u %s\n", s->names[index], r->reply.source, (unsigned)r->sequence,
           ik_reply_message(&r->reply));
}

static void on_done(int status, void *arg) {
  state *s = (state *)arg;
  s->done = 1;
  s->status = status;
  event_base_loopbreak(s->base); /* the ticking timer would keep the loop alive */
}

int main(int argc, char **argv) {
  const struct timeval period = {0, 100000};
  ik_ping_options opts;
  ik_host *hosts;
  struct event *ticker;
  state s;
  int first = 1, n, i, alive = 0, err;

#if defined(_WIN32)
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
    return 2;
#endif
  ik_multiping_options_init(&opts);
  opts.count = 3;
  opts.interval = 0.2;
  opts.timeout = 1;
  if (argc > 1 && strcmp(argv[1], "--unprivileged") == 0) {
    opts.privileged = 0;
    first = 2;
  }
  n = argc - first;
  if (n < 1) {
    fprintf(stderr, "usage: async_multiping [--unprivileged] HOST...\n");
    return 2;
  }
  memset(&s, 0, sizeof s);
  s.names = (const char *const *)(argv + first);
  opts.on_reply = on_reply;
  opts.on_reply_arg = &s;
  if ((s.base = event_base_new()) == NULL || (hosts = calloc((size_t)n, sizeof *hosts)) == NULL) {
    fprintf(stderr, "out of memory\n");
    return 2;
  }
  ticker = event_new(s.base, -1, EV_PERSIST, on_tick, &s);
  event_add(ticker, &period);
  /* NULL job handle: the job frees itself once on_done has run. */
  err = ik_async_multiping(s.base, s.names, (size_t)n, &opts, hosts, on_done, &s, NULL);
  if (err != 0) {
    fprintf(stderr, "async_multiping: %s: %s\n", ik_strerror(err), ik_last_error());
    return 2;
  }
  while (!s.done)
    event_base_dispatch(s.base);
  if (s.status != 0)
    fprintf(stderr, "async_multiping: %s\n", ik_strerror(s.status));
  for (i = 0; i < n; i++) {
    printf("%s: %d sent, %d received, avg %.3f ms, %s\n", hosts[i].address, hosts[i].packets_sent,
           hosts[i].packets_received, hosts[i].avg_rtt, hosts[i].is_alive ? "alive" : "not alive");
    alive += hosts[i].is_alive != 0;
    ik_host_free(&hosts[i]);
  }
  printf("%d ticks while pinging\n", s.ticks);
  free(hosts);
  event_free(ticker);
  event_base_free(s.base);
  return s.status == 0 && alive == n ? 0 : 1;
}
