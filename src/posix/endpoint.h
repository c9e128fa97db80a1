/* The POSIX endpoint's state, shared by endpoint.c (the portable path:
 * one sendmsg per request, one recvmsg per read) and linux.c (what only
 * Linux has: transmit timestamps, the error queue, sendmmsg/recvmmsg
 * batches). Elsewhere the ik__linux_* hooks are the no-op fallbacks at the
 * end of this file. */
#ifndef IK_POSIX_ENDPOINT_H
#define IK_POSIX_ENDPOINT_H

#include "posix/posix.h"

#include <sys/uio.h>

struct event;
typedef struct ik__linux ik__linux;

/* The smallest receive buffer: every ICMP error about one of our requests
 * fits (at most 576 bytes for IPv4, 1280 for IPv6), and so does the reply
 * to a request of up to 2048 - 60 bytes behind the largest IPv4 header.
 * Larger requests grow the buffer to their reply's size; a larger foreign
 * datagram reads as truncated and is skipped (it answers nothing of ours). */
#define IK__RX_MIN 2048
#define IK__IP_MAX_HEADER 60

struct ik__endpoint {
  int fd;
  int family;
  int unprivileged;
  int ttl, mcast_ttl; /* last values set on the socket, -1: not yet */
  int tclass;
  int kernel_id; /* Linux DGRAM: the identifier the kernel writes, -1: unknown */
  struct event *watch;
  void (*ready)(void *arg);
  void *ready_arg;
  union {
    size_t align;
    unsigned char bytes[512];
  } control; /* cmsghdr alignment */
  /* Allocated on first use and grown with the largest request sent, so a
   * socket that sends one small ping holds a few KiB, not 64 KiB each. */
  uint8_t *rxbuf, *txbuf;
  size_t rxcap, txcap;
  size_t largest_sent; /* longest echo request sent, in bytes */
  ik__linux *lx;       /* Linux: see linux.c; NULL elsewhere */
};

/* An endpoint around fd, an ICMP socket of family (SOCK_DGRAM when
 * unprivileged), configured as every endpoint is: non-blocking,
 * close-on-exec, filters, receive buffer, timestamps, Linux's error queue.
 * Used by ik__ep_open and ik__ep_adopt (adopt.c). On failure fd is left
 * open, for the caller to close or not. */
int ik__posix_wrap(ik__endpoint **ep, int fd, int family, int unprivileged);
/* Grows *buf (*cap bytes) to need bytes, keeping its content.
 * Errors: IK_ENOMEM (no detail set). */
int ik__posix_grow(uint8_t **buf, size_t *cap, size_t need);
/* The receive buffer ep needs: IK__RX_MIN bytes, or the reply to the
 * largest request sent behind the largest IPv4 header. */
size_t ik__posix_rx_size(const ik__endpoint *ep);
/* Makes ep->rxbuf that large; call at the start of a read only (rx data
 * of the previous read points into it). Errors: IK_ENOMEM. */
int ik__posix_rx_room(ik__endpoint *ep);
/* One recvmsg (flags | MSG_DONTWAIT) into iov (set by the caller), with
 * ep's control buffer; *msg and *from are filled as recvmsg left them, *len
 * gets its result. Errors: IK_ETIMEOUT (nothing there), IK_ESOCKET. */
int ik__posix_recv(ik__endpoint *ep, int flags, struct iovec *iov, struct msghdr *msg,
                   struct sockaddr_storage *from, size_t *len);
/* The next datagram of the normal queue, one recvmsg. */
int ik__posix_receive(ik__endpoint *ep, ik__received *rx);
/* Sets TTL, traffic class and the multicast TTL when req wants other
 * values than the socket has. */
int ik__posix_apply_options(ik__endpoint *ep, const ik_request *req);
/* Bookkeeping after req (len bytes) went out: largest_sent, the kernel's
 * identifier into req->id on Linux DGRAM. */
int ik__posix_sent(ik__endpoint *ep, ik_request *req, size_t len);
/* ik__ep_send for each request in turn. */
int ik__posix_send_each(ik__endpoint *ep, ik_request *const *reqs, size_t n, size_t *count);

#if IK__POSIX_LINUX
/* Allocates ep->lx and sets what Linux offers: the raw IPv4 ICMP_FILTER,
 * transmit timestamps, the error queue on DGRAM sockets. */
int ik__linux_configure(ik__endpoint *ep);
void ik__linux_release(ik__endpoint *ep);
/* The program ik__ep_filter_id attaches for family and id, into prog
 * (room for IK__ID_FILTER_MAX instructions); returns its length. For the
 * tests, which run it. */
#  define IK__ID_FILTER_MAX 24
struct sock_filter;
size_t ik__linux_id_filter(int family, uint16_t id, struct sock_filter *prog);
/* A datagram of the normal queue was read: its SO_RXQ_OVFL count. */
void ik__linux_received(ik__endpoint *ep, const struct msghdr *msg);
/* 1 when single sends should carry the transmit-stamp control message,
 * which ik__linux_stamp_message adds to msg (control: room for it). */
int ik__linux_tx_stamping(const ik__endpoint *ep);
void ik__linux_stamp_message(struct msghdr *msg, void *control, size_t room);
/* After a single send: stamped, the send carried the control message (its
 * stamp becomes req->time); 0, the kernel refused it (stop asking). */
void ik__linux_sent_one(ik__endpoint *ep, ik_request *req, int stamped);
/* After a failed send: 1 when the failure was the report of an ICMP error
 * queued on the socket, so the send can be repeated. */
int ik__linux_error_reported(ik__endpoint *ep);
/* ik__ep_send_many with sendmmsg for runs of small requests. */
int ik__linux_send_many(ik__endpoint *ep, ik_request *const *reqs, size_t n, size_t *count);
/* ik__ep_read: the kept error-queue entry, the error queue, the batch. */
int ik__linux_read(ik__endpoint *ep, ik__received *rx);
/* 1 when the endpoint itself holds something for ik__ep_read. */
int ik__linux_pending(const ik__endpoint *ep);
/* The socket woke its waiter; error: poll said POLLERR. */
void ik__linux_woken(ik__endpoint *ep, int error);
#else
static inline int ik__linux_configure(ik__endpoint *ep) {
  (void)ep;
  return 0;
}
static inline void ik__linux_release(ik__endpoint *ep) { (void)ep; }
static inline int ik__linux_tx_stamping(const ik__endpoint *ep) {
  (void)ep;
  return 0;
}
static inline void ik__linux_stamp_message(struct msghdr *m, void *c, size_t r) {
  (void)m, (void)c, (void)r;
}
static inline void ik__linux_sent_one(ik__endpoint *ep, ik_request *req, int s) {
  (void)ep, (void)req, (void)s;
}
static inline int ik__linux_error_reported(ik__endpoint *ep) {
  (void)ep;
  return 0;
}
static inline int ik__linux_send_many(ik__endpoint *ep, ik_request *const *reqs, size_t n,
                                      size_t *count) {
  return ik__posix_send_each(ep, reqs, n, count);
}
static inline int ik__linux_read(ik__endpoint *ep, ik__received *rx) {
  return ik__posix_receive(ep, rx);
}
static inline int ik__linux_pending(const ik__endpoint *ep) {
  (void)ep;
  return 0;
}
static inline void ik__linux_woken(ik__endpoint *ep, int error) { (void)ep, (void)error; }
static inline void ik__linux_received(ik__endpoint *ep, const struct msghdr *msg) {
  (void)ep, (void)msg;
}
#endif

#endif
