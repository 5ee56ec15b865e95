/* grt_kernels.h - the public header of grt's built-in array-kernel library. */
#ifndef GRT_KERNELS_H
#define GRT_KERNELS_H

#include <grt.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GRTK_EXPORT GRT_EXPORT

/* The library is registered with grt under this name (once per runtime). */
#define GRTK_LIBRARY_NAME "grt.kernels"

/*
 * Conventions (docs/kernels.md has the details of every kernel):
 *
 * - Every function takes a grtk_t handle first. grt's public API gives no way
 *   to find a store's runtime, and a hidden table from runtimes to libraries
 *   would be global state, so the handle carries the library.
 * - Every function returning int returns 0 or a negative GRT_E* code (and
 *   is GRT_NODISCARD: a kernel that was not submitted must be noticed). On
 *   GRT_EINVAL for bad input (NULL, wrong type, shape mismatch) nothing is
 *   submitted and grtk_last_error() names the bad argument. Errors from grt
 *   itself are passed through with grt's message appended.
 * - Stores may be views (slices, transposes, promoted dims); kernels see them
 *   in their own coordinates. Element-wise kernels need all their stores to
 *   have the same shape and the same type (no promotion between types).
 * - Kernels return at once; results that are scalars come back as futures the
 *   caller owns and frees with grt_future_destroy(). A reduction's future
 *   holds one value of the store's element type (double for float64, float
 *   for float32, int64_t for int64).
 * - Types: "float" kernels accept float64 and float32; "numeric" ones also
 *   int64. A double argument is converted to the store's type.
 */

/** A handle on the kernels library of one runtime. Owned by the caller; free
 *  with grtk_destroy() (before or after grt_finalize(): it holds no runtime
 *  resources). Several handles on one runtime share one registered library. */
typedef struct grtk grtk_t;

/**
 * Registers the "grt.kernels" library and its tasks in @p rt (the first time
 * for this runtime; later calls find it) and returns a handle.
 * @param rt  a live runtime
 * @param out receives the handle
 * @returns 0, GRT_EINVAL (NULL argument), GRT_ENOMEM, or grt's error.
 */
GRTK_EXPORT GRT_NODISCARD int grtk_create(grt_runtime_t *rt, grtk_t **out);
/** Frees the handle; NULL is a no-op. */
GRTK_EXPORT void grtk_destroy(grtk_t *k);
/** The grt library the handle launches into (owned by the runtime). */
GRTK_EXPORT grt_library_t *grtk_library(const grtk_t *k);
/** The calling thread's message for the last grtk_* failure ("" if none). */
GRTK_EXPORT const char *grtk_last_error(void);

/* ---- creation ---- */

/** s[...] = v (numeric; @p v converted to the store's type). */
GRTK_EXPORT GRT_NODISCARD int grtk_fill(grtk_t *k, grt_store_t *s, double v);
/** s[i] = start + i * step, i the row-major linear index in @p s's own shape
 *  (numeric; for int64 @p start and @p step are truncated to integers first). */
GRTK_EXPORT GRT_NODISCARD int grtk_arange(grtk_t *k, grt_store_t *s, double start, double step);
/** s[i] = uniform [0, 1) from Philox-4x32-10 keyed by @p seed with counter i,
 *  the row-major linear index in @p s's own shape: the values do not depend on
 *  the partitioning or the number of workers (float). */
GRTK_EXPORT GRT_NODISCARD int grtk_random(grtk_t *k, grt_store_t *s, uint64_t seed);

/* ---- element-wise (same shape and type everywhere) ---- */

/** y = a * y (float). */
GRTK_EXPORT GRT_NODISCARD int grtk_scale(grtk_t *k, grt_store_t *y, double a);
/** y = a * x + y (float). */
GRTK_EXPORT GRT_NODISCARD int grtk_axpy(grtk_t *k, grt_store_t *y, double a, grt_store_t *x);
/** y = a * x + b * y (float). */
GRTK_EXPORT GRT_NODISCARD int grtk_axpby(grtk_t *k, grt_store_t *y, double a, grt_store_t *x,
                                         double b);
/** y = (scale * f) * x + y where @p f is a future holding one element of the
 *  stores' type; the launch waits for @p f without blocking the caller. */
GRTK_EXPORT GRT_NODISCARD int grtk_axpy_future(grtk_t *k, grt_store_t *y, double scale,
                                               grt_future_t *f, grt_store_t *x);
/** y = x + f * y, @p f as in grtk_axpy_future() (the CG direction update). */
GRTK_EXPORT GRT_NODISCARD int grtk_xpby_future(grtk_t *k, grt_store_t *y, grt_store_t *x,
                                               grt_future_t *f);
/** y = x + (num / den) * y, @p num and @p den futures of the stores' type:
 *  grtk_xpby_future() with f = num / den computed in each task (the bits of
 *  grtk_future_div() for float64), so no one-point task, and on several
 *  ranks no message, sits between the futures and the update. */
GRTK_EXPORT GRT_NODISCARD int grtk_xpby_ratio(grtk_t *k, grt_store_t *y, grt_store_t *x,
                                              grt_future_t *num, grt_future_t *den);
/** out = a + b, a - b, a * b (numeric); out = a / b (float). @p out may be
 *  @p a or @p b itself, not a different view overlapping them. */
GRTK_EXPORT GRT_NODISCARD int grtk_add(grtk_t *k, grt_store_t *out, grt_store_t *a, grt_store_t *b);
GRTK_EXPORT GRT_NODISCARD int grtk_sub(grtk_t *k, grt_store_t *out, grt_store_t *a, grt_store_t *b);
GRTK_EXPORT GRT_NODISCARD int grtk_mul(grtk_t *k, grt_store_t *out, grt_store_t *a, grt_store_t *b);
GRTK_EXPORT GRT_NODISCARD int grtk_div(grtk_t *k, grt_store_t *out, grt_store_t *a, grt_store_t *b);
/** dst = src^T for 2-D stores: dst[j][i] = src[i][j], dst of shape (n, m) for
 *  src (m, n), same type (any fixed-size type). @p dst must not overlap @p src. */
GRTK_EXPORT GRT_NODISCARD int grtk_transpose_copy(grtk_t *k, grt_store_t *dst, grt_store_t *src);

/* ---- reductions into futures (*out owned by the caller) ---- */

/** Sum of all elements (numeric). Float sums accumulate in double per tile. */
GRTK_EXPORT GRT_NODISCARD int grtk_sum(grtk_t *k, grt_store_t *x, grt_future_t **out);
/** Smallest / largest element (numeric); an empty store gives +inf / -inf
 *  (INT64_MAX / INT64_MIN). NaN handling is unspecified. */
GRTK_EXPORT GRT_NODISCARD int grtk_min(grtk_t *k, grt_store_t *x, grt_future_t **out);
GRTK_EXPORT GRT_NODISCARD int grtk_max(grtk_t *k, grt_store_t *x, grt_future_t **out);
/** Sum of x[i] * y[i] (float, same shape and type). */
GRTK_EXPORT GRT_NODISCARD int grtk_dot(grtk_t *k, grt_store_t *x, grt_store_t *y,
                                       grt_future_t **out);
/** sqrt(sum of x[i]^2) (float): a reduction followed by a one-point task that
 *  takes the square root, so the caller does not block. */
GRTK_EXPORT GRT_NODISCARD int grtk_norm2(grtk_t *k, grt_store_t *x, grt_future_t **out);

/* ---- scalar futures (float64 values) ---- */

/** *out = a / b, computed by a one-point task once both are ready. */
GRTK_EXPORT GRT_NODISCARD int grtk_future_div(grtk_t *k, grt_future_t *a, grt_future_t *b,
                                              grt_future_t **out);
/** *out = sqrt(a). */
GRTK_EXPORT GRT_NODISCARD int grtk_future_sqrt(grtk_t *k, grt_future_t *a, grt_future_t **out);

/* ---- stencils (2-D, same shape and type, @p out must not overlap @p in) ---- */

/** One Jacobi sweep: out[i][j] = (in[i-1][j] + in[i+1][j] + in[i][j-1] +
 *  in[i][j+1]) * 0.25 inside, out = in on the boundary ring (float). The halo
 *  of @p in comes from a bloat constraint of one cell around out's tiles. */
GRTK_EXPORT GRT_NODISCARD int grtk_jacobi2d(grtk_t *k, grt_store_t *out, grt_store_t *in);
/** out = A in, A the 5-point Laplacian with zero Dirichlet boundary outside
 *  the grid: out[i][j] = 4 in[i][j] - in[i-1][j] - in[i+1][j] - in[i][j-1] -
 *  in[i][j+1], missing neighbours 0 (float). SPD: what grt-cg2d solves. */
GRTK_EXPORT GRT_NODISCARD int grtk_laplacian2d(grtk_t *k, grt_store_t *out, grt_store_t *in);
/** grtk_laplacian2d() that also returns *dot = in . out (= in^T A in, the
 *  p.Ap of CG) as a future of the stores' type, saving a pass over both. */
GRTK_EXPORT GRT_NODISCARD int grtk_laplacian2d_dot(grtk_t *k, grt_store_t *out, grt_store_t *in,
                                                   grt_future_t **dot);

/* ---- fused conjugate-gradient steps ---- */

/** The CG update in one pass over the four stores: x += alpha p; r -= alpha q
 *  (r = r - alpha q, bitwise what grtk_axpy_future(k, r, -1.0, alpha, q)
 *  gives), and *rr = r.r of the updated r, a future of the stores' type
 *  (float). @p alpha is a future of the stores' type; the launch waits for it
 *  without blocking the caller. Same shape and type everywhere; x, r, p, q
 *  must be four different stores, and x, r must not overlap any other
 *  (views of one root that overlap are not detected).
 *  With grtk_laplacian2d_dot() and grtk_xpby_future() a CG iteration is three
 *  passes over memory, like a hand-written loop. r.r is summed in the fixed
 *  lane order of docs/kernels.md ("Order of operations"). */
GRTK_EXPORT GRT_NODISCARD int grtk_cg_update(grtk_t *k, grt_store_t *x, grt_store_t *r,
                                             grt_store_t *p, grt_store_t *q,
                                             grt_future_t *alpha, grt_future_t **rr);
/** grtk_cg_update() with alpha = @p num / @p den (futures of the stores'
 *  type, e.g. r.r and p.Ap), divided in each task: the bits of
 *  grtk_future_div() then grtk_cg_update() for float64, without the
 *  one-point task between them. With grtk_xpby_ratio() a CG iteration is
 *  three launches whose only waits across ranks are the halo and the two
 *  dot products, as in a hand-written MPI loop. */
GRTK_EXPORT GRT_NODISCARD int grtk_cg_update_ratio(grtk_t *k, grt_store_t *x, grt_store_t *r,
                                                   grt_store_t *p, grt_store_t *q,
                                                   grt_future_t *num, grt_future_t *den,
                                                   grt_future_t **rr);

/* ---- dense linear algebra ---- */

/** C = A B for 2-D stores C (m, n), A (m, k), B (k, n) of one float type.
 *  C is tiled over the workers; every tile reads its panels of A and B
 *  (cblas_dgemm / cblas_sgemm per tile when built with BLAS, a blocked loop
 *  otherwise). @p C must not overlap @p A or @p B. */
GRTK_EXPORT GRT_NODISCARD int grtk_gemm(grtk_t *k, grt_store_t *C, grt_store_t *A, grt_store_t *B);

#ifdef __cplusplus
}
#endif
#endif /* GRT_KERNELS_H */
