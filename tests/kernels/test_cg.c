/* test_cg.c - grtk_cg_update against a sequential reference (x, r bitwise;
 * r.r bitwise on one contiguous tile, where the kernel's lane order is the
 * reference's, and within 1e-13 otherwise), on 1-3 workers and OpenMP, f64
 * and f32, through strided views; repeated runs give the same bits. */
#include "kernels_test_util.h"

/* A future holding @p v in @p type: the sum of a one-element store. */
static grt_future_t *value_future(kt_t *t, const grt_type_t *type, double v) {
  int64_t one = 1;
  grt_store_t *s = kt_store(t, type, 1, &one);
  assert_int_equal(grtk_fill(t->k, s, v), 0);
  grt_future_t *f;
  assert_int_equal(grtk_sum(t->k, s, &f), 0);
  grt_store_destroy(s);
  return f;
}

static double rdot(const double *r, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += r[i] * r[i];
  return s;
}

static void fill_host(double *h, int64_t n, double ph) {
  for (int64_t i = 0; i < n; i++) h[i] = sin(0.0137 * (double)i + ph) * 1.7 + 0.1 * ph;
}

/* Dense stores of several shapes, f64. */
static void test_cg_update_dense(void **state) {
  (void)state;
  static const int64_t shapes[][2] = {{1, 10007}, {61, 37}, {3, 4097}, {1, 7}, {1, 1}, {0, 9}};
  enum { MAXN = 12300 };
  static double hx[MAXN], hr[MAXN], hp[MAXN], hq[MAXN], wx[MAXN], wr[MAXN], got[MAXN];
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
      int64_t shape[2] = {shapes[si][0], shapes[si][1]}, n = shape[0] * shape[1];
      int nd = shape[0] == 1 ? 1 : 2;
      const int64_t *sh = nd == 1 ? &shape[1] : shape;
      grt_store_t *x = kt_store(&t, grt_type_float64(), nd, sh),
                  *r = kt_store(&t, grt_type_float64(), nd, sh),
                  *p = kt_store(&t, grt_type_float64(), nd, sh),
                  *q = kt_store(&t, grt_type_float64(), nd, sh);
      fill_host(hx, n, 0.1);
      fill_host(hr, n, 1.3);
      fill_host(hp, n, 2.9);
      fill_host(hq, n, -0.7);
      grt_future_t *fa = value_future(&t, grt_type_float64(), 0.3718);
      double a;
      assert_int_equal(grt_future_get(fa, &a, sizeof a), 0);
      for (int64_t i = 0; i < n; i++) {
        wx[i] = hx[i] + a * hp[i];
        wr[i] = hr[i] - a * hq[i];
      }
      double want = rdot(wr, n);
      double first = 0;
      for (int rep = 0; rep < 2; rep++) { /* the same inputs twice: the same bits */
        kt_write(x, hx);
        kt_write(r, hr);
        kt_write(p, hp);
        kt_write(q, hq);
        grt_future_t *rr;
        assert_int_equal(grtk_cg_update(t.k, x, r, p, q, fa, &rr), 0);
        double v;
        assert_int_equal(grt_future_get(rr, &v, sizeof v), 0);
        grt_future_destroy(rr);
        kt_read(x, got);
        kt_assert_bits(got, wx, n, sizeof(double), "cg_update x", t.cfg->name);
        kt_read(r, got);
        kt_assert_bits(got, wr, n, sizeof(double), "cg_update r", t.cfg->name);
        kt_read(p, got);
        kt_assert_bits(got, hp, n, sizeof(double), "cg_update p untouched", t.cfg->name);
        if (t.cfg->cpus == 1 && t.cfg->omps == 0 && grt_num_ranks(t.rt) == 1)
          assert_true(v == kt_lanes_dot(n, wr, wr)); /* one contiguous tile: the lane order */
        kt_assert_close(v, want, 1e-13, "cg_update r.r", t.cfg->name);
        if (rep == 0) first = v;
        else if (memcmp(&v, &first, sizeof v))
          fail_msg("cg_update r.r [%s]: %.17g then %.17g", t.cfg->name, first, v);
      }
      if (n == 0) assert_true(first == 0.0);
      grt_future_destroy(fa);
      grt_store_destroy(x);
      grt_store_destroy(r);
      grt_store_destroy(p);
      grt_store_destroy(q);
    }
    kt_stop(&t);
  }
}

/* Views: x, r transposed slices of (40, 30) roots, p, q column slices of
 * (24, 50) roots, all of shape (24, 40); and float32. The frames of x's and
 * r's roots stay untouched. */
static void test_cg_update_views_f32(void **state) {
  (void)state;
  enum { R = 40, C = 30, VR = 24, VC = 40, PC = 50 };
  static double hx[VR * VC], hr[VR * VC], hp[VR * VC], hq[VR * VC], wx[VR * VC], wr[VR * VC],
      got[VR * VC], root[R * C], rootw[R * C];
  static float fx[VR * VC], fr[VR * VC], fp[VR * VC], fq[VR * VC], fwx[VR * VC], fwr[VR * VC],
      fgot[VR * VC];
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    int64_t rs[2] = {R, C}, ps[2] = {VR, PC}, n = VR * VC;
    grt_store_t *X = kt_store(&t, grt_type_float64(), 2, rs), *Rr = kt_store(&t, grt_type_float64(), 2, rs);
    grt_store_t *P = kt_store(&t, grt_type_float64(), 2, ps), *Q = kt_store(&t, grt_type_float64(), 2, ps);
    kt_host_fill(GRT_TYPE_FLOAT64, root, R * C, 5);
    kt_write(X, root);
    kt_write(Rr, root);
    grt_store_t *xs, *x, *rsl, *r, *p, *q;
    assert_int_equal(grt_store_slice(X, 1, 3, 27, &xs), 0); /* (40, 24) */
    assert_int_equal(grt_store_transpose(xs, (const int[]){1, 0}, &x), 0);
    assert_int_equal(grt_store_slice(Rr, 1, 3, 27, &rsl), 0);
    assert_int_equal(grt_store_transpose(rsl, (const int[]){1, 0}, &r), 0);
    assert_int_equal(grt_store_slice(P, 1, 10, 50, &p), 0);
    assert_int_equal(grt_store_slice(Q, 1, 10, 50, &q), 0);
    fill_host(hx, n, 0.4);
    fill_host(hr, n, 1.1);
    fill_host(hp, n, 2.2);
    fill_host(hq, n, 3.3);
    kt_write(x, hx);
    kt_write(r, hr);
    kt_write(p, hp);
    kt_write(q, hq);
    grt_future_t *fa = value_future(&t, grt_type_float64(), -1.25e-3 * 3.1);
    double a;
    assert_int_equal(grt_future_get(fa, &a, sizeof a), 0);
    for (int64_t i = 0; i < n; i++) {
      wx[i] = hx[i] + a * hp[i];
      wr[i] = hr[i] - a * hq[i];
    }
    grt_future_t *rr;
    assert_int_equal(grtk_cg_update(t.k, x, r, p, q, fa, &rr), 0);
    double v;
    assert_int_equal(grt_future_get(rr, &v, sizeof v), 0);
    grt_future_destroy(rr);
    kt_read(x, got);
    kt_assert_bits(got, wx, n, sizeof(double), "cg_update view x", t.cfg->name);
    kt_read(r, got);
    kt_assert_bits(got, wr, n, sizeof(double), "cg_update view r", t.cfg->name);
    kt_assert_close(v, rdot(wr, n), 1e-13, "cg_update view r.r", t.cfg->name);
    /* the frame of x's root: columns outside 3..26 keep their values */
    kt_read(X, rootw);
    for (int i = 0; i < R; i++)
      for (int j = 0; j < C; j++)
        if ((j < 3 || j >= 27) && rootw[i * C + j] != root[i * C + j])
          fail_msg("cg_update frame (%d, %d) changed [%s]", i, j, t.cfg->name);
    grt_future_destroy(fa);

    /* float32: the update in float, r.r in double, returned as float */
    grt_store_t *x32 = kt_store(&t, grt_type_float32(), 1, &n), *r32 = kt_store(&t, grt_type_float32(), 1, &n),
                *p32 = kt_store(&t, grt_type_float32(), 1, &n), *q32 = kt_store(&t, grt_type_float32(), 1, &n);
    double ww = 0;
    fa = value_future(&t, grt_type_float32(), 0.37);
    float af;
    assert_int_equal(grt_future_get(fa, &af, sizeof af), 0);
    for (int64_t i = 0; i < n; i++) {
      fx[i] = (float)hx[i];
      fr[i] = (float)hr[i];
      fp[i] = (float)hp[i];
      fq[i] = (float)hq[i];
      fwx[i] = fx[i] + af * fp[i];
      fwr[i] = fr[i] - af * fq[i];
      ww += (double)fwr[i] * (double)fwr[i];
    }
    kt_write(x32, fx);
    kt_write(r32, fr);
    kt_write(p32, fp);
    kt_write(q32, fq);
    assert_int_equal(grtk_cg_update(t.k, x32, r32, p32, q32, fa, &rr), 0);
    float vf;
    assert_int_equal(grt_future_get(rr, &vf, sizeof vf), 0);
    grt_future_destroy(rr);
    kt_read(x32, fgot);
    kt_assert_bits(fgot, fwx, n, sizeof(float), "cg_update x f32", t.cfg->name);
    kt_read(r32, fgot);
    kt_assert_bits(fgot, fwr, n, sizeof(float), "cg_update r f32", t.cfg->name);
    kt_assert_close(vf, ww, 1e-6, "cg_update r.r f32", t.cfg->name);
    grt_future_destroy(fa);
    grt_store_destroy(x32);
    grt_store_destroy(r32);
    grt_store_destroy(p32);
    grt_store_destroy(q32);
    grt_store_destroy(x);
    grt_store_destroy(xs);
    grt_store_destroy(r);
    grt_store_destroy(rsl);
    grt_store_destroy(p);
    grt_store_destroy(q);
    grt_store_destroy(X);
    grt_store_destroy(Rr);
    grt_store_destroy(P);
    grt_store_destroy(Q);
    kt_stop(&t);
  }
}

/* The ratio forms: grtk_cg_update_ratio(num, den) and grtk_xpby_ratio(num,
 * den) give the bits of grtk_future_div then grtk_cg_update and
 * grtk_xpby_future; a NULL future is refused by name. */
static void test_cg_ratio_forms(void **state) {
  (void)state;
  enum { N = 3001 };
  static double hx[N], hr[N], hp[N], hq[N], a1[N], a2[N];
  const int64_t n = N;
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    grt_store_t *s[8];
    for (int i = 0; i < 8; i++) s[i] = kt_store(&t, grt_type_float64(), 1, &n);
    fill_host(hx, n, 0.1);
    fill_host(hr, n, 1.3);
    fill_host(hp, n, 2.9);
    fill_host(hq, n, -0.7);
    grt_future_t *num = value_future(&t, grt_type_float64(), 0.8123),
                 *den = value_future(&t, grt_type_float64(), 2.3719), *div, *rr1, *rr2;
    assert_int_equal(grtk_future_div(t.k, num, den, &div), 0);
    for (int w = 0; w < 2; w++) { /* s[0..3] the old way, s[4..7] the ratio way */
      kt_write(s[4 * w], hx);
      kt_write(s[4 * w + 1], hr);
      kt_write(s[4 * w + 2], hp);
      kt_write(s[4 * w + 3], hq);
    }
    assert_int_equal(grtk_cg_update(t.k, s[0], s[1], s[2], s[3], div, &rr1), 0);
    assert_int_equal(grtk_xpby_future(t.k, s[2], s[1], div), 0);
    assert_int_equal(grtk_cg_update_ratio(t.k, s[4], s[5], s[6], s[7], num, den, &rr2), 0);
    assert_int_equal(grtk_xpby_ratio(t.k, s[6], s[5], num, den), 0);
    double v1, v2;
    assert_int_equal(grt_future_get(rr1, &v1, sizeof v1), 0);
    assert_int_equal(grt_future_get(rr2, &v2, sizeof v2), 0);
    assert_memory_equal(&v1, &v2, sizeof v1);
    for (int k = 0; k < 3; k++) {
      kt_read(s[k], a1);
      kt_read(s[4 + k], a2);
      kt_assert_bits(a2, a1, n, sizeof(double), "ratio form", t.cfg->name);
    }
    grt_future_t *out = (grt_future_t *)1;
    assert_int_equal(grtk_cg_update_ratio(t.k, s[0], s[1], s[2], s[3], num, NULL, &out),
                     GRT_EINVAL);
    assert_null(out);
    assert_non_null(strstr(grtk_last_error(), "den"));
    assert_int_equal(grtk_xpby_ratio(t.k, s[2], s[1], NULL, den), GRT_EINVAL);
    assert_non_null(strstr(grtk_last_error(), "num"));
    grt_future_destroy(num);
    grt_future_destroy(den);
    grt_future_destroy(div);
    grt_future_destroy(rr1);
    grt_future_destroy(rr2);
    for (int i = 0; i < 8; i++) grt_store_destroy(s[i]);
    kt_stop(&t);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cg_update_dense),
      cmocka_unit_test(test_cg_update_views_f32),
      cmocka_unit_test(test_cg_ratio_forms),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
