/* task.c - the task ABI a variant sees: its arguments, scalars, point, result, failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grt_error.h"
#include "op.h"

/* ---- the task ABI ---- */

GRT_EXPORT int grt_task_num_args(const grt_task_context_t *ctx) {
  return ctx ? ctx->op->nargs : GRT_EINVAL;
}

GRT_EXPORT int grt_task_arg(const grt_task_context_t *ctx, int i, grt_buffer_t *out) {
  if (!ctx || !out) return grt__error(GRT_EINVAL, "grt_task_arg: %s is NULL", ctx ? "out" : "ctx");
  if (i < 0 || i >= ctx->op->nargs)
    return grt__error(GRT_EINVAL, "grt_task_arg: i = %d out of range (task has %d store arguments)",
                      i, ctx->op->nargs);
  *out = ctx->args[i];
  return 0;
}

GRT_EXPORT const void *grt_task_scalar(const grt_task_context_t *ctx, int i) {
  if (!ctx || i < 0 || i >= ctx->op->nscalars) {
    grt__error(GRT_EINVAL, "grt_task_scalar: i = %d out of range", i);
    return NULL;
  }
  return ctx->scalars[i];
}

GRT_EXPORT int grt_task_point(const grt_task_context_t *ctx, int64_t *point) {
  if (!ctx || !point) return grt__error(GRT_EINVAL, "grt_task_point: %s is NULL", ctx ? "point" : "ctx");
  memcpy(point, ctx->point, sizeof(int64_t) * (size_t)ctx->op->launch_ndim);
  return ctx->op->launch_ndim;
}

GRT_EXPORT int grt_task_launch_shape(const grt_task_context_t *ctx, int64_t *shape) {
  if (!ctx || !shape)
    return grt__error(GRT_EINVAL, "grt_task_launch_shape: %s is NULL", ctx ? "shape" : "ctx");
  memcpy(shape, ctx->op->launch_shape, sizeof(int64_t) * (size_t)ctx->op->launch_ndim);
  return ctx->op->launch_ndim;
}

GRT_EXPORT void grt_task_return(grt_task_context_t *ctx, const void *value, size_t size) {
  if (!ctx) return;
  grt_op_t *op = ctx->op;
  if (op->result_type) {
    size_t rsize = grt_type_size(op->result_type);
    if (size != rsize || !value) {
      char msg[128];
      snprintf(msg, sizeof msg, "grt_task_return: size %zu does not match the result type's %zu",
               size, rsize);
      grt__op_fail(op, msg);
      return;
    }
    memcpy(op->results + (size_t)ctx->index * rsize, value, rsize);
    op->has_result[ctx->index] = 1;
    return;
  }
  if (op->npoints != 1 || !op->result) return; /* nobody can read it */
  if (size > GRT_TASK_RETURN_MAX) {
    /* Refused on one rank too: the value could not reach the other ranks,
     * and a program must not work on one rank and fail on two. */
    char msg[128];
    snprintf(msg, sizeof msg, "grt_task_return: %zu bytes exceed GRT_TASK_RETURN_MAX (%d)", size,
             GRT_TASK_RETURN_MAX);
    grt__op_fail(op, msg);
    return;
  }
  free(op->ret);
  op->ret = malloc(sizeof(size_t) + size);
  if (!op->ret) {
    grt__op_fail(op, "grt_task_return: out of host memory");
    return;
  }
  *(size_t *)op->ret = size;
  if (size) memcpy((char *)op->ret + sizeof(size_t), value, size);
}

GRT_EXPORT void *grt_task_cuda_stream(const grt_task_context_t *ctx) {
  (void)ctx;
  return NULL;
}

GRT_EXPORT void grt_task_fail(grt_task_context_t *ctx, const char *msg) {
  if (!ctx) return;
  grt__op_fail(ctx->op, msg);
}

GRT_EXPORT grt_proc_kind_t grt_task_proc_kind(const grt_task_context_t *ctx) {
  return ctx ? ctx->kind : GRT_PROC_CPU;
}

GRT_EXPORT int grt_task_num_omp_threads(const grt_task_context_t *ctx) {
  return ctx ? ctx->omp_threads : 1;
}

GRT_EXPORT int grt_task_worker(const grt_task_context_t *ctx) {
  if (!ctx) return grt__error(GRT_EINVAL, "grt_task_worker: ctx is NULL");
  return ctx->worker;
}
