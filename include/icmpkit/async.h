/* Asynchronous API on a caller's libevent event_base.
 * Included by <icmpkit.h>; do not include directly.
 *
 * Threads: an ik_async and everything started on it belong to the thread
 * that runs its event_base (one event_base per thread). Callbacks run on
 * that thread, inside event_base_dispatch/event_base_loop. Separate
 * sockets and bases may be used from separate threads at the same time.
 *
 * Callback rules (as libuv): a function that takes a callback and returns
 * an error never calls it; a callback runs exactly once otherwise; after
 * ik_async_free returns no callback of that object runs again. */
#ifndef ICMPKIT_ASYNC_H
#define ICMPKIT_ASYNC_H

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

/* An ik_socket bound to an event_base (the seed's AsyncSocket). */
typedef struct ik_async ik_async;

/* Completion of ik_async_receive. status: IK_OK with the reply (an echo
 * reply or an ICMP error quoting the request: check ik_reply_check), or
 * IK_ETIMEOUT, IK_EUNAVAILABLE (wrapper or socket closed, or detached first),
 * IK_ESOCKET; reply is NULL unless status is IK_OK. The reply is only
 * valid during the call. */
typedef void (*ik_async_cb)(int status, const ik_reply *reply, void *arg);

/* Wraps sock on base: the socket becomes non-blocking and must not be used
 * directly until ik_async_detach. Ownership: the wrapper does not own the
 * socket's memory. ik_socket_close or ik_socket_free on the wrapped socket
 * detaches the wrapper (they are not refused: a free cannot fail): every
 * pending receive completes once with IK_EUNAVAILABLE before that call
 * returns, after the socket is closed (or freed), and the wrapper's later
 * calls return IK_EUNAVAILABLE (detach: NULL); it still needs ik_async_free.
 * Errors: IK_EINVAL (NULL argument, or sock already wrapped),
 * IK_EUNAVAILABLE (closed socket), IK_ENOMEM, IK_ESOCKET. */
IK_EXTERN int ik_async_new(struct event_base *base, ik_socket *sock, ik_async **async);
/* ik_socket_send through the wrapper. Errors: those of ik_socket_send. */
IK_EXTERN int ik_async_send(ik_async *async, ik_request *req);
/* Starts waiting up to timeout seconds for the reply to match (same rules
 * as ik_socket_receive; match and the payload it points at must stay valid
 * until the callback; NULL: the next echo reply or ICMP error). Call it
 * after sending match: Linux DGRAM sockets change its id. Returns at
 * once; cb(status, reply, arg) runs later on the loop thread. Any number
 * of receives may be pending on one socket; each completes once.
 * Errors: IK_EINVAL (timeout negative or NaN, cb NULL, family), IK_EFAMILY,
 * IK_EUNAVAILABLE, IK_ENOMEM. */
IK_EXTERN int ik_async_receive(ik_async *async, const ik_request *match, double timeout,
                               ik_async_cb cb, void *arg);
/* Completes every pending receive with IK_EUNAVAILABLE (callbacks run
 * before this returns), stops watching and returns the socket, which the
 * caller owns again; the wrapper can then only be freed. NULL when already
 * detached or closed. */
IK_EXTERN ik_socket *ik_async_detach(ik_async *async);
/* Like detach, then closes the socket. Idempotent. Neither this nor
 * ik_async_free frees the ik_socket: ik_socket_free it yourself. */
IK_EXTERN int ik_async_close(ik_async *async);
IK_EXTERN int ik_async_is_closed(const ik_async *async);
/* The wrapped socket (NULL once detached or closed): for its properties
 * only. */
IK_EXTERN ik_socket *ik_async_socket(const ik_async *async);
/* Closes if needed (pending callbacks get IK_EUNAVAILABLE) and frees.
 * May be called from a callback of this object. NULL is accepted. */
IK_EXTERN void ik_async_free(ik_async *async);

/* ---- Name lookups that never block the loop (icmplib's async_resolve) ---- */

/* A lookup in progress. */
typedef struct ik_lookup ik_lookup;
/* status: IK_OK with the n >= 1 addresses (no duplicates; family 0: IPv4
 * first, as ik_resolve), or IK_ENAMELOOKUP (ik_last_error() says why
 * during the call) or IK_ENOMEM with (NULL, 0). addrs is valid during the
 * call only. */
typedef void (*ik_resolve_cb)(int status, const ik_address *addrs, size_t n, void *arg);

/* ik_resolve on base's loop: the same answers and errors, but the call
 * returns at once and cb(status, addrs, n, arg) runs later on the loop
 * thread, exactly once unless cancelled. Literals, "localhost" and
 * ".invalid" names complete on the next loop turn without a query; other
 * names are asked with libevent's evdns, which reads the system's
 * configuration (POSIX: /etc/resolv.conf and /etc/hosts; Windows: the
 * network adapters' DNS servers and the hosts file) when the base's first
 * lookup starts. The C library's other sources (nsswitch.conf modules such
 * as mDNS, LLMNR) are not asked: ik_resolve asks them. *lookup (NULL: not
 * wanted) is the handle for ik_lookup_cancel until cb runs.
 * Errors (cb never runs): IK_EINVAL (NULL base, name or cb; family not 0,
 * 4 or 6), IK_ENOMEM, IK_ESOCKET (Windows: Winsock would not start). A
 * name that does not resolve, even a malformed literal, is reported to cb
 * with IK_ENAMELOOKUP. */
IK_EXTERN int ik_async_resolve(struct event_base *base, const char *name, int family,
                               ik_resolve_cb cb, void *arg, ik_lookup **lookup);
/* cb never runs after this; the lookup is freed. Call it before cb runs
 * only (the handle is gone once cb returns; from cb it does nothing).
 * NULL is accepted. A DNS query that was
 * waiting is ended by libevent on the next loop turn: let the loop run once
 * more before event_base_free, or a few hundred bytes of libevent's stay
 * allocated. */
IK_EXTERN void ik_lookup_cancel(ik_lookup *lookup);

#ifdef __cplusplus
}
#endif

#endif /* ICMPKIT_ASYNC_H */
