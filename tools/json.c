/* Growable buffer and JSON writer (see json.h). */
#include "json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ikcli_buf_free(ikcli_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->failed = 0;
}

void ikcli_buf_clear(ikcli_buf *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

/* Room for n more bytes and the NUL; 0 on failure. */
static int reserve(ikcli_buf *b, size_t n) {
  size_t want, cap;
  char *p;
  if (b->failed)
    return 0;
  if (n > (size_t)-1 - b->len - 1) {
    b->failed = 1;
    return 0;
  }
  want = b->len + n + 1;
  if (want <= b->cap)
    return 1;
  cap = b->cap ? b->cap : 256;
  while (cap < want)
    cap = cap > (size_t)-1 / 2 ? want : cap * 2;
  p = (char *)realloc(b->data, cap);
  if (p == NULL) {
    b->failed = 1;
    return 0;
  }
  b->data = p;
  b->cap = cap;
  return 1;
}

void ikcli_buf_put(ikcli_buf *b, const char *s, size_t n) {
  if (!reserve(b, n))
    return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void ikcli_buf_puts(ikcli_buf *b, const char *s) { ikcli_buf_put(b, s, strlen(s)); }

void ikcli_buf_printf(ikcli_buf *b, const char *fmt, ...) {
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = 1;
    return;
  }
  if (!reserve(b, (size_t)n))
    return;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one
 * (overlong forms, surrogates and code points above U+10FFFF refused). */
static size_t utf8_length(const unsigned char *s) {
  unsigned c = s[0];
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    return (s[1] & 0xc0) == 0x80 ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
  }
  return 0;
}

void ikcli_json_string(ikcli_buf *b, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  ikcli_buf_put(b, "\"", 1);
  while (*p) {
    size_t n;
    switch (*p) {
    case '"':
      ikcli_buf_put(b, "\\\"", 2);
      p++;
      continue;
    case '\\':
      ikcli_buf_put(b, "\\\\", 2);
      p++;
      continue;
    case '\n':
      ikcli_buf_put(b, "\\n", 2);
      p++;
      continue;
    case '\r':
      ikcli_buf_put(b, "\\r", 2);
      p++;
      continue;
    case '\t':
      ikcli_buf_put(b, "\\t", 2);
      p++;
      continue;
    default:
      break;
    }
    if (*p < 0x20 || *p == 0x7f) {
      ikcli_buf_printf(b, "\\u%04x", (unsigned)*p);
      p++;
      continue;
    }
    n = utf8_length(p);
    if (n == 0) {
      ikcli_buf_put(b, "\\ufffd", 6);
      p++;
      continue;
    }
    ikcli_buf_put(b, (const char *)p, n);
    p += n;
  }
  ikcli_buf_put(b, "\"", 1);
}

void ikcli_json_number(ikcli_buf *b, double v) {
  char text[352]; /* %.3f of DBL_MAX: 309 digits, the point, 3 decimals */
  size_t n;
  if (!isfinite(v)) {
    ikcli_buf_puts(b, "null");
    return;
  }
  /* Three decimals: milliseconds to the microsecond, as the text output
   * prints them; icmplib rounds its statistics and loss to 3 digits too.
   * More digits would only show the clock's arithmetic (0.49996376037597656).
   * %f never writes an exponent, and the CLI never calls setlocale, so the
   * "C" locale's decimal point is what JSON wants. */
  snprintf(text, sizeof text, "%.3f", v);
  n = strlen(text);
  while (text[n - 1] == '0')
    text[--n] = '\0';
  if (text[n - 1] == '.')
    text[--n] = '\0';
  if (strcmp(text, "-0") == 0) /* what rounds to zero is 0 (-0 trips some parsers) */
    ikcli_buf_puts(b, "0");
  else
    ikcli_buf_put(b, text, n);
}

void ikcli_json_int(ikcli_buf *b, long long v) { ikcli_buf_printf(b, "%lld", v); }

void ikcli_json_bool(ikcli_buf *b, int v) { ikcli_buf_puts(b, v ? "true" : "false"); }

void ikcli_json_key(ikcli_buf *b, const char *key, int first) {
  if (!first)
    ikcli_buf_put(b, ",", 1);
  ikcli_json_string(b, key);
  ikcli_buf_put(b, ":", 1);
}
