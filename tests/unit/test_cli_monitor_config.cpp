// The monitor's YAML configuration (tools/monitor_config.c): shape,
// defaults, units, every refusal as FILE:LINE:COLUMN, hostile files.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>

extern "C" {
#include "monitor_config.h"
}

namespace {

// Writes text to a file named for the running test (ctest runs tests in
// parallel, each in its own process, in the build directory) and loads it.
struct Config {
  ikcli_mon_config cfg = {};
  char msg[512] = "";
  std::string path;
  Config() {
    path = std::string("icmpkit-test-monconf-") +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".yml";
  }
  ~Config() {
    ikcli_mon_config_free(&cfg);
    std::remove(path.c_str());
  }
  int Load(const std::string &text) {
    FILE *f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return -2;
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    ikcli_mon_config_free(&cfg);
    msg[0] = '\0';
    int rc = ikcli_mon_config_load(path.c_str(), &cfg, msg, sizeof msg);
    if (rc != 0) {
      // A refused file leaves nothing behind.
      EXPECT_EQ(cfg.groups, nullptr);
      EXPECT_EQ(cfg.ngroups, 0u);
      EXPECT_EQ(cfg.listen, nullptr);
      EXPECT_NE(msg[0], '\0');
    }
    return rc;
  }
  // The message after "FILE:".
  std::string Where() const {
    std::string m = msg;
    return m.compare(0, path.size() + 1, path + ":") == 0 ? m.substr(path.size() + 1) : "<" + m + ">";
  }
  // Loads "targets: [{hosts: [h], KEY: VALUE}]" and returns the group.
  const ikcli_mon_group *One(const std::string &key, const std::string &value) {
    if (Load("targets:\n  - hosts: [198.18.0.2]\n    " + key + ": " + value + "\n") != 0)
      return nullptr;
    return &cfg.groups[0];
  }
};

TEST(CliMonitorConfig, ReadsEveryKeyOfTheDocumentedShape) {
  Config c;
  ASSERT_EQ(c.Load("listen: \"127.0.0.1:9469\"\n"
                   "defaults:\n"
                   "  interval: 1s\n"
                   "targets:\n"
                   "  - hosts: [198.18.0.2, \"fd00::2\", \"db.example\", 198.18.4.0/30]\n"
                   "    interval: 500ms\n"
                   "    timeout: 2s\n"
                   "    size: 100\n"
                   "    traffic_class: 0xb8\n"
                   "    source: eth0\n"
                   "    mode: unprivileged\n"
                   "    labels: {site: lab, role: db}\n"),
            0)
      << c.msg;
  ASSERT_STREQ(c.cfg.listen, "127.0.0.1:9469");
  ASSERT_EQ(c.cfg.ngroups, 1u);
  const ikcli_mon_group &g = c.cfg.groups[0];
  ASSERT_EQ(g.nhosts, 4u);
  EXPECT_STREQ(g.hosts[0], "198.18.0.2");
  EXPECT_STREQ(g.hosts[1], "fd00::2");
  EXPECT_STREQ(g.hosts[2], "db.example");
  EXPECT_STREQ(g.hosts[3], "198.18.4.0/30");
  EXPECT_DOUBLE_EQ(g.interval, 0.5);
  EXPECT_DOUBLE_EQ(g.timeout, 2.0);
  EXPECT_EQ(g.size, 100u);
  EXPECT_EQ(g.traffic_class, 0xb8);
  EXPECT_STREQ(g.source, "eth0");
  EXPECT_EQ(g.mode, IKCLI_MON_MODE_UNPRIVILEGED);
  ASSERT_EQ(g.nlabels, 2u);
  EXPECT_STREQ(g.labels[0].name, "site");
  EXPECT_STREQ(g.labels[0].value, "lab");
  EXPECT_STREQ(g.labels[1].name, "role");
  EXPECT_STREQ(g.labels[1].value, "db");
  EXPECT_EQ(g.line, 5);
}

TEST(CliMonitorConfig, UnsetKeysTakeTheDocumentedDefaults) {
  Config c;
  ASSERT_EQ(c.Load("targets:\n- hosts:\n  - 127.0.0.1\n"), 0) << c.msg;
  EXPECT_EQ(c.cfg.listen, nullptr);
  const ikcli_mon_group &g = c.cfg.groups[0];
  EXPECT_DOUBLE_EQ(g.interval, 1.0);
  EXPECT_DOUBLE_EQ(g.timeout, 1.0);
  EXPECT_EQ(g.size, 56u);
  EXPECT_EQ(g.traffic_class, 0);
  EXPECT_EQ(g.source, nullptr);
  EXPECT_EQ(g.mode, IKCLI_MON_MODE_AUTO);
  EXPECT_EQ(g.nlabels, 0u);
  EXPECT_EQ(g.line, 2);
}

TEST(CliMonitorConfig, DefaultsFillWhatAGroupLeavesUnsetWhereverTheyAreWritten) {
  Config c;
  ASSERT_EQ(c.Load("targets:\n"
                   "  - hosts: [a.example]\n"
                   "    labels: {role: db}\n"
                   "  - hosts: [b.example]\n"
                   "    timeout: 3\n"
                   "    source: 198.18.0.1\n"
                   "defaults:\n"
                   "  timeout: 250ms\n"
                   "  size: 8\n"
                   "  source: lo\n"
                   "  mode: privileged\n"
                   "  labels: {site: lab, role: any}\n"),
            0)
      << c.msg;
  ASSERT_EQ(c.cfg.ngroups, 2u);
  const ikcli_mon_group &a = c.cfg.groups[0], &b = c.cfg.groups[1];
  EXPECT_DOUBLE_EQ(a.timeout, 0.25);
  EXPECT_DOUBLE_EQ(b.timeout, 3.0);
  EXPECT_EQ(a.size, 8u);
  EXPECT_EQ(b.size, 8u);
  EXPECT_STREQ(a.source, "lo");
  EXPECT_STREQ(b.source, "198.18.0.1");
  EXPECT_EQ(a.mode, IKCLI_MON_MODE_PRIVILEGED);
  EXPECT_DOUBLE_EQ(a.interval, 1.0);
  // The group's own label wins over the default of the same name.
  ASSERT_EQ(a.nlabels, 2u);
  EXPECT_STREQ(a.labels[0].name, "role");
  EXPECT_STREQ(a.labels[0].value, "db");
  EXPECT_STREQ(a.labels[1].name, "site");
  ASSERT_EQ(b.nlabels, 2u);
  EXPECT_STREQ(b.labels[0].name, "site");
  EXPECT_STREQ(b.labels[1].value, "any");
}

TEST(CliMonitorConfig, DurationsAreSecondsOrTakeAUnit) {
  const struct {
    const char *text;
    double seconds;
  } cases[] = {{"2", 2.0},     {"0.25", 0.25},  {".5", 0.5},   {"500ms", 0.5}, {"2s", 2.0},
               {"1m", 60.0},   {"60m", 3600.0}, {"3600", 3600}, {"1ms", 0.001}, {"\"1.5s\"", 1.5}};
  for (const auto &k : cases) {
    Config c;
    const ikcli_mon_group *g = c.One("interval", k.text);
    ASSERT_NE(g, nullptr) << k.text << ": " << c.msg;
    EXPECT_DOUBLE_EQ(g->interval, k.seconds) << k.text;
  }
}

TEST(CliMonitorConfig, BadDurationsAreRefusedAtTheValue) {
  for (const char *bad : {"0", "0ms", "-1", "+1", "3601", "61m", "1h", "1e3", "0x10", "inf", "nan",
                          "fast", "1 s", "''", "1.2.3", "[1]"}) {
    Config c;
    EXPECT_EQ(c.One("timeout", bad), nullptr) << bad;
    EXPECT_EQ(c.Where().substr(0, 9), "3:14: tim") << bad << ": " << c.msg;
  }
  Config c;
  EXPECT_EQ(c.One("interval", "1h"), nullptr);
  EXPECT_EQ(c.Where(),
            "3:15: interval must be a duration above 0 and at most 3600 s: seconds, or with a unit "
            "(500ms, 2s, 1m), not '1h'");
}

TEST(CliMonitorConfig, SizeTrafficClassSourceAndModeHaveTheCommandLineRanges) {
  for (const char *ok : {"0", "56", "65507"}) {
    Config c;
    EXPECT_NE(c.One("size", ok), nullptr) << ok << ": " << c.msg;
  }
  for (const char *bad : {"-1", "65508", "1.5", "0x10", "big"}) {
    Config c;
    EXPECT_EQ(c.One("size", bad), nullptr) << bad;
    EXPECT_NE(std::strstr(c.msg, "size must be an integer from 0 to 65507"), nullptr) << c.msg;
  }
  for (const char *ok : {"0", "255", "0xb8", "0XFF"}) {
    Config c;
    EXPECT_NE(c.One("traffic_class", ok), nullptr) << ok << ": " << c.msg;
  }
  for (const char *bad : {"256", "0x100", "0x", "-1", "ef"}) {
    Config c;
    EXPECT_EQ(c.One("traffic_class", bad), nullptr) << bad;
  }
  for (const char *ok : {"eth0", "198.18.0.1", "\"fd00::1\"", "lo"}) {
    Config c;
    EXPECT_NE(c.One("source", ok), nullptr) << ok << ": " << c.msg;
  }
  // ik_is_interface_name's rule, the platform's: on Windows a 22-character
  // name is a friendly name, on POSIX longer than IFNAMSIZ.
  {
    Config c;
    const ikcli_mon_group *g = c.One("source", "averyveryverylongname0");
#ifdef _WIN32
    EXPECT_NE(g, nullptr) << c.msg;
#else
    EXPECT_EQ(g, nullptr);
#endif
  }
  for (const char *bad : {"1.2.3", "a/b", "a%b", "''"}) {
    Config c;
    EXPECT_EQ(c.One("source", bad), nullptr) << bad;
    EXPECT_NE(std::strstr(c.msg, "source must be an interface name or an IPv4 or IPv6 address"),
              nullptr)
        << c.msg;
  }
  Config c;
  EXPECT_EQ(c.One("mode", "privileged")->mode, IKCLI_MON_MODE_PRIVILEGED);
  EXPECT_EQ(c.One("mode", "auto")->mode, IKCLI_MON_MODE_AUTO);
  EXPECT_EQ(c.One("mode", "raw"), nullptr);
  EXPECT_EQ(c.Where(), "3:11: mode must be auto, privileged or unprivileged, not 'raw'");
}

TEST(CliMonitorConfig, UnknownKeysAreNamedWithLineAndColumn) {
  Config c;
  EXPECT_EQ(c.Load("targets:\n  - hosts: [a]\n    intervall: 1s\n"), -1);
  EXPECT_EQ(c.Where(),
            "3:5: unknown key 'intervall' in a target group (expected hosts, interval, timeout, "
            "size, traffic_class, source, mode, labels)");
  EXPECT_EQ(c.Load("# a comment\nlisten: ':9469'\nscrape: 1s\n"), -1);
  EXPECT_EQ(c.Where(), "3:1: unknown key 'scrape' (expected listen, defaults, targets)");
  EXPECT_EQ(c.Load("defaults: {color: red}\ntargets: [{hosts: [a]}]\n"), -1);
  EXPECT_EQ(c.Where().substr(0, 38), "1:12: unknown key 'color' in defaults ");
}

TEST(CliMonitorConfig, DuplicateKeysAndLabelsAreRefused) {
  Config c;
  EXPECT_EQ(c.Load("targets:\n  - hosts: [a]\n    size: 1\n    size: 2\n"), -1);
  EXPECT_EQ(c.Where(), "4:5: duplicate key 'size'");
  EXPECT_EQ(c.Load("targets: [{hosts: [a]}]\ntargets: [{hosts: [b]}]\n"), -1);
  EXPECT_EQ(c.Where(), "2:1: duplicate key 'targets'");
  EXPECT_EQ(c.Load("targets:\n  - hosts: [a]\n    labels:\n      site: x\n      site: y\n"), -1);
  EXPECT_EQ(c.Where(), "5:7: duplicate label 'site'");
}

TEST(CliMonitorConfig, LabelNamesArePrometheusNamesThatAreNotOurs) {
  for (const char *ok : {"site", "_x", "Role_2"}) {
    Config c;
    EXPECT_NE(c.One("labels", std::string("{") + ok + ": v}"), nullptr) << ok << ": " << c.msg;
  }
  for (const char *bad : {"1abc", "a-b", "''", "\"caf\xc3\xa9\"", "a.b"}) {
    Config c;
    EXPECT_EQ(c.One("labels", std::string("{") + bad + ": v}"), nullptr) << bad;
    EXPECT_NE(std::strstr(c.msg, "is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"),
              nullptr)
        << c.msg;
  }
  for (const char *ours : {"target", "address", "family"}) {
    Config c;
    EXPECT_EQ(c.One("labels", std::string("{") + ours + ": v}"), nullptr) << ours;
    EXPECT_EQ(c.Where(), std::string("3:14: label name '") + ours +
                             "' is the monitor's own (target, address, family)");
  }
  Config c;
  EXPECT_EQ(c.One("labels", "{__name__: v}"), nullptr);
  EXPECT_NE(std::strstr(c.msg, "reserved by Prometheus"), nullptr) << c.msg;
  EXPECT_EQ(c.One("labels", "[site]"), nullptr);
  EXPECT_EQ(c.Where(), "3:13: labels must be a mapping, e.g. {site: lab, role: db}");
  EXPECT_EQ(c.One("labels", "{site: [a, b]}"), nullptr);
  EXPECT_EQ(c.Where(), "3:20: a label value must be a single value, not a list");
}

TEST(CliMonitorConfig, AFileWithoutTargetsIsRefused) {
  Config c;
  EXPECT_EQ(c.Load("listen: ':9469'\n"), -1);
  EXPECT_EQ(c.Where(), "1:1: no targets: the file needs a targets list with at least one group");
  EXPECT_EQ(c.Load("targets: []\n"), -1);
  EXPECT_EQ(c.Where(), "1:1: no targets: the file needs a targets list with at least one group");
  EXPECT_EQ(c.Load("targets: {hosts: [a]}\n"), -1);
  EXPECT_EQ(c.Where(), "1:10: targets must be a list of target groups (- hosts: [...])");
  EXPECT_EQ(c.Load("- hosts: [a]\n"), -1);
  EXPECT_EQ(c.Where(), "1:1: expected a mapping with a targets list at the top of the file");
}

TEST(CliMonitorConfig, HostsMustBeANonEmptyListOfValidHosts) {
  Config c;
  EXPECT_EQ(c.Load("targets:\n  - hosts: []\n"), -1);
  EXPECT_EQ(c.Where(), "2:12: hosts is empty: a target group needs at least one host");
  EXPECT_EQ(c.Load("targets:\n  - size: 8\n"), -1);
  EXPECT_EQ(c.Where(), "2:5: a target group needs hosts");
  EXPECT_EQ(c.Load("targets:\n  - hosts: a.example\n"), -1);
  EXPECT_EQ(c.Where(), "2:12: hosts must be a list, e.g. [198.18.0.2, db.example]");
  EXPECT_EQ(c.Load("targets:\n  - hosts: [ok, \"two words\"]\n"), -1);
  EXPECT_EQ(c.Where(),
            "2:17: host 'two words': host name with a space, control or non-ASCII character");
  EXPECT_EQ(c.Load("targets:\n  - hosts: [198.18.0.0/33]\n"), -1);
  EXPECT_EQ(c.Where().substr(0, 28), "2:13: host '198.18.0.0/33': ");
  EXPECT_EQ(c.Load("defaults: {hosts: [a]}\ntargets: [{hosts: [a]}]\n"), -1);
  EXPECT_EQ(c.Where(), "1:12: hosts belongs in a target group, not in defaults");
}

TEST(CliMonitorConfig, SyntaxErrorsCarryLibyamlsMark) {
  Config c;
  EXPECT_EQ(c.Load("targets:\n  - hosts: [a, b\n"), -1);
  EXPECT_EQ(c.Where().substr(0, 4), "3:1:") << c.msg;
  EXPECT_NE(std::strstr(c.msg, "flow sequence"), nullptr) << c.msg;
  EXPECT_EQ(c.Load("targets:\n  - hosts: [a]\n\tsize: 1\n"), -1);
  EXPECT_EQ(c.Where().substr(0, 2), "3:") << c.msg;
  EXPECT_EQ(c.Load("targets:\n  - hosts: [a]\n   size: 1\n"), -1);
  EXPECT_EQ(c.Where().substr(0, 2), "3:") << c.msg;
}

TEST(CliMonitorConfig, AMissingFileIsNamedWithTheSystemReason) {
  ikcli_mon_config cfg;
  char msg[256];
  std::memset(&cfg, 0xab, sizeof cfg);
  EXPECT_EQ(ikcli_mon_config_load("/nonexistent/monitor.yml", &cfg, msg, sizeof msg), -1);
  EXPECT_EQ(cfg.ngroups, 0u);
  EXPECT_EQ(cfg.groups, nullptr);
  EXPECT_EQ(std::string(msg).substr(0, 26), "/nonexistent/monitor.yml: ") << msg;
  ikcli_mon_config_free(&cfg);
}

TEST(CliMonitorConfig, FreeAcceptsAnEmptyConfigTwice) {
  ikcli_mon_config cfg = {};
  ikcli_mon_config_free(&cfg);
  ikcli_mon_config_free(&cfg);
  EXPECT_EQ(cfg.groups, nullptr);
}

TEST(CliMonitorConfig, TheExampleAgentsLoad) {
  // examples/monitoring (docs/monitoring.md): two agents, disjoint targets.
  for (const char *name : {"agent-a.yml", "agent-b.yml"}) {
    const std::string path = std::string(ICMPKIT_SOURCE_DIR) + "/examples/monitoring/" + name;
    ikcli_mon_config cfg;
    char msg[512] = "";
    ASSERT_EQ(ikcli_mon_config_load(path.c_str(), &cfg, msg, sizeof msg), 0) << msg;
    EXPECT_NE(cfg.listen, nullptr) << name;
    ASSERT_GT(cfg.ngroups, 0u);
    ASSERT_GT(cfg.groups[0].nlabels, 0u);
    ikcli_mon_config_free(&cfg);
  }
}

// ---- hostile files ----

TEST(CliMonitorConfig, AnEmptyOrCommentOnlyFileIsRefused) {
  Config c;
  EXPECT_EQ(c.Load(""), -1);
  EXPECT_EQ(c.Where(), "1:1: the file is empty: expected a mapping with a targets list");
  EXPECT_EQ(c.Load("# nothing\n\n"), -1);
  EXPECT_EQ(c.Where().substr(0, 25), "3:1: the file is empty: e");
}

TEST(CliMonitorConfig, AliasesAreRefusedSoNoBombExpands) {
  // "Billion laughs": nine levels of ten aliases each.
  std::string bomb = "a: &a [\"lol\"]\n";
  for (char k = 'b'; k <= 'j'; ++k) {
    bomb += std::string(1, k) + ": &" + k + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + char(k - 1);
    bomb += "]\n";
  }
  Config c;
  EXPECT_EQ(c.Load("targets:\n  - hosts: &h [a]\n  - hosts: *h\n"), -1);
  EXPECT_EQ(c.Where(), "3:12: aliases (*name) are not supported in this file");
  EXPECT_EQ(c.Load("targets:\n  - hosts: [x]\n    labels: {a: &a lol, b: *a}\n"), -1);
  EXPECT_EQ(c.Where(), "3:28: aliases (*name) are not supported in this file");
  // A merge key is an alias too, even to an anchor that does not exist.
  EXPECT_EQ(c.Load("targets:\n  - hosts: [x]\n    labels:\n      <<: *nothing\n"), -1);
  EXPECT_NE(std::strstr(c.msg, "label name '<<'"), nullptr) << c.msg;
  EXPECT_EQ(c.Load("targets:\n  - hosts: [x]\n    <<: *nothing\n"), -1);
  EXPECT_NE(std::strstr(c.msg, "unknown key '<<'"), nullptr) << c.msg;
  // Anchors alone are harmless and allowed.
  EXPECT_EQ(c.Load("targets:\n  - &g hosts: &h [x]\n    labels: &l {site: lab}\n"), 0) << c.msg;
  // The bomb in front of the targets: refused before anything expands.
  EXPECT_EQ(c.Load(bomb + "targets: [{hosts: [x]}]\n"), -1);
  EXPECT_EQ(c.Where(), "1:1: unknown key 'a' (expected listen, defaults, targets)");
  EXPECT_EQ(c.Load("defaults:\n  labels:\n" + std::string("    x: &x lol\n") +
                   "    y: *x\ntargets: [{hosts: [x]}]\n"),
            -1);
  EXPECT_EQ(c.Where(), "4:8: aliases (*name) are not supported in this file");
}

TEST(CliMonitorConfig, DeepNestingIsRefusedWithoutRecursion) {
  Config c;
  EXPECT_EQ(c.Load("targets: " + std::string(200000, '[')), -1);
  EXPECT_NE(c.msg[0], '\0');
  EXPECT_EQ(c.Load("targets:\n  - hosts: " + std::string(100000, '[') + std::string(100000, ']') +
                   "\n"),
            -1);
  EXPECT_EQ(c.Where(), "2:13: a host must be a single value, not a list");
  EXPECT_EQ(c.Load(std::string(100000, '{')), -1);
  EXPECT_NE(c.msg[0], '\0');
}

TEST(CliMonitorConfig, HugeValuesAndFilesAreRefused) {
  Config c;
  EXPECT_EQ(c.Load("targets:\n  - hosts: [x]\n    labels: {v: " + std::string(5000000, 'v') + "}\n"),
            -1);
  EXPECT_EQ(c.Where(), "3:17: label 'v': value longer than 1024 bytes");
  EXPECT_EQ(c.Load("targets:\n  - hosts: [" + std::string(300, 'h') + "]\n"), -1);
  EXPECT_NE(std::strstr(c.msg, "host name longer than 255 characters"), nullptr) << c.msg;
  EXPECT_EQ(c.Load("# " + std::string(17 << 20, '#') + "\n"), -1);
  EXPECT_EQ(c.Where(), " larger than 16 MiB");
}

TEST(CliMonitorConfig, TextThatIsNotUtf8IsRefusedWithItsPlace) {
  Config c;
  EXPECT_EQ(c.Load("targets:\n  - hosts: [a\xff]\n"), -1);
  EXPECT_EQ(c.Where().substr(0, 5), "2:14:") << c.msg;
  EXPECT_NE(std::strstr(c.msg, "UTF-8"), nullptr) << c.msg;
  EXPECT_EQ(c.Load("targets:\n  - hosts: [a]\n    labels: {site: \"a\\0b\"}\n"), -1);
  EXPECT_EQ(c.Where(), "3:20: a label value contains a NUL character");
  EXPECT_EQ(c.Load(std::string("targets:\0\n", 10)), -1);
}

TEST(CliMonitorConfig, OnlyOneDocumentIsRead) {
  Config c;
  EXPECT_EQ(c.Load("targets: [{hosts: [a]}]\n---\ntargets: [{hosts: [b]}]\n"), -1);
  EXPECT_EQ(c.Where(), "2:1: only one YAML document is read: remove this one");
}

}  // namespace
