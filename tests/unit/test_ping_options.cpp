/* ping/multiping/traceroute without privileges: defaults, option
 * validation, name failures, and jobs that need no socket. */
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include <event2/event.h>

extern "C" {
#include "icmpkit.h"
#include "probe/options.h"
}

namespace {

TEST(PingOptions, PingDefaultsAreIcmplibs) {
  ik_ping_options o;
  ik_ping_options_init(&o);
  EXPECT_EQ(o.count, 4);
  EXPECT_EQ(o.interval, 1.0);
  EXPECT_EQ(o.timeout, 2.0);
  EXPECT_EQ(o.id, -1);
  EXPECT_EQ(o.source, nullptr);
  EXPECT_EQ(o.family, 0);
  EXPECT_EQ(o.privileged, 1);
  EXPECT_EQ(o.payload_size, static_cast<size_t>(IK_DEFAULT_PAYLOAD_SIZE));
  EXPECT_EQ(o.ttl, IK_DEFAULT_TTL);
  EXPECT_EQ(o.traffic_class, 0);
  EXPECT_EQ(o.broadcast, 0);
  EXPECT_EQ(o.on_reply, nullptr);
  EXPECT_EQ(o.cancel, nullptr);
}

TEST(PingOptions, MultipingDefaultsAreIcmplibsWithThePoliteRate) {
  ik_ping_options o;
  ik_multiping_options_init(&o);
  EXPECT_EQ(o.count, 2);
  EXPECT_EQ(o.interval, 0.5);
  EXPECT_EQ(o.timeout, 2.0);
  EXPECT_EQ(o.rate, IK_DEFAULT_RATE);
  EXPECT_EQ(o.privileged, 1);
}

TEST(PingOptions, TracerouteDefaultsAreIcmplibs) {
  ik_ping_options o;
  ik_traceroute_options_init(&o);
  EXPECT_EQ(o.count, 2);
  EXPECT_EQ(o.interval, 0.05);
  EXPECT_EQ(o.timeout, 2.0);
  EXPECT_EQ(o.first_hop, 1);
  EXPECT_EQ(o.max_hops, 30);
  EXPECT_EQ(o.fast, 0);
}

/* Each invalid option gives IK_EINVAL, names the option, and allocates
 * nothing into the result. */
struct BadOption {
  const char *name;
  void (*apply)(ik_ping_options *);
  const char *named; /* the word the message must contain */
};

class PingRefuses : public ::testing::TestWithParam<BadOption> {};

TEST_P(PingRefuses, InvalidOptionBeforeOpeningAnySocket) {
  ik_ping_options o;
  ik_host host;
  ik_ping_options_init(&o);
  GetParam().apply(&o);
  ASSERT_EQ(ik_ping("127.0.0.1", &o, &host), IK_EINVAL);
  EXPECT_NE(std::string(ik_last_error()).find(GetParam().named), std::string::npos) << ik_last_error();
  EXPECT_EQ(host.rtts, nullptr);
  EXPECT_EQ(host.replies, nullptr);
}

const BadOption kBadOptions[] = {
    {"CountZero", [](ik_ping_options *o) { o->count = 0; }, "count"},
    {"CountNegative", [](ik_ping_options *o) { o->count = -3; }, "count"},
    {"IntervalNegative", [](ik_ping_options *o) { o->interval = -0.5; }, "interval"},
    {"IntervalNaN", [](ik_ping_options *o) { o->interval = NAN; }, "interval"},
    {"TimeoutNaN", [](ik_ping_options *o) { o->timeout = NAN; }, "timeout"},
    {"TimeoutInfinite", [](ik_ping_options *o) { o->timeout = INFINITY; }, "timeout"},
    {"TimeoutNegative", [](ik_ping_options *o) { o->timeout = -1; }, "timeout"},
    {"TtlZero", [](ik_ping_options *o) { o->ttl = 0; }, "ttl"},
    {"Ttl256", [](ik_ping_options *o) { o->ttl = 256; }, "ttl"},
    {"TrafficClass256", [](ik_ping_options *o) { o->traffic_class = 256; }, "traffic class"},
    {"PayloadTooLarge", [](ik_ping_options *o) { o->payload_size = IK_MAX_PAYLOAD_SIZE + 1; }, "payload"},
    {"FamilyFive", [](ik_ping_options *o) { o->family = 5; }, "family"},
    {"IdAbove16Bits", [](ik_ping_options *o) { o->id = 65536; }, "id"},
};

INSTANTIATE_TEST_SUITE_P(Options, PingRefuses, ::testing::ValuesIn(kBadOptions),
                         [](const ::testing::TestParamInfo<BadOption> &i) { return std::string(i.param.name); });

TEST(Multiping, RefusesANegativeRate) {
  ik_ping_options o;
  ik_host hosts[1];
  const char *list[] = {"127.0.0.1"};
  ik_multiping_options_init(&o);
  o.rate = -1;
  EXPECT_EQ(ik_multiping(list, 1, &o, hosts), IK_EINVAL);
  EXPECT_NE(std::string(ik_last_error()).find("rate"), std::string::npos) << ik_last_error();
}

TEST(Traceroute, RefusesFirstHopBeyondMaxHops) {
  ik_ping_options o;
  ik_hop *hops = reinterpret_cast<ik_hop *>(1);
  size_t n = 99;
  ik_traceroute_options_init(&o);
  o.first_hop = 10;
  o.max_hops = 5;
  EXPECT_EQ(ik_traceroute("127.0.0.1", &o, &hops, &n), IK_EINVAL);
  EXPECT_NE(std::string(ik_last_error()).find("max hops"), std::string::npos) << ik_last_error();
  EXPECT_EQ(hops, nullptr);
  EXPECT_EQ(n, 0u);
}

TEST(Traceroute, RefusesMaxHopsAbove255) {
  ik_ping_options o;
  ik_hop *hops = nullptr;
  size_t n = 0;
  ik_traceroute_options_init(&o);
  o.max_hops = 256;
  EXPECT_EQ(ik_traceroute("127.0.0.1", &o, &hops, &n), IK_EINVAL);
}

/* 0 is the default (16), so that zeroed room in the struct means "as before". */
TEST(Traceroute, RefusesNegativeSimQueries) {
  ik_ping_options o;
  ik_hop *hops = nullptr;
  size_t n = 0;
  ik_traceroute_options_init(&o);
  EXPECT_EQ(o.sim_queries, 0);
  o.sim_queries = -1;
  EXPECT_EQ(ik_traceroute("127.0.0.1", &o, &hops, &n), IK_EINVAL);
  EXPECT_NE(std::string(ik_last_error()).find("sim queries -1 out of range 0..65536 (0: 16)"), std::string::npos)
      << ik_last_error();
}

/* 0 is the default (one per core); zeroed room from the init functions. */
TEST(Multiping, RefusesThreadsOutOfRange) {
  ik_ping_options o;
  const char *one[] = {"127.0.0.1"};
  ik_host host;
  ik_multiping_options_init(&o);
  EXPECT_EQ(o.threads, 0);
  EXPECT_EQ(o.more_sockets, nullptr);
  for (int bad : {-1, 1025}) {
    o.threads = bad;
    EXPECT_EQ(ik_multiping(one, 1, &o, &host), IK_EINVAL) << bad;
    EXPECT_NE(std::string(ik_last_error()).find("threads " + std::to_string(bad) + " out of range 0..1024"),
              std::string::npos)
        << ik_last_error();
  }
}

TEST(Multiping, CpuCountIsAtLeastOne) { EXPECT_GE(ik_cpu_count(), 1); }

TEST(Ping, NullArgumentsAreInvalid) {
  ik_host host;
  ik_hop *hops = nullptr;
  size_t n = 0;
  EXPECT_EQ(ik_ping(nullptr, nullptr, &host), IK_EINVAL);
  EXPECT_EQ(ik_ping("127.0.0.1", nullptr, nullptr), IK_EINVAL);
  EXPECT_EQ(ik_traceroute(nullptr, nullptr, &hops, &n), IK_EINVAL);
  EXPECT_EQ(ik_traceroute("127.0.0.1", nullptr, nullptr, &n), IK_EINVAL);
  EXPECT_EQ(ik_multiping(nullptr, 2, nullptr, nullptr), IK_EINVAL);
}

TEST(Ping, UnresolvableNameIsANameLookupErrorNamingIt) {
  ik_host host;
  ASSERT_EQ(ik_ping("no-such-host.invalid", nullptr, &host), IK_ENAMELOOKUP);
  EXPECT_NE(std::string(ik_last_error()).find("no-such-host.invalid"), std::string::npos) << ik_last_error();
  EXPECT_EQ(host.replies, nullptr);
}

TEST(Traceroute, UnresolvableNameIsANameLookupError) {
  ik_hop *hops = nullptr;
  size_t n = 0;
  EXPECT_EQ(ik_traceroute("nowhere.invalid", nullptr, &hops, &n), IK_ENAMELOOKUP);
  EXPECT_EQ(hops, nullptr);
}

/* Without a resolvable host no socket is needed, so this runs unprivileged. */
TEST(Multiping, UnresolvableNamesMarkTheirHostsAndTheCallSucceeds) {
  const char *list[] = {"a.invalid", "b.invalid"};
  ik_host hosts[2];
  ik_ping_options o;
  ik_multiping_options_init(&o);
  o.count = 1;
  ASSERT_EQ(ik_multiping(list, 2, &o, hosts), 0) << ik_last_error();
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(hosts[i].error, IK_ENAMELOOKUP);
    EXPECT_STREQ(hosts[i].address, list[i]);
    EXPECT_EQ(hosts[i].packets_sent, 0);
    EXPECT_EQ(hosts[i].is_alive, 0);
    ik_host_free(&hosts[i]);
  }
}

TEST(Multiping, NoHostsCompletesAtOnce) {
  ik_ping_options o;
  ik_multiping_options_init(&o);
  EXPECT_EQ(ik_multiping(nullptr, 0, &o, nullptr), 0) << ik_last_error();
}

struct Completion {
  int calls = 0;
  int status = 1;
};

void count_completion(int status, void *arg) {
  Completion *c = static_cast<Completion *>(arg);
  c->calls++;
  c->status = status;
}

TEST(AsyncJob, StartErrorsNeverCallTheCallback) {
  struct event_base *base = event_base_new();
  ASSERT_NE(base, nullptr);
  Completion c;
  ik_host host;
  ik_job *job = reinterpret_cast<ik_job *>(1);
  ik_ping_options o;
  ik_ping_options_init(&o);
  o.count = 0;
  EXPECT_EQ(ik_async_ping(base, "127.0.0.1", &o, &host, count_completion, &c, &job), IK_EINVAL);
  EXPECT_EQ(job, nullptr);
  EXPECT_EQ(ik_async_ping(nullptr, "127.0.0.1", nullptr, &host, count_completion, &c, &job), IK_EINVAL);
  EXPECT_EQ(ik_async_ping(base, "127.0.0.1", nullptr, &host, nullptr, &c, &job), IK_EINVAL);
  EXPECT_EQ(ik_async_ping(base, "x.invalid", nullptr, &host, count_completion, &c, &job), IK_ENAMELOOKUP);
  event_base_dispatch(base);
  EXPECT_EQ(c.calls, 0);
  event_base_free(base);
}

TEST(AsyncJob, CallbackRunsOnceFromTheLoopNotFromTheStartCall) {
  struct event_base *base = event_base_new();
  ASSERT_NE(base, nullptr);
  Completion c;
  const char *list[] = {"x.invalid"};
  ik_host hosts[1];
  ik_job *job = nullptr;
  ASSERT_EQ(ik_async_multiping(base, list, 1, nullptr, hosts, count_completion, &c, &job), 0);
  EXPECT_EQ(c.calls, 0);
  event_base_dispatch(base);
  EXPECT_EQ(c.calls, 1);
  EXPECT_EQ(c.status, 0);
  EXPECT_EQ(hosts[0].error, IK_ENAMELOOKUP);
  ik_job_free(job);
  ik_host_free(&hosts[0]);
  event_base_free(base);
}

TEST(AsyncJob, FreeingBeforeTheLoopRunsMeansNoCallback) {
  struct event_base *base = event_base_new();
  ASSERT_NE(base, nullptr);
  Completion c;
  ik_job *job = nullptr;
  ASSERT_EQ(ik_async_multiping(base, nullptr, 0, nullptr, nullptr, count_completion, &c, &job), 0);
  ik_job_free(job);
  event_base_dispatch(base);
  EXPECT_EQ(c.calls, 0);
  event_base_free(base);
}

TEST(AsyncJob, CancelBeforeTheLoopRunsCompletesWithCanceled) {
  struct event_base *base = event_base_new();
  ASSERT_NE(base, nullptr);
  Completion c;
  const char *list[] = {"x.invalid"};
  ik_host hosts[1];
  ik_job *job = nullptr;
  ASSERT_EQ(ik_async_multiping(base, list, 1, nullptr, hosts, count_completion, &c, &job), 0);
  ik_job_cancel(job);
  event_base_dispatch(base);
  EXPECT_EQ(c.calls, 1);
  EXPECT_EQ(c.status, IK_ECANCELED);
  ik_job_cancel(job); /* after completion: nothing */
  event_base_dispatch(base);
  EXPECT_EQ(c.calls, 1);
  ik_job_free(job);
  ik_host_free(&hosts[0]);
  event_base_free(base);
}

TEST(AsyncJob, JobWithoutHandleFreesItselfAfterTheCallback) {
  struct event_base *base = event_base_new();
  ASSERT_NE(base, nullptr);
  Completion c;
  ASSERT_EQ(ik_async_multiping(base, nullptr, 0, nullptr, nullptr, count_completion, &c, nullptr), 0);
  event_base_dispatch(base);
  EXPECT_EQ(c.calls, 1); /* the leak check (ASan, valgrind) covers the rest */
  event_base_free(base);
}

TEST(AsyncJob, NullJobIsAcceptedByCancelAndFree) {
  ik_job_cancel(nullptr);
  ik_job_free(nullptr);
  SUCCEED();
}

}  // namespace

// One table of ranges serves the options and ik_socket_send's requests.
TEST(OptionTable, NamesTheOptionAndItsRange) {
  EXPECT_EQ(ik__option_check(IK__OPT_TTL, 0), IK_EINVAL);
  EXPECT_STREQ(ik_last_error(), "ttl 0 out of range 1..255");
  EXPECT_EQ(ik__option_check(IK__OPT_TTL, 255), 0);
  EXPECT_EQ(ik__option_check(IK__OPT_TRAFFIC_CLASS, -1), IK_EINVAL);
  EXPECT_STREQ(ik_last_error(), "traffic class -1 out of range 0..255");
  EXPECT_EQ(ik__option_check_size(IK__OPT_PAYLOAD_SIZE, IK_MAX_PAYLOAD_SIZE), 0);
  EXPECT_EQ(ik__option_check_size(IK__OPT_PAYLOAD_SIZE, IK_MAX_PAYLOAD_SIZE + 1), IK_EINVAL);
}

TEST(OptionTable, TracerouteMaxHopsStartsAtTheFirstHop) {
  ik_ping_options o;
  ik_traceroute_options_init(&o);
  o.first_hop = 10;
  o.max_hops = 9;
  EXPECT_EQ(ik__options_check(&o, IK__OPT_FIRST_HOP | IK__OPT_MAX_HOPS), IK_EINVAL);
  EXPECT_STREQ(ik_last_error(), "max hops 9 out of range 10..255");
  o.max_hops = 10;
  EXPECT_EQ(ik__options_check(&o, IK__OPT_FIRST_HOP | IK__OPT_MAX_HOPS), 0);
}
