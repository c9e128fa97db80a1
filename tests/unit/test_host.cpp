// ik__host_finish against values computed by icmplib (Python) for the same
// RTT lists, and the free functions.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" {
#include "internal.h"
}

namespace {

ik_host MakeHost(int sent, const std::vector<double> &rtts) {
  ik_host h;
  std::memset(&h, 0, sizeof h);
  h.packets_sent = sent;
  h.rtts_len = rtts.size();
  h.rtts = static_cast<double *>(std::malloc((rtts.size() + 1) * sizeof(double)));
  for (size_t i = 0; i < rtts.size(); i++) h.rtts[i] = rtts[i];
  return h;
}

}  // namespace

// The example of icmplib's README: 10 sent, 9 answers.
TEST(Host, StatisticsMatchIcmplibOnItsOwnExample) {
  ik_host h = MakeHost(10, {11.595010757446289, 13.135194778442383, 9.614229202270508,
                            16.018152236938477, 11.960029602050781, 5.761146545410156,
                            16.207218170166016, 11.937141418457031, 12.098073959350586});
  ik__host_finish(&h);
  EXPECT_EQ(h.packets_received, 9);
  EXPECT_EQ(h.min_rtt, 5.761);
  EXPECT_EQ(h.avg_rtt, 12.036);
  EXPECT_EQ(h.max_rtt, 16.207);
  EXPECT_EQ(h.jitter, 4.575);
  EXPECT_EQ(h.packet_loss, 0.1);
  EXPECT_TRUE(h.is_alive);
  ik_host_free(&h);
}

TEST(Host, NoAnswerGivesZeroRttsFullLossAndDead) {
  ik_host h = MakeHost(4, {});
  h.min_rtt = h.avg_rtt = h.max_rtt = h.jitter = 99.0;
  ik__host_finish(&h);
  EXPECT_EQ(h.packets_received, 0);
  EXPECT_EQ(h.packet_loss, 1.0);
  EXPECT_EQ(h.min_rtt, 0.0);
  EXPECT_EQ(h.avg_rtt, 0.0);
  EXPECT_EQ(h.max_rtt, 0.0);
  EXPECT_EQ(h.jitter, 0.0);
  EXPECT_FALSE(h.is_alive);
  ik_host_free(&h);
}

TEST(Host, NothingSentGivesZeroLoss) {
  ik_host h = MakeHost(0, {});
  ik__host_finish(&h);
  EXPECT_EQ(h.packet_loss, 0.0);
  EXPECT_FALSE(h.is_alive);
  ik_host_free(&h);
}

TEST(Host, OneAnswerHasNoJitter) {
  ik_host h = MakeHost(3, {0.5});
  ik__host_finish(&h);
  EXPECT_EQ(h.jitter, 0.0);
  EXPECT_EQ(h.min_rtt, 0.5);
  EXPECT_EQ(h.max_rtt, 0.5);
  // Python: round(1 - 1/3, 3) == 0.667
  EXPECT_EQ(h.packet_loss, 0.667);
  ik_host_free(&h);
}

// Python's round works on the exact binary value and breaks exact ties to
// even: round(0.0625, 3) == 0.062, round(0.0005, 3) == 0.001 (0.0005 is a
// little above one half in binary), round(1 - 2/3, 3) == 0.333.
TEST(Host, RoundingFollowsPythonRound) {
  ik_host h = MakeHost(3, {0.0625, 0.0625});
  ik__host_finish(&h);
  EXPECT_EQ(h.min_rtt, 0.062);
  EXPECT_EQ(h.packet_loss, 0.333);
  ik_host_free(&h);
  h = MakeHost(1, {0.0005});
  ik__host_finish(&h);
  EXPECT_EQ(h.avg_rtt, 0.001);
  ik_host_free(&h);
}

TEST(Host, JitterIsMeanAbsoluteDifferenceOfConsecutiveRtts) {
  ik_host h = MakeHost(4, {1.0, 3.0, 2.0, 6.0});
  ik__host_finish(&h);
  EXPECT_EQ(h.jitter, 2.333);  // (2 + 1 + 4) / 3
  EXPECT_EQ(h.avg_rtt, 3.0);
  ik_host_free(&h);
}

TEST(Host, FinishLeavesDuplicatesRepliesAndErrorAlone) {
  ik_host h = MakeHost(2, {1.0, 1.0});
  h.duplicates = 3;
  h.error = IK_ETIMEOUT;
  ik__host_finish(&h);
  EXPECT_EQ(h.duplicates, 3);
  EXPECT_EQ(h.error, IK_ETIMEOUT);
  EXPECT_EQ(h.replies, nullptr);
  ik_host_free(&h);
}

TEST(Host, FreeClearsPointersAndAcceptsNull) {
  ik_host h = MakeHost(1, {1.0});
  h.replies = static_cast<ik_probe_reply *>(std::calloc(2, sizeof(ik_probe_reply)));
  h.replies_len = 2;
  ik_host_free(&h);
  EXPECT_EQ(h.rtts, nullptr);
  EXPECT_EQ(h.rtts_len, 0u);
  EXPECT_EQ(h.replies, nullptr);
  EXPECT_EQ(h.replies_len, 0u);
  ik_host_free(&h);  // twice is harmless
  ik_host_free(nullptr);
  ik_hops_free(nullptr, 3);
}

// A streamed multiping gathers the RTTs one at a time: the statistics must be
// the very same doubles as from the whole list.
TEST(Host, StatisticsGatheredOneRttAtATimeEqualThoseOfTheList) {
  const std::vector<double> rtts = {0.287, 13.135194778442383, 0.1 + 0.2, 9.614229202270508,
                                    1e-3, 16.018152236938477, 0.30000000000000004};
  ik_host whole = MakeHost(9, rtts);
  ik__host_finish(&whole);
  ik__host_stats s;
  std::memset(&s, 0, sizeof s);
  for (double r : rtts) ik__host_stats_add(&s, r);
  ik_host streamed;
  std::memset(&streamed, 0, sizeof streamed);
  streamed.packets_sent = 9;
  ik__host_finish_stats(&streamed, &s);
  EXPECT_EQ(streamed.packets_received, whole.packets_received);
  EXPECT_EQ(streamed.packet_loss, whole.packet_loss);
  EXPECT_EQ(streamed.min_rtt, whole.min_rtt);
  EXPECT_EQ(streamed.avg_rtt, whole.avg_rtt);
  EXPECT_EQ(streamed.max_rtt, whole.max_rtt);
  EXPECT_EQ(streamed.jitter, whole.jitter);
  EXPECT_EQ(streamed.is_alive, 1);
  EXPECT_EQ(streamed.rtts, nullptr);
  ik_host_free(&whole);
}

// Statistics are rounded by a fast path away from ties; every value must
// still equal printf's exact rounding read back by strtod (Python's round).
TEST(Host, RoundingEqualsPrintfAndStrtodOnRandomAndNearTieValues) {
  std::vector<double> values = {0.0, -0.0, 0.0005, 0.0015, 2.675, 1.0005, 999999.9995, 0.1 + 0.2};
  unsigned long long state = 88172645463325252ull;
  for (int i = 0; i < 200000; i++) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    double u = static_cast<double>(state >> 11) / 9007199254740992.0;  // [0, 1)
    if (i % 4 == 0)
      values.push_back(u * 100.0);  // RTTs in ms
    else if (i % 4 == 1)
      values.push_back(u * 1e6);
    else if (i % 4 == 2)  // next to a tie of the third decimal
      values.push_back((static_cast<double>(state % 100000000) + 0.5) / 1000.0);
    else
      values.push_back(std::nextafter((static_cast<double>(state % 1000000) + 0.5) / 1000.0,
                                      (state & 1) ? 0.0 : 1e9));
  }
  for (double v : values) {
    ik_host h = MakeHost(1, {v});
    ik__host_finish(&h);
    char text[400];
    std::snprintf(text, sizeof text, "%.3f", v);
    double expect = std::strtod(text, nullptr);
    ASSERT_EQ(std::memcmp(&h.min_rtt, &expect, sizeof expect), 0) << text << " from " << v;
    ik_host_free(&h);
  }
}
