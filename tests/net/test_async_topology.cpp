/* The async wrapper on the Chain topology: receives that any host may
 * answer (IPv4 broadcast, IPv6 all-nodes multicast) and ICMP errors sent
 * by routers, raw and DGRAM. */
#include "test_topology_fixture.h"

#include <event2/event.h>

#include <functional>
#include <set>

namespace iknet {
namespace {

struct Completion {
  int calls = 0;
  int status = 1;
  ik_reply reply{};
};

void complete(int status, const ik_reply *reply, void *arg) {
  Completion *c = static_cast<Completion *>(arg);
  ++c->calls;
  c->status = status;
  if (reply != nullptr) c->reply = *reply;
}

class AsyncChain : public ChainTest {
 protected:
  event_base *base = nullptr;
  ik_async *async = nullptr;
  void SetUp() override {
    ChainTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_NE(sock(), nullptr);
    ASSERT_NE(base = event_base_new(), nullptr);
    ASSERT_EQ(ik_async_new(base, sock(), &async), 0) << ik_last_error();
  }
  void TearDown() override {
    ik_async_free(async);
    if (base != nullptr) event_base_free(base);
    ChainTest::TearDown();
  }
  void run_until(const std::function<bool()> &done, double limit = 10.0) {
    auto start = std::chrono::steady_clock::now();
    while (!done() && seconds_since(start) < limit) {
      timeval tv{0, 10000};
      event_base_loopexit(base, &tv);
      event_base_loop(base, EVLOOP_ONCE);
    }
  }
  // More receives for one request than hosts answer it: each host's reply
  // completes a different receive, the spare ones time out. Returns the
  // sources.
  std::multiset<std::string> responders(ik_request &req, size_t receives) {
    std::vector<Completion> c(receives);
    std::multiset<std::string> sources;
    EXPECT_EQ(ik_async_send(async, &req), 0) << ik_last_error();
    for (Completion &one : c) EXPECT_EQ(ik_async_receive(async, &req, 1.0, complete, &one), 0);
    run_until([&] { return c.back().calls > 0; });
    for (Completion &one : c) {
      EXPECT_EQ(one.calls, 1);
      if (one.status != 0) {
        EXPECT_EQ(one.status, IK_ETIMEOUT);
        continue;
      }
      EXPECT_EQ(one.reply.flags & IK_REPLY_DUPLICATE, 0u) << one.reply.source;
      EXPECT_EQ(one.reply.sequence, req.sequence);
      sources.insert(one.reply.source);
    }
    return sources;
  }
};

using AsyncBroadcast = AsyncChain;

TEST_P(AsyncBroadcast, ReceivesWithBroadcastOnCompleteWithEachResponder) {
  ASSERT_EQ(ik_socket_set_broadcast(sock(), 1), 0) << ik_last_error();
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, Chain::broadcast_address().c_str(), ik_unique_identifier(), 1), 0);
  std::vector<std::string> hosts = Chain::broadcast_responders();
  EXPECT_EQ(responders(req, hosts.size() + 2), std::multiset<std::string>(hosts.begin(), hosts.end()));
}

INSTANTIATE_TEST_SUITE_P(Mode, AsyncBroadcast, ::testing::ValuesIn(v4_modes()), ModeName);

using AsyncMulticast = AsyncChain;

// A group destination needs no option: its receives take any source.
TEST_P(AsyncMulticast, ReceivesForAllNodesCompleteWithEachHostOfTheSegment) {
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, "ff02::1%br0", ik_unique_identifier(), 1), 0) << ik_last_error();
  std::multiset<std::string> sources = responders(req, 6);
  for (const char *h : {"h1", "h2", "h3"}) {
    CommandResult r = chain_->topo.exec(h, "ip -6 -o addr show dev eth0 scope link");
    size_t at = r.output.find("inet6 "), slash = r.output.find('/', at);
    ASSERT_NE(slash, std::string::npos) << r.output;
    EXPECT_EQ(sources.count(r.output.substr(at + 6, slash - at - 6) + "%br0"), 1u) << h;
  }
  EXPECT_EQ(std::set<std::string>(sources.begin(), sources.end()).size(), sources.size())
      << "a host completed two receives";
}

INSTANTIATE_TEST_SUITE_P(Mode, AsyncMulticast,
                         ::testing::Values(Mode{true, 6}, Mode{false, 6}), ModeName);

using AsyncChainAll = AsyncChain;

TEST_P(AsyncChainAll, TimeExceededFromTheFirstRouterCompletesTheReceive) {
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, Chain::target_address(family()).c_str(), ik_unique_identifier(), 1), 0);
  req.ttl = 1;
  Completion c;
  ASSERT_EQ(ik_async_send(async, &req), 0) << ik_last_error();
  ASSERT_EQ(ik_async_receive(async, &req, 3.0, complete, &c), 0);
  run_until([&] { return c.calls > 0; });
  ASSERT_EQ(c.status, 0) << ik_err_name(c.status);
  EXPECT_EQ(ik_reply_check(&c.reply), IK_ETIME_EXCEEDED);
  EXPECT_EQ(std::string(c.reply.source), Chain::router_address(1, family()));
}

TEST_P(AsyncChainAll, EchoToTheTargetAcrossThreeRoutersIsAnswered) {
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, Chain::target_address(family()).c_str(), ik_unique_identifier(), 2), 0);
  Completion c;
  ASSERT_EQ(ik_async_send(async, &req), 0) << ik_last_error();
  ASSERT_EQ(ik_async_receive(async, &req, 3.0, complete, &c), 0);
  run_until([&] { return c.calls > 0; });
  ASSERT_EQ(c.status, 0) << ik_err_name(c.status);
  EXPECT_EQ(ik_reply_check(&c.reply), IK_OK);
  EXPECT_EQ(std::string(c.reply.source), Chain::target_address(family()));
}

INSTANTIATE_TEST_SUITE_P(Mode, AsyncChainAll, ::testing::ValuesIn(all_modes()), ModeName);

}  // namespace
}  // namespace iknet
