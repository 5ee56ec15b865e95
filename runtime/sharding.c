/* sharding.c - which rank runs each point of a launch. */
#include "sharding.h"

int grt__sharding_rank(const grt_sharding_t *s, int64_t p) {
  if (!s->fn) return (int)(p * s->nranks / s->npoints);
  int64_t point[GRT_MAX_DIM] = {0};
  grt__sharding_point(s->ndim, s->shape, p, point);
  int r = s->fn(s->data, s->task_id, s->ndim, point, s->shape, s->nranks);
  return r < 0 ? 0 : r >= s->nranks ? s->nranks - 1 : r;
}

void grt__sharding_range(const grt_sharding_t *s, int rank, int64_t *lo, int64_t *hi) {
  if (s->fn) {
    *lo = 0;
    *hi = s->npoints;
    return;
  }
  *lo = ((int64_t)rank * s->npoints + s->nranks - 1) / s->nranks;
  *hi = ((int64_t)(rank + 1) * s->npoints + s->nranks - 1) / s->nranks;
}
