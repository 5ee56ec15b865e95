/* gather.h - gathered reductions: a reduction argument whose points share
 * root elements (grt__arg_gathers) is folded on rank 0 from every point's
 * private buffer, in point order, so the result does not depend on the
 * number of ranks. Tags: op->red_tag + point, on the data channel.
 */
#ifndef GRT_GATHER_H
#define GRT_GATHER_H

#include "runtime_internal.h"

/* On rank 0, at submission: posts the receives of fold @p f's buffers from
 * the points other ranks run; each arrival releases one pending count of the
 * fold node. Returns 0 or GRT_ENOMEM / GRT_ECOMM. */
int grt__gather_post(grt_runtime_t *rt, grt_op_t *op, int f);
/* On a rank other than 0, when point @p p has run: sends its buffer of
 * argument @p arg to rank 0 (the buffer is freed once sent). Any thread. */
void grt__gather_send(grt_runtime_t *rt, grt_op_t *op, int p, int arg);

#endif
