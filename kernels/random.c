/* random.c - counter-based uniform random numbers (Philox-4x32-10), so that a
 * value depends only on the seed and the element's linear index. */
#include "kernels_internal.h"

/* Philox-4x32-10 (Salmon et al., SC'11): key = seed, counter = (index, 0). */
void grtk__philox(uint64_t seed, uint64_t counter, uint32_t out[4]) {
  uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int r = 0; r < 10; r++) {
    uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n1 = (uint32_t)p1;
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1, n3 = (uint32_t)p0;
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

typedef struct random_data {
  int code;
  uint64_t seed;
} random_data_t;

static void random_row(void *data, int64_t n, char *p, int64_t s, int64_t idx) {
  const random_data_t *r = data;
  uint32_t w[4];
  if (r->code == GRT_TYPE_FLOAT64) {
    double *o = (double *)p;
    for (int64_t i = 0; i < n; i++) {
      grtk__philox(r->seed, (uint64_t)(idx + i), w);
      uint64_t bits = ((uint64_t)w[0] << 32 | w[1]) >> 11;
      o[i * s] = (double)bits * 0x1.0p-53;
    }
  } else {
    float *o = (float *)p;
    for (int64_t i = 0; i < n; i++) {
      grtk__philox(r->seed, (uint64_t)(idx + i), w);
      o[i * s] = (float)(w[0] >> 8) * 0x1.0p-24f;
    }
  }
}

static void random_task(grt_task_context_t *ctx, bool omp) {
  grt_buffer_t b;
  if (!grtk__task_arg(ctx, 0, &b)) return;
  random_data_t r = {grtk__code(&b), (uint64_t)grtk__scalar_i64(ctx, 0)};
  int64_t shape[GRT_MAX_DIM];
  for (int d = 0; d < GRT_MAX_DIM; d++) shape[d] = grtk__scalar_i64(ctx, 1 + d);
  grtk__index_run(&b, shape, omp, random_row, &r);
}
void grtk__random_cpu(grt_task_context_t *ctx) { random_task(ctx, false); }
void grtk__random_omp(grt_task_context_t *ctx) { random_task(ctx, true); }

GRTK_EXPORT int grtk_random(grtk_t *k, grt_store_t *s, uint64_t seed) {
  const char *fn = "grtk_random";
  int rc;
  grt_launch_t *l;
  if ((rc = grtk__check_handle(k, fn)) < 0 ||
      (rc = grtk__check_store(s, "s", GRTK_FLOAT, 0, fn)) < 0 ||
      (rc = grtk__launch(k, GRTK_T_RANDOM, fn, &l)) < 0)
    return rc;
  int64_t shape[GRT_MAX_DIM] = {0};
  grt_store_shape(s, shape);
  if ((rc = grtk__arg(l, grt_launch_add_output(l, s), fn)) < 0 ||
      (rc = grtk__add_i64(l, (int64_t)seed, fn)) < 0)
    return rc;
  for (int d = 0; d < GRT_MAX_DIM; d++)
    if ((rc = grtk__add_i64(l, shape[d], fn)) < 0) return rc;
  return grtk__submit(l, NULL, fn);
}
