/* transform.h - view transforms: a view's coordinates mapped into its root's.
 *
 * Every view (slice, transpose, promote, project, delinearize, and chains of
 * them) maps view point v to root point r with an affine map in which each
 * view dim moves along at most one root dim:
 *
 *   r[i] = offset[i] + sum over view dims j with dim[j] == i of coef[j] * v[j]
 *
 * dim[j] == -1 marks a broadcast (promoted) view dim, which moves nothing.
 * A root dim may receive several view dims (after delinearize) or none (after
 * project). Because root dims depend on disjoint sets of view dims, the image
 * of a view rectangle is the Cartesian product of per-root-dim 1-D sets, so it
 * is an exact finite set of root rectangles.
 */
#ifndef GRT_TRANSFORM_H
#define GRT_TRANSFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "grt.h"
#include "rect.h"

typedef struct grt_transform {
  int view_ndim;
  int root_ndim;
  int8_t dim[GRT_MAX_DIM];      /* per view dim: root dim, or -1 (broadcast) */
  int64_t coef[GRT_MAX_DIM];    /* per view dim: step along dim[j] (> 0) */
  int64_t offset[GRT_MAX_DIM];  /* per root dim: root coordinate of view point 0 */
} grt_transform_t;

/* A growable array of rectangles. Zero-initialise; free with grt__rects_free. */
typedef struct grt_rects {
  grt_rect_t *v;
  int n, cap;
} grt_rects_t;
int  grt__rects_push(grt_rects_t *rs, const grt_rect_t *r); /* 0 or GRT_ENOMEM */
void grt__rects_free(grt_rects_t *rs);

void grt__tf_identity(grt_transform_t *tf, int ndim);
bool grt__tf_is_identity(const grt_transform_t *tf);

/* Each op composes one view step onto @p in (which maps views of shape
 * @p shape to the root) and writes the new transform to @p out (may alias in).
 * Arguments are assumed already validated by the public store functions. */
void grt__tf_slice(const grt_transform_t *in, int dim, int64_t start, grt_transform_t *out);
void grt__tf_transpose(const grt_transform_t *in, const int *perm, grt_transform_t *out);
void grt__tf_promote(const grt_transform_t *in, int dim, grt_transform_t *out);
void grt__tf_project(const grt_transform_t *in, int dim, int64_t index, grt_transform_t *out);
void grt__tf_delinearize(const grt_transform_t *in, int dim, int n, const int64_t *sizes,
                         grt_transform_t *out);

/* Root point of view point @p v. */
void grt__tf_point(const grt_transform_t *tf, const int64_t *v, int64_t *root);

/* Appends to @p out the exact image of the view rectangle @p r in root
 * coordinates, as disjoint root rectangles (adjacent pieces merged). An empty
 * @p r appends nothing. Returns 0 or GRT_ENOMEM. */
int grt__tf_image(const grt_transform_t *tf, const grt_rect_t *r, grt_rects_t *out);

/* Given the root instance's strides (elements, per root dim), writes each view
 * dim's stride (0 on broadcast dims) and returns the element offset of view
 * point @p v from the root's element 0. */
int64_t grt__tf_layout(const grt_transform_t *tf, const int64_t *root_strides,
                       const int64_t *v, int64_t *view_strides);

#endif
