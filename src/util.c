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
