/* partition.c - tilings, halo tilings, and the auto-launch partition solver. */
#include "partition.h"

#include <string.h>

#include "grt_error.h"

int grt__tiling_make(grt_tiling_t *t, int ndim, const int64_t *shape, const int64_t *tile,
                     const int64_t *low, const int64_t *high, const char *fn) {
  if (!tile) return grt__error(GRT_EINVAL, "%s: tile_shape is NULL", fn);
  memset(t, 0, sizeof *t);
  t->kind = GRT_PART_TILED;
  t->ndim = ndim;
  for (int d = 0; d < ndim; d++) {
    if (tile[d] < 1)
      return grt__error(GRT_EINVAL, "%s: tile_shape[%d] = %lld must be >= 1", fn, d,
                        (long long)tile[d]);
    if (low && low[d] < 0)
      return grt__error(GRT_EINVAL, "%s: low[%d] = %lld must be >= 0", fn, d, (long long)low[d]);
    if (high && high[d] < 0)
      return grt__error(GRT_EINVAL, "%s: high[%d] = %lld must be >= 0", fn, d,
                        (long long)high[d]);
    t->shape[d] = shape[d];
    t->tile[d] = tile[d];
    t->colors[d] = shape[d] == 0 ? 1 : (shape[d] + tile[d] - 1) / tile[d];
    t->low[d] = low ? low[d] : 0;
    t->high[d] = high ? high[d] : 0;
  }
  return 0;
}

void grt__tiling_broadcast(grt_tiling_t *t, int ndim, const int64_t *shape) {
  memset(t, 0, sizeof *t);
  t->kind = GRT_PART_BROADCAST;
  t->ndim = ndim;
  for (int d = 0; d < ndim; d++) {
    t->shape[d] = shape[d];
    t->tile[d] = shape[d] > 0 ? shape[d] : 1;
    t->colors[d] = 1;
  }
}

void grt__tiling_rect(const grt_tiling_t *t, const int64_t *color, grt_rect_t *out) {
  out->ndim = t->ndim;
  for (int d = 0; d < t->ndim; d++) {
    if (t->kind == GRT_PART_BROADCAST) {
      out->lo[d] = 0;
      out->hi[d] = t->shape[d] - 1;
      continue;
    }
    int64_t lo = color[d] * t->tile[d] - t->low[d];
    int64_t hi = (color[d] + 1) * t->tile[d] - 1 + t->high[d];
    if (lo < 0) lo = 0;
    if (hi > t->shape[d] - 1) hi = t->shape[d] - 1;
    out->lo[d] = lo;
    out->hi[d] = hi;
  }
}

bool grt__tiling_equal(const grt_tiling_t *a, const grt_tiling_t *b) {
  if (a->kind != b->kind || a->ndim != b->ndim) return false;
  for (int d = 0; d < a->ndim; d++) {
    if (a->shape[d] != b->shape[d]) return false;
    if (a->kind == GRT_PART_TILED &&
        (a->tile[d] != b->tile[d] || a->low[d] != b->low[d] || a->high[d] != b->high[d]))
      return false;
  }
  return true;
}

/* How much a cut of the innermost dim counts against a cut of an outer one.
 * Stores are row-major, so the innermost dim is the contiguous one: cutting
 * it shortens every contiguous run a task streams through and makes the
 * halo columns strided, while cutting an outer dim costs only halo surface.
 * Measured (docs/partition.md): a 2-D Jacobi sweep on 4096^2 in 2 x 2 tiles
 * of 2049-element rows ran 20-35% slower than in 4 x 1 row blocks, on 1
 * rank and on 4. The innermost extent is divided by this factor when the
 * dims compete for a factor: it is cut only once the outer tiles are thinner
 * than 1/8 of its own. */
#define INNER_CUT_PENALTY 8

int64_t grt__colors_for(int ndim, const int64_t *shape, int nprocs, int64_t *colors) {
  for (int d = 0; d < ndim; d++) colors[d] = 1;
  /* Hand out nprocs' prime factors, largest first, each to the dim whose
   * tiles are currently largest (the innermost weighted down) and can still
   * be split. Ties go to the outer dim. */
  int factors[64], nf = 0;
  int n = nprocs < 1 ? 1 : nprocs;
  for (int p = 2; n > 1 && nf < 64;) {
    if (n % p == 0) {
      factors[nf++] = p;
      n /= p;
    } else {
      p = p == 2 ? 3 : p + 2;
      if ((int64_t)p * p > n && n > 1) {
        factors[nf++] = n;
        n = 1;
      }
    }
  }
  int64_t total = 1;
  for (int i = nf - 1; i >= 0; i--) {
    int best = -1;
    int64_t best_score = -1;
    for (int d = 0; d < ndim; d++) {
      if (colors[d] * factors[i] > shape[d]) continue;
      int64_t score = shape[d] / colors[d];
      if (d == ndim - 1 && ndim > 1) score /= INNER_CUT_PENALTY;
      if (score > best_score) {
        best_score = score;
        best = d;
      }
    }
    if (best < 0) continue;
    colors[best] *= factors[i];
    total *= factors[i];
  }
  return total;
}

/* Tiling of @p a's shape with exactly @p colors tiles per dim. */
static void tile_by_colors(grt_tiling_t *t, int ndim, const int64_t *shape,
                           const int64_t *colors) {
  memset(t, 0, sizeof *t);
  t->kind = GRT_PART_TILED;
  t->ndim = ndim;
  for (int d = 0; d < ndim; d++) {
    t->shape[d] = shape[d];
    int64_t c = colors[d] < 1 ? 1 : colors[d];
    t->tile[d] = shape[d] == 0 ? 1 : (shape[d] + c - 1) / c;
    if (t->tile[d] < 1) t->tile[d] = 1;
    t->colors[d] = c;
  }
}

static bool same_shape(const grt_solver_arg_t *a, const grt_solver_arg_t *b) {
  if (a->ndim != b->ndim) return false;
  for (int d = 0; d < a->ndim; d++)
    if (a->shape[d] != b->shape[d]) return false;
  return true;
}

static int64_t arg_bytes(const grt_solver_arg_t *a) {
  int64_t v = (int64_t)a->elem_size;
  for (int d = 0; d < a->ndim; d++) v *= a->shape[d];
  return v;
}

static void single_point(const grt_solver_arg_t *args, int nargs, grt_solution_t *out) {
  out->launch_ndim = 1;
  out->launch_shape[0] = 1;
  for (int i = 0; i < nargs; i++) grt__tiling_broadcast(&out->tilings[i], args[i].ndim, args[i].shape);
}

/* Root of arg i's align chain (union-find without path compression: tiny n). */
static int align_root(const grt_solver_arg_t *args, int i) {
  int guard = 0;
  while (args[i].align_to >= 0 && guard++ < GRT_SOLVER_MAX_ARGS) i = args[i].align_to;
  return i;
}

int grt__solve(const grt_solver_arg_t *args, int nargs, int nprocs, size_t min_chunk,
               int (*hint)(void *data, int ndim, const int64_t *shape, int nprocs,
                           int64_t *colors),
               void *hint_data, grt_solution_t *out) {
  /* Every field read later is written below; no memset of the (large)
   * solution: this runs once per launch. */
  out->launch_ndim = 1;
  memset(out->launch_shape, 0, sizeof out->launch_shape);
  out->launch_shape[0] = 1;
  if (nargs > GRT_SOLVER_MAX_ARGS)
    return grt__error(GRT_EINVAL, "grt_launch_submit: more than %d store arguments",
                      GRT_SOLVER_MAX_ARGS);
  for (int i = 0; i < nargs; i++) {
    if (args[i].align_to >= 0 && !same_shape(&args[i], &args[args[i].align_to]))
      return grt__error(GRT_EINVAL, "grt_launch_align: arguments %d and %d have different shapes",
                        i, args[i].align_to);
    if (args[i].bloat_base >= 0 && !same_shape(&args[i], &args[args[i].bloat_base]))
      return grt__error(GRT_EINVAL, "grt_launch_bloat: arguments %d and %d have different shapes",
                        i, args[i].bloat_base);
  }
  /* The key store: the largest partitionable store, writers first. */
  int key = -1;
  for (int pass = 0; pass < 2 && key < 0; pass++) {
    int64_t best = -1;
    for (int i = 0; i < nargs; i++) {
      const grt_solver_arg_t *a = &args[i];
      if (a->broadcast || a->bloat_base >= 0) continue;
      if (pass == 0 && !a->writes) continue;
      int64_t b = arg_bytes(a);
      if (b > best) {
        best = b;
        key = i;
      }
    }
  }
  if (key < 0 || nprocs <= 1 || (size_t)arg_bytes(&args[key]) < min_chunk) {
    single_point(args, nargs, out);
    return 0;
  }
  const grt_solver_arg_t *k = &args[key];
  int64_t colors[GRT_MAX_DIM];
  grt_tiling_t key_tiling;
  /* A mapper's tile shape is the library's explicit choice and comes first;
   * then the key store's current tiling (no data moves); then the default. */
  if (hint && hint(hint_data, k->ndim, k->shape, nprocs, colors) == 0) goto have_colors;
  if (k->preferred && k->preferred->kind == GRT_PART_TILED && k->preferred->ndim == k->ndim &&
      memcmp(k->preferred->shape, k->shape, sizeof(int64_t) * (size_t)k->ndim) == 0) {
    int64_t prod = 1;
    for (int d = 0; d < k->ndim; d++) prod *= k->preferred->colors[d];
    if (prod <= nprocs && prod > 1) {
      key_tiling = *k->preferred;
      memset(key_tiling.low, 0, sizeof key_tiling.low);
      memset(key_tiling.high, 0, sizeof key_tiling.high);
      memcpy(colors, key_tiling.colors, sizeof colors);
      goto have_key;
    }
  }
  grt__colors_for(k->ndim, k->shape, nprocs, colors);
have_colors:
  tile_by_colors(&key_tiling, k->ndim, k->shape, colors);
  memcpy(colors, key_tiling.colors, sizeof colors);
  {
    int64_t prod = 1;
    for (int d = 0; d < k->ndim; d++) prod *= colors[d];
    if (prod <= 1) {
      single_point(args, nargs, out);
      return 0;
    }
  }
have_key:
  out->launch_ndim = k->ndim;
  for (int d = 0; d < k->ndim; d++) out->launch_shape[d] = key_tiling.colors[d];
  int key_root = align_root(args, key);
  for (int i = 0; i < nargs; i++) {
    const grt_solver_arg_t *a = &args[i];
    grt_tiling_t *t = &out->tilings[i];
    if (a->broadcast) {
      grt__tiling_broadcast(t, a->ndim, a->shape);
      continue;
    }
    int base = a->bloat_base >= 0 ? a->bloat_base : i;
    const grt_solver_arg_t *b = &args[base];
    bool aligned = align_root(args, base) == key_root || same_shape(b, k);
    if (aligned && b->ndim == k->ndim) {
      *t = key_tiling;
    } else if (b->ndim == k->ndim) {
      tile_by_colors(t, b->ndim, b->shape, colors);
    } else if (!a->writes) {
      grt__tiling_broadcast(t, a->ndim, a->shape);
      continue;
    } else {
      /* A written store that cannot follow the key's grid: run as one point. */
      single_point(args, nargs, out);
      return 0;
    }
    if (a->bloat_base >= 0)
      for (int d = 0; d < a->ndim; d++) {
        t->low[d] = a->low[d];
        t->high[d] = a->high[d];
      }
  }
  return 0;
}
