/* test_coalesce.c - grt__coherence_coalesce keeps the exact union of a set of
 * rectangles (the analysis of transfer nodes relies on it: a smaller union
 * would drop a dependence, a larger one add a false one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coherence.h"

#define G 12 /* grid side: rectangles lie in [-1, G-2]^2 or [-1, G-2]^3 */

static grt_rect_t rect2(int64_t l0, int64_t h0, int64_t l1, int64_t h1) {
  grt_rect_t r = {.ndim = 2};
  r.lo[0] = l0, r.hi[0] = h0, r.lo[1] = l1, r.hi[1] = h1;
  return r;
}

static bool in_any(const grt_rect_t *v, int n, const int64_t *p) {
  for (int i = 0; i < n; i++) {
    bool in = !grt_rect_empty(&v[i]);
    for (int d = 0; d < v[i].ndim && in; d++) in = p[d] >= v[i].lo[d] && p[d] <= v[i].hi[d];
    if (in) return true;
  }
  return false;
}

/* Every grid point is in the input's union iff it is in the output's. */
static void assert_same_union(const grt_rect_t *v, int n, const grt_rects_t *out, int ndim) {
  int64_t p[3] = {0};
  int cells = ndim == 2 ? G * G : G * G * G;
  for (int c = 0; c < cells; c++) {
    int x = c;
    for (int d = 0; d < ndim; d++) {
      p[d] = x % G - 1;
      x /= G;
    }
    if (in_any(v, n, p) != in_any(out->v, out->n, p))
      fail_msg("point (%lld, %lld, %lld): in input %d, in output %d", (long long)p[0],
               (long long)p[1], (long long)p[2], in_any(v, n, p), in_any(out->v, out->n, p));
  }
}

/* An interior rank of a 2-D stencil (tile [64, 127]^2, halo 1): what it
 * receives is 8 pieces of the ring around its tile, what it sends the 4
 * edges and 4 corners of its tile; each becomes 4 rectangles. */
static void test_coalesce_stencil(void **state) {
  (void)state;
  grt_rect_t recv[8] = {rect2(63, 63, 63, 63),   rect2(63, 63, 64, 127),  rect2(63, 63, 128, 128),
                        rect2(64, 127, 63, 63),  rect2(64, 127, 128, 128), rect2(128, 128, 63, 63),
                        rect2(128, 128, 64, 127), rect2(128, 128, 128, 128)};
  grt_rect_t send[8] = {rect2(64, 64, 64, 64),   rect2(64, 64, 64, 127),  rect2(64, 64, 127, 127),
                        rect2(64, 127, 64, 64),  rect2(64, 127, 127, 127), rect2(127, 127, 64, 64),
                        rect2(127, 127, 64, 127), rect2(127, 127, 127, 127)};
  grt_rects_t out = {0};
  assert_int_equal(grt__coherence_coalesce(&out, recv, 8), 0);
  assert_int_equal(out.n, 4);
  int64_t vol = 0;
  for (int i = 0; i < out.n; i++) vol += grt_rect_volume(&out.v[i]);
  assert_int_equal(vol, 66 * 66 - 64 * 64); /* disjoint pieces stay disjoint */
  /* Appends after what out holds. */
  assert_int_equal(grt__coherence_coalesce(&out, send, 8), 0);
  assert_int_equal(out.n, 8);
  for (int i = 4; i < 8; i++) assert_true(grt_rect_volume(&out.v[i]) == 64);
  grt__rects_free(&out);
}

/* Random sets of small rectangles, 2-D and 3-D, some empty, some over the
 * merge limit: the union never changes. */
static void test_coalesce_random(void **state) {
  (void)state;
  srand(12345);
  grt_rects_t out = {0};
  grt_rect_t v[40];
  for (int trial = 0; trial < 3000; trial++) {
    int ndim = 2 + trial % 2;
    int n = rand() % (trial % 10 == 0 ? 40 : 10);
    int ext = 1 + rand() % 5;
    for (int i = 0; i < n; i++) {
      memset(&v[i], 0, sizeof v[i]);
      v[i].ndim = ndim;
      for (int d = 0; d < ndim; d++) {
        v[i].lo[d] = rand() % (G - 2) - 1;
        v[i].hi[d] = v[i].lo[d] + rand() % ext - (rand() % 17 == 0); /* sometimes empty */
        if (v[i].hi[d] > G - 2) v[i].hi[d] = G - 2;
      }
    }
    out.n = 0;
    assert_int_equal(grt__coherence_coalesce(&out, v, n), 0);
    assert_true(out.n <= n);
    for (int i = 0; i < out.n; i++) assert_false(grt_rect_empty(&out.v[i]));
    assert_same_union(v, n, &out, ndim);
  }
  grt__rects_free(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_coalesce_stencil),
      cmocka_unit_test(test_coalesce_random),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
