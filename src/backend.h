/* Backend interface: implemented once in src/posix/ and once in src/win32/,
 * chosen by CMake at compile time. Neutral code calls only these for OS
 * services. All functions return 0 or a negative ik_error (with
 * ik__fail() detail) unless stated. */
#ifndef IK_BACKEND_H
#define IK_BACKEND_H

#include "internal.h"

/* ---- system services ---- */

/* Wall clock (seconds since the epoch) and monotonic clock (seconds). */
double ik__now_wall(void);
double ik__now_mono(void);
/* Cryptographic-quality random bytes where the OS has them. */
void ik__random_bytes(void *buf, size_t len);
/* Process id, for ik_unique_identifier's seed. */
unsigned long ik__process_id(void);
/* Atomically adds 1 to *counter and returns the previous value. */
unsigned ik__atomic_fetch_inc(volatile unsigned *counter);
/* Interface name -> index for IPv6 zones; 0 if unknown. A numeric zone
 * is handled by the caller. */
uint32_t ik__if_index(const char *name);
/* Interface index -> name into buf; IK_EINVAL if unknown. */
int ik__if_name(uint32_t index, char *buf, size_t len);
/* getaddrinfo-based lookup, family 0/4/6; see ik_resolve. */
int ik__resolve(const char *name, int family, ik_address *out, size_t max,
                size_t *n);

/* ---- ICMP endpoint (draft: the POSIX backend issue finalises it) ---- */

typedef struct ik__endpoint ik__endpoint;

#endif
