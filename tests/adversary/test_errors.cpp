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
#include "pinger.h"

namespace adv {
namespace {

class Errors : public TunFixture<::testing::TestWithParam<Mode>> {
 protected:
  Mode M() const { return GetParam(); }
  const Hosts &H() const { return HostsFor(GetParam().family); }

  // The genuine answer: Time Exceeded from the router, whole request quoted.
  static Bytes GoodError(const EchoRequest &rq) {
    const Hosts &h = HostsFor(rq.family);
    return ErrorPacket(rq, h.router, TimeExceededType(rq.family), 0, QuoteOf(rq, 8));
  }
  // A hostile error: Destination Unreachable (host) from `other` quoting q.
  static Bytes HostileError(const EchoRequest &rq, const Bytes &q) {
    const Hosts &h = HostsFor(rq.family);
    return ErrorPacket(rq, h.other, UnreachType(rq.family), rq.family == 4 ? 1 : 3, q);
  }

  void HostileThenGood(std::function<std::vector<Bytes>(const EchoRequest &)> hostile) {
    net_->SetScript([hostile](const EchoRequest &rq, TunNet &n) {
      for (const Bytes &p : hostile(rq)) n.Write(p);
      n.Write(GoodError(rq));
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
  HostileThenGood([](const EchoRequest &) { return std::vector<Bytes>{}; });
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
  HostileThenGood([](const EchoRequest &rq) {
    std::vector<Bytes> out;
    // Quoted ICMP header cut before the sequence, before the id, and the
    // quoted IP header itself cut short.
    for (size_t icmp_bytes : {size_t{6}, size_t{4}, size_t{0}}) out.push_back(HostileError(rq, QuoteOf(rq, icmp_bytes)));
    Bytes short_ip = QuoteOf(rq, 0);
    short_ip.resize(short_ip.size() / 2);
    out.push_back(HostileError(rq, short_ip));
    out.push_back(HostileError(rq, {}));
    return out;
  });
  ExpectOnlyTheGoodError();
}

TEST_P(Errors, ErrorWithGarbageQuoteIsNeverAccepted) {
  HostileThenGood([](const EchoRequest &rq) {
    std::vector<Bytes> out;
    Bytes garbage(rq.raw.size());
    for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>(i * 37 + 11);
    out.push_back(HostileError(rq, garbage));
    // Right shape, wrong contents: the quoted protocol, or the quoted ICMP
    // type (an echo reply, a timestamp request) is not our echo request.
    Bytes q = QuoteOf(rq, 8);
    size_t ip_len = rq.family == 4 ? 20 : 40;
    Bytes proto = q, reply = q, other = q;
    proto[rq.family == 4 ? 9 : 6] = 17;  // UDP
    reply[ip_len] = EchoReplyType(rq.family);
    other[ip_len] = rq.family == 4 ? 13 : 139;
    for (const Bytes &b : {proto, reply, other}) out.push_back(HostileError(rq, b));
    return out;
  });
  ExpectOnlyTheGoodError();
}

TEST_P(Errors, ErrorQuotingAnotherDestinationIsNeverAccepted) {
  HostileThenGood([](const EchoRequest &rq) {
    const Hosts &h = HostsFor(rq.family);
    Bytes q = WithDestination(QuoteOf(rq, 8), IpAddr::Parse(h.elsewhere));
    return std::vector<Bytes>{HostileError(rq, q)};
  });
  ExpectOnlyTheGoodError();
}

TEST_P(Errors, ErrorQuotingAnotherSequenceIsNeverAccepted) {
  HostileThenGood([](const EchoRequest &rq) {
    Bytes q = QuoteOf(rq, 8);
    size_t ip_len = rq.family == 4 ? 20 : 40;
    q[ip_len + 7] ^= 0x01;  // sequence low byte
    return std::vector<Bytes>{HostileError(rq, q)};
  });
  ExpectOnlyTheGoodError();
}

// Unrelated ICMP a network may carry: informational types, echo replies
// to others, errors about UDP. None may wake a receive into returning.
std::vector<Bytes> UnrelatedIcmp(const EchoRequest &rq) {
  const Hosts &h = HostsFor(rq.family);
  IpAddr other = IpAddr::Parse(h.other);
  std::vector<Bytes> out;
  Bytes udp_quote = QuoteOf(rq, 8);
  udp_quote[rq.family == 4 ? 9 : 6] = 17;
  if (rq.family == 4) {
    for (uint8_t type : {14, 9, 10, 15, 16, 17, 18, 30, 40, 42, 43, 253, 254})
      out.push_back(Ip(other, rq.src, Icmp(type, 0, Bytes(12, 0x11))));
    out.push_back(Ip(other, rq.src, Icmp(3, 3, ErrorRest(udp_quote))));
    out.push_back(Ip(other, rq.src, Icmp(11, 0, ErrorRest(udp_quote))));
  } else {
    for (uint8_t type : {139, 140, 144, 145, 146, 147, 160, 200, 201, 255})
      out.push_back(Ip(other, rq.src, Icmp(type, 0, Bytes(12, 0x11))));
    out.push_back(Ip(other, rq.src, Icmp(1, 4, ErrorRest(udp_quote))));
    out.push_back(Ip(other, rq.src, Icmp(3, 0, ErrorRest(udp_quote))));
  }
  out.push_back(Ip(other, rq.src,
                   Icmp(EchoReplyType(rq.family), 0,
                        EchoRest(static_cast<uint16_t>(rq.id ^ 0x5555), rq.seq, rq.payload))));
  return out;
}

TEST_P(Errors, FloodOfUnrelatedIcmpDoesNotHideTheAnswer) {
  HostileThenGood([](const EchoRequest &rq) {
    // 25 rounds: 200 of these reach a raw IPv4 socket (Linux's ICMP_FILTER
    // has no bits for types >= 32: they always pass), which fits the default
    // receive buffer (~270 small packets); past that the kernel drops what
    // comes next, the answer included, before any library could see it
    // (TimeoutHoldsDuringAFloodOfUnrelatedIcmp and the burst test cover
    // overflowing floods).
    std::vector<Bytes> one = UnrelatedIcmp(rq), out;
    for (int i = 0; i < 25; ++i) out.insert(out.end(), one.begin(), one.end());
    return out;
  });
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
