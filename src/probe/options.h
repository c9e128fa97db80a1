/* Option defaults and the one table of option ranges (options.c): the
 * engine checks a job's options with it, socket.c each request. */
#ifndef IK_PROBE_OPTIONS_H
#define IK_PROBE_OPTIONS_H

#include "internal.h"

/* Rows of the one table of option ranges. */
enum {
  IK__OPT_COUNT = 1u << 0,
  IK__OPT_INTERVAL = 1u << 1,
  IK__OPT_TIMEOUT = 1u << 2,
  IK__OPT_ID = 1u << 3,
  IK__OPT_FAMILY = 1u << 4,
  IK__OPT_PAYLOAD_SIZE = 1u << 5,
  IK__OPT_TTL = 1u << 6,
  IK__OPT_TRAFFIC_CLASS = 1u << 7,
  IK__OPT_RATE = 1u << 8,
  IK__OPT_FIRST_HOP = 1u << 9,
  IK__OPT_MAX_HOPS = 1u << 10,
  IK__OPT_LONG_COUNT = 1u << 11, /* ping: count up to INT_MAX (sequences wrap) */
  IK__OPT_SIM_QUERIES = 1u << 12,
  IK__OPT_THREADS = 1u << 13
};
#define IK__OPT_COMMON                                                                \
  (IK__OPT_COUNT | IK__OPT_INTERVAL | IK__OPT_TIMEOUT | IK__OPT_ID | IK__OPT_FAMILY | \
   IK__OPT_PAYLOAD_SIZE | IK__OPT_TRAFFIC_CLASS)

/* Checks the rows in mask (IK__OPT_*) of o, in table order. */
int ik__options_check(const ik_ping_options *o, unsigned mask);
/* Checks one value against row opt (an IK__OPT_* of an integer option);
 * socket.c checks requests with it. */
int ik__option_check(unsigned opt, long long value);
int ik__option_check_size(unsigned opt, size_t value);

#endif
