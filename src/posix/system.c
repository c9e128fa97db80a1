/* System services for POSIX systems: clocks, randomness, process id,
 * atomics, interface names and getaddrinfo. */
#define _DEFAULT_SOURCE 1 /* glibc/musl: POSIX 2008 plus getrandom */
#define _DARWIN_C_SOURCE 1 /* macOS: arc4random_buf under -std=c11 */

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#  include <sys/random.h>
#  define IK__HAVE_GETRANDOM 1
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || \
    defined(__DragonFly__)
#  define IK__HAVE_ARC4RANDOM 1
#endif

#include "backend.h"

static double clock_seconds(clockid_t id) {
  struct timespec ts;
  if (clock_gettime(id, &ts) != 0) return 0.0;
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double ik__now_wall(void) { return clock_seconds(CLOCK_REALTIME); }

double ik__now_mono(void) { return clock_seconds(CLOCK_MONOTONIC); }

#if !defined(IK__HAVE_ARC4RANDOM)
static int urandom_bytes(uint8_t *p, size_t len) {
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  while (len > 0) {
    ssize_t r = read(fd, p, len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    p += r;
    len -= (size_t)r;
  }
  close(fd);
  return len == 0 ? 0 : -1;
}
#endif

/* Payload seeds need not be secret, only varied, so when every source
 * fails (a chroot without /dev, a seccomp filter) we fall back to mixing
 * the clock and PID rather than failing ik_request_init. */
void ik__random_bytes(void *buf, size_t len) {
  uint8_t *p = (uint8_t *)buf;
#if defined(IK__HAVE_ARC4RANDOM)
  arc4random_buf(p, len);
  return;
#else
#  if defined(IK__HAVE_GETRANDOM)
  while (len > 0) {
    ssize_t r = getrandom(p, len, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    p += r;
    len -= (size_t)r;
  }
  if (len == 0) return;
#  endif
  if (urandom_bytes(p, len) == 0) return;
  {
    uint64_t x = (uint64_t)(ik__now_mono() * 1e9) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)buf;
    size_t i;
    for (i = 0; i < len; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      p[i] = (uint8_t)x;
    }
  }
#endif
}

unsigned long ik__process_id(void) { return (unsigned long)getpid(); }

unsigned ik__atomic_fetch_inc(volatile unsigned *counter) {
  return __atomic_fetch_add(counter, 1u, __ATOMIC_RELAXED);
}

uint32_t ik__if_index(const char *name) {
  if (name == NULL || strlen(name) >= IF_NAMESIZE) return 0;
  return (uint32_t)if_nametoindex(name);
}

int ik__if_name(uint32_t index, char *buf, size_t len) {
  char name[IF_NAMESIZE];
  size_t n;
  if (buf == NULL || if_indextoname(index, name) == NULL)
    return ik__fail(IK_EINVAL, "no network interface has index %lu", (unsigned long)index);
  n = strlen(name);
  if (n >= len) return ik__fail(IK_ENOSPACE, "interface name '%s' does not fit in %zu bytes", name, len);
  memcpy(buf, name, n + 1);
  return 0;
}

static int to_address(const struct sockaddr *sa, ik_address *out) {
  memset(out, 0, sizeof *out);
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
    out->family = IK_AF_INET;
    memcpy(out->bytes, &in->sin_addr, 4);
    return 1;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
    out->family = IK_AF_INET6;
    memcpy(out->bytes, &in6->sin6_addr, 16);
    out->scope_id = in6->sin6_scope_id;
    return 1;
  }
  return 0;
}

static void add_unique(const ik_address *a, ik_address *out, size_t max, size_t *n) {
  size_t i;
  if (*n == max) return;
  for (i = 0; i < *n; i++)
    if (out[i].family == a->family && out[i].scope_id == a->scope_id &&
        memcmp(out[i].bytes, a->bytes, sizeof a->bytes) == 0)
      return;
  out[(*n)++] = *a;
}

/* The resolver's own order is kept within a family, but IPv4 comes first
 * for family 0, as icmplib tries A before AAAA. */
int ik__resolve(const char *name, int family, ik_address *out, size_t max, size_t *n) {
  struct addrinfo hints, *res = NULL, *ai;
  int rc, pass;

  memset(&hints, 0, sizeof hints);
  hints.ai_family = family == IK_AF_INET ? AF_INET : family == IK_AF_INET6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM; /* one entry per address, not one per socket type */
  *n = 0;
  rc = getaddrinfo(name, NULL, &hints, &res);
  if (rc != 0)
    return ik__fail(IK_ENAMELOOKUP, "cannot resolve '%.80s': %s", name,
                    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
  for (pass = 0; pass < 2; pass++) {
    int want = pass == 0 ? IK_AF_INET : IK_AF_INET6;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
      ik_address a;
      if (ai->ai_addr != NULL && to_address(ai->ai_addr, &a) && a.family == want) add_unique(&a, out, max, n);
    }
  }
  freeaddrinfo(res);
  if (*n == 0)
    return ik__fail(IK_ENAMELOOKUP, "cannot resolve '%.80s': no %s address", name,
                    family == IK_AF_INET ? "IPv4" : family == IK_AF_INET6 ? "IPv6" : "IP");
  return 0;
}

/* libevent needs no preparation on POSIX systems. */
int ik__libevent_init(void) { return 0; }
