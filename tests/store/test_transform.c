/* test_transform.c - view transforms: examples, then random view chains vs a brute-force map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grt.h"
#include "store_fixture.h"
#include "transform.h"

#include "store_test_util.h"

static uint64_t g_seed;
static long g_multi_piece_images;   /* health of the generator: exact images of > 1 piece */

/* Fails with the seed in the message, so that the case can be replayed. */
#define CHECK(cond, ...)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      char m_[600];                                                                   \
      snprintf(m_, sizeof m_, __VA_ARGS__);                                           \
      fail_msg("%s [%s] (replay with GRT_SEED=%llu)", m_, #cond,                      \
               (unsigned long long)g_seed);                                           \
    }                                                                                 \
  } while (0)

/* ---- examples on the transform alone ---- */

static grt_rect_t rect1(int64_t lo, int64_t hi) {
  grt_rect_t r = {.ndim = 1};
  r.lo[0] = lo;
  r.hi[0] = hi;
  return r;
}

static void test_transform_identity(void **state) {
  (void)state;
  grt_transform_t tf;
  grt__tf_identity(&tf, 3);
  assert_true(grt__tf_is_identity(&tf));
  int64_t v[3] = {1, 2, 3}, r[3];
  grt__tf_point(&tf, v, r);
  assert_memory_equal(v, r, sizeof v);
  grt__tf_slice(&tf, 1, 1, &tf);
  assert_false(grt__tf_is_identity(&tf));
  grt__tf_point(&tf, v, r);
  assert_int_equal(r[1], 3);
}

static void test_transform_slice_transpose_compose(void **state) {
  (void)state;
  grt_transform_t tf;
  grt__tf_identity(&tf, 2);
  grt__tf_slice(&tf, 1, 2, &tf);          /* view (4, 3) of root (4, 6), cols 2..4 */
  int perm[2] = {1, 0};
  grt__tf_transpose(&tf, perm, &tf);      /* view (3, 4) */
  int64_t v[2] = {1, 3}, r[2];
  grt__tf_point(&tf, v, r);
  assert_int_equal(r[0], 3);
  assert_int_equal(r[1], 3);
  int64_t strides[2] = {6, 1}, vs[2];
  int64_t off = grt__tf_layout(&tf, strides, NULL, vs);
  assert_int_equal(off, 2);
  assert_int_equal(vs[0], 1);
  assert_int_equal(vs[1], 6);
  assert_int_equal(grt__tf_layout(&tf, strides, v, NULL), 3 * 6 + 3);
}

static void test_transform_project_gives_strided_image(void **state) {
  (void)state;
  grt_transform_t tf;
  grt__tf_identity(&tf, 1);
  int64_t sizes[2] = {3, 4};
  grt__tf_delinearize(&tf, 0, 2, sizes, &tf);  /* (3, 4) over a 12-element root */
  grt__tf_project(&tf, 1, 2, &tf);             /* column 2: root points 2, 6, 10 */
  grt_rect_t r = rect1(0, 2);
  grt_rects_t out = {0};
  assert_int_equal(grt__tf_image(&tf, &r, &out), 0);
  assert_int_equal(out.n, 3);
  for (int k = 0; k < 3; k++) {
    assert_int_equal(out.v[k].ndim, 1);
    assert_int_equal(out.v[k].lo[0], 2 + 4 * k);
    assert_int_equal(out.v[k].hi[0], 2 + 4 * k);
  }
  grt__rects_free(&out);
}

static void test_transform_delinearize_slice_gaps(void **state) {
  (void)state;
  grt_transform_t tf;
  grt__tf_identity(&tf, 1);
  int64_t sizes[2] = {3, 4};
  grt__tf_delinearize(&tf, 0, 2, sizes, &tf);
  grt__tf_slice(&tf, 1, 1, &tf);               /* columns 1..2 */
  grt_rect_t r = {.ndim = 2, .lo = {0, 0}, .hi = {2, 1}};
  grt_rects_t out = {0};
  assert_int_equal(grt__tf_image(&tf, &r, &out), 0);
  assert_int_equal(out.n, 3);
  const int64_t want[3][2] = {{1, 2}, {5, 6}, {9, 10}};
  for (int k = 0; k < 3; k++) {
    assert_int_equal(out.v[k].lo[0], want[k][0]);
    assert_int_equal(out.v[k].hi[0], want[k][1]);
  }
  grt__rects_free(&out);
}

static void test_transform_delinearize_full_rect_merges(void **state) {
  (void)state;
  grt_transform_t tf;
  grt__tf_identity(&tf, 2);
  int64_t sizes[3] = {2, 3, 5};
  grt__tf_delinearize(&tf, 1, 3, sizes, &tf);  /* root (7, 30) -> view (7, 2, 3, 5) */
  grt_rect_t r = {.ndim = 4, .lo = {1, 0, 0, 0}, .hi = {3, 1, 2, 4}};
  grt_rects_t out = {0};
  assert_int_equal(grt__tf_image(&tf, &r, &out), 0);
  assert_int_equal(out.n, 1);
  assert_int_equal(out.v[0].ndim, 2);
  assert_int_equal(out.v[0].lo[0], 1);
  assert_int_equal(out.v[0].hi[0], 3);
  assert_int_equal(out.v[0].lo[1], 0);
  assert_int_equal(out.v[0].hi[1], 29);
  /* Both outer rows, rows 1..2 of the middle dim, all of the inner:
   * {5..14} and {20..29}. */
  r.lo[2] = 1;
  out.n = 0;
  assert_int_equal(grt__tf_image(&tf, &r, &out), 0);
  assert_int_equal(out.n, 2);
  assert_int_equal(out.v[0].lo[1], 5);
  assert_int_equal(out.v[0].hi[1], 14);
  assert_int_equal(out.v[1].lo[1], 20);
  assert_int_equal(out.v[1].hi[1], 29);
  grt__rects_free(&out);
}

static void test_transform_promote_is_broadcast(void **state) {
  (void)state;
  grt_transform_t tf;
  grt__tf_identity(&tf, 1);
  grt__tf_promote(&tf, 0, &tf);                /* view (k, n) over root (n) */
  assert_int_equal(tf.view_ndim, 2);
  assert_int_equal(tf.dim[0], -1);
  int64_t v[2] = {5, 3}, root[1];
  grt__tf_point(&tf, v, root);
  assert_int_equal(root[0], 3);
  int64_t strides[1] = {1}, vs[2];
  grt__tf_layout(&tf, strides, NULL, vs);
  assert_int_equal(vs[0], 0);
  assert_int_equal(vs[1], 1);
  grt_rect_t r = {.ndim = 2, .lo = {0, 2}, .hi = {9, 4}};
  grt_rects_t out = {0};
  assert_int_equal(grt__tf_image(&tf, &r, &out), 0);
  assert_int_equal(out.n, 1);
  assert_int_equal(out.v[0].lo[0], 2);
  assert_int_equal(out.v[0].hi[0], 4);
  grt__rects_free(&out);
}

static void test_transform_empty_rect_has_empty_image(void **state) {
  (void)state;
  grt_transform_t tf;
  grt__tf_identity(&tf, 2);
  grt_rect_t r = {.ndim = 2, .lo = {0, 3}, .hi = {4, 2}};
  grt_rects_t out = {0};
  assert_int_equal(grt__tf_image(&tf, &r, &out), 0);
  assert_int_equal(out.n, 0);
  grt__rects_free(&out);
}

static void test_transform_project_keeps_fixed_coordinate(void **state) {
  (void)state;
  grt_transform_t tf;
  grt__tf_identity(&tf, 3);
  grt__tf_project(&tf, 1, 4, &tf);             /* view (a, c) of root (a, b, c) at b = 4 */
  grt_rect_t r = {.ndim = 2, .lo = {0, 1}, .hi = {2, 3}};
  grt_rects_t out = {0};
  assert_int_equal(grt__tf_image(&tf, &r, &out), 0);
  assert_int_equal(out.n, 1);
  assert_int_equal(out.v[0].ndim, 3);
  assert_int_equal(out.v[0].lo[1], 4);
  assert_int_equal(out.v[0].hi[1], 4);
  assert_int_equal(out.v[0].lo[2], 1);
  assert_int_equal(out.v[0].hi[2], 3);
  grt__rects_free(&out);
}

static void test_transform_rects_push_grows(void **state) {
  (void)state;
  grt_rects_t rs = {0};
  for (int k = 0; k < 100; k++) {
    grt_rect_t r = rect1(k, k);
    assert_int_equal(grt__rects_push(&rs, &r), 0);
  }
  assert_int_equal(rs.n, 100);
  assert_int_equal(rs.v[99].lo[0], 99);
  grt__rects_free(&rs);
  assert_null(rs.v);
  assert_int_equal(rs.n, 0);
}

/* ---- the brute-force model ----
 *
 * A chain is a root shape and a list of view steps. bf_map maps a point of
 * the last view back to the root one step at a time, using only the
 * definition of each view kind (no affine algebra). */

enum { K_SLICE, K_TRANSPOSE, K_PROMOTE, K_PROJECT, K_DELIN, K_COUNT };
#define MAX_STEPS 8

typedef struct {
  int kind, dim, n, parent_ndim;
  int64_t start, stop, index, size;
  int perm[GRT_MAX_DIM];
  int64_t sizes[GRT_MAX_DIM];
} step_t;

typedef struct {
  int root_ndim;
  int64_t root_shape[GRT_MAX_DIM];
  int nsteps;
  step_t steps[MAX_STEPS];
  int ndim;                      /* of the last view */
  int64_t shape[GRT_MAX_DIM];
} chain_t;

static void bf_parent(const step_t *st, const int64_t *c, int64_t *p) {
  int pn = st->parent_ndim;
  switch (st->kind) {
  case K_SLICE:
    for (int d = 0; d < pn; d++) p[d] = c[d];
    p[st->dim] += st->start;
    break;
  case K_TRANSPOSE:
    for (int k = 0; k < pn; k++) p[st->perm[k]] = c[k];
    break;
  case K_PROMOTE:
    for (int d = 0, k = 0; d < pn + 1; d++)
      if (d != st->dim) p[k++] = c[d];
    break;
  case K_PROJECT:
    for (int d = 0, k = 0; d < pn; d++) p[d] = d == st->dim ? st->index : c[k++];
    break;
  case K_DELIN: {
    int64_t lin = 0;
    for (int k = 0; k < st->n; k++) lin = lin * st->sizes[k] + c[st->dim + k];
    for (int d = 0; d < st->dim; d++) p[d] = c[d];
    p[st->dim] = lin;
    for (int d = st->dim + 1; d < pn; d++) p[d] = c[d + st->n - 1];
    break;
  }
  }
}

static void bf_map(const chain_t *ch, const int64_t *v, int64_t *root) {
  int64_t cur[GRT_MAX_DIM], par[GRT_MAX_DIM];
  memcpy(cur, v, sizeof cur);
  for (int s = ch->nsteps - 1; s >= 0; s--) {
    bf_parent(&ch->steps[s], cur, par);
    memcpy(cur, par, sizeof cur);
  }
  memcpy(root, cur, (size_t)ch->root_ndim * sizeof *root);
}

/* Picks a random valid step for a view of @p ndim dims and @p shape, writes
 * it and the resulting shape. False when the kind drawn does not apply. */
static bool random_step(test_rng_t *r, int ndim, const int64_t *shape, step_t *st,
                        int *new_ndim, int64_t *new_shape) {
  memset(st, 0, sizeof *st);
  /* Delinearize twice as often: it is the kind that makes images of several pieces. */
  st->kind = (int)rng_range(r, 0, K_COUNT);
  if (st->kind == K_COUNT) st->kind = K_DELIN;
  st->parent_ndim = ndim;
  switch (st->kind) {
  case K_SLICE:
    st->dim = (int)rng_range(r, 0, ndim - 1);
    st->start = rng_range(r, 0, shape[st->dim]);
    st->stop = rng_range(r, st->start, shape[st->dim]);
    *new_ndim = ndim;
    memcpy(new_shape, shape, (size_t)ndim * sizeof *shape);
    new_shape[st->dim] = st->stop - st->start;
    return true;
  case K_TRANSPOSE:
    for (int k = 0; k < ndim; k++) st->perm[k] = k;
    for (int k = ndim - 1; k > 0; k--) {
      int j = (int)rng_range(r, 0, k);
      int t = st->perm[k];
      st->perm[k] = st->perm[j];
      st->perm[j] = t;
    }
    *new_ndim = ndim;
    for (int k = 0; k < ndim; k++) new_shape[k] = shape[st->perm[k]];
    return true;
  case K_PROMOTE:
    if (ndim == GRT_MAX_DIM) return false;
    st->dim = (int)rng_range(r, 0, ndim);
    st->size = rng_range(r, 1, 3);
    *new_ndim = ndim + 1;
    for (int d = 0, k = 0; d <= ndim; d++) new_shape[d] = d == st->dim ? st->size : shape[k++];
    return true;
  case K_PROJECT:
    if (ndim == 1) return false;
    st->dim = (int)rng_range(r, 0, ndim - 1);
    if (shape[st->dim] == 0) return false;
    st->index = rng_range(r, 0, shape[st->dim] - 1);
    *new_ndim = ndim - 1;
    for (int d = 0, k = 0; d < ndim; d++)
      if (d != st->dim) new_shape[k++] = shape[d];
    return true;
  case K_DELIN: {
    st->dim = (int)rng_range(r, 0, ndim - 1);
    st->n = (int)rng_range(r, 1, GRT_MAX_DIM - ndim + 1);
    int64_t rem = shape[st->dim];
    for (int k = 0; k < st->n - 1; k++) {
      if (rem == 0) {
        st->sizes[k] = rng_range(r, 0, 3);
        continue;
      }
      int64_t divs[64], nd = 0;
      for (int64_t q = 1; q <= rem && nd < 64; q++)
        if (rem % q == 0) divs[nd++] = q;
      st->sizes[k] = divs[rng_range(r, 0, nd - 1)];
      rem /= st->sizes[k];
    }
    st->sizes[st->n - 1] = rem;
    if (shape[st->dim] == 0 && st->n > 1) st->sizes[rng_range(r, 0, st->n - 1)] = 0;
    *new_ndim = ndim + st->n - 1;
    for (int d = 0, k = 0; d < ndim; d++) {
      if (d == st->dim)
        for (int l = 0; l < st->n; l++) new_shape[k++] = st->sizes[l];
      else
        new_shape[k++] = shape[d];
    }
    return true;
  }
  }
  return false;
}

static int apply_step(grt_store_t *s, const step_t *st, grt_store_t **out) {
  switch (st->kind) {
  case K_SLICE: return grt_store_slice(s, st->dim, st->start, st->stop, out);
  case K_TRANSPOSE: return grt_store_transpose(s, st->perm, out);
  case K_PROMOTE: return grt_store_promote(s, st->dim, st->size, out);
  case K_PROJECT: return grt_store_project(s, st->dim, st->index, out);
  default: return grt_store_delinearize(s, st->dim, st->n, st->sizes, out);
  }
}

static const char *const kind_names[K_COUNT] = {"slice", "transpose", "promote", "project",
                                                "delinearize"};

static void describe(const chain_t *ch, char *buf, size_t n) {
  size_t k = (size_t)snprintf(buf, n, "root %dD (", ch->root_ndim);
  for (int d = 0; d < ch->root_ndim && k < n; d++)
    k += (size_t)snprintf(buf + k, n - k, "%s%lld", d ? "," : "", (long long)ch->root_shape[d]);
  for (int s = 0; s < ch->nsteps && k < n; s++) {
    const step_t *st = &ch->steps[s];
    k += (size_t)snprintf(buf + k, n - k, ") -> %s(dim %d", kind_names[st->kind], st->dim);
  }
  if (k < n) snprintf(buf + k, n - k, ")");
}

static int64_t volume(int ndim, const int64_t *shape) {
  int64_t v = 1;
  for (int d = 0; d < ndim; d++) v *= shape[d];
  return v;
}

/* Steps *p through the box [lo, hi]; false past the end. */
static bool odometer(int ndim, const int64_t *lo, const int64_t *hi, int64_t *p) {
  for (int d = ndim - 1; d >= 0; d--) {
    if (++p[d] <= hi[d]) return true;
    p[d] = lo[d];
  }
  return false;
}

static int64_t linear(int ndim, const int64_t *shape, const int64_t *p) {
  int64_t l = 0;
  for (int d = 0; d < ndim; d++) l = l * shape[d] + p[d];
  return l;
}

/* Checks one view: point map, layout against the attached data, and exact
 * images of random rectangles. */
static void check_view(test_rng_t *r, const chain_t *ch, const grt_store_t *view,
                       const char *desc) {
  const grt_transform_t *tf = &grt__store_of(view)->tf;
  const grt_store_root_t *root = grt__store_of(view)->root;
  CHECK(tf->view_ndim == ch->ndim && tf->root_ndim == ch->root_ndim, "%s: ndims", desc);
  int64_t shape[GRT_MAX_DIM];
  grt_store_shape(view, shape);
  CHECK(grt_store_ndim(view) == ch->ndim, "%s: grt_store_ndim", desc);
  CHECK(memcmp(shape, ch->shape, (size_t)ch->ndim * sizeof *shape) == 0, "%s: shape", desc);

  int64_t vstrides[GRT_MAX_DIM];
  int64_t base = grt__tf_layout(tf, root->strides, NULL, vstrides);
  const int64_t *data = grt__root_whole(root) ? (const int64_t *)grt__root_whole(root)->data : NULL;
  int64_t rvol = volume(ch->root_ndim, ch->root_shape);
  int64_t vvol = volume(ch->ndim, ch->shape);

  /* Every view point. */
  if (vvol > 0) {
    int64_t lo[GRT_MAX_DIM] = {0}, hi[GRT_MAX_DIM], p[GRT_MAX_DIM] = {0};
    for (int d = 0; d < ch->ndim; d++) hi[d] = ch->shape[d] - 1;
    do {
      int64_t want[GRT_MAX_DIM], got[GRT_MAX_DIM];
      bf_map(ch, p, want);
      grt__tf_point(tf, p, got);
      for (int i = 0; i < ch->root_ndim; i++) {
        CHECK(want[i] >= 0 && want[i] < ch->root_shape[i], "%s: model out of root", desc);
        CHECK(got[i] == want[i], "%s: root dim %d of view point (%lld,%lld,%lld,%lld): %lld != %lld",
              desc, i, (long long)p[0], (long long)p[1], (long long)p[2], (long long)p[3],
              (long long)got[i], (long long)want[i]);
      }
      int64_t lin = linear(ch->root_ndim, ch->root_shape, want);
      int64_t off = base;
      for (int d = 0; d < ch->ndim; d++) off += vstrides[d] * p[d];
      CHECK(off == lin, "%s: layout offset %lld != %lld", desc, (long long)off, (long long)lin);
      CHECK(grt__tf_layout(tf, root->strides, p, NULL) == lin, "%s: layout of point", desc);
      CHECK(data[off] == lin, "%s: data through layout", desc);
    } while (odometer(ch->ndim, lo, hi, p));
  }
  for (int d = 0; d < ch->ndim; d++)
    if (tf->dim[d] < 0) CHECK(vstrides[d] == 0, "%s: broadcast stride", desc);

  /* Random rectangles (sometimes empty, sometimes the whole view). */
  unsigned char *mark = calloc((size_t)(rvol > 0 ? rvol : 1), 1);
  assert_non_null(mark);
  for (int trial = 0; trial < 6; trial++) {
    grt_rect_t vr = {.ndim = ch->ndim};
    for (int d = 0; d < ch->ndim; d++) {
      if (trial == 0) {
        vr.lo[d] = 0;
        vr.hi[d] = ch->shape[d] - 1;
      } else if (ch->shape[d] == 0 || rng_range(r, 0, 19) == 0) {
        vr.lo[d] = rng_range(r, 0, ch->shape[d]);
        vr.hi[d] = vr.lo[d] - 1;
      } else {
        vr.lo[d] = rng_range(r, 0, ch->shape[d] - 1);
        vr.hi[d] = rng_range(r, vr.lo[d], ch->shape[d] - 1);
      }
    }
    memset(mark, 0, (size_t)(rvol > 0 ? rvol : 1));
    int64_t nmarked = 0;
    if (!grt_rect_empty(&vr)) {
      int64_t p[GRT_MAX_DIM];
      memcpy(p, vr.lo, sizeof p);
      do {
        int64_t rp[GRT_MAX_DIM];
        bf_map(ch, p, rp);
        int64_t lin = linear(ch->root_ndim, ch->root_shape, rp);
        if (!mark[lin]) {
          mark[lin] = 1;
          nmarked++;
        }
      } while (odometer(ch->ndim, vr.lo, vr.hi, p));
    }
    grt_rects_t img = {0};
    CHECK(grt__tf_image(tf, &vr, &img) == 0, "%s: image failed", desc);
    int64_t total = 0;
    for (int k = 0; k < img.n; k++) {
      const grt_rect_t *a = &img.v[k];
      CHECK(a->ndim == ch->root_ndim, "%s: piece ndim", desc);
      CHECK(!grt_rect_empty(a), "%s: empty piece", desc);
      for (int i = 0; i < a->ndim; i++)
        CHECK(a->lo[i] >= 0 && a->hi[i] < ch->root_shape[i], "%s: piece %d outside root", desc, k);
      total += grt_rect_volume(a);
      for (int q = 0; q < k; q++) {
        const grt_rect_t *b = &img.v[q];
        CHECK(!grt_rect_overlaps(a, b), "%s: pieces %d and %d overlap", desc, q, k);
        /* Merged: no two pieces form one rectangle. */
        int differ = 0, adjacent = 0;
        for (int i = 0; i < a->ndim; i++)
          if (a->lo[i] != b->lo[i] || a->hi[i] != b->hi[i]) {
            differ++;
            adjacent = a->hi[i] + 1 == b->lo[i] || b->hi[i] + 1 == a->lo[i];
          }
        CHECK(!(differ == 1 && adjacent), "%s: pieces %d and %d not merged", desc, q, k);
      }
      int64_t p[GRT_MAX_DIM];
      memcpy(p, a->lo, sizeof p);
      do {
        CHECK(mark[linear(ch->root_ndim, ch->root_shape, p)], "%s: piece %d has a point not in the view rect",
              desc, k);
      } while (odometer(a->ndim, a->lo, a->hi, p));
    }
    if (img.n > 1) g_multi_piece_images++;

    CHECK(total == nmarked, "%s: image has %lld points, brute force %lld", desc, (long long)total,
          (long long)nmarked);
    grt__rects_free(&img);
  }
  free(mark);
}

static void test_transform_random_chains_match_brute_force(void **state) {
  (void)state;
  g_seed = test_seed();
  test_rng_t r = {g_seed};
  grt_store_ctx_t *rt = NULL;
  assert_int_equal(test_ctx_open(&rt), 0);
  int counts[K_COUNT] = {0};
  for (int iter = 0; iter < 10000; iter++) {
    chain_t ch = {0};
    ch.root_ndim = (int)rng_range(&r, 1, GRT_MAX_DIM);
    for (int d = 0; d < ch.root_ndim; d++)
      ch.root_shape[d] = rng_range(&r, 0, 30) == 0 ? 0 : rng_range(&r, 1, ch.root_ndim <= 2 ? 12 : 6);
    int64_t rvol = volume(ch.root_ndim, ch.root_shape);
    int64_t *buf = malloc((size_t)(rvol > 0 ? rvol : 1) * sizeof *buf);
    assert_non_null(buf);
    for (int64_t k = 0; k < rvol; k++) buf[k] = k;
    grt_store_t *s = NULL;
    CHECK(grt_store_attach(rt, grt_type_int64(), ch.root_ndim, ch.root_shape, buf, &s) == 0,
          "attach: %s", grt_last_error());
    ch.ndim = ch.root_ndim;
    memcpy(ch.shape, ch.root_shape, sizeof ch.shape);
    int want_steps = (int)rng_range(&r, 1, MAX_STEPS);
    for (int tries = 0; ch.nsteps < want_steps && tries < 100; tries++) {
      step_t st;
      int nd;
      int64_t ns[GRT_MAX_DIM];
      if (!random_step(&r, ch.ndim, ch.shape, &st, &nd, ns)) continue;
      grt_store_t *v = NULL;
      ch.steps[ch.nsteps++] = st;
      char desc[512];
      describe(&ch, desc, sizeof desc);
      CHECK(apply_step(s, &st, &v) == 0, "%s: %s", desc, grt_last_error());
      counts[st.kind]++;
      /* Drop the parent: the view keeps the root alive. */
      grt_store_destroy(s);
      s = v;
      ch.ndim = nd;
      memcpy(ch.shape, ns, sizeof ns);
      check_view(&r, &ch, s, desc);
    }
    /* Detached before the buffer goes: a store destroyed without a detach
     * is written back, with a warning, and needs its buffer until the next
     * fence. */
    CHECK(grt_store_detach(s) == 0, "detach: %s", grt_last_error());
    grt_store_destroy(s);
    free(buf);
  }
  for (int k = 0; k < K_COUNT; k++) CHECK(counts[k] > 1000, "too few %s steps", kind_names[k]);
  if (getenv("GRT_TEST_VERBOSE")) print_message("%ld multi-piece images\n", g_multi_piece_images);
  CHECK(g_multi_piece_images > 2000, "only %ld images had several pieces", g_multi_piece_images);
  assert_int_equal(test_ctx_close(rt), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_transform_identity),
      cmocka_unit_test(test_transform_slice_transpose_compose),
      cmocka_unit_test(test_transform_project_gives_strided_image),
      cmocka_unit_test(test_transform_delinearize_slice_gaps),
      cmocka_unit_test(test_transform_delinearize_full_rect_merges),
      cmocka_unit_test(test_transform_promote_is_broadcast),
      cmocka_unit_test(test_transform_empty_rect_has_empty_image),
      cmocka_unit_test(test_transform_project_keeps_fixed_coordinate),
      cmocka_unit_test(test_transform_rects_push_grows),
      cmocka_unit_test(test_transform_random_chains_match_brute_force),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
