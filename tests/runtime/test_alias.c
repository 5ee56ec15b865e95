/* test_alias.c - arguments of one launch that alias the same root store.
 *
 * A launch must behave as if every argument it reads were read in full
 * before any point writes (NumPy's and Legate's meaning): readers that
 * interfere with the launch's writes get a copy taken first, grt_copy
 * between overlapping views is a memmove, writes of two points (or two
 * arguments through different layouts) to one element are rejected with
 * GRT_EINVAL, and the normal case (inout, an input aligned with an output
 * on the same view) makes no copy. Also: an empty launch's result reduction
 * is the operator's identity. Runs on 1 rank and under mpirun (np 2, 4). */
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
#include "alias.h"
#include "runtime.h"

enum { T_ADDT = 1, T_MAP2, T_ONES, T_SUM, T_NOP, T_COUNT };

static int64_t *el(const grt_buffer_t *b, int64_t i, int64_t j) {
  int64_t off = (i - b->lo[0]) * b->stride[0];
  if (b->ndim == 2) off += (j - b->lo[1]) * b->stride[1];
  return (int64_t *)b->ptr + off;
}

/* A[i][j] += B[i][j] (arg 0 inout, arg 1 input; 2-D int64). */
static void addt(grt_task_context_t *ctx) {
  grt_buffer_t a, b;
  grt_task_arg(ctx, 0, &a);
  grt_task_arg(ctx, 1, &b);
  for (int64_t i = a.lo[0]; i <= a.hi[0]; i++)
    for (int64_t j = a.lo[1]; j <= a.hi[1]; j++) *el(&a, i, j) += *el(&b, i, j);
}

/* out = 2 * in + 1 (1-D int64, arg 0 output, arg 1 input). */
static void map2(grt_task_context_t *ctx) {
  grt_buffer_t o, in;
  grt_task_arg(ctx, 0, &o);
  grt_task_arg(ctx, 1, &in);
  for (int64_t i = o.lo[0]; i <= o.hi[0]; i++) *el(&o, i, 0) = 2 * *el(&in, i, 0) + 1;
}

/* Reduces 1 into every element of every argument (2-D int64 reductions). */
static void ones(grt_task_context_t *ctx) {
  for (int k = 0; k < grt_task_num_args(ctx); k++) {
    grt_buffer_t r;
    grt_task_arg(ctx, k, &r);
    for (int64_t i = r.lo[0]; i <= r.hi[0]; i++)
      for (int64_t j = r.lo[1]; j <= r.hi[1]; j++) *el(&r, i, j) += 1;
  }
}

/* Returns the sum of a 1-D int64 input (arg 0). */
static void sum(grt_task_context_t *ctx) {
  grt_buffer_t in;
  grt_task_arg(ctx, 0, &in);
  int64_t s = 0;
  for (int64_t i = in.lo[0]; i <= in.hi[0]; i++) s += *el(&in, i, 0);
  grt_task_return(ctx, &s, sizeof s);
}

static void nop(grt_task_context_t *ctx) { (void)ctx; }

static grt_library_t *lib_of(grt_runtime_t *rt) {
  grt_library_t *lib;
  assert_int_equal(grt_library_create(rt, "alias", &lib), 0);
  assert_int_equal(grt_task_register(lib, T_ADDT, "addt", &(grt_variants_t){.cpu = addt}), 0);
  assert_int_equal(grt_task_register(lib, T_MAP2, "map2", &(grt_variants_t){.cpu = map2}), 0);
  assert_int_equal(grt_task_register(lib, T_ONES, "ones", &(grt_variants_t){.cpu = ones}), 0);
  assert_int_equal(grt_task_register(lib, T_SUM, "sum", &(grt_variants_t){.cpu = sum}), 0);
  assert_int_equal(grt_task_register(lib, T_NOP, "nop", &(grt_variants_t){.cpu = nop}), 0);
  return lib;
}

/* X[i] = i on a 1-D int64 store of n elements. */
static grt_store_t *iota(grt_runtime_t *rt, int64_t n) {
  grt_store_t *x;
  assert_int_equal(grt_store_create(rt, grt_type_int64(), 1, &n, &x), 0);
  grt_mapping_t *m;
  assert_int_equal(grt_store_map(x, GRT_WRITE, &m), 0);
  int64_t *p = grt_mapping_ptr(m, NULL);
  for (int64_t i = 0; i < n; i++) p[i] = i;
  assert_int_equal(grt_mapping_unmap(m), 0);
  return x;
}

static grt_store_t *slice(grt_store_t *s, int dim, int64_t a, int64_t b) {
  grt_store_t *v;
  assert_int_equal(grt_store_slice(s, dim, a, b, &v), 0);
  return v;
}

/* Checks X[i] == want(i) for every i, naming the first difference. */
static void expect_1d(grt_store_t *x, int64_t n, int64_t (*want)(int64_t i, int64_t k), int64_t k,
                      const char *what) {
  grt_mapping_t *m;
  assert_int_equal(grt_store_map(x, GRT_READ, &m), 0);
  const int64_t *p = grt_mapping_ptr(m, NULL);
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < n; i++)
    if (p[i] != want(i, k)) {
      if (first < 0) first = i;
      bad++;
    }
  if (bad)
    fail_msg("%s: %lld elements wrong, first X[%lld] = %lld, want %lld", what, (long long)bad,
             (long long)first, (long long)p[first], (long long)want(first, k));
  assert_int_equal(grt_mapping_unmap(m), 0);
}

static int64_t shifted_down(int64_t i, int64_t k) { return i + k; } /* X[0:n-k) = X[k:n) */
static int64_t shifted_up(int64_t i, int64_t k) { return i - k; }   /* X[k:n) = X[0:n-k) */

static int64_t g_n;
static int64_t copy_want_down(int64_t i, int64_t k) { return i < g_n - k ? shifted_down(i, k) : i; }
static int64_t copy_want_up(int64_t i, int64_t k) { return i >= k ? shifted_up(i, k) : i; }

/* grt_copy between overlapping slices of one root is a memmove, in both
 * directions, with enough points that a point's source is another's
 * destination. */
static void test_alias_copy_overlap(void **state) {
  (void)state;
  for (int cpus = 1; cpus <= 4; cpus *= 2) {
    grt_runtime_t *rt = rt_test_start(cpus, 0);
    int64_t n = cpus == 2 ? 4000000 : 400000, k = n / 10; /* the case: 4M on 2 workers */
    g_n = n;
    grt_store_t *x = iota(rt, n);
    grt_store_t *lo = slice(x, 0, 0, n - k), *hi = slice(x, 0, k, n);
    assert_int_equal(grt_copy(lo, hi), 0);
    expect_1d(x, n, copy_want_down, k, "grt_copy(X[0:n-k), X[k:n))");
    grt_store_destroy(lo);
    grt_store_destroy(hi);
    grt_store_destroy(x);

    x = iota(rt, n);
    lo = slice(x, 0, 0, n - k);
    hi = slice(x, 0, k, n);
    assert_int_equal(grt_copy(hi, lo), 0);
    expect_1d(x, n, copy_want_up, k, "grt_copy(X[k:n), X[0:n-k))");
    /* Copying a view onto itself is the normal case: no copy is taken. */
    uint64_t before = grt__alias_copies(rt);
    assert_int_equal(grt_copy(hi, hi), 0);
    assert_int_equal(grt__alias_copies(rt) - before, 0);
    expect_1d(x, n, copy_want_up, k, "grt_copy(X[k:n), X[k:n))");
    grt_store_destroy(lo);
    grt_store_destroy(hi);
    grt_store_destroy(x);
    assert_int_equal(grt_finalize(rt), 0);
  }
}

/* Every other element of @p s from element @p first on: delinearize to
 * (count, 2), project the pair's dim at 0. One rectangle per element in the
 * root: the alias check meets thousands of rectangles per argument. */
static grt_store_t *every_other(grt_store_t *s, int64_t first, int64_t count) {
  grt_store_t *tail = slice(s, 0, first, first + 2 * count), *pairs, *v;
  const int64_t sizes[2] = {count, 2};
  assert_int_equal(grt_store_delinearize(tail, 0, 2, sizes, &pairs), 0);
  assert_int_equal(grt_store_project(pairs, 1, 0, &v), 0);
  grt_store_destroy(pairs);
  grt_store_destroy(tail);
  return v;
}

static int64_t strided_want(int64_t i, int64_t k) {
  (void)k;
  if (i % 2 || i >= 2 * g_n - 2) return i;  /* odd elements, and the last even one */
  return i + 2;                             /* even[j] = old X[2j + 2] */
}

/* Strided views of one root (each root image one rectangle per element):
 * disjoint ones (evens <- odds) take no copy; overlapping ones (evens <-
 * evens shifted by one) are a memmove. With 2 * 10^5 rectangles per
 * argument this also checks that the alias check is not quadratic in them
 * (every pair took ~40 s here). */
static void test_alias_strided_views(void **state) {
  (void)state;
  grt_runtime_t *rt = rt_test_start(2, 0);
  const int64_t half = 200000, n = 2 * half;
  g_n = half;
  grt_store_t *x = iota(rt, n);
  grt_store_t *even = every_other(x, 0, half - 1), *odd = every_other(x, 1, half - 1);
  uint64_t before = grt__alias_copies(rt);
  assert_int_equal(grt_copy(odd, even), 0);
  assert_int_equal(grt__alias_copies(rt) - before, 0);
  assert_int_equal(grt_copy(odd, odd), 0); /* one view onto itself: no copy */
  assert_int_equal(grt__alias_copies(rt) - before, 0);
  grt_store_destroy(even);
  grt_store_destroy(odd);
  grt_store_destroy(x);

  x = iota(rt, n);
  even = every_other(x, 0, half - 1);
  grt_store_t *next = every_other(x, 2, half - 1);
  before = grt__alias_copies(rt);
  assert_int_equal(grt_copy(even, next), 0);
  assert_int_equal(grt__alias_copies(rt) - before, 1);
  expect_1d(x, n, strided_want, 0, "grt_copy(X[0:2:..], X[2:2:..])");
  grt_store_destroy(even);
  grt_store_destroy(next);
  grt_store_destroy(x);
  assert_int_equal(grt_finalize(rt), 0);
}

/* A += A^T with A inout and transpose(A) an input aligned with it. */
static void test_alias_add_transpose(void **state) {
  (void)state;
  for (int cpus = 1; cpus <= 3; cpus += 2) {
    grt_runtime_t *rt = rt_test_start(cpus, 0);
    grt_library_t *lib = lib_of(rt);
    const int64_t m = 37;
    grt_store_t *a, *at;
    assert_int_equal(grt_store_create(rt, grt_type_int64(), 2, (int64_t[]){m, m}, &a), 0);
    grt_mapping_t *mp;
    assert_int_equal(grt_store_map(a, GRT_WRITE, &mp), 0);
    int64_t st[2];
    int64_t *p = grt_mapping_ptr(mp, st);
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < m; j++) p[i * st[0] + j * st[1]] = i * 1000 + j;
    assert_int_equal(grt_mapping_unmap(mp), 0);
    assert_int_equal(grt_store_transpose(a, (int[]){1, 0}, &at), 0);
    grt_launch_t *l;
    assert_int_equal(grt_launch_create(lib, T_ADDT, &l), 0);
    assert_int_equal(grt_launch_add_inout(l, a), 0);
    assert_int_equal(grt_launch_add_input(l, at), 1);
    assert_int_equal(grt_launch_align(l, 0, 1), 0);
    uint64_t before = grt__alias_copies(rt);
    assert_int_equal(grt_launch_submit(l, NULL), 0);
    assert_int_equal(grt__alias_copies(rt) - before, 1);
    assert_int_equal(grt_store_map(a, GRT_READ, &mp), 0);
    p = grt_mapping_ptr(mp, st);
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < m; j++) {
        int64_t want = i * 1000 + j + j * 1000 + i;
        if (p[i * st[0] + j * st[1]] != want)
          fail_msg("cpus %d: A[%lld][%lld] = %lld, want %lld", cpus, (long long)i, (long long)j,
                   (long long)p[i * st[0] + j * st[1]], (long long)want);
      }
    assert_int_equal(grt_mapping_unmap(mp), 0);
    grt_store_destroy(at);
    grt_store_destroy(a);
    assert_int_equal(grt_finalize(rt), 0);
  }
}

static int64_t map2_same(int64_t i, int64_t k) { return (void)k, 2 * i + 1; }
static int64_t map2_disjoint(int64_t i, int64_t k) { return i < k ? 2 * (i + k) + 1 : i; }

/* The normal cases cost nothing: an output and an input on the same view,
 * aligned; slices of one root that do not overlap. */
static void test_alias_aligned_no_copy(void **state) {
  (void)state;
  grt_runtime_t *rt = rt_test_start(3, 0);
  grt_library_t *lib = lib_of(rt);
  int64_t n = 1000;
  grt_store_t *x = iota(rt, n);
  grt_launch_t *l;
  assert_int_equal(grt_launch_create(lib, T_MAP2, &l), 0);
  assert_int_equal(grt_launch_add_output(l, x), 0);
  assert_int_equal(grt_launch_add_input(l, x), 1);
  assert_int_equal(grt_launch_align(l, 0, 1), 0);
  assert_int_equal(grt_launch_submit(l, NULL), 0);
  assert_int_equal(grt__alias_copies(rt), 0);
  expect_1d(x, n, map2_same, 0, "X = 2X + 1");
  grt_store_destroy(x);

  x = iota(rt, n);
  grt_store_t *lo = slice(x, 0, 0, n / 2), *hi = slice(x, 0, n / 2, n);
  assert_int_equal(grt_launch_create(lib, T_MAP2, &l), 0);
  assert_int_equal(grt_launch_add_output(l, lo), 0);
  assert_int_equal(grt_launch_add_input(l, hi), 1);
  assert_int_equal(grt_launch_align(l, 0, 1), 0);
  assert_int_equal(grt_launch_submit(l, NULL), 0);
  assert_int_equal(grt__alias_copies(rt), 0);
  expect_1d(x, n, map2_disjoint, n / 2, "X[0:n/2) = 2 X[n/2:n) + 1");
  grt_store_destroy(lo);
  grt_store_destroy(hi);
  grt_store_destroy(x);
  assert_int_equal(grt_finalize(rt), 0);
}

/* Submits @p l and expects GRT_EINVAL with a message holding @p a and @p b. */
static void expect_einval(grt_launch_t *l, const char *a, const char *b) {
  assert_int_equal(grt_launch_submit(l, NULL), GRT_EINVAL);
  const char *msg = grt_last_error();
  if (!strstr(msg, a) || (b && !strstr(msg, b)))
    fail_msg("message '%s' does not name '%s'%s%s", msg, a, b ? " and " : "", b ? b : "");
}

/* Writes through a promoted (broadcast) view are rejected; reductions through
 * one are a legitimate sum of many values into one element. */
static void test_alias_promoted_write(void **state) {
  (void)state;
  grt_runtime_t *rt = rt_test_start(2, 0);
  grt_library_t *lib = lib_of(rt);
  int64_t n = 64;
  grt_store_t *x = iota(rt, n), *px;
  assert_int_equal(grt_store_promote(x, 1, 5, &px), 0); /* px[i][j] = x[i] */
  grt_launch_t *l;
  assert_int_equal(grt_launch_create(lib, T_NOP, &l), 0);
  assert_int_equal(grt_launch_add_output(l, px), 0);
  expect_einval(l, "argument 0", "promoted");
  assert_int_equal(grt_launch_create(lib, T_NOP, &l), 0);
  assert_int_equal(grt_launch_add_input(l, x), 0);
  assert_int_equal(grt_launch_add_inout(l, px), 1);
  expect_einval(l, "argument 1", "promoted");
  assert_int_equal(grt_launch_create_manual(lib, T_NOP, 1, (int64_t[]){1}, &l), 0);
  assert_int_equal(grt_launch_add_output(l, px), 0);
  expect_einval(l, "argument 0", "promoted");
  assert_int_equal(grt__alias_copies(rt), 0);

  /* x[i] += 5 through px: each of the 5 broadcast copies adds 1. */
  assert_int_equal(grt_launch_create(lib, T_ONES, &l), 0);
  assert_int_equal(grt_launch_add_reduction(l, px, GRT_REDOP_SUM), 0);
  assert_int_equal(grt_launch_submit(l, NULL), 0);
  grt_mapping_t *m;
  assert_int_equal(grt_store_map(x, GRT_READ, &m), 0);
  const int64_t *p = grt_mapping_ptr(m, NULL);
  for (int64_t i = 0; i < n; i++)
    if (p[i] != i + 5) fail_msg("reduction through a promoted view: x[%lld] = %lld, want %lld",
                                (long long)i, (long long)p[i], (long long)(i + 5));
  assert_int_equal(grt_mapping_unmap(m), 0);
  /* x2[i] += 64 through a 64 x 8 view whose promoted dim is the one cut:
   * points (on several ranks) share every element. */
  grt_store_t *x2 = iota(rt, 8), *px2;
  assert_int_equal(grt_store_promote(x2, 0, 64, &px2), 0);
  assert_int_equal(grt_launch_create(lib, T_ONES, &l), 0);
  assert_int_equal(grt_launch_add_reduction(l, px2, GRT_REDOP_SUM), 0);
  assert_int_equal(grt_launch_submit(l, NULL), 0);
  assert_int_equal(grt_store_map(x2, GRT_READ, &m), 0);
  p = grt_mapping_ptr(m, NULL);
  for (int64_t i = 0; i < 8; i++)
    if (p[i] != i + 64) fail_msg("reduction through a cut promoted dim: x2[%lld] = %lld, want %lld",
                                 (long long)i, (long long)p[i], (long long)(i + 64));
  assert_int_equal(grt_mapping_unmap(m), 0);
  grt_store_destroy(px2);
  grt_store_destroy(x2);
  grt_store_destroy(px);
  grt_store_destroy(x);
  assert_int_equal(grt_finalize(rt), 0);
}

/* Two arguments writing overlapping elements are rejected, naming both;
 * reductions with one operator may overlap. */
static void test_alias_two_writers(void **state) {
  (void)state;
  grt_runtime_t *rt = rt_test_start(2, 0);
  grt_library_t *lib = lib_of(rt);
  int64_t n = 100;
  grt_store_t *x = iota(rt, n);
  grt_store_t *a = slice(x, 0, 0, 60), *b = slice(x, 0, 40, 100), *c = slice(x, 0, 60, 100);
  grt_launch_t *l;
  assert_int_equal(grt_launch_create(lib, T_NOP, &l), 0);
  assert_int_equal(grt_launch_add_output(l, a), 0);
  assert_int_equal(grt_launch_add_input(l, c), 1);
  assert_int_equal(grt_launch_add_output(l, b), 2);
  expect_einval(l, "arguments 0 and 2", "overlapping");

  assert_int_equal(grt_launch_create(lib, T_NOP, &l), 0);
  assert_int_equal(grt_launch_add_inout(l, a), 0);
  assert_int_equal(grt_launch_add_reduction(l, b, GRT_REDOP_SUM), 1);
  expect_einval(l, "arguments 0 and 1", NULL);

  assert_int_equal(grt_launch_create(lib, T_NOP, &l), 0);
  assert_int_equal(grt_launch_add_reduction(l, a, GRT_REDOP_SUM), 0);
  assert_int_equal(grt_launch_add_reduction(l, b, GRT_REDOP_PROD), 1);
  expect_einval(l, "arguments 0 and 1", NULL);

  /* Same store written by two arguments through different tilings (manual). */
  grt_partition_t *p10, *p20;
  assert_int_equal(grt_partition_tiling(x, (int64_t[]){10}, &p10), 0);
  assert_int_equal(grt_partition_tiling(x, (int64_t[]){20}, &p20), 0);
  assert_int_equal(grt_launch_create_manual(lib, T_NOP, 1, (int64_t[]){5}, &l), 0);
  assert_int_equal(grt_launch_add_partitioned(l, x, p10, GRT_WRITE), 0);
  assert_int_equal(grt_launch_add_partitioned(l, x, p20, GRT_READ_WRITE), 1);
  expect_einval(l, "arguments 0 and 1", NULL);
  /* The same tiling twice is one point writing its own tile twice: fine. */
  assert_int_equal(grt_launch_create_manual(lib, T_NOP, 1, (int64_t[]){5}, &l), 0);
  assert_int_equal(grt_launch_add_partitioned(l, x, p20, GRT_WRITE), 0);
  assert_int_equal(grt_launch_add_partitioned(l, x, p20, GRT_READ_WRITE), 1);
  assert_int_equal(grt_launch_submit(l, NULL), 0);

  /* A halo'd write: rejected (at build time, reported again at submit). */
  grt_partition_t *ph;
  assert_int_equal(grt_partition_tiling_halo(x, (int64_t[]){20}, (int64_t[]){1}, (int64_t[]){1}, &ph), 0);
  assert_int_equal(grt_launch_create_manual(lib, T_NOP, 1, (int64_t[]){5}, &l), 0);
  assert_int_equal(grt_launch_add_partitioned(l, x, ph, GRT_WRITE), GRT_EINVAL);
  expect_einval(l, "halo", NULL);
  grt_partition_destroy(ph);
  grt_partition_destroy(p10);
  grt_partition_destroy(p20);

  /* Two SUM reductions over overlapping slices: both are folded. */
  grt_store_t *y;
  assert_int_equal(grt_store_create(rt, grt_type_int64(), 2, (int64_t[]){8, 8}, &y), 0);
  int64_t zero = 0;
  assert_int_equal(grt_fill(y, &zero), 0);
  grt_store_t *y0 = slice(y, 0, 0, 6), *y1 = slice(y, 0, 2, 8);
  assert_int_equal(grt_launch_create(lib, T_ONES, &l), 0);
  assert_int_equal(grt_launch_add_reduction(l, y0, GRT_REDOP_SUM), 0);
  assert_int_equal(grt_launch_add_reduction(l, y1, GRT_REDOP_SUM), 1);
  assert_int_equal(grt_launch_submit(l, NULL), 0);
  grt_mapping_t *m;
  int64_t st[2];
  assert_int_equal(grt_store_map(y, GRT_READ, &m), 0);
  const int64_t *p = grt_mapping_ptr(m, st);
  for (int64_t i = 0; i < 8; i++)
    for (int64_t j = 0; j < 8; j++) {
      int64_t want = (i < 6) + (i >= 2);
      if (p[i * st[0] + j * st[1]] != want)
        fail_msg("y[%lld][%lld] = %lld, want %lld", (long long)i, (long long)j,
                 (long long)p[i * st[0] + j * st[1]], (long long)want);
    }
  assert_int_equal(grt_mapping_unmap(m), 0);
  assert_int_equal(grt__alias_copies(rt), 0);
  grt_store_destroy(y0);
  grt_store_destroy(y1);
  grt_store_destroy(y);
  grt_store_destroy(a);
  grt_store_destroy(b);
  grt_store_destroy(c);
  grt_store_destroy(x);
  assert_int_equal(grt_finalize(rt), 0);
}

/* An auto launch over an empty store reduces no point result: the future
 * holds the operator's identity. */
static void test_alias_empty_reduction(void **state) {
  (void)state;
  grt_runtime_t *rt = rt_test_start(2, 0);
  grt_library_t *lib = lib_of(rt);
  grt_store_t *e;
  assert_int_equal(grt_store_create(rt, grt_type_int64(), 1, (int64_t[]){0}, &e), 0);
  const struct {
    grt_redop_t op;
    int64_t want;
  } cases[] = {{GRT_REDOP_SUM, 0}, {GRT_REDOP_PROD, 1}, {GRT_REDOP_MIN, INT64_MAX},
               {GRT_REDOP_MAX, INT64_MIN}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    grt_launch_t *l;
    grt_future_t *f;
    assert_int_equal(grt_launch_create(lib, T_SUM, &l), 0);
    assert_int_equal(grt_launch_add_input(l, e), 0);
    assert_int_equal(grt_launch_reduce_result(l, grt_type_int64(), cases[c].op), 0);
    assert_int_equal(grt_launch_submit(l, &f), 0);
    int64_t got = 12345;
    assert_int_equal(grt_future_get(f, &got, sizeof got), 0);
    if (got != cases[c].want)
      fail_msg("empty reduction with op %d: %lld, want %lld", (int)cases[c].op, (long long)got,
               (long long)cases[c].want);
    grt_future_destroy(f);
  }
  grt_store_destroy(e);
  assert_int_equal(grt_finalize(rt), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_alias_copy_overlap),
      cmocka_unit_test(test_alias_strided_views),
      cmocka_unit_test(test_alias_add_transpose),
      cmocka_unit_test(test_alias_aligned_no_copy),
      cmocka_unit_test(test_alias_promoted_write),
      cmocka_unit_test(test_alias_two_writers),
      cmocka_unit_test(test_alias_empty_reduction),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
