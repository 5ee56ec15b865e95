/* test_runtime_errors.c - bad input to the runtime API, task failures, a
 * million small tasks, and finalize with work outstanding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grt.h"
#include "rt_test.h"

static void noop(grt_task_context_t *ctx) { (void)ctx; }
static void inc(grt_task_context_t *ctx) {
  grt_buffer_t b;
  if (grt_task_arg(ctx, 0, &b) == 0)
    for (int64_t i = b.lo[0]; i <= b.hi[0]; i++) ((int64_t *)b.ptr)[(i - b.lo[0]) * b.stride[0]]++;
}
static void fail_odd(grt_task_context_t *ctx) {
  int64_t p[4];
  grt_task_point(ctx, p);
  if (p[0] % 2) grt_task_fail(ctx, "odd point refused");
}

static grt_runtime_t *start(const char *cpus) { return rt_test_start(atoi(cpus), 0); }

static grt_library_t *lib_of(grt_runtime_t *rt) {
  grt_library_t *lib;
  assert_int_equal(grt_library_create(rt, "errs", &lib), 0);
  assert_int_equal(grt_task_register(lib, 1, "noop", &(grt_variants_t){.cpu = noop}), 0);
  assert_int_equal(grt_task_register(lib, 2, "inc", &(grt_variants_t){.cpu = inc}), 0);
  assert_int_equal(grt_task_register(lib, 3, "fail_odd", &(grt_variants_t){.cpu = fail_odd}), 0);
  assert_int_equal(grt_task_register(lib, 4, "gpu_only", &(grt_variants_t){.gpu = noop}), 0);
  return lib;
}

#define EXPECT(call, code, word)                                                              \
  do {                                                                                        \
    int rc_ = (call);                                                                         \
    if (rc_ != (code)) fail_msg("%s returned %d (%s), expected %d", #call, rc_, grt_last_error(), code); \
    if (!strstr(grt_last_error(), word))                                                      \
      fail_msg("%s: message '%s' does not name '%s'", #call, grt_last_error(), word);        \
  } while (0)

static void test_runtime_errors_bad_inputs(void **state) {
  (void)state;
  grt_runtime_t *rt = start("2");
  grt_library_t *lib = lib_of(rt), *none;
  grt_launch_t *l = NULL;
  int64_t n = 100, m = 50;
  grt_store_t *a, *b, *dead;
  assert_int_equal(grt_store_create(rt, grt_type_int64(), 1, &n, &a), 0);
  assert_int_equal(grt_store_create(rt, grt_type_int64(), 1, &m, &b), 0);
  assert_int_equal(grt_store_create(rt, grt_type_int64(), 1, &m, &dead), 0);
  grt_store_destroy(dead);

  EXPECT(grt_library_find(rt, "no such library", &none), GRT_ENOTFOUND, "no such library");
  EXPECT(grt_library_create(rt, "", &none), GRT_EINVAL, "name");
  EXPECT(grt_launch_create(lib, 99, &l), GRT_ENOTFOUND, "task_id 99");
  EXPECT(grt_launch_create(NULL, 1, &l), GRT_EINVAL, "lib");
  EXPECT(grt_task_register(lib, 1, "again", &(grt_variants_t){.cpu = noop}), GRT_EINVAL, "already");
  EXPECT(grt_task_register(lib, 5, "none", &(grt_variants_t){0}), GRT_EINVAL, "variant");
  EXPECT(grt_task_register(lib, -1, "neg", &(grt_variants_t){.cpu = noop}), GRT_EINVAL, "task_id");
  EXPECT(grt_launch_create_manual(lib, 1, 0, &n, &l), GRT_EINVAL, "ndim");
  EXPECT(grt_launch_create_manual(lib, 1, 1, (int64_t[]){0}, &l), GRT_EINVAL, "launch_shape");

  assert_int_equal(grt_launch_create(lib, 2, &l), 0);
  assert_int_equal(grt_launch_add_inout(l, a), 0);
  assert_int_equal(grt_launch_add_input(l, b), 1);
  EXPECT(grt_launch_align(l, 0, 1), GRT_EINVAL, "different shapes");
  EXPECT(grt_launch_align(l, 0, 7), GRT_EINVAL, "arg_b 7");
  EXPECT(grt_launch_broadcast(l, 0), GRT_EINVAL, "written");
  EXPECT(grt_launch_bloat(l, 1, 0, (int64_t[]){1}, (int64_t[]){1}), GRT_EINVAL, "different shapes");
  EXPECT(grt_launch_add_input(l, dead), GRT_ESTATE, "store");
  EXPECT(grt_launch_add_input(l, NULL), GRT_EINVAL, "store");
  EXPECT(grt_launch_add_scalar(l, NULL, &n), GRT_EINVAL, "type");
  EXPECT(grt_launch_add_future(l, NULL), GRT_EINVAL, "future");
  EXPECT(grt_launch_reduce_result(l, grt_type_complex64(), GRT_REDOP_MIN), GRT_EINVAL, "MIN");
  EXPECT(grt_launch_add_reduction(l, a, (grt_redop_t)999), GRT_ENOTFOUND, "999");
  /* the first error is reported again at submit, and nothing runs */
  EXPECT(grt_launch_submit(l, NULL), GRT_EINVAL, "different shapes");
  EXPECT(grt_launch_submit(NULL, NULL), GRT_EINVAL, "launch");

  assert_int_equal(grt_launch_create(lib, 4, &l), 0);
  EXPECT(grt_launch_submit(l, NULL), GRT_EUNSUPPORTED, "GPU");

  grt_partition_t *p;
  EXPECT(grt_partition_tiling(a, (int64_t[]){0}, &p), GRT_EINVAL, "tile_shape[0]");
  assert_int_equal(grt_partition_tiling_halo(a, (int64_t[]){10}, (int64_t[]){1}, (int64_t[]){1}, &p), 0);
  assert_int_equal(grt_launch_create_manual(lib, 2, 1, (int64_t[]){10}, &l), 0);
  EXPECT(grt_launch_add_partitioned(l, a, p, GRT_READ_WRITE), GRT_EINVAL, "halo");
  EXPECT(grt_launch_add_partitioned(l, b, p, GRT_READ), GRT_EINVAL, "shape");
  grt_launch_destroy(l);
  assert_int_equal(grt_launch_create_manual(lib, 2, 1, (int64_t[]){11}, &l), 0);
  EXPECT(grt_launch_add_partitioned(l, a, p, GRT_READ), GRT_EINVAL, "launch_shape[0]");
  grt_launch_destroy(l);
  grt_partition_destroy(p);

  EXPECT(grt_fill(dead, &n), GRT_ESTATE, "store");
  EXPECT(grt_fill(a, NULL), GRT_EINVAL, "value");
  EXPECT(grt_copy(a, b), GRT_EINVAL, "shapes");
  grt_store_t *f32;
  assert_int_equal(grt_store_create(rt, grt_type_float32(), 1, &m, &f32), 0);
  EXPECT(grt_copy(b, f32), GRT_EINVAL, "type");
  grt_mapping_t *map;
  EXPECT(grt_store_map(a, (grt_privilege_t)7, &map), GRT_EINVAL, "priv");
  EXPECT(grt_store_map(dead, GRT_READ, &map), GRT_ESTATE, "store");
  EXPECT(grt_store_detach(a), GRT_EINVAL, "attach");
  EXPECT(grt_future_get(NULL, &n, sizeof n), GRT_EINVAL, "future");

  /* the store still works after all that */
  int64_t one = 1;
  assert_int_equal(grt_fill(a, &one), 0);
  assert_int_equal(grt_launch_create(lib, 2, &l), 0);
  assert_int_equal(grt_launch_add_inout(l, a), 0);
  assert_int_equal(grt_launch_submit(l, NULL), 0);
  assert_int_equal(grt_store_map(a, GRT_READ, &map), 0);
  for (int i = 0; i < n; i++) assert_int_equal(((int64_t *)grt_mapping_ptr(map, NULL))[i], 2);
  assert_int_equal(grt_mapping_unmap(map), 0);
  grt_store_destroy(a);
  grt_store_destroy(b);
  grt_store_destroy(f32);
  assert_int_equal(grt_finalize(rt), 0);
  /* after finalize */
  EXPECT(grt_fence(rt), GRT_ESTATE, "finalized");
  EXPECT(grt_library_create(rt, "late", &lib), GRT_ESTATE, "finalized");
  EXPECT(grt_finalize(rt), GRT_ESTATE, "finalized");
  EXPECT(grt_rank(rt), GRT_ESTATE, "finalized");      /* read freed memory before */
  EXPECT(grt_num_ranks(rt), GRT_ESTATE, "finalized");
  EXPECT(grt_rank(NULL), GRT_EINVAL, "grt_rank");
}

static void test_runtime_errors_task_failure_keeps_working(void **state) {
  (void)state;
  grt_runtime_t *rt = start("2");
  grt_library_t *lib = lib_of(rt);
  grt_launch_t *l;
  grt_future_t *f;
  assert_int_equal(grt_launch_create_manual(lib, 3, 1, (int64_t[]){4}, &l), 0);
  assert_int_equal(grt_launch_submit(l, &f), 0);
  assert_int_equal(grt_future_wait(f), GRT_ETASK);
  grt_future_destroy(f);
  EXPECT(grt_fence(rt), GRT_ETASK, "odd point refused");
  assert_int_equal(grt_fence(rt), 0);
  assert_int_equal(grt_launch_create(lib, 1, &l), 0);
  assert_int_equal(grt_launch_submit(l, &f), 0);
  assert_int_equal(grt_future_wait(f), 0);
  grt_future_destroy(f);
  assert_int_equal(grt_finalize(rt), 0);
}

/* 10^6 single-point tasks on one store (a chain) and on separate stores,
 * with stores destroyed while their tasks are still queued; then finalize
 * with work outstanding must wait for all of it. */
static void test_runtime_errors_million_tasks(void **state) {
  (void)state;
  const char *short_run = getenv("GRT_TEST_SHORT");
  long n = short_run ? 20000 : 1000000;
  grt_runtime_t *rt = start("2");
  grt_library_t *lib = lib_of(rt);
  int64_t one = 1;
  grt_store_t *s;
  assert_int_equal(grt_store_create(rt, grt_type_int64(), 1, &one, &s), 0);
  int64_t zero = 0;
  assert_int_equal(grt_fill(s, &zero), 0);
  for (long i = 0; i < n; i++) {
    grt_launch_t *l;
    if (grt_launch_create(lib, i % 2 ? 1 : 2, &l) < 0) fail_msg("create %ld: %s", i, grt_last_error());
    if (i % 2 == 0 && grt_launch_add_inout(l, s) < 0) fail_msg("add %ld", i);
    if (grt_launch_submit(l, NULL) < 0) fail_msg("submit %ld: %s", i, grt_last_error());
    if (i % 100000 == 99999) {
      grt_store_t *tmp;
      assert_int_equal(grt_store_create(rt, grt_type_int64(), 1, &one, &tmp), 0);
      assert_int_equal(grt_fill(tmp, &one), 0);
      grt_store_destroy(tmp); /* deferred: the fill is probably still queued */
    }
  }
  grt_mapping_t *m;
  assert_int_equal(grt_store_map(s, GRT_READ, &m), 0);
  assert_int_equal(*(int64_t *)grt_mapping_ptr(m, NULL), (n + 1) / 2);
  assert_int_equal(grt_mapping_unmap(m), 0);
  /* outstanding work at finalize */
  for (int i = 0; i < 1000; i++) {
    grt_launch_t *l;
    assert_int_equal(grt_launch_create(lib, 2, &l), 0);
    assert_int_equal(grt_launch_add_inout(l, s), 0);
    assert_int_equal(grt_launch_submit(l, NULL), 0);
  }
  grt_store_destroy(s);
  assert_int_equal(grt_finalize(rt), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_runtime_errors_bad_inputs),
      cmocka_unit_test(test_runtime_errors_task_failure_keeps_working),
      cmocka_unit_test(test_runtime_errors_million_tasks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
