/* libFuzzer target for the monitor's YAML configuration reader
 * (tools/monitor_config.c): the input is the file. Checks that a load
 * either fails with a message and an empty config or gives groups that
 * keep the header's promises. Seed corpus:
 * tests/fuzz/corpus/cli_monitor_config/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IK__FUZZ_REQUIRE(cond) \
  do {                         \
    if (!(cond)) abort();      \
  } while (0)

static void check(const ikcli_mon_config *cfg) {
  size_t i, j;
  IK__FUZZ_REQUIRE(cfg->ngroups > 0);
  for (i = 0; i < cfg->ngroups; i++) {
    const ikcli_mon_group *g = &cfg->groups[i];
    IK__FUZZ_REQUIRE(g->nhosts > 0 && g->line > 0);
    IK__FUZZ_REQUIRE(g->interval > 0.0 && g->interval <= 3600.0);
    IK__FUZZ_REQUIRE(g->timeout > 0.0 && g->timeout <= 3600.0);
    IK__FUZZ_REQUIRE(g->traffic_class >= 0 && g->traffic_class <= 255);
    for (j = 0; j < g->nhosts; j++)
      IK__FUZZ_REQUIRE(g->hosts[j][0] != '\0');
    for (j = 0; j < g->nlabels; j++)
      IK__FUZZ_REQUIRE(g->labels[j].name[0] != '\0' && g->labels[j].value != NULL);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char path[64];
  ikcli_mon_config cfg;
  char msg[512];
  FILE *f;
  /* CIDR ranges expand (up to a million addresses, a second each): the
   * cli_targets target fuzzes them. */
  if (memchr(data, '/', size) != NULL)
    return 0;
  if (path[0] == '\0')
    snprintf(path, sizeof path, "/tmp/icmpkit-fuzz-monconf-%ld.yml", (long)getpid());
  if ((f = fopen(path, "wb")) == NULL)
    return 0;
  if (size > 0)
    fwrite(data, 1, size, f);
  fclose(f);
  msg[0] = '\0';
  if (ikcli_mon_config_load(path, &cfg, msg, sizeof msg) != 0)
    IK__FUZZ_REQUIRE(msg[0] != '\0' && cfg.ngroups == 0 && cfg.groups == NULL && cfg.listen == NULL);
  else
    check(&cfg);
  ikcli_mon_config_free(&cfg);
  remove(path);
  return 0;
}
