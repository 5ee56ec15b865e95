/* launch.c - building launches: arguments, scalars, constraints, validation. */
#include "launch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grt_error.h"
#include "future.h"
#include "library.h"
#include "redop.h"
#include "runtime.h"


/* Records the first error of a launch so that submit reports it too. */
static int launch_fail(grt_launch_t *l, int rc) {
  if (!l->error) {
    l->error = rc;
    snprintf(l->errmsg, sizeof l->errmsg, "%s", grt_last_error());
  }
  return rc;
}

static int launch_new(grt_library_t *lib, int task_id, bool manual, grt_launch_t **out,
                      const char *fn) {
  if (!out) return grt__error(GRT_EINVAL, "%s: out is NULL", fn);
  *out = NULL;
  if (!lib) return grt__error(GRT_EINVAL, "%s: lib is NULL", fn);
  int rc = grt__store_api_check(lib->rt, fn);
  if (rc < 0) return rc;
  const grt_task_info_t *t = grt__library_task_find(lib, task_id);
  if (!t)
    return grt__error(GRT_ENOTFOUND, "%s: task_id %d is not registered in library '%s'", fn,
                      task_id, lib->name);
  /* A recycled launch (the last one freed, usually) resets only its header
   * (arguments are written as they are added) and keeps its scalar buffer;
   * a fresh one starts zeroed. */
  bool fresh;
  grt_launch_t *l = grt__pool_pop(&lib->rt->pools[GRT_HK_LAUNCH], GRT_HK_LAUNCH, sizeof *l, &fresh);
  if (!l) return grt__error(GRT_ENOMEM, "%s: out of host memory", fn);
  (void)fresh;
  l->rt = lib->rt;
  l->lib = lib;
  l->task = t;
  l->manual = manual;
  l->launch_ndim = 0;
  memset(l->launch_shape, 0, sizeof l->launch_shape);
  l->nargs = 0;
  l->nscalars = 0;
  l->sbuf_size = 0;
  l->result_type = NULL;
  l->result_redop = -1;
  l->error = 0;
  l->errmsg[0] = '\0';
  *out = grt__handle_of(l);
  return 0;
}

GRT_EXPORT int grt_launch_create(grt_library_t *lib, int task_id, grt_launch_t **out) {
  return launch_new(lib, task_id, false, out, "grt_launch_create");
}

GRT_EXPORT int grt_launch_create_manual(grt_library_t *lib, int task_id, int ndim,
                                        const int64_t *launch_shape, grt_launch_t **out) {
  const char *fn = "grt_launch_create_manual";
  if (out) *out = NULL;
  int rc = grt__task_guard(fn);
  if (rc < 0) return rc;
  if (ndim < 1 || ndim > GRT_MAX_DIM)
    return grt__error(GRT_EINVAL, "%s: ndim %d must be in 1..%d", fn, ndim, GRT_MAX_DIM);
  if (!launch_shape) return grt__error(GRT_EINVAL, "%s: launch_shape is NULL", fn);
  int64_t n = 1;
  for (int d = 0; d < ndim; d++) {
    if (launch_shape[d] < 1)
      return grt__error(GRT_EINVAL, "%s: launch_shape[%d] = %lld must be >= 1", fn, d,
                        (long long)launch_shape[d]);
    if (launch_shape[d] > (1 << 24) || (n *= launch_shape[d]) > (1 << 24))
      return grt__error(GRT_EINVAL, "%s: launch_shape has more than 2^24 points", fn);
  }
  rc = launch_new(lib, task_id, true, out, fn);
  if (rc < 0) return rc;
  grt_launch_t *l = (grt_launch_t *)grt__handle_decode(*out, &(uint32_t){0});
  l->launch_ndim = ndim;
  memcpy(l->launch_shape, launch_shape, sizeof(int64_t) * (size_t)ndim);
  return 0;
}

void grt__launch_free(grt_launch_t *l) {
  for (int i = 0; i < l->nargs; i++) grt__root_release(l->args[i].root);
  for (int i = 0; i < l->nscalars; i++)
    if (l->scalars[i].future) grt__future_unref(l->scalars[i].future);
  grt__handle_release(l);
  grt__pool_push(&l->rt->pools[GRT_HK_LAUNCH], l);
}

/* A stale handle (already submitted or destroyed) only sets the message;
 * after grt_finalize the launch is left alone (its pool is gone). */
GRT_EXPORT void grt_launch_destroy(grt_launch_t *h) {
  const char *fn = "grt_launch_destroy";
  grt_launch_t *l;
  if (!h || grt__launch_get(h, fn, &l) < 0) return;
  if (grt__store_api_check(l->rt, fn) < 0) return;
  grt__launch_free(l);
}

/* Adds store argument @p s (an object: decoded, or built by the runtime)
 * to the (decoded) launch @p l. The launch keeps a reference on the root
 * and a copy of the view, never a pointer to @p s. */
static int add_store(grt_launch_t *l, grt_store_t *s, grt_privilege_t priv, int redop,
                     const char *fn) {
  int rc;
  if (s->root->rt != l->rt)
    return launch_fail(l, grt__error(GRT_EINVAL, "%s: store belongs to another runtime", fn));
  if (l->nargs >= GRT_MAX_ARGS)
    return launch_fail(l, grt__error(GRT_EINVAL, "%s: more than %d store arguments", fn,
                                     GRT_MAX_ARGS));
  if (priv == GRT_REDUCE) {
    const void *id;
    grt_fold_fn fold;
    if ((rc = grt__redop_lookup(l->rt, redop, s->root->type, &id, &fold)) < 0) {
      grt__error(rc, "%s: op: %s", fn, grt_last_error());
      return launch_fail(l, rc);
    }
  }
  grt_arg_t *a = &l->args[l->nargs];
  memset(a, 0, sizeof *a);
  a->root = s->root;
  grt__root_acquire(s->root);
  a->ndim = s->ndim;
  memcpy(a->shape, s->shape, sizeof a->shape);
  a->tf = s->tf;
  a->priv = priv;
  a->redop = redop;
  a->align_to = -1;
  a->bloat_base = -1;
  return l->nargs++;
}

static int add_store_h(grt_launch_t *h, grt_store_t *sh, grt_privilege_t priv, int redop,
                       const char *fn) {
  grt_launch_t *l;
  grt_store_t *s;
  int rc = grt__launch_get(h, fn, &l);
  if (rc < 0) return rc;
  if ((rc = grt__store_get(sh, fn, "store", &s)) < 0) return launch_fail(l, rc);
  return add_store(l, s, priv, redop, fn);
}

int grt__launch_add_store(grt_launch_t *h, grt_store_t *s, grt_privilege_t priv,
                          const char *fn) {
  grt_launch_t *l;
  int rc = grt__launch_get(h, fn, &l);
  return rc < 0 ? rc : add_store(l, s, priv, 0, fn);
}

GRT_EXPORT int grt_launch_add_input(grt_launch_t *l, grt_store_t *s) {
  return add_store_h(l, s, GRT_READ, 0, "grt_launch_add_input");
}
GRT_EXPORT int grt_launch_add_output(grt_launch_t *l, grt_store_t *s) {
  return add_store_h(l, s, GRT_WRITE, 0, "grt_launch_add_output");
}
GRT_EXPORT int grt_launch_add_inout(grt_launch_t *l, grt_store_t *s) {
  return add_store_h(l, s, GRT_READ_WRITE, 0, "grt_launch_add_inout");
}
GRT_EXPORT int grt_launch_add_reduction(grt_launch_t *l, grt_store_t *s, grt_redop_t op) {
  return add_store_h(l, s, GRT_REDUCE, (int)op, "grt_launch_add_reduction");
}

static int add_scalar_bytes(grt_launch_t *l, const void *value, size_t size, size_t align,
                            const grt_type_t *t, grt_future_t *f, const char *fn) {
  if (l->nscalars >= GRT_MAX_SCALARS)
    return launch_fail(l, grt__error(GRT_EINVAL, "%s: more than %d scalar and future arguments",
                                     fn, GRT_MAX_SCALARS));
  size_t off = l->sbuf_size;
  if (align < 1) align = 1;
  off = (off + align - 1) / align * align;
  if (off + size > l->sbuf_cap) {
    size_t cap = l->sbuf_cap ? l->sbuf_cap * 2 : 256;
    while (cap < off + size) cap *= 2;
    unsigned char *b = realloc(l->sbuf, cap);
    if (!b) return launch_fail(l, grt__error(GRT_ENOMEM, "%s: out of host memory", fn));
    l->sbuf = b;
    l->sbuf_cap = cap;
  }
  if (size) memcpy(l->sbuf + off, value, size);
  l->sbuf_size = off + size;
  grt_scalar_t *sc = &l->scalars[l->nscalars];
  sc->type = t;
  sc->offset = off;
  sc->future = f;
  return l->nscalars++;
}

GRT_EXPORT int grt_launch_add_scalar(grt_launch_t *h, const grt_type_t *t, const void *value) {
  const char *fn = "grt_launch_add_scalar";
  grt_launch_t *l;
  int rc = grt__launch_get(h, fn, &l);
  if (rc < 0) return rc;
  if (!t) return launch_fail(l, grt__error(GRT_EINVAL, "%s: type is NULL", fn));
  if (!value) return launch_fail(l, grt__error(GRT_EINVAL, "%s: value is NULL", fn));
  return add_scalar_bytes(l, value, grt_type_size(t), grt_type_alignment(t), t, NULL, fn);
}

GRT_EXPORT int grt_launch_add_future(grt_launch_t *h, grt_future_t *fh) {
  const char *fn = "grt_launch_add_future";
  grt_launch_t *l;
  grt_future_t *f;
  int rc = grt__launch_get(h, fn, &l);
  if (rc < 0) return rc;
  if ((rc = grt__future_get_handle(fh, fn, &f)) < 0) return launch_fail(l, rc);
  if (f->rt != l->rt)
    return launch_fail(l, grt__error(GRT_EINVAL, "%s: future belongs to another runtime", fn));
  rc = add_scalar_bytes(l, NULL, 0, 1, NULL, f, fn);
  if (rc >= 0) grt__future_ref(f);
  return rc;
}

static int arg_check(grt_launch_t *l, int arg, const char *fn, const char *name) {
  if (arg < 0 || arg >= l->nargs)
    return launch_fail(l, grt__error(GRT_EINVAL, "%s: %s %d is not a store argument (have %d)",
                                     fn, name, arg, l->nargs));
  return 0;
}

static bool shapes_equal(const grt_arg_t *a, const grt_arg_t *b) {
  if (a->ndim != b->ndim) return false;
  for (int d = 0; d < a->ndim; d++)
    if (a->shape[d] != b->shape[d]) return false;
  return true;
}

/* Decodes @p h into *l, which must be an auto launch. */
static int auto_check(grt_launch_t *h, grt_launch_t **lp, const char *fn) {
  int rc = grt__launch_get(h, fn, lp);
  if (rc < 0) return rc;
  grt_launch_t *l = *lp;
  if (l->manual)
    return launch_fail(l, grt__error(GRT_EINVAL, "%s: constraints apply to auto launches only", fn));
  return 0;
}

GRT_EXPORT int grt_launch_align(grt_launch_t *h, int arg_a, int arg_b) {
  const char *fn = "grt_launch_align";
  grt_launch_t *l;
  int rc;
  if ((rc = auto_check(h, &l, fn)) < 0 || (rc = arg_check(l, arg_a, fn, "arg_a")) < 0 ||
      (rc = arg_check(l, arg_b, fn, "arg_b")) < 0)
    return rc;
  if (!shapes_equal(&l->args[arg_a], &l->args[arg_b]))
    return launch_fail(l, grt__error(GRT_EINVAL, "%s: arg_a %d and arg_b %d have different shapes",
                                     fn, arg_a, arg_b));
  if (arg_a == arg_b) return 0;
  /* Join the two align chains: point a's chain end at b's chain end. */
  int ra = arg_a, rb = arg_b;
  while (l->args[ra].align_to >= 0) ra = l->args[ra].align_to;
  while (l->args[rb].align_to >= 0) rb = l->args[rb].align_to;
  if (ra != rb) l->args[ra].align_to = rb;
  return 0;
}

GRT_EXPORT int grt_launch_broadcast(grt_launch_t *h, int arg) {
  const char *fn = "grt_launch_broadcast";
  grt_launch_t *l;
  int rc;
  if ((rc = auto_check(h, &l, fn)) < 0 || (rc = arg_check(l, arg, fn, "arg")) < 0) return rc;
  if (l->args[arg].priv == GRT_WRITE || l->args[arg].priv == GRT_READ_WRITE)
    return launch_fail(l, grt__error(GRT_EINVAL,
                                     "%s: arg %d is written; a broadcast store may only be read "
                                     "or reduced",
                                     fn, arg));
  l->args[arg].broadcast = true;
  return 0;
}

GRT_EXPORT int grt_launch_bloat(grt_launch_t *lh, int arg_halo, int arg_base, const int64_t *low,
                                const int64_t *high) {
  const char *fn = "grt_launch_bloat";
  grt_launch_t *l;
  int rc;
  if ((rc = auto_check(lh, &l, fn)) < 0 || (rc = arg_check(l, arg_halo, fn, "arg_halo")) < 0 ||
      (rc = arg_check(l, arg_base, fn, "arg_base")) < 0)
    return rc;
  if (arg_halo == arg_base)
    return launch_fail(l, grt__error(GRT_EINVAL, "%s: arg_halo and arg_base are both %d", fn, arg_halo));
  if (!low || !high)
    return launch_fail(l, grt__error(GRT_EINVAL, "%s: %s is NULL", fn, !low ? "low" : "high"));
  grt_arg_t *h = &l->args[arg_halo];
  if (!shapes_equal(h, &l->args[arg_base]))
    return launch_fail(l, grt__error(GRT_EINVAL,
                                     "%s: arg_halo %d and arg_base %d have different shapes", fn,
                                     arg_halo, arg_base));
  if (h->priv == GRT_WRITE || h->priv == GRT_READ_WRITE)
    return launch_fail(l, grt__error(GRT_EINVAL,
                                     "%s: arg_halo %d is written; halo tiles overlap, so a bloated "
                                     "store may only be read",
                                     fn, arg_halo));
  for (int d = 0; d < h->ndim; d++)
    if (low[d] < 0 || high[d] < 0)
      return launch_fail(l, grt__error(GRT_EINVAL, "%s: %s[%d] is negative", fn,
                                       low[d] < 0 ? "low" : "high", d));
  h->bloat_base = arg_base;
  memcpy(h->low, low, sizeof(int64_t) * (size_t)h->ndim);
  memcpy(h->high, high, sizeof(int64_t) * (size_t)h->ndim);
  return 0;
}

GRT_EXPORT int grt_launch_reduce_result(grt_launch_t *h, const grt_type_t *t, grt_redop_t op) {
  const char *fn = "grt_launch_reduce_result";
  grt_launch_t *l;
  int rc = grt__launch_get(h, fn, &l);
  if (rc < 0) return rc;
  if (!t) return launch_fail(l, grt__error(GRT_EINVAL, "%s: type is NULL", fn));
  const void *id;
  grt_fold_fn fold;
  if ((rc = grt__redop_lookup(l->rt, (int)op, t, &id, &fold)) < 0) {
    grt__error(rc, "%s: op: %s", fn, grt_last_error());
    return launch_fail(l, rc);
  }
  l->result_type = t;
  l->result_redop = (int)op;
  return 0;
}

GRT_EXPORT int grt_launch_add_partitioned(grt_launch_t *h, grt_store_t *sh, grt_partition_t *ph,
                                          grt_privilege_t priv) {
  const char *fn = "grt_launch_add_partitioned";
  grt_launch_t *l;
  grt_store_t *s;
  const grt_partition_t *p;
  int rc = grt__launch_get(h, fn, &l);
  if (rc < 0) return rc;
  if (!l->manual)
    return launch_fail(l, grt__error(GRT_EINVAL, "%s: launch is not manual", fn));
  if ((rc = grt__partition_get(ph, fn, &p)) < 0) return launch_fail(l, rc);
  if ((int)priv < GRT_READ || priv > GRT_READ_WRITE)
    return launch_fail(l, grt__error(GRT_EINVAL,
                                     "%s: priv %d must be GRT_READ, GRT_WRITE or GRT_READ_WRITE "
                                     "(use grt_launch_add_reduction for reductions)",
                                     fn, (int)priv));
  if ((rc = grt__store_get(sh, fn, "store", &s)) < 0) return launch_fail(l, rc);
  const grt_tiling_t *t = &p->tiling;
  if (t->ndim != s->ndim || memcmp(t->shape, s->shape, sizeof(int64_t) * (size_t)s->ndim) != 0)
    return launch_fail(l, grt__error(GRT_EINVAL,
                                     "%s: partition was made for a store of another shape", fn));
  if (t->ndim != l->launch_ndim)
    return launch_fail(l, grt__error(GRT_EINVAL,
                                     "%s: partition has %d colour dims, the launch has %d", fn,
                                     t->ndim, l->launch_ndim));
  for (int d = 0; d < t->ndim; d++)
    if (l->launch_shape[d] > t->colors[d])
      return launch_fail(l, grt__error(GRT_EINVAL,
                                       "%s: launch_shape[%d] = %lld exceeds the partition's %lld "
                                       "colours",
                                       fn, d, (long long)l->launch_shape[d],
                                       (long long)t->colors[d]));
  bool halo = false;
  for (int d = 0; d < t->ndim; d++) halo |= t->low[d] || t->high[d];
  if (halo && priv != GRT_READ)
    return launch_fail(l, grt__error(GRT_EINVAL,
                                     "%s: a halo partition's tiles overlap; it may only be read",
                                     fn));
  rc = add_store(l, s, priv, 0, fn);
  if (rc < 0) return rc;
  l->args[rc].tiling = *t;
  l->args[rc].has_tiling = true;
  return rc;
}
