/* cg2d.c - grt-cg2d: conjugate gradient on the 2-D Laplacian, composed only
 * from grt_kernels calls and futures.
 *
 * Problem (the same as benchmarks/peers/cg_mpi.c): A = the 5-point Laplacian
 * (4 on the diagonal, -1 per neighbour, zero Dirichlet boundary) on an n x n
 * grid, matrix-free (grtk_laplacian2d); b = 1; x0 = 0. Iterates until the
 * relative residual ||r|| / ||b|| is at most tol or iters iterations ran.
 * The matrix-vector product also returns p.Ap (grtk_laplacian2d_dot) and the
 * update of x and r also returns r.r (grtk_cg_update), so an iteration is
 * three passes over the vectors, like benchmarks/peers/cg_mpi.c. Every
 * scalar of the recurrence (alpha, beta) stays a future computed by a
 * task; the application blocks once per iteration, on r.r, to decide whether
 * to go on. Rank 0 prints the result and the time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grt_kernels.h>

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
  grt_store_t *x = NULL, *r = NULL, *p = NULL, *q = NULL;
  grt_future_t *rr = NULL, *pq = NULL, *alpha = NULL, *rr_new = NULL, *beta = NULL, *f = NULL;
  const int64_t shape[2] = {o.n, o.n};
  CHECK(grtk_create(rt, &k));
  CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &x));
  CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &r));
  CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &p));
  CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &q));
  /* x = 0, r = b - A x = b = 1, p = r. */
  CHECK(grtk_fill(k, x, 0.0));
  CHECK(grtk_fill(k, r, 1.0));
  CHECK(grtk_fill(k, p, 1.0));
  CHECK(grtk_dot(k, r, r, &rr));
  double rr0 = get(rr, &rc);
  CHECK(rc);
  double bnorm = sqrt(rr0), res = 1.0;
  CHECK(grt_fence(rt));

  double t0 = now();
  long it = 0;
  while (it < o.iters && res > o.tol) {
    CHECK(grtk_laplacian2d_dot(k, q, p, &pq));     /* q = A p, and p.q */
    CHECK(grtk_future_div(k, rr, pq, &alpha));     /* alpha = r.r / p.q */
    CHECK(grtk_cg_update(k, x, r, p, q, alpha, &rr_new)); /* x += alpha p; r -= alpha q; r.r */
    CHECK(grtk_future_div(k, rr_new, rr, &beta));  /* beta = r'.r' / r.r */
    CHECK(grtk_xpby_future(k, p, r, beta));        /* p = r + beta p */
    grt_future_destroy(pq);
    grt_future_destroy(alpha);
    grt_future_destroy(beta);
    grt_future_destroy(rr);
    pq = alpha = beta = NULL;
    rr = rr_new;
    rr_new = NULL;
    it++;
    res = sqrt(get(rr, &rc)) / bnorm; /* the one blocking point per iteration */
    CHECK(rc);
  }
  CHECK(grt_fence(rt));
  double dt = now() - t0;

  /* The true residual ||b - A x|| / ||b|| and the checksum sum(x). */
  CHECK(grtk_laplacian2d(k, q, x));
  CHECK(grtk_fill(k, r, 1.0));
  CHECK(grtk_sub(k, r, r, q));
  CHECK(grtk_norm2(k, r, &f));
  double true_res = get(f, &rc) / bnorm;
  CHECK(rc);
  grt_future_destroy(f);
  f = NULL;
  CHECK(grtk_sum(k, x, &f));
  double checksum = get(f, &rc);
  CHECK(rc);
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
  grt_future_destroy(f);
  grt_future_destroy(rr);
  grt_future_destroy(rr_new);
  grt_future_destroy(pq);
  grt_future_destroy(alpha);
  grt_future_destroy(beta);
  grt_store_destroy(x);
  grt_store_destroy(r);
  grt_store_destroy(p);
  grt_store_destroy(q);
  grtk_destroy(k);
  rc = grt_finalize(rt);
  if (rc < 0 && status == 0) status = fail(NULL, "grt_finalize", rc);
  return status;
}
