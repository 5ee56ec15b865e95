/* submit.c - turning a launch into an operation: mapping, partitioning,
 * dependence analysis, and wiring the point tasks into the graph. */
#include "runtime_internal.h"
#include "gather.h"
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Access ids given to the analyzer: node sequence number and argument slot. */
#define ACCESS_ID(seq, arg) (((uint64_t)(seq) << 6) | (uint64_t)(arg))
#define ACCESS_SEQ(id) ((id) >> 6)

static void root_state_free(grt_store_root_t *root) {
  grt_root_state_t *st = root->rt_state;
  if (!st) return;
  grt__dg_destroy(st->dg);
  grt__coh_free(&st->coh);
  free(st);
  root->rt_state = NULL;
}

grt_root_state_t *grt__root_state(grt_runtime_t *rt, grt_store_root_t *root) {
  (void)rt;
  if (root->rt_state) return root->rt_state;
  grt_root_state_t *st = calloc(1, sizeof *st);
  if (!st) return NULL;
  st->dg = grt__dg_create(root->ndim);
  if (!st->dg) {
    free(st);
    return NULL;
  }
  st->prune_at = 256;
  root->rt_state = st;
  root->release = root_state_free;
  return st;
}

/* ---- processor choice ---- */

static int choose_kind(grt_runtime_t *rt, const grt_library_t *lib, const grt_task_info_t *t,
                       grt_proc_kind_t *kind, grt_task_fn *fn) {
  grt_proc_kind_t k;
  if (lib->mapper.select_proc)
    k = lib->mapper.select_proc(lib->mapper.data, t->id, &t->v, rt->ncpu, rt->nomp, rt->ngpu);
  else if (t->v.gpu && rt->ngpu > 0)
    k = GRT_PROC_GPU;
  else if (t->v.omp && rt->nomp > 0)
    k = GRT_PROC_OMP;
  else if (t->v.cpu)
    k = GRT_PROC_CPU;
  else if (t->v.omp)
    k = GRT_PROC_OMP; /* runs on a CPU worker with one thread when there is no group */
  else
    return grt__error(GRT_EUNSUPPORTED,
                      "grt_launch_submit: task '%s' has only a GPU variant and no GPU is "
                      "configured",
                      t->name);
  grt_task_fn f = k == GRT_PROC_GPU ? t->v.gpu : k == GRT_PROC_OMP ? t->v.omp : t->v.cpu;
  if (!f || (k == GRT_PROC_GPU && rt->ngpu == 0))
    return grt__error(GRT_EUNSUPPORTED,
                      "grt_launch_submit: the mapper chose processor kind %d for task '%s', which "
                      "has no such variant or processor",
                      (int)k, t->name);
  *kind = k;
  *fn = f;
  return 0;
}

static int procs_of(const grt_runtime_t *rt, grt_proc_kind_t k) {
  int n = k == GRT_PROC_OMP ? (rt->nomp ? rt->nomp : rt->ncpu) : k == GRT_PROC_GPU ? rt->ngpu
                                                                                 : rt->ncpu;
  return n * rt->nranks;
}

/* ---- partitioning ---- */

typedef struct hint_ctx {
  const grt_library_t *lib;
  int task_id;
} hint_ctx_t;

static int mapper_hint(void *data, int ndim, const int64_t *shape, int nprocs, int64_t *colors) {
  hint_ctx_t *h = data;
  int rc = h->lib->mapper.tile_shape(h->lib->mapper.data, h->task_id, ndim, shape, nprocs, colors);
  if (rc < 0) return rc;
  int64_t prod = 1;
  for (int d = 0; d < ndim; d++) {
    if (colors[d] < 1 || colors[d] > (shape[d] > 0 ? shape[d] : 1)) return -1;
    prod *= colors[d];
  }
  return prod <= nprocs ? 0 : -1;
}

static int partition_launch(grt_launch_t *l, grt_proc_kind_t kind) {
  grt_runtime_t *rt = l->rt;
  if (l->manual) {
    int64_t npoints = 1;
    for (int d = 0; d < l->launch_ndim; d++) npoints *= l->launch_shape[d];
    for (int i = 0; i < l->nargs; i++) {
      grt_arg_t *a = &l->args[i];
      if (a->has_tiling) continue;
      if (npoints > 1 && (a->priv == GRT_WRITE || a->priv == GRT_READ_WRITE))
        return grt__error(GRT_EINVAL,
                          "grt_launch_submit: argument %d is written by every point of a manual "
                          "launch; give it a partition with grt_launch_add_partitioned",
                          i);
      grt__tiling_broadcast(&a->tiling, a->ndim, a->shape);
      a->has_tiling = true;
    }
    return 0;
  }
  grt_solver_arg_t sargs[GRT_MAX_ARGS];
  for (int i = 0; i < l->nargs; i++) {
    grt_arg_t *a = &l->args[i];
    grt_solver_arg_t *s = &sargs[i];
    memset(s, 0, sizeof *s);
    s->ndim = a->ndim;
    memcpy(s->shape, a->shape, sizeof s->shape);
    s->elem_size = grt_type_size(a->root->type);
    s->writes = a->priv != GRT_READ;
    s->broadcast = a->broadcast;
    s->align_to = a->align_to;
    s->bloat_base = a->bloat_base;
    memcpy(s->low, a->low, sizeof s->low);
    memcpy(s->high, a->high, sizeof s->high);
    grt_root_state_t *st = a->root->rt_state;
    if (st && st->has_current && grt__tf_is_identity(&a->tf) &&
        memcmp(a->shape, a->root->shape, sizeof(int64_t) * (size_t)a->root->ndim) == 0)
      s->preferred = &st->current;
  }
  int nprocs = rt->settings.tiles > 0 ? rt->settings.tiles : procs_of(rt, kind);
  size_t min_chunk = rt->settings.min_cpu_chunk;
  if (l->lib->mapper.min_chunk) min_chunk = l->lib->mapper.min_chunk(l->lib->mapper.data, l->task->id, kind);
  hint_ctx_t hc = {l->lib, l->task->id};
  grt_solution_t sol;
  int rc = grt__solve(sargs, l->nargs, nprocs, min_chunk,
                      l->lib->mapper.tile_shape ? mapper_hint : NULL, &hc, &sol);
  if (rc < 0) return rc;
  l->launch_ndim = sol.launch_ndim;
  memcpy(l->launch_shape, sol.launch_shape, sizeof l->launch_shape);
  /* Stores that are all empty leave nothing to any point: the launch has
   * no point (an empty domain, as in Legate), and a result reduction is the
   * operator's identity. A launch of scalars alone still runs once. */
  bool empty = l->nargs > 0;
  for (int i = 0; i < l->nargs; i++) {
    l->args[i].tiling = sol.tilings[i];
    l->args[i].has_tiling = true;
    bool vol0 = false;
    for (int d = 0; d < l->args[i].ndim; d++) vol0 |= l->args[i].shape[d] == 0;
    empty &= vol0;
  }
  if (empty) l->launch_shape[0] = 0;
  return 0;
}

/* ---- building the operation ---- */

static void color_of(int ndim, const int64_t *shape, int64_t p, int64_t *color) {
  for (int d = ndim - 1; d >= 0; d--) {
    color[d] = p % shape[d];
    p /= shape[d];
  }
}

static void fill_buffer(const grt_arg_t *a, const grt_rect_t *r, grt_buffer_t *b) {
  grt_store_root_t *root = a->root;
  b->ndim = a->ndim;
  b->type = root->type;
  memset(b->lo, 0, sizeof b->lo);
  memset(b->hi, 0, sizeof b->hi);
  memset(b->stride, 0, sizeof b->stride);
  for (int d = 0; d < a->ndim; d++) {
    b->lo[d] = r->lo[d];
    b->hi[d] = r->hi[d];
  }
  if (grt_rect_empty(r) || !root->data) {
    grt__tf_layout(&a->tf, root->strides, (int64_t[GRT_MAX_DIM]){0}, b->stride);
    b->ptr = root->data;
    return;
  }
  int64_t off = grt__tf_layout(&a->tf, root->strides, r->lo, b->stride);
  b->ptr = (char *)root->data + off * (int64_t)grt_type_size(root->type);
}

/* ---- op blocks: recycled per size class ----
 * Operations are allocated on the application thread and freed on any
 * thread; fresh heap memory for every launch cost page faults (glibc returns
 * freed pages and mmaps large blocks). Freed blocks go on a lock-free stack
 * per power-of-two class (many producers, one consumer: no ABA), at most
 * GRT_OP_POOL_MAX per class. */
#define GRT_OP_POOL_MAX 256

typedef struct op_block {
  struct op_block *next;
} op_block_t;

void *grt__op_block_get(grt_runtime_t *rt, size_t sz, int *cls) {
  int c = 0;
  while (((size_t)1024 << c) < sz && c < GRT_OP_CLASSES) c++;
  *cls = c;
  if (c == GRT_OP_CLASSES) return calloc(1, sz); /* huge: not pooled */
  size_t bytes = (size_t)1024 << c;
  op_block_t *b = atomic_load_explicit(&rt->op_pool[c], memory_order_acquire);
  while (b && !atomic_compare_exchange_weak_explicit(&rt->op_pool[c], &b, b->next,
                                                     memory_order_acquire, memory_order_acquire)) {
  }
  if (b) {
    atomic_fetch_sub_explicit(&rt->op_pool_n[c], 1, memory_order_relaxed);
    memset(b, 0, sz);
    return b;
  }
  return calloc(1, bytes);
}

void grt__op_block_put(grt_runtime_t *rt, void *p, int c) {
  if (c >= GRT_OP_CLASSES || atomic_load_explicit(&rt->op_pool_n[c], memory_order_relaxed) >=
                                 GRT_OP_POOL_MAX) {
    free(p);
    return;
  }
  atomic_fetch_add_explicit(&rt->op_pool_n[c], 1, memory_order_relaxed);
  op_block_t *b = p;
  b->next = atomic_load_explicit(&rt->op_pool[c], memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(&rt->op_pool[c], &b->next, b, memory_order_release,
                                                memory_order_relaxed)) {
  }
}

void grt__op_pool_free(grt_runtime_t *rt) {
  for (int c = 0; c < GRT_OP_CLASSES; c++)
    for (op_block_t *b = atomic_exchange(&rt->op_pool[c], NULL), *n; b; b = n) {
      n = b->next;
      free(b);
    }
}

void grt__op_unref(grt_op_t *op) {
  if (atomic_fetch_sub_explicit(&op->refs, 1, memory_order_acq_rel) != 1) return;
  if (op->cleanup) op->cleanup(op);
  for (int i = 0; i < op->nargs; i++) grt__root_release(op->args[i].root);
  for (int i = 0; i < op->nscalars; i++)
    if (op->scalars[i].future) grt__future_unref(op->scalars[i].future);
  if (op->result) grt__future_unref(op->result);
  for (int k = 0; k < op->nmat; k++)
    if (op->points[k].redbuf)
      for (int i = 0; i < op->nargs; i++)
        if (op->points[k].redbuf[i])
          grt__mem_free(&op->rt->mems[GRT_MEM_SYSMEM], op->points[k].redbuf[i],
                        op->points[k].redbytes[i]);
  grt__futx_free(op);
  free(op->fail_msg);
  free(op->ret);
  grt__op_block_put(op->rt, op, op->block_class);
}

/* Carves one allocation into the op and its arrays: @p nmat materialized
 * points (this rank's, not the whole launch's: a rank's submission cost must
 * not grow with the number of ranks), results for all @p npoints. */
static grt_op_t *op_alloc(const grt_launch_t *l, int nmat, int npoints, int nfolds,
                          size_t result_size) {
  size_t nargs = (size_t)l->nargs, nsc = (size_t)l->nscalars, np = (size_t)nmat;
  size_t nall = (size_t)npoints;
  size_t sz = sizeof(grt_op_t);
#define CARVE(count, T) (sz = (sz + _Alignof(T) - 1) / _Alignof(T) * _Alignof(T), sz += (count) * sizeof(T), sz - (count) * sizeof(T))
  size_t o_args = CARVE(nargs, grt_arg_t);
  size_t o_sc = CARVE(nsc, grt_scalar_t);
  size_t o_points = CARVE(np, grt_point_t);
  size_t o_bufs = CARVE(np * nargs, grt_buffer_t);
  size_t o_sptr = CARVE(np * nsc, const void *);
  size_t o_red = CARVE(nfolds ? np * nargs : 0, void *);
  size_t o_redb = CARVE(nfolds ? np * nargs : 0, size_t);
  size_t o_folds = CARVE((size_t)nfolds, grt_fold_t);
  size_t o_fact = CARVE((size_t)nfolds, bool);
  size_t o_fgat = CARVE((size_t)nfolds, bool);
  size_t o_results = CARVE(nall * result_size, max_align_t);
  size_t o_has = CARVE(result_size ? nall : 0, unsigned char);
  size_t o_sbuf = CARVE(l->sbuf_size, max_align_t);
#undef CARVE
  int cls;
  char *base = grt__op_block_get(l->rt, sz, &cls);
  if (!base) return NULL;
  grt_op_t *op = (grt_op_t *)base;
  op->block_class = cls;
  op->args = (grt_arg_t *)(base + o_args);
  op->scalars = (grt_scalar_t *)(base + o_sc);
  op->points = (grt_point_t *)(base + o_points);
  grt_buffer_t *bufs = (grt_buffer_t *)(base + o_bufs);
  const void **sptr = (const void **)(base + o_sptr);
  void **red = (void **)(base + o_red);
  size_t *redb = (size_t *)(base + o_redb);
  for (size_t p = 0; p < np; p++) {
    op->points[p].ctx.args = bufs + p * nargs;
    op->points[p].ctx.scalars = sptr + p * nsc;
    if (nfolds) {
      op->points[p].redbuf = red + p * nargs;
      op->points[p].redbytes = redb + p * nargs;
    }
  }
  op->folds = (grt_fold_t *)(base + o_folds);
  op->fold_active = (bool *)(base + o_fact);
  op->fold_gather = (bool *)(base + o_fgat);
  op->results = result_size ? (unsigned char *)(base + o_results) : NULL;
  op->has_result = result_size ? (unsigned char *)(base + o_has) : NULL;
  op->sbuf = (unsigned char *)(base + o_sbuf);
  return op;
}

/* ---- dependence analysis ---- */

typedef struct edge_ctx {
  grt_runtime_t *rt;
  grt_node_t **targets; /* per access */
} edge_ctx_t;

static void on_edge(void *data, int i, uint64_t earlier) {
  edge_ctx_t *e = data;
  grt_node_t *pred = grt__table_find(e->rt, ACCESS_SEQ(earlier));
  if (pred) grt__node_add_edge(pred, e->targets[i]);
}

static int on_done(void *data, uint64_t id) {
  grt_runtime_t *rt = data;
  grt_node_t *n = grt__table_find(rt, ACCESS_SEQ(id));
  return !n || atomic_load_explicit(&n->done, memory_order_relaxed);
}

static grt_dg_priv_t dg_priv(grt_privilege_t p) {
  switch (p) {
  case GRT_READ: return GRT_DG_READ;
  case GRT_WRITE: return GRT_DG_WRITE;
  case GRT_READ_WRITE: return GRT_DG_READ_WRITE;
  default: return GRT_DG_REDUCE;
  }
}

/* Scratch space reused across submissions (app thread only). */
typedef struct scratch {
  grt_rects_t rects;
  grt_dg_access_t *acc;
  grt_node_t **targets;
  int *rect_start;
  int cap;
} scratch_t;
static _Thread_local scratch_t scratch;

static int scratch_reserve(int n) {
  if (n <= scratch.cap) return 0;
  int cap = scratch.cap ? scratch.cap : 64;
  while (cap < n) cap *= 2;
  grt_dg_access_t *a = realloc(scratch.acc, sizeof *a * (size_t)cap);
  if (a) scratch.acc = a;
  grt_node_t **t = realloc(scratch.targets, sizeof *t * (size_t)cap);
  if (t) scratch.targets = t;
  int *r = realloc(scratch.rect_start, sizeof *r * (size_t)cap);
  if (r) scratch.rect_start = r;
  if (!a || !t || !r) return grt__error(GRT_ENOMEM, "grt_launch_submit: out of host memory");
  scratch.cap = cap;
  return 0;
}

void grt__submit_scratch_free(void) {
  grt__rects_free(&scratch.rects);
  free(scratch.acc);
  free(scratch.targets);
  free(scratch.rect_start);
  memset(&scratch, 0, sizeof scratch);
}

/* Appends the root image of view rect @p r of arg @p a to the scratch rects. */
static int push_image(const grt_arg_t *a, const grt_rect_t *r) {
  if (grt_rect_empty(r)) return 0;
  if (grt__tf_is_identity(&a->tf)) return grt__rects_push(&scratch.rects, r);
  return grt__tf_image(&a->tf, r, &scratch.rects);
}

/* Runs the analysis for every root the op touches and wires the edges. */
static int analyze(grt_runtime_t *rt, grt_op_t *op) {
  bool seen[GRT_MAX_ARGS] = {false};
  for (int i = 0; i < op->nargs; i++) {
    if (seen[i]) continue;
    grt_store_root_t *root = op->args[i].root;
    grt_root_state_t *st = grt__root_state(rt, root);
    if (!st) return grt__error(GRT_ENOMEM, "grt_launch_submit: out of host memory");
    int rc0 = grt__plan_xfers_analyze(rt, root); /* this op's receives and sends come first */
    if (rc0 < 0) return rc0;
    int nacc = 0;
    scratch.rects.n = 0;
    /* Point accesses (every non-reduction argument on this root). */
    for (int j = i; j < op->nargs; j++) {
      grt_arg_t *a = &op->args[j];
      if (a->root != root) continue;
      seen[j] = true;
      if (a->priv == GRT_REDUCE) continue;
      for (int p = op->l0; p < op->l1; p++) {
        if (!grt__op_local(op, p)) continue;
        grt_point_t *pt = grt__op_point(op, p);
        grt_rect_t r = {.ndim = a->ndim};
        const grt_buffer_t *b = &pt->ctx.args[j];
        memcpy(r.lo, b->lo, sizeof r.lo);
        memcpy(r.hi, b->hi, sizeof r.hi);
        int start = scratch.rects.n;
        int rc = push_image(a, &r);
        if (rc < 0) return rc;
        if (scratch.rects.n == start) continue;
        if ((rc = scratch_reserve(nacc + 1)) < 0) return rc;
        scratch.rect_start[nacc] = start;
        scratch.acc[nacc] = (grt_dg_access_t){
            .id = ACCESS_ID(pt->node.seq, j), .priv = dg_priv(a->priv),
            .nrects = scratch.rects.n - start};
        scratch.targets[nacc] = &pt->node;
        nacc++;
      }
    }
    /* Reduction accesses belong to the folds. */
    for (int f = 0; f < op->nfolds; f++) {
      int j = op->folds[f].arg;
      grt_arg_t *a = &op->args[j];
      if (a->root != root || !op->fold_active[f]) continue;
      int start = scratch.rects.n;
      int f0 = op->fold_gather[f] ? op->p0 : op->l0;
      int f1 = op->fold_gather[f] ? op->p0 + op->nmat : op->l1;
      for (int p = f0; p < f1; p++) {
        if (!op->fold_gather[f] && !grt__op_local(op, p)) continue;
        grt_rect_t r = {.ndim = a->ndim};
        const grt_buffer_t *b = &grt__op_point(op, p)->ctx.args[j];
        memcpy(r.lo, b->lo, sizeof r.lo);
        memcpy(r.hi, b->hi, sizeof r.hi);
        int rc = push_image(a, &r);
        if (rc < 0) return rc;
      }
      if (scratch.rects.n == start) continue;
      int rc = scratch_reserve(nacc + 1);
      if (rc < 0) return rc;
      scratch.rect_start[nacc] = start;
      scratch.acc[nacc] = (grt_dg_access_t){.id = ACCESS_ID(op->folds[f].node.seq, j),
                                            .priv = GRT_DG_REDUCE, .redop = a->redop,
                                            .nrects = scratch.rects.n - start};
      scratch.targets[nacc] = &op->folds[f].node;
      nacc++;
    }
    if (nacc == 0) continue;
    /* The rects array may have moved while growing: set pointers last. */
    for (int k = 0; k < nacc; k++) scratch.acc[k].rects = scratch.rects.v + scratch.rect_start[k];
    int rc = grt__dg_add_targets(rt, st, scratch.acc, nacc, scratch.targets);
    if (rc < 0) return rc;
  }
  return 0;
}

int grt__dg_add_targets(grt_runtime_t *rt, grt_root_state_t *st, const grt_dg_access_t *acc, int n,
                        grt_node_t **targets) {
  edge_ctx_t ec = {rt, targets};
  if (grt__dg_add(st->dg, acc, n, on_edge, &ec) < 0)
    return grt__error(GRT_ENOMEM, "grt: out of host memory in the analyzer");
  if (grt__dg_live(st->dg) > st->prune_at) {
    grt__dg_prune(st->dg, on_done, rt);
    size_t live = grt__dg_live(st->dg);
    st->prune_at = live * 2 > 256 ? live * 2 : 256;
  }
  return 0;
}

/* Registers a whole-store access for a wait node (map, detach). */
int grt__access_whole(grt_runtime_t *rt, grt_store_t *s, grt_dg_priv_t priv, grt_node_t *n,
                      uint64_t id) {
  grt_root_state_t *st = grt__root_state(rt, s->root);
  if (!st) return grt__error(GRT_ENOMEM, "out of host memory");
  grt_arg_t a = {.root = s->root, .ndim = s->ndim, .tf = s->tf};
  grt_rect_t r = {.ndim = s->ndim};
  for (int d = 0; d < s->ndim; d++) {
    r.lo[d] = 0;
    r.hi[d] = s->shape[d] - 1;
  }
  scratch.rects.n = 0;
  int rc = push_image(&a, &r);
  if (rc < 0) return rc;
  if (scratch.rects.n == 0) return 0;
  grt_dg_access_t acc = {.id = ACCESS_ID(id, 0), .priv = priv, .rects = scratch.rects.v,
                         .nrects = scratch.rects.n};
  grt_node_t *target = n;
  return grt__dg_add_targets(rt, st, &acc, 1, &target);
}

/* ---- submit ---- */

static int submit_op(grt_launch_t *l, grt_task_fn fn, grt_proc_kind_t kind,
                     grt_future_t **result) {
  grt_runtime_t *rt = l->rt;
  int rc = partition_launch(l, kind);
  if (rc < 0) return rc;
  if ((rc = grt__alias_resolve(l)) < 0) return rc;
  int64_t np64 = 1;
  for (int d = 0; d < l->launch_ndim; d++) np64 *= l->launch_shape[d];
  int npoints = (int)np64;
  int nfolds = 0;
  for (int i = 0; i < l->nargs; i++) nfolds += l->args[i].priv == GRT_REDUCE;
  size_t rsize = l->result_type ? grt_type_size(l->result_type) : 0;
  /* Instances first: a budget error leaves nothing half-submitted. */
  for (int i = 0; i < l->nargs; i++)
    if ((rc = grt__root_ensure_instance(l->args[i].root, &rt->mems[GRT_MEM_SYSMEM])) < 0) {
      char msg[512];
      snprintf(msg, sizeof msg, "%s", grt_last_error());
      return grt__error(rc, "grt_launch_submit: argument %d: %s", i, msg);
    }
  /* Gathered reductions: every point's buffer goes to rank 0, which then
   * needs every point's rectangles. */
  bool any_gather = false;
  for (int i = 0; i < l->nargs; i++)
    any_gather |= rt->nranks > 1 && grt__arg_gathers(&l->args[i], npoints);
  grt_sharding_t sh = {.fn = rt->nranks > 1 ? l->lib->mapper.shard : NULL,
                       .data = l->lib->mapper.data, .task_id = l->task->id,
                       .ndim = l->launch_ndim, .npoints = npoints, .nranks = rt->nranks};
  memcpy(sh.shape, l->launch_shape, sizeof sh.shape);
  if (sh.ndim == 0) { /* a single point */
    sh.ndim = 1;
    sh.shape[0] = 1;
  }
  int nlocal = 0;
  if (sh.fn) /* a mapper's sharding: refuse an answer out of range */
    for (int p = 0; p < npoints; p++) {
      int64_t point[GRT_MAX_DIM];
      color_of(sh.ndim, sh.shape, p, point);
      int r = sh.fn(sh.data, sh.task_id, sh.ndim, point, sh.shape, rt->nranks);
      if (r < 0 || r >= rt->nranks)
        return grt__error(GRT_EINVAL,
                          "grt_launch_submit: the mapper of library '%s' sharded point %d of task "
                          "'%s' to rank %d (the job has %d ranks)",
                          l->lib->name, p, l->task->name, r, rt->nranks);
      nlocal += r == rt->rank;
    }
  int64_t r0, r1;
  grt__sharding_range(&sh, rt->rank, &r0, &r1);
  int l0 = (int)r0, l1 = (int)r1;
  if (!sh.fn) nlocal = l1 - l0;
  int m0 = any_gather && rt->rank == 0 ? 0 : l0, m1 = any_gather && rt->rank == 0 ? npoints : l1;
  grt_op_t *op = op_alloc(l, m1 - m0, npoints, nfolds, rsize);
  if (!op) return grt__error(GRT_ENOMEM, "grt_launch_submit: out of host memory");
  op->rt = rt;
  op->fn = fn;
  op->name = l->task->name;
  op->kind = kind;
  op->launch_ndim = l->launch_ndim;
  memcpy(op->launch_shape, l->launch_shape, sizeof op->launch_shape);
  op->npoints = npoints;
  op->p0 = m0;
  op->nmat = m1 - m0;
  op->l0 = l0;
  op->l1 = l1;
  op->nlocal = nlocal;
  op->shard = sh;
  op->nargs = l->nargs;
  memcpy(op->args, l->args, sizeof(grt_arg_t) * (size_t)l->nargs);
  op->nscalars = l->nscalars;
  memcpy(op->scalars, l->scalars, sizeof(grt_scalar_t) * (size_t)l->nscalars);
  /* The op takes over the launch's references on roots and futures. */
  l->nargs = 0;
  l->nscalars = 0;
  if (l->sbuf_size) memcpy(op->sbuf, l->sbuf, l->sbuf_size);
  op->result_type = l->result_type;
  op->result_redop = l->result_redop;
  atomic_init(&op->refs, 1);

  for (int p = m0; p < m1; p++) {
    grt_point_t *pt = grt__op_point(op, p);
    if (p >= l0 && p < l1 && grt__op_local(op, p)) grt__node_init(rt, &pt->node, GRT_NODE_TASK, op);
    else pt->node.op = op; /* only its buffers are used here */
    grt_task_context_t *ctx = &pt->ctx;
    ctx->op = op;
    ctx->index = p;
    color_of(op->launch_ndim, op->launch_shape, p, ctx->point);
    for (int i = 0; i < op->nargs; i++) {
      grt_rect_t r;
      grt__tiling_rect(&op->args[i].tiling, ctx->point, &r);
      fill_buffer(&op->args[i], &r, &ctx->args[i]);
    }
    for (int s = 0; s < op->nscalars; s++)
      ctx->scalars[s] = op->scalars[s].future ? NULL : op->sbuf + op->scalars[s].offset;
  }
  int f = 0;
  for (int i = 0; i < op->nargs; i++)
    if (op->args[i].priv == GRT_REDUCE) {
      grt__node_init(rt, &op->folds[f].node, GRT_NODE_FOLD, op);
      op->folds[f].arg = i;
      f++;
    }
  op->nfolds = nfolds;
  if (result) {
    op->result = grt__future_new(rt);
    if (!op->result) {
      grt__op_unref(op);
      return grt__error(GRT_ENOMEM, "grt_launch_submit: out of host memory");
    }
    grt__future_ref(op->result); /* the op's reference; the caller gets the other */
  }

  /* Which nodes run here: this rank's points, and the folds it performs
   * (its own points' buffers, or every buffer when they gather on rank 0). */
  for (int fo = 0; fo < op->nfolds; fo++) {
    grt_arg_t *a = &op->args[op->folds[fo].arg];
    op->fold_gather[fo] = rt->nranks > 1 && grt__arg_gathers(a, npoints);
    op->fold_active[fo] = op->fold_gather[fo] ? rt->rank == 0 : op->nlocal > 0;
  }
  if (any_gather) { /* replicated: every rank reserves the same tags */
    op->red_tag = rt->xfer_seq + 1;
    rt->xfer_seq += (uint64_t)npoints;
  }
  atomic_init(&op->remaining, op->nlocal);
  /* Into the table before the analysis: a prune during it must see them live. */
  int nnodes = op->nlocal;
  for (int fo = 0; fo < op->nfolds; fo++) nnodes += op->fold_active[fo];
  atomic_fetch_add(&op->refs, nnodes);
  atomic_fetch_add(&rt->outstanding, nnodes);
  for (int p = l0; p < l1; p++)
    if (grt__op_local(op, p) && grt__table_insert(rt, &grt__op_point(op, p)->node) < 0) abort();
  for (int fo = 0; fo < op->nfolds; fo++)
    if (op->fold_active[fo] && grt__table_insert(rt, &op->folds[fo].node) < 0) abort();
  if (rt->nranks > 1) rc = grt__plan_op(rt, op);
  if (rc == 0) rc = analyze(rt, op);
  if (rc < 0) {
    /* Edges may already point at the op's nodes: it cannot be taken back.
     * Run it with its hold released but mark it failed, so nothing hangs. */
    op->aborted = true;
  }
  for (int fo = 0; fo < op->nfolds; fo++) {
    grt_fold_t *fd = &op->folds[fo];
    if (!op->fold_active[fo]) continue;
    for (int p = l0; p < l1; p++)
      if (grt__op_local(op, p)) grt__node_add_edge(&grt__op_point(op, p)->node, &fd->node);
    grt_root_state_t *st = op->args[fd->arg].root->rt_state;
    if (st) {
      grt_node_t *prev = st->last_fold_seq ? grt__table_find(rt, st->last_fold_seq) : NULL;
      if (prev) grt__node_add_edge(prev, &fd->node);
      st->last_fold_seq = fd->node.seq;
    }
    if (op->fold_gather[fo] && grt__gather_post(rt, op, fo) < 0) op->aborted = true;
  }
  for (int s = 0; s < op->nscalars; s++)
    if (op->scalars[s].future)
      for (int p = l0; p < l1; p++)
        if (grt__op_local(op, p))
          grt__node_add_edge(&op->scalars[s].future->node, &grt__op_point(op, p)->node);
  /* Remember the written stores' partitions, so the next launch reuses them. */
  for (int i = 0; i < op->nargs; i++) {
    grt_arg_t *a = &op->args[i];
    grt_root_state_t *st = a->root->rt_state;
    if (st && a->priv != GRT_READ && grt__tf_is_identity(&a->tf) &&
        memcmp(a->shape, a->root->shape, sizeof(int64_t) * (size_t)a->root->ndim) == 0 &&
        a->tiling.kind == GRT_PART_TILED && op->npoints > 1) {
      st->current = a->tiling;
      st->has_current = true;
    }
  }
  if (result) *result = op->result;
  if (op->result && rt->nranks > 1 && grt__post_future_exchange(rt, op) < 0) op->aborted = true;
  grt__plan_xfers_release(rt);
  for (int fo = 0; fo < op->nfolds; fo++)
    if (op->fold_active[fo]) grt__node_release(rt, &op->folds[fo].node);
  for (int p = l0; p < l1; p++)
    if (grt__op_local(op, p)) grt__node_release(rt, &grt__op_point(op, p)->node);
  if (op->nlocal == 0) grt__op_local_done(rt, op);
  grt__op_unref(op);
  return rc;
}

int grt__submit(grt_launch_t *l, grt_task_fn fn, grt_proc_kind_t kind, grt_future_t **result) {
  grt__drain_completed(l->rt);
  return submit_op(l, fn, kind, result);
}

/* What the divergence check compares of a launch: the task, every argument
 * (store id, view, privilege), scalar bytes and the result reduction. */
static inline uint64_t mix(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}

static uint64_t launch_hash(const grt_launch_t *l) {
  uint64_t h = mix(l->lib->name_hash, (uint64_t)(uint32_t)l->task->id | (uint64_t)l->manual << 32);
  for (int d = 0; d < l->launch_ndim; d++) h = mix(h, (uint64_t)l->launch_shape[d]);
  for (int i = 0; i < l->nargs; i++) {
    const grt_arg_t *a = &l->args[i];
    h = mix(h, a->root->id);
    h = mix(h, (uint64_t)a->priv | (uint64_t)(uint32_t)a->redop << 8 | (uint64_t)a->ndim << 40);
    for (int d = 0; d < a->ndim; d++) h = mix(h, (uint64_t)a->shape[d]);
    if (!grt__tf_is_identity(&a->tf)) {
      for (int d = 0; d < a->tf.view_ndim; d++)
        h = mix(h, (uint64_t)a->tf.coef[d] * 8 + (uint64_t)(a->tf.dim[d] + 1));
      for (int d = 0; d < a->tf.root_ndim; d++) h = mix(h, (uint64_t)a->tf.offset[d]);
    }
  }
  if (l->sbuf_size) h = grt__hash_bytes(h, l->sbuf, l->sbuf_size);
  return mix(h, (uint64_t)(uint32_t)l->result_redop);
}

GRT_EXPORT int grt_launch_submit(grt_launch_t *h, grt_future_t **result) {
  const char *fn = "grt_launch_submit";
  if (result) *result = NULL;
  grt_launch_t *l;
  int rc = grt__launch_get(h, fn, &l); /* a stale handle is never another launch */
  if (rc < 0) return rc;
  rc = grt__runtime_check(l->rt, fn);
  if (rc == 0 && l->error) rc = grt__error(l->error, "%s: %s", fn, l->errmsg);
  for (int i = 0; rc == 0 && i < l->nargs; i++)
    if (l->args[i].root->detached)
      rc = grt__error(GRT_ESTATE, "%s: argument %d was detached", fn, i);
  grt_proc_kind_t kind = GRT_PROC_CPU;
  grt_task_fn f = NULL;
  if (rc == 0) {
    if (grt__check_enabled(l->rt))
      grt__check_op_named(l->rt, GRT_CHECK_LAUNCH, launch_hash(l), l->lib->name, l->task->name);
    else
      grt__check_op(l->rt, GRT_CHECK_LAUNCH, 0);
  }
  if (rc == 0) rc = choose_kind(l->rt, l->lib, l->task, &kind, &f);
  if (rc == 0) rc = grt__submit(l, f, kind, result);
  if (result && *result) *result = grt__handle_of(*result);
  grt__launch_free(l);
  return rc;
}
