/* instance.h - physical instances: blocks of one memory holding a rectangle
 * of one root store, in row-major layout.
 *
 * A root's instances on this rank form its instance set (the root's
 * `insts`): their rectangles never overlap, so every element of the root
 * lives in at most one instance here and no two copies on one rank can
 * disagree. The runtime (runtime/instances.h) decides which rectangles get
 * instances, replaces overlapping ones by a covering one and retires
 * instances whose values are stale; this layer only allocates, finds,
 * copies and counts them.
 *
 * Lifetime: `refs` counts the set's reference (dropped when the instance
 * leaves the set) plus one per holder that may still read or write it: an
 * op's point buffers, a transfer node, a mapping, a migration. The last
 * reference frees the block and gives its bytes back to the memory's
 * instance pool. Any thread may drop a reference; the set itself is changed
 * on the application thread only.
 */
#ifndef GRT_INSTANCE_H
#define GRT_INSTANCE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grt.h"
#include "memory.h"
#include "rect.h"

typedef struct grt_instance {
  grt_rect_t r;                  /* root rectangle it holds (never empty) */
  int64_t strides[GRT_MAX_DIM];  /* per root dim, in elements: row-major over r */
  int64_t base;                  /* sum of r.lo[d] * strides[d]: subtract from a
                                  * root point's dot product with strides */
  unsigned char *data;
  size_t bytes;
  grt_memory_t *mem;             /* whose instance pool paid; NULL: the
                                  * application's buffer (attached) */
  atomic_int refs;
} grt_instance_t;

/* A root's instances in one memory (disjoint rectangles). */
typedef struct grt_inst_set {
  grt_instance_t **v;
  int n, cap;
} grt_inst_set_t;

/* A new instance of @p r (zeroed) for elements of @p esize bytes, paid from
 * @p mem's instance pool, with one reference (the caller's). 0, or
 * GRT_ENOMEM naming the memory, the pool, the bytes asked, in use and the
 * budget. */
int grt__inst_alloc(grt_memory_t *mem, const grt_rect_t *r, size_t esize, grt_instance_t **out);
/* An instance over the application's buffer @p data holding all of @p r
 * (attach): nothing is paid or freed. NULL when out of host memory. */
grt_instance_t *grt__inst_wrap(void *data, const grt_rect_t *r, size_t esize);

static inline void grt__inst_ref(grt_instance_t *in) {
  atomic_fetch_add_explicit(&in->refs, 1, memory_order_relaxed);
}
/* Drops one reference; the last frees the instance (NULL: no-op). */
void grt__inst_unref(grt_instance_t *in);

/* Address of root point @p pt (inside in->r). */
static inline void *grt__inst_at(const grt_instance_t *in, const int64_t *pt, size_t esize) {
  int64_t e = -in->base;
  for (int d = 0; d < in->r.ndim; d++) e += pt[d] * in->strides[d];
  return in->data + e * (int64_t)esize;
}

/* Copies the root rectangle @p r (inside both) from @p src to @p dst. */
void grt__inst_copy(grt_instance_t *dst, const grt_instance_t *src, const grt_rect_t *r,
                    size_t esize);
/* Copies @p r between @p in and a packed row-major buffer (pack: instance
 * to buffer). Returns the bytes moved. */
size_t grt__inst_pack(grt_instance_t *in, const grt_rect_t *r, size_t esize, unsigned char *buf,
                      bool pack);

/* The instance of @p set containing all of @p r, or NULL. */
grt_instance_t *grt__inst_set_find(const grt_inst_set_t *set, const grt_rect_t *r);
/* Adds @p in (the set takes the caller's reference). 0 or GRT_ENOMEM. */
int grt__inst_set_add(grt_inst_set_t *set, grt_instance_t *in);
/* Takes slot @p i out (the caller gets the set's reference), keeping order. */
grt_instance_t *grt__inst_set_take(grt_inst_set_t *set, int i);
/* Drops every instance (the set's references) and the array. */
void grt__inst_set_free(grt_inst_set_t *set);
/* Bytes of the set's instances (the application's buffers count too). */
size_t grt__inst_set_bytes(const grt_inst_set_t *set);

#endif
