// The token bucket that paces multiping (src/probe/ratelimit.c).
#include <gtest/gtest.h>

extern "C" {
#include "probe/engine.h"
}

namespace {

TEST(RateLimit, StartsWithOneProbeThenPacesAtTheRate) {
  ik__ratelimit rl;
  ik__ratelimit_init(&rl, 1000, 0.0);
  EXPECT_EQ(ik__ratelimit_quota(&rl, 256), 1u);
  ik__ratelimit_take(&rl, 1);
  EXPECT_DOUBLE_EQ(ik__ratelimit_wait(&rl), 0.001);
  ik__ratelimit_refill(&rl, 0.005);
  EXPECT_EQ(ik__ratelimit_quota(&rl, 256), 5u);
  EXPECT_EQ(ik__ratelimit_wait(&rl), 0.0);
}

TEST(RateLimit, SavesUpAtMostTenMillisecondsOfRate) {
  ik__ratelimit rl;
  ik__ratelimit_init(&rl, 1000, 0.0);
  ik__ratelimit_refill(&rl, 60.0);
  EXPECT_EQ(ik__ratelimit_quota(&rl, 256), 10u);
}

TEST(RateLimit, ASlowRateStillSavesUpOneProbe) {
  ik__ratelimit rl;
  ik__ratelimit_init(&rl, 2, 0.0);
  ik__ratelimit_take(&rl, 1);
  EXPECT_DOUBLE_EQ(ik__ratelimit_wait(&rl), 0.5);
  ik__ratelimit_refill(&rl, 100.0);
  EXPECT_EQ(ik__ratelimit_quota(&rl, 256), 1u);
}

TEST(RateLimit, ZeroLetsEverythingThrough) {
  ik__ratelimit rl;
  ik__ratelimit_init(&rl, 0, 0.0);
  ik__ratelimit_take(&rl, 1000);
  ik__ratelimit_refill(&rl, 1.0);
  EXPECT_EQ(ik__ratelimit_quota(&rl, 256), 256u);
  EXPECT_EQ(ik__ratelimit_wait(&rl), 0.0);
}

}  // namespace
