/* test_stencil.c - jacobi2d and laplacian2d against sequential references
 * (bitwise: same order of operations), on 1-3 workers and OpenMP, on views
 * and on grids thinner than the halo. */
#include "kernels_test_util.h"

#define T double
static void ref_jacobi(int64_t n0, int64_t n1, const T *in, T *out) {
  for (int64_t i = 0; i < n0; i++)
    for (int64_t j = 0; j < n1; j++) {
      if (i == 0 || j == 0 || i == n0 - 1 || j == n1 - 1)
        out[i * n1 + j] = in[i * n1 + j];
      else
        out[i * n1 + j] = (in[(i - 1) * n1 + j] + in[(i + 1) * n1 + j] + in[i * n1 + j - 1] +
                           in[i * n1 + j + 1]) * 0.25;
    }
}

static void ref_lap(int64_t n0, int64_t n1, const T *x, T *out) {
  for (int64_t i = 0; i < n0; i++)
    for (int64_t j = 0; j < n1; j++)
      out[i * n1 + j] = 4.0 * x[i * n1 + j] - (i > 0 ? x[(i - 1) * n1 + j] : 0.0) -
                        (i < n0 - 1 ? x[(i + 1) * n1 + j] : 0.0) - (j > 0 ? x[i * n1 + j - 1] : 0.0) -
                        (j < n1 - 1 ? x[i * n1 + j + 1] : 0.0);
}
#undef T

static void ref_lap_f(int64_t n0, int64_t n1, const float *x, float *out) {
  for (int64_t i = 0; i < n0; i++)
    for (int64_t j = 0; j < n1; j++)
      out[i * n1 + j] = 4.0f * x[i * n1 + j] - (i > 0 ? x[(i - 1) * n1 + j] : 0.0f) -
                        (i < n0 - 1 ? x[(i + 1) * n1 + j] : 0.0f) -
                        (j > 0 ? x[i * n1 + j - 1] : 0.0f) - (j < n1 - 1 ? x[i * n1 + j + 1] : 0.0f);
}

static const int64_t grids[][2] = {{40, 33}, {1, 17}, {17, 1}, {2, 2}, {3, 5}, {128, 7}, {0, 5}, {1, 1}};
#define NGRIDS ((int)(sizeof grids / sizeof grids[0]))

static void test_stencil_jacobi_laplacian(void **state) {
  (void)state;
  static double h[128 * 40], got[128 * 40], want[128 * 40];
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    for (int g = 0; g < NGRIDS; g++) {
      int64_t n0 = grids[g][0], n1 = grids[g][1], shape[2] = {n0, n1};
      grt_store_t *in = kt_store(&t, grt_type_float64(), 2, shape);
      grt_store_t *out = kt_store(&t, grt_type_float64(), 2, shape);
      kt_host_fill(GRT_TYPE_FLOAT64, h, n0 * n1, 3 + (uint64_t)g);
      kt_write(in, h);
      char what[64];
      snprintf(what, sizeof what, "jacobi %lldx%lld", (long long)n0, (long long)n1);
      assert_int_equal(grtk_jacobi2d(t.k, out, in), 0);
      kt_read(out, got);
      ref_jacobi(n0, n1, h, want);
      kt_assert_bits(got, want, n0 * n1, sizeof(double), what, t.cfg->name);
      snprintf(what, sizeof what, "laplacian %lldx%lld", (long long)n0, (long long)n1);
      assert_int_equal(grtk_laplacian2d(t.k, out, in), 0);
      kt_read(out, got);
      ref_lap(n0, n1, h, want);
      kt_assert_bits(got, want, n0 * n1, sizeof(double), what, t.cfg->name);
      /* the fused form: the same out, and in . out */
      grt_future_t *f;
      assert_int_equal(grtk_fill(t.k, out, 0.0), 0);
      assert_int_equal(grtk_laplacian2d_dot(t.k, out, in, &f), 0);
      double dot, wdot = 0.0;
      assert_int_equal(grt_future_get(f, &dot, sizeof dot), 0);
      grt_future_destroy(f);
      for (int64_t i = 0; i < n0 * n1; i++) wdot += h[i] * want[i];
      kt_assert_close(dot, wdot, 1e-13, "laplacian2d_dot", t.cfg->name);
      kt_read(out, got);
      kt_assert_bits(got, want, n0 * n1, sizeof(double), "laplacian2d_dot out", t.cfg->name);
      grt_store_destroy(in);
      grt_store_destroy(out);
    }
    kt_stop(&t);
  }
}

/* Many sweeps ping-ponging between two grids, the jacobi2d app's loop. */
static void test_stencil_jacobi_iterations(void **state) {
  (void)state;
  enum { G = 66, IT = 25 };
  static double a[G * G], b[G * G], got[G * G];
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    int64_t shape[2] = {G, G};
    grt_store_t *u = kt_store(&t, grt_type_float64(), 2, shape);
    grt_store_t *v = kt_store(&t, grt_type_float64(), 2, shape);
    memset(a, 0, sizeof a);
    for (int j = 0; j < G; j++) a[j] = 1.0;
    kt_write(u, a);
    kt_write(v, a);
    for (int it = 0; it < IT; it++) {
      assert_int_equal(grtk_jacobi2d(t.k, v, u), 0);
      grt_store_t *s = u;
      u = v;
      v = s;
      ref_jacobi(G, G, a, b);
      memcpy(a, b, sizeof a);
    }
    kt_read(u, got);
    kt_assert_bits(got, a, G * G, sizeof(double), "jacobi iterations", t.cfg->name);
    grt_store_destroy(u);
    grt_store_destroy(v);
    kt_stop(&t);
  }
}

/* Views: the input a transposed store, the output a slice of a bigger one;
 * float32. */
static void test_stencil_views_f32(void **state) {
  (void)state;
  enum { A = 23, B = 31 };
  static float h[A * B], got[A * B], want[A * B];
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    int64_t tshape[2] = {B, A}, bshape[2] = {A + 4, B + 2};
    grt_store_t *troot = kt_store(&t, grt_type_float32(), 2, tshape);
    grt_store_t *oroot = kt_store(&t, grt_type_float32(), 2, bshape);
    grt_store_t *in, *rows, *out;
    assert_int_equal(grt_store_transpose(troot, (const int[]){1, 0}, &in), 0);
    assert_int_equal(grt_store_slice(oroot, 0, 2, 2 + A, &rows), 0);
    assert_int_equal(grt_store_slice(rows, 1, 1, 1 + B, &out), 0);
    kt_host_fill(GRT_TYPE_FLOAT32, h, A * B, 99);
    kt_write(in, h);
    assert_int_equal(grtk_fill(t.k, oroot, -1.0), 0);
    assert_int_equal(grtk_laplacian2d(t.k, out, in), 0);
    kt_read(out, got);
    ref_lap_f(A, B, h, want);
    kt_assert_bits(got, want, A * B, sizeof(float), "laplacian views f32", t.cfg->name);
    grt_future_t *f;
    assert_int_equal(grtk_laplacian2d_dot(t.k, out, in, &f), 0);
    float fdot;
    assert_int_equal(grt_future_get(f, &fdot, sizeof fdot), 0);
    grt_future_destroy(f);
    double wd = 0.0;
    for (int i = 0; i < A * B; i++) wd += (double)h[i] * (double)want[i];
    kt_assert_close(fdot, wd, 1e-6, "laplacian2d_dot f32", t.cfg->name);
    assert_int_equal(grtk_sum(t.k, oroot, &f), 0); /* the frame is untouched */
    float s;
    assert_int_equal(grt_future_get(f, &s, sizeof s), 0);
    grt_future_destroy(f);
    double ws = -1.0 * ((A + 4) * (B + 2) - A * B);
    for (int i = 0; i < A * B; i++) ws += want[i];
    kt_assert_close(s, ws, 1e-5, "frame", t.cfg->name);
    grt_store_destroy(out);
    grt_store_destroy(rows);
    grt_store_destroy(in);
    grt_store_destroy(troot);
    grt_store_destroy(oroot);
    kt_stop(&t);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stencil_jacobi_laplacian),
      cmocka_unit_test(test_stencil_jacobi_iterations),
      cmocka_unit_test(test_stencil_views_f32),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
