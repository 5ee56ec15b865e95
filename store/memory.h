/* memory.h - memories with byte budgets, and instance allocation in them. */
#ifndef GRT_MEMORY_H
#define GRT_MEMORY_H

#include <stdatomic.h>
#include <stddef.h>

#include "grt.h"

/* One memory of a rank. sysmem is backed by the host heap; the other kinds
 * have budgets and the same interface, backed later (NUMA-bound, GPU frame
 * buffer, zero-copy and registered host memory). */
typedef struct grt_memory {
  grt_mem_kind_t kind;
  size_t budget;             /* bytes */
  _Atomic size_t used;       /* bytes currently allocated */
} grt_memory_t;

const char *grt__mem_kind_name(grt_mem_kind_t kind);  /* "sysmem", ... */
void grt__mem_init(grt_memory_t *m, grt_mem_kind_t kind, size_t budget);

/* Allocates @p bytes (zeroed, 64-byte aligned) against the budget. Returns 0,
 * GRT_ENOMEM with a message naming the memory, the bytes asked, in use and
 * the budget, or GRT_EUNSUPPORTED for a kind with no backing yet. A request
 * of 0 bytes succeeds with a non-NULL pointer. */
int  grt__mem_alloc(grt_memory_t *m, size_t bytes, void **out);
void grt__mem_free(grt_memory_t *m, void *p, size_t bytes);

/* Bytes of memory available to new allocations on this machine right now
 * (MemAvailable), or 0 if unknown. */
size_t grt__mem_available(void);

#endif
