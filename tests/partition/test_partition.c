/* test_partition.c - the partition layer alone: tilings (with and without
 * halos), broadcast tilings, colour grids, the auto-launch solver, and the
 * public partition objects on a store context standing in for the runtime.
 * Every expected value is worked out by hand in the comment beside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "grt.h"
#include "partition.h"
#include "store_fixture.h"

static void assert_rect(const grt_rect_t *r, int ndim, const int64_t *lo, const int64_t *hi) {
  assert_int_equal(r->ndim, ndim);
  for (int d = 0; d < ndim; d++) {
    assert_int_equal(r->lo[d], lo[d]);
    assert_int_equal(r->hi[d], hi[d]);
  }
}

static void assert_msg_has(const char *want) {
  const char *m = grt_last_error();
  if (!strstr(m, want)) fail_msg("message '%s' lacks '%s'", m, want);
}

/* 10 x 7 in 4 x 3 tiles: ceil(10/4) = 3 by ceil(7/3) = 3 colours; the last
 * row and column of tiles are clipped to the store. */
static void test_tiling_grid(void **state) {
  (void)state;
  grt_tiling_t t;
  const int64_t shape[2] = {10, 7}, tile[2] = {4, 3};
  assert_int_equal(grt__tiling_make(&t, 2, shape, tile, NULL, NULL, "f"), 0);
  assert_int_equal(t.kind, GRT_PART_TILED);
  assert_int_equal(t.colors[0], 3);
  assert_int_equal(t.colors[1], 3);
  grt_rect_t r;
  grt__tiling_rect(&t, (const int64_t[]){0, 0}, &r);
  assert_rect(&r, 2, (const int64_t[]){0, 0}, (const int64_t[]){3, 2});
  grt__tiling_rect(&t, (const int64_t[]){0, 1}, &r);
  assert_rect(&r, 2, (const int64_t[]){0, 3}, (const int64_t[]){3, 5});
  grt__tiling_rect(&t, (const int64_t[]){2, 2}, &r);   /* rows 8..9, column 6 */
  assert_rect(&r, 2, (const int64_t[]){8, 6}, (const int64_t[]){9, 6});
  /* Every point in exactly one tile: the volumes add up to 70. */
  int64_t sum = 0;
  for (int64_t i = 0; i < 3; i++)
    for (int64_t j = 0; j < 3; j++) {
      grt__tiling_rect(&t, (const int64_t[]){i, j}, &r);
      sum += grt_rect_volume(&r);
    }
  assert_int_equal(sum, 70);
}

/* An empty dim still has one colour; a tile larger than the store, one. */
static void test_tiling_edges(void **state) {
  (void)state;
  grt_tiling_t t;
  assert_int_equal(grt__tiling_make(&t, 2, (const int64_t[]){0, 5}, (const int64_t[]){3, 8}, NULL,
                                    NULL, "f"),
                   0);
  assert_int_equal(t.colors[0], 1);
  assert_int_equal(t.colors[1], 1);
  grt_rect_t r;
  grt__tiling_rect(&t, (const int64_t[]){0, 0}, &r);
  assert_true(grt_rect_empty(&r));                  /* rows 0..-1 */
  assert_int_equal(r.hi[1], 4);                     /* columns clipped to 0..4 */
}

/* 10 in tiles of 4 with halo low 1, high 2: colour c covers
 * [4c - 1, 4c + 3 + 2] clipped to [0, 9]. */
static void test_tiling_halo(void **state) {
  (void)state;
  grt_tiling_t t;
  const int64_t shape[1] = {10}, tile[1] = {4}, low[1] = {1}, high[1] = {2};
  assert_int_equal(grt__tiling_make(&t, 1, shape, tile, low, high, "f"), 0);
  assert_int_equal(t.colors[0], 3);
  grt_rect_t r;
  grt__tiling_rect(&t, (const int64_t[]){0}, &r);
  assert_rect(&r, 1, (const int64_t[]){0}, (const int64_t[]){5});
  grt__tiling_rect(&t, (const int64_t[]){1}, &r);
  assert_rect(&r, 1, (const int64_t[]){3}, (const int64_t[]){9});
  grt__tiling_rect(&t, (const int64_t[]){2}, &r);
  assert_rect(&r, 1, (const int64_t[]){7}, (const int64_t[]){9});
}

static void test_tiling_bad_input(void **state) {
  (void)state;
  grt_tiling_t t;
  const int64_t shape[2] = {10, 7};
  assert_int_equal(grt__tiling_make(&t, 2, shape, NULL, NULL, NULL, "fn_a"), GRT_EINVAL);
  assert_msg_has("fn_a: tile_shape is NULL");
  assert_int_equal(grt__tiling_make(&t, 2, shape, (const int64_t[]){4, 0}, NULL, NULL, "fn_b"),
                   GRT_EINVAL);
  assert_msg_has("fn_b: tile_shape[1] = 0 must be >= 1");
  assert_int_equal(grt__tiling_make(&t, 2, shape, (const int64_t[]){4, 3},
                                    (const int64_t[]){0, -1}, (const int64_t[]){0, 0}, "fn_c"),
                   GRT_EINVAL);
  assert_msg_has("fn_c: low[1] = -1 must be >= 0");
  assert_int_equal(grt__tiling_make(&t, 2, shape, (const int64_t[]){4, 3},
                                    (const int64_t[]){0, 0}, (const int64_t[]){-3, 0}, "fn_d"),
                   GRT_EINVAL);
  assert_msg_has("fn_d: high[0] = -3 must be >= 0");
}

/* A broadcast tiling gives every colour the whole store. */
static void test_broadcast(void **state) {
  (void)state;
  grt_tiling_t t;
  grt__tiling_broadcast(&t, 2, (const int64_t[]){6, 0});
  assert_int_equal(t.kind, GRT_PART_BROADCAST);
  assert_int_equal(t.colors[0], 1);
  assert_int_equal(t.tile[0], 6);
  assert_int_equal(t.tile[1], 1);                   /* an empty dim gets tile 1 */
  grt_rect_t r;
  grt__tiling_rect(&t, (const int64_t[]){5, 9}, &r); /* the colour is ignored */
  assert_rect(&r, 2, (const int64_t[]){0, 0}, (const int64_t[]){5, -1});
}

static void test_tiling_equal(void **state) {
  (void)state;
  grt_tiling_t a, b, c, h, ba, bb;
  const int64_t shape[2] = {8, 8};
  assert_int_equal(grt__tiling_make(&a, 2, shape, (const int64_t[]){4, 4}, NULL, NULL, "f"), 0);
  assert_int_equal(grt__tiling_make(&b, 2, shape, (const int64_t[]){4, 4}, NULL, NULL, "f"), 0);
  assert_int_equal(grt__tiling_make(&c, 2, shape, (const int64_t[]){4, 2}, NULL, NULL, "f"), 0);
  assert_int_equal(grt__tiling_make(&h, 2, shape, (const int64_t[]){4, 4},
                                    (const int64_t[]){1, 0}, (const int64_t[]){0, 0}, "f"),
                   0);
  assert_true(grt__tiling_equal(&a, &b));
  assert_false(grt__tiling_equal(&a, &c));          /* other tiles */
  assert_false(grt__tiling_equal(&a, &h));          /* same tiles, a halo */
  grt__tiling_broadcast(&ba, 2, shape);
  grt__tiling_broadcast(&bb, 2, shape);
  assert_true(grt__tiling_equal(&ba, &bb));
  assert_false(grt__tiling_equal(&a, &ba));         /* tiled vs broadcast */
  grt__tiling_broadcast(&bb, 2, (const int64_t[]){8, 9});
  assert_false(grt__tiling_equal(&ba, &bb));        /* other shape */
}

/* nprocs' prime factors, largest first, each to the dim whose tiles are
 * largest (the innermost counted 1/8), ties to the outer dim. */
static void test_colors_for(void **state) {
  (void)state;
  int64_t c[GRT_MAX_DIM];
  /* 4 = 2 * 2 on 100 x 100: dim 0 (100) beats dim 1 (100 / 8 = 12), then
   * again (50 > 12): 4 x 1, row blocks. */
  assert_int_equal(grt__colors_for(2, (const int64_t[]){100, 100}, 4, c), 4);
  assert_int_equal(c[0], 4);
  assert_int_equal(c[1], 1);
  /* 12 = 3 * 2 * 2 on 64^3: 3 to dim 0 (tie 64/64/8 goes outer), 2 to
   * dim 1 (64 > 21), 2 to dim 1 again (32 > 21): 3 x 4 x 1. */
  assert_int_equal(grt__colors_for(3, (const int64_t[]){64, 64, 64}, 12, c), 12);
  assert_int_equal(c[0], 3);
  assert_int_equal(c[1], 4);
  assert_int_equal(c[2], 1);
  /* 8 = 2 * 2 * 2 on a 1-D store of 3: one 2 fits, 4 > 3 does not. */
  assert_int_equal(grt__colors_for(1, (const int64_t[]){3}, 8, c), 2);
  assert_int_equal(c[0], 2);
  /* 7 on 5: the prime does not fit; nprocs 0 is taken as 1. */
  assert_int_equal(grt__colors_for(1, (const int64_t[]){5}, 7, c), 1);
  assert_int_equal(c[0], 1);
  assert_int_equal(grt__colors_for(2, (const int64_t[]){9, 9}, 0, c), 1);
  assert_int_equal(c[0] * c[1], 1);
}

static grt_solver_arg_t arg1(int64_t n, bool writes) {
  return (grt_solver_arg_t){.ndim = 1, .shape = {n}, .elem_size = 8, .writes = writes,
                            .align_to = -1, .bloat_base = -1};
}

static int hint_two(void *data, int ndim, const int64_t *shape, int nprocs, int64_t *colors) {
  (*(int *)data)++;
  assert_int_equal(ndim, 1);
  assert_int_equal(shape[0], 100);
  assert_int_equal(nprocs, 4);
  colors[0] = 2;
  return 0;
}

/* Key: the writer a0 (100 doubles); 4 procs: 4 tiles of 25. a1 takes a0's
 * tiles with its halo; a2 is broadcast. */
static void test_solve(void **state) {
  (void)state;
  grt_solver_arg_t args[3] = {arg1(100, true), arg1(100, false), arg1(10, false)};
  args[1].bloat_base = 0;
  args[1].low[0] = 1;
  args[1].high[0] = 1;
  args[2].broadcast = true;
  grt_solution_t sol;
  assert_int_equal(grt__solve(args, 3, 4, 0, NULL, NULL, &sol), 0);
  assert_int_equal(sol.launch_ndim, 1);
  assert_int_equal(sol.launch_shape[0], 4);
  assert_int_equal(sol.tilings[0].tile[0], 25);
  assert_int_equal(sol.tilings[0].colors[0], 4);
  grt_rect_t r;
  grt__tiling_rect(&sol.tilings[1], (const int64_t[]){1}, &r);   /* [25-1, 49+1] */
  assert_rect(&r, 1, (const int64_t[]){24}, (const int64_t[]){50});
  assert_int_equal(sol.tilings[2].kind, GRT_PART_BROADCAST);

  /* 800 bytes under a 1000-byte minimum chunk: one point, every store whole. */
  assert_int_equal(grt__solve(args, 3, 4, 1000, NULL, NULL, &sol), 0);
  assert_int_equal(sol.launch_shape[0], 1);
  for (int i = 0; i < 3; i++) assert_int_equal(sol.tilings[i].kind, GRT_PART_BROADCAST);
  /* One processor: one point. */
  assert_int_equal(grt__solve(args, 3, 1, 0, NULL, NULL, &sol), 0);
  assert_int_equal(sol.launch_shape[0], 1);

  /* A mapper's hint comes first: 2 tiles of 50. */
  int calls = 0;
  assert_int_equal(grt__solve(args, 3, 4, 0, hint_two, &calls, &sol), 0);
  assert_int_equal(calls, 1);
  assert_int_equal(sol.launch_shape[0], 2);
  assert_int_equal(sol.tilings[0].tile[0], 50);

  /* The key store's current tiling (2 tiles of 50) is kept: no data moves. */
  grt_tiling_t cur;
  assert_int_equal(grt__tiling_make(&cur, 1, (const int64_t[]){100}, (const int64_t[]){50}, NULL,
                                    NULL, "f"),
                   0);
  args[0].preferred = &cur;
  assert_int_equal(grt__solve(args, 3, 4, 0, NULL, NULL, &sol), 0);
  assert_int_equal(sol.launch_shape[0], 2);
  assert_true(grt__tiling_equal(&sol.tilings[0], &cur));
}

static void test_solve_bad_input(void **state) {
  (void)state;
  grt_solution_t sol;
  grt_solver_arg_t args[2] = {arg1(100, true), arg1(99, false)};
  args[1].align_to = 0;
  assert_int_equal(grt__solve(args, 2, 4, 0, NULL, NULL, &sol), GRT_EINVAL);
  assert_msg_has("grt_launch_align: arguments 1 and 0 have different shapes");
  args[1].align_to = -1;
  args[1].bloat_base = 0;
  assert_int_equal(grt__solve(args, 2, 4, 0, NULL, NULL, &sol), GRT_EINVAL);
  assert_msg_has("grt_launch_bloat: arguments 1 and 0 have different shapes");
  static grt_solver_arg_t many[GRT_SOLVER_MAX_ARGS + 1];
  for (int i = 0; i <= GRT_SOLVER_MAX_ARGS; i++) many[i] = arg1(4, false);
  assert_int_equal(grt__solve(many, GRT_SOLVER_MAX_ARGS + 1, 4, 0, NULL, NULL, &sol),
                   GRT_EINVAL);
  assert_msg_has("more than 64 store arguments");
}

/* ---- the public partition objects, on a store context ---- */

static void test_partition_objects(void **state) {
  grt_store_ctx_t *ctx = *state;
  grt_store_t *s = NULL;
  const int64_t shape[2] = {10, 7};
  assert_int_equal(grt_store_create(ctx, grt_type_float64(), 2, shape, &s), 0);
  grt_store_root_t *root = grt__store_of(s)->root;
  grt_partition_t *p = NULL, *h = NULL;
  assert_int_equal(grt_partition_tiling(s, (const int64_t[]){4, 3}, &p), 0);
  assert_int_equal(atomic_load(&root->refs), 2);    /* the partition holds the root */
  int64_t colors[2] = {0};
  assert_int_equal(grt_partition_colors(p, colors), 2);
  assert_int_equal(colors[0], 3);
  assert_int_equal(colors[1], 3);
  assert_int_equal(grt_partition_tiling_halo(s, (const int64_t[]){5, 7}, (const int64_t[]){1, 0},
                                             (const int64_t[]){1, 0}, &h),
                   0);
  assert_int_equal(grt_partition_colors(h, colors), 2);
  assert_int_equal(colors[0], 2);
  assert_int_equal(colors[1], 1);
  const grt_partition_t *obj;
  assert_int_equal(grt__partition_get(h, "f", &obj), 0);
  assert_int_equal(obj->root_id, root->id);
  assert_int_equal(obj->tiling.low[0], 1);
  /* The store may go first: the partitions keep the root. */
  grt_store_destroy(s);
  assert_int_equal(atomic_load(&root->refs), 2);
  assert_int_equal(grt_partition_colors(p, colors), 2);
  grt_partition_destroy(p);
  assert_int_equal(atomic_load(&root->refs), 1);
  /* A destroyed partition's handle is stale. */
  assert_int_equal(grt_partition_colors(p, colors), GRT_ESTATE);
  assert_msg_has("grt_partition_colors: partition is stale");
  grt_partition_destroy(p);                         /* only sets the message */
  grt_partition_destroy(h);                         /* the last reference: the root goes */
  /* Partition objects come from the context's pool and go back to it. */
  assert_int_equal(grt__pool_count(&ctx->pools[GRT_HK_PARTITION]), 2);
}

static void test_partition_bad_input(void **state) {
  grt_store_ctx_t *ctx = *state;
  grt_store_t *s = NULL;
  const int64_t shape[1] = {8};
  assert_int_equal(grt_store_create(ctx, grt_type_int32(), 1, shape, &s), 0);
  grt_partition_t *p = (grt_partition_t *)(uintptr_t)1;
  assert_int_equal(grt_partition_tiling(s, NULL, &p), GRT_EINVAL);
  assert_null(p);
  assert_msg_has("grt_partition_tiling: tile_shape is NULL");
  assert_int_equal(grt_partition_tiling(s, (const int64_t[]){2}, NULL), GRT_EINVAL);
  assert_msg_has("grt_partition_tiling: out is NULL");
  assert_int_equal(grt_partition_tiling(NULL, (const int64_t[]){2}, &p), GRT_EINVAL);
  assert_msg_has("grt_partition_tiling: store is NULL");
  assert_int_equal(
      grt_partition_tiling_halo(s, (const int64_t[]){2}, NULL, (const int64_t[]){0}, &p),
      GRT_EINVAL);
  assert_msg_has("grt_partition_tiling_halo: low is NULL");
  assert_int_equal(grt_partition_tiling_halo(s, (const int64_t[]){2}, (const int64_t[]){-1},
                                             (const int64_t[]){0}, &p),
                   GRT_EINVAL);
  assert_msg_has("grt_partition_tiling_halo: low[0] = -1 must be >= 0");
  assert_int_equal(grt_partition_colors(NULL, (int64_t[1]){0}), GRT_EINVAL);
  assert_msg_has("grt_partition_colors: partition is NULL");
  /* A store handle is not a partition handle. */
  assert_int_equal(grt_partition_colors((grt_partition_t *)(void *)s, (int64_t[1]){0}), GRT_EINVAL);
  assert_msg_has("partition is a store handle, not a partition");
  assert_int_equal(grt_partition_tiling(s, (const int64_t[]){2}, &p), 0);
  assert_int_equal(grt_partition_colors(p, NULL), GRT_EINVAL);
  assert_msg_has("grt_partition_colors: colors is NULL");
  grt_partition_destroy(p);
  grt_store_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tiling_grid),
      cmocka_unit_test(test_tiling_edges),
      cmocka_unit_test(test_tiling_halo),
      cmocka_unit_test(test_tiling_bad_input),
      cmocka_unit_test(test_broadcast),
      cmocka_unit_test(test_tiling_equal),
      cmocka_unit_test(test_colors_for),
      cmocka_unit_test(test_solve),
      cmocka_unit_test(test_solve_bad_input),
      cmocka_unit_test_setup_teardown(test_partition_objects, test_ctx_setup, test_ctx_teardown),
      cmocka_unit_test_setup_teardown(test_partition_bad_input, test_ctx_setup, test_ctx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
