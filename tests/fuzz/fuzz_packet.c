/* libFuzzer target for the ICMP codec: every input is parsed as each kind
 * of buffer a socket can hand over (IPv4 with and without its IP header,
 * IPv6), and whatever the parser accepts must describe bytes inside the
 * input. The same input then round-trips as the payload of an echo
 * request built by ik__build_echo. Plain C with no libFuzzer dependency, so
 * a replay driver can feed it the corpus in any build; a broken invariant
 * aborts, which both libFuzzer and a replay run report.
 *
 * Seed corpus: tests/fuzz/corpus/packet/, written by gen_corpus_packet.cpp. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IK__FUZZ_REQUIRE(cond) \
  do {                         \
    if (!(cond)) abort();      \
  } while (0)

/* Returns ik__parse's result (layout may carry IK__PARSE_BSD_KERNEL). */
static int check_parse(const uint8_t *data, size_t size, int family, int layout) {
  ik__packet p;
  int err = ik__parse(data, size, family, layout, &p);
  int accepted = err == 0 || err == IK_ECHECKSUM;
  IK__FUZZ_REQUIRE(err == 0 || err == IK_ETRUNCATED || err == IK_EMALFORMED ||
                   err == IK_ECHECKSUM || err == IK_EUNRELATED);
  IK__FUZZ_REQUIRE(p.family == family);
  if (!accepted) return err;
  IK__FUZZ_REQUIRE(p.is_echo_reply + p.is_error == 1);
  IK__FUZZ_REQUIRE(p.icmp_len >= 8 && p.icmp_len <= size);
  IK__FUZZ_REQUIRE(p.checksum_ok == (family == IK_AF_INET6 ? -1 : err == 0 ? 1 : 0));
  if (p.is_echo_reply) {
    IK__FUZZ_REQUIRE(p.data >= data && p.data_len == p.icmp_len - 8);
    IK__FUZZ_REQUIRE((size_t)(p.data - data) + p.data_len == size);
  } else {
    IK__FUZZ_REQUIRE(p.data == NULL && p.quoted_dst.family == family);
  }
  if ((layout & ~IK__PARSE_BSD_KERNEL) == IK__LAYOUT_IP)
    IK__FUZZ_REQUIRE(p.ip_src.family == IK_AF_INET && p.ttl >= 0 && p.ttl <= 255);
  else
    IK__FUZZ_REQUIRE(p.ip_src.family == 0 && p.ttl == -1);
  return err;
}

/* The BSD reading of an IPv4 buffer only ever accepts more: what parses
 * cleanly without it parses cleanly with it. */
static void check_bsd_widens(const uint8_t *data, size_t size, int layout) {
  int strict = check_parse(data, size, IK_AF_INET, layout);
  int bsd = check_parse(data, size, IK_AF_INET, layout | IK__PARSE_BSD_KERNEL);
  IK__FUZZ_REQUIRE(strict != 0 || bsd == 0);
}

/* The input as an explicit payload: built, turned into the reply a host
 * would send, parsed back to the same id, sequence and payload. */
static void check_round_trip(const uint8_t *data, size_t size, int family) {
  static uint8_t buf[8 + IK_MAX_PAYLOAD_SIZE];
  ik_request req;
  ik__packet p;
  size_t len = 0;
  uint16_t sum;
  memset(&req, 0, sizeof req);
  req.destination.family = family;
  req.sequence = (uint16_t)(size * 31u);
  req.payload = data;
  req.payload_size = size > IK_MAX_PAYLOAD_SIZE ? IK_MAX_PAYLOAD_SIZE : size;
  IK__FUZZ_REQUIRE(ik__build_echo(&req, (uint16_t)size, buf, sizeof buf, &len) == 0);
  IK__FUZZ_REQUIRE(len == ik__echo_size(&req));
  buf[0] = family == IK_AF_INET ? IK__V4_ECHO_REPLY : IK__V6_ECHO_REPLY;
  buf[2] = buf[3] = 0;
  if (family == IK_AF_INET) {
    sum = ik__checksum(buf, len);
    buf[2] = (uint8_t)(sum >> 8);
    buf[3] = (uint8_t)(sum & 0xff);
  }
  IK__FUZZ_REQUIRE(ik__parse(buf, len, family, IK__LAYOUT_ICMP, &p) == 0);
  IK__FUZZ_REQUIRE(p.id == (uint16_t)size && p.sequence == req.sequence);
  IK__FUZZ_REQUIRE(ik__payload_matches(&req, p.data, p.data_len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_bsd_widens(data, size, IK__LAYOUT_ICMP);
  check_bsd_widens(data, size, IK__LAYOUT_IP);
  check_parse(data, size, IK_AF_INET6, IK__LAYOUT_ICMP);
  check_round_trip(data, size, IK_AF_INET);
  check_round_trip(data, size, IK_AF_INET6);
  return 0;
}
