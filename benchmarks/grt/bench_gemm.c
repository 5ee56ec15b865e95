/* bench_gemm.c: grt's side of the GEMM comparison (peer:
 * benchmarks/peers/gemm_blas.c, one cblas_dgemm on all cores): C = A B with
 * grtk_gemm on N x N float64, best of --reps after one warm-up, on the same
 * cores.
 *
 * The peer's matrices: A[i] = (i % 7) * 0.25, B[i] = (i % 5) * 0.5 (i the
 * row-major linear index), C = 0; filled here by a small task of this program
 * (the kernels library has no "modulo" fill). One entry of C is checked
 * against a plain dot product, as the peer does.
 *
 * Processors: grt_num_procs(CPU) over all ranks. Unless GRT_CPUS is set, each
 * rank gets cores / (ranks on the node) CPU workers (at least 1), so that one
 * rank uses every core as the peer's BLAS does; grtk_gemm then splits C into
 * one tile per worker and each tile calls a single-threaded BLAS. So that
 * OpenBLAS's own threads do not fight the workers, the program re-executes
 * itself with OPENBLAS_NUM_THREADS=1 when that variable is unset (OpenBLAS
 * reads it when the library is loaded).
 *
 * Rows (rank 0 only; ranks = processors, the peer's convention for GEMM):
 *   gemm,grt,P,gflops,<GFLOP/s>,GFLOP/s
 *   gemm,grt,P,time,<s>,s
 */
#include <unistd.h>

#include <grt_kernels.h>

#include "../peers/peer_util.h"

static const char usage[] =
    "usage: [mpirun -n R] bench_gemm [--quick] [--n N] [--reps R]\n"
    "  C = A*B with grtk_gemm on N x N float64; prints best-of-R GFLOP/s.\n"
    "  Defaults: N = 4096 (--quick: 1024), R = 3. Workers per rank: GRT_CPUS or\n"
    "  cores / ranks on the node.\n";

#define CHECK(call)                                                                          \
    do {                                                                                     \
        int rc_ = (call);                                                                    \
        if (rc_ < 0) {                                                                       \
            fprintf(stderr, "bench_gemm: %s failed: %s\n", #call,                            \
                    grtk_last_error()[0] ? grtk_last_error() : grt_last_error());             \
            status = 1;                                                                      \
            goto done;                                                                       \
        }                                                                                    \
    } while (0)

enum { TASK_FILL_MOD = 1 };

/* s[i][j] = ((i * ncols + j) % mod) * scale over the task's tile.
 * Scalars: ncols (int64), mod (int64), scale (float64). */
static void fill_mod_task(grt_task_context_t *ctx)
{
    grt_buffer_t b;
    if (grt_task_arg(ctx, 0, &b) < 0 || b.ndim != 2) {
        grt_task_fail(ctx, "fill_mod: bad argument");
        return;
    }
    int64_t ncols = *(const int64_t *)grt_task_scalar(ctx, 0);
    int64_t mod = *(const int64_t *)grt_task_scalar(ctx, 1);
    double scale = *(const double *)grt_task_scalar(ctx, 2);
    double *base = b.ptr;
    for (int64_t i = b.lo[0]; i <= b.hi[0]; i++) {
        double *row = base + (i - b.lo[0]) * b.stride[0];
        for (int64_t j = b.lo[1]; j <= b.hi[1]; j++)
            row[(j - b.lo[1]) * b.stride[1]] = (double)((i * ncols + j) % mod) * scale;
    }
}

static int fill_mod(grt_library_t *lib, grt_store_t *s, int64_t ncols, int64_t mod, double scale)
{
    grt_launch_t *l;
    int rc = grt_launch_create(lib, TASK_FILL_MOD, &l);
    if (rc < 0)
        return rc;
    if ((rc = grt_launch_add_output(l, s)) < 0 ||
        (rc = grt_launch_add_scalar(l, grt_type_int64(), &ncols)) < 0 ||
        (rc = grt_launch_add_scalar(l, grt_type_int64(), &mod)) < 0 ||
        (rc = grt_launch_add_scalar(l, grt_type_float64(), &scale)) < 0) {
        grt_launch_destroy(l);
        return rc;
    }
    return grt_launch_submit(l, NULL);
}

/* The value of element (i, j) of a 1 x 1 view of s, on every rank. */
static int element(grtk_t *k, grt_store_t *s, int64_t i, int64_t j, double *out)
{
    grt_store_t *r = NULL, *e = NULL;
    grt_future_t *f = NULL;
    int rc = grt_store_slice(s, 0, i, i + 1, &r);
    if (rc >= 0)
        rc = grt_store_slice(r, 1, j, j + 1, &e);
    if (rc >= 0)
        rc = grtk_sum(k, e, &f);
    if (rc >= 0)
        rc = grt_future_get(f, out, sizeof *out);
    grt_future_destroy(f);
    grt_store_destroy(e);
    grt_store_destroy(r);
    return rc;
}

int main(int argc, char **argv)
{
    static const char *const known[] = {"quick", "n=", "reps=", NULL};
    peer_flags_check(argc, argv, known, usage);
    bool quick = peer_flag_bool(argc, argv, "quick");
    long n = peer_flag_long(argc, argv, "n", quick ? 1024 : 4096);
    long reps = peer_flag_long(argc, argv, "reps", 3);
    if (n < 1 || reps < 1) {
        fputs(usage, stderr);
        return 2;
    }
    if (!getenv("OPENBLAS_NUM_THREADS")) {
        /* Before anything else (MPI is started by grt_init, later). */
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);
        perror("bench_gemm: re-executing with OPENBLAS_NUM_THREADS=1"); /* go on without */
    }

    grt_config_t *cfg = NULL;
    grt_runtime_t *rt = NULL;
    if (grt_config_create(&cfg) < 0) {
        fprintf(stderr, "bench_gemm: %s\n", grt_last_error());
        return 1;
    }
    const char *env_cpus = getenv("GRT_CPUS");
    if (!env_cpus || !*env_cpus) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        const char *ls = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
        long local = ls && atol(ls) > 0 ? atol(ls) : 1;
        long cpus = cores / local > 0 ? cores / local : 1;
        char buf[32];
        snprintf(buf, sizeof buf, "%ld", cpus);
        if (grt_config_set(cfg, "cpus", buf) < 0) {
            fprintf(stderr, "bench_gemm: %s\n", grt_last_error());
            return 1;
        }
    }
    int rc = grt_init_config(&argc, &argv, cfg, &rt);
    grt_config_destroy(cfg);
    if (rc < 0) {
        fprintf(stderr, "bench_gemm: grt_init failed: %s\n", grt_last_error());
        return 1;
    }
    int status = 0, rank = grt_rank(rt), procs = grt_num_procs(rt, GRT_PROC_CPU);
    grtk_t *k = NULL;
    grt_library_t *lib = NULL;
    grt_store_t *A = NULL, *B = NULL, *C = NULL;
    const int64_t shape[2] = {n, n};
    CHECK(grtk_create(rt, &k));
    CHECK(grt_library_create(rt, "bench.gemm", &lib));
    CHECK(grt_task_register(lib, TASK_FILL_MOD, "fill_mod", &(grt_variants_t){.cpu = fill_mod_task}));
    CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &A));
    CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &B));
    CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &C));
    CHECK(fill_mod(lib, A, n, 7, 0.25));
    CHECK(fill_mod(lib, B, n, 5, 0.5));
    CHECK(grtk_fill(k, C, 0.0));
    if (rank == 0)
        peer_note("bench_gemm", "grtk_gemm n=%ld reps=%ld ranks=%d cpus=%d OPENBLAS_NUM_THREADS=%s", n,
                  reps, grt_num_ranks(rt), procs, getenv("OPENBLAS_NUM_THREADS"));

    CHECK(grtk_gemm(k, C, A, B)); /* warm-up: allocation, panel transfers, BLAS buffers */
    CHECK(grt_fence(rt));
    double best = 1e30;
    for (long r = 0; r < reps; r++) {
        double t0 = peer_now();
        CHECK(grtk_gemm(k, C, A, B));
        CHECK(grt_fence(rt));
        double dt = peer_now() - t0;
        if (rank == 0)
            peer_note("bench_gemm", "rep %ld: %.4f s (%.2f GFLOP/s)", r, dt,
                      2.0 * (double)n * n * n / dt / 1e9);
        if (dt < best)
            best = dt;
    }

    /* Spot-check one entry against a plain dot product (the peer's check). */
    int64_t i0 = n / 3, j0 = n / 2;
    double ref = 0.0, got = 0.0;
    for (int64_t kk = 0; kk < n; kk++)
        ref += (double)((i0 * n + kk) % 7) * 0.25 * ((double)((kk * n + j0) % 5) * 0.5);
    CHECK(element(k, C, i0, j0, &got));
    double tol = 1e-9 * (ref > 0 ? ref : 1);
    if (ref - got > tol || got - ref > tol) {
        if (rank == 0)
            fprintf(stderr, "bench_gemm: wrong C[%lld][%lld]=%g, want %g\n", (long long)i0,
                    (long long)j0, got, ref);
        status = 1;
        goto done;
    }
    if (rank == 0) {
        peer_row("gemm", "grt", procs, "gflops", 2.0 * (double)n * n * n / best / 1e9, "GFLOP/s");
        peer_row("gemm", "grt", procs, "time", best, "s");
    }

done:
    grt_store_destroy(A);
    grt_store_destroy(B);
    grt_store_destroy(C);
    grtk_destroy(k);
    if (grt_finalize(rt) < 0 && status == 0)
        status = 1;
    return status;
}
