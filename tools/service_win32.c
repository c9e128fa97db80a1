/* service.h on Windows: a command under the Service Control Manager.
 * The SCM starts the process, which hands its main thread to the
 * dispatcher; the dispatcher runs service_main on a thread of its own and
 * delivers controls to handler on the main thread. service_main reports
 * start-pending then running, runs the body until a stop or shutdown
 * control sets the flag, and reports stopped with the body's status.
 * Every SCM call goes through the table of service_win32.h. */
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "icmpkit.h"
#include "service.h"
#include "service_win32.h"

/* What the SCM's callbacks need: they take no argument of ours (ServiceMain)
 * or one only (the handler), and a process is one service here. */
static struct {
  const ikcli_scm_api *api;
  const char *name;
  ikcli_service_body body;
  void *arg;
  SERVICE_STATUS_HANDLE status;
  HANDLE log;
  DWORD checkpoint;
  volatile int stop;
  int result;
  int failed; /* service_main could not start the body; why is in msg */
  char msg[256];
} svc;

static const ikcli_scm_api real_api = {StartServiceCtrlDispatcherA,
                                       RegisterServiceCtrlHandlerExA,
                                       SetServiceStatus,
                                       RegisterEventSourceA,
                                       ReportEventA,
                                       DeregisterEventSource,
                                       OpenSCManagerA,
                                       CreateServiceA,
                                       OpenServiceA,
                                       DeleteService,
                                       CloseServiceHandle,
                                       GetModuleFileNameA};

const ikcli_scm_api *ikcli__service_real_api(void) { return &real_api; }

void ikcli__service_set_api(const ikcli_scm_api *api) { svc.api = api; }

static const ikcli_scm_api *api(void) { return svc.api != NULL ? svc.api : &real_api; }

/* A Win32 error as text ("Access is denied."), without the line break. */
static const char *win_error(DWORD err, char *buf, size_t len) {
  size_t n;
  if (FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, err, 0, buf,
                     (DWORD)len, NULL) == 0)
    snprintf(buf, len, "error %lu", (unsigned long)err);
  n = strlen(buf);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
    buf[--n] = '\0';
  return buf;
}

/* One line to the event log, under the service's name as the source. */
static void log_line(const char *line) {
  char shown[512];
  LPCSTR strings[1];
  if (svc.log == NULL)
    return;
  strings[0] = ik_escape(line, shown, sizeof shown);
  api()->report_event(svc.log, EVENTLOG_INFORMATION_TYPE, 0, 0, NULL, 1, 0, strings, NULL);
}

static void report(DWORD state, DWORD exit_code, DWORD specific, DWORD wait_hint) {
  SERVICE_STATUS st;
  memset(&st, 0, sizeof st);
  st.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  st.dwCurrentState = state;
  st.dwControlsAccepted =
    state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
  st.dwWin32ExitCode = exit_code;
  st.dwServiceSpecificExitCode = specific;
  st.dwCheckPoint =
    state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING ? ++svc.checkpoint : 0;
  st.dwWaitHint = wait_hint;
  api()->set_status(svc.status, &st);
}

/* Controls arrive on the dispatcher's thread: stop and shutdown set the
 * flag the body polls (it answers within 0.1 s, so 5 s of hint is ample). */
static DWORD WINAPI handler(DWORD control, DWORD type, LPVOID data, LPVOID context) {
  (void)type;
  (void)data;
  (void)context;
  switch (control) {
  case SERVICE_CONTROL_STOP:
  case SERVICE_CONTROL_SHUTDOWN:
    report(SERVICE_STOP_PENDING, NO_ERROR, 0, 5000);
    svc.stop = 1;
    return NO_ERROR;
  case SERVICE_CONTROL_INTERROGATE:
    return NO_ERROR;
  default:
    return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

static void WINAPI service_main(DWORD argc, LPSTR *argv) {
  ikcli_service_ctx ctx;
  char err[160], line[96], sh[128];
  (void)argc;
  (void)argv;
  svc.status = api()->register_handler(svc.name, handler, NULL);
  if (svc.status == NULL) {
    snprintf(svc.msg, sizeof svc.msg, "%s: cannot register the service's control handler: %s",
             ik_escape(svc.name, sh, sizeof sh), win_error(GetLastError(), err, sizeof err));
    svc.failed = 1;
    return;
  }
  report(SERVICE_START_PENDING, NO_ERROR, 0, 3000);
  svc.log = api()->register_event_source(NULL, svc.name);
  report(SERVICE_RUNNING, NO_ERROR, 0, 0);
  log_line("started");
  ctx.stop = &svc.stop;
  ctx.log = log_line;
  svc.result = svc.body(&ctx, svc.arg);
  snprintf(line, sizeof line, "stopped (status %d)", svc.result);
  log_line(line);
  if (svc.log != NULL)
    api()->deregister_event_source(svc.log);
  svc.log = NULL;
  /* A nonzero status is the service's own code (sc query shows it). */
  report(SERVICE_STOPPED, svc.result == 0 ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR,
         (DWORD)svc.result, 0);
}

int ikcli_service_run(const char *name, ikcli_service_body body, void *arg, char *msg,
                      size_t msglen) {
  SERVICE_TABLE_ENTRYA table[2];
  char err[160], sh[128];
  const char *shown = ik_escape(name, sh, sizeof sh);
  DWORD e;
  svc.name = name;
  svc.body = body;
  svc.arg = arg;
  svc.status = NULL;
  svc.log = NULL;
  svc.checkpoint = 0;
  svc.stop = 0;
  svc.result = 0;
  svc.failed = 0;
  svc.msg[0] = '\0';
  table[0].lpServiceName = (LPSTR)name;
  table[0].lpServiceProc = service_main;
  table[1].lpServiceName = NULL;
  table[1].lpServiceProc = NULL;
  /* Returns when the service has stopped (or never started). */
  if (!api()->start_dispatcher(table)) {
    e = GetLastError();
    if (e == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT)
      snprintf(msg, msglen,
               "%s: --service is for the Service Control Manager (sc.exe start %s), which did not "
               "start this process",
               shown, shown);
    else
      snprintf(msg, msglen, "%s: the service dispatcher failed: %s", shown,
               win_error(e, err, sizeof err));
    return -1;
  }
  if (svc.failed) {
    snprintf(msg, msglen, "%s", svc.msg);
    return -1;
  }
  return svc.result;
}

static int scm_fail(const char *name, const char *what, DWORD e, char *msg, size_t msglen) {
  char err[160], sh[128];
  const char *why = e == ERROR_ACCESS_DENIED    ? "access denied (run it as an administrator)"
                    : e == ERROR_SERVICE_EXISTS ? "a service of that name exists"
                    : e == ERROR_SERVICE_DOES_NOT_EXIST ? "no service of that name"
                    : e == ERROR_SERVICE_MARKED_FOR_DELETE
                      ? "the service is already marked for removal (it goes when it stops)"
                      : win_error(e, err, sizeof err);
  snprintf(msg, msglen, "%s: cannot %s the service: %s", ik_escape(name, sh, sizeof sh), what, why);
  return -1;
}

int ikcli_service_install(const char *name, const char *args, char *msg, size_t msglen) {
  char exe[MAX_PATH], cmd[2 * MAX_PATH + 1024];
  SC_HANDLE scm, s;
  DWORD n = api()->module_file_name(NULL, exe, sizeof exe);
  if (n == 0 || n >= sizeof exe)
    return scm_fail(name, "install", GetLastError(), msg, msglen);
  /* The path quoted: "C:\Program Files\..." would otherwise run C:\Program. */
  if (snprintf(cmd, sizeof cmd, "\"%s\"%s%s", exe, args && *args ? " " : "", args ? args : "") >=
      (int)sizeof cmd) {
    snprintf(msg, msglen, "cannot install the service: its command line is too long");
    return -1;
  }
  if ((scm = api()->open_manager(NULL, NULL, SC_MANAGER_CREATE_SERVICE)) == NULL)
    return scm_fail(name, "install", GetLastError(), msg, msglen);
  s = api()->create_service(scm, name, name, SERVICE_QUERY_STATUS, SERVICE_WIN32_OWN_PROCESS,
                            SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, cmd, NULL, NULL, NULL, NULL,
                            NULL);
  if (s == NULL) {
    DWORD e = GetLastError();
    api()->close_handle(scm);
    return scm_fail(name, "install", e, msg, msglen);
  }
  api()->close_handle(s);
  api()->close_handle(scm);
  return 0;
}

int ikcli_service_uninstall(const char *name, char *msg, size_t msglen) {
  SC_HANDLE scm, s;
  if ((scm = api()->open_manager(NULL, NULL, SC_MANAGER_CONNECT)) == NULL)
    return scm_fail(name, "remove", GetLastError(), msg, msglen);
  if ((s = api()->open_service(scm, name, DELETE)) == NULL || !api()->delete_service(s)) {
    DWORD e = GetLastError();
    if (s != NULL)
      api()->close_handle(s);
    api()->close_handle(scm);
    return scm_fail(name, "remove", e, msg, msglen);
  }
  api()->close_handle(s);
  api()->close_handle(scm);
  return 0;
}
