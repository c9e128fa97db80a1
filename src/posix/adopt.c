/* ik__ep_adopt: a caller's open descriptor becomes an endpoint once the
 * descriptor itself shows it is an ICMP (IPv4) or ICMPv6 raw or datagram
 * socket; nothing about it is taken on trust where the OS can tell. */
#include "posix/endpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

static int get_int(int fd, int level, int name, int *value) {
  socklen_t len = sizeof *value;
  *value = 0;
  return getsockopt(fd, level, name, value, &len);
}

/* The socket type: SOCK_RAW or SOCK_DGRAM, else a refusal naming what fd is. */
static int socket_type(int fd, int *type) {
  if (fcntl(fd, F_GETFD) < 0)
    return errno == EBADF ? ik__fail(IK_EUNAVAILABLE, "descriptor %d is not open", fd)
                          : ik__fail(IK_ESOCKET, "fcntl(%d): %s", fd, strerror(errno));
  if (get_int(fd, SOL_SOCKET, SO_TYPE, type) != 0)
    return errno == ENOTSOCK
             ? ik__fail(IK_EINVAL, "descriptor %d is not a socket", fd)
             : ik__fail(IK_ESOCKET, "getsockopt(%d, SO_TYPE): %s", fd, strerror(errno));
  if (*type == SOCK_STREAM)
    return ik__fail(IK_EINVAL, "descriptor %d is a stream socket, not an ICMP raw or datagram one",
                    fd);
  if (*type != SOCK_RAW && *type != SOCK_DGRAM)
    return ik__fail(IK_EINVAL,
                    "descriptor %d is a socket of type %d, not an ICMP raw or datagram one", fd,
                    *type);
  return 0;
}

/* The family and bound address (family 0 when bound to none), from
 * getsockname: the one way that works on every POSIX system. */
static int socket_address(int fd, int *family, ik_address *source) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  static const uint8_t any[16];
  memset(&ss, 0, sizeof ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
    return ik__fail(IK_ESOCKET, "getsockname(%d): %s", fd, strerror(errno));
  if (ik__address_from_sockaddr((const struct sockaddr *)&ss, len, source) != 0)
    return ik__fail(IK_EFAMILY, "descriptor %d is not an IPv4 or IPv6 socket (address family %d)",
                    fd, (int)ss.ss_family);
  *family = source->family;
  if (memcmp(source->bytes, any, source->family == IK_AF_INET ? 4 : 16) == 0)
    memset(source, 0, sizeof *source);
  return 0;
}

/* The protocol where the OS tells it (Linux, FreeBSD: SO_PROTOCOL). macOS
 * does not: there an IPv4 or IPv6 raw or datagram socket is taken as ICMP. */
#if defined(SO_PROTOCOL)
static const char *protocol_name(int protocol) {
  switch (protocol) {
  case IPPROTO_TCP:
    return " (TCP)";
  case IPPROTO_UDP:
    return " (UDP)";
  case IPPROTO_RAW:
    return " (raw IP)";
  case IPPROTO_ICMP:
    return " (ICMP)";
  case IPPROTO_ICMPV6:
    return " (ICMPv6)";
  default:
    return "";
  }
}

static int check_protocol(int fd, int family, int type) {
  int protocol, want = family == IK_AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
  if (get_int(fd, SOL_SOCKET, SO_PROTOCOL, &protocol) != 0)
    return ik__fail(IK_ESOCKET, "getsockopt(%d, SO_PROTOCOL): %s", fd, strerror(errno));
  if (protocol != want)
    return ik__fail(IK_EINVAL, "descriptor %d is an %s %s socket of protocol %d%s, not %s", fd,
                    family == IK_AF_INET ? "IPv4" : "IPv6", type == SOCK_RAW ? "raw" : "datagram",
                    protocol, protocol_name(protocol), family == IK_AF_INET ? "ICMP" : "ICMPv6");
  return 0;
}
#else
static int check_protocol(int fd, int family, int type) {
  (void)fd, (void)family, (void)type;
  return 0;
}
#endif

/* We write ICMP messages; the kernel must write the IP header. */
static int check_header_included(int fd, int family, int type) {
  int on;
  if (family != IK_AF_INET || type != SOCK_RAW)
    return 0;
  if (get_int(fd, IPPROTO_IP, IP_HDRINCL, &on) != 0)
    return ik__fail(IK_ESOCKET, "getsockopt(%d, IP_HDRINCL): %s", fd, strerror(errno));
  if (on)
    return ik__fail(IK_EINVAL,
                    "descriptor %d has IP_HDRINCL set: the library sends ICMP messages, "
                    "not whole IP datagrams",
                    fd);
  return 0;
}

int ik__ep_adopt(ik__endpoint **out, intptr_t native, int *family, ik_address *source) {
  int fd, type, err;
  *out = NULL;
  if (native < 0 || native > INT_MAX)
    return ik__fail(IK_EINVAL, "%" PRIdPTR " is not a file descriptor", native);
  fd = (int)native;
  if ((err = socket_type(fd, &type)) != 0 || (err = socket_address(fd, family, source)) != 0 ||
      (err = check_protocol(fd, *family, type)) != 0 ||
      (err = check_header_included(fd, *family, type)) != 0)
    return err;
  return ik__posix_wrap(out, fd, *family, type == SOCK_DGRAM);
}
