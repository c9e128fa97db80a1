/* What only Linux offers the POSIX endpoint: the raw IPv4 ICMP_FILTER, the
 * identifier filter of raw sockets (a classic BPF program), the count of
 * datagrams dropped for want of queue room (SO_RXQ_OVFL), software
 * transmit timestamps (SO_TIMESTAMPING), ICMP errors from the error queue
 * of DGRAM sockets (MSG_ERRQUEUE), and batches of sends and reads
 * (sendmmsg/recvmmsg). endpoint.c calls these through the hooks of
 * endpoint.h; other systems compile none of this file. */
#include "posix/endpoint.h"

#if IK__POSIX_LINUX

#  include <errno.h>
#  include <poll.h>
#  include <stdlib.h>
#  include <string.h>

#  include <linux/filter.h> /* SO_ATTACH_FILTER's program */
#  include <linux/icmp.h>   /* ICMP_FILTER */
#  include <linux/net_tstamp.h>
#  include <linux/sock_diag.h> /* SK_MEMINFO_DROPS */
#  ifndef SOF_TIMESTAMPING_OPT_RX_FILTER
#    define SOF_TIMESTAMPING_OPT_RX_FILTER (1 << 17) /* Linux 6.12 */
#  endif

#  include <event2/event.h>

#  define IK__BATCH 64  /* datagrams per recvmmsg / sendmmsg */
#  define IK__SLOT 2048 /* bytes per batched datagram */
#  define IK__STAMP 1   /* errqueue_one: the entry was a transmit timestamp */

/* Datagrams taken by one recvmmsg and not yet handed out. Batches are read
 * while every request sent fits a slot with an IP header, so our replies,
 * and the errors quoting our requests (at most 576 / 1280 bytes), are never
 * cut; a larger foreign datagram shows as truncated and is skipped. */
typedef struct rx_batch {
  struct mmsghdr msg[IK__BATCH];
  struct iovec iov[IK__BATCH];
  struct sockaddr_storage from[IK__BATCH];
  union {
    size_t align;
    unsigned char bytes[192]; /* stamp, drop count, TTL (and an old kernel's tx stamp flags) */
  } control[IK__BATCH];
  uint8_t data[IK__BATCH][IK__SLOT];
  unsigned next, count;
} rx_batch;

/* One sendmmsg: requests built and addressed. */
typedef struct tx_batch {
  struct mmsghdr msg[IK__BATCH];
  struct iovec iov[IK__BATCH];
  struct sockaddr_storage to[IK__BATCH];
  uint8_t data[IK__BATCH][IK__SLOT];
} tx_batch;

struct ik__linux {
  int errqueue;   /* ICMP errors come through MSG_ERRQUEUE (DGRAM sockets) */
  int errq_maybe; /* the error queue may hold entries (see ik__linux_read) */
  /* Transmit timestamps (see collect_tx_stamp). */
  int tx_stamps;     /* single sends ask the kernel for one */
  int stamps_maybe;  /* the error queue may hold a late one */
  uint32_t tskey;    /* the key the kernel gives the next one */
  uint32_t last_key; /* the last one read: its key and time */
  double last_stamp;
  unsigned long stamped; /* sends whose req->time is the kernel's stamp */
  /* An error-queue entry that was not our timestamp, read while looking
   * for it: ik__linux_read hands it out first. Its data is a copy of our
   * request, so a buffer of ep->rxcap bytes holds it. */
  int stash_full, stash_err;
  ik__received stash;
  uint8_t *stash_data;
  size_t stash_cap;
  rx_batch *rx; /* allocated when reads keep finding data, or a batch is sent */
  tx_batch *tx; /* allocated by the first batch of sends */
  /* SO_RXQ_OVFL: the kernel's cumulative count of datagrams it dropped
   * on this socket (sk_drops, 32 bits that wrap), as the last datagram
   * read carried it, and what it added up to since the endpoint opened. */
  int ovfl;
  uint32_t drops_seen;
  uint64_t drops;
};

static int set_int(int fd, int level, int name, int value, const char *what) {
  if (setsockopt(fd, level, name, &value, sizeof value) != 0)
    return ik__fail(IK_ESOCKET, "setsockopt(%s, %d): %s", what, value, strerror(errno));
  return 0;
}

/* Lets only echo replies and errors wake a raw IPv4 socket, which
 * otherwise sees every ICMP message of the host (a set bit blocks the
 * type). Ping sockets filter by identifier themselves. */
static int install_v4_filter(const ik__endpoint *ep) {
  struct icmp_filter f;
  if (ep->family != IK_AF_INET || ep->unprivileged)
    return 0;
  f.data =
    ~((1u << IK__V4_ECHO_REPLY) | (1u << IK__V4_DEST_UNREACH) | (1u << IK__V4_SOURCE_QUENCH) |
      (1u << IK__V4_REDIRECT) | (1u << IK__V4_TIME_EXCEEDED) | (1u << IK__V4_PARAM_PROBLEM));
  if (setsockopt(ep->fd, SOL_RAW, ICMP_FILTER, &f, sizeof f) != 0)
    return ik__fail(IK_ESOCKET, "setsockopt(ICMP_FILTER): %s", strerror(errno));
  return 0;
}

/* ---- the identifier filter (SO_ATTACH_FILTER) ----
 *
 * A raw ICMP socket gets a copy of every ICMP message of the host: a
 * second prober's replies fill its queue (and the kernel drops ours for
 * want of room) unless the kernel itself leaves them out. The program
 * keeps an echo reply carrying id, and an ICMP error whose quoted echo
 * request carries id; a message too short for what the program looks at
 * is dropped (a load past the end ends a classic BPF program with 0). The
 * codec still checks everything it keeps. IPv4 raw sockets see the IP
 * header (of any length: ihl), IPv6 ones start at the ICMPv6 header. */

#  define KEEP 0xffffffffu /* a filter's result: bytes of the datagram kept */

/* Instruction at pc jumping to the absolute instructions yes / no. */
static struct sock_filter jump(unsigned pc, uint32_t k, unsigned yes, unsigned no) {
  struct sock_filter f = {BPF_JMP | BPF_JEQ | BPF_K, 0, 0, k};
  f.jt = (uint8_t)(yes - pc - 1);
  f.jf = (uint8_t)(no - pc - 1);
  return f;
}

static struct sock_filter op(uint16_t code, uint32_t k) {
  struct sock_filter f = {code, 0, 0, k};
  return f;
}

/* X: the offset of the ICMP header (IPv4: the IP header's length). */
static size_t v4_program(uint16_t id, struct sock_filter *p) {
  enum { ERR = 10, DROP = 21, KEPT = 22 };
  p[0] = op(BPF_LDX | BPF_B | BPF_MSH, 0); /* X = 4 * (ihl) */
  p[1] = op(BPF_LD | BPF_B | BPF_IND, 0);  /* A = type */
  p[2] = jump(2, IK__V4_ECHO_REPLY, 3, 5);
  p[3] = op(BPF_LD | BPF_H | BPF_IND, 4); /* A = id */
  p[4] = jump(4, id, KEPT, DROP);
  p[5] = jump(5, IK__V4_DEST_UNREACH, ERR, 6);
  p[6] = jump(6, IK__V4_SOURCE_QUENCH, ERR, 7);
  p[7] = jump(7, IK__V4_REDIRECT, ERR, 8);
  p[8] = jump(8, IK__V4_TIME_EXCEEDED, ERR, 9);
  p[9] = jump(9, IK__V4_PARAM_PROBLEM, ERR, DROP);
  p[10] = op(BPF_LD | BPF_B | BPF_IND, 8 + 9); /* quoted protocol */
  p[11] = jump(11, IPPROTO_ICMP, 12, DROP);
  p[12] = op(BPF_LD | BPF_B | BPF_IND, 8); /* quoted version, ihl */
  p[13] = op(BPF_ALU | BPF_AND | BPF_K, 0x0f);
  p[14] = op(BPF_ALU | BPF_LSH | BPF_K, 2);
  p[15] = op(BPF_ALU | BPF_ADD | BPF_X, 0);
  p[16] = op(BPF_MISC | BPF_TAX, 0);       /* X = both headers */
  p[17] = op(BPF_LD | BPF_B | BPF_IND, 8); /* quoted type */
  p[18] = jump(18, IK__V4_ECHO_REQUEST, 19, DROP);
  p[19] = op(BPF_LD | BPF_H | BPF_IND, 8 + 4); /* quoted id */
  p[20] = jump(20, id, KEPT, DROP);
  p[DROP] = op(BPF_RET | BPF_K, 0);
  p[KEPT] = op(BPF_RET | BPF_K, KEEP);
  return KEPT + 1;
}

/* An error quoting a packet with extension headers (we send none) is
 * kept: the codec walks them. */
static size_t v6_program(uint16_t id, struct sock_filter *p) {
  enum { DROP = 12, KEPT = 13 };
  p[0] = op(BPF_LD | BPF_B | BPF_ABS, 0); /* type */
  p[1] = jump(1, IK__V6_ECHO_REPLY, 2, 4);
  p[2] = op(BPF_LD | BPF_H | BPF_ABS, 4); /* id */
  p[3] = jump(3, id, KEPT, DROP);
  p[4] = op(BPF_JMP | BPF_JGT | BPF_K, IK__V6_PARAM_PROBLEM); /* errors: types 1 to 4 */
  p[4].jt = DROP - 5;
  p[5] = jump(5, 0, DROP, 6);
  p[6] = op(BPF_LD | BPF_B | BPF_ABS, 8 + 6); /* quoted next header */
  p[7] = jump(7, IPPROTO_ICMPV6, 8, KEPT);
  p[8] = op(BPF_LD | BPF_B | BPF_ABS, 8 + 40); /* quoted type */
  p[9] = jump(9, IK__V6_ECHO_REQUEST, 10, DROP);
  p[10] = op(BPF_LD | BPF_H | BPF_ABS, 8 + 40 + 4); /* quoted id */
  p[11] = jump(11, id, KEPT, DROP);
  p[DROP] = op(BPF_RET | BPF_K, 0);
  p[KEPT] = op(BPF_RET | BPF_K, KEEP);
  return KEPT + 1;
}

size_t ik__linux_id_filter(int family, uint16_t id, struct sock_filter *prog) {
  return family == IK_AF_INET ? v4_program(id, prog) : v6_program(id, prog);
}

int ik__raw_filters_ids(void) { return 1; }

int ik__ep_filter_id(ik__endpoint *ep, int id) {
  struct sock_filter prog[IK__ID_FILTER_MAX];
  struct sock_fprog fprog;
  int dummy = 0;
  if (ep->unprivileged)
    return ik__fail(IK_ENOTSUP, "datagram ICMP sockets are filtered by the kernel");
  if (id < 0) {
    if (setsockopt(ep->fd, SOL_SOCKET, SO_DETACH_FILTER, &dummy, sizeof dummy) != 0 &&
        errno != ENOENT)
      return ik__fail(IK_ESOCKET, "setsockopt(SO_DETACH_FILTER): %s", strerror(errno));
    return 0;
  }
  fprog.len = (unsigned short)ik__linux_id_filter(ep->family, (uint16_t)id, prog);
  fprog.filter = prog;
  if (setsockopt(ep->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) != 0)
    return ik__fail(IK_ESOCKET, "setsockopt(SO_ATTACH_FILTER): %s", strerror(errno));
  return 0;
}

/* ---- the drop count (SO_RXQ_OVFL) ---- */

void ik__linux_received(ik__endpoint *ep, const struct msghdr *msg) {
  ik__linux *lx = ep->lx;
  struct cmsghdr *c;
  uint32_t now;
  if (!lx->ovfl)
    return;
  for (c = CMSG_FIRSTHDR((struct msghdr *)msg); c != NULL; c = CMSG_NXTHDR((struct msghdr *)msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL &&
        c->cmsg_len >= CMSG_LEN(sizeof now)) {
      memcpy(&now, CMSG_DATA(c), sizeof now);
      lx->drops += (uint32_t)(now - lx->drops_seen);
      lx->drops_seen = now;
      return;
    }
}

/* The count read with the datagrams, and what the socket dropped after
 * the last one read (the kernel's count now, SO_MEMINFO): a queue that
 * overflowed at the end of a burst tells no later datagram. */
uint64_t ik__ep_local_drops(const ik__endpoint *ep) {
  const ik__linux *lx = ep->lx;
  uint32_t info[SK_MEMINFO_VARS];
  socklen_t len = sizeof info;
  if (lx == NULL || !lx->ovfl)
    return 0;
  if (getsockopt(ep->fd, SOL_SOCKET, SO_MEMINFO, info, &len) == 0 && len >= sizeof info)
    return lx->drops + (uint32_t)(info[SK_MEMINFO_DROPS] - lx->drops_seen);
  return lx->drops;
}

/* Reporting flags only: each single send asks for its own software
 * transmit stamp (a control message), so batches cost nothing more.
 * OPT_RX_FILTER keeps the stamps' control message off received datagrams,
 * which carry SO_TIMESTAMPNS already; kernels before 6.12 refuse the flag
 * and add it, which read_control ignores. Kernels that refuse both leave
 * RTTs starting at the user-space send time. */
static int enable_tx_stamps(int fd) {
  int flags = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY | SOF_TIMESTAMPING_OPT_ID;
  int filtered = flags | SOF_TIMESTAMPING_OPT_RX_FILTER;
  return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &filtered, sizeof filtered) == 0 ||
         setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) == 0;
}

/* Each datagram read then carries the socket's drop count so far, once it
 * is not 0. An adopted socket may have dropped some before: they are not
 * this endpoint's, so the count starts from the current one. */
static int enable_drop_count(int fd, uint32_t *base) {
  uint32_t info[SK_MEMINFO_VARS];
  socklen_t len = sizeof info;
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on) != 0)
    return 0;
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, info, &len) == 0 && len >= sizeof info)
    *base = info[SK_MEMINFO_DROPS];
  return 1;
}

int ik__linux_configure(ik__endpoint *ep) {
  ik__linux *lx;
  int err;
  if ((ep->lx = lx = calloc(1, sizeof *lx)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for an ICMP endpoint");
  lx->errqueue = lx->errq_maybe = ik__posix_uses_errqueue(ep->unprivileged);
  if ((err = install_v4_filter(ep)) != 0)
    return err;
  lx->tx_stamps = enable_tx_stamps(ep->fd);
  lx->ovfl = enable_drop_count(ep->fd, &lx->drops_seen);
  if (!lx->errqueue)
    return 0;
  return ep->family == IK_AF_INET ? set_int(ep->fd, IPPROTO_IP, IP_RECVERR, 1, "IP_RECVERR")
                                  : set_int(ep->fd, IPPROTO_IPV6, IPV6_RECVERR, 1, "IPV6_RECVERR");
}

void ik__linux_release(ik__endpoint *ep) {
  if (ep->lx == NULL)
    return;
  free(ep->lx->stash_data);
  free(ep->lx->rx);
  free(ep->lx->tx);
  free(ep->lx);
  ep->lx = NULL;
}

unsigned long ik__ep_tx_stamped(const ik__endpoint *ep) { return ep->lx->stamped; }

int ik__linux_tx_stamping(const ik__endpoint *ep) { return ep->lx->tx_stamps; }

void ik__linux_stamp_message(struct msghdr *msg, void *control, size_t room) {
  int record = SOF_TIMESTAMPING_TX_SOFTWARE;
  struct cmsghdr *c;
  memset(control, 0, room);
  msg->msg_control = control;
  msg->msg_controllen = CMSG_SPACE(sizeof record);
  c = CMSG_FIRSTHDR(msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SO_TIMESTAMPING;
  c->cmsg_len = CMSG_LEN(sizeof record);
  memcpy(CMSG_DATA(c), &record, sizeof record);
}

/* 1 when an ICMP error sits in the error queue. Linux reports such an
 * error once more as the failure of the next send on the socket, which
 * consumes that report: the send can then be repeated. */
int ik__linux_error_reported(ik__endpoint *ep) {
  struct pollfd p;
  if (!ep->lx->errqueue)
    return 0;
  ep->lx->errq_maybe = 1;
  p.fd = ep->fd;
  p.events = 0;
  p.revents = 0;
  return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

/* One recvmsg from the error queue into buf. IK__STAMP for a transmit
 * timestamp (in last_key, last_stamp), else a decoded ICMP error or its
 * rejection. IK_ETIMEOUT: the queue is empty. */
static int errqueue_one(ik__endpoint *ep, uint8_t *buf, size_t cap, ik__received *rx) {
  struct sockaddr_storage from;
  struct msghdr msg;
  struct iovec iov;
  size_t n;
  int err;
  iov.iov_base = buf;
  iov.iov_len = cap;
  if ((err = ik__posix_recv(ep, MSG_ERRQUEUE, &iov, &msg, &from, &n)) != 0)
    return err;
  if (ik__posix_decode_tx_stamp(ep->family, &msg, &ep->lx->last_key, &ep->lx->last_stamp))
    return IK__STAMP;
  return ik__posix_decode_errqueue(ep->family, &msg, n, rx);
}

/* Makes req->time the kernel's software transmit stamp of the request
 * just sent, so that an RTT runs from the kernel's send to the kernel's
 * receipt (SO_TIMESTAMPNS), without the send system call's entry: on an
 * idle machine that entry is most of a loopback RTT, and iputils ping only
 * keeps it small by spinning between pings. On loopback and on devices
 * without a queue the stamp is queued during the send; when it is not
 * there yet, the user-space time stays and the late stamp is dropped when
 * it comes. A DGRAM socket's error queue also holds ICMP errors: the
 * first one found ends the search and is kept for ik__linux_read. */
static void collect_tx_stamp(ik__endpoint *ep, ik_request *req) {
  ik__linux *lx = ep->lx;
  uint32_t want = lx->tskey++;
  int i, r;
  lx->stamps_maybe = 1;
  if (lx->stash_full)
    return;
  if (ik__posix_grow(&lx->stash_data, &lx->stash_cap, ik__posix_rx_size(ep)) != 0)
    return; /* the stamp stays in the queue: ik__linux_read drops it */
  for (i = 0; i < 8; i++) {
    r = errqueue_one(ep, lx->stash_data, lx->stash_cap, &lx->stash);
    if (r == IK__STAMP && lx->last_key == want) {
      /* A clock step between the two readings would make it nonsense. */
      if (lx->last_stamp >= req->time - 1e-3 && lx->last_stamp <= ik__now_wall() + 1e-3) {
        req->time = lx->last_stamp;
        lx->stamped++;
      }
      lx->stamps_maybe = 0;
      return;
    }
    if (r == IK__STAMP && (int32_t)(lx->last_key - want) > 0) {
      lx->tskey = lx->last_key + 1; /* a send we thought failed was counted */
      return;
    }
    if (r == IK__STAMP)
      continue; /* an earlier send's, late */
    if (r != IK_ETIMEOUT) {
      lx->stash_err = r;
      lx->stash_full = 1;
      if (ep->watch != NULL)
        event_active(ep->watch, EV_READ, 0);
    }
    return;
  }
}

void ik__linux_sent_one(ik__endpoint *ep, ik_request *req, int stamped) {
  if (stamped)
    collect_tx_stamp(ep, req);
  else
    ep->lx->tx_stamps = 0; /* it refused them */
}

static int same_options(const ik_request *a, const ik_request *b) {
  return a->ttl == b->ttl && a->traffic_class == b->traffic_class &&
         ik__address_is_group(&a->destination) == ik__address_is_group(&b->destination);
}

/* Builds up to IK__BATCH requests from reqs[0..n) that share their options
 * and fit a slot; returns how many. */
static size_t build_batch(tx_batch *tx, ik_request *const *reqs, size_t n) {
  size_t k, len;
  socklen_t tolen;
  for (k = 0; k < n && k < IK__BATCH; k++) {
    struct msghdr *h = &tx->msg[k].msg_hdr;
    if ((k > 0 && !same_options(reqs[0], reqs[k])) ||
        ik__build_echo(reqs[k], reqs[k]->id, tx->data[k], IK__SLOT, &len) != 0 ||
        ik__posix_to_sockaddr(&reqs[k]->destination, &tx->to[k], &tolen) != 0)
      break;
    tx->iov[k].iov_base = tx->data[k];
    tx->iov[k].iov_len = len;
    memset(h, 0, sizeof *h);
    h->msg_name = &tx->to[k];
    h->msg_namelen = tolen;
    h->msg_iov = &tx->iov[k];
    h->msg_iovlen = 1;
  }
  return k;
}

/* A sweep's replies come in bulk: the socket that sends a batch reads
 * them in batches too. NULL-safe on failure (single reads remain). */
static void want_rx_batch(ik__linux *lx) {
  if (lx->rx == NULL && (lx->rx = malloc(sizeof *lx->rx)) != NULL)
    lx->rx->next = lx->rx->count = 0;
}

/* Batches take one send time for all their requests: on loopback the last
 * of 64 leaves some tens of microseconds later than its time says. */
int ik__linux_send_many(ik__endpoint *ep, ik_request *const *reqs, size_t n, size_t *count) {
  ik__linux *lx = ep->lx;
  int err;
  if (n > 1 && lx->tx == NULL) {
    if ((lx->tx = malloc(sizeof *lx->tx)) == NULL)
      return ik__posix_send_each(ep, reqs, n, count);
    want_rx_batch(lx);
  }
  *count = 0;
  while (*count < n) {
    ik_request *const *run = reqs + *count;
    size_t k = n - *count > 1 ? build_batch(lx->tx, run, n - *count) : 0, j;
    int r;
    if (k > 1) {
      double now;
      if ((err = ik__posix_apply_options(ep, run[0])) != 0)
        return err;
      now = ik__now_wall();
      for (j = 0; j < k; j++)
        run[j]->time = now;
      do
        r = sendmmsg(ep->fd, lx->tx->msg, (unsigned)k, 0);
      while (r < 0 && errno == EINTR);
      if ((size_t)(r < 0 ? 0 : r) < k)
        lx->errq_maybe = lx->errqueue; /* a failure may have reported a queued error */
      for (j = 0; r > 0 && j < (size_t)r; j++)
        if ((err = ik__posix_sent(ep, run[j], lx->tx->iov[j].iov_len)) != 0)
          return err;
      if (r > 0) {
        *count += (size_t)r;
        continue;
      }
      /* Nothing went out: the single send below retries or reports why. */
    }
    if ((err = ik__ep_send(ep, reqs[*count])) != 0)
      return err;
    (*count)++;
  }
  return 0;
}

static int batch_pending(const ik__linux *lx) {
  return lx->rx != NULL && lx->rx->next < lx->rx->count;
}

int ik__linux_pending(const ik__endpoint *ep) {
  return batch_pending(ep->lx) || ep->lx->stash_full;
}

void ik__linux_woken(ik__endpoint *ep, int error) {
  /* A late transmit timestamp wakes us like a datagram does (EPOLLERR),
   * and would again until read. */
  ep->lx->stamps_maybe = ep->lx->tx_stamps;
  if (error)
    ep->lx->errq_maybe = ep->lx->errqueue;
}

/* Refills the batch with one recvmmsg. IK_ETIMEOUT: nothing there. */
static int receive_batch(rx_batch *b, int fd) {
  unsigned i;
  int n;
  for (i = 0; i < IK__BATCH; i++) {
    struct msghdr *h = &b->msg[i].msg_hdr;
    b->iov[i].iov_base = b->data[i];
    b->iov[i].iov_len = IK__SLOT;
    h->msg_name = &b->from[i];
    h->msg_namelen = sizeof b->from[i];
    h->msg_iov = &b->iov[i];
    h->msg_iovlen = 1;
    h->msg_control = b->control[i].bytes;
    h->msg_controllen = sizeof b->control[i].bytes;
    h->msg_flags = 0;
  }
  do
    n = recvmmsg(fd, b->msg, IK__BATCH, MSG_DONTWAIT, NULL);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return IK_ETIMEOUT;
    return ik__fail(IK_ESOCKET, "recvmmsg: %s", strerror(errno));
  }
  b->next = 0;
  b->count = (unsigned)n;
  return 0;
}

/* The next datagram of the normal queue: from the batch while every
 * request sent fits a slot, else one recvmsg. */
static int receive(ik__endpoint *ep, ik__received *rx) {
  ik__linux *lx = ep->lx;
  int err;
  /* The receive batch comes with the first read. Reading one datagram
   * per recvmsg until reads kept finding data (the earlier rule, to keep
   * a single ping's socket small) lost replies in the async soak
   * (tests/adversary/soak.cpp: 432 of a million timed out, none with the
   * batch from the start); why is not understood yet. */
  if (lx->rx == NULL)
    want_rx_batch(lx);
  if (lx->rx != NULL && !batch_pending(lx) && ep->largest_sent + IK__IP_MAX_HEADER <= IK__SLOT &&
      (err = receive_batch(lx->rx, ep->fd)) != 0)
    return err;
  if (batch_pending(lx)) {
    struct mmsghdr *m = &lx->rx->msg[lx->rx->next++];
    ik__linux_received(ep, &m->msg_hdr);
    return ik__posix_decode(ep->family, ep->unprivileged, &m->msg_hdr, m->msg_len, rx);
  }
  return ik__posix_receive(ep, rx);
}

/* The next error-queue entry that is not a transmit timestamp: those read
 * here came late and are dropped. IK_ETIMEOUT: the queue is empty. */
static int receive_error(ik__endpoint *ep, ik__received *rx) {
  int err;
  while ((err = errqueue_one(ep, ep->rxbuf, ep->rxcap, rx)) == IK__STAMP)
    ;
  if (err == IK_ETIMEOUT)
    ep->lx->stamps_maybe = 0;
  return err;
}

/* Hands out the entry collect_tx_stamp kept, moved to rxbuf because a
 * send may refill the stash while the caller still reads rx. */
static int take_stash(ik__endpoint *ep, ik__received *rx) {
  ik__linux *lx = ep->lx;
  *rx = lx->stash;
  lx->stash_full = 0;
  if (rx->pkt.data != NULL) {
    size_t at = (size_t)(rx->pkt.data - lx->stash_data);
    memcpy(ep->rxbuf, lx->stash_data, at + rx->pkt.data_len);
    rx->pkt.data = ep->rxbuf + at;
  }
  return lx->stash_err;
}

/* On DGRAM sockets ICMP errors wait in the error queue. Reading it before
 * every message would double the system calls, so it is read only when it
 * may hold something: until it was found empty, and again once the kernel
 * reports a new error, which it does exactly once through sk_err, as the
 * failure of the next recvmsg or sendto. */
int ik__linux_read(ik__endpoint *ep, ik__received *rx) {
  ik__linux *lx = ep->lx;
  int err, queued;
  if ((err = ik__posix_rx_room(ep)) != 0)
    return err;
  if (lx->stash_full)
    return take_stash(ep, rx);
  if (lx->errqueue && lx->errq_maybe) {
    if ((err = receive_error(ep, rx)) != IK_ETIMEOUT)
      return err;
    lx->errq_maybe = 0;
  }
  err = receive(ep, rx);
  if (lx->errqueue && err == IK_ESOCKET) {
    lx->errq_maybe = 1;
    queued = receive_error(ep, rx);
    return queued == IK_ETIMEOUT ? err : queued;
  }
  if (err == IK_ETIMEOUT && lx->stamps_maybe)
    err = receive_error(ep, rx);
  return err;
}

#else
/* ISO C wants a translation unit to declare something. */
typedef int ik__linux_unused;
unsigned long ik__ep_tx_stamped(const ik__endpoint *ep) {
  (void)ep;
  return 0;
}
/* The BSDs have BPF devices, not socket filters: ICMP_FILTER and
 * ICMP6_FILTER by type, the codec and the matching for the rest. */
int ik__raw_filters_ids(void) { return 0; }

int ik__ep_filter_id(ik__endpoint *ep, int id) {
  (void)ep;
  (void)id;
  return ik__fail(IK_ENOTSUP, "no identifier filter on this system");
}
uint64_t ik__ep_local_drops(const ik__endpoint *ep) {
  (void)ep; /* no SO_RXQ_OVFL */
  return 0;
}
#endif
