// The monitor's public API without a network: argument checks, the
// exposition writer (format, escaping, buffer sizes) and the counting of
// targets whose name does not resolve (.invalid), which need no socket.
#include <gtest/gtest.h>

#include <event2/event.h>

#include <cmath>
#include <string>
#include <vector>

#include "icmpkit.h"

namespace {

struct Base {
  event_base *base = event_base_new();
  ~Base() { event_base_free(base); }
  void RunFor(double seconds) {
    timeval tv{0, static_cast<long>(seconds * 1e6)};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
  }
};

std::string Metrics(const ik_monitor *m, int format) {
  size_t need = 0;
  EXPECT_EQ(ik_monitor_write_metrics(m, format, nullptr, 0, &need), IK_ENOSPACE);
  std::vector<char> buf(need + 1);
  EXPECT_EQ(ik_monitor_write_metrics(m, format, buf.data(), buf.size(), &need), 0);
  return std::string(buf.data(), need);
}

ik_monitor_target Target(const char *host, double interval = 0.05) {
  ik_monitor_target t;
  ik_monitor_target_init(&t);
  t.host = host;
  t.interval = interval;
  return t;
}

TEST(Monitor, BucketsDoubleFrom50MicrosecondsToAbout26Seconds) {
  EXPECT_DOUBLE_EQ(ik_monitor_bucket_bound(0), 50e-6);
  EXPECT_DOUBLE_EQ(ik_monitor_bucket_bound(1), 100e-6);
  EXPECT_DOUBLE_EQ(ik_monitor_bucket_bound(IK_MONITOR_BUCKETS - 2), 26.2144);
}

TEST(Monitor, TargetInitSetsTheDefaults) {
  ik_monitor_target t = Target("x");
  ik_monitor_target_init(&t);
  EXPECT_EQ(t.interval, 1.0);
  EXPECT_EQ(t.timeout, 1.0);
  EXPECT_EQ(t.payload_size, 56u);
  EXPECT_EQ(t.mode, IK_MONITOR_MODE_AUTO);
}

TEST(Monitor, NewRefusesNullArguments) {
  Base b;
  ik_monitor *m = nullptr;
  EXPECT_EQ(ik_monitor_new(nullptr, nullptr, &m), IK_EINVAL);
  EXPECT_EQ(ik_monitor_new(b.base, nullptr, nullptr), IK_EINVAL);
}

TEST(Monitor, NewRefusesAResolveIntervalOutOfRange) {
  Base b;
  ik_monitor *m = nullptr;
  ik_monitor_options o;
  ik_monitor_options_init(&o);
  EXPECT_EQ(o.resolve_interval, 0.0);  // the default, 60 s
  for (double bad : {-1.0, 86401.0, std::nan("")}) {
    o.resolve_interval = bad;
    EXPECT_EQ(ik_monitor_new(b.base, &o, &m), IK_EINVAL) << bad;
    EXPECT_EQ(m, nullptr);
  }
  o.resolve_interval = 0.5;
  ASSERT_EQ(ik_monitor_new(b.base, &o, &m), IK_OK);
  ik_monitor_free(m);
}

TEST(Monitor, RefusesBadTargetsAndKeepsTheOldOnes) {
  Base b;
  ik_monitor *m = nullptr;
  ASSERT_EQ(ik_monitor_new(b.base, nullptr, &m), 0);
  ik_monitor_target ok = Target("a.invalid");
  ASSERT_EQ(ik_monitor_set_targets(m, &ok, 1), 0);

  ik_monitor_target bad = Target("b.invalid");
  bad.interval = 0;
  EXPECT_EQ(ik_monitor_set_targets(m, &bad, 1), IK_EINVAL);
  EXPECT_NE(std::string(ik_last_error()).find("interval"), std::string::npos);
  bad = Target("b.invalid");
  bad.traffic_class = 256;
  EXPECT_EQ(ik_monitor_set_targets(m, &bad, 1), IK_EINVAL);
  ik_monitor_label reserved[] = {{"target", "x"}};
  bad = Target("b.invalid");
  bad.labels = reserved;
  bad.nlabels = 1;
  EXPECT_EQ(ik_monitor_set_targets(m, &bad, 1), IK_EINVAL);
  ik_monitor_label twice[] = {{"site", "x"}, {"site", "y"}};
  bad.labels = twice;
  bad.nlabels = 2;
  EXPECT_EQ(ik_monitor_set_targets(m, &bad, 1), IK_EINVAL);
  ik_monitor_target same[] = {Target("c.invalid"), Target("c.invalid")};
  EXPECT_EQ(ik_monitor_set_targets(m, same, 2), IK_EINVAL);
  EXPECT_NE(std::string(ik_last_error()).find("twice"), std::string::npos);

  ASSERT_EQ(ik_monitor_size(m), 1u);
  ik_monitor_stats s;
  ASSERT_EQ(ik_monitor_stats_get(m, 0, &s), 0);
  EXPECT_STREQ(s.host, "a.invalid");
  EXPECT_EQ(ik_monitor_stats_get(m, 1, &s), IK_EINVAL);
  ik_monitor_free(m);
}

TEST(Monitor, SameHostWithOtherLabelsIsAnotherTarget) {
  Base b;
  ik_monitor *m = nullptr;
  ASSERT_EQ(ik_monitor_new(b.base, nullptr, &m), 0);
  ik_monitor_label l1[] = {{"site", "a"}}, l2[] = {{"site", "b"}};
  ik_monitor_target t[] = {Target("c.invalid"), Target("c.invalid")};
  t[0].labels = l1;
  t[0].nlabels = 1;
  t[1].labels = l2;
  t[1].nlabels = 1;
  EXPECT_EQ(ik_monitor_set_targets(m, t, 2), 0);
  EXPECT_EQ(ik_monitor_size(m), 2u);
  ik_monitor_free(m);
}

TEST(Monitor, AnUnresolvedNameCountsEachProbeAsSentAndANameLookupError) {
  Base b;
  ik_monitor *m = nullptr;
  ASSERT_EQ(ik_monitor_new(b.base, nullptr, &m), 0);
  ik_monitor_target t = Target("nowhere.invalid", 0.05);
  ASSERT_EQ(ik_monitor_set_targets(m, &t, 1), 0);
  b.RunFor(0.32);
  ik_monitor_stats s;
  ASSERT_EQ(ik_monitor_stats_get(m, 0, &s), 0);
  EXPECT_GE(s.sent, 5u);
  EXPECT_LE(s.sent, 8u);
  EXPECT_EQ(s.replies, 0u);
  ASSERT_EQ(s.nsend, 1u);
  EXPECT_EQ(s.send[0].error, IK_ENAMELOOKUP);
  EXPECT_EQ(s.send[0].count, s.sent);
  EXPECT_STREQ(s.address, "");
  std::string text = Metrics(m, IK_MONITOR_TEXT);
  EXPECT_NE(text.find("icmpkit_send_errors_total{target=\"nowhere.invalid\",address=\"\","
                      "family=\"\",reason=\"namelookup\"} " +
                      std::to_string(s.sent) + "\n"),
            std::string::npos)
    << text;
  // .invalid needs no lookup: nothing failed to resolve that was asked.
  EXPECT_EQ(s.resolve_errors, 0u);
  EXPECT_NE(text.find("icmpkit_resolve_errors_total{target=\"nowhere.invalid\",address=\"\","
                      "family=\"\"} 0\n"),
            std::string::npos)
    << text;
  ik_monitor_free(m);
}

TEST(Monitor, AReplaceKeepsTheCountersOfTargetsThatStay) {
  Base b;
  ik_monitor *m = nullptr;
  ASSERT_EQ(ik_monitor_new(b.base, nullptr, &m), 0);
  ik_monitor_label site[] = {{"site", "lab"}};
  ik_monitor_target first[] = {Target("stay.invalid"), Target("go.invalid")};
  first[0].labels = site;
  first[0].nlabels = 1;
  ASSERT_EQ(ik_monitor_set_targets(m, first, 2), 0);
  b.RunFor(0.22);
  ik_monitor_stats before;
  ASSERT_EQ(ik_monitor_stats_get(m, 0, &before), 0);
  ASSERT_GT(before.sent, 0u);

  ik_monitor_target second[] = {Target("new.invalid"), Target("stay.invalid")};
  second[1].labels = site;
  second[1].nlabels = 1;
  ASSERT_EQ(ik_monitor_set_targets(m, second, 2), 0);
  ik_monitor_stats s;
  ASSERT_EQ(ik_monitor_stats_get(m, 0, &s), 0);
  EXPECT_STREQ(s.host, "new.invalid");
  EXPECT_EQ(s.sent, 0u);
  ASSERT_EQ(ik_monitor_stats_get(m, 1, &s), 0);
  EXPECT_STREQ(s.host, "stay.invalid");
  EXPECT_EQ(s.sent, before.sent);
  b.RunFor(0.12);
  ASSERT_EQ(ik_monitor_stats_get(m, 1, &s), 0);
  EXPECT_GT(s.sent, before.sent);
  ik_monitor_free(m);
}

TEST(Monitor, LabelValuesAreEscapedInTheExposition) {
  Base b;
  ik_monitor *m = nullptr;
  ASSERT_EQ(ik_monitor_new(b.base, nullptr, &m), 0);
  ik_monitor_label l[] = {{"note", "a\"b\\c\nd"}, {"b_site", "x"}};
  ik_monitor_target t = Target("q.invalid");
  t.labels = l;
  t.nlabels = 2;
  ASSERT_EQ(ik_monitor_set_targets(m, &t, 1), 0);
  std::string text = Metrics(m, IK_MONITOR_TEXT);
  // Labels sorted by name, values escaped.
  EXPECT_NE(text.find("icmpkit_target_info{target=\"q.invalid\",address=\"\",family=\"\","
                      "b_site=\"x\",note=\"a\\\"b\\\\c\\nd\"} 1\n"),
            std::string::npos)
    << text;
  ik_monitor_free(m);
}

TEST(Monitor, TextAndOpenMetricsDifferInTypeNamesAndTheEnd) {
  Base b;
  ik_monitor *m = nullptr;
  ASSERT_EQ(ik_monitor_new(b.base, nullptr, &m), 0);
  ik_monitor_target t = Target("q.invalid");
  ASSERT_EQ(ik_monitor_set_targets(m, &t, 1), 0);
  std::string text = Metrics(m, IK_MONITOR_TEXT), om = Metrics(m, IK_MONITOR_OPENMETRICS);
  EXPECT_NE(text.find("# TYPE icmpkit_probes_sent_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE icmpkit_target_info gauge\n"), std::string::npos);
  EXPECT_EQ(text.find("# EOF"), std::string::npos);
  EXPECT_NE(om.find("# TYPE icmpkit_probes_sent counter\n"), std::string::npos);
  EXPECT_NE(om.find("# TYPE icmpkit_target info\n"), std::string::npos);
  EXPECT_EQ(om.substr(om.size() - 6), "# EOF\n");
  EXPECT_NE(text.find("icmpkit_rtt_seconds_bucket{target=\"q.invalid\",address=\"\",family=\"\","
                      "le=\"5e-05\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("le=\"26.2144\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("le=\"+Inf\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("icmpkit_build_info{version=\"" + std::string(ik_version()) + "\"} 1\n"),
            std::string::npos);
  ik_monitor_free(m);
}

TEST(Monitor, ASmallBufferGetsENOSPACEAndTheLengthNeeded) {
  Base b;
  ik_monitor *m = nullptr;
  ASSERT_EQ(ik_monitor_new(b.base, nullptr, &m), 0);
  std::string full = Metrics(m, IK_MONITOR_TEXT);
  char small[64];
  size_t need = 0;
  EXPECT_EQ(ik_monitor_write_metrics(m, IK_MONITOR_TEXT, small, sizeof small, &need), IK_ENOSPACE);
  EXPECT_EQ(need, full.size());
  EXPECT_EQ(std::string(small), full.substr(0, sizeof small - 1));
  std::vector<char> exact(full.size() + 1);
  EXPECT_EQ(ik_monitor_write_metrics(m, IK_MONITOR_TEXT, exact.data(), exact.size(), &need), 0);
  EXPECT_EQ(ik_monitor_write_metrics(m, 7, exact.data(), exact.size(), &need), IK_EINVAL);
  EXPECT_EQ(ik_monitor_write_metrics(nullptr, 0, exact.data(), exact.size(), &need), IK_EINVAL);
  ik_monitor_free(m);
}

}  // namespace
