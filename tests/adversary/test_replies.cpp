// Hostile echo replies against ik_socket_receive, for every socket mode.
//
// Most scenarios send the hostile packet first and a correct reply right
// after it, marked with TTL 44 (the hostile one has TTL 33): the receive
// must return the correct one. A library that accepted the hostile packet
// returns TTL 33 instead, and no test has to wait for a timeout. Where
// the kernel already drops the hostile packet (DESIGN.md §3: bad checksums
// on IPv6 and DGRAM, other ids on DGRAM) the same assertion holds, which
// is what the caller sees either way.
#include <set>
#include <vector>

#include "adversary.h"
#include "hostile.h"
#include "pinger.h"

namespace adv {
namespace {

class Replies : public TunFixture<::testing::TestWithParam<Mode>> {
 protected:
  Mode M() const { return GetParam(); }
  const Hosts &H() const { return HostsFor(GetParam().family); }

  // Answers each request with hostile(rq) and then a correct reply.
  void HostileThenGood(Hostile hostile) {
    net_->SetScript([hostile](const EchoRequest &rq, TunNet &n) {
      for (const Bytes &p : hostile(rq)) n.Write(p);
      n.Write(GoodReply(rq));
    });
  }

  // One request, one receive: the outcome, checked to be the good reply.
  void ExpectOnlyTheGoodReply() {
    net_->Run([&] {
      Pinger p(M());
      ASSERT_TRUE(p.Ok());
      ik_request req = p.Send(1);
      Outcome o = p.Receive(&req, 2.0);
      ASSERT_EQ(o.err, 0) << ik_err_name(o.err) << ": " << ik_last_error();
      EXPECT_EQ(o.reply.ttl, kGoodTtl) << "a hostile packet was taken for the reply";
      EXPECT_EQ(o.reply.sequence, 1);
      EXPECT_EQ(o.reply.id, req.id);
      EXPECT_STREQ(o.reply.source, H().target);
      EXPECT_EQ(ik_reply_check(&o.reply), IK_OK);
    });
    EXPECT_EQ(net_->Requests().size(), 1u);
  }
};

TEST_P(Replies, CorrectReplyIsReceivedWithItsFields) {
  net_->SetScript([](const EchoRequest &rq, TunNet &n) { n.Write(GoodReply(rq)); });
  net_->Run([&] {
    Pinger p(M());
    ASSERT_TRUE(p.Ok());
    ik_request req = p.Send(3);
    Outcome o = p.Receive(&req, 2.0);
    ASSERT_EQ(o.err, 0) << ik_last_error();
    EXPECT_EQ(o.reply.family, M().family);
    EXPECT_EQ(o.reply.type, M().family == 4 ? 0 : 129);
    EXPECT_EQ(o.reply.code, 0);
    EXPECT_EQ(o.reply.sequence, 3);
    EXPECT_EQ(o.reply.id, req.id);
    EXPECT_EQ(o.reply.bytes_received, 64u);
    EXPECT_EQ(o.reply.ttl, kGoodTtl);
    EXPECT_EQ(o.reply.flags, 0u);
    EXPECT_STREQ(o.reply.source, H().target);
    EXPECT_GE(o.reply.time, req.time);
  });
}

TEST_P(Replies, BadChecksumIsNeverAccepted) {
  HostileThenGood(BadChecksumReply);
  ExpectOnlyTheGoodReply();
}

TEST_P(Replies, AlteredPayloadWithValidChecksumIsNeverAccepted) {
  HostileThenGood(AlteredPayloadReply);
  ExpectOnlyTheGoodReply();
}

TEST_P(Replies, TruncatedRepliesAreNeverAccepted) {
  HostileThenGood(TruncatedReplies);
  ExpectOnlyTheGoodReply();
}

TEST_P(Replies, OversizedRepliesAreNeverAccepted) {
  HostileThenGood(OversizedReplies);
  ExpectOnlyTheGoodReply();
}

TEST_P(Replies, ReplyFromAnotherHostIsNeverAccepted) {
  HostileThenGood(ReplyFromAnotherHost);
  ExpectOnlyTheGoodReply();
}

TEST_P(Replies, ReplyWithAnotherIdIsNeverAccepted) {
  HostileThenGood(RepliesWithAnotherId);
  ExpectOnlyTheGoodReply();
}

TEST_P(Replies, ReplyWithAnotherSequenceIsNeverAccepted) {
  HostileThenGood([](const EchoRequest &rq) { return RepliesWithSequenceOffsets(rq, {1, 0xffff, 0x100}); });
  ExpectOnlyTheGoodReply();
}

TEST_P(Replies, EchoRequestLookingLikeTheReplyIsNeverAccepted) {
  // Same id, sequence and payload, but an echo request (what a raw socket
  // sees of its own traffic on loopback).
  HostileThenGood(EchoRequestLookalike);
  ExpectOnlyTheGoodReply();
}

TEST_P(Replies, DuplicateIsReturnedOnceThenFlagged) {
  net_->SetScript([](const EchoRequest &rq, TunNet &n) {
    ReplySpec first, second;
    first.ip.ttl = kGoodTtl;
    second.ip.ttl = kGoodTtl + 1;
    n.Reply(rq, first);
    n.Reply(rq, second);
  });
  net_->Run([&] {
    Pinger p(M());
    ASSERT_TRUE(p.Ok());
    ik_request req = p.Send(1);
    Outcome a = p.Receive(&req, 2.0);
    ASSERT_EQ(a.err, 0) << ik_last_error();
    EXPECT_EQ(a.reply.ttl, kGoodTtl);
    EXPECT_EQ(a.reply.flags & IK_REPLY_DUPLICATE, 0u);
    Outcome b = p.Receive(&req, 2.0);
    ASSERT_EQ(b.err, 0) << ik_last_error();
    EXPECT_EQ(b.reply.ttl, kGoodTtl + 1);
    EXPECT_EQ(b.reply.sequence, 1);
    EXPECT_EQ(b.reply.flags & IK_REPLY_DUPLICATE, IK_REPLY_DUPLICATE)
        << "the second copy of (id, sequence) is not reported as a duplicate";
  });
}

TEST_P(Replies, LateReplyIsLostAndNeverCreditedToTheNextSequence) {
  // Sequence 0 goes unanswered until its receive timed out; its reply then
  // arrives while sequence 1 is awaited, and sequence 1 is never answered.
  // (Scripts keep their state in the TunNet, never in the test body's
  // locals: the responder may still be running one when the body returns.)
  net_->SetScript([](const EchoRequest &rq, TunNet &n) {
    if (rq.seq == 1)
      for (const EchoRequest &old : n.Requests())
        if (old.seq == 0) n.Reply(old);
  });
  net_->Run([&] {
    Pinger p(M());
    ASSERT_TRUE(p.Ok());
    ik_request r0 = p.Send(0);
    EXPECT_EQ(p.Receive(&r0, 0.2).err, IK_ETIMEOUT);
    ik_request r1 = p.Send(1);
    Outcome o = p.Receive(&r1, 0.3);
    EXPECT_EQ(o.err, IK_ETIMEOUT) << "the late reply to sequence 0 was credited to sequence "
                                  << o.reply.sequence;
  });
  EXPECT_EQ(net_->PacketsWritten(), 1u);
}

TEST_P(Replies, OldSequenceIsSkippedForTheCurrentOne) {
  net_->SetScript([](const EchoRequest &rq, TunNet &n) {
    if (rq.seq != 1) return;
    for (const EchoRequest &old : n.Requests())
      if (old.seq == 0) n.Reply(old, BadSpec());
    n.Write(GoodReply(rq));
  });
  net_->Run([&] {
    Pinger p(M());
    ASSERT_TRUE(p.Ok());
    ik_request r0 = p.Send(0);
    EXPECT_EQ(p.Receive(&r0, 0.1).err, IK_ETIMEOUT);
    ik_request r1 = p.Send(1);
    Outcome o = p.Receive(&r1, 2.0);
    ASSERT_EQ(o.err, 0) << ik_last_error();
    EXPECT_EQ(o.reply.sequence, 1);
    EXPECT_EQ(o.reply.ttl, kGoodTtl);
  });
}

TEST_P(Replies, ReorderedRepliesKeepTheirOwnSequences) {
  constexpr size_t kN = 5;
  net_->SetScript([](const EchoRequest &, TunNet &n) {
    auto held = n.Requests();
    if (held.size() == kN)
      for (auto it = held.rbegin(); it != held.rend(); ++it) n.Reply(*it);
  });
  net_->Run([&] {
    Pinger p(M());
    ASSERT_TRUE(p.Ok());
    std::vector<ik_request> reqs;
    for (size_t s = 0; s < kN; ++s) reqs.push_back(p.Send(static_cast<uint16_t>(s)));
    // Any-reply receives return them as they arrived, each with its own
    // sequence.
    std::vector<int> got;
    for (size_t i = 0; i < kN; ++i) {
      Outcome o = p.Receive(nullptr, 2.0);
      ASSERT_EQ(o.err, 0) << ik_last_error();
      got.push_back(o.reply.sequence);
      EXPECT_EQ(o.reply.id, reqs[0].id);
    }
    EXPECT_EQ(got, (std::vector<int>{4, 3, 2, 1, 0}));
  });
}

TEST_P(Replies, Ipv4OptionsOrIpv6ExtensionHeadersDoNotHideTheReply) {
  std::vector<IpOpts> variants;
  if (M().family == 4) {
    IpOpts nops;
    nops.v4_options = {1, 1, 1, 0};  // NOP NOP NOP EOL: IHL 6
    IpOpts full;                     // IHL 15: a full Record Route + NOP
    full.v4_options = {7, 39, 40};
    full.v4_options.resize(39, 0);
    full.v4_options.push_back(1);
    variants = {nops, full};
  } else {
    IpOpts hbh, dst, frag, chain;
    hbh.v6_ext = {Ext::PadOptions(0, 1)};
    dst.v6_ext = {Ext::PadOptions(60, 3)};
    frag.v6_ext = {Ext::Fragment(0, false, 99)};  // atomic fragment
    chain.v6_ext = {Ext::PadOptions(0, 2), Ext::PadOptions(60, 1), Ext::Fragment(0, false, 98)};
    variants = {hbh, dst, frag, chain};
  }
  net_->SetScript([variants](const EchoRequest &rq, TunNet &n) {
    ReplySpec s;
    s.ip = variants[rq.seq];
    s.ip.ttl = kGoodTtl;
    n.Reply(rq, s);
  });
  net_->Run([&] {
    Pinger p(M());
    ASSERT_TRUE(p.Ok());
    for (size_t v = 0; v < variants.size(); ++v) {
      ik_request req = p.Send(static_cast<uint16_t>(v));
      Outcome o = p.Receive(&req, 2.0);
      ASSERT_EQ(o.err, 0) << "variant " << v << ": " << ik_last_error();
      EXPECT_EQ(o.reply.sequence, v);
      EXPECT_EQ(o.reply.bytes_received, 64u) << "variant " << v << ": IP options counted";
      EXPECT_EQ(o.reply.ttl, kGoodTtl);
    }
  });
}

TEST_P(Replies, FragmentedReplyIsAccepted) {
  net_->SetScript([](const EchoRequest &rq, TunNet &n) {
    Bytes icmp = Icmp(EchoReplyType(rq.family), 0, EchoRest(rq.id, rq.seq, rq.payload));
    auto frags = rq.family == 4 ? Ipv4Fragments(rq.dst, rq.src, icmp, 48, 1234)
                                : Ipv6Fragments(rq.dst, rq.src, icmp, 48, 1234);
    for (auto it = frags.rbegin(); it != frags.rend(); ++it) n.Write(*it);  // last first
  });
  net_->Run([&] {
    Pinger p(M());
    ASSERT_TRUE(p.Ok());
    ik_request req = p.Send(9, nullptr, 200);
    Outcome o = p.Receive(&req, 2.0);
    ASSERT_EQ(o.err, 0) << ik_last_error();
    EXPECT_EQ(o.reply.bytes_received, 208u);
  });
}

TEST_P(Replies, LargeReplyAfterSmallOnesIsAccepted) {
  // Small replies first (the receive path may batch them into small
  // slots), then a 4000-byte echo arriving in three fragments.
  net_->SetScript([](const EchoRequest &rq, TunNet &n) {
    Bytes icmp = Icmp(EchoReplyType(rq.family), 0, EchoRest(rq.id, rq.seq, rq.payload));
    auto frags = rq.family == 4 ? Ipv4Fragments(rq.dst, rq.src, icmp, 1480, rq.seq)
                                : Ipv6Fragments(rq.dst, rq.src, icmp, 1448, rq.seq);
    for (const Bytes &f : frags) n.Write(f);
  });
  net_->Run([&] {
    Pinger p(M());
    ASSERT_TRUE(p.Ok());
    for (uint16_t seq = 0; seq < 4; ++seq) {
      size_t size = seq < 3 ? 56 : 4000;
      ik_request req = p.Send(seq, nullptr, size);
      Outcome o = p.Receive(&req, 2.0);
      ASSERT_EQ(o.err, 0) << "payload " << size << ": " << ik_last_error();
      EXPECT_EQ(o.reply.bytes_received, 8 + size);
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Modes, Replies, AllModes(), ModeName);

}  // namespace
}  // namespace adv
