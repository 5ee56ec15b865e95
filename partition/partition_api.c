/* partition_api.c - the public partition objects (tilings of a store). */
#include "partition.h"

#include <stdlib.h>
#include <string.h>

#include "grt_error.h"
#include "store.h"

static int make(grt_store_t *h, const int64_t *tile, const int64_t *low, const int64_t *high,
                grt_partition_t **out, const char *fn) {
  if (!out) return grt__error(GRT_EINVAL, "%s: out is NULL", fn);
  *out = NULL;
  grt_store_t *s;
  int rc = grt__store_get(h, fn, "store", &s);
  if (rc < 0) return rc;
  if (!grt__root_live(s->root)) /* the pool went with it */
    return grt__error(GRT_ESTATE, "%s: store: its runtime is already finalized", fn);
  grt_tiling_t t;
  if ((rc = grt__tiling_make(&t, s->ndim, s->shape, tile, low, high, fn)) < 0) return rc;
  bool fresh;
  grt_pool_t *pool = &s->root->ctx->pools[GRT_HK_PARTITION];
  grt_partition_t *p = grt__pool_take(pool, GRT_HK_PARTITION, sizeof *p, &fresh);
  if (!p) return grt__error(GRT_ENOMEM, "%s: out of host memory", fn);
  p->tiling = t;
  p->root = s->root;
  p->root_id = s->root->id;
  grt__root_acquire(s->root);
  *out = grt__handle_of(p);
  return 0;
}

int grt__partition_get(const grt_partition_t *h, const char *fn, const grt_partition_t **out) {
  void *obj;
  int rc = grt__handle_get(h, GRT_HK_PARTITION, fn, "partition", &obj);
  *out = obj;
  return rc;
}

GRT_EXPORT int grt_partition_tiling(grt_store_t *s, const int64_t *tile_shape, grt_partition_t **out) {
  return make(s, tile_shape, NULL, NULL, out, "grt_partition_tiling");
}

GRT_EXPORT int grt_partition_tiling_halo(grt_store_t *s, const int64_t *tile_shape, const int64_t *low,
                                         const int64_t *high, grt_partition_t **out) {
  const char *fn = "grt_partition_tiling_halo";
  if (!low || !high) {
    if (out) *out = NULL;
    return grt__error(GRT_EINVAL, "%s: %s is NULL", fn, !low ? "low" : "high");
  }
  return make(s, tile_shape, low, high, out, fn);
}

GRT_EXPORT int grt_partition_colors(const grt_partition_t *h, int64_t *colors) {
  const grt_partition_t *p;
  int rc = grt__partition_get(h, "grt_partition_colors", &p);
  if (rc < 0) return rc;
  if (!colors) return grt__error(GRT_EINVAL, "grt_partition_colors: colors is NULL");
  memcpy(colors, p->tiling.colors, sizeof(int64_t) * (size_t)p->tiling.ndim);
  return p->tiling.ndim;
}

/* The handle goes stale now; a stale one only sets the message. After
 * grt_finalize the memory goes back to malloc (there is no pool; a
 * partition object owns nothing else). */
GRT_EXPORT void grt_partition_destroy(grt_partition_t *h) {
  const grt_partition_t *cp;
  if (!h || grt__partition_get(h, "grt_partition_destroy", &cp) < 0) return;
  grt_partition_t *p = (grt_partition_t *)cp;
  grt_store_root_t *root = p->root;
  grt__handle_release(p);
  p->root = NULL;
  if (grt__root_live(root))
    grt__pool_give(&root->ctx->pools[GRT_HK_PARTITION], p);
  else
    free(p);
  grt__root_release(root);
}
