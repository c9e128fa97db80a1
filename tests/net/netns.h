/* Network-namespace harness for the tests/net suite (and the CLI tests).
 *
 * Every packet a test sends stays inside namespaces the test created: names
 * are "ik-<pid>-<n>", addresses come from 198.18.0.0/15 and fd00::/8 only.
 * Namespaces are deleted by the Topology destructor, at exit, on a fatal or
 * terminating signal, and (for a process killed with SIGKILL) by the next
 * Topology built by any test process once the owner's pid is gone. */
#ifndef IKNET_NETNS_H
#define IKNET_NETNS_H

#include <gtest/gtest.h>

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace iknet {

bool is_root();

/* Namespaces need CAP_SYS_ADMIN: without root the test prints why and
 * skips (CI runs as root, so the suite runs for real there). */
#define IKNET_REQUIRE_ROOT()                                                              \
  do {                                                                                    \
    if (!::iknet::is_root())                                                              \
      GTEST_SKIP() << "needs root: builds network namespaces (CI runs the suite as root)"; \
  } while (0)

struct CommandResult {
  int status;          /* exit status; 128 + signal when killed; -1 if not run */
  std::string output;  /* stdout and stderr, interleaved */
};

/* Runs cmd with /bin/sh in the calling thread's network namespace. */
CommandResult run_command(const std::string &cmd);

/* Moves the calling thread into namespace ns until the object is destroyed,
 * then back. Sockets opened meanwhile stay in ns for their whole life, so a
 * test can open them here and use them anywhere. Throws std::runtime_error. */
class ScopedNetns {
 public:
  explicit ScopedNetns(const std::string &ns);
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns &) = delete;
  ScopedNetns &operator=(const ScopedNetns &) = delete;

 private:
  int saved_;
};

/* Runs fn on a new thread inside ns and waits for it. gtest assertions work
 * inside fn (ASSERT_* returns from fn only). */
void in_netns(const std::string &ns, const std::function<void()> &fn);

enum class RunAs { root, nobody };

/* A forked process running fn inside ns, optionally as nobody (65534:65534,
 * no supplementary groups). fn must not use gtest assertions (the child's
 * results are lost): it returns its findings as text, which wait() gives. */
class Child {
 public:
  Child(const std::string &ns, const std::function<std::string()> &fn, RunAs who = RunAs::root);
  ~Child();  /* kills the child if wait() was not called */
  Child(const Child &) = delete;
  Child &operator=(const Child &) = delete;
  /* fn's text; if the child did not exit with status 0, the text ends
   * with "[child exited with N]" or "[child killed by signal N]". */
  std::string wait();

 private:
  pid_t pid_;
  int fd_;
};

/* Shorthand: Child(ns, fn, RunAs::nobody).wait(). */
std::string run_as_nobody(const std::string &ns, const std::function<std::string()> &fn);

/* A set of namespaces, each known by a role ("pinger", "r1", ...), wired by
 * veth pairs and configured with ip/sysctl/nft. Every method throws
 * std::runtime_error naming the failed command and its output. */
class Topology {
 public:
  Topology();
  ~Topology();
  Topology(const Topology &) = delete;
  Topology &operator=(const Topology &) = delete;

  /* New namespace for role: lo up, ICMP rate limits off (so every probe is
   * answered, however many tests run), IPv6 DAD off (addresses usable at
   * once), rp_filter off. */
  const std::string &add(const std::string &role);
  /* Namespace name of role. */
  const std::string &ns(const std::string &role) const;
  /* veth pair: if_a in a, if_b in b, both up. */
  void veth(const std::string &a, const std::string &if_a, const std::string &b,
            const std::string &if_b);
  /* Adds "198.18.1.1/24" or "fd00::1/64" (nodad) to ifname in role. */
  void address(const std::string &role, const std::string &ifname, const std::string &cidr);
  /* Runs "ip <args>" in role, e.g. ip("r3", "-6 route add prohibit fd00::/64"). */
  void ip(const std::string &role, const std::string &args);
  /* Writes /proc/sys/<key with dots as slashes> inside role. */
  void sysctl(const std::string &role, const std::string &key, const std::string &value);
  /* IPv4 and IPv6 forwarding on. */
  void router(const std::string &role);
  /* Loads an nft ruleset (nft -f syntax) in role. */
  void nft(const std::string &role, const std::string &ruleset);
  /* Runs a shell command inside role. */
  CommandResult exec(const std::string &role, const std::string &cmd) const;

 private:
  std::vector<std::string> names_;
  std::map<std::string, std::string> roles_;
};

/* The standard scenario (issue 3 §6):
 *
 *   pinger ─ r1 ─ r2 ─ r3 ─ target          link k (1..4): 198.18.k.0/24, fd00:0:0:k::/64,
 *     │                                      left end .1 / ::1, right end .2 / ::2
 *    br0 ─ h1, h2, h3                        198.18.100.0/24 (broadcast segment), fd00:0:0:100::/64
 *
 * r3 routes dedicated prefixes to each failure (see Fate). The pinger has
 * ping_group_range "0 2147483647" so DGRAM sockets work there, even for
 * nobody; the hosts on br0 answer broadcast echo. */
class Chain {
 public:
  enum class Fate {
    no_route,              /* r3 has no route: v4 3/0, v6 1/0 */
    unreachable_route,     /* ip route add unreachable: v4 3/1, v6 1/0 */
    prohibit_route,        /* ip route add prohibit: v4 3/13, v6 1/1 */
    blackhole_route,       /* ip route add blackhole: silence */
    nft_host_unreachable,  /* reject with icmp host-unreachable / icmpv6 addr-unreachable: 3/1, 1/3 */
    nft_admin_prohibited,  /* reject with icmp(v6) admin-prohibited: 3/13, 1/1 */
    nft_drop,              /* drop: silence */
    routing_loop,          /* r3 sends it back to r2, r2 to r3...: v4 11/0, v6 3/0 from r2 */
  };
  static constexpr int kRouters = 3;

  Chain();

  Topology topo;
  const std::string &pinger() const { return topo.ns("pinger"); }
  const std::string &target() const { return topo.ns("target"); }

  /* family 4 or 6. */
  static std::string pinger_address(int family);
  static std::string target_address(int family);
  /* Address of router k (1..kRouters) on its link toward the pinger: the
   * source of the errors it sends to the pinger. */
  static std::string router_address(int k, int family);
  /* A host address inside the prefix r3 handles with fate. */
  static std::string address_for(Fate fate, int family);
  /* Source of the ICMP error the pinger gets for fate (none for blackhole
   * and drop). In the loop, the probe expires at r2 coming from r3: Linux
   * answers from the route's source for IPv4 (r2's side toward the
   * pinger) but from the inbound interface for IPv6 (r2's side toward r3). */
  static std::string error_source(Fate fate, int family);
  /* The pinger's address on br0, routed back by every router: a source to
   * bind that differs from the one the kernel would choose. */
  static std::string pinger_second_address(int family);
  /* An address on the pinger's links that no interface has. */
  static std::string unassigned_local_address(int family);
  /* Name of the target's interface toward r3 (for captures). */
  static const char *target_ifname() { return "eth0"; }

  static std::string broadcast_address() { return "198.18.100.255"; }
  /* The hosts that answer echo sent to broadcast_address(). */
  static std::vector<std::string> broadcast_responders();
};

/* Packets seen by an AF_PACKET socket opened in a namespace (all
 * interfaces, or one). Used to check what went on the wire. */
class Capture {
 public:
  Capture(const std::string &ns, const std::string &ifname = "");
  ~Capture();
  Capture(const Capture &) = delete;
  Capture &operator=(const Capture &) = delete;

  struct Packet {
    int family = 0;              /* 4 or 6 */
    int traffic_class = -1;      /* TOS / traffic class byte */
    int hop_limit = -1;          /* TTL / hop limit as seen */
    std::string source, destination;
    int icmp_type = -1;          /* -1 when not ICMP / ICMPv6 */
    int icmp_code = -1;
    uint16_t icmp_id = 0;        /* echo messages only */
    uint16_t icmp_sequence = 0;
    int icmp_length = -1;        /* bytes of the ICMP message, from the IP header's length */
    double time = 0;             /* kernel receive stamp (CLOCK_REALTIME seconds) */
  };
  /* Waits up to timeout seconds for a packet for which pred is true. */
  bool next(double timeout, const std::function<bool(const Packet &)> &pred, Packet *out);

 private:
  int fd_;
};

}  // namespace iknet

#endif
