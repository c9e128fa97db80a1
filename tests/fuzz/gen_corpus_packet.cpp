// Writes the seed corpus of fuzz_packet.c: one file per kind of packet the
// parser must handle, built with the unit tests' packet builder. Not part
// of the build; regenerate after changing it with
//   c++ -std=c++17 -Itests/unit tests/fuzz/gen_corpus_packet.cpp -o /tmp/gen &&
//   /tmp/gen tests/fuzz/corpus/packet
#include <cstdio>
#include <string>
#include <utility>

#include "packet_builder.h"

using pb::Bytes;

namespace {

std::string dir;
int failures = 0;

void write(const std::string &name, const Bytes &b) {
  std::string path = dir + "/" + name;
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(b.data(), 1, b.size(), f) != b.size()) {
    std::perror(path.c_str());
    ++failures;
  }
  if (f) std::fclose(f);
}

Bytes echo4(int type = 8) { return pb::icmp(type, 0, 0x1234, 1, pb::pattern(56), true); }
Bytes echo6(int type = 128) { return pb::icmp(type, 0, 0x1234, 1, pb::pattern(56), false); }

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  dir = argv[1];
  pb::V4 opts;
  opts.ihl = 15;

  write("v4_dgram_reply", echo4(0));
  write("v4_raw_reply", pb::ipv4(echo4(0)));
  write("v4_raw_reply_options", pb::ipv4(echo4(0), opts));
  Bytes mac = pb::ipv4(echo4(0));
  mac[2] = static_cast<uint8_t>(mac.size() - 20);
  mac[3] = 0;
  write("v4_macos_reply_host_order", mac);
  // XNU's raw/DGRAM delivery of an error (ip_input: host-order ip_len
  // without the header; icmp_input: the quoted ip_len swapped after the
  // checksum), and FreeBSD 10's host-order ip_len with the header.
  Bytes xnu = pb::ipv4(pb::icmp_error(11, 0, pb::ipv4(echo4()), true));
  xnu[2] = static_cast<uint8_t>(xnu.size() - 20);
  xnu[3] = static_cast<uint8_t>((xnu.size() - 20) >> 8);
  std::swap(xnu[20 + 8 + 2], xnu[20 + 8 + 3]);
  write("v4_xnu_time_exceeded_quote_swapped", xnu);
  Bytes fbsd10 = pb::ipv4(echo4(0));
  std::swap(fbsd10[2], fbsd10[3]);
  write("v4_freebsd10_reply_host_order", fbsd10);
  write("v4_dgram_time_exceeded", pb::icmp_error(11, 0, pb::ipv4(echo4()), true));
  write("v4_raw_unreachable", pb::ipv4(pb::icmp_error(3, 1, pb::ipv4(echo4()), true)));
  Bytes cut = pb::ipv4(echo4(), opts);
  cut.resize(60 + 8);
  write("v4_dgram_error_quoting_options_rfc792", pb::icmp_error(11, 0, cut, true));
  write("v4_raw_echo_request", pb::ipv4(echo4()));
  write("v4_timestamp", pb::icmp(13, 0, 1, 1, Bytes(12, 0), true));

  write("v6_reply", echo6(129));
  write("v6_time_exceeded", pb::icmp_error(3, 0, pb::ipv6(58, echo6()), false));
  write("v6_unreachable_hop_by_hop", pb::icmp_error(1, 3, pb::ipv6(0, pb::cat(pb::ext(58, 0), echo6())),
                                                    false));
  write("v6_packet_too_big_fragment",
        pb::icmp_error(2, 0, pb::ipv6(44, pb::cat(pb::fragment(58, 0, true), echo6())), false));
  Bytes chain = pb::cat(pb::cat(pb::ext(60, 0), pb::ext(43, 1)),
                        pb::cat(pb::ext(44, 2), pb::cat(pb::fragment(60, 0, true), pb::ext(58, 0))));
  write("v6_param_problem_chain", pb::icmp_error(4, 1, pb::ipv6(0, pb::cat(chain, echo6())), false));
  write("v6_neighbour_solicitation", pb::icmp(135, 0, 0, 0, Bytes(16, 0xfe), false));
  return failures == 0 ? 0 : 1;
}
