/* coherence.h - which ranks hold the latest values of each part of a root store.
 *
 * Every rank keeps the same map (it is updated only from replicated
 * information: the program's operations and the sharding function), so every
 * rank knows, without asking, which transfers an operation needs: the reader
 * and the writer both compute them.
 *
 * The map is a list of disjoint pieces of the root, each with the rank that
 * last wrote it (the owner) and the set of ranks holding its current values.
 * A point of the root in no piece is valid everywhere: instances start zeroed
 * on every rank, and attached buffers hold the same values on every rank.
 */
#ifndef GRT_COHERENCE_H
#define GRT_COHERENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "../depgraph/rect.h"

typedef struct grt_piece {
  grt_rect_t r;
  int owner;
  uint64_t *valid;                 /* bitset over ranks */
} grt_piece_t;

typedef struct grt_coh {
  int nranks, nwords;
  grt_piece_t *v;
  int n, cap;
} grt_coh_t;

/* Reports one needed transfer: the values of @p r go from @p src to @p dst. */
typedef void (*grt_coh_xfer_fn)(void *ctx, int src, int dst, const grt_rect_t *r);

void grt__coh_init(grt_coh_t *c, int nranks);
void grt__coh_free(grt_coh_t *c);

/* Rank @p rank is about to read @p r: reports a transfer for every part of
 * @p r it does not hold, then records that it holds all of @p r. */
int grt__coh_read(grt_coh_t *c, const grt_rect_t *r, int rank, grt_coh_xfer_fn fn, void *ctx);
/* Rank @p rank wrote @p r: it alone holds it now. */
int grt__coh_write(grt_coh_t *c, const grt_rect_t *r, int rank);
/* Every rank holds the same values of @p r (after a replicated write). */
int grt__coh_everywhere(grt_coh_t *c, const grt_rect_t *r);

#endif
