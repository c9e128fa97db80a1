/* Deciding whether a received message answers a request, and turning it
 * into an ik_reply. Shared by ik_socket_receive and the async engine, so
 * it holds no socket state: everything it needs is in its arguments. */
#ifndef IK_MATCH_H
#define IK_MATCH_H

#include "backend.h"

/* Matching options */
#define IK__MATCH_ANY_SOURCE 0x1u /* broadcast allowed: any host may reply */

/* 1 when rx answers req, else 0.
 *  - echo reply: same id and sequence, checksum not known bad, payload
 *    identical to what req sent (req->payload must still point at it), and
 *    sent by req's destination unless that is a group address or
 *    IK__MATCH_ANY_SOURCE is given. The payload check is what keeps a raw
 *    socket from taking another process's reply that has the same id.
 *  - ICMP error: the quoted request has req's id and sequence and was sent
 *    to req's destination; when the codec saw the quote (raw sockets), the
 *    quoted ICMP message is also byte for byte what req sent, checksum
 *    included, as far as the router quoted it (req->payload, if set, must
 *    still point at the payload sent).
 * req NULL: any echo reply or ICMP error about an echo request matches. */
int ik__match(const ik_request *req, const ik__received *rx, unsigned flags);

/* Fills reply from rx (flags cleared). */
void ik__reply_from(const ik__received *rx, ik_reply *reply);

/* Echo replies a socket already returned, so that later copies are
 * flagged IK_REPLY_DUPLICATE. A ring of the last IK__SEEN_SIZE (source, id,
 * sequence, payload digest): memory stays fixed on a long-running socket,
 * at the price of not recognising a copy that arrives after that many
 * newer replies. The digest tells a copy from a message that merely shares
 * source, id and sequence (another process's reply on a raw socket, a
 * forgery). Zero-initialise before use. */
#define IK__SEEN_SIZE 64
typedef struct ik__seen {
  struct {
    ik_address source;
    uint16_t id, sequence;
    uint32_t digest;
  } entry[IK__SEEN_SIZE];
  unsigned next;  /* slot written next */
  unsigned count; /* slots in use */
} ik__seen;

/* What the ring knows of an echo reply's source, id and sequence. */
#define IK__SEEN_NEW 0   /* nothing (or rx is not an echo reply) */
#define IK__SEEN_COPY 1  /* recorded with the same payload: a duplicate */
#define IK__SEEN_OTHER 2 /* recorded with another payload: not a copy */
int ik__seen_lookup(const ik__seen *seen, const ik__received *rx);

/* Records rx, an echo reply that answered a request (its payload checked);
 * 1 when it is a copy of one recorded before (IK__SEEN_COPY), else 0.
 * Replies from different sources (broadcast) are not duplicates of each
 * other. */
int ik__seen_check(ik__seen *seen, const ik__received *rx);

/* 1 for the errors with which the codec or ik__ep_read reject one message
 * (IK_ETRUNCATED, IK_EMALFORMED, IK_ECHECKSUM, IK_EUNRELATED): the message
 * is gone, the socket is fine, read the next one. */
int ik__is_packet_error(int err);

#endif
