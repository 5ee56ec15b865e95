/* depgraph.h - the interval-tree dependence analyzer (libc only).
 *
 * One analyzer per root store. It keeps the accesses that can still matter,
 * each a set of N-D rectangles of the root with a privilege and the id of the
 * access that made it. Given the accesses of a new operation, it reports the
 * earlier accesses each must wait for, then records them.
 *
 * Conflict rule: two accesses conflict when their rectangles share at least
 * one point and at least one writes (WRITE or READ_WRITE), or both reduce with
 * different operators, or one reduces and the other reads or writes. Reads
 * never conflict with reads; reductions with the same operator never conflict
 * with each other.
 *
 * Not thread-safe: one thread (the runtime's submitting thread) drives it.
 * The edge and done callbacks must not call back into the same analyzer.
 */
#ifndef GRT_DEPGRAPH_H
#define GRT_DEPGRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "rect.h"

typedef enum {
  GRT_DG_READ = 0,
  GRT_DG_WRITE = 1,      /* overwrites every point it covers */
  GRT_DG_READ_WRITE = 2,
  GRT_DG_REDUCE = 3,
} grt_dg_priv_t;

/* One access: a set of rectangles of the root (any number, may overlap each
 * other; all of the analyzer's ndim), one privilege, and an id. Ids are chosen
 * by the caller, unique for the analyzer's lifetime. */
typedef struct grt_dg_access {
  uint64_t id;
  grt_dg_priv_t priv;
  int redop;                 /* operator id, meaningful with GRT_DG_REDUCE */
  const grt_rect_t *rects;
  int nrects;
} grt_dg_access_t;

/* Called once per (new access index i, earlier access id) edge; an earlier id
 * is reported at most once per new access. */
typedef void (*grt_dg_edge_fn)(void *ctx, int i, uint64_t earlier_id);
/* Tells the analyzer whether the access @p id has completed. */
typedef int (*grt_dg_done_fn)(void *ctx, uint64_t id);

typedef struct grt_dg grt_dg_t;

/* Creates an analyzer for a root of @p ndim (1..4) dims; NULL on bad ndim or
 * out of memory. */
grt_dg_t *grt__dg_create(int ndim);
void grt__dg_destroy(grt_dg_t *dg); /* NULL is a no-op */

/* Adds the @p n accesses of one operation. Accesses added in the same call
 * never depend on each other. For each access i, calls edge(ctx, i, id) for
 * every earlier access it must wait for (sound and precise, see above; edges
 * implied by transitivity through reported edges may be omitted). Then records
 * the accesses, retiring or trimming entries that a write fully covers.
 * Returns 0, or -2 (GRT_ENOMEM) with the analyzer unchanged on allocation
 * failure (edges already reported for this call are then void), or -1
 * (GRT_EINVAL) before reporting anything when dg, edge or a needed acc/rects
 * pointer is NULL, n or nrects is negative, a privilege is unknown or a
 * rectangle's ndim is not the analyzer's. Empty rectangles are ignored. */
int grt__dg_add(grt_dg_t *dg, const grt_dg_access_t *acc, int n,
                grt_dg_edge_fn edge, void *ctx);

/* Drops every entry whose id done(ctx, id) reports complete. O(live), and
 * done() is asked by id, at most once per live piece (once per run of
 * neighbouring pieces of one access). Contract (any executing runtime
 * keeps it): completion is monotone, and an access is reported complete only
 * once every access it was given an edge to has completed; retiring relies on
 * it (a pruned writer may have been the only live witness of older ones). */
void grt__dg_prune(grt_dg_t *dg, grt_dg_done_fn done, void *ctx);

/* Number of live entries (rectangle pieces) the analyzer holds. */
size_t grt__dg_live(const grt_dg_t *dg);

/* Test hook: makes the @p countdown-th next allocation point fail (a node
 * reservation or a scratch array's sizing, whether or not it would have to
 * allocate; a pool chunk; the query's id set growing), so tests can check
 * that grt__dg_add() returns -2 with the analyzer unchanged. 0 disables it. */
void grt__dg_debug_fail_alloc(grt_dg_t *dg, long countdown);

#endif
