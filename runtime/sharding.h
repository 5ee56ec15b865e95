/* sharding.h - which rank runs each point of a launch: blocks of consecutive
 * points (the default), or a library mapper's function. Replicated: every
 * rank computes the same answer from the same inputs, so the owner of a
 * point (and of the tile it writes) is known everywhere without asking.
 */
#ifndef GRT_SHARDING_H
#define GRT_SHARDING_H

#include <stdint.h>

#include "grt.h"

/* Which rank runs each point of a launch: blocks of consecutive points, or
 * a library mapper's function. */
typedef int (*grt_shard_fn)(void *data, int task_id, int ndim, const int64_t *point,
                            const int64_t *shape, int nranks);
typedef struct grt_sharding {
  grt_shard_fn fn;                 /* NULL: block */
  void *data;
  int task_id;
  int ndim;
  int64_t shape[GRT_MAX_DIM];
  int npoints, nranks;
} grt_sharding_t;

/* The rank of linear point @p p (a mapper's out-of-range answer is refused
 * at submission; here it is clamped). */
int grt__sharding_rank(const grt_sharding_t *s, int64_t p);
/* The points of @p rank lie in [*lo, *hi): exactly them for block sharding,
 * every point (to be checked one by one) for a mapper's. */
void grt__sharding_range(const grt_sharding_t *s, int rank, int64_t *lo, int64_t *hi);

/* The coordinates of linear point @p p of an @p ndim-dimensional launch of
 * @p shape (row-major: the last dimension varies fastest). The one place
 * a launch point's colour is computed from its index. */
static inline void grt__sharding_point(int ndim, const int64_t *shape, int64_t p, int64_t *point) {
  for (int d = ndim - 1; d >= 0; d--) {
    point[d] = p % shape[d];
    p /= shape[d];
  }
}

#endif
