/* The source address of an interface named in ik_socket_open's source, on
 * Windows: the ICMP API cannot be bound to an interface, so the interface
 * is reduced to one of its addresses. The choice is a pure function over
 * the adapters GetAdaptersAddresses listed (endpoint.c builds the list), so
 * the unit tests run it on every platform. No Windows header here. */
#ifndef IK_WIN32_IFACE_H
#define IK_WIN32_IFACE_H

#include <stddef.h>

#include "../internal.h"

/* One adapter as GetAdaptersAddresses describes it. */
typedef struct ik__win32_adapter {
  const char *friendly_name;   /* FriendlyName in UTF-8 ("Ethernet 2"), or NULL */
  const char *adapter_name;    /* AdapterName (a GUID in braces), or NULL */
  unsigned long index;         /* IfIndex (IPv4), 0: none */
  unsigned long index6;        /* Ipv6IfIndex, 0: none */
  const ik_address *addresses; /* its unicast addresses, in Windows' order */
  size_t naddresses;
} ik__win32_adapter;

/* The source for family (IK_AF_INET/IK_AF_INET6) of the adapter called
 * name: the first adapter whose friendly name, else adapter name (both
 * without regard to ASCII case), else, when name is a decimal number,
 * IPv4 or IPv6 interface index is name. Its first address of the family
 * that is not link-local (IPv6 fe80::/10, IPv4 169.254/16), else its first
 * link-local one (with its scope), goes to *source. Errors: IK_EADDRESS
 * ("no interface named 'x'"; "interface 'x' has no IPv6 address"). */
int ik__win32_adapter_source(const ik__win32_adapter *adapters, size_t n, const char *name,
                             int family, ik_address *source);

#endif
