/* memory.c - memories with byte budgets; sysmem instances on the host heap,
 * or mapped straight from the kernel when large. */
#include "memory.h"
#include "grt_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Blocks of at least this size are anonymous mappings: zero pages from the
 * kernel, backed only where they are first touched -- by the tasks that use
 * them, on their rank: a rank's full-size instance of a store costs memory
 * only for the tiles it touches (the heap path's memset touched it all),
 * and first touch places pages near the worker that runs the tile. They
 * are marked for transparent huge pages where the kernel offers them on
 * request (the `madvise` setting): a 2-D stencil sweep then misses the TLB
 * once per 2 MiB, not per 4 KiB. Below it, the heap (aligned, zeroed). */
#define GRT_MEM_MAP_MIN ((size_t)2 << 20)

static size_t map_len(size_t bytes) { return (bytes + 4095) & ~(size_t)4095; }

static const char *const kind_names[GRT_MEM_KIND_COUNT] = {
    "sysmem", "numamem", "fbmem", "zcmem", "regmem"};

const char *grt__mem_kind_name(grt_mem_kind_t kind) {
  if ((int)kind < 0 || kind >= GRT_MEM_KIND_COUNT) return "unknown";
  return kind_names[kind];
}

void grt__mem_init(grt_memory_t *m, grt_mem_kind_t kind, size_t budget) {
  m->kind = kind;
  m->budget = budget;
  atomic_init(&m->used, 0);
}

int grt__mem_alloc(grt_memory_t *m, size_t bytes, void **out) {
  *out = NULL;
  if (m->kind != GRT_MEM_SYSMEM)
    return grt__error(GRT_EUNSUPPORTED, "%s: no backing for this memory kind on this build",
                      grt__mem_kind_name(m->kind));
  /* Reserve against the budget first, with a CAS so concurrent allocations
   * never overshoot it. */
  size_t used = atomic_load(&m->used);
  for (;;) {
    if (bytes > m->budget || used > m->budget - bytes)
      return grt__error(GRT_ENOMEM,
                        "%s: cannot allocate %zu bytes: %zu bytes in use of a %zu-byte budget",
                        grt__mem_kind_name(m->kind), bytes, used, m->budget);
    if (atomic_compare_exchange_weak(&m->used, &used, used + bytes)) break;
  }
  void *p;
  if (bytes >= GRT_MEM_MAP_MIN) {
    p = mmap(NULL, map_len(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) p = NULL;
#ifdef MADV_HUGEPAGE
    else
      (void)madvise(p, map_len(bytes), MADV_HUGEPAGE); /* a hint: refusal is fine */
#endif
  } else {
    size_t rounded = (bytes + 63) & ~(size_t)63;
    p = aligned_alloc(64, rounded ? rounded : 64);
    if (p) memset(p, 0, rounded ? rounded : 64);
  }
  if (!p) {
    atomic_fetch_sub(&m->used, bytes);
    return grt__error(GRT_ENOMEM, "%s: the host refused %zu bytes", grt__mem_kind_name(m->kind),
                      bytes);
  }
  *out = p;
  return 0;
}

void grt__mem_free(grt_memory_t *m, void *p, size_t bytes) {
  if (!p) return;
  if (bytes >= GRT_MEM_MAP_MIN)
    munmap(p, map_len(bytes));
  else
    free(p);
  atomic_fetch_sub(&m->used, bytes);
}

size_t grt__mem_available(void) {
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return 0;
  char line[256];
  size_t kb = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "MemAvailable: %zu kB", &kb) == 1) break;
  fclose(f);
  return kb * 1024;
}
