/* icmplib's "one_ping" example in C: one echo request, and a message for
 * each way it can end. Like the original it prints nothing when the
 * destination answers; the exit status tells (0: echo reply, 1: not).
 *
 * usage: one_ping [--unprivileged] ADDRESS [TIMEOUT]   (IPv4 socket, as in icmplib) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <icmpkit.h>

static int usage(void) {
  fprintf(stderr, "usage: one_ping [--unprivileged] ADDRESS [TIMEOUT]\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *address = NULL;
  double timeout = 2;
  unsigned flags = 0;
  int i, positional = 0, err;
  ik_socket *sock;
  ik_request request;
  ik_reply reply;

  for (i = 1; i < argc; i++) {
    char *end;
    if (strcmp(argv[i], "--unprivileged") == 0)
      flags |= IK_SOCKET_UNPRIVILEGED;
    else if (positional == 0)
      address = argv[i], positional++;
    else if (positional == 1 && (timeout = strtod(argv[i], &end), *end == '\0' && timeout >= 0))
      positional++;
    else
      return usage();
  }
  if (address == NULL)
    return usage();

  /* As in icmplib, a socket or request that cannot be made is not one of
   * the outcomes the example handles: report and stop. */
  if ((err = ik_socket_open(&sock, IK_AF_INET, NULL, flags)) != 0 ||
      (err = ik_request_init(&request, address, ik_unique_identifier(), 1)) != 0) {
    fprintf(stderr, "one_ping: %s: %s\n", ik_strerror(err), ik_last_error());
    return 1;
  }

  if ((err = ik_socket_send(sock, &request)) == 0 &&
      (err = ik_socket_receive(sock, &request, timeout, &reply)) == 0)
    /* A packet with our id and sequence arrived; it may come from a
     * gateway on the way rather than from the destination. */
    err = ik_reply_check(&reply);

  if (err == IK_ETIMEOUT)
    printf("The timeout has been reached (%gs)\n", timeout);
  else if (err == IK_EDEST_UNREACHABLE || err == IK_ETIME_EXCEEDED || err == IK_EICMP)
    printf("%s\n", ik_reply_message(&reply));
  else if (err != 0)
    printf("%s: %s\n", ik_strerror(err), ik_last_error());

  ik_socket_free(sock);
  return err == 0 ? 0 : 1;
}
