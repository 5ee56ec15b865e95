/* type.c - Arrow-compatible element types: built-ins and the interning registry. */
#include "type.h"
#include "grt_error.h"
#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- built-in types ----
 *
 * Static and shared by every runtime. Sizes and alignments are those of the C
 * types a task uses to read the data (bool is one byte per element, not
 * Arrow's bit-packed buffer: see docs/types.md). Complex types are Arrow
 * fixed-size lists of two floats ("+w:2"): their one field (Arrow child) is the
 * float type, so an exporter walking format/fields builds the right
 * ArrowSchema tree. */

#define SCALAR(code_, size_, fmt_) \
  { .code = (code_), .size = (size_), .align = (size_), .format = fmt_ }

static const grt_type_t builtin[] = {
    SCALAR(GRT_TYPE_BOOL, 1, "b"),    SCALAR(GRT_TYPE_INT8, 1, "c"),
    SCALAR(GRT_TYPE_INT16, 2, "s"),   SCALAR(GRT_TYPE_INT32, 4, "i"),
    SCALAR(GRT_TYPE_INT64, 8, "l"),   SCALAR(GRT_TYPE_UINT8, 1, "C"),
    SCALAR(GRT_TYPE_UINT16, 2, "S"),  SCALAR(GRT_TYPE_UINT32, 4, "I"),
    SCALAR(GRT_TYPE_UINT64, 8, "L"),  SCALAR(GRT_TYPE_FLOAT16, 2, "e"),
    SCALAR(GRT_TYPE_FLOAT32, 4, "f"), SCALAR(GRT_TYPE_FLOAT64, 8, "g"),
};
#undef SCALAR

#define NBUILTIN ((int)(sizeof builtin / sizeof builtin[0]))

/* The one field of each complex type; points into builtin[]. */
static const grt_type_t *const complex64_fields[1] = {&builtin[GRT_TYPE_FLOAT32]};
static const grt_type_t *const complex128_fields[1] = {&builtin[GRT_TYPE_FLOAT64]};
static const size_t complex_offsets[1] = {0};

static const grt_type_t complex64 = {
    .code = GRT_TYPE_COMPLEX64, .size = 8, .align = 4, .format = "+w:2", .nfields = 1,
    .fields = (const grt_type_t **)complex64_fields, .offsets = (size_t *)complex_offsets};
static const grt_type_t complex128 = {
    .code = GRT_TYPE_COMPLEX128, .size = 16, .align = 8, .format = "+w:2", .nfields = 1,
    .fields = (const grt_type_t **)complex128_fields, .offsets = (size_t *)complex_offsets};

GRT_EXPORT const grt_type_t *grt_type_bool(void) { return &builtin[GRT_TYPE_BOOL]; }
GRT_EXPORT const grt_type_t *grt_type_int8(void) { return &builtin[GRT_TYPE_INT8]; }
GRT_EXPORT const grt_type_t *grt_type_int16(void) { return &builtin[GRT_TYPE_INT16]; }
GRT_EXPORT const grt_type_t *grt_type_int32(void) { return &builtin[GRT_TYPE_INT32]; }
GRT_EXPORT const grt_type_t *grt_type_int64(void) { return &builtin[GRT_TYPE_INT64]; }
GRT_EXPORT const grt_type_t *grt_type_uint8(void) { return &builtin[GRT_TYPE_UINT8]; }
GRT_EXPORT const grt_type_t *grt_type_uint16(void) { return &builtin[GRT_TYPE_UINT16]; }
GRT_EXPORT const grt_type_t *grt_type_uint32(void) { return &builtin[GRT_TYPE_UINT32]; }
GRT_EXPORT const grt_type_t *grt_type_uint64(void) { return &builtin[GRT_TYPE_UINT64]; }
GRT_EXPORT const grt_type_t *grt_type_float16(void) { return &builtin[GRT_TYPE_FLOAT16]; }
GRT_EXPORT const grt_type_t *grt_type_float32(void) { return &builtin[GRT_TYPE_FLOAT32]; }
GRT_EXPORT const grt_type_t *grt_type_float64(void) { return &builtin[GRT_TYPE_FLOAT64]; }
GRT_EXPORT const grt_type_t *grt_type_complex64(void) { return &complex64; }
GRT_EXPORT const grt_type_t *grt_type_complex128(void) { return &complex128; }

bool grt__type_is_builtin(const grt_type_t *t) {
  if (t == &complex64 || t == &complex128) return true;
  for (int i = 0; i < NBUILTIN; i++)
    if (t == &builtin[i]) return true;
  return false;
}

/* ---- the registry ----
 *
 * Derived types (fixed_binary, struct) made through one runtime. Invariant:
 * no two entries of `v` are equal types, so equality is pointer equality.
 * Every entry is owned by the registry and freed with it. The lock makes
 * lookups-and-inserts atomic for callers on different threads. Lookups are a
 * linear scan: programs make a handful of derived types. */
struct grt_type_registry {
  pthread_mutex_t lock;
  grt_type_t **v;
  int n, cap;
};

grt_type_registry_t *grt__type_registry_create(void) {
  grt_type_registry_t *reg = calloc(1, sizeof *reg);
  if (!reg) return NULL;
  pthread_mutex_init(&reg->lock, NULL);
  return reg;
}

static void type_free(grt_type_t *t) {
  free(t->fields);
  free(t->offsets);
  free(t);
}

void grt__type_registry_destroy(grt_type_registry_t *reg) {
  if (!reg) return;
  for (int i = 0; i < reg->n; i++) type_free(reg->v[i]);
  free(reg->v);
  pthread_mutex_destroy(&reg->lock);
  free(reg);
}

static bool registry_has(const grt_type_registry_t *reg, const grt_type_t *t) {
  for (int i = 0; i < reg->n; i++)
    if (reg->v[i] == t) return true;
  return false;
}

bool grt__type_known(grt_type_registry_t *reg, const grt_type_t *t) {
  if (!t) return false;
  if (grt__type_is_builtin(t)) return true;
  if (!reg) return false;
  pthread_mutex_lock(&reg->lock);
  bool found = registry_has(reg, t);
  pthread_mutex_unlock(&reg->lock);
  return found;
}

static bool same_type(const grt_type_t *a, const grt_type_t *b) {
  if (a->code != b->code || a->size != b->size || a->nfields != b->nfields) return false;
  for (int i = 0; i < a->nfields; i++)
    if (a->fields[i] != b->fields[i]) return false;   /* fields are interned */
  return true;
}

/* Returns the registry's entry equal to *cand, inserting cand if there is
 * none (ownership passes to the registry either way: a duplicate is freed).
 * Called with the lock held. NULL when out of memory (cand freed). */
static const grt_type_t *intern(grt_type_registry_t *reg, grt_type_t *cand, const char *fn) {
  for (int i = 0; i < reg->n; i++)
    if (same_type(reg->v[i], cand)) {
      type_free(cand);
      return reg->v[i];
    }
  if (reg->n == reg->cap) {
    int cap = reg->cap ? 2 * reg->cap : 16;
    grt_type_t **v = realloc(reg->v, (size_t)cap * sizeof *v);
    if (!v) {
      type_free(cand);
      grt__error(GRT_ENOMEM, "%s: out of host memory", fn);
      return NULL;
    }
    reg->v = v;
    reg->cap = cap;
  }
  reg->v[reg->n++] = cand;
  return cand;
}

const grt_type_t *grt__type_fixed_binary(grt_type_registry_t *reg, size_t width) {
  if (width == 0) {
    grt__error(GRT_EINVAL, "grt_type_fixed_binary: width is 0 (must be at least 1 byte)");
    return NULL;
  }
  grt_type_t *t = calloc(1, sizeof *t);
  if (!t) {
    grt__error(GRT_ENOMEM, "grt_type_fixed_binary: out of host memory");
    return NULL;
  }
  t->code = GRT_TYPE_FIXED_BINARY;
  t->size = width;
  t->align = 1;
  snprintf(t->format, sizeof t->format, "w:%zu", width);
  pthread_mutex_lock(&reg->lock);
  const grt_type_t *r = intern(reg, t, "grt_type_fixed_binary");
  pthread_mutex_unlock(&reg->lock);
  return r;
}

/* Lays out the struct's fields as a C compiler does: each at the next offset
 * aligned to its alignment, the size rounded up to the largest alignment. */
const grt_type_t *grt__type_struct(grt_type_registry_t *reg, int n,
                                   const grt_type_t *const *fields) {
  if (n < 1) {
    grt__error(GRT_EINVAL, "grt_type_struct: n is %d (must be at least 1)", n);
    return NULL;
  }
  if (!fields) {
    grt__error(GRT_EINVAL, "grt_type_struct: fields is NULL");
    return NULL;
  }
  pthread_mutex_lock(&reg->lock);
  for (int i = 0; i < n; i++) {
    if (!fields[i]) {
      pthread_mutex_unlock(&reg->lock);
      grt__error(GRT_EINVAL, "grt_type_struct: fields[%d] is NULL", i);
      return NULL;
    }
    if (!grt__type_is_builtin(fields[i]) && !registry_has(reg, fields[i])) {
      pthread_mutex_unlock(&reg->lock);
      grt__error(GRT_EINVAL, "grt_type_struct: fields[%d] is not a type of this runtime", i);
      return NULL;
    }
  }
  grt_type_t *t = calloc(1, sizeof *t);
  const grt_type_t **fs = t ? malloc((size_t)n * sizeof *fs) : NULL;
  size_t *offs = fs ? malloc((size_t)n * sizeof *offs) : NULL;
  if (!offs) {
    pthread_mutex_unlock(&reg->lock);
    free(fs);
    free(t);
    grt__error(GRT_ENOMEM, "grt_type_struct: out of host memory");
    return NULL;
  }
  size_t off = 0, align = 1;
  for (int i = 0; i < n; i++) {
    size_t a = fields[i]->align;
    size_t start = (off + a - 1) / a * a;
    if (start < off || fields[i]->size > SIZE_MAX - start) {
      pthread_mutex_unlock(&reg->lock);
      free(offs);
      free(fs);
      free(t);
      grt__error(GRT_EINVAL, "grt_type_struct: fields[%d] makes the struct larger than SIZE_MAX",
                 i);
      return NULL;
    }
    fs[i] = fields[i];
    offs[i] = start;
    off = start + fields[i]->size;
    if (a > align) align = a;
  }
  size_t size = (off + align - 1) / align * align;
  if (size < off) {
    pthread_mutex_unlock(&reg->lock);
    free(offs);
    free(fs);
    free(t);
    grt__error(GRT_EINVAL, "grt_type_struct: fields make the struct larger than SIZE_MAX");
    return NULL;
  }
  t->code = GRT_TYPE_STRUCT;
  t->size = size;
  t->align = align;
  snprintf(t->format, sizeof t->format, "+s");
  t->nfields = n;
  t->fields = fs;
  t->offsets = offs;
  const grt_type_t *r = intern(reg, t, "grt_type_struct");
  pthread_mutex_unlock(&reg->lock);
  return r;
}

const grt_type_t *grt__store_type_fixed_binary(grt_store_ctx_t *ctx, size_t width) {
  if (grt__store_ctx_check(ctx, "grt_type_fixed_binary: rt") < 0) return NULL;
  return grt__type_fixed_binary(ctx->types, width);
}

const grt_type_t *grt__store_type_struct(grt_store_ctx_t *ctx, int n,
                                         const grt_type_t *const *fields) {
  if (grt__store_ctx_check(ctx, "grt_type_struct: rt") < 0) return NULL;
  return grt__type_struct(ctx->types, n, fields);
}

/* ---- queries ---- */

GRT_EXPORT size_t grt_type_size(const grt_type_t *t) { return t ? t->size : 0; }
GRT_EXPORT size_t grt_type_alignment(const grt_type_t *t) { return t ? t->align : 0; }
GRT_EXPORT const char *grt_type_format(const grt_type_t *t) { return t ? t->format : NULL; }

GRT_EXPORT int grt_type_code(const grt_type_t *t) {
  if (!t) return grt__error(GRT_EINVAL, "grt_type_code: t is NULL");
  return (int)t->code;
}

GRT_EXPORT int grt_type_num_fields(const grt_type_t *t) {
  if (!t) return grt__error(GRT_EINVAL, "grt_type_num_fields: t is NULL");
  return t->nfields;
}

GRT_EXPORT const grt_type_t *grt_type_field(const grt_type_t *t, int i) {
  if (!t) {
    grt__error(GRT_EINVAL, "grt_type_field: t is NULL");
    return NULL;
  }
  if (i < 0 || i >= t->nfields) {
    grt__error(GRT_EINVAL, "grt_type_field: i %d out of range for a type with %d fields", i,
               t->nfields);
    return NULL;
  }
  return t->fields[i];
}

GRT_EXPORT size_t grt_type_field_offset(const grt_type_t *t, int i) {
  if (!t) {
    grt__error(GRT_EINVAL, "grt_type_field_offset: t is NULL");
    return 0;
  }
  if (i < 0 || i >= t->nfields) {
    grt__error(GRT_EINVAL, "grt_type_field_offset: i %d out of range for a type with %d fields",
               i, t->nfields);
    return 0;
  }
  return t->offsets[i];
}

int grt__type_is_numeric(const grt_type_t *t) {
  if (!t) return 0;
  switch (t->code) {
  case GRT_TYPE_INT8: case GRT_TYPE_INT16: case GRT_TYPE_INT32: case GRT_TYPE_INT64:
  case GRT_TYPE_UINT8: case GRT_TYPE_UINT16: case GRT_TYPE_UINT32: case GRT_TYPE_UINT64:
  case GRT_TYPE_FLOAT16: case GRT_TYPE_FLOAT32: case GRT_TYPE_FLOAT64:
  case GRT_TYPE_COMPLEX64: case GRT_TYPE_COMPLEX128:
    return 1;
  default:
    return 0;
  }
}
