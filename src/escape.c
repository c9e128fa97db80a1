/* ik_escape: the one way user-provided text (names, addresses, paths,
 * ranges, operands) reaches a terminal or a log, in the library's
 * ik_last_error() texts and in the icmpkit tool. */
#include <string.h>

#include "internal.h"

/* Length of the valid UTF-8 sequence at s (2..4), or 0: overlong forms,
 * surrogates and code points above U+10FFFF are not valid. *cp gets the
 * code point. */
static size_t utf8_sequence(const unsigned char *s, unsigned long *cp) {
  size_t n, i;
  unsigned long c, min;
  if (s[0] >= 0xc2 && s[0] <= 0xdf) {
    n = 2, c = s[0] & 0x1fu, min = 0x80;
  } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
    n = 3, c = s[0] & 0x0fu, min = 0x800;
  } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
    n = 4, c = s[0] & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  for (i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
      return 0;
    c = c << 6 | (s[i] & 0x3fu);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
    return 0;
  *cp = c;
  return n;
}

/* Characters a terminal acts on or that hide or reorder text: C1
 * controls, zero-width and bidirectional formatting, line and paragraph
 * separators, the byte order mark. */
static int is_format_char(unsigned long c) {
  return c <= 0x9f || c == 0xad || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
         (c >= 0x2060 && c <= 0x206f) || c == 0xfeff;
}

/* Writes the piece of text at s (a kept character or one escaped byte)
 * at buf + out when buf is not NULL; returns how many bytes of s it took,
 * and its output length in *need. */
static size_t piece(const unsigned char *s, char *buf, size_t out, size_t *need) {
  static const char hex[] = "0123456789abcdef";
  unsigned long cp = 0;
  size_t n = *s >= 0x20 && *s < 0x7f ? 1 : utf8_sequence(s, &cp);
  if (n == 1 || (n > 1 && !is_format_char(cp))) {
    *need = n;
    if (buf != NULL)
      memcpy(buf + out, s, n);
    return n;
  }
  *need = 4;
  if (buf != NULL) {
    buf[out] = '\\';
    buf[out + 1] = 'x';
    buf[out + 2] = hex[*s >> 4];
    buf[out + 3] = hex[*s & 0xf];
  }
  return 1;
}

const char *ik_escape(const char *text, char *buf, size_t len) {
  const unsigned char *s = (const unsigned char *)(text != NULL ? text : "(null)"), *p;
  size_t out = 0, total = 0, need, room;
  if (buf == NULL || len == 0)
    return "";
  for (p = s; *p; total += need)
    p += piece(p, NULL, 0, &need);
  /* All of it, or as much as leaves room for "..." */
  room = total < len ? total : (len > 4 ? len - 4 : 0);
  for (p = s; *p; out += need) {
    size_t took = piece(p, NULL, 0, &need);
    if (out + need > room)
      break;
    piece(p, buf, out, &need);
    p += took;
  }
  if (*p && out + 3 < len) {
    memcpy(buf + out, "...", 3);
    out += 3;
  }
  buf[out] = '\0';
  return buf;
}

int ik__needs_escape(const char *text) {
  const unsigned char *s = (const unsigned char *)text;
  for (; *s; s++)
    if (*s < 0x20 || *s >= 0x7f)
      return 1;
  return 0;
}
