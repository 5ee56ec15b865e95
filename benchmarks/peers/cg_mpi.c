/* cg_mpi.c: hand-written MPI conjugate gradient on the 2-D Laplacian, the peer
 * of grt's CG composed from kernels/.
 *
 * Problem: A = 5-point Laplacian (4 on the diagonal, -1 for each of the four
 * neighbours) on an n x n grid with zero Dirichlet boundary, applied
 * matrix-free; b = 1 everywhere; x0 = 0; exactly `iters` CG iterations (no
 * convergence test, so every implementation does the same work). Rows are
 * split in blocks over the ranks; p's halo rows are exchanged with
 * MPI_Sendrecv before each matrix-vector product (peer_grid.h, shared with
 * jacobi_mpi); two MPI_Allreduce per iteration (p.Ap and r.r). The arrays
 * are touched before the clock starts.
 *
 * Rows (ranks = MPI ranks):
 *   cg,mpi,R,time_per_iter,<ms>,ms   max over ranks of loop time / iters
 *   cg,mpi,R,residual,<r>,1          true relative residual ||b - A x|| / ||b||
 *   cg,mpi,R,checksum,<s>,1          sum of x
 */
#include <math.h>
#include <mpi.h>

#include "peer_grid.h"

static const char usage[] =
    "usage: cg_mpi [--quick] [--n N] [--iters I]\n"
    "  CG on the N x N 2-D Laplacian (5-point, matrix-free), I iterations.\n";

/* Local block (peer_grid.h): rows 0 and nl+1 are halos, columns 0 and n+1
 * the boundary; g is the grid of the function using AT. */
#define AT(u, i, j) PEER_AT(g, u, i, j)

/* q = A p on my rows; p's halos must be current. Returns the local p.q. */
static double matvec(const peer_grid_t *g, const double *p, double *q)
{
    long n = g->n, nl = g->nl;
    double pq = 0.0;
    for (long i = 1; i <= nl; i++) {
        const double *pm = &AT(p, i - 1, 0), *pc = &AT(p, i, 0), *pp = &AT(p, i + 1, 0);
        double *qc = &AT(q, i, 0);
        for (long j = 1; j <= n; j++) {
            qc[j] = 4.0 * pc[j] - pm[j] - pp[j] - pc[j - 1] - pc[j + 1];
            pq += pc[j] * qc[j];
        }
    }
    return pq;
}

static double allsum(double x)
{
    double y;
    MPI_Allreduce(&x, &y, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    return y;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    static const char *const known[] = {"quick", "n=", "iters=", NULL};
    peer_flags_check(argc, argv, known, usage);
    bool quick = peer_flag_bool(argc, argv, "quick");
    long n = peer_flag_long(argc, argv, "n", quick ? 1024 : 2048);
    long iters = peer_flag_long(argc, argv, "iters", quick ? 50 : 200);
    if (n < size || iters <= 0) {
        if (rank == 0)
            fprintf(stderr, "cg_mpi: need n >= ranks (%d) and iters > 0\n%s", size, usage);
        MPI_Finalize();
        return 2;
    }
    peer_grid_t grid = peer_grid_make(n, rank, size);
    const peer_grid_t *g = &grid;
    long nl = g->nl;
    /* All vectors share the halo layout (only p uses its halo); boundary and
     * halo cells stay 0, which is the Dirichlet condition. */
    double *x = peer_grid_alloc(g, "cg_mpi"), *r = peer_grid_alloc(g, "cg_mpi");
    double *p = peer_grid_alloc(g, "cg_mpi"), *q = peer_grid_alloc(g, "cg_mpi");
    double rr_loc = 0.0;
    for (long i = 1; i <= nl; i++)
        for (long j = 1; j <= n; j++) {
            AT(r, i, j) = 1.0; /* r = b - A*0 = b */
            AT(p, i, j) = 1.0;
            rr_loc += 1.0;
        }
    double bnorm = sqrt(allsum(rr_loc));
    double rr = bnorm * bnorm;
    if (rank == 0)
        peer_note("cg_mpi", "n=%ld iters=%ld ranks=%d", n, iters, size);

    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (long it = 0; it < iters; it++) {
        peer_grid_exchange(g, p, MPI_COMM_WORLD);
        double pq = allsum(matvec(g, p, q));
        double alpha = rr / pq;
        double rr_new_loc = 0.0;
        for (long i = 1; i <= nl; i++) {
            double *xc = &AT(x, i, 0), *rc = &AT(r, i, 0);
            const double *pc = &AT(p, i, 0), *qc = &AT(q, i, 0);
            for (long j = 1; j <= n; j++) {
                xc[j] += alpha * pc[j];
                rc[j] -= alpha * qc[j];
                rr_new_loc += rc[j] * rc[j];
            }
        }
        double rr_new = allsum(rr_new_loc);
        double beta = rr_new / rr;
        rr = rr_new;
        for (long i = 1; i <= nl; i++) {
            double *pc = &AT(p, i, 0);
            const double *rc = &AT(r, i, 0);
            for (long j = 1; j <= n; j++)
                pc[j] = rc[j] + beta * pc[j];
        }
    }
    double dt = MPI_Wtime() - t0, tmax;
    MPI_Reduce(&dt, &tmax, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);

    /* True residual b - A x, and the checksum of x. */
    peer_grid_exchange(g, x, MPI_COMM_WORLD);
    (void)matvec(g, x, q);
    double loc[2] = {0.0, 0.0}, glob[2];
    for (long i = 1; i <= nl; i++)
        for (long j = 1; j <= n; j++) {
            double d = 1.0 - AT(q, i, j);
            loc[0] += d * d;
            loc[1] += AT(x, i, j);
        }
    MPI_Reduce(loc, glob, 2, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        peer_row("cg", "mpi", size, "time_per_iter", tmax / (double)iters * 1e3, "ms");
        peer_row("cg", "mpi", size, "residual", sqrt(glob[0]) / bnorm, "1");
        peer_row("cg", "mpi", size, "checksum", glob[1], "1");
    }
    free(x);
    free(r);
    free(p);
    free(q);
    MPI_Finalize();
    return 0;
}
