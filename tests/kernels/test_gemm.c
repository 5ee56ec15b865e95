/* test_gemm.c - grtk_gemm against a sequential triple loop, on 1-3 workers,
 * with transposed, sliced and non-unit-stride views (the last take the
 * blocked-loop path, which adds in the reference's order: bitwise). */
#include "kernels_test_util.h"

enum { M = 37, K = 29, N = 41 };

static void ref_gemm(const double *a, const double *b, double *c) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double s = 0.0;
      for (int k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
      c[i * N + j] = s;
    }
}

static void ref_gemm_f(const float *a, const float *b, float *c) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      float s = 0.0f;
      for (int k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
      c[i * N + j] = s;
    }
}

/* A (rows, cols) view of kind 0 plain, 1 transposed, 2 slice, 3 non-unit
 * strides (a projection of a 3-D store along its last dim). */
static grt_store_t *view(kt_t *t, const grt_type_t *ty, int64_t rows, int64_t cols, int kind,
                         grt_store_t **root) {
  grt_store_t *v, *w;
  *root = NULL;
  if (kind == 0) {
    int64_t s[2] = {rows, cols};
    return kt_store(t, ty, 2, s);
  }
  if (kind == 1) {
    int64_t s[2] = {cols, rows};
    *root = kt_store(t, ty, 2, s);
    assert_int_equal(grt_store_transpose(*root, (const int[]){1, 0}, &v), 0);
    return v;
  }
  if (kind == 2) {
    int64_t s[2] = {rows + 3, cols + 5};
    *root = kt_store(t, ty, 2, s);
    assert_int_equal(grt_store_slice(*root, 0, 1, 1 + rows, &w), 0);
    assert_int_equal(grt_store_slice(w, 1, 5, 5 + cols, &v), 0);
    grt_store_destroy(w);
    return v;
  }
  int64_t s[3] = {rows, cols, 3};
  *root = kt_store(t, ty, 3, s);
  assert_int_equal(grt_store_project(*root, 2, 1, &v), 0);
  return v;
}

static void test_gemm_f64_views(void **state) {
  (void)state;
  static double a[M * K], b[K * N], got[M * N], want[M * N];
  kt_host_fill(GRT_TYPE_FLOAT64, a, M * K, 1);
  kt_host_fill(GRT_TYPE_FLOAT64, b, K * N, 2);
  ref_gemm(a, b, want);
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    for (int kc = 0; kc < 4; kc++)
      for (int ka = 0; ka < 4; ka++) {
        int kb = (ka + kc) % 4;
        grt_store_t *rc, *ra, *rb;
        grt_store_t *C = view(&t, grt_type_float64(), M, N, kc, &rc);
        grt_store_t *A = view(&t, grt_type_float64(), M, K, ka, &ra);
        grt_store_t *B = view(&t, grt_type_float64(), K, N, kb, &rb);
        kt_write(A, a);
        kt_write(B, b);
        assert_int_equal(grtk_gemm(t.k, C, A, B), 0);
        kt_read(C, got);
        char what[64];
        snprintf(what, sizeof what, "gemm views C%d A%d B%d", kc, ka, kb);
        /* values are multiples of 1/64 below 16: products and sums of 29 of
         * them are exact in double, so any order gives the same bits */
        kt_assert_bits(got, want, M * N, sizeof(double), what, t.cfg->name);
        grt_store_destroy(A);
        grt_store_destroy(B);
        grt_store_destroy(C);
        grt_store_destroy(ra);
        grt_store_destroy(rb);
        grt_store_destroy(rc);
      }
    kt_stop(&t);
  }
}

static void test_gemm_inexact(void **state) {
  (void)state;
  static double a[M * K], b[K * N], got[M * N], want[M * N];
  static float fa[M * K], fb[K * N], fgot[M * N], fwant[M * N];
  for (int i = 0; i < M * K; i++) fa[i] = (float)(a[i] = sin(0.37 * i));
  for (int i = 0; i < K * N; i++) fb[i] = (float)(b[i] = cos(0.11 * i) / 3.0);
  ref_gemm(a, b, want);
  ref_gemm_f(fa, fb, fwant);
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    int64_t sc[2] = {M, N}, sa[2] = {M, K}, sb[2] = {K, N};
    grt_store_t *C = kt_store(&t, grt_type_float64(), 2, sc), *A = kt_store(&t, grt_type_float64(), 2, sa),
                *B = kt_store(&t, grt_type_float64(), 2, sb);
    kt_write(A, a);
    kt_write(B, b);
    assert_int_equal(grtk_gemm(t.k, C, A, B), 0);
    kt_read(C, got);
    for (int i = 0; i < M * N; i++) kt_assert_close(got[i], want[i], 1e-13, "gemm f64", t.cfg->name);
    grt_store_t *C32 = kt_store(&t, grt_type_float32(), 2, sc),
                *A32 = kt_store(&t, grt_type_float32(), 2, sa),
                *B32 = kt_store(&t, grt_type_float32(), 2, sb);
    kt_write(A32, fa);
    kt_write(B32, fb);
    assert_int_equal(grtk_gemm(t.k, C32, A32, B32), 0);
    kt_read(C32, fgot);
    for (int i = 0; i < M * N; i++) kt_assert_close(fgot[i], fwant[i], 1e-5, "gemm f32", t.cfg->name);
    /* C = A A^T through a transposed view of the same store */
    grt_store_t *At, *S;
    int64_t ss[2] = {M, M};
    S = kt_store(&t, grt_type_float64(), 2, ss);
    assert_int_equal(grt_store_transpose(A, (const int[]){1, 0}, &At), 0);
    assert_int_equal(grtk_gemm(t.k, S, A, At), 0);
    static double sgot[M * M];
    kt_read(S, sgot);
    for (int i = 0; i < M; i++)
      for (int j = 0; j < M; j++) {
        double s = 0;
        for (int k = 0; k < K; k++) s += a[i * K + k] * a[j * K + k];
        kt_assert_close(sgot[i * M + j], s, 1e-13, "gemm A A^T", t.cfg->name);
      }
    grt_store_destroy(At);
    grt_store_destroy(S);
    grt_store_destroy(A);
    grt_store_destroy(B);
    grt_store_destroy(C);
    grt_store_destroy(A32);
    grt_store_destroy(B32);
    grt_store_destroy(C32);
    kt_stop(&t);
  }
}

/* Degenerate shapes: empty k gives C = 0, empty m or n an empty C, a
 * single row or column, and a tall thin C (fewer column tiles than procs). */
static void test_gemm_degenerate(void **state) {
  (void)state;
  static const int64_t dims[][3] = {{5, 0, 6}, {0, 4, 6}, {5, 4, 0}, {1, 1, 1}, {100, 3, 2}, {1, 50, 70}};
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
      int64_t m = dims[d][0], kk = dims[d][1], n = dims[d][2];
      int64_t sc[2] = {m, n}, sa[2] = {m, kk}, sb[2] = {kk, n};
      grt_store_t *C = kt_store(&t, grt_type_float64(), 2, sc), *A = kt_store(&t, grt_type_float64(), 2, sa),
                  *B = kt_store(&t, grt_type_float64(), 2, sb);
      assert_int_equal(grtk_fill(t.k, C, 7.0), 0);
      assert_int_equal(grtk_fill(t.k, A, 1.5), 0);
      assert_int_equal(grtk_fill(t.k, B, 2.0), 0);
      assert_int_equal(grtk_gemm(t.k, C, A, B), 0);
      grt_future_t *f;
      double sum;
      assert_int_equal(grtk_sum(t.k, C, &f), 0);
      assert_int_equal(grt_future_get(f, &sum, sizeof sum), 0);
      grt_future_destroy(f);
      if (sum != 3.0 * (double)(m * n * kk))
        fail_msg("gemm %lldx%lldx%lld [%s]: sum %g", (long long)m, (long long)kk, (long long)n, t.cfg->name, sum);
      grt_store_destroy(A);
      grt_store_destroy(B);
      grt_store_destroy(C);
    }
    kt_stop(&t);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gemm_f64_views),
      cmocka_unit_test(test_gemm_inexact),
      cmocka_unit_test(test_gemm_degenerate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
