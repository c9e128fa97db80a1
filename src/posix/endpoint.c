/* The POSIX ICMP endpoint: raw (privileged) or datagram (unprivileged)
 * ICMP sockets, talking to the kernel. Decoding of what arrives is in
 * datagram.c, matching in ../match.c. */
#include "posix/posix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <sys/uio.h>

#if IK__POSIX_LINUX
#  include <linux/icmp.h> /* ICMP_FILTER */
#  include <linux/net_tstamp.h>
#  ifndef SOF_TIMESTAMPING_OPT_RX_FILTER
#    define SOF_TIMESTAMPING_OPT_RX_FILTER (1 << 17) /* Linux 6.12 */
#  endif
#endif

#include <event2/event.h>

#define IK__BATCH 64    /* datagrams per recvmmsg */
#define IK__SLOT 2048   /* bytes per batched datagram */
#define IK__RCVBUF (1 << 20) /* room for bursts of replies (the kernel clamps it) */
#define IK__STAMP 1          /* receive_one: the entry was a transmit timestamp */

struct ik__endpoint {
  int fd;
  int family;
  int unprivileged;
  int errqueue;       /* ICMP errors come through MSG_ERRQUEUE */
  int errq_maybe;     /* the error queue may hold entries (see ik__ep_read) */
  int ttl, mcast_ttl; /* last values set on the socket, -1: not yet */
  int tclass;
  int kernel_id;      /* Linux DGRAM: the identifier the kernel writes, -1: unknown */
  struct event *watch;
  void (*ready)(void *arg);
  void *ready_arg;
  union { size_t align; unsigned char bytes[512]; } control; /* cmsghdr alignment */
  uint8_t rxbuf[IK__POSIX_RXBUF];
  uint8_t txbuf[8 + IK_MAX_PAYLOAD_SIZE + 16];
  size_t largest_sent; /* longest echo request sent, in bytes */
#if IK__POSIX_LINUX
  /* Transmit timestamps (see collect_tx_stamp). */
  int tx_stamps;      /* single sends ask the kernel for one */
  int stamps_maybe;   /* the error queue may hold a late one */
  uint32_t tskey;     /* the key the kernel gives the next one */
  uint32_t last_key;  /* the last one read: its key and time */
  double last_stamp;
  unsigned long stamped; /* sends whose req->time is the kernel's stamp */
  /* An error-queue entry that was not our timestamp, read while looking
   * for it: ik__ep_read hands it out first. */
  int stash_full, stash_err;
  ik__received stash;
  uint8_t stash_data[IK__POSIX_RXBUF];
  /* Datagrams taken by one recvmmsg and not yet handed out. Batches are
   * read while every request sent fits a slot with an IP header, so our
   * replies, and the errors quoting our requests (at most 576 / 1280 bytes),
   * are never cut; a larger foreign datagram shows as truncated and is
   * skipped. */
  struct mmsghdr batch[IK__BATCH];
  struct iovec batch_iov[IK__BATCH];
  struct sockaddr_storage batch_from[IK__BATCH];
  union { size_t align; unsigned char bytes[128]; } batch_control[IK__BATCH];
  uint8_t batch_data[IK__BATCH][IK__SLOT];
  unsigned batch_next, batch_count;
  /* One sendmmsg: requests built and addressed. */
  struct mmsghdr tx[IK__BATCH];
  struct iovec tx_iov[IK__BATCH];
  struct sockaddr_storage tx_to[IK__BATCH];
  uint8_t tx_data[IK__BATCH][IK__SLOT];
#endif
};

static const char *family_name(int family) { return family == IK_AF_INET ? "IPv4" : "IPv6"; }

static int set_int(ik__endpoint *ep, int level, int name, int value, const char *what) {
  if (setsockopt(ep->fd, level, name, &value, sizeof value) != 0)
    return ik__fail(IK_ESOCKET, "setsockopt(%s, %d): %s", what, value, strerror(errno));
  return 0;
}

static int open_error(int family, int unprivileged, int e) {
  const char *kind = unprivileged ? "unprivileged (SOCK_DGRAM)" : "raw";
  if (e == EPERM || e == EACCES) {
    if (unprivileged)
      return ik__fail(IK_EPERMISSION,
                      "cannot open an unprivileged %s ICMP socket: %s; allow your group with "
                      "sysctl net.ipv4.ping_group_range (e.g. \"0 2147483647\"), or run as root, "
                      "or give the program CAP_NET_RAW (setcap cap_net_raw+ep PROGRAM) and use "
                      "a raw socket",
                      family_name(family), strerror(e));
    return ik__fail(IK_EPERMISSION,
                    "cannot open a raw %s ICMP socket: %s; run as root, or give the program "
                    "CAP_NET_RAW (setcap cap_net_raw+ep PROGRAM), or use an unprivileged socket "
                    "(IK_SOCKET_UNPRIVILEGED) with your group in net.ipv4.ping_group_range",
                    family_name(family), strerror(e));
  }
  if (e == EAFNOSUPPORT || e == EPROTONOSUPPORT || e == ESOCKTNOSUPPORT)
    return ik__fail(IK_ENOTSUP, "%s %s ICMP sockets are not available here: %s",
                    family_name(family), kind, strerror(e));
  if (e == ENOMEM || e == ENOBUFS)
    return ik__fail(IK_ENOMEM, "socket: %s", strerror(e));
  return ik__fail(IK_ESOCKET, "socket: %s", strerror(e));
}

/* Lets only echo replies and errors wake us on raw sockets, which
 * otherwise see every ICMP message of the host. */
static int install_filter(ik__endpoint *ep) {
  if (ep->family == IK_AF_INET) {
#if IK__POSIX_LINUX
    struct icmp_filter f;
    if (ep->unprivileged)
      return 0; /* ping sockets filter by identifier themselves */
    /* A set bit blocks that type. */
    f.data = ~((1u << IK__V4_ECHO_REPLY) | (1u << IK__V4_DEST_UNREACH) |
               (1u << IK__V4_SOURCE_QUENCH) | (1u << IK__V4_REDIRECT) |
               (1u << IK__V4_TIME_EXCEEDED) | (1u << IK__V4_PARAM_PROBLEM));
    if (setsockopt(ep->fd, SOL_RAW, ICMP_FILTER, &f, sizeof f) != 0)
      return ik__fail(IK_ESOCKET, "setsockopt(ICMP_FILTER): %s", strerror(errno));
#endif
    return 0; /* the BSDs have no IPv4 filter: the codec drops other types */
  } else {
    struct icmp6_filter f;
    ICMP6_FILTER_SETBLOCKALL(&f);
    ICMP6_FILTER_SETPASS(IK__V6_ECHO_REPLY, &f);
    ICMP6_FILTER_SETPASS(IK__V6_DEST_UNREACH, &f);
    ICMP6_FILTER_SETPASS(IK__V6_PACKET_TOO_BIG, &f);
    ICMP6_FILTER_SETPASS(IK__V6_TIME_EXCEEDED, &f);
    ICMP6_FILTER_SETPASS(IK__V6_PARAM_PROBLEM, &f);
    if (setsockopt(ep->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f) != 0) {
      /* Linux ping sockets have no filter (they filter by identifier);
       * macOS unprivileged ones may, and otherwise the codec drops
       * neighbour discovery and the like. */
      if (ep->unprivileged)
        return 0;
      return ik__fail(IK_ESOCKET, "setsockopt(ICMP6_FILTER): %s", strerror(errno));
    }
    return 0;
  }
}

#if IK__POSIX_LINUX
/* Reporting flags only: each single send asks for its own software
 * transmit stamp (a control message), so batches cost nothing more.
 * OPT_RX_FILTER keeps the stamps' control message off received datagrams,
 * which carry SO_TIMESTAMPNS already; kernels before 6.12 refuse the flag
 * and add it, which read_control ignores. Kernels that refuse both leave
 * RTTs starting at the user-space send time. */
static void enable_tx_stamps(ik__endpoint *ep) {
  int flags = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY | SOF_TIMESTAMPING_OPT_ID;
  int filtered = flags | SOF_TIMESTAMPING_OPT_RX_FILTER;
  ep->tx_stamps = setsockopt(ep->fd, SOL_SOCKET, SO_TIMESTAMPING, &filtered, sizeof filtered) == 0 ||
                  setsockopt(ep->fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) == 0;
}
#endif

static int configure(ik__endpoint *ep) {
  int err, flags = fcntl(ep->fd, F_GETFL);
  if (flags < 0 || fcntl(ep->fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
      fcntl(ep->fd, F_SETFD, FD_CLOEXEC) != 0)
    return ik__fail(IK_ESOCKET, "fcntl: %s", strerror(errno));
  if ((err = install_filter(ep)) != 0 ||
      (err = set_int(ep, SOL_SOCKET, SO_RCVBUF, IK__RCVBUF, "SO_RCVBUF")) != 0)
    return err;
#if defined(SO_TIMESTAMPNS)
  err = set_int(ep, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS");
#else
  err = set_int(ep, SOL_SOCKET, SO_TIMESTAMP, 1, "SO_TIMESTAMP");
#endif
  if (err != 0)
    return err;
  if (ep->family == IK_AF_INET) {
    /* Raw IPv4 datagrams carry their IP header, hence their TTL. */
    if (ik__posix_layout(ep->family, ep->unprivileged) == IK__LAYOUT_ICMP &&
        (err = set_int(ep, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL")) != 0)
      return err;
  } else if ((err = set_int(ep, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT")) != 0) {
    return err;
  }
#if IK__POSIX_LINUX
  enable_tx_stamps(ep);
  if (ep->errqueue)
    return ep->family == IK_AF_INET ? set_int(ep, IPPROTO_IP, IP_RECVERR, 1, "IP_RECVERR")
                                    : set_int(ep, IPPROTO_IPV6, IPV6_RECVERR, 1, "IPV6_RECVERR");
#endif
  return 0;
}

static int bind_source(ik__endpoint *ep, const ik_address *source) {
  struct sockaddr_storage ss;
  socklen_t len;
  char text[IK_ADDRSTRLEN];
  int err = ik__posix_to_sockaddr(source, &ss, &len);
  if (err != 0)
    return err;
  if (bind(ep->fd, (struct sockaddr *)&ss, len) == 0)
    return 0;
  err = errno;
  if (ik_address_format(source, text, sizeof text) != 0)
    strcpy(text, "?");
  if (err == EADDRNOTAVAIL || (err == EINVAL && source->family == IK_AF_INET6))
    return ik__fail(IK_EADDRESS, "the requested address (%s) cannot be assigned to the socket: %s",
                    text, strerror(err));
  return ik__fail(IK_ESOCKET, "bind %s: %s", text, strerror(err));
}

int ik__ep_open(ik__endpoint **out, int family, const ik_address *source, int unprivileged) {
  ik__endpoint *ep;
  int err;
  *out = NULL;
  if (family != IK_AF_INET && family != IK_AF_INET6)
    return ik__fail(IK_EINVAL, "address family %d", family);
  if ((ep = calloc(1, sizeof *ep)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for an ICMP endpoint");
  ep->family = family;
  ep->unprivileged = unprivileged != 0;
  ep->errqueue = ik__posix_uses_errqueue(ep->unprivileged);
  ep->errq_maybe = ep->errqueue;
  ep->ttl = ep->mcast_ttl = ep->tclass = -1;
  if (family == IK_AF_INET6 && !ik__posix_v6_options_settable(ep->unprivileged)) {
    /* Cannot be changed, so they stay the system's defaults. */
    ep->ttl = ep->mcast_ttl = IK_DEFAULT_TTL;
    ep->tclass = 0;
  }
  ep->kernel_id = -1;
  ep->fd = socket(family == IK_AF_INET ? AF_INET : AF_INET6,
                  ep->unprivileged ? SOCK_DGRAM : SOCK_RAW,
                  family == IK_AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
  if (ep->fd < 0) {
    err = open_error(family, ep->unprivileged, errno);
    free(ep);
    return err;
  }
  if ((err = configure(ep)) != 0 || (source != NULL && (err = bind_source(ep, source)) != 0)) {
    ik__ep_close(ep);
    return err;
  }
  *out = ep;
  return 0;
}

void ik__ep_close(ik__endpoint *ep) {
  if (ep == NULL)
    return;
  ik__ep_unwatch(ep);
  if (ep->fd >= 0)
    close(ep->fd);
  free(ep);
}

/* Sets an option only when the request asks for a different value, so a
 * stream of identical requests costs no system calls. */
static int apply_option(ik__endpoint *ep, int *current, int value, int level, int name,
                        const char *what) {
  int err;
  if (*current == value)
    return 0;
  if (!ik__posix_v6_options_settable(ep->unprivileged) && ep->family == IK_AF_INET6)
    return ik__fail(IK_ENOTSUP,
                    "%s cannot be set on unprivileged IPv6 sockets on this system (wanted %d)",
                    what, value);
  if ((err = set_int(ep, level, name, value, what)) != 0)
    return err;
  *current = value;
  return 0;
}

static int apply_options(ik__endpoint *ep, const ik_request *req) {
  int group = ik__address_is_group(&req->destination), err;
  if (ep->family == IK_AF_INET) {
    if ((err = apply_option(ep, &ep->ttl, req->ttl, IPPROTO_IP, IP_TTL, "IP_TTL")) != 0 ||
        (err = apply_option(ep, &ep->tclass, req->traffic_class, IPPROTO_IP, IP_TOS, "IP_TOS")) != 0)
      return err;
    if (group && ep->mcast_ttl != req->ttl) {
      unsigned char v = (unsigned char)req->ttl; /* the BSDs insist on a byte here */
      if (setsockopt(ep->fd, IPPROTO_IP, IP_MULTICAST_TTL, &v, sizeof v) != 0)
        return ik__fail(IK_ESOCKET, "setsockopt(IP_MULTICAST_TTL, %d): %s", req->ttl,
                        strerror(errno));
      ep->mcast_ttl = req->ttl;
    }
    return 0;
  }
  if ((err = apply_option(ep, &ep->ttl, req->ttl, IPPROTO_IPV6, IPV6_UNICAST_HOPS,
                          "IPV6_UNICAST_HOPS")) != 0 ||
      (err = apply_option(ep, &ep->tclass, req->traffic_class, IPPROTO_IPV6, IPV6_TCLASS,
                          "IPV6_TCLASS")) != 0)
    return err;
  if (group)
    return apply_option(ep, &ep->mcast_ttl, req->ttl, IPPROTO_IPV6, IPV6_MULTICAST_HOPS,
                        "IPV6_MULTICAST_HOPS");
  return 0;
}

/* 1 when an ICMP error sits in the error queue. Linux reports such an
 * error once more as the failure of the next send on the socket, which
 * consumes that report: the send can then be repeated. */
static int error_queued(const ik__endpoint *ep) {
  struct pollfd p;
  if (!ep->errqueue)
    return 0;
  p.fd = ep->fd;
  p.events = 0;
  p.revents = 0;
  return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

static int learn_kernel_id(ik__endpoint *ep) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(ep->fd, (struct sockaddr *)&ss, &len) != 0)
    return ik__fail(IK_ESOCKET, "getsockname: %s", strerror(errno));
  ep->kernel_id = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                 : ((struct sockaddr_in6 *)&ss)->sin6_port);
  return 0;
}

static int send_failed(const ik__endpoint *ep, const ik_request *req, int err) {
  char text[IK_ADDRSTRLEN];
  if (ik_address_format(&req->destination, text, sizeof text) != 0)
    strcpy(text, "?");
  if (err == EACCES && ep->family == IK_AF_INET)
    return ik__fail(IK_EBROADCAST,
                    "sending to %s needs broadcast enabled on the socket "
                    "(ik_socket_set_broadcast): %s",
                    text, strerror(err));
  if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS)
    return ik__fail(IK_ENOSPACE, "sending to %s: %s; wait and send again", text, strerror(err));
  return ik__fail(IK_ESOCKET, "sendto %s: %s", text, strerror(err));
}

/* Bookkeeping after req (len bytes) went out. */
static int sent(ik__endpoint *ep, ik_request *req, size_t len) {
  int err;
  if (len > ep->largest_sent)
    ep->largest_sent = len;
  if (ik__posix_kernel_sets_id(ep->unprivileged)) {
    if (ep->kernel_id < 0 && (err = learn_kernel_id(ep)) != 0)
      return err;
    req->id = (uint16_t)ep->kernel_id;
  }
  return 0;
}

/* One sendmsg of the request in txbuf; stamp: with a control message
 * asking for its software transmit timestamp (Linux). */
static ssize_t send_echo(ik__endpoint *ep, size_t len, struct sockaddr_storage *to,
                         socklen_t tolen, int stamp) {
  struct iovec iov;
  struct msghdr msg;
#if IK__POSIX_LINUX
  union { struct cmsghdr align; unsigned char bytes[CMSG_SPACE(sizeof(int))]; } control;
#endif
  iov.iov_base = ep->txbuf;
  iov.iov_len = len;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = to;
  msg.msg_namelen = tolen;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
#if IK__POSIX_LINUX
  if (stamp) {
    int record = SOF_TIMESTAMPING_TX_SOFTWARE;
    struct cmsghdr *c;
    memset(&control, 0, sizeof control);
    msg.msg_control = control.bytes;
    msg.msg_controllen = sizeof control.bytes;
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SO_TIMESTAMPING;
    c->cmsg_len = CMSG_LEN(sizeof record);
    memcpy(CMSG_DATA(c), &record, sizeof record);
  }
#else
  (void)stamp;
#endif
  return sendmsg(ep->fd, &msg, 0);
}

#if IK__POSIX_LINUX
static int receive_one(ik__endpoint *ep, int flags, uint8_t *buf, ik__received *rx);

/* Makes req->time the kernel's software transmit stamp of the request
 * just sent, so that an RTT runs from the kernel's send to the kernel's
 * receipt (SO_TIMESTAMPNS), without the send system call's entry: on an
 * idle machine that entry is most of a loopback RTT, and iputils ping only
 * keeps it small by spinning between pings. On loopback and on devices
 * without a queue the stamp is queued during the send; when it is not
 * there yet, the user-space time stays and the late stamp is dropped when
 * it comes. A DGRAM socket's error queue also holds ICMP errors: the
 * first one found ends the search and is kept for ik__ep_read. */
static void collect_tx_stamp(ik__endpoint *ep, ik_request *req) {
  uint32_t want = ep->tskey++;
  int i, r;
  ep->stamps_maybe = 1;
  if (ep->stash_full)
    return;
  for (i = 0; i < 8; i++) {
    r = receive_one(ep, MSG_ERRQUEUE, ep->stash_data, &ep->stash);
    if (r == IK__STAMP && ep->last_key == want) {
      /* A clock step between the two readings would make it nonsense. */
      if (ep->last_stamp >= req->time - 1e-3 && ep->last_stamp <= ik__now_wall() + 1e-3) {
        req->time = ep->last_stamp;
        ep->stamped++;
      }
      ep->stamps_maybe = 0;
      return;
    }
    if (r == IK__STAMP && (int32_t)(ep->last_key - want) > 0) {
      ep->tskey = ep->last_key + 1; /* a send we thought failed was counted */
      return;
    }
    if (r == IK__STAMP)
      continue; /* an earlier send's, late */
    if (r != IK_ETIMEOUT) {
      ep->stash_err = r;
      ep->stash_full = 1;
      if (ep->watch != NULL)
        event_active(ep->watch, EV_READ, 0);
    }
    return;
  }
}
#endif

int ik__ep_send(ik__endpoint *ep, ik_request *req) {
  struct sockaddr_storage ss;
  socklen_t sslen;
  size_t len;
  int err, tries = 0, stamp = 0;
  ssize_t n;

  if ((err = ik__build_echo(req, req->id, ep->txbuf, sizeof ep->txbuf, &len)) != 0 ||
      (err = apply_options(ep, req)) != 0 ||
      (err = ik__posix_to_sockaddr(&req->destination, &ss, &sslen)) != 0)
    return err;
#if IK__POSIX_LINUX
  stamp = ep->tx_stamps;
#endif
  for (;;) {
    req->time = ik__now_wall();
    n = send_echo(ep, len, &ss, sslen, stamp);
    if (n >= 0)
      break;
    err = errno;
    if (err == EINVAL && stamp) {
      stamp = 0; /* a kernel without per-message timestamps? */
      continue;
    }
    /* The failure may have been the report of a queued ICMP error. */
    ep->errq_maybe = ep->errqueue;
    if (err == EINTR || (tries++ < 4 && error_queued(ep)))
      continue;
    return send_failed(ep, req, err);
  }
  if ((size_t)n != len)
    return ik__fail(IK_ESOCKET, "sendmsg sent %zd of %zu bytes", n, len);
#if IK__POSIX_LINUX
  if (stamp)
    collect_tx_stamp(ep, req);
  else
    ep->tx_stamps = 0; /* it refused them */
#endif
  return sent(ep, req, len);
}

#if IK__POSIX_LINUX
static int same_options(const ik_request *a, const ik_request *b) {
  return a->ttl == b->ttl && a->traffic_class == b->traffic_class &&
         ik__address_is_group(&a->destination) == ik__address_is_group(&b->destination);
}

/* Builds up to IK__BATCH requests from reqs[0..n) that share their options
 * and fit a slot; returns how many. */
static size_t build_batch(ik__endpoint *ep, ik_request *const *reqs, size_t n) {
  size_t k, len;
  socklen_t tolen;
  for (k = 0; k < n && k < IK__BATCH; k++) {
    struct msghdr *h = &ep->tx[k].msg_hdr;
    if ((k > 0 && !same_options(reqs[0], reqs[k])) ||
        ik__build_echo(reqs[k], reqs[k]->id, ep->tx_data[k], IK__SLOT, &len) != 0 ||
        ik__posix_to_sockaddr(&reqs[k]->destination, &ep->tx_to[k], &tolen) != 0)
      break;
    ep->tx_iov[k].iov_base = ep->tx_data[k];
    ep->tx_iov[k].iov_len = len;
    memset(h, 0, sizeof *h);
    h->msg_name = &ep->tx_to[k];
    h->msg_namelen = tolen;
    h->msg_iov = &ep->tx_iov[k];
    h->msg_iovlen = 1;
  }
  return k;
}
#endif

/* Batches take one send time for all their requests: on loopback the last
 * of 64 leaves some tens of microseconds later than its time says. */
static int send_many(ik__endpoint *ep, ik_request *const *reqs, size_t n, size_t *count);
#if IK__POSIX_LINUX
static int batch_pending(const ik__endpoint *ep);
#endif

/* While a batch goes out, the socket leaves the event loop's epoll set: on
 * loopback each request's reply is queued, and its buffer freed, inside
 * the send, and with an epoll entry on the socket each of those wakes it
 * (sock_def_readable, sock_def_write_space: 3 % of a sweep's cycles in
 * perf, spin locks with interrupts off). Nobody sleeps meanwhile, and the
 * level-triggered entry added back reports what arrived. */
int ik__ep_send_many(ik__endpoint *ep, ik_request *const *reqs, size_t n, size_t *count) {
  int err, hush = ep->watch != NULL && n > 1;
  if (hush)
    event_del(ep->watch);
  err = send_many(ep, reqs, n, count);
  if (!hush)
    return err;
  if (event_add(ep->watch, NULL) != 0 && err == 0)
    err = ik__fail(IK_ESOCKET, "event_add failed after a batch of sends");
#if IK__POSIX_LINUX
  /* event_del dropped a pending activation: what the endpoint holds
   * itself, the kernel will not report again. */
  if (batch_pending(ep) || ep->stash_full)
    event_active(ep->watch, EV_READ, 0);
#endif
  return err;
}

static int send_many(ik__endpoint *ep, ik_request *const *reqs, size_t n, size_t *count) {
  int err;
  *count = 0;
  while (*count < n) {
#if IK__POSIX_LINUX
    ik_request *const *run = reqs + *count;
    size_t k = build_batch(ep, run, n - *count), j;
    int r;
    if (k > 1) {
      double now;
      if ((err = apply_options(ep, run[0])) != 0)
        return err;
      now = ik__now_wall();
      for (j = 0; j < k; j++)
        run[j]->time = now;
      do
        r = sendmmsg(ep->fd, ep->tx, (unsigned)k, 0);
      while (r < 0 && errno == EINTR);
      if ((size_t)(r < 0 ? 0 : r) < k)
        ep->errq_maybe = ep->errqueue; /* a failure may have reported a queued error */
      for (j = 0; r > 0 && j < (size_t)r; j++)
        if ((err = sent(ep, run[j], ep->tx_iov[j].iov_len)) != 0)
          return err;
      if (r > 0) {
        *count += (size_t)r;
        continue;
      }
      /* Nothing went out: the single send below retries or reports why. */
    }
#endif
    if ((err = ik__ep_send(ep, reqs[*count])) != 0)
      return err;
    (*count)++;
  }
  return 0;
}

/* One recvmsg into buf (IK__POSIX_RXBUF bytes). IK_ETIMEOUT: nothing
 * there. From the error queue, IK__STAMP for a transmit timestamp (in
 * last_key, last_stamp). */
static int receive_one(ik__endpoint *ep, int flags, uint8_t *buf, ik__received *rx) {
  struct sockaddr_storage from;
  struct iovec iov;
  struct msghdr msg;
  ssize_t n;

  iov.iov_base = buf;
  iov.iov_len = IK__POSIX_RXBUF;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ep->control.bytes;
  msg.msg_controllen = sizeof ep->control.bytes;
  do
    n = recvmsg(ep->fd, &msg, flags | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return IK_ETIMEOUT;
    return ik__fail(IK_ESOCKET, "recvmsg%s: %s", flags ? " (error queue)" : "", strerror(errno));
  }
#if IK__POSIX_LINUX
  if (flags & MSG_ERRQUEUE) {
    if (ik__posix_decode_tx_stamp(ep->family, &msg, &ep->last_key, &ep->last_stamp))
      return IK__STAMP;
    return ik__posix_decode_errqueue(ep->family, &msg, (size_t)n, rx);
  }
#endif
  return ik__posix_decode(ep->family, ep->unprivileged, &msg, (size_t)n, rx);
}

#if IK__POSIX_LINUX
static int batch_pending(const ik__endpoint *ep) { return ep->batch_next < ep->batch_count; }

/* Refills the batch with one recvmmsg. IK_ETIMEOUT: nothing there. */
static int receive_batch(ik__endpoint *ep) {
  unsigned i;
  int n;
  for (i = 0; i < IK__BATCH; i++) {
    struct msghdr *h = &ep->batch[i].msg_hdr;
    ep->batch_iov[i].iov_base = ep->batch_data[i];
    ep->batch_iov[i].iov_len = IK__SLOT;
    h->msg_name = &ep->batch_from[i];
    h->msg_namelen = sizeof ep->batch_from[i];
    h->msg_iov = &ep->batch_iov[i];
    h->msg_iovlen = 1;
    h->msg_control = ep->batch_control[i].bytes;
    h->msg_controllen = sizeof ep->batch_control[i].bytes;
    h->msg_flags = 0;
  }
  do
    n = recvmmsg(ep->fd, ep->batch, IK__BATCH, MSG_DONTWAIT, NULL);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return IK_ETIMEOUT;
    return ik__fail(IK_ESOCKET, "recvmmsg: %s", strerror(errno));
  }
  ep->batch_next = 0;
  ep->batch_count = (unsigned)n;
  return 0;
}
#endif

/* The next datagram of the normal queue, from the batch when batching. */
static int receive(ik__endpoint *ep, ik__received *rx) {
#if IK__POSIX_LINUX
  int err;
  if (!batch_pending(ep) && ep->largest_sent + 60 <= IK__SLOT &&
      (err = receive_batch(ep)) != 0)
    return err;
  if (batch_pending(ep)) {
    struct mmsghdr *m = &ep->batch[ep->batch_next++];
    return ik__posix_decode(ep->family, ep->unprivileged, &m->msg_hdr, m->msg_len, rx);
  }
#endif
  return receive_one(ep, 0, ep->rxbuf, rx);
}

/* On Linux DGRAM sockets ICMP errors wait in the error queue. Reading it
 * before every message would double the system calls, so it is read only
 * when it may hold something: until it was found empty, and again once
 * the kernel reports a new error, which it does exactly once through
 * sk_err, as the failure of the next recvmsg or sendto. */
#if IK__POSIX_LINUX
/* The next error-queue entry that is not a transmit timestamp: those read
 * here came late and are dropped. IK_ETIMEOUT: the queue is empty. */
static int receive_error(ik__endpoint *ep, ik__received *rx) {
  int err;
  while ((err = receive_one(ep, MSG_ERRQUEUE, ep->rxbuf, rx)) == IK__STAMP)
    ;
  if (err == IK_ETIMEOUT)
    ep->stamps_maybe = 0;
  return err;
}

/* Hands out the entry collect_tx_stamp kept, moved to rxbuf because a
 * send may refill the stash while the caller still reads rx. */
static int take_stash(ik__endpoint *ep, ik__received *rx) {
  *rx = ep->stash;
  ep->stash_full = 0;
  if (rx->pkt.data != NULL) {
    size_t at = (size_t)(rx->pkt.data - ep->stash_data);
    memcpy(ep->rxbuf, ep->stash_data, at + rx->pkt.data_len);
    rx->pkt.data = ep->rxbuf + at;
  }
  return ep->stash_err;
}
#endif

int ik__ep_read(ik__endpoint *ep, ik__received *rx) {
#if IK__POSIX_LINUX
  int err, queued;
  if (ep->stash_full)
    return take_stash(ep, rx);
  if (ep->errqueue && ep->errq_maybe) {
    if ((err = receive_error(ep, rx)) != IK_ETIMEOUT)
      return err;
    ep->errq_maybe = 0;
  }
  err = receive(ep, rx);
  if (ep->errqueue && err == IK_ESOCKET) {
    ep->errq_maybe = 1;
    queued = receive_error(ep, rx);
    return queued == IK_ETIMEOUT ? err : queued;
  }
  if (err == IK_ETIMEOUT && ep->stamps_maybe)
    err = receive_error(ep, rx);
  return err;
#else
  return receive(ep, rx);
#endif
}

int ik__ep_wait(ik__endpoint *ep, double timeout_s) {
  struct pollfd p;
  double ms = ceil(timeout_s * 1000.0);
  int r;
#if IK__POSIX_LINUX
  if (batch_pending(ep) || ep->stash_full)
    return 0;
#endif
  p.fd = ep->fd;
  p.events = POLLIN;
  p.revents = 0;
  r = poll(&p, 1, ms > INT_MAX ? INT_MAX : ms < 0 ? 0 : (int)ms);
  if (r > 0) {
    if (p.revents & POLLERR) {
      ep->errq_maybe = ep->errqueue;
#if IK__POSIX_LINUX
      ep->stamps_maybe = ep->tx_stamps;
#endif
    }
    return (p.revents & POLLNVAL) ? ik__fail(IK_ESOCKET, "poll: socket not open") : 0;
  }
  if (r == 0)
    return IK_ETIMEOUT;
  return errno == EINTR ? 0 : ik__fail(IK_ESOCKET, "poll: %s", strerror(errno));
}

static void on_readable(evutil_socket_t fd, short what, void *arg) {
  ik__endpoint *ep = (ik__endpoint *)arg;
  (void)fd;
  (void)what;
#if IK__POSIX_LINUX
  /* A late transmit timestamp wakes us like a datagram does (EPOLLERR),
   * and would again until read. */
  ep->stamps_maybe = ep->tx_stamps;
#endif
  ep->ready(ep->ready_arg);
}

int ik__ep_watch(ik__endpoint *ep, struct event_base *base, void (*ready)(void *arg),
                 void *arg) {
  if (ep->watch != NULL)
    return ik__fail(IK_EINVAL, "the endpoint is already watched");
  ep->ready = ready;
  ep->ready_arg = arg;
  /* EPOLLERR (a queued ICMP error) is reported as readable too. */
  ep->watch = event_new(base, ep->fd, EV_READ | EV_PERSIST, on_readable, ep);
  if (ep->watch == NULL)
    return ik__fail(IK_ENOMEM, "event_new failed");
  if (event_add(ep->watch, NULL) != 0) {
    ik__ep_unwatch(ep);
    return ik__fail(IK_ESOCKET, "event_add failed");
  }
  return 0;
}

void ik__ep_unwatch(ik__endpoint *ep) {
  if (ep->watch != NULL)
    event_free(ep->watch);
  ep->watch = NULL;
}

intptr_t ik__ep_native(const ik__endpoint *ep) { return ep->fd; }

unsigned long ik__ep_tx_stamped(const ik__endpoint *ep) {
#if IK__POSIX_LINUX
  return ep->stamped;
#else
  (void)ep;
  return 0;
#endif
}

int ik__ep_get_blocking(const ik__endpoint *ep, int *blocking) {
  int flags = fcntl(ep->fd, F_GETFL);
  if (flags < 0)
    return ik__fail(IK_ESOCKET, "fcntl(F_GETFL): %s", strerror(errno));
  *blocking = !(flags & O_NONBLOCK);
  return 0;
}

int ik__ep_set_blocking(ik__endpoint *ep, int blocking) {
  int flags = fcntl(ep->fd, F_GETFL);
  if (flags < 0)
    return ik__fail(IK_ESOCKET, "fcntl(F_GETFL): %s", strerror(errno));
  flags = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
  if (fcntl(ep->fd, F_SETFL, flags) != 0)
    return ik__fail(IK_ESOCKET, "fcntl(F_SETFL): %s", strerror(errno));
  return 0;
}

int ik__ep_get_broadcast(const ik__endpoint *ep, int *enabled) {
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(ep->fd, SOL_SOCKET, SO_BROADCAST, &v, &len) != 0)
    return ik__fail(IK_ESOCKET, "getsockopt(SO_BROADCAST): %s", strerror(errno));
  *enabled = v != 0;
  return 0;
}

int ik__ep_set_broadcast(ik__endpoint *ep, int enabled) {
  return set_int((ik__endpoint *)ep, SOL_SOCKET, SO_BROADCAST, enabled != 0, "SO_BROADCAST");
}

/* The kernel's own receive timeout does not depend on ours. */
void ik__ep_set_timeout_hint(ik__endpoint *ep, double seconds) {
  (void)ep;
  (void)seconds;
}

int ik__ep_is_privileged(const ik__endpoint *ep) { return !ep->unprivileged; }
