// The pinging side of the adversary tests: icmpkit's socket API, used from
// a thread inside the adversary namespace.
#ifndef IK_ADVERSARY_PINGER_H
#define IK_ADVERSARY_PINGER_H

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>

#include "icmpkit.h"

namespace adv {

// One socket mode of the matrix: family x {raw, DGRAM}.
struct Mode {
  int family;
  bool dgram;
};

inline std::string ModeString(const Mode &m) {
  return std::string(m.family == 4 ? "V4" : "V6") + (m.dgram ? "Dgram" : "Raw");
}
inline std::string ModeName(const ::testing::TestParamInfo<Mode> &info) {
  return ModeString(info.param);
}
// Without it GoogleTest prints the struct's bytes, padding included.
inline void PrintTo(const Mode &m, std::ostream *os) { *os << ModeString(m); }

inline auto AllModes() {
  return ::testing::Values(Mode{4, false}, Mode{4, true}, Mode{6, false}, Mode{6, true});
}

// What one receive gave.
struct Outcome {
  int err = 1;      // 1: never ran
  ik_reply reply{};
  double elapsed = 0;
};

class Pinger {
 public:
  explicit Pinger(Mode m) : mode_(m) {
    int err = ik_socket_open(&sock_, m.family, nullptr, m.dgram ? IK_SOCKET_UNPRIVILEGED : 0u);
    EXPECT_EQ(err, 0) << ik_err_name(err) << ": " << ik_last_error();
  }
  ~Pinger() { ik_socket_free(sock_); }
  Pinger(const Pinger &) = delete;
  Pinger &operator=(const Pinger &) = delete;

  bool Ok() const { return sock_ != nullptr; }
  ik_socket *Sock() { return sock_; }

  // A request to `dest` (default: the network's target), sent.
  ik_request Send(uint16_t seq, const char *dest = nullptr, size_t payload_size = 56) {
    ik_request req;
    const char *to = dest ? dest : (mode_.family == 4 ? "198.18.1.1" : "fd00::1:1");
    EXPECT_EQ(ik_request_init(&req, to, 0x4a4b, seq), 0) << ik_last_error();
    req.payload_size = payload_size;
    int err = ik_socket_send(sock_, &req);
    EXPECT_EQ(err, 0) << ik_err_name(err) << ": " << ik_last_error();
    return req;
  }

  // Datagrams the kernel dropped because this socket's receive buffer was
  // full (the "drops" column of /proc/net/{raw,icmp}[6]); -1 if not found.
  // Call from the namespace's thread: /proc/thread-self/net is per thread.
  long KernelDrops() {
    struct stat st;
    if (fstat(static_cast<int>(ik_socket_native(sock_)), &st) != 0) return -1;
    std::string table = std::string(mode_.dgram ? "icmp" : "raw") + (mode_.family == 6 ? "6" : "");
    std::ifstream in("/proc/thread-self/net/" + table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string tok[13];
      for (auto &t : tok) f >> t;
      if (tok[9] == std::to_string(st.st_ino)) return std::stol(tok[12]);
    }
    return -1;
  }

  Outcome Receive(const ik_request *match, double timeout) {
    Outcome o;
    auto t0 = std::chrono::steady_clock::now();
    o.err = ik_socket_receive(sock_, match, timeout, &o.reply);
    o.elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return o;
  }

 private:
  Mode mode_;
  ik_socket *sock_ = nullptr;
};

}  // namespace adv

#endif
