#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "internal.h"
}

namespace {

ik_reply make_reply(int family, int type, int code) {
  ik_reply r{};
  r.family = family;
  r.type = type;
  r.code = code;
  r.ttl = -1;
  return r;
}

std::string message(int family, int type, int code) {
  ik_reply r = make_reply(family, type, code);
  return ik_reply_message(&r);
}

int check(int family, int type, int code) {
  ik_reply r = make_reply(family, type, code);
  return ik_reply_check(&r);
}

}  // namespace

TEST(ReplyCheck, EchoReplyOfEachFamilyIsOk) {
  EXPECT_EQ(check(IK_AF_INET, 0, 0), IK_OK);
  EXPECT_EQ(check(IK_AF_INET6, 129, 0), IK_OK);
}

TEST(ReplyCheck, EchoReplyWithNonZeroCodeIsStillOk) {
  // icmplib looks at the type only.
  EXPECT_EQ(check(IK_AF_INET, 0, 5), IK_OK);
  EXPECT_EQ(check(IK_AF_INET6, 129, 3), IK_OK);
}

TEST(ReplyCheck, DestinationUnreachableOfEachFamily) {
  EXPECT_EQ(check(IK_AF_INET, 3, 1), IK_EDEST_UNREACHABLE);
  EXPECT_EQ(check(IK_AF_INET6, 1, 3), IK_EDEST_UNREACHABLE);
}

TEST(ReplyCheck, TimeExceededOfEachFamily) {
  EXPECT_EQ(check(IK_AF_INET, 11, 0), IK_ETIME_EXCEEDED);
  EXPECT_EQ(check(IK_AF_INET6, 3, 0), IK_ETIME_EXCEEDED);
}

TEST(ReplyCheck, OtherTypesAreGenericIcmpErrors) {
  EXPECT_EQ(check(IK_AF_INET, 5, 1), IK_EICMP);    // redirect
  EXPECT_EQ(check(IK_AF_INET, 8, 0), IK_EICMP);    // echo request
  EXPECT_EQ(check(IK_AF_INET, 12, 0), IK_EICMP);   // parameter problem
  EXPECT_EQ(check(IK_AF_INET6, 2, 0), IK_EICMP);   // packet too big
  EXPECT_EQ(check(IK_AF_INET6, 4, 1), IK_EICMP);   // parameter problem
  EXPECT_EQ(check(IK_AF_INET6, 128, 0), IK_EICMP); // echo request
}

TEST(ReplyCheck, TypesAreReadInTheReplysOwnFamily) {
  EXPECT_EQ(check(IK_AF_INET, 129, 0), IK_EICMP);
  EXPECT_EQ(check(IK_AF_INET6, 0, 0), IK_EICMP);
  EXPECT_EQ(check(IK_AF_INET, 1, 0), IK_EICMP);
  EXPECT_EQ(check(IK_AF_INET6, 11, 0), IK_EICMP);
}

TEST(ReplyCheck, NullReplyIsInvalid) { EXPECT_EQ(ik_reply_check(nullptr), IK_EINVAL); }

TEST(ReplyMessage, EchoReplyHasNoMessage) {
  EXPECT_EQ(message(IK_AF_INET, 0, 0), "");
  EXPECT_EQ(message(IK_AF_INET6, 129, 0), "");
  EXPECT_STREQ(ik_reply_message(nullptr), "");
}

// Expected texts copied from icmplib/exceptions.py (python3-icmplib 2.1.1).
TEST(ReplyMessage, IcmpV4DestinationUnreachableCodesMatchIcmplib) {
  const char *expected[] = {
      "Destination network unreachable",
      "Destination host unreachable",
      "Destination protocol unreachable",
      "Destination port unreachable",
      "Fragmentation needed and DF set",
      "Source route failed",
      "Destination network unknown",
      "Destination host unknown",
      "Source host isolated",
      "Destination network prohibed",
      "Destination host prohibed",
      "Destination network unreachable for ToS",
      "Destination host unreachable for ToS",
      "Packet filtered",
      "Precedence violation",
      "Precedence cutoff",
  };
  for (int code = 0; code < 16; code++) EXPECT_EQ(message(IK_AF_INET, 3, code), expected[code]) << code;
}

TEST(ReplyMessage, IcmpV6DestinationUnreachableCodesMatchIcmplib) {
  const char *expected[] = {
      "No route to destination",
      "Communication with destination administratively prohibited",
      "Beyond scope of source address",
      "Address unreachable",
      "Port unreachable",
      "Source address failed ingress/egress policy",
      "Reject route to destination",
  };
  for (int code = 0; code < 7; code++) EXPECT_EQ(message(IK_AF_INET6, 1, code), expected[code]) << code;
}

TEST(ReplyMessage, TimeExceededCodesMatchIcmplib) {
  EXPECT_EQ(message(IK_AF_INET, 11, 0), "Time to live exceeded");
  EXPECT_EQ(message(IK_AF_INET, 11, 1), "Fragment reassembly time exceeded");
  EXPECT_EQ(message(IK_AF_INET6, 3, 0), "Hop limit exceeded");
  EXPECT_EQ(message(IK_AF_INET6, 3, 1), "Fragment reassembly time exceeded");
}

TEST(ReplyMessage, UnknownDestinationUnreachableCodeSaysBadCode) {
  EXPECT_EQ(message(IK_AF_INET, 3, 16), "Destination unreachable, bad code: 16");
  EXPECT_EQ(message(IK_AF_INET, 3, 255), "Destination unreachable, bad code: 255");
  EXPECT_EQ(message(IK_AF_INET, 3, -1), "Destination unreachable, bad code: -1");
  EXPECT_EQ(message(IK_AF_INET6, 1, 7), "Destination unreachable, bad code: 7");
}

TEST(ReplyMessage, UnknownTimeExceededCodeSaysBadCode) {
  EXPECT_EQ(message(IK_AF_INET, 11, 2), "Time exceeded, bad code: 2");
  EXPECT_EQ(message(IK_AF_INET6, 3, 2), "Time exceeded, bad code: 2");
}

TEST(ReplyMessage, OtherTypesUseTheGenericForm) {
  EXPECT_EQ(message(IK_AF_INET, 5, 1), "Error type: 5, code: 1");
  EXPECT_EQ(message(IK_AF_INET, 8, 0), "Error type: 8, code: 0");
  EXPECT_EQ(message(IK_AF_INET, 129, 0), "Error type: 129, code: 0");
  EXPECT_EQ(message(IK_AF_INET6, 2, 0), "Error type: 2, code: 0");
  EXPECT_EQ(message(IK_AF_INET6, 4, 1), "Error type: 4, code: 1");
  EXPECT_EQ(message(IK_AF_INET6, 0, 0), "Error type: 0, code: 0");
  EXPECT_EQ(message(IK_AF_INET6, 128, 0), "Error type: 128, code: 0");
}
