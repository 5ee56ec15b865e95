/* test_oracle.c - random programs of kernels on random views (slices and
 * transposes of a few 2-D stores), run on 1-3 workers and OpenMP and compared
 * bitwise with the same program on host arrays. The seed is printed on
 * failure; KT_SEED=<n> replays one program, KT_PROGRAMS=<n> sets the count
 * (2000 with -Dlong_tests=true). */
#include "kernels_test_util.h"
#include "kernels_internal.h"

enum { NROOTS = 4, NOPS = 30 };

typedef struct root {
  int64_t r, c;
  double *h; /* host mirror, row-major */
  grt_store_t *s;
} root_t;

/* A view: rows [r0, r0+nr), cols [c0, c0+nc) of a root, maybe transposed. */
typedef struct view {
  int root;
  int64_t r0, c0, nr, nc;
  bool tr;
  grt_store_t *s; /* NULL until made */
} view_t;

static uint64_t rng_state;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
static int64_t rnd_in(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1)); }

/* View shape (rows, cols) as seen by kernels. */
static int64_t vrows(const view_t *v) { return v->tr ? v->nc : v->nr; }
static int64_t vcols(const view_t *v) { return v->tr ? v->nr : v->nc; }

static double *at(root_t *roots, const view_t *v, int64_t i, int64_t j) {
  root_t *r = &roots[v->root];
  int64_t ri = v->tr ? j : i, cj = v->tr ? i : j;
  return &r->h[(v->r0 + ri) * r->c + v->c0 + cj];
}

/* A random view of root @p k with the given kernel-visible shape, or of any
 * shape when rows < 0. Returns false if the root is too small. */
static bool pick_view(root_t *roots, int k, int64_t rows, int64_t cols, view_t *v) {
  root_t *r = &roots[k];
  v->root = k;
  v->tr = rnd() % 3 == 0;
  v->s = NULL;
  int64_t nr = rows < 0 ? rnd_in(1, r->r) : (v->tr ? cols : rows);
  int64_t nc = rows < 0 ? rnd_in(1, r->c) : (v->tr ? rows : cols);
  if (nr > r->r || nc > r->c) return false;
  v->nr = nr;
  v->nc = nc;
  v->r0 = rnd_in(0, r->r - nr);
  v->c0 = rnd_in(0, r->c - nc);
  return true;
}

static void make(root_t *roots, view_t *v) {
  grt_store_t *a, *b;
  assert_int_equal(grt_store_slice(roots[v->root].s, 0, v->r0, v->r0 + v->nr, &a), 0);
  assert_int_equal(grt_store_slice(a, 1, v->c0, v->c0 + v->nc, &b), 0);
  grt_store_destroy(a);
  if (v->tr) {
    assert_int_equal(grt_store_transpose(b, (const int[]){1, 0}, &v->s), 0);
    grt_store_destroy(b);
  } else {
    v->s = b;
  }
}

static void unmake(view_t *v) {
  grt_store_destroy(v->s);
  v->s = NULL;
}

#define FOR_VIEW(v) \
  for (int64_t i = 0; i < vrows(v); i++) \
    for (int64_t j = 0; j < vcols(v); j++)

/* One random program on @p t; returns normally or fails naming the seed. */
static void run_program(kt_t *t, uint64_t seed) {
  rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
  root_t roots[NROOTS];
  for (int k = 0; k < NROOTS; k++) {
    roots[k].r = rnd_in(1, 24);
    roots[k].c = rnd_in(1, 24);
    int64_t shape[2] = {roots[k].r, roots[k].c};
    roots[k].h = malloc(sizeof(double) * (size_t)(roots[k].r * roots[k].c));
    assert_non_null(roots[k].h);
    for (int64_t i = 0; i < roots[k].r * roots[k].c; i++) roots[k].h[i] = kt_val(seed + (uint64_t)k, i);
    roots[k].s = kt_store(t, grt_type_float64(), 2, shape);
    kt_write(roots[k].s, roots[k].h);
  }
  for (int op = 0; op < NOPS; op++) {
    int kind = (int)(rnd() % 10);
    int ko = (int)(rnd() % NROOTS), ki = (int)((ko + 1 + rnd() % (NROOTS - 1)) % NROOTS);
    view_t o, x, y;
    if (!pick_view(roots, ko, -1, -1, &o)) continue;
    int64_t R = vrows(&o), C = vcols(&o);
    double a = (double)rnd_in(-8, 8) / 8.0, b = (double)rnd_in(-8, 8) / 8.0;
    make(roots, &o);
    switch (kind) {
    case 0: /* fill */
      assert_int_equal(grtk_fill(t->k, o.s, a), 0);
      FOR_VIEW(&o) *at(roots, &o, i, j) = a;
      break;
    case 1: /* arange */
      assert_int_equal(grtk_arange(t->k, o.s, a, b), 0);
      FOR_VIEW(&o) *at(roots, &o, i, j) = a + (double)(i * C + j) * b;
      break;
    case 2: /* scale */
      assert_int_equal(grtk_scale(t->k, o.s, a), 0);
      FOR_VIEW(&o) *at(roots, &o, i, j) *= a;
      break;
    case 3:   /* axpby */
    case 4: { /* add / sub / mul, sometimes in place */
      if (!pick_view(roots, ki, R, C, &x)) break;
      make(roots, &x);
      if (kind == 3) {
        assert_int_equal(grtk_axpby(t->k, o.s, a, x.s, b), 0);
        FOR_VIEW(&o) *at(roots, &o, i, j) = a * *at(roots, &x, i, j) + b * *at(roots, &o, i, j);
      } else {
        int bop = (int)(rnd() % 3);
        bool in_place = rnd() % 2;
        view_t *first = in_place ? &o : &x;
        int rc = bop == 0 ? grtk_add(t->k, o.s, first->s, x.s)
                 : bop == 1 ? grtk_sub(t->k, o.s, first->s, x.s)
                            : grtk_mul(t->k, o.s, first->s, x.s);
        assert_int_equal(rc, 0);
        FOR_VIEW(&o) {
          double u = *at(roots, first, i, j), w = *at(roots, &x, i, j);
          *at(roots, &o, i, j) = bop == 0 ? u + w : bop == 1 ? u - w : u * w;
        }
      }
      unmake(&x);
      break;
    }
    case 5:   /* jacobi2d */
    case 6: { /* laplacian2d */
      if (!pick_view(roots, ki, R, C, &x)) break;
      make(roots, &x);
      assert_int_equal(kind == 5 ? grtk_jacobi2d(t->k, o.s, x.s) : grtk_laplacian2d(t->k, o.s, x.s), 0);
      FOR_VIEW(&o) {
#define X(ii, jj) (*at(roots, &x, ii, jj))
        double v;
        if (kind == 5)
          v = (i == 0 || j == 0 || i == R - 1 || j == C - 1)
                  ? X(i, j)
                  : (X(i - 1, j) + X(i + 1, j) + X(i, j - 1) + X(i, j + 1)) * 0.25;
        else
          v = 4.0 * X(i, j) - (i > 0 ? X(i - 1, j) : 0.0) - (i < R - 1 ? X(i + 1, j) : 0.0) -
              (j > 0 ? X(i, j - 1) : 0.0) - (j < C - 1 ? X(i, j + 1) : 0.0);
#undef X
        *at(roots, &o, i, j) = v;
      }
      unmake(&x);
      break;
    }
    case 7: { /* transpose_copy: o = x^T */
      if (!pick_view(roots, ki, C, R, &x)) break;
      make(roots, &x);
      assert_int_equal(grtk_transpose_copy(t->k, o.s, x.s), 0);
      FOR_VIEW(&o) *at(roots, &o, i, j) = *at(roots, &x, j, i);
      unmake(&x);
      break;
    }
    case 8: { /* sum / dot of views, checked against the mirror now */
      if (!pick_view(roots, ki, R, C, &y)) break;
      make(roots, &y);
      grt_future_t *fs, *fd;
      assert_int_equal(grtk_sum(t->k, o.s, &fs), 0);
      assert_int_equal(grtk_dot(t->k, o.s, y.s, &fd), 0);
      double ws = 0, wd = 0, mag = 0, got;
      FOR_VIEW(&o) {
        double u = *at(roots, &o, i, j), w = *at(roots, &y, i, j);
        ws += u;
        wd += u * w;
        mag += fabs(u) + fabs(u * w);
      }
      assert_int_equal(grt_future_get(fs, &got, sizeof got), 0);
      if (!(fabs(got - ws) <= 1e-12 * (mag + 1.0)))
        fail_msg("seed %llu op %d: sum %.17g want %.17g [%s]", (unsigned long long)seed, op, got, ws,
                 t->cfg->name);
      assert_int_equal(grt_future_get(fd, &got, sizeof got), 0);
      if (!(fabs(got - wd) <= 1e-12 * (mag + 1.0)))
        fail_msg("seed %llu op %d: dot %.17g want %.17g [%s]", (unsigned long long)seed, op, got, wd,
                 t->cfg->name);
      grt_future_destroy(fs);
      grt_future_destroy(fd);
      unmake(&y);
      break;
    }
    default: { /* random, then bring values back to a small range */
      uint64_t s = rnd();
      assert_int_equal(grtk_random(t->k, o.s, s), 0);
      FOR_VIEW(&o) {
        uint32_t w[4];
        grtk__philox(s, (uint64_t)(i * C + j), w);
        *at(roots, &o, i, j) = (double)((((uint64_t)w[0] << 32) | w[1]) >> 11) * 0x1.0p-53;
      }
      break;
    }
    }
    unmake(&o);
  }
  for (int k = 0; k < NROOTS; k++) {
    int64_t n = roots[k].r * roots[k].c;
    double *got = malloc(sizeof(double) * (size_t)n);
    assert_non_null(got);
    kt_read(roots[k].s, got);
    for (int64_t i = 0; i < n; i++)
      if (memcmp(&got[i], &roots[k].h[i], sizeof(double)) != 0)
        fail_msg("seed %llu: root %d element %lld is %.17g, the sequential run gives %.17g [%s]",
                 (unsigned long long)seed, k, (long long)i, got[i], roots[k].h[i], t->cfg->name);
    free(got);
    free(roots[k].h);
    grt_store_destroy(roots[k].s);
  }
}

static void test_oracle_random_programs(void **state) {
  (void)state;
  /* KT_PROGRAMS, else the suite-wide GRT_PROGRAMS (the valgrind setup sets
   * it low), else 200 (40 under GRT_TEST_SHORT). */
  const char *one = getenv("KT_SEED"), *count = getenv("KT_PROGRAMS");
  if (!count) count = getenv("GRT_PROGRAMS");
  int programs = count ? atoi(count) : getenv("GRT_TEST_SHORT") ? 40 : 200;
  for (int c = 0; c < KT_NCONFIGS; c++) {
    kt_t t = kt_start(&kt_configs[c]);
    if (one) {
      run_program(&t, strtoull(one, NULL, 10));
    } else {
      for (int p = 0; p < programs; p++) run_program(&t, (uint64_t)p + 1);
    }
    kt_stop(&t);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_oracle_random_programs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
