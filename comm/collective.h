/* collective.h - collectives of the replicated control loop, built on comm.h's
 * point-to-point messages.
 *
 * All-gather of variable-size blocks by dissemination (Bruck): each rank
 * contributes one block; in round k = 0 .. ceil(log2 R) - 1 (d = 2^k) a rank
 * sends the blocks of ranks me .. me + d - 1 it has to rank me - d and
 * receives those of me + d .. me + 2d - 1 from rank me + d (fewer in the last
 * round). After the last round every rank has every block: O(log R)
 * messages per rank, not R.
 *
 * Round k's message: int32 nblocks, then per block int32 rank, uint32
 * length, the block's bytes. Round k uses tag + k on the given channel: the
 * caller gives every all-gather a tag range of 32 of its own, the same on
 * every rank.
 *
 * Threads: post on the application thread; give on any thread, once; the
 * receives complete on comm's progress thread (or a polling worker). The
 * done callback runs exactly once, on whichever of those threads saw the
 * last piece (this rank's block or the last round), after which the blocks
 * may be read until grt__comm_allgather_free.
 */
#ifndef GRT_COLLECTIVE_H
#define GRT_COLLECTIVE_H

#include <stddef.h>
#include <stdint.h>

#include "comm.h"

typedef struct grt_allgather grt_allgather_t;

/* Called once when every rank's block is here. */
typedef void (*grt_allgather_done_fn)(void *arg, grt_allgather_t *g);

/* Starts an all-gather among all ranks of @p c: posts its receives.
 * @p max_total bounds the sum of every rank's block length (a receive
 * buffer is sized from it); blocks that would not fit are cut off, as the
 * receive truncates them. On one rank (or the simulated backend, whose
 * receives complete empty) only this rank's block is ever present.
 * Returns 0 and *out, or GRT_ENOMEM with nothing posted (*out NULL); a
 * receive that cannot be posted ends the job (grt__comm_abort), as a send
 * that cannot. */
int grt__comm_allgather_post(grt_comm_t *c, grt_chan_t ch, uint64_t tag, size_t max_total,
                             grt_allgather_done_fn done, void *arg, grt_allgather_t **out);

/* This rank's block: @p block (from malloc) belongs to @p g from now on.
 * Call once; sends the rounds it makes possible, and may run done() on the
 * calling thread. */
void grt__comm_allgather_give(grt_allgather_t *g, unsigned char *block, uint32_t len);

/* After done(): rank @p rank's block and its length, or NULL (and 0) when
 * none arrived (simulated ranks, or a truncated message). */
const unsigned char *grt__comm_allgather_block(const grt_allgather_t *g, int rank, uint32_t *len);

/* Frees it: after done() (the receives it posted may write until then), or
 * at any time on the loopback and simulated backends. */
void grt__comm_allgather_free(grt_allgather_t *g);

#endif
