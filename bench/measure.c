/* measure: runs a command and reports what it cost, so every prober in the
 * benchmark is measured the same way (GNU time's %e has only 10 ms
 * resolution, too coarse for the small sweeps).
 *
 *   measure OUTFILE COMMAND [ARG...]
 *
 * The command's output passes through untouched; OUTFILE receives one line:
 *   wall_s user_s sys_s maxrss_kib exit_status
 * maxrss comes from wait4's rusage (the child's peak resident set). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

int main(int argc, char **argv) {
  struct timespec t0, t1;
  struct rusage ru;
  int status = 0;
  pid_t pid;
  FILE *out;

  if (argc < 3) {
    fprintf(stderr, "usage: measure OUTFILE COMMAND [ARG...]\n");
    return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid = fork();
  if (pid < 0) {
    fprintf(stderr, "measure: fork: %s\n", strerror(errno));
    return 2;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    fprintf(stderr, "measure: %s: %s\n", argv[2], strerror(errno));
    _exit(127);
  }
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      fprintf(stderr, "measure: wait4: %s\n", strerror(errno));
      return 2;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  out = fopen(argv[1], "w");
  if (out == NULL) {
    fprintf(stderr, "measure: %s: %s\n", argv[1], strerror(errno));
    return 2;
  }
  fprintf(out, "%.6f %.6f %.6f %ld %d\n",
          (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
          seconds(ru.ru_utime), seconds(ru.ru_stime), ru.ru_maxrss,
          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  fclose(out);
  return 0;
}
