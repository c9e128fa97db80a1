// Soak: 1,000,000 echoes (ICMPKIT_SOAK_ECHOES overrides) to loopback in one
// process through the synchronous socket API, rotating over IPv4/IPv6 x
// raw/DGRAM sockets, inside a private namespace. Memory and descriptors
// must not grow: resident set growth after warm-up < 1 MiB, and the same
// number of open descriptors at the end as after warm-up (and as before the
// sockets were opened, once they are closed).
// Its own executable and ctest (label soak) because it runs for a minute.
#include <dirent.h>
#include <unistd.h>

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

}  // namespace
}  // namespace adv
