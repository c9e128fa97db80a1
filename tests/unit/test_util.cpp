#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#if defined(__linux__)
#  include <net/if.h>
#  include <sched.h>
#  include <sys/ioctl.h>
#  include <sys/mount.h>
#  include <sys/socket.h>
#  include <sys/wait.h>
#  include <unistd.h>
#  include <functional>
#endif

extern "C" {
#include "backend.h"
}

namespace {

bool contains(const char *haystack, const std::string &needle) {
  return std::strstr(haystack, needle.c_str()) != nullptr;
}

std::string text(const ik_address &a) {
  char buf[IK_ADDRSTRLEN];
  if (ik_address_format(&a, buf, sizeof buf) != 0) return "?";
  return buf;
}

}  // namespace

TEST(PayloadFill, SplitMix64VectorForSeedZero) {
  // splitmix64's first output from state 0 is 0xe220a8397b1dcdaf, written
  // least significant byte first: the bytes are the same on every platform.
  const uint8_t want[8] = {0xaf, 0xcd, 0x1d, 0x7b, 0x39, 0xa8, 0x20, 0xe2};
  uint8_t got[8];
  ik__payload_fill(0, got, sizeof got);
  EXPECT_EQ(std::memcmp(got, want, 8), 0);
}

TEST(PayloadFill, SameSeedSameBytesAndShorterIsAPrefix) {
  std::vector<uint8_t> a(100), b(100), c(13);
  ik__payload_fill(12345, a.data(), a.size());
  ik__payload_fill(12345, b.data(), b.size());
  ik__payload_fill(12345, c.data(), c.size());
  EXPECT_EQ(a, b);
  EXPECT_EQ(std::memcmp(a.data(), c.data(), c.size()), 0);
}

TEST(PayloadFill, DifferentSeedsDifferentBytes) {
  std::vector<uint8_t> a(56), b(56);
  ik__payload_fill(1, a.data(), a.size());
  ik__payload_fill(2, b.data(), b.size());
  EXPECT_NE(a, b);
}

TEST(PayloadFill, ZeroLengthWritesNothing) {
  uint8_t guard = 0x5a;
  ik__payload_fill(7, &guard, 0);
  EXPECT_EQ(guard, 0x5a);
}

TEST(UniqueIdentifier, IncrementsByOneAndWrapsAt16Bits) {
  uint16_t first = ik_unique_identifier();
  uint16_t prev = first;
  for (int i = 1; i < 65536; i++) {
    uint16_t id = ik_unique_identifier();
    ASSERT_EQ(id, static_cast<uint16_t>(prev + 1)) << "call " << i;
    prev = id;
  }
  EXPECT_EQ(ik_unique_identifier(), first);  // 65536 calls later: full circle
}

TEST(UniqueIdentifier, ThreadsNeverGetTheSameValue) {
  const int threads = 8, per_thread = 8000;  // 64000 < 65536: no wrap
  std::vector<std::vector<uint16_t>> got(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; t++) {
    pool.emplace_back([&got, t] {
      got[t].reserve(per_thread);
      for (int i = 0; i < per_thread; i++) got[t].push_back(ik_unique_identifier());
    });
  }
  for (auto &th : pool) th.join();
  std::set<uint16_t> all;
  for (auto &v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(threads * per_thread));
}

TEST(Resolve, LocalhostIpv4) {
  ik_address out[4];
  size_t n = 0;
  ASSERT_EQ(ik_resolve("localhost", IK_AF_INET, out, 4, &n), IK_OK) << ik_last_error();
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(text(out[0]), "127.0.0.1");
}

TEST(Resolve, LocalhostIpv6) {
  ik_address out[4];
  size_t n = 0;
  ASSERT_EQ(ik_resolve("localhost", IK_AF_INET6, out, 4, &n), IK_OK) << ik_last_error();
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(text(out[0]), "::1");
}

TEST(Resolve, LocalhostAnyFamilyGivesIpv4First) {
  ik_address out[4];
  size_t n = 0;
  ASSERT_EQ(ik_resolve("localhost", 0, out, 4, &n), IK_OK) << ik_last_error();
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(text(out[0]), "127.0.0.1");
  EXPECT_EQ(text(out[1]), "::1");
}

TEST(Resolve, LocalhostNamesAreCaseInsensitiveWithSubdomainsAndFinalDot) {
  for (const char *name : {"LocalHost", "localhost.", "printer.localhost", "A.B.LOCALHOST."}) {
    ik_address out[1];
    size_t n = 0;
    ASSERT_EQ(ik_resolve(name, IK_AF_INET, out, 1, &n), IK_OK) << name;
    EXPECT_EQ(text(out[0]), "127.0.0.1") << name;
  }
}

TEST(Resolve, StopsAtMax) {
  ik_address out[1];
  size_t n = 0;
  ASSERT_EQ(ik_resolve("localhost", 0, out, 1, &n), IK_OK);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(text(out[0]), "127.0.0.1");
}

TEST(Resolve, InvalidDomainFailsWithTheNameInTheMessage) {
  ik_address out[4];
  size_t n = 99;
  EXPECT_EQ(ik_resolve("nonexistent.invalid", 0, out, 4, &n), IK_ENAMELOOKUP);
  EXPECT_EQ(n, 0u);
  EXPECT_TRUE(contains(ik_last_error(), "'nonexistent.invalid'")) << ik_last_error();
}

TEST(Resolve, LiteralsAreReturnedWithoutLookup) {
  ik_address out[2];
  size_t n = 0;
  ASSERT_EQ(ik_resolve("192.0.2.7", 0, out, 2, &n), IK_OK);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(text(out[0]), "192.0.2.7");
  ASSERT_EQ(ik_resolve("2001:DB8::7", IK_AF_INET6, out, 2, &n), IK_OK);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(text(out[0]), "2001:db8::7");
}

TEST(Resolve, LiteralZoneKeepsItsScope) {
  ik_address out[1];
  size_t n = 0;
  ASSERT_EQ(ik_resolve("fe80::1%999999", 0, out, 1, &n), IK_OK);
  EXPECT_EQ(out[0].scope_id, 999999u);
}

TEST(Resolve, LiteralOfTheOtherFamilyFails) {
  ik_address out[1];
  size_t n = 0;
  EXPECT_EQ(ik_resolve("127.0.0.1", IK_AF_INET6, out, 1, &n), IK_ENAMELOOKUP);
  EXPECT_TRUE(contains(ik_last_error(), "'127.0.0.1'")) << ik_last_error();
  EXPECT_EQ(ik_resolve("::1", IK_AF_INET, out, 1, &n), IK_ENAMELOOKUP);
  EXPECT_TRUE(contains(ik_last_error(), "'::1'")) << ik_last_error();
}

TEST(Resolve, InetAtonShorthandsAreMalformedLiteralsNotNames) {
  for (const char *bad : {"1.2.3", "127.1", "2130706433", "010.0.0.1", "0x7f.0.0.1", "0x7f000001", "256.1.1.1"}) {
    ik_address out[1];
    size_t n = 0;
    EXPECT_EQ(ik_resolve(bad, 0, out, 1, &n), IK_ENAMELOOKUP) << bad;
    EXPECT_TRUE(contains(ik_last_error(), std::string("'") + bad + "'")) << ik_last_error();
  }
}

TEST(Resolve, MalformedIpv6LiteralExplainsWhy) {
  ik_address out[1];
  size_t n = 0;
  EXPECT_EQ(ik_resolve("fe80::1%nosuchif0", 0, out, 1, &n), IK_ENAMELOOKUP);
  EXPECT_TRUE(contains(ik_last_error(), "'nosuchif0'")) << ik_last_error();
  EXPECT_EQ(ik_resolve("::ffff:1.2.3.4", 0, out, 1, &n), IK_ENAMELOOKUP);
  EXPECT_TRUE(contains(ik_last_error(), "use the IPv4 form 1.2.3.4")) << ik_last_error();
}

TEST(Resolve, NamesWithSpacesOrControlCharactersFailWithoutLookup) {
  for (const char *bad : {"1.2.3.4 ", " localhost", "local host", "a\tb", "a\nb"}) {
    ik_address out[1];
    size_t n = 0;
    EXPECT_EQ(ik_resolve(bad, 0, out, 1, &n), IK_ENAMELOOKUP) << bad;
  }
}

TEST(Resolve, EmptyNameFails) {
  ik_address out[1];
  size_t n = 0;
  EXPECT_EQ(ik_resolve("", 0, out, 1, &n), IK_ENAMELOOKUP);
}

TEST(Resolve, InvalidArguments) {
  ik_address out[1];
  size_t n = 0;
  EXPECT_EQ(ik_resolve(nullptr, 0, out, 1, &n), IK_EINVAL);
  EXPECT_EQ(ik_resolve("localhost", 0, nullptr, 1, &n), IK_EINVAL);
  EXPECT_EQ(ik_resolve("localhost", 0, out, 1, nullptr), IK_EINVAL);
  EXPECT_EQ(ik_resolve("localhost", 0, out, 0, &n), IK_EINVAL);
  EXPECT_EQ(ik_resolve("localhost", 5, out, 1, &n), IK_EINVAL);
  EXPECT_TRUE(contains(ik_last_error(), "5")) << ik_last_error();
}

// The backend's getaddrinfo path, with numeric hosts only: no query leaves
// the machine.
TEST(SystemResolve, NumericHostThroughGetaddrinfo) {
  ik_address out[4];
  size_t n = 0;
  ASSERT_EQ(ik__resolve("127.0.0.1", 0, out, 4, &n), IK_OK) << ik_last_error();
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(text(out[0]), "127.0.0.1");
  ASSERT_EQ(ik__resolve("::1", IK_AF_INET6, out, 4, &n), IK_OK) << ik_last_error();
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(text(out[0]), "::1");
}

TEST(SystemResolve, ResolverFailureIsNameLookupWithTheName) {
  ik_address out[1];
  size_t n = 0;
  EXPECT_EQ(ik__resolve("::1", IK_AF_INET, out, 1, &n), IK_ENAMELOOKUP);
  EXPECT_TRUE(contains(ik_last_error(), "cannot resolve '::1': ")) << ik_last_error();
  EXPECT_EQ(n, 0u);
}

#if defined(__linux__)
namespace {

// Runs fn in a child process with private mount and network namespaces,
// where /etc/hosts is `hosts` and only lo (up) exists: getaddrinfo then
// answers from that file and no query can leave. fn's result comes back
// through a pipe; "SKIP: why" when the namespaces cannot be made.
std::string in_private_hosts(const std::string &hosts, const std::function<std::string()> &fn) {
  char path[] = "/tmp/ik-hosts-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return std::string("SKIP: mkstemp: ") + std::strerror(errno);
  bool written = write(fd, hosts.data(), hosts.size()) == static_cast<ssize_t>(hosts.size());
  close(fd);
  int p[2];
  if (!written || pipe(p) != 0) {
    unlink(path);
    return "SKIP: cannot prepare the hosts file";
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    std::string out;
    struct ifreq ifr {};
    int s = -1;
    std::strcpy(ifr.ifr_name, "lo");
    if (unshare(CLONE_NEWNS | CLONE_NEWNET) != 0)
      out = std::string("SKIP: unshare: ") + std::strerror(errno);
    // The kernel ignores the type of these two; "none" rather than NULL
    // keeps valgrind from reporting an unaddressable argument.
    else if (mount("none", "/", "none", MS_REC | MS_PRIVATE, nullptr) != 0 ||
             mount(path, "/etc/hosts", "none", MS_BIND, nullptr) != 0)
      out = std::string("SKIP: mount: ") + std::strerror(errno);
    else if ((s = socket(AF_INET, SOCK_DGRAM, 0)) < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0 ||
             (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) != 0))
      out = std::string("SKIP: bringing lo up: ") + std::strerror(errno);
    else
      out = fn();
    if (write(p[1], out.data(), out.size()) < 0) _exit(1);
    _exit(0);
  }
  close(p[1]);
  std::string out;
  char buf[256];
  ssize_t r;
  while ((r = read(p[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(r));
  close(p[0]);
  if (pid > 0) waitpid(pid, nullptr, 0);
  unlink(path);
  return pid < 0 ? "SKIP: fork failed" : out;
}

std::string resolve_all(const char *name, int family, size_t max) {
  std::vector<ik_address> out(max);
  size_t n = 0;
  int err = ik__resolve(name, family, out.data(), max, &n);
  if (err != 0) return std::string("ERR:") + ik_err_name(err) + " " + ik_last_error();
  std::string joined;
  for (size_t i = 0; i < n; i++) joined += (i ? " " : "") + text(out[i]);
  return joined;
}

// glibc returns these with ::1 first (RFC 6724 precedence) and with each
// address twice: the order icmplib would see is IPv4 first, once each.
const char kDualHosts[] =
    "127.0.0.5 dual.test\n::1 dual.test\n127.0.0.5 dual.test\n::1 dual.test\n127.0.0.6 dual.test\n";

#define IK_SKIP_UNLESS_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "needs root to make mount and network namespaces"

#define IK_SKIP_IF_SKIPPED(s) \
  if ((s).rfind("SKIP:", 0) == 0) GTEST_SKIP() << (s)

}  // namespace

TEST(SystemResolve, AnyFamilyListsIpv4FirstWithoutDuplicates) {
  IK_SKIP_UNLESS_ROOT();
  std::string got = in_private_hosts(kDualHosts, [] { return resolve_all("dual.test", 0, 8); });
  IK_SKIP_IF_SKIPPED(got);
  EXPECT_EQ(got, "127.0.0.5 127.0.0.6 ::1");
}

TEST(SystemResolve, MaxKeepsTheIpv4AddressesFirst) {
  IK_SKIP_UNLESS_ROOT();
  std::string got = in_private_hosts(kDualHosts, [] { return resolve_all("dual.test", 0, 2); });
  IK_SKIP_IF_SKIPPED(got);
  EXPECT_EQ(got, "127.0.0.5 127.0.0.6");
}

TEST(SystemResolve, OneFamilyOnly) {
  IK_SKIP_UNLESS_ROOT();
  // Not ::1 here: glibc answers an IPv4 query for a "::1" line with 127.0.0.1.
  std::string got = in_private_hosts("127.0.0.5 one.test\nfd00::5 one.test\n127.0.0.6 one.test\n", [] {
    return resolve_all("one.test", IK_AF_INET, 8) + " | " + resolve_all("one.test", IK_AF_INET6, 8);
  });
  IK_SKIP_IF_SKIPPED(got);
  EXPECT_EQ(got, "127.0.0.5 127.0.0.6 | fd00::5");
}

TEST(SystemResolve, NameWithoutAddressOfTheFamilyFails) {
  IK_SKIP_UNLESS_ROOT();
  std::string got =
      in_private_hosts("127.0.0.7 v4only.test\n", [] { return resolve_all("v4only.test", IK_AF_INET6, 8); });
  IK_SKIP_IF_SKIPPED(got);
  EXPECT_EQ(got.rfind("ERR:IK_ENAMELOOKUP cannot resolve 'v4only.test': ", 0), 0u) << got;
}
#endif

TEST(SystemClock, WallClockIsAfter2020) { EXPECT_GT(ik__now_wall(), 1577836800.0); }

TEST(SystemClock, MonotonicClockNeverGoesBack) {
  double a = ik__now_mono();
  double b = ik__now_mono();
  EXPECT_GT(a, 0.0);
  EXPECT_GE(b, a);
}

TEST(SystemRandom, TwoDrawsDiffer) {
  uint8_t a[32], b[32];
  ik__random_bytes(a, sizeof a);
  ik__random_bytes(b, sizeof b);
  EXPECT_NE(std::memcmp(a, b, sizeof a), 0);
}

TEST(SystemAtomic, FetchIncReturnsThePreviousValue) {
  volatile unsigned counter = 41;
  EXPECT_EQ(ik__atomic_fetch_inc(&counter), 41u);
  EXPECT_EQ(counter, 42u);
}

TEST(SystemAtomic, FetchIncWrapsAtUnsignedMax) {
  volatile unsigned counter = ~0u;
  EXPECT_EQ(ik__atomic_fetch_inc(&counter), ~0u);
  EXPECT_EQ(counter, 0u);
}

TEST(SystemProcess, ProcessIdIsStable) {
  EXPECT_NE(ik__process_id(), 0ul);
  EXPECT_EQ(ik__process_id(), ik__process_id());
}

TEST(SystemInterfaces, IndexAndNameRoundTrip) {
  char name[IK_ADDRSTRLEN];
  uint32_t index = 0;
  for (uint32_t i = 1; i < 64 && index == 0; i++)
    if (ik__if_name(i, name, sizeof name) == 0) index = i;
  if (index == 0) GTEST_SKIP() << "this machine names no network interface";
  EXPECT_EQ(ik__if_index(name), index);
}

TEST(SystemInterfaces, UnknownNamesAndIndexesFail) {
  char name[IK_ADDRSTRLEN];
  EXPECT_EQ(ik__if_index("nosuchif0"), 0u);
  EXPECT_EQ(ik__if_index(std::string(200, 'x').c_str()), 0u);
  EXPECT_EQ(ik__if_name(0, name, sizeof name), IK_EINVAL);
  EXPECT_EQ(ik__if_name(999999, name, sizeof name), IK_EINVAL);
  EXPECT_TRUE(contains(ik_last_error(), "999999")) << ik_last_error();
}
