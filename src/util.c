/* Payload generation, the process-wide identifier counter, and name
 * resolution's neutral part (literals and RFC 6761 special names). */
#include <string.h>

#include "backend.h"

/* splitmix64 (Steele, Lea and Flood, 2014), one step per 8 bytes, each
 * output word written least significant byte first. Chosen because it is
 * tiny and gives the same bytes for a seed on every platform, so a request
 * keeps only its 32-bit seed and can still verify the echoed payload. */
void ik__payload_fill(uint32_t seed, uint8_t *buf, size_t len) {
  uint64_t state = seed;
  size_t i = 0;
  while (i < len) {
    uint64_t z = (state += UINT64_C(0x9e3779b97f4a7c15));
    int k;
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    z ^= z >> 31;
    for (k = 0; k < 8 && i < len; k++, i++) buf[i] = (uint8_t)(z >> (8 * k));
  }
}

/* The one documented piece of global state. The identifiers start at a
 * per-process random offset (OS randomness), so that a local user cannot
 * predict them from the PID and bind a ping socket to the same identifier
 * ahead of us (docs/security.md). The PID is still added on every call, so
 * a forked child, which inherits the offset and the counter, continues
 * from other values than its parent. Two threads that make the very first
 * calls at once may each draw an offset: their identifiers are then
 * distinct only with probability 65535/65536, a cost paid once. */
static volatile unsigned id_counter;
static volatile unsigned id_offset, id_offset_ready;

uint16_t ik_unique_identifier(void) {
  unsigned n;
  if (!id_offset_ready) {
    uint16_t r;
    ik__random_bytes(&r, sizeof r);
    id_offset = r;
    id_offset_ready = 1;
  }
  n = ik__atomic_fetch_inc(&id_counter);
  return (uint16_t)((id_offset + ik__process_id() + n) & 0xffff);
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* 1 when name (case-insensitive, optional final dot) is label or ends
 * with "." label. */
static int in_domain(const char *name, const char *label) {
  size_t n = strlen(name), l = strlen(label), i;
  if (n > 0 && name[n - 1] == '.') n--;
  if (n < l || (n > l && name[n - l - 1] != '.')) return 0;
  for (i = 0; i < l; i++)
    if (lower(name[n - l + i]) != label[i]) return 0;
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
      while ((*p >= '0' && *p <= '9') || (lower(*p) >= 'a' && lower(*p) <= 'f')) p++;
    } else {
      while (*p >= '0' && *p <= '9') p++;
      if (p == start) return 0;
    }
    if (*p == '\0') return 1;
    if (*p++ != '.') return 0;
  }
}

static int resolve_literal(const char *name, int family, ik_address *out, size_t *n) {
  ik_address a;
  if (ik_address_parse(name, &a) != 0) {
    char why[256];
    size_t len = strlen(ik_last_error());
    if (len >= sizeof why) len = sizeof why - 1;
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
    return ik__fail(IK_ENAMELOOKUP, "cannot resolve '%.80s': the .invalid domain never exists (RFC 6761)",
                    name);
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

int ik_resolve(const char *name, int family, ik_address *out, size_t max, size_t *n) {
  const char *p;

  if (name == NULL || out == NULL || n == NULL) return ik__fail(IK_EINVAL, "ik_resolve: NULL argument");
  *n = 0;
  if (max == 0) return ik__fail(IK_EINVAL, "ik_resolve: no room for any address (max 0)");
  if (family != 0 && family != IK_AF_INET && family != IK_AF_INET6)
    return ik__fail(IK_EINVAL, "ik_resolve: family %d is not 0, 4 or 6", family);
  if (*name == '\0') return ik__fail(IK_ENAMELOOKUP, "cannot resolve '': the name is empty");
  if (strchr(name, ':') != NULL || is_numeric_form(name)) return resolve_literal(name, family, out, n);
  for (p = name; *p; p++)
    if ((unsigned char)*p <= ' ' || *p == 0x7f)
      return ik__fail(IK_ENAMELOOKUP, "cannot resolve '%.80s': the name contains a space or control character",
                      name);
  if (in_domain(name, "localhost") || in_domain(name, "invalid"))
    return resolve_special(name, family, out, max, n);
  return ik__resolve(name, family, out, max, n);
}
