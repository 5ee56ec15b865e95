/* store.h - logical stores, views of them, and arrays (internal layout). */
#ifndef GRT_STORE_H
#define GRT_STORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "grt.h"
#include "memory.h"
#include "transform.h"

/* A root store: the data every view of it aliases.
 *
 * Lifetime: `refs` counts live handles (the store and its views) plus one per
 * in-flight operation using it (grt__root_acquire/release). When it drops to
 * zero the root calls its `release` hook (set by the runtime: it frees the
 * runtime's per-root state) and then frees its instance and itself.
 *
 * Memory: `data` is one row-major instance covering the whole root, allocated
 * lazily in `mem` at first use, or the application's buffer when attached.
 */
typedef struct grt_store_root {
  grt_runtime_t *rt;
  uint64_t id;                      /* sequence number, equal on every rank */
  const grt_type_t *type;
  int ndim;
  int64_t shape[GRT_MAX_DIM];
  int64_t strides[GRT_MAX_DIM];     /* row-major, in elements */
  int64_t volume;                   /* elements */
  atomic_int refs;
  void *data;                       /* NULL until allocated */
  size_t bytes;                     /* size of the instance when allocated */
  grt_memory_t *mem;                /* where data lives (NULL if attached) */
  bool attached;                    /* data is the application's buffer */
  bool detached;                    /* after grt_store_detach: unusable */
  void *rt_state;                   /* owned by the runtime */
  struct grt_store_root *next_attached; /* the runtime's list of live attached roots */
  void (*release)(struct grt_store_root *root); /* runtime hook, may be NULL */
} grt_store_root_t;

#define GRT_STORE_MAGIC 0x67727453u  /* "grtS" */

/* A handle: a root seen through a view transform. Destroyed handles are kept
 * as shells (magic cleared) until the runtime is finalized, so that a use
 * after destroy is reported as GRT_ESTATE instead of touching freed memory. */
struct grt_store {
  uint32_t magic;
  grt_store_root_t *root;
  int ndim;
  int64_t shape[GRT_MAX_DIM];
  grt_transform_t tf;               /* view coordinates -> root coordinates */
  struct grt_store *next_shell;     /* runtime's list of destroyed handles */
};

struct grt_array {
  grt_store_t *data;
  grt_store_t *validity;            /* NULL when not nullable */
};

/* Validates a handle from the user: GRT_EINVAL for NULL (naming @p argname),
 * GRT_ESTATE for a destroyed handle or a detached root. */
int grt__store_check(const grt_store_t *s, const char *argname);

/* grt_store_create, naming @p fn (the public caller) in error messages. */
int grt__store_create_named(const char *fn, grt_runtime_t *rt, const grt_type_t *type,
                            int ndim, const int64_t *shape, grt_store_t **out);

/* True when @p s sees its whole root unchanged: an identity transform AND the
 * root's shape. (grt__tf_is_identity alone is also true of a prefix slice
 * such as [0, k) of a longer dim, which covers only part of the root.) */
bool grt__store_covers_root(const grt_store_t *s);

void grt__root_acquire(grt_store_root_t *root);
void grt__root_release(grt_store_root_t *root);

/* Allocates the root's instance if it has none (zeroed). Returns 0 or
 * GRT_ENOMEM (message names the memory and sizes). */
int grt__root_ensure_instance(grt_store_root_t *root, grt_memory_t *mem);

/* Hooks the runtime provides to the store layer (runtime/runtime.c). */

/* Takes an attached root off the runtime's list of live attached roots (its
 * last reference is going); a no-op for other roots. Any thread. */
void grt__runtime_forget_root(grt_runtime_t *rt, grt_store_root_t *root);
uint64_t grt__runtime_next_store_id(grt_runtime_t *rt);
void grt__runtime_keep_shell(grt_runtime_t *rt, grt_store_t *shell);
int grt__runtime_check(const grt_runtime_t *rt, const char *argname);
void grt__runtime_init_root(grt_runtime_t *rt, grt_store_root_t *root);
struct grt_type_registry *grt__runtime_types(grt_runtime_t *rt);

#endif
