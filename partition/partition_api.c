/* partition_api.c - the public partition objects (tilings of a store). */
#include "partition.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store.h"

static int make(grt_store_t *s, const int64_t *tile, const int64_t *low, const int64_t *high,
                grt_partition_t **out, const char *fn) {
  if (!out) return grt__error(GRT_EINVAL, "%s: out is NULL", fn);
  *out = NULL;
  int rc = grt__store_check(s, "store");
  if (rc < 0) return grt__error(rc, "%s: %s", fn, grt_last_error());
  grt_partition_t *p = calloc(1, sizeof *p);
  if (!p) return grt__error(GRT_ENOMEM, "%s: out of host memory", fn);
  if ((rc = grt__tiling_make(&p->tiling, s->ndim, s->shape, tile, low, high, fn)) < 0) {
    free(p);
    return rc;
  }
  p->magic = GRT_PARTITION_MAGIC;
  p->root = s->root;
  p->root_id = s->root->id;
  grt__root_acquire(s->root);
  *out = p;
  return 0;
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

GRT_EXPORT int grt_partition_colors(const grt_partition_t *p, int64_t *colors) {
  if (!p || p->magic != GRT_PARTITION_MAGIC)
    return grt__error(GRT_EINVAL, "grt_partition_colors: partition is NULL or destroyed");
  if (!colors) return grt__error(GRT_EINVAL, "grt_partition_colors: colors is NULL");
  memcpy(colors, p->tiling.colors, sizeof(int64_t) * (size_t)p->tiling.ndim);
  return p->tiling.ndim;
}

GRT_EXPORT void grt_partition_destroy(grt_partition_t *p) {
  if (!p || p->magic != GRT_PARTITION_MAGIC) return;
  p->magic = 0;
  grt__root_release(p->root);
  free(p);
}
