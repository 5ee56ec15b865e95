/* test_mapper_redop.c - library mappers (processor choice, minimum chunk,
 * tile shape), custom reduction operators, OpenMP variants, and tasks whose
 * completion is signalled after their body returned (asynchronous
 * processors). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "grt.h"
#include "op.h"
#include "redop.h"
#include "runtime.h"
#include "rt_test.h"

static grt_runtime_t *start(const char *cpus, const char *omps) {
  return rt_test_start(atoi(cpus), atoi(omps));
}

/* Returns 1 from a CPU body, 2 from an OMP body; records the launch shape. */
static void which_cpu(grt_task_context_t *ctx) {
  int64_t shape[4];
  int nd = grt_task_launch_shape(ctx, shape);
  int64_t v = 1000 * nd + shape[0] * 10 + 1;
  grt_task_return(ctx, &v, sizeof v);
}
static void which_omp(grt_task_context_t *ctx) {
  int64_t v = grt_task_proc_kind(ctx) == GRT_PROC_OMP ? 2 : -2;
  grt_task_return(ctx, &v, sizeof v);
}

static grt_proc_kind_t pick_cpu(void *data, int task_id, const grt_variants_t *v, int ncpu,
                                int nomp, int ngpu) {
  (void)data, (void)task_id, (void)v, (void)nomp, (void)ngpu;
  return ncpu > 0 ? GRT_PROC_CPU : GRT_PROC_OMP;
}
static size_t huge_chunk(void *data, int task_id, grt_proc_kind_t kind) {
  (void)data, (void)task_id, (void)kind;
  return (size_t)1 << 40;
}
static int rows_only(void *data, int task_id, int ndim, const int64_t *shape, int nprocs,
                     int64_t *tiles) {
  (void)data, (void)task_id, (void)shape;
  for (int d = 0; d < ndim; d++) tiles[d] = 1;
  tiles[0] = nprocs;
  return 0;
}

static int cols_only(void *data, int task_id, int ndim, const int64_t *shape, int nprocs,
                     int64_t *tiles) {
  (void)data, (void)task_id, (void)shape;
  for (int d = 0; d < ndim; d++) tiles[d] = 1;
  tiles[ndim - 1] = nprocs;
  return 0;
}

static int64_t run_which(grt_library_t *lib, grt_store_t *s) {
  grt_launch_t *l;
  grt_future_t *f;
  assert_int_equal(grt_launch_create(lib, 1, &l), 0);
  assert_int_equal(grt_launch_add_input(l, s), 0);
  assert_int_equal(grt_launch_reduce_result(l, grt_type_int64(), GRT_REDOP_MAX), 0);
  assert_int_equal(grt_launch_submit(l, &f), 0);
  int64_t v;
  assert_int_equal(grt_future_get(f, &v, sizeof v), 0);
  grt_future_destroy(f);
  return v;
}

static void test_mapper_default_and_custom(void **state) {
  (void)state;
  grt_runtime_t *rt = start("2", "1");
  grt_library_t *lib;
  assert_int_equal(grt_library_create(rt, "mapped", &lib), 0);
  assert_int_equal(grt_task_register(lib, 1, "which", &(grt_variants_t){.cpu = which_cpu, .omp = which_omp}), 0);
  int64_t shape[2] = {64, 64};
  grt_store_t *s;
  assert_int_equal(grt_store_create(rt, grt_type_float64(), 2, shape, &s), 0);
  double z = 0;
  assert_int_equal(grt_fill(s, &z), 0);
  if (grt_num_procs(rt, GRT_PROC_OMP) > 0)
    assert_int_equal(run_which(lib, s), 2); /* the default mapper prefers OMP groups */
  /* a mapper choosing CPU, splitting rows only */
  grt_mapper_t m = {.select_proc = pick_cpu, .tile_shape = rows_only};
  assert_int_equal(grt_library_set_mapper(lib, &m), 0);
  assert_int_equal(run_which(lib, s), 2000 + 2 * 10 + 1); /* 2-D launch of 2 x 1 points */
  /* a minimum chunk larger than the store: one point */
  m.min_chunk = huge_chunk;
  assert_int_equal(grt_library_set_mapper(lib, &m), 0);
  assert_int_equal(run_which(lib, s), 1000 + 1 * 10 + 1);
  grt_store_destroy(s);
  assert_int_equal(grt_finalize(rt), 0);
}

/* The default colour grid: outer dims are cut before the contiguous
 * innermost one (its extent counts 1/8), never more colours than a dim's
 * extent, and the product never above the processor count. */
static void test_default_colour_grid(void **state) {
  (void)state;
  static const struct {
    int ndim, nprocs;
    int64_t shape[3], want[3], total;
  } cases[] = {
      {2, 4, {4096, 4096}, {4, 1}, 4},       /* row blocks, not 2 x 2 */
      {2, 2, {4096, 4096}, {2, 1}, 2},
      {2, 64, {4096, 4096}, {32, 2}, 64},    /* rows until they are 1/8 as tall as wide */
      {3, 64, {512, 512, 512}, {8, 8, 1}, 64},
      {2, 4, {8, 4096}, {1, 4}, 4},          /* a short outer dim: the inner one is cut */
      {2, 12, {4, 3}, {3, 2}, 6},            /* extents bound the grid */
      {1, 4, {100}, {4}, 4},
      {2, 6, {600, 600}, {6, 1}, 6},
      {2, 1, {10, 10}, {1, 1}, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    int64_t colors[GRT_MAX_DIM];
    int64_t total = grt__colors_for(cases[i].ndim, cases[i].shape, cases[i].nprocs, colors);
    for (int d = 0; d < cases[i].ndim; d++)
      if (colors[d] != cases[i].want[d])
        fail_msg("case %zu: dim %d has %lld colours, want %lld", i, d, (long long)colors[d],
                 (long long)cases[i].want[d]);
    assert_int_equal(total, cases[i].total);
  }
}

/* A mapper's tile shape wins over the key store's current tiling: the
 * store was last written in row tiles, the mapper asks for columns. */
static void test_mapper_tile_shape_over_current(void **state) {
  (void)state;
  grt_runtime_t *rt = start("2", "0");
  grt_library_t *lib;
  assert_int_equal(grt_library_create(rt, "mapped", &lib), 0);
  assert_int_equal(grt_task_register(lib, 1, "which", &(grt_variants_t){.cpu = which_cpu}), 0);
  int64_t shape[2] = {64, 64};
  grt_store_t *s;
  assert_int_equal(grt_store_create(rt, grt_type_float64(), 2, shape, &s), 0);
  double z = 0;
  assert_int_equal(grt_fill(s, &z), 0);
  assert_int_equal(run_which(lib, s), 2000 + 2 * 10 + 1); /* default: 2 x 1 */
  assert_int_equal(grt_library_set_mapper(lib, &(grt_mapper_t){.tile_shape = cols_only}), 0);
  assert_int_equal(run_which(lib, s), 2000 + 1 * 10 + 1); /* 1 x 2 */
  grt_store_destroy(s);
  assert_int_equal(grt_finalize(rt), 0);
}

/* A custom operator: keeps the value with the largest absolute value. */
static void absmax(void *dst, const void *src, size_t n) {
  double *a = dst;
  const double *b = src;
  for (size_t i = 0; i < n; i++)
    if ((b[i] < 0 ? -b[i] : b[i]) > (a[i] < 0 ? -a[i] : a[i])) a[i] = b[i];
}
static void put_point(grt_task_context_t *ctx) {
  int64_t p[4];
  grt_task_point(ctx, p);
  double v = (p[0] % 2 ? -1.0 : 1.0) * (double)(p[0] + 1);
  grt_task_return(ctx, &v, sizeof v);
  grt_buffer_t b;
  grt_task_arg(ctx, 0, &b);
  for (int64_t i = b.lo[0]; i <= b.hi[0]; i++) ((double *)b.ptr)[(i - b.lo[0]) * b.stride[0]] = v;
}

static void test_mapper_custom_redop(void **state) {
  (void)state;
  grt_runtime_t *rt = start("2", "0");
  grt_library_t *lib;
  assert_int_equal(grt_library_create(rt, "red", &lib), 0);
  assert_int_equal(grt_task_register(lib, 1, "put", &(grt_variants_t){.cpu = put_point}), 0);
  double zero = 0;
  int op = grt_redop_register(lib, grt_type_float64(), &zero, absmax);
  assert_true(op >= GRT_REDOP_CUSTOM);
  assert_int_equal(grt_redop_register(lib, grt_type_float64(), NULL, absmax), GRT_EINVAL);
  int64_t n = 8;
  grt_store_t *acc;
  assert_int_equal(grt_store_create(rt, grt_type_float64(), 1, &n, &acc), 0);
  assert_int_equal(grt_fill(acc, &zero), 0);
  grt_launch_t *l;
  grt_future_t *f;
  assert_int_equal(grt_launch_create_manual(lib, 1, 1, (int64_t[]){5}, &l), 0);
  assert_int_equal(grt_launch_add_reduction(l, acc, (grt_redop_t)op), 0);
  assert_int_equal(grt_launch_reduce_result(l, grt_type_float64(), (grt_redop_t)op), 0);
  assert_int_equal(grt_launch_submit(l, &f), 0);
  double v;
  assert_int_equal(grt_future_get(f, &v, sizeof v), 0);
  assert_true(v == 5.0); /* points give 1, -2, 3, -4, 5 */
  grt_future_destroy(f);
  grt_mapping_t *m;
  assert_int_equal(grt_store_map(acc, GRT_READ, &m), 0);
  for (int i = 0; i < n; i++) assert_true(((double *)grt_mapping_ptr(m, NULL))[i] == 5.0);
  assert_int_equal(grt_mapping_unmap(m), 0);
  /* a custom operator is tied to its type */
  grt_store_t *ints;
  assert_int_equal(grt_store_create(rt, grt_type_int64(), 1, &n, &ints), 0);
  assert_int_equal(grt_launch_create(lib, 1, &l), 0);
  assert_int_equal(grt_launch_add_reduction(l, ints, (grt_redop_t)op), GRT_EINVAL);
  grt_launch_destroy(l);
  grt_store_destroy(ints);
  grt_store_destroy(acc);
  assert_int_equal(grt_finalize(rt), 0);
}

/* An "asynchronous processor": the body hands its work to another thread and
 * returns; completion comes later. Later tasks must still see its writes. */
static void *finish_later(void *arg) {
  grt_task_context_t *ctx = arg;
  usleep(2000);
  grt_buffer_t b;
  grt_task_arg(ctx, 0, &b);
  for (int64_t i = b.lo[0]; i <= b.hi[0]; i++) ((int64_t *)b.ptr)[(i - b.lo[0]) * b.stride[0]] *= 3;
  grt__op_task_finish(ctx);
  return NULL;
}
static void async_triple(grt_task_context_t *ctx) {
  grt__op_task_defer(ctx);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, finish_later, ctx), 0);
  pthread_detach(t);
}
static void add_one(grt_task_context_t *ctx) {
  grt_buffer_t b;
  grt_task_arg(ctx, 0, &b);
  for (int64_t i = b.lo[0]; i <= b.hi[0]; i++) ((int64_t *)b.ptr)[(i - b.lo[0]) * b.stride[0]] += 1;
}

/* The built-in operators' domain, as docs/types.md states it: all four on
 * integers and floats; SUM and PROD on complex (MIN/MAX refused: complex
 * numbers have no order); on bool SUM and MAX are OR, PROD and MIN are AND;
 * none on fixed binary or struct types. */
static void test_redop_builtin_domain(void **state) {
  (void)state;
  grt_runtime_t *rt = start("1", "0");
  const void *id;
  grt_fold_fn fold;
  const grt_type_t *nums[] = {grt_type_int8(), grt_type_int16(), grt_type_int32(),
                              grt_type_int64(), grt_type_uint8(), grt_type_uint16(),
                              grt_type_uint32(), grt_type_uint64(), grt_type_float16(),
                              grt_type_float32(), grt_type_float64()};
  for (size_t t = 0; t < sizeof nums / sizeof nums[0]; t++)
    for (int op = GRT_REDOP_SUM; op <= GRT_REDOP_MAX; op++)
      assert_int_equal(grt__redop_lookup(rt, op, nums[t], &id, &fold), 0);
  const grt_type_t *cplx[] = {grt_type_complex64(), grt_type_complex128()};
  for (int t = 0; t < 2; t++) {
    assert_int_equal(grt__redop_lookup(rt, GRT_REDOP_SUM, cplx[t], &id, &fold), 0);
    assert_int_equal(grt__redop_lookup(rt, GRT_REDOP_PROD, cplx[t], &id, &fold), 0);
    assert_int_equal(grt__redop_lookup(rt, GRT_REDOP_MIN, cplx[t], &id, &fold), GRT_EINVAL);
    assert_non_null(strstr(grt_last_error(), "MIN is not defined"));
    assert_int_equal(grt__redop_lookup(rt, GRT_REDOP_MAX, cplx[t], &id, &fold), GRT_EINVAL);
  }
  /* bool: identities and folds of OR (SUM, MAX) and AND (PROD, MIN) */
  static const uint8_t want_id[4] = {0, 1, 1, 0};
  for (int op = GRT_REDOP_SUM; op <= GRT_REDOP_MAX; op++) {
    assert_int_equal(grt__redop_lookup(rt, op, grt_type_bool(), &id, &fold), 0);
    assert_int_equal(*(const uint8_t *)id, want_id[op]);
    uint8_t dst[4] = {1, 1, 0, 0};
    const uint8_t src[4] = {1, 0, 1, 0};
    fold(dst, src, 4);
    static const uint8_t or_[4] = {1, 1, 1, 0}, and_[4] = {1, 0, 0, 0};
    assert_memory_equal(dst, op == GRT_REDOP_SUM || op == GRT_REDOP_MAX ? or_ : and_, 4);
  }
  const grt_type_t *fb = grt_type_fixed_binary(rt, 3);
  assert_int_equal(grt__redop_lookup(rt, GRT_REDOP_SUM, fb, &id, &fold), GRT_EINVAL);
  assert_int_equal(grt_finalize(rt), 0);
}

static void test_mapper_async_completion(void **state) {
  (void)state;
  grt_runtime_t *rt = start("2", "0");
  grt_library_t *lib;
  assert_int_equal(grt_library_create(rt, "async", &lib), 0);
  assert_int_equal(grt_task_register(lib, 1, "triple", &(grt_variants_t){.cpu = async_triple}), 0);
  assert_int_equal(grt_task_register(lib, 2, "add1", &(grt_variants_t){.cpu = add_one}), 0);
  int64_t n = 1000, one = 1;
  grt_store_t *s;
  assert_int_equal(grt_store_create(rt, grt_type_int64(), 1, &n, &s), 0);
  assert_int_equal(grt_fill(s, &one), 0);
  int64_t want = 1;
  for (int k = 0; k < 6; k++) {
    grt_launch_t *l;
    assert_int_equal(grt_launch_create(lib, k % 2 ? 2 : 1, &l), 0);
    assert_int_equal(grt_launch_add_inout(l, s), 0);
    assert_int_equal(grt_launch_submit(l, NULL), 0);
    want = k % 2 ? want + 1 : want * 3;
  }
  grt_mapping_t *m;
  assert_int_equal(grt_store_map(s, GRT_READ, &m), 0);
  for (int i = 0; i < n; i++) assert_int_equal(((int64_t *)grt_mapping_ptr(m, NULL))[i], want);
  assert_int_equal(grt_mapping_unmap(m), 0);
  grt_store_destroy(s);
  assert_int_equal(grt_finalize(rt), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mapper_default_and_custom),
      cmocka_unit_test(test_default_colour_grid),
      cmocka_unit_test(test_mapper_tile_shape_over_current),
      cmocka_unit_test(test_mapper_custom_redop),
      cmocka_unit_test(test_mapper_async_completion),
      cmocka_unit_test(test_redop_builtin_domain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
