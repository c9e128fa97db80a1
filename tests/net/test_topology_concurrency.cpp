/* Two processes pinging the same target at the same time with the same
 * identifier. Raw sockets each see both processes' replies: the library
 * must take only its own (checked by payload); DGRAM sockets are
 * separated by the kernel, which assigns the identifiers. */
#include "test_topology_fixture.h"

#include <unistd.h>

#include <sstream>

namespace iknet {
namespace {

using ConcurrencyTest = ChainTest;

constexpr int kProbes = 100;
constexpr uint16_t kSharedId = 0x4b4b;

/* Runs in a child: opens a socket, waits for the start signal, then sends
 * kProbes requests of payload_size bytes one after the other, each waiting
 * for its reply. Returns "ok" or what went wrong. */
std::string pinger(const Mode &mode, size_t payload_size, int start_fd) {
  std::ostringstream problems;
  ik_socket *s = nullptr;
  int err = ik_socket_open(&s, mode.ik_family(), nullptr, mode.flags());
  if (err != 0) return std::string("open: ") + ik_err_name(err) + " " + ik_last_error();
  char go;
  if (read(start_fd, &go, 1) != 1) return "no start signal";
  std::string target = Chain::target_address(mode.family);
  for (int seq = 0; seq < kProbes; ++seq) {
    ik_request req;
    ik_reply reply;
    if ((err = ik_request_init(&req, target.c_str(), kSharedId, seq)) != 0) break;
    req.payload_size = payload_size;
    if ((err = ik_socket_send(s, &req)) != 0 || (err = ik_socket_receive(s, &req, 1.0, &reply)) != 0) {
      problems << " seq " << seq << ": " << ik_err_name(err) << " " << ik_last_error() << ";";
      continue;
    }
    if (reply.sequence != seq || reply.id != req.id || reply.type != mode.echo_reply_type() ||
        target != reply.source || reply.bytes_received != 8 + payload_size || reply.time < req.time)
      problems << " seq " << seq << ": took a reply of " << reply.bytes_received << " bytes, seq "
               << reply.sequence << ", from " << reply.source << ", " << (reply.time - req.time) * 1000
               << " ms after the request;";
  }
  ik_socket_free(s);
  std::string p = problems.str();
  return p.empty() ? "ok" : p;
}

TEST_P(ConcurrencyTest, TwoProcessesWithTheSameIdEachGetOnlyTheirOwnReplies) {
  Mode mode = GetParam();
  int start[2];
  ASSERT_EQ(pipe(start), 0);
  /* Different payload sizes: a reply taken by the wrong process shows in
   * bytes_received. */
  Child a(chain_->pinger(), [&] { return pinger(mode, 56, start[0]); });
  Child b(chain_->pinger(), [&] { return pinger(mode, 120, start[0]); });
  ASSERT_EQ(write(start[1], "gg", 2), 2);
  close(start[1]);
  std::string ra = a.wait(), rb = b.wait();
  close(start[0]);
  EXPECT_EQ(ra, "ok") << "process A (56-byte payloads)";
  EXPECT_EQ(rb, "ok") << "process B (120-byte payloads)";
}

/* Deterministic variant in one process: socket B's reply (same id,
 * sequence and destination, another payload) is already queued on raw
 * socket A when A sends. B's payload is longer, so taking it shows in
 * bytes_received. (Not in reply.time: when no socket of the system had
 * asked for timestamps just before, Linux enables them lazily and stamps
 * such early packets when they are read, not when they arrived.) */
TEST_P(ConcurrencyTest, QueuedReplyToAnotherSocketsIdenticalRequestIsNotTaken) {
  ik_socket *a = open(), *b = open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ik_request for_a, for_b;
  std::string target = Chain::target_address(family());
  ASSERT_EQ(ik_request_init(&for_b, target.c_str(), kSharedId, 3), 0);
  ASSERT_EQ(ik_request_init(&for_a, target.c_str(), kSharedId, 3), 0);
  for_b.payload_size = 120;
  ik_reply reply;
  ASSERT_EQ(ik_socket_send(b, &for_b), 0) << ik_last_error();
  ASSERT_EQ(ik_socket_receive(b, &for_b, 1.0, &reply), 0) << ik_last_error();

  ASSERT_EQ(ik_socket_send(a, &for_a), 0) << ik_last_error();
  ASSERT_EQ(ik_socket_receive(a, &for_a, 1.0, &reply), 0) << ik_last_error();
  EXPECT_EQ(reply.bytes_received, 8u + IK_DEFAULT_PAYLOAD_SIZE) << "took B's reply";
  EXPECT_GE(reply.time, for_a.time);
  EXPECT_STREQ(reply.source, target.c_str());
}

INSTANTIATE_TEST_SUITE_P(Mode, ConcurrencyTest, ::testing::ValuesIn(all_modes()), ModeName);

}  // namespace
}  // namespace iknet
