/* bench_tasks.c - task throughput: empty tasks, a chain on one store,
 * independent tasks on separate stores, fan-out/fan-in. CSV rows
 * case,variant,ranks,metric,value,unit on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grt.h"

static void empty(grt_task_context_t *ctx) { (void)ctx; }

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void report(const char *name, int workers, long n, double secs) {
  printf("task_%s_w%d,grt,1,us_per_task,%.4f,us\n", name, workers, secs / (double)n * 1e6);
  printf("task_%s_w%d,grt,1,tasks_per_s,%.4g,1/s\n", name, workers, (double)n / secs);
  fflush(stdout);
}

static int run(int workers, long n) {
  grt_config_t *cfg;
  grt_runtime_t *rt;
  char w[16];
  snprintf(w, sizeof w, "%d", workers);
  if (grt_config_create(&cfg) < 0 || grt_config_set(cfg, "cpus", w) < 0 || grt_init_config(NULL, NULL, cfg, &rt) < 0) {
    fprintf(stderr, "bench_tasks: init failed: %s\n", grt_last_error());
    return 1;
  }
  grt_config_destroy(cfg);
  grt_library_t *lib;
  if (grt_library_create(rt, "bench", &lib) < 0 ||
      grt_task_register(lib, 1, "empty", &(grt_variants_t){.cpu = empty}) < 0)
    return 1;
  int64_t one = 1;
  enum { NS = 64 };
  grt_store_t *s[NS];
  for (int i = 0; i < NS; i++)
    if (grt_store_create(rt, grt_type_int64(), 1, &one, &s[i]) < 0) return 1;

  /* 1. empty tasks, no arguments */
  double t0 = now();
  for (long i = 0; i < n; i++) {
    grt_launch_t *l;
    if (grt_launch_create(lib, 1, &l) < 0 || grt_launch_submit(l, NULL) < 0) return 1;
  }
  if (grt_fence(rt) < 0) return 1;
  report("empty", workers, n, now() - t0);

  /* 2. a chain on one store (inout) */
  t0 = now();
  for (long i = 0; i < n; i++) {
    grt_launch_t *l;
    if (grt_launch_create(lib, 1, &l) < 0 || grt_launch_add_inout(l, s[0]) < 0 ||
        grt_launch_submit(l, NULL) < 0)
      return 1;
  }
  if (grt_fence(rt) < 0) return 1;
  report("chain", workers, n, now() - t0);

  /* 3. independent tasks on separate stores */
  t0 = now();
  for (long i = 0; i < n; i++) {
    grt_launch_t *l;
    if (grt_launch_create(lib, 1, &l) < 0 || grt_launch_add_inout(l, s[i % NS]) < 0 ||
        grt_launch_submit(l, NULL) < 0)
      return 1;
  }
  if (grt_fence(rt) < 0) return 1;
  report("independent", workers, n, now() - t0);

  /* 4. fan-out/fan-in: one writer, NS-1 readers, repeat */
  t0 = now();
  long count = 0;
  while (count < n) {
    grt_launch_t *l;
    if (grt_launch_create(lib, 1, &l) < 0 || grt_launch_add_output(l, s[0]) < 0 ||
        grt_launch_submit(l, NULL) < 0)
      return 1;
    count++;
    for (int i = 1; i < NS && count < n; i++, count++) {
      if (grt_launch_create(lib, 1, &l) < 0 || grt_launch_add_input(l, s[0]) < 0 ||
          grt_launch_add_output(l, s[i]) < 0 || grt_launch_submit(l, NULL) < 0)
        return 1;
    }
  }
  if (grt_fence(rt) < 0) return 1;
  report("fanout", workers, n, now() - t0);

  for (int i = 0; i < NS; i++) grt_store_destroy(s[i]);
  return grt_finalize(rt) < 0;
}

int main(int argc, char **argv) {
  long n = 200000;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--quick") == 0) n = 20000;
    else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) n = atol(argv[++i]);
  for (int w = 1; w <= 2; w++)
    if (run(w, n)) return 1;
  return 0;
}
