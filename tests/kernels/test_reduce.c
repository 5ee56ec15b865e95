/* test_reduce.c - sum, min, max, dot, norm2 and the scalar-future tasks
 * against sequential references, on 1-3 workers (and OpenMP), through views. */
#include "kernels_test_util.h"

static const grt_type_t *type_of(int code) {
  return code == GRT_TYPE_FLOAT64 ? grt_type_float64()
         : code == GRT_TYPE_FLOAT32 ? grt_type_float32()
                                    : grt_type_int64();
}

/* Reads a future of @p code's type as a double (int64 exactly via *iv). */
static double fget(grt_future_t *f, int code, int64_t *iv) {
  double d = 0;
  if (code == GRT_TYPE_FLOAT64) {
    assert_int_equal(grt_future_get(f, &d, sizeof d), 0);
  } else if (code == GRT_TYPE_FLOAT32) {
    float v;
    assert_int_equal(grt_future_get(f, &v, sizeof v), 0);
    d = v;
  } else {
    int64_t v;
    assert_int_equal(grt_future_get(f, &v, sizeof v), 0);
    if (iv) *iv = v;
    d = (double)v;
  }
  grt_future_destroy(f);
  return d;
}

/* Shapes tried: 1-D long, 2-D, 3-D, tiny (fewer elements than tiles). */
typedef struct shp {
  int nd;
  int64_t s[3];
} shp_t;
static const shp_t shapes[] = {{1, {10007}}, {2, {61, 37}}, {3, {7, 11, 13}}, {1, {2}}, {1, {1}}};
#define NSHAPES ((int)(sizeof shapes / sizeof shapes[0]))

static void test_reduce_sum_min_max(void **state) {
  (void)state;
  static char h[10007 * 8];
  const int codes[] = {GRT_TYPE_FLOAT64, GRT_TYPE_FLOAT32, GRT_TYPE_INT64};
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    for (int tc = 0; tc < 3; tc++)
      for (int si = 0; si < NSHAPES; si++) {
        int code = codes[tc];
        const shp_t *sh = &shapes[si];
        int64_t n = 1;
        for (int d = 0; d < sh->nd; d++) n *= sh->s[d];
        grt_store_t *s = kt_store(&t, type_of(code), sh->nd, sh->s);
        kt_host_fill(code, h, n, 5 + (uint64_t)si);
        kt_write(s, h);
        /* references in the same order as one tile */
        double rsum = 0, rmin = INFINITY, rmax = -INFINITY;
        int64_t isum = 0, imin = INT64_MAX, imax = INT64_MIN;
        for (int64_t i = 0; i < n; i++) {
          double v = kt_get_d(code, h, i);
          rsum += v;
          rmin = v < rmin ? v : rmin;
          rmax = v > rmax ? v : rmax;
          if (code == GRT_TYPE_INT64) {
            int64_t iv = ((int64_t *)h)[i];
            isum += iv;
            imin = iv < imin ? iv : imin;
            imax = iv > imax ? iv : imax;
          }
        }
        grt_future_t *fs, *fmin, *fmax;
        assert_int_equal(grtk_sum(t.k, s, &fs), 0);
        assert_int_equal(grtk_min(t.k, s, &fmin), 0);
        assert_int_equal(grtk_max(t.k, s, &fmax), 0);
        int64_t gs = 0, gmin = 0, gmax = 0;
        double ds = fget(fs, code, &gs), dmin = fget(fmin, code, &gmin),
               dmax = fget(fmax, code, &gmax);
        if (code == GRT_TYPE_INT64) {
          assert_int_equal(gs, isum);
          assert_int_equal(gmin, imin);
          assert_int_equal(gmax, imax);
        } else {
          /* data are multiples of 1/64 below 16: every partial sum is exact */
          assert_true(ds == (code == GRT_TYPE_FLOAT32 ? (double)(float)rsum : rsum));
          assert_true(dmin == rmin);
          assert_true(dmax == rmax);
        }
        grt_store_destroy(s);
      }
    kt_stop(&t);
  }
}

/* An empty store reduces to the identity: 0, +inf, -inf (INT64_MAX/MIN). */
static void test_reduce_empty(void **state) {
  (void)state;
  kt_t t = kt_start(&kt_configs[2]);
  int64_t shape[2] = {0, 5};
  grt_store_t *d = kt_store(&t, grt_type_float64(), 2, shape), *i = kt_store(&t, grt_type_int64(), 2, shape);
  grt_future_t *f;
  int64_t iv = 0;
  assert_int_equal(grtk_sum(t.k, d, &f), 0);
  assert_true(fget(f, GRT_TYPE_FLOAT64, NULL) == 0.0);
  assert_int_equal(grtk_min(t.k, d, &f), 0);
  assert_true(isinf(fget(f, GRT_TYPE_FLOAT64, NULL)));
  assert_int_equal(grtk_max(t.k, i, &f), 0);
  fget(f, GRT_TYPE_INT64, &iv);
  assert_int_equal(iv, INT64_MIN);
  assert_int_equal(grtk_norm2(t.k, d, &f), 0);
  assert_true(fget(f, GRT_TYPE_FLOAT64, NULL) == 0.0);
  grt_store_destroy(d);
  grt_store_destroy(i);
  kt_stop(&t);
}

static void test_reduce_views(void **state) {
  (void)state;
  enum { R = 40, C = 30 };
  static double h[R * C];
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    int64_t shape[2] = {R, C};
    grt_store_t *s = kt_store(&t, grt_type_float64(), 2, shape);
    kt_host_fill(GRT_TYPE_FLOAT64, h, R * C, 77);
    kt_write(s, h);
    grt_store_t *tr, *sl, *col, *prom;
    assert_int_equal(grt_store_transpose(s, (const int[]){1, 0}, &tr), 0);
    assert_int_equal(grt_store_slice(tr, 0, 3, 17, &sl), 0);  /* columns 3..16 of s */
    assert_int_equal(grt_store_project(s, 1, 5, &col), 0);    /* column 5 */
    assert_int_equal(grt_store_promote(col, 1, 4, &prom), 0); /* broadcast 4 times */
    double want_sl = 0, want_col = 0, want_min = INFINITY;
    for (int i = 0; i < R; i++)
      for (int j = 3; j < 17; j++) want_sl += h[i * C + j];
    for (int i = 0; i < R; i++) {
      want_col += h[i * C + 5];
      want_min = h[i * C + 5] < want_min ? h[i * C + 5] : want_min;
    }
    grt_future_t *f;
    assert_int_equal(grtk_sum(t.k, sl, &f), 0);
    assert_true(fget(f, GRT_TYPE_FLOAT64, NULL) == want_sl);
    assert_int_equal(grtk_sum(t.k, prom, &f), 0);
    assert_true(fget(f, GRT_TYPE_FLOAT64, NULL) == 4 * want_col);
    assert_int_equal(grtk_min(t.k, prom, &f), 0);
    assert_true(fget(f, GRT_TYPE_FLOAT64, NULL) == want_min);
    /* dot of a transposed view with itself = sum of squares of s */
    double ss = 0;
    for (int i = 0; i < R * C; i++) ss += h[i] * h[i];
    assert_int_equal(grtk_dot(t.k, tr, tr, &f), 0);
    kt_assert_close(fget(f, GRT_TYPE_FLOAT64, NULL), ss, 1e-14, "dot(tr, tr)", t.cfg->name);
    assert_int_equal(grtk_norm2(t.k, tr, &f), 0);
    kt_assert_close(fget(f, GRT_TYPE_FLOAT64, NULL), sqrt(ss), 1e-14, "norm2(tr)", t.cfg->name);
    grt_store_destroy(prom);
    grt_store_destroy(col);
    grt_store_destroy(sl);
    grt_store_destroy(tr);
    grt_store_destroy(s);
    kt_stop(&t);
  }
}

static void test_reduce_dot_norm2(void **state) {
  (void)state;
  enum { L = 20011 };
  static double hx[L], hy[L];
  static float fx[L], fy[L];
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    int64_t n = L;
    for (int i = 0; i < L; i++) {
      hx[i] = sin(0.001 * i) * 3.0;
      hy[i] = cos(0.0007 * i) - 0.25;
      fx[i] = (float)hx[i];
      fy[i] = (float)hy[i];
    }
    grt_store_t *x = kt_store(&t, grt_type_float64(), 1, &n), *y = kt_store(&t, grt_type_float64(), 1, &n);
    grt_store_t *x32 = kt_store(&t, grt_type_float32(), 1, &n), *y32 = kt_store(&t, grt_type_float32(), 1, &n);
    kt_write(x, hx);
    kt_write(y, hy);
    kt_write(x32, fx);
    kt_write(y32, fy);
    double dot = 0, xx = 0, dot32 = 0, xx32 = 0;
    for (int i = 0; i < L; i++) {
      dot += hx[i] * hy[i];
      xx += hx[i] * hx[i];
      dot32 += (double)fx[i] * (double)fy[i];
      xx32 += (double)fx[i] * (double)fx[i];
    }
    grt_future_t *f;
    assert_int_equal(grtk_dot(t.k, x, y, &f), 0);
    double got = fget(f, GRT_TYPE_FLOAT64, NULL);
    if (t.cfg->cpus == 1 && t.cfg->omps == 0 && grt_num_ranks(t.rt) == 1)
      assert_true(got == kt_lanes_dot(L, hx, hy)); /* one tile, one row: the same order */
    kt_assert_close(got, dot, 1e-13, "dot f64", t.cfg->name);
    assert_int_equal(grtk_norm2(t.k, x, &f), 0);
    kt_assert_close(fget(f, GRT_TYPE_FLOAT64, NULL), sqrt(xx), 1e-14, "norm2 f64", t.cfg->name);
    assert_int_equal(grtk_dot(t.k, x32, y32, &f), 0);
    kt_assert_close(fget(f, GRT_TYPE_FLOAT32, NULL), dot32, 1e-6, "dot f32", t.cfg->name);
    assert_int_equal(grtk_norm2(t.k, x32, &f), 0);
    kt_assert_close(fget(f, GRT_TYPE_FLOAT32, NULL), sqrt(xx32), 1e-6, "norm2 f32", t.cfg->name);
    /* future arithmetic: (x.y) / (x.x), sqrt(x.x) */
    grt_future_t *fxy, *fxx, *q, *r;
    assert_int_equal(grtk_dot(t.k, x, y, &fxy), 0);
    assert_int_equal(grtk_dot(t.k, x, x, &fxx), 0);
    assert_int_equal(grtk_future_div(t.k, fxy, fxx, &q), 0);
    assert_int_equal(grtk_future_sqrt(t.k, fxx, &r), 0);
    double vxy = fget(fxy, GRT_TYPE_FLOAT64, NULL), vxx = fget(fxx, GRT_TYPE_FLOAT64, NULL);
    assert_true(fget(q, GRT_TYPE_FLOAT64, NULL) == vxy / vxx);
    assert_true(fget(r, GRT_TYPE_FLOAT64, NULL) == sqrt(vxx));
    grt_store_destroy(x);
    grt_store_destroy(y);
    grt_store_destroy(x32);
    grt_store_destroy(y32);
    kt_stop(&t);
  }
}

/* A reduction whose input is still being written: the future waits for the
 * writers, the caller does not. */
static void test_reduce_ordering(void **state) {
  (void)state;
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    int64_t n = 5000;
    grt_store_t *x = kt_store(&t, grt_type_int64(), 1, &n);
    assert_int_equal(grtk_fill(t.k, x, 0), 0);
    grt_future_t *f[10];
    grt_store_t *one = kt_store(&t, grt_type_int64(), 1, &n);
    assert_int_equal(grtk_fill(t.k, one, 1), 0);
    for (int r = 0; r < 10; r++) {
      assert_int_equal(grtk_add(t.k, x, x, one), 0);
      assert_int_equal(grtk_sum(t.k, x, &f[r]), 0);
    }
    for (int r = 0; r < 10; r++) {
      int64_t v;
      fget(f[r], GRT_TYPE_INT64, &v);
      assert_int_equal(v, (r + 1) * n);
    }
    grt_store_destroy(one);
    grt_store_destroy(x);
    kt_stop(&t);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reduce_sum_min_max),
      cmocka_unit_test(test_reduce_empty),
      cmocka_unit_test(test_reduce_views),
      cmocka_unit_test(test_reduce_dot_norm2),
      cmocka_unit_test(test_reduce_ordering),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
