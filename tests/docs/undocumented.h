/* Fixture for the docs check (tests/docs/expect-undocumented): a header
 * whose public symbols, one of each kind, are absent from docs/api.md.
 * Never installed, never compiled. */
#ifndef ICMPKIT_FIXTURE_UNDOCUMENTED_H
#define ICMPKIT_FIXTURE_UNDOCUMENTED_H

#define IK__FIXTURE_INTERNAL 1 /* internal: must not be reported */

/* Documented in docs/api.md: must not be reported. */
IK_EXTERN const char *ik_version(void);

IK_EXTERN int ik_fixture_undocumented_function(int flags,
                                              const char *name);
#define IK_FIXTURE_UNDOCUMENTED_MACRO 42
enum { IK_FIXTURE_UNDOCUMENTED_VALUE = 7 };
typedef struct ik_fixture_undocumented_type {
  int field;
  struct { int inner; } nested; /* must not hide the typedef's name */
} ik_fixture_undocumented_type;
typedef void (*ik_fixture_undocumented_callback)(int err, void *arg);

#endif
