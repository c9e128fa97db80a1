// Every entry point when file descriptors run out (issue 15): a specific
// error naming what ran out, never an exit of the process. Each call runs
// in a child process whose RLIMIT_NOFILE leaves a few descriptors, inside
// a private namespace (its loopback only). Root only.
#include <gtest/gtest.h>

#include <event2/event.h>

#include <memory>
#include <string>

#include "../unit/descriptor_limit.h"
#include "netns.h"

using iktest::ChildOutcome;
using iktest::RunWithFreeDescriptors;

namespace {

class Descriptors : public ::testing::Test {
 protected:
  static std::unique_ptr<iknet::Topology> topo;

  static void SetUpTestSuite() {
    if (!iknet::is_root()) return;
    topo.reset(new iknet::Topology());
    topo->add("solo");
  }
  static void TearDownTestSuite() { topo.reset(); }

  void SetUp() override {
    IKNET_REQUIRE_ROOT();
    IKTEST_SKIP_UNDER_VALGRIND();
  }

  // fn in a child with free_fds descriptors left, inside the namespace.
  ChildOutcome Run(int free_fds, const std::function<std::string()> &fn,
                   const std::function<void()> &before_limit = {}) {
    iknet::ScopedNetns in(topo->ns("solo"));
    return RunWithFreeDescriptors(free_fds, fn, before_limit);
  }
};

std::unique_ptr<iknet::Topology> Descriptors::topo;

ik_ping_options Quick() {
  ik_ping_options o;
  ik_ping_options_init(&o);
  o.count = 1;
  o.timeout = 1;
  o.privileged = 1;
  return o;
}

std::string Ping() {
  ik_ping_options o = Quick();
  ik_host host;
  int err = ik_ping("127.0.0.1", &o, &host);
  ik_host_free(&host);
  return iktest::Outcome(err, ik_last_error());
}

std::string Multiping() {
  ik_ping_options o;
  ik_multiping_options_init(&o);
  o.count = 1;
  o.timeout = 1;
  o.privileged = 1;
  const char *addresses[] = {"127.0.0.1", "127.0.0.2"};
  ik_host hosts[2];
  int err = ik_multiping(addresses, 2, &o, hosts);
  if (err == 0)
    for (ik_host &h : hosts) ik_host_free(&h);
  return iktest::Outcome(err, ik_last_error());
}

std::string Traceroute() {
  ik_ping_options o;
  ik_traceroute_options_init(&o);
  o.count = 1;
  o.timeout = 1;
  o.privileged = 1;
  o.max_hops = 2;
  ik_hop *hops = nullptr;
  size_t n = 0;
  int err = ik_traceroute("127.0.0.1", &o, &hops, &n);
  ik_hops_free(hops, n);
  return iktest::Outcome(err, ik_last_error());
}

const std::string kEventLoopEmfile =
    "IK_ESOCKET: out of file descriptors (EMFILE: the process limit, RLIMIT_NOFILE) creating the "
    "event loop";

TEST_F(Descriptors, SynchronousCallsReturnEmfileWhenTheEventLoopCannotHaveItsDescriptors) {
  const std::pair<const char *, std::function<std::string()>> calls[] = {
      {"ik_ping", Ping}, {"ik_multiping", Multiping}, {"ik_traceroute", Traceroute}};
  for (const auto &call : calls)
    for (int free_fds = 0; free_fds < 4; ++free_fds) {
      ChildOutcome c = Run(free_fds, call.second);
      ASSERT_TRUE(c.exited) << call.first << ", " << free_fds << " free: killed by signal "
                            << c.signal << "\n" << c.err;
      EXPECT_EQ(c.exit_status, 0) << call.first << ", " << free_fds
                                  << " free: the process was exited\n" << c.err;
      EXPECT_EQ(c.report, kEventLoopEmfile) << call.first << ", " << free_fds << " free";
      EXPECT_EQ(c.err, "") << call.first;
    }
}

// From no descriptor up, ik_ping fails with an error naming them until it
// has enough, and then answers: the harness is not vacuous.
TEST_F(Descriptors, PingFailsCleanlyUntilItHasTheDescriptorsItNeeds) {
  int works_from = -1;
  for (int free_fds = 0; free_fds <= 8 && works_from < 0; ++free_fds) {
    ChildOutcome c = Run(free_fds, Ping);
    ASSERT_TRUE(c.exited) << free_fds << " free: killed by signal " << c.signal << "\n" << c.err;
    ASSERT_EQ(c.exit_status, 0) << free_fds << " free\n" << c.err;
    if (c.report.rfind("IK_OK", 0) == 0) {
      works_from = free_fds;
    } else {
      EXPECT_TRUE(c.report == kEventLoopEmfile ||
                  c.report == "IK_ESOCKET: socket: Too many open files")
          << free_fds << " free: " << c.report;
    }
  }
  EXPECT_GE(works_from, 5) << "the base takes 4, the socket 1";
}

TEST_F(Descriptors, SocketOpenReturnsASocketErrorWithoutADescriptor) {
  ChildOutcome c = Run(0, [] {
    ik_socket *s = nullptr;
    int err = ik_socket_open(&s, IK_AF_INET, nullptr, 0);
    ik_socket_free(s);
    return iktest::Outcome(err, ik_last_error());
  });
  ASSERT_TRUE(c.exited) << c.signal;
  EXPECT_EQ(c.report, "IK_ESOCKET: socket: Too many open files");
}

// The asynchronous calls use the caller's base: wrapping a socket takes
// no descriptor, starting a job takes one for its socket.
TEST_F(Descriptors, AsyncCallsOnTheCallersBaseFailCleanlyWithoutADescriptor) {
  static event_base *base;
  static ik_socket *sock;
  ChildOutcome c = Run(
      0,
      [] {
        ik_async *a = nullptr;
        int wrap = ik_async_new(base, sock, &a);
        std::string r = std::string(ik_err_name(wrap)) + "\n";
        ik_ping_options o = Quick();
        ik_host host;
        int err = ik_async_ping(base, "127.0.0.1", &o, &host, [](int, void *) {}, nullptr, nullptr);
        r += iktest::Outcome(err, ik_last_error());
        ik_async_free(a);
        return r;
      },
      [] {
        base = event_base_new();
        ik_socket_open(&sock, IK_AF_INET, nullptr, 0);
      });
  ASSERT_TRUE(c.exited) << c.signal << "\n" << c.err;
  EXPECT_EQ(c.report.substr(0, c.report.find('\n')), "IK_OK") << c.report;
  EXPECT_EQ(c.report.substr(c.report.find('\n') + 1), "IK_ESOCKET: socket: Too many open files");
}

}  // namespace
