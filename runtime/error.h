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
