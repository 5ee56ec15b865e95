/* kernels_test_util.h - shared helpers of the kernels tests: runtimes with
 * 1..3 workers (and an OpenMP group), host <-> store copies through inline
 * mappings, and reference comparisons. */
#ifndef KERNELS_TEST_UTIL_H
#define KERNELS_TEST_UTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grt_build_config.h"
#include "grt_kernels.h"

/* The machine configurations every kernel is checked on: 1, 2, 3 CPU
 * workers with splitting forced, and (when built) one OpenMP group of 2. */
typedef struct kt_config {
  const char *name;
  int cpus, omps;
} kt_config_t;

static const kt_config_t kt_configs[] = {
    {"cpus=1", 1, 0},
    {"cpus=2", 2, 0},
    {"cpus=3", 3, 0},
#if GRT_HAVE_OPENMP
    {"omps=1x2", 1, 1},
#endif
};
#define KT_NCONFIGS ((int)(sizeof kt_configs / sizeof kt_configs[0]))

typedef struct kt {
  grt_runtime_t *rt;
  grtk_t *k;
  const kt_config_t *cfg;
} kt_t;

static inline kt_t kt_start(const kt_config_t *c) {
  grt_config_t *cfg;
  assert_int_equal(grt_config_create(&cfg), 0);
  char v[16];
  snprintf(v, sizeof v, "%d", c->cpus);
  assert_int_equal(grt_config_set(cfg, "cpus", v), 0);
  snprintf(v, sizeof v, "%d", c->omps);
  assert_int_equal(grt_config_set(cfg, "omps", v), 0);
  if (c->omps) assert_int_equal(grt_config_set(cfg, "ompthreads", "2"), 0);
  assert_int_equal(grt_config_set(cfg, "min_cpu_chunk", "0"), 0);
  kt_t t = {NULL, NULL, c};
  assert_int_equal(grt_init_config(NULL, NULL, cfg, &t.rt), 0);
  grt_config_destroy(cfg);
  assert_int_equal(grtk_create(t.rt, &t.k), 0);
  return t;
}

static inline void kt_stop(kt_t *t) {
  grtk_destroy(t->k);
  assert_int_equal(grt_fence(t->rt), 0);
  assert_int_equal(grt_finalize(t->rt), 0);
}

static inline grt_store_t *kt_store(kt_t *t, const grt_type_t *type, int ndim,
                                    const int64_t *shape) {
  grt_store_t *s;
  assert_int_equal(grt_store_create(t->rt, type, ndim, shape, &s), 0);
  return s;
}

/* Visits every element of a (view) mapping in row-major order of its shape,
 * copying between it and the dense host array @p host. */
static inline void kt_xfer(grt_store_t *s, void *host, bool to_store) {
  grt_mapping_t *m;
  assert_int_equal(grt_store_map(s, to_store ? GRT_WRITE : GRT_READ, &m), 0);
  int64_t st[GRT_MAX_DIM] = {0}, shape[GRT_MAX_DIM] = {0};
  char *p = grt_mapping_ptr(m, st);
  int nd = grt_store_ndim(s);
  grt_store_shape(s, shape);
  size_t es = grt_type_size(grt_store_type(s));
  int64_t n = 1;
  for (int d = 0; d < nd; d++) n *= shape[d];
  int64_t idx[GRT_MAX_DIM] = {0};
  for (int64_t i = 0; i < n; i++) {
    int64_t off = 0;
    for (int d = 0; d < nd; d++) off += idx[d] * st[d];
    if (to_store)
      memcpy(p + off * (int64_t)es, (char *)host + i * (int64_t)es, es);
    else
      memcpy((char *)host + i * (int64_t)es, p + off * (int64_t)es, es);
    for (int d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  assert_int_equal(grt_mapping_unmap(m), 0);
}
static inline void kt_write(grt_store_t *s, const void *host) { kt_xfer(s, (void *)host, true); }
static inline void kt_read(grt_store_t *s, void *host) { kt_xfer(s, host, false); }

/* Deterministic host data: small values whose sums and products are exact
 * in double (and mostly in float). */
static inline double kt_val(uint64_t seed, int64_t i) {
  uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15ull + seed;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 32;
  return (double)(int64_t)(x % 2001) / 64.0 - 15.0;
}

/* Fills a host array of @p code (f64/f32/i64) from kt_val. */
static inline void kt_host_fill(int code, void *h, int64_t n, uint64_t seed) {
  for (int64_t i = 0; i < n; i++) {
    double v = kt_val(seed, i);
    if (code == GRT_TYPE_FLOAT64) ((double *)h)[i] = v;
    else if (code == GRT_TYPE_FLOAT32) ((float *)h)[i] = (float)v;
    else ((int64_t *)h)[i] = (int64_t)(v * 64.0);
  }
}

static inline double kt_get_d(int code, const void *h, int64_t i) {
  if (code == GRT_TYPE_FLOAT64) return ((const double *)h)[i];
  if (code == GRT_TYPE_FLOAT32) return ((const float *)h)[i];
  return (double)((const int64_t *)h)[i];
}

/* Bitwise comparison of n elements of size es, naming the first mismatch. */
static inline void kt_assert_bits(const void *got, const void *want, int64_t n, size_t es,
                                  const char *what, const char *cfg) {
  for (int64_t i = 0; i < n; i++)
    if (memcmp((const char *)got + i * (int64_t)es, (const char *)want + i * (int64_t)es, es)) {
      fail_msg("%s [%s]: element %lld differs", what, cfg, (long long)i);
    }
}

static inline void kt_assert_close(double got, double want, double rtol, const char *what,
                                   const char *cfg) {
  double err = fabs(got - want), scale = fabs(want) > 1.0 ? fabs(want) : 1.0;
  if (!(err <= rtol * scale)) fail_msg("%s [%s]: got %.17g want %.17g", what, cfg, got, want);
}

/* The kernels' fixed summation order for one row of n terms t(k) (docs/
 * kernels.md, "Summation order"; kernels_internal.h GRTK_LANE_SUM): 8 lanes
 * over the first n - n % 8 terms, combined ((0+1)+(2+3))+((4+5)+(6+7)),
 * then the tail in order. kt_lanes_dot is that order for x[k] * y[k]. */
static inline double kt_lanes_dot(int64_t n, const double *x, const double *y) {
  double l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t m = n - n % 8, k;
  for (k = 0; k < m; k++) l[k % 8] += x[k] * y[k];
  double r = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
  for (k = m; k < n; k++) r += x[k] * y[k];
  return r;
}

#endif
