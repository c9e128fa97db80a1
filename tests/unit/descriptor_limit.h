// Runs code in a child process that has only a few file descriptors left
// (RLIMIT_NOFILE), to check that the library fails cleanly when they run
// out instead of letting libevent exit the process (issue 15). POSIX only.
#ifndef ICMPKIT_TESTS_DESCRIPTOR_LIMIT_H
#define ICMPKIT_TESTS_DESCRIPTOR_LIMIT_H

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include "icmpkit.h"

namespace iktest {

// valgrind applies a lowered RLIMIT_NOFILE to some system calls (pipe,
// open) and not to others (socketpair, which the library's check uses, and
// which libevent falls back to when its pipe fails): under it these tests
// would measure valgrind's emulation. The gcc and ASan runs cover them.
inline bool UnderValgrind() {
  const char *p = std::getenv("LD_PRELOAD");
  return p != nullptr && std::strstr(p, "vgpreload") != nullptr;
}

#define IKTEST_SKIP_UNDER_VALGRIND()                                                   \
  do {                                                                                 \
    if (iktest::UnderValgrind())                                                       \
      GTEST_SKIP() << "valgrind does not apply RLIMIT_NOFILE to socketpair: run without it"; \
  } while (0)

struct ChildOutcome {
  bool exited = false;  // returned normally: _exit(0) after fn
  int exit_status = -1;
  int signal = 0;       // the signal that killed it, or 0
  std::string report;   // what fn returned
  std::string err;      // what it wrote to stderr
};

inline std::string ReadAll(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}

// Runs fn in a child whose descriptors are 0, 1, 2 (stdin, stdout: /dev/null
// if closed; stderr: a pipe read back into err) and 3 (fn's report), with a
// limit leaving exactly `free_fds` more. before_limit runs first, with no
// limit (to create what needs descriptors). The child never returns into
// the test program: it _exits 0 after fn, or with leaks_on_purpose kills
// itself (SIGKILL), so that no leak check at exit (valgrind's) reports
// what fn leaves allocated on purpose.
inline ChildOutcome RunWithFreeDescriptors(int free_fds, const std::function<std::string()> &fn,
                                           const std::function<void()> &before_limit = {},
                                           bool leaks_on_purpose = false) {
  ChildOutcome out;
  int report[2], err[2];
  if (pipe(report) != 0) return out;
  if (pipe(err) != 0) {
    close(report[0]);
    close(report[1]);
    return out;
  }
  pid_t pid = fork();
  if (pid == 0) {
    if (fcntl(0, F_GETFD) < 0) open("/dev/null", O_RDONLY);
    if (fcntl(1, F_GETFD) < 0) open("/dev/null", O_WRONLY);
    dup2(err[1], 2);
    dup2(report[1], 3);
    long max = sysconf(_SC_OPEN_MAX);
    for (int fd = 4; fd < (max > 0 && max < 65536 ? max : 65536); ++fd) close(fd);
    if (before_limit) before_limit();
    // The descriptors before_limit opened sit at 4 and up: the limit
    // counts from the first free one.
    int first = 4;
    while (fcntl(first, F_GETFD) >= 0) ++first;
    rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = static_cast<rlim_t>(first + free_fds);
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) _exit(97);
    std::string r = fn();
    if (write(3, r.data(), r.size()) != static_cast<ssize_t>(r.size())) _exit(98);
    if (leaks_on_purpose) kill(getpid(), SIGKILL);
    _exit(0);
  }
  close(report[1]);
  close(err[1]);
  if (pid < 0) {
    close(report[0]);
    close(err[0]);
    return out;
  }
  out.report = ReadAll(report[0]);
  out.err = ReadAll(err[0]);
  close(report[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  out.exited = WIFEXITED(status);
  out.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  out.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return out;
}

// "IK_NAME: detail", what the report of a library call says.
inline std::string Outcome(int err, const char *detail) {
  return std::string(ik_err_name(err)) + ": " + detail;
}

}  // namespace iktest

#endif
