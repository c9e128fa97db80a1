/* Payload generation and the process-wide identifier counter. */
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
    for (k = 0; k < 8 && i < len; k++, i++)
      buf[i] = (uint8_t)(z >> (8 * k));
  }
}

/* The one documented piece of global state. The identifiers start at a
 * per-process random offset (OS randomness), so that a local user cannot
 * predict them from the PID and bind a ping socket to the same identifier
 * ahead of us (docs/security.md). The PID is still added on every call, so
 * a forked child, which inherits the offset and the counter, continues
 * from other values than its parent. The offset is set once, by a compare
 * and swap: threads that make their first calls at once may each draw
 * one, but all use the one that was stored first (bit 16 marks it set),
 * so no two calls get the same value before the counter wraps. */
static volatile unsigned id_counter, id_offset;

uint16_t ik_unique_identifier(void) {
  unsigned offset = ik__atomic_cas(&id_offset, 0, 0);
  if (offset == 0) {
    uint16_t r;
    unsigned prior;
    ik__random_bytes(&r, sizeof r);
    prior = ik__atomic_cas(&id_offset, 0, 0x10000u | r);
    offset = prior != 0 ? prior : (0x10000u | r);
  }
  return (uint16_t)((offset + ik__process_id() + ik__atomic_fetch_inc(&id_counter)) & 0xffff);
}
