/* What the async engine needs from an ik_socket it wraps, and what the
 * socket tells its wrapper. */
#ifndef IK_SOCKET_H
#define IK_SOCKET_H

#include "backend.h"

/* The socket's endpoint; NULL once the socket is closed. */
ik__endpoint *ik__socket_endpoint(const ik_socket *sock);
/* IK__MATCH_* options for matching replies on this socket now
 * (IK__MATCH_ANY_SOURCE while broadcast is enabled). */
unsigned ik__socket_match_flags(const ik_socket *sock);

/* ik_socket_send's checks, then ik__ep_send_many for the valid prefix of
 * reqs[0..n); on an error reqs[*sent] failed. Errors: those of
 * ik_socket_send. */
int ik__socket_send_many(ik_socket *sock, ik_request *const *reqs, size_t n, size_t *sent);

/* The ik_async that wraps sock, or NULL. ik_async_new sets it (and
 * refuses a socket that has one), detach clears it. */
ik_async *ik__socket_owner(const ik_socket *sock);
void ik__socket_set_owner(ik_socket *sock, ik_async *owner);

/* Called by ik_socket_close and ik_socket_free on the socket's wrapper,
 * after the endpoint (and with it the read watch) is gone and, for free,
 * the socket too: the wrapper forgets the socket (later calls give
 * IK_EUNAVAILABLE) and completes its pending receives with
 * IK_EUNAVAILABLE before this returns. */
void ik__async_socket_gone(ik_async *async);

#endif
