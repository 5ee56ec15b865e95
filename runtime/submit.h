/* submit.h - turning a launch into an operation (grt_launch_submit), and copies submitted by the runtime. */
#ifndef GRT_SUBMIT_H
#define GRT_SUBMIT_H

#include "grt.h"
#include "store.h"

/* Submits a launch of the internal copy task: @p dst takes @p src's
 * values (store objects, decoded or built on the stack; same type and
 * shape). Returns 0 or an error (grt_launch_submit's). */
int grt__submit_copy(grt_store_t *dst, grt_store_t *src);

#endif
