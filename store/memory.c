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
  m->inst.budget = budget;
  m->eager.budget = 0;
  atomic_init(&m->inst.used, 0);
  atomic_init(&m->inst.peak, 0);
  atomic_init(&m->eager.used, 0);
  atomic_init(&m->eager.peak, 0);
  atomic_init(&m->inst.count, 0);
  atomic_init(&m->eager.count, 0);
}

void grt__mem_set_eager(grt_memory_t *m, int percent) {
  if (percent < 0) percent = 0;
  if (percent > 100) percent = 100;
  /* In 128-bit arithmetic: budgets reach SIZE_MAX (an unlimited memory). */
  m->eager.budget = (size_t)((unsigned __int128)m->budget * (unsigned)percent / 100);
  m->inst.budget = m->budget - m->eager.budget;
}

/* Reserves @p bytes of pool @p p (named @p pname) with a CAS, so concurrent
 * allocations never overshoot it. */
static int pool_reserve(grt_memory_t *m, grt_mem_pool_t *p, const char *pname, size_t bytes) {
  if (m->kind != GRT_MEM_SYSMEM)
    return grt__error(GRT_EUNSUPPORTED, "%s: no backing for this memory kind on this build",
                      grt__mem_kind_name(m->kind));
  size_t used = atomic_load(&p->used);
  for (;;) {
    if (bytes > p->budget || used > p->budget - bytes)
      return grt__error(GRT_ENOMEM,
                        "%s %s pool: cannot allocate %zu bytes: %zu bytes in use of a %zu-byte "
                        "budget (the memory's budget is %zu bytes; eager_alloc_percentage "
                        "splits it)",
                        grt__mem_kind_name(m->kind), pname, bytes, used, p->budget, m->budget);
    if (atomic_compare_exchange_weak(&p->used, &used, used + bytes)) break;
  }
  size_t now = used + bytes, peak = atomic_load(&p->peak);
  while (now > peak && !atomic_compare_exchange_weak(&p->peak, &peak, now)) {
  }
  atomic_fetch_add(&m->used, bytes);
  atomic_fetch_add(&p->count, 1);
  return 0;
}

static void pool_unreserve(grt_memory_t *m, grt_mem_pool_t *p, size_t bytes) {
  atomic_fetch_sub(&p->count, 1);
  atomic_fetch_sub(&p->used, bytes);
  atomic_fetch_sub(&m->used, bytes);
}

static void *block_alloc(size_t bytes) {
  void *p;
  if (bytes >= GRT_MEM_MAP_MIN) {
    p = mmap(NULL, map_len(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, map_len(bytes), MADV_HUGEPAGE); /* a hint: refusal is fine */
#endif
    return p;
  }
  size_t rounded = (bytes + 63) & ~(size_t)63;
  p = aligned_alloc(64, rounded ? rounded : 64);
  if (p) memset(p, 0, rounded ? rounded : 64);
  return p;
}

static void block_free(void *p, size_t bytes) {
  if (bytes >= GRT_MEM_MAP_MIN)
    munmap(p, map_len(bytes));
  else
    free(p);
}

static int pool_alloc(grt_memory_t *m, grt_mem_pool_t *p, const char *pname, size_t bytes,
                      void **out) {
  *out = NULL;
  int rc = pool_reserve(m, p, pname, bytes);
  if (rc < 0) return rc;
  void *b = block_alloc(bytes);
  if (!b) {
    pool_unreserve(m, p, bytes);
    return grt__error(GRT_ENOMEM, "%s %s pool: the host refused %zu bytes",
                      grt__mem_kind_name(m->kind), pname, bytes);
  }
  *out = b;
  return 0;
}

int grt__mem_alloc(grt_memory_t *m, size_t bytes, void **out) {
  return pool_alloc(m, &m->inst, "instance", bytes, out);
}

void grt__mem_free(grt_memory_t *m, void *p, size_t bytes) {
  if (!p) return;
  block_free(p, bytes);
  pool_unreserve(m, &m->inst, bytes);
}

int grt__mem_alloc_eager(grt_memory_t *m, size_t bytes, void **out) {
  return pool_alloc(m, &m->eager, "eager", bytes, out);
}

void grt__mem_free_eager(grt_memory_t *m, void *p, size_t bytes) {
  if (!p) return;
  block_free(p, bytes);
  pool_unreserve(m, &m->eager, bytes);
}

int grt__mem_reserve_eager(grt_memory_t *m, size_t bytes) {
  return pool_reserve(m, &m->eager, "eager", bytes);
}

void grt__mem_unreserve_eager(grt_memory_t *m, size_t bytes) {
  pool_unreserve(m, &m->eager, bytes);
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
