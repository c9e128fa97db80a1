/* Name resolution shared by the library's parts (never installed):
 * resolve.c answers literals and the RFC 6761 names itself and asks the
 * blocking system resolver (ik__resolve, internal.h) for the rest;
 * resolve_async.c asks libevent's evdns instead, so that a lookup never
 * blocks the loop. */
#ifndef IK_RESOLVE_H
#define IK_RESOLVE_H

#include "internal.h"

struct event_base;
struct evutil_addrinfo;

/* ---- the asynchronous lookup (resolve_async.c) ---- */

typedef struct ik__lookup ik__lookup;
/* status: IK_OK with n >= 1 unique addresses (IPv4 first for family 0),
 * or IK_ENAMELOOKUP / IK_ENOMEM with (NULL, 0); ik_last_error() holds the
 * detail during the call. addrs is valid during the call only. */
typedef void (*ik__lookup_cb)(int status, const ik_address *addrs, size_t n, void *arg);

/* Resolves name as ik_resolve does (literals, "localhost" and ".invalid"
 * names, family 0/4/6, at most max addresses) without blocking: literals
 * and the special names complete on the next loop turn without any DNS,
 * other names through evdns (the system's resolv.conf and hosts file; on
 * Windows the adapters' DNS servers and the hosts file). cb runs exactly
 * once on base's loop, never from inside this call, unless the lookup is
 * cancelled first. *lookup (may be NULL when the caller will never cancel)
 * is the handle until cb runs. Errors (cb never runs): IK_EINVAL (NULL
 * base, name or cb, family, max 0), IK_ENOMEM, IK_ESOCKET (Windows:
 * Winsock would not start). Every failure of the name itself, even a
 * malformed literal, comes through cb. */
int ik__resolve_start(struct event_base *base, const char *name, int family, size_t max,
                      ik__lookup_cb cb, void *arg, ik__lookup **lookup);
/* cb never runs after this; NULL is accepted, and so is a lookup whose cb
 * is running (nothing happens: it is freed when cb returns). libevent
 * ends a DNS query it was waiting for on the next loop turn: run the loop
 * once more before event_base_free, or its few bytes are never freed. */
void ik__lookup_cancel(ik__lookup *lookup);

/* ---- resolve.c's parts, shared with resolve_async.c ---- */

#define IK__RESOLVE_DNS 1 /* ik__resolve_local: the name needs a DNS lookup */

/* IK_EINVAL (detail names fn) for a NULL name, max 0 or another family. */
int ik__resolve_check(const char *fn, const char *name, int family, size_t max);
/* ik_resolve for what needs no lookup: 0 or IK_ENAMELOOKUP as ik_resolve
 * for literals, malformed names and the special names, IK__RESOLVE_DNS
 * (nothing written) for a name to look up. Arguments already checked. */
int ik__resolve_local(const char *name, int family, ik_address *out, size_t max, size_t *n);
/* Appends res's addresses of family want not yet in out (up to max). */
void ik__addrinfo_collect(const struct evutil_addrinfo *res, int want, ik_address *out, size_t max,
                          size_t *n);
/* IK_ENAMELOOKUP: the lookup found no address of family (0: any). */
int ik__resolve_none(const char *name, int family);

#endif
