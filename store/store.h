/* store.h - logical stores, views of them, and arrays (internal layout). */
#ifndef GRT_STORE_H
#define GRT_STORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "grt.h"
#include "handle.h"
#include "instance.h"
#include "memory.h"
#include "store_ctx.h"
#include "transform.h"

/* A root store: the data every view of it aliases.
 *
 * Lifetime: `refs` counts live handles (the store and its views) plus one per
 * in-flight operation using it (grt__root_acquire/release). `handles` counts
 * the live handles alone: when it drops to zero on an attached root never
 * detached, grt_store_destroy has the runtime write its values back to
 * every rank's buffer (the context's root_orphaned callback). When `refs`
 * drops to zero the root leaves its context's attached list, calls its
 * `release` hook (set by the runtime: it frees the runtime's per-root
 * state) and then drops its instances and frees itself.
 *
 * Memory: `insts` holds this rank's instances of the root (instance.h):
 * disjoint rectangles, made by the runtime for what this rank's tasks,
 * transfers and mappings touch (runtime/instances.h). An attached root has
 * one, the application's buffer, covering all of it.
 */
typedef struct grt_store_root {
  grt_store_ctx_t *ctx;             /* the store layer's context of its runtime */
  grt_runtime_t *rt;                /* ctx->rt: the runtime (opaque here) */
  uint64_t id;                      /* sequence number, equal on every rank */
  const grt_type_t *type;
  int ndim;
  int64_t shape[GRT_MAX_DIM];
  int64_t strides[GRT_MAX_DIM];     /* row-major, in elements */
  int64_t volume;                   /* elements */
  atomic_int refs;
  atomic_int handles;               /* live store and view handles (the application's) */
  grt_inst_set_t insts;             /* this rank's instances (sysmem) */
  bool attached;                    /* insts is the application's buffer */
  bool detached;                    /* after grt_store_detach: unusable */
  void *rt_state;                   /* owned by the runtime */
  struct grt_store_root *next_attached; /* ctx->attached: live attached roots */
  void (*release)(struct grt_store_root *root); /* runtime hook, may be NULL */
} grt_store_root_t;

/* A store or view object: a root seen through a view transform.
 *
 * Pooled per runtime (handle.h, GRT_HK_STORE): the application holds a
 * generation-tagged handle, never the address; every public entry decodes
 * it with grt__store_get. grt_store_destroy makes every copy of the handle
 * stale (GRT_ESTATE) and gives the object back to the pool at once, so
 * handle memory is bounded by the most handles alive at once. That is safe
 * because nothing else points at a grt_store_t object: launches, partitions
 * and mappings keep a reference on the root and their own copy of the view
 * (ndim, shape, tf). Runtime code may build a grt_store_t on the stack (a
 * whole-root view, a copy of an argument's view) and pass its address to
 * internal functions only, never to a public one (it is not a handle). */
struct grt_store {
  grt_hdr_t hdr;                    /* first: pooled, generation-tagged handle */
  grt_store_root_t *root;           /* one reference, dropped at destroy */
  int ndim;
  int64_t shape[GRT_MAX_DIM];
  grt_transform_t tf;               /* view coordinates -> root coordinates */
};

/* An array owns its two store handles (tagged, as the application sees
 * them): they go stale when the array is destroyed. */
struct grt_array {
  grt_store_t *data;
  grt_store_t *validity;            /* NULL when not nullable */
};

/* The message of grt__store_get for a live handle on a detached root. */
int grt__store_detached(const grt_store_t *s, const char *fn, const char *argname);

/* The store behind the application's handle @p h, given to @p fn as
 * argument @p argname: 0 and *out, or (*out NULL) GRT_EINVAL for NULL or a
 * handle of another kind, GRT_ESTATE for a stale handle (its store or view
 * was destroyed), a detached root, or a call from inside a task body, with
 * a message naming @p fn and @p argname. Inline: every launch argument
 * goes through it. */
static inline int grt__store_get(const grt_store_t *h, const char *fn, const char *argname,
                                 grt_store_t **out) {
  void *obj;
  int rc = grt__handle_get(h, GRT_HK_STORE, fn, argname, &obj);
  *out = obj;
  if (__builtin_expect(rc == 0 && (*out)->root->detached, 0)) {
    *out = NULL;
    return grt__store_detached(obj, fn, argname);
  }
  return rc;
}

/* The object behind a handle the runtime made itself and still holds
 * (no check): internal callers of grt__store_create, tests. */
static inline grt_store_t *grt__store_of(const grt_store_t *h) {
  uint32_t gen;
  return (grt_store_t *)(void *)grt__handle_decode(h, &gen);
}

/* grt_store_create on the runtime whose context is @p ctx (NULL for a NULL
 * runtime), naming @p fn (the public caller) in error messages. The result
 * is a handle, as the application would get it: destroy it with
 * grt_store_destroy; grt__store_of gives the object. The public functions
 * that take a runtime live in runtime/store_api.c and call these. */
int grt__store_create(grt_store_ctx_t *ctx, const char *fn, const grt_type_t *type, int ndim,
                      const int64_t *shape, grt_store_t **out);
/* grt_store_attach (messages name it). */
int grt__store_attach(grt_store_ctx_t *ctx, const grt_type_t *type, int ndim,
                      const int64_t *shape, void *buffer, grt_store_t **out);
/* grt_array_create (messages name it). */
int grt__array_create(grt_store_ctx_t *ctx, const grt_type_t *type, int ndim,
                      const int64_t *shape, bool nullable, grt_array_t **out);
/* grt_type_fixed_binary / grt_type_struct in the context's registry. */
const grt_type_t *grt__store_type_fixed_binary(grt_store_ctx_t *ctx, size_t width);
const grt_type_t *grt__store_type_struct(grt_store_ctx_t *ctx, int n,
                                         const grt_type_t *const *fields);

/* True while the runtime of @p root is alive (its context open); reads
 * nothing behind root->ctx, which is freed with the runtime. */
static inline bool grt__root_live(const grt_store_root_t *root) {
  return grt__store_ctx_live(root->ctx);
}

/* True when @p s sees its whole root unchanged: an identity transform AND the
 * root's shape. (grt__tf_is_identity alone is also true of a prefix slice
 * such as [0, k) of a longer dim, which covers only part of the root.) */
bool grt__store_covers_root(const grt_store_t *s);

void grt__root_acquire(grt_store_root_t *root);
void grt__root_release(grt_store_root_t *root);

/* The rectangle of the whole root. */
void grt__root_rect(const grt_store_root_t *root, grt_rect_t *out);
/* The root's instance holding all of it (NULL if none; an empty root has
 * none). */
grt_instance_t *grt__root_whole(const grt_store_root_t *root);
/* The same, made now (zeroed, paid from @p mem's instance pool) when the
 * root has no instance yet: 0, or GRT_ENOMEM naming the memory, GRT_EINVAL
 * for a NULL @p mem or a root whose instances are partial. For
 * single-instance users (the store layer's tests); the runtime decides
 * its instances in runtime/instances.h. @p out may be NULL. */
int grt__root_whole_instance(grt_store_root_t *root, grt_memory_t *mem, grt_instance_t **out);

#endif
