/* store.c - logical stores, their views, and the reference-counted roots behind them. */
#include "store.h"
#include "grt_error.h"
#include "type.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- roots ---- */

void grt__root_acquire(grt_store_root_t *root) {
  atomic_fetch_add_explicit(&root->refs, 1, memory_order_relaxed);
}

/* Takes an attached root off its context's list (its last reference is
 * going); a no-op for other roots. Any thread. */
static void forget_attached(grt_store_root_t *root) {
  if (!root->attached) return;
  grt_store_ctx_t *ctx = root->ctx;
  pthread_mutex_lock(&ctx->attached_lock);
  for (grt_store_root_t **p = &ctx->attached; *p; p = &(*p)->next_attached)
    if (*p == root) {
      *p = root->next_attached;
      break;
    }
  pthread_mutex_unlock(&ctx->attached_lock);
}

/* Drops one reference; the last one runs the runtime's hook, frees the
 * instance (unless it is the application's buffer) and the root. */
void grt__root_release(grt_store_root_t *root) {
  if (!root) return;
  int before = atomic_fetch_sub_explicit(&root->refs, 1, memory_order_acq_rel);
  GRT_API_CHECK(before > 0);
  if (before != 1) return;
  forget_attached(root);
  if (root->release) root->release(root);
  grt__inst_set_free(&root->insts);
  free(root);
}

void grt__root_rect(const grt_store_root_t *root, grt_rect_t *out) {
  memset(out, 0, sizeof *out);
  out->ndim = root->ndim;
  for (int d = 0; d < root->ndim; d++) out->hi[d] = root->shape[d] - 1;
}

grt_instance_t *grt__root_whole(const grt_store_root_t *root) {
  grt_rect_t whole;
  grt__root_rect(root, &whole);
  if (grt_rect_empty(&whole)) return NULL;
  return grt__inst_set_find(&root->insts, &whole);
}

int grt__root_whole_instance(grt_store_root_t *root, grt_memory_t *mem, grt_instance_t **out) {
  grt_instance_t *in = grt__root_whole(root);
  grt_rect_t whole;
  grt__root_rect(root, &whole);
  if (out) *out = NULL;
  if (!in && !grt_rect_empty(&whole)) {
    if (!mem)
      return grt__error(GRT_EINVAL, "grt__root_whole_instance: mem is NULL for store %llu",
                        (unsigned long long)root->id);
    if (root->insts.n > 0)
      return grt__error(GRT_EINVAL, "grt__root_whole_instance: store %llu has partial instances",
                        (unsigned long long)root->id);
    int rc = grt__inst_alloc(mem, &whole, root->type->size, &in);
    if (rc < 0) return rc;
    if ((rc = grt__inst_set_add(&root->insts, in)) < 0) {
      grt__inst_unref(in);
      return rc;
    }
  }
  if (out) *out = in;
  return 0;
}

/* ---- handles ---- */

int grt__store_detached(const grt_store_t *s, const char *fn, const char *argname) {
  return grt__error(GRT_ESTATE, "%s: %s: its root store %llu was detached", fn, argname,
                    (unsigned long long)s->root->id);
}

bool grt__store_covers_root(const grt_store_t *s) {
  if (!grt__tf_is_identity(&s->tf) || s->ndim != s->root->ndim) return false;
  for (int d = 0; d < s->ndim; d++)
    if (s->shape[d] != s->root->shape[d]) return false;
  return true;
}

/* Validates what store creation and attach share and fills @p shape_out and
 * the element count. @p fn names the public function in messages. */
static int check_create_args(const char *fn, grt_store_ctx_t *ctx, const grt_type_t *type,
                             int ndim, const int64_t *shape, grt_store_t **out,
                             int64_t *volume) {
  if (!out) return grt__error(GRT_EINVAL, "%s: out is NULL", fn);
  *out = NULL;
  char what[96];
  snprintf(what, sizeof what, "%s: rt", fn);
  int rc = grt__store_ctx_check(ctx, what);
  if (rc < 0) return rc;
  if (!type) return grt__error(GRT_EINVAL, "%s: type is NULL", fn);
  if (!grt__type_known(ctx->types, type))
    return grt__error(GRT_EINVAL, "%s: type is not a built-in type or a type of this runtime",
                      fn);
  if (ndim < 1 || ndim > GRT_MAX_DIM)
    return grt__error(GRT_EINVAL, "%s: ndim %d out of range 1..%d", fn, ndim, GRT_MAX_DIM);
  if (!shape) return grt__error(GRT_EINVAL, "%s: shape is NULL", fn);
  int64_t vol = 1;
  bool empty = false;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] < 0)
      return grt__error(GRT_EINVAL, "%s: shape[%d] is %lld (extents must be >= 0)", fn, d,
                        (long long)shape[d]);
    if (shape[d] == 0) empty = true;
  }
  /* Overflow of the element count and of the byte size, checked even when
   * another extent is 0 so that a shape is accepted or not on its own terms. */
  uint64_t ulimit = (uint64_t)INT64_MAX / type->size;
  if (ulimit > SIZE_MAX / type->size) ulimit = SIZE_MAX / type->size;
  int64_t limit = (int64_t)ulimit;   /* most elements the store may have; >= 0 */
  for (int d = 0; d < ndim; d++) {
    int64_t e = shape[d] ? shape[d] : 1;
    if (vol > limit / e)
      return grt__error(GRT_EINVAL,
                        "%s: shape[%d] = %lld makes the store larger than the address space "
                        "(%zu-byte elements)",
                        fn, d, (long long)shape[d], type->size);
    vol *= e;
  }
  *volume = empty ? 0 : vol;
  return 0;
}

/* A live store object from @p ctx's pool (its handle: grt__handle_of), or
 * NULL when out of memory. Every field is set: a recycled object keeps its
 * old contents. */
static grt_store_t *handle_new(grt_store_ctx_t *ctx, grt_store_root_t *root, int ndim,
                               const int64_t *shape, const grt_transform_t *tf) {
  bool fresh;
  grt_store_t *s = grt__pool_take(&ctx->pools[GRT_HK_STORE], GRT_HK_STORE, sizeof *s, &fresh);
  if (!s) return NULL;
  s->root = root;
  s->ndim = ndim;
  memset(s->shape, 0, sizeof s->shape);
  memcpy(s->shape, shape, (size_t)ndim * sizeof *shape);
  s->tf = *tf;
  return s;
}

/* Makes a root and its first handle. Arguments already validated. All
 * allocation happens before the root joins the attached list, so nothing
 * has to be undone on failure. The runtime's per-root fields (mem,
 * rt_state, release) start NULL. */
static int store_new(const char *fn, grt_store_ctx_t *ctx, const grt_type_t *type, int ndim,
                     const int64_t *shape, int64_t volume, bool attached, void *buffer,
                     grt_store_t **out) {
  grt_store_root_t *root = calloc(1, sizeof *root);
  grt_transform_t tf;
  grt__tf_identity(&tf, ndim);
  grt_instance_t *app = NULL;
  if (root && attached && volume > 0) {
    grt_rect_t whole = {.ndim = ndim};
    for (int d = 0; d < ndim; d++) whole.hi[d] = shape[d] - 1;
    if ((app = grt__inst_wrap(buffer, &whole, type->size)) &&
        grt__inst_set_add(&root->insts, app) < 0) {
      grt__inst_unref(app);
      app = NULL;
    }
  }
  grt_store_t *s = root && (app || !attached || volume == 0)
                       ? handle_new(ctx, root, ndim, shape, &tf)
                       : NULL;
  if (!s) {
    if (root) grt__inst_set_free(&root->insts);
    free(root);
    return grt__error(GRT_ENOMEM, "%s: out of host memory", fn);
  }
  root->ctx = ctx;
  root->rt = ctx->rt;
  root->type = type;
  root->ndim = ndim;
  memcpy(root->shape, shape, (size_t)ndim * sizeof *shape);
  int64_t stride = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    root->strides[d] = stride;
    stride *= shape[d] ? shape[d] : 1;
  }
  root->volume = volume;
  atomic_init(&root->refs, 1);
  atomic_init(&root->handles, 1);
  /* Taken only on success, so ids stay equal on every rank. */
  root->id = ++ctx->next_id;
  if (attached) {
    root->attached = true;
    pthread_mutex_lock(&ctx->attached_lock);
    root->next_attached = ctx->attached;
    ctx->attached = root;
    pthread_mutex_unlock(&ctx->attached_lock);
  }
  *out = grt__handle_of(s);
  return 0;
}

int grt__store_create(grt_store_ctx_t *ctx, const char *fn, const grt_type_t *type, int ndim,
                      const int64_t *shape, grt_store_t **out) {
  int64_t volume;
  int rc = check_create_args(fn, ctx, type, ndim, shape, out, &volume);
  if (rc < 0) return rc;
  return store_new(fn, ctx, type, ndim, shape, volume, false, NULL, out);
}

int grt__store_attach(grt_store_ctx_t *ctx, const grt_type_t *type, int ndim,
                      const int64_t *shape, void *buffer, grt_store_t **out) {
  int64_t volume;
  int rc = check_create_args("grt_store_attach", ctx, type, ndim, shape, out, &volume);
  if (rc < 0) return rc;
  if (!buffer && volume > 0)
    return grt__error(GRT_EINVAL, "grt_store_attach: buffer is NULL for a store of %lld elements",
                      (long long)volume);
  if (buffer && (uintptr_t)buffer % type->align != 0)
    return grt__error(GRT_EINVAL, "grt_store_attach: buffer %p is not aligned to %zu bytes",
                      buffer, type->align);
  return store_new("grt_store_attach", ctx, type, ndim, shape, volume, true, buffer, out);
}

/* Every copy of the handle goes stale now and the object goes back to the
 * pool (nothing else points at it, see store.h); the root loses one
 * reference. A stale handle only sets the message. A detached store's
 * handle is destroyed the same way. After grt_finalize the object goes back
 * to malloc (a store object owns nothing else) and the root is left alone
 * (its memory's accounting went with the runtime): destroy stores before
 * grt_finalize. The last handle of an attached store never detached writes
 * its values back to every rank's buffer, as a detach would, but without
 * waiting (see grt.h; the runtime's root_orphaned callback). */
GRT_EXPORT void grt_store_destroy(grt_store_t *h) {
  void *obj;
  if (!h || grt__handle_get(h, GRT_HK_STORE, "grt_store_destroy", "s", &obj) < 0) return;
  grt_store_t *s = obj;
  grt_store_root_t *root = s->root;
  s->root = NULL;
  grt__handle_release(s);
  if (!grt__root_live(root)) {
    free(s);
    return;
  }
  grt_store_ctx_t *ctx = root->ctx;
  grt__pool_give(&ctx->pools[GRT_HK_STORE], s);
  /* The last handle of an attached root never detached: its values go back
   * to every rank's buffer (transfers that hold the root), without waiting. */
  if (atomic_fetch_sub_explicit(&root->handles, 1, memory_order_acq_rel) == 1 &&
      ctx->root_orphaned)
    ctx->root_orphaned(ctx->rt, root);
  grt__root_release(root);
}

GRT_EXPORT int grt_store_ndim(const grt_store_t *h) {
  grt_store_t *s;
  int rc = grt__store_get(h, "grt_store_ndim", "s", &s);
  return rc < 0 ? rc : s->ndim;
}

GRT_EXPORT void grt_store_shape(const grt_store_t *h, int64_t *shape) {
  grt_store_t *s;
  if (grt__store_get(h, "grt_store_shape", "s", &s) < 0) return;
  if (!shape) {
    grt__error(GRT_EINVAL, "grt_store_shape: shape is NULL");
    return;
  }
  memcpy(shape, s->shape, (size_t)s->ndim * sizeof *shape);
}

GRT_EXPORT const grt_type_t *grt_store_type(const grt_store_t *h) {
  grt_store_t *s;
  if (grt__store_get(h, "grt_store_type", "s", &s) < 0) return NULL;
  return s->root->type;
}

/* ---- views ---- */

/* Makes the view and its handle; a new reference on the root. */
static int view_new(const char *fn, grt_store_t *s, int ndim, const int64_t *shape,
                    const grt_transform_t *tf, grt_store_t **out) {
  grt_store_t *v = handle_new(s->root->ctx, s->root, ndim, shape, tf);
  if (!v) return grt__error(GRT_ENOMEM, "%s: out of host memory", fn);
  grt__root_acquire(s->root);
  atomic_fetch_add_explicit(&s->root->handles, 1, memory_order_relaxed);
  *out = grt__handle_of(v);
  return 0;
}

/* Common prologue of every view call: out, then the handle @p h (the
 * object in *s), then its runtime (a view comes from the runtime's pool). */
static int view_prologue(const char *fn, grt_store_t *h, grt_store_t **s, grt_store_t **out) {
  *s = NULL;
  if (!out) return grt__error(GRT_EINVAL, "%s: out is NULL", fn);
  *out = NULL;
  int rc = grt__store_get(h, fn, "s", s);
  if (rc == 0 && !grt__root_live((*s)->root))
    rc = grt__error(GRT_ESTATE, "%s: s: its runtime is already finalized", fn);
  return rc;
}

GRT_EXPORT int grt_store_slice(grt_store_t *h, int dim, int64_t start, int64_t stop,
                               grt_store_t **out) {
  static const char fn[] = "grt_store_slice";
  grt_store_t *s;
  int rc = view_prologue(fn, h, &s, out);
  if (rc < 0) return rc;
  if (dim < 0 || dim >= s->ndim)
    return grt__error(GRT_EINVAL, "%s: dim %d out of range for a %d-D store", fn, dim, s->ndim);
  if (start < 0 || start > s->shape[dim])
    return grt__error(GRT_EINVAL, "%s: start %lld out of range 0..%lld of dim %d", fn,
                      (long long)start, (long long)s->shape[dim], dim);
  if (stop < start || stop > s->shape[dim])
    return grt__error(GRT_EINVAL, "%s: stop %lld out of range %lld..%lld of dim %d", fn,
                      (long long)stop, (long long)start, (long long)s->shape[dim], dim);
  int64_t shape[GRT_MAX_DIM];
  memcpy(shape, s->shape, sizeof shape);
  shape[dim] = stop - start;
  grt_transform_t tf;
  grt__tf_slice(&s->tf, dim, start, &tf);
  return view_new(fn, s, s->ndim, shape, &tf, out);
}

GRT_EXPORT int grt_store_transpose(grt_store_t *h, const int *perm, grt_store_t **out) {
  static const char fn[] = "grt_store_transpose";
  grt_store_t *s;
  int rc = view_prologue(fn, h, &s, out);
  if (rc < 0) return rc;
  if (!perm) return grt__error(GRT_EINVAL, "%s: perm is NULL", fn);
  bool seen[GRT_MAX_DIM] = {false};
  for (int k = 0; k < s->ndim; k++) {
    if (perm[k] < 0 || perm[k] >= s->ndim)
      return grt__error(GRT_EINVAL, "%s: perm[%d] = %d out of range for a %d-D store", fn, k,
                        perm[k], s->ndim);
    if (seen[perm[k]])
      return grt__error(GRT_EINVAL, "%s: perm[%d] = %d repeats a dim (not a permutation)", fn,
                        k, perm[k]);
    seen[perm[k]] = true;
  }
  int64_t shape[GRT_MAX_DIM];
  for (int k = 0; k < s->ndim; k++) shape[k] = s->shape[perm[k]];
  grt_transform_t tf;
  grt__tf_transpose(&s->tf, perm, &tf);
  return view_new(fn, s, s->ndim, shape, &tf, out);
}

GRT_EXPORT int grt_store_promote(grt_store_t *h, int dim, int64_t size, grt_store_t **out) {
  static const char fn[] = "grt_store_promote";
  grt_store_t *s;
  int rc = view_prologue(fn, h, &s, out);
  if (rc < 0) return rc;
  if (s->ndim >= GRT_MAX_DIM)
    return grt__error(GRT_EINVAL, "%s: s already has %d dims (max %d)", fn, s->ndim,
                      GRT_MAX_DIM);
  if (dim < 0 || dim > s->ndim)
    return grt__error(GRT_EINVAL, "%s: dim %d out of range 0..%d for a %d-D store", fn, dim,
                      s->ndim, s->ndim);
  if (size < 0)
    return grt__error(GRT_EINVAL, "%s: size is %lld (must be >= 0)", fn, (long long)size);
  /* Every view's element count fits in int64, as a root's does. */
  int64_t vol = 1;
  for (int d = 0; d < s->ndim; d++) {
    int64_t e = s->shape[d] ? s->shape[d] : 1;
    vol = vol > INT64_MAX / e ? INT64_MAX : vol * e;
  }
  if (size > 0 && vol > INT64_MAX / size)
    return grt__error(GRT_EINVAL, "%s: size %lld makes the view's element count overflow int64",
                      fn, (long long)size);
  int64_t shape[GRT_MAX_DIM];
  for (int j = 0, k = 0; j <= s->ndim; j++) shape[j] = j == dim ? size : s->shape[k++];
  grt_transform_t tf;
  grt__tf_promote(&s->tf, dim, &tf);
  return view_new(fn, s, s->ndim + 1, shape, &tf, out);
}

GRT_EXPORT int grt_store_project(grt_store_t *h, int dim, int64_t index, grt_store_t **out) {
  static const char fn[] = "grt_store_project";
  grt_store_t *s;
  int rc = view_prologue(fn, h, &s, out);
  if (rc < 0) return rc;
  if (dim < 0 || dim >= s->ndim)
    return grt__error(GRT_EINVAL, "%s: dim %d out of range for a %d-D store", fn, dim, s->ndim);
  if (s->ndim == 1)
    return grt__error(GRT_EINVAL, "%s: dim %d is the only dim of s (a store keeps >= 1 dim)",
                      fn, dim);
  if (index < 0 || index >= s->shape[dim])
    return grt__error(GRT_EINVAL, "%s: index %lld out of range 0..%lld of dim %d", fn,
                      (long long)index, (long long)s->shape[dim] - 1, dim);
  int64_t shape[GRT_MAX_DIM];
  for (int j = 0, k = 0; j < s->ndim; j++)
    if (j != dim) shape[k++] = s->shape[j];
  grt_transform_t tf;
  grt__tf_project(&s->tf, dim, index, &tf);
  return view_new(fn, s, s->ndim - 1, shape, &tf, out);
}

GRT_EXPORT int grt_store_delinearize(grt_store_t *h, int dim, int n, const int64_t *sizes,
                                     grt_store_t **out) {
  static const char fn[] = "grt_store_delinearize";
  grt_store_t *s;
  int rc = view_prologue(fn, h, &s, out);
  if (rc < 0) return rc;
  if (dim < 0 || dim >= s->ndim)
    return grt__error(GRT_EINVAL, "%s: dim %d out of range for a %d-D store", fn, dim, s->ndim);
  if (n < 1 || s->ndim - 1 + n > GRT_MAX_DIM)
    return grt__error(GRT_EINVAL, "%s: n %d out of range 1..%d for a %d-D store (max %d dims)",
                      fn, n, GRT_MAX_DIM - s->ndim + 1, s->ndim, GRT_MAX_DIM);
  if (!sizes) return grt__error(GRT_EINVAL, "%s: sizes is NULL", fn);
  bool zero = false;
  for (int k = 0; k < n; k++) {
    if (sizes[k] < 0)
      return grt__error(GRT_EINVAL, "%s: sizes[%d] is %lld (must be >= 0)", fn, k,
                        (long long)sizes[k]);
    if (sizes[k] == 0) zero = true;
  }
  int64_t prod = 1;
  bool over = false;
  for (int k = 0; k < n && !zero && !over; k++) {
    if (prod > INT64_MAX / sizes[k]) over = true;
    else prod *= sizes[k];
  }
  if (zero) prod = 0;
  if (over)
    return grt__error(GRT_EINVAL, "%s: sizes multiply past INT64_MAX, not to extent %lld of dim %d",
                      fn, (long long)s->shape[dim], dim);
  if (prod != s->shape[dim])
    return grt__error(GRT_EINVAL, "%s: sizes multiply to %lld, not to extent %lld of dim %d", fn,
                      (long long)prod, (long long)s->shape[dim], dim);
  int64_t shape[GRT_MAX_DIM];
  int k = 0;
  for (int j = 0; j < s->ndim; j++) {
    if (j == dim)
      for (int l = 0; l < n; l++) shape[k++] = sizes[l];
    else
      shape[k++] = s->shape[j];
  }
  grt_transform_t tf;
  grt__tf_delinearize(&s->tf, dim, n, sizes, &tf);
  return view_new(fn, s, k, shape, &tf, out);
}
