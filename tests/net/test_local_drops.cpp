/* Issue 19: another prober on the machine must cost a sweep nothing, and
 * replies the kernel dropped for want of queue room must never make a host
 * dead. Everything here stays on the loopback of a namespace of our own. */
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <event2/event.h>

extern "C" {
#include <icmpkit.h>
}

#include "cli_under_test.h"
#include "netns.h"

namespace iknet {
namespace {

constexpr uint16_t kOurId = 0x5a17, kOtherId = 0x5a18;

uint16_t Checksum(const uint8_t *p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

/* A plain raw socket of family (4 or 6), as another prober on the host
 * has: nothing of icmpkit. */
struct Foreign {
  int fd, family;
  explicit Foreign(int fam)
      : fd(socket(fam == 4 ? AF_INET : AF_INET6, SOCK_RAW,
                  fam == 4 ? static_cast<int>(IPPROTO_ICMP) : static_cast<int>(IPPROTO_ICMPV6))),
        family(fam) {}
  ~Foreign() {
    if (fd >= 0) close(fd);
  }
  /* An echo message (type: request or reply) with id to the family's
   * loopback address, 56 bytes of payload like ours. */
  bool Send(int type, uint16_t id, uint16_t seq) const {
    uint8_t b[64] = {};
    b[0] = static_cast<uint8_t>(type);
    b[4] = static_cast<uint8_t>(id >> 8);
    b[5] = static_cast<uint8_t>(id);
    b[6] = static_cast<uint8_t>(seq >> 8);
    b[7] = static_cast<uint8_t>(seq);
    if (family == 4) {
      uint16_t c = Checksum(b, sizeof b);
      b[2] = static_cast<uint8_t>(c >> 8);
      b[3] = static_cast<uint8_t>(c);
      sockaddr_in to = {};
      to.sin_family = AF_INET;
      to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      return sendto(fd, b, sizeof b, 0, reinterpret_cast<sockaddr *>(&to), sizeof to) == sizeof b;
    }
    sockaddr_in6 to = {};  // the kernel computes ICMPv6 checksums
    to.sin6_family = AF_INET6;
    to.sin6_addr = in6addr_loopback;
    return sendto(fd, b, sizeof b, 0, reinterpret_cast<sockaddr *>(&to), sizeof to) == sizeof b;
  }
};

/* Datagrams waiting in fd's queue, read out; ids[] gets their echo ids. */
size_t Drain(int fd, int family, std::vector<uint16_t> *ids) {
  uint8_t b[2048];
  size_t n = 0;
  ssize_t len;
  while ((len = recv(fd, b, sizeof b, MSG_DONTWAIT)) > 0) {
    size_t at = family == 4 ? static_cast<size_t>(b[0] & 0xf) * 4 : 0;
    if (static_cast<size_t>(len) >= at + 8) ids->push_back(static_cast<uint16_t>(b[at + 4] << 8 | b[at + 5]));
    n++;
  }
  return n;
}

void JobDone(int status, void *arg) { *static_cast<int *>(arg) = status; }

/* While a job probes with a raw socket, the kernel queues on it only what
 * carries the job's identifier: another prober's replies (the kernel
 * answers its requests to loopback) never take room there. The job's
 * socket is borrowed so the test can look into its queue; the loop has not
 * run yet, so nothing of the job's own is in it. After the job the
 * borrowed socket is the caller's again, unfiltered. */
void ForeignRepliesStayOutOfTheQueue(int family) {
  Topology topo;
  const std::string &ns = topo.add("pinger");
  in_netns(ns, [&] {
    ik_socket *sock = nullptr;
    int fam = family == 4 ? IK_AF_INET : IK_AF_INET6;
    ASSERT_EQ(ik_socket_open(&sock, fam, nullptr, 0), 0) << ik_last_error();
    int fd = static_cast<int>(ik_socket_native(sock));
    Foreign other(family);
    ASSERT_GE(other.fd, 0);
    event_base *base = event_base_new();
    ASSERT_NE(base, nullptr);
    ik_ping_options o;
    ik_multiping_options_init(&o);
    o.privileged = 1;
    o.id = kOurId;
    o.count = 1;
    o.timeout = 0.2;
    o.sockets[family == 6] = sock;
    const char *target = family == 4 ? "127.0.0.1" : "::1";
    ik_host host;
    ik_job *job = nullptr;
    int status = 1;
    ASSERT_EQ(ik_async_multiping(base, &target, 1, &o, &host, JobDone, &status, &job), 0) << ik_last_error();

    for (int i = 0; i < 100; i++) ASSERT_TRUE(other.Send(family == 4 ? 8 : 128, kOtherId, static_cast<uint16_t>(i)));
    ASSERT_TRUE(other.Send(family == 4 ? 8 : 128, kOurId, 1000));  // its reply carries our id
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::vector<uint16_t> ids;
    EXPECT_EQ(Drain(fd, family, &ids), 1u) << "the other prober's replies entered our queue";
    EXPECT_EQ(ids, std::vector<uint16_t>{kOurId});

    ik_job_free(job);  // not run: results stay empty
    for (int i = 0; i < 10; i++) ASSERT_TRUE(other.Send(family == 4 ? 8 : 128, kOtherId, static_cast<uint16_t>(i)));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ids.clear();
    EXPECT_EQ(Drain(fd, family, &ids), 10u) << "the borrowed socket kept the job's filter";
    ik_socket_free(sock);
    event_base_free(base);
  });
}

TEST(LocalDrops, V4ForeignProbersRepliesNeverEnterAJobsRawQueue) {
  IKNET_REQUIRE_ROOT();
  ForeignRepliesStayOutOfTheQueue(4);
}

TEST(LocalDrops, V6ForeignProbersRepliesNeverEnterAJobsRawQueue) {
  IKNET_REQUIRE_ROOT();
  ForeignRepliesStayOutOfTheQueue(6);
}

/* Another process floods the job's raw socket with echo replies carrying
 * the job's identifier (the filter must let those in: they could be
 * ours) before the job reads anything, so its queue is full when the
 * first probes' replies come back and the kernel drops them. Every host
 * answers: none may be reported dead, and the drops are reported. */
TEST(LocalDrops, AFloodedQueueLosesNoHostAndReportsItsDrops) {
  IKNET_REQUIRE_ROOT();
  Topology topo;
  const std::string &ns = topo.add("pinger");
  constexpr size_t kHosts = 2000;
  std::vector<std::string> names;
  for (size_t i = 0; i < kHosts; i++)
    names.push_back("127.1." + std::to_string(i / 250) + "." + std::to_string(1 + i % 250));
  std::vector<const char *> list;
  for (const std::string &n : names) list.push_back(n.c_str());
  std::vector<ik_host> hosts(kHosts);
  in_netns(ns, [&] {
    event_base *base = event_base_new();
    ASSERT_NE(base, nullptr);
    ik_ping_options o;
    ik_multiping_options_init(&o);
    o.privileged = 1;
    o.id = kOurId;
    o.count = 1;
    o.timeout = 0.5;
    o.rate = 0;
    o.threads = 1; /* one socket, id kOurId: the one the flood fills (a
                      worker thread would send before the flood, with id + 1) */
    ik_job *job = nullptr;
    int status = 1;
    ASSERT_EQ(ik_async_multiping(base, list.data(), kHosts, &o, hosts.data(), JobDone, &status, &job), 0)
        << ik_last_error();
    Child flood(ns, [] {
      Foreign f(4);
      for (int i = 0; i < 20000; i++)
        if (!f.Send(0, kOurId, static_cast<uint16_t>(50000 + i % 10000))) return std::string("send failed");
      return std::string("ok");
    });
    ASSERT_EQ(flood.wait(), "ok");
    ASSERT_NE(event_base_dispatch(base), -1);
    EXPECT_EQ(status, 0) << ik_last_error();
    size_t dead = 0;
    for (const ik_host &h : hosts) dead += !h.is_alive;
    EXPECT_EQ(dead, 0u) << "hosts reported dead for replies the kernel dropped";
    std::printf("[ drops    ] %zu replies dropped locally, %zu hosts probed twice\n", hosts[0].local_drops,
                static_cast<size_t>(std::count_if(hosts.begin(), hosts.end(),
                                                  [](const ik_host &h) { return h.packets_sent > 1; })));
    EXPECT_GT(hosts[0].local_drops, 0u);
    EXPECT_EQ(hosts[0].local_drops, hosts[kHosts - 1].local_drops);
    for (ik_host &h : hosts) ik_host_free(&h);
    ik_job_free(job);
    event_base_free(base);
  });
}

/* Issue 19's measurement: two raw sweeps of 32,766 loopback hosts each at
 * full speed at once. Every raw socket got every reply of the host, both
 * queues overflowed, and each sweep reported about half its hosts dead. */
TEST(LocalDrops, TwoConcurrentRawCliSweepsEachFindEveryHost) {
  IKNET_REQUIRE_ROOT();
  if (Cli().empty()) GTEST_SKIP() << "the icmpkit tool is not built";
  Topology topo;
  topo.add("pinger");
  std::string dir = "/tmp/iknet-drops-" + std::to_string(getpid());
  std::string cmd = "mkdir -p " + dir + " && (" + Cli() +
                    " multiping --privileged -c 1 --rate 0 -g 127.1.0.0/17 >" + dir + "/a 2>&1 & " + Cli() +
                    " multiping --privileged -c 1 --rate 0 -g 127.2.0.0/17 >" + dir + "/b 2>&1; wait)";
  CommandResult r = topo.exec("pinger", cmd);
  std::string a = Slurp(dir + "/a"), b = Slurp(dir + "/b");
  run_command("rm -rf " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(a.find("\n32766 of 32766 hosts alive\n"), std::string::npos) << a.substr(a.size() > 300 ? a.size() - 300 : 0);
  EXPECT_NE(b.find("\n32766 of 32766 hosts alive\n"), std::string::npos) << b.substr(b.size() > 300 ? b.size() - 300 : 0);
}

}  // namespace
}  // namespace iknet
