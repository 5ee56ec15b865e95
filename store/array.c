/* array.c - arrays: a data store plus an optional bool validity store (Arrow semantics). */
#include "grt_error.h"
#include "store.h"

#include <stdlib.h>

/* The array owns both handles: grt_array_destroy destroys them, and copies
 * the application got from grt_array_data/validity go stale (GRT_ESTATE). A validity
 * element is true where the data element is valid (not null); a new array's
 * validity store reads all false until it is written, like any new store. */
int grt__array_create(grt_store_ctx_t *ctx, const grt_type_t *type, int ndim,
                      const int64_t *shape, bool nullable, grt_array_t **out) {
  static const char fn[] = "grt_array_create";
  if (!out) return grt__error(GRT_EINVAL, "%s: out is NULL", fn);
  *out = NULL;
  grt_store_t *data = NULL, *validity = NULL;
  int rc = grt__store_create(ctx, fn, type, ndim, shape, &data);
  if (rc < 0) return rc;
  if (nullable) {
    rc = grt__store_create(ctx, fn, grt_type_bool(), ndim, shape, &validity);
    if (rc < 0) {
      grt_store_destroy(data);
      return rc;
    }
  }
  grt_array_t *a = malloc(sizeof *a);
  if (!a) {
    grt_store_destroy(validity);
    grt_store_destroy(data);
    return grt__error(GRT_ENOMEM, "%s: out of host memory", fn);
  }
  a->data = data;
  a->validity = validity;
  *out = a;
  return 0;
}

GRT_EXPORT grt_store_t *grt_array_data(grt_array_t *a) {
  if (!a) {
    grt__error(GRT_EINVAL, "grt_array_data: a is NULL");
    return NULL;
  }
  return a->data;
}

GRT_EXPORT grt_store_t *grt_array_validity(grt_array_t *a) {
  if (!a) {
    grt__error(GRT_EINVAL, "grt_array_validity: a is NULL");
    return NULL;
  }
  return a->validity;
}

GRT_EXPORT void grt_array_destroy(grt_array_t *a) {
  /* Refused whole inside a task body (as its two store destroys would be):
   * freeing the array there would leave its stores alive and unreachable. */
  if (!a || grt__task_guard("grt_array_destroy") < 0) return;
  grt_store_destroy(a->validity);
  grt_store_destroy(a->data);
  free(a);
}
