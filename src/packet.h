/* ICMP codec: pure functions over byte buffers (no sockets, no globals).
 * They return an ik_error and never write ik_last_error()'s detail: a
 * rejected packet is routine, not a failure to report, and a caller that
 * does fail because of one says why itself. */
#ifndef IK_PACKET_H
#define IK_PACKET_H

#include "internal.h"

/* Where an input buffer starts. */
enum {
  IK__LAYOUT_ICMP = 0, /* at the ICMP header (Linux DGRAM, any IPv6 socket) */
  IK__LAYOUT_IP = 1    /* at an IPv4 header of any IHL (raw v4, macOS DGRAM v4) */
};

/* Or-ed into ik__parse's layout by the BSD/macOS backend: the kernel may
 * have rewritten an ICMPv4 error's quoted IP header after verifying the
 * checksum (see bsd_quote_checksum_ok in packet.c). Linux never does, so
 * Linux builds leave it out and stay strict. */
#define IK__PARSE_BSD_KERNEL 0x100

/* ICMP types used by the codec. */
enum {
  IK__V4_ECHO_REPLY = 0,
  IK__V4_DEST_UNREACH = 3,
  IK__V4_SOURCE_QUENCH = 4,
  IK__V4_REDIRECT = 5,
  IK__V4_ECHO_REQUEST = 8,
  IK__V4_TIME_EXCEEDED = 11,
  IK__V4_PARAM_PROBLEM = 12,
  IK__V6_DEST_UNREACH = 1,
  IK__V6_PACKET_TOO_BIG = 2,
  IK__V6_TIME_EXCEEDED = 3,
  IK__V6_PARAM_PROBLEM = 4,
  IK__V6_ECHO_REQUEST = 128,
  IK__V6_ECHO_REPLY = 129
};

typedef struct ik__packet {
  int family; /* 4 or 6 */
  int type, code;
  int is_echo_reply;          /* type is the family's echo reply */
  int is_error;               /* an ICMP error quoting one of our echo requests */
  uint16_t id, sequence;      /* of the echo reply, or of the quoted request */
  int ttl;                    /* from a leading IPv4 header; -1 otherwise */
  ik_address ip_src;          /* from a leading IPv4 header; family 0 otherwise */
  ik_address quoted_dst;      /* errors: destination of the quoted request */
  ik_address quoted_src;      /* errors: source of the quoted request */
  const uint8_t *quoted_icmp; /* errors: the quoted ICMP message, in buf */
  size_t quoted_icmp_len;     /* as much of it as the router quoted (>= 8) */
  const uint8_t *data;        /* echo replies: payload after the 8-byte header */
  size_t data_len;
  size_t icmp_len; /* length of the ICMP message */
  int checksum_ok; /* 1 verified, 0 bad, -1 not checked (IPv6) */
} ik__packet;

/* RFC 1071 Internet checksum of len bytes, as a host-order number to store
 * big-endian (buf[2] = sum >> 8, buf[3] = sum & 0xff). Over a message that
 * already holds its checksum the result is 0. */
uint16_t ik__checksum(const void *data, size_t len);

/* Size of the echo request for req (8 + payload). */
size_t ik__echo_size(const ik_request *req);
/* Writes the echo request with identifier id. IPv4: checksum filled;
 * IPv6: checksum 0 (the kernel computes it). *len gets the request's size,
 * also on IK_ENOSPACE. Errors: IK_EINVAL (NULL, family unset, payload over
 * IK_MAX_PAYLOAD_SIZE), IK_ENOSPACE. */
int ik__build_echo(const ik_request *req, uint16_t id, uint8_t *buf, size_t cap, size_t *len);
/* Parses a received message; out->data points into buf. The first
 * problem met walking the buffer from its start decides the error, except
 * that a bad checksum is reported only for a message otherwise accepted:
 *  IK_EINVAL      NULL out or buf (with len > 0), family not 4/6, layout
 *                 unknown, or IK__LAYOUT_IP with IPv6 (no socket shows it);
 *  IK_EMALFORMED  leading IPv4 header: version not 4, IHL < 5, protocol not
 *                 ICMP, total length below len (accepted: equal to len, or
 *                 macOS's little-endian length without the header, equal to
 *                 len - IHL*4); quoted header: wrong IP version, IHL < 5,
 *                 more than 16 IPv6 extension headers;
 *  IK_ETRUNCATED  len shorter than a header, than the total length, than
 *                 the 8-byte ICMP header (type/code set when 2 bytes are
 *                 there), or an error's quote ends before the quoted ICMP
 *                 header's 8 bytes (a quote cut right after them is fine);
 *  IK_EUNRELATED  not an echo reply and not an error quoting an echo request
 *                 of this family (echo requests, neighbour discovery, quotes
 *                 of UDP or of non-first fragments...); type/code set;
 *  IK_ECHECKSUM   IPv4 checksum wrong on an otherwise valid echo reply or
 *                 error: out fully filled, checksum_ok 0. With
 *                 IK__PARSE_BSD_KERNEL, an error whose checksum verifies
 *                 once the quoted total length is byte-swapped back counts
 *                 as verified (macOS, FreeBSD before 10).
 * Each quoted IPv6 extension header (hop-by-hop, routing, fragment,
 * destination options) is skipped by its own length, within len. */
int ik__parse(const uint8_t *buf, size_t len, int family, int layout, ik__packet *out);
/* 1 when data is exactly the payload req sent; 0 otherwise, and also when
 * the memory to regenerate a payload over 1 KiB cannot be had (so a reply
 * is never counted good unverified). */
int ik__payload_matches(const ik_request *req, const uint8_t *data, size_t len);

#endif
