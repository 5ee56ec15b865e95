/* store_api.h - the public store calls that take a runtime, and the runtime's liveness.
 *
 * store_api.c hands &rt->store_ctx to the store layer (store.h), which
 * never sees grt_runtime_t's fields. A runtime is live while its store
 * context is open (store_ctx.h), so the checks every entry point makes
 * live here too, below every module that takes a runtime from the
 * application.
 */
#ifndef GRT_STORE_API_H
#define GRT_STORE_API_H

#include <stdbool.h>
#include <stdint.h>

#include "grt.h"

/* grt_store_create naming @p fn (the public caller) in error messages. */
int grt__store_api_create_named(const char *fn, grt_runtime_t *rt, const grt_type_t *type,
                            int ndim, const int64_t *shape, grt_store_t **out);
/* Every entry point that acts on a runtime calls this first: 0, or the
 * error (a NULL or finalized runtime, a call from inside a task body, see
 * grt_error.h) with a message naming @p argname. */
int grt__store_api_check(const grt_runtime_t *rt, const char *argname);
/* The runtime is alive (no error message, touches nothing behind @p rt). */
bool grt__store_api_live(const grt_runtime_t *rt);

#endif
