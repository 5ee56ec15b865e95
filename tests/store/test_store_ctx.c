/* test_store_ctx.c - the store layer's per-runtime context (store_ctx.h):
 * liveness (open/close, the table's limit, the checks' messages), the list
 * of attached roots, and the root_orphaned callback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "grt.h"
#include "store_fixture.h"

static void assert_msg(const char *want) {
  if (strcmp(grt_last_error(), want) != 0)
    fail_msg("message '%s', expected '%s'", grt_last_error(), want);
}

static void test_ctx_liveness(void **state) {
  (void)state;
  grt_store_ctx_t *ctx = NULL;
  assert_int_equal(test_ctx_open(&ctx), 0);
  assert_true(grt__store_ctx_live(ctx));
  assert_int_equal(grt__store_ctx_check(ctx, "f: rt"), 0);
  assert_int_equal(grt__store_ctx_check(NULL, "f: rt"), GRT_EINVAL);
  assert_msg("f: rt: runtime is NULL");
  grt__store_ctx_close(ctx);
  assert_false(grt__store_ctx_live(ctx));
  assert_int_equal(grt__store_ctx_check(ctx, "g: rt"), GRT_ESTATE);
  assert_msg("g: rt: runtime is not initialized or already finalized");
  assert_int_equal(grt__store_ctx_live_check(ctx, "h"), GRT_ESTATE);
  assert_msg("h: runtime is not initialized or already finalized");
  /* A closed context refuses creation with the public function's name. */
  grt_store_t *s = NULL;
  const int64_t shape[1] = {4};
  assert_int_equal(grt_store_create(ctx, grt_type_int32(), 1, shape, &s), GRT_ESTATE);
  assert_null(s);
  assert_msg("grt_store_create: rt: runtime is not initialized or already finalized");
  assert_int_equal(grt__store_ctx_open(ctx), 0);
  assert_int_equal(test_ctx_close(ctx), 0);
}

/* At most GRT_STORE_CTX_MAX_LIVE open at once; a closed slot is reused. */
static void test_ctx_table_limit(void **state) {
  (void)state;
  grt_store_ctx_t *ctx[GRT_STORE_CTX_MAX_LIVE];
  for (int i = 0; i < GRT_STORE_CTX_MAX_LIVE; i++) assert_int_equal(test_ctx_open(&ctx[i]), 0);
  grt_store_ctx_t extra = {0};
  assert_int_equal(grt__store_ctx_open(&extra), -1);
  assert_false(grt__store_ctx_live(&extra));
  grt__store_ctx_close(ctx[3]);
  assert_int_equal(grt__store_ctx_open(&extra), 0);
  assert_true(grt__store_ctx_live(&extra));
  assert_false(grt__store_ctx_live(ctx[3]));
  grt__store_ctx_close(&extra);
  assert_int_equal(grt__store_ctx_open(ctx[3]), 0);
  for (int i = 0; i < GRT_STORE_CTX_MAX_LIVE; i++) assert_int_equal(test_ctx_close(ctx[i]), 0);
}

/* Attached roots join the list newest first and leave it with their last
 * reference; take_attached empties it one root at a time. */
static void test_ctx_attached_list(void **state) {
  (void)state;
  grt_store_ctx_t *ctx = NULL;
  assert_int_equal(test_ctx_open(&ctx), 0);
  double a[4], b[4];
  const int64_t shape[1] = {4};
  grt_store_t *sa = NULL, *sb = NULL, *sc = NULL;
  assert_int_equal(grt_store_attach(ctx, grt_type_float64(), 1, shape, a, &sa), 0);
  assert_int_equal(grt_store_create(ctx, grt_type_float64(), 1, shape, &sc), 0);
  assert_int_equal(grt_store_attach(ctx, grt_type_float64(), 1, shape, b, &sb), 0);
  grt_store_root_t *ra = grt__store_of(sa)->root, *rb = grt__store_of(sb)->root;
  assert_ptr_equal(ctx->attached, rb);              /* newest first; sc is not attached */
  assert_ptr_equal(rb->next_attached, ra);
  assert_null(ra->next_attached);
  assert_ptr_equal(ra->ctx, ctx);
  grt_store_destroy(sb);                            /* its last reference: it leaves */
  assert_ptr_equal(ctx->attached, ra);
  assert_ptr_equal(grt__store_ctx_take_attached(ctx), ra);
  assert_null(ra->next_attached);
  assert_null(grt__store_ctx_take_attached(ctx));
  grt_store_destroy(sa);                            /* not on the list any more: fine */
  grt_store_destroy(sc);
  assert_int_equal(test_ctx_close(ctx), 0);
}

typedef struct {
  int calls;
  grt_runtime_t *rt;
  uint64_t id;
} orphan_t;
static orphan_t g_orphan;

static void on_orphaned(grt_runtime_t *rt, grt_store_root_t *root) {
  g_orphan.calls++;
  g_orphan.rt = rt;
  g_orphan.id = root->id;
  assert_int_equal(atomic_load(&root->refs), 1);    /* the caller still holds it */
}

/* The callback runs when the last application handle of a root goes (a
 * store or any view of it), once, with the context's owner. */
static void test_ctx_root_orphaned(void **state) {
  (void)state;
  grt_store_ctx_t *ctx = NULL;
  assert_int_equal(test_ctx_open(&ctx), 0);
  static int owner;
  ctx->rt = (grt_runtime_t *)(void *)&owner;
  ctx->root_orphaned = on_orphaned;
  memset(&g_orphan, 0, sizeof g_orphan);
  int32_t buf[6];
  const int64_t shape[2] = {2, 3};
  grt_store_t *s = NULL, *v = NULL;
  assert_int_equal(grt_store_attach(ctx, grt_type_int32(), 2, shape, buf, &s), 0);
  uint64_t id = grt__store_of(s)->root->id;
  assert_ptr_equal(grt__store_of(s)->root->rt, (grt_runtime_t *)(void *)&owner);
  assert_int_equal(grt_store_slice(s, 1, 0, 2, &v), 0);
  grt_store_destroy(s);
  assert_int_equal(g_orphan.calls, 0);              /* the view still names the root */
  grt_store_destroy(v);
  assert_int_equal(g_orphan.calls, 1);
  assert_ptr_equal(g_orphan.rt, (grt_runtime_t *)(void *)&owner);
  assert_int_equal(g_orphan.id, id);
  grt_store_destroy(v);                             /* stale: no second call */
  assert_int_equal(g_orphan.calls, 1);
  assert_int_equal(test_ctx_close(ctx), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ctx_liveness),
      cmocka_unit_test(test_ctx_table_limit),
      cmocka_unit_test(test_ctx_attached_list),
      cmocka_unit_test(test_ctx_root_orphaned),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
