// 200 pinger processes at once against the same target, all using the
// same id and sequences (raw sockets see every process's replies; with
// random 16-bit ids published libraries collide and steal them). The
// responder answers only the even-numbered processes: each of those must
// get all its replies, and each odd one none, whatever it sees.
#include <cstdio>
#include <string>
#include <vector>

#include "adversary.h"
#include "pinger.h"
#include "process.h"

namespace adv {
namespace {

constexpr int kProcesses = 200;
constexpr int kCount = 2;

// The process index an echo request's payload names, -1 if none.
int ProcessIndex(const EchoRequest &rq) {
  int index = -1;
  std::string text(rq.payload.begin(), rq.payload.end());
  if (std::sscanf(text.c_str(), "ik-adv-proc-%5d-", &index) != 1) return -1;
  return index;
}

class Concurrent : public TunFixture<::testing::TestWithParam<Mode>> {};

TEST_P(Concurrent, TwoHundredProcessesNeverCountAnotherOnesReply) {
  const Mode m = GetParam();
  net_->SetScript([](const EchoRequest &rq, TunNet &n) {
    int index = ProcessIndex(rq);
    if (index >= 0 && index % 2 == 0) n.Reply(rq);
  });
  std::vector<Child> children;
  for (int i = 0; i < kProcesses; ++i)
    children.push_back(Spawn({ADV_PINGER, net_->Name(), std::to_string(m.family),
                              m.dgram ? "dgram" : "raw", HostsFor(m.family).target,
                              std::to_string(kCount), "1.5", std::to_string(i)}));
  for (int i = 0; i < kProcesses; ++i) {
    Child &c = children[static_cast<size_t>(i)];
    ASSERT_GT(c.pid, 0) << "spawning " << ADV_PINGER << " failed";
    Finished f = Finish(c);
    const std::string &out = f.out;
    ASSERT_EQ(f.status, 0) << "process " << i << ": " << out;
    int received = -1, wrong = -1;
    ASSERT_EQ(std::sscanf(out.c_str(), "received %d wrong %d", &received, &wrong), 2) << out;
    EXPECT_EQ(wrong, 0) << "process " << i;
    EXPECT_EQ(received, i % 2 == 0 ? kCount : 0)
        << "process " << i << (i % 2 ? " counted another process's reply" : " lost its replies");
  }
  EXPECT_EQ(net_->Requests().size(), static_cast<size_t>(kProcesses * kCount));
}

INSTANTIATE_TEST_SUITE_P(Modes, Concurrent, AllModes(), ModeName);

}  // namespace
}  // namespace adv
