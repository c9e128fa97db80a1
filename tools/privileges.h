/* Giving up privileges once the sockets are open (iputils ping's way). */
#ifndef IKCLI_PRIVILEGES_H
#define IKCLI_PRIVILEGES_H

#include <stddef.h>

#include "advice.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Gives up, for good, every privilege the process holds: a setuid or
 * setgid binary becomes its real user and group; on Linux every
 * capability goes (permitted, effective, inheritable, ambient, and the
 * bounding set where CAP_SETPCAP allows), then no_new_privs is set, so
 * that nothing executed later regains any. Returns 0, or -1 with msg. */
int ikcli_drop_privileges(char *msg, size_t msglen);

/* Fills s with the process's situation (ids, whether a group of it is
 * inside ping_group_range, CAP_NET_RAW in its permitted set, the binary's
 * path); call it before ikcli_drop_privileges. range and binary are the
 * caller's buffers that s then points to. mode and family are left as
 * they were. */
void ikcli_read_situation(ikcli_situation *s, char *range, size_t rangelen, char *binary,
                          size_t binarylen);

#ifdef __cplusplus
}
#endif

#endif
