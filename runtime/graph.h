/* graph.h - the dependence graph: nodes, edges, the id table, ready queues, workers.
 *
 * The graph runs nodes; it does not know what they are. A runnable node
 * carries a `run` hook set by whoever made it (an op's point or fold, a
 * transfer) and the queue it prefers; the graph calls nothing above it
 * (it calls down into comm/ to poll while idle, the machine model to bind
 * workers, and the profile's buffers). Nodes may carry an opaque owner
 * (`op`) whose reference the node holds: the graph hands completed nodes
 * back through grt__graph_take_done, and their owner drops it.
 */
#ifndef GRT_GRAPH_H
#define GRT_GRAPH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "grt.h"
#include "comm.h"
#include "machine.h"
#include "profile.h"

typedef struct grt_node grt_node_t;
typedef struct grt_worker grt_worker_t;
typedef struct grt_graph grt_graph_t;
struct grt_op;

/* A runnable node's work, on worker @p w. The hook completes the node
 * (grt__graph_complete), at once or later from any thread (a deferred task
 * body), and closes its profile event (grt__graph_prof_end) when its work
 * ends, before completing it. */
typedef void (*grt_node_run_fn)(grt_node_t *n, grt_worker_t *w);

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
 * Kinds: a runnable node (CPU, OMP, ANY: the queue it prefers) runs its
 * `run` hook on a worker; a future node completes when its value is set; a
 * wait node (map, detach) wakes the application thread when ready and
 * completes when the application lets go (unmap). Once a wait node's
 * pending count reaches 0 it belongs to the application thread alone (it
 * may complete and free it at once): the thread that made the last
 * decrement must not touch it after that decrement.
 * ------------------------------------------------------------------------- */
typedef enum {
  GRT_NODE_CPU,    /* runs on a CPU worker (a point of a CPU task, its folds) */
  GRT_NODE_OMP,    /* runs on an OpenMP group if there is one, else on a CPU worker */
  GRT_NODE_ANY,    /* runs on a CPU worker if there is one, else on an OpenMP group */
  GRT_NODE_FUTURE, /* completed by whoever sets its value, never by its edges */
  GRT_NODE_WAIT    /* wakes the application thread when ready */
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
  struct grt_op *op;             /* owner holding a reference per node, or NULL: the
                                  * node is malloc'd and frees itself (opaque here) */
  grt_node_run_fn run;           /* runnable kinds */
};

/* ---------------------------------------------------------------------------
 * Workers and queues.
 * ------------------------------------------------------------------------- */
struct grt_worker {
  grt_graph_t *graph;
  int index;
  grt_proc_kind_t kind;          /* GRT_PROC_CPU or GRT_PROC_OMP (a group's thread) */
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

/* ---------------------------------------------------------------------------
 * The graph of one runtime (embedded in grt_runtime_t).
 *
 * Threads: `next_seq` and the id table are the application thread's alone
 * (nodes are made, inserted, found and drained there). `done_stack` is
 * pushed by any thread that completes a node and popped by the application
 * thread (many producers, one consumer). `outstanding` counts runnable
 * nodes submitted and not completed (atomic); `fence_mu`/`fence_cv` wake
 * the application thread when it reaches 0 or a wait node becomes ready.
 * The processor counts, comm, machine and profile are set before
 * grt__graph_start and read-only afterwards.
 * ------------------------------------------------------------------------- */
#define GRT_TABLE_BITS 12

struct grt_graph {
  uint64_t next_seq;               /* node sequence numbers (this rank's own: ranks make
                                    * different nodes) */
  grt_node_t **table;              /* id table: nodes the analyzer may still name */
  size_t table_mask, table_count;
  _Atomic(grt_node_t *) done_stack; /* completed nodes, drained by the app thread */
  atomic_long outstanding;         /* runnable nodes submitted and not completed */
  pthread_mutex_t fence_mu;
  pthread_cond_t fence_cv;
  atomic_int fence_waiters;
  int ncpu, nomp, omp_threads;     /* workers: CPU, OpenMP groups (of omp_threads) */
  int nworkers;
  grt_worker_t *workers;
  grt_queue_t cpu_q, omp_q;
  grt_comm_t *comm;                /* polled by idle workers; told when they sleep */
  const grt_machine_t *machine;    /* to bind workers */
  grt_prof_t *prof;                /* NULL unless profiling */
};

/* Sets up an empty graph (no workers yet). Returns 0 or GRT_ENOMEM. */
int grt__graph_init(grt_graph_t *g);
/* Frees what init made (after grt__graph_stop and a last drain). */
void grt__graph_fini(grt_graph_t *g);
/* Starts g->ncpu + g->nomp workers. Returns 0 or GRT_ENOMEM (none left running). */
int grt__graph_start(grt_graph_t *g);
/* Stops and joins the workers (their queues must be empty). */
void grt__graph_stop(grt_graph_t *g);

/* A new node with the next sequence number, pending 1 (the hold). @p run
 * is the hook of a runnable kind (NULL for futures and waits), @p op its
 * owner or NULL. */
void grt__graph_node_init(grt_graph_t *g, grt_node_t *n, grt_node_kind_t kind, grt_node_run_fn run,
                          struct grt_op *op);
/* Adds pred -> succ unless pred is already done. */
void grt__graph_add_edge(grt_node_t *pred, grt_node_t *succ);
/* Drops one pending count; makes the node ready at zero. */
void grt__graph_release(grt_graph_t *g, grt_node_t *n);
/* Marks a node done and releases its successors (any thread). */
void grt__graph_complete(grt_graph_t *g, grt_node_t *n);
/* @p n more runnable nodes were submitted: grt__graph_wait counts them. */
static inline void grt__graph_expect(grt_graph_t *g, long n) { atomic_fetch_add(&g->outstanding, n); }

/* Id table (app thread): nodes that may still be named by the analyzer. */
int grt__graph_insert(grt_graph_t *g, grt_node_t *n);
grt_node_t *grt__graph_find(grt_graph_t *g, uint64_t seq);
static inline size_t grt__graph_hash(uint64_t seq) {
  return (size_t)(seq * 0x9E3779B97F4A7C15ull >> 20);
}
/* Takes the nodes completed since the last call (app thread), linked by
 * next_done. The caller forgets each (grt__graph_forget) and then drops
 * its owner's reference or frees it (grt__op_drain). Inline, as is forget:
 * every node passes through here once. */
static inline grt_node_t *grt__graph_take_done(grt_graph_t *g) {
  return atomic_exchange_explicit(&g->done_stack, NULL, memory_order_acquire);
}
/* Removes a completed node from the id table (app thread). */
static inline void grt__graph_forget(grt_graph_t *g, grt_node_t *n) {
  grt_node_t **p = &g->table[grt__graph_hash(n->seq) & g->table_mask];
  while (*p && *p != n) p = &(*p)->table_next;
  if (*p) {
    *p = n->table_next;
    g->table_count--;
  }
}

/* Waits until every runnable node submitted has completed (app thread). */
void grt__graph_wait(grt_graph_t *g);
/* Waits until wait node @p n is ready (its hold already dropped). */
void grt__graph_wait_ready(grt_graph_t *g, grt_node_t *n);

/* The end of the profile event of the node @p w runs (@p w may be NULL):
 * what ran, named for the timeline. */
static inline void grt__graph_prof_end(grt_worker_t *w, grt_prof_kind_t kind, const char *name,
                                       int32_t point) {
  if (w && w->prof) {
    w->mark.kind = (uint8_t)kind;
    w->mark.name = name;
    w->mark.point = point;
    grt__profile_record(w->prof, &w->mark, grt__profile_now());
  }
}

#endif
