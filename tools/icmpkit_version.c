/* Placeholder CLI until the ping/multiping/traceroute commands land. */
#include <stdio.h>
#include <string.h>

#include "icmpkit.h"

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--version") == 0) {
    printf("icmpkit %s\n", ik_version());
    return 0;
  }
  fprintf(stderr, "usage: icmpkit --version\n");
  return 2;
}
