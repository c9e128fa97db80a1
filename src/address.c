/* IP address text <-> ik_address: strict parsers of our own (inet_pton's
 * rules, none of inet_aton's shorthand), RFC 5952 output, and the small
 * predicates the rest of the library needs. */
#include <stdio.h>
#include <string.h>

#include "backend.h"

/* Long enough for any name an OS accepts as an interface (Linux: 15,
 * Windows friendly names are not zones); longer is refused outright so
 * messages stay readable. */
#define IK__ZONE_MAX 63

/* Hostile input can be arbitrarily long; messages quote at most this. */
#define IK__QUOTE_MAX 80

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Dotted quad over s[0..len): exactly four decimal parts 0..255 without
 * leading zeros (inet_aton would read "010" as octal and "1.2.3" as
 * 1.2.0.3; inet_pton refuses both, and so do we). */
static const char *parse_v4(const char *s, size_t len, uint8_t out[4]) {
  size_t i = 0;
  int part;
  for (part = 0; part < 4; part++) {
    size_t start;
    unsigned value = 0;
    if (part > 0) {
      if (i == len)
        return "expected 4 decimal parts separated by dots";
      if (s[i] != '.')
        return "unexpected character";
      i++;
    }
    start = i;
    while (i < len && is_digit(s[i])) {
      if (i - start == 3)
        return s[start] == '0' ? "a part has a leading zero (octal is not accepted)"
                               : "a part is larger than 255";
      value = value * 10 + (unsigned)(s[i] - '0');
      i++;
    }
    if (i == start)
      return i == len || s[i] == '.' ? "expected 4 decimal parts separated by dots"
                                     : "unexpected character";
    if (i - start > 1 && s[start] == '0')
      return "a part has a leading zero (octal is not accepted)";
    if (value > 255)
      return "a part is larger than 255";
    out[part] = (uint8_t)value;
  }
  if (i != len)
    return s[i] == '.' ? "more than 4 parts" : "unexpected character after the address";
  return NULL;
}

/* IPv6 text over s[0..len) (no zone): at most 8 groups of 1..4 hex digits,
 * one "::" standing for at least one zero group, optional dotted-quad tail. */
static const char *parse_v6(const char *s, size_t len, uint8_t out[16]) {
  unsigned words[8];
  int n = 0, gap = -1, k;
  size_t i = 0;

  if (len == 0)
    return "empty address";
  if (s[0] == ':') {
    if (len < 2 || s[1] != ':')
      return "starts with a single ':'";
    gap = 0;
    i = 2;
  }
  while (i < len) {
    size_t start = i;
    unsigned value = 0;
    while (i < len && hex_value(s[i]) >= 0) {
      if (i - start == 4)
        return "a group has more than 4 hex digits";
      value = (value << 4) | (unsigned)hex_value(s[i]);
      i++;
    }
    if (i < len && s[i] == '.') {
      uint8_t v4[4];
      const char *why;
      if (n > 6)
        return "too many groups before the embedded IPv4 address";
      if ((why = parse_v4(s + start, len - start, v4)) != NULL)
        return why;
      words[n++] = (unsigned)(v4[0] << 8 | v4[1]);
      words[n++] = (unsigned)(v4[2] << 8 | v4[3]);
      break;
    }
    if (i == start)
      return s[i] == ':' ? "empty group (\":::\"?)" : "unexpected character";
    if (n == 8)
      return "more than 8 groups";
    words[n++] = value;
    if (i == len)
      break;
    if (s[i] != ':')
      return "unexpected character";
    if (++i == len)
      return "ends with a single ':'";
    if (s[i] == ':') {
      if (gap >= 0)
        return "more than one \"::\"";
      gap = n;
      i++;
    }
  }
  if (gap < 0 && n != 8)
    return "fewer than 8 groups and no \"::\"";
  if (gap >= 0 && n == 8)
    return "\"::\" stands for no group";

  memset(out, 0, 16);
  for (k = 0; k < n; k++) {
    int pos = gap >= 0 && k >= gap ? k + (8 - n) : k;
    out[2 * pos] = (uint8_t)(words[k] >> 8);
    out[2 * pos + 1] = (uint8_t)(words[k] & 0xff);
  }
  return NULL;
}

static const char mapped_why[] = "IPv4-mapped IPv6 addresses are not accepted";

static int is_v4_mapped(const uint8_t b[16]) {
  static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return memcmp(b, prefix, sizeof prefix) == 0;
}

/* Parses text without asking the OS anything: a zone name is returned in
 * *zone (NULL when numeric or absent) for the caller to look up. */
static int parse_text(const char *text, ik_address *out, const char **zone, const char **why) {
  const char *pct = strchr(text, '%');
  size_t len = pct ? (size_t)(pct - text) : strlen(text);
  ik_address a;

  memset(&a, 0, sizeof a);
  *zone = NULL;
  if (memchr(text, ':', len) == NULL) {
    if (pct) {
      *why = "a zone is only valid on an IPv6 address";
      return IK_EADDRFORMAT;
    }
    if ((*why = parse_v4(text, len, a.bytes)) != NULL)
      return IK_EADDRFORMAT;
    a.family = IK_AF_INET;
    *out = a;
    return 0;
  }
  if ((*why = parse_v6(text, len, a.bytes)) != NULL)
    return IK_EADDRFORMAT;
  a.family = IK_AF_INET6;
  if (is_v4_mapped(a.bytes)) {
    *out = a; /* for the caller's message, which names the IPv4 form */
    *why = mapped_why;
    return IK_EADDRFORMAT;
  }
  if (pct) {
    const char *z = pct + 1;
    size_t zlen = strlen(z), j;
    int numeric = zlen > 0;
    if (zlen == 0) {
      *why = "empty zone after '%'";
      return IK_EADDRFORMAT;
    }
    if (zlen > IK__ZONE_MAX) {
      *why = "zone name too long";
      return IK_EADDRFORMAT;
    }
    for (j = 0; j < zlen; j++) {
      unsigned char c = (unsigned char)z[j];
      if (c <= ' ' || c >= 0x7f || c == '%') {
        *why = "invalid character in the zone";
        return IK_EADDRFORMAT;
      }
      if (!is_digit(z[j]))
        numeric = 0;
    }
    if (numeric) {
      uint64_t v = 0;
      for (j = 0; j < zlen; j++) {
        v = v * 10 + (uint64_t)(z[j] - '0');
        if (v > UINT32_MAX) {
          *why = "zone number out of range";
          return IK_EADDRFORMAT;
        }
      }
      a.scope_id = (uint32_t)v;
    } else {
      *zone = z;
    }
  }
  *out = a;
  return 0;
}

static const char *ellipsis(const char *text) { return strlen(text) > IK__QUOTE_MAX ? "..." : ""; }

int ik_address_parse(const char *text, ik_address *out) {
  const char *zone = NULL, *why = NULL;
  ik_address a;
  int err;

  if (text == NULL || out == NULL)
    return ik__fail(IK_EINVAL, "ik_address_parse: NULL argument");
  if ((err = parse_text(text, &a, &zone, &why)) != 0) {
    if (why == mapped_why)
      return ik__fail(err, "'%.*s' is an IPv4-mapped IPv6 address: use the IPv4 form %u.%u.%u.%u",
                      IK__QUOTE_MAX, text, a.bytes[12], a.bytes[13], a.bytes[14], a.bytes[15]);
    return ik__fail(err, "malformed IP address '%.*s%s': %s", IK__QUOTE_MAX, text, ellipsis(text),
                    why);
  }
  if (zone != NULL && (a.scope_id = ik__if_index(zone)) == 0)
    return ik__fail(IK_EADDRFORMAT, "unknown network interface '%s' in the zone of '%.*s%s'", zone,
                    IK__QUOTE_MAX, text, ellipsis(text));
  *out = a;
  return 0;
}

/* RFC 5952: lowercase, no leading zeros, the longest run (>= 2) of zero
 * groups as "::" (leftmost on a tie), mixed notation for IPv4-mapped. */
static void format_v6(const uint8_t b[16], char *p, size_t cap) {
  unsigned w[8];
  int i, best = -1, best_len = 0;
  size_t used = 0;

  for (i = 0; i < 8; i++)
    w[i] = (unsigned)(b[2 * i] << 8 | b[2 * i + 1]);
  if (is_v4_mapped(b)) {
    snprintf(p, cap, "::ffff:%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
    return;
  }
  for (i = 0; i < 8;) {
    int j = i;
    while (j < 8 && w[j] == 0)
      j++;
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j > i ? j : i + 1;
  }
  p[0] = '\0';
  for (i = 0; i < 8;) {
    if (i == best) {
      used += (size_t)snprintf(p + used, cap - used, "::");
      i += best_len;
      continue;
    }
    used += (size_t)snprintf(p + used, cap - used, "%s%x", i > 0 && i != best + best_len ? ":" : "",
                             w[i]);
    i++;
  }
}

int ik_address_format(const ik_address *addr, char *buf, size_t len) {
  char text[2 * IK_ADDRSTRLEN]; /* room for any zone name, so a long one is ENOSPACE, not cut */
  size_t n;

  if (addr == NULL || buf == NULL)
    return ik__fail(IK_EINVAL, "ik_address_format: NULL argument");
  if (len > 0)
    buf[0] = '\0';
  if (addr->family == IK_AF_INET) {
    /* "%u.%u.%u.%u" by hand: a multiping formats one per host. */
    char *t = text;
    int i;
    for (i = 0; i < 4; i++) {
      unsigned b = addr->bytes[i];
      if (b >= 100)
        *t++ = (char)('0' + b / 100);
      if (b >= 10)
        *t++ = (char)('0' + b / 10 % 10);
      *t++ = (char)('0' + b % 10);
      *t++ = i < 3 ? '.' : '\0';
    }
  } else if (addr->family == IK_AF_INET6) {
    format_v6(addr->bytes, text, sizeof text);
    if (addr->scope_id != 0) {
      char name[IK_ADDRSTRLEN];
      n = strlen(text);
      if (ik__if_name(addr->scope_id, name, sizeof name) == 0)
        snprintf(text + n, sizeof text - n, "%%%s", name);
      else
        snprintf(text + n, sizeof text - n, "%%%lu", (unsigned long)addr->scope_id);
    }
  } else {
    return ik__fail(IK_EINVAL, "ik_address_format: address family %d is neither 4 nor 6",
                    addr->family);
  }
  n = strlen(text);
  if (n >= len)
    return ik__fail(IK_ENOSPACE, "ik_address_format: '%s' needs %zu bytes, the buffer has %zu",
                    text, n + 1, len);
  memcpy(buf, text, n + 1);
  return 0;
}

int ik_is_ipv4_address(const char *text) {
  ik_address a;
  const char *zone, *why;
  return text != NULL && parse_text(text, &a, &zone, &why) == 0 && a.family == IK_AF_INET;
}

/* Syntax only: a zone name is not looked up, so the answer does not depend
 * on this machine's interfaces. */
int ik_is_ipv6_address(const char *text) {
  ik_address a;
  const char *zone, *why;
  return text != NULL && parse_text(text, &a, &zone, &why) == 0 && a.family == IK_AF_INET6;
}

/* RFC 1123 host name: dot-separated labels of 1..63 letters, digits and
 * hyphens, not starting or ending with a hyphen, 253 characters at most
 * plus an optional final dot. The last label must not be all digits
 * (RFC 3696 section 2), which keeps "1.2.3" and "256.1.1.1" out. */
int ik_is_hostname(const char *text) {
  size_t len, i, label = 0;
  int all_digits = 1;

  if (text == NULL)
    return 0;
  len = strlen(text);
  if (len > 0 && text[len - 1] == '.')
    len--;
  if (len == 0 || len > 253)
    return 0;
  for (i = 0; i <= len; i++) {
    char c = i < len ? text[i] : '.';
    if (c == '.') {
      if (label == 0 || text[i - 1] == '-')
        return 0;
      if (i == len && all_digits)
        return 0;
      label = 0;
      all_digits = 1;
      continue;
    }
    if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
      return 0;
    if (label == 0 && c == '-')
      return 0;
    if (++label > 63)
      return 0;
    if (!is_digit(c))
      all_digits = 0;
  }
  return 1;
}

int ik__address_equal(const ik_address *a, const ik_address *b) {
  if (a->family != b->family || (a->family != IK_AF_INET && a->family != IK_AF_INET6))
    return 0;
  if (memcmp(a->bytes, b->bytes, a->family == IK_AF_INET ? 4 : 16) != 0)
    return 0;
  return a->scope_id == 0 || b->scope_id == 0 || a->scope_id == b->scope_id;
}

int ik__address_is_group(const ik_address *a) {
  static const uint8_t broadcast[4] = {255, 255, 255, 255};
  if (a->family == IK_AF_INET)
    return memcmp(a->bytes, broadcast, 4) == 0 || (a->bytes[0] & 0xf0) == 0xe0;
  return a->family == IK_AF_INET6 && a->bytes[0] == 0xff;
}

/* Linux sends echo to 0.0.0.0 to this host (iputils prints "PING 0.0.0.0
 * (127.0.0.1)") and to :: nowhere; either way the answer never matches a
 * probe to the unspecified address, so it is refused before anything is
 * sent. A link-local destination needs its interface: without one, sendto
 * fails with a bare EINVAL. */
int ik_destination_check(const ik_address *dst) {
  static const uint8_t zero[16] = {0};
  char text[IK_ADDRSTRLEN];
  if (dst == NULL || (dst->family != IK_AF_INET && dst->family != IK_AF_INET6))
    return ik__fail(IK_EINVAL, "ik_destination_check: no address");
  if (memcmp(dst->bytes, zero, dst->family == IK_AF_INET ? 4 : 16) == 0)
    return ik__fail(IK_EINVAL,
                    "%s is the unspecified address, which no host has: use %s for this host",
                    dst->family == IK_AF_INET ? "0.0.0.0" : "::",
                    dst->family == IK_AF_INET ? "127.0.0.1" : "::1");
  if (dst->family == IK_AF_INET6 && dst->scope_id == 0 &&
      ((dst->bytes[0] == 0xfe && (dst->bytes[1] & 0xc0) == 0x80) ||
       (dst->bytes[0] == 0xff && ((dst->bytes[1] & 0x0f) == 1 || (dst->bytes[1] & 0x0f) == 2)))) {
    if (ik_address_format(dst, text, sizeof text) != 0)
      text[0] = '\0';
    return ik__fail(IK_EINVAL,
                    "%s is a link-local address: name the interface as a zone, e.g. %s%%eth0", text,
                    text);
  }
  return 0;
}
