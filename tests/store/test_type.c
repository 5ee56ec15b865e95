/* test_type.c - built-in types, derived types, interning and layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "grt.h"
#include "store_fixture.h"
#include "type.h"

typedef struct {
  const grt_type_t *(*get)(void);
  int code;
  const char *format;
  size_t size, align;
  int numeric;
} builtin_row_t;

static const builtin_row_t builtins[] = {
    {grt_type_bool, GRT_TYPE_BOOL, "b", 1, 1, 0},
    {grt_type_int8, GRT_TYPE_INT8, "c", 1, 1, 1},
    {grt_type_int16, GRT_TYPE_INT16, "s", 2, 2, 1},
    {grt_type_int32, GRT_TYPE_INT32, "i", 4, 4, 1},
    {grt_type_int64, GRT_TYPE_INT64, "l", 8, 8, 1},
    {grt_type_uint8, GRT_TYPE_UINT8, "C", 1, 1, 1},
    {grt_type_uint16, GRT_TYPE_UINT16, "S", 2, 2, 1},
    {grt_type_uint32, GRT_TYPE_UINT32, "I", 4, 4, 1},
    {grt_type_uint64, GRT_TYPE_UINT64, "L", 8, 8, 1},
    {grt_type_float16, GRT_TYPE_FLOAT16, "e", 2, 2, 1},
    {grt_type_float32, GRT_TYPE_FLOAT32, "f", 4, 4, 1},
    {grt_type_float64, GRT_TYPE_FLOAT64, "g", 8, 8, 1},
    {grt_type_complex64, GRT_TYPE_COMPLEX64, "+w:2", 8, 4, 1},
    {grt_type_complex128, GRT_TYPE_COMPLEX128, "+w:2", 16, 8, 1},
};
#define NROWS (sizeof builtins / sizeof builtins[0])

static void test_type_builtin_table(void **state) {
  (void)state;
  for (size_t i = 0; i < NROWS; i++) {
    const builtin_row_t *r = &builtins[i];
    const grt_type_t *t = r->get();
    assert_non_null(t);
    assert_ptr_equal(t, r->get()); /* static: same pointer every call */
    assert_int_equal(grt_type_code(t), r->code);
    assert_string_equal(grt_type_format(t), r->format);
    assert_int_equal(grt_type_size(t), r->size);
    assert_int_equal(grt_type_alignment(t), r->align);
    assert_int_equal(grt__type_is_numeric(t), r->numeric);
    assert_true(grt__type_is_builtin(t));
  }
}

static void test_type_builtin_sizes_match_c(void **state) {
  (void)state;
  assert_int_equal(grt_type_size(grt_type_bool()), sizeof(bool));
  assert_int_equal(grt_type_alignment(grt_type_int64()), _Alignof(int64_t));
  assert_int_equal(grt_type_alignment(grt_type_float64()), _Alignof(double));
  assert_int_equal(grt_type_size(grt_type_complex64()), sizeof(float _Complex));
  assert_int_equal(grt_type_alignment(grt_type_complex64()), _Alignof(float _Complex));
  assert_int_equal(grt_type_size(grt_type_complex128()), sizeof(double _Complex));
  assert_int_equal(grt_type_alignment(grt_type_complex128()), _Alignof(double _Complex));
}

static void test_type_complex_child_is_float(void **state) {
  (void)state;
  assert_int_equal(grt_type_num_fields(grt_type_complex64()), 1);
  assert_ptr_equal(grt_type_field(grt_type_complex64(), 0), grt_type_float32());
  assert_ptr_equal(grt_type_field(grt_type_complex128(), 0), grt_type_float64());
  assert_int_equal(grt_type_field_offset(grt_type_complex128(), 0), 0);
  assert_int_equal(grt_type_num_fields(grt_type_int32()), 0);
}

static void test_type_fixed_binary_interned(void **state) {
  grt_store_ctx_t *rt = *state;
  const grt_type_t *a = grt_type_fixed_binary(rt, 16);
  const grt_type_t *b = grt_type_fixed_binary(rt, 16);
  const grt_type_t *c = grt_type_fixed_binary(rt, 3);
  assert_non_null(a);
  assert_ptr_equal(a, b);
  assert_ptr_not_equal(a, c);
  assert_string_equal(grt_type_format(a), "w:16");
  assert_string_equal(grt_type_format(c), "w:3");
  assert_int_equal(grt_type_size(c), 3);
  assert_int_equal(grt_type_alignment(c), 1);
  assert_int_equal(grt_type_code(a), GRT_TYPE_FIXED_BINARY);
  assert_false(grt__type_is_numeric(a));
  assert_true(grt__type_known(rt->types, a));
}

static void test_type_fixed_binary_huge_width_format(void **state) {
  grt_store_ctx_t *rt = *state;
  const grt_type_t *t = grt_type_fixed_binary(rt, SIZE_MAX);
  assert_non_null(t);
  char want[32];
  snprintf(want, sizeof want, "w:%zu", (size_t)SIZE_MAX);
  assert_string_equal(grt_type_format(t), want);
}

static void test_type_struct_c_layout(void **state) {
  grt_store_ctx_t *rt = *state;
  struct c_layout {
    int8_t a;
    double b;
    int16_t c;
  };
  const grt_type_t *f[] = {grt_type_int8(), grt_type_float64(), grt_type_int16()};
  const grt_type_t *t = grt_type_struct(rt, 3, f);
  assert_non_null(t);
  assert_string_equal(grt_type_format(t), "+s");
  assert_int_equal(grt_type_code(t), GRT_TYPE_STRUCT);
  assert_int_equal(grt_type_num_fields(t), 3);
  assert_int_equal(grt_type_size(t), sizeof(struct c_layout));
  assert_int_equal(grt_type_alignment(t), _Alignof(struct c_layout));
  assert_int_equal(grt_type_field_offset(t, 0), offsetof(struct c_layout, a));
  assert_int_equal(grt_type_field_offset(t, 1), offsetof(struct c_layout, b));
  assert_int_equal(grt_type_field_offset(t, 2), offsetof(struct c_layout, c));
  for (int i = 0; i < 3; i++) assert_ptr_equal(grt_type_field(t, i), f[i]);
  assert_false(grt__type_is_numeric(t));
}

static void test_type_struct_nested_and_interned(void **state) {
  grt_store_ctx_t *rt = *state;
  struct inner {
    uint16_t x;
    uint8_t y;
  };
  struct outer {
    uint8_t a;
    struct inner in;
    float _Complex z;
    char w[5];
  };
  const grt_type_t *fi[] = {grt_type_uint16(), grt_type_uint8()};
  const grt_type_t *inner = grt_type_struct(rt, 2, fi);
  const grt_type_t *w5 = grt_type_fixed_binary(rt, 5);
  const grt_type_t *fo[] = {grt_type_uint8(), inner, grt_type_complex64(), w5};
  const grt_type_t *outer = grt_type_struct(rt, 4, fo);
  assert_non_null(outer);
  assert_int_equal(grt_type_size(inner), sizeof(struct inner));
  assert_int_equal(grt_type_size(outer), sizeof(struct outer));
  assert_int_equal(grt_type_alignment(outer), _Alignof(struct outer));
  assert_int_equal(grt_type_field_offset(outer, 1), offsetof(struct outer, in));
  assert_int_equal(grt_type_field_offset(outer, 2), offsetof(struct outer, z));
  assert_int_equal(grt_type_field_offset(outer, 3), offsetof(struct outer, w));
  /* Equal field lists give the same pointer; a different order does not. */
  assert_ptr_equal(grt_type_struct(rt, 2, fi), inner);
  const grt_type_t *fr[] = {grt_type_uint8(), grt_type_uint16()};
  assert_ptr_not_equal(grt_type_struct(rt, 2, fr), inner);
  const grt_type_t *fo2[] = {grt_type_uint8(), grt_type_struct(rt, 2, fi), grt_type_complex64(),
                             grt_type_fixed_binary(rt, 5)};
  assert_ptr_equal(grt_type_struct(rt, 4, fo2), outer);
}

static void test_type_struct_one_field(void **state) {
  grt_store_ctx_t *rt = *state;
  const grt_type_t *f[] = {grt_type_bool()};
  const grt_type_t *t = grt_type_struct(rt, 1, f);
  assert_non_null(t);
  assert_int_equal(grt_type_size(t), 1);
  assert_ptr_not_equal(t, grt_type_bool());
}

static void test_type_runtimes_have_separate_registries(void **state) {
  grt_store_ctx_t *rt = *state, *rt2 = NULL;
  assert_int_equal(test_ctx_open(&rt2), 0);
  const grt_type_t *a = grt_type_fixed_binary(rt, 7);
  const grt_type_t *b = grt_type_fixed_binary(rt2, 7);
  assert_ptr_not_equal(a, b);
  assert_false(grt__type_known(rt->types, b));
  /* A struct may not take a field made by another runtime. */
  const grt_type_t *f[] = {b};
  assert_null(grt_type_struct(rt, 1, f));
  assert_non_null(strstr(grt_last_error(), "fields[0]"));
  assert_int_equal(test_ctx_close(rt2), 0);
}

static void test_type_null_queries(void **state) {
  (void)state;
  assert_int_equal(grt_type_size(NULL), 0);
  assert_int_equal(grt_type_alignment(NULL), 0);
  assert_null(grt_type_format(NULL));
  assert_int_equal(grt_type_code(NULL), GRT_EINVAL);
  assert_int_equal(grt_type_num_fields(NULL), GRT_EINVAL);
  assert_null(grt_type_field(NULL, 0));
  assert_int_equal(grt_type_field_offset(NULL, 0), 0);
  assert_non_null(strstr(grt_last_error(), "t is NULL"));
  assert_null(grt_type_field(grt_type_int32(), 0));
  assert_non_null(strstr(grt_last_error(), "i 0 out of range"));
  assert_false(grt__type_is_numeric(NULL));
  assert_false(grt__type_known(NULL, NULL));
}

static void test_type_bad_derived_args(void **state) {
  grt_store_ctx_t *rt = *state;
  assert_null(grt_type_fixed_binary(rt, 0));
  assert_non_null(strstr(grt_last_error(), "width"));
  assert_null(grt_type_fixed_binary(NULL, 4));
  assert_non_null(strstr(grt_last_error(), "rt"));
  assert_null(grt_type_struct(rt, 0, NULL));
  assert_non_null(strstr(grt_last_error(), "n is 0"));
  assert_null(grt_type_struct(rt, 2, NULL));
  assert_non_null(strstr(grt_last_error(), "fields is NULL"));
  const grt_type_t *f[] = {grt_type_int8(), NULL};
  assert_null(grt_type_struct(rt, 2, f));
  assert_non_null(strstr(grt_last_error(), "fields[1] is NULL"));
  /* A struct too large for size_t. */
  const grt_type_t *big = grt_type_fixed_binary(rt, SIZE_MAX - 2);
  const grt_type_t *g[] = {grt_type_int32(), big};
  assert_null(grt_type_struct(rt, 2, g));
  assert_non_null(strstr(grt_last_error(), "SIZE_MAX"));
}

typedef struct {
  grt_store_ctx_t *rt;
  const grt_type_t *got[64];
} intern_arg_t;

static void *intern_many(void *p) {
  intern_arg_t *a = p;
  for (int w = 1; w <= 32; w++) a->got[w - 1] = grt_type_fixed_binary(a->rt, (size_t)w);
  for (int w = 1; w <= 32; w++) {
    const grt_type_t *f[] = {grt_type_int32(), a->got[w - 1]};
    a->got[32 + w - 1] = grt_type_struct(a->rt, 2, f);
  }
  return NULL;
}

static void test_type_interning_is_thread_safe(void **state) {
  grt_store_ctx_t *rt = *state;
  enum { NT = 8 };
  static intern_arg_t args[NT];
  pthread_t th[NT];
  for (int i = 0; i < NT; i++) {
    args[i].rt = rt;
    assert_int_equal(pthread_create(&th[i], NULL, intern_many, &args[i]), 0);
  }
  for (int i = 0; i < NT; i++) pthread_join(th[i], NULL);
  for (int k = 0; k < 64; k++) {
    assert_non_null(args[0].got[k]);
    for (int i = 1; i < NT; i++) assert_ptr_equal(args[i].got[k], args[0].got[k]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_type_builtin_table),
      cmocka_unit_test(test_type_builtin_sizes_match_c),
      cmocka_unit_test(test_type_complex_child_is_float),
      cmocka_unit_test(test_type_fixed_binary_interned),
      cmocka_unit_test(test_type_fixed_binary_huge_width_format),
      cmocka_unit_test(test_type_struct_c_layout),
      cmocka_unit_test(test_type_struct_nested_and_interned),
      cmocka_unit_test(test_type_struct_one_field),
      cmocka_unit_test(test_type_runtimes_have_separate_registries),
      cmocka_unit_test(test_type_null_queries),
      cmocka_unit_test(test_type_bad_derived_args),
      cmocka_unit_test(test_type_interning_is_thread_safe),
  };
  return cmocka_run_group_tests(tests, test_ctx_setup, test_ctx_teardown);
}
