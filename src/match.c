/* Reply matching, shared by the synchronous and asynchronous receive. */
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "packet.h"

static int echo_reply_matches(const ik_request *req, const ik__received *rx, unsigned flags) {
  const ik__packet *p = &rx->pkt;
  if (p->id != req->id || p->sequence != req->sequence || p->checksum_ok == 0)
    return 0;
  if (!(flags & IK__MATCH_ANY_SOURCE) && !ik__address_is_group(&req->destination) &&
      !ik__address_equal(&rx->source, &req->destination))
    return 0;
  return ik__payload_matches(req, p->data, p->data_len);
}

/* 1 when the quoted ICMP message is, as far as it goes, the one req sent:
 * type, code, checksum, identifier, sequence and every quoted payload byte.
 * A local user can put our identifier and sequence into a request of its
 * own (a ping socket bound to that identifier) and have a router quote it;
 * it cannot know our random payload, which the checksum covers in full
 * even when a router quotes only the 8-byte header (RFC 792). ICMPv6
 * checksums cover a pseudo-header with the source address, taken from the
 * quote: the kernel filled in that checksum. */
static int quote_is_ours(const ik_request *req, const ik__packet *p) {
  enum { PSEUDO = 40, STACK = 1024 };
  uint8_t small[STACK], *buf;
  size_t size = 8 + req->payload_size, len, n = p->quoted_icmp_len;
  int same = 0;
  if (n > size)
    return 0;
  buf = PSEUDO + size <= sizeof small ? small : (uint8_t *)malloc(PSEUDO + size);
  if (buf == NULL)
    return 0; /* unverified is not ours: a forgery must never pass */
  if (ik__build_echo(req, req->id, buf + PSEUDO, size, &len) == 0) {
    if (p->family == IK_AF_INET6) {
      uint16_t sum;
      memcpy(buf, p->quoted_src.bytes, 16);
      memcpy(buf + 16, p->quoted_dst.bytes, 16);
      buf[32] = (uint8_t)(size >> 24);
      buf[33] = (uint8_t)(size >> 16);
      buf[34] = (uint8_t)(size >> 8);
      buf[35] = (uint8_t)size;
      buf[36] = buf[37] = buf[38] = 0;
      buf[39] = 58; /* ICMPv6 */
      sum = ik__checksum(buf, PSEUDO + size);
      buf[PSEUDO + 2] = (uint8_t)(sum >> 8);
      buf[PSEUDO + 3] = (uint8_t)(sum & 0xff);
    }
    same = memcmp(buf + PSEUDO, p->quoted_icmp, n) == 0;
  }
  if (buf != small)
    free(buf);
  return same;
}

/* The quote is checked only where the codec saw it: raw sockets (and
 * macOS datagram sockets). Linux datagram sockets get errors through the
 * error queue, where the kernel already matched them to the socket's
 * identifier. */
static int error_matches(const ik_request *req, const ik__received *rx) {
  const ik__packet *p = &rx->pkt;
  return p->id == req->id && p->sequence == req->sequence &&
         ik__address_equal(&p->quoted_dst, &req->destination) &&
         (p->quoted_icmp == NULL || quote_is_ours(req, p));
}

int ik__match(const ik_request *req, const ik__received *rx, unsigned flags) {
  if (rx->pkt.is_echo_reply)
    return req == NULL ? rx->pkt.checksum_ok != 0 : echo_reply_matches(req, rx, flags);
  if (rx->pkt.is_error)
    return req == NULL || error_matches(req, rx);
  return 0;
}

void ik__reply_from(const ik__received *rx, ik_reply *reply) {
  memset(reply, 0, sizeof *reply);
  reply->source_addr = rx->source;
  if (ik_address_format(&rx->source, reply->source, sizeof reply->source) != 0)
    reply->source[0] = '\0';
  reply->family = rx->pkt.family;
  reply->id = rx->pkt.id;
  reply->sequence = rx->pkt.sequence;
  reply->type = rx->pkt.type;
  reply->code = rx->pkt.code;
  reply->bytes_received = rx->pkt.icmp_len;
  reply->time = rx->time;
  reply->ttl = rx->ttl;
  reply->flags = 0;
}

static uint32_t payload_digest(const ik__packet *p) {
  uint32_t h = 2166136261u ^ (uint32_t)p->data_len; /* FNV-1a */
  size_t i;
  for (i = 0; i < p->data_len; ++i)
    h = (h ^ p->data[i]) * 16777619u;
  return h;
}

/* The slot holding rx's source, id and sequence, or IK__SEEN_SIZE. */
static unsigned seen_find(const ik__seen *seen, const ik__received *rx) {
  unsigned i;
  /* The first four address bytes first, compared inline: a sweep's
   * replies all share id and sequence, so this runs 64 times a reply. */
  for (i = 0; i < seen->count; ++i)
    if (seen->entry[i].id == rx->pkt.id && seen->entry[i].sequence == rx->pkt.sequence &&
        memcmp(seen->entry[i].source.bytes, rx->source.bytes, 4) == 0 &&
        ik__address_equal(&seen->entry[i].source, &rx->source))
      return i;
  return IK__SEEN_SIZE;
}

int ik__seen_lookup(const ik__seen *seen, const ik__received *rx) {
  unsigned i;
  if (!rx->pkt.is_echo_reply || (i = seen_find(seen, rx)) == IK__SEEN_SIZE)
    return IK__SEEN_NEW;
  return seen->entry[i].digest == payload_digest(&rx->pkt) ? IK__SEEN_COPY : IK__SEEN_OTHER;
}

int ik__seen_check(ik__seen *seen, const ik__received *rx) {
  unsigned i;
  uint32_t digest;
  if (!rx->pkt.is_echo_reply)
    return 0;
  digest = payload_digest(&rx->pkt);
  if ((i = seen_find(seen, rx)) != IK__SEEN_SIZE) {
    if (seen->entry[i].digest == digest)
      return 1;
    /* The same id and sequence sent again with another payload. */
    seen->entry[i].digest = digest;
    return 0;
  }
  seen->entry[seen->next].source = rx->source;
  seen->entry[seen->next].id = rx->pkt.id;
  seen->entry[seen->next].sequence = rx->pkt.sequence;
  seen->entry[seen->next].digest = digest;
  seen->next = (seen->next + 1) % IK__SEEN_SIZE;
  if (seen->count < IK__SEEN_SIZE)
    ++seen->count;
  return 0;
}

int ik__is_packet_error(int err) {
  return err == IK_ETRUNCATED || err == IK_EMALFORMED || err == IK_ECHECKSUM ||
         err == IK_EUNRELATED;
}
