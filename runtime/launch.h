/* launch.h - launches being built: arguments, scalars, constraints, validation. */
#ifndef GRT_LAUNCH_H
#define GRT_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grt.h"
#include "handle.h"
#include "library.h"
#include "op.h"

/* A launch being built (application thread only). Pooled (handle.h): the
 * handle goes stale at submit or destroy, and the memory (with its scalar
 * buffer) is reused by the next grt_launch_create. */
struct grt_launch {
  grt_hdr_t hdr;                 /* first: pooled, generation-tagged handle */
  grt_runtime_t *rt;
  grt_library_t *lib;
  const grt_task_info_t *task;
  bool manual;
  int launch_ndim;
  int64_t launch_shape[GRT_MAX_DIM];
  int nargs;
  grt_arg_t args[GRT_MAX_ARGS];
  int nscalars;
  grt_scalar_t scalars[GRT_MAX_SCALARS];
  unsigned char *sbuf;           /* scalar bytes */
  size_t sbuf_size, sbuf_cap;
  const grt_type_t *result_type;
  int result_redop;              /* -1: no reduction of point results */
  int error;                     /* first error recorded while building */
  char errmsg[256];              /* and its message */
};

/* Releases the launch's handle and references; its memory goes back to the pool. */
void grt__launch_free(grt_launch_t *l);
/* The launch behind the application's handle @p h (see grt__handle_get).
 * Does not look at the runtime: calls that use it check it (submit). */
static inline int grt__launch_get(grt_launch_t *h, const char *fn, grt_launch_t **out) {
  void *obj;
  int rc = grt__handle_get(h, GRT_HK_LAUNCH, fn, "launch", &obj);
  *out = obj;
  return rc;
}
/* grt_launch_add_input/output/inout (by @p priv) for runtime code: @p s is
 * a store object, not a handle. */
int grt__launch_add_store(grt_launch_t *h, grt_store_t *s, grt_privilege_t priv, const char *fn);

#endif
