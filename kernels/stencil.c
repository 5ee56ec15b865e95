/* stencil.c - 2-D 5-point stencils: a Jacobi sweep and the matrix-free
 * Laplacian that grt-cg2d solves with. Both read their input through a bloat
 * (halo) constraint of one cell around the output's tiles. */
#include <stdlib.h>

#include "kernels_internal.h"

/* The tile geometry every row of a stencil task needs. */
typedef struct sten {
  grt_buffer_t out, in;
  int64_t n0, n1; /* the whole grid */
} sten_t;

#define OUT(T, s, i, j) \
  (((T *)(s)->out.ptr)[((i) - (s)->out.lo[0]) * (s)->out.stride[0] + ((j) - (s)->out.lo[1]) * (s)->out.stride[1]])
#define IN(T, s, i, j) \
  (((const T *)(s)->in.ptr)[((i) - (s)->in.lo[0]) * (s)->in.stride[0] + ((j) - (s)->in.lo[1]) * (s)->in.stride[1]])

/* Jacobi row i: the boundary ring is copied, the inside averaged in the
 * order (N + S + W + E) * 0.25, the same as the MPI peer's. */
#define JACOBI_ROW(T)                                                                   \
  do {                                                                                  \
    int64_t lo = s->out.lo[1], hi = s->out.hi[1];                                       \
    if (i == 0 || i == s->n0 - 1) {                                                     \
      for (int64_t j = lo; j <= hi; j++) OUT(T, s, i, j) = IN(T, s, i, j);              \
      break;                                                                            \
    }                                                                                   \
    int64_t a = lo > 1 ? lo : 1, b = hi < s->n1 - 2 ? hi : s->n1 - 2;                   \
    if (lo == 0) OUT(T, s, i, 0) = IN(T, s, i, 0);                                      \
    if (hi == s->n1 - 1 && s->n1 > 1) OUT(T, s, i, hi) = IN(T, s, i, hi);               \
    if (a > b) break;                                                                   \
    if (s->in.stride[1] == 1 && s->out.stride[1] == 1) {                                \
      const T *up = &IN(T, s, i - 1, a), *mid = &IN(T, s, i, a), *dn = &IN(T, s, i + 1, a); \
      T *o = &OUT(T, s, i, a);                                                          \
      for (int64_t j = 0; j <= b - a; j++)                                              \
        o[j] = (up[j] + dn[j] + mid[j - 1] + mid[j + 1]) * (T)0.25;                     \
    } else {                                                                            \
      for (int64_t j = a; j <= b; j++)                                                  \
        OUT(T, s, i, j) = (IN(T, s, i - 1, j) + IN(T, s, i + 1, j) + IN(T, s, i, j - 1) + \
                           IN(T, s, i, j + 1)) * (T)0.25;                               \
    }                                                                                   \
  } while (0)

static void jacobi_row(const sten_t *s, int64_t i) {
  if (grt_type_code(s->out.type) == GRT_TYPE_FLOAT64) JACOBI_ROW(double);
  else JACOBI_ROW(float);
}

/* Laplacian at (i, j) with zeros outside the grid, in the peer's order
 * 4c - N - S - W - E (subtracting a zero changes no bits). */
#define LAP_AT(T, s, i, j)                                                 \
  ((T)4 * IN(T, s, i, j) - ((i) > 0 ? IN(T, s, (i) - 1, j) : (T)0) -        \
   ((i) < (s)->n0 - 1 ? IN(T, s, (i) + 1, j) : (T)0) -                     \
   ((j) > 0 ? IN(T, s, i, (j) - 1) : (T)0) - ((j) < (s)->n1 - 1 ? IN(T, s, i, (j) + 1) : (T)0))

#define LAP_ROW(T)                                                                      \
  do {                                                                                  \
    int64_t lo = s->out.lo[1], hi = s->out.hi[1];                                       \
    bool inner_row = i > 0 && i < s->n0 - 1;                                            \
    int64_t a = lo > 1 ? lo : 1, b = hi < s->n1 - 2 ? hi : s->n1 - 2;                   \
    if (!inner_row || a > b || s->in.stride[1] != 1 || s->out.stride[1] != 1) {        \
      for (int64_t j = lo; j <= hi; j++) OUT(T, s, i, j) = LAP_AT(T, s, i, j);          \
      break;                                                                            \
    }                                                                                   \
    for (int64_t j = lo; j < a; j++) OUT(T, s, i, j) = LAP_AT(T, s, i, j);              \
    const T *up = &IN(T, s, i - 1, a), *mid = &IN(T, s, i, a), *dn = &IN(T, s, i + 1, a); \
    T *o = &OUT(T, s, i, a);                                                            \
    for (int64_t j = 0; j <= b - a; j++)                                                \
      o[j] = (T)4 * mid[j] - up[j] - dn[j] - mid[j - 1] - mid[j + 1];                   \
    for (int64_t j = b + 1; j <= hi; j++) OUT(T, s, i, j) = LAP_AT(T, s, i, j);         \
  } while (0)

static void lap_row(const sten_t *s, int64_t i) {
  if (grt_type_code(s->out.type) == GRT_TYPE_FLOAT64) LAP_ROW(double);
  else LAP_ROW(float);
}

/* in . out over row i of the tile (after the row is computed), in double, in
 * the fixed lane order of kernels_internal.h. */
static double row_dot(const sten_t *s, int64_t i) {
  int64_t lo = s->out.lo[1], n = s->out.hi[1] - lo + 1;
  if (grt_type_code(s->out.type) == GRT_TYPE_FLOAT64)
    return grtk__ldot_f64(n, &IN(double, s, i, lo), s->in.stride[1], &OUT(double, s, i, lo),
                          s->out.stride[1]);
  return grtk__ldot_f32(n, &IN(float, s, i, lo), s->in.stride[1], &OUT(float, s, i, lo),
                        s->out.stride[1]);
}

/* Scalars: [0], [1] the grid's shape, [2] whether to return in . out (each
 * row's lane sum, then the rows summed in row order: the same bits on one
 * thread or many). */
static void stencil_task(grt_task_context_t *ctx, bool omp, void (*row)(const sten_t *, int64_t)) {
  sten_t s;
  if (!grtk__task_arg(ctx, 0, &s.out) || !grtk__task_arg(ctx, 1, &s.in)) return;
  s.n0 = grtk__scalar_i64(ctx, 0);
  s.n1 = grtk__scalar_i64(ctx, 1);
  bool want_dot = grtk__scalar_i32(ctx, 2) != 0;
  int64_t rows = s.out.hi[0] - s.out.lo[0] + 1;
  bool empty = rows <= 0 || s.out.hi[1] < s.out.lo[1];
  double *part = NULL;
  if (want_dot && !empty) {
    part = malloc(sizeof *part * (size_t)rows);
    if (!part) {
      grt_task_fail(ctx, "grtk.stencil: out of host memory for the row dots");
      return;
    }
  }
  (void)omp;
  if (!empty) {
#if GRT_HAVE_OPENMP
#pragma omp parallel for schedule(static) if (omp)
#endif
    for (int64_t r = 0; r < rows; r++) {
      row(&s, s.out.lo[0] + r);
      if (part) part[r] = row_dot(&s, s.out.lo[0] + r);
    }
  }
  if (!want_dot) return;
  double dot = 0.0;
  for (int64_t r = 0; part && r < rows; r++) dot += part[r];
  free(part);
  if (grt_type_code(s.out.type) == GRT_TYPE_FLOAT64) {
    grt_task_return(ctx, &dot, sizeof dot);
  } else {
    float f = (float)dot;
    grt_task_return(ctx, &f, sizeof f);
  }
}

void grtk__jacobi2d_cpu(grt_task_context_t *ctx) { stencil_task(ctx, false, jacobi_row); }
void grtk__jacobi2d_omp(grt_task_context_t *ctx) { stencil_task(ctx, true, jacobi_row); }
void grtk__laplacian2d_cpu(grt_task_context_t *ctx) { stencil_task(ctx, false, lap_row); }
void grtk__laplacian2d_omp(grt_task_context_t *ctx) { stencil_task(ctx, true, lap_row); }

static int stencil(grtk_t *k, int task, const char *fn, grt_store_t *out, grt_store_t *in,
                   grt_future_t **dot) {
  int rc;
  if ((rc = grtk__check_handle(k, fn)) < 0 ||
      (rc = grtk__check_store(out, "out", GRTK_FLOAT, 2, fn)) < 0 ||
      (rc = grtk__check_store(in, "in", GRTK_FLOAT, 2, fn)) < 0 ||
      (rc = grtk__check_like(out, "out", in, "in", fn)) < 0)
    return rc;
  if (out == in) return grtk__error(GRT_EINVAL, fn, "out and in are the same store");
  int64_t shape[GRT_MAX_DIM] = {0};
  grt_store_shape(out, shape);
  grt_launch_t *l;
  if ((rc = grtk__launch(k, task, fn, &l)) < 0) return rc;
  int io, ii;
  const int64_t one[2] = {1, 1};
  if ((rc = io = grtk__arg(l, grt_launch_add_output(l, out), fn)) < 0 ||
      (rc = ii = grtk__arg(l, grt_launch_add_input(l, in), fn)) < 0 ||
      (rc = grtk__arg(l, grt_launch_bloat(l, ii, io, one, one), fn)) < 0 ||
      (rc = grtk__add_i64(l, shape[0], fn)) < 0 || (rc = grtk__add_i64(l, shape[1], fn)) < 0 ||
      (rc = grtk__add_i32(l, dot != NULL, fn)) < 0)
    return rc;
  if (dot &&
      (rc = grtk__arg(l, grt_launch_reduce_result(l, grt_store_type(out), GRT_REDOP_SUM), fn)) < 0)
    return rc;
  return grtk__submit(l, dot, fn);
}

GRTK_EXPORT int grtk_jacobi2d(grtk_t *k, grt_store_t *out, grt_store_t *in) {
  return stencil(k, GRTK_T_JACOBI2D, "grtk_jacobi2d", out, in, NULL);
}

GRTK_EXPORT int grtk_laplacian2d(grtk_t *k, grt_store_t *out, grt_store_t *in) {
  return stencil(k, GRTK_T_LAPLACIAN2D, "grtk_laplacian2d", out, in, NULL);
}

GRTK_EXPORT int grtk_laplacian2d_dot(grtk_t *k, grt_store_t *out, grt_store_t *in,
                                     grt_future_t **dot) {
  const char *fn = "grtk_laplacian2d_dot";
  if (dot) *dot = NULL;
  if (k && !dot) return grtk__error(GRT_EINVAL, fn, "dot is NULL");
  return stencil(k, GRTK_T_LAPLACIAN2D, fn, out, in, dot);
}
