/* Reply matching, shared by the synchronous and asynchronous receive. */
#include <string.h>

#include "match.h"

static int echo_reply_matches(const ik_request *req, const ik__received *rx,
                              unsigned flags) {
  const ik__packet *p = &rx->pkt;
  if (p->id != req->id || p->sequence != req->sequence || p->checksum_ok == 0)
    return 0;
  if (!(flags & IK__MATCH_ANY_SOURCE) && !ik__address_is_group(&req->destination) &&
      !ik__address_equal(&rx->source, &req->destination))
    return 0;
  return ik__payload_matches(req, p->data, p->data_len);
}

static int error_matches(const ik_request *req, const ik__received *rx) {
  const ik__packet *p = &rx->pkt;
  return p->id == req->id && p->sequence == req->sequence &&
         ik__address_equal(&p->quoted_dst, &req->destination);
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
