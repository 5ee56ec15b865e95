/* ops.h - fill, copy, inline mapping and detach, built on launches and wait nodes. */
#ifndef GRT_OPS_H
#define GRT_OPS_H

#include <stdbool.h>

#include "grt.h"
#include "store.h"

/* Registers the internal library (fill, copy) at grt_init. */
int grt__ops_internal_library(grt_runtime_t *rt);
/* grt_copy after its argument checks: a launch of the internal copy task.
 * @p dst and @p src are store objects (decoded, or built on the stack). */
int grt__submit_copy(grt_store_t *dst, grt_store_t *src);
/* The store layer's root_orphaned callback (store_ctx.h): the last
 * application handle of @p root is being destroyed (the caller still holds
 * its reference). For an attached root never detached: warns (rank 0) and
 * issues, without waiting, the transfers that leave every value in every
 * rank's buffer; they hold the root until done. Replicated
 * (grt_store_destroy runs on every rank in the same order): the
 * application thread. A no-op for other roots. */
void grt__ops_root_orphaned(grt_runtime_t *rt, grt_store_root_t *root);
/* At finalize, once every node has completed: empties the store context's
 * attached list. With
 * @p write_back, detaches every root there not yet detached as
 * grt_store_detach would (all ranks together, so every rank's buffer holds
 * every value), warning on stderr (rank 0) that it was never detached.
 * Returns 0 or the first error. */
int grt__ops_detach_all(grt_runtime_t *rt, bool write_back);

#endif
