/* The icmpkit command-line tool: ping, multiping and traceroute on top of
 * the library. Everything that can fail with exit status 2 (usage, names,
 * sockets) is settled before the first byte reaches standard output. */
#if defined(__linux__)
#define _POSIX_C_SOURCE 200809L /* clock_gettime, readlink, getgid under -std=c11 */
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(_WIN32)
#include <windows.h>
#else
#include <pthread.h>
#include <unistd.h>
#endif

#include "args.h"
#include "icmpkit.h"
#include "json.h"
#include "output.h"
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

/* "icmpkit ping: what went wrong" on standard error; returns 2. */
static int error_exit(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "icmpkit%s%s: ", *command ? " " : "", command);
  fprintf(stderr, fmt, a, b);
  fputc('\n', stderr);
  return EXIT_ERROR;
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

/* Tells exactly what to change when neither socket kind may be opened. */
static int permission_help(void) {
  fprintf(stderr, "icmpkit %s: not permitted to open an ICMP socket.\n", command);
#if defined(__linux__)
  {
    char range[64] = "", self[512] = "icmpkit";
    FILE *f = fopen("/proc/sys/net/ipv4/ping_group_range", "r");
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0)
      self[n] = '\0';
    if (f != NULL) {
      if (fgets(range, sizeof range, f) != NULL)
        range[strcspn(range, "\n")] = '\0';
      fclose(f);
    }
    for (char *p = range; *p; p++)
      if (*p == '\t')
        *p = ' ';
    fprintf(stderr,
            "Unprivileged ICMP sockets need your group (gid %lu) inside\n"
            "net.ipv4.ping_group_range (now \"%s\"), and raw sockets need CAP_NET_RAW.\n"
            "Do one of:\n"
            "  sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"   (as root)\n"
            "  setcap cap_net_raw+ep %s   (as root)\n"
            "  run icmpkit as root\n",
            (unsigned long)getgid(), range, self);
  }
#else
  fprintf(stderr, "Run icmpkit as root (or with --unprivileged where the system allows it).\n");
#endif
  return EXIT_ERROR;
}

/* The least privilege that works for the families used: an unprivileged
 * socket when the system allows it, raw otherwise. Probing with real
 * sockets is the only reliable test (ping_group_range, capabilities,
 * macOS and Windows all differ). */
static int choose_privilege(const int *families, size_t nfam, const char *source,
                            int *privileged) {
  char first_error[512];
  int first = 0, mode;
  size_t i;

  for (mode = 0; mode <= 1; mode++) {
    int err = 0;
    for (i = 0; i < nfam && err == 0; i++) {
      ik_socket *s = NULL;
      err = ik_socket_open(&s, families[i], source, mode == 0 ? IK_SOCKET_UNPRIVILEGED : 0);
      if (err == 0)
        ik_socket_free(s);
    }
    if (err == 0) {
      *privileged = mode;
      return 0;
    }
    if (mode == 0) {
      first = err;
      snprintf(first_error, sizeof first_error, "%s: %s", ik_strerror(err), ik_last_error());
    } else if (first == IK_EPERMISSION && err == IK_EPERMISSION) {
      return permission_help();
    }
  }
  return error_exit("cannot open an ICMP socket: %s%s", first_error, "");
}

static int forced_or_chosen(const ikcli_args *a, const int *families, size_t nfam,
                            ik_ping_options *o) {
  if (a->privileged >= 0) {
    o->privileged = a->privileged;
    return 0;
  }
  return choose_privilege(families, nfam, o->source, &o->privileged);
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

static int library_error(int err, const char *target) {
  if (err == IK_EBROADCAST)
    return error_exit("%s is a broadcast address: add -b to ping it%s", target, "");
  if (err == IK_EPERMISSION)
    return permission_help();
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
  if (l->out.len > 0 && (fwrite(l->out.data, 1, l->out.len, stdout) != l->out.len ||
                         fflush(stdout) != 0))
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

static void ping_reply(void *arg, size_t index, const ik_probe_reply *reply) {
  live *l = (live *)arg;
  (void)index;
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
  return !ikcli_is_echo_reply(r) && !(r->type == (r->family == IK_AF_INET6 ? 3 : 11) && r->code == 0);
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

static int run_ping(const ikcli_args *a) {
  ik_ping_options o;
  ik_host host;
  live l;
  char msg[512], addr[IK_ADDRSTRLEN];
  const char *target = a->hosts[0];
  int err, fam, rc;
  double t0;

  ik_ping_options_init(&o);
  if (ikcli_apply_options(a, &o, msg, sizeof msg) != 0)
    return error_exit("%s%s", msg, "");
  if ((rc = resolve(target, o.family, addr, sizeof addr, &fam)) != 0 ||
      (rc = forced_or_chosen(a, &fam, 1, &o)) != 0)
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
  unsigned char *seen;  /* per target: an echo reply was counted */
  double start, expected;
  int running;
#if !defined(_WIN32)
  pthread_t thread;
  pthread_mutex_t lock;  /* answered, done */
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
    ikcli_progress_line(&line, p->targets, p->answered, (now_ms() - p->start) / 1e3,
                        p->expected);
    if (line.len > width)
      width = line.len;
    if (!line.failed)
      fprintf(stderr, "\r%-*s", (int)width, line.data);
  }
  pthread_mutex_unlock(&p->lock);
  if (width > 0)  /* leave the terminal as it was */
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
    return;  /* no line is no failure */
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

/* Expands hosts, -f files and -g ranges, then resolves every name, so that
 * a typo fails the run before anything is sent. */
static int collect_targets(const ikcli_args *a, int family, ikcli_targets *resolved,
                           int *families, size_t *nfam) {
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
   * (-4/-6), which resolve then refuses with its message. */
  for (i = 0; err == 0 && i < given.n && (i < ranges || mismatch); i++) {
    if ((err = resolve(list[i], family, addr, sizeof addr, &fam)) != 0)
      break;
    if ((err = ikcli_targets_add(resolved, addr, msg, sizeof msg)) != 0)
      err = error_exit("%s%s", msg, "");
    seen4 |= fam == IK_AF_INET;
    seen6 |= fam == IK_AF_INET6;
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
  ikcli_targets_free(&given);
  return err;
}

/* Text multiping: each host's line as the library hands its results over
 * (in input order, at the end), so that no array of ik_host is held: a
 * sweep of 65,534 hosts costs the library's statistics only. */
typedef struct text_lines {
  ikcli_buf out;
  int width, rc;
  size_t alive;
} text_lines;

static void text_host(void *arg, size_t index, const ik_host *h) {
  text_lines *t = (text_lines *)arg;
  (void)index;
  t->alive += h->is_alive != 0;
  if (t->rc != 0)
    return;
  ikcli_multiping_line(&t->out, h, t->width);
  if (h->error != 0)
    fprintf(stderr, "icmpkit multiping: %s: %s\n", h->address, ik_strerror(h->error));
  if (t->out.len > (1u << 16))
    t->rc = flush(&t->out);
}

static int run_multiping(const ikcli_args *a) {
  ik_ping_options o;
  ikcli_targets targets = {0};
  ik_host *hosts = NULL;
  const char *const *list = NULL;
  text_lines text;
  char msg[512];
  int families[2], rc, err;
  size_t nfam = 0, i, alive = 0;

  memset(&text, 0, sizeof text);
  ik_multiping_options_init(&o);
  if (ikcli_apply_options(a, &o, msg, sizeof msg) != 0)
    return error_exit("%s%s", msg, "");
  rc = collect_targets(a, o.family, &targets, families, &nfam);
  if (rc == 0)
    rc = forced_or_chosen(a, families, nfam, &o);
  if (rc == 0 && ((list = ikcli_targets_list(&targets)) == NULL ||
                  (a->json && (hosts = (ik_host *)calloc(targets.n, sizeof *hosts)) == NULL)))
    rc = error_exit("%s%s", "out of memory", "");
  if (rc == 0 && !a->json) {
    /* The library's address texts are these resolved ones, formatted the
     * same way: the column width is known before the run. */
    for (i = 0; i < targets.n; i++) {
      int len = (int)strlen(list[i]);
      if (len > text.width)
        text.width = len;
    }
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
      alive += hosts[i].is_alive != 0;
      ikcli_json_host(&text.out, &hosts[i], -1);
      if (hosts[i].error != 0)
        fprintf(stderr, "icmpkit multiping: %s: %s\n", hosts[i].address,
                ik_strerror(hosts[i].error));
      if (text.out.len > (1u << 20))
        rc = flush(&text.out);
    }
  } else if (rc == 0) {
    rc = text.rc;
    alive = text.alive;
    if (rc == 0)
      ikcli_multiping_summary(&text.out, alive, targets.n);
  }
  if (rc == 0)
    rc = flush(&text.out);
  if (rc == 0)
    rc = alive == targets.n ? EXIT_ALL_ALIVE : EXIT_SOME_DEAD;
  for (i = 0; hosts != NULL && i < targets.n; i++)
    ik_host_free(&hosts[i]);
  free(hosts);
  ikcli_targets_free(&targets);
  ikcli_buf_free(&text.out);
  return rc;
}

static int run_traceroute(const ikcli_args *a) {
  ik_ping_options o;
  ik_hop *hops = NULL;
  size_t nhops = 0;
  trace_view v;
  char msg[512], addr[IK_ADDRSTRLEN];
  const char *target = a->hosts[0];
  int err, fam, rc;

  ik_traceroute_options_init(&o);
  if (ikcli_apply_options(a, &o, msg, sizeof msg) != 0)
    return error_exit("%s%s", msg, "");
  if ((rc = resolve(target, o.family, addr, sizeof addr, &fam)) != 0 ||
      (rc = forced_or_chosen(a, &fam, 1, &o)) != 0)
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
  } else if (a.command == IKCLI_PING) {
    rc = run_ping(&a);
  } else if (a.command == IKCLI_MULTIPING) {
    rc = run_multiping(&a);
  } else {
    rc = run_traceroute(&a);
  }
  ikcli_args_free(&a);
  if (fflush(stdout) != 0 && rc != EXIT_ERROR)
    rc = error_exit("%s%s", "cannot write to standard output", "");
  return rc;
}
