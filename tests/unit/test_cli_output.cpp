// Human and JSON output of the CLI, from hand-made results.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "cli_json_parser.h"

extern "C" {
#include "output.h"
}

namespace {

ik_probe_reply Reply(int family, const char *source, uint16_t seq, int type, int code, double rtt,
                     int ttl = 64, bool dup = false) {
  ik_probe_reply p;
  std::memset(&p, 0, sizeof p);
  p.sequence = seq;
  p.rtt = rtt;
  std::snprintf(p.reply.source, sizeof p.reply.source, "%s", source);
  p.reply.family = family;
  ik_address_parse(source, &p.reply.source_addr);
  p.reply.sequence = seq;
  p.reply.type = type;
  p.reply.code = code;
  p.reply.bytes_received = 64;
  p.reply.ttl = ttl;
  p.reply.flags = dup ? IK_REPLY_DUPLICATE : 0;
  return p;
}

// A result as the library would give it; the vectors must outlive it.
struct Host {
  std::vector<double> rtts;
  std::vector<ik_probe_reply> replies;
  ik_host h;
  Host(const char *address, int sent, std::vector<double> r, std::vector<ik_probe_reply> rep)
      : rtts(std::move(r)), replies(std::move(rep)) {
    std::memset(&h, 0, sizeof h);
    std::snprintf(h.address, sizeof h.address, "%s", address);
    h.packets_sent = sent;
    h.packets_received = static_cast<int>(rtts.size());
    h.rtts = rtts.data();
    h.rtts_len = rtts.size();
    h.replies = replies.data();
    h.replies_len = replies.size();
    h.is_alive = !rtts.empty();
  }
};

struct Out {
  ikcli_buf b = {};
  ~Out() { ikcli_buf_free(&b); }
  std::string str() const { return b.data ? std::string(b.data, b.len) : std::string(); }
};

}  // namespace

TEST(CliOutput, PingHeaderFollowsIputils) {
  Out o;
  ikcli_ping_header(&o.b, "localhost", "127.0.0.1", IK_AF_INET, 56);
  ikcli_ping_header(&o.b, "::1", "::1", IK_AF_INET6, 100);
  EXPECT_EQ(o.str(),
            "PING localhost (127.0.0.1) 56(84) bytes of data.\n"
            "PING ::1 (::1) 100 data bytes\n");
}

TEST(CliOutput, PingReplyLinesShowBytesSourceSequenceTtlTimeAndDuplicates) {
  Host h("127.0.0.1", 2, {0.0423, 1.5},
         {Reply(4, "127.0.0.1", 0, 0, 0, 0.0423), Reply(4, "127.0.0.1", 1, 0, 0, 1.5, -1),
          Reply(4, "127.0.0.1", 1, 0, 0, 12.25, 63, true)});
  Out o;
  ikcli_ping_replies(&o.b, &h.h);
  EXPECT_EQ(o.str(),
            "64 bytes from 127.0.0.1: icmp_seq=0 ttl=64 time=0.042 ms\n"
            "64 bytes from 127.0.0.1: icmp_seq=1 time=1.50 ms\n"
            "64 bytes from 127.0.0.1: icmp_seq=1 ttl=63 time=12.2 ms (DUP!)\n");
}

TEST(CliOutput, IcmpErrorsReadFromRouterWithIputilsText) {
  Host h("198.18.9.9", 3, {},
         {Reply(4, "198.18.0.1", 0, 3, 0, 0.2), Reply(4, "198.18.0.1", 1, 11, 0, 0.3),
          Reply(6, "fd00::1", 2, 1, 3, 0.4)});
  Out o;
  ikcli_ping_replies(&o.b, &h.h);
  EXPECT_EQ(o.str(),
            "From 198.18.0.1 icmp_seq=0 Destination Net Unreachable\n"
            "From 198.18.0.1 icmp_seq=1 Time to live exceeded\n"
            "From fd00::1 icmp_seq=2 Destination unreachable: Address unreachable\n");
}

TEST(CliOutput, UnnamedCodesAndOtherTypesReadAsIputilsOrIcmplibSays) {
  Host h("198.18.9.9", 9, {},
         {Reply(4, "198.18.0.1", 0, 3, 16, 0.1), Reply(4, "198.18.0.1", 1, 11, 2, 0.1),
          Reply(4, "198.18.0.1", 2, 4, 0, 0.1), Reply(4, "198.18.0.1", 3, 12, 1, 0.1),
          Reply(4, "198.18.0.1", 4, 5, 1, 0.1), Reply(6, "fd00::1", 5, 1, 2, 0.1),
          Reply(6, "fd00::1", 6, 3, 7, 0.1), Reply(6, "fd00::1", 7, 2, 0, 0.1),
          Reply(6, "fd00::1", 8, 4, 1, 0.1), Reply(6, "fd00::1", 9, 137, 0, 0.1)});
  Out o;
  ikcli_ping_replies(&o.b, &h.h);
  EXPECT_EQ(o.str(),
            "From 198.18.0.1 icmp_seq=0 Dest Unreachable, Bad Code: 16\n"
            "From 198.18.0.1 icmp_seq=1 Time exceeded, Bad Code: 2\n"
            "From 198.18.0.1 icmp_seq=2 Source Quench\n"
            "From 198.18.0.1 icmp_seq=3 Parameter problem\n"
            "From 198.18.0.1 icmp_seq=4 Error type: 5, code: 1\n"
            "From fd00::1 icmp_seq=5 Destination unreachable: Unknown code 2\n"
            "From fd00::1 icmp_seq=6 Time exceeded: code 7\n"
            "From fd00::1 icmp_seq=7 Packet too big\n"
            "From fd00::1 icmp_seq=8 Parameter problem: code 1\n"
            "From fd00::1 icmp_seq=9 Error type: 137, code: 0\n");
}

TEST(CliOutput, RttPrecisionFallsAsTheTimeGrows) {
  char t[32];
  const std::pair<double, const char *> cases[] = {
      {0.0, "0.000"}, {0.0424, "0.042"}, {0.9994, "0.999"}, {1.0, "1.00"},  {9.994, "9.99"},
      {9.996, "10.0"}, {99.94, "99.9"},  {99.96, "100"},    {1234.4, "1234"}};
  for (const auto &c : cases) {
    ikcli_format_rtt(t, sizeof t, c.first);
    EXPECT_STREQ(t, c.second) << c.first;
  }
}

TEST(CliOutput, PingStatisticsCountDuplicatesErrorsLossAndRtts) {
  Host h("198.18.0.2", 4, {1.0, 3.0},
         {Reply(4, "198.18.0.2", 0, 0, 0, 1.0), Reply(4, "198.18.0.2", 1, 0, 0, 3.0),
          Reply(4, "198.18.0.2", 1, 0, 0, 3.5, 64, true), Reply(4, "198.18.0.1", 2, 3, 1, 0.5)});
  h.h.duplicates = 1;
  h.h.min_rtt = 1.0;
  h.h.avg_rtt = 2.0;
  h.h.max_rtt = 3.0;
  h.h.jitter = 2.0;
  Out o;
  ikcli_ping_statistics(&o.b, "router", &h.h, 3004.4);
  EXPECT_EQ(o.str(),
            "\n--- router ping statistics ---\n"
            "4 packets transmitted, 2 received, +1 duplicates, +1 errors, 50% packet loss, "
            "time 3004ms\n"
            "rtt min/avg/max/mdev = 1.000/2.000/3.000/1.000 ms, jitter 2.000 ms\n");
}

TEST(CliOutput, PingStatisticsWithoutAnswersHaveNoRttLine) {
  Host h("198.18.0.3", 3, {}, {});
  Out o;
  ikcli_ping_statistics(&o.b, "198.18.0.3", &h.h, 2000);
  EXPECT_EQ(o.str(),
            "\n--- 198.18.0.3 ping statistics ---\n"
            "3 packets transmitted, 0 received, 100% packet loss, time 2000ms\n");
}

TEST(CliOutput, PingLossKeepsIputilsPrecision) {
  Host h("x", 3, {1.0}, {Reply(4, "127.0.0.1", 0, 0, 0, 1.0)});
  Out o;
  ikcli_ping_statistics(&o.b, "x", &h.h, 0);
  EXPECT_NE(o.str().find(", 66.6667% packet loss,"), std::string::npos) << o.str();
}

TEST(CliOutput, MultipingLinesFollowFpingSummaryAndPadAddresses) {
  Host alive("127.0.0.1", 2, {0.031, 0.049}, {});
  alive.h.min_rtt = 0.031;
  alive.h.avg_rtt = 0.04;
  alive.h.max_rtt = 0.049;
  Host dead("fd00::99", 2, {}, {});
  Host failed("198.18.0.255", 0, {}, {});
  failed.h.error = IK_EBROADCAST;
  Out o;
  ikcli_multiping_line(&o.b, &alive.h, 12);
  ikcli_multiping_line(&o.b, &dead.h, 12);
  ikcli_multiping_line(&o.b, &failed.h, 12);
  ikcli_multiping_summary(&o.b, 1, 3, 0);
  EXPECT_EQ(o.str(),
            "127.0.0.1    : xmt/rcv/%loss = 2/2/0%, min/avg/max = 0.031/0.040/0.049\n"
            "fd00::99     : xmt/rcv/%loss = 2/0/100%\n"
            "198.18.0.255 : broadcast is not enabled on the socket\n"
            "\n1 of 3 hosts alive\n");
}

TEST(CliOutput, MultipingSummaryNamesLocalDropsWhenThereWereSome) {
  Out o;
  ikcli_multiping_summary(&o.b, 3, 3, 1234);
  EXPECT_EQ(o.str(),
            "\n3 of 3 hosts alive\n"
            "1234 replies dropped by this host (receive queue full): hosts that had not "
            "answered were probed once more\n");
}

TEST(CliOutput, TracerouteLinesShowTimesMarksAndStars) {
  ik_hop hops[3];
  Host h1("198.18.0.1", 2, {0.05, 0.04},
          {Reply(4, "198.18.0.1", 0, 11, 0, 0.05), Reply(4, "198.18.0.1", 1, 11, 0, 0.04)});
  Host h2("198.18.1.1", 2, {0.061}, {Reply(4, "198.18.1.1", 2, 11, 0, 0.061)});
  Host h3("198.18.2.1", 2, {1.5}, {Reply(4, "198.18.2.1", 4, 3, 1, 1.5)});
  hops[0].host = h1.h;
  hops[0].distance = 1;
  hops[1].host = h2.h;
  hops[1].distance = 2;
  hops[2].host = h3.h;
  hops[2].distance = 12;
  Out o;
  ikcli_traceroute_header(&o.b, "target", "198.18.3.2", IK_AF_INET, 30, 56);
  ikcli_traceroute_hop(&o.b, &hops[0], 2);
  ikcli_traceroute_hop(&o.b, &hops[1], 2);
  ikcli_traceroute_silent(&o.b, 3, 2);
  ikcli_traceroute_hop(&o.b, &hops[2], 2);
  EXPECT_EQ(o.str(),
            "traceroute to target (198.18.3.2), 30 hops max, 84 byte packets\n"
            " 1  198.18.0.1  0.050 ms  0.040 ms\n"
            " 2  198.18.1.1  0.061 ms *\n"
            " 3  * *\n"
            "12  198.18.2.1  1.50 ms !H *\n");
}

TEST(CliOutput, TracerouteNamesASecondResponderAtTheSameDistance) {
  ik_hop hop;
  Host h("198.18.1.1", 3, {0.1, 0.2, 0.3},
         {Reply(4, "198.18.1.1", 0, 11, 0, 0.1), Reply(4, "198.18.9.1", 1, 11, 0, 0.2),
          Reply(4, "198.18.9.1", 2, 11, 0, 0.3)});
  hop.host = h.h;
  hop.distance = 2;
  Out o;
  ikcli_traceroute_hop(&o.b, &hop, 4);
  EXPECT_EQ(o.str(), " 2  198.18.1.1  0.100 ms  198.18.9.1  0.200 ms  0.300 ms *\n");
}

TEST(CliOutput, OneReplyLineIsWhatThePingListPrints) {
  ik_probe_reply p = Reply(6, "fd00::2", 7, 129, 0, 0.5, 63);
  ik_probe_reply e = Reply(6, "fd00::1", 8, 3, 0, 0.5);
  Out o;
  ikcli_ping_reply(&o.b, &p);
  ikcli_ping_reply(&o.b, &e);
  EXPECT_EQ(o.str(),
            "64 bytes from fd00::2: icmp_seq=7 ttl=63 time=0.500 ms\n"
            "From fd00::1 icmp_seq=8 Time exceeded: Hop limit\n");
}

TEST(CliOutput, TracerouteHeaderCountsIpv6Headers) {
  Out o;
  ikcli_traceroute_header(&o.b, "fd00::9", "fd00::9", IK_AF_INET6, 5, 56);
  EXPECT_EQ(o.str(), "traceroute to fd00::9 (fd00::9), 5 hops max, 104 byte packets\n");
}

TEST(CliOutput, JsonHostHasExactlyTheIssueKeysAndValues) {
  Host h("127.0.0.1", 3, {0.5, 1.25},
         {Reply(4, "127.0.0.1", 0, 0, 0, 0.5), Reply(4, "127.0.0.1", 1, 0, 0, 1.25, -1),
          Reply(4, "127.0.0.1", 1, 0, 0, 2.0, 64, true)});
  h.h.packet_loss = 0.333;
  h.h.min_rtt = 0.5;
  h.h.avg_rtt = 0.875;
  h.h.max_rtt = 1.25;
  h.h.jitter = 0.75;
  h.h.duplicates = 1;
  Out o;
  ikcli_json_host(&o.b, &h.h, -1);
  std::vector<testjson::Value> lines = testjson::ParseLines(o.str());
  ASSERT_EQ(lines.size(), 1u);
  const testjson::Value &v = lines[0];
  EXPECT_EQ(v.keys(), (std::vector<std::string>{"address", "packets_sent", "packets_received",
                                                "packet_loss", "min_rtt", "avg_rtt", "max_rtt",
                                                "jitter", "rtts", "is_alive", "duplicates",
                                                "send_errors", "local_drops", "replies"}));
  EXPECT_EQ(v["address"].str, "127.0.0.1");
  EXPECT_EQ(v["packets_sent"].num, 3);
  EXPECT_EQ(v["packets_received"].num, 2);
  EXPECT_EQ(v["packet_loss"].num, 0.333);
  EXPECT_EQ(v["min_rtt"].num, 0.5);
  EXPECT_EQ(v["avg_rtt"].num, 0.875);
  EXPECT_EQ(v["max_rtt"].num, 1.25);
  EXPECT_EQ(v["jitter"].num, 0.75);
  ASSERT_EQ(v["rtts"].arr.size(), 2u);
  EXPECT_EQ(v["rtts"].arr[1].num, 1.25);
  EXPECT_EQ(v["is_alive"].kind, testjson::Value::Bool);
  EXPECT_TRUE(v["is_alive"].b);
  EXPECT_EQ(v["duplicates"].num, 1);
  const auto &r = v["replies"].arr;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].keys(), (std::vector<std::string>{"sequence", "source", "type", "code", "rtt",
                                                   "ttl", "bytes_received", "duplicate"}));
  EXPECT_EQ(r[0]["ttl"].num, 64);
  EXPECT_EQ(r[1]["ttl"].kind, testjson::Value::Null);
  EXPECT_EQ(r[1]["sequence"].num, 1);
  EXPECT_EQ(r[1]["bytes_received"].num, 64);
  EXPECT_FALSE(r[1]["duplicate"].b);
  EXPECT_TRUE(r[2]["duplicate"].b);
  EXPECT_EQ(r[2]["rtt"].num, 2.0);
}

TEST(CliOutput, JsonRttsAreMillisecondsToTheMicrosecond) {
  // RTTs as the clock gives them: the JSON shows three decimals, as the
  // text output does, not the arithmetic's last digits.
  Host h("127.0.0.1", 2, {0.49996376037597656, 0.07224082946777344},
         {Reply(4, "127.0.0.1", 0, 0, 0, 0.49996376037597656),
          Reply(4, "127.0.0.1", 1, 0, 0, 0.07224082946777344)});
  Out o;
  ikcli_json_host(&o.b, &h.h, -1);
  EXPECT_NE(o.str().find("\"rtts\":[0.5,0.072]"), std::string::npos) << o.str();
  EXPECT_EQ(o.str().find("0.4999"), std::string::npos) << o.str();
  EXPECT_EQ(o.str().find("0.07224"), std::string::npos) << o.str();
  const testjson::Value v = testjson::ParseLines(o.str()).at(0);
  EXPECT_EQ(v["replies"].arr.at(0)["rtt"].num, 0.5);
  EXPECT_EQ(v["replies"].arr.at(1)["rtt"].num, 0.072);
}

TEST(CliOutput, JsonHopAddsDistanceAndTraceEndsWithASummary) {
  Host h("fd00::1", 2, {}, {Reply(6, "fd00::1", 0, 3, 0, 0.25)});
  Out o;
  ikcli_json_host(&o.b, &h.h, 7);
  ikcli_json_trace_end(&o.b, "fd00::9", IK_TRACE_MAX_HOPS, nullptr, 1);
  std::vector<testjson::Value> lines = testjson::ParseLines(o.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["distance"].num, 7);
  EXPECT_FALSE(lines[0]["is_alive"].b);
  EXPECT_EQ(lines[0]["replies"].arr[0]["type"].num, 3);
  EXPECT_EQ(lines[0]["replies"].arr[0]["source"].str, "fd00::1");
  EXPECT_EQ(lines[1].keys(), (std::vector<std::string>{"destination", "reached", "hops", "end"}));
  EXPECT_EQ(lines[1]["destination"].str, "fd00::9");
  EXPECT_FALSE(lines[1]["reached"].b);
  EXPECT_EQ(lines[1]["hops"].num, 1);
  EXPECT_EQ(lines[1]["end"].str, "max_hops");
}

TEST(CliOutput, JsonTraceEndSaysWhichAnswerEndedIt) {
  ik_probe_reply why = Reply(6, "fd00::3", 4, 1, 1, 0.25);
  Out o;
  ikcli_json_trace_end(&o.b, "fd00::9", IK_TRACE_UNREACHABLE, &why, 3);
  ikcli_json_trace_end(&o.b, "fd00::9", IK_TRACE_REACHED, nullptr, 4);
  ikcli_json_trace_end(&o.b, "fd00::9", IK_TRACE_MORE, nullptr, 0);
  std::vector<testjson::Value> lines = testjson::ParseLines(o.str());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].keys(), (std::vector<std::string>{"destination", "reached", "hops", "end", "annotation",
                                                       "source", "type", "code"}));
  EXPECT_EQ(lines[0]["end"].str, "unreachable");
  EXPECT_EQ(lines[0]["annotation"].str, "!X");
  EXPECT_EQ(lines[0]["source"].str, "fd00::3");
  EXPECT_EQ(lines[0]["type"].num, 1);
  EXPECT_EQ(lines[0]["code"].num, 1);
  EXPECT_TRUE(lines[1]["reached"].b);
  EXPECT_EQ(lines[1]["end"].str, "reached");
  EXPECT_EQ(lines[2]["end"].str, "interrupted");
}

/* traceroute(8) 2.1.2's parse_icmp_res, code by code. */
TEST(CliOutput, TraceAnnotationsAreTracerouteEights) {
  struct Case {
    int family, type, code;
    const char *mark;
  } cases[] = {
      {4, 0, 0, ""},       {4, 11, 0, ""},      {4, 11, 1, "!<11-1>"}, {4, 3, 0, "!N"},
      {4, 3, 1, "!H"},     {4, 3, 2, "!P"},     {4, 3, 3, ""},         {4, 3, 4, "!F"},
      {4, 3, 5, "!S"},     {4, 3, 6, "!N"},     {4, 3, 7, "!H"},       {4, 3, 8, "!N"},
      {4, 3, 9, "!X"},     {4, 3, 10, "!X"},    {4, 3, 11, "!N"},      {4, 3, 12, "!H"},
      {4, 3, 13, "!X"},    {4, 3, 14, "!V"},    {4, 3, 15, "!C"},      {4, 3, 16, "!<16>"},
      {4, 12, 0, "!<12-0>"}, {6, 129, 0, ""},   {6, 3, 0, ""},         {6, 3, 1, "!<3-1>"},
      {6, 1, 0, "!N"},     {6, 1, 1, "!X"},     {6, 1, 2, "!H"},       {6, 1, 3, "!H"},
      {6, 1, 4, ""},       {6, 1, 5, "!<5>"},   {6, 1, 6, "!<6>"},     {6, 2, 0, "!F"},
      {6, 4, 0, "!<4-0>"},
  };
  for (const Case &c : cases) {
    ik_probe_reply p = Reply(c.family, c.family == 4 ? "198.18.0.1" : "fd00::1", 0, c.type, c.code, 1.0);
    char buf[24];
    EXPECT_STREQ(ikcli_trace_annotation(&p.reply, buf, sizeof buf), c.mark)
        << "v" << c.family << " " << c.type << "/" << c.code;
  }
}

TEST(CliOutput, JsonStaysValidWithHostileTextAndNonFiniteNumbers) {
  Host h("a\"b\\c\n\x01\xff", 1, {1.0}, {});
  h.h.avg_rtt = std::numeric_limits<double>::quiet_NaN();
  h.h.jitter = std::numeric_limits<double>::infinity();
  Out o;
  ikcli_json_host(&o.b, &h.h, -1);
  std::vector<testjson::Value> lines = testjson::ParseLines(o.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["address"].str, "a\"b\\c\n\x01\xef\xbf\xbd");
  EXPECT_EQ(lines[0]["avg_rtt"].kind, testjson::Value::Null);
  EXPECT_EQ(lines[0]["jitter"].kind, testjson::Value::Null);
}

TEST(CliOutput, ProgressLineShowsAnsweredTargetsAndElapsedOfExpectedCappedAt99) {
  Out o;
  ikcli_progress_line(&o.b, 65534, 912, 12.2, 131.0);
  EXPECT_EQ(o.str(), "multiping: 912 of 65534 targets answered, 12s of ~2m11s (9%)");
  ikcli_buf_clear(&o.b);
  ikcli_progress_line(&o.b, 3, 0, 200.0, 100.0);
  EXPECT_EQ(o.str(), "multiping: 0 of 3 targets answered, 3m20s of ~1m40s (99%)");
  ikcli_buf_clear(&o.b);
  ikcli_progress_line(&o.b, 1048576, 1048576, 4000.0, 7300.0);
  EXPECT_EQ(o.str(), "multiping: 1048576 of 1048576 targets answered, 1h06m of ~2h01m (54%)");
}

TEST(CliOutput, ExpectedMultipingTimeIsSendingOrSpacingPlusTimeout) {
  ik_ping_options o;
  std::memset(&o, 0, sizeof o);
  o.count = 2;
  o.interval = 0.5;
  o.timeout = 2;
  o.rate = 1000;
  EXPECT_DOUBLE_EQ(ikcli_multiping_expected(65534, &o), 131.068 + 2);
  EXPECT_DOUBLE_EQ(ikcli_multiping_expected(10, &o), 0.5 + 2);  // spacing dominates
  o.rate = 0;
  EXPECT_DOUBLE_EQ(ikcli_multiping_expected(65534, &o), 2.5);
}

// The summary line is built without printf: it must stay byte for byte what
// "%-*s : xmt/rcv/%%loss = %d/%d/%d%%, min/avg/max = %.3f/%.3f/%.3f" gives,
// for any value (ties of the third decimal, -0, huge, NaN, infinities).
TEST(CliOutput, MultipingLineEqualsPrintfForAnyCountsAndTimes) {
  std::vector<double> times = {0.0, -0.0, 0.0005, 0.0015, 2.675, 1.0005, 999999.9995, 1e6, 1e300, -1.25,
                               std::numeric_limits<double>::infinity(),
                               std::numeric_limits<double>::quiet_NaN()};
  unsigned long long state = 2463534242ull;
  for (int i = 0; i < 30000; i++) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    double u = static_cast<double>(state >> 11) / 9007199254740992.0;
    times.push_back(i % 3 == 0 ? u * 50.0 : i % 3 == 1 ? u * 1e6
                                                       : (static_cast<double>(state % 10000000) + 0.5) / 1000.0);
  }
  for (size_t i = 0; i + 2 < times.size(); i++) {
    Host h(i % 2 ? "fd00::1" : "127.1.2.3", static_cast<int>(i % 5) + 1, {1.0}, {});
    h.h.packets_received = static_cast<int>(i % 3);
    h.h.min_rtt = times[i];
    h.h.avg_rtt = times[i + 1];
    h.h.max_rtt = times[i + 2];
    int width = i % 97 == 0 ? 300 : static_cast<int>(i % 16);  // 300: past the line buffer
    Out o;
    ikcli_multiping_line(&o.b, &h.h, width);
    char expect[4096];
    int n = std::snprintf(expect, sizeof expect, "%-*s : xmt/rcv/%%loss = %d/%d/%d%%", width, h.h.address,
                          h.h.packets_sent, h.h.packets_received,
                          (h.h.packets_sent - h.h.packets_received) * 100 / h.h.packets_sent);
    if (h.h.packets_received > 0)
      std::snprintf(expect + n, sizeof expect - static_cast<size_t>(n), ", min/avg/max = %.3f/%.3f/%.3f\n",
                    h.h.min_rtt, h.h.avg_rtt, h.h.max_rtt);
    else
      std::snprintf(expect + n, sizeof expect - static_cast<size_t>(n), "\n");
    ASSERT_EQ(o.str(), expect) << "values " << times[i] << " " << times[i + 1] << " " << times[i + 2];
  }
}

// Issue 17: a multiping target adds name (as given) and, when it could not
// be probed, error; a failed send is counted in send_errors, not listed
// among the replies, and is neither a reply line nor an error in ping's
// statistics (iputils counts it as transmitted and lost).
TEST(CliOutput, JsonTargetAddsNameAndErrorAndKeepsFailedSendsOutOfReplies) {
  Host h("127.0.0.1", 3, {0.5}, {Reply(4, "127.0.0.1", 0, 0, 0, 0.5), Reply(4, "127.0.0.1", 1, -1, -1, 0)});
  h.h.replies[1].error = IK_ESOCKET;
  Out o;
  ikcli_json_target(&o.b, &h.h, "localhost", "why");
  std::vector<testjson::Value> lines = testjson::ParseLines(o.str());
  ASSERT_EQ(lines.size(), 1u);
  const testjson::Value &v = lines[0];
  std::vector<std::string> keys = v.keys();
  ASSERT_GE(keys.size(), 3u);
  EXPECT_EQ(keys[0], "address");
  EXPECT_EQ(keys[1], "name");
  EXPECT_EQ(keys[2], "error");
  EXPECT_EQ(v["name"].str, "localhost");
  EXPECT_EQ(v["error"].str, "why");
  EXPECT_EQ(v["send_errors"].num, 1);
  EXPECT_EQ(v["replies"].arr.size(), 1u);
  Out text;
  ikcli_ping_replies(&text.b, &h.h);
  ikcli_ping_statistics(&text.b, "127.0.0.1", &h.h, 1000);
  EXPECT_EQ(text.str().find("From "), std::string::npos) << text.str();
  EXPECT_EQ(text.str().find("errors"), std::string::npos) << text.str();
}
