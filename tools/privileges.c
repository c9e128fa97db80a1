/* ikcli_drop_privileges (privileges.h). The capabilities are dropped with
 * the capset and prctl system calls themselves rather than with libcap:
 * "drop everything" needs no capability names or text forms, so libcap
 * would add a build and run-time dependency (libcap-dev, and nothing on
 * macOS or Windows) for five system calls. */
#if defined(__linux__)
#  define _GNU_SOURCE /* setresuid, setresgid, syscall */
#endif
#include "privileges.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(_WIN32)
#  include <sys/types.h>
#  include <unistd.h>
#endif
#if defined(__linux__)
#  include <linux/capability.h>
#  include <sys/prctl.h>
#  include <sys/syscall.h>
#endif

#if !defined(_WIN32)
static int failed(char *msg, size_t msglen, const char *what) {
  if (msg != NULL && msglen > 0)
    snprintf(msg, msglen, "cannot drop privileges: %s: %s", what, strerror(errno));
  return -1;
}
#endif

#if defined(__linux__)
static int drop_capabilities(char *msg, size_t msglen) {
  struct __user_cap_header_struct head;
  struct __user_cap_data_struct data[2];
  unsigned long cap;

  /* The bounding set limits what any later execve could gain; dropping
   * from it needs CAP_SETPCAP (root has it, a setcap'd binary does not),
   * and no_new_privs below covers that case. */
  for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EPERM)
      return failed(msg, msglen, "prctl(PR_CAPBSET_DROP)");
  /* Kernels before 4.3 have no ambient set (EINVAL): nothing to clear. */
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return failed(msg, msglen, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  memset(&head, 0, sizeof head);
  memset(data, 0, sizeof data);
  head.version = _LINUX_CAPABILITY_VERSION_3;
  if (syscall(SYS_capset, &head, data) != 0)
    return failed(msg, msglen, "capset");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return failed(msg, msglen, "prctl(PR_SET_NO_NEW_PRIVS)");
  return 0;
}
#endif

int ikcli_drop_privileges(char *msg, size_t msglen) {
#if defined(_WIN32)
  (void)msg;
  (void)msglen;
  return 0;
#else
  /* Group first: once the user id is no longer root it could not change. */
  if (getegid() != getgid() && setgid(getgid()) != 0)
    return failed(msg, msglen, "setgid");
  if (geteuid() != getuid() && setuid(getuid()) != 0)
    return failed(msg, msglen, "setuid");
#  if defined(__linux__)
  return drop_capabilities(msg, msglen);
#  else
  return 0;
#  endif
#endif
}

void ikcli_read_situation(ikcli_situation *s, char *range, size_t rangelen, char *binary,
                          size_t binarylen) {
  if (rangelen > 0)
    range[0] = '\0';
  if (binarylen > 0)
    snprintf(binary, binarylen, "icmpkit");
  s->range = range;
  s->binary = binary;
#if defined(_WIN32)
  s->uid = s->gid = 0;
  s->in_range = s->has_cap_net_raw = 1; /* Windows asks for neither */
#else
  s->uid = (unsigned long)getuid();
  s->gid = (unsigned long)getgid();
  s->in_range = 0;
  s->has_cap_net_raw = geteuid() == 0;
#endif
#if defined(__linux__)
  {
    struct __user_cap_header_struct head;
    struct __user_cap_data_struct data[2];
    gid_t groups[256];
    unsigned long ids[258];
    size_t n = 0;
    int i, ng = getgroups((int)(sizeof groups / sizeof groups[0]), groups);
    FILE *f = fopen("/proc/sys/net/ipv4/ping_group_range", "r");
    ssize_t len = readlink("/proc/self/exe", binary, binarylen > 0 ? binarylen - 1 : 0);
    if (len > 0)
      binary[len] = '\0';
    if (f != NULL) {
      if (rangelen > 0 && fgets(range, (int)rangelen, f) != NULL) {
        char *p;
        range[strcspn(range, "\n")] = '\0';
        for (p = range; *p; p++)
          if (*p == '\t')
            *p = ' ';
      }
      fclose(f);
    }
    /* The kernel's ping_init_sock: the effective group or a supplementary one. */
    ids[n++] = (unsigned long)getegid();
    for (i = 0; i < ng; i++)
      ids[n++] = (unsigned long)groups[i];
    s->in_range = ikcli_groups_in_range(range, ids, n);
    memset(&head, 0, sizeof head);
    memset(data, 0, sizeof data);
    head.version = _LINUX_CAPABILITY_VERSION_3;
    if (syscall(SYS_capget, &head, data) == 0)
      s->has_cap_net_raw = (data[CAP_NET_RAW / 32].permitted >> (CAP_NET_RAW % 32)) & 1u;
  }
#endif
}
