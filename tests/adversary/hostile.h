// The hostile packets of the adversary scenarios, one generator per kind,
// shared by the socket-level tests (test_replies.cpp, test_errors.cpp) and
// the ping and CLI scenarios (ping_scenarios.cpp), so both test exactly
// the same packets.
//
// Every scenario sends the hostile packets first and a genuine answer
// right after. Hostile echo replies carry TTL kBadTtl, genuine ones
// kGoodTtl: whoever took a hostile reply for the answer shows TTL 33.
// Hostile ICMP errors are Destination Unreachable from another host; the
// genuine one is Time Exceeded from the router (GoodTimeExceeded).
#ifndef IK_ADVERSARY_HOSTILE_H
#define IK_ADVERSARY_HOSTILE_H

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <vector>

#include "tun_net.h"

namespace adv {

constexpr int kGoodTtl = 44;
constexpr int kBadTtl = 33;

using Packets = std::vector<Bytes>;
using Hostile = std::function<Packets(const EchoRequest &)>;

// ReplySpec of a hostile echo reply (TTL kBadTtl, otherwise correct).
ReplySpec BadSpec();
// The genuine reply, TTL kGoodTtl.
Bytes GoodReply(const EchoRequest &rq);
// The genuine ICMP error: Time Exceeded from the router, quoting the
// request's IP header and 8 ICMP bytes.
Bytes GoodTimeExceeded(const EchoRequest &rq);

// ---- echo replies that must never count ----
Packets BadChecksumReply(const EchoRequest &rq);
// One payload bit flipped, checksum recomputed (valid).
Packets AlteredPayloadReply(const EchoRequest &rq);
// Payload cut to 48, 1 and 0 bytes, and a message shorter than an echo header.
Packets TruncatedReplies(const EchoRequest &rq);
// Payload longer by 1, 100 and 60000 bytes.
Packets OversizedReplies(const EchoRequest &rq);
// From the network's other host instead of the destination.
Packets ReplyFromAnotherHost(const EchoRequest &rq);
// Identifier + 1, + 0x100, + 0x8000.
Packets RepliesWithAnotherId(const EchoRequest &rq);
// Sequence + each delta (mod 2^16), id and payload right.
Packets RepliesWithSequenceOffsets(const EchoRequest &rq, std::initializer_list<uint16_t> deltas);
// An echo request with the reply's id, sequence and payload.
Packets EchoRequestLookalike(const EchoRequest &rq);

// ---- ICMP errors that must never count ----
// Quoted ICMP cut before the sequence and before the id, no quoted ICMP,
// half a quoted IP header, no quote at all.
Packets ErrorsWithTruncatedQuote(const EchoRequest &rq);
// Garbage, and the right shape with another protocol or ICMP type quoted.
Packets ErrorsWithGarbageQuote(const EchoRequest &rq);
// Quoting the request as sent to another destination.
Packets ErrorQuotingAnotherDestination(const EchoRequest &rq);
// Quoting the request with its sequence XOR `flip`.
Packets ErrorQuotingAnotherSequence(const EchoRequest &rq, uint16_t flip);

// ---- neither ----
// Informational ICMP types, echo replies to another id, errors about UDP:
// one round (about 16 packets).
Packets UnrelatedIcmp(const EchoRequest &rq);
// `rounds` rounds of UnrelatedIcmp: 25 rounds still fit a socket's default
// receive buffer (a raw IPv4 socket cannot filter types >= 32).
Packets UnrelatedIcmpFlood(const EchoRequest &rq, int rounds = 25);

}  // namespace adv

#endif
