// Duplicate detection (ik__seen_check in src/match.c), fed with hand-made
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
