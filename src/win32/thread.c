/* Threads, a lock and a wake-up pair on Windows (src/thread.h). */
#include "win32.h"

#include <process.h>
#include <stdlib.h>

#include "thread.h"

int ik__cpu_count(void) {
  DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
  DWORD_PTR mine = 0, sys = 0;
  /* Within one group the affinity mask says what this process may use. */
  if (GetProcessAffinityMask(GetCurrentProcess(), &mine, &sys) && mine != 0) {
    DWORD bits = 0;
    for (; mine != 0; mine &= mine - 1)
      bits++;
    if (bits < n)
      n = bits;
  }
  return n > 0 ? (int)n : 1;
}

struct ik__thread {
  HANDLE h;
  void (*fn)(void *arg);
  void *arg;
};

static unsigned __stdcall thread_main(void *arg) {
  ik__thread *t = (ik__thread *)arg;
  t->fn(t->arg);
  return 0;
}

int ik__thread_start(ik__thread **out, void (*fn)(void *arg), void *arg) {
  ik__thread *t = (ik__thread *)calloc(1, sizeof *t);
  *out = NULL;
  if (t == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a thread");
  t->fn = fn;
  t->arg = arg;
  t->h = (HANDLE)_beginthreadex(NULL, 0, thread_main, t, 0, NULL);
  if (t->h == NULL) {
    free(t);
    return ik__fail(IK_ENOMEM, "cannot start a thread");
  }
  *out = t;
  return 0;
}

void ik__thread_join(ik__thread *t) {
  if (t == NULL)
    return;
  WaitForSingleObject(t->h, INFINITE);
  CloseHandle(t->h);
  free(t);
}

struct ik__lock {
  SRWLOCK l;
};

int ik__lock_new(ik__lock **out) {
  ik__lock *l = (ik__lock *)calloc(1, sizeof *l);
  *out = NULL;
  if (l == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a lock");
  InitializeSRWLock(&l->l);
  *out = l;
  return 0;
}

void ik__lock_free(ik__lock *l) { free(l); }
void ik__lock_take(ik__lock *l) { AcquireSRWLockExclusive(&l->l); }
void ik__lock_give(ik__lock *l) { ReleaseSRWLockExclusive(&l->l); }

/* libevent emulates the pair with two loopback TCP sockets. */
int ik__wake_pair(evutil_socket_t fds[2]) {
  if (evutil_socketpair(AF_INET, SOCK_STREAM, 0, fds) != 0)
    return ik__fail(IK_ESOCKET, "cannot make a socket pair (%d)", WSAGetLastError());
  if (evutil_make_socket_nonblocking(fds[0]) != 0 || evutil_make_socket_nonblocking(fds[1]) != 0) {
    ik__wake_close(fds);
    return ik__fail(IK_ESOCKET, "cannot configure a socket pair (%d)", WSAGetLastError());
  }
  return 0;
}

void ik__wake_send(evutil_socket_t fd) {
  char b = 1;
  send(fd, &b, 1, 0);
}

void ik__wake_drain(evutil_socket_t fd) {
  char buf[64];
  while (recv(fd, buf, sizeof buf, 0) > 0) {
  }
}

void ik__wake_close(evutil_socket_t fds[2]) {
  int i;
  for (i = 0; i < 2; i++)
    if (fds[i] != IK__NO_SOCKET) {
      evutil_closesocket(fds[i]);
      fds[i] = IK__NO_SOCKET;
    }
}
