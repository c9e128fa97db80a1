// Duplicate detection (ik__seen_check, ik__seen_lookup in src/match.c), fed with hand-made
// ik__received values: no sockets.
#include <gtest/gtest.h>

extern "C" {
#include "match.h"
}

namespace {

ik__received Reply(const char *source, uint16_t id, uint16_t seq) {
  ik__received r{};
  r.pkt.family = IK_AF_INET;
  r.pkt.is_echo_reply = 1;
  r.pkt.id = id;
  r.pkt.sequence = seq;
  EXPECT_EQ(ik_address_parse(source, &r.source), 0);
  return r;
}

TEST(Seen, FirstReplyIsNotADuplicate) {
  ik__seen seen{};
  ik__received r = Reply("198.18.0.9", 1, 2);
  EXPECT_EQ(ik__seen_check(&seen, &r), 0);
}

TEST(Seen, SecondCopyOfTheSameReplyIsADuplicate) {
  ik__seen seen{};
  ik__received r = Reply("198.18.0.9", 1, 2);
  ik__seen_check(&seen, &r);
  EXPECT_EQ(ik__seen_check(&seen, &r), 1);
  EXPECT_EQ(ik__seen_check(&seen, &r), 1);
}

TEST(Seen, OtherSequenceOrIdIsNotADuplicate) {
  ik__seen seen{};
  ik__received a = Reply("198.18.0.9", 1, 2), b = Reply("198.18.0.9", 1, 3),
               c = Reply("198.18.0.9", 2, 2);
  ik__seen_check(&seen, &a);
  EXPECT_EQ(ik__seen_check(&seen, &b), 0);
  EXPECT_EQ(ik__seen_check(&seen, &c), 0);
}

TEST(Seen, SameProbeAnsweredByAnotherHostIsNotADuplicate) {
  // Broadcast: every host answers the same (id, sequence).
  ik__seen seen{};
  ik__received a = Reply("198.18.0.9", 1, 2), b = Reply("198.18.0.10", 1, 2);
  ik__seen_check(&seen, &a);
  EXPECT_EQ(ik__seen_check(&seen, &b), 0);
  EXPECT_EQ(ik__seen_check(&seen, &b), 1);
}

TEST(Seen, SameIdAndSequenceWithAnotherPayloadIsNotACopy) {
  // Another process's reply on a raw socket, or a forgery.
  const uint8_t mine[4] = {1, 2, 3, 4}, theirs[4] = {1, 2, 3, 5};
  ik__seen seen{};
  ik__received a = Reply("198.18.0.9", 1, 2), b = a;
  a.pkt.data = mine;
  a.pkt.data_len = sizeof mine;
  b.pkt.data = theirs;
  b.pkt.data_len = sizeof theirs;
  ik__seen_check(&seen, &a);
  EXPECT_EQ(ik__seen_lookup(&seen, &a), IK__SEEN_COPY);
  EXPECT_EQ(ik__seen_lookup(&seen, &b), IK__SEEN_OTHER);
  b.pkt.data_len = 3;
  EXPECT_EQ(ik__seen_lookup(&seen, &b), IK__SEEN_OTHER);
}

TEST(Seen, LookupRecordsNothing) {
  ik__seen seen{};
  ik__received r = Reply("198.18.0.9", 1, 2);
  EXPECT_EQ(ik__seen_lookup(&seen, &r), IK__SEEN_NEW);
  EXPECT_EQ(ik__seen_lookup(&seen, &r), IK__SEEN_NEW);
  EXPECT_EQ(ik__seen_check(&seen, &r), 0);
}

TEST(Seen, RequestSentAgainWithAnotherPayloadIsRecordedAnew) {
  const uint8_t first[2] = {1, 2}, second[2] = {3, 4};
  ik__seen seen{};
  ik__received a = Reply("198.18.0.9", 1, 2), b = a;
  a.pkt.data = first;
  a.pkt.data_len = sizeof first;
  b.pkt.data = second;
  b.pkt.data_len = sizeof second;
  ik__seen_check(&seen, &a);
  EXPECT_EQ(ik__seen_check(&seen, &b), 0);
  EXPECT_EQ(ik__seen_check(&seen, &b), 1);
}

TEST(Seen, IcmpErrorsAreNeverDuplicates) {
  ik__seen seen{};
  ik__received e = Reply("198.18.0.1", 1, 2);
  e.pkt.is_echo_reply = 0;
  e.pkt.is_error = 1;
  EXPECT_EQ(ik__seen_check(&seen, &e), 0);
  EXPECT_EQ(ik__seen_check(&seen, &e), 0);
}

TEST(Seen, OnlyTheLastSizeRepliesAreRemembered) {
  ik__seen seen{};
  for (unsigned s = 0; s <= IK__SEEN_SIZE; ++s) {
    ik__received r = Reply("198.18.0.9", 1, static_cast<uint16_t>(s));
    ASSERT_EQ(ik__seen_check(&seen, &r), 0);
  }
  ik__received oldest = Reply("198.18.0.9", 1, 0), newest = Reply("198.18.0.9", 1, IK__SEEN_SIZE);
  EXPECT_EQ(ik__seen_check(&seen, &newest), 1);
  EXPECT_EQ(ik__seen_check(&seen, &oldest), 0);  // forgotten, recorded again
}

}  // namespace
