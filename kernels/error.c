/* error.c - the kernels library's thread-local error message. */
#include <stdarg.h>
#include <stdio.h>

#include "kernels_internal.h"

static _Thread_local char last_error[512];

GRTK_EXPORT const char *grtk_last_error(void) { return last_error; }

int grtk__error(int code, const char *fn, const char *fmt, ...) {
  int n = snprintf(last_error, sizeof last_error, "%s: ", fn);
  if (n < 0 || (size_t)n >= sizeof last_error) return code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error + n, sizeof last_error - (size_t)n, fmt, ap);
  va_end(ap);
  return code;
}

int grtk__pass(int code, const char *fn) {
  /* grt_last_error() is thread-local too; copy it before formatting. */
  char msg[sizeof last_error];
  snprintf(msg, sizeof msg, "%s", grt_last_error());
  return grtk__error(code, fn, "%s (%s)", msg[0] ? msg : "grt call failed", grt_strerror(code));
}
