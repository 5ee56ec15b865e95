/* reduce.c - reductions into futures (sum, min, max, sum of squares, dot,
 * norm2) and the one-point tasks on scalar futures (div, sqrt). */
#include <math.h>
#include <stdlib.h>

#include "kernels_internal.h"

#if GRT_HAVE_OPENMP
#include <omp.h>
#endif

/* A partial result: floats accumulate in double, int64 in uint64 (wrapping,
 * like the two's-complement sum the caller expects without UB). */
typedef union acc {
  double d;
  uint64_t u;
  int64_t i;
} acc_t;

typedef struct red_data {
  int op, code;
} red_data_t;

typedef void (*acc_fn)(const red_data_t *r, acc_t *acc, int64_t n, char *const *p,
                       const int64_t *s);

static acc_t identity(const red_data_t *r) {
  acc_t a;
  bool flt = r->code != GRT_TYPE_INT64;
  switch (r->op) {
  case GRTK_RED_MIN:
    if (flt) a.d = INFINITY;
    else a.i = INT64_MAX;
    break;
  case GRTK_RED_MAX:
    if (flt) a.d = -INFINITY;
    else a.i = INT64_MIN;
    break;
  default:
    if (flt) a.d = 0.0;
    else a.u = 0;
    break;
  }
  return a;
}

#if GRT_HAVE_OPENMP
/* Folds partial @p b into @p a (OpenMP partials, in thread order). */
static void combine(const red_data_t *r, acc_t *a, acc_t b) {
  bool flt = r->code != GRT_TYPE_INT64;
  switch (r->op) {
  case GRTK_RED_MIN:
    if (flt) a->d = b.d < a->d ? b.d : a->d;
    else a->i = b.i < a->i ? b.i : a->i;
    break;
  case GRTK_RED_MAX:
    if (flt) a->d = b.d > a->d ? b.d : a->d;
    else a->i = b.i > a->i ? b.i : a->i;
    break;
  default:
    if (flt) a->d += b.d;
    else a->u += b.u;
    break;
  }
}
#endif

#define RED_LOOP(T, INIT, STEP, FINISH)                                 \
  do {                                                            \
    const T *x = (const T *)p[0];                                 \
    int64_t st = s[0];                                            \
    INIT;                                                         \
    if (st == 1)                                                  \
      for (int64_t k = 0; k < n; k++) {                           \
        T v = x[k];                                               \
        STEP;                                                     \
      }                                                           \
    else                                                          \
      for (int64_t k = 0; k < n; k++) {                           \
        T v = x[k * st];                                          \
        STEP;                                                     \
      }                                                           \
    FINISH;                                                       \
  } while (0)

/* Sums and sums of squares go through the fixed-order lane sums of
 * kernels_internal.h (vectorizable, the same bits on every run); min and max
 * are order-independent. */
#define RED_FLOAT(T, SUM)                                                                  \
  switch (r->op) {                                                                         \
  case GRTK_RED_SUM: acc->d += SUM(n, (const T *)p[0], s[0]); break;                        \
  case GRTK_RED_SUMSQ:                                                                     \
    acc->d += T##_ldot(n, (const T *)p[0], s[0], (const T *)p[0], s[0]);                    \
    break;                                                                                 \
  case GRTK_RED_MIN: RED_LOOP(T, double a = acc->d, if (v < a) a = v, acc->d = a); break;   \
  default: RED_LOOP(T, double a = acc->d, if (v > a) a = v, acc->d = a); break;            \
  }

#define double_ldot grtk__ldot_f64
#define float_ldot grtk__ldot_f32

static void reduce_rows(const red_data_t *r, acc_t *acc, int64_t n, char *const *p,
                        const int64_t *s) {
  switch (r->code) {
  case GRT_TYPE_FLOAT64: RED_FLOAT(double, grtk__lsum_f64); break;
  case GRT_TYPE_FLOAT32: RED_FLOAT(float, grtk__lsum_f32); break;
  default:
    switch (r->op) {
    case GRTK_RED_SUM: RED_LOOP(int64_t, uint64_t a = acc->u, a += (uint64_t)v, acc->u = a); break;
    case GRTK_RED_MIN: RED_LOOP(int64_t, int64_t a = acc->i, if (v < a) a = v, acc->i = a); break;
    default: RED_LOOP(int64_t, int64_t a = acc->i, if (v > a) a = v, acc->i = a); break;
    }
    break;
  }
}

static void dot_rows(const red_data_t *r, acc_t *acc, int64_t n, char *const *p,
                     const int64_t *s) {
  if (r->code == GRT_TYPE_FLOAT64)
    acc->d += grtk__ldot_f64(n, (const double *)p[0], s[0], (const double *)p[1], s[1]);
  else
    acc->d += grtk__ldot_f32(n, (const float *)p[0], s[0], (const float *)p[1], s[1]);
}

/* Elements per OpenMP work item along a row (as in iter.c). */
#define CHUNK 4096

/* Reduces the whole iteration into one acc_t: rows in order on one thread
 * (each row's lane sum added to the running partial);
 * with OpenMP, each thread reduces a static block of work items and the
 * partials are combined in thread order (deterministic for a team size). */
static acc_t run_reduce(const grtk_iter_t *it, bool omp, const red_data_t *r, acc_fn fn) {
  acc_t total = identity(r);
  if (it->empty || it->n == 0) return total;
  char *p[GRTK_ITER_MAX];
#if GRT_HAVE_OPENMP
  if (omp) {
    int nt = omp_get_max_threads();
    acc_t *part = malloc(sizeof *part * (size_t)nt);
    if (part) {
      int64_t nchunks = (it->n + CHUNK - 1) / CHUNK, items = it->rows * nchunks;
      for (int t = 0; t < nt; t++) part[t] = identity(r);
#pragma omp parallel num_threads(nt) private(p)
      {
        acc_t *mine = &part[omp_get_thread_num()];
#pragma omp for schedule(static)
        for (int64_t w = 0; w < items; w++) {
          int64_t row = w / nchunks, j = (w % nchunks) * CHUNK;
          int64_t len = it->n - j < CHUNK ? it->n - j : CHUNK;
          grtk__iter_row(it, row, j, p);
          fn(r, mine, len, p, it->inner);
        }
      }
      for (int t = 0; t < nt; t++) combine(r, &total, part[t]);
      free(part);
      return total;
    }
  }
#else
  (void)omp;
#endif
  for (int64_t row = 0; row < it->rows; row++) {
    grtk__iter_row(it, row, 0, p);
    fn(r, &total, it->n, p, it->inner);
  }
  return total;
}

/* Returns @p a as a value of the store's type. */
static void task_return(grt_task_context_t *ctx, int code, acc_t a) {
  if (code == GRT_TYPE_FLOAT64) {
    grt_task_return(ctx, &a.d, sizeof a.d);
  } else if (code == GRT_TYPE_FLOAT32) {
    float f = (float)a.d;
    grt_task_return(ctx, &f, sizeof f);
  } else {
    grt_task_return(ctx, &a.i, sizeof a.i);
  }
}

static void reduce_task(grt_task_context_t *ctx, bool omp) {
  grt_buffer_t b;
  if (!grtk__task_arg(ctx, 0, &b)) return;
  red_data_t r = {grtk__scalar_i32(ctx, 0), grtk__code(&b)};
  grtk_iter_t it;
  grtk__iter_init(&it, 1, &b);
  task_return(ctx, r.code, run_reduce(&it, omp, &r, reduce_rows));
}
void grtk__reduce_cpu(grt_task_context_t *ctx) { reduce_task(ctx, false); }
void grtk__reduce_omp(grt_task_context_t *ctx) { reduce_task(ctx, true); }

static void dot_task(grt_task_context_t *ctx, bool omp) {
  grt_buffer_t b[2];
  if (!grtk__task_arg(ctx, 0, &b[0]) || !grtk__task_arg(ctx, 1, &b[1])) return;
  red_data_t r = {GRTK_RED_SUM, grtk__code(&b[0])};
  grtk_iter_t it;
  if (!grtk__iter_init(&it, 2, b)) {
    grt_task_fail(ctx, "grtk.dot: tiles of x and y differ");
    return;
  }
  task_return(ctx, r.code, run_reduce(&it, omp, &r, dot_rows));
}
void grtk__dot_cpu(grt_task_context_t *ctx) { dot_task(ctx, false); }
void grtk__dot_omp(grt_task_context_t *ctx) { dot_task(ctx, true); }

/* ---- launchers ---- */

static int reduce(grtk_t *k, int op, const char *fn, grt_store_t *x, unsigned mask,
                  grt_future_t **out) {
  int rc;
  if (out) *out = NULL;
  if ((rc = grtk__check_handle(k, fn)) < 0) return rc;
  if (!out) return grtk__error(GRT_EINVAL, fn, "out is NULL");
  if ((rc = grtk__check_store(x, "x", mask, 0, fn)) < 0) return rc;
  grt_redop_t redop = op == GRTK_RED_MIN ? GRT_REDOP_MIN
                      : op == GRTK_RED_MAX ? GRT_REDOP_MAX
                                           : GRT_REDOP_SUM;
  grt_launch_t *l;
  if ((rc = grtk__launch(k, GRTK_T_REDUCE, fn, &l)) < 0) return rc;
  if ((rc = grtk__arg(l, grt_launch_add_input(l, x), fn)) < 0 ||
      (rc = grtk__add_i32(l, op, fn)) < 0 ||
      (rc = grtk__arg(l, grt_launch_reduce_result(l, grt_store_type(x), redop), fn)) < 0)
    return rc;
  return grtk__submit(l, out, fn);
}

GRTK_EXPORT int grtk_sum(grtk_t *k, grt_store_t *x, grt_future_t **out) {
  return reduce(k, GRTK_RED_SUM, "grtk_sum", x, GRTK_NUMERIC, out);
}
GRTK_EXPORT int grtk_min(grtk_t *k, grt_store_t *x, grt_future_t **out) {
  return reduce(k, GRTK_RED_MIN, "grtk_min", x, GRTK_NUMERIC, out);
}
GRTK_EXPORT int grtk_max(grtk_t *k, grt_store_t *x, grt_future_t **out) {
  return reduce(k, GRTK_RED_MAX, "grtk_max", x, GRTK_NUMERIC, out);
}

GRTK_EXPORT int grtk_dot(grtk_t *k, grt_store_t *x, grt_store_t *y, grt_future_t **out) {
  const char *fn = "grtk_dot";
  int rc;
  if (out) *out = NULL;
  if ((rc = grtk__check_handle(k, fn)) < 0) return rc;
  if (!out) return grtk__error(GRT_EINVAL, fn, "out is NULL");
  if ((rc = grtk__check_store(x, "x", GRTK_FLOAT, 0, fn)) < 0 ||
      (rc = grtk__check_store(y, "y", GRTK_FLOAT, 0, fn)) < 0 ||
      (rc = grtk__check_like(x, "x", y, "y", fn)) < 0)
    return rc;
  grt_launch_t *l;
  if ((rc = grtk__launch(k, GRTK_T_DOT, fn, &l)) < 0) return rc;
  int ix, iy;
  if ((rc = ix = grtk__arg(l, grt_launch_add_input(l, x), fn)) < 0 ||
      (rc = iy = grtk__arg(l, grt_launch_add_input(l, y), fn)) < 0 ||
      (rc = grtk__arg(l, grt_launch_align(l, ix, iy), fn)) < 0 ||
      (rc = grtk__arg(l, grt_launch_reduce_result(l, grt_store_type(x), GRT_REDOP_SUM), fn)) < 0)
    return rc;
  return grtk__submit(l, out, fn);
}

/* ---- scalar futures ----
 * Scalars: [0] op, then one or two futures. */

void grtk__future_op_cpu(grt_task_context_t *ctx) {
  int op = grtk__scalar_i32(ctx, 0);
  if (op == GRTK_FOP_SQRT_F32) {
    float v = sqrtf(grtk__scalar_f32(ctx, 1));
    grt_task_return(ctx, &v, sizeof v);
    return;
  }
  double a = grtk__scalar_f64(ctx, 1);
  double v = op == GRTK_FOP_DIV ? a / grtk__scalar_f64(ctx, 2) : sqrt(a);
  grt_task_return(ctx, &v, sizeof v);
}

static int future_op(grtk_t *k, int op, const char *fn, grt_future_t *a, grt_future_t *b,
                     grt_future_t **out) {
  int rc;
  grt_launch_t *l;
  if ((rc = grtk__launch(k, GRTK_T_FUTURE_OP, fn, &l)) < 0 ||
      (rc = grtk__add_i32(l, op, fn)) < 0 ||
      (rc = grtk__arg(l, grt_launch_add_future(l, a), fn)) < 0)
    return rc;
  if (b && (rc = grtk__arg(l, grt_launch_add_future(l, b), fn)) < 0) return rc;
  const grt_type_t *t = op == GRTK_FOP_SQRT_F32 ? grt_type_float32() : grt_type_float64();
  /* One point: its result "reduced" alone is the value. */
  if ((rc = grtk__arg(l, grt_launch_reduce_result(l, t, GRT_REDOP_SUM), fn)) < 0) return rc;
  return grtk__submit(l, out, fn);
}

GRTK_EXPORT int grtk_future_div(grtk_t *k, grt_future_t *a, grt_future_t *b,
                                grt_future_t **out) {
  const char *fn = "grtk_future_div";
  int rc;
  if (out) *out = NULL;
  if ((rc = grtk__check_handle(k, fn)) < 0) return rc;
  if (!out) return grtk__error(GRT_EINVAL, fn, "out is NULL");
  if (!a) return grtk__error(GRT_EINVAL, fn, "a is NULL");
  if (!b) return grtk__error(GRT_EINVAL, fn, "b is NULL");
  return future_op(k, GRTK_FOP_DIV, fn, a, b, out);
}

GRTK_EXPORT int grtk_future_sqrt(grtk_t *k, grt_future_t *a, grt_future_t **out) {
  const char *fn = "grtk_future_sqrt";
  int rc;
  if (out) *out = NULL;
  if ((rc = grtk__check_handle(k, fn)) < 0) return rc;
  if (!out) return grtk__error(GRT_EINVAL, fn, "out is NULL");
  if (!a) return grtk__error(GRT_EINVAL, fn, "a is NULL");
  return future_op(k, GRTK_FOP_SQRT, fn, a, NULL, out);
}

GRTK_EXPORT int grtk_norm2(grtk_t *k, grt_store_t *x, grt_future_t **out) {
  const char *fn = "grtk_norm2";
  int rc;
  if (out) *out = NULL;
  if ((rc = grtk__check_handle(k, fn)) < 0) return rc;
  if (!out) return grtk__error(GRT_EINVAL, fn, "out is NULL");
  grt_future_t *sq;
  if ((rc = reduce(k, GRTK_RED_SUMSQ, fn, x, GRTK_FLOAT, &sq)) < 0) return rc;
  int op = grt_type_code(grt_store_type(x)) == GRT_TYPE_FLOAT32 ? GRTK_FOP_SQRT_F32
                                                                 : GRTK_FOP_SQRT;
  rc = future_op(k, op, fn, sq, NULL, out);
  grt_future_destroy(sq); /* the sqrt launch holds its own reference */
  return rc;
}
