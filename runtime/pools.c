/* pools.c - the runtime's handle pools (pools.h) and what pooled launches and futures own. */
#include "pools.h"

#include <stdlib.h>

#include "future.h"
#include "launch.h"
#include "runtime.h"

void *grt__pools_get(grt_runtime_t *rt, grt_handle_kind_t kind, size_t size, bool *fresh) {
  return grt__pool_take(&rt->pools[kind], kind, size, fresh);
}

void grt__pools_put(grt_runtime_t *rt, void *obj) {
  grt__pool_give(&rt->pools[((grt_hdr_t *)obj)->kind], obj);
}

size_t grt__pools_objects(const grt_runtime_t *rt, grt_handle_kind_t kind) {
  return grt__pool_count(&rt->pools[kind]);
}

/* What an object owns besides itself, kept across reuse. */
static void obj_fini(grt_hdr_t *h) {
  switch ((grt_handle_kind_t)h->kind) {
  case GRT_HK_LAUNCH: free(((grt_launch_t *)(void *)h)->sbuf); break;
  case GRT_HK_FUTURE: {
    grt_future_t *f = (grt_future_t *)(void *)h;
    if (f->value != f->inline_value) free(f->value);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    break;
  }
  default: break;
  }
}

void grt__pools_free_one(void *obj) {
  obj_fini(obj);
  free(obj);
}

void grt__pools_init(grt_runtime_t *rt) {
  for (int k = 0; k < GRT_HK_COUNT; k++) grt__pool_init(&rt->pools[k]);
}

void grt__pools_free(grt_runtime_t *rt) {
  for (int k = 0; k < GRT_HK_COUNT; k++) grt__pool_fini(&rt->pools[k], obj_fini);
}
