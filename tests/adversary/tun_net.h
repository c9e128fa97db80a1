// The adversary network: a private network namespace whose only route to
// 198.18.0.0/15 and fd00::/8 is a TUN device. A responder thread reads the
// echo requests the kernel writes to the tun and answers them as a test
// script says: correctly, late, twice, corrupted, from the wrong host, or
// with an ICMP error. The pinging code runs inside the same namespace (a
// thread that joined it with setns), so no packet ever leaves the namespace.
#ifndef IK_ADVERSARY_TUN_NET_H
#define IK_ADVERSARY_TUN_NET_H

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "wire.h"

namespace adv {

// Addresses of the scripted network (all behind the tun).
struct Hosts {
  const char *local;      // the pinger's own address, on the tun
  const char *target;     // the host being pinged
  const char *other;      // another host of the network
  const char *router;     // a router that sends ICMP errors
  const char *elsewhere;  // a destination the pinger never used
};
const Hosts &HostsFor(int family);

// How to answer one echo request; every field defaults to "correctly".
struct ReplySpec {
  IpOpts ip;                      // TTL, checksum, IPv4 options, IPv6 ext headers
  std::optional<std::string> src; // default: the request's destination
  std::optional<uint16_t> id, seq;
  std::optional<Bytes> payload;   // default: the request's payload
};

// The IP packet of an echo reply to rq shaped by spec.
Bytes EchoReplyPacket(const EchoRequest &rq, const ReplySpec &spec = {});
// An ICMP error (type, code) from `from` to the request's source quoting
// `quote` (see QuoteOf / WithDestination).
Bytes ErrorPacket(const EchoRequest &rq, const std::string &from, uint8_t type,
                  uint8_t code, const Bytes &quote, int ttl = 64);

// Runs fn in a new thread that has joined the named network namespace;
// returns false (and fn does not run) if joining failed.
bool RunInNetns(const std::string &netns, const std::function<void()> &fn);

// Runs a shell command; returns its exit status (and prints it on failure).
int Sh(const std::string &cmd);

class TunNet {
 public:
  using Script = std::function<void(const EchoRequest &, TunNet &)>;

  TunNet();
  ~TunNet();
  TunNet(const TunNet &) = delete;
  TunNet &operator=(const TunNet &) = delete;

  bool Ok() const { return ok_; }
  const std::string &Error() const { return error_; }
  const std::string &Name() const { return name_; }

  // fn runs inside the namespace (see RunInNetns). If the thread cannot
  // join it, fn does not run and the current test fails here: a test whose
  // body never ran must not pass (nothing returned for a caller to forget).
  void Run(const std::function<void()> &fn) const;

  // The responder calls the script for every echo request, on its own
  // thread. Default: answer correctly at once. A script may still be
  // running when the pinger already has its answer: keep state in the
  // TunNet (Requests()) or capture by value, never a test body's locals.
  void SetScript(Script script);
  // Any thread may write packets (each write is one whole packet).
  void Write(const Bytes &packet);
  void Reply(const EchoRequest &rq, const ReplySpec &spec = {}) {
    Write(EchoReplyPacket(rq, spec));
  }

  std::vector<EchoRequest> Requests();
  // Waits until at least n requests arrived in total; false on timeout.
  bool WaitForRequests(size_t n, double timeout_s);
  size_t PacketsWritten() const { return written_; }

 private:
  void Setup();
  bool WaitForLocalRoute6();
  void Loop();

  std::string name_, error_;
  bool ok_ = false;
  int tun_ = -1;
  int stop_[2] = {-1, -1};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  Script script_;
  std::vector<EchoRequest> requests_;
  std::atomic<size_t> written_{0};
};

}  // namespace adv

#endif
