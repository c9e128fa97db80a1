/* A growable text buffer and a minimal JSON writer on top of it. */
#ifndef IKCLI_JSON_H
#define IKCLI_JSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Text accumulated in memory, so that a command prints nothing until it
 * knows it will not fail. After an allocation failure, later appends are
 * ignored and failed stays 1. data is NUL-terminated when non-NULL. */
typedef struct ikcli_buf {
  char *data;
  size_t len, cap;
  int failed;
} ikcli_buf;

void ikcli_buf_free(ikcli_buf *b);
void ikcli_buf_clear(ikcli_buf *b);
void ikcli_buf_put(ikcli_buf *b, const char *s, size_t n);
void ikcli_buf_puts(ikcli_buf *b, const char *s);
void ikcli_buf_printf(ikcli_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 2, 3)))
#endif
  ;

/* A JSON string literal: quotes, backslash and control characters escaped;
 * bytes that are not valid UTF-8 become U+FFFD so the output always parses. */
void ikcli_json_string(ikcli_buf *b, const char *s);
/* A decimal with at most three decimals, trailing zeros dropped (RTTs in
 * milliseconds to the microsecond; 0.5, 12, 0.333); null for NaN and
 * infinities (JSON has no such numbers). */
void ikcli_json_number(ikcli_buf *b, double v);
void ikcli_json_int(ikcli_buf *b, long long v);
void ikcli_json_bool(ikcli_buf *b, int v);
/* "key": (a string key followed by a colon), preceded by a comma unless
 * first is set. */
void ikcli_json_key(ikcli_buf *b, const char *key, int first);

#ifdef __cplusplus
}
#endif

#endif
