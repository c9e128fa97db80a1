/* One of the concurrent pinger processes of test_concurrent.cpp.
 * usage: adversary_pinger NETNS FAMILY(4|6) raw|dgram TARGET COUNT TIMEOUT INDEX
 * Joins the network namespace, sends COUNT echo requests, all with id 0x4242
 * (so raw sockets of different processes see replies with their own id)
 * and a payload naming INDEX and the sequence, and prints
 * "received R wrong W" (W: replies returned for another sequence). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "icmpkit.h"

int main(int argc, char **argv) {
  char path[256], payload[IK_DEFAULT_PAYLOAD_SIZE + 1];
  ik_socket *sock;
  int fd, family, count, index, seq, received = 0, wrong = 0, err;
  double timeout;

  if (argc != 8) {
    fprintf(stderr, "usage: %s NETNS FAMILY raw|dgram TARGET COUNT TIMEOUT INDEX\n", argv[0]);
    return 2;
  }
  family = atoi(argv[2]);
  count = atoi(argv[5]);
  timeout = atof(argv[6]);
  index = atoi(argv[7]);
  snprintf(path, sizeof path, "/run/netns/%s", argv[1]);
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || setns(fd, CLONE_NEWNET) != 0) {
    perror(path);
    return 2;
  }
  close(fd);
  err = ik_socket_open(&sock, family, NULL, strcmp(argv[3], "dgram") == 0 ? IK_SOCKET_UNPRIVILEGED : 0);
  if (err != 0) {
    fprintf(stderr, "ik_socket_open: %s\n", ik_last_error());
    return 2;
  }
  for (seq = 0; seq < count; ++seq) {
    ik_request req;
    ik_reply reply;
    memset(payload, '.', IK_DEFAULT_PAYLOAD_SIZE);
    snprintf(payload, sizeof payload, "ik-adv-proc-%05d-seq-%05d", index, seq);
    payload[strlen(payload)] = '.';
    if (ik_request_init(&req, argv[4], 0x4242, seq) != 0) {
      fprintf(stderr, "ik_request_init: %s\n", ik_last_error());
      return 2;
    }
    req.payload = payload;
    req.payload_size = IK_DEFAULT_PAYLOAD_SIZE;
    if (ik_socket_send(sock, &req) != 0) {
      fprintf(stderr, "ik_socket_send: %s\n", ik_last_error());
      return 2;
    }
    err = ik_socket_receive(sock, &req, timeout, &reply);
    if (err == 0 && reply.sequence == seq)
      ++received;
    else if (err == 0)
      ++wrong;
    else if (err != IK_ETIMEOUT) {
      fprintf(stderr, "ik_socket_receive: %s\n", ik_last_error());
      return 2;
    }
  }
  ik_socket_free(sock);
  printf("received %d wrong %d\n", received, wrong);
  return 0;
}
