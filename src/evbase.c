/* Event bases the library creates itself, and libevent's log and fatal
 * callbacks (see evbase.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h> /* strerror: evutil_socket_error_to_string on POSIX */

#include <event2/event.h>
#include <event2/util.h>

#include "backend.h"
#include "evbase.h"

/* Descriptors an event_base takes at most when created: on Linux the
 * epoll descriptor, a timerfd for the precise clock and the two ends of
 * the signal pipe, which libevent 2.1 makes at once (evsig_init_) and
 * whose failure it treats as fatal outside Windows. */
#define IK__BASE_DESCRIPTORS 4

/* The calling thread's last libevent message, to explain a failure. */
static IK__THREAD_LOCAL char last_message[200];
/* errno when libevent's fatal callback ran. */
static IK__THREAD_LOCAL int fatal_errno;
/* Set while ik__event_base_create runs on this thread: where a fatal
 * error returns to. */
static IK__THREAD_LOCAL jmp_buf *landing;

static void on_log(int severity, const char *msg) {
  (void)severity;
  snprintf(last_message, sizeof last_message, "%s", msg != NULL ? msg : "");
}

/* libevent calls exit(err) when this returns, so it never does. */
static void on_fatal(int err) {
  fatal_errno = errno;
  if (landing != NULL)
    longjmp(*landing, 1);
  fprintf(stderr, "icmpkit: libevent fatal error %d (%s); aborting\n", err,
          last_message[0] != '\0' ? last_message : "no message");
  abort();
}

void ik__libevent_hooks(void) {
  static volatile unsigned installed;
  if (ik__atomic_fetch_inc(&installed) != 0)
    return;
  event_set_log_callback(on_log);
  event_set_fatal_callback(on_fatal);
}

/* What ran out, for an errno value met while making descriptors. */
static int fail_descriptors(int e) {
  if (e == EMFILE)
    return ik__fail(IK_ESOCKET,
                    "out of file descriptors (EMFILE: the process limit, "
                    "RLIMIT_NOFILE) creating the event loop");
  if (e == ENFILE)
    return ik__fail(IK_ESOCKET,
                    "out of file descriptors (ENFILE: the system's limit) "
                    "creating the event loop");
  if (e == ENOMEM || e == ENOBUFS)
    return ik__fail(IK_ENOMEM, "out of memory creating the event loop: %s",
                    evutil_socket_error_to_string(e));
  return ik__fail(IK_ESOCKET, "cannot create the event loop: %s", evutil_socket_error_to_string(e));
}

/* Takes and gives back as many descriptors as a base needs: a base made
 * right after finds them (unless another thread takes them meanwhile,
 * which ik__event_base_create still survives). */
static int check_descriptors(void) {
  evutil_socket_t fds[IK__BASE_DESCRIPTORS];
  int n, i, e = 0;
  for (n = 0; n < IK__BASE_DESCRIPTORS; n += 2)
    if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, &fds[n]) != 0) {
      e = EVUTIL_SOCKET_ERROR();
      break;
    }
  for (i = 0; i < n; ++i)
    evutil_closesocket(fds[i]);
  return n < IK__BASE_DESCRIPTORS ? fail_descriptors(e) : 0;
}

int ik__event_base_create(struct event_config *cfg, struct event_base **base) {
  jmp_buf here;
  struct event_base *volatile made = NULL;
  *base = NULL;
  last_message[0] = '\0';
  ik__libevent_hooks();
  if (setjmp(here) == 0) {
    landing = &here;
    made = event_base_new_with_config(cfg);
  } else if (fatal_errno == EMFILE || fatal_errno == ENFILE) {
    landing = NULL;
    return fail_descriptors(fatal_errno);
  }
  landing = NULL;
  if (made == NULL)
    return last_message[0] != '\0'
             ? ik__fail(IK_ESOCKET, "cannot create the event loop: %s", last_message)
             : ik__fail(IK_ENOMEM, "out of memory creating the event loop");
  *base = made;
  return 0;
}

/* libevent's default clock is CLOCK_MONOTONIC_COARSE where the system has
 * one: it advances once per kernel tick (4 ms at HZ=250). A probe timer
 * then woke the loop, which read a time short of the deadline and slept
 * again: a 2 ms ping took two or three wake-ups per probe, went out 2.1 to
 * 4.5 ms apart and measured 11 to 17 us longer on loopback
 * (docs/performance.md, "RTT"). The precise clock costs one
 * timerfd_settime per wait on Linux. */
int ik__precise_base_new(struct event_base **base) {
  struct event_config *cfg;
  int err;
  *base = NULL;
  if ((err = ik__libevent_init()) != 0)
    return err;
  if ((err = check_descriptors()) != 0)
    return err;
  if ((cfg = event_config_new()) == NULL)
    return ik__fail(IK_ENOMEM, "out of memory creating the event loop");
  event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
  err = ik__event_base_create(cfg, base);
  event_config_free(cfg);
  return err;
}
