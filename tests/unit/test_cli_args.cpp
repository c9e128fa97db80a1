// The CLI's option parser: every option, every refusal and its message.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "args.h"
}

namespace {

struct Parsed {
  int rc;
  std::string msg;
  ikcli_args args;
  Parsed() : rc(0), args() {}
  Parsed(const Parsed &) = delete;
  ~Parsed() { ikcli_args_free(&args); }
};

// argv is kept alive in a static store: ikcli_args points into it.
void ParseInto(Parsed &p, std::vector<std::string> words) {
  static std::vector<std::vector<std::string>> keep;
  words.insert(words.begin(), "icmpkit");
  keep.push_back(words);
  static std::vector<std::vector<const char *>> ptrs;
  std::vector<const char *> argv;
  for (const auto &w : keep.back()) argv.push_back(w.c_str());
  argv.push_back(nullptr);
  ptrs.push_back(argv);
  char msg[512];
  std::memset(msg, 'x', sizeof msg);
  p.rc = ikcli_parse_args(static_cast<int>(ptrs.back().size() - 1), ptrs.back().data(), &p.args,
                          msg, sizeof msg);
  p.msg = msg;
}

// Expects a refusal whose message contains each of parts.
void ExpectRefused(std::vector<std::string> words, std::vector<std::string> parts) {
  Parsed p;
  ParseInto(p, words);
  std::string cmd;
  for (const auto &w : words) cmd += w + " ";
  EXPECT_EQ(p.rc, IK_EINVAL) << cmd;
  for (const auto &part : parts)
    EXPECT_NE(p.msg.find(part), std::string::npos) << cmd << "-> " << p.msg << " lacks " << part;
}

}  // namespace

TEST(CliArgs, PingWithEveryOptionFillsOptionsAndMarksThem) {
  Parsed p;
  ParseInto(p, {"ping", "-c", "3", "-i0.2", "-W", "1.5", "-s", "100", "-t", "9", "-Q", "0xb8", "-I",
          "127.0.0.1", "-b", "-4", "--privileged", "--json", "127.0.0.9"});
  ASSERT_EQ(p.rc, 0) << p.msg;
  EXPECT_EQ(p.args.command, IKCLI_PING);
  EXPECT_EQ(p.args.opts.count, 3);
  EXPECT_EQ(p.args.opts.interval, 0.2);
  EXPECT_EQ(p.args.opts.timeout, 1.5);
  EXPECT_EQ(p.args.opts.payload_size, 100u);
  EXPECT_EQ(p.args.opts.ttl, 9);
  EXPECT_EQ(p.args.opts.traffic_class, 0xb8);
  EXPECT_STREQ(p.args.opts.source, "127.0.0.1");
  EXPECT_EQ(p.args.opts.broadcast, 1);
  EXPECT_EQ(p.args.opts.family, IK_AF_INET);
  EXPECT_EQ(p.args.privileged, 1);
  EXPECT_EQ(p.args.json, 1);
  EXPECT_EQ(p.args.set, unsigned(IKCLI_SET_COUNT | IKCLI_SET_INTERVAL | IKCLI_SET_TIMEOUT |
                                 IKCLI_SET_SIZE | IKCLI_SET_TTL | IKCLI_SET_TCLASS |
                                 IKCLI_SET_SOURCE | IKCLI_SET_BROADCAST | IKCLI_SET_FAMILY));
  ASSERT_EQ(p.args.nhosts, 1u);
  EXPECT_STREQ(p.args.hosts[0], "127.0.0.9");
}

TEST(CliArgs, NothingGivenLeavesDefaultsToTheLibrary) {
  Parsed p;
  ParseInto(p, {"ping", "::1"});
  ASSERT_EQ(p.rc, 0) << p.msg;
  EXPECT_EQ(p.args.set, 0u);
  EXPECT_EQ(p.args.privileged, -1);
  EXPECT_EQ(p.args.json, 0);
}

TEST(CliArgs, ShortFlagsBundleAndValuesAttach) {
  Parsed p;
  ParseInto(p, {"ping", "-6bc2", "::1"});
  ASSERT_EQ(p.rc, 0) << p.msg;
  EXPECT_EQ(p.args.opts.family, IK_AF_INET6);
  EXPECT_EQ(p.args.opts.broadcast, 1);
  EXPECT_EQ(p.args.opts.count, 2);
}

TEST(CliArgs, DoubleDashEndsOptions) {
  Parsed p;
  ParseInto(p, {"multiping", "--", "-c", "--json"});
  ASSERT_EQ(p.rc, 0) << p.msg;
  EXPECT_EQ(p.args.nhosts, 2u);
  EXPECT_EQ(p.args.json, 0);
}

TEST(CliArgs, MultipingCollectsHostsFilesAndRanges) {
  Parsed p;
  ParseInto(p, {"multiping", "a", "-f", "hosts.txt", "-g", "198.18.0.0/30", "--rate=50", "b", "-f-",
          "--rate", "0", "-g", "fd00::/126", "--unprivileged"});
  ASSERT_EQ(p.rc, 0) << p.msg;
  ASSERT_EQ(p.args.nhosts, 2u);
  EXPECT_STREQ(p.args.hosts[1], "b");
  ASSERT_EQ(p.args.nfiles, 2u);
  EXPECT_STREQ(p.args.files[1], "-");
  ASSERT_EQ(p.args.ncidrs, 2u);
  EXPECT_STREQ(p.args.cidrs[1], "fd00::/126");
  EXPECT_EQ(p.args.opts.rate, 0.0);
  EXPECT_EQ(p.args.privileged, 0);
}

TEST(CliArgs, TracerouteReadsFirstAndMaxHopsAndFast) {
  Parsed p;
  ParseInto(p, {"traceroute", "-f", "3", "-m", "12", "--fast", "-c1", "h"});
  ASSERT_EQ(p.rc, 0) << p.msg;
  EXPECT_EQ(p.args.opts.first_hop, 3);
  EXPECT_EQ(p.args.opts.max_hops, 12);
  EXPECT_EQ(p.args.opts.fast, 1);
  EXPECT_EQ(p.args.opts.count, 1);
}

TEST(CliArgs, TracerouteReadsSimQueries) {
  for (const char *spelled : {"-N", "--sim-queries"}) {
    Parsed p;
    ParseInto(p, {"traceroute", spelled, "4", "h"});
    ASSERT_EQ(p.rc, 0) << p.msg;
    EXPECT_EQ(p.args.opts.sim_queries, 4) << spelled;
    ik_ping_options o;
    char msg[256];
    ik_traceroute_options_init(&o);
    EXPECT_EQ(o.sim_queries, 0) << "the library's default: 16";
    ASSERT_EQ(ikcli_apply_options(&p.args, &o, msg, sizeof msg), 0) << msg;
    EXPECT_EQ(o.sim_queries, 4);
  }
  ExpectRefused({"traceroute", "-N", "0", "h"}, {"-N: SIM_QUERIES must be an integer from 1 to 65536"});
  ExpectRefused({"ping", "-N", "2", "h"}, {"-N"});
}

TEST(CliArgs, MultipingReadsThreads) {
  Parsed p;
  ParseInto(p, {"multiping", "--threads", "3", "h"});
  ASSERT_EQ(p.rc, 0) << p.msg;
  ik_ping_options o;
  char msg[256];
  ik_multiping_options_init(&o);
  EXPECT_EQ(o.threads, 0) << "the library's default: one per core";
  ASSERT_EQ(ikcli_apply_options(&p.args, &o, msg, sizeof msg), 0) << msg;
  EXPECT_EQ(o.threads, 3);
  ExpectRefused({"multiping", "--threads", "-1", "h"},
                {"--threads: N must be an integer from 0 (one per core) to 1024, not '-1'"});
  ExpectRefused({"multiping", "--threads", "1025", "h"}, {"--threads"});
  ExpectRefused({"ping", "--threads", "2", "h"}, {"--threads"});
}

TEST(CliArgs, HelpAndVersion) {
  {
    Parsed p;
    ParseInto(p, {"--help"});
    EXPECT_EQ(p.rc, 0);
    EXPECT_EQ(p.args.help, 1);
    EXPECT_EQ(p.args.command, IKCLI_NONE);
  }
  {
    Parsed p;
    ParseInto(p, {"--version"});
    EXPECT_EQ(p.rc, 0);
    EXPECT_EQ(p.args.version, 1);
  }
  {
    Parsed p;  // --help wins over errors and missing operands
    ParseInto(p, {"traceroute", "-c", "0", "--help"});
    EXPECT_EQ(p.rc, 0);
    EXPECT_EQ(p.args.help, 1);
    EXPECT_EQ(p.args.command, IKCLI_TRACEROUTE);
  }
}

TEST(CliArgs, UsageOfEachCommandNamesItsOptions) {
  EXPECT_NE(std::string(ikcli_usage(IKCLI_NONE)).find("multiping"), std::string::npos);
  std::string ping = ikcli_usage(IKCLI_PING), multi = ikcli_usage(IKCLI_MULTIPING),
              trace = ikcli_usage(IKCLI_TRACEROUTE);
  for (const char *o : {"-c COUNT", "-s SIZE", "-t TTL", "-Q TCLASS", "-I SOURCE", "-b", "--json"})
    EXPECT_NE(ping.find(o), std::string::npos) << o;
  for (const char *o : {"--rate PPS", "-f FILE", "-g CIDR", "default 2)"})
    EXPECT_NE(multi.find(o), std::string::npos) << o;
  for (const char *o : {"-f FIRST_HOP", "-m MAX_HOPS", "--fast", "default 0.05", "-I SOURCE"})
    EXPECT_NE(trace.find(o), std::string::npos) << o;
  for (const std::string *u : {&ping, &multi, &trace})
    EXPECT_NE(u->find("interface (lo, eth0) or source address"), std::string::npos) << *u;
}

TEST(CliArgs, CommandsAreRequiredAndKnown) {
  ExpectRefused({}, {"missing command"});
  ExpectRefused({"pong", "h"}, {"unknown command 'pong'"});
  ExpectRefused({"-c", "4"}, {"unknown command '-c'"});
}

TEST(CliArgs, OperandsAreCounted) {
  ExpectRefused({"ping"}, {"ping needs a HOST"});
  ExpectRefused({"ping", "a", "b"}, {"ping takes one HOST", "'b'"});
  ExpectRefused({"traceroute"}, {"traceroute needs a HOST"});
  ExpectRefused({"multiping", "--json"}, {"multiping needs targets"});
}

// Issue 17: ping's sequence numbers wrap, so its -c goes to INT_MAX;
// multiping and traceroute keep one sequence number per probe.
TEST(CliArgs, CountMustBe1To65535ExceptForPing) {
  for (const char *cmd : {"multiping", "traceroute"})
    for (const char *v : {"0", "-1", "65536", "1.5", "", "4x", " 4", "99999999999999999999"})
      ExpectRefused({cmd, "-c", v, "h"}, {"-c: COUNT must be an integer from 1 to 65535"});
  for (const char *v : {"0", "-1", "2147483648", "1.5", "", "4x", " 4"})
    ExpectRefused({"ping", "-c", v, "h"}, {"-c: COUNT must be an integer from 1 to 2147483647"});
  ExpectRefused({"ping", "-c0", "h"}, {"not '0'"});
  Parsed p;
  ParseInto(p, {"ping", "-c", "2147483647", "h"});
  EXPECT_EQ(p.rc, 0) << p.msg;
  EXPECT_EQ(p.args.opts.count, 2147483647);
}

TEST(CliArgs, MultipingTakesSourceSizeTtlTclassAndAliveOrUnreachable) {
  Parsed p;
  ParseInto(p, {"multiping", "-I", "198.18.0.1", "-s", "100", "-t", "7", "-Q", "0xb8", "-a", "h"});
  ASSERT_EQ(p.rc, 0) << p.msg;
  EXPECT_STREQ(p.args.opts.source, "198.18.0.1");
  EXPECT_EQ(p.args.opts.payload_size, 100u);
  EXPECT_EQ(p.args.opts.ttl, 7);
  EXPECT_EQ(p.args.opts.traffic_class, 0xb8);
  EXPECT_EQ(p.args.show, IKCLI_SHOW_ALIVE);
  Parsed u;
  ParseInto(u, {"multiping", "-u", "h"});
  ASSERT_EQ(u.rc, 0) << u.msg;
  EXPECT_EQ(u.args.show, IKCLI_SHOW_UNREACHABLE);
  ExpectRefused({"multiping", "-a", "-u", "h"}, {"-a and -u exclude each other"});
  ExpectRefused({"ping", "-a", "h"}, {"unknown option '-a' for ping"});
}

TEST(CliArgs, IntervalMustBeFiniteAndNotNegative) {
  for (const char *v : {"-1", "-0.001", "nan", "NaN", "inf", "-inf", "infinity", "1e999",
                        "0x10", "1s", "", "86401"})
    ExpectRefused({"multiping", "-i", v, "h"}, {"-i: INTERVAL must be a number of seconds"});
  Parsed p;
  ParseInto(p, {"multiping", "-i", "0", "h"});
  EXPECT_EQ(p.rc, 0) << p.msg;
}

TEST(CliArgs, TimeoutMustBePositiveAndFinite) {
  for (const char *v : {"0", "-2", "nan", "inf", "1e999", "two"})
    ExpectRefused({"traceroute", "-W", v, "h"}, {"-W: TIMEOUT must be a number of seconds above 0"});
}

TEST(CliArgs, SizeMustBeAtMost65507) {
  ExpectRefused({"ping", "-s", "65508", "h"}, {"-s: SIZE must be an integer from 0 to 65507", "'65508'"});
  ExpectRefused({"ping", "-s", "-1", "h"}, {"-s: SIZE"});
  Parsed p;
  ParseInto(p, {"ping", "-s", "65507", "h"});
  EXPECT_EQ(p.rc, 0) << p.msg;
}

TEST(CliArgs, TtlMustBe1To255) {
  ExpectRefused({"ping", "-t", "0", "h"}, {"-t: TTL must be an integer from 1 to 255", "'0'"});
  ExpectRefused({"ping", "-t", "256", "h"}, {"-t: TTL", "'256'"});
}

TEST(CliArgs, TrafficClassIsAByteInDecimalOrHex) {
  for (const char *v : {"256", "-1", "0x100", "0x", "0xg1", "ef"})
    ExpectRefused({"ping", "-Q", v, "h"}, {"-Q: TCLASS must be an integer from 0 to 255"});
  Parsed p;
  ParseInto(p, {"ping", "-Q", "255", "h"});
  EXPECT_EQ(p.rc, 0) << p.msg;
}

TEST(CliArgs, SourceIsAnInterfaceNameOrAnAddressOfTheChosenFamily) {
  for (const char *cmd : {"ping", "multiping", "traceroute"})
    for (const char *v : {"lo", "eth0", "veth-ab.1", "198.18.0.1", "fd00::1", "fe80::1%lo"}) {
      Parsed p;
      ParseInto(p, {cmd, "-I", v, "h"});
      EXPECT_EQ(p.rc, 0) << cmd << " -I " << v << ": " << p.msg;
      EXPECT_STREQ(p.args.opts.source, v);
    }
  // Mistyped addresses and what no interface is called stay refused here.
  for (const char *v : {"1.2.3.999", "1.2.3", "fd00::g", "a/b", "tab\tbed", ""})
    ExpectRefused({"ping", "-I", v, "h"},
                  {"-I: SOURCE must be an interface name or an IPv4 or IPv6 address"});
#ifdef _WIN32
  // Windows: friendly names with blanks, adapter names (GUIDs), indexes.
  for (const char *v : {"Ethernet 2", "Loopback Pseudo-Interface 1",
                        "{4D36E972-E325-11CE-BFC1-08002BE10318}", "12"}) {
    Parsed p;
    ParseInto(p, {"ping", "-I", v, "h"});
    EXPECT_EQ(p.rc, 0) << v << ": " << p.msg;
  }
#else
  // Linux and macOS: IFNAMSIZ, no blanks, no index.
  for (const char *v : {"with space", "sixteen-chars-xx", "12"})
    ExpectRefused({"ping", "-I", v, "h"},
                  {"-I: SOURCE must be an interface name or an IPv4 or IPv6 address"});
#endif
  // An interface serves both families: -4/-6 go with it.
  Parsed p;
  ParseInto(p, {"ping", "-6", "-I", "lo", "h"});
  EXPECT_EQ(p.rc, 0) << p.msg;
  ExpectRefused({"ping", "-6", "-I", "127.0.0.1", "h"}, {"-I", "IPv4", "-6"});
  ExpectRefused({"ping", "-I", "::1", "-4", "h"}, {"-I", "IPv6", "-4"});
}

TEST(CliArgs, RateMustBeZeroOrAtLeastOneProbeASecond) {
  for (const char *v : {"-1", "nan", "inf", "fast", "1e-9", "0.5", "2e9"})
    ExpectRefused({"multiping", "--rate", v, "h"},
                  {"--rate: PPS must be 0 (no limit) or a number of probes per second from 1 to 1e9"});
  for (const char *v : {"0", "1", "1e9"}) {
    Parsed p;
    ParseInto(p, {"multiping", "--rate", v, "h"});
    EXPECT_EQ(p.rc, 0) << v << ": " << p.msg;
  }
  ExpectRefused({"multiping", "--rate"}, {"--rate needs a value (PPS)"});
}

TEST(CliArgs, HopsMustBe1To255) {
  ExpectRefused({"traceroute", "-f", "0", "h"}, {"-f: FIRST_HOP must be an integer from 1 to 255"});
  ExpectRefused({"traceroute", "-m", "256", "h"}, {"-m: MAX_HOPS must be an integer from 1 to 255"});
}

TEST(CliArgs, ExclusiveChoicesAreRefused) {
  ExpectRefused({"ping", "-4", "-6", "h"}, {"-4 and -6 exclude each other"});
  ExpectRefused({"ping", "--unprivileged", "--privileged", "h"},
                {"--privileged and --unprivileged exclude each other"});
}

TEST(CliArgs, OptionsOfAnotherCommandAreUnknown) {
  ExpectRefused({"multiping", "-b", "h"}, {"unknown option '-b' for multiping"});
  ExpectRefused({"ping", "--rate", "10", "h"}, {"unknown option '--rate' for ping"});
  ExpectRefused({"ping", "-m", "3", "h"}, {"unknown option '-m' for ping"});
  ExpectRefused({"traceroute", "-b", "h"}, {"unknown option '-b' for traceroute"});
  ExpectRefused({"ping", "--jason", "h"}, {"unknown option '--jason'"});
}

TEST(CliArgs, MissingAndUnexpectedValues) {
  ExpectRefused({"ping", "h", "-c"}, {"-c needs a value (COUNT)"});
  ExpectRefused({"ping", "--json=yes", "h"}, {"--json takes no value"});
  ExpectRefused({"multiping", "-f", ""}, {"-f: FILE is empty"});
}

TEST(CliArgs, HostileTextIsShownTruncatedAndPrintable) {
  Parsed p;
  std::string evil = "\x1b[31m" + std::string(300, 'A');
  ParseInto(p, {"ping", "-c", evil, "h"});
  EXPECT_EQ(p.rc, IK_EINVAL);
  EXPECT_EQ(p.msg.find('\x1b'), std::string::npos);
  EXPECT_NE(p.msg.find("'\\x1b[31mAAAA"), std::string::npos) << p.msg;
  EXPECT_NE(p.msg.find("..."), std::string::npos);
  EXPECT_LT(p.msg.size(), 200u);
}

TEST(CliArgs, ApplyOverlaysOnlyWhatWasGiven) {
  Parsed p;
  ParseInto(p, {"traceroute", "-c", "5", "--unprivileged", "h"});
  ASSERT_EQ(p.rc, 0) << p.msg;
  ik_ping_options o;
  std::memset(&o, 0, sizeof o);
  o.count = 2;
  o.interval = 0.05;
  o.first_hop = 1;
  o.max_hops = 30;
  o.privileged = 1;
  char msg[256];
  ASSERT_EQ(ikcli_apply_options(&p.args, &o, msg, sizeof msg), 0) << msg;
  EXPECT_EQ(o.count, 5);
  EXPECT_EQ(o.interval, 0.05);
  EXPECT_EQ(o.max_hops, 30);
  EXPECT_EQ(o.privileged, 0);
}

TEST(CliArgs, FirstHopBeyondMaxHopsIsRefusedAgainstDefaultsToo) {
  char msg[256];
  ik_ping_options o;
  {
    Parsed p;
    ParseInto(p, {"traceroute", "-f", "40", "h"});
    ASSERT_EQ(p.rc, 0) << p.msg;
    std::memset(&o, 0, sizeof o);
    o.first_hop = 1;
    o.max_hops = 30;
    EXPECT_EQ(ikcli_apply_options(&p.args, &o, msg, sizeof msg), IK_EINVAL);
    EXPECT_NE(std::string(msg).find("-f: FIRST_HOP (40) is beyond MAX_HOPS (30), the default of -m"),
              std::string::npos) << msg;
  }
  {
    Parsed p;
    ParseInto(p, {"traceroute", "-f", "5", "-m", "4", "h"});
    ASSERT_EQ(p.rc, 0) << p.msg;
    std::memset(&o, 0, sizeof o);
    o.first_hop = 1;
    o.max_hops = 30;
    EXPECT_EQ(ikcli_apply_options(&p.args, &o, msg, sizeof msg), IK_EINVAL);
    EXPECT_NE(std::string(msg).find("-f: FIRST_HOP (5) is beyond MAX_HOPS (4)"), std::string::npos)
        << msg;
  }
}

// ---- Limits for users who are not root (ikcli_check_limits) ----

namespace {

// The options a command line leaves after ikcli_apply_options, and what
// ikcli_check_limits says of them for root and for a user.
struct Limited {
  int user_rc = 0, root_rc = 0;
  std::string msg;
};

Limited CheckLimits(std::vector<std::string> words) {
  Parsed p;
  ParseInto(p, words);
  Limited l;
  EXPECT_EQ(p.rc, 0) << p.msg;
  ik_ping_options o;
  if (p.args.command == IKCLI_MULTIPING)
    ik_multiping_options_init(&o);
  else if (p.args.command == IKCLI_TRACEROUTE)
    ik_traceroute_options_init(&o);
  else
    ik_ping_options_init(&o);
  char msg[512] = "";
  EXPECT_EQ(ikcli_apply_options(&p.args, &o, msg, sizeof msg), 0) << msg;
  l.root_rc = ikcli_check_limits(&p.args, &o, 1, msg, sizeof msg);
  l.user_rc = ikcli_check_limits(&p.args, &o, 0, msg, sizeof msg);
  l.msg = msg;
  return l;
}

void ExpectUserRefused(std::vector<std::string> words, const std::string &part) {
  Limited l = CheckLimits(words);
  EXPECT_EQ(l.root_rc, 0) << "root keeps every option";
  EXPECT_EQ(l.user_rc, IK_EPERMISSION) << l.msg;
  EXPECT_NE(l.msg.find(part), std::string::npos) << l.msg;
}

void ExpectUserAllowed(std::vector<std::string> words) {
  Limited l = CheckLimits(words);
  EXPECT_EQ(l.root_rc, 0);
  EXPECT_EQ(l.user_rc, 0) << l.msg;
}

}  // namespace

TEST(CliLimits, UserCannotFloodLikeIputilsPing) {
  for (const char *i : {"0", "0.001", "0.0019"})
    ExpectUserRefused({"ping", "-i", i, "h"}, "cannot flood; minimal interval allowed for user is 2ms");
  ExpectUserAllowed({"ping", "-i", "0.002", "h"});
  ExpectUserAllowed({"ping", "h"});
}

TEST(CliLimits, UserTracerouteKeepsThe2msFloor) {
  ExpectUserRefused({"traceroute", "-i", "0", "h"}, "minimal interval allowed for user is 2ms");
  ExpectUserAllowed({"traceroute", "h"});
}

TEST(CliLimits, UserBroadcastNeedsOneSecondLikeIputilsPing) {
  ExpectUserRefused({"ping", "-b", "-i", "0.5", "h"},
                    "broadcast ping with too short interval: 500ms; minimal interval allowed for user is 1000ms");
  ExpectUserAllowed({"ping", "-b", "h"});
}

TEST(CliLimits, UserPayloadRateIsAtMost10MBPerSecond) {
  ExpectUserRefused({"ping", "-s", "65507", "-i", "0.002", "h"},
                    "-s 65507 every 0.002s is 32753500 bytes per second; at most 10000000 allowed for user");
  ExpectUserAllowed({"ping", "-s", "65507", "-i", "0.007", "h"});
  ExpectUserAllowed({"ping", "-s", "1472", "-i", "0.002", "h"});
}

TEST(CliLimits, UserMultipingKeepsFpingsFloors) {
  ExpectUserRefused({"multiping", "--rate", "0", "h"}, "--rate: at most 1000 probes per second allowed for user");
  ExpectUserRefused({"multiping", "--rate", "1001", "h"}, "(0, no limit, is root's)");
  ExpectUserRefused({"multiping", "-i", "0.009", "h"}, "-i: minimal interval per host allowed for user is 10ms");
  ExpectUserAllowed({"multiping", "--rate", "1000", "-i", "0.01", "h"});
  ExpectUserAllowed({"multiping", "h"});
}

TEST(CliArgs, IntervalsAndTimeoutsAreAtMostAnHour) {
  ExpectRefused({"ping", "-i", "3601", "h"}, {"-i: INTERVAL must be a number of seconds from 0 to 3600"});
  ExpectRefused({"ping", "-W", "3601", "h"}, {"-W: TIMEOUT must be a number of seconds above 0 and at most 3600"});
}

TEST(CliArgs, EveryQuotedArgumentIsEscaped) {
  const std::string evil = "\x1b]0;pwned\x07\xc2\x9b" "2J\xff\xfe";
  const std::vector<std::vector<std::string>> lines = {
      {"ping", "-c", evil, "h"},   {"ping", "-i", evil, "h"},        {"ping", "-W", evil, "h"},
      {"ping", "-s", evil, "h"},   {"ping", "-t", evil, "h"},        {"ping", "-Q", evil, "h"},
      {"ping", "-I", evil, "h"},   {"multiping", "--rate", evil, "h"}, {"traceroute", "-m", evil, "h"},
      {evil},                      {"ping", "--" + evil, "h"},        {"ping", "h", evil},
  };
  for (const auto &words : lines) {
    Parsed p;
    ParseInto(p, words);
    EXPECT_NE(p.rc, 0);
    EXPECT_EQ(p.msg.find_first_of("\x1b\x07\x9b\xff\xfe"), std::string::npos) << p.msg;
    EXPECT_NE(p.msg.find("\\x1b]0;pwned\\x07\\xc2\\x9b2J\\xff\\xfe"), std::string::npos) << p.msg;
  }
}
