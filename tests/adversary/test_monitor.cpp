// The library's monitor against a scripted responder: copies of an answer
// count as duplicates, answers after the timeout as late replies, and
// neither as a reply; every socket mode.
#include <event2/event.h>

#include "adversary.h"
#include "pinger.h"

namespace adv {
namespace {

class MonitorReplies : public TunFixture<::testing::TestWithParam<Mode>> {};

TEST_P(MonitorReplies, DuplicatesAndLateRepliesAreCountedApartFromReplies) {
  // Even sequences: answered twice at once. Odd ones: answered only when
  // the next request comes, 0.1 s after their timeout.
  net_->SetScript([](const EchoRequest &rq, TunNet &n) {
    if (rq.seq % 2 == 0) {
      n.Reply(rq);
      n.Reply(rq);
    }
    if (rq.seq % 2 == 0 && rq.seq > 0)
      for (const EchoRequest &old : n.Requests())
        if (old.seq == rq.seq - 1 && old.id == rq.id) n.Reply(old);
  });
  Mode m = GetParam();
  net_->Run([&] {
    event_base *base = event_base_new();
    ASSERT_NE(base, nullptr);
    ik_monitor *mon = nullptr;
    ASSERT_EQ(ik_monitor_new(base, nullptr, &mon), 0);
    ik_monitor_target t;
    ik_monitor_target_init(&t);
    t.host = HostsFor(m.family).target;
    t.interval = 0.2;
    t.timeout = 0.1;
    t.mode = m.dgram ? IK_MONITOR_MODE_UNPRIVILEGED : IK_MONITOR_MODE_PRIVILEGED;
    ASSERT_EQ(ik_monitor_set_targets(mon, &t, 1), 0) << ik_last_error();
    timeval tv{2, 50000};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
    ik_monitor_stats s;
    ASSERT_EQ(ik_monitor_stats_get(mon, 0, &s), 0);
    uint64_t lost = s.sent - s.replies;
    EXPECT_GE(s.sent, 9u);
    EXPECT_GE(s.replies, 4u);
    EXPECT_LE(s.duplicates, s.replies);
    EXPECT_GE(s.duplicates + 1, s.replies);
    EXPECT_GE(lost, 4u);
    EXPECT_LE(s.late, lost);
    EXPECT_GE(s.late + 1, lost) << "sent " << s.sent << " replies " << s.replies;
    ik_monitor_free(mon);
    event_base_free(base);
  });
}

INSTANTIATE_TEST_SUITE_P(Modes, MonitorReplies, AllModes(), ModeName);

}  // namespace
}  // namespace adv
