/* Target lists for multiping: hosts, CIDR ranges, host files (targets.h). */
#include "targets.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icmpkit.h"

/* Largest -f file read into memory: far above 2^20 lines of addresses. */
#define MAX_FILE_BYTES ((size_t)256 << 20)

static int fail(char *msg, size_t msglen, int err, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 4, 5)))
#endif
  ;

static int fail(char *msg, size_t msglen, int err, const char *fmt, ...) {
  va_list ap;
  if (msg != NULL && msglen > 0) {
    va_start(ap, fmt);
    vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
  }
  return err;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
  size_t c = *cap ? *cap : 64;
  void *q;
  if (need <= *cap)
    return 0;
  while (c < need)
    c *= 2;
  if (c > (size_t)-1 / elem)
    return IK_ENOMEM;
  q = realloc(*p, c * elem);
  if (q == NULL)
    return IK_ENOMEM;
  *p = q;
  *cap = c;
  return 0;
}

/* Appends one name of len bytes (no validation). */
static int push(ikcli_targets *t, const char *s, size_t len, char *msg, size_t msglen) {
  if (t->n >= IKCLI_MAX_TARGETS)
    return fail(msg, msglen, IK_EINVAL, "too many targets: at most %lu in one run",
                (unsigned long)IKCLI_MAX_TARGETS);
  if (grow((void **)&t->offsets, &t->cap, t->n + 1, sizeof *t->offsets) != 0 ||
      grow((void **)&t->arena, &t->arena_cap, t->arena_len + len + 1, 1) != 0)
    return fail(msg, msglen, IK_ENOMEM, "out of memory for the target list");
  memcpy(t->arena + t->arena_len, s, len);
  t->arena[t->arena_len + len] = '\0';
  t->offsets[t->n++] = t->arena_len;
  t->arena_len += len + 1;
  return 0;
}

/* Printable ASCII without spaces: what a host name or address can be. */
static int plain_text(const char *s, size_t len) {
  size_t i;
  for (i = 0; i < len; i++)
    if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
      return 0;
  return 1;
}

int ikcli_targets_add(ikcli_targets *t, const char *host, char *msg, size_t msglen) {
  size_t len = strlen(host);
  if (len == 0)
    return fail(msg, msglen, IK_EINVAL, "empty host name");
  if (len > IKCLI_MAX_HOST_LEN)
    return fail(msg, msglen, IK_EINVAL, "host name longer than %d characters", IKCLI_MAX_HOST_LEN);
  if (!plain_text(host, len))
    return fail(msg, msglen, IK_EINVAL, "host name with a space, control or non-ASCII character");
  return push(t, host, len, msg, msglen);
}

/* ---- CIDR ---- */

/* "%u.%u.%u.%u" of v into text (16 bytes), without snprintf: a /12 range
 * formats a million of them. Returns the length. */
static size_t dotted_quad(uint32_t v, char *text) {
  size_t len = 0;
  int shift;
  for (shift = 24; shift >= 0; shift -= 8) {
    unsigned b = (v >> shift) & 0xff;
    if (b >= 100)
      text[len++] = (char)('0' + b / 100);
    if (b >= 10)
      text[len++] = (char)('0' + b / 10 % 10);
    text[len++] = (char)('0' + b % 10);
    text[len++] = '.';
  }
  text[--len] = '\0';
  return len;
}

static int add_range(ikcli_targets *t, const ik_address *base, unsigned bits, char *msg,
                     size_t msglen) {
  uint32_t i, first = 0, last = (uint32_t)((1ul << bits) - 1);
  char text[IK_ADDRSTRLEN];
  ik_address a = *base;
  int err;

  if (base->family == IK_AF_INET && bits >= 2) {
    first = 1; /* no network address */
    last -= 1; /* no broadcast address */
  }
  for (i = first; i <= last; i++) {
    size_t len;
    if (base->family == IK_AF_INET) {
      uint32_t v = (((uint32_t)base->bytes[0] << 24) | ((uint32_t)base->bytes[1] << 16) |
                    ((uint32_t)base->bytes[2] << 8) | base->bytes[3]) +
                   i;
      len = dotted_quad(v, text);
    } else {
      /* At most 20 host bits: they live in the last three bytes, which
       * the mask has cleared. */
      a.bytes[13] = (uint8_t)(base->bytes[13] | (i >> 16));
      a.bytes[14] = (uint8_t)(base->bytes[14] | ((i >> 8) & 0xff));
      a.bytes[15] = (uint8_t)(base->bytes[15] | (i & 0xff));
      if ((err = ik_address_format(&a, text, sizeof text)) != 0)
        return fail(msg, msglen, err, "cannot format an address of the range: %s", ik_last_error());
      len = strlen(text);
    }
    if ((err = push(t, text, len, msg, msglen)) != 0)
      return err;
    if (i == last) /* last may be 2^32 - 1 in principle: avoid wrapping */
      break;
  }
  return 0;
}

int ikcli_targets_add_cidr(ikcli_targets *t, const char *cidr, char *msg, size_t msglen) {
  const char *slash = strrchr(cidr, '/'), *p;
  char addr_text[IK_ADDRSTRLEN];
  ik_address base;
  unsigned prefix = 0, width, bits, k;
  size_t addr_len, count, saved_n = t->n, saved_len = t->arena_len;
  int err;
  char shown[128], shown2[IK_ADDRSTRLEN * 4];
  const char *range = ik_escape(cidr, shown, sizeof shown);

  if (slash == NULL)
    return fail(msg, msglen, IK_EINVAL, "-g '%s': expected ADDRESS/PREFIX, e.g. 198.18.0.0/24",
                range);
  addr_len = (size_t)(slash - cidr);
  if (addr_len == 0 || addr_len >= sizeof addr_text)
    return fail(msg, msglen, IK_EINVAL, "-g '%s': not an IP address before the '/'", range);
  memcpy(addr_text, cidr, addr_len);
  addr_text[addr_len] = '\0';
  if (ik_address_parse(addr_text, &base) != 0)
    return fail(msg, msglen, IK_EINVAL, "-g '%s': '%s' is not an IP address", range,
                ik_escape(addr_text, shown2, sizeof shown2));
  for (p = slash + 1; *p; p++) {
    if (*p < '0' || *p > '9' || p - slash > 3)
      return fail(msg, msglen, IK_EINVAL, "-g '%s': the prefix length must be a number", range);
    prefix = prefix * 10 + (unsigned)(*p - '0');
  }
  width = base.family == IK_AF_INET ? 32 : 128;
  if (p == slash + 1 || prefix > width)
    return fail(msg, msglen, IK_EINVAL, "-g '%s': the prefix length must be 0..%u", range, width);
  bits = width - prefix;
  if (bits > 20)
    return fail(msg, msglen, IK_EINVAL,
                "-g '%s': the range has 2^%u addresses; at most 2^20 (%lu) are allowed, "
                "use a longer prefix (/%u or more)",
                range, bits, (unsigned long)IKCLI_MAX_TARGETS, width - 20);
  count = (size_t)1 << bits;
  if (base.family == IK_AF_INET && bits >= 2)
    count -= 2;
  if (count > IKCLI_MAX_TARGETS - t->n)
    return fail(msg, msglen, IK_EINVAL,
                "-g '%s': %lu more addresses would exceed the limit of %lu targets", range,
                (unsigned long)count, (unsigned long)IKCLI_MAX_TARGETS);
  /* Host bits are cleared so 198.18.0.7/24 means the whole /24. */
  for (k = prefix; k < width; k++)
    base.bytes[k / 8] &= (uint8_t) ~(0x80u >> (k % 8));
  if ((err = add_range(t, &base, bits, msg, msglen)) != 0) {
    t->n = saved_n;
    t->arena_len = saved_len;
  }
  return err;
}

/* ---- host files ---- */

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

int ikcli_targets_add_text(ikcli_targets *t, const uint8_t *data, size_t len, const char *name,
                           char *msg, size_t msglen) {
  size_t pos = 0, line = 0, saved_n = t->n, saved_len = t->arena_len;
  int err = 0;
  char shown[256];

  name = ik_escape(name, shown, sizeof shown);
  if (data == NULL && len > 0)
    return fail(msg, msglen, IK_EINVAL, "%s: no data", name);
  while (pos < len && err == 0) {
    const char *s = (const char *)data + pos, *end, *nl, *hash;
    size_t i, n;
    nl = (const char *)memchr(s, '\n', len - pos);
    end = nl ? nl : (const char *)data + len;
    pos = (size_t)(end - (const char *)data) + 1;
    line++;
    hash = (const char *)memchr(s, '#', (size_t)(end - s));
    if (hash)
      end = hash;
    while (s < end && is_space(*s))
      s++;
    while (end > s && is_space(end[-1]))
      end--;
    n = (size_t)(end - s);
    if (n == 0)
      continue;
    for (i = 0; i < n; i++)
      if (is_space(s[i]))
        break;
    if (i < n)
      err = fail(msg, msglen, IK_EINVAL, "%s:%lu: more than one host on the line (one per line)",
                 name, (unsigned long)line);
    else if (n > IKCLI_MAX_HOST_LEN)
      err = fail(msg, msglen, IK_EINVAL, "%s:%lu: host name longer than %d characters", name,
                 (unsigned long)line, IKCLI_MAX_HOST_LEN);
    else if (!plain_text(s, n))
      err = fail(msg, msglen, IK_EINVAL, "%s:%lu: control or non-ASCII character in the host name",
                 name, (unsigned long)line);
    else if ((err = push(t, s, n, msg, msglen)) != 0) {
      /* push wrote the reason; keep it and add the place. */
      char reason[160];
      snprintf(reason, sizeof reason, "%s", msg ? msg : "");
      fail(msg, msglen, err, "%s:%lu: %s", name, (unsigned long)line, reason);
    }
  }
  if (err != 0) {
    t->n = saved_n;
    t->arena_len = saved_len;
  }
  return err;
}

/* The file is read in 64 KiB steps into a buffer that never grows past
 * MAX_FILE_BYTES + 1 bytes, and a NUL byte (no text file has one:
 * /dev/zero, a binary) ends the reading at once: a wrong -f costs at most
 * that much memory and time. */
int ikcli_targets_add_file(ikcli_targets *t, const char *path, char *msg, size_t msglen) {
  int from_stdin = strcmp(path, "-") == 0;
  FILE *f = from_stdin ? stdin : fopen(path, "rb");
  uint8_t *data = NULL;
  size_t len = 0, cap = 0;
  int err = 0;
  char shown[256];

  path = ik_escape(path, shown, sizeof shown);
  if (f == NULL)
    return fail(msg, msglen, IK_EINVAL, "-f %s: %s", path, strerror(errno));
  for (;;) {
    size_t got;
    if (len == cap) {
      size_t want = cap == 0 ? 65536 : cap * 2;
      uint8_t *p;
      if (want > MAX_FILE_BYTES + 1)
        want = MAX_FILE_BYTES + 1;
      if ((p = (uint8_t *)realloc(data, want)) == NULL) {
        err = fail(msg, msglen, IK_ENOMEM, "-f %s: out of memory", path);
        break;
      }
      data = p;
      cap = want;
    }
    got = fread(data + len, 1, cap - len, f);
    if (got > 0 && memchr(data + len, '\0', got) != NULL) {
      err = fail(msg, msglen, IK_EINVAL, "-f %s: not a text file (a NUL byte within %lu bytes)",
                 path, (unsigned long)(len + got));
      break;
    }
    len += got;
    if (len > MAX_FILE_BYTES) {
      err = fail(msg, msglen, IK_EINVAL, "-f %s: larger than %lu MiB", path,
                 (unsigned long)(MAX_FILE_BYTES >> 20));
      break;
    }
    if (got == 0) {
      if (ferror(f))
        err = fail(msg, msglen, IK_EINVAL, "-f %s: read error: %s", path, strerror(errno));
      break;
    }
  }
  if (!from_stdin)
    fclose(f);
  if (err == 0)
    err = ikcli_targets_add_text(t, data, len, from_stdin ? "<stdin>" : path, msg, msglen);
  free(data);
  return err;
}

int ikcli_targets_append(ikcli_targets *t, const ikcli_targets *from, size_t first, char *msg,
                         size_t msglen) {
  size_t i, count, start, bytes;
  if (first >= from->n)
    return 0;
  count = from->n - first;
  if (count > IKCLI_MAX_TARGETS - t->n)
    return fail(msg, msglen, IK_EINVAL, "too many targets: at most %lu in one run",
                (unsigned long)IKCLI_MAX_TARGETS);
  start = from->offsets[first];
  bytes = from->arena_len - start;
  if (grow((void **)&t->offsets, &t->cap, t->n + count, sizeof *t->offsets) != 0 ||
      grow((void **)&t->arena, &t->arena_cap, t->arena_len + bytes, 1) != 0)
    return fail(msg, msglen, IK_ENOMEM, "out of memory for the target list");
  memcpy(t->arena + t->arena_len, from->arena + start, bytes);
  for (i = 0; i < count; i++)
    t->offsets[t->n + i] = from->offsets[first + i] - start + t->arena_len;
  t->n += count;
  t->arena_len += bytes;
  return 0;
}

const char *const *ikcli_targets_list(ikcli_targets *t) {
  size_t i;
  const char **list = (const char **)realloc((void *)t->list, (t->n + 1) * sizeof *list);
  if (list == NULL)
    return NULL;
  for (i = 0; i < t->n; i++)
    list[i] = t->arena + t->offsets[i];
  list[t->n] = NULL;
  t->list = list;
  return list;
}

void ikcli_targets_free(ikcli_targets *t) {
  free(t->arena);
  free(t->offsets);
  free((void *)t->list);
  memset(t, 0, sizeof *t);
}
