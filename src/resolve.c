/* Name resolution, once for every platform: address literals and the
 * RFC 6761 special names here, everything else through the system resolver
 * (libevent's evutil_getaddrinfo, which is getaddrinfo on POSIX and on
 * Winsock alike). The backends keep only sockaddr -> ik_address and the
 * resolver's error text (backend.h). */
#define _POSIX_C_SOURCE 200112L /* struct addrinfo under -std=c11; Windows ignores it */

#include <string.h>

#include <event2/util.h>

#include "backend.h"
#include "resolve.h"

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* 1 when name (case-insensitive, optional final dot) is label or ends
 * with "." label. */
static int in_domain(const char *name, const char *label) {
  size_t n = strlen(name), l = strlen(label), i;
  if (n > 0 && name[n - 1] == '.')
    n--;
  if (n < l || (n > l && name[n - l - 1] != '.'))
    return 0;
  for (i = 0; i < l; i++)
    if (lower(name[n - l + i]) != label[i])
      return 0;
  return 1;
}

/* Anything inet_aton would take as a number ("1.2.3", "010.1", "0x7f.1")
 * is treated as an address literal, so that our strict parser decides
 * instead of the resolver quietly reading it as octal or as 1.2.0.3. */
static int is_numeric_form(const char *name) {
  const char *p = name;
  for (;;) {
    const char *start = p;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
      p += 2;
      while ((*p >= '0' && *p <= '9') || (lower(*p) >= 'a' && lower(*p) <= 'f'))
        p++;
    } else {
      while (*p >= '0' && *p <= '9')
        p++;
      if (p == start)
        return 0;
    }
    if (*p == '\0')
      return 1;
    if (*p++ != '.')
      return 0;
  }
}

static int resolve_literal(const char *name, int family, ik_address *out, size_t *n) {
  ik_address a;
  if (ik_address_parse(name, &a) != 0) {
    char why[256];
    size_t len = strlen(ik_last_error());
    if (len >= sizeof why)
      len = sizeof why - 1;
    memcpy(why, ik_last_error(), len); /* ik__fail below overwrites it */
    why[len] = '\0';
    return ik__fail(IK_ENAMELOOKUP, "cannot resolve '%.80s': %s", name, why);
  }
  if (family != 0 && a.family != family)
    return ik__fail(IK_ENAMELOOKUP, "cannot resolve '%.80s' as IPv%d: it is an IPv%d address", name,
                    family, a.family);
  out[0] = a;
  *n = 1;
  return 0;
}

/* RFC 6761 sections 6.3 and 6.4: "localhost" names are the loopback
 * address and ".invalid" names never exist, both answered without asking
 * DNS (the hosts file may lack ::1, and no query should leave the host). */
static int resolve_special(const char *name, int family, ik_address *out, size_t max, size_t *n) {
  if (in_domain(name, "invalid"))
    return ik__fail(IK_ENAMELOOKUP,
                    "cannot resolve '%.80s': the .invalid domain never exists (RFC 6761)", name);
  if (family != IK_AF_INET6) {
    memset(&out[*n], 0, sizeof out[*n]);
    out[*n].family = IK_AF_INET;
    out[*n].bytes[0] = 127;
    out[*n].bytes[3] = 1;
    ++*n;
  }
  if (family != IK_AF_INET && *n < max) {
    memset(&out[*n], 0, sizeof out[*n]);
    out[*n].family = IK_AF_INET6;
    out[*n].bytes[15] = 1;
    ++*n;
  }
  return 0;
}

int ik__resolve_local(const char *name, int family, ik_address *out, size_t max, size_t *n) {
  const char *p;

  *n = 0;
  if (*name == '\0')
    return ik__fail(IK_ENAMELOOKUP, "cannot resolve '': the name is empty");
  if (strchr(name, ':') != NULL || is_numeric_form(name))
    return resolve_literal(name, family, out, n);
  for (p = name; *p; p++)
    if ((unsigned char)*p <= ' ' || *p == 0x7f)
      return ik__fail(IK_ENAMELOOKUP,
                      "cannot resolve '%.80s': the name contains a space or control character",
                      name);
  if (in_domain(name, "localhost") || in_domain(name, "invalid"))
    return resolve_special(name, family, out, max, n);
  return IK__RESOLVE_DNS;
}

int ik__resolve_check(const char *fn, const char *name, int family, size_t max) {
  if (name == NULL)
    return ik__fail(IK_EINVAL, "%s: NULL name", fn);
  if (max == 0)
    return ik__fail(IK_EINVAL, "%s: no room for any address (max 0)", fn);
  if (family != 0 && family != IK_AF_INET && family != IK_AF_INET6)
    return ik__fail(IK_EINVAL, "%s: family %d is not 0, 4 or 6", fn, family);
  return 0;
}

int ik_resolve(const char *name, int family, ik_address *out, size_t max, size_t *n) {
  int rc;
  if (name == NULL || out == NULL || n == NULL)
    return ik__fail(IK_EINVAL, "ik_resolve: NULL argument");
  *n = 0;
  if ((rc = ik__resolve_check("ik_resolve", name, family, max)) != 0)
    return rc;
  rc = ik__resolve_local(name, family, out, max, n);
  return rc == IK__RESOLVE_DNS ? ik__resolve(name, family, out, max, n) : rc;
}

static void add_unique(const ik_address *a, ik_address *out, size_t max, size_t *n) {
  size_t i;
  if (*n == max)
    return;
  for (i = 0; i < *n; i++)
    if (out[i].family == a->family && out[i].scope_id == a->scope_id &&
        memcmp(out[i].bytes, a->bytes, sizeof a->bytes) == 0)
      return;
  out[(*n)++] = *a;
}

void ik__addrinfo_collect(const struct evutil_addrinfo *res, int want, ik_address *out, size_t max,
                          size_t *n) {
  const struct evutil_addrinfo *ai;
  for (ai = res; ai != NULL; ai = ai->ai_next) {
    ik_address a;
    if (ai->ai_addr != NULL &&
        ik__address_from_sockaddr(ai->ai_addr, (size_t)ai->ai_addrlen, &a) == 0 && a.family == want)
      add_unique(&a, out, max, n);
  }
}

int ik__resolve_none(const char *name, int family) {
  return ik__fail(IK_ENAMELOOKUP, "cannot resolve '%.80s': no %s address", name,
                  family == IK_AF_INET    ? "IPv4"
                  : family == IK_AF_INET6 ? "IPv6"
                                          : "IP");
}

/* The resolver's own order is kept within a family, but IPv4 comes first
 * for family 0, as icmplib tries A before AAAA. */
int ik__resolve(const char *name, int family, ik_address *out, size_t max, size_t *n) {
  struct evutil_addrinfo hints, *res = NULL;
  char text[256];
  int rc;

  *n = 0;
  if ((rc = ik__libevent_init()) != 0)
    return rc; /* Winsock must be started first */
  memset(&hints, 0, sizeof hints);
  hints.ai_family = family == IK_AF_INET ? AF_INET : family == IK_AF_INET6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM; /* one entry per address, not one per socket type */
  rc = evutil_getaddrinfo(name, NULL, &hints, &res);
  if (rc != 0)
    return ik__fail(IK_ENAMELOOKUP, "cannot resolve '%.80s': %s", name,
                    ik__lookup_error_text(rc, text, sizeof text));
  ik__addrinfo_collect(res, IK_AF_INET, out, max, n);
  ik__addrinfo_collect(res, IK_AF_INET6, out, max, n);
  evutil_freeaddrinfo(res);
  return *n == 0 ? ik__resolve_none(name, family) : 0;
}
