/* test_elementwise.c - fill, arange, random, scale/axpy/axpby (and the future
 * forms), add/sub/mul/div and transpose-copy against sequential references on
 * host arrays, on 1-3 workers (and OpenMP), through slices and transposes. */
#include "kernels_test_util.h"
#include "kernels_internal.h"

enum { M = 29, N = 23 };

/* A view of shape (M, N) of kind 0 plain, 1 slice of a larger store, 2
 * transpose of an (N, M) store, 3 transposed slice. *root is what to destroy
 * besides the view (NULL for kind 0). */
static grt_store_t *make_view(kt_t *t, const grt_type_t *ty, int kind, grt_store_t **root) {
  int64_t shape[2] = {M, N};
  *root = NULL;
  if (kind == 0) return kt_store(t, ty, 2, shape);
  grt_store_t *r, *v, *w;
  if (kind == 1) {
    int64_t big[2] = {M + 5, N + 7};
    r = kt_store(t, ty, 2, big);
    assert_int_equal(grt_store_slice(r, 0, 2, 2 + M, &w), 0);
    assert_int_equal(grt_store_slice(w, 1, 3, 3 + N, &v), 0);
    grt_store_destroy(w);
  } else if (kind == 2) {
    int64_t tr[2] = {N, M};
    r = kt_store(t, ty, 2, tr);
    assert_int_equal(grt_store_transpose(r, (const int[]){1, 0}, &v), 0);
  } else {
    int64_t big[2] = {N + 4, M + 1};
    r = kt_store(t, ty, 2, big);
    assert_int_equal(grt_store_slice(r, 0, 4, 4 + N, &w), 0);
    grt_store_t *w2;
    assert_int_equal(grt_store_slice(w, 1, 1, 1 + M, &w2), 0);
    assert_int_equal(grt_store_transpose(w2, (const int[]){1, 0}, &v), 0);
    grt_store_destroy(w);
    grt_store_destroy(w2);
  }
  *root = r;
  return v;
}

static const grt_type_t *type_of(int code) {
  return code == GRT_TYPE_FLOAT64 ? grt_type_float64()
         : code == GRT_TYPE_FLOAT32 ? grt_type_float32()
                                    : grt_type_int64();
}

static const int codes[] = {GRT_TYPE_FLOAT64, GRT_TYPE_FLOAT32, GRT_TYPE_INT64};

static void test_elementwise_fill_arange(void **state) {
  (void)state;
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    for (int tc = 0; tc < 3; tc++)
      for (int kind = 0; kind < 4; kind++) {
        int code = codes[tc];
        const grt_type_t *ty = type_of(code);
        size_t es = grt_type_size(ty);
        grt_store_t *root, *v = make_view(&t, ty, kind, &root);
        char got[M * N * 8], want[M * N * 8];
        assert_int_equal(grtk_fill(t.k, v, 2.5), 0);
        kt_read(v, got);
        for (int64_t i = 0; i < M * N; i++) {
          if (code == GRT_TYPE_FLOAT64) ((double *)want)[i] = 2.5;
          else if (code == GRT_TYPE_FLOAT32) ((float *)want)[i] = 2.5f;
          else ((int64_t *)want)[i] = 2;
        }
        kt_assert_bits(got, want, M * N, es, "fill", t.cfg->name);
        assert_int_equal(grtk_arange(t.k, v, -3.0, 0.5), 0);
        kt_read(v, got);
        for (int64_t i = 0; i < M * N; i++) {
          if (code == GRT_TYPE_FLOAT64) ((double *)want)[i] = -3.0 + (double)i * 0.5;
          else if (code == GRT_TYPE_FLOAT32) ((float *)want)[i] = (float)(-3.0 + (double)i * 0.5);
          else ((int64_t *)want)[i] = -3 + i * 0;
        }
        kt_assert_bits(got, want, M * N, es, "arange", t.cfg->name);
        if (code == GRT_TYPE_INT64) { /* integer step */
          assert_int_equal(grtk_arange(t.k, v, 7.0, -3.0), 0);
          kt_read(v, got);
          for (int64_t i = 0; i < M * N; i++) assert_int_equal(((int64_t *)got)[i], 7 - 3 * i);
        }
        if (root) { /* the rest of the root store is untouched by the view's kernels */
          int64_t rs[2];
          grt_store_shape(root, rs);
          assert_int_equal(grtk_fill(t.k, root, 9.0), 0);
          assert_int_equal(grtk_fill(t.k, v, 1.0), 0);
          grt_future_t *f;
          assert_int_equal(grtk_sum(t.k, root, &f), 0);
          double want_sum = 9.0 * (double)(rs[0] * rs[1] - M * N) + 1.0 * M * N;
          if (code == GRT_TYPE_INT64) {
            int64_t s;
            assert_int_equal(grt_future_get(f, &s, sizeof s), 0);
            assert_int_equal(s, (int64_t)want_sum);
          } else if (code == GRT_TYPE_FLOAT64) {
            double s;
            assert_int_equal(grt_future_get(f, &s, sizeof s), 0);
            assert_true(s == want_sum);
          } else {
            float s;
            assert_int_equal(grt_future_get(f, &s, sizeof s), 0);
            assert_true(s == (float)want_sum);
          }
          grt_future_destroy(f);
        }
        grt_store_destroy(v);
        grt_store_destroy(root);
      }
    kt_stop(&t);
  }
}

/* The reference of grtk_random at linear index i. */
static double ref_random(int code, uint64_t seed, int64_t i) {
  uint32_t w[4];
  grtk__philox(seed, (uint64_t)i, w);
  if (code == GRT_TYPE_FLOAT64) return (double)((((uint64_t)w[0] << 32) | w[1]) >> 11) * 0x1.0p-53;
  return (double)((float)(w[0] >> 8) * 0x1.0p-24f);
}

static void test_elementwise_random(void **state) {
  (void)state;
  static double first[2][4][M * N]; /* per type and view kind, from config 0 */
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    for (int tc = 0; tc < 2; tc++)
      for (int kind = 0; kind < 4; kind++) {
        int code = codes[tc];
        grt_store_t *root, *v = make_view(&t, type_of(code), kind, &root);
        char got[M * N * 8];
        assert_int_equal(grtk_random(t.k, v, 0x1234567887654321ull), 0);
        kt_read(v, got);
        for (int64_t i = 0; i < M * N; i++) {
          double g = kt_get_d(code, got, i);
          assert_true(g >= 0.0 && g < 1.0);
          if (g != ref_random(code, 0x1234567887654321ull, i))
            fail_msg("random [%s] kind %d: element %lld", t.cfg->name, kind, (long long)i);
          if (c == 0) first[tc][kind][i] = g;
          else if (g != first[tc][kind][i]) fail_msg("random differs across worker counts");
        }
        /* another seed gives other values */
        assert_int_equal(grtk_random(t.k, v, 1), 0);
        kt_read(v, got);
        int same = 0;
        for (int64_t i = 0; i < M * N; i++) same += kt_get_d(code, got, i) == first[tc][kind][i];
        assert_true(same < 5);
        grt_store_destroy(v);
        grt_store_destroy(root);
      }
    kt_stop(&t);
  }
  /* A rough uniformity check on a bigger 1-D store. */
  kt_t t = kt_start(&kt_configs[1]);
  int64_t n = 100000;
  grt_store_t *s = kt_store(&t, grt_type_float64(), 1, &n);
  assert_int_equal(grtk_random(t.k, s, 42), 0);
  grt_future_t *f;
  assert_int_equal(grtk_sum(t.k, s, &f), 0);
  double mean;
  assert_int_equal(grt_future_get(f, &mean, sizeof mean), 0);
  mean /= (double)n;
  assert_true(fabs(mean - 0.5) < 0.005);
  grt_future_destroy(f);
  grt_store_destroy(s);
  kt_stop(&t);
}

/* A future holding @p v of @p code's type: the sum of a one-element store. */
static grt_future_t *future_of(kt_t *t, int code, double v) {
  int64_t one = 1;
  grt_store_t *s = kt_store(t, type_of(code), 1, &one);
  assert_int_equal(grtk_fill(t->k, s, v), 0);
  grt_future_t *f;
  assert_int_equal(grtk_sum(t->k, s, &f), 0);
  grt_store_destroy(s);
  return f;
}

#define REF_LOOP(T, EXPR)                                      \
  for (int64_t i = 0; i < M * N; i++) {                        \
    T xv = ((T *)hx)[i], yv = ((T *)hy)[i];                    \
    (void)xv;                                                  \
    ((T *)want)[i] = EXPR;                                     \
  }

static void test_elementwise_axpby(void **state) {
  (void)state;
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    for (int tc = 0; tc < 2; tc++)
      for (int ky = 0; ky < 4; ky++) {
        int kx = (ky + 2) % 4, code = codes[tc];
        const grt_type_t *ty = type_of(code);
        size_t es = grt_type_size(ty);
        grt_store_t *ry, *rx, *y = make_view(&t, ty, ky, &ry), *x = make_view(&t, ty, kx, &rx);
        char hx[M * N * 8], hy[M * N * 8], got[M * N * 8], want[M * N * 8];
        kt_host_fill(code, hx, M * N, 11);
        kt_host_fill(code, hy, M * N, 12);
        for (int op = 0; op < 5; op++) {
          kt_write(x, hx);
          kt_write(y, hy);
          grt_future_t *f = NULL;
          if (op == 0) assert_int_equal(grtk_scale(t.k, y, -1.75), 0);
          if (op == 1) assert_int_equal(grtk_axpy(t.k, y, 0.375, x), 0);
          if (op == 2) assert_int_equal(grtk_axpby(t.k, y, 0.375, x, -2.0), 0);
          if (op == 3) {
            f = future_of(&t, code, 0.75);
            assert_int_equal(grtk_axpy_future(t.k, y, -0.5, f, x), 0);
          }
          if (op == 4) {
            f = future_of(&t, code, 1.5);
            assert_int_equal(grtk_xpby_future(t.k, y, x, f), 0);
          }
          grt_future_destroy(f);
          kt_read(y, got);
          if (code == GRT_TYPE_FLOAT64) {
            if (op == 0) REF_LOOP(double, -1.75 * yv);
            if (op == 1) REF_LOOP(double, 0.375 * xv + 1.0 * yv);
            if (op == 2) REF_LOOP(double, 0.375 * xv + -2.0 * yv);
            if (op == 3) REF_LOOP(double, (-0.5 * 0.75) * xv + 1.0 * yv);
            if (op == 4) REF_LOOP(double, 1.0 * xv + (1.0 * 1.5) * yv);
          } else {
            if (op == 0) REF_LOOP(float, -1.75f * yv);
            if (op == 1) REF_LOOP(float, 0.375f * xv + 1.0f * yv);
            if (op == 2) REF_LOOP(float, 0.375f * xv + -2.0f * yv);
            if (op == 3) REF_LOOP(float, (-0.5f * 0.75f) * xv + 1.0f * yv);
            if (op == 4) REF_LOOP(float, 1.0f * xv + (1.0f * 1.5f) * yv);
          }
          char what[64];
          snprintf(what, sizeof what, "axpby op %d type %d views %d/%d", op, code, ky, kx);
          kt_assert_bits(got, want, M * N, es, what, t.cfg->name);
        }
        grt_store_destroy(x);
        grt_store_destroy(y);
        grt_store_destroy(rx);
        grt_store_destroy(ry);
      }
    kt_stop(&t);
  }
}

#define BIN_REF(T)                                                          \
  for (int64_t i = 0; i < M * N; i++) {                                     \
    T u = ((T *)ha)[i], v = ((T *)hb)[i];                                   \
    ((T *)want)[i] = op == 0 ? u + v : op == 1 ? u - v : op == 2 ? u * v : u / v; \
  }

static int call_binary(grtk_t *k, int op, grt_store_t *o, grt_store_t *a, grt_store_t *b) {
  switch (op) {
  case 0: return grtk_add(k, o, a, b);
  case 1: return grtk_sub(k, o, a, b);
  case 2: return grtk_mul(k, o, a, b);
  default: return grtk_div(k, o, a, b);
  }
}

static void test_elementwise_binary(void **state) {
  (void)state;
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    for (int tc = 0; tc < 3; tc++)
      for (int op = 0; op < 4; op++) {
        int code = codes[tc];
        if (op == 3 && code == GRT_TYPE_INT64) continue;
        const grt_type_t *ty = type_of(code);
        size_t es = grt_type_size(ty);
        for (int kind = 0; kind < 4; kind++) {
          grt_store_t *ro, *ra, *rb;
          grt_store_t *o = make_view(&t, ty, kind, &ro), *a = make_view(&t, ty, (kind + 1) % 4, &ra),
                      *b = make_view(&t, ty, (kind + 3) % 4, &rb);
          char ha[M * N * 8], hb[M * N * 8], got[M * N * 8], want[M * N * 8];
          kt_host_fill(code, ha, M * N, 21 + (uint64_t)op);
          kt_host_fill(code, hb, M * N, 31 + (uint64_t)op);
          if (op == 3) /* no division by zero */
            for (int64_t i = 0; i < M * N; i++)
              if (kt_get_d(code, hb, i) == 0.0) {
                if (code == GRT_TYPE_FLOAT64) ((double *)hb)[i] = 0.5;
                else ((float *)hb)[i] = 0.5f;
              }
          if (code == GRT_TYPE_FLOAT64) BIN_REF(double)
          else if (code == GRT_TYPE_FLOAT32) BIN_REF(float)
          else BIN_REF(int64_t)
          char what[64];
          snprintf(what, sizeof what, "binary op %d type %d kind %d", op, code, kind);
          /* out separate */
          kt_write(a, ha);
          kt_write(b, hb);
          assert_int_equal(call_binary(t.k, op, o, a, b), 0);
          kt_read(o, got);
          kt_assert_bits(got, want, M * N, es, what, t.cfg->name);
          /* in place: out == a, then out == b */
          assert_int_equal(call_binary(t.k, op, a, a, b), 0);
          kt_read(a, got);
          kt_assert_bits(got, want, M * N, es, what, t.cfg->name);
          kt_write(a, ha);
          assert_int_equal(call_binary(t.k, op, b, a, b), 0);
          kt_read(b, got);
          kt_assert_bits(got, want, M * N, es, what, t.cfg->name);
          /* all three the same: x op x */
          kt_write(a, ha);
          assert_int_equal(call_binary(t.k, op, a, a, a), 0);
          memcpy(hb, ha, sizeof ha);
          if (code == GRT_TYPE_FLOAT64) BIN_REF(double)
          else if (code == GRT_TYPE_FLOAT32) BIN_REF(float)
          else BIN_REF(int64_t)
          kt_read(a, got);
          if (op != 3) kt_assert_bits(got, want, M * N, es, what, t.cfg->name);
          grt_store_destroy(o);
          grt_store_destroy(a);
          grt_store_destroy(b);
          grt_store_destroy(ro);
          grt_store_destroy(ra);
          grt_store_destroy(rb);
        }
      }
    kt_stop(&t);
  }
}

static void test_elementwise_transpose_copy(void **state) {
  (void)state;
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    for (int tc = 0; tc < 3; tc++)
      for (int kind = 0; kind < 4; kind++) {
        int code = codes[tc];
        const grt_type_t *ty = type_of(code);
        size_t es = grt_type_size(ty);
        grt_store_t *rs, *src = make_view(&t, ty, kind, &rs);
        int64_t dshape[2] = {N, M};
        grt_store_t *dst = kt_store(&t, ty, 2, dshape);
        char hs[M * N * 8], got[M * N * 8], want[M * N * 8];
        kt_host_fill(code, hs, M * N, 41);
        for (int64_t i = 0; i < M; i++)
          for (int64_t j = 0; j < N; j++)
            memcpy(want + (j * M + i) * (int64_t)es, hs + (i * N + j) * (int64_t)es, es);
        kt_write(src, hs);
        assert_int_equal(grtk_transpose_copy(t.k, dst, src), 0);
        kt_read(dst, got);
        kt_assert_bits(got, want, M * N, es, "transpose_copy", t.cfg->name);
        grt_store_destroy(dst);
        grt_store_destroy(src);
        grt_store_destroy(rs);
      }
    /* a 1-byte type, and a larger square one */
    int64_t sq[2] = {130, 130};
    grt_store_t *a = kt_store(&t, grt_type_int8(), 2, sq), *b = kt_store(&t, grt_type_int8(), 2, sq);
    static int8_t h[130 * 130], g[130 * 130];
    for (int i = 0; i < 130 * 130; i++) h[i] = (int8_t)(i * 7);
    kt_write(a, h);
    assert_int_equal(grtk_transpose_copy(t.k, b, a), 0);
    kt_read(b, g);
    for (int i = 0; i < 130; i++)
      for (int j = 0; j < 130; j++) assert_int_equal(g[j * 130 + i], h[i * 130 + j]);
    grt_store_destroy(a);
    grt_store_destroy(b);
    kt_stop(&t);
  }
}

/* Chains of kernels on one store: partitions are reused and the result is
 * the sequential one (exercises ordering between kernels through views). */
static void test_elementwise_chain_1d(void **state) {
  (void)state;
  enum { L = 10007 };
  static double want[L], got[L];
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    int64_t n = L;
    grt_store_t *x = kt_store(&t, grt_type_float64(), 1, &n);
    grt_store_t *y = kt_store(&t, grt_type_float64(), 1, &n);
    grt_store_t *lo, *hi;
    assert_int_equal(grt_store_slice(y, 0, 0, L / 2, &lo), 0);
    assert_int_equal(grt_store_slice(y, 0, L - L / 2, L, &hi), 0);
    assert_int_equal(grtk_arange(t.k, x, 0.0, 1.0), 0);
    assert_int_equal(grtk_fill(t.k, y, 1.0), 0);
    for (int r = 0; r < 20; r++) {
      assert_int_equal(grtk_axpy(t.k, y, 0.5, x), 0);
      assert_int_equal(grtk_scale(t.k, x, 0.5), 0);
      assert_int_equal(grtk_add(t.k, lo, lo, hi), 0); /* overlapping halves: ordered */
    }
    for (int64_t i = 0; i < L; i++) {
      want[i] = 1.0;
      got[i] = (double)i; /* x */
    }
    for (int r = 0; r < 20; r++) {
      for (int64_t i = 0; i < L; i++) want[i] = 0.5 * got[i] + 1.0 * want[i];
      for (int64_t i = 0; i < L; i++) got[i] *= 0.5;
      for (int64_t i = 0; i < L / 2; i++) want[i] = want[i] + want[L - L / 2 + i];
    }
    kt_read(y, got);
    kt_assert_bits(got, want, L, sizeof(double), "chain", t.cfg->name);
    grt_store_destroy(lo);
    grt_store_destroy(hi);
    grt_store_destroy(x);
    grt_store_destroy(y);
    kt_stop(&t);
  }
}

/* A promoted (broadcast, stride 0) input: out[i][j] = a[i][j] * row[j]. */
static void test_elementwise_broadcast_input(void **state) {
  (void)state;
  static double a[M * N], row[N], got[M * N], want[M * N];
  kt_host_fill(GRT_TYPE_FLOAT64, a, M * N, 51);
  kt_host_fill(GRT_TYPE_FLOAT64, row, N, 52);
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) want[i * N + j] = a[i * N + j] * row[j];
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    int64_t shape[2] = {M, N}, n = N;
    grt_store_t *out = kt_store(&t, grt_type_float64(), 2, shape);
    grt_store_t *sa = kt_store(&t, grt_type_float64(), 2, shape);
    grt_store_t *r = kt_store(&t, grt_type_float64(), 1, &n), *pr;
    kt_write(sa, a);
    kt_write(r, row);
    assert_int_equal(grt_store_promote(r, 0, M, &pr), 0);
    assert_int_equal(grtk_mul(t.k, out, sa, pr), 0);
    kt_read(out, got);
    kt_assert_bits(got, want, M * N, sizeof(double), "mul by a promoted row", t.cfg->name);
    /* and as the x of an axpy: out += 2 * row (broadcast) */
    assert_int_equal(grtk_axpy(t.k, out, 2.0, pr), 0);
    kt_read(out, got);
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) want[i * N + j] = 2.0 * row[j] + want[i * N + j];
    kt_assert_bits(got, want, M * N, sizeof(double), "axpy of a promoted row", t.cfg->name);
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) want[i * N + j] = a[i * N + j] * row[j];
    grt_store_destroy(pr);
    grt_store_destroy(r);
    grt_store_destroy(sa);
    grt_store_destroy(out);
    kt_stop(&t);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_elementwise_fill_arange),
      cmocka_unit_test(test_elementwise_random),
      cmocka_unit_test(test_elementwise_axpby),
      cmocka_unit_test(test_elementwise_binary),
      cmocka_unit_test(test_elementwise_transpose_copy),
      cmocka_unit_test(test_elementwise_chain_1d),
      cmocka_unit_test(test_elementwise_broadcast_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
