/* rect.h - N-D integer rectangles with inclusive bounds; libc and the
 * public header's constants only. */
#ifndef GRT_RECT_H
#define GRT_RECT_H

#include <stdbool.h>
#include <stdint.h>

#include "grt.h"

/* One dimension limit for the whole tree: a rectangle has as many dims as a
 * store may have. */
#define GRT_RECT_MAX_DIM GRT_MAX_DIM

/* A rectangle [lo, hi] (both inclusive) in up to GRT_RECT_MAX_DIM dims. It
 * is empty when hi[d] < lo[d] for some d < ndim. */
typedef struct grt_rect {
  int ndim;
  int64_t lo[GRT_RECT_MAX_DIM];
  int64_t hi[GRT_RECT_MAX_DIM];
} grt_rect_t;

static inline bool grt_rect_empty(const grt_rect_t *r) {
  for (int d = 0; d < r->ndim; d++)
    if (r->hi[d] < r->lo[d]) return true;
  return false;
}

static inline int64_t grt_rect_volume(const grt_rect_t *r) {
  int64_t v = 1;
  for (int d = 0; d < r->ndim; d++) {
    if (r->hi[d] < r->lo[d]) return 0;
    v *= r->hi[d] - r->lo[d] + 1;
  }
  return v;
}

static inline bool grt_rect_overlaps(const grt_rect_t *a, const grt_rect_t *b) {
  for (int d = 0; d < a->ndim; d++)
    if (a->hi[d] < b->lo[d] || b->hi[d] < a->lo[d]) return false;
  return !grt_rect_empty(a) && !grt_rect_empty(b);
}

/* Writes a ∩ b into *out; returns false (and *out empty) when they are disjoint. */
static inline bool grt_rect_intersect(const grt_rect_t *a, const grt_rect_t *b,
                                      grt_rect_t *out) {
  out->ndim = a->ndim;
  bool ok = true;
  for (int d = 0; d < a->ndim; d++) {
    out->lo[d] = a->lo[d] > b->lo[d] ? a->lo[d] : b->lo[d];
    out->hi[d] = a->hi[d] < b->hi[d] ? a->hi[d] : b->hi[d];
    if (out->hi[d] < out->lo[d]) ok = false;
  }
  return ok;
}

/* True when a contains every point of b (an empty b is contained). */
static inline bool grt_rect_contains(const grt_rect_t *a, const grt_rect_t *b) {
  if (grt_rect_empty(b)) return true;
  for (int d = 0; d < a->ndim; d++)
    if (b->lo[d] < a->lo[d] || b->hi[d] > a->hi[d]) return false;
  return true;
}

/* The rectangle walk, the one way the tree visits an N-D box: its
 * row-major runs along the last dim. Start with pt = lo (ndim >= 1, the box
 * [lo, hi] not empty); after visiting the run that starts at pt (its
 * hi[ndim - 1] - lo[ndim - 1] + 1 elements), this moves pt to the next run's
 * start and returns true, or returns false after the last run. */
static inline bool grt_rect_next_run(int ndim, const int64_t *lo, const int64_t *hi, int64_t *pt) {
  for (int d = ndim - 2; d >= 0; d--) {
    if (++pt[d] <= hi[d]) return true;
    pt[d] = lo[d];
  }
  return false;
}

/* The same walk one point at a time (every dim steps, the last fastest). */
static inline bool grt_rect_next_point(int ndim, const int64_t *lo, const int64_t *hi,
                                       int64_t *pt) {
  return grt_rect_next_run(ndim + 1, lo, hi, pt);
}

#endif
