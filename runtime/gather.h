/* gather.h - gathered reductions: a reduction argument whose points share
 * root elements (grt__op_arg_gathers) is folded on rank 0 from every point's
 * private buffer, in point order, so the result does not depend on the
 * number of ranks. Tags: op->red_tag + point, on the data channel.
 */
#ifndef GRT_GATHER_H
#define GRT_GATHER_H

#include "runtime.h"

/* On rank 0, at submission: posts the receives of fold @p f's buffers from
 * the points other ranks run; each arrival releases one pending count of the
 * fold node. Returns 0 or GRT_ENOMEM / GRT_ECOMM. */
int grt__gather_post(grt_runtime_t *rt, grt_op_t *op, int f);
/* The sending side (a rank other than 0 sends each point's buffer when the
 * point has run) belongs to the point's finishing, in op.c. */

#endif
