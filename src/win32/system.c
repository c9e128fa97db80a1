/* System services of src/backend.h on Windows: clocks, randomness, process
 * id, atomics, interface names, sockaddr conversion and the resolver's
 * error texts. Requires Windows 8. */
#include "win32.h"

#include <bcrypt.h>
#include <stdio.h>
#include <string.h>

#include <event2/dns.h>

/* FILETIME counts 100 ns ticks since 1601-01-01; the Unix epoch is this
 * many ticks later. */
#define IK__EPOCH_TICKS 116444736000000000ULL

double ik__now_wall(void) {
  FILETIME ft;
  GetSystemTimePreciseAsFileTime(&ft);
  unsigned long long ticks = ((unsigned long long)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
  return (double)(ticks - IK__EPOCH_TICKS) / 1e7;
}

double ik__now_mono(void) {
  LARGE_INTEGER count, freq;
  QueryPerformanceCounter(&count);
  QueryPerformanceFrequency(&freq);
  /* Split so that a large counter keeps its sub-microsecond digits. */
  long long whole = count.QuadPart / freq.QuadPart;
  long long rest = count.QuadPart % freq.QuadPart;
  return (double)whole + (double)rest / (double)freq.QuadPart;
}

void ik__random_bytes(void *buf, size_t len) {
  unsigned char *p = buf;
  while (len > 0) {
    ULONG chunk = len > 0x10000000u ? 0x10000000u : (ULONG)len;
    if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, p, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
      break;
    p += chunk;
    len -= chunk;
  }
  if (len == 0)
    return;
  /* Payload seeds need not be secret, only varied (as on POSIX): if the
   * system RNG fails, mix the clock and the process id. */
  LARGE_INTEGER count;
  QueryPerformanceCounter(&count);
  unsigned long long x =
    (unsigned long long)count.QuadPart ^ ((unsigned long long)GetCurrentProcessId() << 32);
  while (len-- > 0) {
    x += 0x9E3779B97F4A7C15ULL;
    unsigned long long z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    *p++ = (unsigned char)(z ^ (z >> 31));
  }
}

unsigned long ik__process_id(void) { return GetCurrentProcessId(); }

unsigned ik__atomic_fetch_inc(volatile unsigned *counter) {
  /* unsigned and LONG are both 32 bits on every Windows ABI. */
  return (unsigned)InterlockedIncrement((volatile LONG *)counter) - 1u;
}

unsigned ik__atomic_cas(volatile unsigned *p, unsigned expected, unsigned desired) {
  return (unsigned)InterlockedCompareExchange((volatile LONG *)p, (LONG)desired, (LONG)expected);
}

/* An interface name (public, icmpkit.h) rather than a mistyped address:
 * no control character, ':' (IPv6), '/' or '%', not a dotted number
 * (IPv4); a friendly name ("Ethernet 2": blanks allowed, up to 256
 * characters, each up to 4 bytes in UTF-8), an adapter name (a GUID in
 * braces) or an interface index (only digits). */
int ik_is_interface_name(const char *text) {
  size_t n, i;
  if (text == NULL || (n = strlen(text)) == 0 || n > 4 * IF_MAX_STRING_SIZE)
    return 0;
  for (i = 0; i < n; i++)
    if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
      return 0;
  if (strspn(text, "0123456789.") == n && strchr(text, '.') != NULL)
    return 0;
  return strpbrk(text, ":/%") == NULL;
}

uint32_t ik__if_index(const char *name) {
  if (name == NULL || strlen(name) > 4 * IF_MAX_STRING_SIZE)
    return 0;
  /* if_nametoindex knows the stable names ("ethernet_32768"); users more
   * often type the alias shown by "netsh interface show interface". */
  NET_IFINDEX index = if_nametoindex(name);
  if (index != 0)
    return index;
  WCHAR alias[IF_MAX_STRING_SIZE + 1];
  NET_LUID luid;
  if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, name, -1, alias, IF_MAX_STRING_SIZE + 1) ==
      0)
    return 0;
  if (ConvertInterfaceAliasToLuid(alias, &luid) != NO_ERROR ||
      ConvertInterfaceLuidToIndex(&luid, &index) != NO_ERROR)
    return 0;
  return index;
}

/* The alias, which ik__if_index accepts back and users recognise; the
 * stable name when the interface has none. */
int ik__if_name(uint32_t index, char *buf, size_t len) {
  char name[4 * (IF_MAX_STRING_SIZE + 1)];
  NET_LUID luid;
  WCHAR alias[IF_MAX_STRING_SIZE + 1];
  if (buf == NULL)
    return ik__fail(IK_EINVAL, "no network interface has index %lu", (unsigned long)index);
  if (ConvertInterfaceIndexToLuid(index, &luid) != NO_ERROR)
    return ik__fail(IK_EINVAL, "no network interface has index %lu", (unsigned long)index);
  if (ConvertInterfaceLuidToAlias(&luid, alias, IF_MAX_STRING_SIZE + 1) != NO_ERROR ||
      alias[0] == 0 ||
      WideCharToMultiByte(CP_UTF8, 0, alias, -1, name, (int)sizeof name, NULL, NULL) == 0) {
    if (if_indextoname(index, name) == NULL)
      return ik__fail(IK_EINVAL, "no network interface has index %lu", (unsigned long)index);
  }
  size_t n = strlen(name);
  if (n >= len)
    return ik__fail(IK_ENOSPACE, "interface name '%s' does not fit in %zu bytes", name, len);
  memcpy(buf, name, n + 1);
  return 0;
}

const char *ik__win32_error_text(unsigned long code, char *buf, size_t len) {
  DWORD n =
    FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, (DWORD)code,
                   MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), buf, (DWORD)len, NULL);
  while (n > 0 &&
         (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '.'))
    buf[--n] = '\0';
  if (n == 0)
    snprintf(buf, len, "error %lu", code);
  return buf;
}

static INIT_ONCE winsock_once = INIT_ONCE_STATIC_INIT;
static int winsock_status;

static BOOL CALLBACK winsock_start(PINIT_ONCE once, PVOID param, PVOID *context) {
  (void)once, (void)param, (void)context;
  WSADATA data;
  winsock_status = WSAStartup(MAKEWORD(2, 2), &data);
  return TRUE;
}

int ik__winsock_init(void) {
  InitOnceExecuteOnce(&winsock_once, winsock_start, NULL, NULL);
  if (winsock_status != 0) {
    char text[256];
    return ik__fail(IK_ESOCKET, "WSAStartup failed: %s",
                    ik__win32_error_text((unsigned long)winsock_status, text, sizeof text));
  }
  return 0;
}

/* No evthread_use_windows_threads(): completions reach the loop through
 * a socket pair (endpoint.c), so the library needs no locking in libevent
 * and leaves that process-wide choice to the application. */
int ik__libevent_init(void) { return ik__winsock_init(); }

int ik__address_from_sockaddr(const struct sockaddr *sa, size_t len, ik_address *a) {
  memset(a, 0, sizeof *a);
  if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
    a->family = IK_AF_INET;
    memcpy(a->bytes, &in->sin_addr, 4);
    return 0;
  }
  if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
    a->family = IK_AF_INET6;
    memcpy(a->bytes, &in6->sin6_addr, 16);
    a->scope_id = in6->sin6_scope_id;
    return 0;
  }
  return IK_EUNRELATED;
}

/* The hosts file is loaded first; a machine without any DNS server still
 * resolves its names, and other names then fail at the lookup. */
int ik__dns_configure(struct evdns_base *dns) {
  (void)evdns_base_config_windows_nameservers(dns);
  return 0;
}

/* getaddrinfo returns Winsock error codes, which FormatMessage knows. */
const char *ik__lookup_error_text(int rc, char *buf, size_t len) {
  return ik__win32_error_text((unsigned long)rc, buf, len);
}
