// What ik_ping and `icmpkit ping --json` report for one host, in one form
// (HostResult), and the exact check of a result against an expectation.
// Used by the ping_*.cpp scenarios; the calls run in the calling thread's
// network namespace.
#ifndef IK_ADVERSARY_PING_HOST_H
#define IK_ADVERSARY_PING_HOST_H

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "pinger.h"

namespace adv {

enum class Path { kApi, kCli };
std::string PathString(Path p);
// Without it GoogleTest prints the enum's bytes.
void PrintTo(Path p, std::ostream *os);

// One entry of replies[]. In an expectation, ttl or bytes -1: not checked
// (what an ICMP error's TTL and size are depends on the socket mode).
struct Row {
  int sequence = -1;
  std::string source;
  int type = -1, code = -1, ttl = -1;
  long bytes = -1;
  bool duplicate = false;

  auto Key() const { return std::tie(sequence, duplicate, ttl, source, type, code, bytes); }
  bool operator==(const Row &o) const { return Key() == o.Key(); }
  bool operator<(const Row &o) const { return Key() < o.Key(); }
};
void PrintTo(const Row &r, std::ostream *os);

// One host's result, from ik_host or from the CLI's JSON line.
struct HostResult {
  bool ok = false;       // the call succeeded and gave one host
  int exit_status = -1;  // the CLI's
  std::string address;
  int sent = -1, received = -1, duplicates = -1;
  double loss = -1, min_rtt = -1, avg_rtt = -1, max_rtt = -1, jitter = -1;
  bool alive = false;
  std::vector<double> rtts;
  std::vector<Row> replies;
};

struct PingArgs {
  int count = 3;
  double interval = 0.05;
  double timeout = 1.0;
  int ttl = 64;
  long id = -1;  // ik_ping only (the CLI has no option for it)
};

struct Expected {
  int sent, received, duplicates;
  std::vector<Row> replies;
};

// ik_ping(target) in mode m.
HostResult ViaApi(const Mode &m, const char *target, const PingArgs &a);
// The command line of `icmpkit ping --json` for a, m and target.
std::vector<std::string> CliPingArgs(const Mode &m, const PingArgs &a, const char *target);
// The result in the CLI's stdout (one JSON line, every documented key).
HostResult FromJson(const std::string &out, int status);
// Runs CliPingArgs and reads its JSON.
HostResult ViaCli(const Mode &m, const char *target, const PingArgs &a);

// A result against the expectation: the counts exactly, the statistics
// consistent with them, replies[] exactly (in any order); cli: the exit
// status too.
void ExpectHost(const HostResult &r, const Expected &e, const PingArgs &a, const char *target,
                bool cli);

}  // namespace adv

#endif
