/* icmpkit monitor: the library's monitor (icmpkit/monitor.h) with targets
 * from the command line and --config, an evhttp server for /metrics, and
 * reloads on SIGHUP or POST /-/reload. */
#ifndef IKCLI_MONITOR_H
#define IKCLI_MONITOR_H

#include "args.h"
#include "icmpkit.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs the monitor until SIGINT/SIGTERM (or the service's stop) with the
 * options o (the command line over the defaults) and the sockets opened
 * before the privilege drop (NULL: the monitor opens its own). Returns
 * the exit status: 0 after a clean stop, 2 when it cannot start. */
int ikcli_monitor_main(const ikcli_args *a, const ik_ping_options *o, ik_socket *const sockets[2]);

#ifdef __cplusplus
}
#endif

#endif
