/* elementwise.c - fill, arange, axpby (axpy, scale, future forms), the binary
 * arithmetic kernels and transpose-copy. */
#include <string.h>

#include "kernels_internal.h"

/* ---- shared launch shapes ---- */

/* Adds the shape of @p s padded to GRT_MAX_DIM as four int64 scalars. */
static int add_shape(grt_launch_t *l, grt_store_t *s, const char *fn) {
  int64_t shape[GRT_MAX_DIM] = {0};
  grt_store_shape(s, shape);
  for (int d = 0; d < GRT_MAX_DIM; d++) {
    int rc = grtk__add_i64(l, shape[d], fn);
    if (rc < 0) return rc;
  }
  return 0;
}

static void read_shape(grt_task_context_t *ctx, int first, int64_t *shape) {
  for (int d = 0; d < GRT_MAX_DIM; d++) shape[d] = grtk__scalar_i64(ctx, first + d);
}

/* Refuses a double that does not convert to int64 (NaN, infinite, out of
 * range) when @p s is an int64 store: the conversion would be undefined. */
static int check_int64_value(grt_store_t *s, double v, const char *name, const char *fn) {
  if (grt_type_code(grt_store_type(s)) != GRT_TYPE_INT64) return 0;
  if (!(v >= -0x1p63 && v < 0x1p63))
    return grtk__error(GRT_EINVAL, fn, "%s = %g does not fit the int64 store", name, v);
  return 0;
}

/* ---- fill ---- */

typedef struct fill_data {
  int code;
  double v;
} fill_data_t;

static void fill_row(void *data, int64_t n, char *const *p, const int64_t *s) {
  const fill_data_t *f = data;
  int64_t st = s[0];
  switch (f->code) {
  case GRT_TYPE_FLOAT64: {
    double *o = (double *)p[0];
    if (st == 1)
      for (int64_t i = 0; i < n; i++) o[i] = f->v;
    else
      for (int64_t i = 0; i < n; i++) o[i * st] = f->v;
    break;
  }
  case GRT_TYPE_FLOAT32: {
    float *o = (float *)p[0], v = (float)f->v;
    for (int64_t i = 0; i < n; i++) o[i * st] = v;
    break;
  }
  default: {
    int64_t *o = (int64_t *)p[0], v = (int64_t)f->v;
    for (int64_t i = 0; i < n; i++) o[i * st] = v;
    break;
  }
  }
}

static void fill_task(grt_task_context_t *ctx, bool omp) {
  grt_buffer_t b;
  if (!grtk__task_arg(ctx, 0, &b)) return;
  fill_data_t f = {grtk__code(&b), grtk__scalar_f64(ctx, 0)};
  grtk_iter_t it;
  grtk__iter_init(&it, 1, &b);
  grtk__iter_run(&it, omp, fill_row, &f);
}
void grtk__fill_cpu(grt_task_context_t *ctx) { fill_task(ctx, false); }
void grtk__fill_omp(grt_task_context_t *ctx) { fill_task(ctx, true); }

GRTK_EXPORT int grtk_fill(grtk_t *k, grt_store_t *s, double v) {
  const char *fn = "grtk_fill";
  int rc;
  grt_launch_t *l;
  if ((rc = grtk__check_handle(k, fn)) < 0 ||
      (rc = grtk__check_store(s, "s", GRTK_NUMERIC, 0, fn)) < 0 ||
      (rc = check_int64_value(s, v, "v", fn)) < 0 ||
      (rc = grtk__launch(k, GRTK_T_FILL, fn, &l)) < 0)
    return rc;
  if ((rc = grtk__arg(l, grt_launch_add_output(l, s), fn)) < 0 ||
      (rc = grtk__add_f64(l, v, fn)) < 0)
    return rc;
  return grtk__submit(l, NULL, fn);
}

/* ---- arange ---- */

typedef struct arange_data {
  int code;
  double start, step;
  int64_t istart, istep;
} arange_data_t;

static void arange_row(void *data, int64_t n, char *p, int64_t s, int64_t idx) {
  const arange_data_t *a = data;
  switch (a->code) {
  case GRT_TYPE_FLOAT64:
    for (int64_t i = 0; i < n; i++) ((double *)p)[i * s] = a->start + (double)(idx + i) * a->step;
    break;
  case GRT_TYPE_FLOAT32:
    for (int64_t i = 0; i < n; i++)
      ((float *)p)[i * s] = (float)(a->start + (double)(idx + i) * a->step);
    break;
  default:
    for (int64_t i = 0; i < n; i++) ((int64_t *)p)[i * s] = a->istart + (idx + i) * a->istep;
    break;
  }
}

static void arange_task(grt_task_context_t *ctx, bool omp) {
  grt_buffer_t b;
  if (!grtk__task_arg(ctx, 0, &b)) return;
  arange_data_t a = {grtk__code(&b), grtk__scalar_f64(ctx, 0), grtk__scalar_f64(ctx, 1), 0, 0};
  a.istart = (int64_t)a.start;
  a.istep = (int64_t)a.step;
  int64_t shape[GRT_MAX_DIM];
  read_shape(ctx, 2, shape);
  grtk__index_run(&b, shape, omp, arange_row, &a);
}
void grtk__arange_cpu(grt_task_context_t *ctx) { arange_task(ctx, false); }
void grtk__arange_omp(grt_task_context_t *ctx) { arange_task(ctx, true); }

GRTK_EXPORT int grtk_arange(grtk_t *k, grt_store_t *s, double start, double step) {
  const char *fn = "grtk_arange";
  int rc;
  grt_launch_t *l;
  if ((rc = grtk__check_handle(k, fn)) < 0 ||
      (rc = grtk__check_store(s, "s", GRTK_NUMERIC, 0, fn)) < 0 ||
      (rc = check_int64_value(s, start, "start", fn)) < 0 ||
      (rc = check_int64_value(s, step, "step", fn)) < 0 ||
      (rc = grtk__launch(k, GRTK_T_ARANGE, fn, &l)) < 0)
    return rc;
  if ((rc = grtk__arg(l, grt_launch_add_output(l, s), fn)) < 0 ||
      (rc = grtk__add_f64(l, start, fn)) < 0 || (rc = grtk__add_f64(l, step, fn)) < 0 ||
      (rc = add_shape(l, s, fn)) < 0)
    return rc;
  return grtk__submit(l, NULL, fn);
}

/* ---- axpby: y = a x + b y (and y = b y when there is no x) ----
 * Scalars: [0] a (f64), [1] b (f64), [2] flags (i32), then the futures:
 * FUT_A multiplies a by the next future, FUT_B multiplies b by the next,
 * FUT_B_DEN then divides b by the one after (b = 1 * num / den: the bits of
 * grtk_future_div(num, den)). */
enum { FUT_A = 1, FUT_B = 2, FUT_B_DEN = 4 };

typedef struct axpby_data {
  double a, b;
  float af, bf;
  int code;
} axpby_data_t;

static void axpby_row(void *data, int64_t n, char *const *p, const int64_t *s) {
  const axpby_data_t *d = data;
  if (d->code == GRT_TYPE_FLOAT64) {
    double *y = (double *)p[0];
    const double *x = (const double *)p[1];
    double a = d->a, b = d->b;
    if (s[0] == 1 && s[1] == 1)
      for (int64_t i = 0; i < n; i++) y[i] = a * x[i] + b * y[i];
    else
      for (int64_t i = 0; i < n; i++) y[i * s[0]] = a * x[i * s[1]] + b * y[i * s[0]];
  } else {
    float *y = (float *)p[0];
    const float *x = (const float *)p[1];
    float a = d->af, b = d->bf;
    if (s[0] == 1 && s[1] == 1)
      for (int64_t i = 0; i < n; i++) y[i] = a * x[i] + b * y[i];
    else
      for (int64_t i = 0; i < n; i++) y[i * s[0]] = a * x[i * s[1]] + b * y[i * s[0]];
  }
}

static void scale_row(void *data, int64_t n, char *const *p, const int64_t *s) {
  const axpby_data_t *d = data;
  if (d->code == GRT_TYPE_FLOAT64) {
    double *y = (double *)p[0];
    for (int64_t i = 0; i < n; i++) y[i * s[0]] *= d->b;
  } else {
    float *y = (float *)p[0];
    for (int64_t i = 0; i < n; i++) y[i * s[0]] *= d->bf;
  }
}

static void axpby_task(grt_task_context_t *ctx, bool omp) {
  grt_buffer_t b[2];
  int nargs = grt_task_num_args(ctx);
  for (int i = 0; i < nargs; i++)
    if (!grtk__task_arg(ctx, i, &b[i])) return;
  axpby_data_t d = {grtk__scalar_f64(ctx, 0), grtk__scalar_f64(ctx, 1), 0, 0, grtk__code(&b[0])};
  int flags = grtk__scalar_i32(ctx, 2), next = 3;
  d.af = (float)d.a;
  d.bf = (float)d.b;
  if (d.code == GRT_TYPE_FLOAT64) {
    if (flags & FUT_A) d.a *= grtk__scalar_f64(ctx, next++);
    if (flags & FUT_B) d.b *= grtk__scalar_f64(ctx, next++);
    if (flags & FUT_B_DEN) d.b /= grtk__scalar_f64(ctx, next++);
  } else {
    if (flags & FUT_A) d.af *= grtk__scalar_f32(ctx, next++);
    if (flags & FUT_B) d.bf *= grtk__scalar_f32(ctx, next++);
    if (flags & FUT_B_DEN) d.bf /= grtk__scalar_f32(ctx, next++);
  }
  grtk_iter_t it;
  if (!grtk__iter_init(&it, nargs, b)) {
    grt_task_fail(ctx, "grtk.axpby: tiles of y and x differ");
    return;
  }
  grtk__iter_run(&it, omp, nargs == 2 ? axpby_row : scale_row, &d);
}
void grtk__axpby_cpu(grt_task_context_t *ctx) { axpby_task(ctx, false); }
void grtk__axpby_omp(grt_task_context_t *ctx) { axpby_task(ctx, true); }

/* The one launcher behind scale, axpy, axpby and their future forms. */
static int axpby_launch(grtk_t *k, const char *fn, grt_store_t *y, double a, grt_future_t *fa,
                        grt_store_t *x, double b, grt_future_t *fb, grt_future_t *fb_den) {
  int rc;
  if ((rc = grtk__check_handle(k, fn)) < 0 ||
      (rc = grtk__check_store(y, "y", GRTK_FLOAT, 0, fn)) < 0)
    return rc;
  if (x && ((rc = grtk__check_store(x, "x", GRTK_FLOAT, 0, fn)) < 0 ||
            (rc = grtk__check_like(y, "y", x, "x", fn)) < 0))
    return rc;
  grt_launch_t *l;
  if ((rc = grtk__launch(k, GRTK_T_AXPBY, fn, &l)) < 0) return rc;
  int iy, ix;
  if ((rc = iy = grtk__arg(l, grt_launch_add_inout(l, y), fn)) < 0) return rc;
  if (x) {
    if ((rc = ix = grtk__arg(l, grt_launch_add_input(l, x), fn)) < 0 ||
        (rc = grtk__arg(l, grt_launch_align(l, iy, ix), fn)) < 0)
      return rc;
  }
  int flags = (fa ? FUT_A : 0) | (fb ? FUT_B : 0) | (fb_den ? FUT_B_DEN : 0);
  if ((rc = grtk__add_f64(l, a, fn)) < 0 || (rc = grtk__add_f64(l, b, fn)) < 0 ||
      (rc = grtk__add_i32(l, flags, fn)) < 0)
    return rc;
  if (fa && (rc = grtk__arg(l, grt_launch_add_future(l, fa), fn)) < 0) return rc;
  if (fb && (rc = grtk__arg(l, grt_launch_add_future(l, fb), fn)) < 0) return rc;
  if (fb_den && (rc = grtk__arg(l, grt_launch_add_future(l, fb_den), fn)) < 0) return rc;
  return grtk__submit(l, NULL, fn);
}

GRTK_EXPORT int grtk_scale(grtk_t *k, grt_store_t *y, double a) {
  return axpby_launch(k, "grtk_scale", y, 0.0, NULL, NULL, a, NULL, NULL);
}

GRTK_EXPORT int grtk_axpy(grtk_t *k, grt_store_t *y, double a, grt_store_t *x) {
  const char *fn = "grtk_axpy";
  if (!x && k && y) return grtk__error(GRT_EINVAL, fn, "x is NULL");
  return axpby_launch(k, fn, y, a, NULL, x, 1.0, NULL, NULL);
}

GRTK_EXPORT int grtk_axpby(grtk_t *k, grt_store_t *y, double a, grt_store_t *x, double b) {
  const char *fn = "grtk_axpby";
  if (!x && k && y) return grtk__error(GRT_EINVAL, fn, "x is NULL");
  return axpby_launch(k, fn, y, a, NULL, x, b, NULL, NULL);
}

GRTK_EXPORT int grtk_axpy_future(grtk_t *k, grt_store_t *y, double scale, grt_future_t *f,
                                 grt_store_t *x) {
  const char *fn = "grtk_axpy_future";
  if (k && y && !x) return grtk__error(GRT_EINVAL, fn, "x is NULL");
  if (k && y && !f) return grtk__error(GRT_EINVAL, fn, "f is NULL");
  return axpby_launch(k, fn, y, scale, f, x, 1.0, NULL, NULL);
}

GRTK_EXPORT int grtk_xpby_future(grtk_t *k, grt_store_t *y, grt_store_t *x, grt_future_t *f) {
  const char *fn = "grtk_xpby_future";
  if (k && y && !x) return grtk__error(GRT_EINVAL, fn, "x is NULL");
  if (k && y && !f) return grtk__error(GRT_EINVAL, fn, "f is NULL");
  return axpby_launch(k, fn, y, 1.0, NULL, x, 1.0, f, NULL);
}

GRTK_EXPORT int grtk_xpby_ratio(grtk_t *k, grt_store_t *y, grt_store_t *x, grt_future_t *num,
                                grt_future_t *den) {
  const char *fn = "grtk_xpby_ratio";
  if (k && y && !x) return grtk__error(GRT_EINVAL, fn, "x is NULL");
  if (k && y && !num) return grtk__error(GRT_EINVAL, fn, "num is NULL");
  if (k && y && !den) return grtk__error(GRT_EINVAL, fn, "den is NULL");
  return axpby_launch(k, fn, y, 1.0, NULL, x, 1.0, num, den);
}

/* ---- binary arithmetic: out = a op b ----
 * Args: [0] out, then the distinct inputs. Scalars: [0] op, [1] index of a's
 * buffer, [2] index of b's buffer (0 when the input is out itself). */

typedef struct binary_data {
  int op, code;
} binary_data_t;

#define BINARY_LOOP(T, EXPR)                                                          \
  do {                                                                                \
    T *o = (T *)p[0];                                                                 \
    const T *x = (const T *)p[1], *y = (const T *)p[2];                               \
    if (s[0] == 1 && s[1] == 1 && s[2] == 1)                                          \
      for (int64_t i = 0; i < n; i++) {                                               \
        T u = x[i], v = y[i];                                                         \
        o[i] = EXPR;                                                                  \
      }                                                                               \
    else                                                                              \
      for (int64_t i = 0; i < n; i++) {                                               \
        T u = x[i * s[1]], v = y[i * s[2]];                                           \
        o[i * s[0]] = EXPR;                                                           \
      }                                                                               \
  } while (0)

#define BINARY_TYPE(T)                                 \
  switch (d->op) {                                     \
  case GRTK_OP_ADD: BINARY_LOOP(T, u + v); break;      \
  case GRTK_OP_SUB: BINARY_LOOP(T, u - v); break;      \
  case GRTK_OP_MUL: BINARY_LOOP(T, u * v); break;      \
  default: BINARY_LOOP(T, u / v); break;               \
  }

static void binary_row(void *data, int64_t n, char *const *p, const int64_t *s) {
  const binary_data_t *d = data;
  switch (d->code) {
  case GRT_TYPE_FLOAT64: BINARY_TYPE(double); break;
  case GRT_TYPE_FLOAT32: BINARY_TYPE(float); break;
  default: BINARY_TYPE(int64_t); break; /* DIV is refused for int64 at launch */
  }
}

static void binary_task(grt_task_context_t *ctx, bool omp) {
  int nargs = grt_task_num_args(ctx);
  grt_buffer_t all[3], b[3];
  for (int i = 0; i < nargs && i < 3; i++)
    if (!grtk__task_arg(ctx, i, &all[i])) return;
  int ia = grtk__scalar_i32(ctx, 1), ib = grtk__scalar_i32(ctx, 2);
  b[0] = all[0];
  b[1] = all[ia];
  b[2] = all[ib];
  binary_data_t d = {grtk__scalar_i32(ctx, 0), grtk__code(&b[0])};
  grtk_iter_t it;
  if (!grtk__iter_init(&it, 3, b)) {
    grt_task_fail(ctx, "grtk.binary: tiles of out, a and b differ");
    return;
  }
  grtk__iter_run(&it, omp, binary_row, &d);
}
void grtk__binary_cpu(grt_task_context_t *ctx) { binary_task(ctx, false); }
void grtk__binary_omp(grt_task_context_t *ctx) { binary_task(ctx, true); }

static int binary(grtk_t *k, int op, const char *fn, grt_store_t *out, grt_store_t *a,
                  grt_store_t *b) {
  int rc;
  unsigned mask = op == GRTK_OP_DIV ? GRTK_FLOAT : GRTK_NUMERIC;
  if ((rc = grtk__check_handle(k, fn)) < 0 ||
      (rc = grtk__check_store(out, "out", mask, 0, fn)) < 0 ||
      (rc = grtk__check_store(a, "a", mask, 0, fn)) < 0 ||
      (rc = grtk__check_store(b, "b", mask, 0, fn)) < 0 ||
      (rc = grtk__check_like(out, "out", a, "a", fn)) < 0 ||
      (rc = grtk__check_like(out, "out", b, "b", fn)) < 0)
    return rc;
  grt_launch_t *l;
  if ((rc = grtk__launch(k, GRTK_T_BINARY, fn, &l)) < 0) return rc;
  /* An input that is the output handle is read through the inout argument:
   * one store must not appear twice with a write among them. */
  bool in_place = out == a || out == b;
  int io = in_place ? grt_launch_add_inout(l, out) : grt_launch_add_output(l, out);
  if ((rc = grtk__arg(l, io, fn)) < 0) return rc;
  int ia = 0, ib = 0;
  if (a != out) {
    if ((rc = ia = grtk__arg(l, grt_launch_add_input(l, a), fn)) < 0 ||
        (rc = grtk__arg(l, grt_launch_align(l, io, ia), fn)) < 0)
      return rc;
  }
  if (b == a) {
    ib = ia;
  } else if (b != out) {
    if ((rc = ib = grtk__arg(l, grt_launch_add_input(l, b), fn)) < 0 ||
        (rc = grtk__arg(l, grt_launch_align(l, io, ib), fn)) < 0)
      return rc;
  }
  if ((rc = grtk__add_i32(l, op, fn)) < 0 || (rc = grtk__add_i32(l, ia, fn)) < 0 ||
      (rc = grtk__add_i32(l, ib, fn)) < 0)
    return rc;
  return grtk__submit(l, NULL, fn);
}

GRTK_EXPORT int grtk_add(grtk_t *k, grt_store_t *out, grt_store_t *a, grt_store_t *b) {
  return binary(k, GRTK_OP_ADD, "grtk_add", out, a, b);
}
GRTK_EXPORT int grtk_sub(grtk_t *k, grt_store_t *out, grt_store_t *a, grt_store_t *b) {
  return binary(k, GRTK_OP_SUB, "grtk_sub", out, a, b);
}
GRTK_EXPORT int grtk_mul(grtk_t *k, grt_store_t *out, grt_store_t *a, grt_store_t *b) {
  return binary(k, GRTK_OP_MUL, "grtk_mul", out, a, b);
}
GRTK_EXPORT int grtk_div(grtk_t *k, grt_store_t *out, grt_store_t *a, grt_store_t *b) {
  return binary(k, GRTK_OP_DIV, "grtk_div", out, a, b);
}

/* ---- transpose-copy: dst = src^T ----
 * Args: [0] dst (write), [1] the transposed view of src (read, aligned), so
 * both tiles cover the same (i, j) of dst; the copy goes in 32 x 32 blocks so
 * that one side's strided accesses stay in cache. */

#define TBLOCK 32

static void transpose_tile(const grt_buffer_t *d, const grt_buffer_t *s) {
  int64_t m = d->hi[0] - d->lo[0] + 1, n = d->hi[1] - d->lo[1] + 1;
  if (m <= 0 || n <= 0) return;
  size_t es = grt_type_size(d->type);
  for (int64_t i0 = 0; i0 < m; i0 += TBLOCK)
    for (int64_t j0 = 0; j0 < n; j0 += TBLOCK) {
      int64_t i1 = i0 + TBLOCK < m ? i0 + TBLOCK : m, j1 = j0 + TBLOCK < n ? j0 + TBLOCK : n;
      for (int64_t i = i0; i < i1; i++) {
        char *dp = (char *)d->ptr + (i * d->stride[0]) * (int64_t)es;
        const char *sp = (const char *)s->ptr + (i * s->stride[0]) * (int64_t)es;
        if (es == 8)
          for (int64_t j = j0; j < j1; j++)
            ((uint64_t *)dp)[j * d->stride[1]] = ((const uint64_t *)sp)[j * s->stride[1]];
        else if (es == 4)
          for (int64_t j = j0; j < j1; j++)
            ((uint32_t *)dp)[j * d->stride[1]] = ((const uint32_t *)sp)[j * s->stride[1]];
        else
          for (int64_t j = j0; j < j1; j++)
            memcpy(dp + j * d->stride[1] * (int64_t)es, sp + j * s->stride[1] * (int64_t)es, es);
      }
    }
}

void grtk__transpose_cpu(grt_task_context_t *ctx) {
  grt_buffer_t d, s;
  if (!grtk__task_arg(ctx, 0, &d) || !grtk__task_arg(ctx, 1, &s)) return;
  transpose_tile(&d, &s);
}

GRTK_EXPORT int grtk_transpose_copy(grtk_t *k, grt_store_t *dst, grt_store_t *src) {
  const char *fn = "grtk_transpose_copy";
  int rc;
  if ((rc = grtk__check_handle(k, fn)) < 0 ||
      (rc = grtk__check_store(dst, "dst", GRTK_ANY, 2, fn)) < 0 ||
      (rc = grtk__check_store(src, "src", GRTK_ANY, 2, fn)) < 0)
    return rc;
  if (dst == src) return grtk__error(GRT_EINVAL, fn, "dst and src are the same store");
  grt_store_t *t;
  if ((rc = grt_store_transpose(src, (const int[]){1, 0}, &t)) < 0) return grtk__pass(rc, fn);
  if ((rc = grtk__check_like(dst, "dst", t, "src^T", fn)) < 0) {
    grt_store_destroy(t);
    return rc;
  }
  grt_launch_t *l;
  if ((rc = grtk__launch(k, GRTK_T_TRANSPOSE, fn, &l)) < 0) {
    grt_store_destroy(t);
    return rc;
  }
  int id, is;
  if ((rc = id = grtk__arg(l, grt_launch_add_output(l, dst), fn)) >= 0 &&
      (rc = is = grtk__arg(l, grt_launch_add_input(l, t), fn)) >= 0 &&
      (rc = grtk__arg(l, grt_launch_align(l, id, is), fn)) >= 0)
    rc = grtk__submit(l, NULL, fn);
  grt_store_destroy(t); /* the launch holds the data */
  return rc;
}
