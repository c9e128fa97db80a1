/* Unprivileged use across the chain, as nobody (65534) in the pinger
 * namespace, whose ping_group_range admits every group. */
#include "test_topology_fixture.h"

#include <sstream>

namespace iknet {
namespace {

using UnprivilegedTest = ChainTest;

TEST_P(UnprivilegedTest, NobodyTracesEveryRouterToTheTargetWithADgramSocket) {
  int fam = family();
  std::string out = run_as_nobody(chain_->pinger(), [fam] {
    std::ostringstream trace;
    ik_socket *s = nullptr;
    int err = ik_socket_open(&s, fam == 4 ? IK_AF_INET : IK_AF_INET6, nullptr, IK_SOCKET_UNPRIVILEGED);
    if (err != 0) return std::string(ik_err_name(err)) + " " + ik_last_error();
    for (int ttl = 1; ttl <= Chain::kRouters + 1; ++ttl) {
      Probe p = probe_on(s, Chain::target_address(fam), static_cast<uint16_t>(ttl), ttl);
      if (p.err != 0)
        trace << ttl << " " << describe(p) << "\n";
      else
        trace << ttl << " " << p.reply.source << " " << p.reply.type << "/" << p.reply.code << "\n";
    }
    ik_socket_free(s);
    return trace.str();
  });
  std::ostringstream expected;
  Mode m{false, fam};
  for (int k = 1; k <= Chain::kRouters; ++k)
    expected << k << " " << Chain::router_address(k, fam) << " " << m.time_exceeded_type() << "/0\n";
  expected << Chain::kRouters + 1 << " " << Chain::target_address(fam) << " " << m.echo_reply_type() << "/0\n";
  EXPECT_EQ(out, expected.str());
}

TEST_P(UnprivilegedTest, PingGroupRangeDoesNotGrantNobodyARawSocket) {
  int fam = family();
  std::string out = run_as_nobody(chain_->pinger(), [fam] {
    ik_socket *s = nullptr;
    int err = ik_socket_open(&s, fam == 4 ? IK_AF_INET : IK_AF_INET6, nullptr, 0);
    ik_socket_free(s);
    return std::string(ik_err_name(err)) + " " + ik_last_error();
  });
  EXPECT_EQ(out.rfind("IK_EPERMISSION ", 0), 0u) << out;
  EXPECT_NE(out.find("cap_net_raw"), std::string::npos) << out;
  EXPECT_NE(out.find("IK_SOCKET_UNPRIVILEGED"), std::string::npos) << "should point to the way that works: " << out;
}

/* The mode's privilege is fixed by the test (nobody, DGRAM / raw). */
INSTANTIATE_TEST_SUITE_P(Family, UnprivilegedTest, ::testing::Values(Mode{false, 4}, Mode{false, 6}), ModeName);

}  // namespace
}  // namespace iknet
