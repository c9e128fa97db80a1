// 200 pinger processes at once against the same target, all using the
// same id and sequences (raw sockets see every process's replies; with
// random 16-bit ids published libraries collide and steal them). The
// responder answers only the even-numbered processes: each of those must
// get all its replies, and each odd one none, whatever it sees.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "adversary.h"
#include "pinger.h"

extern char **environ;

namespace adv {
namespace {

constexpr int kProcesses = 200;
constexpr int kCount = 2;

struct Child {
  pid_t pid = -1;
  int out = -1;  // read end of its stdout
};

Child Spawn(const std::vector<std::string> &args) {
  Child c;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return c;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  std::vector<char *> argv;
  for (const std::string &a : args) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  if (posix_spawn(&c.pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) c.pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  c.out = fds[0];
  return c;
}

// The process index an echo request's payload names, -1 if none.
int ProcessIndex(const EchoRequest &rq) {
  int index = -1;
  std::string text(rq.payload.begin(), rq.payload.end());
  if (std::sscanf(text.c_str(), "ik-adv-proc-%5d-", &index) != 1) return -1;
  return index;
}

class Concurrent : public TunFixture<::testing::TestWithParam<Mode>> {};

TEST_P(Concurrent, TwoHundredProcessesNeverCountAnotherOnesReply) {
  const Mode m = GetParam();
  net_->SetScript([](const EchoRequest &rq, TunNet &n) {
    int index = ProcessIndex(rq);
    if (index >= 0 && index % 2 == 0) n.Reply(rq);
  });
  std::vector<Child> children;
  for (int i = 0; i < kProcesses; ++i)
    children.push_back(Spawn({ADV_PINGER, net_->Name(), std::to_string(m.family),
                              m.dgram ? "dgram" : "raw", HostsFor(m.family).target,
                              std::to_string(kCount), "1.5", std::to_string(i)}));
  for (int i = 0; i < kProcesses; ++i) {
    Child &c = children[static_cast<size_t>(i)];
    ASSERT_GT(c.pid, 0) << "spawning " << ADV_PINGER << " failed";
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = read(c.out, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    close(c.out);
    int status = 0;
    waitpid(c.pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "process " << i << ": " << out;
    int received = -1, wrong = -1;
    ASSERT_EQ(std::sscanf(out.c_str(), "received %d wrong %d", &received, &wrong), 2) << out;
    EXPECT_EQ(wrong, 0) << "process " << i;
    EXPECT_EQ(received, i % 2 == 0 ? kCount : 0)
        << "process " << i << (i % 2 ? " counted another process's reply" : " lost its replies");
  }
  EXPECT_EQ(net_->Requests().size(), static_cast<size_t>(kProcesses * kCount));
}

INSTANTIATE_TEST_SUITE_P(Modes, Concurrent, AllModes(), ModeName);

}  // namespace
}  // namespace adv
