/* Stub until the Windows service lands (issue 20): no service manager. */
#include "service.h"

#include <stdio.h>

int ikcli_service_run(const char *name, ikcli_service_body body, void *arg, char *msg,
                      size_t msglen) {
  (void)body;
  (void)arg;
  snprintf(msg, msglen, "%s: running as a service is not supported by this build", name);
  return -1;
}

int ikcli_service_install(const char *name, const char *args, char *msg, size_t msglen) {
  (void)args;
  snprintf(msg, msglen, "%s: installing a service is not supported by this build", name);
  return -1;
}

int ikcli_service_uninstall(const char *name, char *msg, size_t msglen) {
  snprintf(msg, msglen, "%s: removing a service is not supported by this build", name);
  return -1;
}
