/* ik_reply: the seed's raise_for_status and icmplib's per-code texts. */
#include <stdio.h>

#include "packet.h"

/* Texts as icmplib 2.x words them (icmplib/exceptions.py), spelling
 * included ("prohibed"), so messages match what its users know. */
static const char *const v4_unreachable[] = {
  "Destination network unreachable",
  "Destination host unreachable",
  "Destination protocol unreachable",
  "Destination port unreachable",
  "Fragmentation needed and DF set",
  "Source route failed",
  "Destination network unknown",
  "Destination host unknown",
  "Source host isolated",
  "Destination network prohibed",
  "Destination host prohibed",
  "Destination network unreachable for ToS",
  "Destination host unreachable for ToS",
  "Packet filtered",
  "Precedence violation",
  "Precedence cutoff",
};

static const char *const v6_unreachable[] = {
  "No route to destination",
  "Communication with destination administratively prohibited",
  "Beyond scope of source address",
  "Address unreachable",
  "Port unreachable",
  "Source address failed ingress/egress policy",
  "Reject route to destination",
};

static const char *const v4_time_exceeded[] = {
  "Time to live exceeded",
  "Fragment reassembly time exceeded",
};

static const char *const v6_time_exceeded[] = {
  "Hop limit exceeded",
  "Fragment reassembly time exceeded",
};

#define IK__COUNT(a) (int)(sizeof(a) / sizeof((a)[0]))

static IK__THREAD_LOCAL char generic[64];

int ik_reply_check(const ik_reply *reply) {
  int v6;
  if (reply == NULL)
    return ik__fail(IK_EINVAL, "ik_reply_check: NULL reply");
  v6 = reply->family == IK_AF_INET6;
  if (reply->type == (v6 ? IK__V6_ECHO_REPLY : IK__V4_ECHO_REPLY))
    return IK_OK;
  if (reply->type == (v6 ? IK__V6_DEST_UNREACH : IK__V4_DEST_UNREACH))
    return IK_EDEST_UNREACHABLE;
  if (reply->type == (v6 ? IK__V6_TIME_EXCEEDED : IK__V4_TIME_EXCEEDED))
    return IK_ETIME_EXCEEDED;
  return IK_EICMP;
}

/* Unknown codes of the two named types get icmplib's "bad code" forms,
 * anything else its generic "Error type: T, code: C". */
const char *ik_reply_message(const ik_reply *reply) {
  const char *const *table = NULL;
  int count = 0, v6;
  const char *bad = NULL;

  if (reply == NULL)
    return "";
  v6 = reply->family == IK_AF_INET6;
  switch (ik_reply_check(reply)) {
  case IK_OK:
    return "";
  case IK_EDEST_UNREACHABLE:
    table = v6 ? v6_unreachable : v4_unreachable;
    count = v6 ? IK__COUNT(v6_unreachable) : IK__COUNT(v4_unreachable);
    bad = "Destination unreachable, bad code";
    break;
  case IK_ETIME_EXCEEDED:
    table = v6 ? v6_time_exceeded : v4_time_exceeded;
    count = v6 ? IK__COUNT(v6_time_exceeded) : IK__COUNT(v4_time_exceeded);
    bad = "Time exceeded, bad code";
    break;
  default:
    snprintf(generic, sizeof generic, "Error type: %d, code: %d", reply->type, reply->code);
    return generic;
  }
  if (reply->code >= 0 && reply->code < count)
    return table[reply->code];
  snprintf(generic, sizeof generic, "%s: %d", bad, reply->code);
  return generic;
}
