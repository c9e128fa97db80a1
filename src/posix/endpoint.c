/* The POSIX ICMP endpoint: raw (privileged) or datagram (unprivileged)
 * ICMP sockets, talking to the kernel, one sendmsg per request and one
 * recvmsg per read. What only Linux has (transmit stamps, the error queue,
 * batches) is in linux.c, decoding of what arrives in datagram.c, matching
 * in ../match.c. */
#include "posix/endpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <sys/uio.h>

#include <event2/event.h>

#define IK__RCVBUF (1 << 20) /* room for bursts of replies (the kernel clamps it) */

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

/* Lets only echo replies and errors wake us on raw IPv6 sockets, which
 * otherwise see every ICMP message of the host. */
static int install_filter(ik__endpoint *ep) {
  if (ep->family == IK_AF_INET) {
    return 0; /* Linux's ICMP_FILTER is set by linux.c; elsewhere the codec drops other types */
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
  return ik__linux_configure(ep);
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
    return ik__fail(IK_EADDRESS, "%s is not an address of this host (bind: %s)", text,
                    strerror(err));
  return ik__fail(IK_ESOCKET, "bind %s: %s", text, strerror(err));
}

int ik__posix_bind_option(int family, const char *name, unsigned index, ik__bind_option *opt) {
  memset(opt, 0, sizeof *opt);
#if IK__POSIX_BSD && defined(IK__IP_BOUND_IF)
  (void)name;
  opt->level = family == IK_AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
  opt->name = family == IK_AF_INET ? IK__IP_BOUND_IF : IK__IPV6_BOUND_IF;
  opt->by_index = 1;
  opt->index = (int)index;
  return 0;
#elif IK__POSIX_LINUX
  (void)family, (void)name, (void)index;
  opt->level = SOL_SOCKET;
  opt->name = SO_BINDTODEVICE;
  return 0;
#else
  (void)family, (void)index;
  return ik__fail(
    IK_ENOTSUP,
    "this system cannot bind a socket to an interface ('%s'): give one of its addresses", name);
#endif
}

int ik__ep_bind_device(ik__endpoint *ep, const char *name) {
  unsigned index = if_nametoindex(name);
  ik__bind_option opt;
  int rc, err;
  if (index == 0)
    return ik__fail(IK_EADDRESS, "no interface named '%s'", name);
  if ((err = ik__posix_bind_option(ep->family, name, index, &opt)) != 0)
    return err;
#if defined(IK_FORCE_BSD) && defined(__linux__)
  /* macOS's option numbers mean other options to this kernel. */
  return ik__fail(IK_ENOTSUP, "a forced-BSD build on Linux cannot bind to an interface ('%s')",
                  name);
#endif
  if (opt.by_index)
    rc = setsockopt(ep->fd, opt.level, opt.name, &opt.index, sizeof opt.index);
  else
    rc = setsockopt(ep->fd, opt.level, opt.name, name, (socklen_t)strlen(name));
  if (rc == 0)
    return 0;
  err = errno;
  if (err == EPERM || err == EACCES)
    return ik__fail(IK_EPERMISSION, "binding to interface '%s' needs CAP_NET_RAW: %s", name,
                    strerror(err));
  if (err == ENODEV || err == ENXIO) /* gone since if_nametoindex (Linux, macOS) */
    return ik__fail(IK_EADDRESS, "no interface named '%s'", name);
  return ik__fail(IK_ESOCKET, "binding to interface '%s': %s", name, strerror(err));
}

int ik__posix_wrap(ik__endpoint **out, int fd, int family, int unprivileged) {
  ik__endpoint *ep;
  int err;
  *out = NULL;
  if ((ep = calloc(1, sizeof *ep)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for an ICMP endpoint");
  ep->fd = fd;
  ep->family = family;
  ep->unprivileged = unprivileged != 0;
  ep->ttl = ep->mcast_ttl = ep->tclass = -1;
  ep->kernel_id = -1;
  if ((err = configure(ep)) != 0) {
    ep->fd = -1; /* the caller's to close */
    ik__ep_close(ep);
    return err;
  }
  *out = ep;
  return 0;
}

int ik__ep_open(ik__endpoint **out, int family, const ik_address *source, int unprivileged) {
  int fd, err;
  *out = NULL;
  if (family != IK_AF_INET && family != IK_AF_INET6)
    return ik__fail(IK_EINVAL, "address family %d", family);
  fd = socket(family == IK_AF_INET ? AF_INET : AF_INET6, unprivileged ? SOCK_DGRAM : SOCK_RAW,
              family == IK_AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
  if (fd < 0)
    return open_error(family, unprivileged, errno);
  if ((err = ik__posix_wrap(out, fd, family, unprivileged)) != 0) {
    close(fd);
    return err;
  }
  if (source != NULL && (err = bind_source(*out, source)) != 0) {
    ik__ep_close(*out);
    *out = NULL;
    return err;
  }
  return 0;
}

void ik__ep_close(ik__endpoint *ep) {
  if (ep == NULL)
    return;
  ik__ep_unwatch(ep);
  if (ep->fd >= 0)
    close(ep->fd);
  ik__linux_release(ep);
  free(ep->rxbuf);
  free(ep->txbuf);
  free(ep);
}

/* Sets an option only when the request asks for a different value, so a
 * stream of identical requests costs no system calls. Every system lets
 * unprivileged sockets set these: XNU's icmp6_dgram_ctloutput
 * (bsd/netinet6/icmp6.c) passes IPV6_UNICAST_HOPS, IPV6_MULTICAST_HOPS and
 * IPV6_TCLASS of a non-root ICMPv6 datagram socket on to ip6_ctloutput,
 * and icmp_dgram_ctloutput (bsd/netinet/ip_icmp.c) IP_TTL and IP_TOS to
 * rip_ctloutput. */
static int apply_option(ik__endpoint *ep, int *current, int value, int level, int name,
                        const char *what) {
  int err;
  if (*current == value)
    return 0;
  if ((err = set_int(ep, level, name, value, what)) != 0)
    return err;
  *current = value;
  return 0;
}

int ik__posix_apply_options(ik__endpoint *ep, const ik_request *req) {
  int group = ik__address_is_group(&req->destination), err;
  if (ep->family == IK_AF_INET) {
    if ((err = apply_option(ep, &ep->ttl, req->ttl, IPPROTO_IP, IP_TTL, "IP_TTL")) != 0 ||
        (err = apply_option(ep, &ep->tclass, req->traffic_class, IPPROTO_IP, IP_TOS, "IP_TOS")) !=
          0)
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
    return ik__fail(IK_ENOBUFS, "sending to %s: %s; wait and send again", text, strerror(err));
  return ik__fail(IK_ESOCKET, "sendto %s: %s", text, strerror(err));
}

int ik__posix_sent(ik__endpoint *ep, ik_request *req, size_t len) {
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
static ssize_t send_echo(ik__endpoint *ep, size_t len, struct sockaddr_storage *to, socklen_t tolen,
                         int stamp) {
  struct iovec iov;
  struct msghdr msg;
  union {
    struct cmsghdr align;
    unsigned char bytes[64];
  } control;
  iov.iov_base = ep->txbuf;
  iov.iov_len = len;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = to;
  msg.msg_namelen = tolen;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (stamp)
    ik__linux_stamp_message(&msg, control.bytes, sizeof control.bytes);
  return sendmsg(ep->fd, &msg, 0);
}

int ik__posix_grow(uint8_t **buf, size_t *cap, size_t need) {
  uint8_t *p;
  if (need <= *cap)
    return 0;
  if ((p = realloc(*buf, need)) == NULL)
    return IK_ENOMEM;
  *buf = p;
  *cap = need;
  return 0;
}

int ik__ep_send(ik__endpoint *ep, ik_request *req) {
  struct sockaddr_storage ss;
  socklen_t sslen;
  size_t len;
  int err, tries = 0, stamp = ik__linux_tx_stamping(ep);
  ssize_t n;

  /* Most sockets only ever send 64 bytes. */
  if (req->payload_size <= IK_MAX_PAYLOAD_SIZE &&
      ik__posix_grow(&ep->txbuf, &ep->txcap, ik__echo_size(req)) != 0)
    return ik__fail(IK_ENOMEM, "no memory for a %zu-byte echo request", ik__echo_size(req));
  if ((err = ik__build_echo(req, req->id, ep->txbuf, ep->txcap, &len)) != 0)
    return ik__fail(err, "cannot build a %zu-byte echo request", ik__echo_size(req));
  if ((err = ik__posix_apply_options(ep, req)) != 0 ||
      (err = ik__posix_to_sockaddr(&req->destination, &ss, &sslen)) != 0)
    return err;
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
    if (err == EINTR || (ik__linux_error_reported(ep) && tries++ < 4))
      continue;
    return send_failed(ep, req, err);
  }
  if ((size_t)n != len)
    return ik__fail(IK_ESOCKET, "sendmsg sent %zd of %zu bytes", n, len);
  ik__linux_sent_one(ep, req, stamp);
  return ik__posix_sent(ep, req, len);
}

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
  err = ik__linux_send_many(ep, reqs, n, count);
  if (!hush)
    return err;
  if (event_add(ep->watch, NULL) != 0 && err == 0)
    err = ik__fail(IK_ESOCKET, "event_add failed after a batch of sends");
  /* event_del dropped a pending activation: what the endpoint holds
   * itself, the kernel will not report again. */
  if (ik__linux_pending(ep))
    event_active(ep->watch, EV_READ, 0);
  return err;
}

int ik__posix_send_each(ik__endpoint *ep, ik_request *const *reqs, size_t n, size_t *count) {
  int err;
  for (*count = 0; *count < n; (*count)++)
    if ((err = ik__ep_send(ep, reqs[*count])) != 0)
      return err;
  return 0;
}

size_t ik__posix_rx_size(const ik__endpoint *ep) {
  size_t need = ep->largest_sent + IK__IP_MAX_HEADER;
  return need > IK__RX_MIN ? need : IK__RX_MIN;
}

int ik__posix_rx_room(ik__endpoint *ep) {
  if (ik__posix_grow(&ep->rxbuf, &ep->rxcap, ik__posix_rx_size(ep)) != 0)
    return ik__fail(IK_ENOMEM, "no memory for a %zu-byte receive buffer", ik__posix_rx_size(ep));
  return 0;
}

int ik__posix_recv(ik__endpoint *ep, int flags, struct iovec *iov, struct msghdr *msg,
                   struct sockaddr_storage *from, size_t *len) {
  ssize_t n;
  memset(msg, 0, sizeof *msg);
  msg->msg_name = from;
  msg->msg_namelen = sizeof *from;
  msg->msg_iov = iov;
  msg->msg_iovlen = 1;
  msg->msg_control = ep->control.bytes;
  msg->msg_controllen = sizeof ep->control.bytes;
  do
    n = recvmsg(ep->fd, msg, flags | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return IK_ETIMEOUT;
    return ik__fail(IK_ESOCKET, "recvmsg%s: %s", flags ? " (error queue)" : "", strerror(errno));
  }
  *len = (size_t)n;
  return 0;
}

int ik__posix_receive(ik__endpoint *ep, ik__received *rx) {
  struct sockaddr_storage from;
  struct msghdr msg;
  struct iovec iov;
  size_t n;
  int err = ik__posix_rx_room(ep);
  iov.iov_base = ep->rxbuf;
  iov.iov_len = ep->rxcap;
  if (err == 0)
    err = ik__posix_recv(ep, 0, &iov, &msg, &from, &n);
  if (err == 0)
    ik__linux_received(ep, &msg);
  return err != 0 ? err : ik__posix_decode(ep->family, ep->unprivileged, &msg, n, rx);
}

int ik__ep_read(ik__endpoint *ep, ik__received *rx) { return ik__linux_read(ep, rx); }

int ik__ep_wait(ik__endpoint *ep, double timeout_s) {
  struct pollfd p;
  double ms = ceil(timeout_s * 1000.0);
  int r;
  if (ik__linux_pending(ep))
    return 0;
  p.fd = ep->fd;
  p.events = POLLIN;
  p.revents = 0;
  r = poll(&p, 1, ms > INT_MAX ? INT_MAX : ms < 0 ? 0 : (int)ms);
  if (r > 0) {
    if (p.revents & POLLERR)
      ik__linux_woken(ep, 1);
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
  ik__linux_woken(ep, 0);
  ep->ready(ep->ready_arg);
}

int ik__ep_watch(ik__endpoint *ep, struct event_base *base, void (*ready)(void *arg), void *arg) {
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
