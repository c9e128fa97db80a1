/* icmplib's "verbose_ping" example in C: COUNT echo requests, one line per
 * outcome, in the format of the original.
 *
 * usage: verbose_ping [--unprivileged] ADDRESS [COUNT [INTERVAL [TIMEOUT]]]
 * defaults: 4 requests, 1 s apart, 2 s timeout. */
#if !defined(_WIN32)
#  define _POSIX_C_SOURCE 200809L /* nanosleep */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#  include <windows.h>
#else
#  include <time.h>
#endif

#include <icmpkit.h>

static void sleep_seconds(double s) {
#if defined(_WIN32)
  Sleep((DWORD)(s * 1000));
#else
  struct timespec ts;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
  nanosleep(&ts, NULL);
#endif
}

/* Python's str(round(x, 3)): at most 3 decimals, trailing zeros dropped,
 * at least one decimal ("12.0", "0.05"). */
static const char *round3(double x, char *buf, size_t len) {
  char *p;
  snprintf(buf, len, "%.3f", x);
  p = buf + strlen(buf) - 1;
  while (*p == '0' && p[-1] != '.')
    *p-- = '\0';
  return buf;
}

static int usage(void) {
  fprintf(stderr, "usage: verbose_ping [--unprivileged] ADDRESS [COUNT [INTERVAL [TIMEOUT]]]\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *address = NULL;
  long count = 4;
  double interval = 1, timeout = 2;
  unsigned flags = 0;
  int i, positional = 0, err;
  uint16_t id = ik_unique_identifier();
  ik_socket *sock;

  for (i = 1; i < argc; i++) {
    char *end = NULL;
    if (strcmp(argv[i], "--unprivileged") == 0) {
      flags |= IK_SOCKET_UNPRIVILEGED;
      continue;
    }
    switch (positional++) {
    case 0:
      address = argv[i];
      end = (char *)"";
      break;
    case 1:
      count = strtol(argv[i], &end, 10);
      if (count < 0)
        end = NULL;
      break;
    case 2:
      interval = strtod(argv[i], &end);
      if (!(interval >= 0))
        end = NULL;
      break;
    case 3:
      timeout = strtod(argv[i], &end);
      if (!(timeout >= 0))
        end = NULL;
      break;
    default:
      break;
    }
    if (end == NULL || *end != '\0')
      return usage();
  }
  if (address == NULL)
    return usage();

  /* A payload of 56 bytes is the default (ik_request.payload_size). */
  printf("PING %s: 56 data bytes\n\n", address);

  /* The socket's family follows the address. */
  err = ik_socket_open(&sock, ik_is_ipv6_address(address) ? IK_AF_INET6 : IK_AF_INET, NULL, flags);
  if (err != 0) {
    fprintf(stderr, "verbose_ping: %s: %s\n", ik_strerror(err), ik_last_error());
    return 1;
  }

  for (i = 0; i < count; i++) {
    ik_request request;
    ik_reply reply;
    char rtt[32];

    if ((err = ik_request_init(&request, address, id, i)) == 0 &&
        (err = ik_socket_send(sock, &request)) == 0 &&
        (err = ik_socket_receive(sock, &request, timeout, &reply)) == 0) {
      printf("  %zu bytes from %s: ", reply.bytes_received, reply.source);
      /* An ICMP error message (unreachable, time exceeded...) ends the line. */
      if ((err = ik_reply_check(&reply)) == 0) {
        printf("icmp_seq=%d time=%s ms\n", i, round3(ik_rtt_ms(&request, &reply), rtt, sizeof rtt));
        if (i < count - 1)
          sleep_seconds(interval);
        continue;
      }
    }
    if (err == IK_ETIMEOUT)
      printf("  Request timeout for icmp_seq %d\n", i);
    else if (ik_is_icmp_error(err))
      printf("%s\n", ik_reply_message(&reply));
    else
      printf("  An error has occurred.\n");
  }

  printf("\nCompleted.\n");
  ik_socket_free(sock);
  return 0;
}
