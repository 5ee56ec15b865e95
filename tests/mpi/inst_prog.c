/* inst_prog.c - a program test_instances drives: runs a Jacobi or CG
 * problem from grt_kernels and prints, per rank, what its instances cost.
 *
 *   inst_prog jacobi ROWS COLS ITERS   two float64 ROWS x COLS grids: u random,
 *                                      ITERS sweeps with a halo, then sum(u)
 *   inst_prog cg N ITERS               CG on the N x N Laplacian, then sum(x)
 *   inst_prog trim ROWS COLS ROUNDS    sums of slices of one quarter's rows,
 *                                      read by every rank, grt_memory_trim
 *                                      after each: the sum of the sums
 *   inst_prog autotrim ROWS COLS ROUNDS  the same without grt_memory_trim:
 *                                      under a tight sysmem budget the
 *                                      blocking calls trim by themselves
 *
 * Every rank prints one line (rank 0 first, the others after a fence):
 *   rank R/NR result S inst_used U inst_peak P inst_count C eager_peak E hwm_kib H trimmed T
 * S is the same on every rank; U is this rank's instance bytes after the
 * work (before the stores are destroyed), C their number, P the most
 * instance bytes at once, E the most eager bytes at once, H its peak
 * resident set (VmHWM), T the bytes of copies trims freed on it. Exit 0, or 1 with the
 * error on stderr. grt settings come from GRT_* variables. */
#include <grt_kernels.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "problems.h"

static long hwm_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kb = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
  fclose(f);
  return kb;
}

#define CHECK(call)                                                                       \
  do {                                                                                    \
    if ((call) < 0) {                                                                     \
      fprintf(stderr, "inst_prog: %s failed: %s\n", #call,                                \
              grtk_last_error()[0] ? grtk_last_error() : grt_last_error());               \
      exit(1);                                                                            \
    }                                                                                     \
  } while (0)

static grt_memory_info_t g_live; /* after the work, before the stores go */

static void measure(grt_runtime_t *rt) {
  CHECK(grt_fence(rt));
  CHECK(grt_memory_info(rt, GRT_MEM_SYSMEM, &g_live));
}

static double jacobi(grt_runtime_t *rt, grtk_t *k, int64_t rows, int64_t cols, long iters) {
  const int64_t shape[2] = {rows, cols};
  grt_store_t *u, *v;
  CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &u));
  CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &v));
  CHECK(grtk_random(k, u, 42));
  CHECK(grtk_fill(k, v, 0.0));
  for (long i = 0; i < iters; i++) {
    CHECK(grtk_jacobi2d(k, v, u));
    grt_store_t *t = u;
    u = v;
    v = t;
  }
  grt_future_t *f;
  double sum = 0;
  CHECK(grtk_sum(k, u, &f));
  CHECK(grt_future_get(f, &sum, sizeof sum));
  grt_future_destroy(f);
  measure(rt);
  grt_store_destroy(u);
  grt_store_destroy(v);
  return sum;
}

/* Sums of slices of rank 1's rows read by every rank (copies), trimmed
 * between reads; *freed gets what this rank's trims freed. The result is
 * the sum of the sums (the same on any rank count). */
static bool g_auto; /* autotrim: no grt_memory_trim calls */
static double trim(grt_runtime_t *rt, grtk_t *k, int64_t rows, int64_t cols, long rounds) {
  const int64_t shape[2] = {rows, cols};
  grt_store_t *u;
  CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &u));
  CHECK(grtk_random(k, u, 7));
  double total = 0;
  for (long i = 0; i < rounds; i++) {
    grt_store_t *v;
    int64_t lo = rows * 5 / 16 + i % 3; /* inside the second quarter */
    CHECK(grt_store_slice(u, 0, lo, lo + rows / 8, &v));
    grt_future_t *f;
    double s = 0;
    CHECK(grtk_sum(k, v, &f));
    CHECK(grt_future_get(f, &s, sizeof s));
    grt_future_destroy(f);
    grt_store_destroy(v);
    total += s;
    if (!g_auto) CHECK(grt_memory_trim(rt, NULL));
    if (i % 2) CHECK(grtk_scale(k, u, 1.0)); /* rewrite: the next copies are new */
  }
  measure(rt);
  grt_store_destroy(u);
  return total;
}

static double cg(grtk_t *k, grt_runtime_t *rt, long n, long iters) {
  ex_cg_t c;
  memset(&c, 0, sizeof c);
  CHECK(ex_cg_create(rt, n, &c));
  CHECK(ex_cg_start(k, &c));
  for (long i = 0; i < iters; i++) CHECK(ex_cg_iteration(k, &c));
  double res = 0, sum = 0;
  CHECK(ex_cg_check(k, &c, &res, &sum));
  measure(rt);
  ex_cg_destroy(&c);
  return sum;
}

int main(int argc, char **argv) {
  grt_runtime_t *rt;
  if (grt_init(&argc, &argv, &rt) < 0) {
    fprintf(stderr, "inst_prog: grt_init: %s\n", grt_last_error());
    return 1;
  }
  bool is_jacobi = argc == 5 && strcmp(argv[1], "jacobi") == 0;
  bool is_cg = argc == 4 && strcmp(argv[1], "cg") == 0;
  g_auto = argc == 5 && strcmp(argv[1], "autotrim") == 0;
  bool is_trim = argc == 5 && (strcmp(argv[1], "trim") == 0 || g_auto);
  if (!is_jacobi && !is_cg && !is_trim) {
    fprintf(stderr, "usage: inst_prog jacobi ROWS COLS ITERS | cg N ITERS\n");
    return 2;
  }
  grtk_t *k;
  CHECK(grtk_create(rt, &k));
  double s = is_jacobi ? jacobi(rt, k, atoll(argv[2]), atoll(argv[3]), atol(argv[4]))
             : is_trim ? trim(rt, k, atoll(argv[2]), atoll(argv[3]), atol(argv[4]))
                       : cg(k, rt, atol(argv[2]), atol(argv[3]));
  CHECK(grt_fence(rt));
  grt_memory_info_t mi;
  CHECK(grt_memory_info(rt, GRT_MEM_SYSMEM, &mi));
  int rank = grt_rank(rt), nranks = grt_num_ranks(rt);
  /* One line per rank, in rank order: each waits for a fence round. */
  for (int r = 0; r < nranks; r++) {
    if (r == rank) {
      printf("rank %d/%d result %.17g inst_used %zu inst_peak %zu inst_count %zu eager_peak %zu "
             "hwm_kib %ld trimmed %zu\n",
             rank, nranks, s, g_live.instance_used, mi.instance_peak, g_live.instance_count, mi.eager_peak,
             hwm_kib(), mi.trimmed);
      fflush(stdout);
    }
    if (nranks > 1 && r + 1 < nranks) CHECK(grt_fence(rt));
  }
  grtk_destroy(k);
  CHECK(grt_finalize(rt));
  return 0;
}
