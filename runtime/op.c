/* op.c - an operation's whole lifecycle: its block, its points and folds
 * running on workers, failures, the exchange of point results and the
 * future they finish, and its release.
 *
 * Calls down only: the graph (completing nodes, draining), futures,
 * reduction operators, memory and comm. */
#include "op.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collective.h"
#include "comm.h"
#include "grt_error.h"
#include "future.h"
#include "graph.h"
#include "memory.h"
#include "redop.h"
#include "runtime.h"

static void futx_free(grt_op_t *op);

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

static void *block_get(grt_runtime_t *rt, size_t sz, int *cls) {
  int c = 0;
  while (((size_t)1024 << c) < sz && c < GRT_OP_CLASSES) c++;
  *cls = c;
  if (c == GRT_OP_CLASSES) return calloc(1, sz); /* huge: not pooled */
  size_t bytes = (size_t)1024 << c;
  op_block_t *b = atomic_load_explicit(&rt->op_pool.free[c], memory_order_acquire);
  while (b && !atomic_compare_exchange_weak_explicit(&rt->op_pool.free[c], &b, b->next,
                                                     memory_order_acquire, memory_order_acquire)) {
  }
  if (b) {
    atomic_fetch_sub_explicit(&rt->op_pool.n[c], 1, memory_order_relaxed);
    memset(b, 0, sz);
    return b;
  }
  return calloc(1, bytes);
}

static void block_put(grt_runtime_t *rt, void *p, int c) {
  if (c >= GRT_OP_CLASSES || atomic_load_explicit(&rt->op_pool.n[c], memory_order_relaxed) >=
                                 GRT_OP_POOL_MAX) {
    free(p);
    return;
  }
  atomic_fetch_add_explicit(&rt->op_pool.n[c], 1, memory_order_relaxed);
  op_block_t *b = p;
  b->next = atomic_load_explicit(&rt->op_pool.free[c], memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(&rt->op_pool.free[c], &b->next, b, memory_order_release,
                                                memory_order_relaxed)) {
  }
}

void grt__op_pool_free(grt_runtime_t *rt) {
  for (int c = 0; c < GRT_OP_CLASSES; c++)
    for (op_block_t *b = atomic_exchange(&rt->op_pool.free[c], NULL), *n; b; b = n) {
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
  for (int k = 0; k < op->nmat; k++) {
    if (op->points[k].redbuf)
      for (int i = 0; i < op->nargs; i++)
        if (op->points[k].redbuf[i])
          grt__mem_free_eager(&op->rt->mems[GRT_MEM_SYSMEM], op->points[k].redbuf[i],
                              op->points[k].redbytes[i]);
    if (op->inst_refs)
      for (int i = 0; i < op->nargs; i++) grt__inst_unref(op->points[k].inst[i]);
  }
  futx_free(op);
  free(op->fail_msg);
  free(op->ret);
  block_put(op->rt, op, op->block_class);
}

grt_op_t *grt__op_alloc(grt_runtime_t *rt, int nargs_, int nscalars, size_t sbuf_size, int nmat,
                        int npoints, int nfolds, size_t result_size) {
  size_t nargs = (size_t)nargs_, nsc = (size_t)nscalars, np = (size_t)nmat;
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
  /* One rank binds whole instances only: no per-point references. */
  size_t ninst = rt->nranks > 1 ? np * nargs : 0;
  size_t o_inst = CARVE(ninst, grt_instance_t *);
  size_t o_folds = CARVE((size_t)nfolds, grt_fold_t);
  size_t o_fact = CARVE((size_t)nfolds, bool);
  size_t o_fgat = CARVE((size_t)nfolds, bool);
  size_t o_results = CARVE(nall * result_size, max_align_t);
  size_t o_has = CARVE(result_size ? nall : 0, unsigned char);
  size_t o_sbuf = CARVE(sbuf_size, max_align_t);
#undef CARVE
  int cls;
  char *base = block_get(rt, sz, &cls);
  if (!base) return NULL;
  grt_op_t *op = (grt_op_t *)base;
  op->rt = rt;
  op->rank = rt->rank;
  op->block_class = cls;
  op->args = (grt_arg_t *)(base + o_args);
  op->scalars = (grt_scalar_t *)(base + o_sc);
  op->points = (grt_point_t *)(base + o_points);
  grt_buffer_t *bufs = (grt_buffer_t *)(base + o_bufs);
  const void **sptr = (const void **)(base + o_sptr);
  void **red = (void **)(base + o_red);
  size_t *redb = (size_t *)(base + o_redb);
  grt_instance_t **inst = (grt_instance_t **)(base + o_inst);
  for (size_t p = 0; p < np; p++) {
    op->points[p].ctx.args = bufs + p * nargs;
    op->points[p].inst = ninst ? inst + p * nargs : NULL;
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

void grt__op_drain(grt_runtime_t *rt) {
  grt_graph_t *g = &rt->graph;
  for (grt_node_t *n = grt__graph_take_done(g), *next; n; n = next) {
    next = n->next_done;
    grt__graph_forget(g, n);
    if (n->op)
      grt__op_unref(n->op);
    else
      free(n); /* wait and transfer nodes own themselves */
  }
}

/* ---- failures ---- */

void grt__op_fail(grt_op_t *op, const char *msg) {
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

/* ---- the op's future: point results folded in point order ---- */

static void finish_future(grt_runtime_t *rt, grt_op_t *op) {
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

/* ---- the op's future across ranks: every rank gets every point's result ----
 *
 * An all-gather (comm/collective.h) of one block per rank: its points'
 * results. Every rank then folds the results in point order, so all get the
 * same value, bitwise, whatever R.
 *
 * Block: int32 failed, int32 count, then count x (int32 point, value); for a
 * launch without a result reduction only the single point's owner has an
 * entry: int32 0, uint64 size, bytes. */
#define FUT_MAX_RET GRT_TASK_RETURN_MAX /* grt_task_return refuses more */

static void futx_free(grt_op_t *op) {
  grt__comm_allgather_free(op->futx);
  op->futx = NULL;
}

/* Reads every other rank's block into the op: results, failure, the single
 * return (this rank's own are in place). */
static void fut_absorb(grt_op_t *op, const grt_allgather_t *g) {
  size_t rsize = op->result_type ? grt_type_size(op->result_type) : 0;
  for (int r = 0; r < op->rt->nranks; r++) {
    uint32_t len;
    const unsigned char *m = grt__comm_allgather_block(g, r, &len);
    if (!m || len < 8 || r == op->rt->rank) continue;
    int32_t failed, count;
    memcpy(&failed, m, 4);
    memcpy(&count, m + 4, 4);
    if (failed) atomic_store(&op->failed, true);
    size_t off = 8;
    if (op->result_type) {
      for (int32_t i = 0; i < count && off + 4 + rsize <= len; i++) {
        int32_t p;
        memcpy(&p, m + off, 4);
        if (p >= 0 && p < op->npoints) {
          memcpy(op->results + (size_t)p * rsize, m + off + 4, rsize);
          op->has_result[p] = 1;
        }
        off += 4 + rsize;
      }
    } else if (count == 1 && len >= 20) {
      uint64_t size;
      memcpy(&size, m + 12, 8);
      if (size <= len - 20) {
        free(op->ret);
        op->ret = malloc(sizeof(size_t) + size);
        if (op->ret) {
          *(size_t *)op->ret = (size_t)size;
          memcpy((char *)op->ret + sizeof(size_t), m + 20, size);
        }
      }
    }
  }
}

static void fut_done(void *arg, grt_allgather_t *g) {
  grt_op_t *op = arg;
  fut_absorb(op, g);
  finish_future(op->rt, op);
  grt__op_unref(op); /* the exchange's reference */
}

int grt__op_future_exchange(grt_runtime_t *rt, grt_op_t *op) {
  /* The points of distinct ranks are distinct, so the blocks' entries add
   * up to at most every point's. */
  size_t rsize = op->result_type ? grt_type_size(op->result_type) : 0;
  size_t entries = op->result_type ? (size_t)op->npoints * (4 + rsize) : 4 + 8 + FUT_MAX_RET;
  uint64_t tag = (rt->future_seq + 1) * 32;
  rt->future_seq++;
  int rc = grt__comm_allgather_post(rt->comm, GRT_CHAN_FUTURE, tag,
                                    (size_t)rt->nranks * 8 + entries, fut_done, op, &op->futx);
  if (rc == 0) atomic_fetch_add(&op->refs, 1); /* the exchange's, dropped when it completes */
  return rc;
}

void grt__op_local_done(grt_runtime_t *rt, grt_op_t *op) {
  if (!op->result) return;
  if (rt->nranks == 1) {
    finish_future(rt, op);
    return;
  }
  if (!op->futx) return; /* the exchange could not be posted: the op is aborted */
  size_t cap = 8 + (op->result_type ? (size_t)op->nlocal * (4 + grt_type_size(op->result_type))
                                    : 4 + 8 + FUT_MAX_RET);
  unsigned char *m = calloc(1, cap);
  if (!m) grt__comm_abort(rt->comm, GRT_ENOMEM, "grt: out of host memory");
  int32_t failed = atomic_load(&op->failed) || op->aborted, count = 0;
  size_t off = 8;
  if (op->result_type) {
    size_t rsize = grt_type_size(op->result_type);
    for (int p = op->l0; p < op->l1; p++)
      if (op->has_result[p] && grt__op_local(op, p)) {
        int32_t pi = p;
        memcpy(m + off, &pi, 4);
        memcpy(m + off + 4, op->results + (size_t)p * rsize, rsize);
        off += 4 + rsize;
        count++;
      }
  } else if (op->npoints == 1 && grt__op_shard(op, 0) == rt->rank && op->ret) {
    uint64_t size = *(size_t *)op->ret;
    if (size > FUT_MAX_RET) {
      failed = 1;
    } else {
      int32_t zero = 0;
      memcpy(m + off, &zero, 4);
      memcpy(m + off + 4, &size, 8);
      memcpy(m + off + 12, (char *)op->ret + sizeof(size_t), size);
      off += 12 + size;
      count = 1;
    }
  }
  memcpy(m, &failed, 4);
  memcpy(m + 4, &count, 4);
  grt__comm_allgather_give(op->futx, m, (uint32_t)off);
}

/* ---- gathered reductions: the sending side ---- */

typedef struct red_sent {
  grt_runtime_t *rt;
  void *buf;
  size_t bytes;
} red_sent_t;

static void red_sent_done(void *arg, size_t bytes) {
  red_sent_t *rs = arg;
  (void)bytes;
  grt__mem_free_eager(&rs->rt->mems[GRT_MEM_SYSMEM], rs->buf, rs->bytes);
  free(rs);
}

/* Sends a point's reduction buffer to the gathering rank (rank 0). */
static void send_redbuf(grt_runtime_t *rt, grt_op_t *op, int p, int arg) {
  grt_point_t *pt = grt__op_point(op, p);
  red_sent_t *rs = malloc(sizeof *rs);
  if (!rs) grt__comm_abort(rt->comm, GRT_ENOMEM, "grt: out of host memory");
  *rs = (red_sent_t){rt, pt->redbuf[arg], pt->redbytes[arg]};
  pt->redbuf[arg] = NULL;
  if (grt__comm_send(rt->comm, GRT_CHAN_DATA, 0, op->red_tag + (uint64_t)p, rs->buf, rs->bytes,
                     red_sent_done, rs) < 0)
    grt__comm_abort(rt->comm, GRT_ECOMM, grt_last_error());
}

/* ---- running folds: reductions into stores ---- */

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
  do {
    fn(data, pt, len, k);
    k += len;
  } while (grt_rect_next_run(ndim, lo, hi, pt));
}

typedef struct fold_visit {
  const grt_arg_t *arg;
  const grt_instance_t *inst;    /* the point's instance: where its rect lives */
  size_t esize;
  const unsigned char *src;
  grt_fold_fn fold;
  int64_t vstride[GRT_MAX_DIM];
} fold_visit_t;

static void fold_run(void *data, const int64_t *pt, int64_t len, int64_t k) {
  fold_visit_t *v = data;
  int64_t vs[GRT_MAX_DIM];
  int64_t off = grt__tf_layout(&v->arg->tf, v->inst->strides, pt, vs) - v->inst->base;
  int64_t step = vs[v->arg->ndim - 1];
  unsigned char *dst = v->inst->data + off * (int64_t)v->esize;
  const unsigned char *src = v->src + k * (int64_t)v->esize;
  if (step == 1) {
    v->fold(dst, src, (size_t)len);
    return;
  }
  for (int64_t i = 0; i < len; i++)
    v->fold(dst + i * step * (int64_t)v->esize, src + i * (int64_t)v->esize, 1);
}

static void fold_body(grt_runtime_t *rt, grt_fold_t *f) {
  grt_op_t *op = f->node.op;
  if (op->aborted) return;
  const grt_arg_t *a = &op->args[f->arg];
  const void *identity;
  fold_visit_t v = {.arg = a, .esize = grt_type_size(a->root->type)};
  if (grt__redop_lookup(rt, a->redop, a->root->type, &identity, &v.fold) < 0) return;
  for (int k = 0; k < op->nmat; k++) { /* point order */
    grt_point_t *pt = &op->points[k];
    if (!pt->redbuf[f->arg]) continue;
    const grt_buffer_t *b = &pt->ctx.args[f->arg];
    v.src = pt->redbuf[f->arg];
    v.inst = pt->inst && pt->inst[f->arg] ? pt->inst[f->arg] : a->whole;
    if (v.inst) for_each_run(a->ndim, b->lo, b->hi, fold_run, &v);
    grt__mem_free_eager(&rt->mems[GRT_MEM_SYSMEM], pt->redbuf[f->arg], pt->redbytes[f->arg]);
    pt->redbuf[f->arg] = NULL;
  }
}

void grt__op_run_fold(grt_node_t *n, grt_worker_t *w) {
  grt_op_t *op = n->op;
  grt_runtime_t *rt = op->rt;
  fold_body(rt, (grt_fold_t *)n);
  grt__graph_prof_end(w, GRT_PROF_FOLD, op->name, -1);
  grt__graph_complete(&rt->graph, n);
}

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
  int rc = grt__mem_alloc_eager(&rt->mems[GRT_MEM_SYSMEM], bytes, &buf);
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

/* ---- running points ---- */

/* Everything after a point's body: hand a gathered reduction buffer on,
 * count the point, complete its node. Runs on the worker that ran the body,
 * or later on whatever thread ends a deferred (asynchronous) body. */
static void point_finish(grt_runtime_t *rt, grt_point_t *pt) {
  grt_op_t *op = pt->node.op;
  grt_task_context_t *ctx = &pt->ctx;
  for (int f = 0; f < op->nfolds; f++)
    if (op->fold_gather[f] && rt->rank != 0 && pt->redbuf[op->folds[f].arg])
      send_redbuf(rt, op, ctx->index, op->folds[f].arg);
  if (atomic_fetch_sub_explicit(&op->remaining, 1, memory_order_acq_rel) == 1)
    grt__op_local_done(rt, op);
  grt__graph_complete(&rt->graph, &pt->node);
}

void grt__op_task_defer(grt_task_context_t *ctx) { ctx->deferred = true; }

void grt__op_task_finish(grt_task_context_t *ctx) {
  grt_point_t *pt = (grt_point_t *)((char *)ctx - offsetof(grt_point_t, ctx));
  point_finish(ctx->op->rt, pt);
}

void grt__op_run_point(grt_node_t *n, grt_worker_t *w) {
  grt_point_t *pt = (grt_point_t *)n;
  grt_op_t *op = n->op;
  grt_runtime_t *rt = op->rt;
  grt_task_context_t *ctx = &pt->ctx;
  ctx->kind = op->kind;
  ctx->omp_threads = w && w->kind == GRT_PROC_OMP ? w->graph->omp_threads : 1;
  for (int s = 0; s < op->nscalars; s++)
    if (op->scalars[s].future) ctx->scalars[s] = op->scalars[s].future->value;
  bool run = !op->aborted;
  for (int i = 0; run && i < op->nargs; i++)
    if (op->args[i].priv == GRT_REDUCE && make_redbuf(rt, pt, i) < 0) {
      grt__op_fail(op, grt_last_error());
      run = false;
    }
  ctx->deferred = false;
  ctx->worker = w ? w->index : 0;
  if (run) {
    /* The body may call only grt_task_* (grt_error.h: grt__task_guard). */
    grt__task_body = op->name ? op->name : "?";
    op->fn(ctx);
    grt__task_body = NULL;
  }
  grt__graph_prof_end(w, GRT_PROF_TASK, op->name, ctx->index); /* the body's time (a deferred
                                                                  * body: enqueueing) */
  if (ctx->deferred) return; /* its processor completes it later */
  point_finish(rt, pt);
}
