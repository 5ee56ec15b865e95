/* bench_cg.c: grt's side of the CG comparison (peer: benchmarks/peers/cg_mpi.c),
 * composed from kernels/.
 *
 * Problem (the peer's exactly): A = 5-point Laplacian (4 on the diagonal, -1
 * per neighbour) on an n x n grid with zero Dirichlet boundary, matrix-free;
 * b = 1; x0 = 0; exactly `iters` CG iterations, no convergence test. Each
 * iteration is ex_cg_iteration (kernels/examples/problems.c, shared with
 * grt-cg2d):
 *   q = A p and pq = p.q                      grtk_laplacian2d_dot (one pass)
 *   x += a p; r -= a q, a = rr / pq; rr' = r.r  grtk_cg_update_ratio (one pass)
 *   p = r + (rr' / rr) p                      grtk_xpby_ratio (one pass)
 * three passes over the vectors, like the peer's loop, and no one-point
 * task: each point divides the two futures itself, as every MPI rank does.
 * Every scalar stays a future, so the loop never blocks (the peer's two
 * MPI_Allreduce per iteration become future reductions that the next
 * kernels wait for); --sync blocks on r.r every iteration, as a solver with
 * a convergence test would. An untimed 3-iteration solve comes first (the
 * warm-up; bench_jacobi likewise runs two untimed sweeps).
 *
 * Rows (rank 0 only; ranks = grt_num_ranks):
 *   cg,grt,R,time_per_iter,<ms>,ms   loop time (submit all iterations, fence) / iters
 *   cg,grt,R,residual,<r>,1          true relative residual ||b - A x|| / ||b||
 *   cg,grt,R,checksum,<s>,1          sum of x
 */

#include <grt_kernels.h>

#include "../peers/peer_util.h"
#include "problems.h"

static const char usage[] =
    "usage: [mpirun -n R] bench_cg [--quick] [--n N] [--iters I] [--reps R] [--sync]\n"
    "  CG on the N x N 2-D Laplacian (5-point, matrix-free), I iterations, with grt kernels.\n"
    "  Defaults: N = 2048, I = 200 (--quick: 1024, 50); R = 1 (best of R solves).\n"
    "  --sync: wait for r.r every iteration (as a convergence test would).\n";

#define CHECK(call)                                                                          \
    do {                                                                                     \
        int rc_ = (call);                                                                    \
        if (rc_ < 0) {                                                                       \
            fprintf(stderr, "bench_cg: %s failed: %s\n", #call,                              \
                    grtk_last_error()[0] ? grtk_last_error() : grt_last_error());             \
            status = 1;                                                                      \
            goto done;                                                                       \
        }                                                                                    \
    } while (0)

int main(int argc, char **argv)
{
    static const char *const known[] = {"quick", "n=", "iters=", "reps=", "sync", NULL};
    peer_flags_check(argc, argv, known, usage);
    bool quick = peer_flag_bool(argc, argv, "quick");
    bool sync = peer_flag_bool(argc, argv, "sync");
    long n = peer_flag_long(argc, argv, "n", quick ? 1024 : 2048);
    long iters = peer_flag_long(argc, argv, "iters", quick ? 50 : 200);
    long reps = peer_flag_long(argc, argv, "reps", 1);
    if (n < 1 || iters < 1 || reps < 1) {
        fputs(usage, stderr);
        return 2;
    }

    grt_runtime_t *rt = NULL;
    if (grt_init(&argc, &argv, &rt) < 0) {
        fprintf(stderr, "bench_cg: grt_init failed: %s\n", grt_last_error());
        return 1;
    }
    int status = 0, rank = grt_rank(rt), nranks = grt_num_ranks(rt);
    grtk_t *k = NULL;
    ex_cg_t cg = {0};
    CHECK(grtk_create(rt, &k));
    CHECK(ex_cg_create(rt, n, &cg));
    if (rank == 0)
        peer_note("bench_cg", "n=%ld iters=%ld ranks=%d cpus=%d%s", n, iters, nranks,
                  grt_num_procs(rt, GRT_PROC_CPU), sync ? " (sync)" : "");
    /* Touch q once so that every grid is allocated before the clock starts
     * (the peer touches its four vectors before timing). */
    CHECK(grtk_fill(k, cg.q, 0.0));

    /* Solve 0 is an untimed warm-up of min(iters, 3) iterations (first use of
     * every kernel, the workers' caches); then `reps` timed solves. */
    double best = 1e30;
    for (long rep = -1; rep < reps; rep++) {
        long nit = rep < 0 ? (iters < 3 ? iters : 3) : iters;
        CHECK(ex_cg_start(k, &cg)); /* x = 0, r = b - A x = b = 1, p = r */
        CHECK(grt_fence(rt));

        double t0 = peer_now();
        for (long it = 0; it < nit; it++) {
            CHECK(ex_cg_iteration(k, &cg));
            if (sync) {
                double v;
                CHECK(grt_future_get(cg.rr, &v, sizeof v));
            }
        }
        CHECK(grt_fence(rt));
        double dt = peer_now() - t0;
        if (rep < 0)
            continue;
        if (rank == 0 && reps > 1)
            peer_note("bench_cg", "rep %ld: %.3f ms per iteration", rep, dt / (double)iters * 1e3);
        if (dt < best)
            best = dt;
    }

    /* The true residual ||b - A x|| / ||b|| and the checksum sum(x). */
    double true_res = 0.0, checksum = 0.0;
    CHECK(ex_cg_check(k, &cg, &true_res, &checksum));
    if (rank == 0) {
        peer_row("cg", "grt", nranks, "time_per_iter", best / (double)iters * 1e3, "ms");
        peer_row("cg", "grt", nranks, "residual", true_res, "1");
        peer_row("cg", "grt", nranks, "checksum", checksum, "1");
    }

done:
    ex_cg_destroy(&cg);
    grtk_destroy(k);
    if (grt_finalize(rt) < 0 && status == 0)
        status = 1;
    return status;
}
