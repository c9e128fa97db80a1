/* What the async engine needs from an ik_socket it wraps. */
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
int ik__socket_send_many(ik_socket *sock, ik_request *const *reqs, size_t n,
                         size_t *sent);

#endif
