/* jacobi_mpi.c: hand-written MPI 2-D 5-point Jacobi, the peer of grt's
 * kernels/ stencil.
 *
 * Problem: Laplace on an n x n interior grid with a Dirichlet ring: the top
 * boundary row is 1, the rest of the ring 0, the interior starts at 0. Each
 * iteration sets u'[i][j] = (u[i-1][j] + u[i+1][j] + u[i][j-1] + u[i][j+1]) / 4.
 * Rows are split in blocks over the ranks; one halo row above and below is
 * exchanged with MPI_Sendrecv before every sweep (peer_grid.h, shared with
 * cg_mpi). The arrays are touched before the clock starts.
 *
 * Rows (ranks = MPI ranks):
 *   jacobi,mpi,R,time_per_iter,<ms>,ms      max over ranks of the loop time / iters
 *   jacobi,mpi,R,bandwidth,<GB/s>,GB/s      16 bytes per interior point per
 *                                           iteration (read u, write u') / time
 *   jacobi,mpi,R,residual,<r>,1             ||A u - b||_2 over the interior after
 *                                           the last iteration (A = 5-point Laplacian)
 *   jacobi,mpi,R,checksum,<s>,1             sum of the interior of u
 * Residual and checksum depend only on n and iters (up to summation order), so
 * grt's version must reproduce them to ~1e-12 relative.
 */
#include <math.h>
#include <mpi.h>

#include "peer_grid.h"

static const char usage[] =
    "usage: jacobi_mpi [--quick] [--n N] [--iters I]\n"
    "  2-D 5-point Jacobi on an N x N interior grid, I iterations.\n";

/* Local block (peer_grid.h): rows 0 and nl+1 are halos (or the global
 * boundary), columns 0 and n+1 are the global boundary. */
#define AT(u, i, j) PEER_AT(&g, u, i, j)

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    static const char *const known[] = {"quick", "n=", "iters=", NULL};
    peer_flags_check(argc, argv, known, usage);
    bool quick = peer_flag_bool(argc, argv, "quick");
    long n = peer_flag_long(argc, argv, "n", quick ? 2048 : 4096);
    long iters = peer_flag_long(argc, argv, "iters", quick ? 20 : 100);
    if (n < size || iters <= 0) {
        if (rank == 0)
            fprintf(stderr, "jacobi_mpi: need n >= ranks (%d) and iters > 0\n%s", size, usage);
        MPI_Finalize();
        return 2;
    }

    peer_grid_t g = peer_grid_make(n, rank, size);
    long nl = g.nl;
    double *u = peer_grid_alloc(&g, "jacobi_mpi"), *v = peer_grid_alloc(&g, "jacobi_mpi");
    if (g.row0 == 0) /* my halo row 0 is the global top boundary */
        for (long j = 0; j < n + 2; j++)
            AT(u, 0, j) = AT(v, 0, j) = 1.0;
    if (rank == 0)
        peer_note("jacobi_mpi", "n=%ld iters=%ld ranks=%d", n, iters, size);

    peer_grid_exchange(&g, u, MPI_COMM_WORLD); /* warm up the connections */
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (long it = 0; it < iters; it++) {
        peer_grid_exchange(&g, u, MPI_COMM_WORLD);
        for (long i = 1; i <= nl; i++) {
            const double *um = &AT(u, i - 1, 0), *uc = &AT(u, i, 0), *up1 = &AT(u, i + 1, 0);
            double *vc = &AT(v, i, 0);
            for (long j = 1; j <= n; j++)
                vc[j] = 0.25 * (um[j] + up1[j] + uc[j - 1] + uc[j + 1]);
        }
        double *t = u;
        u = v;
        v = t;
    }
    double dt = MPI_Wtime() - t0, tmax;
    MPI_Reduce(&dt, &tmax, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);

    /* Residual of the 5-point Laplace operator and checksum. */
    peer_grid_exchange(&g, u, MPI_COMM_WORLD);
    double loc[2] = {0.0, 0.0}, glob[2];
    for (long i = 1; i <= nl; i++)
        for (long j = 1; j <= n; j++) {
            double r = 4.0 * AT(u, i, j) - AT(u, i - 1, j) - AT(u, i + 1, j) - AT(u, i, j - 1) -
                       AT(u, i, j + 1);
            loc[0] += r * r;
            loc[1] += AT(u, i, j);
        }
    MPI_Reduce(loc, glob, 2, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        double per = tmax / (double)iters;
        peer_row("jacobi", "mpi", size, "time_per_iter", per * 1e3, "ms");
        peer_row("jacobi", "mpi", size, "bandwidth", 16.0 * (double)n * (double)n / per / 1e9, "GB/s");
        peer_row("jacobi", "mpi", size, "residual", sqrt(glob[0]), "1");
        peer_row("jacobi", "mpi", size, "checksum", glob[1], "1");
    }
    free(u);
    free(v);
    MPI_Finalize();
    return 0;
}
