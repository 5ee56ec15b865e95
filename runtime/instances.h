/* instances.h - which instances a rank makes, and when they go.
 *
 * The store layer allocates instances and keeps each root's set of them
 * (store/instance.h); this module decides. All of it runs on the
 * application thread, during submission, before the operation's nodes are
 * analysed.
 *
 * - Shape. On several ranks an access gets an instance of its own root
 *   rectangle (a point's tile plus halo, the box of a view's image, a
 *   transfer's rectangle, a mapping's view). On one rank, and for roots of
 *   at most GRT_INST_WHOLE_BYTES, an instance is the whole root.
 * - Reuse. A rectangle inside an existing instance uses it.
 * - Growth. A rectangle meeting instances without fitting in one gets a
 *   new instance over the bounding box of it and of every instance it meets
 *   (again, until nothing else meets the box): the set stays disjoint.
 *   A migration node copies the old instances' values into the new one and
 *   drops them. It is analysed as a read-write of the old rectangles, so it
 *   runs after every earlier task, transfer and mapping that uses them and
 *   before every later access of those elements (which are bound to the new
 *   instance). Growing in place was the other choice: it would copy as
 *   much and would need the old block free of pending users first, so it
 *   would stall submission; a second, overlapping instance would need
 *   coherence between copies on one rank. See docs/stores.md.
 * - Retirement. After an op's writes are planned, an instance of a written
 *   root that holds no value this rank still has valid (all of it was
 *   overwritten on other ranks) leaves the set; pending nodes bound to it
 *   keep it until they finish.
 * - Pressure. An allocation the instance pool refuses waits for this
 *   rank's pending work (retired instances held by it are then freed) and
 *   tries once more before failing.
 */
#ifndef GRT_INSTANCES_H
#define GRT_INSTANCES_H

#include <stdint.h>

#include "coherence.h"
#include "instance.h"
#include "runtime.h"

/* Elements an instance made for a point's access reaches past it. */
#define GRT_INST_MARGIN 2
/* Roots this small get one whole instance on every rank that touches them. */
#define GRT_INST_WHOLE_BYTES ((size_t)64 << 10)

/* True when this rank's instances of @p root are whole (one rank, or a
 * small root). */
bool grt__instances_whole(const grt_runtime_t *rt, const grt_store_root_t *root);
/* The instance of @p root on this rank holding all of the root rectangle
 * @p r (not empty), made now if needed. 0, or GRT_ENOMEM with the pool's
 * message. */
int grt__instances_ensure(grt_runtime_t *rt, grt_store_root_t *root, const grt_rect_t *r,
                          grt_instance_t **out);
/* A failed allocation on a real multi-rank job ends the job (every rank
 * alike, with the message) instead of returning: the other ranks would
 * wait for this rank's transfers of the operation. Returns @p rc
 * otherwise. */
int grt__instances_fatal(grt_runtime_t *rt, int rc);
/* Ends the job: an instance the plan ensured is not there (an internal
 * error; never returns). */
_Noreturn void grt__instances_lost(grt_runtime_t *rt, const grt_store_root_t *root,
                                   const grt_rect_t *r);
/* Widens the box @p r of a point's access by GRT_INST_MARGIN elements each
 * way in every dim it does not already span (at most an eighth of its
 * extent, and within the root): instances made for a partition's tiles
 * then also hold the usual stencil halos, so a halo read after a plain
 * write grows nothing. A no-op where instances are whole roots. */
void grt__instances_margin(const grt_runtime_t *rt, const grt_store_root_t *root, grt_rect_t *r);
/* Replaces boxes that meet by their bounding box until none meet; returns
 * the new count (in place). */
int grt__instances_merge(grt_rect_t *box, int n);
/* The root box of the view rectangle @p r (not empty) through @p tf. */
void grt__instances_view_box(const grt_transform_t *tf, int root_ndim, const grt_rect_t *r,
                             grt_rect_t *out);
/* Points a task buffer (or mapping) at view point @p lo of @p in through @p
 * tf: the address, and the view's strides in elements. */
static inline void *grt__instances_bind(const grt_instance_t *in, const grt_transform_t *tf,
                                        const int64_t *lo, size_t esize, int64_t *strides) {
  int64_t off = grt__tf_layout(tf, in->strides, lo, strides) - in->base;
  return in->data + off * (int64_t)esize;
}
/* Retires the instances of @p root holding nothing valid on this rank any
 * more (several ranks; @p coh is the root's map after the op's writes). */
void grt__instances_sweep(grt_runtime_t *rt, grt_store_root_t *root, const grt_coh_t *coh);
/* grt_memory_trim's work, every rank alike after waiting for its pending
 * work: each rank drops its instances holding only copies of values other
 * ranks hold (grt__coherence_copies_only), the ranks exchange what they
 * dropped (an all-gather) and every rank updates its coherence maps
 * (grt__coherence_drop), so later reads fetch those values again. Adds
 * the bytes this rank freed to *freed. 0, or GRT_ENOMEM. */
int grt__instances_trim(grt_runtime_t *rt, size_t *freed);
/* The same, without waiting, when the last blocking call's verdict said
 * some rank's instance pool is three quarters full (every rank got the
 * same verdict, so every rank trims here alike). Blocking calls
 * (grt_fence, grt_future_wait/get, grt_memory_trim) call it after their
 * check. Pending nodes bound to a dropped instance keep it until they
 * finish; copies are never the source of a transfer. */
int grt__instances_trim_due(grt_runtime_t *rt);
/* Instances made and migrations run on this rank so far (tests). */
uint64_t grt__instances_made(const grt_runtime_t *rt);
uint64_t grt__instances_migrations(const grt_runtime_t *rt);

#endif
