/* redop.c - reduction operators: SUM/PROD/MIN/MAX on every numeric type, and custom ones. */
#include "redop.h"

#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grt_error.h"
#include "library.h"
#include "runtime.h"

/* float16 folds use the compiler's _Float16 (gcc 12 on x86-64); where there
 * is none (clang 14), half-precision values are converted by hand. */
#if defined(__FLT16_MAX__)
typedef _Float16 f16_t;
#else
#define GRT_SOFT_F16 1
static float h2f(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 31, man = h & 1023, bits;
  if (exp == 31)
    bits = sign | 0x7f800000u | (man << 13);
  else if (exp)
    bits = sign | ((exp + 112) << 23) | (man << 13);
  else if (man) { /* subnormal */
    int e = -1;
    do {
      man <<= 1;
      e++;
    } while (!(man & 1024));
    bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 1023) << 13);
  } else
    bits = sign;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}
static uint16_t f2h(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
  int32_t exp = (int32_t)((x >> 23) & 255) - 112;
  uint32_t man = x & 0x7fffff;
  if (((x >> 23) & 255) == 255) return sign | 0x7c00 | (man ? 0x200 : 0);
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    man |= 0x800000;
    uint32_t shift = (uint32_t)(14 - exp), half = 1u << (shift - 1);
    uint32_t r = man >> shift, rem = man & ((1u << shift) - 1);
    if (rem > half || (rem == half && (r & 1))) r++;
    return sign | (uint16_t)r;
  }
  uint32_t r = ((uint32_t)exp << 10) | (man >> 13), rem = man & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) r++;
  return sign | (uint16_t)r;
}
#define SOFT(NAME, EXPR)                                                                \
  static void NAME##_f16(void *d, const void *s, size_t n) {                            \
    uint16_t *a = d;                                                                    \
    const uint16_t *b = s;                                                              \
    for (size_t i = 0; i < n; i++) {                                                    \
      float x = h2f(a[i]), y = h2f(b[i]);                                               \
      a[i] = f2h(EXPR);                                                                 \
    }                                                                                   \
  }
SOFT(sum, x + y)
SOFT(prod, x * y)
SOFT(min, y < x ? y : x)
SOFT(max, y > x ? y : x)
#endif

#define DEFINE_ARITH(NAME, T)                                                           \
  static void sum_##NAME(void *d, const void *s, size_t n) {                            \
    T *a = d;                                                                           \
    const T *b = s;                                                                     \
    for (size_t i = 0; i < n; i++) a[i] = (T)(a[i] + b[i]);                             \
  }                                                                                     \
  static void prod_##NAME(void *d, const void *s, size_t n) {                           \
    T *a = d;                                                                           \
    const T *b = s;                                                                     \
    for (size_t i = 0; i < n; i++) a[i] = (T)(a[i] * b[i]);                             \
  }
#define DEFINE_MINMAX(NAME, T)                                                          \
  static void min_##NAME(void *d, const void *s, size_t n) {                            \
    T *a = d;                                                                           \
    const T *b = s;                                                                     \
    for (size_t i = 0; i < n; i++)                                                      \
      if (b[i] < a[i]) a[i] = b[i];                                                     \
  }                                                                                     \
  static void max_##NAME(void *d, const void *s, size_t n) {                            \
    T *a = d;                                                                           \
    const T *b = s;                                                                     \
    for (size_t i = 0; i < n; i++)                                                      \
      if (b[i] > a[i]) a[i] = b[i];                                                     \
  }
#define DEFINE_FOLDS(NAME, T) DEFINE_ARITH(NAME, T) DEFINE_MINMAX(NAME, T)

DEFINE_MINMAX(i8, int8_t)
DEFINE_MINMAX(i16, int16_t)
DEFINE_MINMAX(i32, int32_t)
DEFINE_MINMAX(i64, int64_t)
DEFINE_MINMAX(u8, uint8_t)
DEFINE_MINMAX(u16, uint16_t)
DEFINE_MINMAX(u32, uint32_t)
DEFINE_MINMAX(u64, uint64_t)
#ifndef GRT_SOFT_F16
DEFINE_FOLDS(f16, f16_t)
#endif
DEFINE_FOLDS(f32, float)
DEFINE_FOLDS(f64, double)

/* Integer sums wrap (two's complement) rather than overflow: compute unsigned. */
#define DEFINE_WRAP(NAME, T, U)                                                         \
  static void wsum_##NAME(void *d, const void *s, size_t n) {                           \
    T *a = d;                                                                           \
    const T *b = s;                                                                     \
    for (size_t i = 0; i < n; i++) a[i] = (T)((U)a[i] + (U)b[i]);                       \
  }                                                                                     \
  static void wprod_##NAME(void *d, const void *s, size_t n) {                          \
    T *a = d;                                                                           \
    const T *b = s;                                                                     \
    for (size_t i = 0; i < n; i++) a[i] = (T)((U)a[i] * (U)b[i]);                       \
  }
DEFINE_WRAP(i8, int8_t, uint32_t)
DEFINE_WRAP(i16, int16_t, uint32_t)
DEFINE_WRAP(i32, int32_t, uint32_t)
DEFINE_WRAP(i64, int64_t, uint64_t)
DEFINE_WRAP(u8, uint8_t, uint32_t)
DEFINE_WRAP(u16, uint16_t, uint32_t)
DEFINE_WRAP(u32, uint32_t, uint32_t)
DEFINE_WRAP(u64, uint64_t, uint64_t)

static void sum_c64(void *d, const void *s, size_t n) {
  float complex *a = d;
  const float complex *b = s;
  for (size_t i = 0; i < n; i++) a[i] += b[i];
}
static void prod_c64(void *d, const void *s, size_t n) {
  float complex *a = d;
  const float complex *b = s;
  for (size_t i = 0; i < n; i++) a[i] *= b[i];
}
static void sum_c128(void *d, const void *s, size_t n) {
  double complex *a = d;
  const double complex *b = s;
  for (size_t i = 0; i < n; i++) a[i] += b[i];
}
static void prod_c128(void *d, const void *s, size_t n) {
  double complex *a = d;
  const double complex *b = s;
  for (size_t i = 0; i < n; i++) a[i] *= b[i];
}
/* bool: SUM is or, PROD is and, MIN is and, MAX is or. */
static void or_b(void *d, const void *s, size_t n) {
  uint8_t *a = d;
  const uint8_t *b = s;
  for (size_t i = 0; i < n; i++) a[i] = (uint8_t)(a[i] || b[i]);
}
static void and_b(void *d, const void *s, size_t n) {
  uint8_t *a = d;
  const uint8_t *b = s;
  for (size_t i = 0; i < n; i++) a[i] = (uint8_t)(a[i] && b[i]);
}

typedef struct {
  grt_fold_fn fold[4];  /* SUM, PROD, MIN, MAX (NULL where undefined) */
  unsigned char id[4][16];
} builtin_t;

static builtin_t builtins[GRT_TYPE_COMPLEX128 + 1];
static pthread_once_t builtins_once = PTHREAD_ONCE_INIT;

#define SET_IDS(CODE, T, LO, HI)                                                        \
  do {                                                                                  \
    T z = (T)0, o = (T)1, lo = LO, hi = HI;                                             \
    memcpy(builtins[CODE].id[GRT_REDOP_SUM], &z, sizeof z);                             \
    memcpy(builtins[CODE].id[GRT_REDOP_PROD], &o, sizeof o);                            \
    memcpy(builtins[CODE].id[GRT_REDOP_MIN], &hi, sizeof hi);                           \
    memcpy(builtins[CODE].id[GRT_REDOP_MAX], &lo, sizeof lo);                           \
  } while (0)
#define SET_FOLDS(CODE, S, P, MN, MX)                                                   \
  do {                                                                                  \
    builtins[CODE].fold[GRT_REDOP_SUM] = S;                                             \
    builtins[CODE].fold[GRT_REDOP_PROD] = P;                                            \
    builtins[CODE].fold[GRT_REDOP_MIN] = MN;                                            \
    builtins[CODE].fold[GRT_REDOP_MAX] = MX;                                            \
  } while (0)

static void builtins_init(void) {
  SET_FOLDS(GRT_TYPE_BOOL, or_b, and_b, and_b, or_b);
  SET_IDS(GRT_TYPE_BOOL, uint8_t, 0, 1);
  SET_FOLDS(GRT_TYPE_INT8, wsum_i8, wprod_i8, min_i8, max_i8);
  SET_IDS(GRT_TYPE_INT8, int8_t, INT8_MIN, INT8_MAX);
  SET_FOLDS(GRT_TYPE_INT16, wsum_i16, wprod_i16, min_i16, max_i16);
  SET_IDS(GRT_TYPE_INT16, int16_t, INT16_MIN, INT16_MAX);
  SET_FOLDS(GRT_TYPE_INT32, wsum_i32, wprod_i32, min_i32, max_i32);
  SET_IDS(GRT_TYPE_INT32, int32_t, INT32_MIN, INT32_MAX);
  SET_FOLDS(GRT_TYPE_INT64, wsum_i64, wprod_i64, min_i64, max_i64);
  SET_IDS(GRT_TYPE_INT64, int64_t, INT64_MIN, INT64_MAX);
  SET_FOLDS(GRT_TYPE_UINT8, wsum_u8, wprod_u8, min_u8, max_u8);
  SET_IDS(GRT_TYPE_UINT8, uint8_t, 0, UINT8_MAX);
  SET_FOLDS(GRT_TYPE_UINT16, wsum_u16, wprod_u16, min_u16, max_u16);
  SET_IDS(GRT_TYPE_UINT16, uint16_t, 0, UINT16_MAX);
  SET_FOLDS(GRT_TYPE_UINT32, wsum_u32, wprod_u32, min_u32, max_u32);
  SET_IDS(GRT_TYPE_UINT32, uint32_t, 0, UINT32_MAX);
  SET_FOLDS(GRT_TYPE_UINT64, wsum_u64, wprod_u64, min_u64, max_u64);
  SET_IDS(GRT_TYPE_UINT64, uint64_t, 0, UINT64_MAX);
  SET_FOLDS(GRT_TYPE_FLOAT16, sum_f16, prod_f16, min_f16, max_f16);
#ifdef GRT_SOFT_F16
  SET_IDS(GRT_TYPE_FLOAT16, uint16_t, 0xfc00, 0x7c00);
  { uint16_t one = 0x3c00; memcpy(builtins[GRT_TYPE_FLOAT16].id[GRT_REDOP_PROD], &one, 2); }
#else
  SET_IDS(GRT_TYPE_FLOAT16, f16_t, (f16_t)-INFINITY, (f16_t)INFINITY);
#endif
  SET_FOLDS(GRT_TYPE_FLOAT32, sum_f32, prod_f32, min_f32, max_f32);
  SET_IDS(GRT_TYPE_FLOAT32, float, -INFINITY, INFINITY);
  SET_FOLDS(GRT_TYPE_FLOAT64, sum_f64, prod_f64, min_f64, max_f64);
  SET_IDS(GRT_TYPE_FLOAT64, double, -INFINITY, INFINITY);
  SET_FOLDS(GRT_TYPE_COMPLEX64, sum_c64, prod_c64, NULL, NULL);
  SET_IDS(GRT_TYPE_COMPLEX64, float complex, 0, 0);
  SET_FOLDS(GRT_TYPE_COMPLEX128, sum_c128, prod_c128, NULL, NULL);
  SET_IDS(GRT_TYPE_COMPLEX128, double complex, 0, 0);
}

static const char *const op_names[4] = {"SUM", "PROD", "MIN", "MAX"};

int grt__redop_lookup(grt_runtime_t *rt, int op, const grt_type_t *type, const void **identity,
                      grt_fold_fn *fold) {
  pthread_once(&builtins_once, builtins_init);
  if (!type) return grt__error(GRT_EINVAL, "reduction type is NULL");
  if (op >= GRT_REDOP_SUM && op <= GRT_REDOP_MAX) {
    int code = grt_type_code(type);
    if (code < 0 || code > GRT_TYPE_COMPLEX128 || !builtins[code].fold[op])
      return grt__error(GRT_EINVAL, "%s is not defined on type '%s'", op_names[op],
                        grt_type_format(type));
    *identity = builtins[code].id[op];
    *fold = builtins[code].fold[op];
    return 0;
  }
  for (int i = 0; i < rt->nredops; i++)
    if (rt->redops[i].id == op) {
      if (rt->redops[i].type != type)
        return grt__error(GRT_EINVAL, "reduction operator %d was registered for type '%s', not '%s'",
                          op, grt_type_format(rt->redops[i].type), grt_type_format(type));
      *identity = rt->redops[i].identity;
      *fold = rt->redops[i].fold;
      return 0;
    }
  return grt__error(GRT_ENOTFOUND, "reduction operator %d is not registered", op);
}

GRT_EXPORT int grt_redop_register(grt_library_t *lib, const grt_type_t *type,
                                  const void *identity, grt_fold_fn fold) {
  const char *fn = "grt_redop_register";
  if (!lib) return grt__error(GRT_EINVAL, "%s: lib is NULL", fn);
  int rc = grt__store_api_check(lib->rt, fn);
  if (rc < 0) return rc;
  if (!type) return grt__error(GRT_EINVAL, "%s: type is NULL", fn);
  if (!identity) return grt__error(GRT_EINVAL, "%s: identity is NULL", fn);
  if (!fold) return grt__error(GRT_EINVAL, "%s: fold is NULL", fn);
  grt_runtime_t *r = lib->rt;
  grt_redop_info_t *v = realloc(r->redops, sizeof *v * (size_t)(r->nredops + 1));
  if (!v) return grt__error(GRT_ENOMEM, "%s: out of host memory", fn);
  r->redops = v;
  void *id = malloc(grt_type_size(type) ? grt_type_size(type) : 1);
  if (!id) return grt__error(GRT_ENOMEM, "%s: out of host memory", fn);
  memcpy(id, identity, grt_type_size(type));
  grt_redop_info_t *info = &r->redops[r->nredops];
  info->id = GRT_REDOP_CUSTOM + r->nredops;
  info->type = type;
  info->identity = id;
  info->fold = fold;
  r->nredops++;
  return info->id;
}

void grt__redop_free_all(grt_runtime_t *rt) {
  for (int i = 0; i < rt->nredops; i++) free(rt->redops[i].identity);
  free(rt->redops);
  rt->redops = NULL;
  rt->nredops = 0;
}
