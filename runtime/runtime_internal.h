/* runtime_internal.h - the runtime's objects: nodes, operations, futures, workers. */
#ifndef GRT_RUNTIME_INTERNAL_H
#define GRT_RUNTIME_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "grt.h"
#include "config.h"
#include "depgraph.h"
#include "error.h"
#include "memory.h"
#include "partition.h"
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
 * ------------------------------------------------------------------------- */
typedef enum { GRT_NODE_TASK, GRT_NODE_FOLD, GRT_NODE_FUTURE, GRT_NODE_WAIT } grt_node_kind_t;

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
  grt_op_t *op;                  /* owning operation (NULL for futures, waits) */
};

/* ---------------------------------------------------------------------------
 * Futures: a value produced by an operation (or given), with a node for
 * dependences. Reference counted: the application's handle, the producing
 * operation, and each operation that reads it hold one reference.
 * ------------------------------------------------------------------------- */
#define GRT_FUTURE_INLINE 64
struct grt_future {
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
  grt_store_t *handle;           /* the user's handle (not owned) */
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
} grt_arg_t;

typedef struct grt_scalar {
  const grt_type_t *type;        /* NULL for a future */
  size_t offset;                 /* in the launch's scalar buffer */
  grt_future_t *future;          /* referenced */
} grt_scalar_t;

struct grt_launch {
  uint32_t magic;
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
#define GRT_LAUNCH_MAGIC 0x6772744cu /* "grtL" */

struct grt_task_context {
  grt_op_t *op;
  int64_t point[GRT_MAX_DIM];
  grt_buffer_t *args;            /* op->nargs buffers */
  const void **scalars;          /* op->nscalars pointers */
  grt_proc_kind_t kind;
  int omp_threads;
  int index;                     /* linear point index */
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
  void (*cleanup)(grt_op_t *op); /* extra state of internal ops */
  void *extra;
};

/* ---------------------------------------------------------------------------
 * Per-root runtime state (root->rt_state).
 * ------------------------------------------------------------------------- */
typedef struct grt_root_state {
  grt_dg_t *dg;
  size_t prune_at;               /* prune when dg live entries exceed this */
  grt_node_t *last_fold;         /* folds on a root run in program order */
  uint64_t last_fold_seq;
  grt_tiling_t current;          /* the root's current partition, if has_current */
  bool has_current;
} grt_root_state_t;

/* ---------------------------------------------------------------------------
 * Workers.
 * ------------------------------------------------------------------------- */
struct grt_worker {
  grt_runtime_t *rt;
  int index;
  grt_proc_kind_t kind;
  pthread_t thread;
  int core;                      /* core bound to, or -1 */
};

typedef struct grt_queue {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  grt_node_t *head, *tail;
  int sleepers;
  bool stop;
} grt_queue_t;

#define GRT_TABLE_BITS 12

struct grt_runtime {
  grt_settings_t settings;
  grt_memory_t mems[GRT_MEM_KIND_COUNT];
  grt_type_registry_t *types;
  uint64_t next_store_id;          /* sequence numbers: equal on every rank */
  uint64_t next_seq;               /* node sequence numbers */
  pthread_mutex_t shell_lock;      /* guards shells */
  grt_store_t *shells;             /* destroyed handles, freed at finalize */
  int rank, nranks;
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
  pthread_mutex_t fail_mu;
  char fail_msg[256];
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
void grt__launch_free(grt_launch_t *l);
void grt__redops_free(grt_runtime_t *rt);

/* ---- running (task.c) ---- */
void grt__run_point(grt_runtime_t *rt, grt_point_t *p, grt_worker_t *w);
void grt__run_fold(grt_runtime_t *rt, grt_fold_t *f);

/* ---- submission (submit.c) ---- */
void grt__submit_scratch_free(void);
int grt__submit(grt_launch_t *l, grt_task_fn fn, grt_proc_kind_t kind, grt_future_t **result);
grt_root_state_t *grt__root_state(grt_runtime_t *rt, grt_store_root_t *root);
/* Registers one access of a wait node on a whole store and wires its edges. */
int grt__access_whole(grt_runtime_t *rt, grt_store_t *s, grt_dg_priv_t priv, grt_node_t *n,
                      uint64_t id);

/* ---- futures (future.c) ---- */
grt_future_t *grt__future_new(grt_runtime_t *rt);
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

/* ---- machine (machine.c) ---- */
int grt__machine_init(grt_runtime_t *rt);
void grt__machine_fini(grt_runtime_t *rt);
void grt__machine_bind(grt_runtime_t *rt, int core);

#endif
