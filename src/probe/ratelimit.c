/* A token bucket: rate probes per second, saving up at most IK__BURST
 * seconds of them (at least one), so a late tick sends a short burst, not
 * everything it missed. A rate of 0 lets everything through. */
#include "probe/engine.h"

#define IK__BURST 0.01 /* seconds of rate the bucket may save up */

void ik__ratelimit_init(ik__ratelimit *rl, double rate, double now) {
  rl->rate = rate;
  rl->tokens = 1;
  rl->refilled = now;
}

void ik__ratelimit_refill(ik__ratelimit *rl, double now) {
  double burst;
  if (rl->rate <= 0)
    return;
  burst = rl->rate * IK__BURST < 1 ? 1 : rl->rate * IK__BURST;
  rl->tokens += (now - rl->refilled) * rl->rate;
  if (rl->tokens > burst)
    rl->tokens = burst;
  rl->refilled = now;
}

size_t ik__ratelimit_quota(const ik__ratelimit *rl, size_t want) {
  if (rl->rate > 0 && (double)want > rl->tokens)
    return (size_t)rl->tokens;
  return want;
}

void ik__ratelimit_take(ik__ratelimit *rl, size_t n) {
  if (rl->rate > 0)
    rl->tokens -= (double)n;
}

double ik__ratelimit_wait(const ik__ratelimit *rl) {
  return rl->rate > 0 && rl->tokens < 1 ? (1 - rl->tokens) / rl->rate : 0;
}
