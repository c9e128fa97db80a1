// Running a command as a service (tools/service.h). Windows: against a
// fake Service Control Manager (the table of tools/service_win32.h): the
// states reported, stop and shutdown, a failing dispatcher and handler
// registration, the event log, install and uninstall. Elsewhere: each call
// refuses and says what to use instead.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

extern "C" {
#include "service.h"
}

#ifdef _WIN32
#  include <atomic>
#  include <chrono>
#  include <thread>
#  include <vector>

#  include "service_win32.h"

namespace {

// The fake SCM: one at a time (the service state is the process's).
struct FakeScm {
  DWORD control = SERVICE_CONTROL_STOP;  // sent once the service runs
  DWORD dispatcher_error = 0;            // nonzero: the dispatcher fails with it
  bool handler_fails = false;
  std::vector<SERVICE_STATUS> states;
  std::vector<std::string> events;
  std::vector<DWORD> control_results;
  std::string event_source, created_path, created_name;
  DWORD create_error = 0, open_error = 0;
  LPHANDLER_FUNCTION_EX handler = nullptr;
  std::atomic<bool> running{false};
  int closed = 0, opened = 0;
};
FakeScm *fake;

#  define HANDLE_OF(n) reinterpret_cast<SC_HANDLE>(static_cast<uintptr_t>(n))

BOOL WINAPI FakeDispatcher(const SERVICE_TABLE_ENTRYA *table) {
  if (fake->dispatcher_error) {
    SetLastError(fake->dispatcher_error);
    return FALSE;
  }
  // Like the real one: ServiceMain on a thread of its own, controls here.
  LPSERVICE_MAIN_FUNCTIONA main = table[0].lpServiceProc;
  std::string name = table[0].lpServiceName;
  std::thread service([main, name] {
    char *argv[] = {const_cast<char *>(name.c_str()), nullptr};
    main(1, argv);
  });
  for (int i = 0; i < 500 && !fake->running && !fake->handler_fails; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (fake->handler != nullptr) {
    fake->control_results.push_back(fake->handler(SERVICE_CONTROL_INTERROGATE, 0, nullptr, nullptr));
    fake->control_results.push_back(fake->handler(SERVICE_CONTROL_PAUSE, 0, nullptr, nullptr));
    fake->control_results.push_back(fake->handler(fake->control, 0, nullptr, nullptr));
  }
  service.join();
  return TRUE;
}
SERVICE_STATUS_HANDLE WINAPI FakeRegisterHandler(LPCSTR, LPHANDLER_FUNCTION_EX handler, LPVOID) {
  if (fake->handler_fails) {
    SetLastError(ERROR_INVALID_NAME);
    return nullptr;
  }
  fake->handler = handler;
  return reinterpret_cast<SERVICE_STATUS_HANDLE>(static_cast<uintptr_t>(0x5e));
}
BOOL WINAPI FakeSetStatus(SERVICE_STATUS_HANDLE h, LPSERVICE_STATUS st) {
  EXPECT_EQ(h, reinterpret_cast<SERVICE_STATUS_HANDLE>(static_cast<uintptr_t>(0x5e)));
  fake->states.push_back(*st);
  if (st->dwCurrentState == SERVICE_RUNNING) fake->running = true;
  return TRUE;
}
HANDLE WINAPI FakeRegisterEventSource(LPCSTR, LPCSTR source) {
  fake->event_source = source;
  return reinterpret_cast<HANDLE>(static_cast<uintptr_t>(0xe1));
}
BOOL WINAPI FakeReportEvent(HANDLE, WORD, WORD, DWORD, PSID, WORD n, DWORD, LPCSTR *strings,
                            LPVOID) {
  if (n == 1) fake->events.push_back(strings[0]);
  return TRUE;
}
BOOL WINAPI FakeDeregisterEventSource(HANDLE) { return TRUE; }
SC_HANDLE WINAPI FakeOpenManager(LPCSTR, LPCSTR, DWORD) {
  ++fake->opened;
  return HANDLE_OF(1);
}
SC_HANDLE WINAPI FakeCreateService(SC_HANDLE, LPCSTR name, LPCSTR, DWORD, DWORD type, DWORD start,
                                   DWORD, LPCSTR path, LPCSTR, LPDWORD, LPCSTR, LPCSTR, LPCSTR) {
  if (fake->create_error) {
    SetLastError(fake->create_error);
    return nullptr;
  }
  EXPECT_EQ(type, static_cast<DWORD>(SERVICE_WIN32_OWN_PROCESS));
  EXPECT_EQ(start, static_cast<DWORD>(SERVICE_AUTO_START));
  fake->created_name = name;
  fake->created_path = path;
  ++fake->opened;
  return HANDLE_OF(2);
}
SC_HANDLE WINAPI FakeOpenService(SC_HANDLE, LPCSTR, DWORD) {
  if (fake->open_error) {
    SetLastError(fake->open_error);
    return nullptr;
  }
  ++fake->opened;
  return HANDLE_OF(3);
}
BOOL WINAPI FakeDeleteService(SC_HANDLE) { return TRUE; }
BOOL WINAPI FakeClose(SC_HANDLE) {
  ++fake->closed;
  return TRUE;
}
DWORD WINAPI FakeModuleFileName(HMODULE, LPSTR path, DWORD size) {
  const char exe[] = "C:\\Program Files\\icmpkit\\icmpkit.exe";
  std::strncpy(path, exe, size);
  return sizeof exe - 1;
}

const ikcli_scm_api fake_api = {
  FakeDispatcher,  FakeRegisterHandler, FakeSetStatus,     FakeRegisterEventSource,
  FakeReportEvent, FakeDeregisterEventSource, FakeOpenManager, FakeCreateService,
  FakeOpenService, FakeDeleteService,   FakeClose,         FakeModuleFileName};

class CliService : public ::testing::Test {
 protected:
  FakeScm scm;
  char msg[256] = "";
  void SetUp() override {
    fake = &scm;
    ikcli__service_set_api(&fake_api);
  }
  void TearDown() override {
    ikcli__service_set_api(nullptr);
    fake = nullptr;
  }
  std::vector<DWORD> States() const {
    std::vector<DWORD> s;
    for (const auto &st : scm.states) s.push_back(st.dwCurrentState);
    return s;
  }
};

// Counts 10 ms ticks until stopped, then returns *arg.
int CountingBody(const ikcli_service_ctx *ctx, void *arg) {
  int ticks = 0;
  ctx->log("counting");
  while (!*ctx->stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ++ticks;
  }
  return *static_cast<int *>(arg);
}

TEST_F(CliService, StopEndsTheBodyAndReportsEachStateWithItsExitCode) {
  int status = 3;
  EXPECT_EQ(ikcli_service_run("icmpkit-monitor", CountingBody, &status, msg, sizeof msg), 3) << msg;
  EXPECT_EQ(States(), (std::vector<DWORD>{SERVICE_START_PENDING, SERVICE_RUNNING,
                                          SERVICE_STOP_PENDING, SERVICE_STOPPED}));
  const SERVICE_STATUS &running = scm.states[1], &stopped = scm.states.back();
  EXPECT_EQ(running.dwControlsAccepted,
            static_cast<DWORD>(SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN));
  EXPECT_EQ(running.dwServiceType, static_cast<DWORD>(SERVICE_WIN32_OWN_PROCESS));
  EXPECT_EQ(stopped.dwWin32ExitCode, static_cast<DWORD>(ERROR_SERVICE_SPECIFIC_ERROR));
  EXPECT_EQ(stopped.dwServiceSpecificExitCode, 3u);
  EXPECT_EQ(stopped.dwControlsAccepted, 0u);
  EXPECT_GT(scm.states[2].dwWaitHint, 0u);  // stop pending: the SCM waits for it
  EXPECT_EQ(scm.control_results,
            (std::vector<DWORD>{NO_ERROR, ERROR_CALL_NOT_IMPLEMENTED, NO_ERROR}));
}

TEST_F(CliService, ShutdownEndsTheBodyCleanly) {
  int status = 0;
  scm.control = SERVICE_CONTROL_SHUTDOWN;
  EXPECT_EQ(ikcli_service_run("icmpkit-monitor", CountingBody, &status, msg, sizeof msg), 0) << msg;
  ASSERT_EQ(States().back(), static_cast<DWORD>(SERVICE_STOPPED));
  EXPECT_EQ(scm.states.back().dwWin32ExitCode, static_cast<DWORD>(NO_ERROR));
  EXPECT_EQ(States()[2], static_cast<DWORD>(SERVICE_STOP_PENDING));
}

TEST_F(CliService, LinesGoToTheEventLogUnderTheServiceName) {
  int status = 0;
  ASSERT_EQ(ikcli_service_run("icmpkit-monitor", CountingBody, &status, msg, sizeof msg), 0);
  EXPECT_EQ(scm.event_source, "icmpkit-monitor");
  EXPECT_EQ(scm.events,
            (std::vector<std::string>{"started", "counting", "stopped (status 0)"}));
}

TEST_F(CliService, AProcessTheScmDidNotStartIsToldSo) {
  int status = 0;
  scm.dispatcher_error = ERROR_FAILED_SERVICE_CONTROLLER_CONNECT;
  EXPECT_EQ(ikcli_service_run("icmpkit-monitor", CountingBody, &status, msg, sizeof msg), -1);
  EXPECT_STREQ(msg,
               "icmpkit-monitor: --service is for the Service Control Manager (sc.exe start "
               "icmpkit-monitor), which did not start this process");
  EXPECT_TRUE(scm.states.empty());
}

TEST_F(CliService, AFailingDispatcherOrHandlerRegistrationIsReported) {
  int status = 0;
  scm.dispatcher_error = ERROR_INVALID_DATA;
  EXPECT_EQ(ikcli_service_run("svc", CountingBody, &status, msg, sizeof msg), -1);
  EXPECT_EQ(std::string(msg).substr(0, 36), "svc: the service dispatcher failed: ") << msg;
  scm.dispatcher_error = 0;
  scm.handler_fails = true;
  EXPECT_EQ(ikcli_service_run("svc", CountingBody, &status, msg, sizeof msg), -1);
  EXPECT_EQ(std::string(msg).substr(0, 50),
            "svc: cannot register the service's control handler")
      << msg;
  EXPECT_TRUE(scm.states.empty());  // the body never ran
}

TEST_F(CliService, InstallRunsThisExecutableQuotedWithTheArguments) {
  EXPECT_EQ(ikcli_service_install("icmpkit-monitor", "monitor --service --config C:\\m.yml", msg,
                                  sizeof msg),
            0)
      << msg;
  EXPECT_EQ(scm.created_name, "icmpkit-monitor");
  EXPECT_EQ(scm.created_path,
            "\"C:\\Program Files\\icmpkit\\icmpkit.exe\" monitor --service --config C:\\m.yml");
  EXPECT_EQ(scm.closed, scm.opened);
}

TEST_F(CliService, InstallAndUninstallNameTheScmsRefusal) {
  scm.create_error = ERROR_SERVICE_EXISTS;
  EXPECT_EQ(ikcli_service_install("svc", "monitor", msg, sizeof msg), -1);
  EXPECT_STREQ(msg, "svc: cannot install the service: a service of that name exists");
  scm.create_error = ERROR_ACCESS_DENIED;
  EXPECT_EQ(ikcli_service_install("svc", "monitor", msg, sizeof msg), -1);
  EXPECT_STREQ(msg, "svc: cannot install the service: access denied (run it as an administrator)");
  EXPECT_EQ(ikcli_service_uninstall("svc", msg, sizeof msg), 0) << msg;
  scm.open_error = ERROR_SERVICE_DOES_NOT_EXIST;
  EXPECT_EQ(ikcli_service_uninstall("svc", msg, sizeof msg), -1);
  EXPECT_STREQ(msg, "svc: cannot remove the service: no service of that name");
  EXPECT_EQ(scm.closed, scm.opened);
}

}  // namespace

#else  // not Windows

namespace {

int NeverRuns(const ikcli_service_ctx *, void *) {
  ADD_FAILURE() << "the body ran";
  return 0;
}

TEST(CliService, RunningUnderAServiceManagerIsWindowsOnly) {
  char msg[512] = "";
  EXPECT_EQ(ikcli_service_run("icmpkit-monitor", NeverRuns, nullptr, msg, sizeof msg), -1);
  EXPECT_NE(std::strstr(msg, "not supported here (Windows only)"), nullptr) << msg;
}

TEST(CliService, InstallAndUninstallPointAtTheSystemdUnit) {
  char msg[512] = "";
  EXPECT_EQ(ikcli_service_install("icmpkit-monitor", "monitor", msg, sizeof msg), -1);
  EXPECT_NE(std::strstr(msg, "systemctl enable --now icmpkit-monitor"), nullptr) << msg;
  EXPECT_EQ(ikcli_service_uninstall("icmpkit-monitor", msg, sizeof msg), -1);
  EXPECT_NE(std::strstr(msg, "systemctl disable --now icmpkit-monitor"), nullptr) << msg;
}

}  // namespace

#endif
