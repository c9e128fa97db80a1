/* ref_sweep: the bare reference prober of the benchmark. It stands for
 * what the kernel allows on this machine: one raw socket, echo requests
 * sent in sendmmsg batches, replies read in recvmmsg batches, and no
 * bookkeeping beyond a bitmap of the hosts that answered. Any prober with
 * matching, timers and statistics can only approach its time.
 *
 *   ref_sweep [-t TIMEOUT_S] [-b BATCH] A.B.C.D/LEN
 *
 * Probes every host of the IPv4 prefix (network and broadcast addresses
 * excluded, as fping -g does) once and prints "sent N received M". Needs
 * CAP_NET_RAW. Exit status 0 when every host answered, 1 otherwise. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef ICMP_FILTER
#  define ICMP_FILTER 1 /* <linux/icmp.h>, which clashes with the libc headers */
#endif

#define MAX_BATCH 1024
#define REPLY_BUF 128 /* IPv4 header (up to 60) + 64-byte echo reply */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint16_t checksum(const uint8_t *p, size_t len) {
  uint32_t sum = 0;
  size_t i;
  for (i = 0; i + 1 < len; i += 2)
    sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len & 1)
    sum += (uint32_t)(p[len - 1] << 8);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static int parse_prefix(const char *s, uint32_t *first, uint32_t *count) {
  char addr[32];
  const char *slash = strchr(s, '/');
  struct in_addr in;
  long len;
  uint32_t base, size;
  if (slash == NULL || (size_t)(slash - s) >= sizeof addr)
    return -1;
  memcpy(addr, s, (size_t)(slash - s));
  addr[slash - s] = '\0';
  len = strtol(slash + 1, NULL, 10);
  if (inet_pton(AF_INET, addr, &in) != 1 || len < 8 || len > 30)
    return -1;
  size = 1u << (32 - len);
  base = ntohl(in.s_addr) & ~(size - 1);
  *first = base + 1;
  *count = size - 2;
  return 0;
}

/* Reads every reply already queued; returns how many new hosts answered. */
static uint32_t drain(int fd, struct mmsghdr *msgs, uint8_t (*bufs)[REPLY_BUF], unsigned batch,
                      uint16_t id, uint32_t first, uint32_t count, uint8_t *seen) {
  uint32_t fresh = 0;
  for (;;) {
    int n = recvmmsg(fd, msgs, batch, MSG_DONTWAIT, NULL), i;
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        perror("ref_sweep: recvmmsg");
      return fresh;
    }
    for (i = 0; i < n; i++) {
      const uint8_t *b = bufs[i];
      size_t ihl = (size_t)(b[0] & 15) * 4;
      uint32_t src, k;
      if (msgs[i].msg_len < ihl + 8 || b[ihl] != 0 || (b[ihl + 4] << 8 | b[ihl + 5]) != id)
        continue;
      src = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
      k = src - first;
      if (k >= count || (seen[k >> 3] & (1u << (k & 7))))
        continue;
      seen[k >> 3] |= (uint8_t)(1u << (k & 7));
      fresh++;
    }
  }
}

int main(int argc, char **argv) {
  double timeout = 1.0, deadline;
  unsigned batch = 256, i;
  uint32_t first, count, sent = 0, received = 0;
  uint16_t id = (uint16_t)getpid();
  uint8_t packet[64], *seen;
  static uint8_t bufs[MAX_BATCH][REPLY_BUF];
  static struct mmsghdr smsgs[MAX_BATCH], rmsgs[MAX_BATCH];
  static struct iovec siov, riov[MAX_BATCH];
  static struct sockaddr_in dests[MAX_BATCH];
  uint32_t filter = ~(1u << 0); /* pass echo replies (type 0) only */
  int opt, fd, rcvbuf = 4 << 20;

  while ((opt = getopt(argc, argv, "t:b:")) != -1) {
    if (opt == 't')
      timeout = atof(optarg);
    else if (opt == 'b')
      batch = (unsigned)atoi(optarg);
    else
      return 2;
  }
  if (optind != argc - 1 || parse_prefix(argv[optind], &first, &count) != 0 || batch < 1 ||
      batch > MAX_BATCH) {
    fprintf(stderr, "usage: ref_sweep [-t TIMEOUT_S] [-b BATCH(1..%d)] A.B.C.D/LEN(8..30)\n",
            MAX_BATCH);
    return 2;
  }
  seen = calloc(count / 8 + 1, 1);
  fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (seen == NULL || fd < 0) {
    perror("ref_sweep: socket");
    return 2;
  }
  if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter) != 0)
    perror("ref_sweep: ICMP_FILTER");
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);

  /* Every request is the same 64 bytes: the ICMPv4 checksum does not cover
   * the addresses, so only the destination changes. */
  memset(packet, 0, sizeof packet);
  packet[0] = 8;
  packet[4] = (uint8_t)(id >> 8);
  packet[5] = (uint8_t)id;
  for (i = 8; i < sizeof packet; i++)
    packet[i] = (uint8_t)i;
  {
    uint16_t c = checksum(packet, sizeof packet);
    packet[2] = (uint8_t)(c >> 8);
    packet[3] = (uint8_t)c;
  }
  siov.iov_base = packet;
  siov.iov_len = sizeof packet;
  for (i = 0; i < batch; i++) {
    dests[i].sin_family = AF_INET;
    smsgs[i].msg_hdr.msg_name = &dests[i];
    smsgs[i].msg_hdr.msg_namelen = sizeof dests[i];
    smsgs[i].msg_hdr.msg_iov = &siov;
    smsgs[i].msg_hdr.msg_iovlen = 1;
    riov[i].iov_base = bufs[i];
    riov[i].iov_len = REPLY_BUF;
    rmsgs[i].msg_hdr.msg_iov = &riov[i];
    rmsgs[i].msg_hdr.msg_iovlen = 1;
  }

  while (sent < count) {
    unsigned n = count - sent < batch ? count - sent : batch;
    int r;
    for (i = 0; i < n; i++)
      dests[i].sin_addr.s_addr = htonl(first + sent + i);
    r = sendmmsg(fd, smsgs, n, 0);
    if (r < 0 && errno != EAGAIN && errno != ENOBUFS && errno != EINTR) {
      perror("ref_sweep: sendmmsg");
      return 2;
    }
    if (r > 0)
      sent += (uint32_t)r;
    /* Loopback answers inside the send call: read before the buffer fills. */
    received += drain(fd, rmsgs, bufs, batch, id, first, count, seen);
  }
  deadline = now() + timeout;
  while (received < count) {
    double left = deadline - now();
    struct pollfd p = {fd, POLLIN, 0};
    if (left <= 0)
      break;
    if (poll(&p, 1, (int)(left * 1000) + 1) > 0)
      received += drain(fd, rmsgs, bufs, batch, id, first, count, seen);
  }
  printf("sent %u received %u\n", sent, received);
  close(fd);
  free(seen);
  return received == count ? 0 : 1;
}
