/* kernels_internal.h - shared pieces of the kernels library: task ids, errors,
 * argument checks, launch helpers and the strided iteration used by tasks. */
#ifndef GRTK_INTERNAL_H
#define GRTK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "grt_build_config.h"
#include "grt_kernels.h"

#if defined(__GNUC__)
#define GRTK_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define GRTK_PRINTF(f, a)
#endif

/* Task ids of the library (stable: they are the library's ABI with itself). */
enum {
  GRTK_T_FILL = 1,
  GRTK_T_ARANGE,
  GRTK_T_RANDOM,
  GRTK_T_AXPBY,
  GRTK_T_BINARY,
  GRTK_T_TRANSPOSE,
  GRTK_T_REDUCE,
  GRTK_T_DOT,
  GRTK_T_FUTURE_OP,
  GRTK_T_JACOBI2D,
  GRTK_T_LAPLACIAN2D,
  GRTK_T_GEMM,
  GRTK_T_CG_UPDATE,
  GRTK_T_COUNT
};

/* Operator codes passed as an int32 scalar. */
enum { GRTK_OP_ADD, GRTK_OP_SUB, GRTK_OP_MUL, GRTK_OP_DIV };
enum { GRTK_RED_SUM, GRTK_RED_MIN, GRTK_RED_MAX, GRTK_RED_SUMSQ };
enum { GRTK_FOP_DIV, GRTK_FOP_SQRT, GRTK_FOP_SQRT_F32 };

/* The handle. magic guards against use after grtk_destroy(). */
#define GRTK_MAGIC 0x6772744bu /* "grtK" */
struct grtk {
  uint32_t magic;
  grt_runtime_t *rt;
  grt_library_t *lib;
};

/* Type masks for argument checks. */
#define GRTK_F64 (1u << 0)
#define GRTK_F32 (1u << 1)
#define GRTK_I64 (1u << 2)
#define GRTK_FLOAT (GRTK_F64 | GRTK_F32)
#define GRTK_NUMERIC (GRTK_FLOAT | GRTK_I64)
#define GRTK_ANY (~0u)

/* ---- errors (error.c) ---- */

/* Sets the thread-local message to "fn: <formatted>" and returns @p code. */
int grtk__error(int code, const char *fn, const char *fmt, ...) GRTK_PRINTF(3, 4);
/* Passes a grt failure through: the message becomes "fn: <grt_last_error()>". */
int grtk__pass(int code, const char *fn);

/* ---- argument checks (library.c) ---- */

/* Checks the handle; returns 0 or GRT_EINVAL / GRT_ESTATE. */
int grtk__check_handle(const grtk_t *k, const char *fn);
/* Checks that @p s (named @p name) is a store whose type is in @p mask and, if
 * @p ndim > 0, has that many dims. Returns 0 or GRT_EINVAL. */
int grtk__check_store(grt_store_t *s, const char *name, unsigned mask, int ndim, const char *fn);
/* Checks that @p b has @p a's shape and type. */
int grtk__check_like(grt_store_t *a, const char *an, grt_store_t *b, const char *bn,
                     const char *fn);

/* ---- launch helpers (library.c) ---- */

/* Creates an auto launch of @p task; 0 or a passed-through grt error. */
int grtk__launch(const grtk_t *k, int task, const char *fn, grt_launch_t **out);
/* Checks @p rc from a grt_launch_add_* call or constraint; on failure destroys
 * @p l and passes the error through. */
int grtk__arg(grt_launch_t *l, int rc, const char *fn);
/* Submits; passes a failure through. */
int grtk__submit(grt_launch_t *l, grt_future_t **out, const char *fn);
int grtk__add_i32(grt_launch_t *l, int32_t v, const char *fn);
int grtk__add_f64(grt_launch_t *l, double v, const char *fn);
int grtk__add_i64(grt_launch_t *l, int64_t v, const char *fn);

/* ---- task side ---- */

/* Reads argument @p i or fails the task (returns false). */
bool grtk__task_arg(grt_task_context_t *ctx, int i, grt_buffer_t *b);
int grtk__code(const grt_buffer_t *b);
int32_t grtk__scalar_i32(grt_task_context_t *ctx, int i);
int64_t grtk__scalar_i64(grt_task_context_t *ctx, int i);
double grtk__scalar_f64(grt_task_context_t *ctx, int i);
float grtk__scalar_f32(grt_task_context_t *ctx, int i);

/* Strided iteration over the same-shaped tiles of up to GRTK_ITER_MAX
 * buffers. Unit dims are dropped and neighbouring dims merged where every
 * buffer is contiguous across them, so a contiguous tile becomes one row.
 * What is left is `rows` rows of `n` elements; row r of buffer a starts at
 * ptr(a, r) and steps `inner[a]` elements. */
#define GRTK_ITER_MAX 4
typedef struct grtk_iter {
  int nbuf;
  int nd;                                     /* dims after merging, >= 1 */
  int64_t ext[GRT_MAX_DIM];
  int64_t stride[GRTK_ITER_MAX][GRT_MAX_DIM]; /* elements */
  char *base[GRTK_ITER_MAX];
  size_t esize[GRTK_ITER_MAX];
  int64_t rows, n;
  int64_t inner[GRTK_ITER_MAX];
  bool empty;
} grtk_iter_t;

/* Returns false if the tiles' extents differ (a launch bug: the caller fails
 * the task). */
bool grtk__iter_init(grtk_iter_t *it, int nbuf, const grt_buffer_t *b);
/* Pointers of row @p r, element @p j into @p out (one per buffer). */
void grtk__iter_row(const grtk_iter_t *it, int64_t r, int64_t j, char **out);

/* Row callback: @p n elements from @p p[a] stepping @p s[a]. */
typedef void (*grtk_row_fn)(void *data, int64_t n, char *const *p, const int64_t *s);
/* Calls @p fn over the whole iteration, in parallel with OpenMP if @p omp
 * (chunks of rows x inner chunks; every element computed the same way). */
void grtk__iter_run(const grtk_iter_t *it, bool omp, grtk_row_fn fn, void *data);

/* Visits the tile of @p b in rows along its last dim, giving each row's
 * pointer, element step and the row-major linear index of its first element
 * in a store of @p shape (b's own coordinates). */
typedef void (*grtk_index_fn)(void *data, int64_t n, char *p, int64_t s, int64_t idx);
void grtk__index_run(const grt_buffer_t *b, const int64_t *shape, bool omp, grtk_index_fn fn,
                     void *data);

/* ---- fixed-order multi-accumulator sums (reduce.c, stencil.c, cg.c) ----
 *
 * Every float sum in a task (sum, sum of squares, dot, the stencil's in.out,
 * the CG update's r.r) goes through these, so that the loops vectorize and
 * still give the same bits on every run. The order for one call over n
 * elements t[0..n) (t[k] = x[k], x[k]^2 or x[k] y[k], in double):
 *   - GRTK_LANES = 8 partial sums; lane l adds t[l], t[l+8], t[l+16], ...
 *     over the first m = n - n % 8 elements, in increasing k;
 *   - the lanes are combined as ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7));
 *   - the tail t[m..n) is added to that one by one, in increasing k;
 *   - the caller adds the call's result to its running partial.
 * The order depends only on n (not on strides or timing); a task calls these
 * once per row of its iteration (or per OpenMP work item of <= 4096
 * elements of a row), rows in order, and combines OpenMP partials in thread
 * order. tests/kernels/kernels_test_util.h has the same order for the
 * references (kt_lanes_dot); docs/kernels.md describes it too. */
#define GRTK_LANES 8

#define GRTK_LANE_SUM(TERM)                                                            \
  do {                                                                                 \
    double l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;             \
    int64_t m_ = n - n % GRTK_LANES, k;                                                \
    for (k = 0; k < m_; k += GRTK_LANES) {                                             \
      l0 += TERM(k);                                                                   \
      l1 += TERM(k + 1);                                                               \
      l2 += TERM(k + 2);                                                               \
      l3 += TERM(k + 3);                                                               \
      l4 += TERM(k + 4);                                                               \
      l5 += TERM(k + 5);                                                               \
      l6 += TERM(k + 6);                                                               \
      l7 += TERM(k + 7);                                                               \
    }                                                                                  \
    double r_ = ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7));                     \
    for (k = m_; k < n; k++) r_ += TERM(k);                                            \
    return r_;                                                                         \
  } while (0)

/* sum x[k*sx] (contiguous fast path when sx == 1). */
static inline double grtk__lsum_f64(int64_t n, const double *x, int64_t sx) {
#define T1_(k) x[k]
#define TS_(k) x[(k) * sx]
  if (sx == 1) GRTK_LANE_SUM(T1_);
  GRTK_LANE_SUM(TS_);
#undef T1_
#undef TS_
}
static inline double grtk__lsum_f32(int64_t n, const float *x, int64_t sx) {
#define T1_(k) (double)x[k]
#define TS_(k) (double)x[(k) * sx]
  if (sx == 1) GRTK_LANE_SUM(T1_);
  GRTK_LANE_SUM(TS_);
#undef T1_
#undef TS_
}
/* sum x[k*sx] * y[k*sy] (in double). */
static inline double grtk__ldot_f64(int64_t n, const double *x, int64_t sx, const double *y,
                                    int64_t sy) {
#define T1_(k) (x[k] * y[k])
#define TS_(k) (x[(k) * sx] * y[(k) * sy])
  if (sx == 1 && sy == 1) GRTK_LANE_SUM(T1_);
  GRTK_LANE_SUM(TS_);
#undef T1_
#undef TS_
}
static inline double grtk__ldot_f32(int64_t n, const float *x, int64_t sx, const float *y,
                                    int64_t sy) {
#define T1_(k) ((double)x[k] * (double)y[k])
#define TS_(k) ((double)x[(k) * sx] * (double)y[(k) * sy])
  if (sx == 1 && sy == 1) GRTK_LANE_SUM(T1_);
  GRTK_LANE_SUM(TS_);
#undef T1_
#undef TS_
}

/* Task bodies (one file per family); each has CPU and, where built, OMP
 * variants registered in library.c. */
void grtk__fill_cpu(grt_task_context_t *ctx);
void grtk__fill_omp(grt_task_context_t *ctx);
void grtk__arange_cpu(grt_task_context_t *ctx);
void grtk__arange_omp(grt_task_context_t *ctx);
void grtk__random_cpu(grt_task_context_t *ctx);
void grtk__random_omp(grt_task_context_t *ctx);
void grtk__axpby_cpu(grt_task_context_t *ctx);
void grtk__axpby_omp(grt_task_context_t *ctx);
void grtk__binary_cpu(grt_task_context_t *ctx);
void grtk__binary_omp(grt_task_context_t *ctx);
void grtk__transpose_cpu(grt_task_context_t *ctx);
void grtk__reduce_cpu(grt_task_context_t *ctx);
void grtk__reduce_omp(grt_task_context_t *ctx);
void grtk__dot_cpu(grt_task_context_t *ctx);
void grtk__dot_omp(grt_task_context_t *ctx);
void grtk__future_op_cpu(grt_task_context_t *ctx);
void grtk__jacobi2d_cpu(grt_task_context_t *ctx);
void grtk__jacobi2d_omp(grt_task_context_t *ctx);
void grtk__laplacian2d_cpu(grt_task_context_t *ctx);
void grtk__laplacian2d_omp(grt_task_context_t *ctx);
void grtk__gemm_cpu(grt_task_context_t *ctx);
void grtk__cg_update_cpu(grt_task_context_t *ctx);
void grtk__cg_update_omp(grt_task_context_t *ctx);

/* Philox-4x32-10 (random.c), exposed for the tests' reference. */
void grtk__philox(uint64_t seed, uint64_t counter, uint32_t out[4]);

#endif
