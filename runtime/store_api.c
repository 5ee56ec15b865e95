/* store_api.c - the public store, array and type calls that take a runtime:
 * each hands the runtime's store context to the store layer (store.h),
 * which never sees grt_runtime_t's fields; and the runtime's liveness,
 * which is its store context's. */
#include "store_api.h"

#include "runtime.h"

/* NULL for a NULL runtime; otherwise only an address until the store layer
 * has found it live (grt__store_ctx_check). */
static inline grt_store_ctx_t *ctx_of(grt_runtime_t *rt) { return rt ? &rt->store_ctx : NULL; }

/* Live runtimes: a runtime is live while its store context is open
 * (store_ctx.h), so that a call on a finalized runtime reports GRT_ESTATE
 * instead of touching freed memory. &rt->store_ctx is only compared, never
 * read, until the runtime is known to be live. Here rather than in
 * runtime.c: every module that takes a runtime from the application checks
 * it first, and runtime.c sits above them all. */
bool grt__store_api_live(const grt_runtime_t *rt) {
  return grt__store_ctx_live(rt ? &rt->store_ctx : NULL);
}

/* Every entry point that acts on a runtime calls this first: it also refuses
 * calls from inside a task body (grt_error.h). */
int grt__store_api_check(const grt_runtime_t *rt, const char *argname) {
  return grt__store_ctx_check(rt ? &rt->store_ctx : NULL, argname);
}

GRT_EXPORT int grt_store_create(grt_runtime_t *rt, const grt_type_t *type, int ndim,
                                const int64_t *shape, grt_store_t **out) {
  return grt__store_create(ctx_of(rt), "grt_store_create", type, ndim, shape, out);
}

/* Internal: grt_store_create with the caller's name in messages. */
int grt__store_api_create_named(const char *fn, grt_runtime_t *rt, const grt_type_t *type,
                            int ndim, const int64_t *shape, grt_store_t **out) {
  return grt__store_create(ctx_of(rt), fn, type, ndim, shape, out);
}

GRT_EXPORT int grt_store_attach(grt_runtime_t *rt, const grt_type_t *type, int ndim,
                                const int64_t *shape, void *buffer, grt_store_t **out) {
  return grt__store_attach(ctx_of(rt), type, ndim, shape, buffer, out);
}

GRT_EXPORT int grt_array_create(grt_runtime_t *rt, const grt_type_t *type, int ndim,
                                const int64_t *shape, bool nullable, grt_array_t **out) {
  return grt__array_create(ctx_of(rt), type, ndim, shape, nullable, out);
}

GRT_EXPORT const grt_type_t *grt_type_fixed_binary(grt_runtime_t *rt, size_t width) {
  return grt__store_type_fixed_binary(ctx_of(rt), width);
}

GRT_EXPORT const grt_type_t *grt_type_struct(grt_runtime_t *rt, int n,
                                             const grt_type_t *const *fields) {
  return grt__store_type_struct(ctx_of(rt), n, fields);
}
