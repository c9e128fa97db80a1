/* An icmpkit user: checks the version it was built and linked against, then
 * pings 127.0.0.1 once. Usage: consumer EXPECTED_VERSION.
 * Exit: 0 reply received, 1 failure, 77 no privilege to open any ICMP socket
 * (the caller reports a skip). */
#include <icmpkit.h>
#include <stdio.h>
#include <string.h>

static int open_socket(ik_socket **sock) {
  /* Least privilege first, as the icmpkit CLI does. */
  int err = ik_socket_open(sock, IK_AF_INET, NULL, IK_SOCKET_UNPRIVILEGED);
  if (err == IK_EPERMISSION)
    err = ik_socket_open(sock, IK_AF_INET, NULL, 0);
  return err;
}

int main(int argc, char **argv) {
  ik_socket *sock = NULL;
  ik_request req;
  ik_reply reply;
  int err;

  if (argc != 2) {
    fprintf(stderr, "usage: consumer EXPECTED_VERSION\n");
    return 1;
  }
  if (strcmp(ik_version(), argv[1]) != 0 || strcmp(IK_VERSION_STRING, argv[1]) != 0) {
    fprintf(stderr, "version mismatch: library %s, header %s, expected %s\n",
            ik_version(), IK_VERSION_STRING, argv[1]);
    return 1;
  }
  if ((err = open_socket(&sock)) != 0) {
    fprintf(stderr, "cannot open an ICMP socket: %s (%s): %s\n", ik_err_name(err),
            ik_strerror(err), ik_last_error());
    return err == IK_EPERMISSION ? 77 : 1;
  }
  if ((err = ik_request_init(&req, "127.0.0.1", ik_unique_identifier(), 1)) != 0 ||
      (err = ik_socket_send(sock, &req)) != 0 ||
      (err = ik_socket_receive(sock, &req, 2.0, &reply)) != 0 ||
      (err = ik_reply_check(&reply)) != 0) {
    fprintf(stderr, "ping 127.0.0.1: %s: %s\n", ik_err_name(err), ik_last_error());
    ik_socket_free(sock);
    return 1;
  }
  printf("icmpkit %s: %zu bytes from %s: icmp_seq=%u time=%.3f ms\n", ik_version(),
         reply.bytes_received, reply.source, (unsigned)reply.sequence,
         ik_rtt_ms(&req, &reply));
  ik_socket_free(sock);
  return 0;
}
