/* A job's names, looked up before its kind starts. The asynchronous calls
 * look up every name that needs DNS at once (ik__resolve_start: the loop
 * is never blocked) and begin the job when the last answers; literals and
 * the special names need no lookup and are left to ik__job_resolve, as all
 * names are for the synchronous calls (the blocking system resolver). */
#include <stdlib.h>
#include <string.h>

#include "probe/engine.h"
#include "resolve.h"

typedef struct ik__name {
  ik_job *job;
  ik__lookup *lookup; /* while it waits */
  int looked_up;      /* the name needed DNS: err/addr/detail are its answer */
  int err;
  ik_address addr;
  char *detail; /* err's ik_last_error() */
} ik__name;

struct ik__job_names {
  char **addresses; /* copies: the caller's may be gone when the job begins */
  size_t n, left;   /* left: lookups waiting */
  void *results;
  char *source; /* copy of opts.source, which the job reads when it begins */
  ik__name *names;
};

static char *copy(const char *s) {
  char *c;
  size_t len;
  if (s == NULL)
    return NULL;
  len = strlen(s) + 1;
  if ((c = (char *)malloc(len)) != NULL)
    memcpy(c, s, len);
  return c;
}

void ik__job_names_free(ik_job *job) {
  ik__job_names *nm = job->names;
  size_t i;
  if (nm == NULL)
    return;
  job->names = NULL;
  for (i = 0; i < nm->n; i++) {
    if (nm->names != NULL) {
      ik__lookup_cancel(nm->names[i].lookup);
      free(nm->names[i].detail);
    }
    if (nm->addresses != NULL)
      free(nm->addresses[i]);
  }
  free(nm->names);
  free(nm->addresses);
  if (job->opts.source == nm->source)
    job->opts.source = NULL;
  free(nm->source);
  free(nm);
}

static void answered(int status, const ik_address *addrs, size_t n, void *arg) {
  ik__name *name = (ik__name *)arg;
  ik_job *job = name->job;
  (void)n;
  name->lookup = NULL;
  name->err = status;
  if (status == 0)
    name->addr = addrs[0];
  else if ((name->detail = copy(ik_last_error())) == NULL)
    name->err = IK_ENOMEM;
  if (--job->names->left == 0)
    ik__job_names_ready(job, (const char *const *)job->names->addresses, job->names->n,
                        job->names->results);
}

/* The copies, and a lookup for each name that needs DNS. */
static int look_up(ik_job *job, ik__job_names *nm, const char *const *addresses) {
  size_t i;
  int err;
  if (job->opts.source != NULL) {
    if ((nm->source = copy(job->opts.source)) == NULL)
      return ik__fail(IK_ENOMEM, "no memory for the source address");
    job->opts.source = nm->source;
  }
  for (i = 0; i < nm->n; i++) {
    ik__name *name = &nm->names[i];
    ik_address a;
    size_t found;
    name->job = job;
    if (addresses[i] == NULL)
      continue;
    if ((nm->addresses[i] = copy(addresses[i])) == NULL)
      return ik__fail(IK_ENOMEM, "no memory for %zu names", nm->n);
    if (ik__resolve_check("the job", addresses[i], job->opts.family, 1) != 0 ||
        ik__resolve_local(addresses[i], job->opts.family, &a, 1, &found) != IK__RESOLVE_DNS)
      continue;
    if ((err = ik__resolve_start(job->base, addresses[i], job->opts.family, 1, answered, name,
                                 &name->lookup)) != 0)
      return err;
    name->looked_up = 1;
    nm->left++;
  }
  return 0;
}

static int needs_dns(const char *const *addresses, size_t n, int family) {
  size_t i, found;
  ik_address a;
  for (i = 0; i < n; i++)
    if (addresses[i] != NULL && ik__resolve_check("the job", addresses[i], family, 1) == 0 &&
        ik__resolve_local(addresses[i], family, &a, 1, &found) == IK__RESOLVE_DNS)
      return 1;
  return 0;
}

int ik__job_names_start(ik_job *job, const char *const *addresses, size_t n, void *results) {
  ik__job_names *nm;
  int err;
  if (!needs_dns(addresses, n, job->opts.family))
    return 0;
  if ((nm = (ik__job_names *)calloc(1, sizeof *nm)) == NULL)
    return ik__fail(IK_ENOMEM, "no memory for %zu names", n);
  job->names = nm;
  nm->n = n;
  nm->results = results;
  if ((nm->addresses = (char **)calloc(n, sizeof *nm->addresses)) == NULL ||
      (nm->names = (ik__name *)calloc(n, sizeof *nm->names)) == NULL) {
    ik__job_names_free(job);
    return ik__fail(IK_ENOMEM, "no memory for %zu names", n);
  }
  if ((err = look_up(job, nm, addresses)) != 0) {
    ik__job_names_free(job);
    return err;
  }
  return 0;
}

int ik__job_resolve(ik_job *job, size_t i, const char *name, ik_address *dst, char *text,
                    size_t len) {
  size_t found = 0;
  int err;
  if (name == NULL)
    return ik__fail(IK_ENAMELOOKUP, "the address is NULL");
  if (job->names != NULL && job->names->names[i].looked_up) {
    const ik__name *nm = &job->names->names[i];
    if (nm->err != 0)
      return ik__fail(nm->err, "%s", nm->detail != NULL ? nm->detail : "no memory");
    *dst = nm->addr;
    found = 1;
    err = 0;
  } else if ((err = ik_resolve(name, job->opts.family, dst, 1, &found)) == 0 && found == 0) {
    err = ik__fail(IK_ENAMELOOKUP, "cannot resolve '%.200s'", name);
  }
  if (err == 0 && text != NULL)
    err = ik_address_format(dst, text, len);
  return err == IK_EADDRFORMAT ? IK_ENAMELOOKUP : err;
}
