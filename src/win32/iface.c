/* ik__win32_adapter_source (iface.h): portable C, compiled into the library
 * on Windows and into the unit tests everywhere. */
#include "iface.h"

#include <string.h>

static int same_name(const char *a, const char *b) {
  if (a == NULL)
    return 0;
  for (; *a != '\0' && *b != '\0'; a++, b++) {
    unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
    if (x >= 'A' && x <= 'Z')
      x = (unsigned char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z')
      y = (unsigned char)(y - 'A' + 'a');
    if (x != y)
      return 0;
  }
  return *a == *b;
}

/* name as an interface index; 0 when it is not a decimal number. */
static unsigned long index_of(const char *name) {
  unsigned long v = 0;
  size_t n = strlen(name);
  if (n == 0 || n > 9 || strspn(name, "0123456789") != n)
    return 0;
  for (; *name != '\0'; name++)
    v = v * 10 + (unsigned long)(*name - '0');
  return v;
}

static const ik__win32_adapter *find(const ik__win32_adapter *adapters, size_t n,
                                     const char *name) {
  unsigned long index = index_of(name);
  size_t i;
  for (i = 0; i < n; i++)
    if (same_name(adapters[i].friendly_name, name))
      return &adapters[i];
  for (i = 0; i < n; i++)
    if (same_name(adapters[i].adapter_name, name))
      return &adapters[i];
  for (i = 0; index != 0 && i < n; i++)
    if (adapters[i].index == index || adapters[i].index6 == index)
      return &adapters[i];
  return NULL;
}

static int link_local(const ik_address *a) {
  if (a->family == IK_AF_INET)
    return a->bytes[0] == 169 && a->bytes[1] == 254;
  return a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80;
}

int ik__win32_adapter_source(const ik__win32_adapter *adapters, size_t n, const char *name,
                             int family, ik_address *source) {
  const ik__win32_adapter *a = find(adapters, n, name);
  const ik_address *pick = NULL;
  if (a == NULL)
    return ik__fail(IK_EADDRESS, "no interface named '%s'", name);
  for (size_t i = 0; i < a->naddresses; i++) {
    const ik_address *x = &a->addresses[i];
    if (x->family != family)
      continue;
    if (!link_local(x)) {
      pick = x;
      break;
    }
    if (pick == NULL)
      pick = x;
  }
  if (pick == NULL)
    return ik__fail(IK_EADDRESS, "interface '%s' has no %s address", name,
                    family == IK_AF_INET ? "IPv4" : "IPv6");
  *source = *pick;
  return 0;
}
