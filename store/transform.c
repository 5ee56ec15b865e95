/* transform.c - composing view transforms, mapping points, exact rectangle images. */
#include "transform.h"
#include "grt_error.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Conventions beyond transform.h: entries of dim[]/coef[] at view dims >=
 * view_ndim are -1/0, offsets at root dims >= root_ndim are 0 (so two equal
 * transforms compare equal with memcmp), and a broadcast view dim
 * (dim[j] == -1) has coef[j] == 0: it moves nothing. */

/* ---- rectangle lists ---- */

int grt__rects_push(grt_rects_t *rs, const grt_rect_t *r) {
  if (rs->n == rs->cap) {
    if (rs->cap > INT_MAX / 2)
      return grt__error(GRT_ENOMEM, "grt__rects_push: more than %d rectangles", INT_MAX / 2);
    int cap = rs->cap ? 2 * rs->cap : 8;
    grt_rect_t *v = realloc(rs->v, (size_t)cap * sizeof *v);
    if (!v) return grt__error(GRT_ENOMEM, "grt__rects_push: out of host memory");
    rs->v = v;
    rs->cap = cap;
  }
  rs->v[rs->n++] = *r;
  return 0;
}

void grt__rects_free(grt_rects_t *rs) {
  free(rs->v);
  rs->v = NULL;
  rs->n = rs->cap = 0;
}

/* ---- composing ---- */

static void clear_tail(grt_transform_t *tf) {
  for (int j = tf->view_ndim; j < GRT_MAX_DIM; j++) {
    tf->dim[j] = -1;
    tf->coef[j] = 0;
  }
}

void grt__tf_identity(grt_transform_t *tf, int ndim) {
  GRT_API_CHECK(ndim >= 0 && ndim <= GRT_MAX_DIM);
  memset(tf, 0, sizeof *tf);
  tf->view_ndim = tf->root_ndim = ndim;
  for (int j = 0; j < ndim; j++) {
    tf->dim[j] = (int8_t)j;
    tf->coef[j] = 1;
  }
  clear_tail(tf);
}

bool grt__tf_is_identity(const grt_transform_t *tf) {
  if (tf->view_ndim != tf->root_ndim) return false;
  for (int j = 0; j < tf->view_ndim; j++)
    if (tf->dim[j] != j || tf->coef[j] != 1 || tf->offset[j] != 0) return false;
  return true;
}

/* A view of view: v[dim] = v'[dim] + start. */
void grt__tf_slice(const grt_transform_t *in, int dim, int64_t start, grt_transform_t *out) {
  GRT_API_CHECK(dim >= 0 && dim < in->view_ndim);
  grt_transform_t t = *in;
  if (t.dim[dim] >= 0) t.offset[t.dim[dim]] += t.coef[dim] * start;
  *out = t;
}

/* View dim k of the result is view dim perm[k] of the input. */
void grt__tf_transpose(const grt_transform_t *in, const int *perm, grt_transform_t *out) {
  grt_transform_t t = *in;
  for (int k = 0; k < in->view_ndim; k++) {
    GRT_API_CHECK(perm[k] >= 0 && perm[k] < in->view_ndim);
    t.dim[k] = in->dim[perm[k]];
    t.coef[k] = in->coef[perm[k]];
  }
  *out = t;
}

/* Inserts a broadcast view dim at position dim (0..view_ndim). */
void grt__tf_promote(const grt_transform_t *in, int dim, grt_transform_t *out) {
  GRT_API_CHECK(dim >= 0 && dim <= in->view_ndim && in->view_ndim < GRT_MAX_DIM);
  grt_transform_t t = *in;
  for (int j = in->view_ndim; j > dim; j--) {
    t.dim[j] = in->dim[j - 1];
    t.coef[j] = in->coef[j - 1];
  }
  t.dim[dim] = -1;
  t.coef[dim] = 0;
  t.view_ndim = in->view_ndim + 1;
  *out = t;
}

/* Removes view dim @p dim, fixing it at @p index. */
void grt__tf_project(const grt_transform_t *in, int dim, int64_t index, grt_transform_t *out) {
  GRT_API_CHECK(dim >= 0 && dim < in->view_ndim);
  grt_transform_t t = *in;
  if (in->dim[dim] >= 0) t.offset[in->dim[dim]] += in->coef[dim] * index;
  for (int j = dim; j + 1 < in->view_ndim; j++) {
    t.dim[j] = in->dim[j + 1];
    t.coef[j] = in->coef[j + 1];
  }
  t.view_ndim = in->view_ndim - 1;
  clear_tail(&t);
  *out = t;
}

/* Splits view dim @p dim into n dims of extents sizes[] (row-major: the last
 * varies fastest), so v[dim] = sum_k v'[dim+k] * prod_{l>k} sizes[l]. */
void grt__tf_delinearize(const grt_transform_t *in, int dim, int n, const int64_t *sizes,
                         grt_transform_t *out) {
  GRT_API_CHECK(dim >= 0 && dim < in->view_ndim && n >= 1 &&
                in->view_ndim - 1 + n <= GRT_MAX_DIM);
  grt_transform_t t = *in;
  int extra = n - 1;
  for (int j = in->view_ndim - 1; j > dim; j--) {
    t.dim[j + extra] = in->dim[j];
    t.coef[j + extra] = in->coef[j];
  }
  int64_t step = in->coef[dim];
  for (int k = n - 1; k >= 0; k--) {
    t.dim[dim + k] = in->dim[dim];
    t.coef[dim + k] = in->dim[dim] >= 0 ? step : 0;
    step *= sizes[k] > 0 ? sizes[k] : 1;   /* an empty dim has no points to place */
  }
  t.view_ndim = in->view_ndim + extra;
  *out = t;
}

/* ---- points and layouts ---- */

void grt__tf_point(const grt_transform_t *tf, const int64_t *v, int64_t *root) {
  for (int i = 0; i < tf->root_ndim; i++) root[i] = tf->offset[i];
  for (int j = 0; j < tf->view_ndim; j++)
    if (tf->dim[j] >= 0) root[tf->dim[j]] += tf->coef[j] * v[j];
}

/* @p v may be NULL (the view's origin) and @p view_strides may be NULL. */
int64_t grt__tf_layout(const grt_transform_t *tf, const int64_t *root_strides,
                       const int64_t *v, int64_t *view_strides) {
  int64_t off = 0;
  for (int i = 0; i < tf->root_ndim; i++) off += tf->offset[i] * root_strides[i];
  for (int j = 0; j < tf->view_ndim; j++) {
    int64_t s = tf->dim[j] >= 0 ? tf->coef[j] * root_strides[tf->dim[j]] : 0;
    if (view_strides) view_strides[j] = s;
    if (v) off += s * v[j];
  }
  return off;
}

/* ---- exact images ----
 *
 * Root dim i of the image is the 1-D set
 *   offset[i] + { sum_j coef[j] * x_j : x_j in [lo_j, hi_j] }  over view dims j on i.
 * It is built as a sorted list of disjoint, non-adjacent intervals by adding
 * one term at a time, smallest coefficient first: adding term (c, [lo, hi]) to
 * a set S gives the union of S + c*x for x in [lo, hi]. When S is one interval
 * at least c long the union is one interval; otherwise the shifted copies are
 * listed, sorted if they interleave, and merged. */

typedef struct {
  int64_t lo, hi;
} ival_t;

typedef struct {
  ival_t *v;
  int64_t n, cap;
} ivals_t;

static int ivals_push(ivals_t *s, int64_t lo, int64_t hi) {
  if (s->n == s->cap) {
    int64_t cap = s->cap ? 2 * s->cap : 8;
    ival_t *v = realloc(s->v, (size_t)cap * sizeof *v);
    if (!v) return grt__error(GRT_ENOMEM, "grt__tf_image: out of host memory");
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n].lo = lo;
  s->v[s->n].hi = hi;
  s->n++;
  return 0;
}

static int cmp_ival(const void *a, const void *b) {
  const ival_t *x = a, *y = b;
  return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Sorts (if needed) and merges overlapping or adjacent intervals in place. */
static void ivals_normalize(ivals_t *s) {
  bool sorted = true;
  for (int64_t k = 1; k < s->n && sorted; k++)
    if (s->v[k].lo < s->v[k - 1].lo) sorted = false;
  if (!sorted) qsort(s->v, (size_t)s->n, sizeof *s->v, cmp_ival);
  int64_t m = 0;
  for (int64_t k = 0; k < s->n; k++) {
    if (m > 0 && s->v[k].lo <= s->v[m - 1].hi + 1) {
      if (s->v[k].hi > s->v[m - 1].hi) s->v[m - 1].hi = s->v[k].hi;
    } else {
      s->v[m++] = s->v[k];
    }
  }
  s->n = m;
}

typedef struct {
  int64_t c, lo, hi;
} term_t;

static int cmp_term(const void *a, const void *b) {
  const term_t *x = a, *y = b;
  return (x->c > y->c) - (x->c < y->c);
}

/* The view dims that map to root dim @p i, by increasing coefficient (a
 * stable sort, as qsort's merge sort is: equal coefficients keep view-dim
 * order). Returns how many. */
static int terms_of(const grt_transform_t *tf, const grt_rect_t *r, int i, term_t *terms) {
  int nt = 0;
  for (int j = 0; j < tf->view_ndim; j++) {
    if (tf->dim[j] != i) continue;
    term_t t = {tf->coef[j], r->lo[j], r->hi[j]};
    int k = nt++;
    for (; k > 0 && cmp_term(&terms[k - 1], &t) > 0; k--) terms[k] = terms[k - 1];
    terms[k] = t;
  }
  return nt;
}

/* The image when every root dim's is one interval (the common case: slices,
 * transposes, promotions, projections), without allocating: the first
 * steps of image_1d's loop, taken while its interval stays single. False
 * when some dim needs the general construction. */
static bool image_single(const grt_transform_t *tf, const grt_rect_t *r, grt_rect_t *out) {
  out->ndim = tf->root_ndim;
  for (int i = 0; i < tf->root_ndim; i++) {
    term_t terms[GRT_MAX_DIM];
    int nt = terms_of(tf, r, i, terms);
    int64_t lo = 0, hi = 0;
    for (int k = 0; k < nt; k++) {
      if (terms[k].c > hi - lo + 1) return false;
      lo += terms[k].c * terms[k].lo;
      hi += terms[k].c * terms[k].hi;
    }
    out->lo[i] = lo + tf->offset[i];
    out->hi[i] = hi + tf->offset[i];
  }
  return true;
}

/* Builds root dim @p i's set into *out (empty on entry). 0 or GRT_ENOMEM. */
static int image_1d(const grt_transform_t *tf, const grt_rect_t *r, int i, ivals_t *out) {
  term_t terms[GRT_MAX_DIM];
  int nt = terms_of(tf, r, i, terms);

  ivals_t cur = {0}, next = {0};
  int rc = ivals_push(&cur, 0, 0);
  for (int k = 0; k < nt && rc == 0; k++) {
    const term_t *t = &terms[k];
    if (cur.n == 1 && t->c <= cur.v[0].hi - cur.v[0].lo + 1) {
      cur.v[0].lo += t->c * t->lo;
      cur.v[0].hi += t->c * t->hi;
      continue;
    }
    next.n = 0;
    for (int64_t x = t->lo; x <= t->hi && rc == 0; x++)
      for (int64_t q = 0; q < cur.n && rc == 0; q++)
        rc = ivals_push(&next, cur.v[q].lo + t->c * x, cur.v[q].hi + t->c * x);
    ivals_normalize(&next);
    ivals_t tmp = cur;
    cur = next;
    next = tmp;
  }
  free(next.v);
  if (rc < 0) {
    free(cur.v);
    return rc;
  }
  for (int64_t q = 0; q < cur.n; q++) {
    cur.v[q].lo += tf->offset[i];
    cur.v[q].hi += tf->offset[i];
  }
  *out = cur;
  return 0;
}

int grt__tf_image(const grt_transform_t *tf, const grt_rect_t *r, grt_rects_t *out) {
  GRT_API_CHECK(r->ndim == tf->view_ndim);
  if (grt_rect_empty(r)) return 0;
  grt_rect_t one;
  if (image_single(tf, r, &one)) return grt__rects_push(out, &one);
  ivals_t sets[GRT_MAX_DIM] = {{0}};
  int rc = 0;
  for (int i = 0; i < tf->root_ndim && rc == 0; i++) rc = image_1d(tf, r, i, &sets[i]);
  if (rc == 0) {
    /* Cartesian product, odometer style (last root dim fastest). */
    int64_t idx[GRT_MAX_DIM] = {0};
    for (;;) {
      grt_rect_t piece = {.ndim = tf->root_ndim};
      for (int i = 0; i < tf->root_ndim; i++) {
        piece.lo[i] = sets[i].v[idx[i]].lo;
        piece.hi[i] = sets[i].v[idx[i]].hi;
      }
      rc = grt__rects_push(out, &piece);
      if (rc < 0) break;
      int i = tf->root_ndim - 1;
      while (i >= 0 && ++idx[i] == sets[i].n) idx[i--] = 0;
      if (i < 0) break;
    }
  }
  for (int i = 0; i < GRT_MAX_DIM; i++) free(sets[i].v);
  return rc;
}
