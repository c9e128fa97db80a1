// Soak: 1,000,000 echoes (ICMPKIT_SOAK_ECHOES overrides) to loopback in one
// process through the synchronous socket API, rotating over IPv4/IPv6 x
// raw/DGRAM sockets, inside a private namespace; then as many through the
// async API, about 1,000 in flight over the same four kinds of socket. Memory and descriptors
// must not grow: resident set growth after warm-up < 1 MiB, and the same
// number of open descriptors at the end as after warm-up (and as before the
// sockets were opened, once they are closed).
// Its own executable and ctest (label soak) because it runs for a minute.
#include <dirent.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "adversary.h"
#include "pinger.h"

namespace adv {
namespace {

long ResidentBytes() {
  long pages = 0, resident = 0;
  FILE *f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  int n = std::fscanf(f, "%ld %ld", &pages, &resident);
  std::fclose(f);
  return n == 2 ? resident * sysconf(_SC_PAGESIZE) : -1;
}

int OpenDescriptors() {
  DIR *d = opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  int n = 0;
  while (readdir(d) != nullptr) ++n;
  closedir(d);
  return n - 3;  // ".", ".." and the directory's own descriptor
}

long Echoes() {
  const char *env = std::getenv("ICMPKIT_SOAK_ECHOES");
  return env ? std::atol(env) : 1000000L;
}

TEST_F(TunTest, MillionSyncEchoesToLoopbackLeakNeitherMemoryNorDescriptors) {
  const long total = Echoes();
  const long warmup = std::min(total / 10, 20000L);
  const Mode modes[] = {{4, false}, {4, true}, {6, false}, {6, true}};
  net_->Run([&] {
    int fds_before = OpenDescriptors();
    {
      std::vector<std::unique_ptr<Pinger>> socks;
      for (const Mode &m : modes) {
        socks.push_back(std::make_unique<Pinger>(m));
        ASSERT_TRUE(socks.back()->Ok());
      }
      long rss_warm = 0, failures = 0;
      int fds_warm = 0;
      for (long i = 0; i < total; ++i) {
        if (i == warmup) {
          rss_warm = ResidentBytes();
          fds_warm = OpenDescriptors();
        }
        size_t k = static_cast<size_t>(i) % 4;
        ik_request req;
        ASSERT_EQ(ik_request_init(&req, modes[k].family == 4 ? "127.0.0.1" : "::1", 0x5eed,
                                  i & 0xffff), 0);
        ik_reply reply;
        if (ik_socket_send(socks[k]->Sock(), &req) != 0 ||
            ik_socket_receive(socks[k]->Sock(), &req, 1.0, &reply) != 0) {
          if (++failures <= 5) ADD_FAILURE() << "echo " << i << ": " << ik_last_error();
        }
      }
      long growth = ResidentBytes() - rss_warm;
      EXPECT_EQ(failures, 0);
      EXPECT_LT(growth, 1024 * 1024) << "resident set grew by " << growth << " bytes";
      EXPECT_EQ(OpenDescriptors(), fds_warm);
      RecordProperty("echoes", std::to_string(total));
      RecordProperty("rss_growth_bytes", std::to_string(growth));
    }
    EXPECT_EQ(OpenDescriptors(), fds_before) << "closing the sockets left descriptors open";
  });
}

// The async soak: every completion sends the next echo on its socket and
// waits for it, so each socket keeps kInFlight receives pending.
struct AsyncSoak {
  static constexpr int kInFlight = 250;  // per socket; four sockets
  struct Slot {
    AsyncSoak *soak;
    size_t k;  // socket
    ik_request req;
  };
  event_base *base = nullptr;
  std::vector<ik_async *> asyncs;
  std::vector<const char *> dests;
  std::vector<uint16_t> sequence;
  std::vector<Slot> slots;
  long total = 0, issued = 0, completed = 0, failures = 0, warmup = 0;
  long rss_warm = 0;
  int fds_warm = 0;

  static void Done(int status, const ik_reply *, void *arg) {
    Slot *slot = static_cast<Slot *>(arg);
    AsyncSoak *s = slot->soak;
    if (status != 0 && ++s->failures <= 5)
      ADD_FAILURE() << "async echo: " << ik_err_name(status) << ": " << ik_last_error();
    if (++s->completed == s->warmup) {
      s->rss_warm = ResidentBytes();
      s->fds_warm = OpenDescriptors();
    }
    if (s->issued < s->total)
      s->Issue(slot);
    else if (s->completed == s->total)
      event_base_loopbreak(s->base);
  }
  void Issue(Slot *slot) {
    ++issued;
    int err = ik_request_init(&slot->req, dests[slot->k], 0x5eed, sequence[slot->k]++);
    if (err == 0) err = ik_async_send(asyncs[slot->k], &slot->req);
    if (err == 0) err = ik_async_receive(asyncs[slot->k], &slot->req, 2.0, Done, slot);
    if (err != 0) {  // no callback comes: count it here
      if (++failures <= 5) ADD_FAILURE() << "async send: " << ik_last_error();
      if (++completed == total) event_base_loopbreak(base);
    }
  }
};

TEST_F(TunTest, MillionAsyncEchoesToLoopbackLeakNeitherMemoryNorDescriptors) {
  const long total = Echoes();
  const Mode modes[] = {{4, false}, {4, true}, {6, false}, {6, true}};
  net_->Run([&] {
    int fds_before = OpenDescriptors();
    {
      std::vector<std::unique_ptr<Pinger>> socks;
      AsyncSoak soak;
      soak.total = total;
      soak.warmup = std::min(total / 10, 20000L);
      ASSERT_NE(soak.base = event_base_new(), nullptr);
      for (const Mode &m : modes) {
        socks.push_back(std::make_unique<Pinger>(m));
        ASSERT_TRUE(socks.back()->Ok());
        // A raw IPv4 socket also queues the DGRAM socket's replies: room
        // for both sockets' in-flight replies (root may exceed rmem_max).
        int size = 4 << 20;
        setsockopt(static_cast<int>(ik_socket_native(socks.back()->Sock())), SOL_SOCKET,
                   SO_RCVBUFFORCE, &size, sizeof size);
        ik_async *a = nullptr;
        ASSERT_EQ(ik_async_new(soak.base, socks.back()->Sock(), &a), 0) << ik_last_error();
        soak.asyncs.push_back(a);
        soak.dests.push_back(m.family == 4 ? "127.0.0.1" : "::1");
        soak.sequence.push_back(0);
      }
      soak.slots.resize(4 * AsyncSoak::kInFlight);
      for (size_t i = 0; i < soak.slots.size(); ++i) {
        soak.slots[i].soak = &soak;
        soak.slots[i].k = i % 4;
      }
      for (size_t i = 0; i < soak.slots.size() && soak.issued < total; ++i) soak.Issue(&soak.slots[i]);
      event_base_dispatch(soak.base);
      long growth = ResidentBytes() - soak.rss_warm;
      EXPECT_EQ(soak.completed, total);
      EXPECT_EQ(soak.failures, 0);
      EXPECT_LT(growth, 1024 * 1024) << "resident set grew by " << growth << " bytes";
      EXPECT_EQ(OpenDescriptors(), soak.fds_warm);
      RecordProperty("echoes", std::to_string(total));
      RecordProperty("rss_growth_bytes", std::to_string(growth));
      for (ik_async *a : soak.asyncs) ik_async_free(a);
      event_base_free(soak.base);
    }
    EXPECT_EQ(OpenDescriptors(), fds_before) << "closing the sockets left descriptors open";
  });
}

}  // namespace
}  // namespace adv
