/* test_store_bad_input.c - a table of bad inputs to store, view and type calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "grt.h"
#include "store_fixture.h"

/* What every row may use: a live runtime, a second one (its types are
 * foreign here), a 2-D store s (3 x 4 int32), a 1-D store s1, a 4-D store
 * s4 and a destroyed handle. */
typedef struct {
  grt_store_ctx_t *rt, *rt2;
  grt_store_t *s, *s1, *s4, *dead;
  int32_t buf[12];
} fx_t;

static fx_t fx;
static const int64_t shape2[2] = {3, 4};

typedef int (*call_fn)(fx_t *f, grt_store_t **out);

typedef struct {
  const char *name;
  call_fn call;
  int code;           /* the exact error code */
  const char *fn;     /* the message names the function ... */
  const char *arg;    /* ... and the argument */
} row_t;

/* Pointer-returning calls report failure as NULL; these wrappers turn that
 * into the error code the row expects (always GRT_EINVAL for them). */
#define NULL_AS_EINVAL(expr) ((expr) ? 0 : GRT_EINVAL)

static char not_a_runtime;

/* ---- create / attach ---- */
static int c_rt_null(fx_t *f, grt_store_t **o) {
  return grt_store_create(NULL, grt_type_int32(), 2, shape2, o);
}
static int c_rt_bogus(fx_t *f, grt_store_t **o) {
  return grt_store_create((grt_store_ctx_t *)&not_a_runtime, grt_type_int32(), 2, shape2, o);
}
static int c_type_null(fx_t *f, grt_store_t **o) { return grt_store_create(f->rt, NULL, 2, shape2, o); }
static int c_type_foreign(fx_t *f, grt_store_t **o) {
  return grt_store_create(f->rt, grt_type_fixed_binary(f->rt2, 3), 2, shape2, o);
}
static int c_ndim0(fx_t *f, grt_store_t **o) { return grt_store_create(f->rt, grt_type_int32(), 0, shape2, o); }
static int c_ndim5(fx_t *f, grt_store_t **o) { return grt_store_create(f->rt, grt_type_int32(), 5, shape2, o); }
static int c_ndimneg(fx_t *f, grt_store_t **o) {
  return grt_store_create(f->rt, grt_type_int32(), -1, shape2, o);
}
static int c_shape_null(fx_t *f, grt_store_t **o) { return grt_store_create(f->rt, grt_type_int32(), 2, NULL, o); }
static int c_shape_neg(fx_t *f, grt_store_t **o) {
  const int64_t sh[2] = {3, -4};
  return grt_store_create(f->rt, grt_type_int32(), 2, sh, o);
}
static int c_shape_overflow(fx_t *f, grt_store_t **o) {
  const int64_t sh[2] = {(int64_t)1 << 40, (int64_t)1 << 40};
  return grt_store_create(f->rt, grt_type_int32(), 2, sh, o);
}
static int c_bytes_overflow(fx_t *f, grt_store_t **o) {
  const int64_t sh[1] = {INT64_MAX / 2};
  return grt_store_create(f->rt, grt_type_int64(), 1, sh, o);
}
static int c_overflow_beside_zero(fx_t *f, grt_store_t **o) {
  const int64_t sh[3] = {0, INT64_MAX, 2};
  return grt_store_create(f->rt, grt_type_int8(), 3, sh, o);
}
static int c_out_null(fx_t *f, grt_store_t **o) { return grt_store_create(f->rt, grt_type_int32(), 2, shape2, NULL); }
static int a_buf_null(fx_t *f, grt_store_t **o) {
  return grt_store_attach(f->rt, grt_type_int32(), 2, shape2, NULL, o);
}
static int a_buf_misaligned(fx_t *f, grt_store_t **o) {
  return grt_store_attach(f->rt, grt_type_int32(), 1, shape2, (char *)f->buf + 1, o);
}
static int a_ndim(fx_t *f, grt_store_t **o) {
  return grt_store_attach(f->rt, grt_type_int32(), 9, shape2, f->buf, o);
}
static int a_rt_null(fx_t *f, grt_store_t **o) {
  return grt_store_attach(NULL, grt_type_int32(), 2, shape2, f->buf, o);
}

/* ---- queries ---- */
static int q_ndim_null(fx_t *f, grt_store_t **o) { return grt_store_ndim(NULL); }
static int q_ndim_dead(fx_t *f, grt_store_t **o) { return grt_store_ndim(f->dead); }
static int q_type_dead(fx_t *f, grt_store_t **o) { return NULL_AS_EINVAL(grt_store_type(f->dead)) ? GRT_ESTATE : 0; }

/* ---- slice ---- */
static int s_null(fx_t *f, grt_store_t **o) { return grt_store_slice(NULL, 0, 0, 1, o); }
static int s_dead(fx_t *f, grt_store_t **o) { return grt_store_slice(f->dead, 0, 0, 1, o); }
static int s_dim_neg(fx_t *f, grt_store_t **o) { return grt_store_slice(f->s, -1, 0, 1, o); }
static int s_dim_big(fx_t *f, grt_store_t **o) { return grt_store_slice(f->s, 2, 0, 1, o); }
static int s_start_neg(fx_t *f, grt_store_t **o) { return grt_store_slice(f->s, 1, -1, 2, o); }
static int s_start_big(fx_t *f, grt_store_t **o) { return grt_store_slice(f->s, 1, 5, 5, o); }
static int s_stop_lt_start(fx_t *f, grt_store_t **o) { return grt_store_slice(f->s, 1, 2, 1, o); }
static int s_stop_big(fx_t *f, grt_store_t **o) { return grt_store_slice(f->s, 0, 0, 4, o); }
static int s_out_null(fx_t *f, grt_store_t **o) { return grt_store_slice(f->s, 0, 0, 1, NULL); }

/* ---- transpose ---- */
static int t_perm_null(fx_t *f, grt_store_t **o) { return grt_store_transpose(f->s, NULL, o); }
static int t_perm_big(fx_t *f, grt_store_t **o) {
  const int p[2] = {0, 2};
  return grt_store_transpose(f->s, p, o);
}
static int t_perm_neg(fx_t *f, grt_store_t **o) {
  const int p[2] = {-1, 0};
  return grt_store_transpose(f->s, p, o);
}
static int t_perm_repeat(fx_t *f, grt_store_t **o) {
  const int p[2] = {1, 1};
  return grt_store_transpose(f->s, p, o);
}
static int t_dead(fx_t *f, grt_store_t **o) {
  const int p[2] = {1, 0};
  return grt_store_transpose(f->dead, p, o);
}

/* ---- promote ---- */
static int p_dim_big(fx_t *f, grt_store_t **o) { return grt_store_promote(f->s, 3, 2, o); }
static int p_dim_neg(fx_t *f, grt_store_t **o) { return grt_store_promote(f->s, -1, 2, o); }
static int p_size_neg(fx_t *f, grt_store_t **o) { return grt_store_promote(f->s, 0, -2, o); }
static int p_size_overflow(fx_t *f, grt_store_t **o) { return grt_store_promote(f->s, 1, INT64_MAX / 4, o); }
static int p_too_many(fx_t *f, grt_store_t **o) { return grt_store_promote(f->s4, 0, 2, o); }
static int p_out_null(fx_t *f, grt_store_t **o) { return grt_store_promote(f->s, 0, 2, NULL); }

/* ---- project ---- */
static int j_dim_big(fx_t *f, grt_store_t **o) { return grt_store_project(f->s, 2, 0, o); }
static int j_index_neg(fx_t *f, grt_store_t **o) { return grt_store_project(f->s, 0, -1, o); }
static int j_index_big(fx_t *f, grt_store_t **o) { return grt_store_project(f->s, 0, 3, o); }
static int j_last_dim(fx_t *f, grt_store_t **o) { return grt_store_project(f->s1, 0, 0, o); }
static int j_null(fx_t *f, grt_store_t **o) { return grt_store_project(NULL, 0, 0, o); }

/* ---- delinearize ---- */
static int d_dim_big(fx_t *f, grt_store_t **o) {
  const int64_t z[2] = {2, 2};
  return grt_store_delinearize(f->s, 7, 2, z, o);
}
static int d_n_zero(fx_t *f, grt_store_t **o) {
  const int64_t z[1] = {4};
  return grt_store_delinearize(f->s, 1, 0, z, o);
}
static int d_n_too_many(fx_t *f, grt_store_t **o) {
  const int64_t z[4] = {1, 1, 2, 2};
  return grt_store_delinearize(f->s, 1, 4, z, o);
}
static int d_sizes_null(fx_t *f, grt_store_t **o) { return grt_store_delinearize(f->s, 1, 2, NULL, o); }
static int d_sizes_neg(fx_t *f, grt_store_t **o) {
  const int64_t z[2] = {-2, -2};
  return grt_store_delinearize(f->s, 1, 2, z, o);
}
static int d_sizes_mismatch(fx_t *f, grt_store_t **o) {
  const int64_t z[2] = {2, 3};
  return grt_store_delinearize(f->s, 1, 2, z, o);
}
static int d_sizes_zero(fx_t *f, grt_store_t **o) {
  const int64_t z[2] = {0, 4};
  return grt_store_delinearize(f->s, 1, 2, z, o);
}
static int d_sizes_overflow(fx_t *f, grt_store_t **o) {
  const int64_t z[2] = {INT64_MAX, 4};
  return grt_store_delinearize(f->s, 1, 2, z, o);
}

/* ---- types ---- */
static int y_binary_zero(fx_t *f, grt_store_t **o) { return NULL_AS_EINVAL(grt_type_fixed_binary(f->rt, 0)); }
static int y_binary_rt_bogus(fx_t *f, grt_store_t **o) {
  return grt_type_fixed_binary((grt_store_ctx_t *)&not_a_runtime, 4) ? 0 : GRT_ESTATE;
}
static int y_struct_n0(fx_t *f, grt_store_t **o) {
  const grt_type_t *fs[1] = {grt_type_int8()};
  return NULL_AS_EINVAL(grt_type_struct(f->rt, 0, fs));
}
static int y_struct_fields_null(fx_t *f, grt_store_t **o) { return NULL_AS_EINVAL(grt_type_struct(f->rt, 1, NULL)); }
static int y_struct_field_null(fx_t *f, grt_store_t **o) {
  const grt_type_t *fs[2] = {grt_type_int8(), NULL};
  return NULL_AS_EINVAL(grt_type_struct(f->rt, 2, fs));
}
static int y_code_null(fx_t *f, grt_store_t **o) { return grt_type_code(NULL); }
static int y_field_range(fx_t *f, grt_store_t **o) { return NULL_AS_EINVAL(grt_type_field(grt_type_complex64(), 1)); }
static int r_array_ndim(fx_t *f, grt_store_t **o) {
  grt_array_t *a = NULL;
  int rc = grt_array_create(f->rt, grt_type_int32(), 0, shape2, true, &a);
  grt_array_destroy(a);
  return rc;
}

static const row_t rows[] = {
    {"create: rt NULL", c_rt_null, GRT_EINVAL, "grt_store_create", "rt"},
    {"create: rt not a runtime", c_rt_bogus, GRT_ESTATE, "grt_store_create", "rt"},
    {"create: type NULL", c_type_null, GRT_EINVAL, "grt_store_create", "type"},
    {"create: type of another runtime", c_type_foreign, GRT_EINVAL, "grt_store_create", "type"},
    {"create: ndim 0", c_ndim0, GRT_EINVAL, "grt_store_create", "ndim 0"},
    {"create: ndim 5", c_ndim5, GRT_EINVAL, "grt_store_create", "ndim 5"},
    {"create: ndim -1", c_ndimneg, GRT_EINVAL, "grt_store_create", "ndim -1"},
    {"create: shape NULL", c_shape_null, GRT_EINVAL, "grt_store_create", "shape"},
    {"create: negative extent", c_shape_neg, GRT_EINVAL, "grt_store_create", "shape[1]"},
    {"create: volume overflow", c_shape_overflow, GRT_EINVAL, "grt_store_create", "shape[1]"},
    {"create: byte overflow", c_bytes_overflow, GRT_EINVAL, "grt_store_create", "shape[0]"},
    {"create: overflow beside a zero extent", c_overflow_beside_zero, GRT_EINVAL, "grt_store_create",
     "shape[2]"},
    {"create: out NULL", c_out_null, GRT_EINVAL, "grt_store_create", "out"},
    {"attach: buffer NULL", a_buf_null, GRT_EINVAL, "grt_store_attach", "buffer"},
    {"attach: buffer misaligned", a_buf_misaligned, GRT_EINVAL, "grt_store_attach", "buffer"},
    {"attach: ndim 9", a_ndim, GRT_EINVAL, "grt_store_attach", "ndim 9"},
    {"attach: rt NULL", a_rt_null, GRT_EINVAL, "grt_store_attach", "rt"},
    {"ndim: s NULL", q_ndim_null, GRT_EINVAL, "grt_store_ndim", "s"},
    {"ndim: s destroyed", q_ndim_dead, GRT_ESTATE, "grt_store_ndim", "s is stale"},
    {"type: s destroyed", q_type_dead, GRT_ESTATE, "grt_store_type", "s is stale"},
    {"slice: s NULL", s_null, GRT_EINVAL, "grt_store_slice", "s is NULL"},
    {"slice: s destroyed", s_dead, GRT_ESTATE, "grt_store_slice", "s is stale"},
    {"slice: dim -1", s_dim_neg, GRT_EINVAL, "grt_store_slice", "dim -1"},
    {"slice: dim 2 of 2-D", s_dim_big, GRT_EINVAL, "grt_store_slice", "dim 2"},
    {"slice: start -1", s_start_neg, GRT_EINVAL, "grt_store_slice", "start -1"},
    {"slice: start past extent", s_start_big, GRT_EINVAL, "grt_store_slice", "start 5"},
    {"slice: stop < start", s_stop_lt_start, GRT_EINVAL, "grt_store_slice", "stop 1"},
    {"slice: stop past extent", s_stop_big, GRT_EINVAL, "grt_store_slice", "stop 4"},
    {"slice: out NULL", s_out_null, GRT_EINVAL, "grt_store_slice", "out"},
    {"transpose: perm NULL", t_perm_null, GRT_EINVAL, "grt_store_transpose", "perm"},
    {"transpose: perm entry too big", t_perm_big, GRT_EINVAL, "grt_store_transpose", "perm[1]"},
    {"transpose: perm entry negative", t_perm_neg, GRT_EINVAL, "grt_store_transpose", "perm[0]"},
    {"transpose: not a permutation", t_perm_repeat, GRT_EINVAL, "grt_store_transpose", "perm[1]"},
    {"transpose: s destroyed", t_dead, GRT_ESTATE, "grt_store_transpose", "s is stale"},
    {"promote: dim past ndim", p_dim_big, GRT_EINVAL, "grt_store_promote", "dim 3"},
    {"promote: dim -1", p_dim_neg, GRT_EINVAL, "grt_store_promote", "dim -1"},
    {"promote: size -2", p_size_neg, GRT_EINVAL, "grt_store_promote", "size"},
    {"promote: view too large", p_size_overflow, GRT_EINVAL, "grt_store_promote", "size"},
    {"promote: already 4-D", p_too_many, GRT_EINVAL, "grt_store_promote", "s already has 4 dims"},
    {"promote: out NULL", p_out_null, GRT_EINVAL, "grt_store_promote", "out"},
    {"project: dim 2 of 2-D", j_dim_big, GRT_EINVAL, "grt_store_project", "dim 2"},
    {"project: index -1", j_index_neg, GRT_EINVAL, "grt_store_project", "index -1"},
    {"project: index == extent", j_index_big, GRT_EINVAL, "grt_store_project", "index 3"},
    {"project: the only dim", j_last_dim, GRT_EINVAL, "grt_store_project", "only dim"},
    {"project: s NULL", j_null, GRT_EINVAL, "grt_store_project", "s is NULL"},
    {"delinearize: dim 7", d_dim_big, GRT_EINVAL, "grt_store_delinearize", "dim 7"},
    {"delinearize: n 0", d_n_zero, GRT_EINVAL, "grt_store_delinearize", "n 0"},
    {"delinearize: 5 dims", d_n_too_many, GRT_EINVAL, "grt_store_delinearize", "n 4"},
    {"delinearize: sizes NULL", d_sizes_null, GRT_EINVAL, "grt_store_delinearize", "sizes"},
    {"delinearize: negative sizes", d_sizes_neg, GRT_EINVAL, "grt_store_delinearize", "sizes[0]"},
    {"delinearize: product 6 != 4", d_sizes_mismatch, GRT_EINVAL, "grt_store_delinearize",
     "sizes multiply to 6"},
    {"delinearize: product 0 != 4", d_sizes_zero, GRT_EINVAL, "grt_store_delinearize",
     "sizes multiply to 0"},
    {"delinearize: product overflows", d_sizes_overflow, GRT_EINVAL, "grt_store_delinearize",
     "sizes multiply past"},
    {"fixed_binary: width 0", y_binary_zero, GRT_EINVAL, "grt_type_fixed_binary", "width"},
    {"fixed_binary: rt not a runtime", y_binary_rt_bogus, GRT_ESTATE, "grt_type_fixed_binary", "rt"},
    {"struct: n 0", y_struct_n0, GRT_EINVAL, "grt_type_struct", "n is 0"},
    {"struct: fields NULL", y_struct_fields_null, GRT_EINVAL, "grt_type_struct", "fields is NULL"},
    {"struct: a field NULL", y_struct_field_null, GRT_EINVAL, "grt_type_struct", "fields[1]"},
    {"type_code: t NULL", y_code_null, GRT_EINVAL, "grt_type_code", "t is NULL"},
    {"type_field: i out of range", y_field_range, GRT_EINVAL, "grt_type_field", "i 1"},
    {"array_create: ndim 0", r_array_ndim, GRT_EINVAL, "grt_array_create", "ndim 0"},
};

static int setup(void **state) {
  (void)state;
  memset(&fx, 0, sizeof fx);
  if (test_ctx_open(&fx.rt) || test_ctx_open(&fx.rt2)) return -1;
  const int64_t s1[1] = {5}, s4[4] = {1, 2, 3, 4};
  if (grt_store_create(fx.rt, grt_type_int32(), 2, shape2, &fx.s) ||
      grt_store_create(fx.rt, grt_type_int32(), 1, s1, &fx.s1) ||
      grt_store_create(fx.rt, grt_type_int32(), 4, s4, &fx.s4) ||
      grt_store_create(fx.rt, grt_type_int32(), 1, s1, &fx.dead))
    return -1;
  grt_store_destroy(fx.dead);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  grt_store_destroy(fx.s);
  grt_store_destroy(fx.s1);
  grt_store_destroy(fx.s4);
  return test_ctx_close(fx.rt2) | test_ctx_close(fx.rt);
}

/* The store still works: same shape, one reference, and a view can be made. */
static void check_store_intact(const char *row) {
  int64_t got[2] = {0};
  grt_store_shape(fx.s, got);
  if (got[0] != 3 || got[1] != 4) fail_msg("%s: s's shape changed", row);
  if (atomic_load(&grt__store_of(fx.s)->root->refs) != 1) fail_msg("%s: s's references changed", row);
  if (!grt__tf_is_identity(&grt__store_of(fx.s)->tf)) fail_msg("%s: s's transform changed", row);
  grt_store_t *v = NULL;
  if (grt_store_slice(fx.s, 1, 1, 3, &v) != 0) fail_msg("%s: s no longer slices", row);
  grt_store_destroy(v);
}

static void test_store_bad_input_table(void **state) {
  (void)state;
  const size_t n = sizeof rows / sizeof rows[0];
  assert_true(n >= 30);
  for (size_t i = 0; i < n; i++) {
    const row_t *r = &rows[i];
    grt_store_t *out = (grt_store_t *)&not_a_runtime;   /* must be reset to NULL */
    int rc = r->call(&fx, &out);
    const char *msg = grt_last_error();
    if (rc != r->code)
      fail_msg("%s: returned %d (%s), expected %d; message: %s", r->name, rc, grt_strerror(rc),
               r->code, msg);
    if (!strstr(msg, r->fn)) fail_msg("%s: message '%s' does not name %s", r->name, msg, r->fn);
    if (!strstr(msg, r->arg)) fail_msg("%s: message '%s' does not name '%s'", r->name, msg, r->arg);
    if (out != (grt_store_t *)&not_a_runtime && out != NULL)
      fail_msg("%s: *out was set on failure", r->name);
    check_store_intact(r->name);
  }
}

/* Shape/type queries with bad handles do nothing and do not crash. */
static void test_store_bad_input_queries_are_graceful(void **state) {
  (void)state;
  int64_t shape[2] = {-7, -7};
  grt_store_shape(NULL, shape);
  assert_non_null(strstr(grt_last_error(), "grt_store_shape: s is NULL"));
  grt_store_shape(fx.dead, shape);
  assert_non_null(strstr(grt_last_error(), "grt_store_shape: s is stale"));
  grt_store_shape(fx.s, NULL);
  assert_non_null(strstr(grt_last_error(), "grt_store_shape: shape is NULL"));
  assert_int_equal(shape[0], -7);
  assert_null(grt_store_type(NULL));
  grt_store_destroy(NULL);
  grt_store_destroy(fx.dead);
  check_store_intact("queries");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_store_bad_input_table),
      cmocka_unit_test(test_store_bad_input_queries_are_graceful),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
