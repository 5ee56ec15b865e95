/* rt_test.h - a runtime for a test: a given worker count, launches always split. */
#ifndef GRT_RT_TEST_H
#define GRT_RT_TEST_H

#include <stdio.h>

#include "grt.h"

/* Starts a runtime with @p cpus CPU workers and @p omps OpenMP groups of two
 * threads, and a minimum chunk of 0 so that even small launches are split.
 * Fails the calling cmocka test on error. */
static inline grt_runtime_t *rt_test_start(int cpus, int omps) {
  grt_config_t *cfg;
  char c[16], o[16];
  snprintf(c, sizeof c, "%d", cpus);
  snprintf(o, sizeof o, "%d", omps);
  assert_int_equal(grt_config_create(&cfg), 0);
  assert_int_equal(grt_config_set(cfg, "cpus", c), 0);
  assert_int_equal(grt_config_set(cfg, "omps", o), 0);
  assert_int_equal(grt_config_set(cfg, "ompthreads", "2"), 0);
  assert_int_equal(grt_config_set(cfg, "min_cpu_chunk", "0"), 0);
  grt_runtime_t *rt;
  assert_int_equal(grt_init_config(NULL, NULL, cfg, &rt), 0);
  grt_config_destroy(cfg);
  return rt;
}

#endif
