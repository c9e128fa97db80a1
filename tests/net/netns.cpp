#include "netns.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace iknet {

namespace {

const char kNetnsDir[] = "/run/netns/";
/* One empty file per namespace we own: lets a later process recognise our
 * leftovers (owner pid dead) without touching other programs' namespaces. */
const char kMarkerDir[] = "/run/ik-nettest/";

std::runtime_error failure(const std::string &what) { return std::runtime_error(what); }

std::string os_error(const std::string &what) {
  return what + ": " + std::strerror(errno);
}

/* ---- cleanup registry, usable from a signal handler ----
 * Paths are written before the slot is published and the handler only
 * calls umount2/unlink, so it needs no lock and no allocation. */
constexpr int kSlots = 64;
constexpr size_t kPathMax = 96;
struct Slot {
  char netns_path[kPathMax];
  char marker_path[kPathMax];
  volatile sig_atomic_t used;
};
Slot g_slots[kSlots];
std::mutex g_slots_lock;
pid_t g_owner = 0;
const int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
struct sigaction g_previous[sizeof kSignals / sizeof kSignals[0]];

void remove_netns_path(const char *netns_path, const char *marker_path) {
  umount2(netns_path, MNT_DETACH);
  unlink(netns_path);
  unlink(marker_path);
}

void cleanup_all() {
  if (getpid() != g_owner) return;  // a forked child never owns namespaces
  for (Slot &s : g_slots) {
    if (s.used) {
      remove_netns_path(s.netns_path, s.marker_path);
      s.used = 0;
    }
  }
}

void on_signal(int sig) {
  cleanup_all();
  for (size_t i = 0; i < sizeof kSignals / sizeof kSignals[0]; ++i)
    if (kSignals[i] == sig) sigaction(sig, &g_previous[i], nullptr);
  /* Faults re-execute the faulting instruction and reach the previous
   * handler (the sanitizers' report); the others are raised again. */
  if (sig != SIGSEGV && sig != SIGBUS && sig != SIGFPE && sig != SIGILL) raise(sig);
}

void install_cleanup_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_owner = getpid();
    std::atexit(cleanup_all);
    for (size_t i = 0; i < sizeof kSignals / sizeof kSignals[0]; ++i) {
      struct sigaction sa;
      std::memset(&sa, 0, sizeof sa);
      sa.sa_handler = on_signal;
      sigemptyset(&sa.sa_mask);
      sigaction(kSignals[i], &sa, &g_previous[i]);
    }
  });
}

void register_netns(const std::string &name) {
  std::lock_guard<std::mutex> lock(g_slots_lock);
  for (Slot &s : g_slots) {
    if (!s.used) {
      std::snprintf(s.netns_path, kPathMax, "%s%s", kNetnsDir, name.c_str());
      std::snprintf(s.marker_path, kPathMax, "%s%s", kMarkerDir, name.c_str());
      s.used = 1;
      return;
    }
  }
  throw failure("iknet: more than 64 live namespaces in one process");
}

void delete_netns(const std::string &name) {
  std::lock_guard<std::mutex> lock(g_slots_lock);
  std::string path = kNetnsDir + name, marker = kMarkerDir + name;
  for (Slot &s : g_slots)
    if (s.used && path == s.netns_path) s.used = 0;
  remove_netns_path(path.c_str(), marker.c_str());
}

/* Deletes namespaces left by test processes that died without cleaning up
 * (SIGKILL, e.g. a ctest timeout). */
void remove_stale_namespaces() {
  DIR *dir = opendir(kMarkerDir);
  if (!dir) return;
  while (struct dirent *e = readdir(dir)) {
    unsigned long pid = 0, n = 0;
    char tail = 0;
    if (std::sscanf(e->d_name, "ik-%lu-%lu%c", &pid, &n, &tail) != 2) continue;
    if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    std::string path = kNetnsDir + std::string(e->d_name);
    std::string marker = kMarkerDir + std::string(e->d_name);
    remove_netns_path(path.c_str(), marker.c_str());
  }
  closedir(dir);
}

std::string quote(const std::string &s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

void write_all(int fd, const std::string &text) {
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

bool is_root() { return geteuid() == 0; }

CommandResult run_command(const std::string &cmd) {
  std::string full = "exec 2>&1; " + cmd;
  FILE *p = popen(full.c_str(), "r");
  if (!p) return {-1, os_error("popen " + cmd)};
  CommandResult r{0, ""};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int st = pclose(p);
  if (st == -1)
    r.status = -1;
  else if (WIFEXITED(st))
    r.status = WEXITSTATUS(st);
  else
    r.status = 128 + WTERMSIG(st);
  return r;
}

/* ---- namespaces for threads and processes ---- */

ScopedNetns::ScopedNetns(const std::string &ns) {
  saved_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (saved_ < 0) throw failure(os_error("open /proc/thread-self/ns/net"));
  int fd = open((kNetnsDir + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
    std::string msg = os_error("enter namespace " + ns);
    if (fd >= 0) close(fd);
    close(saved_);
    throw failure(msg);
  }
  close(fd);
}

ScopedNetns::~ScopedNetns() {
  if (setns(saved_, CLONE_NEWNET) != 0) {
    /* Going on in the wrong namespace would send later traffic from there. */
    std::perror("iknet: cannot return to the original network namespace");
    std::abort();
  }
  close(saved_);
}

namespace {

/* Runs fn on a thread inside ns; returns the text of what it threw. */
std::string on_thread_in(const std::string &ns, const std::function<void()> &fn) {
  std::string error;
  std::thread t([&] {
    try {
      ScopedNetns in(ns);
      fn();
    } catch (const std::exception &e) {
      error = e.what();
    }
  });
  t.join();
  return error;
}

}  // namespace

void in_netns(const std::string &ns, const std::function<void()> &fn) {
  std::string error = on_thread_in(ns, fn);
  if (!error.empty()) ADD_FAILURE() << "in_netns(" << ns << "): " << error;
}

Child::Child(const std::string &ns, const std::function<std::string()> &fn, RunAs who) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) throw failure(os_error("pipe"));
  std::fflush(nullptr);
  pid_ = fork();
  if (pid_ < 0) {
    close(p[0]);
    close(p[1]);
    throw failure(os_error("fork"));
  }
  if (pid_ == 0) {
    close(p[0]);
    std::string out;
    int fd = open((kNetnsDir + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      write_all(p[1], os_error("child: enter namespace " + ns));
      _exit(3);
    }
    if (who == RunAs::nobody &&
        (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0)) {
      write_all(p[1], os_error("child: become nobody"));
      _exit(3);
    }
    try {
      out = fn();
    } catch (const std::exception &e) {
      out = std::string("child: exception: ") + e.what();
    }
    write_all(p[1], out);
    // A forked copy of a multi-threaded parent: under valgrind, a leak check
    // at its exit would count what only the parent's other threads (or a
    // test that stopped at a failed ASSERT) still reference as lost, and
    // fail with valgrind's exit code. Its output is written: end by
    // exec'ing true(1), which valgrind does not follow, so no check runs.
    execl("/bin/true", "true", static_cast<char *>(nullptr));
    _exit(0);
  }
  close(p[1]);
  fd_ = p[0];
}

Child::~Child() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (fd_ >= 0) close(fd_);
}

std::string Child::wait() {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd_);
  fd_ = -1;
  int st = 0;
  while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
    out += " [child exited with " + std::to_string(WEXITSTATUS(st)) + "]";
  else if (WIFSIGNALED(st))
    out += " [child killed by signal " + std::to_string(WTERMSIG(st)) + "]";
  return out;
}

std::string run_as_nobody(const std::string &ns, const std::function<std::string()> &fn) {
  return Child(ns, fn, RunAs::nobody).wait();
}

/* ---- Topology ---- */

Topology::Topology() {
  if (!is_root()) throw failure("iknet::Topology needs root (use IKNET_REQUIRE_ROOT first)");
  install_cleanup_once();
  remove_stale_namespaces();
  mkdir(kMarkerDir, 0755);
}

Topology::~Topology() {
  for (auto it = names_.rbegin(); it != names_.rend(); ++it) delete_netns(*it);
}

const std::string &Topology::add(const std::string &role) {
  if (roles_.count(role)) throw failure("iknet: role " + role + " already exists");
  static std::mutex counter_lock;
  static unsigned counter = 0;
  std::string name;
  {
    std::lock_guard<std::mutex> lock(counter_lock);
    name = "ik-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
  }
  /* Registered before it exists, so a signal during "ip netns add" still
   * removes it. */
  register_netns(name);
  int fd = open((kMarkerDir + name).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  CommandResult r = run_command("ip netns add " + name);
  if (r.status != 0) {
    delete_netns(name);
    throw failure("ip netns add " + name + " failed: " + r.output);
  }
  names_.push_back(name);
  roles_[role] = name;
  ip(role, "link set lo up");
  /* No ICMP type is rate limited, per peer or by the namespace's global
   * budget (icmp_msgs_per_sec), which the masks also govern. */
  sysctl(role, "net.ipv4.icmp_ratelimit", "0");
  sysctl(role, "net.ipv4.icmp_ratemask", "0");
  sysctl(role, "net.ipv6.icmp.ratelimit", "0");
  sysctl(role, "net.ipv6.icmp.ratemask", "");
  sysctl(role, "net.ipv4.conf.all.rp_filter", "0");
  sysctl(role, "net.ipv4.conf.default.rp_filter", "0");
  sysctl(role, "net.ipv6.conf.all.accept_dad", "0");
  sysctl(role, "net.ipv6.conf.default.accept_dad", "0");
  return roles_[role];
}

const std::string &Topology::ns(const std::string &role) const {
  auto it = roles_.find(role);
  if (it == roles_.end()) throw failure("iknet: no role " + role);
  return it->second;
}

void Topology::veth(const std::string &a, const std::string &if_a, const std::string &b,
                    const std::string &if_b) {
  ip(a, "link add " + if_a + " type veth peer name " + if_b + " netns " + ns(b));
  ip(a, "link set " + if_a + " up");
  ip(b, "link set " + if_b + " up");
}

void Topology::address(const std::string &role, const std::string &ifname, const std::string &cidr) {
  bool v6 = cidr.find(':') != std::string::npos;
  ip(role, std::string(v6 ? "-6 " : "") + "addr add " + cidr + " dev " + ifname + (v6 ? " nodad" : ""));
}

void Topology::ip(const std::string &role, const std::string &args) {
  std::string cmd = "ip -n " + ns(role) + " " + args;
  CommandResult r = run_command(cmd);
  if (r.status != 0) throw failure(cmd + " failed (" + std::to_string(r.status) + "): " + r.output);
}

void Topology::sysctl(const std::string &role, const std::string &key, const std::string &value) {
  std::string path = "/proc/sys/" + key;
  for (char &c : path)
    if (c == '.') c = '/';
  std::string error, line = value + "\n";
  std::string thrown = on_thread_in(ns(role), [&] {
    /* /proc/sys/net follows the namespace of the thread that opens it. */
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
      error = os_error("write " + value + " to " + path + " in " + role);
    if (fd >= 0) close(fd);
  });
  if (error.empty()) error = thrown;
  if (!error.empty()) throw failure(error);
}

void Topology::router(const std::string &role) {
  /* Redirects would be one more ICMP message quoting the probe. */
  sysctl(role, "net.ipv4.conf.all.send_redirects", "0");
  sysctl(role, "net.ipv4.conf.default.send_redirects", "0");
  sysctl(role, "net.ipv4.ip_forward", "1");
  sysctl(role, "net.ipv6.conf.all.forwarding", "1");
}

void Topology::nft(const std::string &role, const std::string &ruleset) {
  CommandResult r = exec(role, "printf '%s\\n' " + quote(ruleset) + " | nft -f -");
  if (r.status != 0) throw failure("nft in " + role + " failed: " + r.output + "\nruleset:\n" + ruleset);
}

CommandResult Topology::exec(const std::string &role, const std::string &cmd) const {
  ScopedNetns in(ns(role));
  return run_command(cmd);
}

/* ---- Chain ---- */

namespace {

const char *const kChainNodes[] = {"pinger", "r1", "r2", "r3", "target"};
constexpr int kLinks = 4;
constexpr int kBroadcastHosts = 3;

std::string link_address(int link, int end, int family) {
  if (family == 4) return "198.18." + std::to_string(link) + "." + std::to_string(end);
  return "fd00:0:0:" + std::to_string(link) + "::" + std::to_string(end);
}

std::string second_prefix(int family) { return family == 4 ? "198.18.100.0/24" : "fd00:0:0:100::/64"; }

std::string link_prefix(int link, int family) {
  if (family == 4) return "198.18." + std::to_string(link) + ".0/24";
  return "fd00:0:0:" + std::to_string(link) + "::/64";
}

/* r3's dedicated prefixes: 198.19.<n>.0/24 and fd00:0:0:10<n>::/64. */
int fate_number(Chain::Fate fate) { return static_cast<int>(fate) + 1; }

std::string fate_prefix(Chain::Fate fate, int family) {
  int n = fate_number(fate);
  if (family == 4) return "198.19." + std::to_string(n) + ".0/24";
  return "fd00:0:0:10" + std::to_string(n) + "::/64";
}

}  // namespace

Chain::Chain() {
  for (const char *node : kChainNodes) topo.add(node);
  for (int k = 1; k <= kLinks; ++k) {
    std::string left = kChainNodes[k - 1], right = kChainNodes[k];
    std::string left_if = k == 1 ? "eth0" : "eth1";
    topo.veth(left, left_if, right, "eth0");
    for (int family : {4, 6}) {
      std::string len = family == 4 ? "/24" : "/64";
      topo.address(left, left_if, link_address(k, 1, family) + len);
      topo.address(right, "eth0", link_address(k, 2, family) + len);
    }
  }
  for (int family : {4, 6}) {
    std::string v = family == 4 ? "" : "-6 ";
    /* Everything leaves toward the target except what r3 decides. */
    topo.ip("pinger", v + "route add default via " + link_address(1, 2, family));
    topo.ip("r1", v + "route add default via " + link_address(2, 2, family));
    topo.ip("r2", v + "route add default via " + link_address(3, 2, family));
    topo.ip("r2", v + "route add " + link_prefix(1, family) + " via " + link_address(2, 1, family));
    topo.ip("r3", v + "route add " + link_prefix(1, family) + " via " + link_address(3, 1, family));
    topo.ip("r3", v + "route add " + link_prefix(2, family) + " via " + link_address(3, 1, family));
    for (int k = 1; k <= kRouters; ++k)
      topo.ip("r" + std::to_string(k),
              v + "route add " + second_prefix(family) + " via " + link_address(k, 1, family));
    topo.ip("target", v + "route add default via " + link_address(4, 1, family));
    /* No default route on r3: Fate::no_route needs nothing. */
    topo.ip("r3", v + "route add unreachable " + fate_prefix(Fate::unreachable_route, family));
    topo.ip("r3", v + "route add prohibit " + fate_prefix(Fate::prohibit_route, family));
    topo.ip("r3", v + "route add blackhole " + fate_prefix(Fate::blackhole_route, family));
    for (Fate f : {Fate::nft_host_unreachable, Fate::nft_admin_prohibited, Fate::nft_drop})
      topo.ip("r3", v + "route add " + fate_prefix(f, family) + " via " + link_address(4, 2, family));
    topo.ip("r3", v + "route add " + fate_prefix(Fate::routing_loop, family) + " via " + link_address(3, 1, family));
  }
  for (const char *r : {"r1", "r2", "r3"}) topo.router(r);
  topo.nft("r3",
           "table inet iknet {\n"
           "  chain forward {\n"
           "    type filter hook forward priority 0; policy accept;\n"
           "    ip daddr " + fate_prefix(Fate::nft_host_unreachable, 4) + " reject with icmp type host-unreachable\n"
           "    ip6 daddr " + fate_prefix(Fate::nft_host_unreachable, 6) + " reject with icmpv6 type addr-unreachable\n"
           "    ip daddr " + fate_prefix(Fate::nft_admin_prohibited, 4) + " reject with icmp type admin-prohibited\n"
           "    ip6 daddr " + fate_prefix(Fate::nft_admin_prohibited, 6) + " reject with icmpv6 type admin-prohibited\n"
           "    ip daddr " + fate_prefix(Fate::nft_drop, 4) + " drop\n"
           "    ip6 daddr " + fate_prefix(Fate::nft_drop, 6) + " drop\n"
           "  }\n"
           "}");
  topo.sysctl("pinger", "net.ipv4.ping_group_range", "0 2147483647");

  /* Broadcast segment: a bridge in the pinger, one veth per host. The
   * pinger keeps ignoring broadcast echo so only the hosts answer. */
  topo.ip("pinger", "link add br0 type bridge");
  topo.ip("pinger", "link set br0 up");
  topo.address("pinger", "br0", pinger_second_address(4) + "/24");
  topo.address("pinger", "br0", pinger_second_address(6) + "/64");
  std::vector<std::string> hosts = broadcast_responders();
  for (int i = 0; i < kBroadcastHosts; ++i) {
    std::string h = "h" + std::to_string(i + 1), port = "b" + std::to_string(i + 1);
    topo.add(h);
    topo.veth("pinger", port, h, "eth0");
    topo.ip("pinger", "link set " + port + " master br0");
    topo.address(h, "eth0", hosts[static_cast<size_t>(i)] + "/24");
    topo.sysctl(h, "net.ipv4.icmp_echo_ignore_broadcasts", "0");
  }
}

std::string Chain::pinger_address(int family) { return link_address(1, 1, family); }
std::string Chain::target_address(int family) { return link_address(kLinks, 2, family); }
std::string Chain::router_address(int k, int family) { return link_address(k, 2, family); }
std::string Chain::error_source(Fate fate, int family) {
  if (fate == Fate::routing_loop) return family == 4 ? router_address(2, 4) : link_address(3, 1, 6);
  return router_address(3, family);
}

std::string Chain::pinger_second_address(int family) {
  return family == 4 ? "198.18.100.1" : "fd00:0:0:100::1";
}
std::string Chain::unassigned_local_address(int family) { return link_address(1, 99, family); }

std::string Chain::address_for(Fate fate, int family) {
  int n = fate_number(fate);
  if (family == 4) return "198.19." + std::to_string(n) + ".7";
  return "fd00:0:0:10" + std::to_string(n) + "::7";
}

std::vector<std::string> Chain::broadcast_responders() {
  std::vector<std::string> v;
  for (int i = 1; i <= kBroadcastHosts; ++i) v.push_back("198.18.100." + std::to_string(10 + i));
  return v;
}

/* ---- Capture ---- */

namespace {

std::string address_text(int af, const uint8_t *bytes) {
  char text[INET6_ADDRSTRLEN];
  return inet_ntop(af, bytes, text, sizeof text) ? text : "?";
}

}  // namespace

Capture::Capture(const std::string &ns, const std::string &ifname) : fd_(-1) {
  std::string error;
  std::string thrown = on_thread_in(ns, [&] {
    fd_ = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd_ < 0) {
      error = os_error("AF_PACKET socket in " + ns);
      return;
    }
    /* Stamps: when a packet passed, not when the test read it. A large
     * buffer: a test may read a whole run's packets after the run. */
    int on = 1, size = 32 << 20;
    if (setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0 ||
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
      error = os_error("capture socket options in " + ns);
      return;
    }
    if (ifname.empty()) return;
    struct sockaddr_ll sll;
    std::memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
    if (sll.sll_ifindex == 0 || bind(fd_, reinterpret_cast<struct sockaddr *>(&sll), sizeof sll) != 0)
      error = os_error("bind capture to " + ifname + " in " + ns);
  });
  if (error.empty()) error = thrown;
  if (!error.empty()) {
    if (fd_ >= 0) close(fd_);
    throw failure(error);
  }
}

Capture::~Capture() {
  if (fd_ >= 0) close(fd_);
}

bool Capture::next(double timeout, const std::function<bool(const Packet &)> &pred, Packet *out) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(timeout));
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left < 0) return false;
    struct pollfd pfd = {fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left)) <= 0) continue;
    uint8_t b[2048];
    struct sockaddr_ll from;
    char control[CMSG_SPACE(sizeof(struct timespec))];
    struct iovec iov = {b, sizeof b};
    struct msghdr msg;
    std::memset(&msg, 0, sizeof msg);
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd_, &msg, 0);
    if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING) continue;
    Packet p;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec ts;
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        p.time = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
      }
    size_t len = static_cast<size_t>(n), icmp = 0;
    int proto = -1;
    if (ntohs(from.sll_protocol) == ETH_P_IP && len >= 20 && (b[0] >> 4) == 4) {
      p.family = 4;
      p.traffic_class = b[1];
      p.hop_limit = b[8];
      proto = b[9] == 1 ? 1 : -1;
      icmp = static_cast<size_t>(b[0] & 0x0f) * 4;
      p.icmp_length = (b[2] << 8 | b[3]) - static_cast<int>(icmp);
      p.source = address_text(AF_INET, b + 12);
      p.destination = address_text(AF_INET, b + 16);
    } else if (ntohs(from.sll_protocol) == ETH_P_IPV6 && len >= 40 && (b[0] >> 4) == 6) {
      p.family = 6;
      p.traffic_class = ((b[0] & 0x0f) << 4) | (b[1] >> 4);
      p.hop_limit = b[7];
      proto = b[6] == 58 ? 58 : -1;  // extension headers are not needed here
      icmp = 40;
      p.icmp_length = b[4] << 8 | b[5];
      p.source = address_text(AF_INET6, b + 8);
      p.destination = address_text(AF_INET6, b + 24);
    } else {
      continue;
    }
    if (proto > 0 && len >= icmp + 8) {
      p.icmp_type = b[icmp];
      p.icmp_code = b[icmp + 1];
      p.icmp_id = static_cast<uint16_t>(b[icmp + 4] << 8 | b[icmp + 5]);
      p.icmp_sequence = static_cast<uint16_t>(b[icmp + 6] << 8 | b[icmp + 7]);
    }
    if (pred(p)) {
      if (out) *out = p;
      return true;
    }
  }
}

}  // namespace iknet
