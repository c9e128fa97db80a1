/* Foundation demo: prints the version and round-trips an echo request
 * through the codec (build, then parse as a reply would be parsed). */
#include <stdio.h>

#include "icmpkit.h"
#include "packet.h"

int main(int argc, char **argv) {
  const char *dst = argc > 1 ? argv[1] : "127.0.0.1";
  ik_request req;
  uint8_t buf[128];
  size_t len = 0;
  ik__packet pkt;
  int err;

  printf("icmpkit %s\n", ik_version());
  if ((err = ik_request_init(&req, dst, ik_unique_identifier(), 1)) != 0) {
    fprintf(stderr, "%s: %s (%s)\n", dst, ik_strerror(err), ik_last_error());
    return 1;
  }
  /* The codec returns a code only; it never writes ik_last_error(). */
  if ((err = ik__build_echo(&req, req.id, buf, sizeof buf, &len)) != 0) {
    fprintf(stderr, "%s: %s\n", dst, ik_strerror(err));
    return 1;
  }
  /* Turn the request into the reply the destination would send. */
  buf[0] = req.destination.family == IK_AF_INET ? IK__V4_ECHO_REPLY : IK__V6_ECHO_REPLY;
  buf[2] = buf[3] = 0;
  if (req.destination.family == IK_AF_INET) {
    uint16_t sum = ik__checksum(buf, len);
    buf[2] = (uint8_t)(sum >> 8);
    buf[3] = (uint8_t)(sum & 0xff);
  }
  err = ik__parse(buf, len, req.destination.family, IK__LAYOUT_ICMP, &pkt);
  printf("echo request to %s: id=%u seq=%u, %zu bytes\n", dst, req.id, req.sequence, len);
  printf("parsed back: %s type=%d code=%d id=%u seq=%u payload %s\n", ik_strerror(err), pkt.type,
         pkt.code, pkt.id, pkt.sequence,
         ik__payload_matches(&req, pkt.data, pkt.data_len) ? "intact" : "CORRUPT");
  return err == 0 ? 0 : 1;
}
