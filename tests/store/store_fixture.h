/* store_fixture.h - the store layer's tests without the runtime: a store
 * context with its own handle pools stands in for grt_runtime_t, opened as
 * grt_init opens the runtime's, so the tests link the store layer alone
 * (grt_store_dep).
 *
 * The public calls that take a runtime live in runtime/store_api.c, which
 * these tests do not link: here their names call the store layer's
 * versions directly, with the same arguments and the same messages. */
#ifndef GRT_TEST_STORE_FIXTURE_H
#define GRT_TEST_STORE_FIXTURE_H

#include <stdlib.h>

#include "grt.h"
#include "store.h"
#include "type.h"

/* A context as grt_init makes one (no root_orphaned callback: a store
 * destroyed while attached is not written back, there are no ranks). */
static inline int test_ctx_open(grt_store_ctx_t **out) {
  grt_store_ctx_t *ctx = calloc(1, sizeof *ctx);
  grt_pool_t *pools = calloc(GRT_HK_COUNT, sizeof *pools);
  if (!ctx || !pools) return GRT_ENOMEM;
  for (int k = 0; k < GRT_HK_COUNT; k++) grt__pool_init(&pools[k]);
  if (grt__store_ctx_init(ctx, NULL, pools) < 0 || grt__store_ctx_open(ctx) < 0)
    return GRT_ENOMEM;
  *out = ctx;
  return 0;
}

/* As grt_finalize: the context is no longer live, its pools are freed. */
static inline int test_ctx_close(grt_store_ctx_t *ctx) {
  grt__store_ctx_close(ctx);
  grt__store_ctx_fini(ctx);
  for (int k = 0; k < GRT_HK_COUNT; k++) grt__pool_fini(&ctx->pools[k], NULL);
  free(ctx->pools);
  free(ctx);
  return 0;
}

/* cmocka setup and teardown: *state is an open context. */
static inline int test_ctx_setup(void **state) {
  grt_store_ctx_t *ctx = NULL;
  if (test_ctx_open(&ctx) != 0) return -1;
  *state = ctx;
  return 0;
}

static inline int test_ctx_teardown(void **state) { return test_ctx_close(*state); }

#define grt_store_create(ctx, type, ndim, shape, out) \
  grt__store_create((ctx), "grt_store_create", (type), (ndim), (shape), (out))
#define grt_store_attach(ctx, type, ndim, shape, buffer, out) \
  grt__store_attach((ctx), (type), (ndim), (shape), (buffer), (out))
#define grt_array_create(ctx, type, ndim, shape, nullable, out) \
  grt__array_create((ctx), (type), (ndim), (shape), (nullable), (out))
#define grt_type_fixed_binary(ctx, width) grt__store_type_fixed_binary((ctx), (width))
#define grt_type_struct(ctx, n, fields) grt__store_type_struct((ctx), (n), (fields))

/* grt_store_detach without a runtime: nothing to wait for or copy (the
 * attached buffer is the only instance), so it only marks the root. */
static inline int test_store_detach(grt_store_t *h) {
  grt_store_t *s;
  int rc = grt__store_get(h, "grt_store_detach", "s", &s);
  if (rc == 0) s->root->detached = true;
  return rc;
}
#define grt_store_detach(s) test_store_detach(s)

#endif
