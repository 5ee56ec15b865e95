/* handle.c - generation-tagged handles and the pools behind them (handle.h). */
#include "handle.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_name[GRT_HK_COUNT] = {"launch", "future", "partition", "mapping",
                                                    "store"};
static const char *const gone[GRT_HK_COUNT] = {"submitted or destroyed", "destroyed", "destroyed",
                                               "unmapped", "destroyed"};

/* Why grt__handle_get refused @p handle, in the order a reader wants it. */
int grt__handle_fail(const void *handle, grt_handle_kind_t kind, const char *fn,
                     const char *argname) {
  int rc = grt__task_guard(fn);
  if (rc < 0) return rc;
  if (!handle) return grt__error(GRT_EINVAL, "%s: %s is NULL", fn, argname);
  uint32_t gen;
  grt_hdr_t *h = grt__handle_decode(handle, &gen);
  /* Live generations are odd: an even one (or no address) was never handed out. */
  if (!h || !(gen & 1u))
    return grt__error(GRT_EINVAL, "%s: %s is not a %s handle", fn, argname, kind_name[kind]);
  if (h->kind != (uint32_t)kind)
    return grt__error(GRT_EINVAL, "%s: %s is a %s handle, not a %s", fn, argname,
                      h->kind < GRT_HK_COUNT ? kind_name[h->kind] : "foreign", kind_name[kind]);
  if (atomic_load_explicit(&h->gen, memory_order_relaxed) != gen)
    return grt__error(GRT_ESTATE, "%s: %s is stale: that %s was already %s", fn, argname,
                      kind_name[kind], gone[kind]);
  return grt__error(GRT_EINVAL, "%s: %s: unexpected handle", fn, argname); /* not reached */
}

void *grt__pool_alloc(grt_pool_t *p, grt_handle_kind_t kind, size_t size) {
  size_t bytes = (size + GRT_HANDLE_ALIGN - 1) / GRT_HANDLE_ALIGN * GRT_HANDLE_ALIGN;
  grt_hdr_t *h = aligned_alloc(GRT_HANDLE_ALIGN, bytes);
  if (!h) return NULL;
  if ((uintptr_t)h & ~GRT_HANDLE_ADDR_MASK) { /* above 2^48: no room for the tag */
    free(h);
    return NULL;
  }
  memset(h, 0, bytes);
  h->kind = (uint32_t)kind;
  atomic_fetch_add_explicit(&p->objects, 1, memory_order_relaxed);
  grt__handle_release(h); /* 0 -> 1: live */
  return h;
}

void *grt__pool_take(grt_pool_t *p, grt_handle_kind_t kind, size_t size, bool *fresh) {
  pthread_mutex_lock(&p->get_mu);
  void *obj = grt__pool_pop(p, kind, size, fresh);
  pthread_mutex_unlock(&p->get_mu);
  return obj;
}

void grt__pool_give(grt_pool_t *p, void *obj) {
  GRT_API_CHECK(!(atomic_load_explicit(&((grt_hdr_t *)obj)->gen, memory_order_relaxed) & 1u));
  grt__pool_push(p, obj);
}

void grt__pool_init(grt_pool_t *p) { pthread_mutex_init(&p->get_mu, NULL); }

void grt__pool_fini(grt_pool_t *p, void (*fini)(grt_hdr_t *h)) {
  for (grt_hdr_t *h = atomic_exchange(&p->free, NULL), *n; h; h = n) {
    n = h->next;
    if (fini) fini(h);
    free(h);
  }
  pthread_mutex_destroy(&p->get_mu);
}
