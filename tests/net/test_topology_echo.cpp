/* ik_socket_* across pinger - r1 - r2 - r3 - target, for raw and DGRAM
 * sockets, IPv4 and IPv6: echo, hop-by-hop Time Exceeded, Destination
 * Unreachable codes, timeouts, source binding, traffic class. */
#include "test_topology_fixture.h"

#include <tuple>

namespace iknet {
namespace {

constexpr int kHopsToTarget = Chain::kRouters + 1;

TEST_P(ChainTest, LiveTargetAnswersWithAnEchoReply) {
  Probe p = probe(Chain::target_address(family()));
  ASSERT_EQ(p.err, 0) << describe(p);
  EXPECT_STREQ(p.reply.source, Chain::target_address(family()).c_str());
  EXPECT_EQ(p.reply.family, mode_.ik_family());
  EXPECT_EQ(p.reply.type, mode_.echo_reply_type());
  EXPECT_EQ(p.reply.code, 0);
  EXPECT_EQ(p.reply.id, p.request.id);
  EXPECT_EQ(p.reply.sequence, p.request.sequence);
  EXPECT_EQ(p.reply.bytes_received, 8u + IK_DEFAULT_PAYLOAD_SIZE);
  EXPECT_EQ(p.reply.ttl, IK_DEFAULT_TTL - Chain::kRouters) << "the target sends with 64, each router takes one";
  EXPECT_EQ(ik_reply_check(&p.reply), IK_OK);
  EXPECT_STREQ(ik_reply_message(&p.reply), "");
  double rtt = ik_rtt_ms(&p.request, &p.reply);
  EXPECT_GE(rtt, 0.0);
  EXPECT_LT(rtt, 1000.0);
}

TEST_P(ChainTest, EachHopLimitBelowTheDistanceExpiresAtThatRouter) {
  for (int ttl = 1; ttl <= Chain::kRouters; ++ttl) {
    SCOPED_TRACE("ttl " + std::to_string(ttl));
    Probe p = probe(Chain::target_address(family()), ttl);
    ASSERT_EQ(p.err, 0) << describe(p);
    EXPECT_STREQ(p.reply.source, Chain::router_address(ttl, family()).c_str());
    EXPECT_EQ(p.reply.type, mode_.time_exceeded_type());
    EXPECT_EQ(p.reply.code, 0);
    EXPECT_EQ(p.reply.id, p.request.id);
    EXPECT_EQ(p.reply.sequence, p.request.sequence);
    EXPECT_EQ(ik_reply_check(&p.reply), IK_ETIME_EXCEEDED);
    EXPECT_STREQ(ik_reply_message(&p.reply), family() == 4 ? "Time to live exceeded" : "Hop limit exceeded");
  }
  Probe p = probe(Chain::target_address(family()), kHopsToTarget);
  ASSERT_EQ(p.err, 0) << describe(p);
  EXPECT_STREQ(p.reply.source, Chain::target_address(family()).c_str());
  EXPECT_EQ(p.reply.type, mode_.echo_reply_type());
  EXPECT_EQ(ik_reply_check(&p.reply), IK_OK);
}

TEST_P(ChainTest, ProbeCaughtInARoutingLoopExpiresThere) {
  Probe p = probe(Chain::address_for(Chain::Fate::routing_loop, family()));
  ASSERT_EQ(p.err, 0) << describe(p);
  EXPECT_STREQ(p.reply.source, Chain::error_source(Chain::Fate::routing_loop, family()).c_str());
  EXPECT_EQ(p.reply.type, mode_.time_exceeded_type());
  EXPECT_EQ(ik_reply_check(&p.reply), IK_ETIME_EXCEEDED);
}

TEST_P(ChainTest, BlackholeRouteTimesOutAfterTheTimeout) {
  const double timeout = 0.4;
  Probe p = probe(Chain::address_for(Chain::Fate::blackhole_route, family()), IK_DEFAULT_TTL, timeout);
  EXPECT_EQ(p.err, IK_ETIMEOUT) << describe(p);
  EXPECT_GE(p.elapsed, timeout);
  EXPECT_LT(p.elapsed, timeout + 0.5);
  EXPECT_NE(p.error_text.find("timeout"), std::string::npos) << p.error_text;
}

TEST_P(ChainTest, FirewallDropTimesOutAfterTheTimeout) {
  const double timeout = 0.3;
  Probe p = probe(Chain::address_for(Chain::Fate::nft_drop, family()), IK_DEFAULT_TTL, timeout);
  EXPECT_EQ(p.err, IK_ETIMEOUT) << describe(p);
  EXPECT_GE(p.elapsed, timeout);
  EXPECT_LT(p.elapsed, timeout + 0.5);
}

TEST_P(ChainTest, BindsToAnExistingSourceAddressAndSendsFromIt) {
  std::string source = Chain::pinger_second_address(family());
  ik_socket *s = open(source.c_str());
  ASSERT_NE(s, nullptr);
  ASSERT_NE(ik_socket_address(s), nullptr);
  EXPECT_EQ(std::string(ik_socket_address(s)), source);
  Capture capture(chain_->target(), Chain::target_ifname());
  Probe p = probe_on(s, Chain::target_address(family()), 7);
  ASSERT_EQ(p.err, 0) << describe(p);
  EXPECT_EQ(p.reply.type, mode_.echo_reply_type());
  Capture::Packet seen;
  ASSERT_TRUE(capture.next(1.0, [&](const Capture::Packet &q) {
    return q.icmp_type == mode_.echo_request_type() && q.icmp_sequence == 7;
  }, &seen));
  EXPECT_EQ(seen.source, source) << "the kernel would have chosen " << Chain::pinger_address(family());
}

TEST_P(ChainTest, BindingToAnAddressNoInterfaceHasIsAnAddressError) {
  std::string missing = Chain::unassigned_local_address(family());
  ik_socket *s = nullptr;
  int err = ik_socket_open(&s, mode_.ik_family(), missing.c_str(), mode_.flags());
  ik_socket_free(s);
  EXPECT_EQ(err, IK_EADDRESS) << ik_err_name(err) << ": " << ik_last_error();
  EXPECT_EQ(s, nullptr);
  EXPECT_NE(std::string(ik_last_error()).find(missing), std::string::npos) << ik_last_error();
}

TEST_P(ChainTest, TrafficClassOfTheRequestIsOnTheWire) {
  const int dscp_ef = 0xb8;
  Capture capture(chain_->target(), Chain::target_ifname());
  Probe p = probe(Chain::target_address(family()), IK_DEFAULT_TTL, 1.0, dscp_ef);
  ASSERT_EQ(p.err, 0) << describe(p);
  Capture::Packet seen;
  ASSERT_TRUE(capture.next(1.0, [&](const Capture::Packet &q) {
    return q.icmp_type == mode_.echo_request_type() && q.icmp_id == p.request.id &&
           q.icmp_sequence == p.request.sequence;
  }, &seen)) << "the echo request never reached the target";
  EXPECT_EQ(seen.traffic_class, dscp_ef);
  EXPECT_EQ(seen.hop_limit, IK_DEFAULT_TTL - Chain::kRouters);
}

TEST_P(ChainTest, DefaultTrafficClassIsZeroOnTheWire) {
  Capture capture(chain_->target(), Chain::target_ifname());
  Probe p = probe(Chain::target_address(family()));
  ASSERT_EQ(p.err, 0) << describe(p);
  Capture::Packet seen;
  ASSERT_TRUE(capture.next(1.0, [&](const Capture::Packet &q) {
    return q.icmp_type == mode_.echo_request_type() && q.icmp_sequence == p.request.sequence;
  }, &seen));
  EXPECT_EQ(seen.traffic_class, 0);
}

INSTANTIATE_TEST_SUITE_P(Mode, ChainTest, ::testing::ValuesIn(all_modes()), ModeName);

/* ---- Destination Unreachable, one case per way r3 refuses ---- */

struct Refusal {
  Chain::Fate fate;
  const char *name;
  int v4_code, v6_code;
  const char *v4_text, *v6_text;  /* icmplib's messages */
};

const Refusal kRefusals[] = {
    {Chain::Fate::no_route, "NoRoute", 0, 0, "Destination network unreachable", "No route to destination"},
    {Chain::Fate::unreachable_route, "UnreachableRoute", 1, 0, "Destination host unreachable",
     "No route to destination"},
    {Chain::Fate::prohibit_route, "ProhibitRoute", 13, 1, "Packet filtered",
     "Communication with destination administratively prohibited"},
    {Chain::Fate::nft_host_unreachable, "NftHostUnreachable", 1, 3, "Destination host unreachable",
     "Address unreachable"},
    {Chain::Fate::nft_admin_prohibited, "NftAdminProhibited", 13, 1, "Packet filtered",
     "Communication with destination administratively prohibited"},
};

class UnreachableTest : public ChainScenario,
                        public ::testing::WithParamInterface<std::tuple<Mode, Refusal>> {
 protected:
  void SetUp() override {
    IKNET_REQUIRE_ROOT();
    build(std::get<0>(GetParam()));
  }
};

TEST_P(UnreachableTest, R3AnswersWithTheCodeOfItsRefusal) {
  const Refusal &r = std::get<1>(GetParam());
  Probe p = probe(Chain::address_for(r.fate, family()));
  ASSERT_EQ(p.err, 0) << describe(p);
  EXPECT_STREQ(p.reply.source, Chain::error_source(r.fate, family()).c_str());
  EXPECT_EQ(p.reply.type, mode_.unreachable_type());
  EXPECT_EQ(p.reply.code, family() == 4 ? r.v4_code : r.v6_code);
  EXPECT_EQ(p.reply.id, p.request.id);
  EXPECT_EQ(p.reply.sequence, p.request.sequence);
  EXPECT_EQ(ik_reply_check(&p.reply), IK_EDEST_UNREACHABLE);
  EXPECT_STREQ(ik_reply_message(&p.reply), family() == 4 ? r.v4_text : r.v6_text);
}

INSTANTIATE_TEST_SUITE_P(Refusal, UnreachableTest,
                         ::testing::Combine(::testing::ValuesIn(all_modes()), ::testing::ValuesIn(kRefusals)),
                         [](const ::testing::TestParamInfo<std::tuple<Mode, Refusal>> &info) {
                           return std::get<0>(info.param).name() + "_" + std::get<1>(info.param).name;
                         });

}  // namespace
}  // namespace iknet
