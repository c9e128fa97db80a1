/* Running a long-lived command (icmpkit monitor) under the platform's
 * service manager. Windows: the Service Control Manager (tools/service_win32.c);
 * elsewhere a service manager (systemd) runs the command as any process and
 * these functions say so (tools/service_posix.c). */
#ifndef IKCLI_SERVICE_H
#define IKCLI_SERVICE_H

#include <stddef.h>

/* The body of a service: runs until *stop becomes nonzero (it polls the
 * flag at least every 0.1 s, as the probe engine's cancel does), then
 * returns its exit status (0: clean). log(line) writes one line where the
 * service's messages go (Windows: the event log or the file given at
 * install; elsewhere stderr). */
typedef struct ikcli_service_ctx {
  const volatile int *stop;
  void (*log)(const char *line);
} ikcli_service_ctx;
typedef int (*ikcli_service_body)(const ikcli_service_ctx *ctx, void *arg);

/* Runs body as the service called name when the SCM started this process
 * (Windows, `icmpkit monitor --service ...`): reports running, turns stop
 * and shutdown controls into *stop, reports stopped with body's status.
 * Returns body's status, or -1 with msg when the process was not started
 * by the SCM or the dispatcher failed. Elsewhere: -1, "not supported". */
int ikcli_service_run(const char *name, ikcli_service_body body, void *arg, char *msg,
                      size_t msglen);
/* Registers (install) or removes (uninstall) the service name that runs
 * this executable with args (a command line: "monitor --service --config
 * C:\\...\\monitor.yml"). Returns 0, or -1 with msg (access denied, exists,
 * not found). Elsewhere: -1, with msg pointing at the systemd unit. */
int ikcli_service_install(const char *name, const char *args, char *msg, size_t msglen);
int ikcli_service_uninstall(const char *name, char *msg, size_t msglen);

#endif /* IKCLI_SERVICE_H */
