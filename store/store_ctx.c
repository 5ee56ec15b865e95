/* store_ctx.c - the store layer's per-runtime context and the table of live ones. */
#include "store_ctx.h"

#include "store.h"
#include "type.h"

/* A handful at most per process. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
_Atomic(const grt_store_ctx_t *) grt__store_ctx_live_table[GRT_STORE_CTX_MAX_LIVE];

int grt__store_ctx_open(grt_store_ctx_t *ctx) {
  pthread_mutex_lock(&live_lock);
  for (int i = 0; i < GRT_STORE_CTX_MAX_LIVE; i++)
    if (!atomic_load(&grt__store_ctx_live_table[i])) {
      atomic_store(&grt__store_ctx_live_table[i], ctx);
      pthread_mutex_unlock(&live_lock);
      return 0;
    }
  pthread_mutex_unlock(&live_lock);
  return -1;
}

void grt__store_ctx_close(grt_store_ctx_t *ctx) {
  pthread_mutex_lock(&live_lock);
  for (int i = 0; i < GRT_STORE_CTX_MAX_LIVE; i++)
    if (atomic_load(&grt__store_ctx_live_table[i]) == ctx)
      atomic_store(&grt__store_ctx_live_table[i], NULL);
  pthread_mutex_unlock(&live_lock);
}

int grt__store_ctx_fail(const grt_store_ctx_t *ctx, const char *argname, bool guard) {
  int rc = guard ? grt__task_guard(argname) : 0;
  if (rc < 0) return rc;
  if (!ctx) return grt__error(GRT_EINVAL, "%s: runtime is NULL", argname);
  return grt__error(GRT_ESTATE, "%s: runtime is not initialized or already finalized", argname);
}

int grt__store_ctx_init(grt_store_ctx_t *ctx, grt_runtime_t *rt, grt_pool_t *pools) {
  *ctx = (grt_store_ctx_t){.rt = rt, .pools = pools};
  pthread_mutex_init(&ctx->attached_lock, NULL);
  ctx->types = grt__type_registry_create();
  return ctx->types ? 0 : GRT_ENOMEM;
}

void grt__store_ctx_fini(grt_store_ctx_t *ctx) {
  if (ctx->types) grt__type_registry_destroy(ctx->types);
  ctx->types = NULL;
  pthread_mutex_destroy(&ctx->attached_lock);
}

grt_store_root_t *grt__store_ctx_take_attached(grt_store_ctx_t *ctx) {
  pthread_mutex_lock(&ctx->attached_lock);
  grt_store_root_t *root = ctx->attached;
  if (root) {
    ctx->attached = root->next_attached;
    root->next_attached = NULL;
  }
  pthread_mutex_unlock(&ctx->attached_lock);
  return root;
}
