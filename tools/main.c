/* The icmpkit command-line tool: ping, multiping and traceroute on top of
 * the library. Everything that can fail with exit status 2 (usage, names,
 * sockets) is settled before the first byte reaches standard output. */
#if defined(__linux__)
#  define _POSIX_C_SOURCE 200809L /* clock_gettime, readlink, getgid under -std=c11 */
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(_WIN32)
#  include <windows.h>
#else
#  include <pthread.h>
#  include <unistd.h>
#endif

#include "args.h"
#include "icmpkit.h"
#include "json.h"
#include "output.h"
#include "monitor.h"
#include "privileges.h"
#include "targets.h"

enum { EXIT_ALL_ALIVE = 0, EXIT_SOME_DEAD = 1, EXIT_ERROR = 2 };

static const char *command = "";

/* Set by the first Ctrl-C: the library polls it and returns what it has,
 * and the results so far are printed as usual. A second Ctrl-C kills. */
static volatile int interrupted = 0;

static void on_interrupt(int sig) {
  (void)sig;
  interrupted = 1;
  signal(SIGINT, SIG_DFL);
}

static void catch_interrupt(ik_ping_options *o) {
  signal(SIGINT, on_interrupt);
  o->cancel = &interrupted;
}

/* Monotonic milliseconds, for elapsed times. */
static double now_ms(void) {
#if defined(_WIN32)
  return (double)GetTickCount64();
#else
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    return 0.0;
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
#endif
}

/* "icmpkit ping: what went wrong" on standard error; returns 2. The
 * line passes through ik_escape: it may quote anything the user gave. */
static int error_exit(const char *fmt, const char *a, const char *b) {
  char line[1024], shown[4 * sizeof line];
  snprintf(line, sizeof line, fmt, a, b);
  fprintf(stderr, "icmpkit%s%s: %s\n", *command ? " " : "", command,
          ik_escape(line, shown, sizeof shown));
  return EXIT_ERROR;
}

/* Not root by its real uid: the floors of ikcli_check_limits apply, even to
 * a binary given CAP_NET_RAW. Windows grants no raw sockets to guard. */
static int is_root(void) {
#if defined(_WIN32)
  return 1;
#else
  return getuid() == 0;
#endif
}

/* The command line over the command's defaults in o, then the limits. */
static int settle_options(const ikcli_args *a, ik_ping_options *o) {
  char msg[512];
  if (ikcli_apply_options(a, o, msg, sizeof msg) != 0 ||
      ikcli_check_limits(a, o, is_root(), msg, sizeof msg) != 0)
    return error_exit("%s%s", msg, "");
  return 0;
}

/* Writes what the buffer holds; 0, or 2 after a write or memory failure. */
static int flush(ikcli_buf *out) {
  if (out->failed)
    return error_exit("%s%s", "out of memory while formatting the output", "");
  if (out->len > 0 && fwrite(out->data, 1, out->len, stdout) != out->len)
    return error_exit("%s%s", "cannot write to standard output", "");
  ikcli_buf_clear(out);
  return 0;
}

/* The situation the sockets were opened in (ikcli_read_situation, before
 * the privilege drop), for permission_help. */
static ikcli_situation situation;
static char situation_range[64], situation_binary[512];

/* Tells what to change when the socket kind the run needs may not be
 * opened, from the situation (ikcli_permission_advice). */
static int permission_help(int family) {
  fprintf(stderr, "icmpkit %s: not permitted to open an ICMP socket.\n", command);
#if defined(__linux__)
  {
    char advice[2048], shown[4 * sizeof advice], *line, *end;
    situation.family = family;
    ikcli_permission_advice(&situation, advice, sizeof advice);
    /* Line by line: the path of the binary is escaped, not the newlines. */
    for (line = advice; *line; line = end) {
      size_t n = strcspn(line, "\n");
      end = line + n + (line[n] == '\n');
      line[n] = '\0';
      fprintf(stderr, "%s\n", ik_escape(line, shown, sizeof shown));
    }
  }
#else
  (void)family;
  fprintf(stderr, "Run icmpkit as root (or with --unprivileged where the system allows it).\n");
#endif
  return EXIT_ERROR;
}

/* The ICMP sockets of a run, opened before anything else happens: then
 * every privilege goes (ikcli_drop_privileges), before a file is read or
 * a name resolved, and the library probes with these sockets
 * (ik_ping_options.sockets). Which families the targets need is only
 * known later, so both are opened unless -4/-6 says which; a family that
 * cannot be opened fails the run only if a target needs it. */
typedef struct opened {
  ik_socket *sock[2]; /* [0] IPv4, [1] IPv6 */
  int err[2];         /* why sock[i] is NULL */
  char why[2][512];   /* ik_last_error() of err[i] */
  ik_socket **more;   /* multiping threads 1..: two each (ik_ping_options.more_sockets) */
  size_t nmore;       /* threads that have theirs */
} opened;

static int fam_index(int family) { return family == IK_AF_INET6 ? 1 : 0; }

static void close_sockets(opened *s) {
  size_t i;
  ik_socket_free(s->sock[0]);
  ik_socket_free(s->sock[1]);
  for (i = 0; s->more != NULL && i < 2 * s->nmore + 2; i++)
    ik_socket_free(s->more[i]);
  free(s->more);
  memset(s, 0, sizeof *s);
}

/* The source a family's socket binds: an interface binds both families'
 * sockets, an address only the socket of its own family. */
static const char *source_for(const char *source, int family) {
  int src_fam = source == NULL               ? 0
                : ik_is_ipv4_address(source) ? IK_AF_INET
                : ik_is_ipv6_address(source) ? IK_AF_INET6
                                             : family;
  return src_fam == family ? source : NULL;
}

/* multiping: each further thread (--threads; 0: ik_default_threads) probes
 * with sockets of its own, of the kind and families that opened, opened now
 * while the privileges last; fewer threads when some cannot open. */
static void open_more(opened *s, ik_ping_options *o) {
  int threads = o->threads > 0 ? o->threads : ik_default_threads(o->privileged), k, i;
  o->threads = 1;
  if (threads <= 1 ||
      (s->more = (ik_socket **)calloc(2 * (size_t)threads, sizeof *s->more)) == NULL)
    return;
  for (k = 1; k < threads; k++) {
    for (i = 0; i < 2; i++) {
      int family = i == 0 ? IK_AF_INET : IK_AF_INET6;
      if (s->sock[i] != NULL &&
          ik_socket_open(&s->more[2 * (k - 1) + i], family, source_for(o->source, family),
                         o->privileged ? 0u : IK_SOCKET_UNPRIVILEGED) != 0)
        return; /* close_sockets closes the ones of this thread */
    }
    s->nmore = (size_t)k;
    o->threads = k + 1;
    o->more_sockets = s->more;
  }
}

/* Opens the families' sockets of one kind; 1 when the first family's
 * opened (the kind works), else 0 with every socket closed. */
static int open_kind(opened *s, const int *families, size_t nfam, const char *source,
                     int privileged) {
  size_t i;
  memset(s, 0, sizeof *s);
  for (i = 0; i < nfam; i++) {
    int k = fam_index(families[i]);
    const char *src = source_for(source, families[i]);
    s->err[k] =
      ik_socket_open(&s->sock[k], families[i], src, privileged ? 0u : IK_SOCKET_UNPRIVILEGED);
    if (s->err[k] != 0)
      snprintf(s->why[k], sizeof s->why[k], "%s", ik_last_error());
    if (i == 0 && s->err[k] != 0)
      return 0;
  }
  return 1;
}

/* The library's message says it all for a source it cannot use. */
static int socket_error(int err, const char *why, int family) {
  if (err == IK_EPERMISSION)
    return permission_help(family);
  if (err == IK_EADDRESS)
    return error_exit("-I: %s%s", why, "");
  return error_exit("cannot open an ICMP socket: %s: %s", ik_strerror(err), why);
}

/* The least privilege that works, unless --privileged/--unprivileged
 * decided: an unprivileged socket when the system allows it, raw
 * otherwise. Opening real sockets is the only reliable test
 * (ping_group_range, capabilities, macOS and Windows all differ). Then
 * the privileges go. */
static int open_sockets(const ikcli_args *a, ik_ping_options *o, opened *s) {
  int families[2] = {IK_AF_INET, IK_AF_INET6}, mode, first_err = 0;
  size_t nfam = 2;
  char first_why[512] = "", msg[512];
  if (o->family != 0) {
    families[0] = o->family;
    nfam = 1;
  }
  ikcli_read_situation(&situation, situation_range, sizeof situation_range, situation_binary,
                       sizeof situation_binary);
  situation.mode = a->privileged;
  for (mode = 0; mode <= 1; mode++) {
    int privileged = a->privileged >= 0 ? a->privileged : mode;
    if (open_kind(s, families, nfam, o->source, privileged)) {
      o->privileged = privileged;
      break;
    }
    if (a->privileged >= 0 || mode == 1) {
      int k = fam_index(families[0]);
      /* Auto: the raw socket's reason unless it is only the permission
       * (then the datagram one's, if it is something else). */
      if (a->privileged < 0 && s->err[k] == IK_EPERMISSION && first_err != IK_EPERMISSION)
        return socket_error(first_err, first_why, families[0]);
      return socket_error(s->err[k], s->why[k], families[0]);
    }
    first_err = s->err[fam_index(families[0])];
    snprintf(first_why, sizeof first_why, "%s", s->why[fam_index(families[0])]);
  }
  o->sockets[0] = s->sock[0];
  o->sockets[1] = s->sock[1];
  if (a->command == IKCLI_MULTIPING)
    open_more(s, o);
  if (ikcli_drop_privileges(msg, sizeof msg) != 0) {
    close_sockets(s);
    return error_exit("%s%s", msg, "");
  }
  return 0;
}

/* After resolution: each family a target needs has its socket. */
static int sockets_cover(const opened *s, const int *families, size_t nfam) {
  size_t i;
  for (i = 0; i < nfam; i++) {
    int k = fam_index(families[i]);
    if (s->sock[k] == NULL)
      return socket_error(s->err[k], s->why[k], families[i]);
  }
  return 0;
}

/* Resolves name to its address text (IPv4 preferred unless -4/-6). */
static int resolve(const char *name, int family, char *text, size_t len, int *fam) {
  ik_address addr;
  size_t n = 0;
  int err = ik_resolve(name, family, &addr, 1, &n);
  if (err == 0 && n == 0)
    err = IK_ENAMELOOKUP;
  if (err == 0)
    err = ik_address_format(&addr, text, len);
  if (err != 0) /* the library's message names the name */
    return error_exit("%s%s", *ik_last_error() ? ik_last_error() : ik_strerror(err), "");
  *fam = addr.family;
  return 0;
}

/* What ik_ping would refuse (the unspecified address, a link-local one
 * without its zone), said before any privilege is tried. */
static int check_destination(const char *addr) {
  ik_address a;
  if (ik_address_parse(addr, &a) == 0 && ik_destination_check(&a) != 0)
    return error_exit("%s%s", ik_last_error(), "");
  return 0;
}

/* An -I address of the other family than the target's (ping, traceroute). */
static int check_source(const char *source, const char *addr, int fam) {
  int src = source == NULL               ? 0
            : ik_is_ipv4_address(source) ? IK_AF_INET
            : ik_is_ipv6_address(source) ? IK_AF_INET6
                                         : 0;
  char line[256];
  if (src == 0 || src == fam)
    return 0;
  snprintf(line, sizeof line, "-I %s is an %s address; the target %s is %s", source,
           src == IK_AF_INET ? "IPv4" : "IPv6", addr, fam == IK_AF_INET ? "IPv4" : "IPv6");
  return error_exit("%s%s", line, "");
}

static int library_error(int err, const char *target) {
  if (err == IK_EBROADCAST)
    return error_exit("%s is a broadcast address: add -b to ping it%s", target, "");
  if (err == IK_EPERMISSION)
    return permission_help(0);
  return error_exit("%s: %s", ik_strerror(err), ik_last_error());
}

/* Human output printed as replies arrive (ping, traceroute). The header
 * waits in out until the first reply, so that a run the library refuses
 * (a broadcast without -b, a send error) prints nothing on standard
 * output. */
typedef struct live {
  ikcli_buf out;
  int write_failed;
} live;

static void live_write(live *l) {
  if (l->out.failed || l->write_failed)
    return;
  if (l->out.len > 0 &&
      (fwrite(l->out.data, 1, l->out.len, stdout) != l->out.len || fflush(stdout) != 0))
    l->write_failed = 1;
  ikcli_buf_clear(&l->out);
}

/* What live_write could not do, as error_exit reports it; else 0. */
static int live_finish(live *l) {
  int rc = 0;
  live_write(l);
  if (l->out.failed)
    rc = error_exit("%s%s", "out of memory while formatting the output", "");
  else if (l->write_failed)
    rc = error_exit("%s%s", "cannot write to standard output", "");
  ikcli_buf_free(&l->out);
  return rc;
}

/* A failed send goes to standard error (iputils: "ping: sendmsg: ..."),
 * the replies and ICMP errors to standard output. */
static void ping_reply(void *arg, size_t index, const ik_probe_reply *reply) {
  live *l = (live *)arg;
  (void)index;
  if (reply->error != 0) {
    live_write(l);
    fprintf(stderr, "icmpkit ping: icmp_seq=%u: %s\n", (unsigned)reply->sequence,
            *ik_last_error() ? ik_last_error() : ik_strerror(reply->error));
    return;
  }
  ikcli_ping_reply(&l->out, reply);
  live_write(l);
}

/* traceroute: the library hands each hop over complete and in order. */
typedef struct trace_view {
  live l;
  int json;
  int end;            /* IK_TRACE_* of the last hop; IK_TRACE_MORE until then */
  ik_probe_reply why; /* with IK_TRACE_UNREACHABLE: the answer that ended it */
  size_t objects;     /* JSON hop objects printed */
} trace_view;

/* The library's rule: an ICMP error other than time exceeded in transit. */
static int ends_trace(const ik_reply *r) {
  return !ikcli_is_echo_reply(r) &&
         !(r->type == (r->family == IK_AF_INET6 ? 3 : 11) && r->code == 0);
}

static void trace_hop(void *arg, const ik_hop *hop, int end) {
  trace_view *v = (trace_view *)arg;
  const ik_host *h = &hop->host;
  size_t i;
  v->end = end;
  for (i = 0; end == IK_TRACE_UNREACHABLE && i < h->replies_len; i++)
    if (ends_trace(&h->replies[i].reply)) {
      v->why = h->replies[i];
      break;
    }
  /* JSON lists the hops that answered (silent ones have nothing to say). */
  if (v->json && h->replies_len > 0) {
    ikcli_json_host(&v->l.out, h, hop->distance);
    v->objects++;
  } else if (!v->json && h->replies_len > 0) {
    ikcli_traceroute_hop(&v->l.out, hop, h->packets_sent);
  } else if (!v->json) {
    ikcli_traceroute_silent(&v->l.out, hop->distance, h->packets_sent);
  }
  live_write(&v->l);
}

static int run_ping(const ikcli_args *a, ik_ping_options o, const opened *socks) {
  ik_host host;
  live l;
  char addr[IK_ADDRSTRLEN];
  const char *target = a->hosts[0];
  int err, fam, rc;
  double t0;

  if ((rc = resolve(target, o.family, addr, sizeof addr, &fam)) != 0 ||
      (rc = check_destination(addr)) != 0 || (rc = check_source(o.source, addr, fam)) != 0 ||
      (rc = sockets_cover(socks, &fam, 1)) != 0)
    return rc;
  memset(&l, 0, sizeof l);
  memset(&host, 0, sizeof host);
  if (!a->json) {
    ikcli_ping_header(&l.out, target, addr, fam, o.payload_size);
    o.on_reply = ping_reply;
    o.on_reply_arg = &l;
  }
  catch_interrupt(&o);
  t0 = now_ms();
  if ((err = ik_ping(addr, &o, &host)) != 0) {
    ikcli_buf_free(&l.out);
    ik_host_free(&host);
    return library_error(err, target);
  }
  if (a->json)
    ikcli_json_host(&l.out, &host, -1);
  else
    ikcli_ping_statistics(&l.out, target, &host, now_ms() - t0);
  rc = live_finish(&l);
  if (rc == 0)
    rc = host.is_alive ? EXIT_ALL_ALIVE : EXIT_SOME_DEAD;
  ik_host_free(&host);
  return rc;
}

/* The progress line of a long multiping: a thread rewrites it on standard
 * error (a terminal only) until the library returns, with the targets that
 * answered so far (on_reply) and the time spent against the expected
 * duration. Not on Windows, where a run simply prints at the end. */
typedef struct progress {
  size_t targets, answered;
  unsigned char *seen; /* per target: an echo reply was counted */
  double start, expected;
  int running;
#if !defined(_WIN32)
  pthread_t thread;
  pthread_mutex_t lock; /* answered, done */
  pthread_cond_t wake;
  int done;
#endif
} progress;

/* Only runs that last long enough to make someone wonder get the line. */
#define PROGRESS_MIN_SECONDS 3.0

#if !defined(_WIN32)
static void *progress_main(void *arg) {
  progress *p = (progress *)arg;
  ikcli_buf line = {0};
  size_t width = 0;
  pthread_mutex_lock(&p->lock);
  while (!p->done) {
    struct timespec until; /* pthread_cond_timedwait counts on CLOCK_REALTIME */
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 250000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec += 1;
      until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&p->wake, &p->lock, &until);
    if (p->done)
      break;
    ikcli_buf_clear(&line);
    ikcli_progress_line(&line, p->targets, p->answered, (now_ms() - p->start) / 1e3, p->expected);
    if (line.len > width)
      width = line.len;
    if (!line.failed)
      fprintf(stderr, "\r%-*s", (int)width, line.data);
  }
  pthread_mutex_unlock(&p->lock);
  if (width > 0) /* leave the terminal as it was */
    fprintf(stderr, "\r%*s\r", (int)width, "");
  ikcli_buf_free(&line);
  return NULL;
}

static void progress_reply(void *arg, size_t index, const ik_probe_reply *reply) {
  progress *p = (progress *)arg;
  if (index >= p->targets || p->seen[index] || !ikcli_is_echo_reply(&reply->reply))
    return;
  p->seen[index] = 1;
  pthread_mutex_lock(&p->lock);
  p->answered++;
  pthread_mutex_unlock(&p->lock);
}
#endif

/* Starts the line when it is wanted, and then counts replies through o. */
static void progress_start(progress *p, size_t targets, ik_ping_options *o) {
  memset(p, 0, sizeof *p);
  p->targets = targets;
  p->expected = ikcli_multiping_expected(targets, o);
  p->start = now_ms();
#if !defined(_WIN32)
  if (p->expected < PROGRESS_MIN_SECONDS || !isatty(STDERR_FILENO))
    return;
  if ((p->seen = (unsigned char *)calloc(targets, 1)) == NULL)
    return; /* no line is no failure */
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->wake, NULL);
  p->running = pthread_create(&p->thread, NULL, progress_main, p) == 0;
  if (!p->running) {
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p->seen);
    p->seen = NULL;
    return;
  }
  o->on_reply = progress_reply;
  o->on_reply_arg = p;
#else
  (void)o;
#endif
}

static void progress_stop(progress *p) {
#if !defined(_WIN32)
  if (!p->running)
    return;
  pthread_mutex_lock(&p->lock);
  p->done = 1;
  pthread_cond_signal(&p->wake);
  pthread_mutex_unlock(&p->lock);
  pthread_join(p->thread, NULL);
  pthread_cond_destroy(&p->wake);
  pthread_mutex_destroy(&p->lock);
  free(p->seen);
  p->running = 0;
#else
  (void)p;
#endif
}

/* A target that cannot be probed, said on standard error as fping does
 * (its text holds what the user typed: escaped). */
static void print_target_error(const char *msg) {
  char shown[1024];
  fprintf(stderr, "icmpkit multiping: %s\n", ik_escape(msg, shown, sizeof shown));
}

/* Why targets cannot be probed, by position (NULL: it can). */
typedef struct target_errors {
  char **why;
  size_t n;
} target_errors;

/* Keeps the message for target i and says it now on standard error, as
 * fping reports a name it cannot resolve before probing the others. */
static int note_target_error(target_errors *e, size_t n, size_t i, const char *msg) {
  if (e->why == NULL) {
    if ((e->why = (char **)calloc(n, sizeof *e->why)) == NULL)
      return error_exit("%s%s", "out of memory", "");
    e->n = n;
  }
  free(e->why[i]);
  if ((e->why[i] = (char *)malloc(strlen(msg) + 1)) == NULL)
    return error_exit("%s%s", "out of memory", "");
  strcpy(e->why[i], msg);
  print_target_error(msg);
  return 0;
}

static void target_errors_free(target_errors *e) {
  size_t i;
  for (i = 0; e->why != NULL && i < e->n; i++)
    free(e->why[i]);
  free(e->why);
  memset(e, 0, sizeof *e);
}

/* Expands hosts, -f files and -g ranges, then resolves every name. A name
 * that does not resolve, or an address no probe can go to, is reported
 * (errors) and passed on as given: the library marks that host and probes
 * the others. names gets the targets as given (left empty when they are
 * the resolved list itself). */
static int collect_targets(const ikcli_args *a, int family, ikcli_targets *resolved,
                           ikcli_targets *names, target_errors *errors, int *families,
                           size_t *nfam) {
  ikcli_targets given = {0};
  const char *const *list = NULL;
  char msg[512], addr[IK_ADDRSTRLEN];
  size_t i, ranges;
  int err = 0, fam, seen4 = 0, seen6 = 0, mismatch = 0;

  for (i = 0; i < a->nhosts && err == 0; i++)
    if ((err = ikcli_targets_add(&given, a->hosts[i], msg, sizeof msg)) != 0)
      err = error_exit("'%s': %s", a->hosts[i], msg);
  for (i = 0; i < a->nfiles && err == 0; i++)
    if (ikcli_targets_add_file(&given, a->files[i], msg, sizeof msg) != 0)
      err = error_exit("%s%s", msg, "");
  ranges = given.n;
  for (i = 0; i < a->ncidrs && err == 0; i++) {
    size_t start = given.n;
    if (ikcli_targets_add_cidr(&given, a->cidrs[i], msg, sizeof msg) != 0) {
      err = error_exit("%s%s", msg, "");
    } else if (given.n > start) {
      /* A range's addresses share the family of its first one. */
      fam = strchr(given.arena + given.offsets[start], ':') != NULL ? IK_AF_INET6 : IK_AF_INET;
      seen4 |= fam == IK_AF_INET;
      seen6 |= fam == IK_AF_INET6;
      mismatch |= family != 0 && fam != family;
    }
  }
  if (err == 0 && given.n == 0)
    err = error_exit("no targets (the files given hold no host)%s%s", "", "");
  if (err == 0 && (list = ikcli_targets_list(&given)) == NULL)
    err = error_exit("%s%s", "out of memory", "");
  /* Names are resolved one by one. The addresses of -g ranges are already
   * the text resolve would give (the same formatting): they are taken as
   * they are, in one piece, unless a range is not of the family asked for
   * (-4/-6), whose addresses then fail one by one. */
  for (i = 0; err == 0 && i < given.n && (i < ranges || mismatch); i++) {
    ik_address dst;
    size_t found = 0;
    const char *use = addr;
    int rerr = ik_resolve(list[i], family, &dst, 1, &found);
    if (rerr == 0 && found == 0)
      rerr = IK_ENAMELOOKUP;
    if (rerr == 0)
      rerr = ik_address_format(&dst, addr, sizeof addr);
    if (rerr == 0)
      rerr = ik_destination_check(&dst);
    if (rerr != 0) {
      if ((err = note_target_error(errors, given.n, i,
                                   *ik_last_error() ? ik_last_error() : ik_strerror(rerr))) != 0)
        break;
      use = list[i];
    } else {
      seen4 |= dst.family == IK_AF_INET;
      seen6 |= dst.family == IK_AF_INET6;
    }
    if ((err = ikcli_targets_add(resolved, use, msg, sizeof msg)) != 0)
      err = error_exit("%s%s", msg, "");
  }
  if (err == 0 && !mismatch && given.n > ranges) {
    if (resolved->n == 0) {
      ikcli_targets_free(resolved);
      *resolved = given;
      memset(&given, 0, sizeof given);
    } else if (ikcli_targets_append(resolved, &given, ranges, msg, sizeof msg) != 0) {
      err = error_exit("%s%s", msg, "");
    }
  }
  *nfam = 0;
  if (seen4)
    families[(*nfam)++] = IK_AF_INET;
  if (seen6)
    families[(*nfam)++] = IK_AF_INET6;
  *names = given;
  return err;
}

/* Text multiping: each host's line as the library hands its results over
 * (in input order, at the end), so that no array of ik_host is held: a
 * sweep of 65,534 hosts costs the library's statistics only. */
typedef struct text_lines {
  ikcli_buf out;
  int width, rc, show;
  size_t alive;
  unsigned long local_drops; /* the same in every host */
  const char *const *names;
  const target_errors *errors;
} text_lines;

/* Why host index was not (fully) probed, or NULL. */
static const char *host_error(const target_errors *e, size_t index, const ik_host *h, char *buf,
                              size_t len) {
  if (e->why != NULL && e->why[index] != NULL)
    return e->why[index];
  if (h->error == 0)
    return NULL;
  if (h->error == IK_EBROADCAST)
    snprintf(buf, len, "%s is a broadcast address (multiping does not probe those: use ping -b)",
             h->address);
  else
    snprintf(buf, len, "%s: %s", h->address, ik_strerror(h->error));
  return buf;
}

/* -a: only hosts that answered; -u: only the others. */
static int shown_host(int show, const ik_host *h) {
  return show == IKCLI_SHOW_ALL || (show == IKCLI_SHOW_ALIVE) == (h->is_alive != 0);
}

static void text_host(void *arg, size_t index, const ik_host *h) {
  text_lines *t = (text_lines *)arg;
  char why[IK_ADDRSTRLEN + 128];
  const char *error = host_error(t->errors, index, h, why, sizeof why);
  ik_host named = *h;
  t->alive += h->is_alive != 0;
  t->local_drops = h->local_drops;
  if (t->rc != 0)
    return;
  /* fping: a target that could not be probed has its message on standard
   * error (names that did not resolve: already said) and no line. */
  if (error != NULL && (t->errors->why == NULL || t->errors->why[index] == NULL))
    print_target_error(error);
  if ((error != NULL && h->packets_sent == 0) || !shown_host(t->show, h))
    return;
  snprintf(named.address, sizeof named.address, "%s", t->names[index]);
  ikcli_multiping_line(&t->out, &named, t->width);
  if (t->out.len > (1u << 16))
    t->rc = flush(&t->out);
}

static int run_multiping(const ikcli_args *a, ik_ping_options o, const opened *socks) {
  ikcli_targets targets = {0}, given = {0};
  target_errors errors = {0};
  ik_host *hosts = NULL;
  const char *const *list = NULL, *const *names = NULL;
  text_lines text;
  char why[IK_ADDRSTRLEN + 128];
  int families[2], rc, err;
  size_t nfam = 0, i, alive = 0;

  memset(&text, 0, sizeof text);
  rc = collect_targets(a, o.family, &targets, &given, &errors, families, &nfam);
  if (rc == 0 && nfam > 0)
    rc = sockets_cover(socks, families, nfam);
  if (rc == 0 && ((list = ikcli_targets_list(&targets)) == NULL ||
                  (names = given.n > 0 ? ikcli_targets_list(&given) : list) == NULL ||
                  (a->json && (hosts = (ik_host *)calloc(targets.n, sizeof *hosts)) == NULL)))
    rc = error_exit("%s%s", "out of memory", "");
  if (rc == 0 && !a->json) {
    /* The lines show the targets as given: the column width is known
     * before the run. */
    for (i = 0; i < targets.n; i++) {
      int len = errors.why != NULL && errors.why[i] != NULL ? 0 : (int)strlen(names[i]);
      if (len > text.width)
        text.width = len < IK_ADDRSTRLEN ? len : IK_ADDRSTRLEN - 1;
    }
    text.names = names;
    text.errors = &errors;
    text.show = a->show;
    o.on_host = text_host;
    o.on_host_arg = &text;
  }
  if (rc == 0) {
    progress p;
    progress_start(&p, targets.n, &o);
    catch_interrupt(&o);
    err = ik_multiping(list, targets.n, &o, hosts);
    progress_stop(&p);
    if (err != 0)
      rc = library_error(err, "");
  }
  if (rc == 0 && a->json) {
    for (i = 0; i < targets.n && rc == 0; i++) {
      const char *error = host_error(&errors, i, &hosts[i], why, sizeof why);
      alive += hosts[i].is_alive != 0;
      if (error != NULL && (errors.why == NULL || errors.why[i] == NULL))
        print_target_error(error);
      if (shown_host(a->show, &hosts[i]))
        ikcli_json_target(&text.out, &hosts[i], names[i], error);
      if (text.out.len > (1u << 20))
        rc = flush(&text.out);
    }
  } else if (rc == 0) {
    rc = text.rc;
    alive = text.alive;
    if (rc == 0)
      ikcli_multiping_summary(&text.out, alive, targets.n, text.local_drops);
  }
  if (rc == 0)
    rc = flush(&text.out);
  if (rc == 0)
    rc = alive == targets.n ? EXIT_ALL_ALIVE : EXIT_SOME_DEAD;
  for (i = 0; hosts != NULL && i < targets.n; i++)
    ik_host_free(&hosts[i]);
  free(hosts);
  ikcli_targets_free(&targets);
  ikcli_targets_free(&given);
  target_errors_free(&errors);
  ikcli_buf_free(&text.out);
  return rc;
}

static int run_traceroute(const ikcli_args *a, ik_ping_options o, const opened *socks) {
  ik_hop *hops = NULL;
  size_t nhops = 0;
  trace_view v;
  char addr[IK_ADDRSTRLEN];
  const char *target = a->hosts[0];
  int err, fam, rc;

  if ((rc = resolve(target, o.family, addr, sizeof addr, &fam)) != 0 ||
      (rc = check_source(o.source, addr, fam)) != 0 || (rc = sockets_cover(socks, &fam, 1)) != 0)
    return rc;
  memset(&v, 0, sizeof v);
  v.json = a->json;
  v.end = IK_TRACE_MORE;
  if (!a->json)
    ikcli_traceroute_header(&v.l.out, target, addr, fam, o.max_hops, o.payload_size);
  o.on_hop = trace_hop;
  o.on_hop_arg = &v;
  catch_interrupt(&o);
  if ((err = ik_traceroute(addr, &o, &hops, &nhops)) != 0) {
    ikcli_buf_free(&v.l.out);
    return library_error(err, target);
  }
  ik_hops_free(hops, nhops); /* every hop went through trace_hop */
  if (a->json)
    ikcli_json_trace_end(&v.l.out, addr, v.end, &v.why, v.objects);
  rc = live_finish(&v.l);
  if (rc == 0)
    rc = v.end == IK_TRACE_REACHED ? EXIT_ALL_ALIVE : EXIT_SOME_DEAD;
  return rc;
}

/* Options, then sockets and the end of privileges, then the command. */
static int run(const ikcli_args *a) {
  ik_ping_options o;
  opened socks;
  int rc;
  if (a->command == IKCLI_MULTIPING)
    ik_multiping_options_init(&o);
  else if (a->command == IKCLI_TRACEROUTE)
    ik_traceroute_options_init(&o);
  else if (a->command == IKCLI_MONITOR) {
    ik_ping_options_init(&o);
    o.interval = 1.0;
    o.timeout = 1.0;
  } else {
    ik_ping_options_init(&o);
    o.count = IKCLI_MAX_PING_COUNT; /* as ping(8): until interrupted, unless -c */
  }
  if ((rc = settle_options(a, &o)) != 0 || (rc = open_sockets(a, &o, &socks)) != 0)
    return rc;
  if (a->command == IKCLI_PING)
    rc = run_ping(a, o, &socks);
  else if (a->command == IKCLI_MULTIPING)
    rc = run_multiping(a, o, &socks);
  else if (a->command == IKCLI_MONITOR)
    rc = ikcli_monitor_main(a, &o, socks.sock);
  else
    rc = run_traceroute(a, o, &socks);
  close_sockets(&socks);
  return rc;
}

int main(int argc, char **argv) {
  ikcli_args a;
  char msg[512];
  int rc;

  rc = ikcli_parse_args(argc, (const char *const *)argv, &a, msg, sizeof msg);
  command = ikcli_command_name(a.command);
  if (rc != 0) {
    error_exit("%s%s", msg, "");
    if (a.command != IKCLI_NONE)
      fprintf(stderr, "Try 'icmpkit %s --help'.\n", command);
    else
      fputs(ikcli_usage(IKCLI_NONE), stderr);
    ikcli_args_free(&a);
    return EXIT_ERROR;
  }
  if (a.version) {
    printf("icmpkit %s\n", ik_version());
    rc = EXIT_ALL_ALIVE;
  } else if (a.help) {
    fputs(ikcli_usage(a.command), stdout);
    rc = EXIT_ALL_ALIVE;
  } else {
    rc = run(&a);
  }
  ikcli_args_free(&a);
  if (fflush(stdout) != 0 && rc != EXIT_ERROR)
    rc = error_exit("%s%s", "cannot write to standard output", "");
  return rc;
}
