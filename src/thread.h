/* Threads, a lock and a wake-up channel for the threaded multiping
 * (src/probe/threads.c); one implementation per platform
 * (posix/thread.c, win32/thread.c). Errors: the ik_error code, with the
 * detail in ik_last_error(). */
#ifndef IK_THREAD_H
#define IK_THREAD_H

#include <event2/util.h> /* evutil_socket_t */

#include "internal.h"

/* The cores this process may run on (Linux: its affinity mask; Windows:
 * the active processors of all groups; elsewhere the online ones), >= 1. */
int ik__cpu_count(void);

typedef struct ik__thread ik__thread;
/* Runs fn(arg) on a new thread. Errors: IK_ENOMEM (detail: why). */
int ik__thread_start(ik__thread **t, void (*fn)(void *arg), void *arg);
/* Waits for the thread to end and frees t. NULL is accepted. */
void ik__thread_join(ik__thread *t);

typedef struct ik__lock ik__lock;
int ik__lock_new(ik__lock **l); /* IK_ENOMEM */
void ik__lock_free(ik__lock *l);
void ik__lock_take(ik__lock *l);
void ik__lock_give(ik__lock *l);

/* A connected pair of non-blocking sockets: a byte written into one end
 * makes the other readable in the loop that watches it, from any thread,
 * without libevent's thread support. Errors: IK_ESOCKET. */
int ik__wake_pair(evutil_socket_t fds[2]);
#define IK__NO_SOCKET ((evutil_socket_t)-1) /* EVUTIL_INVALID_SOCKET, signed everywhere */
void ik__wake_send(evutil_socket_t fd);     /* a full pipe already wakes: ignored */
void ik__wake_drain(evutil_socket_t fd);    /* reads what is there */
void ik__wake_close(evutil_socket_t fds[2]);

#endif
