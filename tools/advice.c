/* ikcli_permission_advice (advice.h). */
#include "advice.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icmpkit.h"

typedef struct text {
  char *buf;
  size_t len, used;
} text;

static void add(text *t, const char *fmt, ...) {
  va_list ap;
  int n;
  if (t->used >= t->len)
    return;
  va_start(ap, fmt);
  n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
  va_end(ap);
  if (n > 0)
    t->used = t->used + (size_t)n < t->len ? t->used + (size_t)n : t->len - 1;
}

int ikcli_groups_in_range(const char *range, const unsigned long *groups, size_t n) {
  char *end;
  unsigned long low, high;
  size_t i;
  if (range == NULL)
    return 0;
  low = strtoul(range, &end, 10);
  if (end == range)
    return 0;
  high = strtoul(end, &end, 10);
  for (i = 0; i < n; i++)
    if (low <= groups[i] && groups[i] <= high)
      return 1;
  return 0;
}

int ikcli_permission_advice(const ikcli_situation *s, char *buf, size_t len) {
  text t = {buf, len, 0};
  const char *v = s->family == IK_AF_INET6 ? "ICMPv6" : "ICMP";
  int raw_ok = s->has_cap_net_raw, dgram_ok = s->in_range, n = 0;
  int want_raw = s->mode != 0, want_dgram = s->mode != 1;
  const char *range = s->range != NULL && *s->range ? s->range : "unknown";

  if (len == 0)
    return 0;
  buf[0] = '\0';
  if (s->mode == 1)
    add(&t, "--privileged needs a raw %s socket, which needs CAP_NET_RAW; ", v);
  else if (s->mode == 0)
    add(&t,
        "--unprivileged needs a datagram %s socket, which needs a group of yours inside\n"
        "net.ipv4.ping_group_range (now \"%s\"); ",
        v, range);
  else
    add(&t,
        "a datagram %s socket needs a group of yours inside net.ipv4.ping_group_range\n"
        "(now \"%s\"); a raw one needs CAP_NET_RAW; ",
        v, range);
  add(&t, "you are uid %lu gid %lu, %s the range, %s CAP_NET_RAW.\n", s->uid, s->gid,
      dgram_ok ? "inside" : "outside", raw_ok ? "with" : "without");

  if ((!want_raw || raw_ok) && (!want_dgram || dgram_ok)) {
    add(&t,
        "What is needed holds, yet the system refused the socket (a container, seccomp,\n"
        "SELinux or AppArmor policy?).\n");
  } else {
    add(&t, "Do one of:\n");
    if (want_dgram && !dgram_ok) {
      add(&t, "  sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"   (as root)\n");
      n++;
    }
    if (want_raw && !raw_ok) {
      if (s->uid == 0) {
        add(&t, "  give this root process CAP_NET_RAW (it lacks it: a container?)\n");
        n++;
      } else {
        add(&t, "  setcap cap_net_raw+ep %s   (as root)\n",
            s->binary != NULL ? s->binary : "icmpkit");
        add(&t, "  run icmpkit as root\n");
        n += 2;
      }
    }
  }
  /* The other mode works as things stand: say so rather than change the system. */
  if (s->mode == 1 && dgram_ok) {
    add(&t, "  or leave out --privileged: your group may open datagram sockets\n");
    n++;
  } else if (s->mode == 0 && raw_ok) {
    add(&t, "  or leave out --unprivileged: this process may open raw sockets\n");
    n++;
  }
  return n;
}
