/* Shared by the test_topology_*.cpp scenarios: the {raw, DGRAM} x {v4, v6}
 * modes, and a fixture that builds the Chain and runs the test body inside
 * the pinger namespace. */
#ifndef IKNET_TEST_TOPOLOGY_FIXTURE_H
#define IKNET_TEST_TOPOLOGY_FIXTURE_H

#include "netns.h"

#include <chrono>
#include <ostream>
#include <memory>
#include <string>
#include <vector>

extern "C" {
#include "icmpkit.h"
}

namespace iknet {

struct Mode {
  bool privileged;
  int family;  /* 4 or 6 */
  unsigned flags() const { return privileged ? 0u : IK_SOCKET_UNPRIVILEGED; }
  int ik_family() const { return family == 4 ? IK_AF_INET : IK_AF_INET6; }
  std::string name() const { return std::string(privileged ? "Raw" : "Dgram") + (family == 4 ? "V4" : "V6"); }
  int echo_reply_type() const { return family == 4 ? 0 : 129; }
  int echo_request_type() const { return family == 4 ? 8 : 128; }
  int time_exceeded_type() const { return family == 4 ? 11 : 3; }
  int unreachable_type() const { return family == 4 ? 3 : 1; }
};

inline void PrintTo(const Mode &m, std::ostream *os) { *os << m.name(); }

inline std::vector<Mode> all_modes() { return {{true, 4}, {false, 4}, {true, 6}, {false, 6}}; }
inline std::vector<Mode> v4_modes() { return {{true, 4}, {false, 4}}; }

inline std::string ModeName(const ::testing::TestParamInfo<Mode> &info) { return info.param.name(); }

/* What one echo request ended with. */
struct Probe {
  int err = 0;               /* of send, else of receive */
  std::string error_text;    /* ik_last_error() when err != 0 */
  ik_request request{};
  ik_reply reply{};
  double elapsed = 0;        /* seconds spent in receive, measured here */
};

inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

/* Sends one request on sock and waits for its match. */
inline Probe probe_on(ik_socket *sock, const std::string &dest, uint16_t sequence, int ttl = IK_DEFAULT_TTL,
                      double timeout = 1.0, int traffic_class = 0) {
  Probe p;
  p.err = ik_request_init(&p.request, dest.c_str(), ik_unique_identifier(), sequence);
  if (p.err == 0) {
    p.request.ttl = ttl;
    p.request.traffic_class = traffic_class;
    p.err = ik_socket_send(sock, &p.request);
  }
  if (p.err == 0) {
    auto start = std::chrono::steady_clock::now();
    p.err = ik_socket_receive(sock, &p.request, timeout, &p.reply);
    p.elapsed = seconds_since(start);
  }
  if (p.err != 0) p.error_text = ik_last_error();
  return p;
}

inline std::string describe(const Probe &p) {
  std::string s = std::string(ik_err_name(p.err));
  if (p.err != 0) return s + ": " + p.error_text;
  return s + " reply from " + p.reply.source + " type " + std::to_string(p.reply.type) + " code " +
         std::to_string(p.reply.code) + " id " + std::to_string(p.reply.id) + " seq " +
         std::to_string(p.reply.sequence) + " ttl " + std::to_string(p.reply.ttl) + " bytes " +
         std::to_string(p.reply.bytes_received);
}

/* Builds the Chain; the test body runs in the pinger namespace. */
class ChainScenario : public ::testing::Test {
 protected:
  void build(const Mode &mode) {
    mode_ = mode;
    chain_.reset(new Chain());
    in_pinger_.reset(new ScopedNetns(chain_->pinger()));
  }
  void TearDown() override {
    for (ik_socket *s : sockets_) ik_socket_free(s);
    sockets_.clear();
    in_pinger_.reset();
    chain_.reset();
  }
  /* Opens a socket of the test's mode (freed in TearDown); nullptr and a
   * test failure if it cannot. */
  ik_socket *open(const char *source = nullptr) {
    ik_socket *s = nullptr;
    int err = ik_socket_open(&s, mode_.ik_family(), source, mode_.flags());
    EXPECT_EQ(err, 0) << ik_err_name(err) << ": " << ik_last_error();
    if (s) sockets_.push_back(s);
    return s;
  }
  Probe probe(const std::string &dest, int ttl = IK_DEFAULT_TTL, double timeout = 1.0, int traffic_class = 0) {
    ik_socket *s = sock();
    if (!s) {
      Probe p;
      p.err = IK_EUNAVAILABLE;
      p.error_text = "no socket";
      return p;
    }
    return probe_on(s, dest, ++sequence_, ttl, timeout, traffic_class);
  }
  /* The test's main socket, opened on first use. */
  ik_socket *sock() {
    if (!main_) main_ = open();
    return main_;
  }
  int family() const { return mode_.family; }

  Mode mode_{true, 4};
  std::unique_ptr<Chain> chain_;
  std::unique_ptr<ScopedNetns> in_pinger_;
  std::vector<ik_socket *> sockets_;
  ik_socket *main_ = nullptr;
  uint16_t sequence_ = 0;
};

/* The fixture for tests parameterised by Mode only. */
class ChainTest : public ChainScenario, public ::testing::WithParamInterface<Mode> {
 protected:
  void SetUp() override {
    IKNET_REQUIRE_ROOT();
    build(GetParam());
  }
};

}  // namespace iknet

#endif
