/* What the probe engine (src/probe/) needs from async.c beyond the public
 * API. One dispatcher: every message read from a wrapped socket goes
 * through async.c, which completes pending receives and hands the rest to
 * the unmatched hook. */
#ifndef IK_ASYNC_ENGINE_H
#define IK_ASYNC_ENGINE_H

#include "evbase.h" /* ik__precise_base_new, for the synchronous calls */
#include "internal.h"

/* Called on the loop thread for every usable echo reply or ICMP error read
 * from async that completed no pending receive: late replies, duplicates,
 * further responders to a broadcast or multicast probe. An echo reply is
 * flagged IK_REPLY_DUPLICATE when it copies, payload included, one that
 * completed a receive (among the last IK__SEEN_SIZE); one with that
 * source, id and sequence but another payload is not passed on.
 * quoted_dst: for an ICMP error, the destination of the quoted request;
 * for an echo reply, NULL. rx: the message as read, for a caller that
 * must prove it answers one of its requests (ik__match). */
struct ik__received;
typedef void (*ik__unmatched_fn)(void *arg, const ik_reply *reply, const ik_address *quoted_dst,
                                 const struct ik__received *rx);
void ik__async_set_unmatched(ik_async *async, ik__unmatched_fn fn, void *arg);

/* Sends reqs[0..n) in as few system calls as the backend allows
 * (ik__ep_send_many). *sent gets how many went out; on error reqs[*sent]
 * failed. Errors: those of ik_socket_send. */
int ik__async_send_many(ik_async *async, ik_request *const *reqs, size_t n, size_t *sent);

/* The event_base the wrapper lives on. */
struct event_base *ik__async_base(const ik_async *async);

#endif
