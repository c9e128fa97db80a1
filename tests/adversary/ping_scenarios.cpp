// The adversary scenarios through the high-level calls: ik_ping, and the
// command line's `icmpkit ping --json` (its JSON parsed back by a strict
// parser), for every socket mode. Each scenario states one exact host
// result: packets sent and received, duplicates, and every entry of
// replies[] (sequence, source, type, code, TTL, size, duplicate flag);
// both paths must give exactly that. The hostile packets are those of the
// socket-level tests (hostile.h): sent first, the genuine answer (TTL 44)
// right after, so a hostile packet taken for the answer shows TTL 33.
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "adversary.h"
#include "hostile.h"
#include "ping_host.h"

namespace adv {
namespace {

using Param = std::tuple<Mode, Path>;

// Datagrams the kernel dropped because a receive buffer was full, summed
// over the ICMP sockets of mode m in the calling thread's namespace (the
// "drops" column of /proc/net/{raw,icmp}[6]); -1 if unreadable.
long NamespaceDrops(const Mode &m) {
  std::string table = std::string(m.dgram ? "icmp" : "raw") + (m.family == 6 ? "6" : "");
  std::ifstream in("/proc/thread-self/net/" + table);
  std::string line;
  if (!std::getline(in, line)) return -1;  // header
  long drops = 0;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string tok[13];
    for (auto &t : tok) f >> t;
    drops += std::stol(tok[12]);
  }
  return drops;
}

std::string ParamName(const ::testing::TestParamInfo<Param> &info) {
  return ModeString(std::get<0>(info.param)) + "_" + PathString(std::get<1>(info.param));
}

class PingScenario : public TunFixture<::testing::TestWithParam<Param>> {
 protected:
  Mode M() const { return std::get<0>(GetParam()); }
  bool Cli() const { return std::get<1>(GetParam()) == Path::kCli; }
  const Hosts &H() const { return HostsFor(M().family); }

  Row Echo(int seq, int ttl = kGoodTtl, bool duplicate = false) const {
    return {seq, H().target, EchoReplyType(M().family), 0, ttl, 64, duplicate};
  }
  Row TimeExceeded(int seq) const {
    return {seq, H().router, TimeExceededType(M().family), 0, -1, -1, false};
  }
  std::vector<Row> Echoes(int count) const {
    std::vector<Row> rows;
    for (int s = 0; s < count; ++s) rows.push_back(Echo(s));
    return rows;
  }

  // Pings the target from inside the network, through this test's path.
  HostResult Ping(const PingArgs &a) {
    HostResult r;
    net_->Run([&] { r = Cli() ? ViaCli(M(), H().target, a) : ViaApi(M(), H().target, a); });
    return r;
  }
  void PingAndExpect(const PingArgs &a, const Expected &e) {
    HostResult r = Ping(a);
    ExpectHost(r, e, a, H().target, Cli());
  }

  // Answers each request with hostile(rq), then genuinely: an echo reply,
  // or (error) Time Exceeded from the router.
  void HostileThenGood(Hostile hostile, bool error = false) {
    net_->SetScript([hostile, error](const EchoRequest &rq, TunNet &n) {
      for (const Bytes &p : hostile(rq)) n.Write(p);
      n.Write(error ? GoodTimeExceeded(rq) : GoodReply(rq));
    });
  }
  // The whole scenario for hostile echo replies: every probe counted once,
  // each with its genuine reply.
  void ExpectOnlyGoodReplies(Hostile hostile) {
    HostileThenGood(std::move(hostile));
    PingArgs a;
    PingAndExpect(a, {a.count, a.count, 0, Echoes(a.count)});
  }
  // The same for hostile errors: only the router's Time Exceeded recorded.
  void ExpectOnlyGoodErrors(Hostile hostile) {
    HostileThenGood(std::move(hostile), true);
    PingArgs a;
    std::vector<Row> rows;
    for (int s = 0; s < a.count; ++s) rows.push_back(TimeExceeded(s));
    PingAndExpect(a, {a.count, 0, 0, rows});
  }
};

TEST_P(PingScenario, RepliesAreCountedWithTheirFields) {
  ExpectOnlyGoodReplies([](const EchoRequest &) { return Packets{}; });
}

TEST_P(PingScenario, DuplicatesAreCountedOnceAndFlagged) {
  // Every probe but the last is answered twice (the copy with TTL 45): the
  // last one's copy could arrive after ping has returned.
  PingArgs a;
  net_->SetScript([count = a.count](const EchoRequest &rq, TunNet &n) {
    n.Write(GoodReply(rq));
    ReplySpec copy;
    copy.ip.ttl = kGoodTtl + 1;
    if (rq.seq + 1 < count) n.Reply(rq, copy);
  });
  PingAndExpect(a, {3, 3, 2,
                    {Echo(0), Echo(0, kGoodTtl + 1, true), Echo(1), Echo(1, kGoodTtl + 1, true),
                     Echo(2)}});
}

TEST_P(PingScenario, DamagedCopiesAfterTheReplyAreNotDuplicates) {
  // After the genuine reply come copies that share its source, id and
  // sequence but not its payload (another process's reply on a raw
  // socket looks the same): they are no duplicates, and nothing else.
  PingArgs a;
  net_->SetScript([count = a.count](const EchoRequest &rq, TunNet &n) {
    n.Write(GoodReply(rq));
    if (rq.seq + 1 == count) return;  // ping may have returned already
    for (const Hostile &h : {Hostile(AlteredPayloadReply), Hostile(TruncatedReplies),
                             Hostile(OversizedReplies)})
      for (const Bytes &p : h(rq)) n.Write(p);
  });
  PingAndExpect(a, {a.count, a.count, 0, Echoes(a.count)});
}

TEST_P(PingScenario, BadChecksumsAreNeverCounted) { ExpectOnlyGoodReplies(BadChecksumReply); }

TEST_P(PingScenario, AlteredPayloadsAreNeverCounted) { ExpectOnlyGoodReplies(AlteredPayloadReply); }

TEST_P(PingScenario, TruncatedRepliesAreNeverCounted) { ExpectOnlyGoodReplies(TruncatedReplies); }

TEST_P(PingScenario, OversizedRepliesAreNeverCounted) { ExpectOnlyGoodReplies(OversizedReplies); }

TEST_P(PingScenario, RepliesFromAnotherHostAreNeverCounted) {
  ExpectOnlyGoodReplies(ReplyFromAnotherHost);
}

TEST_P(PingScenario, RepliesWithAnotherIdAreNeverCounted) {
  ExpectOnlyGoodReplies(RepliesWithAnotherId);
}

TEST_P(PingScenario, RepliesForSequencesNeverSentAreNeverCounted) {
  ExpectOnlyGoodReplies([](const EchoRequest &rq) {
    return RepliesWithSequenceOffsets(rq, {0x100, 0x8000});
  });
}

TEST_P(PingScenario, EchoRequestsLookingLikeRepliesAreNeverCounted) {
  ExpectOnlyGoodReplies(EchoRequestLookalike);
}

TEST_P(PingScenario, FloodOfUnrelatedIcmpDoesNotHideTheReplies) {
  ExpectOnlyGoodReplies([](const EchoRequest &rq) { return UnrelatedIcmpFlood(rq, 25); });
}

TEST_P(PingScenario, LateRepliesAreLostAndNeverCreditedToTheNextSequence) {
  // Even sequences are answered (TTL 33) only when the next request
  // arrives, long after their timeout; odd ones at once.
  PingArgs a;
  a.count = 4;
  a.timeout = 0.15;
  a.interval = 0.4;
  net_->SetScript([](const EchoRequest &rq, TunNet &n) {
    if (rq.seq % 2 == 0) return;
    for (const EchoRequest &old : n.Requests())
      if (old.seq + 1 == rq.seq && old.id == rq.id) n.Reply(old, BadSpec());
    n.Write(GoodReply(rq));
  });
  PingAndExpect(a, {4, 2, 0, {Echo(1), Echo(3)}});
  EXPECT_EQ(net_->PacketsWritten(), 4u);
}

TEST_P(PingScenario, ReorderedRepliesAreEachCountedOnce) {
  // Each even probe's reply is held until the next probe's, then sent after it.
  PingArgs a;
  a.count = 4;
  net_->SetScript([](const EchoRequest &rq, TunNet &n) {
    if (rq.seq % 2 == 0) return;
    n.Write(GoodReply(rq));
    for (const EchoRequest &old : n.Requests())
      if (old.seq + 1 == rq.seq && old.id == rq.id) n.Write(GoodReply(old));
  });
  PingAndExpect(a, {4, 4, 0, Echoes(4)});
}

TEST_P(PingScenario, Ipv4OptionsOrIpv6ExtensionHeadersDoNotHideTheReplies) {
  std::vector<IpOpts> variants;
  if (M().family == 4) {
    IpOpts nops, full;
    nops.v4_options = {1, 1, 1, 0};  // NOP NOP NOP EOL: IHL 6
    full.v4_options = {7, 39, 40};   // IHL 15: a full Record Route + NOP
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
    s.ip = variants[rq.seq % variants.size()];
    s.ip.ttl = kGoodTtl;
    n.Reply(rq, s);
  });
  PingArgs a;
  a.count = static_cast<int>(variants.size());
  PingAndExpect(a, {a.count, a.count, 0, Echoes(a.count)});
}

TEST_P(PingScenario, ErrorsAreRecordedButNeverCountedAsReplies) {
  ExpectOnlyGoodErrors([](const EchoRequest &) { return Packets{}; });
}

TEST_P(PingScenario, ErrorsWithTruncatedQuotesAreNeverRecorded) {
  ExpectOnlyGoodErrors(ErrorsWithTruncatedQuote);
}

TEST_P(PingScenario, ErrorsWithGarbageQuotesAreNeverRecorded) {
  ExpectOnlyGoodErrors(ErrorsWithGarbageQuote);
}

TEST_P(PingScenario, ErrorsQuotingAnotherDestinationAreNeverRecorded) {
  ExpectOnlyGoodErrors(ErrorQuotingAnotherDestination);
}

TEST_P(PingScenario, ErrorsQuotingASequenceNeverSentAreNeverRecorded) {
  ExpectOnlyGoodErrors([](const EchoRequest &rq) { return ErrorQuotingAnotherSequence(rq, 0x100); });
}

TEST_P(PingScenario, TenThousandRepliesAtOnceAreCountedOnceEachOrDropped) {
  // All requests are held, then answered in one burst: every reply is
  // counted once, or the kernel dropped it (the pinger's socket is the
  // only one in the namespace, so the namespace's drop count is its own).
  constexpr int kN = 10000;
  net_->SetScript([](const EchoRequest &, TunNet &) {});
  PingArgs a;
  a.count = kN;
  a.interval = 0;
  a.timeout = 5;  // sending 10,000 under valgrind takes a second or two
  long drops = -1;
  std::thread burst([&] {
    if (!net_->WaitForRequests(kN, 30)) return;
    for (const EchoRequest &rq : net_->Requests()) net_->Write(GoodReply(rq));
    net_->Run([&] {
      usleep(200000);  // what was written is queued or dropped by now
      drops = NamespaceDrops(M());
    });
  });
  HostResult r = Ping(a);
  burst.join();
  ASSERT_EQ(net_->Requests().size(), static_cast<size_t>(kN));
  ASSERT_GE(drops, 0);
  // Which sequences the kernel dropped is its choice: expect one genuine
  // reply for each sequence received, and that they add up.
  std::set<int> seqs;
  for (const Row &row : r.replies) seqs.insert(row.sequence);
  EXPECT_EQ(seqs.size(), r.replies.size()) << "a sequence recorded twice";
  Expected e{kN, kN - static_cast<int>(drops), 0, {}};
  for (int s : seqs) e.replies.push_back(Echo(s));
  ExpectHost(r, e, a, H().target, Cli());
  RecordProperty("kernel_drops", static_cast<int>(drops));
}

INSTANTIATE_TEST_SUITE_P(Modes, PingScenario,
                         ::testing::Combine(AllModes(), ::testing::Values(Path::kApi, Path::kCli)),
                         ParamName);

}  // namespace
}  // namespace adv
