/* analysis.h - the dependence analysis glue: per-root state and depgraph accesses to graph edges.
 *
 * Every root a launch touches gets a depgraph analyzer (depgraph/) in its
 * state; an access is registered under an id made of the node's sequence
 * number and the argument slot, and every conflict the analyzer reports
 * becomes an edge in the graph from the earlier node (found in the graph's
 * id table) to the new one. Application thread only. Sits below the
 * distribution (which adds its transfer nodes through it) and submission.
 */
#ifndef GRT_ANALYSIS_H
#define GRT_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coherence.h"
#include "depgraph.h"
#include "graph.h"
#include "op.h"
#include "partition.h"
#include "store.h"

/* Per-root runtime state (root->rt_state), freed with the root. */
typedef struct grt_root_state {
  grt_dg_t *dg;
  size_t prune_at;               /* prune when dg live entries exceed this */
  uint64_t last_fold_seq;        /* folds on a root run in program order */
  grt_coh_t coh;                 /* which ranks hold which values (nranks > 1) */
  grt_tiling_t current;          /* the root's current partition, if has_current */
  bool has_current;
  grt_store_root_t *root;        /* back: the runtime's list of root states */
  struct grt_root_state *prev, *next; /* rt->roots, under rt->roots_mu */
} grt_root_state_t;

/* Calls @p fn on every root with runtime state (every root some op has
 * used), holding the list's lock: a root cannot be freed meanwhile, and
 * @p fn must not release roots. Application thread. */
void grt__analysis_each_root(grt_runtime_t *rt, void (*fn)(void *ctx, grt_root_state_t *st),
                             void *ctx);

/* The state of @p root, made on first use; NULL when out of memory. */
grt_root_state_t *grt__analysis_root_state(grt_runtime_t *rt, grt_store_root_t *root);
/* Adds @p n accesses whose edges go to @p targets (per access), pruning as
 * needed. Returns 0 or GRT_ENOMEM. */
int grt__analysis_add_targets(grt_runtime_t *rt, grt_root_state_t *st, const grt_dg_access_t *acc,
                              int n, grt_node_t **targets);
/* Registers one access of a wait node on a whole store and wires its edges. */
int grt__analysis_access_whole(grt_runtime_t *rt, grt_store_t *s, grt_dg_priv_t priv,
                               grt_node_t *n, uint64_t id);
/* The analysis of @p op: for every root it touches, first calls
 * @p first(rt, root) (the distribution adds that root's transfer nodes,
 * which come before the op), then adds the accesses of this rank's points
 * (and of the folds it runs) and wires their edges. Returns 0 or an error. */
int grt__analysis_op(grt_runtime_t *rt, grt_op_t *op,
                     int (*first)(grt_runtime_t *rt, grt_store_root_t *root));
/* Frees the calling thread's scratch (grt_finalize). */
void grt__analysis_scratch_free(void);

#endif
