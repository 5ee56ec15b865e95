/* ops.c - fill, copy, inline mapping and detach, built on launches and wait nodes. */
#include "ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "check.h"
#include "plan.h"
#include "grt_error.h"
#include "graph.h"
#include "instances.h"
#include "launch.h"
#include "library.h"
#include "op.h"
#include "runtime.h"
#include "submit.h"

/* Calls fn on every element address of buffer @p b (N-D, any strides). */
static void for_each_elem2(const grt_buffer_t *a, const grt_buffer_t *b, size_t esize,
                           void (*fn)(void *x, const void *y, size_t esize, const void *data),
                           const void *data) {
  int nd = a->ndim;
  if (nd == 0) {
    fn(a->ptr, b ? b->ptr : NULL, esize, data);
    return;
  }
  int64_t zero[GRT_MAX_DIM] = {0}, last[GRT_MAX_DIM], idx[GRT_MAX_DIM] = {0};
  for (int d = 0; d < nd; d++) {
    last[d] = a->hi[d] - a->lo[d];
    if (last[d] < 0) return;
  }
  /* Row by row (the rectangle walk over [0, last]), element by element along it. */
  int64_t sa = a->stride[nd - 1], sb = b ? b->stride[nd - 1] : 0;
  do {
    int64_t oa = 0, ob = 0;
    for (int d = 0; d < nd - 1; d++) {
      oa += idx[d] * a->stride[d];
      if (b) ob += idx[d] * b->stride[d];
    }
    for (int64_t i = 0; i <= last[nd - 1]; i++, oa += sa, ob += sb)
      fn((char *)a->ptr + oa * (int64_t)esize,
         b ? (const char *)b->ptr + ob * (int64_t)esize : NULL, esize, data);
  } while (grt_rect_next_run(nd, zero, last, idx));
}

static void set_elem(void *x, const void *y, size_t esize, const void *value) {
  (void)y;
  memcpy(x, value, esize);
}

static void copy_elem(void *x, const void *y, size_t esize, const void *data) {
  (void)data;
  memcpy(x, y, esize);
}

static void fill_task(grt_task_context_t *ctx) {
  grt_buffer_t b;
  if (grt_task_arg(ctx, 0, &b) < 0) return;
  const void *value = grt_task_scalar(ctx, 0);
  size_t esize = grt_type_size(b.type);
  /* Fast path: a contiguous row-major tile. */
  bool dense = true;
  int64_t expect = 1, n = 1;
  for (int d = b.ndim - 1; d >= 0; d--) {
    int64_t ext = b.hi[d] - b.lo[d] + 1;
    if (ext <= 0) return;
    if (ext > 1 && b.stride[d] != expect) dense = false;
    expect *= ext;
    n *= ext;
  }
  if (dense) {
    unsigned char *p = b.ptr;
    bool zero = true;
    for (size_t i = 0; i < esize; i++) zero &= ((const unsigned char *)value)[i] == 0;
    if (zero) {
      memset(p, 0, (size_t)n * esize);
      return;
    }
    for (int64_t i = 0; i < n; i++) memcpy(p + i * (int64_t)esize, value, esize);
    return;
  }
  for_each_elem2(&b, NULL, esize, set_elem, value);
}

static void copy_task(grt_task_context_t *ctx) {
  grt_buffer_t dst, src;
  if (grt_task_arg(ctx, 0, &dst) < 0 || grt_task_arg(ctx, 1, &src) < 0) return;
  for_each_elem2(&dst, &src, grt_type_size(dst.type), copy_elem, NULL);
}

int grt__ops_internal_library(grt_runtime_t *rt) {
  int rc = grt_library_create(rt, "grt.internal", &rt->internal_lib);
  if (rc < 0) return rc;
  if ((rc = grt_task_register(rt->internal_lib, GRT_INTERNAL_FILL, "grt.fill",
                              &(grt_variants_t){.cpu = fill_task})) < 0)
    return rc;
  return grt_task_register(rt->internal_lib, GRT_INTERNAL_COPY, "grt.copy",
                           &(grt_variants_t){.cpu = copy_task});
}

GRT_EXPORT int grt_fill(grt_store_t *h, const void *value) {
  const char *fn = "grt_fill";
  grt_store_t *s;
  int rc = grt__store_get(h, fn, "store", &s);
  if (rc < 0) return rc;
  if (!value) return grt__error(GRT_EINVAL, "%s: value is NULL", fn);
  grt_runtime_t *rt = s->root->rt;
  if ((rc = grt__store_api_check(rt, fn)) < 0) return rc;
  grt_launch_t *l;
  if ((rc = grt_launch_create(rt->internal_lib, GRT_INTERNAL_FILL, &l)) < 0) return rc;
  if ((rc = grt__launch_add_store(l, s, GRT_WRITE, fn)) < 0 ||
      (rc = grt_launch_add_scalar(l, s->root->type, value)) < 0) {
    grt_launch_destroy(l);
    return rc;
  }
  return grt_launch_submit(l, NULL);
}

GRT_EXPORT int grt_copy(grt_store_t *dsth, grt_store_t *srch) {
  const char *fn = "grt_copy";
  grt_store_t *dst, *src;
  int rc = grt__store_get(dsth, fn, "dst", &dst);
  if (rc < 0) return rc;
  if ((rc = grt__store_get(srch, fn, "src", &src)) < 0) return rc;
  grt_runtime_t *rt = dst->root->rt;
  if ((rc = grt__store_api_check(rt, fn)) < 0) return rc;
  if (src->root->rt != rt) return grt__error(GRT_EINVAL, "%s: src belongs to another runtime", fn);
  if (dst->root->type != src->root->type)
    return grt__error(GRT_EINVAL, "%s: dst type '%s' differs from src type '%s'", fn,
                      grt_type_format(dst->root->type), grt_type_format(src->root->type));
  if (dst->ndim != src->ndim || memcmp(dst->shape, src->shape, sizeof(int64_t) * (size_t)dst->ndim))
    return grt__error(GRT_EINVAL, "%s: dst and src have different shapes", fn);
  return grt__submit_copy(dst, src);
}

/* ---- waiting for exactly the tasks that touch a store ---- */

/* Makes a wait node that comes after every earlier conflicting access to
 * @p s (and before every later one until it completes), and blocks until
 * its predecessors are done. Returns the node (owned by the runtime once
 * completed) or NULL with an error. */
static grt_node_t *wait_for_store(grt_runtime_t *rt, grt_store_t *s, grt_dg_priv_t priv, int *rc) {
  grt__op_drain(rt);
  grt_node_t *n = malloc(sizeof *n);
  if (!n) {
    *rc = grt__error(GRT_ENOMEM, "out of host memory");
    return NULL;
  }
  grt__graph_node_init(&rt->graph, n, GRT_NODE_WAIT, NULL, NULL);
  if ((*rc = grt__graph_insert(&rt->graph, n)) < 0) {
    free(n);
    return NULL;
  }
  *rc = 0;
  if (rt->nranks > 1) { /* every rank sees the whole store: gather what it lacks */
    *rc = grt__plan_whole(rt, s);
    if (*rc == 0) *rc = grt__plan_xfers_analyze(rt, s->root);
  }
  if (*rc == 0) *rc = grt__analysis_access_whole(rt, s, priv, n, n->seq);
  grt__plan_xfers_release(rt);
  grt__graph_release(&rt->graph, n); /* drop the hold; its edges decide now */
  grt__graph_wait_ready(&rt->graph, n);
  return n;
}

/* Pooled per runtime; the handle goes stale at unmap (handle.h). */
struct grt_mapping {
  grt_hdr_t hdr;                 /* first: pooled, generation-tagged handle */
  grt_runtime_t *rt;
  grt_node_t *wait;
  grt_store_t view;              /* a copy of the mapped view (not a handle) */
  grt_privilege_t priv;
  grt_store_root_t *root;
  grt_instance_t *inst;          /* referenced until unmap; NULL for an empty view */
  void *ptr;
  int ndim;
  int64_t strides[GRT_MAX_DIM];
};

/* The root box of all of view @p s into @p box; true when the view is empty. */
static bool view_box(const grt_store_t *s, grt_rect_t *box) {
  grt_rect_t r = {.ndim = s->ndim};
  for (int d = 0; d < s->ndim; d++) r.hi[d] = s->shape[d] - 1;
  if (grt_rect_empty(&r)) return true;
  grt__instances_view_box(&s->tf, s->root->ndim, &r, box);
  return false;
}

GRT_EXPORT int grt_store_map(grt_store_t *h, grt_privilege_t priv, grt_mapping_t **out) {
  const char *fn = "grt_store_map";
  if (!out) return grt__error(GRT_EINVAL, "%s: out is NULL", fn);
  *out = NULL;
  grt_store_t *s;
  int rc = grt__store_get(h, fn, "store", &s);
  if (rc < 0) return rc;
  if ((int)priv < GRT_READ || priv > GRT_READ_WRITE)
    return grt__error(GRT_EINVAL, "%s: priv %d must be GRT_READ, GRT_WRITE or GRT_READ_WRITE", fn,
                      (int)priv);
  grt_runtime_t *rt = s->root->rt;
  if ((rc = grt__store_api_check(rt, fn)) < 0) return rc;
  if ((rc = grt__check_sync(rt, GRT_CHECK_MAP, s->root->id, NULL)) < 0) return rc;
  /* One instance holding the view's box on this rank (grown over whatever
   * this rank held of it); the plan then brings in what it lacks. */
  grt_rect_t box;
  bool empty = view_box(s, &box);
  grt_instance_t *in = NULL;
  if (!empty && (rc = grt__instances_ensure(rt, s->root, &box, &in)) < 0) return rc;
  bool fresh;
  grt_mapping_t *m = grt__pools_get(rt, GRT_HK_MAPPING, sizeof *m, &fresh);
  if (!m) return grt__error(GRT_ENOMEM, "%s: out of host memory", fn);
  m->wait = wait_for_store(rt, s, priv == GRT_READ ? GRT_DG_READ : GRT_DG_READ_WRITE, &rc);
  if (!m->wait) {
    grt__handle_release(m);
    grt__pools_put(rt, m);
    return rc;
  }
  m->rt = rt;
  rt->live_mappings++;
  m->view = *s;
  m->priv = priv;
  m->root = s->root;
  grt__root_acquire(s->root);
  m->ndim = s->ndim;
  int64_t zero[GRT_MAX_DIM] = {0};
  m->inst = NULL;
  if (empty) {
    static _Alignas(64) unsigned char nowhere[64];
    grt__tf_layout(&s->tf, s->root->strides, zero, m->strides);
    m->ptr = nowhere;
  } else {
    if (!(in = grt__inst_set_find(&s->root->insts, &box))) grt__instances_lost(rt, s->root, &box);
    grt__inst_ref(in);
    m->inst = in;
    m->ptr = grt__instances_bind(in, &s->tf, zero, grt_type_size(s->root->type), m->strides);
  }
  *out = grt__handle_of(m);
  return rc;
}

/* The mapping behind the application's handle @p h, for @p fn. */
static int mapping_get(grt_mapping_t *h, const char *fn, grt_mapping_t **out) {
  void *obj;
  int rc = grt__handle_get(h, GRT_HK_MAPPING, fn, "mapping", &obj);
  *out = obj;
  if (rc == 0 && !grt__store_api_live((*out)->rt))
    rc = grt__error(GRT_ESTATE, "%s: mapping: its runtime is already finalized", fn);
  return rc;
}

GRT_EXPORT void *grt_mapping_ptr(grt_mapping_t *h, int64_t *strides) {
  grt_mapping_t *m;
  if (mapping_get(h, "grt_mapping_ptr", &m) < 0) return NULL;
  if (strides) memcpy(strides, m->strides, sizeof(int64_t) * (size_t)m->ndim);
  return m->ptr;
}

GRT_EXPORT int grt_mapping_unmap(grt_mapping_t *h) {
  grt_mapping_t *m;
  int rc = mapping_get(h, "grt_mapping_unmap", &m);
  if (rc < 0) return rc;
  grt__check_op(m->rt, GRT_CHECK_UNMAP, m->root->id);
  /* Every rank wrote the same values through its mapping (one program). */
  if (m->rt->nranks > 1 && m->priv != GRT_READ) rc = grt__plan_everywhere(m->rt, &m->view);
  grt__graph_complete(&m->rt->graph, m->wait);
  m->rt->live_mappings--;
  grt__inst_unref(m->inst);
  grt__root_release(m->root);
  grt__handle_release(m);
  grt__pools_put(m->rt, m);
  return rc;
}

/* @p out: a view (not a handle) of all of @p root through the identity. */
static void whole_view(grt_store_root_t *root, grt_store_t *out) {
  memset(out, 0, sizeof *out);
  out->root = root;
  out->ndim = root->ndim;
  memcpy(out->shape, root->shape, sizeof out->shape);
  grt__tf_identity(&out->tf, root->ndim);
}

GRT_EXPORT int grt_store_detach(grt_store_t *h) {
  const char *fn = "grt_store_detach";
  grt_store_t *s;
  int rc = grt__store_get(h, fn, "store", &s);
  if (rc < 0) return rc;
  if (!s->root->attached)
    return grt__error(GRT_EINVAL, "%s: store was not made by grt_store_attach", fn);
  grt_runtime_t *rt = s->root->rt;
  if ((rc = grt__store_api_check(rt, fn)) < 0) return rc;
  if ((rc = grt__check_sync(rt, GRT_CHECK_DETACH, s->root->id, NULL)) < 0) return rc;
  /* Every task touching the root, through any view, must be done. */
  grt_store_t whole;
  whole_view(s->root, &whole);
  grt_node_t *n = wait_for_store(rt, &whole, GRT_DG_READ_WRITE, &rc);
  if (!n) return rc;
  /* One rank's instance is the application's buffer: nothing to copy. */
  s->root->detached = true;
  grt__graph_complete(&rt->graph, n);
  return rc;
}

void grt__ops_root_orphaned(grt_runtime_t *rt, grt_store_root_t *root) {
  if (!root->attached || root->detached) return;
  /* Its values are on their way back: finalize does not write it back again,
   * and nothing can name the root any more (no handle is left). */
  root->detached = true;
  grt__check_op(rt, GRT_CHECK_DETACH, root->id);
  if (rt->rank == 0)
    fprintf(stderr,
            "grt_store_destroy: warning: attached store %llu destroyed without grt_store_detach; "
            "its values are written back to the application's buffer once pending work "
            "completes (by the next grt_fence or grt_finalize)\n",
            (unsigned long long)root->id);
  /* One rank: its instance is the buffer; the tasks still writing it are
   * waited for by the next fence or finalize. */
  if (rt->nranks == 1 || root->volume == 0) return;
  /* Several: the same transfers a detach plans (every rank alike), not
   * waited for. Their nodes come after every earlier writer of the root,
   * hold it until done, and count as outstanding for grt_fence. */
  grt__op_drain(rt);
  grt_store_t whole;
  whole_view(root, &whole);
  int rc = grt__plan_whole(rt, &whole);
  if (rc == 0) rc = grt__plan_xfers_analyze(rt, root);
  grt__plan_xfers_release(rt);
  if (rc < 0)
    fprintf(stderr, "grt_store_destroy: rank %d: attached store %llu: writing back failed: %s\n",
            rt->rank, (unsigned long long)root->id, grt_last_error());
}

int grt__ops_detach_all(grt_runtime_t *rt, bool write_back) {
  int rc = 0;
  for (;;) { /* no node is left: nothing releases a root meanwhile */
    grt_store_root_t *root = grt__store_ctx_take_attached(&rt->store_ctx);
    if (!root) break;
    if (write_back && !root->detached) {
      if (rt->rank == 0)
        fprintf(stderr,
                "grt_finalize: warning: attached store %llu was never detached; its values are "
                "written back to the application's buffer (call grt_store_detach)\n",
                (unsigned long long)root->id);
      grt_store_t whole;
      whole_view(root, &whole);
      int wrc;
      grt_node_t *n = wait_for_store(rt, &whole, GRT_DG_READ_WRITE, &wrc);
      if (n) {
        root->detached = true;
        grt__graph_complete(&rt->graph, n);
      } else if (rc == 0) {
        rc = wrc;
      }
    }
  }
  return rc;
}
