/* cg2d.c - grt-cg2d: conjugate gradient on the 2-D Laplacian, composed only
 * from grt_kernels calls and futures.
 *
 * Problem (the same as benchmarks/peers/cg_mpi.c): A = the 5-point Laplacian
 * (4 on the diagonal, -1 per neighbour, zero Dirichlet boundary) on an n x n
 * grid, matrix-free (grtk_laplacian2d); b = 1; x0 = 0. Iterates until the
 * relative residual ||r|| / ||b|| is at most tol or iters iterations ran.
 * An iteration (ex_cg_iteration in problems.c) is three launches and three
 * passes over the vectors, like benchmarks/peers/cg_mpi.c: the
 * matrix-vector product also returns p.Ap (grtk_laplacian2d_dot), the
 * update of x and r divides r.r by p.Ap itself and returns the new r.r
 * (grtk_cg_update_ratio), and the direction update divides the two r.r
 * (grtk_xpby_ratio). Every scalar stays a future; the application blocks
 * once per iteration, on r.r, to decide whether to go on. Rank 0 prints the
 * result and the time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grt_kernels.h>

#include "problems.h"

static const char usage[] =
    "usage: grt-cg2d [-n N] [-iters I] [-tol T]\n"
    "  CG on the N x N 2-D Laplacian (5-point, matrix-free); stops when\n"
    "  ||r||/||b|| <= T or after I iterations. Defaults: -n 512 -iters 200 -tol 1e-8.\n"
    "  grt settings come from GRT_* variables / GRT_CONFIG (e.g. GRT_CPUS=2).\n";

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Parses "-name V" / "--name V" / "--name=V"; returns 1 if argv[*i] matched. */
static int flag(int argc, char **argv, int *i, const char *name, const char **val) {
  const char *a = argv[*i];
  if (a[0] != '-') return 0;
  a += a[1] == '-' ? 2 : 1;
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0) return 0;
  if (a[n] == '=') {
    *val = a + n + 1;
    return 1;
  }
  if (a[n] != '\0') return 0;
  if (*i + 1 >= argc) return -1;
  *val = argv[++*i];
  return 1;
}

typedef struct opts {
  long n, iters;
  double tol;
} opts_t;

static int parse(int argc, char **argv, opts_t *o) {
  for (int i = 1; i < argc; i++) {
    const char *v = NULL;
    char *end = NULL;
    int r;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      fputs(usage, stdout);
      exit(0);
    } else if ((r = flag(argc, argv, &i, "n", &v)) != 0) {
      if (r > 0) o->n = strtol(v, &end, 10);
    } else if ((r = flag(argc, argv, &i, "iters", &v)) != 0) {
      if (r > 0) o->iters = strtol(v, &end, 10);
    } else if ((r = flag(argc, argv, &i, "tol", &v)) != 0) {
      if (r > 0) o->tol = strtod(v, &end);
    } else {
      fprintf(stderr, "grt-cg2d: unknown argument '%s'\n%s", argv[i], usage);
      return -1;
    }
    if (r < 0 || !end || *end != '\0') {
      fprintf(stderr, "grt-cg2d: bad or missing value for '%s'\n%s", argv[i], usage);
      return -1;
    }
  }
  if (o->n < 1 || o->iters < 0 || !(o->tol >= 0.0)) {
    fprintf(stderr, "grt-cg2d: need n >= 1, iters >= 0, tol >= 0\n%s", usage);
    return -1;
  }
  return 0;
}

/* Reports a failed call (rank 0) and returns 1 for main's exit status. */
static int fail(grt_runtime_t *rt, const char *what, int rc) {
  if (!rt || grt_rank(rt) == 0)
    fprintf(stderr, "grt-cg2d: %s failed: %s (%s)\n", what, grtk_last_error()[0] ? grtk_last_error()
                                                                                 : grt_last_error(),
            grt_strerror(rc));
  return 1;
}

#define CHECK(call)                     \
  do {                                  \
    int rc_ = (call);                   \
    if (rc_ < 0) {                      \
      status = fail(rt, #call, rc_);    \
      goto done;                        \
    }                                   \
  } while (0)

static double get(grt_future_t *f, int *rc) {
  double v = NAN;
  *rc = grt_future_get(f, &v, sizeof v);
  return v;
}

int main(int argc, char **argv) {
  opts_t o = {512, 200, 1e-8};
  grt_runtime_t *rt = NULL;
  int rc = grt_init(&argc, &argv, &rt);
  if (rc < 0) {
    fprintf(stderr, "grt-cg2d: grt_init failed: %s\n", grt_last_error());
    return 1;
  }
  if (parse(argc, argv, &o) < 0) {
    (void)grt_finalize(rt);
    return 2;
  }
  int status = 0;
  grtk_t *k = NULL;
  ex_cg_t cg = {0};
  CHECK(grtk_create(rt, &k));
  CHECK(ex_cg_create(rt, o.n, &cg));
  double res = 1.0;
  CHECK(ex_cg_start(k, &cg)); /* x = 0, r = b - A x = b = 1, p = r */
  CHECK(grt_fence(rt));

  double t0 = now();
  long it = 0;
  while (it < o.iters && res > o.tol) {
    CHECK(ex_cg_iteration(k, &cg));
    it++;
    res = sqrt(get(cg.rr, &rc)) / cg.bnorm; /* the one blocking point per iteration */
    CHECK(rc);
  }
  CHECK(grt_fence(rt));
  double dt = now() - t0;

  double true_res = 0.0, checksum = 0.0; /* ||b - A x|| / ||b|| and sum(x) */
  CHECK(ex_cg_check(k, &cg, &true_res, &checksum));
  if (grt_rank(rt) == 0) {
    printf("grt-cg2d: n=%ld tol=%g max_iters=%ld ranks=%d\n", o.n, o.tol, o.iters,
           grt_num_ranks(rt));
    printf("iterations: %ld\n", it);
    printf("residual: %.6e\n", res);
    printf("true_residual: %.6e\n", true_res);
    printf("checksum: %.12e\n", checksum);
    printf("time_total: %.6f s\n", dt);
    printf("time_per_iter: %.6f ms\n", it > 0 ? dt / (double)it * 1e3 : 0.0);
    if (res <= o.tol)
      printf("converged\n");
    else
      printf("stopped at the iteration limit (-iters %ld) before reaching tol\n", o.iters);
  }

done:
  ex_cg_destroy(&cg);
  grtk_destroy(k);
  rc = grt_finalize(rt);
  if (rc < 0 && status == 0) status = fail(NULL, "grt_finalize", rc);
  return status;
}
