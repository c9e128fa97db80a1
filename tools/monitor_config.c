/* Stub until the libyaml parser lands (issue 20): refuses every file. */
#include "monitor_config.h"

#include <stdio.h>
#include <string.h>

int ikcli_mon_config_load(const char *path, ikcli_mon_config *cfg, char *msg, size_t msglen) {
  memset(cfg, 0, sizeof *cfg);
  snprintf(msg, msglen, "%s: configuration files are not supported by this build", path);
  return -1;
}

void ikcli_mon_config_free(ikcli_mon_config *cfg) { memset(cfg, 0, sizeof *cfg); }
