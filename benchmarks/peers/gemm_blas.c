/* gemm_blas.c: one cblas_dgemm call on N x N doubles, the peer of grt's
 * kernels/ GEMM on the same cores.
 *
 * Rows: gemm,blas,<threads>,gflops,<GFLOP/s>,GFLOP/s and time,<s>,s (best of
 * --reps, after one warm-up call). The BLAS picks its own thread count
 * (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, default: all cores); --threads only
 * sets the number reported in the `ranks` column and exports it to OpenBLAS.
 */
#include <cblas.h>
#include <unistd.h>

#include "peer_util.h"

static const char usage[] =
    "usage: gemm_blas [--quick] [--n N] [--reps R] [--threads T]\n"
    "  C = A*B with one cblas_dgemm on N x N; prints best-of-R GFLOP/s.\n";

int main(int argc, char **argv)
{
    static const char *const known[] = {"quick", "n=", "reps=", "threads=", NULL};
    peer_flags_check(argc, argv, known, usage);
    bool quick = peer_flag_bool(argc, argv, "quick");
    long n = peer_flag_long(argc, argv, "n", quick ? 1024 : 4096);
    long reps = peer_flag_long(argc, argv, "reps", 3);
    long threads = peer_flag_long(argc, argv, "threads", sysconf(_SC_NPROCESSORS_ONLN));
    if (n <= 0 || reps <= 0 || threads <= 0) {
        fputs(usage, stderr);
        return 2;
    }
    if (peer_flag_str(argc, argv, "threads")) {
        /* OpenBLAS reads this at its first call when built with pthreads. */
        char buf[32];
        snprintf(buf, sizeof buf, "%ld", threads);
        setenv("OPENBLAS_NUM_THREADS", buf, 1);
    }

    size_t nn = (size_t)n * (size_t)n;
    double *A = malloc(nn * sizeof *A), *B = malloc(nn * sizeof *B), *C = malloc(nn * sizeof *C);
    if (!A || !B || !C) {
        fprintf(stderr, "gemm_blas: out of memory for 3 x %ld^2 doubles\n", n);
        return 1;
    }
    for (size_t i = 0; i < nn; i++) {
        A[i] = (double)(i % 7) * 0.25;
        B[i] = (double)(i % 5) * 0.5;
        C[i] = 0.0;
    }
    peer_note("gemm_blas", "dgemm n=%ld reps=%ld threads=%ld", n, reps, threads);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n,
                1.0, A, (int)n, B, (int)n, 0.0, C, (int)n);
    double best = 1e30;
    for (long r = 0; r < reps; r++) {
        double t0 = peer_now();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n,
                    1.0, A, (int)n, B, (int)n, 0.0, C, (int)n);
        double dt = peer_now() - t0;
        if (dt < best)
            best = dt;
    }
    /* Spot-check one entry against a plain dot product. */
    size_t i0 = (size_t)(n / 3), j0 = (size_t)(n / 2);
    double ref = 0.0;
    for (size_t k = 0; k < (size_t)n; k++)
        ref += A[i0 * (size_t)n + k] * B[k * (size_t)n + j0];
    double got = C[i0 * (size_t)n + j0];
    if (ref - got > 1e-9 * (ref > 0 ? ref : 1) || got - ref > 1e-9 * (ref > 0 ? ref : 1)) {
        fprintf(stderr, "gemm_blas: wrong C[%zu][%zu]=%g, want %g\n", i0, j0, got, ref);
        return 1;
    }
    peer_row("gemm", "blas", (int)threads, "gflops", 2.0 * (double)n * n * n / best / 1e9, "GFLOP/s");
    peer_row("gemm", "blas", (int)threads, "time", best, "s");
    free(A);
    free(B);
    free(C);
    return 0;
}
