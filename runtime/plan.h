/* plan.h - distribution across ranks: which transfers each operation needs.
 *
 * For every op (and every whole-store access: map, detach) every rank plans,
 * from the replicated coherence map of each root it touches (coherence.h),
 * the same transfers in the same order with the same tags, then makes only
 * its own: one send or receive node per root and direction (xfer.h). The
 * map is updated with the op's writes as part of the plan. All of it runs on
 * the application thread, between the op's partitioning and its dependence
 * analysis: the transfer nodes enter the analysis (grt__plan_xfers_analyze)
 * before the op's points, and are released with them.
 */
#ifndef GRT_PLAN_H
#define GRT_PLAN_H

#include <stdint.h>

#include "runtime.h"

/* Plans @p op's transfers and coherence updates and makes this rank's
 * transfer nodes. Returns 0 or GRT_ENOMEM / GRT_ECOMM. */
int grt__plan_op(grt_runtime_t *rt, grt_op_t *op);
/* The same for an access of the whole of @p s by every rank (map, detach). */
int grt__plan_whole(grt_runtime_t *rt, grt_store_t *s);
/* Records that every rank holds every value of @p s (a grt_store_attach
 * whose buffers are equal everywhere). */
int grt__plan_everywhere(grt_runtime_t *rt, grt_store_t *s);
/* Adds this rank's transfer nodes of @p root from the last plan to its
 * dependence analysis. */
int grt__plan_xfers_analyze(grt_runtime_t *rt, grt_store_root_t *root);
/* Drops the submission hold of the last plan's transfer nodes. */
void grt__plan_xfers_release(grt_runtime_t *rt);
/* The root rectangle argument @p arg of point @p p of @p op reaches through
 * its tiling (before the view's transform). */
void grt__plan_point_rect(const grt_op_t *op, int p, int arg, grt_rect_t *r);
/* Frees the planner's scratch (grt_finalize). */
void grt__plan_free(grt_runtime_t *rt);
/* Transfer nodes this rank has made so far (tests: one per root and
 * direction per op, whatever the number of peers). */
uint64_t grt__plan_xfer_nodes(const grt_runtime_t *rt);
/* Tiled-layer reads replayed from a memo instead of planned (tests). */
uint64_t grt__plan_memo_hits(const grt_runtime_t *rt);

#endif
