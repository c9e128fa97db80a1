/* System services for POSIX systems: clocks, randomness, process id,
 * atomics, interface names and the resolver's error texts. */
#define _DEFAULT_SOURCE 1  /* glibc/musl: POSIX 2008 plus getrandom */
#define _DARWIN_C_SOURCE 1 /* macOS: arc4random_buf under -std=c11 */

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
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

#include <event2/dns.h>

#include "backend.h"

static double clock_seconds(clockid_t id) {
  struct timespec ts;
  if (clock_gettime(id, &ts) != 0)
    return 0.0;
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double ik__now_wall(void) { return clock_seconds(CLOCK_REALTIME); }

double ik__now_mono(void) { return clock_seconds(CLOCK_MONOTONIC); }

#if !defined(IK__HAVE_ARC4RANDOM)
static int urandom_bytes(uint8_t *p, size_t len) {
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  while (len > 0) {
    ssize_t r = read(fd, p, len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
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
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    p += r;
    len -= (size_t)r;
  }
  if (len == 0)
    return;
#  endif
  if (urandom_bytes(p, len) == 0)
    return;
  {
    uint64_t x =
      (uint64_t)(ik__now_mono() * 1e9) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)buf;
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

unsigned ik__atomic_cas(volatile unsigned *p, unsigned expected, unsigned desired) {
  __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
  return expected;
}

/* An interface name (public, icmpkit.h) rather than a mistyped address:
 * shorter than IF_NAMESIZE, not only digits and dots (IPv4), no ':'
 * (IPv6), '/', '%' or blank. The CLI checks -I and the monitor's config
 * its source with it, before any socket. */
int ik_is_interface_name(const char *text) {
  size_t n;
  if (text == NULL || (n = strlen(text)) == 0 || n >= IF_NAMESIZE ||
      strspn(text, "0123456789.") == n)
    return 0;
  return strpbrk(text, ":/% \t\n") == NULL;
}

uint32_t ik__if_index(const char *name) {
  if (name == NULL || strlen(name) >= IF_NAMESIZE)
    return 0;
  return (uint32_t)if_nametoindex(name);
}

int ik__if_name(uint32_t index, char *buf, size_t len) {
  char name[IF_NAMESIZE];
  size_t n;
  if (buf == NULL || if_indextoname(index, name) == NULL)
    return ik__fail(IK_EINVAL, "no network interface has index %lu", (unsigned long)index);
  n = strlen(name);
  if (n >= len)
    return ik__fail(IK_ENOSPACE, "interface name '%s' does not fit in %zu bytes", name, len);
  memcpy(buf, name, n + 1);
  return 0;
}

/* EAI_SYSTEM leaves the reason in errno, which nothing after getaddrinfo
 * touched. */
const char *ik__lookup_error_text(int rc, char *buf, size_t len) {
  snprintf(buf, len, "%s", rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
  return buf;
}

/* libevent's parser reads the file's nameserver, search, domain and
 * options lines and loads /etc/hosts first. A missing file (1) or one
 * without servers (6) leaves 127.0.0.1, as the C library does. */
int ik__dns_configure(struct evdns_base *dns) {
  int rc = evdns_base_resolv_conf_parse(dns, DNS_OPTIONS_ALL, "/etc/resolv.conf");
  if (rc == 0 || rc == 1 || rc == 6)
    return 0;
  return ik__fail(IK_ENAMELOOKUP, "cannot read /etc/resolv.conf (libevent's error %d)", rc);
}

/* libevent needs no preparation on POSIX systems. */
int ik__libevent_init(void) { return 0; }
