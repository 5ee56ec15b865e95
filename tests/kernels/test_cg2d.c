/* test_cg2d.c - runs the grt-cg2d example small on 1-3 workers (path in
 * argv[1]) and checks that it converges like a sequential CG on host arrays. */
#include "kernels_test_util.h"

static const char *app;

typedef struct cg_out {
  long iterations;
  double residual, true_residual, checksum;
  bool converged;
  int status;
} cg_out_t;

static cg_out_t run_app(const char *env, const char *args) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "env %s '%s' %s 2>&1", env, app, args);
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

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_cg2d PATH-TO-grt-cg2d\n");
    return 1;
  }
  app = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cg2d_converges),
      cmocka_unit_test(test_cg2d_iteration_limit_and_flags),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
