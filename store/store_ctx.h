/* store_ctx.h - what the store layer keeps per runtime: one object the
 * runtime embeds (grt_runtime.store_ctx) and sets up, so that store/ and
 * partition/ never call up into the runtime.
 *
 * The runtime stays opaque here: `rt` is only handed back (root->rt, the
 * callbacks). What is runtime-specific reaches the store layer as a
 * function pointer set by the runtime (root_orphaned); what the store layer
 * needs to do its own job -- the store id counter, the type registry, the
 * handle pools of stores and partitions, the list of live attached roots --
 * lives in this object.
 *
 * Liveness: a runtime is live while its store context is open
 * (grt__store_ctx_open .. grt__store_ctx_close). The open contexts are kept
 * in a process-wide table searched by address, never by reading the
 * context, so a handle whose runtime was finalized (its context freed) is
 * told apart from a live one safely; the runtime's own liveness check
 * (grt__store_api_check) is this one.
 */
#ifndef GRT_STORE_CTX_H
#define GRT_STORE_CTX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "grt.h"
#include "grt_error.h"
#include "handle.h"

struct grt_store_root;
struct grt_type_registry;

typedef struct grt_store_ctx {
  grt_runtime_t *rt;                /* the owner (opaque): root->rt, callbacks' argument */
  grt_pool_t *pools;                /* the owner's pools by kind: GRT_HK_STORE, GRT_HK_PARTITION */
  struct grt_type_registry *types;  /* derived types of this runtime (type.h) */
  uint64_t next_id;                 /* store ids: replicated (equal on every rank) */
  pthread_mutex_t attached_lock;    /* guards attached */
  /* Live attached roots, newest first, linked by next_attached: a root
   * joins when attached and leaves when its last reference goes (a root
   * may be released on any thread, hence the lock). The runtime's
   * grt_finalize writes back every one still here that was never detached
   * (grt__store_ctx_take_attached). */
  struct grt_store_root *attached;
  /* The last application handle of @p root is being destroyed (the caller
   * still holds its reference): the runtime writes an attached root's
   * values back (see grt_store_destroy). Application thread; may be NULL. */
  void (*root_orphaned)(grt_runtime_t *rt, struct grt_store_root *root);
} grt_store_ctx_t;

/* Sets up @p ctx for owner @p rt with its handle pools @p pools (indexed by
 * grt_handle_kind_t, already initialized). 0, or GRT_ENOMEM (no message:
 * the caller names itself). The callbacks start NULL. */
int grt__store_ctx_init(grt_store_ctx_t *ctx, grt_runtime_t *rt, grt_pool_t *pools);
/* Frees what grt__store_ctx_init made (after grt__store_ctx_close). */
void grt__store_ctx_fini(grt_store_ctx_t *ctx);

/* Most contexts open at once in a process (runtimes alive at once). */
#define GRT_STORE_CTX_MAX_LIVE 16
/* Makes @p ctx live: 0, or -1 when GRT_STORE_CTX_MAX_LIVE are already open
 * (no message). Registration happens-before any use of the runtime by the
 * thread that opened it. */
int grt__store_ctx_open(grt_store_ctx_t *ctx);
void grt__store_ctx_close(grt_store_ctx_t *ctx);

extern _Atomic(const grt_store_ctx_t *) grt__store_ctx_live_table[GRT_STORE_CTX_MAX_LIVE];

/* True while @p ctx is open. Lock-free, reads nothing behind @p ctx: this
 * runs on every API call. */
static inline bool grt__store_ctx_live(const grt_store_ctx_t *ctx) {
  if (!ctx) return false;
  for (int i = 0; i < GRT_STORE_CTX_MAX_LIVE; i++)
    if (atomic_load_explicit(&grt__store_ctx_live_table[i], memory_order_acquire) == ctx)
      return true;
  return false;
}

/* The message of the checks below (out of line). */
int grt__store_ctx_fail(const grt_store_ctx_t *ctx, const char *argname, bool guard);

/* The check of every entry point that acts on a runtime (@p ctx is its
 * context, NULL for a NULL runtime): 0, or GRT_ESTATE from inside a task
 * body (grt_error.h), GRT_EINVAL "<argname>: runtime is NULL", GRT_ESTATE
 * "<argname>: runtime is not initialized or already finalized". */
static inline int grt__store_ctx_check(const grt_store_ctx_t *ctx, const char *argname) {
  if (__builtin_expect(grt__task_body != NULL || !grt__store_ctx_live(ctx), 0))
    return grt__store_ctx_fail(ctx, argname, true);
  return 0;
}
/* The same without the task-body guard: for pure queries. */
static inline int grt__store_ctx_live_check(const grt_store_ctx_t *ctx, const char *argname) {
  if (__builtin_expect(!grt__store_ctx_live(ctx), 0))
    return grt__store_ctx_fail(ctx, argname, false);
  return 0;
}

/* Takes the newest attached root off ctx->attached (its next_attached
 * cleared), or NULL when none is left. Any thread. */
struct grt_store_root *grt__store_ctx_take_attached(grt_store_ctx_t *ctx);

#endif
