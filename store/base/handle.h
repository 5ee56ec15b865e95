/* handle.h - generation-tagged handles to pooled objects: a stale handle is GRT_ESTATE. */
#ifndef GRT_HANDLE_H
#define GRT_HANDLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grt.h"
#include "grt_error.h"

/* ---------------------------------------------------------------------------
 * Handles of recycled objects.
 *
 * Launches, futures, partitions, mappings and stores (store and view
 * handles, not their roots) begin with a grt_hdr_t and are allocated from a
 * pool per runtime and kind (the runtime owns the pools, runtime/pools.c;
 * the store layer reaches the ones it uses through its context, store_ctx.h).
 * Their memory goes back to the pool, never to malloc, until grt_finalize, so
 * decoding any handle the runtime ever gave out reads valid memory while the
 * runtime is alive. This file knows nothing of the runtime: a pool is a
 * grt_pool_t wherever it lives.
 *
 * `gen` counts hand-outs and releases: it is odd while the application holds
 * a handle to the object (grt__pool_pop made it odd) and even once that
 * handle was released (submit, destroy, unmap: grt__handle_release). The
 * pointer the application gets is the object's address (64-byte aligned,
 * below 2^48) with gen's low 6 bits in the address's low 6 bits and the next
 * 16 bits in bits 48..63; gen 0 is never live, so a handle never equals the
 * raw address (a missed decode faults at once). A handle is valid when the
 * object it names has that same gen; a stale one names an object whose gen
 * has moved on and is reported as GRT_ESTATE, never taken for the object now
 * there.
 *
 * Wrap-around: 22 bits of gen, 2 steps per use, so a stale handle is caught
 * until its memory has been handed out again 2^21 (2,097,152) times; a
 * handle kept exactly that long would be taken for the newest one.
 *
 * Threads: puts (the memory is free for reuse) happen on any thread. Each
 * pool is a lock-free stack with one consumer at a time (no ABA), like the
 * op pool: launches and futures are got (grt__pool_pop) on the application
 * thread only; grt__pool_take (partitions, mappings, stores) takes the pool's
 * lock, so stores and views may also be made and destroyed from several
 * threads at once (tests/store/test_store.c), as before they were pooled.
 * ------------------------------------------------------------------------- */
typedef enum {
  GRT_HK_LAUNCH, GRT_HK_FUTURE, GRT_HK_PARTITION, GRT_HK_MAPPING, GRT_HK_STORE, GRT_HK_COUNT
} grt_handle_kind_t;

typedef struct grt_hdr {
  _Atomic uint32_t gen;
  uint32_t kind;                 /* grt_handle_kind_t */
  struct grt_hdr *next;          /* the pool's free stack */
} grt_hdr_t;

typedef struct grt_pool {
  _Atomic(grt_hdr_t *) free;     /* objects free for reuse */
  atomic_size_t objects;         /* allocated in all: live + free */
  pthread_mutex_t get_mu;        /* serializes grt__pool_take's callers */
} grt_pool_t;

#define GRT_HANDLE_ALIGN 64u
#define GRT_HANDLE_GEN_BITS 22
#define GRT_HANDLE_ADDR_MASK ((uintptr_t)0x0000FFFFFFFFFFC0ull)

/* The handle of a live object. */
static inline void *grt__handle_of(const void *obj) {
  const grt_hdr_t *h = obj;
  uint32_t g = atomic_load_explicit(&h->gen, memory_order_relaxed);
  return (void *)((uintptr_t)obj | (uintptr_t)(g & 63u) | (uintptr_t)(g >> 6) << 48);
}

/* Decodes a handle (not NULL): the object it names and the gen it carries. */
static inline grt_hdr_t *grt__handle_decode(const void *handle, uint32_t *gen) {
  uintptr_t v = (uintptr_t)handle;
  *gen = (uint32_t)(v & 63u) | (uint32_t)(v >> 48) << 6;
  return (grt_hdr_t *)(v & GRT_HANDLE_ADDR_MASK);
}

/* The error of grt__handle_get: sets the message, returns the code. */
int grt__handle_fail(const void *handle, grt_handle_kind_t kind, const char *fn,
                     const char *argname);

/* The object behind a handle the application gave @p fn as argument
 * @p argname: 0 and *obj, or GRT_EINVAL (NULL, not a handle of this kind)
 * or GRT_ESTATE (stale: already submitted, destroyed or unmapped; or the
 * call comes from inside a task body), with a message naming the argument.
 * Inline: it runs on every launch call. */
static inline int grt__handle_get(const void *handle, grt_handle_kind_t kind, const char *fn,
                                  const char *argname, void **obj) {
  uint32_t gen;
  grt_hdr_t *h = grt__handle_decode(handle, &gen);
  *obj = h;
  if (__builtin_expect(grt__task_body != NULL || !h || h->kind != (uint32_t)kind ||
                           atomic_load_explicit(&h->gen, memory_order_relaxed) != gen || !(gen & 1u),
                       0)) {
    *obj = NULL;
    return grt__handle_fail(handle, kind, fn, argname);
  }
  return 0;
}

/* The application's handle to @p obj is gone (submit, destroy, unmap): every
 * copy of it is stale from now on. Application thread. */
static inline void grt__handle_release(void *obj) {
  grt_hdr_t *h = obj;
  uint32_t g = atomic_load_explicit(&h->gen, memory_order_relaxed) + 1;
  atomic_store_explicit(&h->gen, g & ((1u << GRT_HANDLE_GEN_BITS) - 1), memory_order_relaxed);
}

/* A new zeroed, live object for pool @p p (out of line: the slow path). */
void *grt__pool_alloc(grt_pool_t *p, grt_handle_kind_t kind, size_t size);

/* An object of @p kind and @p size bytes from pool @p p, live (its gen odd):
 * a recycled one with its old contents past the header (*fresh false), or a
 * new zeroed one. NULL when out of memory. Application thread. */
static inline void *grt__pool_pop(grt_pool_t *p, grt_handle_kind_t kind, size_t size,
                                  bool *fresh) {
  grt_hdr_t *h = atomic_load_explicit(&p->free, memory_order_acquire);
  while (h && !atomic_compare_exchange_weak_explicit(&p->free, &h, h->next, memory_order_acquire,
                                                     memory_order_acquire)) {
  }
  *fresh = h == NULL;
  if (__builtin_expect(!h, 0)) return grt__pool_alloc(p, kind, size);
  grt__handle_release(h); /* even -> odd: live */
  return h;
}

/* Gives a released object's memory back to pool @p p (any thread). */
static inline void grt__pool_push(grt_pool_t *p, void *obj) {
  grt_hdr_t *h = obj;
  h->next = atomic_load_explicit(&p->free, memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(&p->free, &h->next, h, memory_order_release,
                                                memory_order_relaxed)) {
  }
}

/* grt__pool_pop under the pool's lock, for objects made and destroyed on
 * any thread (partitions, mappings, stores). */
void *grt__pool_take(grt_pool_t *p, grt_handle_kind_t kind, size_t size, bool *fresh);
/* Gives a released object (its gen even) back to @p p: any thread. */
void grt__pool_give(grt_pool_t *p, void *obj);
/* Objects allocated from @p p so far, free or not (tests). */
static inline size_t grt__pool_count(const grt_pool_t *p) {
  return atomic_load_explicit(&p->objects, memory_order_relaxed);
}
/* Before first use: the pool's lock. */
void grt__pool_init(grt_pool_t *p);
/* At the owner's end: frees every free object, after @p fini (may be NULL)
 * has freed what it owns, and the lock. Objects the application still
 * holds are left to it. */
void grt__pool_fini(grt_pool_t *p, void (*fini)(grt_hdr_t *h));

#endif
