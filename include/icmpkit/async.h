/* Asynchronous API on a caller's libevent event_base.
 * Included by <icmpkit.h>; do not include directly. */
#ifndef ICMPKIT_ASYNC_H
#define ICMPKIT_ASYNC_H

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

/* Filled in by the async issue. */

#ifdef __cplusplus
}
#endif

#endif /* ICMPKIT_ASYNC_H */
