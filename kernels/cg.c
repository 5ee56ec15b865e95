/* cg.c - fused kernels for conjugate gradient: the update of x and r that
 * also returns r.r in the same pass over memory (what a hand-written CG loop
 * does; see benchmarks/peers/cg_mpi.c). */
#include <stdlib.h>

#include "kernels_internal.h"

#if GRT_HAVE_OPENMP
#include <omp.h>
#endif

/* Args: [0] x (inout), [1] r (inout), [2] p (input), [3] q (input), all
 * aligned. Scalars: [0] int32: 1 when alpha is a ratio; [1] alpha, or its
 * numerator, [2] its denominator (futures of the stores' type). The task
 * returns r.r after the update, as a value of the stores' type. */

/* Element k: x += a p; r -= a q (r = r - a q, the bits of grtk_axpy_future
 * with -1 * alpha); lane += r^2 in double. */
#define CG_STEP(k, lane)                        \
  do {                                          \
    x[(k) * sx] += a * p[(k) * sp];             \
    T rv_ = r[(k) * sr] - a * q[(k) * sq];      \
    r[(k) * sr] = rv_;                          \
    lane += (double)rv_ * (double)rv_;          \
  } while (0)

/* One row of n elements; returns its sum of r^2 in the lane order of
 * kernels_internal.h (GRTK_LANE_SUM). Instantiated with unit strides (the
 * contiguous fast path: constants, so the loop vectorizes) and general ones. */
#define CG_ROW_BODY                                                                    \
  double l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;               \
  int64_t m_ = n - n % GRTK_LANES, k;                                                  \
  for (k = 0; k < m_; k += GRTK_LANES) {                                               \
    CG_STEP(k, l0);                                                                    \
    CG_STEP(k + 1, l1);                                                                \
    CG_STEP(k + 2, l2);                                                                \
    CG_STEP(k + 3, l3);                                                                \
    CG_STEP(k + 4, l4);                                                                \
    CG_STEP(k + 5, l5);                                                                \
    CG_STEP(k + 6, l6);                                                                \
    CG_STEP(k + 7, l7);                                                                \
  }                                                                                    \
  double s_ = ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7));                       \
  for (k = m_; k < n; k++) CG_STEP(k, s_);                                             \
  return s_;

#define T double
static double cg_row_f64_1(int64_t n, T *restrict x, T *restrict r, const T *restrict p,
                           const T *restrict q, T a) {
  const int64_t sx = 1, sr = 1, sp = 1, sq = 1;
  CG_ROW_BODY
}
static double cg_row_f64_s(int64_t n, T *x, T *r, const T *p, const T *q, T a,
                           const int64_t *s) {
  const int64_t sx = s[0], sr = s[1], sp = s[2], sq = s[3];
  CG_ROW_BODY
}
#undef T
#define T float
static double cg_row_f32_1(int64_t n, T *restrict x, T *restrict r, const T *restrict p,
                           const T *restrict q, T a) {
  const int64_t sx = 1, sr = 1, sp = 1, sq = 1;
  CG_ROW_BODY
}
static double cg_row_f32_s(int64_t n, T *x, T *r, const T *p, const T *q, T a,
                           const int64_t *s) {
  const int64_t sx = s[0], sr = s[1], sp = s[2], sq = s[3];
  CG_ROW_BODY
}
#undef T

typedef struct cgu {
  double a;
  float af;
  int code;
} cgu_t;

static double cg_row(const cgu_t *d, int64_t n, char *const *p, const int64_t *s) {
  bool unit = s[0] == 1 && s[1] == 1 && s[2] == 1 && s[3] == 1;
  if (d->code == GRT_TYPE_FLOAT64) {
    double *x = (double *)p[0], *r = (double *)p[1];
    const double *pp = (const double *)p[2], *q = (const double *)p[3];
    return unit ? cg_row_f64_1(n, x, r, pp, q, d->a) : cg_row_f64_s(n, x, r, pp, q, d->a, s);
  }
  float *x = (float *)p[0], *r = (float *)p[1];
  const float *pp = (const float *)p[2], *q = (const float *)p[3];
  return unit ? cg_row_f32_1(n, x, r, pp, q, d->af) : cg_row_f32_s(n, x, r, pp, q, d->af, s);
}

/* Elements per OpenMP work item along a row (as in iter.c and reduce.c). */
#define CHUNK 4096

/* The whole tile: rows in order on one thread, each row's sum added to the
 * running total; with OpenMP, each thread takes a static block of work items
 * (rows x chunks of CHUNK), sums them in order, and the threads' partials are
 * added in thread order (deterministic for a given team size). */
static double cg_run(const grtk_iter_t *it, bool omp, const cgu_t *d, bool *nomem) {
  double total = 0.0;
  *nomem = false;
  if (it->empty || it->n == 0) return total;
  char *p[GRTK_ITER_MAX];
#if GRT_HAVE_OPENMP
  if (omp) {
    int nt = omp_get_max_threads();
    double *part = calloc((size_t)nt, sizeof *part);
    if (!part) {
      *nomem = true;
      return total;
    }
    int64_t nchunks = (it->n + CHUNK - 1) / CHUNK, items = it->rows * nchunks;
#pragma omp parallel num_threads(nt) private(p)
    {
      double mine = 0.0;
#pragma omp for schedule(static)
      for (int64_t w = 0; w < items; w++) {
        int64_t row = w / nchunks, j = (w % nchunks) * CHUNK;
        int64_t len = it->n - j < CHUNK ? it->n - j : CHUNK;
        grtk__iter_row(it, row, j, p);
        mine += cg_row(d, len, p, it->inner);
      }
      part[omp_get_thread_num()] = mine;
    }
    for (int t = 0; t < nt; t++) total += part[t];
    free(part);
    return total;
  }
#else
  (void)omp;
#endif
  for (int64_t row = 0; row < it->rows; row++) {
    grtk__iter_row(it, row, 0, p);
    total += cg_row(d, it->n, p, it->inner);
  }
  return total;
}

static void cg_update_task(grt_task_context_t *ctx, bool omp) {
  grt_buffer_t b[4];
  for (int i = 0; i < 4; i++)
    if (!grtk__task_arg(ctx, i, &b[i])) return;
  cgu_t d = {0.0, 0.0f, grtk__code(&b[0])};
  bool ratio = grtk__scalar_i32(ctx, 0) != 0;
  if (d.code == GRT_TYPE_FLOAT64)
    d.a = ratio ? grtk__scalar_f64(ctx, 1) / grtk__scalar_f64(ctx, 2) : grtk__scalar_f64(ctx, 1);
  else
    d.af = ratio ? grtk__scalar_f32(ctx, 1) / grtk__scalar_f32(ctx, 2) : grtk__scalar_f32(ctx, 1);
  grtk_iter_t it;
  if (!grtk__iter_init(&it, 4, b)) {
    grt_task_fail(ctx, "grtk.cg_update: tiles of x, r, p and q differ");
    return;
  }
  bool nomem;
  double rr = cg_run(&it, omp, &d, &nomem);
  if (nomem) {
    grt_task_fail(ctx, "grtk.cg_update: out of host memory for the partial sums");
    return;
  }
  if (d.code == GRT_TYPE_FLOAT64) {
    grt_task_return(ctx, &rr, sizeof rr);
  } else {
    float f = (float)rr;
    grt_task_return(ctx, &f, sizeof f);
  }
}
void grtk__cg_update_cpu(grt_task_context_t *ctx) { cg_update_task(ctx, false); }
void grtk__cg_update_omp(grt_task_context_t *ctx) { cg_update_task(ctx, true); }

/* The launcher of both forms: alpha = @p num (@p ratio false) or num / den;
 * @p num_name names num in messages ("alpha" or "num"). */
static int cg_update(grtk_t *k, const char *fn, grt_store_t *x, grt_store_t *r, grt_store_t *p,
                     grt_store_t *q, grt_future_t *num, const char *num_name, bool ratio,
                     grt_future_t *den, grt_future_t **rr) {
  int rc;
  if (rr) *rr = NULL;
  if ((rc = grtk__check_handle(k, fn)) < 0) return rc;
  if (!rr) return grtk__error(GRT_EINVAL, fn, "rr is NULL");
  if (!num) return grtk__error(GRT_EINVAL, fn, "%s is NULL", num_name);
  if (ratio && !den) return grtk__error(GRT_EINVAL, fn, "den is NULL");
  if ((rc = grtk__check_store(x, "x", GRTK_FLOAT, 0, fn)) < 0 ||
      (rc = grtk__check_store(r, "r", GRTK_FLOAT, 0, fn)) < 0 ||
      (rc = grtk__check_store(p, "p", GRTK_FLOAT, 0, fn)) < 0 ||
      (rc = grtk__check_store(q, "q", GRTK_FLOAT, 0, fn)) < 0 ||
      (rc = grtk__check_like(x, "x", r, "r", fn)) < 0 ||
      (rc = grtk__check_like(x, "x", p, "p", fn)) < 0 ||
      (rc = grtk__check_like(x, "x", q, "q", fn)) < 0)
    return rc;
  grt_store_t *all[4] = {x, r, p, q};
  static const char *const names[4] = {"x", "r", "p", "q"};
  for (int i = 0; i < 4; i++)
    for (int j = i + 1; j < 4; j++)
      if (all[i] == all[j])
        return grtk__error(GRT_EINVAL, fn, "%s and %s are the same store", names[i], names[j]);
  grt_launch_t *l;
  if ((rc = grtk__launch(k, GRTK_T_CG_UPDATE, fn, &l)) < 0) return rc;
  int ix, ir, ip, iq;
  if ((rc = ix = grtk__arg(l, grt_launch_add_inout(l, x), fn)) < 0 ||
      (rc = ir = grtk__arg(l, grt_launch_add_inout(l, r), fn)) < 0 ||
      (rc = ip = grtk__arg(l, grt_launch_add_input(l, p), fn)) < 0 ||
      (rc = iq = grtk__arg(l, grt_launch_add_input(l, q), fn)) < 0 ||
      (rc = grtk__arg(l, grt_launch_align(l, ix, ir), fn)) < 0 ||
      (rc = grtk__arg(l, grt_launch_align(l, ix, ip), fn)) < 0 ||
      (rc = grtk__arg(l, grt_launch_align(l, ix, iq), fn)) < 0 ||
      (rc = grtk__add_i32(l, den != NULL, fn)) < 0 ||
      (rc = grtk__arg(l, grt_launch_add_future(l, num), fn)) < 0 ||
      (den && (rc = grtk__arg(l, grt_launch_add_future(l, den), fn)) < 0) ||
      (rc = grtk__arg(l, grt_launch_reduce_result(l, grt_store_type(x), GRT_REDOP_SUM), fn)) < 0)
    return rc;
  return grtk__submit(l, rr, fn);
}

GRTK_EXPORT int grtk_cg_update(grtk_t *k, grt_store_t *x, grt_store_t *r, grt_store_t *p,
                               grt_store_t *q, grt_future_t *alpha, grt_future_t **rr) {
  return cg_update(k, "grtk_cg_update", x, r, p, q, alpha, "alpha", false, NULL, rr);
}

GRTK_EXPORT int grtk_cg_update_ratio(grtk_t *k, grt_store_t *x, grt_store_t *r, grt_store_t *p,
                                     grt_store_t *q, grt_future_t *num, grt_future_t *den,
                                     grt_future_t **rr) {
  return cg_update(k, "grtk_cg_update_ratio", x, r, p, q, num, "num", true, den, rr);
}
