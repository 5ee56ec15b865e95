/* test_examples.c - runs the example applications small on 1-3 workers:
 * grt-cg2d (path in argv[1]) must converge like a sequential CG on host
 * arrays, grt-jacobi2d (argv[2]) must print a sequential Jacobi's checksum. */
#include "kernels_test_util.h"

static const char *app, *jacobi_app;

typedef struct cg_out {
  long iterations;
  double residual, true_residual, checksum;
  bool converged;
  int status;
} cg_out_t;

static cg_out_t run_prog(const char *prog, const char *env, const char *args) {
  char cmd[1024];
  /* KT_LAUNCH, if set, prefixes the program (e.g. "mpiexec -np 2"): the
   * same checks then hold on several ranks, printed by rank 0 only. */
  const char *launch = getenv("KT_LAUNCH");
  snprintf(cmd, sizeof cmd, "env %s %s '%s' %s 2>&1", env, launch ? launch : "", prog, args);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  cg_out_t o = {-1, NAN, NAN, NAN, false, -1};
  char line[512];
  while (fgets(line, sizeof line, p)) {
    sscanf(line, "iterations: %ld", &o.iterations);
    sscanf(line, "residual: %lf", &o.residual);
    sscanf(line, "true_residual: %lf", &o.true_residual);
    sscanf(line, "checksum: %lf", &o.checksum);
    if (!strncmp(line, "converged", 9)) o.converged = true;
  }
  o.status = pclose(p);
  return o;
}

static cg_out_t run_app(const char *env, const char *args) { return run_prog(app, env, args); }

/* Sequential CG on the same problem (b = 1, x0 = 0); returns iterations. */
static long ref_cg(int n, double tol, long max_iters, double *res, double *checksum) {
  size_t nn = (size_t)n * (size_t)n;
  double *x = calloc(nn, sizeof *x), *r = malloc(nn * sizeof *r), *p = malloc(nn * sizeof *p),
         *q = malloc(nn * sizeof *q);
  assert_true(x && r && p && q);
  for (size_t i = 0; i < nn; i++) r[i] = p[i] = 1.0;
  double rr = (double)nn, bnorm = sqrt(rr), rel = 1.0;
  long it = 0;
  while (it < max_iters && rel > tol) {
    double pq = 0;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        size_t c = (size_t)i * (size_t)n + (size_t)j;
        q[c] = 4.0 * p[c] - (i > 0 ? p[c - (size_t)n] : 0) - (i < n - 1 ? p[c + (size_t)n] : 0) -
               (j > 0 ? p[c - 1] : 0) - (j < n - 1 ? p[c + 1] : 0);
        pq += p[c] * q[c];
      }
    double alpha = rr / pq, rr2 = 0;
    for (size_t c = 0; c < nn; c++) {
      x[c] += alpha * p[c];
      r[c] -= alpha * q[c];
      rr2 += r[c] * r[c];
    }
    double beta = rr2 / rr;
    rr = rr2;
    for (size_t c = 0; c < nn; c++) p[c] = r[c] + beta * p[c];
    it++;
    rel = sqrt(rr) / bnorm;
  }
  *res = rel;
  *checksum = 0;
  for (size_t c = 0; c < nn; c++) *checksum += x[c];
  free(x);
  free(r);
  free(p);
  free(q);
  return it;
}

static void test_cg2d_converges(void **state) {
  (void)state;
  double rres, rsum;
  long rit = ref_cg(48, 1e-8, 500, &rres, &rsum);
  for (int cpus = 1; cpus <= 3; cpus++) {
    char env[128];
    snprintf(env, sizeof env, "GRT_CPUS=%d GRT_MIN_CPU_CHUNK=0", cpus);
    cg_out_t o = run_app(env, "-n 48 -iters 500 -tol 1e-8");
    assert_int_equal(o.status, 0);
    assert_true(o.converged);
    assert_true(o.residual <= 1e-8);
    assert_true(o.true_residual <= 1e-7);
    if (labs(o.iterations - rit) > 1)
      fail_msg("cpus=%d: %ld iterations, the sequential CG needs %ld", cpus, o.iterations, rit);
    kt_assert_close(o.checksum, rsum, 1e-7, "checksum", env);
  }
}

static void test_cg2d_iteration_limit_and_flags(void **state) {
  (void)state;
  cg_out_t o = run_app("GRT_CPUS=2 GRT_MIN_CPU_CHUNK=0", "--n=40 --iters 5 -tol 1e-12");
  assert_int_equal(o.status, 0);
  assert_int_equal(o.iterations, 5);
  assert_false(o.converged);
  double rres, rsum;
  ref_cg(40, 1e-12, 5, &rres, &rsum);
  kt_assert_close(o.residual, rres, 1e-5, "residual after 5 iterations (printed with 7 digits)", "cpus=2");
  o = run_app("", "-n 0");
  assert_int_equal(WEXITSTATUS(o.status), 2);
  o = run_app("", "-bogus 3");
  assert_int_equal(WEXITSTATUS(o.status), 2);
}

/* grt-jacobi2d prints "checksum:" (parsed into .checksum) and "residual:". */
static void test_jacobi2d_checksum(void **state) {
  (void)state;
  enum { G = 30, IT = 40 };
  static double u[(G + 2) * (G + 2)], v[(G + 2) * (G + 2)];
  const int w = G + 2;
  for (int j = 0; j < w; j++) u[j] = v[j] = 1.0;
  for (int it = 0; it < IT; it++) {
    for (int i = 1; i <= G; i++)
      for (int j = 1; j <= G; j++)
        v[i * w + j] = (u[(i - 1) * w + j] + u[(i + 1) * w + j] + u[i * w + j - 1] + u[i * w + j + 1]) * 0.25;
    memcpy(u, v, sizeof u);
  }
  double sum = 0;
  for (int i = 1; i <= G; i++)
    for (int j = 1; j <= G; j++) sum += u[i * w + j];
  for (int cpus = 1; cpus <= 3; cpus++) {
    char env[128];
    snprintf(env, sizeof env, "GRT_CPUS=%d GRT_MIN_CPU_CHUNK=0", cpus);
    cg_out_t o = run_prog(jacobi_app, env, "-n 30 -iters 40");
    assert_int_equal(o.status, 0);
    kt_assert_close(o.checksum, sum, 1e-11, "jacobi checksum", env);
    assert_true(o.residual >= 0.0);
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: test_examples PATH-TO-grt-cg2d PATH-TO-grt-jacobi2d\n");
    return 1;
  }
  app = argv[1];
  jacobi_app = argv[2];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cg2d_converges),
      cmocka_unit_test(test_cg2d_iteration_limit_and_flags),
      cmocka_unit_test(test_jacobi2d_checksum),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
