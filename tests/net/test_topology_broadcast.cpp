/* Echo to every host of the pinger's br0 segment, raw and DGRAM: IPv4
 * broadcast, IPv6 all-nodes multicast. */
#include "test_topology_fixture.h"

#include <set>

namespace iknet {
namespace {

using BroadcastTest = ChainTest;

TEST_P(BroadcastTest, SendingToTheSegmentBroadcastNeedsBroadcastEnabled) {
  ik_socket *s = sock();
  ASSERT_NE(s, nullptr);
  int enabled = -1;
  ASSERT_EQ(ik_socket_get_broadcast(s, &enabled), 0) << ik_last_error();
  EXPECT_EQ(enabled, 0);
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, Chain::broadcast_address().c_str(), ik_unique_identifier(), 1), 0);
  EXPECT_EQ(ik_socket_send(s, &req), IK_EBROADCAST) << ik_last_error();
  EXPECT_NE(std::string(ik_last_error()).find(Chain::broadcast_address()), std::string::npos) << ik_last_error();
}

TEST_P(BroadcastTest, RepeatedReceiveReturnsEveryResponder) {
  ik_socket *s = sock();
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(ik_socket_set_broadcast(s, 1), 0) << ik_last_error();
  int enabled = 0;
  ASSERT_EQ(ik_socket_get_broadcast(s, &enabled), 0);
  EXPECT_EQ(enabled, 1);
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, Chain::broadcast_address().c_str(), ik_unique_identifier(), 1), 0);
  ASSERT_EQ(ik_socket_send(s, &req), 0) << ik_last_error();

  std::multiset<std::string> sources;
  ik_reply reply;
  int err;
  while ((err = ik_socket_receive(s, &req, 0.5, &reply)) == 0) {
    sources.insert(reply.source);
    EXPECT_EQ(reply.type, 0) << reply.source;
    EXPECT_EQ(reply.id, req.id) << reply.source;
    EXPECT_EQ(reply.sequence, req.sequence) << reply.source;
    EXPECT_EQ(ik_reply_check(&reply), IK_OK) << reply.source;
    ASSERT_LE(sources.size(), 10u) << "replies keep coming";
  }
  EXPECT_EQ(err, IK_ETIMEOUT) << ik_last_error();
  std::vector<std::string> expected = Chain::broadcast_responders();
  EXPECT_EQ(sources, std::multiset<std::string>(expected.begin(), expected.end()))
      << "each host on the segment answers once, the pinger itself ignores broadcast echo";
}

INSTANTIATE_TEST_SUITE_P(Mode, BroadcastTest, ::testing::ValuesIn(v4_modes()), ModeName);

/* IPv6 has no broadcast: echo to ff02::1 (all nodes) on br0 is answered by
 * every host of the segment, from its link-local address. */
using MulticastTest = ChainTest;

std::string link_local_of(const Topology &topo, const std::string &role) {
  CommandResult r = topo.exec(role, "ip -6 -o addr show dev eth0 scope link");
  size_t at = r.output.find("inet6 "), slash = r.output.find('/', at);
  if (at == std::string::npos || slash == std::string::npos) return "no link-local address: " + r.output;
  return r.output.substr(at + 6, slash - at - 6);
}

TEST_P(MulticastTest, RepeatedReceiveReturnsEveryHostOnTheSegment) {
  ik_socket *s = sock();
  ASSERT_NE(s, nullptr);
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, "ff02::1%br0", ik_unique_identifier(), 1), 0) << ik_last_error();
  ASSERT_EQ(ik_socket_send(s, &req), 0) << ik_last_error();
  std::multiset<std::string> sources;
  ik_reply reply;
  int err;
  while ((err = ik_socket_receive(s, &req, 0.5, &reply)) == 0) {
    sources.insert(std::string(reply.source));
    EXPECT_EQ(reply.type, 129) << reply.source;
    ASSERT_LE(sources.size(), 10u) << "replies keep coming";
  }
  EXPECT_EQ(err, IK_ETIMEOUT) << ik_last_error();
  for (const char *h : {"h1", "h2", "h3"}) {
    std::string ll = link_local_of(chain_->topo, h);
    size_t n = 0;
    for (const std::string &src : sources)
      if (src.rfind(ll, 0) == 0) ++n;  // with or without a "%zone" suffix
    EXPECT_EQ(n, 1u) << h << " (" << ll << ") among the sources";
  }
}

INSTANTIATE_TEST_SUITE_P(Mode, MulticastTest, ::testing::Values(Mode{true, 6}, Mode{false, 6}), ModeName);

}  // namespace
}  // namespace iknet
