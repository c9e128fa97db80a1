/* Issue 18's forgery: a local unprivileged user (nobody, inside the
 * pinger's ping_group_range) binds a ping socket to the victim's echo
 * identifier and sends echo requests with the victim's sequences and
 * TTL 1 toward the victim's destination. r1's Time Exceeded messages quote
 * (identifier, sequence, destination) and reach every raw ICMP socket of
 * the host. The victim must count none of them: its destination answers
 * everything, so it reports 0% loss. ICMP rate limits are off in every
 * namespace (Topology::add), so r1 answers every forgery.
 *
 * The target answers late (a responder in its namespace, 150 ms per
 * request), so that each probe's wait is long and the forger, who cannot
 * see when the victim sends, lands errors inside it for sure. */
#include "test_topology_fixture.h"

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

namespace iknet {
namespace {

constexpr uint16_t kVictimId = 0x4d2;  /* known to the forger (as a PID-based one was) */
constexpr int kCount = 4;
constexpr double kAttackSeconds = 3.0;

double now_s() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

uint16_t checksum(const uint8_t *p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

/* In the target namespace (echo ignored by the kernel there): answers
 * each echo request after 150 ms, from a raw socket. */
std::string slow_responder(int family, double seconds) {
  bool v4 = family == 4;
  int fd = socket(v4 ? AF_INET : AF_INET6, SOCK_RAW, v4 ? int(IPPROTO_ICMP) : int(IPPROTO_ICMPV6));
  if (fd < 0) return std::string("responder socket: ") + strerror(errno);
  struct Pending {
    double due;
    sockaddr_storage from;
    socklen_t fromlen;
    std::vector<uint8_t> msg;
  };
  std::vector<Pending> pending;
  int answered = 0;
  for (double end = now_s() + seconds; now_s() < end;) {
    pollfd p{fd, POLLIN, 0};
    poll(&p, 1, 5);
    uint8_t buf[2048];
    Pending q{};
    q.fromlen = sizeof q.from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr *>(&q.from), &q.fromlen);
    size_t off = v4 && n > 0 ? static_cast<size_t>(buf[0] & 0x0f) * 4 : 0;
    if (n >= static_cast<ssize_t>(off + 8) && buf[off] == (v4 ? 8 : 128)) {
      q.msg.assign(buf + off, buf + n);
      q.msg[0] = v4 ? 0 : 129;
      q.msg[2] = q.msg[3] = 0;
      if (v4) {
        uint16_t s = checksum(q.msg.data(), q.msg.size());
        q.msg[2] = static_cast<uint8_t>(s >> 8);
        q.msg[3] = static_cast<uint8_t>(s);
      }
      q.due = now_s() + 0.15;
      pending.push_back(q);
    }
    for (size_t i = 0; i < pending.size();) {
      if (pending[i].due > now_s()) {
        ++i;
        continue;
      }
      sendto(fd, pending[i].msg.data(), pending[i].msg.size(), 0,
             reinterpret_cast<const sockaddr *>(&pending[i].from), pending[i].fromlen);
      ++answered;
      pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  close(fd);
  return "answered " + std::to_string(answered);
}

/* As nobody in the pinger namespace: a ping socket bound to the victim's
 * identifier sends TTL-1 echo requests with sequences 0..kCount-1 toward
 * the target, round and round; returns how many Time Exceeded messages came
 * back to it (each was also delivered to the host's raw sockets). */
std::string forger(int family, const std::string &target) {
  bool v4 = family == 4;
  int fd = socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM, v4 ? int(IPPROTO_ICMP) : int(IPPROTO_ICMPV6));
  if (fd < 0) return std::string("forger socket: ") + strerror(errno);
  sockaddr_storage local{}, dst{};
  socklen_t len;
  int one = 1, ttl = 1;
  if (v4) {
    auto *l = reinterpret_cast<sockaddr_in *>(&local);
    auto *d = reinterpret_cast<sockaddr_in *>(&dst);
    l->sin_family = d->sin_family = AF_INET;
    l->sin_port = htons(kVictimId);
    inet_pton(AF_INET, target.c_str(), &d->sin_addr);
    len = sizeof(sockaddr_in);
    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
    setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one);
  } else {
    auto *l = reinterpret_cast<sockaddr_in6 *>(&local);
    auto *d = reinterpret_cast<sockaddr_in6 *>(&dst);
    l->sin6_family = d->sin6_family = AF_INET6;
    l->sin6_port = htons(kVictimId);
    inet_pton(AF_INET6, target.c_str(), &d->sin6_addr);
    len = sizeof(sockaddr_in6);
    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl);
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one);
  }
  if (bind(fd, reinterpret_cast<sockaddr *>(&local), len) != 0) {
    std::string e = std::string("forger bind to id ") + std::to_string(kVictimId) + ": " + strerror(errno);
    close(fd);
    return e;
  }
  int sent = 0, errors = 0;
  for (double end = now_s() + kAttackSeconds; now_s() < end;) {
    for (int seq = 0; seq < kCount; ++seq) {
      uint8_t msg[64] = {static_cast<uint8_t>(v4 ? 8 : 128), 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(seq)};
      for (size_t i = 8; i < sizeof msg; ++i) msg[i] = static_cast<uint8_t>(i);  /* not the victim's payload */
      if (sendto(fd, msg, sizeof msg, 0, reinterpret_cast<sockaddr *>(&dst), len) > 0) ++sent;
    }
    uint8_t buf[256], control[512];
    for (;;) {
      iovec iov{buf, sizeof buf};
      msghdr m{};
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      m.msg_control = control;
      m.msg_controllen = sizeof control;
      if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
      ++errors;
    }
    usleep(2000);
  }
  close(fd);
  return "sent " + std::to_string(sent) + " errors " + std::to_string(errors);
}

using ForgeryTest = ChainTest;

TEST_P(ForgeryTest, VictimCountsNoneOfTheErrorsAUserForgesWithItsIdentifier) {
  int fam = family();
  std::string target = Chain::target_address(fam);
  chain_->topo.sysctl("target", fam == 4 ? "net.ipv4.icmp_echo_ignore_all" : "net.ipv6.icmp.echo_ignore_all", "1");
  Child responder(chain_->target(), [fam] { return slow_responder(fam, kAttackSeconds + 0.5); });
  Child attacker(chain_->pinger(), [fam, target] { return forger(fam, target); }, RunAs::nobody);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  /* the forgeries are flowing */

  ik_ping_options o;
  ik_ping_options_init(&o);
  o.count = kCount;
  o.interval = 0.3;
  o.timeout = 1.0;
  o.id = kVictimId;
  o.privileged = mode_.privileged;
  o.family = fam;
  ik_host host{};
  ASSERT_EQ(ik_ping(target.c_str(), &o, &host), 0) << ik_last_error();
  std::string forged = attacker.wait();
  std::string answered = responder.wait();
  SCOPED_TRACE("forger: " + forged + "; responder: " + answered);

  int time_exceeded = 0;
  for (size_t i = 0; i < host.replies_len; ++i)
    time_exceeded += host.replies[i].reply.type == mode_.time_exceeded_type();
  EXPECT_EQ(time_exceeded, 0);
  EXPECT_EQ(host.packets_sent, kCount);
  EXPECT_EQ(host.packets_received, kCount);
  EXPECT_EQ(host.packet_loss, 0.0);
  /* The attack really ran: r1 answered the forger while the victim waited. */
  EXPECT_EQ(forged.rfind("sent ", 0), 0u);
  EXPECT_EQ(forged.find(" errors 0"), std::string::npos);
  ik_host_free(&host);
}

INSTANTIATE_TEST_SUITE_P(Mode, ForgeryTest, ::testing::ValuesIn(all_modes()), ModeName);

}  // namespace
}  // namespace iknet
