/* The public ICMP socket: argument checks, the closed state, and the
 * receive loop (deadline on the monotonic clock, matching via match.c)
 * over the platform's endpoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "probe/options.h"
#include "socket.h"

struct ik_socket {
  ik__endpoint *ep; /* NULL once closed */
  int family;
  int privileged;
  int bound; /* address holds the bound source */
  char address[IK_ADDRSTRLEN];
  ik__seen seen;   /* replies returned so far, to flag duplicates */
  int broadcast;   /* as last set by ik_socket_set_broadcast (off at open) */
  ik_async *owner; /* the ik_async wrapping it, or NULL */
};

/* After the deadline, a receive still looks at this many queued messages:
 * a zero timeout then means "whatever is already there", and a flood of
 * unrelated packets cannot hold the caller much past the deadline. */
#define IK__LATE_MESSAGES 256

static int closed(void) {
  return ik__fail(IK_EUNAVAILABLE, "the socket can no longer be used after its closure");
}

static const char *family_name(int family) { return family == IK_AF_INET ? "IPv4" : "IPv6"; }

int ik_socket_open(ik_socket **sock, int family, const char *source, unsigned flags) {
  ik_socket *s;
  ik_address addr;
  const char *device = NULL;
  int err;

  if (sock == NULL)
    return ik__fail(IK_EINVAL, "ik_socket_open: sock is NULL");
  *sock = NULL;
  if (family != IK_AF_INET && family != IK_AF_INET6)
    return ik__fail(IK_EINVAL, "family %d: use IK_AF_INET or IK_AF_INET6", family);
  if (flags & ~IK_SOCKET_UNPRIVILEGED)
    return ik__fail(IK_EINVAL, "unknown socket flags 0x%x", flags & ~IK_SOCKET_UNPRIVILEGED);
  if (source != NULL && *source != '\0') {
    if ((err = ik_address_parse(source, &addr)) != 0 && !ik_is_interface_name(source))
      return err;
    if (err != 0) {
      device = source;
      source = NULL;
    } else if (addr.family != family)
      return ik__fail(IK_EFAMILY, "source %s is not an %s address", source, family_name(family));
  }
  if ((s = calloc(1, sizeof *s)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a socket");
  s->family = family;
  s->privileged = !(flags & IK_SOCKET_UNPRIVILEGED);
  if (source != NULL && *source != '\0') {
    s->bound = 1;
    if (ik_address_format(&addr, s->address, sizeof s->address) != 0)
      snprintf(s->address, sizeof s->address, "%s", source);
  }
  if ((err = ik__ep_open(&s->ep, family, s->bound ? &addr : NULL, !s->privileged)) != 0) {
    free(s);
    return err;
  }
  if (device != NULL && (err = ik__ep_bind_device(s->ep, device)) != 0) {
    ik__ep_close(s->ep);
    free(s);
    return err;
  }
  s->privileged = ik__ep_is_privileged(s->ep);
  *sock = s;
  return 0;
}

int ik_socket_adopt(ik_socket **sock, intptr_t native, unsigned flags) {
  ik_socket *s;
  ik_address source;
  int err;

  if (sock == NULL)
    return ik__fail(IK_EINVAL, "ik_socket_adopt: sock is NULL");
  *sock = NULL;
  if (flags != 0)
    return ik__fail(IK_EINVAL,
                    "unknown adopt flags 0x%x: pass 0 (the socket's kind is read from it)", flags);
  if ((s = calloc(1, sizeof *s)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a socket");
  if ((err = ik__ep_adopt(&s->ep, native, &s->family, &source)) != 0) {
    free(s);
    return err;
  }
  s->privileged = ik__ep_is_privileged(s->ep);
  s->bound = source.family != 0 && ik_address_format(&source, s->address, sizeof s->address) == 0;
  *sock = s;
  return 0;
}

/* The checks of ik_socket_send on one request of an open socket. */
static int check_request(const ik_socket *sock, const ik_request *req) {
  int err;
  if (req == NULL)
    return ik__fail(IK_EINVAL, "ik_socket_send: req is NULL");
  if (req->destination.family != sock->family)
    return ik__fail(IK_EFAMILY, "%s request on an %s socket",
                    req->destination.family == IK_AF_INET    ? "IPv4"
                    : req->destination.family == IK_AF_INET6 ? "IPv6"
                                                             : "unset-address",
                    family_name(sock->family));
  /* The ranges of options.c, the ones the high-level calls check. */
  if ((err = ik__option_check(IK__OPT_TTL, req->ttl)) != 0 ||
      (err = ik__option_check(IK__OPT_TRAFFIC_CLASS, req->traffic_class)) != 0)
    return err;
  return ik__option_check_size(IK__OPT_PAYLOAD_SIZE, req->payload_size);
}

int ik_socket_send(ik_socket *sock, ik_request *req) {
  int err;
  if (sock == NULL)
    return ik__fail(IK_EINVAL, "ik_socket_send: sock is NULL");
  if (sock->ep == NULL)
    return closed();
  if ((err = check_request(sock, req)) != 0)
    return err;
  return ik__ep_send(sock->ep, req);
}

int ik__socket_send_many(ik_socket *sock, ik_request *const *reqs, size_t n, size_t *sent) {
  size_t valid = 0;
  int err = 0;
  *sent = 0;
  if (sock->ep == NULL)
    return closed();
  while (valid < n && (err = check_request(sock, reqs[valid])) == 0)
    ++valid;
  /* The valid prefix goes out; then the first invalid request fails, with
   * its own message. */
  if (valid > 0 && (err = ik__ep_send_many(sock->ep, reqs, valid, sent)) != 0)
    return err;
  return valid < n ? check_request(sock, reqs[valid]) : 0;
}

/* From the recorded state, not the OS: the async engine asks on every
 * receive, and a system call each time would cost more than the lookup. */
unsigned ik__socket_match_flags(const ik_socket *sock) {
  return sock->ep != NULL && sock->broadcast ? IK__MATCH_ANY_SOURCE : 0;
}

ik__endpoint *ik__socket_endpoint(const ik_socket *sock) { return sock->ep; }

int ik_socket_receive(ik_socket *sock, const ik_request *match, double timeout, ik_reply *reply) {
  ik__received rx;
  unsigned flags;
  double deadline;
  int err, late = 0;

  if (sock == NULL || reply == NULL)
    return ik__fail(IK_EINVAL, "ik_socket_receive: %s is NULL", sock == NULL ? "sock" : "reply");
  if (sock->ep == NULL)
    return closed();
  if (!(timeout >= 0)) /* also refuses NaN */
    return ik__fail(IK_EINVAL, "timeout %g: must be >= 0 seconds", timeout);
  if (match != NULL && match->destination.family != sock->family)
    return ik__fail(IK_EFAMILY, "the request to match is not %s", family_name(sock->family));
  flags = ik__socket_match_flags(sock);
  deadline = ik__now_mono() + timeout;
  ik__ep_set_timeout_hint(sock->ep, timeout);
  for (;;) {
    err = ik__ep_read(sock->ep, &rx);
    if (err == 0 && ik__match(match, &rx, flags)) {
      if (rx.error != 0) /* the OS failed the request (ik_last_error: why) */
        return rx.error;
      ik__reply_from(&rx, reply);
      if (ik__seen_check(&sock->seen, &rx))
        reply->flags |= IK_REPLY_DUPLICATE;
      return 0;
    }
    if (err == IK_ETIMEOUT) {
      double remaining = deadline - ik__now_mono();
      if (remaining <= 0)
        break;
      if ((err = ik__ep_wait(sock->ep, remaining)) != 0 && err != IK_ETIMEOUT)
        return err;
      continue;
    }
    if (err != 0 && !ik__is_packet_error(err))
      return err;
    if (ik__now_mono() >= deadline && ++late > IK__LATE_MESSAGES)
      break;
  }
  return ik__fail(IK_ETIMEOUT, "the timeout has been reached (%gs)", timeout);
}

/* A wrapped socket detaches its ik_async. The wrapper hears of it last,
 * when nothing of the socket is used any more: its callbacks may free the
 * socket (from a close) or the wrapper. */
int ik_socket_close(ik_socket *sock) {
  ik_async *owner;
  if (sock == NULL)
    return ik__fail(IK_EINVAL, "ik_socket_close: sock is NULL");
  owner = sock->owner;
  sock->owner = NULL;
  ik__ep_close(sock->ep);
  sock->ep = NULL;
  if (owner != NULL)
    ik__async_socket_gone(owner);
  return 0;
}

void ik_socket_free(ik_socket *sock) {
  ik_async *owner;
  if (sock == NULL)
    return;
  owner = sock->owner;
  ik__ep_close(sock->ep);
  free(sock);
  if (owner != NULL)
    ik__async_socket_gone(owner);
}

ik_async *ik__socket_owner(const ik_socket *sock) { return sock->owner; }

void ik__socket_set_owner(ik_socket *sock, ik_async *owner) { sock->owner = owner; }

intptr_t ik_socket_native(const ik_socket *sock) {
  return sock != NULL && sock->ep != NULL ? ik__ep_native(sock->ep) : -1;
}

int ik_socket_family(const ik_socket *sock) { return sock != NULL ? sock->family : 0; }

const char *ik_socket_address(const ik_socket *sock) {
  return sock != NULL && sock->bound ? sock->address : NULL;
}

int ik_socket_is_privileged(const ik_socket *sock) { return sock != NULL && sock->privileged; }

int ik_socket_is_closed(const ik_socket *sock) { return sock == NULL || sock->ep == NULL; }

/* Checks shared by the property calls; has_out: the output pointer given. */
static int usable(const ik_socket *sock, int has_out, const char *what) {
  if (sock == NULL || !has_out)
    return ik__fail(IK_EINVAL, "%s: %s is NULL", what, sock == NULL ? "sock" : "the output");
  if (sock->ep == NULL)
    return closed();
  return 0;
}

static int usable_v4(const ik_socket *sock, int has_out, const char *what) {
  int err = usable(sock, has_out, what);
  if (err == 0 && sock->family != IK_AF_INET)
    return ik__fail(IK_EINVAL, "%s: broadcast exists only on IPv4 sockets", what);
  return err;
}

int ik_socket_get_blocking(const ik_socket *sock, int *blocking) {
  int err = usable(sock, blocking != NULL, "ik_socket_get_blocking");
  return err != 0 ? err : ik__ep_get_blocking(sock->ep, blocking);
}

int ik_socket_set_blocking(ik_socket *sock, int blocking) {
  int err = usable(sock, 1, "ik_socket_set_blocking");
  return err != 0 ? err : ik__ep_set_blocking(sock->ep, blocking);
}

int ik_socket_get_broadcast(const ik_socket *sock, int *enabled) {
  int err = usable_v4(sock, enabled != NULL, "ik_socket_get_broadcast");
  return err != 0 ? err : ik__ep_get_broadcast(sock->ep, enabled);
}

int ik_socket_set_broadcast(ik_socket *sock, int enabled) {
  int err = usable_v4(sock, 1, "ik_socket_set_broadcast");
  if (err == 0 && (err = ik__ep_set_broadcast(sock->ep, enabled)) == 0)
    sock->broadcast = enabled != 0;
  return err;
}
