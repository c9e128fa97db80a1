// Pingers sharing one identifier, through ik_ping and through the CLI: the
// responder answers only the probes sent with TTL 64 (of pingers whose
// number is even); the others, sent with TTL 63, are never answered. A
// pinger that was not answered must report no reply and no duplicate,
// however many replies with its identifier and sequences its raw socket
// sees, and an answered one exactly its own replies.
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "adversary.h"
#include "hostile.h"
#include "ping_host.h"
#include "process.h"

namespace adv {
namespace {

constexpr int kAnsweredTtl = 64;
constexpr int kIgnoredTtl = 63;

void AnswerOnlyTtl64(TunNet &net) {
  net.SetScript([](const EchoRequest &rq, TunNet &n) {
    if (rq.ttl == kAnsweredTtl) n.Write(GoodReply(rq));
  });
}

Expected AnsweredHost(int family, int count) {
  Expected e{count, count, 0, {}};
  for (int s = 0; s < count; ++s)
    e.replies.push_back({s, HostsFor(family).target, EchoReplyType(family), 0, kGoodTtl, 64, false});
  return e;
}

Expected SilentHost(int count) { return {count, 0, 0, {}}; }

class SharedId : public TunFixture<::testing::TestWithParam<Mode>> {};

TEST_P(SharedId, TwoPingsWithOneIdNeverCountEachOthersReplies) {
  // Raw sockets: both pings put id 0x4242 on the wire. DGRAM: the kernel
  // gives each socket its own id (the test then checks that nothing is
  // lost to the other socket).
  const Mode m = GetParam();
  const char *target = HostsFor(m.family).target;
  AnswerOnlyTtl64(*net_);
  PingArgs answered, silent;
  answered.id = silent.id = 0x4242;
  answered.timeout = silent.timeout = 0.5;
  silent.ttl = kIgnoredTtl;
  HostResult a, b;
  net_->Run([&] {
    std::thread other([&] { b = ViaApi(m, target, silent); });
    a = ViaApi(m, target, answered);
    other.join();
  });
  {
    SCOPED_TRACE("the answered ping");
    ExpectHost(a, AnsweredHost(m.family, answered.count), answered, target, false);
  }
  {
    SCOPED_TRACE("the ping never answered");
    ExpectHost(b, SilentHost(silent.count), silent, target, false);
  }
  std::set<uint16_t> ids;
  for (const EchoRequest &rq : net_->Requests()) ids.insert(rq.id);
  EXPECT_EQ(ids.size(), m.dgram ? 2u : 1u);
}

TEST_P(SharedId, TwoHundredCliProcessesNeverCountAnotherOnesReply) {
  // Each process runs in a PID namespace of its own (as in containers that
  // share a network namespace): all are process 1. Identifiers once derived
  // from the PID alone were then all the same; they now start at a random
  // value per process (issue 18), and every raw process still sees the
  // others' replies, which only the payload tells apart.
  constexpr int kProcesses = 200;
  const Mode m = GetParam();
  const char *target = HostsFor(m.family).target;
  AnswerOnlyTtl64(*net_);
  PingArgs args[2];
  for (PingArgs &a : args) {
    a.count = 2;
    a.interval = 0.1;
    a.timeout = 1.0;
  }
  // 200 processes starting at once (under ASan, valgrind or a loaded CI
  // machine) can hold a reply longer than 1 s; the answered ones stop at
  // their last reply anyway, so a longer timeout costs nothing when all is well.
  args[0].timeout = 5.0;
  args[1].ttl = kIgnoredTtl;
  std::vector<Finished> done(kProcesses);
  net_->Run([&] {
    std::vector<Child> children;
    for (int i = 0; i < kProcesses; ++i) {
      std::vector<std::string> cmd = {"/usr/bin/unshare", "--pid", "--fork", "--kill-child"};
      for (const std::string &s : CliPingArgs(m, args[i % 2], target)) cmd.push_back(s);
      children.push_back(Spawn(cmd));
    }
    for (int i = 0; i < kProcesses; ++i) done[static_cast<size_t>(i)] = Finish(children[static_cast<size_t>(i)]);
  });
  for (int i = 0; i < kProcesses; ++i) {
    SCOPED_TRACE("process " + std::to_string(i));
    const Finished &f = done[static_cast<size_t>(i)];
    HostResult r = FromJson(f.out, f.status);
    const PingArgs &a = args[i % 2];
    ExpectHost(r, i % 2 == 0 ? AnsweredHost(m.family, a.count) : SilentHost(a.count), a, target, true);
    if (HasFailure()) break;  // one process's story is enough
  }
  std::vector<EchoRequest> rqs = net_->Requests();
  EXPECT_EQ(rqs.size(), static_cast<size_t>(kProcesses * 2));
  std::set<uint16_t> ids;
  for (const EchoRequest &rq : rqs) ids.insert(rq.id);
  if (!m.dgram) {
    // 200 random 16-bit values: a few may coincide, most do not.
    EXPECT_GT(ids.size(), static_cast<size_t>(kProcesses / 2))
        << "processes that share a PID (1) still share an identifier";
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, SharedId, AllModes(), ModeName);

}  // namespace
}  // namespace adv
