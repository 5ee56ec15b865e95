/* problems.h - the Jacobi and CG problems shared by the example applications
 * (grt-jacobi2d, grt-cg2d) and grt's benchmarks (benchmarks/grt/bench_jacobi,
 * bench_cg): set-up, one CG iteration and the checks, built from grt_kernels
 * calls only. The problems are those of the MPI peers,
 * benchmarks/peers/jacobi_mpi.c and cg_mpi.c, so the checksums and residuals
 * can be compared with theirs.
 *
 * Every function returns 0 or a negative GRT_E* code (the message is in
 * grtk_last_error() or grt_last_error()) and owns nothing it is given.
 */
#ifndef GRT_EXAMPLES_PROBLEMS_H
#define GRT_EXAMPLES_PROBLEMS_H

#include <grt_kernels.h>

/* ---- Jacobi: an n x n interior with a Dirichlet ring, stored as one
 * (n+2) x (n+2) grid; the top ring row is 1, the rest 0. ---- */

/* The two float64 grids a Jacobi iteration ping-pongs between. */
typedef struct ex_jacobi {
  long n;
  grt_store_t *u, *v; /* u holds the latest sweep */
} ex_jacobi_t;

/* Creates both grids (not yet initialized). On failure *j holds what was
 * created; ex_jacobi_destroy frees it either way. */
int ex_jacobi_create(grt_runtime_t *rt, long n, ex_jacobi_t *j);
void ex_jacobi_destroy(ex_jacobi_t *j);

/* @p iters sweeps of grtk_jacobi2d, swapping u and v after each. Returns
 * once they are submitted. */
int ex_jacobi_sweeps(grtk_t *k, ex_jacobi_t *j, long iters);

/* *out = the interior [1, n] x [1, n] of an (n+2) x (n+2) store, as a view
 * (the caller destroys it). */
int ex_interior(grt_store_t *s, long n, grt_store_t **out);

/* u = 0 everywhere but the top ring row, which is 1; v = u (a sweep copies
 * the ring from its input, so both grids must carry it). */
int ex_jacobi_init(grtk_t *k, grt_store_t *u, grt_store_t *v);

/* The peer's checks of grid u: *checksum = the sum of the interior,
 * *residual = ||A u - b||_2 over the interior (with the ring inside u this
 * is the interior of the grid's 5-point Laplacian). Blocks for both. */
int ex_jacobi_check(grt_runtime_t *rt, grtk_t *k, grt_store_t *u, long n, double *checksum,
                    double *residual);

/* ---- CG on A x = b, A the n x n 5-point Laplacian (grtk_laplacian2d,
 * zero Dirichlet boundary), b = 1, x0 = 0. ---- */

/* The solver's float64 n x n vectors and the future r.r. */
typedef struct ex_cg {
  grt_store_t *x, *r, *p, *q;
  grt_future_t *rr;
  double bnorm; /* ||b||, set by ex_cg_start */
} ex_cg_t;

/* Creates the four vectors. On failure *cg holds what was created;
 * ex_cg_destroy frees it either way (and the future rr). */
int ex_cg_create(grt_runtime_t *rt, long n, ex_cg_t *cg);
void ex_cg_destroy(ex_cg_t *cg);

/* x = 0, r = b = 1, p = r; rr = r.r and bnorm = ||b|| (waits for r.r). */
int ex_cg_start(grtk_t *k, ex_cg_t *cg);

/* One CG iteration, three launches and three passes over the vectors, like
 * cg_mpi's loop; returns at once (every scalar stays a future):
 *   q = A p, pq = p.q                       grtk_laplacian2d_dot
 *   x += (rr/pq) p; r -= (rr/pq) q; rr' = r.r  grtk_cg_update_ratio
 *   p = r + (rr'/rr) p                      grtk_xpby_ratio
 * rr (r.r on entry) is replaced by rr' (the old future is destroyed). */
int ex_cg_iteration(grtk_t *k, ex_cg_t *cg);

/* The peer's checks: *true_res = ||b - A x|| / ||b|| and *checksum =
 * sum(x). Overwrites r and q. Blocks for both. */
int ex_cg_check(grtk_t *k, ex_cg_t *cg, double *true_res, double *checksum);

#endif
