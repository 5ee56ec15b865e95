/* alias.c - arguments of one launch that alias one root: copies taken first, conflicting writes refused.
 *
 * A launch means what NumPy and Legate mean: every argument it reads is read
 * in full before any point writes. Points run concurrently and in place, so
 * an input whose root elements the launch writes through another point (or
 * through another layout at the same point) would see some new values. Once
 * the launch is partitioned, every pair of arguments on one root of which at
 * least one writes is examined (a launch whose arguments are on distinct
 * roots costs one pointer comparison per pair):
 *
 *  - read R, write W (output or inout), root images overlapping: unless R
 *    and W have the same view (transform and shape) and the same per-point
 *    rectangles (the normal case: an input aligned with an output on one
 *    view, which each point reads and writes at the same addresses), R gets
 *    a copy: a fresh store of R's shape, filled by an ordinary copy launch
 *    submitted before this one, replaces R's root (same shape, so the same
 *    tiling applies). Reductions are not writes here: a point reduces into a
 *    private buffer folded after every point of the launch has run.
 *  - two writes: output/inout pairs through different layouts or tilings,
 *    an output/inout with a reduction, reductions with different operators
 *    -> GRT_EINVAL naming both. Reductions with one operator overlap freely.
 *  - an output/inout through a promoted (stride-0) view -> GRT_EINVAL: one
 *    root element is several view elements, written by several points or
 *    several times by one. A reduction through one is a sum of many values
 *    into one element, which the fold computes. When its tiling cuts a
 *    promoted dim, its points share elements; so do the points of two
 *    overlapping reductions: on several ranks these are gathered on rank 0
 *    like a broadcast reduction (each rank folding its own points into its
 *    own instance would lose the others' contributions).
 *
 * Every rank sees the same launch, so all take the same decisions, create
 * the same stores (ids) and submit the same copies (the divergence check's
 * record), in the same order.
 */
#include "alias.h"

#include <stdlib.h>
#include <string.h>

#include "depgraph.h"
#include "grt_error.h"
#include "runtime.h"

uint64_t grt__alias_copies(const grt_runtime_t *rt) { return rt->alias_copies; }

static bool promoted(const grt_arg_t *a) {
  for (int d = 0; d < a->tf.view_ndim; d++)
    if (a->tf.dim[d] < 0) return true;
  return false;
}

/* True when two points of @p a's tiling differ only along a promoted dim,
 * so that they reduce into the same root elements. */
static bool cuts_promoted(const grt_arg_t *a) {
  if (a->tiling.kind != GRT_PART_TILED) return false; /* broadcast: gathered anyway */
  for (int d = 0; d < a->tf.view_ndim; d++)
    if (a->tf.dim[d] < 0 && a->tiling.colors[d] > 1) return true;
  return false;
}

static bool same_transform(const grt_transform_t *x, const grt_transform_t *y) {
  if (x->view_ndim != y->view_ndim || x->root_ndim != y->root_ndim) return false;
  for (int d = 0; d < x->view_ndim; d++)
    if (x->dim[d] != y->dim[d] || (x->dim[d] >= 0 && x->coef[d] != y->coef[d])) return false;
  for (int d = 0; d < x->root_ndim; d++)
    if (x->offset[d] != y->offset[d]) return false;
  return true;
}

static int64_t launch_points(const grt_launch_t *l) {
  int64_t n = 1;
  for (int d = 0; d < l->launch_ndim; d++) n *= l->launch_shape[d];
  return n;
}

/* True when every point sees @p a and @p b at the same addresses: one view
 * (transform and shape) and the same rectangle at every point. */
static bool same_layout(const grt_launch_t *l, const grt_arg_t *a, const grt_arg_t *b) {
  if (a->ndim != b->ndim || memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim) != 0 ||
      !same_transform(&a->tf, &b->tf))
    return false;
  if (grt__tiling_equal(&a->tiling, &b->tiling)) return true;
  if (launch_points(l) != 1) return false;
  int64_t zero[GRT_MAX_DIM] = {0};
  grt_rect_t ra, rb;
  grt__tiling_rect(&a->tiling, zero, &ra);
  grt__tiling_rect(&b->tiling, zero, &rb);
  for (int d = 0; d < a->ndim; d++)
    if (ra.lo[d] != rb.lo[d] || ra.hi[d] != rb.hi[d]) return false;
  return true;
}

/* The root images of the launch's arguments: arg k's rectangles are
 * img->v[start[k] .. start[k + 1]). */
typedef struct images {
  grt_rects_t *img;
  int start[GRT_MAX_ARGS + 1];
} images_t;

void grt__alias_free(grt_runtime_t *rt) { grt__rects_free(&rt->alias_img); }

/* Appends the exact root image of all of @p a's view. */
static int image_of(const grt_arg_t *a, grt_rects_t *out) {
  grt_rect_t r = {.ndim = a->ndim};
  for (int d = 0; d < a->ndim; d++) {
    if (a->shape[d] <= 0) return 0;
    r.hi[d] = a->shape[d] - 1;
  }
  if (grt__tf_image(&a->tf, &r, out) < 0)
    return grt__error(GRT_ENOMEM, "grt_launch_submit: out of host memory");
  return 0;
}

static void bbox(const grt_rect_t *r, int n, grt_rect_t *out) {
  *out = r[0];
  for (int k = 1; k < n; k++)
    for (int d = 0; d < r[k].ndim; d++) {
      if (r[k].lo[d] < out->lo[d]) out->lo[d] = r[k].lo[d];
      if (r[k].hi[d] > out->hi[d]) out->hi[d] = r[k].hi[d];
    }
}

static void on_meet(void *ctx, int i, uint64_t earlier) {
  (void)i, (void)earlier;
  *(bool *)ctx = true;
}

/* True when some rectangle of argument @p i's image meets one of @p j's.
 * Images of strided views are many small rectangles (every other element:
 * one per element), so past a few thousand pairs the test goes through a
 * scratch analyzer (an R-tree: O((n + m) log n)) instead of every pair; it
 * falls back to the pairs only if the analyzer cannot get memory. */
static bool images_meet(const images_t *im, int i, int j) {
  const grt_rect_t *a = &im->img->v[im->start[i]], *b = &im->img->v[im->start[j]];
  int na = im->start[i + 1] - im->start[i], nb = im->start[j + 1] - im->start[j];
  if (na == 0 || nb == 0) return false;
  if ((int64_t)na * nb > 4096) {
    grt_rect_t ba, bb; /* bounding boxes first */
    bbox(a, na, &ba);
    bbox(b, nb, &bb);
    if (!grt_rect_overlaps(&ba, &bb)) return false;
    grt_dg_t *dg = grt__dg_create(a[0].ndim);
    bool meet = false;
    grt_dg_access_t wa = {.id = 1, .priv = GRT_DG_WRITE, .rects = a, .nrects = na};
    grt_dg_access_t rb = {.id = 2, .priv = GRT_DG_READ, .rects = b, .nrects = nb};
    int rc = dg ? grt__dg_add(dg, &wa, 1, on_meet, &meet) : -2;
    if (rc == 0) rc = grt__dg_add(dg, &rb, 1, on_meet, &meet);
    grt__dg_destroy(dg);
    if (rc == 0) return meet;
  }
  for (int x = 0; x < na; x++)
    for (int y = 0; y < nb; y++)
      if (grt_rect_overlaps(&a[x], &b[y])) return true;
  return false;
}

/* Replaces input @p i of @p l by a copy of its view taken now: a fresh root
 * of the same shape, filled by a copy launch ordered before @p l. */
static int take_copy(grt_launch_t *l, int i, grt_alias_copy_fn copy_fn) {
  grt_arg_t *a = &l->args[i];
  grt_store_t *h;
  int rc = grt__store_api_create_named("grt_launch_submit", l->rt, a->root->type, a->ndim, a->shape,
                                   &h);
  if (rc < 0) return rc;
  grt_store_t *tmp = grt__store_of(h);
  grt_store_t view = {.root = a->root, .ndim = a->ndim, .tf = a->tf}; /* not a handle */
  memcpy(view.shape, a->shape, sizeof view.shape);
  rc = copy_fn(tmp, &view);
  if (rc == 0) {
    grt__root_acquire(tmp->root);
    grt__root_release(a->root);
    a->root = tmp->root;
    grt__tf_identity(&a->tf, a->ndim); /* same shape: the tiling still applies */
    l->rt->alias_copies++;
  }
  /* The handle never reached the application: its object goes back to the
   * pool; the launch (and the copy) keep the root alive. */
  grt_store_destroy(h);
  return rc;
}

/* The pairs of arguments on one root, one of them writing (see the top of
 * the file). Errors first: nothing is submitted when one is found. */
static __attribute__((noinline)) int resolve_shared(grt_launch_t *l, grt_alias_copy_fn copy_fn) {
  const char *fn = "grt_launch_submit";
  int n = l->nargs;
  images_t im; /* filled when first needed: the normal case never is */
  bool imaged = false;
  uint32_t copy = 0;
  for (int i = 0; i < n; i++) {
    const grt_arg_t *a = &l->args[i];
    for (int j = i + 1; j < n; j++) {
      const grt_arg_t *b = &l->args[j];
      if (a->root != b->root || (a->priv == GRT_READ && b->priv == GRT_READ)) continue;
      /* The normal case (inout, or an input aligned with an output on one
       * view): nothing to do, whatever the images. */
      if (a->priv != GRT_REDUCE && b->priv != GRT_REDUCE && same_layout(l, a, b)) continue;
      if (!imaged) { /* every argument's root image, once per launch */
        im.img = &l->rt->alias_img;
        im.img->n = 0;
        for (int k = 0; k < n; k++) {
          im.start[k] = im.img->n;
          int rc = image_of(&l->args[k], im.img);
          if (rc < 0) return rc;
        }
        im.start[n] = im.img->n;
        imaged = true;
      }
      if (!images_meet(&im, i, j)) continue;
      if (a->priv == GRT_READ || b->priv == GRT_READ) {
        const grt_arg_t *r = a->priv == GRT_READ ? a : b, *w = a->priv == GRT_READ ? b : a;
        if (w->priv != GRT_REDUCE) copy |= 1u << (a == r ? i : j);
        continue;
      }
      if (a->priv == GRT_REDUCE && b->priv == GRT_REDUCE) {
        if (a->redop != b->redop)
          return grt__error(GRT_EINVAL,
                            "%s: arguments %d and %d reduce overlapping elements of store #%llu "
                            "with different operators (%d and %d)",
                            fn, i, j, (unsigned long long)a->root->id, a->redop, b->redop);
        if (launch_points(l) > 1) l->args[i].gather = l->args[j].gather = true;
        continue;
      }
      if (a->priv == GRT_REDUCE || b->priv == GRT_REDUCE)
        return grt__error(GRT_EINVAL,
                          "%s: arguments %d and %d write overlapping elements of store #%llu, one "
                          "by a reduction and the other directly",
                          fn, i, j, (unsigned long long)a->root->id);
      return grt__error(GRT_EINVAL,
                        "%s: arguments %d and %d write overlapping elements of store #%llu "
                        "through different views or partitions",
                        fn, i, j, (unsigned long long)a->root->id);
    }
  }
  for (int i = 0; i < n; i++)
    if (copy & (1u << i)) {
      int rc = take_copy(l, i, copy_fn);
      if (rc < 0) return rc;
    }
  return 0;
}

int grt__alias_resolve(grt_launch_t *l, grt_alias_copy_fn copy_fn) {
  int n = l->nargs;
  bool shared = false;
  for (int i = 0; i < n; i++) {
    grt_arg_t *a = &l->args[i];
    if (a->priv != GRT_READ && promoted(a)) {
      if (a->priv != GRT_REDUCE)
        return grt__error(GRT_EINVAL,
                          "grt_launch_submit: argument %d is written through a promoted "
                          "(broadcast) view: several of its elements are one element of store "
                          "#%llu; only a reduction may go through a promoted view",
                          i, (unsigned long long)a->root->id);
      a->gather = cuts_promoted(a) && launch_points(l) > 1; /* its points share elements */
    }
    for (int j = i + 1; j < n && !shared; j++)
      shared = l->args[j].root == a->root && (a->priv != GRT_READ || l->args[j].priv != GRT_READ);
  }
  return shared ? resolve_shared(l, copy_fn) : 0;
}
