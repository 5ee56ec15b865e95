/* jacobi2d.c - grt-jacobi2d: Jacobi iteration for Laplace's equation on a
 * 2-D grid, composed from grt_kernels (the stencil benchmark's application).
 *
 * Problem (the same as benchmarks/peers/jacobi_mpi.c): an n x n interior
 * with a Dirichlet ring, stored as one (n+2) x (n+2) grid; the top ring row
 * is 1, the rest of the ring and the interior start at 0. Each iteration is
 * one grtk_jacobi2d sweep between two grids. Rank 0 prints the checksum (sum
 * of the interior), the residual ||A u - b|| over the interior and the time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grt_kernels.h>

#include "problems.h"

static const char usage[] =
    "usage: grt-jacobi2d [-n N] [-iters I]\n"
    "  I Jacobi sweeps on an N x N interior grid. Defaults: -n 1024 -iters 100.\n"
    "  grt settings come from GRT_* variables / GRT_CONFIG (e.g. GRT_CPUS=2).\n";

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int parse(int argc, char **argv, long *n, long *iters) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage, stdout);
      exit(0);
    }
    if (a[0] == '-') a += a[1] == '-' ? 2 : 1;
    long *dst = !strcmp(a, "n") ? n : !strcmp(a, "iters") ? iters : NULL;
    char *end = NULL;
    if (!dst || i + 1 >= argc) {
      fprintf(stderr, "grt-jacobi2d: bad argument '%s'\n%s", argv[i], usage);
      return -1;
    }
    *dst = strtol(argv[++i], &end, 10);
    if (!end || *end) {
      fprintf(stderr, "grt-jacobi2d: bad value '%s'\n%s", argv[i], usage);
      return -1;
    }
  }
  if (*n < 1 || *iters < 0) {
    fprintf(stderr, "grt-jacobi2d: need n >= 1 and iters >= 0\n%s", usage);
    return -1;
  }
  return 0;
}

#define CHECK(call)                                                                    \
  do {                                                                                 \
    int rc_ = (call);                                                                  \
    if (rc_ < 0) {                                                                     \
      if (grt_rank(rt) == 0)                                                           \
        fprintf(stderr, "grt-jacobi2d: %s failed: %s\n", #call,                        \
                grtk_last_error()[0] ? grtk_last_error() : grt_last_error());          \
      status = 1;                                                                      \
      goto done;                                                                       \
    }                                                                                  \
  } while (0)

int main(int argc, char **argv) {
  long n = 1024, iters = 100;
  grt_runtime_t *rt;
  if (grt_init(&argc, &argv, &rt) < 0) {
    fprintf(stderr, "grt-jacobi2d: grt_init failed: %s\n", grt_last_error());
    return 1;
  }
  if (parse(argc, argv, &n, &iters) < 0) {
    (void)grt_finalize(rt);
    return 2;
  }
  int status = 0;
  grtk_t *k = NULL;
  ex_jacobi_t j = {0};
  CHECK(grtk_create(rt, &k));
  CHECK(ex_jacobi_create(rt, n, &j));
  CHECK(ex_jacobi_init(k, j.u, j.v));
  CHECK(grt_fence(rt));

  double t0 = now();
  CHECK(ex_jacobi_sweeps(k, &j, iters));
  CHECK(grt_fence(rt));
  double dt = now() - t0;

  double checksum = 0.0, residual = 0.0;
  CHECK(ex_jacobi_check(rt, k, j.u, n, &checksum, &residual));
  if (grt_rank(rt) == 0) {
    printf("grt-jacobi2d: n=%ld iters=%ld ranks=%d\n", n, iters, grt_num_ranks(rt));
    printf("checksum: %.12e\n", checksum);
    printf("residual: %.6e\n", residual);
    printf("time_total: %.6f s\n", dt);
    printf("time_per_iter: %.6f ms\n", iters > 0 ? dt / (double)iters * 1e3 : 0.0);
    printf("bandwidth: %.3f GB/s\n",
           dt > 0 ? 16.0 * (double)n * (double)n * (double)iters / dt * 1e-9 : 0.0);
  }

done:
  ex_jacobi_destroy(&j);
  grtk_destroy(k);
  if (grt_finalize(rt) < 0 && status == 0) status = 1;
  return status;
}
