/* alias.h - arguments of one launch that alias one root: copies taken first, conflicting writes refused. */
#ifndef GRT_ALIAS_H
#define GRT_ALIAS_H

#include <stdint.h>

#include "launch.h"

/* A copy of @p src into @p dst submitted as an ordinary launch (submit.c
 * passes grt__submit_copy: alias.c sits below submission). */
typedef int (*grt_alias_copy_fn)(grt_store_t *dst, grt_store_t *src);

/* After partitioning, before the op is built: rejects (GRT_EINVAL, naming
 * both arguments) writes of two arguments or two points to one element and
 * writes through promoted views; gives every input that reads elements the
 * launch writes elsewhere (another point, or another layout) a copy taken
 * by an ordinary copy launch submitted first, and marks reductions whose
 * points share elements for gathering. Replicated: every rank takes the
 * same steps. Returns 0 or an error, with nothing submitted on GRT_EINVAL.
 * The copies are submitted through @p copy_fn. */
int grt__alias_resolve(grt_launch_t *l, grt_alias_copy_fn copy_fn);
/* Frees the check's scratch (grt_finalize). */
void grt__alias_free(grt_runtime_t *rt);
/* Readers given a copy so far (tests; equal on every rank). */
uint64_t grt__alias_copies(const grt_runtime_t *rt);

#endif
