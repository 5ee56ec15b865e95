/* store_test_util.h - shared helpers for the store tests: a seeded RNG. */
#ifndef GRT_STORE_TEST_UTIL_H
#define GRT_STORE_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* splitmix64: small, deterministic per seed, good enough for test cases. */
typedef struct {
  uint64_t s;
} test_rng_t;

static inline uint64_t rng_next(test_rng_t *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Uniform in [lo, hi] (inclusive); hi >= lo. */
static inline int64_t rng_range(test_rng_t *r, int64_t lo, int64_t hi) {
  return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* The seed: GRT_SEED from the environment, else the clock. */
static inline uint64_t test_seed(void) {
  const char *e = getenv("GRT_SEED");
  if (e && *e) return strtoull(e, NULL, 0);
  return (uint64_t)time(NULL) ^ ((uint64_t)clock() << 20);
}

#endif
