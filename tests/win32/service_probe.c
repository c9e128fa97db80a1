/* A tiny service for trying tools/service_win32.c under a real Service
 * Control Manager (Wine's, in scripts/test-windows):
 *   service_probe install NAME OUTFILE   registers "service_probe run NAME OUTFILE"
 *   service_probe run NAME OUTFILE       the service: counts 10 ms ticks until
 *                                        stopped, then writes "ticks N" to OUTFILE
 *                                        and exits with status 7
 *   service_probe uninstall NAME
 * Exit status 0 (install, uninstall), the body's (run), 1 with a message. */
#include <stdio.h>
#include <string.h>
#include <windows.h>

#include "service.h"

static int count_until_stopped(const ikcli_service_ctx *ctx, void *arg) {
  const char *out = (const char *)arg;
  unsigned long ticks = 0;
  FILE *f;
  ctx->log("service_probe: counting");
  while (!*ctx->stop) {
    Sleep(10);
    ticks++;
  }
  if ((f = fopen(out, "w")) != NULL) {
    fprintf(f, "ticks %lu\n", ticks);
    fclose(f);
  }
  return 7;
}

int main(int argc, char **argv) {
  char msg[512], args[1024];
  int rc;
  if (argc == 4 && strcmp(argv[1], "install") == 0) {
    snprintf(args, sizeof args, "run %s \"%s\"", argv[2], argv[3]);
    rc = ikcli_service_install(argv[2], args, msg, sizeof msg);
  } else if (argc == 3 && strcmp(argv[1], "uninstall") == 0) {
    rc = ikcli_service_uninstall(argv[2], msg, sizeof msg);
  } else if (argc == 4 && strcmp(argv[1], "run") == 0) {
    rc = ikcli_service_run(argv[2], count_until_stopped, argv[3], msg, sizeof msg);
    if (rc >= 0)
      return rc;
  } else {
    fprintf(stderr, "usage: service_probe install|run NAME OUTFILE | uninstall NAME\n");
    return 1;
  }
  if (rc != 0) {
    fprintf(stderr, "service_probe: %s\n", msg);
    return 1;
  }
  return 0;
}
