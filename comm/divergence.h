/* divergence.h - the divergence check's exchange between ranks.
 *
 * Every rank runs the same program, so every rank must make the same grt
 * calls in the same order. The runtime folds each call into a record
 * (operation number, kind, hash of its arguments, a name for messages) and
 * hands it here; rank 0 compares every rank's records, at least every 64
 * operations and at every blocking call, and stops the job (status 6,
 * GRT_EDIVERGED) when they differ, naming the first differing operation. A
 * blocking call (fence, map, future get, finalize...) returns only once
 * every rank has reached it with the same records, and learns whether a
 * task failed on any rank.
 *
 * Threads: the application thread calls new, start, record, sync and free;
 * rank 0's comparisons run on comm's progress thread. Only on several real
 * ranks: grt__divergence_new gives NULL on one rank or simulated ranks.
 */
#ifndef GRT_DIVERGENCE_H
#define GRT_DIVERGENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "comm.h"

typedef struct grt_divergence grt_divergence_t;

/* A checker for the ranks of @p comm (*out NULL when there is one rank or
 * the ranks are simulated: nothing to compare). @p kind_names[k] names
 * operation kind k in messages (@p nkinds of them; the array must outlive
 * the checker). Returns 0 or GRT_ENOMEM. */
int grt__divergence_new(grt_comm_t *comm, const char *const *kind_names, int nkinds,
                        grt_divergence_t **out);
/* Starts listening (rank 0): after grt__divergence_start_agree. */
int grt__divergence_start(grt_divergence_t *d);
/* Frees it (NULL is fine). */
/* This rank is (or is no longer) short of memory: said with its next
 * blocking call; the verdict tells every rank whether any rank was
 * (grt__divergence_any_pressure, after grt__divergence_sync), so all can
 * act on it alike. */
void grt__divergence_set_pressure(grt_divergence_t *d, bool short_of_memory);
bool grt__divergence_any_pressure(const grt_divergence_t *d);
void grt__divergence_free(grt_divergence_t *d);

/* Records operation number @p count (1, 2, ... on every rank) of @p kind
 * whose arguments hash to @p h; @p lib and @p name (or NULL) name what it
 * ran. Non-blocking: records go to rank 0 in batches. */
void grt__divergence_record(grt_divergence_t *d, uint64_t count, uint32_t kind, uint64_t h,
                            const char *lib, const char *name);
/* A blocking call, already recorded as operation @p count: sends what is
 * left and waits for rank 0's verdict. @p final says the call is
 * finalize (rank 0 expects nothing from this rank afterwards); @p failed
 * and @p failtext report a task failure on this rank. Returns 0 (with
 * *any_failed, if not NULL, true when a task failed on some rank, and that
 * failure as the last error), GRT_EDIVERGED with the message naming the
 * operation (the job then ends shortly), or GRT_ECOMM. */
int grt__divergence_sync(grt_divergence_t *d, uint64_t count, bool final, uint32_t failed,
                         const char *failtext, bool *any_failed);
/* The message of a divergence this rank has learnt of, or NULL. */
const char *grt__divergence_why(const grt_divergence_t *d);

/* grt_init's last step on several real ranks: every rank reports whether
 * its own start (@p rc, and grt_last_error() if it failed) succeeded, and
 * all learn the first rank that failed, so that a rank-local failure fails
 * grt_init on every rank instead of leaving the others waiting forever.
 * Returns @p rc on a rank that failed, GRT_ECOMM naming the failed rank
 * and its error on the others, 0 when all started. */
int grt__divergence_start_agree(grt_comm_t *comm, int rc);

#endif
