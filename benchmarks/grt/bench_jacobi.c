/* bench_jacobi.c: grt's side of the Jacobi 2-D comparison (peer:
 * benchmarks/peers/jacobi_mpi.c), built from kernels/ (grtk_jacobi2d).
 *
 * Problem (the peer's exactly): Laplace on an n x n interior grid with a
 * Dirichlet ring, stored as one (n+2) x (n+2) grid; the top ring row is 1,
 * the rest of the ring and the interior start at 0. Each iteration is one
 * grtk_jacobi2d sweep from u into v (the ring is copied), then u and v swap.
 * grt partitions the sweep itself (auto launch, one-cell bloat for the halo);
 * on several ranks it moves exactly the halo rows between them.
 *
 * Rows (rank 0 only; ranks = grt_num_ranks):
 *   jacobi,grt,R,time_per_iter,<ms>,ms   loop time (submit all sweeps, fence) / iters
 *   jacobi,grt,R,bandwidth,<GB/s>,GB/s   16 bytes per interior point per iteration
 *   jacobi,grt,R,residual,<r>,1          ||A u - b||_2 over the interior
 *   jacobi,grt,R,checksum,<s>,1          sum of the interior of u
 * --reps R repeats the timed loop (from the same start) and reports the best.
 */

#include <grt_kernels.h>

#include "../peers/peer_util.h"
#include "problems.h"

static const char usage[] =
    "usage: [mpirun -n R] bench_jacobi [--quick] [--n N] [--iters I] [--reps R]\n"
    "  2-D 5-point Jacobi on an N x N interior grid, I iterations, with grt kernels.\n"
    "  Defaults: N = 4096, I = 100 (--quick: 2048, 20); R = 1.\n"
    "  grt settings come from GRT_* variables (e.g. GRT_CPUS).\n";

#define CHECK(call)                                                                          \
    do {                                                                                     \
        int rc_ = (call);                                                                    \
        if (rc_ < 0) {                                                                       \
            fprintf(stderr, "bench_jacobi: %s failed: %s\n", #call,                          \
                    grtk_last_error()[0] ? grtk_last_error() : grt_last_error());             \
            status = 1;                                                                      \
            goto done;                                                                       \
        }                                                                                    \
    } while (0)

int main(int argc, char **argv)
{
    static const char *const known[] = {"quick", "n=", "iters=", "reps=", NULL};
    peer_flags_check(argc, argv, known, usage);
    bool quick = peer_flag_bool(argc, argv, "quick");
    long n = peer_flag_long(argc, argv, "n", quick ? 2048 : 4096);
    long iters = peer_flag_long(argc, argv, "iters", quick ? 20 : 100);
    long reps = peer_flag_long(argc, argv, "reps", 1);
    if (n < 1 || iters < 1 || reps < 1) {
        fputs(usage, stderr);
        return 2;
    }

    grt_runtime_t *rt = NULL;
    if (grt_init(&argc, &argv, &rt) < 0) {
        fprintf(stderr, "bench_jacobi: grt_init failed: %s\n", grt_last_error());
        return 1;
    }
    int status = 0, rank = grt_rank(rt), nranks = grt_num_ranks(rt);
    grtk_t *k = NULL;
    ex_jacobi_t j = {0};
    CHECK(grtk_create(rt, &k));
    CHECK(ex_jacobi_create(rt, n, &j));
    if (rank == 0)
        peer_note("bench_jacobi", "n=%ld iters=%ld ranks=%d cpus=%d", n, iters, nranks,
                  grt_num_procs(rt, GRT_PROC_CPU));

    /* One untimed sweep pair first: allocates both grids where their tiles
     * run and warms the connections (the peer warms up with an exchange). */
    CHECK(ex_jacobi_init(k, j.u, j.v));
    CHECK(ex_jacobi_sweeps(k, &j, 2));

    double best = 1e30;
    for (long r = 0; r < reps; r++) {
        CHECK(ex_jacobi_init(k, j.u, j.v));
        CHECK(grt_fence(rt));
        double t0 = peer_now();
        CHECK(ex_jacobi_sweeps(k, &j, iters));
        CHECK(grt_fence(rt));
        double dt = peer_now() - t0;
        if (rank == 0 && reps > 1)
            peer_note("bench_jacobi", "rep %ld: %.3f ms per iteration", r, dt / (double)iters * 1e3);
        if (dt < best)
            best = dt;
    }

    /* The peer's checks: the sum of the interior and ||A u - b|| over it. */
    double checksum = 0.0, residual = 0.0;
    CHECK(ex_jacobi_check(rt, k, j.u, n, &checksum, &residual));
    if (rank == 0) {
        double per = best / (double)iters;
        peer_row("jacobi", "grt", nranks, "time_per_iter", per * 1e3, "ms");
        peer_row("jacobi", "grt", nranks, "bandwidth", 16.0 * (double)n * (double)n / per / 1e9, "GB/s");
        peer_row("jacobi", "grt", nranks, "residual", residual, "1");
        peer_row("jacobi", "grt", nranks, "checksum", checksum, "1");
    }

done:
    ex_jacobi_destroy(&j);
    grtk_destroy(k);
    if (grt_finalize(rt) < 0 && status == 0)
        status = 1;
    return status;
}
