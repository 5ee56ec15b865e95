/* error.c - error codes, their strings and the thread-local last-error message. */
#include "grt_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[512];

GRT_EXPORT const char *grt_strerror(int err) {
  switch (err) {
  case GRT_OK: return "success";
  case GRT_EINVAL: return "invalid argument";
  case GRT_ENOMEM: return "insufficient resources (memory budget)";
  case GRT_ENOTFOUND: return "not found (task, library or reduction operator)";
  case GRT_ESTATE: return "wrong state (destroyed object or finalized runtime)";
  case GRT_EUNSUPPORTED: return "unsupported";
  case GRT_EDIVERGED: return "ranks issued different operations";
  case GRT_ECOMM: return "communication failure";
  case GRT_ETASK: return "a task failed";
  default: return "unknown error";
  }
}

GRT_EXPORT const char *grt_last_error(void) { return last_error; }

_Thread_local const char *grt__task_body __attribute__((tls_model("initial-exec")));

int grt__task_guard_fail(const char *fn) {
  return grt__error(GRT_ESTATE,
                    "%s: called from inside a task body (task '%s'); task bodies may only call "
                    "grt_task_* functions and pure queries (types, grt_strerror, grt_last_error)",
                    fn, grt__task_body);
}

void grt__error_clear(void) { last_error[0] = '\0'; }

/* Formats into a scratch buffer first, so a message may quote the previous
 * one (grt__error(rc, "%s: %s", fn, grt_last_error())). */
int grt__error(int code, const char *fmt, ...) {
  char buf[sizeof last_error];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  memcpy(last_error, buf, sizeof buf);
  return code;
}
