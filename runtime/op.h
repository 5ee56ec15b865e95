/* op.h - operations: an op, its points, folds and arguments, and their whole lifecycle.
 *
 * An op is a submitted launch: one block (pooled per size class) holding
 * the op, its arguments and scalars, the points this rank materializes,
 * its folds and its results. The op module allocates it, runs its points
 * and folds (as the graph's run hooks), finishes deferred bodies, records
 * failures, gathers point results into the op's future (across ranks, by
 * an all-gather) and frees the op when its last reference goes. It calls
 * down only: the graph, futures, reduction operators, memory and comm.
 */
#ifndef GRT_OP_H
#define GRT_OP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grt.h"
#include "future.h"
#include "graph.h"
#include "partition.h"
#include "sharding.h"
#include "store.h"

typedef struct grt_op grt_op_t;

#define GRT_MAX_ARGS 32          /* store arguments per launch */
#define GRT_MAX_SCALARS 32

/* A store argument of a launch, then of its op. */
typedef struct grt_arg {
  grt_store_root_t *root;        /* referenced while the launch/op lives */
  int ndim;
  int64_t shape[GRT_MAX_DIM];
  grt_transform_t tf;
  grt_privilege_t priv;
  int redop;
  bool broadcast;
  int align_to;
  int bloat_base;
  int64_t low[GRT_MAX_DIM], high[GRT_MAX_DIM];
  grt_tiling_t tiling;           /* manual: from the partition; auto: solved */
  bool has_tiling;
  grt_instance_t *whole;         /* op: the root's whole instance when its
                                  * instances are whole (one rank, small root):
                                  * not referenced -- the root's set holds it
                                  * for as long as the op holds the root */
  bool gather;                   /* a reduction whose points share root elements:
                                  * on several ranks, folded on rank 0 (alias.c) */
} grt_arg_t;

typedef struct grt_scalar {
  const grt_type_t *type;        /* NULL for a future */
  size_t offset;                 /* in the launch's scalar buffer */
  grt_future_t *future;          /* referenced */
} grt_scalar_t;

struct grt_task_context {
  grt_op_t *op;
  int64_t point[GRT_MAX_DIM];
  grt_buffer_t *args;            /* op->nargs buffers */
  const void **scalars;          /* op->nscalars pointers */
  grt_proc_kind_t kind;
  int omp_threads;
  int index;                     /* linear point index */
  int worker;                    /* index of the worker running the body */
  bool deferred;                 /* the body returned before its work is done */
};

/* A point task: one node plus its context. */
typedef struct grt_point {
  grt_node_t node;
  grt_task_context_t ctx;
  void **redbuf;                 /* per arg: private reduction buffer or NULL */
  size_t *redbytes;
  grt_instance_t **inst;         /* per arg: the instance its buffer (or its
                                  * fold) uses, referenced; NULL when none or
                                  * when it is the argument's `whole`; the
                                  * array is NULL on one rank */
} grt_point_t;

/* A fold: folds the points' private buffers of one reduction argument into
 * the instance in point order, after every point and every earlier
 * conflicting access. */
typedef struct grt_fold {
  grt_node_t node;
  int arg;
} grt_fold_t;

/* ---------------------------------------------------------------------------
 * The op.
 *
 * Lifetime: `refs` counts the submitter's reference (dropped at the end of
 * submission), one per node of the op in the graph's id table (dropped when
 * the node is drained after completing) and one held by the result
 * exchange while it runs. The last reference frees the op's block.
 *
 * Threads. Written by the application thread during submission, read-only
 * afterwards: everything describing the launch (fn, name, kind, shapes,
 * args, scalars, sbuf, npoints, points' contexts and buffers, folds,
 * nlocal/l0/l1/p0/nmat, shard, fold_active/gather, red_tag) and `aborted`
 * (set only before the nodes are released). Each point's slice of
 * `results`/`has_result`, its `redbuf` and its context belong to the worker
 * running it until it completes; a fold then reads the buffers. Any
 * thread, atomic: refs, remaining (points not yet finished; the one
 * dropping it to 0 runs local-done), failed. `fail_msg` is written under
 * rt->fail_mu; `ret` by the single point's body (or the exchange, before
 * the future is finished). Replicated, equal on every rank: npoints, shard,
 * red_tag and the result exchange's tag.
 * ------------------------------------------------------------------------- */
struct grt_op {
  grt_runtime_t *rt;
  int rank;                      /* rt->rank, for grt__op_local */
  atomic_int refs;               /* one per node still in the id table, + submitter */
  grt_task_fn fn;
  const char *name;              /* the task's name (profile) */
  grt_proc_kind_t kind;
  int launch_ndim;
  int64_t launch_shape[GRT_MAX_DIM];
  int npoints;
  int nargs;
  grt_arg_t *args;
  int nscalars;
  grt_scalar_t *scalars;
  unsigned char *sbuf;
  grt_point_t *points;
  int nfolds;
  grt_fold_t *folds;
  atomic_int remaining;          /* points not yet finished */
  grt_future_t *result;          /* referenced, or NULL */
  const grt_type_t *result_type;
  int result_redop;
  unsigned char *results;        /* npoints * result size */
  unsigned char *has_result;     /* per point */
  atomic_bool failed;            /* a point called grt_task_fail */
  bool aborted;                  /* submission failed half-way: bodies are skipped */
  char *fail_msg;
  void *ret;                     /* single point's return: size_t size, then bytes */
  int block_class;               /* its block's size class in the op pool */
  bool inst_refs;                /* some point references an instance */
  int nlocal;                    /* points this rank runs: in [l0, l1) */
  int l0, l1;                    /* (all of the range unless a mapper shards) */
  grt_sharding_t shard;          /* point -> rank */
  int p0, nmat;                  /* points materialized here: [p0, p0 + nmat), at
                                  * points[0..nmat); this rank's own, or every
                                  * point on the rank that gathers a reduction */
  bool *fold_active;             /* per fold: runs on this rank */
  bool *fold_gather;             /* per fold: every point's buffer goes to rank 0 */
  uint64_t red_tag;              /* tags of gathered reduction buffers: red_tag + point */
  struct grt_allgather *futx;    /* the exchange of point results (comm/collective.h), or NULL */
  void (*cleanup)(grt_op_t *op); /* extra state of internal ops */
  void *extra;
};

/* Op blocks of 1 KiB .. 128 KiB are recycled per power-of-two class
 * (embedded in grt_runtime_t): allocated on the application thread, freed
 * on any thread. */
#define GRT_OP_CLASSES 8
typedef struct grt_op_pool {
  _Atomic(struct op_block *) free[GRT_OP_CLASSES];
  atomic_int n[GRT_OP_CLASSES];
} grt_op_pool_t;

/* ---- allocation and lifetime ---- */
/* One zeroed block carved into the op and its arrays: @p nmat materialized
 * points (this rank's, not the whole launch's: a rank's submission cost must
 * not grow with the number of ranks), results for all @p npoints. Sets rt,
 * the array pointers and the points' buffers; NULL when out of memory. */
grt_op_t *grt__op_alloc(grt_runtime_t *rt, int nargs, int nscalars, size_t sbuf_size, int nmat,
                        int npoints, int nfolds, size_t result_size);
void grt__op_unref(grt_op_t *op);
/* Frees the pool's blocks (grt_finalize). */
void grt__op_pool_free(grt_runtime_t *rt);
/* Takes the nodes completed since the last drain out of the graph (app
 * thread): drops their ops' references, frees self-owned nodes. */
void grt__op_drain(grt_runtime_t *rt);

/* ---- running (the graph's run hooks) ---- */
/* Runs a point's body and completes it, unless the body deferred completion. */
void grt__op_run_point(grt_node_t *n, grt_worker_t *w);
/* Folds the points' reduction buffers into the instance, completes the fold. */
void grt__op_run_fold(grt_node_t *n, grt_worker_t *w);
/* Asynchronous processors (the device backends): a body that only enqueues
 * work calls grt__op_task_defer(ctx) before returning, and the backend calls
 * grt__op_task_finish(ctx) from any thread once the work is done; successors
 * are released then, not when the body returned. */
void grt__op_task_defer(grt_task_context_t *ctx);
void grt__op_task_finish(grt_task_context_t *ctx);
/* A point failed (grt_task_fail, a bad return): the op's future and the
 * next fence report it. Any thread. */
void grt__op_fail(grt_op_t *op, const char *msg);

/* ---- the op's future ---- */
/* Several ranks: posts the exchange of point results behind op->result
 * (replicated: every rank, same order, takes the next tag). */
int grt__op_future_exchange(grt_runtime_t *rt, grt_op_t *op);
/* Called when this rank's points of @p op are done: exchanges point results
 * with the other ranks, then completes the op's future. */
void grt__op_local_done(grt_runtime_t *rt, grt_op_t *op);

/* ---- points ---- */
/* Materialized point @p p of @p op (p0 <= p < p0 + nmat). */
static inline grt_point_t *grt__op_point(grt_op_t *op, int p) { return &op->points[p - op->p0]; }
/* The rank of point @p p of @p op, and whether this rank runs it (for p in
 * [l0, l1): only a mapper's sharding leaves points of others there). */
static inline int grt__op_shard(const grt_op_t *op, int p) { return grt__sharding_rank(&op->shard, p); }
static inline bool grt__op_local(const grt_op_t *op, int p) {
  return !op->shard.fn || grt__op_shard(op, p) == op->rank;
}
/* A reduction argument folded on rank 0 from every point's buffer. */
static inline bool grt__op_arg_gathers(const grt_arg_t *a, int npoints) {
  return a->priv == GRT_REDUCE && npoints > 1 && (a->tiling.kind == GRT_PART_BROADCAST || a->gather);
}

#endif
