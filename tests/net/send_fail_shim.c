/* LD_PRELOAD library for the send back-off tests (test_send_backoff.cpp):
 * makes sends on ICMP sockets fail with ENOBUFS or EAGAIN, which loopback
 * never does by itself, so the tests can watch the library wait and send
 * again instead of dropping the probe.
 *
 * Environment:
 *   IKSHIM_ERRNO=ENOBUFS|EAGAIN  the error to inject (default ENOBUFS)
 *   IKSHIM_FAIL_EVERY=K          after every K - 1 sends (sendto, sendmsg,
 *                                sendmmsg) on ICMP sockets that went through,
 *                                the next starts an injection (0: never; 1:
 *                                every send fails). Counting only those that
 *                                went through keeps a caller whose retries
 *                                fall in step with the count from failing
 *                                forever
 *   IKSHIM_FAIL_MS=D             an injection lasts D milliseconds: every send
 *                                meanwhile fails too, as a full buffer would
 *                                (default 0: the one call)
 *   IKSHIM_PARTIAL=1             a sendmmsg of n >= 2 messages that starts an
 *                                injection sends the first n / 2 and returns
 *                                that count, as the kernel does when its
 *                                buffer fills up in the middle of a vector
 *   IKSHIM_REPORT=FILE           written at exit: "injections N failed M
 *                                partial P sends S gap G" (S: every send call
 *                                on an ICMP socket, failed or not; G: the
 *                                shortest time in microseconds between two
 *                                messages that went out, 0 when two went in one
 *                                sendmmsg, -1 when fewer than two went out)
 *
 * The tools are single-threaded: the counters are not atomic. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

typedef ssize_t (*sendto_fn)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);
typedef int (*sendmmsg_fn)(int, struct mmsghdr *, unsigned int, int);

static int fail_errno = ENOBUFS, partial;
static unsigned long every, window_ns;
static unsigned long sends, injections, failed, partials;
static unsigned long through; /* sends that went through since the last injection */
static double window_end; /* CLOCK_MONOTONIC seconds; 0: no window open */
static double last_out, min_gap = -1;
static const char *report;

/* dlsym gives a data pointer; ISO C has no cast from it to a function. */
static void next_symbol(const char *name, void *fn, size_t size) {
  void *p = dlsym(RTLD_NEXT, name);
  if (p == NULL) {
    fprintf(stderr, "send_fail_shim: no next %s: %s\n", name, dlerror());
    abort();
  }
  memcpy(fn, &p, size);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

__attribute__((constructor)) static void setup(void) {
  const char *e = getenv("IKSHIM_ERRNO");
  if (e != NULL && strcmp(e, "EAGAIN") == 0)
    fail_errno = EAGAIN;
  else if (e != NULL && *e != '\0' && strcmp(e, "ENOBUFS") != 0) {
    fprintf(stderr, "send_fail_shim: IKSHIM_ERRNO=%s: use ENOBUFS or EAGAIN\n", e);
    abort();
  }
  if ((e = getenv("IKSHIM_FAIL_EVERY")) != NULL)
    every = strtoul(e, NULL, 10);
  if ((e = getenv("IKSHIM_FAIL_MS")) != NULL)
    window_ns = strtoul(e, NULL, 10) * 1000000ul;
  partial = (e = getenv("IKSHIM_PARTIAL")) != NULL && strcmp(e, "1") == 0;
  report = getenv("IKSHIM_REPORT");
}

__attribute__((destructor)) static void write_report(void) {
  FILE *f;
  if (report == NULL || (f = fopen(report, "w")) == NULL)
    return;
  fprintf(f, "injections %lu failed %lu partial %lu sends %lu gap %.0f\n", injections, failed,
          partials, sends, min_gap < 0 ? -1 : min_gap * 1e6);
  fclose(f);
}

static int is_icmp(int fd) {
  int proto = 0;
  socklen_t len = sizeof proto;
  return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 &&
         (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6);
}

/* -1: not an ICMP socket; 2: this call starts an injection; 1: it falls
 * in an open window; 0: it goes through. */
static int verdict(int fd) {
  if (!is_icmp(fd))
    return -1;
  sends++;
  if (window_end > 0) {
    if (now() < window_end)
      return 1;
    window_end = 0;
  }
  if (every == 0 || ++through < every)
    return 0;
  through = 0;
  injections++;
  if (window_ns > 0)
    window_end = now() + (double)window_ns * 1e-9;
  return 2;
}

/* Notes that n messages went out at once, for the report's gap. */
static void went_out(int v, long n) {
  double t;
  if (v < 0 || n <= 0)
    return;
  t = now();
  if (last_out > 0 && (min_gap < 0 || t - last_out < min_gap))
    min_gap = t - last_out;
  if (n > 1)
    min_gap = 0;
  last_out = t;
}

static int fail(void) {
  failed++;
  errno = fail_errno;
  return -1;
}

/* glibc declares the address a transparent union (a GNU extension that
 * -Wpedantic names), which a plain pointer matches in every call. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
               socklen_t tolen) {
  static sendto_fn real;
  ssize_t r;
  int v;
  if (real == NULL)
    next_symbol("sendto", &real, sizeof real);
  if ((v = verdict(fd)) > 0)
    return fail();
  r = real(fd, buf, len, flags, to, tolen);
  went_out(v, r >= 0);
  return r;
}
#pragma GCC diagnostic pop

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
  static sendmsg_fn real;
  ssize_t r;
  int v;
  if (real == NULL)
    next_symbol("sendmsg", &real, sizeof real);
  if ((v = verdict(fd)) > 0)
    return fail();
  r = real(fd, msg, flags);
  went_out(v, r >= 0);
  return r;
}

int sendmmsg(int fd, struct mmsghdr *vec, unsigned int n, int flags) {
  static sendmmsg_fn real;
  int v, r;
  if (real == NULL)
    next_symbol("sendmmsg", &real, sizeof real);
  if ((v = verdict(fd)) == 2 && partial && n >= 2) {
    partials++;
    n /= 2;
  } else if (v > 0) {
    return fail();
  }
  r = real(fd, vec, n, flags);
  went_out(v, r);
  return r;
}
