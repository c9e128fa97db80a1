/* The privilege pattern of a setcap'd or root program: open the raw
 * socket while the privilege is there, give up every privilege for good,
 * then hand the socket to the library (ik_socket_adopt) and probe with it
 * (ik_ping_options.sockets). Whatever the program does after the drop
 * (reading files, resolving names, parsing replies) runs without
 * CAP_NET_RAW. The descriptor could as well come from a privileged parent
 * or systemd; a program that uses the library from the start can instead
 * open with ik_socket_open(&sock, IK_AF_INET, NULL, 0) before the drop.
 *
 * usage: dropped_privileges ADDRESS   (an IPv4 literal; exit 0: answered) */
#if defined(__linux__)
#  define _GNU_SOURCE
#endif
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>

#if defined(__linux__)
#  include <linux/capability.h>
#  include <sys/prctl.h>
#  include <sys/syscall.h>
#endif

#include <icmpkit.h>

/* Back to the real user (setuid root), then, on Linux, no capability in
 * any set and no way to regain one through execve. */
static int drop_privileges(void) {
  if (setgid(getgid()) != 0 || setuid(getuid()) != 0)
    return -1;
#if defined(__linux__)
  {
    struct __user_cap_header_struct head = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (syscall(SYS_capset, &head, data) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
      return -1;
  }
#endif
  return 0;
}

int main(int argc, char **argv) {
  ik_socket *sock = NULL;
  ik_ping_options opts;
  ik_host host;
  int fd, err;

  if (argc != 2) {
    fprintf(stderr, "usage: dropped_privileges ADDRESS\n");
    return 2;
  }
  /* 1. The raw socket, while CAP_NET_RAW (or root) is there. */
  if ((fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) < 0) {
    perror("dropped_privileges: socket");
    return 2;
  }
  /* 2. No privilege from here on. */
  if (drop_privileges() != 0) {
    perror("dropped_privileges: cannot drop privileges");
    close(fd);
    return 2;
  }
  /* 3. The library checks that fd is an ICMP socket and takes it over
   * (on failure fd is still ours to close). */
  if ((err = ik_socket_adopt(&sock, fd, 0)) != 0) {
    fprintf(stderr, "dropped_privileges: %s: %s\n", ik_strerror(err), ik_last_error());
    close(fd);
    return 2;
  }
  /* 4. Probe with the socket already open: the call borrows it. */
  ik_ping_options_init(&opts);
  opts.count = 3;
  opts.interval = 0.2;
  opts.sockets[0] = sock;
  err = ik_ping(argv[1], &opts, &host);
  ik_socket_free(sock);
  if (err != 0) {
    fprintf(stderr, "dropped_privileges: %s: %s\n", ik_strerror(err), ik_last_error());
    return 2;
  }
  printf("%s: %d sent, %d received\n", host.address, host.packets_sent, host.packets_received);
  err = host.is_alive ? 0 : 1;
  ik_host_free(&host);
  return err;
}
