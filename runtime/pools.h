/* pools.h - the runtime's handle pools, one per handle kind (handle.h). */
#ifndef GRT_POOLS_H
#define GRT_POOLS_H

#include <stdbool.h>
#include <stddef.h>

#include "grt.h"
#include "handle.h"

/* grt_runtime.pools[kind]: grt__pool_take / grt__pool_give for code that
 * holds the runtime (mappings). Any thread. */
void *grt__pools_get(grt_runtime_t *rt, grt_handle_kind_t kind, size_t size, bool *fresh);
void grt__pools_put(grt_runtime_t *rt, void *obj);
/* Objects of @p kind allocated so far, free or not (tests). */
size_t grt__pools_objects(const grt_runtime_t *rt, grt_handle_kind_t kind);
/* At finalize: frees every pooled (free) object and what it owns (a
 * launch's scalar buffer, a future's lock). Objects the application still
 * holds are left to it (their handles then report the finalized runtime). */
void grt__pools_free(grt_runtime_t *rt);
/* At init, before anything can fail: the pools' locks. */
void grt__pools_init(grt_runtime_t *rt);
/* Frees one released object directly (its runtime is already finalized). */
void grt__pools_free_one(void *obj);

#endif
