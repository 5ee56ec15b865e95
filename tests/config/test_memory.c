/* test_memory.c - memory budgets (store/memory.c) and grt_memory_usage through a runtime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "memory.h"

static void test_memory_budget_exceeded(void **state) {
  (void)state;
  grt_memory_t m;
  grt__mem_init(&m, GRT_MEM_SYSMEM, 1000);
  void *a = NULL, *b = (void *)&m;
  assert_int_equal(grt__mem_alloc(&m, 600, &a), 0);
  assert_non_null(a);
  assert_int_equal(atomic_load(&m.used), 600);
  assert_int_equal(grt__mem_alloc(&m, 500, &b), GRT_ENOMEM);
  assert_null(b);
  const char *msg = grt_last_error();
  assert_non_null(strstr(msg, "sysmem"));
  assert_non_null(strstr(msg, "500 bytes"));
  assert_non_null(strstr(msg, "600 bytes in use"));
  assert_non_null(strstr(msg, "1000-byte budget"));
  assert_int_equal(atomic_load(&m.used), 600);  /* a refused request reserves nothing */
  /* Exactly the rest of the budget fits. */
  assert_int_equal(grt__mem_alloc(&m, 400, &b), 0);
  assert_int_equal(atomic_load(&m.used), 1000);
  grt__mem_free(&m, a, 600);
  grt__mem_free(&m, b, 400);
  assert_int_equal(atomic_load(&m.used), 0);
}

static void test_memory_larger_than_budget(void **state) {
  (void)state;
  grt_memory_t m;
  grt__mem_init(&m, GRT_MEM_SYSMEM, 100);
  void *p;
  assert_int_equal(grt__mem_alloc(&m, SIZE_MAX, &p), GRT_ENOMEM);
  assert_null(p);
  assert_non_null(strstr(grt_last_error(), "sysmem"));
  assert_non_null(strstr(grt_last_error(), "100-byte budget"));
  assert_int_equal(atomic_load(&m.used), 0);
}

static void test_memory_zero_bytes(void **state) {
  (void)state;
  grt_memory_t m;
  grt__mem_init(&m, GRT_MEM_SYSMEM, 0);
  void *p = NULL;
  assert_int_equal(grt__mem_alloc(&m, 0, &p), 0);
  assert_non_null(p);
  assert_int_equal(atomic_load(&m.used), 0);
  grt__mem_free(&m, p, 0);
  assert_int_equal(atomic_load(&m.used), 0);
  grt__mem_free(&m, NULL, 0);  /* no-op */
}

static void test_memory_zeroed_and_aligned(void **state) {
  (void)state;
  grt_memory_t m;
  grt__mem_init(&m, GRT_MEM_SYSMEM, 1 << 20);
  unsigned char *p;
  assert_int_equal(grt__mem_alloc(&m, 1000, (void **)&p), 0);
  assert_int_equal((uintptr_t)p % 64, 0);
  for (int i = 0; i < 1000; i++) assert_int_equal(p[i], 0);
  grt__mem_free(&m, p, 1000);
  assert_int_equal(atomic_load(&m.used), 0);
}

/* Large blocks come from the kernel (mapped, not from the heap): still
 * zeroed, aligned, writable to the last byte, counted and freed. Sizes
 * either side of the 2 MiB threshold, one not a whole page. */
static void test_memory_large_blocks(void **state) {
  (void)state;
  grt_memory_t m;
  grt__mem_init(&m, GRT_MEM_SYSMEM, (size_t)64 << 20);
  const size_t sizes[] = {((size_t)2 << 20) - 8, (size_t)2 << 20, ((size_t)5 << 20) + 12345};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    size_t n = sizes[k];
    unsigned char *p;
    assert_int_equal(grt__mem_alloc(&m, n, (void **)&p), 0);
    assert_int_equal((uintptr_t)p % 64, 0);
    assert_int_equal(atomic_load(&m.used), n);
    for (size_t i = 0; i < n; i += 4093) assert_int_equal(p[i], 0);
    assert_int_equal(p[n - 1], 0);
    memset(p, 0xab, n);
    assert_int_equal(p[n - 1], 0xab);
    grt__mem_free(&m, p, n);
    assert_int_equal(atomic_load(&m.used), 0);
  }
}

static void test_memory_unbacked_kinds(void **state) {
  (void)state;
  for (int k = GRT_MEM_NUMAMEM; k < GRT_MEM_KIND_COUNT; k++) {
    grt_memory_t m;
    grt__mem_init(&m, (grt_mem_kind_t)k, 1 << 20);
    void *p = (void *)&m;
    assert_int_equal(grt__mem_alloc(&m, 10, &p), GRT_EUNSUPPORTED);
    assert_null(p);
    assert_non_null(strstr(grt_last_error(), grt__mem_kind_name((grt_mem_kind_t)k)));
    assert_int_equal(atomic_load(&m.used), 0);
  }
  assert_string_equal(grt__mem_kind_name(GRT_MEM_SYSMEM), "sysmem");
  assert_string_equal(grt__mem_kind_name(GRT_MEM_REGMEM), "regmem");
  assert_string_equal(grt__mem_kind_name(GRT_MEM_KIND_COUNT), "unknown");
}

static void test_memory_available(void **state) {
  (void)state;
  /* Linux always has MemAvailable; a machine with less than 1 MiB free would
   * not be running this test. */
  assert_true(grt__mem_available() > ((size_t)1 << 20));
}

/* eager_alloc_percentage splits the budget into two pools, each enforced
 * alone and named in its refusal; the memory's `used` is their sum. */
static void test_memory_pools_split_and_enforced(void **state) {
  (void)state;
  grt_memory_t m;
  grt__mem_init(&m, GRT_MEM_SYSMEM, 1000);
  grt__mem_set_eager(&m, 20);
  assert_int_equal(m.eager.budget, 200);
  assert_int_equal(m.inst.budget, 800);
  void *a = NULL, *b = NULL;
  assert_int_equal(grt__mem_alloc(&m, 900, &a), GRT_ENOMEM); /* fits the memory, not the pool */
  assert_non_null(strstr(grt_last_error(), "sysmem instance pool"));
  assert_non_null(strstr(grt_last_error(), "800-byte budget"));
  assert_int_equal(grt__mem_alloc(&m, 800, &a), 0);
  assert_int_equal(grt__mem_alloc_eager(&m, 201, &b), GRT_ENOMEM);
  assert_non_null(strstr(grt_last_error(), "sysmem eager pool"));
  assert_int_equal(grt__mem_reserve_eager(&m, 150), 0);
  assert_int_equal(grt__mem_alloc_eager(&m, 50, &b), 0);
  assert_int_equal(atomic_load(&m.used), 1000);
  assert_int_equal(grt__mem_reserve_eager(&m, 1), GRT_ENOMEM);
  grt__mem_unreserve_eager(&m, 150);
  grt__mem_free_eager(&m, b, 50);
  grt__mem_free(&m, a, 800);
  assert_int_equal(atomic_load(&m.used), 0);
  assert_int_equal(atomic_load(&m.inst.peak), 800);
  assert_int_equal(atomic_load(&m.eager.peak), 200);
  /* The extremes: all eager, none eager; an unlimited budget does not overflow. */
  grt__mem_set_eager(&m, 100);
  assert_int_equal(m.inst.budget, 0);
  grt__mem_set_eager(&m, 0);
  assert_int_equal(m.inst.budget, 1000);
  grt__mem_init(&m, GRT_MEM_SYSMEM, SIZE_MAX);
  grt__mem_set_eager(&m, 50);
  assert_int_equal(m.eager.budget + m.inst.budget, SIZE_MAX);
}

static void test_memory_info_through_runtime(void **state) {
  (void)state;
  unsetenv("GRT_CONFIG");
  unsetenv("GRT_SYSMEM");
  grt_config_t *cfg;
  assert_int_equal(grt_config_create(&cfg), 0);
  assert_int_equal(grt_config_set(cfg, "sysmem", "10"), 0);
  assert_int_equal(grt_config_set(cfg, "eager_alloc_percentage", "30"), 0);
  grt_runtime_t *rt;
  assert_int_equal(grt_init_config(NULL, NULL, cfg, &rt), 0);
  grt_config_destroy(cfg);
  grt_memory_info_t mi;
  assert_int_equal(grt_memory_info(rt, GRT_MEM_SYSMEM, &mi), 0);
  assert_int_equal(mi.budget, (size_t)10 << 20);
  assert_int_equal(mi.eager_budget, ((size_t)10 << 20) * 30 / 100);
  assert_int_equal(mi.instance_budget + mi.eager_budget, mi.budget);
  assert_int_equal(mi.instance_used, 0);
  /* A store's first use makes one whole instance on one rank. */
  const int64_t shape[1] = {1000};
  grt_store_t *s;
  assert_int_equal(grt_store_create(rt, grt_type_float64(), 1, shape, &s), 0);
  double one = 1;
  assert_int_equal(grt_fill(s, &one), 0);
  assert_int_equal(grt_fence(rt), 0);
  assert_int_equal(grt_memory_info(rt, GRT_MEM_SYSMEM, &mi), 0);
  assert_int_equal(mi.instance_used, 8000);
  assert_int_equal(mi.instance_count, 1);
  size_t used;
  assert_int_equal(grt_memory_usage(rt, GRT_MEM_SYSMEM, &used, NULL), 0);
  assert_int_equal(used, mi.instance_used + mi.eager_used);
  grt_store_destroy(s);
  assert_int_equal(grt_fence(rt), 0);
  assert_int_equal(grt_memory_info(rt, GRT_MEM_SYSMEM, &mi), 0);
  assert_int_equal(mi.instance_used, 0);
  assert_int_equal(mi.instance_peak, 8000);
  /* Bad arguments name themselves. */
  assert_int_equal(grt_memory_info(rt, GRT_MEM_SYSMEM, NULL), GRT_EINVAL);
  assert_non_null(strstr(grt_last_error(), "out is NULL"));
  assert_int_equal(grt_memory_info(rt, GRT_MEM_KIND_COUNT, &mi), GRT_EINVAL);
  assert_int_equal(grt_memory_info(NULL, GRT_MEM_SYSMEM, &mi), GRT_EINVAL);
  /* One rank holds no copies: trimming frees nothing and succeeds. */
  size_t freed = 1;
  assert_int_equal(grt_memory_trim(rt, &freed), 0);
  assert_int_equal(freed, 0);
  assert_int_equal(grt_memory_trim(rt, NULL), 0);
  assert_int_equal(grt_memory_trim(NULL, &freed), GRT_EINVAL);
  assert_int_equal(grt_finalize(rt), 0);
}

static void test_memory_usage_through_runtime(void **state) {
  (void)state;
  unsetenv("GRT_CONFIG");
  unsetenv("GRT_SYSMEM");
  grt_config_t *cfg;
  assert_int_equal(grt_config_create(&cfg), 0);
  assert_int_equal(grt_config_set(cfg, "sysmem", "3"), 0);
  assert_int_equal(grt_config_set(cfg, "fbmem", "5"), 0);
  grt_runtime_t *rt;
  assert_int_equal(grt_init_config(NULL, NULL, cfg, &rt), 0);
  grt_config_destroy(cfg);
  size_t used = 1, budget = 0;
  assert_int_equal(grt_memory_usage(rt, GRT_MEM_SYSMEM, &used, &budget), 0);
  assert_int_equal(used, 0);
  assert_int_equal(budget, (size_t)3 << 20);
  assert_int_equal(grt_memory_usage(rt, GRT_MEM_FBMEM, NULL, &budget), 0);
  assert_int_equal(budget, (size_t)5 << 20);
  assert_int_equal(grt_memory_usage(rt, GRT_MEM_ZCMEM, &used, &budget), 0);
  assert_int_equal(budget, (size_t)32 << 20);
  assert_int_equal(grt_memory_usage(rt, GRT_MEM_SYSMEM, NULL, NULL), 0);
  assert_int_equal(grt_memory_usage(rt, GRT_MEM_KIND_COUNT, &used, &budget), GRT_EINVAL);
  assert_int_equal(grt_memory_usage(rt, (grt_mem_kind_t)-1, &used, &budget), GRT_EINVAL);
  assert_int_equal(grt_memory_usage(NULL, GRT_MEM_SYSMEM, &used, &budget) < 0, 1);
  /* grt_show_config reports the explicit budget in the file format. */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(grt_show_config(rt, f), 0);
  fclose(f);
  assert_non_null(strstr(buf, "sysmem = 3  # explicit\n"));
  assert_non_null(strstr(buf, "fbmem = 5  # explicit\n"));
  free(buf);
  assert_int_equal(grt_finalize(rt), 0);
}

static void test_memory_bad_config_fails_init(void **state) {
  (void)state;
  setenv("GRT_SYSMEM", "lots", 1);
  grt_runtime_t *rt = (grt_runtime_t *)&rt;
  assert_int_equal(grt_init(NULL, NULL, &rt), GRT_EINVAL);
  assert_null(rt);
  assert_non_null(strstr(grt_last_error(), "GRT_SYSMEM"));
  unsetenv("GRT_SYSMEM");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_memory_budget_exceeded),
      cmocka_unit_test(test_memory_larger_than_budget),
      cmocka_unit_test(test_memory_zero_bytes),
      cmocka_unit_test(test_memory_zeroed_and_aligned),
      cmocka_unit_test(test_memory_large_blocks),
      cmocka_unit_test(test_memory_unbacked_kinds),
      cmocka_unit_test(test_memory_available),
      cmocka_unit_test(test_memory_usage_through_runtime),
      cmocka_unit_test(test_memory_pools_split_and_enforced),
      cmocka_unit_test(test_memory_info_through_runtime),
      cmocka_unit_test(test_memory_bad_config_fails_init),
  };
  return cmocka_run_group_tests_name("memory", tests, NULL, NULL);
}
