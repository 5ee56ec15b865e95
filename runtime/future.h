/* future.h - futures: values produced by operations (or given), waited on by the application. */
#ifndef GRT_FUTURE_H
#define GRT_FUTURE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "grt.h"
#include "graph.h"
#include "handle.h"

/* ---------------------------------------------------------------------------
 * A value with a node for dependences. Reference counted: the application's
 * handle, the producing operation, and each operation that reads it hold
 * one reference. The handle goes stale at grt_future_destroy (hdr.gen); the
 * memory returns to the runtime's pool when the last reference goes
 * (handle.h). `mu` and `cv` live as long as the memory.
 *
 * Threads: the value, size and error are written once, by whoever sets the
 * future (any thread), before `ready` (release); readers read them after
 * seeing `ready` (acquire). `waiters` is guarded by `mu`.
 * ------------------------------------------------------------------------- */
#define GRT_FUTURE_INLINE 64
struct grt_future {
  grt_hdr_t hdr;                 /* first: pooled, generation-tagged handle */
  grt_node_t node;               /* GRT_NODE_FUTURE */
  grt_runtime_t *rt;
  atomic_int refs;
  atomic_bool ready;
  int error;                     /* GRT_ETASK when a producing task failed */
  size_t size;
  void *value;                   /* points at inline_value or a heap block */
  _Alignas(16) unsigned char inline_value[GRT_FUTURE_INLINE];
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int waiters;
};

/* A new future with one reference (the application's) and a live handle:
 * give the application grt__handle_of(f). NULL when out of memory. */
grt_future_t *grt__future_new(grt_runtime_t *rt);
/* The future behind the application's handle @p h (see grt__handle_get),
 * checking its runtime too. */
int grt__future_get_handle(grt_future_t *h, const char *fn, grt_future_t **out);
void grt__future_ref(grt_future_t *f);
void grt__future_unref(grt_future_t *f);
/* Sets the value (copied) or error, completes the node, wakes waiters. */
void grt__future_set(grt_future_t *f, const void *value, size_t size, int error);

#endif
