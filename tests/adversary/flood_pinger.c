/* The library side of the flood tests (ping_flood.cpp), in a process of its
 * own so that the test can read its peak RSS (wait4) alone.
 * usage: flood_pinger ping|multiping|stream FAMILY(4|6) raw|dgram COUNT INTERVAL TIMEOUT TARGET...
 * Runs in the network namespace it was started in. ping: ik_ping(TARGET);
 * multiping: ik_multiping with a hosts array; stream: ik_multiping with
 * on_host and no array. Prints one line per host:
 *   ADDRESS sent S received R duplicates D error E
 * Exit status 0, or 2 when the call itself failed (message on stderr).
 *
 * usage: flood_pinger rss PROGRAM ARGS...
 * Runs PROGRAM as its child, then prints "rss KIB", the child's peak RSS
 * (wait4's ru_maxrss), as the last line of stdout, and exits with the
 * child's status. Why a go-between: the kernel counts in a process's peak
 * the peak of the memory it had before exec, which for a child spawned by
 * the test process (vfork or fork) is the test's own, often larger; a child
 * of this small process starts from this one's few hundred KiB. In
 * AddressSanitizer builds the child runs without ASan's quarantine, which
 * holds freed memory (up to 256 MiB) and would count as growth. */
#define _GNU_SOURCE /* wait4 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "icmpkit.h"

static void print_host(const ik_host *h) {
  printf("%s sent %d received %d duplicates %d error %d\n", h->address, h->packets_sent,
         h->packets_received, h->duplicates, h->error);
}

static void on_host(void *arg, size_t index, const ik_host *h) {
  (void)arg;
  (void)index;
  print_host(h);
}

static int run_measured(char **argv) {
  const char *asan = getenv("ASAN_OPTIONS");
  char options[1024];
  struct rusage ru;
  int status;
  pid_t pid;

  snprintf(options, sizeof options, "%s%squarantine_size_mb=0", asan ? asan : "", asan && *asan ? ":" : "");
  setenv("ASAN_OPTIONS", options, 1);
  fflush(stdout);
  if ((pid = fork()) < 0) {
    perror("fork");
    return 2;
  }
  if (pid == 0) {
    execv(argv[0], argv);
    perror(argv[0]);
    _exit(127);
  }
  if (wait4(pid, &status, 0, &ru) != pid) {
    perror("wait4");
    return 2;
  }
  printf("rss %ld\n", ru.ru_maxrss);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv) {
  ik_ping_options o;
  const char *kind;
  size_t n, i;
  int err;

  if (argc >= 3 && strcmp(argv[1], "rss") == 0)
    return run_measured(argv + 2);
  if (argc < 8) {
    fprintf(stderr, "usage: %s ping|multiping|stream FAMILY raw|dgram COUNT INTERVAL TIMEOUT TARGET...\n",
            argv[0]);
    return 2;
  }
  kind = argv[1];
  if (strcmp(kind, "ping") == 0)
    ik_ping_options_init(&o);
  else
    ik_multiping_options_init(&o);
  o.family = atoi(argv[2]);
  o.privileged = strcmp(argv[3], "raw") == 0;
  o.count = atoi(argv[4]);
  o.interval = atof(argv[5]);
  o.timeout = atof(argv[6]);
  n = (size_t)(argc - 7);
  if (strcmp(kind, "ping") == 0) {
    ik_host h;
    memset(&h, 0, sizeof h);
    if ((err = ik_ping(argv[7], &o, &h)) == 0) {
      print_host(&h);
      ik_host_free(&h);
    }
  } else if (strcmp(kind, "multiping") == 0) {
    ik_host *hosts = calloc(n, sizeof *hosts);
    if (hosts == NULL)
      return 2;
    if ((err = ik_multiping((const char *const *)(argv + 7), n, &o, hosts)) == 0)
      for (i = 0; i < n; i++) {
        print_host(&hosts[i]);
        ik_host_free(&hosts[i]);
      }
    free(hosts);
  } else {
    o.on_host = on_host;
    err = ik_multiping((const char *const *)(argv + 7), n, &o, NULL);
  }
  if (err != 0) {
    fprintf(stderr, "flood_pinger %s: %s: %s\n", kind, ik_err_name(err), ik_last_error());
    return 2;
  }
  return 0;
}
