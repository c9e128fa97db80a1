/* Threads, a lock and a wake-up pair on POSIX (src/thread.h). */
#define _GNU_SOURCE 1 /* sched_getaffinity, CPU_COUNT */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#if defined(__linux__)
#  include <sched.h>
#endif

#include "thread.h"

#ifndef MSG_NOSIGNAL /* macOS: the peer end outlives every write anyway */
#  define MSG_NOSIGNAL 0
#endif

int ik__cpu_count(void) {
  long n;
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return CPU_COUNT(&set);
#endif
  n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (n < 4096 ? (int)n : 4096) : 1;
}

struct ik__thread {
  pthread_t id;
  void (*fn)(void *arg);
  void *arg;
};

static void *thread_main(void *arg) {
  ik__thread *t = (ik__thread *)arg;
  t->fn(t->arg);
  return NULL;
}

int ik__thread_start(ik__thread **out, void (*fn)(void *arg), void *arg) {
  ik__thread *t = (ik__thread *)calloc(1, sizeof *t);
  int rc;
  *out = NULL;
  if (t == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a thread");
  t->fn = fn;
  t->arg = arg;
  if ((rc = pthread_create(&t->id, NULL, thread_main, t)) != 0) {
    free(t);
    return ik__fail(IK_ENOMEM, "cannot start a thread: %s", strerror(rc));
  }
  *out = t;
  return 0;
}

void ik__thread_join(ik__thread *t) {
  if (t == NULL)
    return;
  pthread_join(t->id, NULL);
  free(t);
}

struct ik__lock {
  pthread_mutex_t m;
};

int ik__lock_new(ik__lock **out) {
  ik__lock *l = (ik__lock *)calloc(1, sizeof *l);
  *out = NULL;
  if (l == NULL || pthread_mutex_init(&l->m, NULL) != 0) {
    free(l);
    return ik__fail(IK_ENOMEM, "no memory for a lock");
  }
  *out = l;
  return 0;
}

void ik__lock_free(ik__lock *l) {
  if (l == NULL)
    return;
  pthread_mutex_destroy(&l->m);
  free(l);
}

void ik__lock_take(ik__lock *l) { pthread_mutex_lock(&l->m); }
void ik__lock_give(ik__lock *l) { pthread_mutex_unlock(&l->m); }

int ik__wake_pair(evutil_socket_t fds[2]) {
  if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
    return ik__fail(IK_ESOCKET, "cannot make a socket pair: %s", strerror(errno));
  if (evutil_make_socket_nonblocking(fds[0]) != 0 || evutil_make_socket_nonblocking(fds[1]) != 0 ||
      evutil_make_socket_closeonexec(fds[0]) != 0 || evutil_make_socket_closeonexec(fds[1]) != 0) {
    int e = errno;
    ik__wake_close(fds);
    return ik__fail(IK_ESOCKET, "cannot configure a socket pair: %s", strerror(e));
  }
  return 0;
}

void ik__wake_send(evutil_socket_t fd) {
  char b = 1;
  ssize_t rc;
  do
    rc = send(fd, &b, 1, MSG_NOSIGNAL);
  while (rc < 0 && errno == EINTR);
}

void ik__wake_drain(evutil_socket_t fd) {
  char buf[64];
  ssize_t rc;
  do
    rc = recv(fd, buf, sizeof buf, 0);
  while (rc > 0 || (rc < 0 && errno == EINTR));
}

void ik__wake_close(evutil_socket_t fds[2]) {
  int i;
  for (i = 0; i < 2; i++)
    if (fds[i] != IK__NO_SOCKET) {
      close(fds[i]);
      fds[i] = IK__NO_SOCKET;
    }
}
