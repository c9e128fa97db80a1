// The private event_base of ik_ping / ik_multiping / ik_traceroute keeps
// time with the precise monotonic clock. libevent's default on Linux is
// CLOCK_MONOTONIC_COARSE (one step per kernel tick), with which a 2 ms
// ping interval needed several wake-ups per probe and measured longer
// RTTs (docs/performance.md, "RTT").
#include <gtest/gtest.h>

#include <event2/event.h>

#if defined(__linux__)
#  include <time.h>
#endif

extern "C" {
#include "async_engine.h"
#include "backend.h"
}

namespace {

TEST(SyncBase, ClockNeverLagsTheMonotonicClock) {
#if !defined(__linux__)
  GTEST_SKIP() << "libevent's clock is compared with CLOCK_MONOTONIC, which it reads only on Linux";
#else
  event_base *base = nullptr;
  ASSERT_EQ(ik__precise_base_new(&base), 0) << ik_last_error();
  // A coarse clock lags by up to a tick, so it reads behind a precise
  // reading taken just before it (every time, in practice); the same
  // clock read later never does. Both are truncated to microseconds.
  int behind = 0;
  for (int i = 0; i < 200; i++) {
    timespec before;
    timeval now;
    ASSERT_EQ(clock_gettime(CLOCK_MONOTONIC, &before), 0);
    ASSERT_EQ(event_gettime_monotonic(base, &now), 0);
    long long before_us = before.tv_sec * 1000000LL + before.tv_nsec / 1000;
    long long now_us = now.tv_sec * 1000000LL + now.tv_usec;
    behind += now_us < before_us;
  }
  event_base_free(base);
  EXPECT_EQ(behind, 0);
#endif
}

}  // namespace
