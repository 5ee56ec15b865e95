/* mpi_prog.c - programs the MPI job tests launch under mpirun (or as simulated
 * ranks): a stencil that reports its transfers, diverging ranks, a fatal
 * error on one rank, a rank killed mid-run, and ranks that leave without
 * grt_finalize (return, exit in main or in a task). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "grt.h"
#include "plan.h"
#include "runtime.h"

static void relax(grt_task_context_t *ctx) {
  grt_buffer_t o, h;
  grt_task_arg(ctx, 0, &o);
  grt_task_arg(ctx, 1, &h);
  for (int64_t i = o.lo[0]; i <= o.hi[0]; i++) {
    double *out = (double *)o.ptr + (i - o.lo[0]) * o.stride[0];
    const double *in = (const double *)h.ptr + (i - h.lo[0]) * h.stride[0];
    double l = i > h.lo[0] ? in[-h.stride[0]] : 0, r = i < h.hi[0] ? in[h.stride[0]] : 0;
    *out = 0.5 * in[0] + 0.25 * (l + r);
  }
}

static void sum(grt_task_context_t *ctx) {
  grt_buffer_t b;
  grt_task_arg(ctx, 0, &b);
  double s = 0;
  for (int64_t i = b.lo[0]; i <= b.hi[0]; i++) s += ((const double *)b.ptr)[(i - b.lo[0]) * b.stride[0]];
  grt_task_return(ctx, &s, sizeof s);
}

static void noop(grt_task_context_t *ctx) { (void)ctx; }

/* This process's rank, for task bodies (which are not told it). */
static int my_rank;

/* Prints "leaving at T" (CLOCK_MONOTONIC seconds, which the test that
 * started the job shares) before a rank leaves without grt_finalize, so the
 * test can time the job's end from the leave. */
static void say_leaving(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  printf("leaving at %.3f\n", (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec);
  fflush(stdout);
}

/* "exit_task": the points that run on rank 1 call exit(3) from a worker. */
static void quit_on_rank1(grt_task_context_t *ctx) {
  (void)ctx;
  if (my_rank != 1) return;
  say_leaving();
  exit(3);
}

#define CHECK(x)                                                                 \
  do {                                                                           \
    int rc_ = (x);                                                               \
    if (rc_ < 0) {                                                               \
      fprintf(stderr, "mpi_prog: %s failed: %s (%s)\n", #x, grt_strerror(rc_),   \
              grt_last_error());                                                 \
      return rc_ == GRT_EDIVERGED ? 3 : 1;                                       \
    }                                                                            \
  } while (0)

/* 2-D: out = the 5-point average of the bloated input (inside the store). */
static void relax2d(grt_task_context_t *ctx) {
  grt_buffer_t o, h;
  grt_task_arg(ctx, 0, &o);
  grt_task_arg(ctx, 1, &h);
  const double *in = h.ptr;
  for (int64_t i = o.lo[0]; i <= o.hi[0]; i++)
    for (int64_t j = o.lo[1]; j <= o.hi[1]; j++) {
      double s = 0;
      int n = 0;
      for (int d = 0; d < 5; d++) {
        int64_t y = i + (d == 1) - (d == 2), x = j + (d == 3) - (d == 4);
        if (y < h.lo[0] || y > h.hi[0] || x < h.lo[1] || x > h.hi[1]) continue;
        s += in[(y - h.lo[0]) * h.stride[0] + (x - h.lo[1]) * h.stride[1]];
        n++;
      }
      ((double *)o.ptr)[(i - o.lo[0]) * o.stride[0] + (j - o.lo[1]) * o.stride[1]] = s / n;
    }
}

static void print_stats(grt_runtime_t *rt, const grt_comm_stats_t *base, double s) {
  grt_comm_stats_t st;
  grt__comm_stats(rt->comm, &st);
  printf("rank %d sends %llu recvs %llu send_bytes %llu recv_bytes %llu sum %.17g\n", grt_rank(rt),
         (unsigned long long)(st.sends - base->sends), (unsigned long long)(st.recvs - base->recvs),
         (unsigned long long)(st.send_bytes - base->send_bytes),
         (unsigned long long)(st.recv_bytes - base->recv_bytes), s);
  fflush(stdout);
}

/* The stencil2d launches' colour grid: g x g, as the library's mapper asks
 * (the default partitioner would cut rows first). */
static int square_tiles(void *data, int task_id, int ndim, const int64_t *shape, int nprocs,
                        int64_t *tiles) {
  (void)task_id, (void)shape, (void)nprocs;
  for (int d = 0; d < ndim; d++) tiles[d] = *(const int64_t *)data;
  return 0;
}

/* "stencil2d T": a g x g grid of 64 x 64 tiles (g*g = T tiles, one per rank
 * when T is the job size), 10 iterations of a bloated 2-D stencil; prints the
 * transfers of the iterations alone. */
static int stencil2d(grt_runtime_t *rt, grt_library_t *lib) {
  static int64_t g = 1;
  while (g * g < rt->nranks) g++;
  CHECK(grt_library_set_mapper(lib, &(grt_mapper_t){.tile_shape = square_tiles, .data = &g}));
  int64_t shape[2] = {64 * g, 64 * g};
  grt_store_t *a, *b;
  CHECK(grt_task_register(lib, 5, "relax2d", &(grt_variants_t){.cpu = relax2d}));
  CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &a));
  CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &b));
  double one = 1.0;
  CHECK(grt_fill(a, &one));
  CHECK(grt_fill(b, &one));
  /* Two sweeps before counting: the fills' row tiles become the g x g tiles
   * the counted iterations read, so what is counted is the halos alone. */
  grt_comm_stats_t base;
  uint64_t nodes0 = 0, memo0 = 0;
  for (int it = -2; it < 10; it++) {
    if (it == 0) {
      CHECK(grt_fence(rt));
      grt__comm_stats(rt->comm, &base);
      nodes0 = grt__plan_xfer_nodes(rt), memo0 = grt__plan_memo_hits(rt);
    }
    grt_store_t *src = it & 1 ? b : a, *dst = it & 1 ? a : b;
    grt_launch_t *l;
    CHECK(grt_launch_create(lib, 5, &l));
    CHECK(grt_launch_add_output(l, dst));
    CHECK(grt_launch_add_input(l, src));
    CHECK(grt_launch_add_input(l, src));
    CHECK(grt_launch_align(l, 0, 2));
    CHECK(grt_launch_bloat(l, 1, 2, (int64_t[]){1, 1}, (int64_t[]){1, 1}));
    CHECK(grt_launch_submit(l, NULL));
  }
  CHECK(grt_fence(rt));
  print_stats(rt, &base, 0);
  printf("rank %d xfer_nodes %llu memo_hits %llu\n", grt_rank(rt),
         (unsigned long long)(grt__plan_xfer_nodes(rt) - nodes0),
         (unsigned long long)(grt__plan_memo_hits(rt) - memo0));
  fflush(stdout);
  grt_store_destroy(a);
  grt_store_destroy(b);
  CHECK(grt_finalize(rt));
  return 0;
}

/* Writes each element of a 1-D view with its root index (2 * i). */
static void write_index(grt_task_context_t *ctx) {
  grt_buffer_t b;
  if (grt_task_arg(ctx, 0, &b) < 0) return;
  int64_t *p = b.ptr;
  for (int64_t i = b.lo[0]; i <= b.hi[0]; i++) p[(i - b.lo[0]) * b.stride[0]] = 2 * i;
}

/* Returns the sum of a 1-D int64 view's elements. */
static void sum_view(grt_task_context_t *ctx) {
  grt_buffer_t b;
  if (grt_task_arg(ctx, 0, &b) < 0) return;
  const int64_t *p = b.ptr;
  int64_t s = 0;
  for (int64_t i = b.lo[0]; i <= b.hi[0]; i++) s += p[(i - b.lo[0]) * b.stride[0]];
  grt_task_return(ctx, &s, sizeof s);
}

/* Issue 14: launches on a strided view (every other element of a root
 * filled with -1: delinearize to (n, 2), project the last dim at 0) write
 * and read exactly those elements, on any number of ranks. Prints
 * "strided ok" on rank 0. */
static int strided(grt_runtime_t *rt, grt_library_t *lib) {
  CHECK(grt_task_register(lib, 5, "write_index", &(grt_variants_t){.cpu = write_index}));
  CHECK(grt_task_register(lib, 7, "sum_view", &(grt_variants_t){.cpu = sum_view}));
  const int64_t n = 3001, root_n = 2 * n, sizes[2] = {n, 2}, minus_one = -1;
  grt_store_t *root, *pairs, *even;
  CHECK(grt_store_create(rt, grt_type_int64(), 1, &root_n, &root));
  CHECK(grt_fill(root, &minus_one));
  CHECK(grt_store_delinearize(root, 0, 2, sizes, &pairs));
  CHECK(grt_store_project(pairs, 1, 0, &even));
  grt_launch_t *l;
  CHECK(grt_launch_create(lib, 5, &l));
  CHECK(grt_launch_add_output(l, even));
  CHECK(grt_launch_submit(l, NULL));
  grt_future_t *f;
  CHECK(grt_launch_create(lib, 7, &l));
  CHECK(grt_launch_add_input(l, even));
  CHECK(grt_launch_reduce_result(l, grt_type_int64(), GRT_REDOP_SUM));
  CHECK(grt_launch_submit(l, &f));
  int64_t got = 0;
  CHECK(grt_future_get(f, &got, sizeof got));
  grt_future_destroy(f);
  if (got != n * (n - 1)) {
    fprintf(stderr, "rank %d: sum over the view %lld, want %lld\n", grt_rank(rt),
            (long long)got, (long long)(n * (n - 1)));
    return 1;
  }
  grt_mapping_t *m;
  CHECK(grt_store_map(root, GRT_READ, &m));
  const int64_t *p = grt_mapping_ptr(m, NULL);
  for (int64_t i = 0; i < root_n; i++)
    if (p[i] != (i % 2 ? -1 : i)) {
      fprintf(stderr, "rank %d: element %lld is %lld\n", grt_rank(rt), (long long)i,
              (long long)p[i]);
      return 1;
    }
  CHECK(grt_mapping_unmap(m));
  grt_store_destroy(even);
  grt_store_destroy(pairs);
  grt_store_destroy(root);
  if (grt_rank(rt) == 0) printf("strided ok\n");
  CHECK(grt_finalize(rt));
  return 0;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "stencil";
  grt_config_t *cfg;
  CHECK(grt_config_create(&cfg));
  CHECK(grt_config_set(cfg, "cpus", "1"));
  char tiles[16] = "4";
  if (strcmp(mode, "stencil2d") == 0 && argc > 2) snprintf(tiles, sizeof tiles, "%s", argv[2]);
  CHECK(grt_config_set(cfg, "tiles", tiles));
  CHECK(grt_config_set(cfg, "min_cpu_chunk", "0"));
  grt_runtime_t *rt;
  CHECK(grt_init_config(&argc, &argv, cfg, &rt));
  grt_config_destroy(cfg);
  grt_library_t *lib;
  CHECK(grt_library_create(rt, "mpi_prog", &lib));
  CHECK(grt_task_register(lib, 1, "relax", &(grt_variants_t){.cpu = relax}));
  CHECK(grt_task_register(lib, 2, "sum", &(grt_variants_t){.cpu = sum}));
  CHECK(grt_task_register(lib, 3, "noop", &(grt_variants_t){.cpu = noop}));
  CHECK(grt_task_register(lib, 4, "noop2", &(grt_variants_t){.cpu = noop}));
  CHECK(grt_task_register(lib, 6, "quit", &(grt_variants_t){.cpu = quit_on_rank1}));
  if (strcmp(mode, "stencil2d") == 0) return stencil2d(rt, lib);
  if (strcmp(mode, "strided") == 0) return strided(rt, lib);
  int rank = grt_rank(rt);
  my_rank = rank;
  int64_t n = 4096;
  grt_store_t *a, *b;
  CHECK(grt_store_create(rt, grt_type_float64(), 1, &n, &a));
  CHECK(grt_store_create(rt, grt_type_float64(), 1, &n, &b));
  double one = 1.0;
  CHECK(grt_fill(a, &one));

  if (strcmp(mode, "diverge") == 0) {
    grt_launch_t *l;
    CHECK(grt_launch_create(lib, rank == 1 ? 4 : 3, &l));
    CHECK(grt_launch_submit(l, NULL));
    int rc = grt_fence(rt);
    printf("rank %d: fence returned %s: %s\n", rank, grt_strerror(rc), grt_last_error());
    fflush(stdout);
    if (rc == GRT_EDIVERGED) return 3;
    return 0;
  }
  for (int it = 0; it < 20; it++) {
    grt_store_t *src = it & 1 ? b : a, *dst = it & 1 ? a : b;
    grt_launch_t *l;
    CHECK(grt_launch_create(lib, 1, &l));
    CHECK(grt_launch_add_output(l, dst));
    CHECK(grt_launch_add_input(l, src));
    CHECK(grt_launch_add_input(l, src));
    CHECK(grt_launch_align(l, 0, 2));
    CHECK(grt_launch_bloat(l, 1, 2, (int64_t[]){1}, (int64_t[]){1}));
    CHECK(grt_launch_submit(l, NULL));
    if (it == 10 && rank == 1 && strcmp(mode, "abort") == 0)
      grt__comm_abort(rt->comm, GRT_EINVAL, "mpi_prog: a deliberate fatal error on rank 1");
    if (it == 10 && rank == 1 && strcmp(mode, "kill") == 0) raise(SIGKILL);
    if (it == 10 && strcmp(mode, "kill") == 0) sleep(1);
    if (it == 10 && rank == 1 && strcmp(mode, "segv") == 0) raise(SIGSEGV);
    /* Rank 1 leaves while the others go on to wait for it in
     * grt_future_get: by returning from main (status 0, so that mpirun
     * would not end the job by itself), or by exit(3). */
    if (it == 10 && rank == 1 && strcmp(mode, "leave") == 0) return say_leaving(), 0;
    if (it == 10 && rank == 0 && strcmp(mode, "leave0") == 0) return say_leaving(), 0;
    if (it == 10 && rank == 1 && strcmp(mode, "exit_main") == 0) say_leaving(), exit(3);
  }
  if (strcmp(mode, "exit_task") == 0) { /* a task on rank 1 calls exit(3) */
    grt_launch_t *q;
    CHECK(grt_launch_create(lib, 6, &q));
    CHECK(grt_launch_add_input(q, a));
    CHECK(grt_launch_submit(q, NULL));
  }
  grt_launch_t *l;
  grt_future_t *f;
  CHECK(grt_launch_create(lib, 2, &l));
  CHECK(grt_launch_add_input(l, a));
  CHECK(grt_launch_reduce_result(l, grt_type_float64(), GRT_REDOP_SUM));
  CHECK(grt_launch_submit(l, &f));
  double s;
  CHECK(grt_future_get(f, &s, sizeof s));
  grt_future_destroy(f);
  CHECK(grt_fence(rt));
  grt_comm_stats_t st;
  grt__comm_stats(rt->comm, &st);
  printf("rank %d sends %llu recvs %llu send_bytes %llu recv_bytes %llu sum %.17g\n", rank,
         (unsigned long long)st.sends, (unsigned long long)st.recvs,
         (unsigned long long)st.send_bytes, (unsigned long long)st.recv_bytes, s);
  fflush(stdout);
  /* "return S": every rank finished its work and returns S without
   * grt_finalize; the job's status must be S. */
  if (strcmp(mode, "return") == 0) return argc > 2 ? atoi(argv[2]) : 0;
  grt_store_destroy(a);
  grt_store_destroy(b);
  CHECK(grt_finalize(rt));
  return 0;
}
