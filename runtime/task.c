/* task.c - running point tasks and folds, and the task ABI a variant sees. */
#include "runtime_internal.h"
#include "gather.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grt_build_config.h"

/* ---- reductions into stores ---- */

/* Visits the rect [lo, hi] of an N-D index space in row-major order, in runs
 * along the last dim: calls fn(data, point-of-run-start, run length, k) where
 * k is the linear index (within the rect) of the run's first element. */
static void for_each_run(int ndim, const int64_t *lo, const int64_t *hi,
                         void (*fn)(void *data, const int64_t *pt, int64_t len, int64_t k),
                         void *data) {
  if (ndim == 0) return;
  for (int d = 0; d < ndim; d++)
    if (hi[d] < lo[d]) return;
  int64_t pt[GRT_MAX_DIM];
  memcpy(pt, lo, sizeof(int64_t) * (size_t)ndim);
  int64_t len = hi[ndim - 1] - lo[ndim - 1] + 1;
  int64_t k = 0;
  for (;;) {
    fn(data, pt, len, k);
    k += len;
    int d = ndim - 2;
    while (d >= 0) {
      if (++pt[d] <= hi[d]) break;
      pt[d] = lo[d];
      d--;
    }
    if (d < 0) return;
  }
}

typedef struct fold_visit {
  const grt_arg_t *arg;
  const grt_store_root_t *root;
  size_t esize;
  const unsigned char *src;
  grt_fold_fn fold;
  int64_t vstride[GRT_MAX_DIM];
} fold_visit_t;

static void fold_run(void *data, const int64_t *pt, int64_t len, int64_t k) {
  fold_visit_t *v = data;
  int64_t vs[GRT_MAX_DIM];
  int64_t off = grt__tf_layout(&v->arg->tf, v->root->strides, pt, vs);
  int64_t step = vs[v->arg->ndim - 1];
  unsigned char *dst = (unsigned char *)v->root->data + off * (int64_t)v->esize;
  const unsigned char *src = v->src + k * (int64_t)v->esize;
  if (step == 1) {
    v->fold(dst, src, (size_t)len);
    return;
  }
  for (int64_t i = 0; i < len; i++)
    v->fold(dst + i * step * (int64_t)v->esize, src + i * (int64_t)v->esize, 1);
}

void grt__run_fold(grt_runtime_t *rt, grt_fold_t *f) {
  grt_op_t *op = f->node.op;
  if (op->aborted) return;
  const grt_arg_t *a = &op->args[f->arg];
  const void *identity;
  fold_visit_t v = {.arg = a, .root = a->root, .esize = grt_type_size(a->root->type)};
  if (grt__redop_lookup(rt, a->redop, a->root->type, &identity, &v.fold) < 0) return;
  for (int k = 0; k < op->nmat; k++) { /* point order */
    grt_point_t *pt = &op->points[k];
    if (!pt->redbuf[f->arg]) continue;
    const grt_buffer_t *b = &pt->ctx.args[f->arg];
    v.src = pt->redbuf[f->arg];
    for_each_run(a->ndim, b->lo, b->hi, fold_run, &v);
    grt__mem_free(&rt->mems[GRT_MEM_SYSMEM], pt->redbuf[f->arg], pt->redbytes[f->arg]);
    pt->redbuf[f->arg] = NULL;
  }
}

static void fail_point(grt_op_t *op, const char *msg);

/* Gives a reduction argument a private buffer over the point's rect, filled
 * with the operator's identity and laid out densely in row-major order. */
static int make_redbuf(grt_runtime_t *rt, grt_point_t *pt, int i) {
  grt_op_t *op = pt->node.op;
  grt_arg_t *a = &op->args[i];
  grt_buffer_t *b = &pt->ctx.args[i];
  size_t esize = grt_type_size(a->root->type);
  int64_t vol = 1;
  for (int d = 0; d < a->ndim; d++) vol *= b->hi[d] >= b->lo[d] ? b->hi[d] - b->lo[d] + 1 : 0;
  size_t bytes = (size_t)vol * esize;
  void *buf;
  int rc = grt__mem_alloc(&rt->mems[GRT_MEM_SYSMEM], bytes, &buf);
  if (rc < 0) return rc;
  const void *identity;
  grt_fold_fn fold;
  if (grt__redop_lookup(rt, a->redop, a->root->type, &identity, &fold) == 0)
    for (int64_t k = 0; k < vol; k++) memcpy((char *)buf + k * (int64_t)esize, identity, esize);
  pt->redbuf[i] = buf;
  pt->redbytes[i] = bytes;
  b->ptr = buf;
  int64_t s = 1;
  for (int d = a->ndim - 1; d >= 0; d--) {
    b->stride[d] = s;
    s *= b->hi[d] >= b->lo[d] ? b->hi[d] - b->lo[d] + 1 : 1;
  }
  return 0;
}

/* ---- point results and the op's future ---- */

void grt__op_finish_future(grt_runtime_t *rt, grt_op_t *op) {
  if (!op->result) return;
  int err = op->aborted ? GRT_ENOMEM : atomic_load(&op->failed) ? GRT_ETASK : 0;
  if (err || !op->result_type) {
    /* Without a reduction the value is the single point's return, if one. */
    if (!err && op->npoints == 1 && op->ret) {
      size_t size = *(size_t *)op->ret;
      grt__future_set(op->result, (char *)op->ret + sizeof(size_t), size, 0);
      return;
    }
    grt__future_set(op->result, NULL, 0, err);
    return;
  }
  size_t rsize = grt_type_size(op->result_type);
  const void *identity;
  grt_fold_fn fold;
  if (grt__redop_lookup(rt, op->result_redop, op->result_type, &identity, &fold) < 0) {
    grt__future_set(op->result, NULL, 0, GRT_EINVAL);
    return;
  }
  unsigned char acc[256];
  unsigned char *accp = rsize <= sizeof acc ? acc : malloc(rsize);
  if (!accp) {
    grt__future_set(op->result, NULL, 0, GRT_ENOMEM);
    return;
  }
  memcpy(accp, identity, rsize);
  for (int p = 0; p < op->npoints; p++) /* fixed point order: no timing dependence */
    if (op->has_result[p]) fold(accp, op->results + (size_t)p * rsize, 1);
  grt__future_set(op->result, accp, rsize, 0);
  if (accp != acc) free(accp);
}

/* Everything after a point's body: hand a gathered reduction buffer on,
 * count the point, complete its node. Runs on the worker that ran the body,
 * or later on whatever thread ends a deferred (asynchronous) body. */
static void point_finish(grt_runtime_t *rt, grt_point_t *pt) {
  grt_op_t *op = pt->node.op;
  grt_task_context_t *ctx = &pt->ctx;
  for (int f = 0; f < op->nfolds; f++)
    if (op->fold_gather[f] && rt->rank != 0 && pt->redbuf[op->folds[f].arg])
      grt__gather_send(rt, op, ctx->index, op->folds[f].arg);
  if (atomic_fetch_sub_explicit(&op->remaining, 1, memory_order_acq_rel) == 1)
    grt__op_local_done(rt, op);
  grt__node_complete(rt, &pt->node);
}

void grt__task_defer(grt_task_context_t *ctx) { ctx->deferred = true; }

void grt__task_finish(grt_task_context_t *ctx) {
  grt_point_t *pt = (grt_point_t *)((char *)ctx - offsetof(grt_point_t, ctx));
  point_finish(ctx->op->rt, pt);
}

void grt__run_point(grt_runtime_t *rt, grt_point_t *pt, grt_worker_t *w) {
  grt_op_t *op = pt->node.op;
  grt_task_context_t *ctx = &pt->ctx;
  ctx->kind = op->kind;
  ctx->omp_threads = w && w->kind == GRT_PROC_OMP ? rt->omp_threads : 1;
  for (int s = 0; s < op->nscalars; s++)
    if (op->scalars[s].future) ctx->scalars[s] = op->scalars[s].future->value;
  bool run = !op->aborted;
  for (int i = 0; run && i < op->nargs; i++)
    if (op->args[i].priv == GRT_REDUCE && make_redbuf(rt, pt, i) < 0) {
      fail_point(op, grt_last_error());
      run = false;
    }
  ctx->deferred = false;
  ctx->worker = w ? w->index : 0;
  if (run) {
    /* The body may call only grt_task_* (error.h: grt__task_guard). */
    grt__task_body = op->name ? op->name : "?";
    op->fn(ctx);
    grt__task_body = NULL;
  }
  grt__prof_end(w); /* the body's time (a deferred body: enqueueing) */
  if (ctx->deferred) return; /* its processor completes it later */
  point_finish(rt, pt);
}

/* ---- the task ABI ---- */

GRT_EXPORT int grt_task_num_args(const grt_task_context_t *ctx) {
  return ctx ? ctx->op->nargs : GRT_EINVAL;
}

GRT_EXPORT int grt_task_arg(const grt_task_context_t *ctx, int i, grt_buffer_t *out) {
  if (!ctx || !out) return grt__error(GRT_EINVAL, "grt_task_arg: %s is NULL", ctx ? "out" : "ctx");
  if (i < 0 || i >= ctx->op->nargs)
    return grt__error(GRT_EINVAL, "grt_task_arg: i = %d out of range (task has %d store arguments)",
                      i, ctx->op->nargs);
  *out = ctx->args[i];
  return 0;
}

GRT_EXPORT const void *grt_task_scalar(const grt_task_context_t *ctx, int i) {
  if (!ctx || i < 0 || i >= ctx->op->nscalars) {
    grt__error(GRT_EINVAL, "grt_task_scalar: i = %d out of range", i);
    return NULL;
  }
  return ctx->scalars[i];
}

GRT_EXPORT int grt_task_point(const grt_task_context_t *ctx, int64_t *point) {
  if (!ctx || !point) return grt__error(GRT_EINVAL, "grt_task_point: %s is NULL", ctx ? "point" : "ctx");
  memcpy(point, ctx->point, sizeof(int64_t) * (size_t)ctx->op->launch_ndim);
  return ctx->op->launch_ndim;
}

GRT_EXPORT int grt_task_launch_shape(const grt_task_context_t *ctx, int64_t *shape) {
  if (!ctx || !shape)
    return grt__error(GRT_EINVAL, "grt_task_launch_shape: %s is NULL", ctx ? "shape" : "ctx");
  memcpy(shape, ctx->op->launch_shape, sizeof(int64_t) * (size_t)ctx->op->launch_ndim);
  return ctx->op->launch_ndim;
}

static void fail_point(grt_op_t *op, const char *msg) {
  grt_runtime_t *rt = op->rt;
  bool was = atomic_exchange(&op->failed, true);
  pthread_mutex_lock(&rt->fail_mu);
  if (!was) {
    free(op->fail_msg);
    op->fail_msg = strdup(msg ? msg : "");
  }
  if (!atomic_load(&rt->task_failed))
    snprintf(rt->fail_msg, sizeof rt->fail_msg, "a task failed: %s", msg ? msg : "");
  atomic_store(&rt->task_failed, 1);
  pthread_mutex_unlock(&rt->fail_mu);
}

GRT_EXPORT void grt_task_return(grt_task_context_t *ctx, const void *value, size_t size) {
  if (!ctx) return;
  grt_op_t *op = ctx->op;
  if (op->result_type) {
    size_t rsize = grt_type_size(op->result_type);
    if (size != rsize || !value) {
      char msg[128];
      snprintf(msg, sizeof msg, "grt_task_return: size %zu does not match the result type's %zu",
               size, rsize);
      fail_point(op, msg);
      return;
    }
    memcpy(op->results + (size_t)ctx->index * rsize, value, rsize);
    op->has_result[ctx->index] = 1;
    return;
  }
  if (op->npoints != 1 || !op->result) return; /* nobody can read it */
  free(op->ret);
  op->ret = malloc(sizeof(size_t) + size);
  if (!op->ret) {
    fail_point(op, "grt_task_return: out of host memory");
    return;
  }
  *(size_t *)op->ret = size;
  if (size) memcpy((char *)op->ret + sizeof(size_t), value, size);
}

GRT_EXPORT void *grt_task_cuda_stream(const grt_task_context_t *ctx) {
  (void)ctx;
  return NULL;
}

GRT_EXPORT void grt_task_fail(grt_task_context_t *ctx, const char *msg) {
  if (!ctx) return;
  fail_point(ctx->op, msg);
}

GRT_EXPORT grt_proc_kind_t grt_task_proc_kind(const grt_task_context_t *ctx) {
  return ctx ? ctx->kind : GRT_PROC_CPU;
}

GRT_EXPORT int grt_task_num_omp_threads(const grt_task_context_t *ctx) {
  return ctx ? ctx->omp_threads : 1;
}

GRT_EXPORT int grt_task_worker(const grt_task_context_t *ctx) {
  if (!ctx) return grt__error(GRT_EINVAL, "grt_task_worker: ctx is NULL");
  return ctx->worker;
}
