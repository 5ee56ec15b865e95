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
#include <math.h>

#include <grt_kernels.h>

#include "../peers/peer_util.h"

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

/* The interior [1, n] x [1, n] of an (n+2) x (n+2) grid, as a view. */
static int interior(grt_store_t *s, long n, grt_store_t **out)
{
    grt_store_t *rows;
    int rc = grt_store_slice(s, 0, 1, n + 1, &rows);
    if (rc < 0)
        return rc;
    rc = grt_store_slice(rows, 1, 1, n + 1, out);
    grt_store_destroy(rows);
    return rc;
}

/* Sets u to the initial state: 0 everywhere, 1 on the top ring row; v = u. */
static int init(grtk_t *k, grt_store_t *u, grt_store_t *v)
{
    grt_store_t *top = NULL;
    int rc = grtk_fill(k, u, 0.0);
    if (rc >= 0)
        rc = grt_store_slice(u, 0, 0, 1, &top);
    if (rc >= 0)
        rc = grtk_fill(k, top, 1.0);
    grt_store_destroy(top);
    if (rc >= 0)
        rc = grt_copy(v, u); /* v's ring is u's ring: a sweep copies it */
    return rc;
}

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
    grt_store_t *u = NULL, *v = NULL, *in_u = NULL, *in_q = NULL, *q = NULL;
    grt_future_t *f = NULL;
    const int64_t shape[2] = {n + 2, n + 2};
    CHECK(grtk_create(rt, &k));
    CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &u));
    CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &v));
    if (rank == 0)
        peer_note("bench_jacobi", "n=%ld iters=%ld ranks=%d cpus=%d", n, iters, nranks,
                  grt_num_procs(rt, GRT_PROC_CPU));

    /* One untimed sweep pair first: allocates both grids where their tiles
     * run and warms the connections (the peer warms up with an exchange). */
    CHECK(init(k, u, v));
    CHECK(grtk_jacobi2d(k, v, u));
    CHECK(grtk_jacobi2d(k, u, v));

    double best = 1e30;
    for (long r = 0; r < reps; r++) {
        CHECK(init(k, u, v));
        CHECK(grt_fence(rt));
        double t0 = peer_now();
        for (long it = 0; it < iters; it++) {
            CHECK(grtk_jacobi2d(k, v, u));
            grt_store_t *t = u;
            u = v;
            v = t;
        }
        CHECK(grt_fence(rt));
        double dt = peer_now() - t0;
        if (rank == 0 && reps > 1)
            peer_note("bench_jacobi", "rep %ld: %.3f ms per iteration", r, dt / (double)iters * 1e3);
        if (dt < best)
            best = dt;
    }

    /* checksum = sum of the interior; residual = ||A u - b|| over the
     * interior: with the ring inside u this is the interior of the grid's
     * 5-point Laplacian (the peer's definition). */
    CHECK(interior(u, n, &in_u));
    CHECK(grtk_sum(k, in_u, &f));
    double checksum = 0.0;
    CHECK(grt_future_get(f, &checksum, sizeof checksum));
    grt_future_destroy(f);
    f = NULL;
    CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &q));
    CHECK(grtk_laplacian2d(k, q, u));
    CHECK(interior(q, n, &in_q));
    CHECK(grtk_norm2(k, in_q, &f));
    double residual = 0.0;
    CHECK(grt_future_get(f, &residual, sizeof residual));
    if (rank == 0) {
        double per = best / (double)iters;
        peer_row("jacobi", "grt", nranks, "time_per_iter", per * 1e3, "ms");
        peer_row("jacobi", "grt", nranks, "bandwidth", 16.0 * (double)n * (double)n / per / 1e9, "GB/s");
        peer_row("jacobi", "grt", nranks, "residual", residual, "1");
        peer_row("jacobi", "grt", nranks, "checksum", checksum, "1");
    }

done:
    grt_future_destroy(f);
    grt_store_destroy(in_u);
    grt_store_destroy(in_q);
    grt_store_destroy(q);
    grt_store_destroy(u);
    grt_store_destroy(v);
    grtk_destroy(k);
    if (grt_finalize(rt) < 0 && status == 0)
        status = 1;
    return status;
}
