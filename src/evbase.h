/* The one place the library creates event_bases of its own (the private
 * loops of ik_ping, ik_multiping and ik_traceroute), and the libevent
 * callbacks that keep libevent from writing to stderr or exiting the
 * caller's process. */
#ifndef IK_EVBASE_H
#define IK_EVBASE_H

struct event_base;
struct event_config;

/* A new event_base for the library's own loop, its timers on the precise
 * monotonic clock (libevent's default on Linux advances once per kernel
 * tick). First prepares libevent (ik__libevent_init, ik__libevent_hooks)
 * and checks that the descriptors a base takes are free: on POSIX,
 * libevent 2.1 exits the process when it cannot make a base's signal
 * pipe. Free the base with event_base_free.
 * Errors: IK_ESOCKET (out of descriptors: the message names EMFILE, the
 * process limit, or ENFILE, the system's; or another OS failure),
 * IK_ENOMEM. */
int ik__precise_base_new(struct event_base **base);

/* event_base_new_with_config(cfg) with a fatal error of libevent's turned
 * into a return: IK_ESOCKET (its message), or IK_ENOMEM when libevent
 * gives no reason. No descriptor check: ik__precise_base_new does that.
 * After a fatal error, what libevent had allocated for the base stays
 * allocated (a few hundred bytes, up to two descriptors): libevent gives
 * no way back to it. */
int ik__event_base_create(struct event_config *cfg, struct event_base **base);

/* Installs, once per process, libevent's log and fatal callbacks:
 * - log: libevent's messages are kept (the calling thread's last one) to
 *   explain a failure, never printed;
 * - fatal: inside ik__event_base_create, the creation fails with an error;
 *   anywhere else (libevent cannot continue and would exit(1) silently),
 *   "icmpkit: libevent fatal error ..." with its last message goes to
 *   stderr and the process aborts.
 * They replace the callbacks another part of the program has set. */
void ik__libevent_hooks(void);

#endif
