/* library.c - the kernels library: registration, the handle, argument checks
 * and the launch helpers every kernel family uses. */
#include <stdlib.h>
#include <string.h>

#include "kernels_internal.h"

#if GRT_HAVE_OPENMP
#define OMP(fn) fn
#else
#define OMP(fn) NULL
#endif

/* Registers every task of the library; @p lib was just created. */
static int register_tasks(grt_library_t *lib) {
  static const struct {
    int id;
    const char *name;
    grt_task_fn cpu, omp;
  } tasks[] = {
      {GRTK_T_FILL, "grtk.fill", grtk__fill_cpu, OMP(grtk__fill_omp)},
      {GRTK_T_ARANGE, "grtk.arange", grtk__arange_cpu, OMP(grtk__arange_omp)},
      {GRTK_T_RANDOM, "grtk.random", grtk__random_cpu, OMP(grtk__random_omp)},
      {GRTK_T_AXPBY, "grtk.axpby", grtk__axpby_cpu, OMP(grtk__axpby_omp)},
      {GRTK_T_BINARY, "grtk.binary", grtk__binary_cpu, OMP(grtk__binary_omp)},
      {GRTK_T_TRANSPOSE, "grtk.transpose_copy", grtk__transpose_cpu, NULL},
      {GRTK_T_REDUCE, "grtk.reduce", grtk__reduce_cpu, OMP(grtk__reduce_omp)},
      {GRTK_T_DOT, "grtk.dot", grtk__dot_cpu, OMP(grtk__dot_omp)},
      {GRTK_T_FUTURE_OP, "grtk.future_op", grtk__future_op_cpu, NULL},
      {GRTK_T_JACOBI2D, "grtk.jacobi2d", grtk__jacobi2d_cpu, OMP(grtk__jacobi2d_omp)},
      {GRTK_T_LAPLACIAN2D, "grtk.laplacian2d", grtk__laplacian2d_cpu,
       OMP(grtk__laplacian2d_omp)},
      {GRTK_T_GEMM, "grtk.gemm", grtk__gemm_cpu, NULL},
      {GRTK_T_CG_UPDATE, "grtk.cg_update", grtk__cg_update_cpu, OMP(grtk__cg_update_omp)},
  };
  for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++) {
    grt_variants_t v = {.cpu = tasks[i].cpu, .omp = tasks[i].omp};
    int rc = grt_task_register(lib, tasks[i].id, tasks[i].name, &v);
    if (rc < 0) return rc;
  }
  return 0;
}

GRTK_EXPORT int grtk_create(grt_runtime_t *rt, grtk_t **out) {
  const char *fn = "grtk_create";
  if (!out) return grtk__error(GRT_EINVAL, fn, "out is NULL");
  *out = NULL;
  if (!rt) return grtk__error(GRT_EINVAL, fn, "rt is NULL");
  grt_library_t *lib;
  int rc = grt_library_find(rt, GRTK_LIBRARY_NAME, &lib);
  if (rc == GRT_ENOTFOUND) {
    if ((rc = grt_library_create(rt, GRTK_LIBRARY_NAME, &lib)) < 0) return grtk__pass(rc, fn);
    if ((rc = register_tasks(lib)) < 0) return grtk__pass(rc, fn);
  } else if (rc < 0) {
    return grtk__pass(rc, fn);
  }
  grtk_t *k = calloc(1, sizeof *k);
  if (!k) return grtk__error(GRT_ENOMEM, fn, "out of host memory");
  k->magic = GRTK_MAGIC;
  k->rt = rt;
  k->lib = lib;
  *out = k;
  return 0;
}

GRTK_EXPORT void grtk_destroy(grtk_t *k) {
  if (!k || k->magic != GRTK_MAGIC) return;
  k->magic = 0;
  free(k);
}

GRTK_EXPORT grt_library_t *grtk_library(const grtk_t *k) {
  return k && k->magic == GRTK_MAGIC ? k->lib : NULL;
}

/* ---- argument checks ---- */

int grtk__check_handle(const grtk_t *k, const char *fn) {
  if (!k) return grtk__error(GRT_EINVAL, fn, "k is NULL");
  if (k->magic != GRTK_MAGIC) return grtk__error(GRT_ESTATE, fn, "k was destroyed");
  return 0;
}

static unsigned type_bit(const grt_type_t *t) {
  switch (grt_type_code(t)) {
  case GRT_TYPE_FLOAT64: return GRTK_F64;
  case GRT_TYPE_FLOAT32: return GRTK_F32;
  case GRT_TYPE_INT64: return GRTK_I64;
  default: return 1u << 31; /* other types: only GRTK_ANY accepts them */
  }
}

static const char *mask_text(unsigned mask) {
  if (mask == GRTK_FLOAT) return "float64 or float32";
  if (mask == GRTK_NUMERIC) return "float64, float32 or int64";
  return "a supported type";
}

int grtk__check_store(grt_store_t *s, const char *name, unsigned mask, int ndim, const char *fn) {
  if (!s) return grtk__error(GRT_EINVAL, fn, "%s is NULL", name);
  int nd = grt_store_ndim(s);
  if (nd < 0) return grtk__pass(nd, fn);
  const grt_type_t *t = grt_store_type(s);
  if (!t) return grtk__error(GRT_EINVAL, fn, "%s is not a valid store", name);
  if (!(type_bit(t) & mask))
    return grtk__error(GRT_EINVAL, fn, "%s has type '%s'; this kernel takes %s", name,
                       grt_type_format(t), mask_text(mask));
  if (ndim > 0 && nd != ndim)
    return grtk__error(GRT_EINVAL, fn, "%s has %d dims; this kernel takes %d", name, nd, ndim);
  return 0;
}

int grtk__check_like(grt_store_t *a, const char *an, grt_store_t *b, const char *bn,
                     const char *fn) {
  if (grt_store_type(a) != grt_store_type(b))
    return grtk__error(GRT_EINVAL, fn, "%s has type '%s' but %s has type '%s'", bn,
                       grt_type_format(grt_store_type(b)), an, grt_type_format(grt_store_type(a)));
  int na = grt_store_ndim(a), nb = grt_store_ndim(b);
  int64_t sa[GRT_MAX_DIM] = {0}, sb[GRT_MAX_DIM] = {0};
  grt_store_shape(a, sa);
  grt_store_shape(b, sb);
  if (na != nb || memcmp(sa, sb, sizeof sa) != 0)
    return grtk__error(GRT_EINVAL, fn, "%s has a different shape from %s", bn, an);
  return 0;
}

/* ---- launch helpers ---- */

int grtk__launch(const grtk_t *k, int task, const char *fn, grt_launch_t **out) {
  int rc = grt_launch_create(k->lib, task, out);
  return rc < 0 ? grtk__pass(rc, fn) : 0;
}

int grtk__arg(grt_launch_t *l, int rc, const char *fn) {
  if (rc >= 0) return rc;
  grtk__pass(rc, fn);
  grt_launch_destroy(l);
  return rc;
}

int grtk__submit(grt_launch_t *l, grt_future_t **out, const char *fn) {
  int rc = grt_launch_submit(l, out);
  return rc < 0 ? grtk__pass(rc, fn) : 0;
}

int grtk__add_i32(grt_launch_t *l, int32_t v, const char *fn) {
  return grtk__arg(l, grt_launch_add_scalar(l, grt_type_int32(), &v), fn);
}
int grtk__add_f64(grt_launch_t *l, double v, const char *fn) {
  return grtk__arg(l, grt_launch_add_scalar(l, grt_type_float64(), &v), fn);
}
int grtk__add_i64(grt_launch_t *l, int64_t v, const char *fn) {
  return grtk__arg(l, grt_launch_add_scalar(l, grt_type_int64(), &v), fn);
}

/* ---- task side ---- */

bool grtk__task_arg(grt_task_context_t *ctx, int i, grt_buffer_t *b) {
  if (grt_task_arg(ctx, i, b) == 0) return true;
  grt_task_fail(ctx, "grt.kernels: missing store argument");
  return false;
}

int grtk__code(const grt_buffer_t *b) { return grt_type_code(b->type); }

/* Scalars and futures are read with memcpy: a future's value carries no
 * alignment promise in the ABI. */
int32_t grtk__scalar_i32(grt_task_context_t *ctx, int i) {
  int32_t v;
  memcpy(&v, grt_task_scalar(ctx, i), sizeof v);
  return v;
}
int64_t grtk__scalar_i64(grt_task_context_t *ctx, int i) {
  int64_t v;
  memcpy(&v, grt_task_scalar(ctx, i), sizeof v);
  return v;
}
double grtk__scalar_f64(grt_task_context_t *ctx, int i) {
  double v;
  memcpy(&v, grt_task_scalar(ctx, i), sizeof v);
  return v;
}
float grtk__scalar_f32(grt_task_context_t *ctx, int i) {
  float v;
  memcpy(&v, grt_task_scalar(ctx, i), sizeof v);
  return v;
}
