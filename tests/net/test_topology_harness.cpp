/* The harness itself, checked with iputils ping (independent of icmpkit):
 * if these fail, the scenario tests' failures say nothing about the library. */
#include "netns.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>

using iknet::Chain;
using iknet::CommandResult;
using iknet::Topology;

namespace {

bool netns_exists(const std::string &name) {
  return access(("/run/netns/" + name).c_str(), F_OK) == 0;
}

std::string ping_cmd(int family, const std::string &options, const std::string &dest) {
  return std::string("ping -") + (family == 4 ? "4" : "6") + " -n " + options + " " + dest;
}

class ChainHarness : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    IKNET_REQUIRE_ROOT();
    chain_.reset(new Chain());
  }
  int family() const { return GetParam(); }
  std::unique_ptr<Chain> chain_;
};

std::string FamilyName(const ::testing::TestParamInfo<int> &info) {
  return info.param == 4 ? "V4" : "V6";
}

TEST_P(ChainHarness, TargetAnswersThroughThreeRouters) {
  CommandResult r =
      chain_->topo.exec("pinger", ping_cmd(family(), "-c 1 -W 2", Chain::target_address(family())));
  EXPECT_EQ(r.status, 0) << r.output;
  // 64 minus one per router: the path really crosses all three.
  EXPECT_NE(r.output.find("from " + Chain::target_address(family()) + ": icmp_seq=1 ttl=61"),
            std::string::npos)
      << r.output;
}

TEST_P(ChainHarness, EachRouterAnswersItsHopLimitExpiry) {
  for (int k = 1; k <= Chain::kRouters; ++k) {
    CommandResult r = chain_->topo.exec(
        "pinger", ping_cmd(family(), "-c 1 -W 1 -t " + std::to_string(k), Chain::target_address(family())));
    std::string expected = "From " + Chain::router_address(k, family()) + " icmp_seq=1 " +
                           (family() == 4 ? "Time to live exceeded" : "Time exceeded: Hop limit");
    EXPECT_NE(r.output.find(expected), std::string::npos) << "ttl " << k << ":\n" << r.output;
  }
}

TEST_P(ChainHarness, R3AnswersEachFailurePrefixAsConfigured) {
  struct Case {
    Chain::Fate fate;
    const char *v4, *v6;
  };
  const Case cases[] = {
      {Chain::Fate::no_route, "Destination Net Unreachable", "Destination unreachable: No route"},
      {Chain::Fate::unreachable_route, "Destination Host Unreachable", "Destination unreachable: No route"},
      {Chain::Fate::prohibit_route, "Packet filtered", "Destination unreachable: Administratively prohibited"},
      {Chain::Fate::nft_host_unreachable, "Destination Host Unreachable", "Destination unreachable: Address unreachable"},
      {Chain::Fate::nft_admin_prohibited, "Packet filtered", "Destination unreachable: Administratively prohibited"},
  };
  for (const Case &c : cases) {
    std::string dest = Chain::address_for(c.fate, family());
    CommandResult r = chain_->topo.exec("pinger", ping_cmd(family(), "-c 1 -W 1", dest));
    std::string expected = "From " + Chain::error_source(c.fate, family()) + " icmp_seq=1 " +
                           (family() == 4 ? c.v4 : c.v6);
    EXPECT_NE(r.output.find(expected), std::string::npos) << dest << ":\n" << r.output;
  }
}

TEST_P(ChainHarness, RoutingLoopPrefixExpiresInTheLoop) {
  std::string dest = Chain::address_for(Chain::Fate::routing_loop, family());
  CommandResult r = chain_->topo.exec("pinger", ping_cmd(family(), "-c 1 -W 1", dest));
  std::string expected = "From " + Chain::error_source(Chain::Fate::routing_loop, family()) + " icmp_seq=1 " +
                         (family() == 4 ? "Time to live exceeded" : "Time exceeded: Hop limit");
  EXPECT_NE(r.output.find(expected), std::string::npos) << dest << ":\n" << r.output;
  EXPECT_EQ(r.output.find("Redirect"), std::string::npos) << r.output;
}

TEST_P(ChainHarness, SecondPingerAddressIsRoutedBack) {
  CommandResult r = chain_->topo.exec(
      "pinger", ping_cmd(family(), "-c 1 -W 2 -I " + Chain::pinger_second_address(family()),
                         Chain::target_address(family())));
  EXPECT_EQ(r.status, 0) << r.output;
}

TEST_P(ChainHarness, BlackholeAndDropPrefixesStaySilent) {
  for (Chain::Fate fate : {Chain::Fate::blackhole_route, Chain::Fate::nft_drop}) {
    std::string dest = Chain::address_for(fate, family());
    CommandResult r = chain_->topo.exec("pinger", ping_cmd(family(), "-c 1 -W 0.3", dest));
    EXPECT_EQ(r.status, 1) << dest << ":\n" << r.output;
    EXPECT_NE(r.output.find("1 packets transmitted, 0 received"), std::string::npos) << dest << ":\n" << r.output;
    EXPECT_EQ(r.output.find("From "), std::string::npos) << dest << ":\n" << r.output;
  }
}

TEST_P(ChainHarness, TrafficClassOfAnEchoRequestIsVisibleInTheTarget) {
  iknet::Capture capture(chain_->target(), Chain::target_ifname());
  CommandResult r =
      chain_->topo.exec("pinger", ping_cmd(family(), "-c 1 -W 2 -Q 0xb8", Chain::target_address(family())));
  ASSERT_EQ(r.status, 0) << r.output;
  iknet::Capture::Packet p;
  int request = family() == 4 ? 8 : 128;
  ASSERT_TRUE(capture.next(1.0, [&](const iknet::Capture::Packet &q) { return q.icmp_type == request; }, &p));
  EXPECT_EQ(p.family, family());
  EXPECT_EQ(p.source, Chain::pinger_address(family()));
  EXPECT_EQ(p.destination, Chain::target_address(family()));
  EXPECT_EQ(p.traffic_class, 0xb8);
  EXPECT_EQ(p.hop_limit, 61);
}

INSTANTIATE_TEST_SUITE_P(Family, ChainHarness, ::testing::Values(4, 6), FamilyName);

TEST(ChainHarnessV4, EveryHostOnTheSegmentAnswersBroadcastEcho) {
  IKNET_REQUIRE_ROOT();
  Chain chain;
  CommandResult r = chain.topo.exec("pinger", "ping -4 -n -b -c 2 -i 0.2 -w 1 " + Chain::broadcast_address());
  for (const std::string &host : Chain::broadcast_responders())
    EXPECT_NE(r.output.find("from " + host + ":"), std::string::npos) << host << ":\n" << r.output;
  EXPECT_EQ(r.output.find("from 198.18.100.1:"), std::string::npos) << r.output;
}

TEST(Harness, ScopedNetnsMovesOnlyTheCallingThreadAndComesBack) {
  IKNET_REQUIRE_ROOT();
  Topology topo;
  topo.add("a");
  topo.veth("a", "only-in-a", "a", "peer-in-a");
  {
    iknet::ScopedNetns in(topo.ns("a"));
    EXPECT_EQ(iknet::run_command("ip -o link show only-in-a").status, 0);
  }
  EXPECT_NE(iknet::run_command("ip -o link show only-in-a").status, 0);
  bool seen_in_thread = false;
  iknet::in_netns(topo.ns("a"), [&] { seen_in_thread = iknet::run_command("ip link show peer-in-a").status == 0; });
  EXPECT_TRUE(seen_in_thread);
}

TEST(Harness, ChildRunsAsNobodyInsideTheNamespace) {
  IKNET_REQUIRE_ROOT();
  Topology topo;
  topo.add("a");
  topo.veth("a", "only-in-a", "a", "peer-in-a");
  std::string out = iknet::run_as_nobody(topo.ns("a"), [] {
    std::ostringstream s;
    s << getuid() << ":" << getgid() << ":" << getgroups(0, nullptr) << ":"
      << iknet::run_command("ip -o link show only-in-a").status;
    return s.str();
  });
  EXPECT_EQ(out, "65534:65534:0:0");
}

TEST(Harness, DestructorDeletesEveryNamespace) {
  IKNET_REQUIRE_ROOT();
  std::vector<std::string> names;
  {
    Chain chain;
    for (const char *role : {"pinger", "r1", "r2", "r3", "target", "h1", "h2", "h3"}) {
      names.push_back(chain.topo.ns(role));
      EXPECT_TRUE(netns_exists(names.back())) << names.back();
    }
  }
  for (const std::string &n : names) EXPECT_FALSE(netns_exists(n)) << n;
}

/* The child of namespaces_of_dying_child: this binary run again with
 * IKNET_DIE_BY set makes two namespaces and dies by that signal before any
 * test runs. A fresh process, not a fork: the harness's cleanup belongs to
 * the process that made the namespaces. */
class DieWithLiveNamespaces : public ::testing::Environment {
 public:
  void SetUp() override {
    const char *how = std::getenv("IKNET_DIE_BY");
    if (how == nullptr) return;
    Topology *topo = new Topology;  // the process dies with it
    std::printf("NAMESPACES %s %s\n", topo->add("a").c_str(), topo->add("b").c_str());
    std::fflush(stdout);
    std::string h = how;
    raise(h == "SIGKILL" ? SIGKILL : h == "SIGTERM" ? SIGTERM : SIGABRT);
  }
};
::testing::Environment *const g_die_with_live_namespaces =
    ::testing::AddGlobalTestEnvironment(new DieWithLiveNamespaces);

std::vector<std::string> namespaces_of_dying_child(const std::string &signal_name) {
  CommandResult r = iknet::run_command(
      "IKNET_DIE_BY=" + signal_name +
      " /proc/" + std::to_string(getpid()) +
      "/exe --gtest_filter=Harness.DestructorDeletesEveryNamespace");  // environments run only with a test
  std::vector<std::string> names;
  size_t at = r.output.find("NAMESPACES ");
  if (at == std::string::npos) {
    ADD_FAILURE() << "child did not report its namespaces:\n" << r.output;
    return names;
  }
  std::istringstream in(r.output.substr(at + 11));
  std::string a, b;
  in >> a >> b;
  names = {a, b};
  EXPECT_NE(r.status, 0) << r.output;
  return names;
}

TEST(Harness, NamespacesOfAnAbortedOrTerminatedProcessAreDeleted) {
  IKNET_REQUIRE_ROOT();
  for (const char *sig : {"SIGABRT", "SIGTERM"}) {
    for (const std::string &n : namespaces_of_dying_child(sig)) EXPECT_FALSE(netns_exists(n)) << sig << " " << n;
  }
}

TEST(Harness, NamespacesOfAKilledProcessAreDeletedByTheNextTopology) {
  IKNET_REQUIRE_ROOT();
  std::vector<std::string> names = namespaces_of_dying_child("SIGKILL");
  ASSERT_EQ(names.size(), 2u);
  for (const std::string &n : names) EXPECT_TRUE(netns_exists(n)) << "SIGKILL cannot be caught: " << n;
  Topology next;
  for (const std::string &n : names) EXPECT_FALSE(netns_exists(n)) << n;
}

}  // namespace
