/* future.c - futures: values produced by operations, waited on by the application. */
#include "runtime_internal.h"

#include <stdlib.h>
#include <string.h>

grt_future_t *grt__future_new(grt_runtime_t *rt) {
  grt_future_t *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  grt__node_init(rt, &f->node, GRT_NODE_FUTURE, NULL);
  f->rt = rt;
  atomic_init(&f->refs, 1);
  atomic_init(&f->ready, false);
  f->value = f->inline_value;
  pthread_mutex_init(&f->mu, NULL);
  pthread_cond_init(&f->cv, NULL);
  return f;
}

void grt__future_ref(grt_future_t *f) { atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed); }

void grt__future_unref(grt_future_t *f) {
  if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1) return;
  if (f->value != f->inline_value) free(f->value);
  pthread_mutex_destroy(&f->mu);
  pthread_cond_destroy(&f->cv);
  free(f);
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
  grt__node_complete(f->rt, &f->node);
}

static int future_check(const grt_future_t *f, const char *fn) {
  if (!f) return grt__error(GRT_EINVAL, "%s: future is NULL", fn);
  return grt__runtime_check(f->rt, fn);
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

GRT_EXPORT int grt_future_wait(grt_future_t *f) {
  int rc = future_check(f, "grt_future_wait");
  if (rc < 0) return rc;
  if ((rc = grt__check_sync(f->rt, GRT_CHECK_FUTURE_WAIT, 0, NULL)) < 0) return rc;
  future_block(f);
  if (f->error) return grt__error(f->error, "grt_future_wait: the operation producing the future failed");
  return 0;
}

GRT_EXPORT int grt_future_get(grt_future_t *f, void *out, size_t size) {
  const char *fn = "grt_future_get";
  int rc = future_check(f, fn);
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

GRT_EXPORT void grt_future_destroy(grt_future_t *f) {
  if (!f) return;
  grt__future_unref(f);
}
