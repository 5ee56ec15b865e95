/* bench_sim_ranks.c - per-rank control cost of one 2-D stencil iteration as
 * one rank of R simulated ranks (R = 2 ... 1024): the time to submit and run
 * this rank's share, with its messages counted instead of sent. Weak
 * scaling: one 64x64 tile per rank; the rank timed is the one in the middle
 * of the tile grid (an interior rank, 8 neighbours, once R >= 9). CSV rows on
 * stdout, then the ratio of the cost at the largest R to the cost at 2. */
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

static double cpu_now(void) { /* this thread's CPU time: robust to a busy machine */
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Runs in a child process: env GRT_SIM_RANKS=R GRT_SIM_RANK=r is set. */
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
  /* Best of 5 repetitions (after two warm-up iterations): the machine is
   * shared and the figure is a cost, not a throughput under contention. */
  double us = 1e30, sub = 1e30;
  for (int rep = 0, it = 0; rep < 5; rep++) {
    double t0 = 0, c0 = 0;
    for (int k = 0; k < iters + (rep == 0 ? 2 : 0); k++, it++) {
      if (k == (rep == 0 ? 2 : 0)) {
        t0 = now();
        c0 = cpu_now();
      }
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
    double c = (cpu_now() - c0) / iters * 1e6;
    if (grt_fence(rt) < 0) return 1;
    double t = (now() - t0) / iters * 1e6;
    if (t < us) us = t;
    if (c < sub) sub = c;
  }
  /* The submission cost (the control loop's CPU time on the application
   * thread) first: the target is about it; then the wall time of an
   * iteration including running the rank's task and packing its messages. */
  printf("sim_ranks_stencil_R%d,grt,%d,submit_us_per_iteration,%.3f,us\n", R, R, sub);
  printf("sim_ranks_stencil_R%d,grt,%d,us_per_iteration,%.3f,us\n", R, R, us);
  grt_store_destroy(a);
  grt_store_destroy(b);
  return grt_finalize(rt) < 0;
}

int main(int argc, char **argv) {
  int maxR = 1024, iters = 200;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--quick") == 0) {
      maxR = 256;
      iters = 40;
    }
  if (getenv("GRT_SIM_RANKS")) return child(atoi(getenv("GRT_SIM_RANKS")), atoi(getenv("BENCH_ITERS")));
  double first = 0, last = 0;
  for (int R = 2; R <= maxR; R *= 2) {
    fflush(stdout);
    int fds[2];
    if (pipe(fds) < 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
      char r[16], it[16], me[16];
      int rows = 1;
      while (rows * rows < R) rows *= 2;
      if (rows * rows > R) rows /= 2;
      int cols = R / rows;
      snprintf(r, sizeof r, "%d", R);
      snprintf(it, sizeof it, "%d", iters);
      snprintf(me, sizeof me, "%d", rows / 2 * cols + cols / 2);
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      setenv("GRT_SIM_RANKS", r, 1);
      setenv("GRT_SIM_RANK", me, 1);
      setenv("BENCH_ITERS", it, 1);
      execv("/proc/self/exe", argv);
      _exit(127);
    }
    close(fds[1]);
    char line[256] = "";
    double us = 0;
    FILE *f = fdopen(fds[0], "r");
    while (f && fgets(line, sizeof line, f)) {
      fputs(line, stdout);
      const char *v = strstr(line, ",submit_us_per_iteration,");
      if (v) us = atof(v + strlen(",submit_us_per_iteration,"));
    }
    if (f) fclose(f);
    if (R == 2) first = us;
    last = us;
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st)) {
      fprintf(stderr, "bench_sim_ranks: R=%d failed\n", R);
      return 1;
    }
  }
  if (first > 0)
    printf("sim_ranks_stencil_cost_ratio,grt,%d,submit_cost_R%d_over_R2,%.3f,x\n", maxR, maxR,
           last / first);
  return 0;
}
