/* type.h - Arrow-compatible element types (internal layout). */
#ifndef GRT_TYPE_H
#define GRT_TYPE_H

#include "grt.h"

/* A type is immutable once made. Built-in types are static; fixed_binary and
 * struct types are made by grt__type_* below and owned by a type registry
 * (one per runtime), which interns them: equal types share one pointer, so
 * type equality is pointer equality. */
struct grt_type {
  grt_type_code_t code;
  size_t size;        /* bytes per element */
  size_t align;       /* alignment in bytes */
  char format[32];    /* Arrow C data interface format string */
  int nfields;        /* struct only */
  const grt_type_t **fields;
  size_t *offsets;    /* struct only: C layout, natural alignment */
};

/* Registry of the runtime's derived types. */
typedef struct grt_type_registry grt_type_registry_t;
grt_type_registry_t *grt__type_registry_create(void);
void grt__type_registry_destroy(grt_type_registry_t *reg);
/* Interned fixed_binary / struct types; NULL with grt_last_error set on bad
 * input (width 0, n < 1, a NULL field) or out of memory. */
const grt_type_t *grt__type_fixed_binary(grt_type_registry_t *reg, size_t width);
const grt_type_t *grt__type_struct(grt_type_registry_t *reg, int n,
                                   const grt_type_t *const *fields);
/* True for the numeric types reductions are defined on (ints, uints, floats, complex). */
int grt__type_is_numeric(const grt_type_t *t);
/* True for the static built-in types (shared by every runtime). */
bool grt__type_is_builtin(const grt_type_t *t);
/* True when @p t is a built-in type or a derived type of @p reg (so a type
 * pointer from another or a finalized runtime, or garbage, is rejected). */
bool grt__type_known(grt_type_registry_t *reg, const grt_type_t *t);

#endif
