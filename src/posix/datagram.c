/* Turning what recvmsg returned into an ik__received: data layout,
 * control messages (timestamp, TTL), source address, error queue. Kept
 * apart from the system calls so the unit tests can feed it buffers,
 * including the macOS/BSD layouts (built with IK_FORCE_BSD). */
#include "posix/posix.h"

#include <string.h>
#include <sys/time.h>
#include <time.h>

#if IK__POSIX_LINUX
#  include <linux/errqueue.h>
#  include <linux/net_tstamp.h>
#endif

int ik__posix_layout(int family, int unprivileged) {
  if (family != IK_AF_INET)
    return IK__LAYOUT_ICMP; /* no socket ever shows the IPv6 header */
  /* Linux strips the IPv4 header on ping sockets only. */
  return (IK__POSIX_LINUX && unprivileged) ? IK__LAYOUT_ICMP : IK__LAYOUT_IP;
}

int ik__posix_kernel_sets_id(int unprivileged) { return IK__POSIX_LINUX && unprivileged; }

int ik__posix_uses_errqueue(int unprivileged) { return IK__POSIX_LINUX && unprivileged; }

int ik__posix_to_sockaddr(const ik_address *a, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (a->family == IK_AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    sin->sin_family = AF_INET;
    memcpy(&sin->sin_addr, a->bytes, 4);
    *len = sizeof *sin;
  } else if (a->family == IK_AF_INET6) {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    memcpy(&sin6->sin6_addr, a->bytes, 16);
    sin6->sin6_scope_id = a->scope_id;
    *len = sizeof *sin6;
  } else {
    return ik__fail(IK_EINVAL, "address has no family");
  }
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) || \
  defined(__DragonFly__)
  ((struct sockaddr *)ss)->sa_len = (uint8_t)*len;
#endif
  return 0;
}

int ik__address_from_sockaddr(const struct sockaddr *sa, size_t len, ik_address *a) {
  memset(a, 0, sizeof *a);
  if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
    a->family = IK_AF_INET;
    memcpy(a->bytes, &sin->sin_addr, 4);
    return 0;
  }
  if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
    a->family = IK_AF_INET6;
    memcpy(a->bytes, &sin6->sin6_addr, 16);
    a->scope_id = sin6->sin6_scope_id;
    return 0;
  }
  return IK_EUNRELATED;
}

/* Receive time and TTL / hop limit from the control messages. */
static void read_control(const struct msghdr *msg, double *time, int *ttl) {
  struct cmsghdr *c;
  *time = 0;
  *ttl = -1;
  if (msg->msg_control == NULL)
    return;
  for (c = CMSG_FIRSTHDR((struct msghdr *)msg); c != NULL;
       c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
    const unsigned char *data = CMSG_DATA(c);
    size_t n = c->cmsg_len - (size_t)(data - (const unsigned char *)c);
    int v;
    if (c->cmsg_level == SOL_SOCKET) {
#if defined(SCM_TIMESTAMPNS)
      struct timespec ts;
      if (c->cmsg_type == SCM_TIMESTAMPNS && n >= sizeof ts) {
        memcpy(&ts, data, sizeof ts);
        *time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
      }
#endif
      if (c->cmsg_type == SCM_TIMESTAMP && n >= sizeof(struct timeval)) {
        struct timeval tv;
        memcpy(&tv, data, sizeof tv);
        *time = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
      }
    } else if (c->cmsg_level == IPPROTO_IP) {
#if IK__POSIX_BSD
      if (c->cmsg_type == IP_RECVTTL && n >= 1)
        *ttl = data[0];
#else
      if (c->cmsg_type == IP_TTL && n >= sizeof v) {
        memcpy(&v, data, sizeof v);
        *ttl = v;
      }
#endif
    } else if (c->cmsg_level == IPPROTO_IPV6) {
      if (c->cmsg_type == IPV6_HOPLIMIT && n >= sizeof v) {
        memcpy(&v, data, sizeof v);
        *ttl = v;
      }
    }
  }
}

static void fill_common(const struct msghdr *msg, ik__received *rx) {
  double stamp;
  int ttl;
  read_control(msg, &stamp, &ttl);
  rx->time = stamp > 0 ? stamp : ik__now_wall();
  if (rx->pkt.ttl >= 0)
    ttl = rx->pkt.ttl; /* the IP header itself beats a control message */
  rx->ttl = ttl;
  if (msg->msg_name == NULL || ik__address_from_sockaddr((const struct sockaddr *)msg->msg_name,
                                                         msg->msg_namelen, &rx->source) != 0)
    memset(&rx->source, 0, sizeof rx->source);
}

int ik__posix_decode(int family, int unprivileged, const struct msghdr *msg, size_t len,
                     ik__received *rx) {
  int err;
  memset(rx, 0, sizeof *rx);
  if (msg->msg_flags & MSG_TRUNC)
    return IK_ETRUNCATED; /* larger than the buffer it was read into */
  err = ik__parse(
    (const uint8_t *)msg->msg_iov[0].iov_base, len, family,
    ik__posix_layout(family, unprivileged) | (IK__POSIX_BSD ? IK__PARSE_BSD_KERNEL : 0), &rx->pkt);
  if (err != 0)
    return err;
  fill_common(msg, rx);
  if (rx->source.family == 0 && rx->pkt.ip_src.family != 0)
    rx->source = rx->pkt.ip_src;
  return 0;
}

#if IK__POSIX_LINUX
static const struct sock_extended_err *find_extended_err(const struct msghdr *msg, int family) {
  struct cmsghdr *c;
  for (c = CMSG_FIRSTHDR((struct msghdr *)msg); c != NULL;
       c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
    if ((family == IK_AF_INET && c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
        (family == IK_AF_INET6 && c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
      if (c->cmsg_len < CMSG_LEN(sizeof(struct sock_extended_err)))
        return NULL;
      return (const struct sock_extended_err *)(const void *)CMSG_DATA(c);
    }
  }
  return NULL;
}

int ik__posix_decode_errqueue(int family, const struct msghdr *msg, size_t len, ik__received *rx) {
  const uint8_t *buf = (const uint8_t *)msg->msg_iov[0].iov_base;
  const struct sock_extended_err *ee = find_extended_err(msg, family);
  struct sock_extended_err e;
  int echo_request = family == IK_AF_INET ? IK__V4_ECHO_REQUEST : IK__V6_ECHO_REQUEST;
  int origin = family == IK_AF_INET ? SO_EE_ORIGIN_ICMP : SO_EE_ORIGIN_ICMP6;
  struct cmsghdr *c;
  size_t offender_room;

  memset(rx, 0, sizeof *rx);
  if (ee == NULL)
    return IK_EMALFORMED;
  memcpy(&e, ee, sizeof e);
  if (e.ee_origin != origin)
    return IK_EUNRELATED; /* a transmit timestamp, or a local error */
  if (len < 8)
    return IK_ETRUNCATED;
  if (buf[0] != echo_request)
    return IK_EUNRELATED;

  rx->pkt.family = family;
  rx->pkt.type = e.ee_type;
  rx->pkt.code = e.ee_code;
  rx->pkt.is_error = 1;
  rx->pkt.id = (uint16_t)(buf[4] << 8 | buf[5]);
  rx->pkt.sequence = (uint16_t)(buf[6] << 8 | buf[7]);
  rx->pkt.ttl = -1;
  rx->pkt.data = buf + 8;
  rx->pkt.data_len = len - 8;
  rx->pkt.icmp_len = 8 + (family == IK_AF_INET ? 20 : 40) + len;
  rx->pkt.checksum_ok = -1;
  if (msg->msg_name != NULL)
    ik__address_from_sockaddr((const struct sockaddr *)msg->msg_name, msg->msg_namelen,
                              &rx->pkt.quoted_dst);

  fill_common(msg, rx);
  /* The sender of the ICMP error follows the extended error in its cmsg. */
  memset(&rx->source, 0, sizeof rx->source);
  for (c = CMSG_FIRSTHDR((struct msghdr *)msg); c != NULL;
       c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
    if ((const void *)CMSG_DATA(c) != (const void *)ee)
      continue;
    offender_room = c->cmsg_len - CMSG_LEN(sizeof e);
    if (offender_room >= sizeof(struct sockaddr_in))
      ik__address_from_sockaddr(SO_EE_OFFENDER(ee), offender_room, &rx->source);
  }
  return 0;
}

int ik__posix_decode_tx_stamp(int family, const struct msghdr *msg, uint32_t *key, double *time) {
  const struct sock_extended_err *ee = find_extended_err(msg, family);
  struct sock_extended_err e;
  struct cmsghdr *c;
  if (ee == NULL)
    return 0;
  memcpy(&e, ee, sizeof e);
  if (e.ee_origin != SO_EE_ORIGIN_TIMESTAMPING)
    return 0;
  *key = e.ee_data;
  *time = 0;
  for (c = CMSG_FIRSTHDR((struct msghdr *)msg); c != NULL;
       c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
    struct timespec ts; /* the first of scm_timestamping's three: software */
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING &&
        c->cmsg_len >= CMSG_LEN(sizeof ts)) {
      memcpy(&ts, CMSG_DATA(c), sizeof ts);
      *time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    }
  }
  return 1;
}
#endif
