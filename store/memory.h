/* memory.h - memories with byte budgets, and instance allocation in them. */
#ifndef GRT_MEMORY_H
#define GRT_MEMORY_H

#include <stdatomic.h>
#include <stddef.h>

#include "grt.h"

/* One share of a memory's budget, enforced on its own. */
typedef struct grt_mem_pool {
  size_t budget;             /* bytes */
  _Atomic size_t used;       /* bytes currently allocated from it */
  _Atomic size_t peak;       /* the most used at once */
  _Atomic size_t count;      /* live allocations */
} grt_mem_pool_t;

/* One memory of a rank. sysmem is backed by the host heap; the other kinds
 * have budgets and the same interface, backed later (NUMA-bound, GPU frame
 * buffer, zero-copy and registered host memory).
 *
 * The budget is split as Legate's eager_alloc_percentage splits it: the
 * eager pool (that share) pays for short-lived allocations -- reduction
 * buffers, transfer staging, temporaries -- and the instance pool (the
 * rest) for instances (store/instance.h). Each pool is enforced alone, so
 * long-lived instances can never starve the transfers that move them. */
typedef struct grt_memory {
  grt_mem_kind_t kind;
  size_t budget;             /* bytes: both pools */
  _Atomic size_t used;       /* bytes currently allocated: both pools */
  grt_mem_pool_t inst;       /* instances */
  grt_mem_pool_t eager;      /* short-lived allocations */
} grt_memory_t;

const char *grt__mem_kind_name(grt_mem_kind_t kind);  /* "sysmem", ... */
/* All of @p budget goes to the instance pool; grt__mem_set_eager splits it. */
void grt__mem_init(grt_memory_t *m, grt_mem_kind_t kind, size_t budget);
/* Gives @p percent (0..100) of the budget to the eager pool (before use). */
void grt__mem_set_eager(grt_memory_t *m, int percent);

/* Allocates @p bytes (zeroed, 64-byte aligned) from the instance pool.
 * Returns 0, GRT_ENOMEM with a message naming the memory, the pool, the
 * bytes asked, in use and the budget, or GRT_EUNSUPPORTED for a kind with no
 * backing yet. A request of 0 bytes succeeds with a non-NULL pointer. */
int  grt__mem_alloc(grt_memory_t *m, size_t bytes, void **out);
void grt__mem_free(grt_memory_t *m, void *p, size_t bytes);
/* The same from the eager pool. */
int  grt__mem_alloc_eager(grt_memory_t *m, size_t bytes, void **out);
void grt__mem_free_eager(grt_memory_t *m, void *p, size_t bytes);
/* Counts @p bytes against the eager pool without allocating (staging the
 * caller allocates itself later): 0 or GRT_ENOMEM as above. */
int  grt__mem_reserve_eager(grt_memory_t *m, size_t bytes);
void grt__mem_unreserve_eager(grt_memory_t *m, size_t bytes);

/* Bytes of memory available to new allocations on this machine right now
 * (MemAvailable), or 0 if unknown. */
size_t grt__mem_available(void);

#endif
