/* What the async engine needs from an ik_socket it wraps. */
#ifndef IK_SOCKET_H
#define IK_SOCKET_H

#include "backend.h"

/* The socket's endpoint; NULL once the socket is closed. */
ik__endpoint *ik__socket_endpoint(const ik_socket *sock);
/* IK__MATCH_* options for matching replies on this socket now
 * (IK__MATCH_ANY_SOURCE while broadcast is enabled). */
unsigned ik__socket_match_flags(const ik_socket *sock);

#endif
