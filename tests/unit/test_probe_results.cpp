// Late replies recorded by the probe engine (src/probe/results.c): a host
// that floods copies of its answers leaves the results bounded (at most
// IK__COPIES_KEPT copies kept per probe, every copy counted) and each copy
// costs the same whatever came before it (found by sequence).
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <vector>

extern "C" {
#include "probe/engine.h"
}

namespace {

ik_reply Echo(const char *source, uint16_t seq, double time, bool copy) {
  ik_reply r;
  std::memset(&r, 0, sizeof r);
  EXPECT_EQ(ik_address_parse(source, &r.source_addr), 0);
  std::strncpy(r.source, source, sizeof r.source - 1);
  r.family = IK_AF_INET;
  r.sequence = seq;
  r.type = 0; /* echo reply */
  r.time = time;
  r.ttl = 64;
  r.flags = copy ? IK_REPLY_DUPLICATE : 0;
  return r;
}

// A job of count probes to one host, results in host (or streamed).
struct Job {
  ik_job job;
  ik_host host;
  ik__target_stats stats;
  explicit Job(int count, bool stream = false) {
    std::memset(&job, 0, sizeof job);
    std::memset(&host, 0, sizeof host);
    std::memset(&stats, 0, sizeof stats);
    ik_ping_options_init(&job.opts);
    job.opts.count = count;
    job.n = 1;
    if (stream)
      job.stats = &stats;
    else
      job.hosts = &host;
  }
  ~Job() {
    job.stats = nullptr; /* ours */
    ik__results_release(&job);
    ik_host_free(&host);
  }
  void Answer(uint16_t seq, double time, double rtt) {
    ik_reply r = Echo("198.18.0.2", seq, time, false);
    ik__record(&job, 0, &r, rtt, 1, 0);
  }
};

TEST(ProbeResults, AFloodOfCopiesKeepsAFewAndCountsThemAll) {
  Job j(3);
  j.Answer(0, 100.0, 2.0);
  const int copies = 200000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < copies; i++) {
    ik_reply r = Echo("198.18.0.2", 0, 100.0 + 1e-6 * (i + 1), true);
    ik__record_late(&j.job, 0, &r);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(j.host.duplicates, copies);
  ASSERT_EQ(j.host.replies_len, 1u + IK__COPIES_KEPT);
  EXPECT_EQ(j.host.rtts_len, 1u);
  for (size_t i = 1; i < j.host.replies_len; i++) {
    EXPECT_TRUE(j.host.replies[i].reply.flags & IK_REPLY_DUPLICATE);
    EXPECT_NEAR(j.host.replies[i].rtt, 2.0 + 1e-3 * double(i), 1e-6);
  }
  // Each copy is found by its sequence: a scan of what was kept before
  // (the old engine) takes minutes for this many.
  EXPECT_LT(seconds, 2.0);
}

TEST(ProbeResults, CopiesOfEachProbeAreBoundedSeparately) {
  Job j(4);
  for (uint16_t seq = 0; seq < 4; seq++) {
    j.Answer(seq, 10.0 * seq, 1.0);
    for (int i = 0; i < 50; i++) {
      ik_reply r = Echo("198.18.0.2", seq, 10.0 * seq + 0.001, true);
      ik__record_late(&j.job, 0, &r);
    }
  }
  EXPECT_EQ(j.host.duplicates, 200);
  EXPECT_EQ(j.host.replies_len, 4u * (1 + IK__COPIES_KEPT));
  EXPECT_EQ(j.host.rtts_len, 4u);
}

TEST(ProbeResults, ACopyOfAProbeThatTimedOutIsLost) {
  Job j(3);
  j.Answer(0, 100.0, 2.0);
  ik_reply r = Echo("198.18.0.2", 1, 101.0, true);
  ik__record_late(&j.job, 0, &r);
  r = Echo("198.18.0.2", 7, 101.0, true); /* never sent */
  ik__record_late(&j.job, 0, &r);
  EXPECT_EQ(j.host.duplicates, 0);
  EXPECT_EQ(j.host.replies_len, 1u);
}

TEST(ProbeResults, AFurtherResponderIsKeptOnceAndItsUnknownCopiesIgnored) {
  Job j(1);
  j.Answer(0, 100.0, 2.0);
  for (int i = 0; i < 5; i++) {
    ik_reply r = Echo("198.18.0.3", 0, 100.001, false);
    ik__record_late(&j.job, 0, &r);
  }
  ASSERT_EQ(j.host.replies_len, 2u);
  EXPECT_STREQ(j.host.replies[1].reply.source, "198.18.0.3");
  EXPECT_NEAR(j.host.replies[1].rtt, 3.0, 1e-6);
  EXPECT_FALSE(j.host.replies[1].reply.flags & IK_REPLY_DUPLICATE);
  EXPECT_EQ(j.host.duplicates, 0);
  EXPECT_EQ(j.host.rtts_len, 1u);
}

TEST(ProbeResults, FurtherRespondersAreBoundedToo) {
  Job j(1);
  j.Answer(0, 100.0, 2.0);
  for (int i = 0; i < 1000; i++) {
    char source[32];
    std::snprintf(source, sizeof source, "198.18.%d.%d", 1 + i / 250, 1 + i % 250);
    ik_reply r = Echo(source, 0, 100.001, false);
    ik__record_late(&j.job, 0, &r);
  }
  EXPECT_EQ(j.host.replies_len, 1u + IK__RESPONDERS_KEPT);
}

TEST(ProbeResults, AnswersRecordedAfterTheFirstLateReplyAreFoundToo) {
  Job j(2);
  j.Answer(0, 100.0, 2.0);
  ik_reply r = Echo("198.18.0.2", 0, 100.5, true);
  ik__record_late(&j.job, 0, &r); /* builds the index */
  j.Answer(1, 101.0, 1.5);
  r = Echo("198.18.0.2", 1, 101.25, true);
  ik__record_late(&j.job, 0, &r);
  ASSERT_EQ(j.host.replies_len, 4u);
  EXPECT_EQ(j.host.replies[3].sequence, 1);
  EXPECT_NEAR(j.host.replies[3].rtt, 1.5 + 250.0, 1e-6);
  EXPECT_EQ(j.host.duplicates, 2);
}

TEST(ProbeResults, StreamingCountsCopiesAndKeepsNothing) {
  Job j(3, true);
  for (int i = 0; i < 100000; i++) {
    ik_reply r = Echo("198.18.0.2", 0, 100.0, true);
    ik__record_late(&j.job, 0, &r);
  }
  EXPECT_EQ(j.stats.duplicates, 100000);
  EXPECT_EQ(j.host.replies, nullptr);
}

}  // namespace

// Issue 17: ICMP errors after their probe's timeout are kept (iputils
// reports each), but a flood of them keeps at most IK__COPIES_KEPT a probe.
TEST(ProbeResults, LateIcmpErrorsAreKeptUpToABound) {
  Job j(2);
  for (int i = 0; i < 1000; i++) {
    ik_reply r = Echo("198.18.0.1", 1, 100.0 + i, false);
    r.type = 3; /* destination unreachable */
    r.code = 1;
    ik__record_late(&j.job, 0, &r);
  }
  ASSERT_EQ(j.host.replies_len, static_cast<size_t>(IK__COPIES_KEPT));
  EXPECT_EQ(j.host.rtts_len, 0u);
  EXPECT_EQ(j.host.duplicates, 0);
  for (size_t i = 0; i < j.host.replies_len; i++) {
    EXPECT_EQ(j.host.replies[i].sequence, 1);
    EXPECT_EQ(j.host.replies[i].reply.type, 3);
  }
}

// Issue 17: past 65,536 probes a ping's sequence numbers wrap. A copy of
// the new lap's answer is found with the new lap's answer (its RTT from
// that one), not with the first lap's, and the copies of the new lap are
// bounded on their own.
TEST(ProbeResults, ALapOfWrappedSequencesStartsItsOwnChain) {
  Job j(65536 + 2);
  j.Answer(0, 100.0, 2.0);
  {
    ik_reply r = Echo("198.18.0.2", 0, 100.5, true);
    ik__record_late(&j.job, 0, &r); /* builds the index with the first lap */
  }
  j.Answer(0, 5000.0, 3.0); /* the next lap's answer to sequence 0 */
  ik_reply copy = Echo("198.18.0.2", 0, 5000.25, true);
  ik__record_late(&j.job, 0, &copy);
  ASSERT_EQ(j.host.replies_len, 4u);
  EXPECT_NEAR(j.host.replies[3].rtt, 3.0 + 250.0, 1e-6);  // from the new lap's answer
  for (int i = 0; i < 3 * IK__COPIES_KEPT; i++) {
    ik_reply r = Echo("198.18.0.2", 0, 5001.0 + i, true);
    ik__record_late(&j.job, 0, &r);
  }
  EXPECT_EQ(j.host.replies_len, 1u + 1u + 1u + IK__COPIES_KEPT);
}
