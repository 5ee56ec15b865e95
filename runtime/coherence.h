/* coherence.h - which ranks hold the latest values of each part of a root store.
 *
 * Every rank derives the map from replicated information only (the program's
 * operations and the sharding function), so the reader and the writer of a
 * value both know, without asking, which transfers an operation needs. But a
 * rank keeps and computes only what concerns it: its per-operation cost must
 * not grow with the number of ranks.
 *
 * The map has two layers:
 *
 * - The *tiled layer*: the values last written by a launch that wrote the
 *   whole root through a tiling with no halo. It is one record, whatever the
 *   number of tiles: tile c belongs to the rank that ran point c (the
 *   sharding formula). Who else holds copies is local knowledge: a rank keeps
 *   the parts of other ranks' tiles it received (`held`), and the parts of
 *   its own tiles it sent and to whom (`sent`). Reader and owner append to
 *   these in the same order, so both compute the same transfers.
 * - The *pieces* over it: disjoint rectangles written otherwise (one point, a
 *   view, a halo'd or transformed write, attach), each with its owner and the
 *   bitset of ranks holding its values. Every rank keeps all of them (they
 *   are few when programs are tiled); a read touching them is planned by
 *   every rank for every point.
 *
 * A point in no piece and outside the tiled layer is valid everywhere:
 * instances start zeroed on every rank, and attached buffers hold the same
 * values on every rank.
 */
#ifndef GRT_COHERENCE_H
#define GRT_COHERENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "rect.h"
#include "partition.h"
#include "transform.h"
#include "sharding.h"

#define GRT_COH_EVERYWHERE (-1) /* a piece's owner: valid on every rank */

typedef struct grt_piece {
  grt_rect_t r;
  int owner;                       /* rank, or GRT_COH_EVERYWHERE */
  uint64_t *valid;                 /* bitset over ranks when there are more than
                                      64 (NULL when everywhere); else NULL */
  uint64_t valid1;                 /* the bitset when there are at most 64 ranks
                                      (no allocation per piece) */
} grt_piece_t;

typedef struct grt_coh_sent {
  int dst;
  grt_rect_t r;
} grt_coh_sent_t;

/* Pieces are kept in creation order (all ranks alike, so scans visit them
 * in the same order everywhere) and indexed by chunks of GRT_COH_CHUNK
 * consecutive slots, each with a bounding box of its pieces (a superset:
 * pieces shrink and die without shrinking it), and by groups of
 * GRT_COH_CHUNK chunks with a box each, so that a scan skips whole groups
 * and chunks: a program that writes many small disjoint pieces (one row per
 * launch, say) pays about n / 1024 + 32 per hit box tests per access
 * instead of n. A dropped piece stays as a dead slot (empty rectangle,
 * owner GRT_COH_DEAD) until dead slots are the majority; then the array is
 * compacted, in order, and the boxes rebuilt. */
#define GRT_COH_CHUNK 32
#define GRT_COH_DEAD (-2)

typedef struct grt_coh {
  int nranks, nwords, rank;
  grt_piece_t *v;                  /* the pieces (replicated), with dead slots */
  int n, cap;
  int ndead;                       /* dead slots among v[0, n) */
  grt_rect_t *box;                 /* per chunk: a box holding its pieces */
  grt_rect_t *box2;                /* per group of chunks: a box holding theirs */
  int capbox;
  bool tiled;                      /* the tiled layer is present */
  grt_tiling_t t;                  /* its tiling (colour = writer's point) */
  grt_sharding_t sh;               /* the writer's sharding: tile -> owner */
  grt_rects_t held;                /* this rank's copies of others' tiles */
  grt_coh_sent_t *sent;            /* parts of this rank's tiles it sent */
  int nsent, capsent;
  struct grt_rix *held_ix;         /* indexes over held / sent (built lazily, */
  struct grt_rix *sent_ix;         /* only once they are long): O(log) lookups */
} grt_coh_t;

/* Reports one needed transfer: the values of @p r go from @p src to @p dst.
 * @p c is the tile's linear colour (-1 for a piece) and @p k the fragment's
 * index within that tile for this read: with the caller's own position
 * (argument, point, rectangle) they order a message's rectangles alike on
 * both sides. */
typedef void (*grt_coh_xfer_fn)(void *ctx, int src, int dst, const grt_rect_t *r, int64_t c,
                                int k);

void grt__coherence_init(grt_coh_t *c, int nranks, int rank);
void grt__coherence_free(grt_coh_t *c);
/* Frees the calling thread's scratch space (at finalize). */
void grt__coherence_scratch_free(void);

/* True when some piece meets @p r. */
bool grt__coherence_pieces_meet(const grt_coh_t *c, const grt_rect_t *r);

/* Rank @p rank reads @p r, pieces only (every rank calls it alike): reports
 * a transfer for every part of a piece it does not hold, records that it
 * holds them, and appends to @p rest (if not NULL) the parts of @p r in no
 * piece. */
int grt__coherence_read_pieces(grt_coh_t *c, const grt_rect_t *r, int rank, grt_coh_xfer_fn fn,
                         void *ctx, grt_rects_t *rest);
/* Rank @p rank reads @p r from the tiled layer. Does work only when this
 * rank is the reader or owns a tile @p r meets; reports those transfers and
 * records them in `held` / `sent`. */
int grt__coherence_read_tiled(grt_coh_t *c, const grt_rect_t *r, int rank, grt_coh_xfer_fn fn,
                        void *ctx);
/* Records what grt__coherence_read_tiled records for a transfer of @p r of this
 * rank's tiled layer to @p dst (sent), or to this rank (held) when @p dst is
 * this rank: for a replayed plan. */
int grt__coherence_record(grt_coh_t *c, int dst, const grt_rect_t *r);
/* This rank's tiles of the tiled layer lie in the linear colours [*lo, *hi)
 * (all of them are its own unless a mapper shards). */
void grt__coherence_my_tiles(const grt_coh_t *c, int64_t *lo, int64_t *hi);
/* The rectangle of linear colour @p lin of the tiled layer. */
void grt__coherence_tile_rect(const grt_coh_t *c, int64_t lin, grt_rect_t *out);

/* True when this rank (c->rank) holds a valid value of some element of
 * @p r: a piece it holds, a part in no piece with no tiled layer (valid
 * everywhere), one of its own tiles or a copy of another's it holds.
 * Instances holding none of these can go (instances.h). */
bool grt__coherence_holds_any(const grt_coh_t *c, const grt_rect_t *r);

/* True when every value this rank (c->rank) holds in its instance @p r is a
 * copy another rank holds too, so the instance may go if every rank then
 * applies grt__coherence_drop alike: no piece it owns or that is valid
 * everywhere meets @p r, none of its own tiles meets the part of @p r in no
 * piece (without a tiled layer that part is valid everywhere: not a copy),
 * and every piece it holds and every copy of a tile it holds that meets
 * @p r lies inside it (they were received into one instance). */
bool grt__coherence_copies_only(const grt_coh_t *c, const grt_rect_t *r);
/* Rank @p rank no longer holds copies inside @p r (it dropped the instance
 * grt__coherence_copies_only allowed): its bit leaves the pieces inside
 * @p r, and its copies of tiles inside @p r leave `held` (on that rank)
 * or `sent` (on their owners). Every rank calls it alike, at the same
 * point of the program. */
int grt__coherence_drop(grt_coh_t *c, int rank, const grt_rect_t *r);

/* Rank @p rank wrote @p r: it alone holds it now. */
int grt__coherence_write(grt_coh_t *c, const grt_rect_t *r, int rank);
/* Every rank holds the same values of @p r (after a replicated write). */
int grt__coherence_everywhere(grt_coh_t *c, const grt_rect_t *r);
/* A launch sharded by @p sh wrote the whole root through tiling @p t (no
 * halo; colour = point): the tiled layer becomes it, pieces are dropped. */
void grt__coherence_set_tiled(grt_coh_t *c, const grt_tiling_t *t, const grt_sharding_t *sh);
/* The owner of linear colour @p lin of the tiled layer. */
int grt__coherence_owner(const grt_coh_t *c, int64_t lin);

/* Appends to @p out the parts of @p r outside every @p cuts[0 .. n), exactly
 * the fragments (and their order) that subtracting the cuts one at a time
 * gives (each fragment a cut meets replaced, in place, by its slabs outside
 * it: dimension 0 first, low before high), in O(n log n) for the usual
 * layouts instead of O(n * fragments): a fragment's fate depends only on the
 * earliest cut meeting it, found through a k-d tree. */
int grt__coherence_subtract(grt_rects_t *out, const grt_rect_t *r, const grt_rect_t *cuts, int n);

/* Appends to @p out rectangles whose union is exactly that of @p v[0 .. n)
 * (empty ones dropped): one contained in another is dropped, two differing
 * in one dimension only where they touch or overlap become one. For the
 * dependence analysis of transfer nodes: the same dependences from fewer
 * rectangles. Up to 32 rectangles are merged (O(n^2)); more are copied. */
int grt__coherence_coalesce(grt_rects_t *out, const grt_rect_t *v, int n);

#endif
