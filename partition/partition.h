/* partition.h - partitions of stores and the solver that picks them for a launch.
 *
 * A partition splits a store (in the store's own coordinates) into a grid of
 * tiles: colour c covers [c*tile - low, (c+1)*tile - 1 + high], clipped to
 * the store. Without a halo the tiles are disjoint and cover the store; with
 * one (bloat) neighbouring tiles overlap by the halo. A broadcast "partition"
 * gives every colour the whole store.
 */
#ifndef GRT_PARTITION_H
#define GRT_PARTITION_H

#include <stdbool.h>
#include <stdint.h>

#include "grt.h"
#include "rect.h"
#include "handle.h"

typedef enum { GRT_PART_TILED, GRT_PART_BROADCAST } grt_part_kind_t;

/* The geometry of a partition, independent of any store handle. */
typedef struct grt_tiling {
  grt_part_kind_t kind;
  int ndim;                         /* the store's ndim */
  int64_t shape[GRT_MAX_DIM];       /* the store's shape */
  int64_t tile[GRT_MAX_DIM];        /* tile extent per dim (>= 1) */
  int64_t colors[GRT_MAX_DIM];      /* number of tiles per dim */
  int64_t low[GRT_MAX_DIM], high[GRT_MAX_DIM]; /* halo (>= 0) */
} grt_tiling_t;

/* The public partition object: a tiling of one store handle's shape. It
 * holds a reference on the store's root, so the store may be destroyed first.
 * Pooled per runtime; the handle goes stale at destroy (handle.h). */
struct grt_partition {
  grt_hdr_t hdr;                    /* first: pooled, generation-tagged handle */
  grt_tiling_t tiling;
  struct grt_store_root *root;
  uint64_t root_id;
};

/* The partition behind the application's handle @p h, for @p fn: 0, or
 * GRT_EINVAL / GRT_ESTATE (stale, or called from a task body) naming it. */
int grt__partition_get(const grt_partition_t *h, const char *fn, const grt_partition_t **out);

/* Fills @p t as a tiling of @p shape with tile extents @p tile (halo may be
 * NULL). Returns 0 or GRT_EINVAL naming the bad argument (for @p fn). */
int grt__tiling_make(grt_tiling_t *t, int ndim, const int64_t *shape, const int64_t *tile,
                     const int64_t *low, const int64_t *high, const char *fn);
void grt__tiling_broadcast(grt_tiling_t *t, int ndim, const int64_t *shape);

/* Rectangle (store coordinates) of colour @p color; empty rects are possible
 * when the store is smaller than the colour grid. For a broadcast tiling the
 * colour is ignored. */
void grt__tiling_rect(const grt_tiling_t *t, const int64_t *color, grt_rect_t *out);

/* True when two tilings give identical rectangles for every colour. */
bool grt__tiling_equal(const grt_tiling_t *a, const grt_tiling_t *b);

/* Splits @p nprocs into a colour grid over @p shape (ndim dims): the product
 * of colors is <= nprocs, larger dims split first (the innermost, contiguous
 * dim counts 1/8 of its extent, so outer dims are cut first), no dim gets more
 * colours than its extent. Writes colors and returns their product. */
int64_t grt__colors_for(int ndim, const int64_t *shape, int nprocs, int64_t *colors);

/* ---- the auto-launch solver ---- */

#define GRT_SOLVER_MAX_ARGS 64

typedef struct grt_solver_arg {
  int ndim;
  int64_t shape[GRT_MAX_DIM];
  size_t elem_size;
  bool writes;                  /* WRITE, READ_WRITE or REDUCE */
  bool broadcast;               /* constraint */
  int align_to;                 /* -1, or an arg index it must share tiles with */
  int bloat_base;               /* -1, or the base arg whose tiles it takes, with halo */
  int64_t low[GRT_MAX_DIM], high[GRT_MAX_DIM];
  const grt_tiling_t *preferred; /* the store's current tiling if any, else NULL */
} grt_solver_arg_t;

typedef struct grt_solution {
  int launch_ndim;
  int64_t launch_shape[GRT_MAX_DIM];
  grt_tiling_t tilings[GRT_SOLVER_MAX_ARGS];
} grt_solution_t;

/* Chooses the launch domain and a tiling per argument for an auto launch on
 * @p nprocs processors. A launch whose largest store has fewer than
 * @p min_chunk bytes runs as one point with every store whole. @p hint, if not
 * NULL, may propose the colour grid for the key store (returning < 0 declines).
 * Returns 0 or GRT_EINVAL (inconsistent constraints, message names them). */
int grt__solve(const grt_solver_arg_t *args, int nargs, int nprocs, size_t min_chunk,
               int (*hint)(void *data, int ndim, const int64_t *shape, int nprocs,
                           int64_t *colors),
               void *hint_data, grt_solution_t *out);

#endif
