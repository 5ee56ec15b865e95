/* redop.h - reduction operators: the built-in ones on every numeric type, and custom ones. */
#ifndef GRT_REDOP_H
#define GRT_REDOP_H

#include "grt.h"

/* A custom operator (grt_redop_register), in rt->redops. Registered on the
 * application thread before the launches that use it; read by any thread. */
struct grt_redop_info {
  int id;                         /* >= GRT_REDOP_CUSTOM */
  const grt_type_t *type;
  void *identity;
  grt_fold_fn fold;
};

/* Identity element of (op, type) into @p identity (type size bytes) and the
 * fold; GRT_ENOTFOUND / GRT_EINVAL if op is unknown or not defined on type. */
int grt__redop_lookup(grt_runtime_t *rt, int op, const grt_type_t *type, const void **identity,
                      grt_fold_fn *fold);
/* Frees the custom operators (grt_finalize). */
void grt__redop_free_all(grt_runtime_t *rt);

#endif
