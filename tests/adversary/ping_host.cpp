#include "ping_host.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "../unit/cli_json_parser.h"
#include "process.h"

namespace adv {

std::string PathString(Path p) { return p == Path::kApi ? "ik_ping" : "cli_json"; }
void PrintTo(Path p, std::ostream *os) { *os << PathString(p); }

void PrintTo(const Row &r, std::ostream *os) {
  *os << "{seq " << r.sequence << " from " << r.source << " type " << r.type << "/" << r.code
      << " ttl " << r.ttl << " bytes " << r.bytes << (r.duplicate ? " DUPLICATE}" : "}");
}

HostResult ViaApi(const Mode &m, const char *target, const PingArgs &a) {
  HostResult r;
  ik_ping_options o;
  ik_ping_options_init(&o);
  o.count = a.count;
  o.interval = a.interval;
  o.timeout = a.timeout;
  o.family = m.family;
  o.privileged = m.dgram ? 0 : 1;
  o.ttl = a.ttl;
  o.id = a.id;
  ik_host h;
  std::memset(&h, 0, sizeof h);
  int err = ik_ping(target, &o, &h);
  EXPECT_EQ(err, 0) << ik_err_name(err) << ": " << ik_last_error();
  EXPECT_EQ(h.error, 0) << ik_err_name(h.error);
  if (err != 0) return r;
  r.ok = true;
  r.address = h.address;
  r.sent = h.packets_sent;
  r.received = h.packets_received;
  r.duplicates = h.duplicates;
  r.loss = h.packet_loss;
  r.min_rtt = h.min_rtt;
  r.avg_rtt = h.avg_rtt;
  r.max_rtt = h.max_rtt;
  r.jitter = h.jitter;
  r.alive = h.is_alive != 0;
  r.rtts.assign(h.rtts, h.rtts + h.rtts_len);
  for (size_t i = 0; i < h.replies_len; ++i) {
    const ik_probe_reply &p = h.replies[i];
    EXPECT_EQ(p.sequence, p.reply.sequence) << "replies[" << i << "]";
    r.replies.push_back({p.sequence, p.reply.source, p.reply.type, p.reply.code, p.reply.ttl,
                         static_cast<long>(p.reply.bytes_received),
                         (p.reply.flags & IK_REPLY_DUPLICATE) != 0});
  }
  ik_host_free(&h);
  return r;
}

namespace {
// The documented keys (issue 4), in the order the CLI writes them.
const std::vector<std::string> kHostKeys = {
    "address", "packets_sent", "packets_received", "packet_loss", "min_rtt", "avg_rtt",
    "max_rtt", "jitter",       "rtts",             "is_alive",    "duplicates", "send_errors",
    "local_drops", "replies"}; /* send_errors: issue 17; local_drops: issue 19 */
const std::vector<std::string> kReplyKeys = {"sequence", "source", "type",           "code",
                                             "rtt",      "ttl",    "bytes_received", "duplicate"};

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}
}  // namespace

std::vector<std::string> CliPingArgs(const Mode &m, const PingArgs &a, const char *target) {
  return {ADV_ICMPKIT_CLI, "ping", "-c", std::to_string(a.count), "-i", Seconds(a.interval),
          "-W", Seconds(a.timeout), "-t", std::to_string(a.ttl), m.family == 4 ? "-4" : "-6",
          m.dgram ? "--unprivileged" : "--privileged", "--json", target};
}

HostResult FromJson(const std::string &out, int status) {
  HostResult r;
  r.exit_status = status;
  std::vector<testjson::Value> lines;
  try {
    lines = testjson::ParseLines(out);
  } catch (const std::exception &e) {
    ADD_FAILURE() << e.what() << "\nstdout:\n" << out;
    return r;
  }
  EXPECT_EQ(lines.size(), 1u) << out;
  if (lines.size() != 1) return r;
  try {
    const testjson::Value &h = lines[0];
    EXPECT_EQ(h.keys(), kHostKeys) << out;
    auto num = [](const testjson::Value &v) {
      if (v.kind != testjson::Value::Number) throw std::runtime_error("not a number");
      return v.num;
    };
    auto integer = [&](const testjson::Value &v) {
      double d = num(v);
      if (d != std::floor(d)) throw std::runtime_error("not an integer");
      return static_cast<int>(d);
    };
    auto boolean = [](const testjson::Value &v) {
      if (v.kind != testjson::Value::Bool) throw std::runtime_error("not a boolean");
      return v.b;
    };
    r.address = h["address"].str;
    r.sent = integer(h["packets_sent"]);
    r.received = integer(h["packets_received"]);
    r.loss = num(h["packet_loss"]);
    r.min_rtt = num(h["min_rtt"]);
    r.avg_rtt = num(h["avg_rtt"]);
    r.max_rtt = num(h["max_rtt"]);
    r.jitter = num(h["jitter"]);
    for (const testjson::Value &v : h["rtts"].arr) r.rtts.push_back(num(v));
    r.alive = boolean(h["is_alive"]);
    r.duplicates = integer(h["duplicates"]);
    for (const testjson::Value &p : h["replies"].arr) {
      EXPECT_EQ(p.keys(), kReplyKeys) << out;
      const testjson::Value &ttl = p["ttl"];
      r.replies.push_back({integer(p["sequence"]), p["source"].str, integer(p["type"]),
                           integer(p["code"]), ttl.kind == testjson::Value::Null ? -1 : integer(ttl),
                           integer(p["bytes_received"]), boolean(p["duplicate"])});
    }
  } catch (const std::exception &e) {
    ADD_FAILURE() << e.what() << "\nstdout:\n" << out;
    return r;
  }
  r.ok = true;
  return r;
}

HostResult ViaCli(const Mode &m, const char *target, const PingArgs &a) {
  Child c = Spawn(CliPingArgs(m, a, target));
  EXPECT_GT(c.pid, 0) << "cannot start " << ADV_ICMPKIT_CLI;
  Finished f = Finish(c);
  return FromJson(f.out, f.status);
}

void ExpectHost(const HostResult &r, const Expected &e, const PingArgs &a, const char *target,
                bool cli) {
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.address, target);
  EXPECT_EQ(r.sent, e.sent);
  EXPECT_EQ(r.received, e.received);
  EXPECT_EQ(r.duplicates, e.duplicates);
  EXPECT_EQ(r.alive, e.received > 0);
  EXPECT_DOUBLE_EQ(r.loss, std::round((1.0 - double(e.received) / e.sent) * 1000.0) / 1000.0);
  EXPECT_EQ(r.rtts.size(), static_cast<size_t>(e.received));
  for (double rtt : r.rtts) {
    EXPECT_GT(rtt, 0.0);
    EXPECT_LE(rtt, a.timeout * 1000.0) << "a reply counted after its timeout";
  }
  if (e.received == 0) {
    EXPECT_EQ(r.min_rtt, 0.0);
    EXPECT_EQ(r.avg_rtt, 0.0);
    EXPECT_EQ(r.max_rtt, 0.0);
    EXPECT_EQ(r.jitter, 0.0);
  } else {
    EXPECT_LE(r.min_rtt, r.avg_rtt);
    EXPECT_LE(r.avg_rtt, r.max_rtt);
  }
  if (cli) {
    EXPECT_EQ(r.exit_status, e.received > 0 ? 0 : 1);
  }
  std::vector<Row> want = e.replies, got = r.replies;
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    if (want[i].ttl == -1) got[i].ttl = -1;
    if (want[i].bytes == -1) got[i].bytes = -1;
  }
  EXPECT_EQ(got, want) << "replies[] differ (sorted by sequence)";
}

}  // namespace adv
