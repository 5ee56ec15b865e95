/* bench_views.c - the cost of launching on a strided view: a 1-D root of 2n
 * int64, its every other element as a view of n (delinearize to (n, 2), then
 * project the last dim at 0), written by one launch after a launch wrote the
 * whole root. Prints the submit time of the first launch on the view and the
 * time to its completion, for n = 10^4 .. 10^7 (--quick: to 10^6; -n N: one
 * size). CSV rows case,variant,ranks,metric,value,unit on stdout. Under
 * mpirun, rank 0 prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grt.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Writes each element's root index (the view's 2*i) into the view. */
static void write_index(grt_task_context_t *ctx) {
  grt_buffer_t b;
  if (grt_task_arg(ctx, 0, &b) < 0) return;
  int64_t *p = b.ptr;
  for (int64_t i = b.lo[0]; i <= b.hi[0]; i++) p[(i - b.lo[0]) * b.stride[0]] = 2 * i;
}

static void fill_minus_one(grt_task_context_t *ctx) {
  grt_buffer_t b;
  if (grt_task_arg(ctx, 0, &b) < 0) return;
  int64_t *p = b.ptr;
  for (int64_t i = b.lo[0]; i <= b.hi[0]; i++) p[(i - b.lo[0]) * b.stride[0]] = -1;
}

static int fail(const char *what) {
  fprintf(stderr, "bench_views: %s: %s\n", what, grt_last_error());
  return 1;
}

static int run(grt_runtime_t *rt, grt_library_t *lib, int64_t n) {
  int64_t root_n = 2 * n, sizes[2] = {n, 2};
  grt_store_t *root, *pairs, *view;
  if (grt_store_create(rt, grt_type_int64(), 1, &root_n, &root) < 0) return fail("store");
  if (grt_store_delinearize(root, 0, 2, sizes, &pairs) < 0 ||
      grt_store_project(pairs, 1, 0, &view) < 0)
    return fail("view");
  grt_launch_t *l;
  if (grt_launch_create(lib, 2, &l) < 0 || grt_launch_add_output(l, root) < 0 ||
      grt_launch_submit(l, NULL) < 0)
    return fail("whole-root launch");
  if (grt_fence(rt) < 0) return fail("fence");

  double t0 = now();
  if (grt_launch_create(lib, 1, &l) < 0 || grt_launch_add_output(l, view) < 0 ||
      grt_launch_submit(l, NULL) < 0)
    return fail("view launch");
  double t1 = now();
  if (grt_fence(rt) < 0) return fail("fence");
  double t2 = now();

  /* Every other element holds its index, the others -1. */
  grt_mapping_t *m;
  if (grt_store_map(root, GRT_READ, &m) < 0) return fail("map");
  double t3 = now();
  const int64_t *p = grt_mapping_ptr(m, NULL);
  int64_t bad = 0;
  for (int64_t i = 0; i < root_n; i++) bad += p[i] != (i % 2 ? -1 : i);
  if (grt_mapping_unmap(m) < 0) return fail("unmap");
  if (bad) {
    fprintf(stderr, "bench_views: n=%lld: %lld wrong elements\n", (long long)n, (long long)bad);
    return 1;
  }
  if (grt_rank(rt) == 0) {
    int r = grt_num_ranks(rt);
    printf("view_strided_n%lld,grt,%d,submit_s,%.6f,s\n", (long long)n, r, t1 - t0);
    printf("view_strided_n%lld,grt,%d,complete_s,%.6f,s\n", (long long)n, r, t2 - t0);
    printf("view_strided_n%lld,grt,%d,map_root_s,%.6f,s\n", (long long)n, r, t3 - t2);
    fflush(stdout);
  }
  grt_store_destroy(view);
  grt_store_destroy(pairs);
  grt_store_destroy(root);
  return 0;
}

int main(int argc, char **argv) {
  int64_t max = 10000000, only = 0;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--quick") == 0) max = 1000000;
    else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) only = atoll(argv[++i]);
  grt_runtime_t *rt;
  if (grt_init(&argc, &argv, &rt) < 0) return fail("init");
  grt_library_t *lib;
  if (grt_library_create(rt, "bench_views", &lib) < 0 ||
      grt_task_register(lib, 1, "write_index", &(grt_variants_t){.cpu = write_index}) < 0 ||
      grt_task_register(lib, 2, "fill_minus_one", &(grt_variants_t){.cpu = fill_minus_one}) < 0)
    return fail("library");
  int rc = 0;
  if (only > 0) {
    rc = run(rt, lib, only);
  } else {
    for (int64_t n = 10000; n <= max && rc == 0; n *= 10) rc = run(rt, lib, n);
  }
  if (grt_finalize(rt) < 0) return fail("finalize");
  return rc;
}
