/* runtime_internal.h - the runtime's objects: nodes, operations, futures, workers. */
#ifndef GRT_RUNTIME_INTERNAL_H
#define GRT_RUNTIME_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "grt.h"
#include "config.h"
#include "coherence.h"
#include "comm.h"
#include "depgraph.h"
#include "error.h"
#include "handle.h"
#include "memory.h"
#include "partition.h"
#include "pools.h"
#include "store.h"
#include "type.h"

typedef struct grt_node grt_node_t;
typedef struct grt_op grt_op_t;
typedef struct grt_worker grt_worker_t;

/* ---------------------------------------------------------------------------
 * Nodes: the units of the dependence graph.
 *
 * A node becomes ready when `pending` drops to 0. `pending` starts at 1 (the
 * submission hold) and gains 1 per predecessor edge; the submitter drops the
 * hold once all edges are in, so a node never starts while it is still being
 * wired. `lock` guards `done` and the successor list: an edge pred->succ is
 * added only while pred is not done, and completion takes the list under the
 * lock, so every edge is released exactly once.
 *
 * Kinds: a point task or a fold runs on a worker; a future node completes
 * when its value is set; a wait node (map, detach) wakes the application
 * thread when ready and completes when the application lets go (unmap).
 * Once a wait node's pending count reaches 0 it belongs to the application
 * thread alone (it may complete and free it at once): the thread that made
 * the last decrement must not touch it after that decrement.
 * ------------------------------------------------------------------------- */
typedef enum {
  GRT_NODE_TASK, GRT_NODE_FOLD, GRT_NODE_FUTURE, GRT_NODE_WAIT,
  GRT_NODE_XFER /* a send or receive of a rank's values; runs `run` on a worker */
} grt_node_kind_t;

struct grt_node {
  uint64_t seq;                  /* unique, increasing; depgraph ids derive from it */
  grt_node_kind_t kind;
  atomic_int pending;
  atomic_flag lock;
  atomic_bool done;
  int nsucc, capsucc;
  grt_node_t **succ;
  grt_node_t *inline_succ[4];
  grt_node_t *next_done;         /* completion stack link */
  grt_node_t *next_ready;        /* ready queue link */
  grt_node_t *table_next;        /* id table chain */
  grt_op_t *op;                  /* owning operation (NULL for futures, waits, xfers) */
  void (*run)(grt_runtime_t *rt, grt_node_t *n); /* GRT_NODE_XFER */
};

/* ---------------------------------------------------------------------------
 * Futures: a value produced by an operation (or given), with a node for
 * dependences. Reference counted: the application's handle, the producing
 * operation, and each operation that reads it hold one reference. The
 * handle goes stale at grt_future_destroy (hdr.gen); the memory returns to
 * the runtime's pool when the last reference goes (handle.h). `mu` and `cv`
 * live as long as the memory.
 * ------------------------------------------------------------------------- */
#define GRT_FUTURE_INLINE 64
struct grt_future {
  grt_hdr_t hdr;                 /* first: pooled, generation-tagged handle */
  grt_node_t node;
  grt_runtime_t *rt;
  atomic_int refs;
  atomic_bool ready;
  int error;                     /* GRT_ETASK when a producing task failed */
  size_t size;
  void *value;                   /* points at inline_value or a heap block */
  _Alignas(16) unsigned char inline_value[GRT_FUTURE_INLINE];
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int waiters;
};

/* ---------------------------------------------------------------------------
 * Libraries and tasks.
 * ------------------------------------------------------------------------- */
typedef struct grt_task_info {
  int id;
  char *name;
  grt_variants_t v;
} grt_task_info_t;

typedef struct grt_redop_info {
  int id;                         /* >= GRT_REDOP_CUSTOM */
  const grt_type_t *type;
  void *identity;
  grt_fold_fn fold;
} grt_redop_info_t;

struct grt_library {
  grt_runtime_t *rt;
  char *name;
  uint64_t name_hash;            /* for the divergence check */
  int ntasks, captasks;
  grt_task_info_t *tasks;        /* sorted by id */
  grt_mapper_t mapper;
  grt_library_t *next;
};

/* ---------------------------------------------------------------------------
 * Launches (before submission) and operations (after).
 * ------------------------------------------------------------------------- */
#define GRT_MAX_ARGS 32          /* store arguments per launch */
#define GRT_MAX_SCALARS 32

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
  bool gather;                   /* a reduction whose points share root elements:
                                  * on several ranks, folded on rank 0 (alias.c) */
} grt_arg_t;

typedef struct grt_scalar {
  const grt_type_t *type;        /* NULL for a future */
  size_t offset;                 /* in the launch's scalar buffer */
  grt_future_t *future;          /* referenced */
} grt_scalar_t;

/* A launch being built. Pooled (handle.h): the handle goes stale at submit
 * or destroy, and the memory (with its scalar buffer) is reused by the next
 * grt_launch_create. */
struct grt_launch {
  grt_hdr_t hdr;                 /* first: pooled, generation-tagged handle */
  grt_runtime_t *rt;
  grt_library_t *lib;
  const grt_task_info_t *task;
  bool manual;
  int launch_ndim;
  int64_t launch_shape[GRT_MAX_DIM];
  int nargs;
  grt_arg_t args[GRT_MAX_ARGS];
  int nscalars;
  grt_scalar_t scalars[GRT_MAX_SCALARS];
  unsigned char *sbuf;           /* scalar bytes */
  size_t sbuf_size, sbuf_cap;
  const grt_type_t *result_type;
  int result_redop;              /* -1: no reduction of point results */
  int error;                     /* first error recorded while building */
  char errmsg[256];              /* and its message */
};

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
} grt_point_t;

/* A fold: folds the points' private buffers of one reduction argument into
 * the instance in point order, after every point and every earlier
 * conflicting access. */
typedef struct grt_fold {
  grt_node_t node;
  int arg;
} grt_fold_t;

struct grt_op {
  grt_runtime_t *rt;
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
  int nlocal;                    /* points this rank runs: in [l0, l1) */
  int l0, l1;                    /* (all of the range unless a mapper shards) */
  grt_sharding_t shard;          /* point -> rank */
  int p0, nmat;                  /* points materialized here: [p0, p0 + nmat), at
                                  * points[0..nmat); this rank's own, or every
                                  * point on the rank that gathers a reduction */
  bool *fold_active;             /* per fold: runs on this rank */
  bool *fold_gather;             /* per fold: every point's buffer goes to rank 0 */
  uint64_t red_tag;              /* tags of gathered reduction buffers: red_tag + point */
  struct grt_allgather *futx;    /* the exchange of point results, or NULL */
  void (*cleanup)(grt_op_t *op); /* extra state of internal ops */
  void *extra;
};

/* ---------------------------------------------------------------------------
 * Per-root runtime state (root->rt_state).
 * ------------------------------------------------------------------------- */
typedef struct grt_root_state {
  grt_dg_t *dg;
  size_t prune_at;               /* prune when dg live entries exceed this */
  uint64_t last_fold_seq;        /* folds on a root run in program order */
  grt_coh_t coh;                 /* which ranks hold which values (nranks > 1) */
  grt_tiling_t current;          /* the root's current partition, if has_current */
  bool has_current;
} grt_root_state_t;

/* ---------------------------------------------------------------------------
 * Workers.
 * ------------------------------------------------------------------------- */
typedef struct grt_prof grt_prof_t;
typedef struct grt_prof_buf grt_prof_buf_t;
/* What a worker notes of a node before running it (the node may be freed
 * once it completes). */
typedef struct grt_prof_mark {
  uint64_t t0, seq;
  const char *name;
  int32_t point;
  uint8_t kind;
  bool send;
} grt_prof_mark_t;

struct grt_worker {
  grt_runtime_t *rt;
  int index;
  grt_proc_kind_t kind;
  pthread_t thread;
  int core;                      /* core bound to, or -1 */
  grt_prof_buf_t *prof;          /* its profile events, NULL unless profiling */
  grt_prof_mark_t mark;          /* the node it runs, while profiling */
};

typedef struct grt_queue {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  atomic_int size;               /* nodes queued; read without the lock to spin */
  grt_node_t *head, *tail;
  int sleepers;
  bool stop;
} grt_queue_t;

#define GRT_TABLE_BITS 12

struct grt_runtime {
  grt_settings_t settings;
  grt_memory_t mems[GRT_MEM_KIND_COUNT];
  /* The store layer's part (store_ctx.h): store ids, derived types, the
   * live attached roots; open (the runtime is live) from grt_init's
   * registration to grt_finalize. */
  grt_store_ctx_t store_ctx;
  uint64_t next_seq;               /* node sequence numbers */
  int rank, nranks;
  grt_comm_t *comm;
  uint64_t xfer_seq;               /* replicated: tags of data transfers */
  uint64_t future_seq;             /* replicated: tags of future exchanges */
  int ncores, nnuma;               /* machine model (hwloc) */
  void *topology;                  /* hwloc_topology_t */
  grt_library_t *libs;
  grt_library_t *internal_lib;     /* fill, copy, ... */
  int nredops;
  grt_redop_info_t *redops;
  /* processors */
  int ncpu, nomp, ngpu, omp_threads;
  int nworkers;
  grt_worker_t *workers;
  grt_queue_t cpu_q, omp_q;
  /* node id table: app thread only */
  grt_node_t **table;
  size_t table_mask, table_count;
  _Atomic(grt_node_t *) done_stack; /* completed nodes, drained by the app thread */
  atomic_long outstanding;         /* nodes submitted and not completed */
  pthread_mutex_t fence_mu;
  pthread_cond_t fence_cv;
  atomic_int fence_waiters;
  atomic_int task_failed;          /* a task failed since the last fence */
  void *plan;                      /* distrib.c scratch (app thread) */
  grt_pool_t pools[GRT_HK_COUNT]; /* launches, futures, partitions, mappings, stores (handle.h) */
#define GRT_OP_CLASSES 8               /* op blocks of 1 KiB .. 128 KiB are pooled */
  _Atomic(struct op_block *) op_pool[GRT_OP_CLASSES];
  atomic_int op_pool_n[GRT_OP_CLASSES];
  struct grt_divergence *checker;  /* comm's divergence exchange; NULL on 1 or simulated ranks */
  uint64_t op_count, op_hash;      /* the divergence check's running record */
  pthread_mutex_t fail_mu;
  char fail_msg[256];
  grt_prof_t *prof;                /* profile.c, NULL unless the profile setting is on */
  uint64_t alias_copies;           /* replicated: readers given a copy by alias.c */
  grt_rects_t alias_img;           /* alias.c scratch (app thread) */
};

/* ---- nodes and execution (exec.c) ---- */
void grt__node_init(grt_runtime_t *rt, grt_node_t *n, grt_node_kind_t kind, grt_op_t *op);
/* Adds pred -> succ unless pred is already done. */
void grt__node_add_edge(grt_node_t *pred, grt_node_t *succ);
/* Drops one pending count; makes the node ready at zero. */
void grt__node_release(grt_runtime_t *rt, grt_node_t *n);
/* Marks a node done and releases its successors (any thread). */
void grt__node_complete(grt_runtime_t *rt, grt_node_t *n);
/* Id table (app thread): nodes that may still be named by the analyzer. */
int grt__table_insert(grt_runtime_t *rt, grt_node_t *n);
grt_node_t *grt__table_find(grt_runtime_t *rt, uint64_t seq);
/* Removes completed nodes from the table and drops their op references. */
void grt__drain_completed(grt_runtime_t *rt);
int grt__workers_start(grt_runtime_t *rt);
void grt__workers_stop(grt_runtime_t *rt);
/* Waits until every submitted node has completed. */
void grt__wait_all(grt_runtime_t *rt);
void grt__op_unref(grt_op_t *op);
/* Releases the launch's handle and references; its memory goes back to the pool. */
void grt__launch_free(grt_launch_t *l);
/* The launch behind the application's handle @p h (see grt__handle_get).
 * Does not look at the runtime: calls that use it check it (submit). */
static inline int grt__launch_get(grt_launch_t *h, const char *fn, grt_launch_t **out) {
  void *obj;
  int rc = grt__handle_get(h, GRT_HK_LAUNCH, fn, "launch", &obj);
  *out = obj;
  return rc;
}
void *grt__op_block_get(grt_runtime_t *rt, size_t sz, int *cls);
void grt__op_block_put(grt_runtime_t *rt, void *p, int cls);
void grt__op_pool_free(grt_runtime_t *rt);
void grt__redops_free(grt_runtime_t *rt);

/* ---- the profile (profile.c) ---- */
uint64_t grt__prof_now(void);
/* At grt_init: creates <logdir>/grt_profile_<rank>.json when profiling. */
int grt__prof_open(grt_runtime_t *rt);
/* A worker's event buffer (NULL when not profiling). */
grt_prof_buf_t *grt__prof_buf_new(grt_runtime_t *rt);
void grt__prof_buf_free(grt_prof_buf_t *b);
void grt__prof_record(grt_prof_buf_t *b, const grt_prof_mark_t *m, uint64_t t1);
/* The node worker @p w runs has finished its work: records it (before the
 * node completes, so that a finalize that waited for it sees the event). */
static inline void grt__prof_end(grt_worker_t *w) {
  if (w && w->prof) grt__prof_record(w->prof, &w->mark, grt__prof_now());
}
/* At grt_finalize, once every node has completed: writes the file. */
int grt__prof_close(grt_runtime_t *rt);
/* A grt_init that failed after grt__prof_open: removes the empty file. */
void grt__prof_discard(grt_runtime_t *rt);

/* ---- running (task.c) ---- */
/* Runs a point's body and completes it, unless the body deferred completion. */
void grt__run_point(grt_runtime_t *rt, grt_point_t *p, grt_worker_t *w);
/* Asynchronous processors (the device backends): a body that only enqueues
 * work calls grt__task_defer(ctx) before returning, and the backend calls
 * grt__task_finish(ctx) from any thread once the work is done; successors
 * are released then, not when the body returned. */
void grt__task_defer(grt_task_context_t *ctx);
void grt__task_finish(grt_task_context_t *ctx);
void grt__run_fold(grt_runtime_t *rt, grt_fold_t *f);

/* ---- submission (submit.c) ---- */
void grt__submit_scratch_free(void);
int grt__submit(grt_launch_t *l, grt_task_fn fn, grt_proc_kind_t kind, grt_future_t **result);
grt_root_state_t *grt__root_state(grt_runtime_t *rt, grt_store_root_t *root);
/* Registers one access of a wait node on a whole store and wires its edges. */
int grt__access_whole(grt_runtime_t *rt, grt_store_t *s, grt_dg_priv_t priv, grt_node_t *n,
                      uint64_t id);

/* ---- arguments of one launch on one root (alias.c) ---- */
/* After partitioning, before the op is built: rejects (GRT_EINVAL, naming
 * both arguments) writes of two arguments or two points to one element and
 * writes through promoted views; gives every input that reads elements the
 * launch writes elsewhere (another point, or another layout) a copy taken
 * by an ordinary copy launch submitted first, and marks reductions whose
 * points share elements for gathering. Replicated: every rank takes the
 * same steps. Returns 0 or an error, with nothing submitted on GRT_EINVAL. */
int grt__alias_resolve(grt_launch_t *l);
/* Frees the check's scratch (grt_finalize). */
void grt__alias_free(grt_runtime_t *rt);
/* Readers given a copy so far (tests; equal on every rank). */
uint64_t grt__alias_copies(const grt_runtime_t *rt);
/* A reduction argument folded on rank 0 from every point's buffer. */
static inline bool grt__arg_gathers(const grt_arg_t *a, int npoints) {
  return a->priv == GRT_REDUCE && npoints > 1 && (a->tiling.kind == GRT_PART_BROADCAST || a->gather);
}

/* ---- fill and copy (ops.c) ---- */
/* grt_copy after its argument checks: a launch of the internal copy task.
 * @p dst and @p src are store objects (decoded, or built on the stack). */
int grt__copy_launch(grt_store_t *dst, grt_store_t *src);
/* grt_launch_add_input/output/inout (by @p priv) for runtime code: @p s is
 * a store object, not a handle (launch.c). */
int grt__launch_add_store(grt_launch_t *h, grt_store_t *s, grt_privilege_t priv, const char *fn);

/* ---- distribution across ranks (distrib.c) ---- */
/* Materialized point @p p of @p op (p0 <= p < p0 + nmat). */
static inline grt_point_t *grt__op_point(grt_op_t *op, int p) { return &op->points[p - op->p0]; }
/* The rank of point @p p of @p op, and whether this rank runs it (for p in
 * [l0, l1): only a mapper's sharding leaves points of others there). */
static inline int grt__op_shard(const grt_op_t *op, int p) { return grt__sharding_rank(&op->shard, p); }
static inline bool grt__op_local(const grt_op_t *op, int p) {
  return !op->shard.fn || grt__op_shard(op, p) == op->rt->rank;
}
/* Called when this rank's points of @p op are done: exchanges point results
 * with the other ranks, then completes the op's future. */
void grt__op_local_done(grt_runtime_t *rt, grt_op_t *op);
void grt__op_finish_future(grt_runtime_t *rt, grt_op_t *op);
int grt__post_future_exchange(grt_runtime_t *rt, grt_op_t *op);
void grt__futx_free(grt_op_t *op);
/* Adds accesses whose edges go to @p targets (submit.c), pruning as needed. */
int grt__dg_add_targets(grt_runtime_t *rt, grt_root_state_t *st, const grt_dg_access_t *acc, int n,
                        grt_node_t **targets);

/* ---- divergence check (check.c) ---- */
enum {
  GRT_CHECK_LAUNCH, GRT_CHECK_MAP, GRT_CHECK_UNMAP, GRT_CHECK_DETACH, GRT_CHECK_FENCE,
  GRT_CHECK_FUTURE_GET, GRT_CHECK_FUTURE_WAIT, GRT_CHECK_FINALIZE
};
uint64_t grt__hash_bytes(uint64_t h, const void *data, size_t n);
int grt__check_init(grt_runtime_t *rt);
/* True when operations are compared across ranks (several real ranks). */
bool grt__check_enabled(const grt_runtime_t *rt);
int grt__check_start(grt_runtime_t *rt);
/* grt_init's last step on several real ranks: every rank reports whether
 * its own start (@p rc, and grt_last_error() if it failed) succeeded, and
 * all learn the first rank that failed, so that a rank-local failure (a
 * logdir one node cannot write, no memory, no threads) fails grt_init on
 * every rank instead of leaving the others waiting for it forever. Returns
 * @p rc on a rank that failed, GRT_ECOMM naming the failed rank and its
 * error on the others, 0 when all started. */
int grt__start_agree(grt_runtime_t *rt, int rc);
void grt__check_fini(grt_runtime_t *rt);
/* Folds one operation into the running record (non-blocking). */
void grt__check_op(grt_runtime_t *rt, uint32_t kind, uint64_t h);
/* The same, naming what the operation ran (library and task) for messages. */
void grt__check_op_named(grt_runtime_t *rt, uint32_t kind, uint64_t h, const char *lib,
                         const char *name);
/* A blocking call: records it, and waits until rank 0 has seen every rank
 * agree up to here. Returns GRT_EDIVERGED (message names the operation) if
 * not. With @p any_failed, also learns whether a task failed on any rank. */
int grt__check_sync(grt_runtime_t *rt, uint32_t kind, uint64_t h, bool *any_failed);

/* ---- futures (future.c) ---- */
/* A new future with one reference (the application's) and a live handle:
 * give the application grt__handle_of(f). */
grt_future_t *grt__future_new(grt_runtime_t *rt);
/* The future behind the application's handle @p h (see grt__handle_get),
 * checking its runtime too. */
int grt__future_get_handle(grt_future_t *h, const char *fn, grt_future_t **out);
void grt__future_ref(grt_future_t *f);
void grt__future_unref(grt_future_t *f);
/* Sets the value (copied) or error, completes the node, wakes waiters. */
void grt__future_set(grt_future_t *f, const void *value, size_t size, int error);

/* ---- reduction operators (redop.c) ---- */
/* Identity element of (op, type) into @p out (type size bytes) and the fold;
 * GRT_ENOTFOUND / GRT_EINVAL if op is unknown or not defined on type. */
int grt__redop_lookup(grt_runtime_t *rt, int op, const grt_type_t *type, const void **identity,
                      grt_fold_fn *fold);

/* ---- libraries (library.c) ---- */
const grt_task_info_t *grt__task_find(const grt_library_t *lib, int task_id);
void grt__libraries_free(grt_runtime_t *rt);
int grt__internal_library(grt_runtime_t *rt);

/* ---- the public store calls that take a runtime (store_api.c) ---- */
/* grt_store_create naming @p fn (the public caller) in error messages. */
int grt__store_create_named(const char *fn, grt_runtime_t *rt, const grt_type_t *type,
                            int ndim, const int64_t *shape, grt_store_t **out);

/* ---- the runtime object (runtime.c) ---- */
/* Every entry point that acts on a runtime calls this first: 0, or the
 * error (a NULL or finalized runtime, a call from inside a task body, see
 * error.h) with a message naming @p argname. */
int grt__runtime_check(const grt_runtime_t *rt, const char *argname);
/* The runtime is alive (no error message, touches nothing behind @p rt). */
bool grt__runtime_live(const grt_runtime_t *rt);

/* ---- attached stores (ops.c) ---- */
/* The store layer's root_orphaned callback (store_ctx.h): the last
 * application handle of @p root is being destroyed (the caller still holds
 * its reference). For an attached root never detached: warns (rank 0) and
 * issues, without waiting, the transfers that leave every value in every
 * rank's buffer; they hold the root until done. Replicated
 * (grt_store_destroy runs on every rank in the same order): the
 * application thread. A no-op for other roots. */
void grt__runtime_root_orphaned(grt_runtime_t *rt, grt_store_root_t *root);
/* At finalize, once every node has completed: empties the store context's
 * attached list. With
 * @p write_back, detaches every root there not yet detached as
 * grt_store_detach would (all ranks together, so every rank's buffer holds
 * every value), warning on stderr (rank 0) that it was never detached.
 * Returns 0 or the first error. */
int grt__ops_detach_all(grt_runtime_t *rt, bool write_back);

/* ---- machine (machine.c) ---- */
int grt__machine_init(grt_runtime_t *rt);
void grt__machine_fini(grt_runtime_t *rt);
void grt__machine_bind(grt_runtime_t *rt, int core);

#endif
