/* bench_sim_ranks.c - per-rank control cost of one 2-D stencil iteration as
 * rank 0 of R simulated ranks (R = 2 ... 1024): the time to submit and run
 * this rank's share, with every other rank's work only planned. Weak
 * scaling: one 64x64 tile per rank. CSV rows on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "grt.h"

static void relax(grt_task_context_t *ctx) {
  grt_buffer_t o, h;
  grt_task_arg(ctx, 0, &o);
  grt_task_arg(ctx, 1, &h);
  for (int64_t i = o.lo[0]; i <= o.hi[0]; i++)
    for (int64_t j = o.lo[1]; j <= o.hi[1]; j++)
      ((double *)o.ptr)[(i - o.lo[0]) * o.stride[0] + (j - o.lo[1]) * o.stride[1]] =
          ((const double *)h.ptr)[(i - h.lo[0]) * h.stride[0] + (j - h.lo[1]) * h.stride[1]];
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Runs in a child process: env GRT_SIM_RANKS=R GRT_SIM_RANK=0 is set. */
static int child(int R, int iters) {
  grt_config_t *cfg;
  grt_runtime_t *rt;
  if (grt_config_create(&cfg) < 0 || grt_config_set(cfg, "cpus", "1") < 0 ||
      grt_config_set(cfg, "min_cpu_chunk", "0") < 0 || grt_init_config(NULL, NULL, cfg, &rt) < 0)
    return 1;
  grt_config_destroy(cfg);
  grt_library_t *lib;
  if (grt_library_create(rt, "sim", &lib) < 0 ||
      grt_task_register(lib, 1, "relax", &(grt_variants_t){.cpu = relax}) < 0)
    return 1;
  /* R tiles of 64x64: a grid of rows x cols tiles, rows*cols = R */
  int rows = 1;
  while (rows * rows < R) rows *= 2;
  if (rows * rows > R) rows /= 2;
  int cols = R / rows;
  int64_t shape[2] = {64 * rows, 64 * cols};
  grt_store_t *a, *b;
  if (grt_store_create(rt, grt_type_float64(), 2, shape, &a) < 0 ||
      grt_store_create(rt, grt_type_float64(), 2, shape, &b) < 0)
    return 1;
  double t0 = 0;
  for (int it = 0; it < iters + 2; it++) {
    if (it == 2) t0 = now(); /* two warm-up iterations */
    grt_store_t *src = it % 2 ? b : a, *dst = it % 2 ? a : b;
    grt_launch_t *l;
    if (grt_launch_create(lib, 1, &l) < 0 || grt_launch_add_output(l, dst) < 0 ||
        grt_launch_add_input(l, src) < 0 || grt_launch_add_input(l, src) < 0 ||
        grt_launch_align(l, 0, 2) < 0 ||
        grt_launch_bloat(l, 1, 2, (int64_t[]){1, 1}, (int64_t[]){1, 1}) < 0 ||
        grt_launch_submit(l, NULL) < 0) {
      fprintf(stderr, "bench_sim_ranks: %s\n", grt_last_error());
      return 1;
    }
  }
  if (grt_fence(rt) < 0) return 1;
  double us = (now() - t0) / iters * 1e6;
  printf("sim_ranks_stencil_R%d,grt,%d,us_per_iteration,%.3f,us\n", R, R, us);
  grt_store_destroy(a);
  grt_store_destroy(b);
  return grt_finalize(rt) < 0;
}

int main(int argc, char **argv) {
  int maxR = 1024, iters = 50;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--quick") == 0) {
      maxR = 256;
      iters = 10;
    }
  if (getenv("GRT_SIM_RANKS")) return child(atoi(getenv("GRT_SIM_RANKS")), atoi(getenv("BENCH_ITERS")));
  double first = 0;
  for (int R = 2; R <= maxR; R *= 2) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      char r[16], it[16];
      snprintf(r, sizeof r, "%d", R);
      snprintf(it, sizeof it, "%d", iters);
      setenv("GRT_SIM_RANKS", r, 1);
      setenv("GRT_SIM_RANK", "0", 1);
      setenv("BENCH_ITERS", it, 1);
      execv("/proc/self/exe", argv);
      _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st)) {
      fprintf(stderr, "bench_sim_ranks: R=%d failed\n", R);
      return 1;
    }
    (void)first;
  }
  return 0;
}
