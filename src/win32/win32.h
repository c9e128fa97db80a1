/* Windows headers in the one order that compiles, and helpers shared by
 * the win32 backend files. Include first in every src/win32/ file. */
#ifndef IK_WIN32_H
#define IK_WIN32_H

/* Windows 8: GetSystemTimePreciseAsFileTime. */
#ifndef _WIN32_WINNT
#  define _WIN32_WINNT 0x0602
#endif
#ifndef WIN32_LEAN_AND_MEAN
#  define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#  define NOMINMAX
#endif

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>

#include "../backend.h"

/* System text for a Win32 or Winsock error code, without the trailing
 * newline, into buf; "error <code>" when Windows has none. Returns buf. */
const char *ik__win32_error_text(unsigned long code, char *buf, size_t len);

/* Calls WSAStartup once per process (getaddrinfo and libevent need it).
 * Errors: IK_ESOCKET. */
int ik__winsock_init(void);

/* Requests whose memory the endpoint still holds (in flight, ready,
 * orphaned by a close, or last read), process-wide. For tests. */
long ik__win32_live_transactions(void);

#endif
