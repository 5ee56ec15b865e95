/* error.h - error reporting shared by every layer: codes + thread-local message. */
#ifndef GRT_ERROR_H
#define GRT_ERROR_H

#include "grt.h"

/* Records a formatted message as the calling thread's last error and returns
 * @p code, so callers write `return grt__error(GRT_EINVAL, "shape[%d] ...", i);`.
 * The message should name the bad argument. */
int grt__error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clears the calling thread's last error. */
void grt__error_clear(void);

/* The name of the task whose body the calling thread is running, NULL
 * outside a body (runtime/op.c sets it around each body). Task bodies may call
 * only grt_task_* and pure functions: every other entry point calls
 * grt__task_guard first (through grt__store_api_check, grt__store_get or
 * grt__handle_get), before it touches any handle, so an in-task call
 * changes nothing and records nothing for the divergence check. */
extern _Thread_local const char *grt__task_body __attribute__((tls_model("initial-exec")));
/* Sets the message and returns GRT_ESTATE (for grt__task_guard). */
int grt__task_guard_fail(const char *fn);
/* 0 outside a task body; GRT_ESTATE naming @p fn and the task inside one. */
static inline int grt__task_guard(const char *fn) {
  return __builtin_expect(grt__task_body != NULL, 0) ? grt__task_guard_fail(fn) : 0;
}

/* Internal invariants: checked in debug and test builds, compiled out with
 * NDEBUG. User input is validated with explicit checks, never with this. */
#ifndef NDEBUG
#include <stdio.h>
#include <stdlib.h>
#define GRT_API_CHECK(cond)                                                    \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "grt: internal check failed: %s (%s:%d)\n", #cond,       \
              __FILE__, __LINE__);                                             \
      abort();                                                                 \
    }                                                                          \
  } while (0)
#else
#define GRT_API_CHECK(cond) ((void)0)
#endif

#define GRT_UNUSED(x) ((void)(x))

#endif
