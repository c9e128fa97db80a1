// The library's own event bases (src/evbase.c) when descriptors run out:
// libevent 2.1 exits the process when it cannot make a base's signal pipe
// on POSIX; the library checks first, turns a fatal error during creation
// into an error return, and keeps libevent's messages off stderr.
#if !defined(_WIN32)
#include <gtest/gtest.h>

#include <signal.h>

#include <event2/event.h>

#include <string>

#include "descriptor_limit.h"

extern "C" {
#include "evbase.h"
}

namespace {

using iktest::ChildOutcome;
using iktest::RunWithFreeDescriptors;

std::string PreciseBaseNew() {
  event_base *base = nullptr;
  int err = ik__precise_base_new(&base);
  if (base != nullptr) event_base_free(base);
  return iktest::Outcome(err, ik_last_error());
}

// Creation through the fatal-error landing, without the descriptor check.
std::string CreateWithoutCheck() {
  event_config *cfg = event_config_new();
  event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
  event_base *base = nullptr;
  int err = ik__event_base_create(cfg, &base);
  if (base != nullptr) event_base_free(base);
  event_config_free(cfg);
  return iktest::Outcome(err, ik_last_error());
}

TEST(EventBase, CreationWithoutDescriptorsFailsNamingTheLimit) {
  IKTEST_SKIP_UNDER_VALGRIND();
  for (int free_fds = 0; free_fds < 4; ++free_fds) {
    ChildOutcome c = RunWithFreeDescriptors(free_fds, PreciseBaseNew);
    ASSERT_TRUE(c.exited) << free_fds << " free: killed by signal " << c.signal << "\n" << c.err;
    EXPECT_EQ(c.exit_status, 0) << free_fds << " free: the process was exited\n" << c.err;
    EXPECT_EQ(c.report,
              "IK_ESOCKET: out of file descriptors (EMFILE: the process limit, RLIMIT_NOFILE) "
              "creating the event loop")
        << free_fds << " free";
    EXPECT_EQ(c.err, "") << free_fds << " free";
  }
}

TEST(EventBase, CreationSucceedsWithTheDescriptorsABaseTakes) {
  IKTEST_SKIP_UNDER_VALGRIND();
  ChildOutcome c = RunWithFreeDescriptors(4, PreciseBaseNew);
  ASSERT_TRUE(c.exited) << c.err;
  EXPECT_EQ(c.report.rfind("IK_OK", 0), 0u) << c.report;
}

// Should another thread take the descriptors between the check and the
// creation, libevent's fatal error comes back as an error, not an exit.
// What libevent allocated for that base stays allocated (evbase.h): the
// child ends with SIGKILL after its report, before any leak check.
TEST(EventBase, FatalErrorDuringCreationIsReturnedNotExited) {
  IKTEST_SKIP_UNDER_VALGRIND();
  for (int free_fds = 0; free_fds < 4; ++free_fds) {
    ChildOutcome c = RunWithFreeDescriptors(free_fds, CreateWithoutCheck, {}, true);
    EXPECT_EQ(c.signal, SIGKILL) << free_fds << " free: exit status " << c.exit_status
                                 << " (libevent exits with 1)\n" << c.err;
    // Under valgrind the failed pipe gives EBADF rather than EMFILE: then
    // the message quotes libevent's instead of naming the limit.
    EXPECT_TRUE(c.report.rfind("IK_ESOCKET: out of file descriptors (EMFILE", 0) == 0 ||
                c.report.rfind("IK_ESOCKET: cannot create the event loop: evsig_init_: socketpair",
                               0) == 0)
        << free_fds << " free: " << c.report;
    EXPECT_EQ(c.err, "") << free_fds << " free: libevent's messages reach stderr";
  }
}

// Elsewhere a fatal error cannot be returned from; the process then ends
// loudly (SIGABRT and libevent's reason), not with a silent exit(1).
TEST(EventBase, FatalErrorElsewhereAbortsWithLibeventsReason) {
  IKTEST_SKIP_UNDER_VALGRIND();
  ChildOutcome c = RunWithFreeDescriptors(0, [] {
    ik__libevent_hooks();
    event_base *base = event_base_new();  // not the library's: no landing
    if (base != nullptr) event_base_free(base);
    return std::string("returned");
  });
  EXPECT_FALSE(c.exited) << "exit status " << c.exit_status << ", report " << c.report;
  EXPECT_EQ(c.signal, SIGABRT);
  EXPECT_EQ(c.err.rfind("icmpkit: libevent fatal error", 0), 0u) << c.err;
  EXPECT_NE(c.err.find("socketpair"), std::string::npos) << c.err;
}

}  // namespace
#endif
