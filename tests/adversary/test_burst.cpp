// A burst of 10,000 replies at once, for every socket mode: every reply
// the library returns is genuine and returned once; what it does not
// return the kernel dropped (the socket's receive buffer overflowed), and
// the two add up exactly.
#include <set>
#include <thread>

#include "adversary.h"
#include "pinger.h"

namespace adv {
namespace {

class Burst : public TunFixture<::testing::TestWithParam<Mode>> {};

TEST_P(Burst, TenThousandRepliesAtOnceAreReceivedOrDroppedNeverInvented) {
  constexpr size_t kN = 10000;
  const Mode m = GetParam();
  net_->SetScript([](const EchoRequest &, TunNet &) {});  // hold every request
  net_->Run([&] {
    Pinger p(m);
    ASSERT_TRUE(p.Ok());
    // Blocking sends wait for buffer space instead of failing with EAGAIN.
    ASSERT_EQ(ik_socket_set_blocking(p.Sock(), 1), 0) << ik_last_error();
    uint16_t id = 0;
    for (size_t s = 0; s < kN; ++s) id = p.Send(static_cast<uint16_t>(s)).id;
    ASSERT_TRUE(net_->WaitForRequests(kN, 20.0)) << net_->Requests().size() << " requests arrived";

    std::thread burst([&] {
      for (const EchoRequest &rq : net_->Requests()) net_->Reply(rq);
    });
    std::set<int> seqs;
    size_t returned = 0, flagged = 0;
    ik_reply r;
    int err;
    while ((err = ik_socket_receive(p.Sock(), nullptr, 1.0, &r)) == 0) {
      ++returned;
      seqs.insert(r.sequence);
      EXPECT_EQ(r.id, id);
      EXPECT_EQ(r.type, EchoReplyType(m.family));
      if (r.flags & IK_REPLY_DUPLICATE) ++flagged;
    }
    burst.join();
    EXPECT_EQ(err, IK_ETIMEOUT) << ik_last_error();
    long drops = p.KernelDrops();
    ASSERT_GE(drops, 0);
    EXPECT_EQ(flagged, 0u);
    EXPECT_EQ(seqs.size(), returned) << "a sequence was returned twice";
    EXPECT_GT(returned, 0u);
    EXPECT_LT(*seqs.rbegin(), static_cast<int>(kN));
    EXPECT_EQ(returned + static_cast<size_t>(drops), kN)
        << returned << " returned, " << drops << " dropped by the kernel";
  });
  EXPECT_EQ(net_->PacketsWritten(), kN);
}

INSTANTIATE_TEST_SUITE_P(Modes, Burst, AllModes(), ModeName);

}  // namespace
}  // namespace adv
