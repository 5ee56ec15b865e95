/* test_depgraph.c - unit tests for each rule of the dependence analyzer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "depgraph.h"

#define MAXE 4096

typedef struct {
  int n;
  int i[MAXE];
  uint64_t id[MAXE];
} edges_t;

static void collect(void *ctx, int i, uint64_t id) {
  edges_t *e = ctx;
  assert_true(e->n < MAXE);
  e->i[e->n] = i;
  e->id[e->n] = id;
  e->n++;
}

static int has_edge(const edges_t *e, int i, uint64_t id) {
  for (int k = 0; k < e->n; k++)
    if (e->i[k] == i && e->id[k] == id) return 1;
  return 0;
}

static grt_rect_t r1(int64_t lo, int64_t hi) {
  grt_rect_t r = {.ndim = 1};
  r.lo[0] = lo;
  r.hi[0] = hi;
  return r;
}

static grt_rect_t r2(int64_t x0, int64_t x1, int64_t y0, int64_t y1) {
  grt_rect_t r = {.ndim = 2};
  r.lo[0] = x0;
  r.hi[0] = x1;
  r.lo[1] = y0;
  r.hi[1] = y1;
  return r;
}

/* Adds one access with one rectangle; returns the edges it got. */
static edges_t *add1(grt_dg_t *dg, uint64_t id, grt_dg_priv_t priv, int redop,
                     grt_rect_t r) {
  static edges_t e;
  e.n = 0;
  grt_dg_access_t a = {.id = id, .priv = priv, .redop = redop, .rects = &r,
                       .nrects = 1};
  assert_int_equal(grt__dg_add(dg, &a, 1, collect, &e), 0);
  return &e;
}

static void test_depgraph_create_rejects_bad_ndim(void **state) {
  (void)state;
  assert_null(grt__dg_create(0));
  assert_null(grt__dg_create(5));
  grt__dg_destroy(NULL);
  for (int d = 1; d <= 4; d++) {
    grt_dg_t *dg = grt__dg_create(d);
    assert_non_null(dg);
    assert_int_equal(grt__dg_live(dg), 0);
    grt__dg_destroy(dg);
  }
}

static void test_depgraph_add_rejects_bad_arguments(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(2);
  edges_t e = {0};
  grt_rect_t bad = r1(0, 3); /* 1-D rect for a 2-D analyzer */
  grt_dg_access_t a = {.id = 1, .priv = GRT_DG_WRITE, .rects = &bad, .nrects = 1};
  assert_int_equal(grt__dg_add(dg, &a, 1, collect, &e), -1);
  grt_rect_t ok = r2(0, 1, 0, 1);
  a.rects = &ok;
  a.priv = (grt_dg_priv_t)7;
  assert_int_equal(grt__dg_add(dg, &a, 1, collect, &e), -1);
  a.priv = GRT_DG_WRITE;
  assert_int_equal(grt__dg_add(dg, &a, -1, collect, &e), -1);
  assert_int_equal(grt__dg_add(dg, &a, 1, NULL, &e), -1);
  assert_int_equal(grt__dg_add(NULL, &a, 1, collect, &e), -1);
  assert_int_equal(grt__dg_live(dg), 0);
  assert_int_equal(grt__dg_add(dg, &a, 1, collect, &e), 0);
  assert_int_equal(grt__dg_live(dg), 1);
  grt__dg_destroy(dg);
}

static void test_depgraph_read_after_write(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(1);
  add1(dg, 1, GRT_DG_WRITE, 0, r1(0, 9));
  edges_t *e = add1(dg, 2, GRT_DG_READ, 0, r1(5, 20));
  assert_int_equal(e->n, 1);
  assert_true(has_edge(e, 0, 1));
  e = add1(dg, 3, GRT_DG_READ, 0, r1(10, 20)); /* disjoint from the write */
  assert_int_equal(e->n, 0);
  grt__dg_destroy(dg);
}

static void test_depgraph_reads_do_not_conflict(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(2);
  for (uint64_t id = 1; id <= 10; id++) {
    edges_t *e = add1(dg, id, GRT_DG_READ, 0, r2(0, 9, 0, 9));
    assert_int_equal(e->n, 0);
  }
  assert_int_equal(grt__dg_live(dg), 10);
  grt__dg_destroy(dg);
}

static void test_depgraph_disjoint_rects_do_not_conflict(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(2);
  add1(dg, 1, GRT_DG_WRITE, 0, r2(0, 4, 0, 4));
  add1(dg, 2, GRT_DG_WRITE, 0, r2(5, 9, 0, 4));
  add1(dg, 3, GRT_DG_WRITE, 0, r2(0, 4, 5, 9));
  edges_t *e = add1(dg, 4, GRT_DG_WRITE, 0, r2(5, 9, 5, 9));
  assert_int_equal(e->n, 0);
  /* Touching only at a corner of the box in one dim but not the other. */
  e = add1(dg, 5, GRT_DG_READ, 0, r2(4, 5, 4, 4));
  assert_int_equal(e->n, 2);
  assert_true(has_edge(e, 0, 1));
  assert_true(has_edge(e, 0, 2));
  grt__dg_destroy(dg);
}

static void test_depgraph_write_after_reads_waits_for_all(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(1);
  add1(dg, 1, GRT_DG_WRITE, 0, r1(0, 99));
  for (uint64_t id = 2; id <= 6; id++) add1(dg, id, GRT_DG_READ, 0, r1(0, 99));
  edges_t *e = add1(dg, 7, GRT_DG_WRITE, 0, r1(50, 50));
  /* All five reads; the first write too (transitively implied, allowed). */
  for (uint64_t id = 2; id <= 6; id++) assert_true(has_edge(e, 0, id));
  assert_true(e->n == 5 || e->n == 6);
  grt__dg_destroy(dg);
}

static void test_depgraph_read_after_write_skips_older_reads(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(1);
  add1(dg, 1, GRT_DG_READ, 0, r1(0, 9));
  add1(dg, 2, GRT_DG_READ, 0, r1(0, 9));
  edges_t *e = add1(dg, 3, GRT_DG_READ_WRITE, 0, r1(0, 9));
  assert_int_equal(e->n, 2);
  e = add1(dg, 4, GRT_DG_READ, 0, r1(0, 9));
  assert_int_equal(e->n, 1);
  assert_true(has_edge(e, 0, 3));
  grt__dg_destroy(dg);
}

static void test_depgraph_same_op_reductions_do_not_conflict(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(2);
  add1(dg, 1, GRT_DG_WRITE, 0, r2(0, 9, 0, 9));
  for (uint64_t id = 2; id <= 9; id++) {
    edges_t *e = add1(dg, id, GRT_DG_REDUCE, 3, r2(0, 9, 0, 9));
    assert_int_equal(e->n, 1); /* only the write */
    assert_true(has_edge(e, 0, 1));
  }
  grt__dg_destroy(dg);
}

static void test_depgraph_different_op_reductions_conflict(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(1);
  add1(dg, 1, GRT_DG_REDUCE, 1, r1(0, 9));
  add1(dg, 2, GRT_DG_REDUCE, 1, r1(5, 14));
  edges_t *e = add1(dg, 3, GRT_DG_REDUCE, 2, r1(8, 8));
  assert_int_equal(e->n, 2);
  assert_true(has_edge(e, 0, 1));
  assert_true(has_edge(e, 0, 2));
  e = add1(dg, 4, GRT_DG_REDUCE, 1, r1(12, 12)); /* conflicts with op 2? no: 12 */
  assert_int_equal(e->n, 0);
  e = add1(dg, 5, GRT_DG_REDUCE, 1, r1(8, 8)); /* only the op-2 reduction */
  assert_int_equal(e->n, 1);
  assert_true(has_edge(e, 0, 3));
  grt__dg_destroy(dg);
}

static void test_depgraph_read_after_reductions_waits_for_all(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(1);
  for (uint64_t id = 1; id <= 20; id++)
    add1(dg, id, GRT_DG_REDUCE, 0, r1((int64_t)id, (int64_t)id + 10));
  edges_t *e = add1(dg, 100, GRT_DG_READ, 0, r1(15, 15));
  /* Reductions 5..15 cover point 15. */
  assert_int_equal(e->n, 11);
  for (uint64_t id = 5; id <= 15; id++) assert_true(has_edge(e, 0, id));
  /* A read and a later reduction conflict both ways. */
  e = add1(dg, 101, GRT_DG_REDUCE, 0, r1(15, 15));
  assert_int_equal(e->n, 1);
  assert_true(has_edge(e, 0, 100));
  grt__dg_destroy(dg);
}

static void test_depgraph_batch_accesses_do_not_depend(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(1);
  add1(dg, 1, GRT_DG_WRITE, 0, r1(0, 14));
  grt_rect_t ra = r1(0, 9), rb = r1(5, 9), rc = r1(0, 14);
  grt_dg_access_t a[3] = {
      {.id = 2, .priv = GRT_DG_WRITE, .rects = &ra, .nrects = 1},
      {.id = 3, .priv = GRT_DG_WRITE, .rects = &rb, .nrects = 1},
      {.id = 4, .priv = GRT_DG_READ, .rects = &rc, .nrects = 1},
  };
  edges_t e = {0};
  assert_int_equal(grt__dg_add(dg, a, 3, collect, &e), 0);
  /* Each waits for the old write (even though access 0 retires it), never
   * for each other. */
  assert_int_equal(e.n, 3);
  assert_true(has_edge(&e, 0, 1));
  assert_true(has_edge(&e, 1, 1));
  assert_true(has_edge(&e, 2, 1));
  /* Both writers stay live where they overlap; a reader waits for both. */
  edges_t *e2 = add1(dg, 5, GRT_DG_READ, 0, r1(7, 7));
  assert_int_equal(e2->n, 2);
  assert_true(has_edge(e2, 0, 2));
  assert_true(has_edge(e2, 0, 3));
  /* The old write survives only at 10..14 (trimmed), with the batch read. */
  e2 = add1(dg, 6, GRT_DG_WRITE, 0, r1(12, 12));
  assert_int_equal(e2->n, 2);
  assert_true(has_edge(e2, 0, 1));
  assert_true(has_edge(e2, 0, 4));
  grt__dg_destroy(dg);
}

static void test_depgraph_full_overwrite_retires_entries(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(2);
  uint64_t id = 1;
  for (int x = 0; x < 10; x++)
    for (int y = 0; y < 10; y++)
      add1(dg, id++, (x + y) % 3 == 0 ? GRT_DG_READ : GRT_DG_WRITE, 0,
           r2(x * 4, x * 4 + 3, y * 4, y * 4 + 3));
  assert_int_equal(grt__dg_live(dg), 100);
  edges_t *e = add1(dg, 1000, GRT_DG_WRITE, 0, r2(0, 39, 0, 39));
  assert_int_equal(e->n, 100);
  assert_int_equal(grt__dg_live(dg), 1);
  e = add1(dg, 1001, GRT_DG_READ, 0, r2(13, 13, 13, 13));
  assert_int_equal(e->n, 1);
  assert_true(has_edge(e, 0, 1000));
  grt__dg_destroy(dg);
}

static void test_depgraph_partial_cover_trims(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(2);
  add1(dg, 1, GRT_DG_WRITE, 0, r2(0, 9, 0, 9));
  edges_t *e = add1(dg, 2, GRT_DG_WRITE, 0, r2(3, 5, 3, 5));
  assert_int_equal(e->n, 1);
  /* The old write is cut into 4 slabs around the hole, plus the new one. */
  assert_int_equal(grt__dg_live(dg), 5);
  e = add1(dg, 3, GRT_DG_READ, 0, r2(4, 4, 4, 4));
  assert_int_equal(e->n, 1);
  assert_true(has_edge(e, 0, 2));
  e = add1(dg, 4, GRT_DG_READ, 0, r2(0, 9, 0, 0));
  assert_int_equal(e->n, 1);
  assert_true(has_edge(e, 0, 1));
  e = add1(dg, 5, GRT_DG_READ, 0, r2(2, 6, 4, 4)); /* old left, hole, old right */
  assert_int_equal(e->n, 2);
  assert_true(has_edge(e, 0, 1));
  assert_true(has_edge(e, 0, 2));
  /* A write over the whole root retires all of it. */
  add1(dg, 6, GRT_DG_WRITE, 0, r2(-5, 20, -5, 20));
  assert_int_equal(grt__dg_live(dg), 1);
  grt__dg_destroy(dg);
}

static void test_depgraph_retired_history_still_orders(void **state) {
  (void)state;
  /* R(1) then W(2) retires it; a later write waits for 2 only, which is
   * ordered after 1, so the order 1 -> 3 still holds transitively. */
  grt_dg_t *dg = grt__dg_create(1);
  add1(dg, 1, GRT_DG_READ, 0, r1(0, 9));
  edges_t *e = add1(dg, 2, GRT_DG_WRITE, 0, r1(0, 9));
  assert_true(has_edge(e, 0, 1));
  assert_int_equal(grt__dg_live(dg), 1);
  e = add1(dg, 3, GRT_DG_WRITE, 0, r1(0, 4));
  assert_int_equal(e->n, 1);
  assert_true(has_edge(e, 0, 2));
  grt__dg_destroy(dg);
}

static void test_depgraph_multi_rect_reports_each_id_once(void **state) {
  (void)state;
  grt_rect_t w[3] = {r1(0, 4), r1(10, 14), r1(20, 24)};
  grt_rect_t q[3] = {r1(0, 24), r1(3, 12), r1(13, 21)}; /* all hit all pieces */
  for (int p = 0; p < 4; p++) {
    grt_dg_t *dg = grt__dg_create(1);
    grt_dg_access_t a = {.id = 1, .priv = GRT_DG_WRITE, .rects = w, .nrects = 3};
    edges_t e = {0};
    assert_int_equal(grt__dg_add(dg, &a, 1, collect, &e), 0);
    assert_int_equal(grt__dg_live(dg), 3);
    grt_dg_access_t b = {.id = 2, .rects = q, .nrects = 3,
                         .priv = (grt_dg_priv_t)p, .redop = 0};
    assert_int_equal(grt__dg_add(dg, &b, 1, collect, &e), 0);
    assert_int_equal(e.n, 1); /* the earlier access once, whatever pieces */
    assert_true(has_edge(&e, 0, 1));
    grt__dg_destroy(dg);
  }
}

static void test_depgraph_empty_access_records_nothing(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(3);
  add1(dg, 1, GRT_DG_WRITE, 0,
       (grt_rect_t){.ndim = 3, .lo = {0, 0, 0}, .hi = {9, 9, 9}});
  edges_t *e = add1(dg, 2, GRT_DG_WRITE, 0,
                    (grt_rect_t){.ndim = 3, .lo = {0, 5, 0}, .hi = {9, 4, 9}});
  assert_int_equal(e->n, 0);
  grt_dg_access_t none = {.id = 3, .priv = GRT_DG_WRITE, .rects = NULL, .nrects = 0};
  edges_t e2 = {0};
  assert_int_equal(grt__dg_add(dg, &none, 1, collect, &e2), 0);
  assert_int_equal(e2.n, 0);
  assert_int_equal(grt__dg_live(dg), 1);
  grt__dg_destroy(dg);
}

static void test_depgraph_four_dims(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(4);
  grt_rect_t a = {.ndim = 4, .lo = {0, 0, 0, 0}, .hi = {3, 3, 3, 3}};
  grt_rect_t b = {.ndim = 4, .lo = {3, 3, 3, 4}, .hi = {5, 5, 5, 5}};
  grt_rect_t c = {.ndim = 4, .lo = {3, 3, 3, 3}, .hi = {5, 5, 5, 5}};
  add1(dg, 1, GRT_DG_WRITE, 0, a);
  assert_int_equal(add1(dg, 2, GRT_DG_READ, 0, b)->n, 0);
  edges_t *e = add1(dg, 3, GRT_DG_READ, 0, c);
  assert_int_equal(e->n, 1);
  assert_true(has_edge(e, 0, 1));
  grt__dg_destroy(dg);
}

static void test_depgraph_extreme_coordinates(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(2);
  add1(dg, 1, GRT_DG_WRITE, 0, r2(INT64_MIN, INT64_MAX, INT64_MIN, INT64_MAX));
  edges_t *e = add1(dg, 2, GRT_DG_WRITE, 0, r2(-1, 0, INT64_MAX, INT64_MAX));
  assert_int_equal(e->n, 1);
  assert_true(has_edge(e, 0, 1));
  /* The universe minus a 2x1 hole at the top edge: 3 slabs, plus the write. */
  assert_int_equal(grt__dg_live(dg), 4);
  e = add1(dg, 3, GRT_DG_READ, 0, r2(INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN));
  assert_int_equal(e->n, 1);
  assert_true(has_edge(e, 0, 1));
  e = add1(dg, 4, GRT_DG_READ, 0, r2(0, 0, INT64_MAX, INT64_MAX));
  assert_int_equal(e->n, 1);
  assert_true(has_edge(e, 0, 2));
  add1(dg, 5, GRT_DG_WRITE, 0, r2(INT64_MIN, INT64_MAX, INT64_MIN, INT64_MAX));
  assert_int_equal(grt__dg_live(dg), 1);
  grt__dg_destroy(dg);
}

static void test_depgraph_many_tiles_then_queries(void **state) {
  (void)state;
  /* 64x64 tiles in 3-D slabs: every point query finds exactly its tile. */
  grt_dg_t *dg = grt__dg_create(3);
  for (int x = 0; x < 64; x++)
    for (int y = 0; y < 64; y++) {
      grt_rect_t r = {.ndim = 3, .lo = {x * 3, y * 5, 0}, .hi = {x * 3 + 2, y * 5 + 4, 7}};
      add1(dg, (uint64_t)(x * 64 + y) + 1, GRT_DG_WRITE, 0, r);
    }
  assert_int_equal(grt__dg_live(dg), 64 * 64);
  for (int k = 0; k < 500; k++) {
    int64_t px = (k * 37) % 192, py = (k * 101) % 320, pz = k % 8;
    grt_rect_t q = {.ndim = 3, .lo = {px, py, pz}, .hi = {px, py, pz}};
    edges_t *e = add1(dg, 100000 + (uint64_t)k, GRT_DG_READ, 0, q);
    assert_int_equal(e->n, 1);
    assert_true(has_edge(e, 0, (uint64_t)((px / 3) * 64 + py / 5) + 1));
  }
  grt__dg_destroy(dg);
}

/* A tree past 2^16 pieces and 256 KiB of nodes, where queries prefetch and
 * the pools take huge-page chunks: a 300 x 300 grid of 4 x 4 cells written
 * once, then reads of 1..3 x 1..3 cells (any offset) and writes of single
 * cells, each checked against what the grid says it must find: a read
 * the last writer of every cell it touches; a write its cell's last writer
 * and the reads that touched the cell since then. */
#define GRID 300
static uint64_t lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return *s >> 33;
}

static void count_edge(void *ctx, int i, uint64_t id) {
  (void)i;
  (void)id;
  ++*(long *)ctx;
}

static void test_depgraph_large_tree_matches_grid(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(2);
  static uint64_t last[GRID][GRID];
  enum { NOPS = 3000 };
  static grt_rect_t rd[NOPS];
  static uint64_t rid[NOPS];
  int nrd = 0;
  uint64_t id = 1, seed = 12345;
  for (int y = 0; y < GRID; y++)
    for (int x = 0; x < GRID; x++) {
      last[y][x] = id;
      edges_t *e = add1(dg, id++, GRT_DG_WRITE, 0, r2(4 * x, 4 * x + 3, 4 * y, 4 * y + 3));
      assert_int_equal(e->n, 0);
    }
  assert_int_equal(grt__dg_live(dg), GRID * GRID);
  for (int k = 0; k < NOPS; k++) {
    if (lcg(&seed) % 2) { /* read: any offset, 1..3 cells a side */
      /* at least 2 points inside the border, for the offset write below */
      int64_t x0 = 4 + (int64_t)(lcg(&seed) % (4 * GRID - 20));
      int64_t y0 = 4 + (int64_t)(lcg(&seed) % (4 * GRID - 20));
      int64_t w = 4 + (int64_t)(lcg(&seed) % 9), h = 4 + (int64_t)(lcg(&seed) % 9);
      grt_rect_t r = r2(x0, x0 + w - 1, y0, y0 + h - 1);
      edges_t *e = add1(dg, id, GRT_DG_READ, 0, r);
      int want = 0;
      for (int64_t cy = y0 / 4; cy <= (y0 + h - 1) / 4; cy++)
        for (int64_t cx = x0 / 4; cx <= (x0 + w - 1) / 4; cx++) {
          want++;
          if (!has_edge(e, 0, last[cy][cx]))
            fail_msg("op %d: read misses writer %llu", k, (unsigned long long)last[cy][cx]);
        }
      assert_int_equal(e->n, want);
      rd[nrd] = r;
      rid[nrd++] = id++;
    } else { /* write one cell */
      int cx = (int)(lcg(&seed) % GRID), cy = (int)(lcg(&seed) % GRID);
      grt_rect_t c = r2(4 * cx, 4 * cx + 3, 4 * cy, 4 * cy + 3);
      edges_t *e = add1(dg, id, GRT_DG_WRITE, 0, c);
      int want = 1;
      assert_true(has_edge(e, 0, last[cy][cx]));
      for (int j = 0; j < nrd; j++)
        if (rid[j] > last[cy][cx] && rd[j].lo[0] <= c.hi[0] && c.lo[0] <= rd[j].hi[0] &&
            rd[j].lo[1] <= c.hi[1] && c.lo[1] <= rd[j].hi[1]) {
          want++;
          if (!has_edge(e, 0, rid[j]))
            fail_msg("op %d: write misses read %llu", k, (unsigned long long)rid[j]);
        }
      assert_int_equal(e->n, want);
      last[cy][cx] = id++;
    }
  }
  /* A write over all but a 2-point border: it hits every piece, and only
   * the border cells stick out (one slab per side they cross: 4 * GRID in
   * all), so one piece for it and 4 * GRID slabs are left. (A lone writer
   * with this many hits counts its slabs exactly instead of reserving
   * 2 * nd per hit.) */
  long nall = 0;
  grt_rect_t in = r2(2, 4 * GRID - 3, 2, 4 * GRID - 3);
  grt_dg_access_t a = {.id = id++, .priv = GRT_DG_WRITE, .rects = &in, .nrects = 1};
  assert_int_equal(grt__dg_add(dg, &a, 1, count_edge, &nall), 0);
  assert_true(nall >= GRID * GRID);
  assert_int_equal(grt__dg_live(dg), 1 + 4 * GRID);
  /* and one over everything waits for the border cells (4 * GRID - 4 of
   * them; a corner's two slabs are one id) and the writer, and leaves one
   * piece */
  nall = 0;
  grt_rect_t all = r2(0, 4 * GRID - 1, 0, 4 * GRID - 1);
  a = (grt_dg_access_t){.id = id, .priv = GRT_DG_WRITE, .rects = &all, .nrects = 1};
  assert_int_equal(grt__dg_add(dg, &a, 1, count_edge, &nall), 0);
  assert_int_equal(nall, 1 + 4 * GRID - 4);
  assert_int_equal(grt__dg_live(dg), 1);
  grt__dg_destroy(dg);
}

typedef struct {
  uint64_t done_below; /* ids below this are complete */
  int calls;
} done_ctx_t;

static int done_below(void *ctx, uint64_t id) {
  done_ctx_t *d = ctx;
  d->calls++;
  return id < d->done_below;
}

static void test_depgraph_prune_drops_completed(void **state) {
  (void)state;
  grt_dg_t *dg = grt__dg_create(1);
  grt_rect_t three[3] = {r1(0, 0), r1(2, 2), r1(4, 4)};
  grt_dg_access_t a = {.id = 1, .priv = GRT_DG_READ, .rects = three, .nrects = 3};
  edges_t e = {0};
  assert_int_equal(grt__dg_add(dg, &a, 1, collect, &e), 0);
  for (uint64_t id = 2; id <= 10; id++)
    add1(dg, id, GRT_DG_REDUCE, 0, r1((int64_t)id * 10, (int64_t)id * 10 + 5));
  assert_int_equal(grt__dg_live(dg), 12);
  done_ctx_t d = {.done_below = 6};
  grt__dg_prune(dg, done_below, &d);
  assert_int_equal(grt__dg_live(dg), 5); /* reductions 6..10 */
  /* once per run of neighbouring pieces of one access: access 1's three
   * pieces are neighbours in the key order */
  assert_int_equal(d.calls, 10);
  edges_t *e2 = add1(dg, 20, GRT_DG_WRITE, 0, r1(0, 200));
  assert_int_equal(e2->n, 5);
  for (uint64_t id = 6; id <= 10; id++) assert_true(has_edge(e2, 0, id));
  d.done_below = 20;
  grt__dg_prune(dg, done_below, &d);
  assert_int_equal(grt__dg_live(dg), 1);
  d.done_below = 1000;
  grt__dg_prune(dg, done_below, &d);
  assert_int_equal(grt__dg_live(dg), 0);
  assert_int_equal(add1(dg, 21, GRT_DG_READ, 0, r1(0, 200))->n, 0);
  grt__dg_destroy(dg);
}

static grt_dg_t *eight_writers(void) {
  grt_dg_t *dg = grt__dg_create(2);
  for (int x = 0; x < 8; x++)
    add1(dg, (uint64_t)x + 1, GRT_DG_WRITE, 0, r2(x * 10, x * 10 + 9, 0, 9));
  return dg;
}

static void test_depgraph_alloc_failure_leaves_state(void **state) {
  (void)state;
  grt_rect_t hole = r2(5, 74, 2, 6); /* splits the first and last, retires 6 */
  grt_dg_access_t a = {.id = 100, .priv = GRT_DG_WRITE, .rects = &hole, .nrects = 1};
  int failed = 0, passed = 0;
  /* Fail the k-th allocation for every k. Some allocations are optional (a
   * node that would take a cut node's place): failing one of those must
   * still give the right result. */
  for (long k = 1; k <= 40; k++) {
    grt_dg_t *dg = eight_writers();
    assert_int_equal(grt__dg_live(dg), 8);
    edges_t e = {0};
    grt__dg_debug_fail_alloc(dg, k);
    int rc = grt__dg_add(dg, &a, 1, collect, &e);
    grt__dg_debug_fail_alloc(dg, 0);
    if (rc == 0) {
      passed++;
      assert_int_equal(e.n, 8);
      assert_int_equal(grt__dg_live(dg), 2 * 3 + 1 + 6 * 2);
      edges_t *e2 = add1(dg, 300, GRT_DG_READ, 0, r2(0, 79, 0, 9));
      assert_int_equal(e2->n, 9); /* the 8 trimmed writers and the hole */
      grt__dg_destroy(dg);
      continue;
    }
    failed++;
    assert_int_equal(rc, -2);
    /* Still the old state: eight whole writers, each found at row 4. */
    assert_int_equal(grt__dg_live(dg), 8);
    edges_t *e2 = add1(dg, 200, GRT_DG_READ, 0, r2(0, 79, 4, 4));
    assert_int_equal(e2->n, 8);
    e2 = add1(dg, 201, GRT_DG_WRITE, 0, r2(0, 79, 0, 9));
    assert_int_equal(e2->n, 9);
    assert_int_equal(grt__dg_live(dg), 1);
    grt__dg_destroy(dg);
  }
  assert_true(failed >= 2);
  assert_true(passed >= 2);
}

/* A read over many writers, each trimmed into several pieces: every writer
 * is reported exactly once, past the small id set (16 ids; 2 in the b8
 * build) and past the hash set's first sizes; a failing growth of that set
 * returns -2 and leaves the analyzer as it was. */
static void test_depgraph_many_ids_once_each(void **state) {
  (void)state;
  enum { W = 1000 };
  for (long k = 0; k <= 3; k++) {
    grt_dg_t *dg = grt__dg_create(1);
    for (int x = 0; x < W; x++) /* writer x over [10x, 10x + 9] ... */
      add1(dg, (uint64_t)x + 1, GRT_DG_WRITE, 0, r1(x * 10, x * 10 + 9));
    for (int x = 0; x < W; x++) /* ... split in two by a hole at 10x + 4 */
      add1(dg, (uint64_t)W + 1 + (uint64_t)x, GRT_DG_WRITE, 0,
           r1(x * 10 + 4, x * 10 + 4));
    assert_int_equal(grt__dg_live(dg), 3 * W);
    grt_rect_t all = r1(0, 10 * W - 1);
    grt_dg_access_t a = {.id = 5000, .priv = GRT_DG_READ, .rects = &all, .nrects = 1};
    edges_t e = {0};
    grt__dg_debug_fail_alloc(dg, k); /* k = 0: no failure */
    int rc = grt__dg_add(dg, &a, 1, collect, &e);
    grt__dg_debug_fail_alloc(dg, 0);
    if (k == 0) {
      assert_int_equal(rc, 0);
      assert_int_equal(e.n, 2 * W);
      for (uint64_t id = 1; id <= 2 * W; id++) assert_true(has_edge(&e, 0, id));
      assert_int_equal(grt__dg_live(dg), 3 * W + 1);
    } else {
      /* the first growths of the set fail: out of memory, nothing added */
      assert_int_equal(rc, -2);
      assert_int_equal(grt__dg_live(dg), 3 * W);
      edges_t *e2 = add1(dg, 6000, GRT_DG_WRITE, 0, all);
      assert_int_equal(e2->n, 2 * W);
      assert_int_equal(grt__dg_live(dg), 1);
    }
    grt__dg_destroy(dg);
  }
}

/* One piece hit by many writers of one batch (a strided view's single
 * elements over a tile; a 2-D grid of cells over a block): the remainder is
 * exactly the points no writer covers, whichever way the analyzer cuts it
 * (one by one, or by splitting once 16 writers hit the piece). Every
 * element is then read alone and must depend on exactly its last writer;
 * an allocation failure while planning leaves the analyzer unchanged. */
static void test_depgraph_many_writers_cut_one_piece(void **state) {
  (void)state;
  enum { N = 2000 };
  static grt_rect_t w[N];
  for (long k = 0; k <= 2; k++) {
    grt_dg_t *dg = grt__dg_create(1);
    add1(dg, 1, GRT_DG_WRITE, 0, r1(0, 2 * N - 1));
    for (int i = 0; i < N; i++) w[i] = r1(2 * i, 2 * i);
    grt_dg_access_t a = {.id = 2, .priv = GRT_DG_WRITE, .rects = w, .nrects = N};
    edges_t e = {0};
    grt__dg_debug_fail_alloc(dg, k); /* k = 0: no failure */
    int rc = grt__dg_add(dg, &a, 1, collect, &e);
    grt__dg_debug_fail_alloc(dg, 0);
    if (k > 0) {
      assert_int_equal(rc, -2);
      assert_int_equal(grt__dg_live(dg), 1);
      grt__dg_destroy(dg);
      continue;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(e.n, 1);
    assert_true(has_edge(&e, 0, 1));
    /* N written singles and the N odd elements left of the old piece, in
     * at most one piece each */
    assert_int_equal(grt__dg_live(dg), 2 * N);
    for (int x = 0; x < 2 * N; x++) {
      edges_t *r = add1(dg, 10 + (uint64_t)x, GRT_DG_READ, 0, r1(x, x));
      assert_int_equal(r->n, 1);
      assert_true(has_edge(r, 0, x % 2 ? 1 : 2));
    }
    grt__dg_destroy(dg);
  }

  /* 2-D: a 64 x 64 block, written by 32 x 32 cells of one element at
   * (2i + (j % 2), 2j) (a sheared checkerboard) in one access, and by
   * full rows 60..63 in a second access of the same batch */
  grt_dg_t *dg = grt__dg_create(2);
  add1(dg, 1, GRT_DG_WRITE, 0, r2(0, 63, 0, 63));
  int n = 0;
  for (int i = 0; i < 32; i++)
    for (int j = 0; j < 32; j++) w[n++] = r2(2 * i + j % 2, 2 * i + j % 2, 2 * j, 2 * j);
  grt_rect_t rows = r2(60, 63, 0, 63);
  grt_dg_access_t b[2] = {{.id = 2, .priv = GRT_DG_WRITE, .rects = w, .nrects = n},
                          {.id = 3, .priv = GRT_DG_WRITE, .rects = &rows, .nrects = 1}};
  edges_t e = {0};
  assert_int_equal(grt__dg_add(dg, b, 2, collect, &e), 0);
  for (int x = 0; x < 64; x++)
    for (int y = 0; y < 64; y++) {
      int cell = y % 2 == 0 && (x - (y / 2) % 2) % 2 == 0 && x - (y / 2) % 2 >= 0;
      edges_t *r = add1(dg, 100 + (uint64_t)(x * 64 + y), GRT_DG_READ, 0, r2(x, x, y, y));
      if (x >= 60) {
        /* rows 60..63: both accesses of the batch where a cell lies there */
        assert_true(has_edge(r, 0, 3));
        assert_int_equal(r->n, cell ? 2 : 1);
      } else {
        assert_int_equal(r->n, 1);
        assert_true(has_edge(r, 0, cell ? 2 : 1));
      }
    }
  grt__dg_destroy(dg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_depgraph_create_rejects_bad_ndim),
      cmocka_unit_test(test_depgraph_add_rejects_bad_arguments),
      cmocka_unit_test(test_depgraph_read_after_write),
      cmocka_unit_test(test_depgraph_reads_do_not_conflict),
      cmocka_unit_test(test_depgraph_disjoint_rects_do_not_conflict),
      cmocka_unit_test(test_depgraph_write_after_reads_waits_for_all),
      cmocka_unit_test(test_depgraph_read_after_write_skips_older_reads),
      cmocka_unit_test(test_depgraph_same_op_reductions_do_not_conflict),
      cmocka_unit_test(test_depgraph_different_op_reductions_conflict),
      cmocka_unit_test(test_depgraph_read_after_reductions_waits_for_all),
      cmocka_unit_test(test_depgraph_batch_accesses_do_not_depend),
      cmocka_unit_test(test_depgraph_full_overwrite_retires_entries),
      cmocka_unit_test(test_depgraph_partial_cover_trims),
      cmocka_unit_test(test_depgraph_retired_history_still_orders),
      cmocka_unit_test(test_depgraph_multi_rect_reports_each_id_once),
      cmocka_unit_test(test_depgraph_empty_access_records_nothing),
      cmocka_unit_test(test_depgraph_four_dims),
      cmocka_unit_test(test_depgraph_extreme_coordinates),
      cmocka_unit_test(test_depgraph_many_tiles_then_queries),
      cmocka_unit_test(test_depgraph_large_tree_matches_grid),
      cmocka_unit_test(test_depgraph_prune_drops_completed),
      cmocka_unit_test(test_depgraph_many_ids_once_each),
      cmocka_unit_test(test_depgraph_many_writers_cut_one_piece),
      cmocka_unit_test(test_depgraph_alloc_failure_leaves_state),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
