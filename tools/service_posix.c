/* service.h away from Windows: a service manager (systemd, launchd) runs
 * icmpkit monitor as a plain process and stops it with SIGTERM, so there is
 * nothing to dispatch and nothing to register from here. */
#include "service.h"

#include <stdio.h>

#include "icmpkit.h"

int ikcli_service_run(const char *name, ikcli_service_body body, void *arg, char *msg,
                      size_t msglen) {
  char sh[128];
  (void)body;
  (void)arg;
  snprintf(msg, msglen,
           "%s: running under a service manager's control protocol is not supported here (Windows "
           "only); run the command as a plain process (systemd stops it with SIGTERM)",
           ik_escape(name, sh, sizeof sh));
  return -1;
}

int ikcli_service_install(const char *name, const char *args, char *msg, size_t msglen) {
  char sh[128];
  (void)args;
  snprintf(msg, msglen,
           "%s: install the systemd unit instead: systemctl enable --now icmpkit-monitor "
           "(packaging/systemd/icmpkit-monitor.service, installed by cmake --install)",
           ik_escape(name, sh, sizeof sh));
  return -1;
}

int ikcli_service_uninstall(const char *name, char *msg, size_t msglen) {
  char sh[128];
  snprintf(msg, msglen,
           "%s: remove the systemd unit instead: systemctl disable --now icmpkit-monitor",
           ik_escape(name, sh, sizeof sh));
  return -1;
}
