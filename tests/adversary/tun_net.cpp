#include "tun_net.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

namespace adv {

const Hosts &HostsFor(int family) {
  static const Hosts v4 = {"198.18.0.1", "198.18.1.1", "198.18.1.2", "198.18.0.254",
                           "198.19.7.7"};
  static const Hosts v6 = {"fd00::1", "fd00::1:1", "fd00::1:2", "fd00::fe", "fd00::7:7"};
  return family == 4 ? v4 : v6;
}

Bytes EchoReplyPacket(const EchoRequest &rq, const ReplySpec &spec) {
  IpAddr src = spec.src ? IpAddr::Parse(*spec.src) : rq.dst;
  Bytes icmp = Icmp(EchoReplyType(rq.family), 0,
                    EchoRest(spec.id.value_or(rq.id), spec.seq.value_or(rq.seq),
                             spec.payload.value_or(rq.payload)));
  return Ip(src, rq.src, std::move(icmp), spec.ip);
}

Bytes ErrorPacket(const EchoRequest &rq, const std::string &from, uint8_t type, uint8_t code,
                  const Bytes &quote, int ttl) {
  IpOpts o;
  o.ttl = ttl;
  return Ip(IpAddr::Parse(from), rq.src, Icmp(type, code, ErrorRest(quote)), o);
}

int Sh(const std::string &cmd) {
  int rc = std::system(cmd.c_str());
  int status = rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
  if (status != 0) std::fprintf(stderr, "adversary: `%s` exited with %d\n", cmd.c_str(), status);
  return status;
}

bool RunInNetns(const std::string &netns, const std::function<void()> &fn) {
  bool joined = false;
  std::thread t([&] {
    std::string path = "/run/netns/" + netns;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(stderr, "adversary: open %s: %s\n", path.c_str(), std::strerror(errno));
      return;
    }
    // The thread, not the process, changes namespace: the test's main
    // thread stays in the host namespace.
    joined = setns(fd, CLONE_NEWNET) == 0;
    if (!joined) std::fprintf(stderr, "adversary: setns %s: %s\n", path.c_str(), std::strerror(errno));
    close(fd);
    if (joined) fn();
  });
  t.join();
  return joined;
}

void TunNet::Run(const std::function<void()> &fn) const {
  if (!RunInNetns(name_, fn))
    ADD_FAILURE() << "could not join network namespace " << name_ << ": the test body did not run";
}

// ---- namespace cleanup, also when a test aborts or is interrupted ----

namespace {
constexpr int kMaxLive = 64;
char g_live[kMaxLive][64];  // paths under /run/netns, "" when free
std::mutex g_live_mu;

void ForgetPath(const char *path) {
  // Same steps as `ip netns del`, using only async-signal-safe calls.
  umount2(path, MNT_DETACH);
  unlink(path);
}

void CleanupAll() {
  for (auto &p : g_live)
    if (p[0]) {
      ForgetPath(p);
      p[0] = 0;
    }
}

void OnSignal(int sig) {
  CleanupAll();
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace
}  // namespace adv

// Sanitizers end a failing process with _exit, past atexit handlers; their
// death callback is the last chance to clean up (absent without them).
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace adv {
namespace {

void Register(const std::string &name) {
  static bool installed = false;
  std::lock_guard<std::mutex> lock(g_live_mu);
  if (!installed) {
    installed = true;
    std::atexit(CleanupAll);
    if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(CleanupAll);
    for (int sig : {SIGINT, SIGTERM, SIGABRT, SIGSEGV, SIGBUS, SIGHUP}) signal(sig, OnSignal);
  }
  for (auto &p : g_live)
    if (!p[0]) {
      std::snprintf(p, sizeof p, "/run/netns/%s", name.c_str());
      return;
    }
}

void Unregister(const std::string &name) {
  std::lock_guard<std::mutex> lock(g_live_mu);
  std::string path = "/run/netns/" + name;
  for (auto &p : g_live)
    if (path == p) p[0] = 0;
}
}  // namespace

TunNet::TunNet() {
  static std::atomic<int> counter{0};
  name_ = "ik-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  script_ = [](const EchoRequest &rq, TunNet &net) { net.Reply(rq); };
  Setup();
}

void TunNet::Setup() {
  // A namespace with this process's id in its name can only be left over
  // from an earlier process that had the same id and was killed.
  const std::string path = "/run/netns/" + name_;
  if (access(path.c_str(), F_OK) == 0) ForgetPath(path.c_str());
  if (Sh("ip netns add " + name_) != 0) {
    error_ = "ip netns add failed";
    return;
  }
  Register(name_);
  // Not Run(): a failure here is reported through Ok() and Error().
  RunInNetns(name_, [&] {
    tun_ = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (tun_ < 0) return;
    struct ifreq ifr;
    std::memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    std::strcpy(ifr.ifr_name, "iktun0");
    if (ioctl(tun_, TUNSETIFF, &ifr) != 0) {
      close(tun_);
      tun_ = -1;
    }
  });
  if (tun_ < 0) {
    error_ = std::string("cannot create the tun device: ") + std::strerror(errno);
    return;
  }
  const std::string ip = "ip -n " + name_ + " ";
  // mtu: large requests reach the responder whole, not in fragments it
  // would have to reassemble. txqueuelen: bursts of thousands of requests
  // must not be dropped on the way to the responder. ping_group_range is set in this namespace
  // only, so DGRAM sockets work here without touching the host.
  const char *steps[] = {
      "link set lo up",
      "link set iktun0 up mtu 65535 txqueuelen 20000",
      "addr add 198.18.0.1/15 dev iktun0",
      "-6 addr add fd00::1/8 dev iktun0 nodad",
  };
  for (const char *s : steps)
    if (Sh(ip + s) != 0) {
      error_ = std::string("ip ") + s + " failed";
      return;
    }
  // The kernel makes an IPv6 address local (its route in table local) from
  // a workqueue, even with nodad: until then replies to it are dropped.
  if (!WaitForLocalRoute6()) {
    error_ = "fd00::1 never became a local address";
    return;
  }
  if (Sh("ip netns exec " + name_ + " sysctl -qw net.ipv4.ping_group_range='0 2147483647'") != 0) {
    error_ = "setting ping_group_range in the namespace failed";
    return;
  }
  if (pipe2(stop_, O_CLOEXEC) != 0) {
    error_ = "pipe2 failed";
    return;
  }
  thread_ = std::thread([this] { Loop(); });
  ok_ = true;
}

bool TunNet::WaitForLocalRoute6() {
  const std::string cmd = "ip -n " + name_ + " -6 route show table local fd00::1";
  for (int i = 0; i < 250; ++i) {
    FILE *f = popen(cmd.c_str(), "r");
    if (f == nullptr) return false;
    char line[256];
    bool found = std::fgets(line, sizeof line, f) != nullptr;
    pclose(f);
    if (found) return true;
    usleep(20000);
  }
  return false;
}

TunNet::~TunNet() {
  if (thread_.joinable()) {
    char c = 0;
    (void)!write(stop_[1], &c, 1);
    thread_.join();
  }
  for (int fd : {stop_[0], stop_[1], tun_})
    if (fd >= 0) close(fd);
  Unregister(name_);
  Sh("ip netns del " + name_);
}

void TunNet::SetScript(Script script) {
  std::lock_guard<std::mutex> lock(mu_);
  script_ = std::move(script);
}

void TunNet::Write(const Bytes &packet) {
  // Counted before the write: the kernel delivers during write(), and a
  // test woken by that delivery may read the count at once.
  ++written_;
  ssize_t n = write(tun_, packet.data(), packet.size());
  if (n != static_cast<ssize_t>(packet.size())) {
    --written_;
    std::fprintf(stderr, "adversary: tun write of %zu bytes: %zd (%s)\n", packet.size(), n,
                 n < 0 ? std::strerror(errno) : "short");
  }
}

std::vector<EchoRequest> TunNet::Requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

bool TunNet::WaitForRequests(size_t n, double timeout_s) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::duration<double>(timeout_s),
                      [&] { return requests_.size() >= n; });
}

void TunNet::Loop() {
  std::vector<uint8_t> buf(65536);
  for (;;) {
    struct pollfd fds[2] = {{tun_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    ssize_t n = read(tun_, buf.data(), buf.size());
    if (n <= 0) continue;
    // Anything else the kernel emits (IPv6 router solicitations, MLD
    // reports) is not part of any scenario.
    auto rq = ParseEchoRequest(buf.data(), static_cast<size_t>(n));
    if (!rq) continue;
    Script script;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(*rq);
      script = script_;
    }
    cv_.notify_all();
    script(*rq, *this);
  }
}

}  // namespace adv
