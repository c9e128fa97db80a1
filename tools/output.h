/* What the icmpkit tool prints: human text in the conventions of iputils
 * ping, fping and traceroute, and JSON Lines. Everything is appended to a
 * buffer; the caller decides when it reaches standard output. */
#ifndef IKCLI_OUTPUT_H
#define IKCLI_OUTPUT_H

#include <stddef.h>

#include "icmpkit.h"
#include "json.h"

/* Room for a user's name as ik_escape shows it (a 255-byte name whose
 * every byte is escaped, cut with "..."). */
#define IKCLI_SHOWN_NAME 1024

#ifdef __cplusplus
extern "C" {
#endif

/* "PING target (address) 56(84) bytes of data." (IPv6: "56 data bytes"). */
void ikcli_ping_header(ikcli_buf *b, const char *target, const char *address, int family,
                       size_t payload_size);
/* The line of one reply: "64 bytes from A: icmp_seq=N ttl=T time=X ms"
 * (" (DUP!)" for duplicates), or for an ICMP error
 * "From ROUTER icmp_seq=N <ik_reply_message>". */
void ikcli_ping_reply(ikcli_buf *b, const ik_probe_reply *p);
/* ikcli_ping_reply for every reply in h->replies. */
void ikcli_ping_replies(ikcli_buf *b, const ik_host *h);
/* The closing block: "--- target ping statistics ---", transmitted /
 * received / +duplicates / +errors / loss / time, and the
 * "rtt min/avg/max/mdev" line when something answered. */
void ikcli_ping_statistics(ikcli_buf *b, const char *target, const ik_host *h, double elapsed_ms);

/* fping's -c summary line, the address padded to width:
 * "A : xmt/rcv/%loss = 2/2/0%, min/avg/max = 0.031/0.040/0.049". */
void ikcli_multiping_line(ikcli_buf *b, const ik_host *h, int width);
/* "N of M hosts alive", and when the OS dropped replies (local_drops of
 * ik_host) a line saying so and that the silent hosts were probed again. */
void ikcli_multiping_summary(ikcli_buf *b, size_t alive, size_t total, unsigned long local_drops);

/* The progress line of a long multiping: targets that answered so far, and
 * the time spent against the expected duration (an estimate, and it says
 * so): "multiping: 912 of 65534 targets answered, 12s of ~2m11s (9%)".
 * No newline: the caller rewrites it in place with "\r". */
void ikcli_progress_line(ikcli_buf *b, size_t targets, size_t answered, double elapsed,
                         double expected);
/* Expected seconds of a multiping: sending every probe at the rate limit
 * (0: no limit), the intervals between one host's probes, and the last
 * timeout. */
double ikcli_multiping_expected(size_t targets, const ik_ping_options *o);

/* "traceroute to target (address), 30 hops max, 84 byte packets". */
void ikcli_traceroute_header(ikcli_buf *b, const char *target, const char *address, int family,
                             int max_hops, size_t payload_size);
/* " 3  198.18.2.1  0.061 ms  0.052 ms": one time per answered probe,
 * ikcli_trace_annotation's mark after an ICMP error, another responder's
 * address before its time, " *" for each of the count probes that got
 * nothing (count: the probes sent). */
void ikcli_traceroute_hop(ikcli_buf *b, const ik_hop *hop, int count);
/* " 4  * *" for a distance where no router answered. */
void ikcli_traceroute_silent(ikcli_buf *b, int distance, int count);

/* One JSON Lines object for a host (distance < 0: with send_errors) or a
 * hop, with "\n"; failed sends are not among the replies. */
void ikcli_json_host(ikcli_buf *b, const ik_host *h, int distance);
/* A multiping target: ikcli_json_host plus "name" (the target as given)
 * and, unless error is NULL, "error" (why it was not probed). */
void ikcli_json_target(ikcli_buf *b, const ik_host *h, const char *name, const char *error);
/* traceroute(8)'s mark for an answer: "" for an echo reply, time exceeded
 * in transit and port unreachable; "!H", "!N", "!P", "!S", "!F", "!X",
 * "!V", "!C" for their unreachable codes, "!<code>" for other unreachable
 * codes and "!<type-code>" for other messages (buf holds those). */
const char *ikcli_trace_annotation(const ik_reply *r, char *buf, size_t len);
/* The last traceroute line: {"destination", "reached", "hops" (hop objects
 * printed), "end": "reached", "unreachable", "max_hops" or "interrupted"
 * (end: IK_TRACE_*, IK_TRACE_MORE when interrupted)}; with "unreachable",
 * the answer why (not NULL): "annotation", "source", "type", "code". */
void ikcli_json_trace_end(ikcli_buf *b, const char *destination, int end, const ik_probe_reply *why,
                          size_t hops);

/* Round-trip time as iputils prints it: 3 significant decimals below 1 ms,
 * fewer above (0.042, 1.23, 12.3, 123). */
void ikcli_format_rtt(char *buf, size_t len, double ms);
/* 1 when the reply is an echo reply (not an ICMP error). */
int ikcli_is_echo_reply(const ik_reply *r);

#ifdef __cplusplus
}
#endif

#endif
