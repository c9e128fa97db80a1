/* The Service Control Manager calls service_win32.c makes, as a table a
 * unit test replaces with a fake SCM (tests/unit/test_cli_service.cpp), the
 * way src/win32/icmp_api.h puts iphlpapi behind one. Windows only. */
#ifndef IKCLI_SERVICE_WIN32_H
#define IKCLI_SERVICE_WIN32_H

#include <windows.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ikcli_scm_api {
  BOOL(WINAPI *start_dispatcher)(const SERVICE_TABLE_ENTRYA *table);
  SERVICE_STATUS_HANDLE(WINAPI *register_handler)
  (LPCSTR name, LPHANDLER_FUNCTION_EX handler, LPVOID context);
  BOOL(WINAPI *set_status)(SERVICE_STATUS_HANDLE handle, LPSERVICE_STATUS status);
  HANDLE(WINAPI *register_event_source)(LPCSTR server, LPCSTR source);
  BOOL(WINAPI *report_event)
  (HANDLE log, WORD type, WORD category, DWORD id, PSID user, WORD nstrings, DWORD datalen,
   LPCSTR *strings, LPVOID data);
  BOOL(WINAPI *deregister_event_source)(HANDLE log);
  SC_HANDLE(WINAPI *open_manager)(LPCSTR machine, LPCSTR database, DWORD access);
  SC_HANDLE(WINAPI *create_service)
  (SC_HANDLE manager, LPCSTR name, LPCSTR display, DWORD access, DWORD type, DWORD start,
   DWORD error_control, LPCSTR path, LPCSTR group, LPDWORD tag, LPCSTR dependencies, LPCSTR user,
   LPCSTR password);
  SC_HANDLE(WINAPI *open_service)(SC_HANDLE manager, LPCSTR name, DWORD access);
  BOOL(WINAPI *delete_service)(SC_HANDLE service);
  BOOL(WINAPI *close_handle)(SC_HANDLE handle);
  DWORD(WINAPI *module_file_name)(HMODULE module, LPSTR path, DWORD size);
} ikcli_scm_api;

/* The table service_win32.c calls from now on; NULL restores the real one. */
void ikcli__service_set_api(const ikcli_scm_api *api);
/* The real table. */
const ikcli_scm_api *ikcli__service_real_api(void);

#ifdef __cplusplus
}
#endif

#endif /* IKCLI_SERVICE_WIN32_H */
