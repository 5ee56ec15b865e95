/* bench_cg.c: grt's side of the CG comparison (peer: benchmarks/peers/cg_mpi.c),
 * composed from kernels/.
 *
 * Problem (the peer's exactly): A = 5-point Laplacian (4 on the diagonal, -1
 * per neighbour) on an n x n grid with zero Dirichlet boundary, matrix-free;
 * b = 1; x0 = 0; exactly `iters` CG iterations, no convergence test. Each
 * iteration, as in kernels/examples/cg2d.c:
 *   q = A p and pq = p.q       grtk_laplacian2d_dot (one pass)
 *   alpha = rr / pq            grtk_future_div (a one-point task)
 *   x += alpha p; r -= alpha q grtk_cg_update (one pass, also returns
 *   and rr' = r.r               rr' = r.r)
 *   beta = rr' / rr            grtk_future_div
 *   p = r + beta p             grtk_xpby_future
 * three passes over the vectors, like the peer's loop.
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
#include <math.h>

#include <grt_kernels.h>

#include "../peers/peer_util.h"

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
    grt_store_t *x = NULL, *r = NULL, *p = NULL, *q = NULL;
    grt_future_t *rr = NULL, *pq = NULL, *alpha = NULL, *rr_new = NULL, *beta = NULL, *f = NULL;
    const int64_t shape[2] = {n, n};
    CHECK(grtk_create(rt, &k));
    CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &x));
    CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &r));
    CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &p));
    CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &q));
    if (rank == 0)
        peer_note("bench_cg", "n=%ld iters=%ld ranks=%d cpus=%d%s", n, iters, nranks,
                  grt_num_procs(rt, GRT_PROC_CPU), sync ? " (sync)" : "");
    /* Touch q once so that every grid is allocated before the clock starts
     * (the peer callocs its four vectors before timing). */
    CHECK(grtk_fill(k, q, 0.0));

    /* Solve 0 is an untimed warm-up of min(iters, 3) iterations (first use of
     * every kernel, the workers' caches); then `reps` timed solves. */
    double best = 1e30, bnorm = 1.0;
    for (long rep = -1; rep < reps; rep++) {
        long nit = rep < 0 ? (iters < 3 ? iters : 3) : iters;
        /* x = 0, r = b - A x = b = 1, p = r. */
        CHECK(grtk_fill(k, x, 0.0));
        CHECK(grtk_fill(k, r, 1.0));
        CHECK(grtk_fill(k, p, 1.0));
        grt_future_destroy(rr);
        rr = NULL;
        CHECK(grtk_dot(k, r, r, &rr));
        double rr0 = 0.0;
        CHECK(grt_future_get(rr, &rr0, sizeof rr0));
        bnorm = sqrt(rr0);
        CHECK(grt_fence(rt));

        double t0 = peer_now();
        for (long it = 0; it < nit; it++) {
            CHECK(grtk_laplacian2d_dot(k, q, p, &pq));     /* q = A p, and p.q */
            CHECK(grtk_future_div(k, rr, pq, &alpha));     /* alpha = r.r / p.q */
            CHECK(grtk_cg_update(k, x, r, p, q, alpha, &rr_new)); /* x += alpha p; r -= alpha q; r.r */
            CHECK(grtk_future_div(k, rr_new, rr, &beta));  /* beta = r'.r' / r.r */
            CHECK(grtk_xpby_future(k, p, r, beta));        /* p = r + beta p */
            grt_future_destroy(pq);
            grt_future_destroy(alpha);
            grt_future_destroy(beta);
            grt_future_destroy(rr);
            pq = alpha = beta = NULL;
            rr = rr_new;
            rr_new = NULL;
            if (sync) {
                double v;
                CHECK(grt_future_get(rr, &v, sizeof v));
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
    CHECK(grtk_laplacian2d(k, q, x));
    CHECK(grtk_fill(k, r, 1.0));
    CHECK(grtk_sub(k, r, r, q));
    CHECK(grtk_norm2(k, r, &f));
    double true_res = 0.0;
    CHECK(grt_future_get(f, &true_res, sizeof true_res));
    grt_future_destroy(f);
    f = NULL;
    CHECK(grtk_sum(k, x, &f));
    double checksum = 0.0;
    CHECK(grt_future_get(f, &checksum, sizeof checksum));
    if (rank == 0) {
        peer_row("cg", "grt", nranks, "time_per_iter", best / (double)iters * 1e3, "ms");
        peer_row("cg", "grt", nranks, "residual", true_res / bnorm, "1");
        peer_row("cg", "grt", nranks, "checksum", checksum, "1");
    }

done:
    grt_future_destroy(f);
    grt_future_destroy(rr);
    grt_future_destroy(rr_new);
    grt_future_destroy(pq);
    grt_future_destroy(alpha);
    grt_future_destroy(beta);
    grt_store_destroy(x);
    grt_store_destroy(r);
    grt_store_destroy(p);
    grt_store_destroy(q);
    grtk_destroy(k);
    if (grt_finalize(rt) < 0 && status == 0)
        status = 1;
    return status;
}
