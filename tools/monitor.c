/* icmpkit monitor (monitor.h): targets from the command line and the
 * configuration file into the library's monitor, /metrics over evhttp,
 * reloads, and a clean end on SIGINT/SIGTERM or the service's stop. */
#include "monitor.h"

#if defined(_WIN32)
#  include <winsock2.h>
#endif

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor_config.h"
#include "service.h"
#include "targets.h"

#define STOP_POLL 0.1 /* seconds between looks at the service's stop flag */

typedef struct mon {
  const ikcli_args *a;
  const ik_ping_options *o;
  struct event_base *base;
  ik_monitor *m;
  struct evhttp *http;
  char *text; /* the last exposition, kept: its room is reused */
  size_t cap;
  const volatile int *stop;
  void (*log)(const char *line);
} mon;

static void log_stderr(const char *line) { fprintf(stderr, "icmpkit monitor: %s\n", line); }

static void say(const mon *s, const char *fmt, const char *a) {
  char line[1024], shown[4 * sizeof line];
  snprintf(line, sizeof line, fmt, a);
  s->log(ik_escape(line, shown, sizeof shown));
}

/* ---- targets ---- */

typedef struct target_list {
  ikcli_targets names;
  ik_monitor_target *t;
  size_t n;
} target_list;

static void target_list_free(target_list *l) {
  ikcli_targets_free(&l->names);
  free(l->t);
  memset(l, 0, sizeof *l);
}

/* The command line's targets: probed with its options through the sockets
 * opened before the privilege drop (mode auto, no source of their own). */
static int add_cli_names(const ikcli_args *a, ikcli_targets *names, char *msg, size_t len) {
  size_t i;
  int err = 0;
  for (i = 0; i < a->nhosts && err == 0; i++)
    err = ikcli_targets_add(names, a->hosts[i], msg, len);
  for (i = 0; i < a->nfiles && err == 0; i++)
    err = ikcli_targets_add_file(names, a->files[i], msg, len);
  for (i = 0; i < a->ncidrs && err == 0; i++)
    err = ikcli_targets_add_cidr(names, a->cidrs[i], msg, len);
  return err;
}

static const int group_mode[] = {IK_MONITOR_MODE_AUTO, IK_MONITOR_MODE_PRIVILEGED,
                                 IK_MONITOR_MODE_UNPRIVILEGED};

/* The targets of the command line, then those of cfg (NULL: none), in
 * l; labels point into cfg, which must outlive the list's use. */
static int build_targets(const mon *s, const ikcli_mon_config *cfg, target_list *l, char *msg,
                         size_t len) {
  size_t ncli, g, i, *ends = NULL;
  const char *const *list;
  int err;
  memset(l, 0, sizeof *l);
  if ((err = add_cli_names(s->a, &l->names, msg, len)) != 0)
    return err;
  ncli = l->names.n;
  if (cfg != NULL && cfg->ngroups > 0 &&
      (ends = (size_t *)calloc(cfg->ngroups, sizeof *ends)) == NULL)
    return snprintf(msg, len, "out of memory"), IK_ENOMEM;
  for (g = 0; cfg != NULL && g < cfg->ngroups && err == 0; g++) {
    for (i = 0; i < cfg->groups[g].nhosts && err == 0; i++) {
      const char *h = cfg->groups[g].hosts[i];
      err = strchr(h, '/') != NULL ? ikcli_targets_add_cidr(&l->names, h, msg, len)
                                   : ikcli_targets_add(&l->names, h, msg, len);
    }
    ends[g] = l->names.n;
  }
  if (err == 0 && ((list = ikcli_targets_list(&l->names)) == NULL ||
                   (l->t = (ik_monitor_target *)calloc(l->names.n + 1, sizeof *l->t)) == NULL))
    err = (snprintf(msg, len, "out of memory"), IK_ENOMEM);
  if (err != 0) {
    free(ends);
    return err;
  }
  l->n = l->names.n;
  for (i = 0, g = 0; i < l->n; i++) {
    ik_monitor_target *t = &l->t[i];
    ik_monitor_target_init(t);
    t->host = list[i];
    t->family = s->o->family;
    if (i < ncli) {
      t->interval = s->o->interval;
      t->timeout = s->o->timeout;
      t->payload_size = s->o->payload_size;
      t->traffic_class = s->o->traffic_class;
      continue;
    }
    while (i >= ends[g])
      g++;
    {
      const ikcli_mon_group *G = &cfg->groups[g];
      t->interval = G->interval;
      t->timeout = G->timeout;
      t->payload_size = G->size;
      t->traffic_class = G->traffic_class;
      t->source = G->source;
      t->mode = G->mode >= 0 && G->mode <= 2 ? group_mode[G->mode] : IK_MONITOR_MODE_AUTO;
      t->labels = (const ik_monitor_label *)G->labels; /* same layout: name, value */
      t->nlabels = G->nlabels;
    }
  }
  free(ends);
  return 0;
}

/* Reads --config (when given) and replaces the monitor's targets. On any
 * error msg says why and the running targets stay. */
static int apply(mon *s, ikcli_mon_config *cfg_out, char *msg, size_t len) {
  ikcli_mon_config cfg;
  target_list l;
  int err;
  memset(&cfg, 0, sizeof cfg);
  if (s->a->config != NULL && ikcli_mon_config_load(s->a->config, &cfg, msg, len) != 0)
    return -1;
  if ((err = build_targets(s, s->a->config != NULL ? &cfg : NULL, &l, msg, len)) == 0 &&
      (err = ik_monitor_set_targets(s->m, l.t, l.n)) != 0)
    snprintf(msg, len, "%s", ik_last_error());
  target_list_free(&l);
  if (cfg_out != NULL && err == 0)
    *cfg_out = cfg;
  else
    ikcli_mon_config_free(&cfg);
  return err != 0 ? -1 : 0;
}

static int reload(mon *s, char *msg, size_t len) {
  if (apply(s, NULL, msg, len) != 0) {
    say(s, "reload refused, the running configuration stays: %s", msg);
    return -1;
  }
  snprintf(msg, len, "reloaded: %zu targets", ik_monitor_size(s->m));
  say(s, "%s", msg);
  return 0;
}

/* ---- HTTP ---- */

static int wants_openmetrics(struct evhttp_request *req) {
  const char *accept = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");
  return accept != NULL && strstr(accept, "application/openmetrics-text") != NULL;
}

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *type,
                       const char *text, size_t len) {
  struct evbuffer *body = evbuffer_new();
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
  if (body != NULL)
    evbuffer_add(body, text, len);
  evhttp_send_reply(req, code, reason, body);
  if (body != NULL)
    evbuffer_free(body);
}

static void serve_metrics(mon *s, struct evhttp_request *req) {
  int om = wants_openmetrics(req);
  size_t need = 0;
  int err;
  while ((err = ik_monitor_write_metrics(s->m, om ? IK_MONITOR_OPENMETRICS : IK_MONITOR_TEXT,
                                         s->text, s->cap, &need)) == IK_ENOSPACE) {
    char *more = (char *)realloc(s->text, need + need / 4 + 1);
    if (more == NULL)
      break;
    s->text = more;
    s->cap = need + need / 4 + 1;
  }
  if (err != 0) {
    const char *why = ik_last_error();
    reply_text(req, 500, "Internal Server Error", "text/plain; charset=utf-8", why, strlen(why));
    return;
  }
  reply_text(req, 200, "OK",
             om ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                : "text/plain; version=0.0.4; charset=utf-8",
             s->text, need);
}

static void serve(struct evhttp_request *req, void *arg) {
  mon *s = (mon *)arg;
  const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
  const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
  enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
  char msg[1024];
  const char *plain = "text/plain; charset=utf-8";
  if (path == NULL)
    path = "";
  if (strcmp(path, "/metrics") == 0 && (cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD)) {
    serve_metrics(s, req);
  } else if (strcmp(path, "/-/healthy") == 0) {
    reply_text(req, 200, "OK", plain, "Healthy.\n", 9);
  } else if (strcmp(path, "/-/reload") == 0) {
    if (cmd != EVHTTP_REQ_POST) {
      reply_text(req, 405, "Method Not Allowed", plain, "use POST\n", 9);
      return;
    }
    if (reload(s, msg, sizeof msg - 1) != 0) {
      strcat(msg, "\n");
      reply_text(req, 400, "Bad Request", plain, msg, strlen(msg));
    } else {
      strcat(msg, "\n");
      reply_text(req, 200, "OK", plain, msg, strlen(msg));
    }
  } else {
    reply_text(req, 404, "Not Found", plain, "not found: /metrics, /-/healthy, /-/reload\n", 43);
  }
}

static int listen_on(mon *s, const char *spec) {
  char host[64];
  int port;
  if (ikcli_parse_listen(spec, host, sizeof host, &port) != 0) {
    say(s, "--listen: not ADDR:PORT: '%s'", spec);
    return -1;
  }
  if ((s->http = evhttp_new(s->base)) == NULL)
    return say(s, "%s", "out of memory"), -1;
  evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
  evhttp_set_gencb(s->http, serve, s);
  if (evhttp_bind_socket_with_handle(s->http, host, (ev_uint16_t)port) == NULL) {
    say(s, "cannot listen on %s", spec);
    return -1;
  }
  return 0;
}

/* ---- the loop ---- */

static void on_signal(evutil_socket_t sig, short what, void *arg) {
  mon *s = (mon *)arg;
  char msg[1024];
  (void)what;
#ifdef SIGHUP
  if (sig == SIGHUP) {
    reload(s, msg, sizeof msg);
    return;
  }
#endif
  (void)msg;
  (void)sig;
  event_base_loopbreak(s->base);
}

static void on_poll(evutil_socket_t fd, short what, void *arg) {
  mon *s = (mon *)arg;
  (void)fd;
  (void)what;
  if (s->stop != NULL && *s->stop)
    event_base_loopbreak(s->base);
}

static const int signals[] = {SIGINT, SIGTERM
#ifdef SIGHUP
                              ,
                              SIGHUP
#endif
};
#define NSIGNALS (sizeof signals / sizeof signals[0])

static int run(mon *s) {
  struct event *ev[NSIGNALS + 1] = {NULL};
  ikcli_mon_config cfg;
  char msg[1024];
  const char *listen;
  size_t i;
  int rc = 2;
  ik_monitor_options mo;

  memset(&cfg, 0, sizeof cfg);
  ik_monitor_options_init(&mo);
#if defined(_WIN32)
  {
    WSADATA wsa; /* libevent's own sockets (the signal pipe, evhttp) need it first */
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
      return say(s, "%s", "WSAStartup failed"), 2;
  }
#endif
  if ((s->base = event_base_new()) == NULL)
    return say(s, "%s", "cannot create an event base"), 2;
  for (i = 0; i < 2; i++)
    mo.sockets[i] = s->o->sockets[i];
  mo.resolve_interval = s->a->resolve_interval;
  if (ik_monitor_new(s->base, &mo, &s->m) != 0) {
    say(s, "%s", ik_last_error());
    goto out;
  }
  if (apply(s, &cfg, msg, sizeof msg) != 0) {
    say(s, "%s", msg);
    goto out;
  }
  listen = s->a->listen != NULL ? s->a->listen : cfg.listen;
  if (listen != NULL && listen_on(s, listen) != 0)
    goto out;
  for (i = 0; i < NSIGNALS; i++)
    if ((ev[i] = evsignal_new(s->base, signals[i], on_signal, s)) == NULL || event_add(ev[i], NULL))
      goto out;
  if (s->stop != NULL) {
    struct timeval tv = {0, (long)(STOP_POLL * 1e6)};
    if ((ev[NSIGNALS] = event_new(s->base, -1, EV_PERSIST, on_poll, s)) == NULL ||
        event_add(ev[NSIGNALS], &tv))
      goto out;
  }
  snprintf(msg, sizeof msg, "probing %zu targets%s%s", ik_monitor_size(s->m),
           listen != NULL ? ", metrics on " : "", listen != NULL ? listen : "");
  say(s, "%s", msg);
  rc = event_base_dispatch(s->base) < 0 ? 2 : 0;
out:
  for (i = 0; i <= NSIGNALS; i++)
    if (ev[i] != NULL)
      event_free(ev[i]);
  if (s->http != NULL)
    evhttp_free(s->http);
  ik_monitor_free(s->m);
  /* libevent ends the DNS queries of cancelled lookups on a later turn. */
  for (i = 0; s->base != NULL && i < 2; i++)
    event_base_loop(s->base, EVLOOP_NONBLOCK);
  ikcli_mon_config_free(&cfg);
  free(s->text);
  event_base_free(s->base);
  return rc;
}

static int service_body(const ikcli_service_ctx *ctx, void *arg) {
  mon *s = (mon *)arg;
  s->stop = ctx->stop;
  s->log = ctx->log != NULL ? ctx->log : log_stderr;
  return run(s);
}

int ikcli_monitor_main(const ikcli_args *a, const ik_ping_options *o, ik_socket *const sockets[2]) {
  mon s;
  ik_ping_options opts = *o;
  memset(&s, 0, sizeof s);
  opts.sockets[0] = sockets[0];
  opts.sockets[1] = sockets[1];
  s.a = a;
  s.o = &opts;
  s.log = log_stderr;
  if (a->service) {
    char msg[512];
    int rc = ikcli_service_run("icmpkit-monitor", service_body, &s, msg, sizeof msg);
    if (rc < 0) {
      say(&s, "%s", msg);
      return 2;
    }
    return rc;
  }
  return run(&s);
}
