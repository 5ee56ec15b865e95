/* submit.c - turning a launch into an operation: processor choice,
 * partitioning, aliasing, building the op, planning its distribution,
 * dependence analysis, and releasing its nodes into the graph. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "analysis.h"
#include "check.h"
#include "gather.h"
#include "instances.h"
#include "plan.h"
#include "grt_error.h"
#include "future.h"
#include "graph.h"
#include "launch.h"
#include "op.h"
#include "runtime.h"
#include "submit.h"

/* ---- processor choice ---- */

static int choose_kind(grt_runtime_t *rt, const grt_library_t *lib, const grt_task_info_t *t,
                       grt_proc_kind_t *kind, grt_task_fn *fn) {
  grt_proc_kind_t k;
  if (lib->mapper.select_proc)
    k = lib->mapper.select_proc(lib->mapper.data, t->id, &t->v, rt->graph.ncpu, rt->graph.nomp, rt->ngpu);
  else if (t->v.gpu && rt->ngpu > 0)
    k = GRT_PROC_GPU;
  else if (t->v.omp && rt->graph.nomp > 0)
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
  int n = k == GRT_PROC_OMP ? (rt->graph.nomp ? rt->graph.nomp : rt->graph.ncpu) : k == GRT_PROC_GPU ? rt->ngpu
                                                                                 : rt->graph.ncpu;
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

/* The shape of a point's buffer; its address comes with bind_op. */
static void fill_buffer(const grt_arg_t *a, const grt_rect_t *r, grt_buffer_t *b) {
  grt_store_root_t *root = a->root;
  b->ndim = a->ndim;
  b->type = root->type;
  memset(b->lo, 0, sizeof b->lo);
  memset(b->hi, 0, sizeof b->hi);
  for (int d = 0; d < a->ndim; d++) {
    b->lo[d] = r->lo[d];
    b->hi[d] = r->hi[d];
  }
  b->ptr = NULL; /* bind_op */
}

/* A buffer with no instance (an empty rect, another rank's point): the
 * root's row-major strides and an address nothing may read through. */
static void bind_nowhere(const grt_arg_t *a, grt_buffer_t *b) {
  static _Alignas(64) unsigned char nowhere[64];
  memset(b->stride, 0, sizeof b->stride);
  grt__tf_layout(&a->tf, a->root->strides, NULL, b->stride);
  b->ptr = nowhere;
}

/* ---- submit: the steps of turning a launch into an op ----
 *
 * partition_launch (above), then grt__alias_resolve, then: */

/* Which points of the launch this rank runs and materializes. */
typedef struct shape {
  int npoints, nfolds;
  size_t rsize;                  /* result size, 0 without a result type */
  bool any_gather;               /* some reduction gathers on rank 0 */
  grt_sharding_t sh;
  int nlocal, l0, l1;            /* this rank's points: nlocal of them in [l0, l1) */
  int m0, m1;                    /* materialized here: [m0, m1) */
} shape_t;

/* Counts points and folds, shards the points over the ranks (refusing a
 * mapper's answer out of range) and picks the points to materialize. */
static int shard_points(const grt_launch_t *l, shape_t *o) {
  grt_runtime_t *rt = l->rt;
  int64_t np64 = 1;
  for (int d = 0; d < l->launch_ndim; d++) np64 *= l->launch_shape[d];
  int npoints = (int)np64;
  o->npoints = npoints;
  o->nfolds = 0;
  for (int i = 0; i < l->nargs; i++) o->nfolds += l->args[i].priv == GRT_REDUCE;
  o->rsize = l->result_type ? grt_type_size(l->result_type) : 0;
  /* Gathered reductions: every point's buffer goes to rank 0, which then
   * needs every point's rectangles. */
  o->any_gather = false;
  for (int i = 0; i < l->nargs; i++)
    o->any_gather |= rt->nranks > 1 && grt__op_arg_gathers(&l->args[i], npoints);
  grt_sharding_t *sh = &o->sh;
  *sh = (grt_sharding_t){.fn = rt->nranks > 1 ? l->lib->mapper.shard : NULL,
                         .data = l->lib->mapper.data, .task_id = l->task->id,
                         .ndim = l->launch_ndim, .npoints = npoints, .nranks = rt->nranks};
  memcpy(sh->shape, l->launch_shape, sizeof sh->shape);
  if (sh->ndim == 0) { /* a single point */
    sh->ndim = 1;
    sh->shape[0] = 1;
  }
  int nlocal = 0;
  if (sh->fn) /* a mapper's sharding: refuse an answer out of range */
    for (int p = 0; p < npoints; p++) {
      int64_t point[GRT_MAX_DIM];
      grt__sharding_point(sh->ndim, sh->shape, p, point);
      int r = sh->fn(sh->data, sh->task_id, sh->ndim, point, sh->shape, rt->nranks);
      if (r < 0 || r >= rt->nranks)
        return grt__error(GRT_EINVAL,
                          "grt_launch_submit: the mapper of library '%s' sharded point %d of task "
                          "'%s' to rank %d (the job has %d ranks)",
                          l->lib->name, p, l->task->name, r, rt->nranks);
      nlocal += r == rt->rank;
    }
  int64_t r0, r1;
  grt__sharding_range(sh, rt->rank, &r0, &r1);
  o->l0 = (int)r0;
  o->l1 = (int)r1;
  o->nlocal = sh->fn ? nlocal : o->l1 - o->l0;
  bool all = o->any_gather && rt->rank == 0;
  o->m0 = all ? 0 : o->l0;
  o->m1 = all ? npoints : o->l1;
  return 0;
}

/* The op, taking over the launch's arguments, scalars and their references,
 * with its points' contexts and buffers and its folds' nodes. */
static grt_op_t *build_op(grt_launch_t *l, grt_task_fn fn, grt_proc_kind_t kind,
                          const shape_t *o) {
  grt_runtime_t *rt = l->rt;
  grt_op_t *op = grt__op_alloc(rt, l->nargs, l->nscalars, l->sbuf_size, o->m1 - o->m0, o->npoints,
                               o->nfolds, o->rsize);
  if (!op) return NULL;
  op->fn = fn;
  op->name = l->task->name;
  op->kind = kind;
  op->launch_ndim = l->launch_ndim;
  memcpy(op->launch_shape, l->launch_shape, sizeof op->launch_shape);
  op->npoints = o->npoints;
  op->p0 = o->m0;
  op->nmat = o->m1 - o->m0;
  op->l0 = o->l0;
  op->l1 = o->l1;
  op->nlocal = o->nlocal;
  op->shard = o->sh;
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

  grt_node_kind_t nk = kind == GRT_PROC_OMP ? GRT_NODE_OMP : GRT_NODE_CPU;
  for (int p = o->m0; p < o->m1; p++) {
    grt_point_t *pt = grt__op_point(op, p);
    if (p >= o->l0 && p < o->l1 && grt__op_local(op, p))
      grt__graph_node_init(&rt->graph, &pt->node, nk, grt__op_run_point, op);
    else
      pt->node.op = op; /* only its buffers are used here */
    grt_task_context_t *ctx = &pt->ctx;
    ctx->op = op;
    ctx->index = p;
    grt__sharding_point(op->launch_ndim, op->launch_shape, p, ctx->point);
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
      grt__graph_node_init(&rt->graph, &op->folds[f].node, nk, grt__op_run_fold, op);
      op->folds[f].arg = i;
      f++;
    }
  op->nfolds = o->nfolds;
  return op;
}

/* Which nodes run here (this rank's points, and the folds it performs: its
 * own points' buffers, or every buffer when they gather on rank 0), into
 * the id table before the analysis: a prune during it must see them live. */
static void place_nodes(grt_op_t *op, bool any_gather) {
  grt_runtime_t *rt = op->rt;
  for (int fo = 0; fo < op->nfolds; fo++) {
    grt_arg_t *a = &op->args[op->folds[fo].arg];
    op->fold_gather[fo] = rt->nranks > 1 && grt__op_arg_gathers(a, op->npoints);
    op->fold_active[fo] = op->fold_gather[fo] ? rt->rank == 0 : op->nlocal > 0;
  }
  if (any_gather) { /* replicated: every rank reserves the same tags */
    op->red_tag = rt->xfer_seq + 1;
    rt->xfer_seq += (uint64_t)op->npoints;
  }
  atomic_init(&op->remaining, op->nlocal);
  int nnodes = op->nlocal;
  for (int fo = 0; fo < op->nfolds; fo++) nnodes += op->fold_active[fo];
  atomic_fetch_add(&op->refs, nnodes);
  grt__graph_expect(&rt->graph, nnodes);
  for (int p = op->l0; p < op->l1; p++)
    if (grt__op_local(op, p) && grt__graph_insert(&rt->graph, &grt__op_point(op, p)->node) < 0)
      abort();
  for (int fo = 0; fo < op->nfolds; fo++)
    if (op->fold_active[fo] && grt__graph_insert(&rt->graph, &op->folds[fo].node) < 0) abort();
}

/* ---- instances: which the op's points use, and binding them ---- */

/* Whether materialized point @p p's argument @p i needs an instance here:
 * a point this rank runs (unless the argument is a reduction folded on
 * rank 0), and on rank 0 every point of a gathered reduction (its fold). */
static bool needs_instance(const grt_op_t *op, int p, int i) {
  const grt_arg_t *a = &op->args[i];
  bool gathered = op->rt->nranks > 1 && a->priv == GRT_REDUCE && grt__op_arg_gathers(a, op->npoints);
  if (gathered) return op->rt->rank == 0;
  return p >= op->l0 && p < op->l1 && grt__op_local(op, p);
}

static bool point_box(const grt_op_t *op, int p, int i, grt_rect_t *box) {
  const grt_arg_t *a = &op->args[i];
  const grt_buffer_t *b = &grt__op_point((grt_op_t *)op, p)->ctx.args[i];
  grt_rect_t r = {.ndim = a->ndim};
  memcpy(r.lo, b->lo, sizeof r.lo);
  memcpy(r.hi, b->hi, sizeof r.hi);
  if (grt_rect_empty(&r)) return false;
  grt__instances_view_box(&a->tf, a->root->ndim, &r, box);
  return true;
}

/* Makes (or grows) the instances this rank's points use, before any is
 * bound: a growth would move what an earlier binding points into. The
 * boxes of one root are first widened by the margin (instances.h) and
 * merged where they meet, so neighbouring tiles of this rank get one
 * instance at once, and a later halo read of them fits it: no growth. */
static int ensure_op_instances(grt_op_t *op) {
  grt_runtime_t *rt = op->rt;
  enum { MAXBOX = 64 };
  grt_rect_t box[MAXBOX];
  if (rt->nranks == 1) { /* whole instances: only a root's first use does anything */
    bool all = true;
    for (int i = 0; i < op->nargs; i++) all &= op->args[i].root->insts.n > 0;
    if (all) return 0;
  }
  for (int i = 0; i < op->nargs; i++) {
    grt_store_root_t *root = op->args[i].root;
    bool first = true;
    for (int j = 0; j < i; j++) first &= op->args[j].root != root;
    if (!first) continue;
    int n = 0, rc = 0;
    if (grt__instances_whole(rt, root)) { /* one whole instance, once */
      if (root->insts.n) continue;
      bool any = false;
      for (int j = i; j < op->nargs && !any; j++)
        for (int p = op->p0; op->args[j].root == root && p < op->p0 + op->nmat && !any; p++)
          any = needs_instance(op, p, j) && point_box(op, p, j, &box[0]);
      grt_instance_t *in;
      if (any) rc = grt__instances_ensure(rt, root, &box[0], &in);
      if (rc < 0) return rc;
      continue;
    }
    for (int j = i; j < op->nargs && rc == 0; j++) {
      if (op->args[j].root != root) continue;
      for (int p = op->p0; p < op->p0 + op->nmat && rc == 0; p++) {
        grt_rect_t b;
        if (!needs_instance(op, p, j) || !point_box(op, p, j, &b)) continue;
        if (grt__inst_set_find(&root->insts, &b)) continue; /* fits already */
        grt__instances_margin(rt, root, &b);
        if (n == MAXBOX) { /* many points: one at a time */
          grt_instance_t *in;
          rc = grt__instances_ensure(rt, root, &b, &in);
        } else {
          box[n++] = b;
        }
      }
    }
    if (rc == 0) n = grt__instances_merge(box, n);
    for (int k = 0; k < n && rc == 0; k++) {
      grt_instance_t *in;
      rc = grt__instances_ensure(rt, root, &box[k], &in);
    }
    if (rc < 0) {
      char msg[768];
      snprintf(msg, sizeof msg, "%s", grt_last_error());
      return grt__error(rc, "grt_launch_submit: argument %d: %s", i, msg);
    }
  }
  return 0;
}

/* Points the buffers at their instances (every ensure of the op is done). */
static void bind_op(grt_op_t *op) {
  grt_instance_t *whole[GRT_MAX_ARGS]; /* per arg: its root's whole instance */
  for (int i = 0; i < op->nargs; i++) {
    grt_store_root_t *root = op->args[i].root;
    whole[i] = grt__instances_whole(op->rt, root) && root->insts.n == 1 ? root->insts.v[0] : NULL;
    op->args[i].whole = whole[i];
  }
  if (op->rt->nranks == 1) { /* every point here, every instance whole */
    for (int p = op->p0; p < op->p0 + op->nmat; p++)
      for (int i = 0; i < op->nargs; i++) {
        grt_arg_t *a = &op->args[i];
        grt_buffer_t *b = &grt__op_point(op, p)->ctx.args[i];
        bool empty = !whole[i];
        for (int d = 0; d < a->ndim; d++) empty |= b->hi[d] < b->lo[d];
        if (empty) {
          bind_nowhere(a, b);
          continue;
        }
        memset(b->stride, 0, sizeof b->stride);
        b->ptr = grt__instances_bind(whole[i], &a->tf, b->lo, grt_type_size(a->root->type), b->stride);
      }
    return;
  }
  for (int p = op->p0; p < op->p0 + op->nmat; p++) {
    grt_point_t *pt = grt__op_point(op, p);
    for (int i = 0; i < op->nargs; i++) {
      grt_rect_t box;
      grt_arg_t *a = &op->args[i];
      grt_instance_t *in = whole[i];
      if (!needs_instance(op, p, i)) {
        bind_nowhere(a, &pt->ctx.args[i]);
        continue;
      }
      if (in) {
        const grt_buffer_t *b = &pt->ctx.args[i];
        bool empty = false;
        for (int d = 0; d < a->ndim; d++) empty |= b->hi[d] < b->lo[d];
        if (empty) {
          bind_nowhere(a, &pt->ctx.args[i]);
          continue;
        }
      } else {
        if (!point_box(op, p, i, &box)) {
          bind_nowhere(a, &pt->ctx.args[i]);
          continue;
        }
        in = grt__inst_set_find(&a->root->insts, &box);
        if (!in) grt__instances_lost(op->rt, a->root, &box);
      }
      if (in != whole[i]) { /* a whole instance lives as long as its root */
        grt__inst_ref(in);
        pt->inst[i] = in;
        op->inst_refs = true;
      }
      grt_buffer_t *b = &pt->ctx.args[i];
      memset(b->stride, 0, sizeof b->stride);
      b->ptr = grt__instances_bind(in, &a->tf, b->lo, grt_type_size(a->root->type), b->stride);
    }
  }
}

/* Retires the instances the op's writes left stale on this rank. */
static void sweep_op(grt_op_t *op) {
  grt_runtime_t *rt = op->rt;
  if (rt->nranks == 1) return;
  for (int i = 0; i < op->nargs; i++) {
    grt_store_root_t *root = op->args[i].root;
    grt_root_state_t *st = root->rt_state;
    bool first = true;
    for (int j = 0; j < i; j++) first &= op->args[j].root != root;
    if (op->args[i].priv != GRT_READ && first && st) grt__instances_sweep(rt, root, &st->coh);
  }
}

/* Edges the analysis does not make: each fold after the op's points and
 * the root's previous fold (folds on a root run in program order), each
 * point after the futures it reads; posts gathered reductions' receives. */
static void wire_op(grt_op_t *op) {
  grt_runtime_t *rt = op->rt;
  for (int fo = 0; fo < op->nfolds; fo++) {
    grt_fold_t *fd = &op->folds[fo];
    if (!op->fold_active[fo]) continue;
    for (int p = op->l0; p < op->l1; p++)
      if (grt__op_local(op, p)) grt__graph_add_edge(&grt__op_point(op, p)->node, &fd->node);
    grt_root_state_t *st = op->args[fd->arg].root->rt_state;
    if (st) {
      grt_node_t *prev = st->last_fold_seq ? grt__graph_find(&rt->graph, st->last_fold_seq) : NULL;
      if (prev) grt__graph_add_edge(prev, &fd->node);
      st->last_fold_seq = fd->node.seq;
    }
    if (op->fold_gather[fo] && grt__gather_post(rt, op, fo) < 0) op->aborted = true;
  }
  for (int s = 0; s < op->nscalars; s++)
    if (op->scalars[s].future)
      for (int p = op->l0; p < op->l1; p++)
        if (grt__op_local(op, p))
          grt__graph_add_edge(&op->scalars[s].future->node, &grt__op_point(op, p)->node);
}

/* Remembers the written stores' partitions, so the next launch reuses them. */
static void remember_partitions(const grt_op_t *op) {
  for (int i = 0; i < op->nargs; i++) {
    const grt_arg_t *a = &op->args[i];
    grt_root_state_t *st = a->root->rt_state;
    if (st && a->priv != GRT_READ && grt__tf_is_identity(&a->tf) &&
        memcmp(a->shape, a->root->shape, sizeof(int64_t) * (size_t)a->root->ndim) == 0 &&
        a->tiling.kind == GRT_PART_TILED && op->npoints > 1) {
      st->current = a->tiling;
      st->has_current = true;
    }
  }
}

/* Drops the submission holds: the transfers', the folds', the points'
 * (nodes may run from here on), then the submitter's reference. */
static void release_op(grt_op_t *op) {
  grt_runtime_t *rt = op->rt;
  grt__plan_xfers_release(rt);
  for (int fo = 0; fo < op->nfolds; fo++)
    if (op->fold_active[fo]) grt__graph_release(&rt->graph, &op->folds[fo].node);
  for (int p = op->l0; p < op->l1; p++)
    if (grt__op_local(op, p)) grt__graph_release(&rt->graph, &grt__op_point(op, p)->node);
  if (op->nlocal == 0) grt__op_local_done(rt, op);
  grt__op_unref(op);
}

static int submit_op(grt_launch_t *l, grt_task_fn fn, grt_proc_kind_t kind,
                     grt_future_t **result) {
  grt_runtime_t *rt = l->rt;
  int rc = partition_launch(l, kind);
  if (rc == 0) rc = grt__alias_resolve(l, grt__submit_copy);
  shape_t o;
  if (rc == 0) rc = shard_points(l, &o);
  if (rc < 0) return rc;
  grt_op_t *op = build_op(l, fn, kind, &o);
  if (!op) return grt__error(GRT_ENOMEM, "grt_launch_submit: out of host memory");
  /* Instances before the nodes: a budget error leaves nothing half-submitted. */
  if ((rc = ensure_op_instances(op)) < 0) {
    grt__op_unref(op);
    return rc;
  }
  if (result) {
    op->result = grt__future_new(rt);
    if (!op->result) {
      grt__op_unref(op);
      return grt__error(GRT_ENOMEM, "grt_launch_submit: out of host memory");
    }
    grt__future_ref(op->result); /* the op's reference; the caller gets the other */
  }
  place_nodes(op, o.any_gather);
  rt->inst_nowait = true; /* its nodes are held: nothing may wait for them */
  if (rt->nranks > 1) rc = grt__plan_op(rt, op);
  rt->inst_nowait = false;
  bind_op(op);
  if (rc == 0) rc = grt__analysis_op(rt, op, grt__plan_xfers_analyze);
  sweep_op(op);
  /* Edges may already point at the op's nodes: it cannot be taken back.
   * Run it with its hold released but mark it failed, so nothing hangs. */
  if (rc < 0) op->aborted = true;
  wire_op(op);
  remember_partitions(op);
  if (result) *result = op->result;
  if (op->result && rt->nranks > 1 && grt__op_future_exchange(rt, op) < 0) op->aborted = true;
  release_op(op);
  return rc;
}

int grt__submit_copy(grt_store_t *dst, grt_store_t *src) {
  grt_launch_t *l;
  int rc;
  if ((rc = grt_launch_create(dst->root->rt->internal_lib, GRT_INTERNAL_COPY, &l)) < 0) return rc;
  int a, b;
  if ((a = rc = grt__launch_add_store(l, dst, GRT_WRITE, "grt_copy")) < 0 ||
      (b = rc = grt__launch_add_store(l, src, GRT_READ, "grt_copy")) < 0 ||
      (rc = grt_launch_align(l, a, b)) < 0) {
    grt_launch_destroy(l);
    return rc;
  }
  return grt_launch_submit(l, NULL);
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
  if (l->sbuf_size) h = grt__check_hash_bytes(h, l->sbuf, l->sbuf_size);
  return mix(h, (uint64_t)(uint32_t)l->result_redop);
}

GRT_EXPORT int grt_launch_submit(grt_launch_t *h, grt_future_t **result) {
  const char *fn = "grt_launch_submit";
  if (result) *result = NULL;
  grt_launch_t *l;
  int rc = grt__launch_get(h, fn, &l); /* a stale handle is never another launch */
  if (rc < 0) return rc;
  rc = grt__store_api_check(l->rt, fn);
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
  if (rc == 0) {
    grt__op_drain(l->rt);
    rc = submit_op(l, f, kind, result);
  }
  if (result && *result) *result = grt__handle_of(*result);
  grt__launch_free(l);
  return rc;
}
