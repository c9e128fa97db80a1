// A host (or anyone on its path) that answers each echo request with an
// endless stream of copies of the genuine reply (issue 15): the pinger must
// stay bounded. Through ik_ping, ik_multiping (with a hosts array, and
// streaming through on_host), `icmpkit ping --json` and `icmpkit multiping
// --json`, in every socket mode. The pinging side is a child process
// (flood_pinger or the CLI), started through `flood_pinger rss` so that its
// peak RSS is its own (wait4; see flood_pinger.c for why a go-between).
//
// Each test runs the same command twice: once answered normally (the
// baseline), once flooded; the flood starts with the first request and
// lasts until the child exits. Asserted for the flooded run:
// - peak RSS: at most kMaxGrowthKib above the baseline's (and, outside
//   sanitizer builds, at most kMaxRssKib in all, the bound);
// - every probe answered: received == sent for every host (the flood
//   answers every request at once, so a probe counted lost is one the
//   pinger lost);
// - the copies counted: duplicates >= kMinDuplicates for every host, and
//   never more than the flooder wrote;
// - the duration: at most kSlackSeconds longer than the baseline's.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "adversary.h"
#include "hostile.h"
#include "pinger.h"
#include "process.h"

namespace adv {
namespace {

// The run: 3 probes 1 s apart (the issue's `ping -c 3 -i 3`, shortened to
// keep the suite's time: today's engine already fails it), 2 s timeout.
constexpr int kCount = 3;
constexpr const char *kInterval = "1";
constexpr const char *kTimeout = "2";
constexpr int kHosts = 4;  // multiping's targets

// Peak RSS, flooded. The bound for the CLI run is 16 MiB (iputils
// ping: 2.7 MiB under the same flood; today's engine: 138 MiB for the
// issue's run, 16 to 45 MiB for this shorter one, from a baseline of
// 2.5 MiB). Growth over the baseline: 4 MiB, room for receive batches
// filled to the last slot and a fixed number of copies kept per probe
// (the streaming multiping, which keeps none, grows by 0.1 MiB), far below
// what keeping every copy costs (about 8 MiB per second of flood). The
// growth bound also holds under ASan, whose own overhead (shadow memory,
// redzones) the baseline carries too.
constexpr long kMaxRssKib = 16 * 1024;
constexpr long kMaxGrowthKib = 4 * 1024;
// A flood through the tun delivers tens of thousands of copies a second
// even on a loaded machine; a pinger reading them for 2 s counts far more
// than 1,000. Fewer means it stopped reading or counting them.
constexpr int kMinDuplicates = 1000;
// Duration, flooded, against the baseline: time-driven (interval, timeout),
// so a pinger that keeps up ends on time; 1 s covers process start and the
// scheduling delays of a flooder taking one of the CI machine's 2 cores
// (the streaming multiping, bounded already, took +0.04 s at load 13),
// while one that falls behind the flood (today's: +1.1 to +3.6 s here;
// 11 s instead of 6 for the run) exceeds it.
constexpr double kSlackSeconds = 1.0;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// Writes copies of the genuine reply to every request that arrived since
// it started, one of each in turn, as fast as the tun takes them, until
// stopped.
class Flooder {
 public:
  explicit Flooder(TunNet &net)
      : net_(net), first_(net.Requests().size()), thread_([this] { Loop(); }) {}
  ~Flooder() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  size_t Copies() const { return copies_; }

 private:
  void Loop() {
    std::vector<Bytes> replies;
    while (!stop_) {
      std::vector<EchoRequest> rqs = net_.Requests();
      for (size_t i = first_ + replies.size(); i < rqs.size(); ++i) replies.push_back(GoodReply(rqs[i]));
      if (replies.empty()) {
        usleep(1000);
        continue;
      }
      for (int round = 0; round < 64 && !stop_; ++round)
        for (const Bytes &r : replies) {
          net_.Write(r);
          ++copies_;
        }
    }
  }

  TunNet &net_;
  const size_t first_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> copies_{0};
  std::thread thread_;
};

enum class Via { kPing, kMultiping, kStream, kCliPing, kCliMultiping };

std::string ViaString(Via v) {
  switch (v) {
    case Via::kPing: return "ik_ping";
    case Via::kMultiping: return "ik_multiping";
    case Via::kStream: return "ik_multiping_on_host";
    case Via::kCliPing: return "cli_ping_json";
    case Via::kCliMultiping: return "cli_multiping_json";
  }
  return "?";
}

// Without it GoogleTest prints the enum's bytes.
void PrintTo(Via v, std::ostream *os) { *os << ViaString(v); }

using Param = std::tuple<Mode, Via>;

std::string ParamName(const ::testing::TestParamInfo<Param> &info) {
  return ModeString(std::get<0>(info.param)) + "_" + ViaString(std::get<1>(info.param));
}

struct HostLine {
  std::string address;
  long sent = -1, received = -1, duplicates = -1, error = -1;
};

struct RunResult {
  int status = -1;
  double seconds = 0;
  long rss_kib = -1;
  std::vector<HostLine> hosts;
};

// The number after "key": in a JSON line (the counts come before the
// arrays; a full JSON parse of a line that holds every copy would cost the
// test what it measures); -1 when absent.
long JsonInt(const std::string &line, const std::string &key) {
  size_t at = line.find("\"" + key + "\":");
  return at == std::string::npos ? -1 : std::atol(line.c_str() + at + key.size() + 3);
}

std::string JsonString(const std::string &line, const std::string &key) {
  size_t at = line.find("\"" + key + "\":\"");
  if (at == std::string::npos) return "";
  at += key.size() + 4;
  return line.substr(at, line.find('"', at) - at);
}

std::vector<HostLine> ParseHosts(const std::string &out, bool json) {
  std::vector<HostLine> hosts;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    HostLine h;
    if (json) {
      h.address = JsonString(line, "address");
      h.sent = JsonInt(line, "packets_sent");
      h.received = JsonInt(line, "packets_received");
      h.duplicates = JsonInt(line, "duplicates");
      h.error = 0;
    } else {
      char addr[64];
      if (std::sscanf(line.c_str(), "%63s sent %ld received %ld duplicates %ld error %ld", addr,
                      &h.sent, &h.received, &h.duplicates, &h.error) != 5)
        continue;
      h.address = addr;
    }
    hosts.push_back(h);
  }
  return hosts;
}

class Flood : public TunFixture<::testing::TestWithParam<Param>> {
 protected:
  Mode M() const { return std::get<0>(GetParam()); }
  Via V() const { return std::get<1>(GetParam()); }
  bool Cli() const { return V() == Via::kCliPing || V() == Via::kCliMultiping; }
  bool Multi() const { return V() != Via::kPing && V() != Via::kCliPing; }

  std::vector<std::string> Targets() const {
    std::vector<std::string> t;
    for (int i = 1; i <= (Multi() ? kHosts : 1); ++i)
      t.push_back((M().family == 4 ? "198.18.1." : "fd00::1:") + std::to_string(i));
    return t;
  }

  std::vector<std::string> Command() const {
    std::vector<std::string> args = {ADV_FLOOD_PINGER, "rss"};
    if (Cli()) {
      args.insert(args.end(), {ADV_ICMPKIT_CLI, V() == Via::kCliPing ? "ping" : "multiping", "-c",
                               std::to_string(kCount), "-i", kInterval, "-W", kTimeout,
                               M().family == 4 ? "-4" : "-6",
                               M().dgram ? "--unprivileged" : "--privileged", "--json"});
    } else {
      const char *kind = V() == Via::kPing ? "ping" : V() == Via::kMultiping ? "multiping" : "stream";
      args.insert(args.end(), {ADV_FLOOD_PINGER, kind, std::to_string(M().family),
                               M().dgram ? "dgram" : "raw", std::to_string(kCount), kInterval, kTimeout});
    }
    for (const std::string &t : Targets()) args.push_back(t);
    return args;
  }

  // Runs the command inside the network and waits for it.
  RunResult RunOnce() {
    RunResult r;
    net_->Run([&] {
      auto t0 = std::chrono::steady_clock::now();
      Child c = Spawn(Command());
      ASSERT_GT(c.pid, 0) << "cannot start " << Command()[0];
      Finished f = Finish(c);
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      r.status = f.status;
      size_t last = f.out.rfind("rss ");
      ASSERT_NE(last, std::string::npos) << "no peak RSS from flood_pinger rss";
      r.rss_kib = std::atol(f.out.c_str() + last + 4);
      r.hosts = ParseHosts(f.out.substr(0, last), Cli());
    });
    return r;
  }

  // Every target reported once, every probe answered.
  void ExpectAllAnswered(const RunResult &r, const char *what) {
    EXPECT_EQ(r.status, 0) << what;
    std::vector<std::string> want = Targets();
    ASSERT_EQ(r.hosts.size(), want.size()) << what;
    for (size_t i = 0; i < want.size(); ++i) {
      const HostLine &h = r.hosts[i];
      EXPECT_EQ(h.address, want[i]) << what;
      EXPECT_EQ(h.error, 0) << what << " " << h.address;
      EXPECT_EQ(h.sent, kCount) << what << " " << h.address;
      EXPECT_EQ(h.received, kCount) << what << " " << h.address << ": an answered probe counted lost";
    }
  }
};

TEST_P(Flood, CopiesOfEveryReplyLeaveRssFlatEveryProbeAnsweredAndTheDurationUnchanged) {
  RunResult base = RunOnce();
  ExpectAllAnswered(base, "baseline");
  for (const HostLine &h : base.hosts) EXPECT_EQ(h.duplicates, 0) << "baseline " << h.address;
  ASSERT_GT(base.rss_kib, 0);

  net_->SetScript([](const EchoRequest &rq, TunNet &n) { n.Write(GoodReply(rq)); });
  Flooder flooder(*net_);
  RunResult flooded = RunOnce();
  flooder.Stop();
  size_t copies = flooder.Copies();

  ExpectAllAnswered(flooded, "flooded");
  for (const HostLine &h : flooded.hosts) {
    EXPECT_GE(h.duplicates, kMinDuplicates) << h.address << ": the copies were not counted";
    EXPECT_LE(static_cast<size_t>(h.duplicates), copies) << h.address << ": more copies counted than sent";
  }
  EXPECT_LE(flooded.rss_kib - base.rss_kib, kMaxGrowthKib)
      << "peak RSS " << flooded.rss_kib << " KiB flooded, " << base.rss_kib << " KiB not";
  if (!kSanitized) {
    EXPECT_LE(flooded.rss_kib, kMaxRssKib);
  }
  EXPECT_LE(flooded.seconds, base.seconds + kSlackSeconds)
      << "flooded run took " << flooded.seconds << " s, the baseline " << base.seconds << " s";
  RecordProperty("baseline_rss_kib", static_cast<int>(base.rss_kib));
  RecordProperty("flooded_rss_kib", static_cast<int>(flooded.rss_kib));
  RecordProperty("copies_written", static_cast<int>(copies));
  std::printf("[ flood    ] rss %ld -> %ld KiB, %.2f -> %.2f s, %zu copies written, duplicates:", base.rss_kib,
              flooded.rss_kib, base.seconds, flooded.seconds, copies);
  for (const HostLine &h : flooded.hosts) std::printf(" %ld", h.duplicates);
  std::printf("\n");
}

INSTANTIATE_TEST_SUITE_P(Modes, Flood,
                         ::testing::Combine(AllModes(),
                                            ::testing::Values(Via::kPing, Via::kMultiping, Via::kStream,
                                                              Via::kCliPing, Via::kCliMultiping)),
                         ParamName);

}  // namespace
}  // namespace adv
