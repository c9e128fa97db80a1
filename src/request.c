/* ik_request: defaults, payload bytes, and the round-trip time. */
#include <string.h>

#include "backend.h"

int ik_request_init(ik_request *req, const char *destination, long id, long sequence) {
  ik_address dst;
  int err;

  if (req == NULL || destination == NULL)
    return ik__fail(IK_EINVAL, "ik_request_init: NULL argument");
  if (id < 0)
    return ik__fail(IK_EINVAL, "ik_request_init: negative id %ld", id);
  if (sequence < 0)
    return ik__fail(IK_EINVAL, "ik_request_init: negative sequence %ld", sequence);
  if ((err = ik_address_parse(destination, &dst)) != 0)
    return err;

  memset(req, 0, sizeof *req);
  req->destination = dst;
  /* icmplib masks rather than refuses: callers pass counters that grow. */
  req->id = (uint16_t)(id & 0xffff);
  req->sequence = (uint16_t)(sequence & 0xffff);
  req->payload = NULL;
  req->payload_size = IK_DEFAULT_PAYLOAD_SIZE;
  ik__random_bytes(&req->payload_seed, sizeof req->payload_seed);
  req->ttl = IK_DEFAULT_TTL;
  req->traffic_class = 0;
  req->time = 0.0;
  return 0;
}

int ik_request_set_payload(ik_request *req, const void *payload, size_t len) {
  if (req == NULL)
    return ik__fail(IK_EINVAL, "ik_request_set_payload: req is NULL");
  if (len > IK_MAX_PAYLOAD_SIZE)
    return ik__fail(IK_EINVAL, "payload of %zu bytes exceeds the maximum of %d", len,
                    IK_MAX_PAYLOAD_SIZE);
  /* icmplib: "if payload: payload_size = len(payload)"; an empty one falls
   * back to random bytes of the request's payload_size. */
  if (payload == NULL || len == 0) {
    req->payload = NULL;
    return 0;
  }
  req->payload = payload;
  req->payload_size = len;
  return 0;
}

int ik_request_payload(const ik_request *req, void *buf, size_t len) {
  if (req == NULL || (buf == NULL && len > 0))
    return ik__fail(IK_EINVAL, "ik_request_payload: NULL argument");
  if (req->payload_size > IK_MAX_PAYLOAD_SIZE)
    return ik__fail(IK_EINVAL, "payload_size %zu exceeds the maximum of %d", req->payload_size,
                    IK_MAX_PAYLOAD_SIZE);
  if (len < req->payload_size)
    return ik__fail(IK_ENOSPACE, "the payload needs %zu bytes, the buffer has %zu",
                    req->payload_size, len);
  if (req->payload_size == 0)
    return 0;
  if (req->payload != NULL)
    memcpy(buf, req->payload, req->payload_size);
  else
    ik__payload_fill(req->payload_seed, (uint8_t *)buf, req->payload_size);
  return 0;
}

/* Clamped at 0: both stamps are wall-clock time, which can step backwards
 * between send and receipt, and a negative RTT would poison statistics. */
double ik_rtt_ms(const ik_request *req, const ik_reply *reply) {
  double ms;
  if (req == NULL || reply == NULL)
    return 0.0;
  ms = (reply->time - req->time) * 1000.0;
  return ms > 0.0 ? ms : 0.0;
}
