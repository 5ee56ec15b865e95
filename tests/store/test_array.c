/* test_array.c - arrays: data store plus optional bool validity store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "grt.h"
#include "store_fixture.h"

static void test_array_nullable_has_bool_validity(void **state) {
  grt_store_ctx_t *rt = *state;
  const int64_t shape[2] = {3, 7};
  grt_array_t *a = NULL;
  assert_int_equal(grt_array_create(rt, grt_type_float32(), 2, shape, true, &a), 0);
  grt_store_t *d = grt_array_data(a), *v = grt_array_validity(a);
  assert_non_null(d);
  assert_non_null(v);
  assert_ptr_equal(grt_store_type(d), grt_type_float32());
  assert_ptr_equal(grt_store_type(v), grt_type_bool());
  int64_t sd[2], sv[2];
  grt_store_shape(d, sd);
  grt_store_shape(v, sv);
  assert_memory_equal(sd, shape, sizeof shape);
  assert_memory_equal(sv, shape, sizeof shape);
  assert_ptr_not_equal(grt__store_of(d)->root, grt__store_of(v)->root);   /* two roots: writing one never aliases the other */
  grt_array_destroy(a);
}

static void test_array_not_nullable_has_no_validity(void **state) {
  grt_store_ctx_t *rt = *state;
  const int64_t shape[1] = {5};
  grt_array_t *a = NULL;
  assert_int_equal(grt_array_create(rt, grt_type_int64(), 1, shape, false, &a), 0);
  assert_non_null(grt_array_data(a));
  assert_null(grt_array_validity(a));
  grt_array_destroy(a);
}

static void test_array_zero_extent(void **state) {
  grt_store_ctx_t *rt = *state;
  const int64_t shape[3] = {2, 0, 4};
  grt_array_t *a = NULL;
  assert_int_equal(grt_array_create(rt, grt_type_uint8(), 3, shape, true, &a), 0);
  assert_int_equal(grt_store_ndim(grt_array_validity(a)), 3);
  grt_array_destroy(a);
}

static void test_array_view_outlives_array(void **state) {
  grt_store_ctx_t *rt = *state;
  const int64_t shape[1] = {6};
  grt_array_t *a = NULL;
  grt_store_t *v = NULL;
  assert_int_equal(grt_array_create(rt, grt_type_int32(), 1, shape, true, &a), 0);
  assert_int_equal(grt_store_slice(grt_array_validity(a), 0, 2, 4, &v), 0);
  grt_store_t *data = grt_array_data(a);
  grt_array_destroy(a);
  /* The array's handles are destroyed; the view keeps the validity root. */
  assert_int_equal(grt_store_ndim(data), GRT_ESTATE);
  assert_int_equal(grt_store_ndim(v), 1);
  assert_int_equal(atomic_load(&grt__store_of(v)->root->refs), 1);
  grt_store_destroy(v);
}

static void test_array_bad_input(void **state) {
  grt_store_ctx_t *rt = *state;
  const int64_t shape[1] = {6};
  const int64_t bad[1] = {-6};
  grt_array_t *a = (grt_array_t *)0x1;
  assert_int_equal(grt_array_create(rt, grt_type_int32(), 1, bad, true, &a), GRT_EINVAL);
  assert_null(a);
  assert_non_null(strstr(grt_last_error(), "grt_array_create: shape[0]"));
  assert_int_equal(grt_array_create(rt, NULL, 1, shape, false, &a), GRT_EINVAL);
  assert_non_null(strstr(grt_last_error(), "grt_array_create: type"));
  assert_int_equal(grt_array_create(NULL, grt_type_int32(), 1, shape, false, &a), GRT_EINVAL);
  assert_non_null(strstr(grt_last_error(), "grt_array_create: rt"));
  assert_int_equal(grt_array_create(rt, grt_type_int32(), 5, shape, true, &a), GRT_EINVAL);
  assert_non_null(strstr(grt_last_error(), "ndim"));
  assert_int_equal(grt_array_create(rt, grt_type_int32(), 1, shape, true, NULL), GRT_EINVAL);
  assert_non_null(strstr(grt_last_error(), "out"));
  assert_null(grt_array_data(NULL));
  assert_non_null(strstr(grt_last_error(), "grt_array_data: a"));
  assert_null(grt_array_validity(NULL));
  assert_non_null(strstr(grt_last_error(), "grt_array_validity: a"));
  grt_array_destroy(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_array_nullable_has_bool_validity),
      cmocka_unit_test(test_array_not_nullable_has_no_validity),
      cmocka_unit_test(test_array_zero_extent),
      cmocka_unit_test(test_array_view_outlives_array),
      cmocka_unit_test(test_array_bad_input),
  };
  return cmocka_run_group_tests(tests, test_ctx_setup, test_ctx_teardown);
}
