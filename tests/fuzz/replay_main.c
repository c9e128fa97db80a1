/* Replays fuzz inputs without libFuzzer: every file named on the command
 * line, or found directly inside a named directory, goes once through the
 * target's LLVMFuzzerTestOneInput. Linked with each fuzz target in every
 * build, so ctest keeps the seed corpus and past crashers as regression
 * tests (the target aborts on a broken invariant; sanitizers report the
 * rest). Fails when it found no input at all: a replay of nothing would
 * pass whatever the code does. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0, n;
  if (f == NULL) {
    perror(path);
    return -1;
  }
  do {
    if (len == cap) {
      uint8_t *grown = realloc(buf, cap = cap ? 2 * cap : 4096);
      if (grown == NULL) {
        free(buf);
        fclose(f);
        return -1;
      }
      buf = grown;
    }
    n = fread(buf + len, 1, cap - len, f);
    len += n;
  } while (n > 0);
  fclose(f);
  /* An exact-size copy, so ASan sees reads one past the input. */
  {
    uint8_t *exact = malloc(len ? len : 1);
    if (exact == NULL) {
      free(buf);
      return -1;
    }
    if (len) memcpy(exact, buf, len);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
  }
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  int i, inputs = 0;
  for (i = 1; i < argc; ++i) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      perror(argv[i]);
      return 1;
    }
    if (S_ISDIR(st.st_mode)) {
      DIR *d = opendir(argv[i]);
      struct dirent *e;
      if (d == NULL) {
        perror(argv[i]);
        return 1;
      }
      while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat fst;
        snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
        if (stat(path, &fst) != 0 || !S_ISREG(fst.st_mode))
          continue;
        if (replay_file(path) != 0) {
          closedir(d);
          return 1;
        }
        ++inputs;
      }
      closedir(d);
    } else {
      if (replay_file(argv[i]) != 0)
        return 1;
      ++inputs;
    }
  }
  printf("replayed %d inputs\n", inputs);
  return inputs > 0 ? 0 : 1;
}
