/* libFuzzer target for the command-line tool's input parsing: -f target
 * files, -g CIDR ranges, host operands and whole command lines. The first
 * byte picks the parser, the rest is its input. Plain C with no libFuzzer
 * dependency (see replay_main.c). Seed corpus: tests/fuzz/corpus/cli_targets/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IK__FUZZ_REQUIRE(cond) \
  do {                         \
    if (!(cond)) abort();      \
  } while (0)

/* Ranges between 2^16 and the tool's cap of 2^20 addresses are valid but
 * take a second each to expand: skip them so the fuzzer stays fast. */
static int huge_range(const char *cidr) {
  const char *slash = strrchr(cidr, '/');
  int prefix, v6 = strchr(cidr, ':') != NULL;
  if (slash == NULL)
    return 0;
  prefix = atoi(slash + 1);
  return v6 ? prefix < 112 && prefix >= 108 : prefix < 16 && prefix >= 12;
}

static void check_targets(const ikcli_targets *t) {
  size_t i;
  IK__FUZZ_REQUIRE(t->n <= IKCLI_MAX_TARGETS);
  for (i = 0; i < t->n; ++i) {
    IK__FUZZ_REQUIRE(t->offsets[i] < t->arena_len);
    IK__FUZZ_REQUIRE(memchr(t->arena + t->offsets[i], '\0', t->arena_len - t->offsets[i]) != NULL);
  }
}

static void fuzz_args(const char *text, size_t len) {
  /* NUL-separated arguments after argv[0]. */
  const char *argv[64];
  int argc = 1;
  size_t i = 0;
  ikcli_args args;
  char msg[256];
  argv[0] = "icmpkit";
  while (i < len && argc < 64) {
    argv[argc++] = text + i;
    i += strlen(text + i) + 1;
  }
  memset(&args, 0, sizeof args);
  if (ikcli_parse_args(argc, argv, &args, msg, sizeof msg) != 0)
    IK__FUZZ_REQUIRE(msg[0] != '\0');
  ikcli_args_free(&args);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ikcli_targets t;
  char msg[256];
  char *text;
  if (size == 0)
    return 0;
  /* A NUL-terminated copy of the input after the selector byte. */
  if ((text = malloc(size)) == NULL)
    return 0;
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  memset(&t, 0, sizeof t);
  msg[0] = '\0';
  switch (data[0] % 4) {
  case 0:
    if (ikcli_targets_add_text(&t, data + 1, size - 1, "fuzz", msg, sizeof msg) != 0)
      IK__FUZZ_REQUIRE(msg[0] != '\0' && t.n == 0);
    break;
  case 1:
    if (!huge_range(text) && ikcli_targets_add_cidr(&t, text, msg, sizeof msg) != 0)
      IK__FUZZ_REQUIRE(msg[0] != '\0' && t.n == 0);
    break;
  case 2:
    if (ikcli_targets_add(&t, text, msg, sizeof msg) != 0)
      IK__FUZZ_REQUIRE(msg[0] != '\0' && t.n == 0);
    break;
  default:
    fuzz_args(text, size - 1);
    break;
  }
  check_targets(&t);
  if (t.n > 0)
    IK__FUZZ_REQUIRE(ikcli_targets_list(&t) != NULL);
  ikcli_targets_free(&t);
  free(text);
  return 0;
}
