/* check.h - the divergence check: every rank folds each API operation into a
 * running record, compared across ranks at every blocking call. */
#ifndef GRT_CHECK_H
#define GRT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grt.h"

enum {
  GRT_CHECK_LAUNCH, GRT_CHECK_MAP, GRT_CHECK_UNMAP, GRT_CHECK_DETACH, GRT_CHECK_FENCE,
  GRT_CHECK_FUTURE_GET, GRT_CHECK_FUTURE_WAIT, GRT_CHECK_FINALIZE, GRT_CHECK_TRIM
};
uint64_t grt__check_hash_bytes(uint64_t h, const void *data, size_t n);
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
int grt__check_start_agree(grt_runtime_t *rt, int rc);
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

#endif
