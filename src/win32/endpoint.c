/* The Windows ICMP endpoint: a transaction backend over IcmpSendEcho2Ex /
 * Icmp6SendEcho2 (no raw sockets, no privileges needed). Each request is
 * one OS call with its own auto-reset event and reply buffer; a thread-pool
 * wait on the event moves the finished request to the endpoint's ready
 * queue, so reading costs O(1) whatever the number in flight, and the same
 * path wakes a libevent loop (DESIGN.md sections 4 and 7).
 *
 * The loop is woken through a socket pair it watches: a pool thread writes
 * one byte, the loop thread drains it and reads the queue. No libevent call
 * is made off the loop thread, so any event_base works, also one created
 * without evthread_use_windows_threads().
 *
 * Ownership: a request is owned by its endpoint's pending list until its
 * wait callback runs, then by the ready queue, then by the reader. All of
 * this is guarded by one process-wide lock, because a callback may outlive
 * its endpoint: IcmpCloseHandle does not cancel, the OS may still write the
 * buffer, so an endpoint closed with requests in flight leaves them
 * "orphaned" and their callbacks free them when the OS is done.
 *
 * Traffic class is passed as IP_OPTION_INFORMATION.Tos, which current
 * Windows versions ignore. Windows picks the identifier and sequence on the
 * wire; replies are reported with the caller's. */
#include "icmp_api.h"
#include "iface.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

/* How long the OS waits for a reply until the caller has said how long it
 * waits (ik__ep_set_timeout_hint). */
#define IK__OS_TIMEOUT_DEFAULT_MS 30000
/* Windows rejects a timeout of 0 and does not enforce much smaller ones
 * (DESIGN.md section 7): the OS never waits less than this. */
#define IK__OS_TIMEOUT_MIN_MS 1000

/* evutil_socket_t is signed, INVALID_SOCKET is not. */
#define IK__NO_SOCKET ((evutil_socket_t)EVUTIL_INVALID_SOCKET)

typedef struct ik__tx ik__tx;
struct ik__tx {
  ik__tx *prev, *next; /* links in the pending list or the ready queue */
  ik__endpoint *ep;    /* NULL once orphaned */
  const ik__icmp_api *api;
  HANDLE event;  /* signalled by the OS on completion */
  PTP_WAIT wait; /* the thread-pool wait on event, or NULL */
  int family;
  uint16_t id, sequence; /* the caller's, not Windows' */
  ik_address destination;
  size_t request_size;
  double sent_wall, sent_mono, done_mono;
  DWORD reply_size;
  unsigned char *reply; /* reply_size bytes, then request_size bytes */
};

struct ik__endpoint {
  const ik__icmp_api *api;
  ik__icmp_apc_fn apc; /* see ik__icmp_apc_for */
  HANDLE icmp;
  int family;
  int blocking, broadcast;
  ULONG source4;                   /* IPv4 source, network order; 0: any */
  struct sockaddr_in6 source6;     /* IPv6 source; in6addr_any: any */
  ik__tx *pending;                 /* sent, not completed (doubly linked) */
  ik__tx *ready_head, *ready_tail; /* completed, not read (FIFO) */
  HANDLE ready_event;              /* manual-reset: set while ready_head */
  ik__tx *last;                    /* the last one read: rx data points into it */
  DWORD os_timeout_ms;             /* what each send asks the OS to wait */
  int timeout_hinted;              /* os_timeout_ms came from the caller */
  struct event *watch;             /* reads wake[0] on the loop thread */
  evutil_socket_t wake[2];         /* [1]: written by completions; under the lock */
  int wake_sent;                   /* a byte is in the pair, not yet drained */
  void (*on_ready)(void *arg);
  void *ready_arg;
};

static SRWLOCK lock = SRWLOCK_INIT;
static volatile LONG live_transactions;

long ik__win32_live_transactions(void) {
  return InterlockedCompareExchange(&live_transactions, 0, 0);
}

static ik__tx *tx_new(ik__endpoint *ep, const ik_request *req) {
  size_t head = (sizeof(ik__tx) + 15) / 16 * 16;
  size_t reply_size = ik__icmp_reply_size(ep->family, req->payload_size);
  ik__tx *tx = calloc(1, head + reply_size + req->payload_size);
  if (tx == NULL)
    return NULL;
  tx->event = CreateEventW(NULL, FALSE, FALSE, NULL);
  if (tx->event == NULL) {
    free(tx);
    return NULL;
  }
  tx->api = ep->api;
  tx->family = ep->family;
  tx->id = req->id;
  tx->sequence = req->sequence;
  tx->destination = req->destination;
  tx->request_size = req->payload_size;
  tx->reply_size = (DWORD)reply_size;
  tx->reply = (unsigned char *)tx + head;
  InterlockedIncrement(&live_transactions);
  return tx;
}

static void tx_free(ik__tx *tx) {
  if (tx == NULL)
    return;
  CloseHandle(tx->event);
  free(tx);
  InterlockedDecrement(&live_transactions);
}

/* Blocks until the wait callback has returned; never call it from one. */
static void tx_unregister(ik__tx *tx) {
  if (tx->wait != NULL) {
    WaitForThreadpoolWaitCallbacks(tx->wait, FALSE);
    CloseThreadpoolWait(tx->wait);
  }
  tx->wait = NULL;
}

static void unlink_pending(ik__endpoint *ep, ik__tx *tx) {
  if (tx->prev != NULL)
    tx->prev->next = tx->next;
  else
    ep->pending = tx->next;
  if (tx->next != NULL)
    tx->next->prev = tx->prev;
  tx->prev = tx->next = NULL;
}

/* Under the lock: one byte in the pair until the loop drains it. A failed
 * send leaves wake_sent clear, so the next completion tries again. */
static void wake_loop(ik__endpoint *ep) {
  if (ep->watch != NULL && !ep->wake_sent) {
    char byte = 0;
    ep->wake_sent = send(ep->wake[1], &byte, 1, 0) == 1;
  }
}

/* Under the lock. */
static void push_ready(ik__endpoint *ep, ik__tx *tx) {
  tx->next = NULL;
  if (ep->ready_tail != NULL)
    ep->ready_tail->next = tx;
  else
    ep->ready_head = tx;
  ep->ready_tail = tx;
  SetEvent(ep->ready_event);
  wake_loop(ep);
}

/* Runs on a pool thread once the OS signals the request's event: only
 * bookkeeping, no parsing. */
static void CALLBACK on_complete(PTP_CALLBACK_INSTANCE instance, PVOID context, PTP_WAIT wait,
                                 TP_WAIT_RESULT result) {
  ik__tx *tx = context;
  double now = ik__now_mono();
  (void)instance, (void)result;
  AcquireSRWLockExclusive(&lock);
  ik__endpoint *ep = tx->ep;
  if (ep == NULL) {
    ReleaseSRWLockExclusive(&lock);
    CloseThreadpoolWait(wait); /* freed once this callback returns */
    tx_free(tx);
    return;
  }
  tx->done_mono = now;
  unlink_pending(ep, tx);
  push_ready(ep, tx);
  ReleaseSRWLockExclusive(&lock);
}

static int check_source(int family, const ik_address *source, ik__endpoint *ep) {
  int err = ik__winsock_init();
  if (err < 0)
    return err;
  struct sockaddr_storage ss;
  int len;
  memset(&ss, 0, sizeof ss);
  if (family == IK_AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    memcpy(&in->sin_addr, source->bytes, 4);
    memcpy(&ep->source4, source->bytes, 4);
    len = sizeof *in;
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    memcpy(&in6->sin6_addr, source->bytes, 16);
    in6->sin6_scope_id = source->scope_id;
    ep->source6 = *in6;
    len = sizeof *in6;
  }
  /* The ICMP API only fails at send time; a UDP bind tells now whether the
   * address is ours, as binding a socket does on POSIX. */
  SOCKET s = socket(ss.ss_family, SOCK_DGRAM, IPPROTO_UDP);
  if (s == INVALID_SOCKET) {
    char text[256];
    return ik__fail(IK_ESOCKET, "socket: %s",
                    ik__win32_error_text((unsigned long)WSAGetLastError(), text, sizeof text));
  }
  int rc = bind(s, (struct sockaddr *)&ss, len);
  int wsa = WSAGetLastError();
  closesocket(s);
  if (rc != 0) {
    char text[256], addr[IK_ADDRSTRLEN];
    if (ik_address_format(source, addr, sizeof addr) != 0)
      strcpy(addr, "?");
    return ik__fail(IK_EADDRESS, "%s is not an address of this host (bind: %s)", addr,
                    ik__win32_error_text((unsigned long)wsa, text, sizeof text));
  }
  return 0;
}

/* Room for a FriendlyName in UTF-8. */
#define IK__NAME_BYTES (4 * (IF_MAX_STRING_SIZE + 1))

/* The source of family for the interface called name: the adapters
 * GetAdaptersAddresses lists, as iface.h's table, handed to
 * ik__win32_adapter_source. Errors: theirs, IK_ENOMEM, IK_ESOCKET. */
static int interface_source(const char *name, int family, ik_address *source) {
  ULONG flags = GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER;
  ULONG size = 16384, rc = ERROR_BUFFER_OVERFLOW;
  IP_ADAPTER_ADDRESSES *list = NULL;
  size_t count = 0, addresses = 0, i = 0;
  char text[256];
  /* The list may grow between the call that sizes it and the next. */
  for (int tries = 0; tries < 4 && rc == ERROR_BUFFER_OVERFLOW; tries++) {
    free(list);
    if ((list = malloc(size)) == NULL)
      return ik__fail(IK_ENOMEM, "no memory for the list of interfaces");
    rc = GetAdaptersAddresses(AF_UNSPEC, flags, NULL, list, &size);
  }
  if (rc != NO_ERROR && rc != ERROR_NO_DATA) {
    free(list);
    return ik__fail(IK_ESOCKET, "GetAdaptersAddresses: %s",
                    ik__win32_error_text(rc, text, sizeof text));
  }
  for (IP_ADAPTER_ADDRESSES *a = rc == NO_ERROR ? list : NULL; a != NULL; a = a->Next, count++)
    for (IP_ADAPTER_UNICAST_ADDRESS *u = a->FirstUnicastAddress; u != NULL; u = u->Next)
      addresses++;
  /* The adapters, then their addresses, then their friendly names. */
  unsigned char *mem = calloc(
    1, count * (sizeof(ik__win32_adapter) + IK__NAME_BYTES) + addresses * sizeof(ik_address) + 1);
  if (mem == NULL) {
    free(list);
    return ik__fail(IK_ENOMEM, "no memory for the list of interfaces");
  }
  ik__win32_adapter *adapters = (ik__win32_adapter *)(void *)mem;
  ik_address *addr = (ik_address *)(void *)(adapters + count);
  char *names = (char *)(addr + addresses);
  for (IP_ADAPTER_ADDRESSES *a = count > 0 ? list : NULL; a != NULL; a = a->Next, i++) {
    ik__win32_adapter *d = &adapters[i];
    char *friendly = names + i * IK__NAME_BYTES;
    if (a->FriendlyName != NULL && WideCharToMultiByte(CP_UTF8, 0, a->FriendlyName, -1, friendly,
                                                       IK__NAME_BYTES, NULL, NULL) > 0)
      d->friendly_name = friendly;
    d->adapter_name = a->AdapterName;
    d->index = a->IfIndex;
    d->index6 = a->Ipv6IfIndex;
    d->addresses = addr;
    for (IP_ADAPTER_UNICAST_ADDRESS *u = a->FirstUnicastAddress; u != NULL; u = u->Next)
      if (u->Address.lpSockaddr != NULL &&
          ik__address_from_sockaddr(u->Address.lpSockaddr, (size_t)u->Address.iSockaddrLength,
                                    &addr[d->naddresses]) == 0)
        d->naddresses++;
    addr += d->naddresses;
  }
  int err = ik__win32_adapter_source(adapters, count, name, family, source);
  free(mem);
  free(list);
  return err;
}

/* The ICMP API cannot be bound to an interface: the interface's address
 * becomes the source, as if the caller had given it. */
int ik__ep_bind_device(ik__endpoint *ep, const char *name) {
  ik_address source;
  int err;
  if ((err = ik__winsock_init()) != 0 || (err = interface_source(name, ep->family, &source)) != 0)
    return err;
  return check_source(ep->family, &source, ep);
}

int ik__ep_adopt(ik__endpoint **out, intptr_t native, int *family, ik_address *source) {
  (void)native, (void)family, (void)source;
  *out = NULL;
  return ik__fail(IK_ENOTSUP,
                  "Windows has no socket to hand over: the ICMP API (IcmpSendEcho2) "
                  "needs no privilege, so open the socket with ik_socket_open");
}

int ik__ep_open(ik__endpoint **out, int family, const ik_address *source, int unprivileged) {
  const ik__icmp_api *api;
  char text[256];
  int err;
  (void)unprivileged; /* the ICMP API needs no privilege in either mode */
  *out = NULL;
  if ((err = ik__icmp_api_get(family, &api)) != 0)
    return err;
  ik__endpoint *ep = calloc(1, sizeof *ep);
  if (ep == NULL)
    return ik__fail(IK_ENOMEM, "no memory for an ICMP endpoint");
  ep->api = api;
  ep->apc = ik__icmp_apc_for(api);
  ep->family = family;
  ep->os_timeout_ms = IK__OS_TIMEOUT_DEFAULT_MS;
  ep->wake[0] = ep->wake[1] = IK__NO_SOCKET;
  ep->source6.sin6_family = AF_INET6;
  if (source != NULL && (err = check_source(family, source, ep)) != 0) {
    free(ep);
    return err;
  }
  ep->ready_event = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (ep->ready_event == NULL) {
    err = ik__fail(IK_ESOCKET, "CreateEvent: %s",
                   ik__win32_error_text(GetLastError(), text, sizeof text));
    free(ep);
    return err;
  }
  ep->icmp = family == IK_AF_INET ? api->create4() : api->create6();
  if (ep->icmp == INVALID_HANDLE_VALUE) {
    DWORD e = GetLastError();
    if (family == IK_AF_INET6 && (e == ERROR_NOT_SUPPORTED || e == ERROR_CALL_NOT_IMPLEMENTED))
      /* Only the code: the system's text ("... not supported on this
       * system") would repeat ik_strerror(IK_ENOTSUP), printed before it. */
      err =
        ik__fail(IK_ENOTSUP, "no ICMPv6 echo API (Icmp6CreateFile: error %lu)", (unsigned long)e);
    else
      err =
        ik__fail(IK_ESOCKET, "%s: %s", family == IK_AF_INET ? "IcmpCreateFile" : "Icmp6CreateFile",
                 ik__win32_error_text(e, text, sizeof text));
    CloseHandle(ep->ready_event);
    free(ep);
    return err;
  }
  *out = ep;
  return 0;
}

void ik__ep_close(ik__endpoint *ep) {
  if (ep == NULL)
    return;
  ik__ep_unwatch(ep);
  AcquireSRWLockExclusive(&lock);
  for (ik__tx *tx = ep->pending; tx != NULL; tx = tx->next)
    tx->ep = NULL;
  ep->pending = NULL;
  ik__tx *ready = ep->ready_head;
  ep->ready_head = ep->ready_tail = NULL;
  ReleaseSRWLockExclusive(&lock);
  while (ready != NULL) {
    ik__tx *next = ready->next;
    tx_unregister(ready);
    tx_free(ready);
    ready = next;
  }
  tx_free(ep->last);
  ep->api->close(ep->icmp);
  CloseHandle(ep->ready_event);
  free(ep);
}

static int is_limited_broadcast(const ik_address *a) {
  return a->family == IK_AF_INET && a->bytes[0] == 255 && a->bytes[1] == 255 &&
         a->bytes[2] == 255 && a->bytes[3] == 255;
}

static int send_failed(ik__tx *tx, DWORD e) {
  char text[256], addr[IK_ADDRSTRLEN];
  int family = tx->family;
  if (ik_address_format(&tx->destination, addr, sizeof addr) != 0)
    strcpy(addr, "?");
  tx_free(tx);
  int err = ik__icmp_status_error(family, e);
  return ik__fail(err != 0 ? err : IK_ESOCKET, "%s to %s: %s",
                  family == IK_AF_INET ? "IcmpSendEcho2Ex" : "Icmp6SendEcho2", addr,
                  ik__icmp_status_text(e, text, sizeof text));
}

void ik__ep_set_timeout_hint(ik__endpoint *ep, double seconds) {
  double ms = ceil(seconds * 1000.0);
  DWORD want = ms >= (double)(INFINITE - 1) ? INFINITE - 1
               : ms < IK__OS_TIMEOUT_MIN_MS ? IK__OS_TIMEOUT_MIN_MS
                                            : (DWORD)ms;
  /* The first hint replaces the default; later ones only raise it, so a
   * short poll never cuts short a request someone waits longer for. */
  if (!ep->timeout_hinted || want > ep->os_timeout_ms)
    ep->os_timeout_ms = want;
  ep->timeout_hinted = 1;
}

/* The ICMP API answers each request alone: nothing foreign to filter. */
/* Threaded multiping on Windows is compiled, not yet run (not even under
 * Wine): one thread by default until it is. */
int ik__raw_filters_ids(void) { return 0; }

int ik__ep_filter_id(ik__endpoint *ep, int id) {
  (void)ep;
  (void)id;
  return ik__fail(IK_ENOTSUP, "the ICMP API has no socket to filter");
}

/* The ICMP API needs no privilege in either mode, and icmplib reports
 * Windows sockets as privileged. */
uint64_t ik__ep_local_drops(const ik__endpoint *ep) {
  (void)ep; /* the ICMP API does not tell */
  return 0;
}

int ik__ep_is_privileged(const ik__endpoint *ep) {
  (void)ep;
  return 1;
}

int ik__ep_send(ik__endpoint *ep, ik_request *req) {
  int err;
  if (ep->family == IK_AF_INET && is_limited_broadcast(&req->destination) && !ep->broadcast)
    return ik__fail(IK_EBROADCAST,
                    "sending to 255.255.255.255 needs broadcast enabled on the socket "
                    "(ik_socket_set_broadcast)");
  ik__tx *tx = tx_new(ep, req);
  if (tx == NULL)
    return ik__fail(IK_ENOMEM, "no memory for a request of %zu bytes", req->payload_size);
  unsigned char *data = tx->reply + tx->reply_size;
  if ((err = ik_request_payload(req, data, req->payload_size)) != 0) {
    tx_free(tx);
    return err;
  }
  IP_OPTION_INFORMATION options;
  memset(&options, 0, sizeof options);
  options.Ttl = (UCHAR)req->ttl;
  options.Tos = (UCHAR)req->traffic_class;

  tx->sent_wall = req->time = ik__now_wall();
  tx->sent_mono = ik__now_mono();
  DWORD n;
  if (ep->family == IK_AF_INET) {
    ULONG dst;
    memcpy(&dst, req->destination.bytes, 4);
    n = ep->api->send4(ep->icmp, tx->event, ep->apc, NULL, ep->source4, dst, data,
                       (WORD)req->payload_size, &options, tx->reply, tx->reply_size,
                       ep->os_timeout_ms);
  } else {
    struct sockaddr_in6 dst;
    memset(&dst, 0, sizeof dst);
    dst.sin6_family = AF_INET6;
    memcpy(&dst.sin6_addr, req->destination.bytes, 16);
    dst.sin6_scope_id = req->destination.scope_id;
    n = ep->api->send6(ep->icmp, tx->event, ep->apc, NULL, &ep->source6, &dst, data,
                       (WORD)req->payload_size, &options, tx->reply, tx->reply_size,
                       ep->os_timeout_ms);
  }
  DWORD e = n == 0 ? GetLastError() : ERROR_SUCCESS;
  if (n == 0 && e != ERROR_IO_PENDING)
    return send_failed(tx, e);

  AcquireSRWLockExclusive(&lock);
  tx->ep = ep;
  if (n != 0) {
    /* Completed at once: nothing to wait for. */
    tx->done_mono = ik__now_mono();
    push_ready(ep, tx);
  } else {
    tx->next = ep->pending;
    if (ep->pending != NULL)
      ep->pending->prev = tx;
    ep->pending = tx;
    /* Under the lock, so the callback sees tx->wait set. */
    tx->wait = CreateThreadpoolWait(on_complete, tx, NULL);
    if (tx->wait != NULL)
      SetThreadpoolWait(tx->wait, tx->event, NULL);
    else {
      /* The OS owns the buffers until it completes: leave the request
       * orphaned (leaked) rather than free memory it may still write. */
      char text[256];
      unlink_pending(ep, tx);
      tx->ep = NULL;
      ReleaseSRWLockExclusive(&lock);
      return ik__fail(IK_ESOCKET, "CreateThreadpoolWait: %s",
                      ik__win32_error_text(GetLastError(), text, sizeof text));
    }
  }
  ReleaseSRWLockExclusive(&lock);
  return 0;
}

/* Windows rounds its own round-trip time down to whole milliseconds; ours
 * is exact unless the wait thread woke late, which Windows' value bounds. */
static double round_trip(const ik__tx *tx, unsigned long windows_ms) {
  double measured = tx->done_mono - tx->sent_mono;
  if (measured > (windows_ms + 1.0) / 1000.0)
    return (windows_ms + 0.5) / 1000.0;
  return measured < 0 ? 0 : measured;
}

static void set_source4(ik_address *a, ULONG addr) {
  memset(a, 0, sizeof *a);
  a->family = IK_AF_INET;
  memcpy(a->bytes, &addr, 4);
}

static void set_source6(ik_address *a, const ik__ipv6_address_ex *addr) {
  memset(a, 0, sizeof *a);
  a->family = IK_AF_INET6;
  memcpy(a->bytes, addr->sin6_addr, 16);
  a->scope_id = addr->sin6_scope_id;
}

/* What the router quoted, as a POSIX host would count it: 8 bytes of ICMP
 * header, the original IP header and echo request, within RFC 1812's 576
 * bytes (IPv4) or the IPv6 minimum MTU. */
static size_t error_length(const ik__tx *tx) {
  size_t n = 8 + (tx->family == IK_AF_INET ? 20 : 40) + 8 + tx->request_size;
  size_t cap = tx->family == IK_AF_INET ? 576 - 20 : 1280 - 40;
  return n < cap ? n : cap;
}

/* The error a local failure gives the request: pkt names it as an ICMP
 * error would, rx->error says how it failed, ik_last_error() why. */
static int local_failure(const ik__tx *tx, unsigned long status, ik__received *rx) {
  char text[256], addr[IK_ADDRSTRLEN];
  int err = ik__icmp_status_error(tx->family, status);
  if (ik_address_format(&tx->destination, addr, sizeof addr) != 0)
    strcpy(addr, "?");
  if (err == 0) /* the OS's timeout: no reply, the caller's deadline decides */
    return ik__fail(IK_EUNRELATED, "the echo request to %s (id %u, sequence %u) failed: %s", addr,
                    (unsigned)tx->id, (unsigned)tx->sequence,
                    ik__icmp_status_text(status, text, sizeof text));
  rx->pkt.is_error = 1;
  rx->pkt.quoted_dst = tx->destination;
  rx->error =
    ik__fail(err, "the echo request to %s (id %u, sequence %u) failed: %s", addr, (unsigned)tx->id,
             (unsigned)tx->sequence, ik__icmp_status_text(status, text, sizeof text));
  return 0;
}

static int decode(const ik__tx *tx, ik__received *rx) {
  ik__packet *p = &rx->pkt;
  unsigned long status, rtt_ms;
  const unsigned char *data = NULL;
  size_t data_len;
  DWORD count;
  int ttl = 0;

  memset(rx, 0, sizeof *rx);
  rx->ttl = -1;
  p->family = tx->family;
  p->id = tx->id;
  p->sequence = tx->sequence;
  p->ttl = -1;
  if (tx->family == IK_AF_INET) {
    /* Address, Status, RoundTripTime and DataSize are where they are in
     * both layouts; ik__icmp_reply4_locate finds the rest. */
    ICMP_ECHO_REPLY *r = (ICMP_ECHO_REPLY *)(void *)tx->reply;
    count = tx->api->parse4(tx->reply, tx->reply_size);
    status = r->Status;
    rtt_ms = r->RoundTripTime;
    set_source4(&rx->source, r->Address);
    data_len = r->DataSize;
  } else {
    ik__icmpv6_echo_reply *r = (ik__icmpv6_echo_reply *)(void *)tx->reply;
    count = tx->api->parse6(tx->reply, tx->reply_size);
    status = r->Status;
    rtt_ms = r->RoundTripTime;
    set_source6(&rx->source, &r->Address);
    /* No DataSize: the echo carries back what we sent. */
    data = tx->reply + sizeof *r;
    data_len = tx->request_size;
  }
  if (count == 0 && status == IP_SUCCESS) {
    /* No reply parsed, yet no status: never an echo reply. */
    status = GetLastError();
    if (status == IP_SUCCESS)
      status = IP_GENERAL_FAILURE;
  }
  if (!ik__icmp_status_to_icmp(tx->family, status, &p->type, &p->code))
    return local_failure(tx, status, rx);
  rx->time = tx->sent_wall + round_trip(tx, rtt_ms);
  if (tx->family == IK_AF_INET) {
    /* An ICMP error's Data may point nowhere: its TTL is then unknown. */
    size_t want = status == IP_SUCCESS ? data_len : 0;
    int err = ik__icmp_reply4_locate(tx->reply, tx->reply_size, want, &data, &ttl);
    if (err != 0 && status == IP_SUCCESS)
      return err;
    if (err == 0 && ttl != 0)
      rx->ttl = ttl;
  }
  if (status == IP_SUCCESS) {
    const unsigned char *end = tx->reply + tx->reply_size;
    if (data_len > (size_t)(end - data))
      return ik__fail(IK_ETRUNCATED, "the echo reply's data lies outside the reply buffer");
    p->is_echo_reply = 1;
    p->data = data;
    p->data_len = data_len;
    p->icmp_len = 8 + data_len;
    p->checksum_ok = tx->family == IK_AF_INET ? 1 : -1; /* Windows checked it */
  } else {
    p->is_error = 1;
    p->quoted_dst = tx->destination;
    p->icmp_len = error_length(tx);
    p->checksum_ok = p->family == IK_AF_INET ? 1 : -1;
  }
  return 0;
}

int ik__ep_read(ik__endpoint *ep, ik__received *rx) {
  ik__icmp_run_apcs();
  tx_free(ep->last);
  ep->last = NULL;
  AcquireSRWLockExclusive(&lock);
  ik__tx *tx = ep->ready_head;
  if (tx != NULL) {
    ep->ready_head = tx->next;
    if (ep->ready_head == NULL) {
      ep->ready_tail = NULL;
      ResetEvent(ep->ready_event);
    }
  }
  ReleaseSRWLockExclusive(&lock);
  if (tx == NULL)
    return IK_ETIMEOUT;
  tx_unregister(tx);
  ep->last = tx;
  return decode(tx, rx);
}

int ik__ep_wait(ik__endpoint *ep, double timeout_s) {
  double ms = ceil(timeout_s * 1000.0);
  DWORD wait_ms = ms >= (double)(INFINITE - 1) ? INFINITE - 1 : ms < 0 ? 0 : (DWORD)ms;
  DWORD r = WaitForSingleObject(ep->ready_event, wait_ms);
  if (r == WAIT_OBJECT_0)
    return 0;
  if (r == WAIT_TIMEOUT)
    return IK_ETIMEOUT;
  char text[256];
  return ik__fail(IK_ESOCKET, "WaitForSingleObject: %s",
                  ik__win32_error_text(GetLastError(), text, sizeof text));
}

/* On the loop thread: empty the pair, then let completions wake it again
 * before reading, so one that lands during the read is not missed. */
static void on_event(evutil_socket_t fd, short what, void *arg) {
  ik__endpoint *ep = arg;
  char buf[64];
  (void)what;
  while (recv(fd, buf, sizeof buf, 0) > 0)
    ;
  AcquireSRWLockExclusive(&lock);
  ep->wake_sent = 0;
  ReleaseSRWLockExclusive(&lock);
  ep->on_ready(ep->ready_arg);
}

static void close_pair(evutil_socket_t pair[2]) {
  for (int i = 0; i < 2; i++) {
    if (pair[i] != IK__NO_SOCKET)
      evutil_closesocket(pair[i]);
    pair[i] = IK__NO_SOCKET;
  }
}

/* The persistent read event on the pair keeps the loop running while
 * watched, as the POSIX backend's read event does. */
int ik__ep_watch(ik__endpoint *ep, struct event_base *base, void (*ready)(void *arg), void *arg) {
  evutil_socket_t pair[2] = {IK__NO_SOCKET, IK__NO_SOCKET};
  struct event *ev = NULL;
  int err;
  if (ep->watch != NULL)
    return ik__fail(IK_EINVAL, "the endpoint is already watched");
  if ((err = ik__winsock_init()) != 0)
    return err;
  if (evutil_socketpair(AF_INET, SOCK_STREAM, 0, pair) != 0 ||
      evutil_make_socket_nonblocking(pair[0]) != 0 ||
      evutil_make_socket_nonblocking(pair[1]) != 0) {
    char text[256];
    err = ik__fail(IK_ESOCKET, "cannot make the loop's wake-up socket pair: %s",
                   ik__win32_error_text((unsigned long)WSAGetLastError(), text, sizeof text));
  } else if ((ev = event_new(base, pair[0], EV_READ | EV_PERSIST, on_event, ep)) == NULL) {
    err = ik__fail(IK_ENOMEM, "event_new failed");
  } else if (event_add(ev, NULL) != 0) {
    err = ik__fail(IK_ESOCKET, "event_add failed");
  }
  if (err != 0) {
    if (ev != NULL)
      event_free(ev);
    close_pair(pair);
    return err;
  }
  ep->on_ready = ready;
  ep->ready_arg = arg;
  AcquireSRWLockExclusive(&lock);
  ep->watch = ev;
  ep->wake[0] = pair[0];
  ep->wake[1] = pair[1];
  ep->wake_sent = 0;
  if (ep->ready_head != NULL)
    wake_loop(ep);
  ReleaseSRWLockExclusive(&lock);
  return 0;
}

/* After the lock is released no completion touches the pair. */
void ik__ep_unwatch(ik__endpoint *ep) {
  AcquireSRWLockExclusive(&lock);
  struct event *ev = ep->watch;
  evutil_socket_t pair[2] = {ep->wake[0], ep->wake[1]};
  ep->watch = NULL;
  ep->wake[0] = ep->wake[1] = IK__NO_SOCKET;
  ReleaseSRWLockExclusive(&lock);
  if (ev != NULL)
    event_free(ev);
  close_pair(pair);
}

intptr_t ik__ep_native(const ik__endpoint *ep) { return (intptr_t)ep->icmp; }

/* The ICMP API never blocks a send; the flag is kept for the caller. */
int ik__ep_get_blocking(const ik__endpoint *ep, int *blocking) {
  *blocking = ep->blocking;
  return 0;
}

int ik__ep_set_blocking(ik__endpoint *ep, int blocking) {
  ep->blocking = blocking != 0;
  return 0;
}

int ik__ep_get_broadcast(const ik__endpoint *ep, int *enabled) {
  *enabled = ep->broadcast;
  return 0;
}

int ik__ep_set_broadcast(ik__endpoint *ep, int enabled) {
  ep->broadcast = enabled != 0;
  return 0;
}

/* Windows has no batched ICMP call: one transaction per request. */
int ik__ep_send_many(ik__endpoint *ep, ik_request *const *reqs, size_t n, size_t *sent) {
  int err;
  for (*sent = 0; *sent < n; (*sent)++)
    if ((err = ik__ep_send(ep, reqs[*sent])) != 0)
      return err;
  return 0;
}
