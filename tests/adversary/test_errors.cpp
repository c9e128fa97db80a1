// Hostile ICMP errors and floods of unrelated ICMP against
// ik_socket_receive, for every socket mode.
//
// As in test_replies.cpp, the hostile messages come first and a genuine
// answer right after: here a Time Exceeded from the router quoting the
// request exactly, while the hostile errors are Destination Unreachable
// (host) from another address. The receive must return the Time Exceeded.
#include <atomic>
#include <thread>

#include "adversary.h"
#include "hostile.h"
#include "pinger.h"

namespace adv {
namespace {

class Errors : public TunFixture<::testing::TestWithParam<Mode>> {
 protected:
  Mode M() const { return GetParam(); }
  const Hosts &H() const { return HostsFor(GetParam().family); }

  void HostileThenGood(Hostile hostile) {
    net_->SetScript([hostile](const EchoRequest &rq, TunNet &n) {
      for (const Bytes &p : hostile(rq)) n.Write(p);
      n.Write(GoodTimeExceeded(rq));
    });
  }

  void ExpectOnlyTheGoodError() {
    net_->Run([&] {
      Pinger p(M());
      ASSERT_TRUE(p.Ok());
      ik_request req = p.Send(1);
      Outcome o = p.Receive(&req, 2.0);
      ASSERT_EQ(o.err, 0) << ik_err_name(o.err) << ": " << ik_last_error() << " (kernel drops "
                          << p.KernelDrops() << ")";
      EXPECT_EQ(o.reply.type, TimeExceededType(M().family))
          << "a hostile error was taken for the answer";
      EXPECT_STREQ(o.reply.source, H().router);
      EXPECT_EQ(o.reply.sequence, 1);
      EXPECT_EQ(o.reply.id, req.id);
      EXPECT_EQ(ik_reply_check(&o.reply), IK_ETIME_EXCEEDED);
    });
    EXPECT_EQ(net_->Requests().size(), 1u);
  }
};

TEST_P(Errors, ErrorQuotingTheRequestIsReturned) {
  HostileThenGood([](const EchoRequest &) { return Packets{}; });
  ExpectOnlyTheGoodError();
}

TEST_P(Errors, ErrorQuotingTheWholeRequestIsReturned) {
  // RFC 4884 / RFC 4443 routers quote as much as fits, not only 8 bytes.
  net_->SetScript([](const EchoRequest &rq, TunNet &n) {
    const Hosts &h = HostsFor(rq.family);
    n.Write(ErrorPacket(rq, h.router, TimeExceededType(rq.family), 0, QuoteOf(rq, 65535)));
  });
  net_->Run([&] {
    Pinger p(M());
    ASSERT_TRUE(p.Ok());
    ik_request req = p.Send(1);
    Outcome o = p.Receive(&req, 2.0);
    ASSERT_EQ(o.err, 0) << ik_last_error();
    EXPECT_EQ(ik_reply_check(&o.reply), IK_ETIME_EXCEEDED);
    EXPECT_STREQ(o.reply.source, H().router);
  });
}

TEST_P(Errors, ErrorWithTruncatedQuoteIsNeverAccepted) {
  HostileThenGood(ErrorsWithTruncatedQuote);
  ExpectOnlyTheGoodError();
}

TEST_P(Errors, ErrorWithGarbageQuoteIsNeverAccepted) {
  HostileThenGood(ErrorsWithGarbageQuote);
  ExpectOnlyTheGoodError();
}

TEST_P(Errors, ErrorQuotingAnotherDestinationIsNeverAccepted) {
  HostileThenGood(ErrorQuotingAnotherDestination);
  ExpectOnlyTheGoodError();
}

TEST_P(Errors, ErrorQuotingAnotherSequenceIsNeverAccepted) {
  HostileThenGood([](const EchoRequest &rq) { return ErrorQuotingAnotherSequence(rq, 1); });
  ExpectOnlyTheGoodError();
}

TEST_P(Errors, FloodOfUnrelatedIcmpDoesNotHideTheAnswer) {
  // 25 rounds: 200 of these reach a raw IPv4 socket (Linux's ICMP_FILTER
  // has no bits for types >= 32: they always pass), which fits the default
  // receive buffer (~270 small packets); past that the kernel drops what
  // comes next, the answer included, before any library could see it
  // (TimeoutHoldsDuringAFloodOfUnrelatedIcmp and the burst test cover
  // overflowing floods).
  HostileThenGood([](const EchoRequest &rq) { return UnrelatedIcmpFlood(rq, 25); });
  ExpectOnlyTheGoodError();
}

TEST_P(Errors, TimeoutHoldsDuringAFloodOfUnrelatedIcmp) {
  // The request is never answered; unrelated ICMP keeps arriving through
  // the whole wait. The receive must still end at its deadline.
  constexpr double kTimeout = 0.5;
  std::atomic<bool> stop{false};
  net_->SetScript([](const EchoRequest &, TunNet &) {});
  net_->Run([&] {
    Pinger p(M());
    ASSERT_TRUE(p.Ok());
    ik_request req = p.Send(1);
    ASSERT_TRUE(net_->WaitForRequests(1, 2.0));
    std::vector<Bytes> flood = UnrelatedIcmp(net_->Requests()[0]);
    std::thread flooder([&] {
      while (!stop)
        for (const Bytes &b : flood) net_->Write(b);
    });
    Outcome o = p.Receive(&req, kTimeout);
    stop = true;
    flooder.join();
    EXPECT_EQ(o.err, IK_ETIMEOUT) << ik_last_error();
    EXPECT_GE(o.elapsed, kTimeout);
    EXPECT_LT(o.elapsed, kTimeout + 1.0) << "the flood held the receive past its deadline";
  });
  EXPECT_GT(net_->PacketsWritten(), 1000u);
}

INSTANTIATE_TEST_SUITE_P(Modes, Errors, AllModes(), ModeName);

}  // namespace
}  // namespace adv
