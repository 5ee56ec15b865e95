/* future.c - futures: values produced by operations, waited on by the application. */
#include "future.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "grt_error.h"
#include "graph.h"
#include "runtime.h"

/* Pooled (handle.h): a recycled future keeps its lock and condition. */
grt_future_t *grt__future_new(grt_runtime_t *rt) {
  bool fresh;
  grt_future_t *f = grt__pool_pop(&rt->pools[GRT_HK_FUTURE], GRT_HK_FUTURE, sizeof *f, &fresh);
  if (!f) return NULL;
  if (fresh) {
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
  }
  grt__graph_node_init(&rt->graph, &f->node, GRT_NODE_FUTURE, NULL, NULL);
  f->rt = rt;
  atomic_init(&f->refs, 1);
  atomic_init(&f->ready, false);
  f->error = 0;
  f->size = 0;
  f->value = f->inline_value;
  f->waiters = 0;
  return f;
}

void grt__future_ref(grt_future_t *f) { atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed); }

void grt__future_unref(grt_future_t *f) {
  if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1) return;
  /* The application's handle went first (it holds a reference). After
   * grt_finalize the pool is gone: the memory goes back to malloc. */
  if (!grt__store_api_live(f->rt)) {
    grt__pools_free_one(f);
    return;
  }
  if (f->value != f->inline_value) free(f->value);
  f->value = f->inline_value;
  grt__pool_push(&f->rt->pools[GRT_HK_FUTURE], f);
}

void grt__future_set(grt_future_t *f, const void *value, size_t size, int error) {
  if (size > GRT_FUTURE_INLINE) {
    void *v = malloc(size);
    if (!v) {
      error = GRT_ENOMEM;
      size = 0;
    } else {
      f->value = v;
    }
  }
  if (size && value) memcpy(f->value, value, size);
  f->size = size;
  f->error = error;
  pthread_mutex_lock(&f->mu);
  atomic_store_explicit(&f->ready, true, memory_order_release);
  if (f->waiters) pthread_cond_broadcast(&f->cv);
  pthread_mutex_unlock(&f->mu);
  grt__graph_complete(&f->rt->graph, &f->node);
}

int grt__future_get_handle(grt_future_t *h, const char *fn, grt_future_t **out) {
  void *obj;
  int rc = grt__handle_get(h, GRT_HK_FUTURE, fn, "future", &obj);
  *out = obj;
  return rc < 0 ? rc : grt__store_api_check((*out)->rt, fn);
}

static void future_block(grt_future_t *f) {
  if (atomic_load_explicit(&f->ready, memory_order_acquire)) return;
  pthread_mutex_lock(&f->mu);
  f->waiters++;
  grt__comm_blocked(f->rt->comm, 1); /* a peer that left is noticed */
  while (!atomic_load_explicit(&f->ready, memory_order_acquire)) pthread_cond_wait(&f->cv, &f->mu);
  grt__comm_blocked(f->rt->comm, -1);
  f->waiters--;
  pthread_mutex_unlock(&f->mu);
}

GRT_EXPORT int grt_future_wait(grt_future_t *h) {
  grt_future_t *f;
  int rc = grt__future_get_handle(h, "grt_future_wait", &f);
  if (rc < 0) return rc;
  if ((rc = grt__check_sync(f->rt, GRT_CHECK_FUTURE_WAIT, 0, NULL)) < 0) return rc;
  future_block(f);
  if (f->error) return grt__error(f->error, "grt_future_wait: the operation producing the future failed");
  return 0;
}

GRT_EXPORT int grt_future_get(grt_future_t *h, void *out, size_t size) {
  const char *fn = "grt_future_get";
  grt_future_t *f;
  int rc = grt__future_get_handle(h, fn, &f);
  if (rc < 0) return rc;
  if (!out && size) return grt__error(GRT_EINVAL, "%s: out is NULL", fn);
  if ((rc = grt__check_sync(f->rt, GRT_CHECK_FUTURE_GET, size, NULL)) < 0) return rc;
  future_block(f);
  if (f->error)
    return grt__error(f->error, "%s: the operation producing the future failed (%s)", fn,
                      grt_strerror(f->error));
  if (size != f->size)
    return grt__error(GRT_EINVAL, "%s: size %zu does not match the future's %zu bytes", fn, size,
                      f->size);
  if (size) memcpy(out, f->value, size);
  return 0;
}

/* The handle goes stale now; the value lives while operations reading it
 * hold references. After grt_finalize it frees the future; a stale handle
 * only sets the message. */
GRT_EXPORT void grt_future_destroy(grt_future_t *h) {
  void *obj;
  if (!h || grt__handle_get(h, GRT_HK_FUTURE, "grt_future_destroy", "future", &obj) < 0) return;
  grt__handle_release(obj);
  grt__future_unref(obj);
}
