/* distrib.h - the control loop across ranks: planning transfers from the
 * replicated coherence map, send/receive nodes, gathered reductions. */
#ifndef GRT_DISTRIB_H
#define GRT_DISTRIB_H

#include <stdint.h>

#include "op.h"
#include "store.h"

/* Plans the op's transfers and coherence updates (every rank alike) and makes
 * this rank's send/receive nodes; they enter the analysis before the op. */
int grt__plan_op(grt_runtime_t *rt, grt_op_t *op);
/* Same for a whole-store access by every rank (map, detach). */
int grt__plan_whole(grt_runtime_t *rt, grt_store_t *s);
/* Adds this rank's pending transfer nodes of @p root to its analyzer. */
int grt__xfers_analyze(grt_runtime_t *rt, grt_store_root_t *root);
/* Releases the transfer nodes made by the last plan. */
void grt__xfers_release(grt_runtime_t *rt);
void grt__distrib_free(grt_runtime_t *rt);
/* Transfer nodes this rank has made so far (tests: one per root and
 * direction per op, whatever the number of peers). */
uint64_t grt__distrib_xfer_nodes(const grt_runtime_t *rt);
/* Tiled-layer reads replayed from a memo instead of planned (tests). */
uint64_t grt__distrib_memo_hits(const grt_runtime_t *rt);
/* Posts the receives of fold @p f's gathered point buffers (rank 0). */
int grt__post_red_gather(grt_runtime_t *rt, grt_op_t *op, int f);
int grt__coh_everywhere_store(grt_runtime_t *rt, grt_store_t *s);

#endif
