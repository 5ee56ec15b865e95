/* peer_grid.h: the row-block grid of the MPI peers jacobi_mpi and cg_mpi.
 *
 * An n x n interior split in blocks of rows over the ranks (the first
 * n % size ranks get one extra row). Each rank stores its rows with one halo
 * row above and below and the boundary columns: (nl + 2) x (n + 2) doubles,
 * row-major; PEER_AT(g, u, i, j) is local row i (1..nl), column j (0..n+1).
 * Halo rows that lie outside the global grid stay as allocated (0, or what
 * the program puts there: Jacobi's top ring row).
 *
 * Header-only (static functions), like peer_util.h.
 */
#ifndef GRT_BENCH_PEER_GRID_H
#define GRT_BENCH_PEER_GRID_H

#include <mpi.h>

#include "peer_util.h"

typedef struct peer_grid {
    long n;        /* interior size */
    long nl;       /* my interior rows */
    long row0;     /* global index (0-based) of my first interior row */
    int up, down;  /* neighbour ranks, MPI_PROC_NULL at the edges */
    size_t cells;  /* (nl + 2) * (n + 2) */
} peer_grid_t;

#define PEER_AT(g, u, i, j) (u)[(size_t)(i) * (size_t)((g)->n + 2) + (size_t)(j)]

static inline peer_grid_t peer_grid_make(long n, int rank, int size)
{
    peer_grid_t g;
    long base = n / size, extra = n % size;
    g.n = n;
    g.nl = base + (rank < extra ? 1 : 0);
    g.row0 = rank * base + (rank < extra ? rank : extra);
    g.up = rank > 0 ? rank - 1 : MPI_PROC_NULL;
    g.down = rank < size - 1 ? rank + 1 : MPI_PROC_NULL;
    g.cells = (size_t)(g.nl + 2) * (size_t)(n + 2);
    return g;
}

/* A zeroed local array, every page written once, so that no page fault
 * lands in the timed loop (calloc maps fresh pages lazily; grt's programs
 * likewise touch their stores before the clock starts). Aborts the job when
 * memory runs out. */
static inline double *peer_grid_alloc(const peer_grid_t *g, const char *prog)
{
    double *u = calloc(g->cells, sizeof *u);
    if (!u) {
        fprintf(stderr, "%s: out of memory\n", prog);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    volatile double *w = u;
    for (size_t i = 0; i < g->cells; i += 4096 / sizeof *u)
        w[i] = 0.0;
    return u;
}

/* Sends my first row up and receives my bottom halo from below, then the
 * reverse: the halo exchange before a 5-point sweep. */
static inline void peer_grid_exchange(const peer_grid_t *g, double *u, MPI_Comm comm)
{
    int len = (int)(g->n + 2);
    MPI_Sendrecv(&PEER_AT(g, u, 1, 0), len, MPI_DOUBLE, g->up, 0,
                 &PEER_AT(g, u, g->nl + 1, 0), len, MPI_DOUBLE, g->down, 0, comm,
                 MPI_STATUS_IGNORE);
    MPI_Sendrecv(&PEER_AT(g, u, g->nl, 0), len, MPI_DOUBLE, g->down, 1,
                 &PEER_AT(g, u, 0, 0), len, MPI_DOUBLE, g->up, 1, comm, MPI_STATUS_IGNORE);
}

#endif
