/* Targets by address: an open-addressing index over a job's
 * destinations (engine.h). */
#include <stdlib.h>
#include <string.h>

#include "probe/engine.h"

static uint32_t address_hash(const ik_address *a) {
  uint32_t h = 2166136261u; /* FNV-1a */
  size_t i, len = a->family == IK_AF_INET ? 4 : 16;
  for (i = 0; i < len; i++)
    h = (h ^ a->bytes[i]) * 16777619u;
  return h;
}

int ik__addr_index_build(ik__addr_index *x, const ik_address *dst, size_t n) {
  size_t size = 16, i;
  while (size < 2 * n)
    size *= 2;
  if ((x->slot = (uint32_t *)malloc(size * sizeof *x->slot)) == NULL)
    return IK_ENOMEM;
  memset(x->slot, 0xff, size * sizeof *x->slot);
  x->size = size;
  for (i = 0; i < n; i++) {
    size_t k;
    if (dst[i].family == 0)
      continue;
    for (k = address_hash(&dst[i]) & (size - 1); x->slot[k] != UINT32_MAX;)
      k = (k + 1) & (size - 1);
    x->slot[k] = (uint32_t)i;
  }
  return 0;
}

long ik__addr_index_next(const ik__addr_index *x, const ik_address *dst, const ik_address *a,
                         size_t *pos) {
  size_t mask = x->size - 1;
  size_t k = *pos == IK__ADDR_INDEX_FIRST ? address_hash(a) & mask : (*pos + 1) & mask;
  for (; x->slot[k] != UINT32_MAX; k = (k + 1) & mask)
    if (ik__address_equal(&dst[x->slot[k]], a)) {
      *pos = k;
      return (long)x->slot[k];
    }
  return -1;
}

void ik__addr_index_free(ik__addr_index *x) {
  free(x->slot);
  x->slot = NULL;
  x->size = 0;
}
