// The identifier filter of Linux raw sockets (src/posix/linux.c) run in a
// small classic BPF interpreter over crafted datagrams: what the kernel
// would queue (nonzero) and what it would drop (0). The net tests check
// that the kernel agrees (tests/net/test_raw_filter.cpp).
#include <gtest/gtest.h>

extern "C" {
#include "posix/endpoint.h"
}

#include "icmpkit.h"

// multiping's default threads: one per core for unprivileged sockets; for
// raw ones only where this filter exists (1 in the forced-BSD build).
TEST(IdFilter, DefaultThreadsOnRawSocketsOnlyWhereTheKernelFilters) {
  EXPECT_EQ(ik_default_threads(0), ik_cpu_count());
  EXPECT_EQ(ik_default_threads(1), IK__POSIX_LINUX ? ik_cpu_count() : 1);
}

#if IK__POSIX_LINUX

#  include <linux/filter.h>

#  include <cstdint>
#  include <vector>

namespace {

typedef std::vector<uint8_t> Bytes;

// The subset of classic BPF a socket filter may use, with the kernel's
// rule that a load past the end ends the program with 0.
uint32_t Run(const struct sock_filter *prog, size_t len, const Bytes &pkt) {
  uint32_t a = 0, x = 0;
  size_t pc = 0;
  auto load = [&](uint32_t at, int size, bool *ok) -> uint32_t {
    uint32_t v = 0;
    if (at + static_cast<uint32_t>(size) > pkt.size() || at + size < at) {
      *ok = false;
      return 0;
    }
    for (int i = 0; i < size; i++) v = (v << 8) | pkt[at + i];
    return v;
  };
  for (int steps = 0; pc < len && steps < 4096; steps++) {
    const struct sock_filter &f = prog[pc++];
    bool ok = true;
    int size = BPF_SIZE(f.code) == BPF_B ? 1 : BPF_SIZE(f.code) == BPF_H ? 2 : 4;
    switch (BPF_CLASS(f.code)) {
      case BPF_LD:
        if (BPF_MODE(f.code) == BPF_ABS)
          a = load(f.k, size, &ok);
        else if (BPF_MODE(f.code) == BPF_IND)
          a = load(x + f.k, size, &ok);
        else if (BPF_MODE(f.code) == BPF_IMM)
          a = f.k;
        else
          ADD_FAILURE() << "unexpected load mode " << f.code;
        if (!ok) return 0;
        break;
      case BPF_LDX:
        if (BPF_MODE(f.code) == BPF_MSH)
          x = 4 * (load(f.k, 1, &ok) & 0xf);
        else if (BPF_MODE(f.code) == BPF_IMM)
          x = f.k;
        else
          ADD_FAILURE() << "unexpected ldx mode " << f.code;
        if (!ok) return 0;
        break;
      case BPF_ALU: {
        uint32_t v = BPF_SRC(f.code) == BPF_X ? x : f.k;
        switch (BPF_OP(f.code)) {
          case BPF_ADD: a += v; break;
          case BPF_AND: a &= v; break;
          case BPF_LSH: a <<= v; break;
          default: ADD_FAILURE() << "unexpected alu op " << f.code;
        }
        break;
      }
      case BPF_JMP: {
        uint32_t v = BPF_SRC(f.code) == BPF_X ? x : f.k;
        bool yes = false;
        switch (BPF_OP(f.code)) {
          case BPF_JA: pc += f.k; continue;
          case BPF_JEQ: yes = a == v; break;
          case BPF_JGT: yes = a > v; break;
          case BPF_JGE: yes = a >= v; break;
          default: ADD_FAILURE() << "unexpected jump " << f.code;
        }
        pc += yes ? f.jt : f.jf;
        break;
      }
      case BPF_RET: return BPF_RVAL(f.code) == BPF_A ? a : f.k;
      case BPF_MISC:
        if (BPF_MISCOP(f.code) == BPF_TAX) x = a; else a = x;
        break;
      default: ADD_FAILURE() << "unexpected class " << f.code;
    }
  }
  ADD_FAILURE() << "the program ran off its end";
  return 0;
}

struct Filter {
  struct sock_filter prog[IK__ID_FILTER_MAX];
  size_t len;
  Filter(int family, uint16_t id) : len(ik__linux_id_filter(family, id, prog)) {
    EXPECT_LE(len, static_cast<size_t>(IK__ID_FILTER_MAX));
    // Every jump stays inside the program (the kernel's check refuses it
    // otherwise) and the last instruction returns.
    for (size_t i = 0; i < len; i++)
      if (BPF_CLASS(prog[i].code) == BPF_JMP && BPF_OP(prog[i].code) != BPF_JA) {
        EXPECT_LT(i + 1 + prog[i].jt, len) << i;
        EXPECT_LT(i + 1 + prog[i].jf, len) << i;
      }
    EXPECT_EQ(BPF_CLASS(prog[len - 1].code), BPF_RET);
  }
  bool Keeps(const Bytes &pkt) const { return Run(prog, len, pkt) != 0; }
};

void Put16(Bytes &b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}

// An IPv4 header of ihl words (options: zeros), protocol ICMP.
Bytes V4Header(int ihl) {
  Bytes b(static_cast<size_t>(ihl) * 4, 0);
  b[0] = static_cast<uint8_t>(0x40 | ihl);
  b[8] = 64;
  b[9] = 1;
  return b;
}

Bytes Echo(int type, uint16_t id, uint16_t seq, size_t payload) {
  Bytes b(8 + payload, 0);
  b[0] = static_cast<uint8_t>(type);
  Put16(b, 4, id);
  Put16(b, 6, seq);
  return b;
}

Bytes Cat(Bytes a, const Bytes &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// An IPv4 ICMP error (outer header of outer_ihl words) quoting an echo
// request with id behind a header of quoted_ihl words, its first 8 bytes.
Bytes V4Error(int type, int outer_ihl, int quoted_ihl, uint16_t id) {
  Bytes quote = Cat(V4Header(quoted_ihl), Echo(8, id, 7, 0));
  return Cat(V4Header(outer_ihl), Cat(Echo(type, 0, 0, 0), quote));
}

Bytes V6Error(int type, uint16_t id, uint8_t next = 58) {
  Bytes ip6(40, 0);
  ip6[0] = 0x60;
  ip6[6] = next;
  ip6[7] = 64;
  return Cat(Echo(type, 0, 0, 0), Cat(ip6, Echo(128, id, 7, 56)));
}

const uint16_t kOurs = 0x4b1d, kOther = 0x4b1e;

TEST(IdFilter, V4KeepsEchoRepliesWithOurIdentifierBehindAnyHeaderLength) {
  Filter f(IK_AF_INET, kOurs);
  for (int ihl = 5; ihl <= 15; ihl++) {
    EXPECT_TRUE(f.Keeps(Cat(V4Header(ihl), Echo(0, kOurs, 1, 56)))) << ihl;
    EXPECT_FALSE(f.Keeps(Cat(V4Header(ihl), Echo(0, kOther, 1, 56)))) << ihl;
  }
}

TEST(IdFilter, V4DropsOtherTypesCarryingOurIdentifier) {
  Filter f(IK_AF_INET, kOurs);
  EXPECT_FALSE(f.Keeps(Cat(V4Header(5), Echo(8, kOurs, 1, 56))));  // a request (ours, looped)
  EXPECT_FALSE(f.Keeps(Cat(V4Header(5), Echo(13, kOurs, 1, 12))));  // timestamp
}

TEST(IdFilter, V4KeepsErrorsQuotingOurRequestWhateverEitherHeaderLength) {
  Filter f(IK_AF_INET, kOurs);
  for (int type : {3, 4, 5, 11, 12})
    for (int outer : {5, 6, 15})
      for (int quoted : {5, 7, 15}) {
        EXPECT_TRUE(f.Keeps(V4Error(type, outer, quoted, kOurs))) << type << outer << quoted;
        EXPECT_FALSE(f.Keeps(V4Error(type, outer, quoted, kOther))) << type << outer << quoted;
      }
}

TEST(IdFilter, V4DropsErrorsQuotingSomethingElse) {
  Filter f(IK_AF_INET, kOurs);
  Bytes udp = V4Error(3, 5, 5, kOurs);
  udp[20 + 8 + 9] = 17;  // the quoted datagram is UDP, its bytes look like our id
  EXPECT_FALSE(f.Keeps(udp));
  Bytes reply = V4Error(11, 5, 5, kOurs);
  reply[20 + 8 + 20] = 0;  // quotes an echo reply
  EXPECT_FALSE(f.Keeps(reply));
  EXPECT_FALSE(f.Keeps(V4Error(9, 5, 5, kOurs)));  // router advertisement: no error
}

TEST(IdFilter, V4DropsWhatIsTooShortToShowTheIdentifier) {
  Filter f(IK_AF_INET, kOurs);
  Bytes reply = Cat(V4Header(5), Echo(0, kOurs, 1, 0));
  reply.resize(20 + 5);  // cut inside the identifier
  EXPECT_FALSE(f.Keeps(reply));
  Bytes error = V4Error(3, 5, 5, kOurs);
  error.resize(error.size() - 3);  // the quoted identifier cut
  EXPECT_FALSE(f.Keeps(error));
  Bytes options = V4Error(3, 5, 15, kOurs);  // claims 60 bytes of quoted header
  options.resize(20 + 8 + 30);
  EXPECT_FALSE(f.Keeps(options));
  EXPECT_FALSE(f.Keeps(Bytes()));
}

TEST(IdFilter, V6KeepsEchoRepliesWithOurIdentifierOnly) {
  Filter f(IK_AF_INET6, kOurs);
  EXPECT_TRUE(f.Keeps(Echo(129, kOurs, 1, 56)));
  EXPECT_FALSE(f.Keeps(Echo(129, kOther, 1, 56)));
  EXPECT_FALSE(f.Keeps(Echo(128, kOurs, 1, 56)));
  EXPECT_FALSE(f.Keeps(Echo(135, kOurs, 1, 24)));  // neighbour solicitation
}

TEST(IdFilter, V6KeepsErrorsQuotingOurRequest) {
  Filter f(IK_AF_INET6, kOurs);
  for (int type : {1, 2, 3, 4}) {
    EXPECT_TRUE(f.Keeps(V6Error(type, kOurs))) << type;
    EXPECT_FALSE(f.Keeps(V6Error(type, kOther))) << type;
  }
  Bytes reply = V6Error(1, kOurs);
  reply[48] = 129;  // quotes an echo reply
  EXPECT_FALSE(f.Keeps(reply));
}

TEST(IdFilter, V6LeavesQuotesWithExtensionHeadersToTheCodec) {
  Filter f(IK_AF_INET6, kOurs);
  EXPECT_TRUE(f.Keeps(V6Error(1, kOther, 0)));  // hop-by-hop first: the codec walks it
}

TEST(IdFilter, V6DropsWhatIsTooShortToShowTheIdentifier) {
  Filter f(IK_AF_INET6, kOurs);
  Bytes reply = Echo(129, kOurs, 1, 0);
  reply.resize(5);
  EXPECT_FALSE(f.Keeps(reply));
  Bytes error = V6Error(3, kOurs);
  error.resize(8 + 40 + 5);
  EXPECT_FALSE(f.Keeps(error));
  EXPECT_FALSE(f.Keeps(Bytes()));
}

}  // namespace

#endif
