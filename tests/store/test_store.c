/* test_store.c - stores, views, roots: shapes, aliasing, lifetimes, instances. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "grt.h"
#include "store_fixture.h"

/* The tests' own sysmem, so that they do not depend on the runtime's layout. */
static grt_memory_t g_mem;

static int setup_rt(void **state) {
  grt__mem_init(&g_mem, GRT_MEM_SYSMEM, (size_t)1 << 30);
  return test_ctx_setup(state);
}

static int refs(const grt_store_t *s) { return atomic_load(&grt__store_of(s)->root->refs); }

static void test_store_create_reports_shape_type_ndim(void **state) {
  grt_store_ctx_t *rt = *state;
  const int64_t shape[3] = {2, 3, 4};
  grt_store_t *s = NULL;
  assert_int_equal(grt_store_create(rt, grt_type_float64(), 3, shape, &s), 0);
  assert_non_null(s);
  assert_int_equal(grt_store_ndim(s), 3);
  int64_t got[GRT_MAX_DIM] = {0};
  grt_store_shape(s, got);
  assert_memory_equal(got, shape, sizeof shape);
  assert_ptr_equal(grt_store_type(s), grt_type_float64());
  const grt_store_root_t *root = grt__store_of(s)->root;
  assert_int_equal(root->volume, 24);
  assert_int_equal(root->strides[0], 12);
  assert_int_equal(root->strides[1], 4);
  assert_int_equal(root->strides[2], 1);
  assert_null(grt__root_whole(root)); /* no placement until first use */
  assert_false(root->attached);
  assert_int_equal(refs(s), 1);
  assert_true(grt__tf_is_identity(&grt__store_of(s)->tf));
  grt_store_destroy(s);
}

static void test_store_covers_root_needs_whole_shape(void **state) {
  grt_store_ctx_t *rt = *state;
  const int64_t shape[2] = {4, 6};
  grt_store_t *s = NULL, *prefix = NULL, *full = NULL, *tt = NULL, *t = NULL;
  const int perm[2] = {1, 0};
  assert_int_equal(grt_store_create(rt, grt_type_int32(), 2, shape, &s), 0);
  assert_true(grt__store_covers_root(grt__store_of(s)));
  assert_int_equal(grt_store_slice(s, 1, 0, 3, &prefix), 0);
  assert_true(grt__tf_is_identity(&grt__store_of(prefix)->tf));   /* same map ... */
  assert_false(grt__store_covers_root(grt__store_of(prefix)));    /* ... but half the store */
  assert_int_equal(grt_store_slice(s, 0, 0, 4, &full), 0);
  assert_true(grt__store_covers_root(grt__store_of(full)));
  assert_int_equal(grt_store_transpose(s, perm, &t), 0);
  assert_false(grt__store_covers_root(grt__store_of(t)));
  assert_int_equal(grt_store_transpose(t, perm, &tt), 0);
  assert_true(grt__store_covers_root(grt__store_of(tt)));         /* transposed back */
  grt_store_destroy(tt);
  grt_store_destroy(t);
  grt_store_destroy(full);
  grt_store_destroy(prefix);
  grt_store_destroy(s);
}

static void test_store_ids_are_sequence_numbers(void **state) {
  grt_store_ctx_t *rt = *state;
  const int64_t shape[1] = {5};
  grt_store_t *a = NULL, *b = NULL, *c = NULL;
  assert_int_equal(grt_store_create(rt, grt_type_int8(), 1, shape, &a), 0);
  /* A failed create takes no id (ids must agree across ranks). */
  assert_int_equal(grt_store_create(rt, grt_type_int8(), 0, shape, &b), GRT_EINVAL);
  assert_int_equal(grt_store_create(rt, grt_type_int8(), 1, shape, &b), 0);
  assert_int_equal(grt__store_of(b)->root->id, grt__store_of(a)->root->id + 1);
  /* A view is not a new store. */
  assert_int_equal(grt_store_slice(a, 0, 1, 3, &c), 0);
  assert_int_equal(grt__store_of(c)->root->id, grt__store_of(a)->root->id);
  grt_store_destroy(c);
  grt_store_destroy(b);
  grt_store_destroy(a);
}

static void test_store_zero_extent_is_legal(void **state) {
  grt_store_ctx_t *rt = *state;
  const int64_t shape[2] = {4, 0};
  grt_store_t *s = NULL, *v = NULL;
  assert_int_equal(grt_store_create(rt, grt_type_int32(), 2, shape, &s), 0);
  assert_int_equal(grt__store_of(s)->root->volume, 0);
  assert_int_equal(grt_store_slice(s, 0, 1, 3, &v), 0);
  grt_store_destroy(v);
  assert_int_equal(grt_store_project(s, 0, 2, &v), 0);
  int64_t got[1];
  grt_store_shape(v, got);
  assert_int_equal(got[0], 0);
  grt_store_destroy(v);
  const int64_t sizes[2] = {0, 7};
  assert_int_equal(grt_store_delinearize(s, 1, 2, sizes, &v), 0);
  grt_store_destroy(v);
  assert_int_equal(grt__root_whole_instance(grt__store_of(s)->root, &g_mem, NULL), 0);
  assert_null(grt__root_whole(grt__store_of(s)->root)); /* an empty root holds nothing */
  grt_store_destroy(s);
}

static void test_store_view_shapes(void **state) {
  grt_store_ctx_t *rt = *state;
  const int64_t shape[2] = {6, 4};
  grt_store_t *s = NULL, *v = NULL;
  int64_t got[GRT_MAX_DIM];
  assert_int_equal(grt_store_create(rt, grt_type_int16(), 2, shape, &s), 0);

  assert_int_equal(grt_store_slice(s, 0, 2, 5, &v), 0);
  grt_store_shape(v, got);
  assert_int_equal(got[0], 3);
  assert_int_equal(got[1], 4);
  grt_store_destroy(v);

  const int perm[2] = {1, 0};
  assert_int_equal(grt_store_transpose(s, perm, &v), 0);
  grt_store_shape(v, got);
  assert_int_equal(got[0], 4);
  assert_int_equal(got[1], 6);
  grt_store_destroy(v);

  assert_int_equal(grt_store_promote(s, 2, 9, &v), 0);
  assert_int_equal(grt_store_ndim(v), 3);
  grt_store_shape(v, got);
  assert_int_equal(got[2], 9);
  grt_store_destroy(v);

  assert_int_equal(grt_store_project(s, 1, 3, &v), 0);
  assert_int_equal(grt_store_ndim(v), 1);
  grt_store_shape(v, got);
  assert_int_equal(got[0], 6);
  grt_store_destroy(v);

  const int64_t sizes[3] = {1, 3, 2};
  assert_int_equal(grt_store_delinearize(s, 0, 3, sizes, &v), 0);
  assert_int_equal(grt_store_ndim(v), 4);
  grt_store_shape(v, got);
  assert_int_equal(got[0], 1);
  assert_int_equal(got[1], 3);
  assert_int_equal(got[2], 2);
  assert_int_equal(got[3], 4);
  assert_ptr_equal(grt_store_type(v), grt_type_int16());
  grt_store_destroy(v);

  /* Empty slices at either end are legal. */
  assert_int_equal(grt_store_slice(s, 1, 4, 4, &v), 0);
  grt_store_destroy(v);
  assert_int_equal(grt_store_slice(s, 1, 0, 0, &v), 0);
  grt_store_destroy(v);
  grt_store_destroy(s);
}

static void test_store_views_alias_root(void **state) {
  grt_store_ctx_t *rt = *state;
  int32_t buf[4][5];
  memset(buf, 0, sizeof buf);
  const int64_t shape[2] = {4, 5};
  grt_store_t *s = NULL, *t = NULL, *col = NULL;
  assert_int_equal(grt_store_attach(rt, grt_type_int32(), 2, shape, buf, &s), 0);
  const int perm[2] = {1, 0};
  assert_int_equal(grt_store_transpose(s, perm, &t), 0);     /* (5, 4) */
  assert_int_equal(grt_store_project(t, 0, 3, &col), 0);     /* column 3 of s */
  assert_ptr_equal(grt__store_of(col)->root, grt__store_of(s)->root);
  assert_int_equal(refs(s), 3);
  /* Write element 2 of the column through its layout; read it through s. */
  int64_t vstride[1];
  int64_t p[1] = {2};
  int32_t *data = (int32_t *)(void *)grt__root_whole(grt__store_of(s)->root)->data;
  data[grt__tf_layout(&grt__store_of(col)->tf, grt__store_of(s)->root->strides, p, vstride)] = 42;
  assert_int_equal(vstride[0], 5);
  assert_int_equal(buf[2][3], 42);
  int64_t q[2] = {3, 2};
  assert_int_equal(data[grt__tf_layout(&grt__store_of(t)->tf, grt__store_of(s)->root->strides, q, NULL)], 42);
  grt_store_destroy(col);
  grt_store_destroy(t);
  assert_int_equal(refs(s), 1);
  grt_store_destroy(s);
}

static void test_store_attach_uses_app_buffer(void **state) {
  grt_store_ctx_t *rt = *state;
  double *buf = malloc(6 * sizeof *buf);
  assert_non_null(buf);
  const int64_t shape[2] = {2, 3};
  grt_store_t *s = NULL;
  assert_int_equal(grt_store_attach(rt, grt_type_float64(), 2, shape, buf, &s), 0);
  assert_ptr_equal(grt__root_whole(grt__store_of(s)->root)->data, buf);
  assert_true(grt__store_of(s)->root->attached);
  assert_int_equal(grt__root_whole(grt__store_of(s)->root)->bytes, 6 * sizeof(double));
  size_t used0 = atomic_load(&g_mem.used);
  assert_int_equal(grt__root_whole_instance(grt__store_of(s)->root, &g_mem, NULL), 0);
  assert_ptr_equal(grt__root_whole(grt__store_of(s)->root)->data, buf);   /* no instance made: the buffer is the data */
  assert_int_equal(atomic_load(&g_mem.used), used0);
  grt_store_destroy(s);
  free(buf);                               /* still ours: a double free would be caught */
}

static void test_store_attach_empty_null_buffer(void **state) {
  grt_store_ctx_t *rt = *state;
  const int64_t shape[2] = {0, 3};
  grt_store_t *s = NULL;
  assert_int_equal(grt_store_attach(rt, grt_type_uint8(), 2, shape, NULL, &s), 0);
  assert_true(grt__store_of(s)->root->attached);
  assert_int_equal(grt__root_whole_instance(grt__store_of(s)->root, &g_mem, NULL), 0);
  grt_store_destroy(s);
}

static void test_store_instance_zeroed_and_budgeted(void **state) {
  grt_store_ctx_t *rt = *state;
  const int64_t shape[2] = {10, 10};
  grt_store_t *s = NULL, *v = NULL;
  size_t used0 = atomic_load(&g_mem.used);
  assert_int_equal(grt_store_create(rt, grt_type_int64(), 2, shape, &s), 0);
  assert_int_equal(grt_store_slice(s, 1, 2, 4, &v), 0);
  assert_int_equal(grt__root_whole_instance(grt__store_of(v)->root, &g_mem, NULL), 0);
  void *data = grt__root_whole(grt__store_of(s)->root)->data;
  assert_non_null(data);
  assert_int_equal(grt__root_whole(grt__store_of(s)->root)->bytes, 800);
  assert_ptr_equal(grt__root_whole(grt__store_of(s)->root)->mem, &g_mem);
  for (int k = 0; k < 100; k++) assert_int_equal(((int64_t *)data)[k], 0);
  assert_int_equal(atomic_load(&g_mem.used), used0 + 800);
  /* Idempotent. */
  assert_int_equal(grt__root_whole_instance(grt__store_of(s)->root, &g_mem, NULL), 0);
  assert_ptr_equal(grt__root_whole(grt__store_of(s)->root)->data, data);
  grt_store_destroy(s);
  assert_int_equal(atomic_load(&g_mem.used), used0 + 800);  /* the view still holds the root */
  grt_store_destroy(v);
  assert_int_equal(atomic_load(&g_mem.used), used0);
}

static void test_store_instance_over_budget(void **state) {
  grt_store_ctx_t *rt = *state;
  grt_memory_t small;
  grt__mem_init(&small, GRT_MEM_SYSMEM, 1000);
  const int64_t shape[1] = {200};
  grt_store_t *s = NULL;
  assert_int_equal(grt_store_create(rt, grt_type_float64(), 1, shape, &s), 0);
  assert_int_equal(grt__root_whole_instance(grt__store_of(s)->root, &small, NULL), GRT_ENOMEM);
  assert_non_null(strstr(grt_last_error(), "sysmem"));
  assert_non_null(strstr(grt_last_error(), "1600"));
  assert_null(grt__root_whole(grt__store_of(s)->root));
  assert_int_equal(grt__root_whole_instance(grt__store_of(s)->root, NULL, NULL), GRT_EINVAL);
  grt_memory_t big;
  grt__mem_init(&big, GRT_MEM_SYSMEM, 4096);
  assert_int_equal(grt__root_whole_instance(grt__store_of(s)->root, &big, NULL), 0);
  assert_int_equal(atomic_load(&big.used), 1600);
  grt_store_destroy(s);
  assert_int_equal(atomic_load(&big.used), 0);
}

static int hook_calls;
static uint64_t hook_id;
static void count_release(grt_store_root_t *root) {
  hook_calls++;
  hook_id = root->id;
}

static void test_store_release_hook_runs_at_last_reference(void **state) {
  grt_store_ctx_t *rt = *state;
  const int64_t shape[1] = {8};
  grt_store_t *s = NULL, *v = NULL;
  assert_int_equal(grt_store_create(rt, grt_type_int32(), 1, shape, &s), 0);
  uint64_t id = grt__store_of(s)->root->id;
  grt__store_of(s)->root->release = count_release;
  hook_calls = 0;
  grt_store_root_t *root = grt__store_of(s)->root;
  assert_int_equal(grt_store_promote(s, 0, 3, &v), 0);
  grt__root_acquire(root);           /* an in-flight operation */
  grt_store_destroy(s);
  grt_store_destroy(v);
  assert_int_equal(hook_calls, 0);   /* deferred: the operation still uses it */
  assert_int_equal(atomic_load(&root->refs), 1);
  grt__root_release(root);
  assert_int_equal(hook_calls, 1);
  assert_int_equal(hook_id, id);
}

static void test_store_use_after_destroy_is_estate(void **state) {
  grt_store_ctx_t *rt = *state;
  const int64_t shape[2] = {3, 3};
  grt_store_t *s = NULL, *v = NULL;
  assert_int_equal(grt_store_create(rt, grt_type_int32(), 2, shape, &s), 0);
  grt_store_destroy(s);
  assert_int_equal(grt_store_ndim(s), GRT_ESTATE);
  assert_non_null(strstr(grt_last_error(), "destroyed"));
  assert_null(grt_store_type(s));
  int64_t got[2] = {-1, -1};
  grt_store_shape(s, got);
  assert_int_equal(got[0], -1);
  assert_int_equal(grt_store_slice(s, 0, 0, 1, &v), GRT_ESTATE);
  assert_null(v);
  grt_store_destroy(s);              /* twice: reported, not a crash */
  assert_non_null(strstr(grt_last_error(), "already destroyed"));
  grt_store_destroy(NULL);
}

static void test_store_detached_root_is_estate(void **state) {
  grt_store_ctx_t *rt = *state;
  int16_t buf[4] = {0};
  const int64_t shape[1] = {4};
  grt_store_t *s = NULL, *v = NULL;
  assert_int_equal(grt_store_attach(rt, grt_type_int16(), 1, shape, buf, &s), 0);
  assert_int_equal(grt_store_slice(s, 0, 1, 2, &v), 0);
  grt__store_of(s)->root->detached = true;          /* what grt_store_detach does */
  grt_store_t *obj = (grt_store_t *)&obj;
  assert_int_equal(grt__store_get(v, "grt_test", "v", &obj), GRT_ESTATE);
  assert_null(obj);
  assert_non_null(strstr(grt_last_error(), "grt_test: v: its root store"));
  assert_non_null(strstr(grt_last_error(), "detached"));
  assert_int_equal(grt_store_ndim(s), GRT_ESTATE);
  grt_store_destroy(v);              /* handles of a detached store are still destroyed */
  grt_store_destroy(s);
}

static void test_store_struct_and_binary_element_types(void **state) {
  grt_store_ctx_t *rt = *state;
  const grt_type_t *f[] = {grt_type_int8(), grt_type_float64()};
  const grt_type_t *st = grt_type_struct(rt, 2, f);
  const grt_type_t *bin = grt_type_fixed_binary(rt, 13);
  const int64_t shape[1] = {10};
  grt_store_t *a = NULL, *b = NULL;
  assert_int_equal(grt_store_create(rt, st, 1, shape, &a), 0);
  assert_int_equal(grt_store_create(rt, bin, 1, shape, &b), 0);
  assert_ptr_equal(grt_store_type(a), st);
  assert_int_equal(grt__root_whole_instance(grt__store_of(b)->root, &g_mem, NULL), 0);
  assert_int_equal(grt__root_whole(grt__store_of(b)->root)->bytes, 130);
  grt_store_destroy(a);
  grt_store_destroy(b);
}

typedef struct {
  grt_store_root_t *root;
  grt_store_t *s;
} race_arg_t;

static void *race(void *p) {
  race_arg_t *a = p;
  for (int k = 0; k < 20000; k++) {
    grt__root_acquire(a->root);
    grt__root_release(a->root);
  }
  for (int k = 0; k < 200; k++) {
    grt_store_t *v = NULL;
    if (grt_store_slice(a->s, 0, 0, 1, &v) == 0) grt_store_destroy(v);
  }
  return NULL;
}

static void test_store_refcount_is_thread_safe(void **state) {
  grt_store_ctx_t *rt = *state;
  const int64_t shape[1] = {4};
  grt_store_t *s = NULL;
  assert_int_equal(grt_store_create(rt, grt_type_int32(), 1, shape, &s), 0);
  pthread_t th[8];
  race_arg_t arg = {grt__store_of(s)->root, s};
  for (int i = 0; i < 8; i++) assert_int_equal(pthread_create(&th[i], NULL, race, &arg), 0);
  for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
  assert_int_equal(refs(s), 1);
  grt_store_destroy(s);
}

static void test_store_max_extent_accepted_for_bytes(void **state) {
  grt_store_ctx_t *rt = *state;
  /* The largest int8 store whose byte size fits: created (no memory yet). */
  const int64_t shape[1] = {INT64_MAX};
  grt_store_t *s = NULL;
  assert_int_equal(grt_store_create(rt, grt_type_int8(), 1, shape, &s), 0);
  assert_int_equal(grt__store_of(s)->root->volume, INT64_MAX);
  grt_store_destroy(s);
  const int64_t shape2[2] = {INT64_MAX / 8, 1};
  assert_int_equal(grt_store_create(rt, grt_type_int64(), 2, shape2, &s), 0);
  grt_store_destroy(s);
  /* Elements wider than INT64_MAX bytes: not even one fits (the check is on
   * the non-zero extents, so an empty shape does not escape it). */
  const grt_type_t *huge = grt_type_fixed_binary(rt, SIZE_MAX);
  const int64_t one[1] = {1}, none[1] = {0};
  assert_int_equal(grt_store_create(rt, huge, 1, one, &s), GRT_EINVAL);
  assert_non_null(strstr(grt_last_error(), "shape[0]"));
  assert_int_equal(grt_store_create(rt, huge, 1, none, &s), GRT_EINVAL);
  assert_null(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_store_create_reports_shape_type_ndim),
      cmocka_unit_test(test_store_covers_root_needs_whole_shape),
      cmocka_unit_test(test_store_ids_are_sequence_numbers),
      cmocka_unit_test(test_store_zero_extent_is_legal),
      cmocka_unit_test(test_store_view_shapes),
      cmocka_unit_test(test_store_views_alias_root),
      cmocka_unit_test(test_store_attach_uses_app_buffer),
      cmocka_unit_test(test_store_attach_empty_null_buffer),
      cmocka_unit_test(test_store_instance_zeroed_and_budgeted),
      cmocka_unit_test(test_store_instance_over_budget),
      cmocka_unit_test(test_store_release_hook_runs_at_last_reference),
      cmocka_unit_test(test_store_use_after_destroy_is_estate),
      cmocka_unit_test(test_store_detached_root_is_estate),
      cmocka_unit_test(test_store_struct_and_binary_element_types),
      cmocka_unit_test(test_store_refcount_is_thread_safe),
      cmocka_unit_test(test_store_max_extent_accepted_for_bytes),
  };
  return cmocka_run_group_tests(tests, setup_rt, test_ctx_teardown);
}
