/* test_collective.c - the all-gather of comm/collective.h.
 *
 * Run as a plain program it uses the loopback backend (1 rank) and the
 * simulated one; under mpirun -np N (tests/comm/meson.build: 2, 3, 4) the
 * MPI backend. Every rank checks every other rank's block byte for byte,
 * with many all-gathers in flight at once, blocks given in a random order
 * and from several threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "comm_test.h"

#include "collective.h"

#define NGATHER 64

typedef struct gather {
  grt_allgather_t *g;
  atomic_int done;
} gather_t;

static void on_done(void *arg, grt_allgather_t *g) {
  gather_t *x = arg;
  assert_ptr_equal(x->g, g);
  assert_int_equal(atomic_fetch_add(&x->done, 1), 0); /* exactly once */
}

/* Rank r's block of gather i: a length and bytes both anyone can recompute. */
static uint32_t block_len(unsigned seed, int i, int r) {
  return (uint32_t)((seed * 2654435761u + (unsigned)i * 40503u + (unsigned)r * 977u) % 300u);
}
static unsigned char block_byte(int i, int r, uint32_t k) { return (unsigned char)(i * 31 + r * 7 + k); }

static unsigned char *make_block(unsigned seed, int i, int r, uint32_t *len) {
  *len = block_len(seed, i, r);
  unsigned char *b = malloc(*len ? *len : 1);
  assert_non_null(b);
  for (uint32_t k = 0; k < *len; k++) b[k] = block_byte(i, r, k);
  return b;
}

typedef struct giver {
  gather_t *x;
  unsigned seed;
  int me, first, step;
} giver_t;

static void *give_some(void *arg) {
  giver_t *gv = arg;
  for (int i = gv->first; i < NGATHER; i += gv->step) {
    uint32_t len;
    unsigned char *b = make_block(gv->seed, i, gv->me, &len);
    grt__comm_allgather_give(gv->x[i].g, b, len);
  }
  return NULL;
}

static void wait_all(grt_comm_t *c, gather_t *x) {
  for (int i = 0; i < NGATHER; i++)
    while (!atomic_load(&x[i].done)) grt__comm_poll(c);
}

static void test_allgather_real(void **state) {
  (void)state;
  int me, n;
  grt_comm_t *c = comm_test_start(0, 0, &me, &n);
  assert_int_equal(grt__comm_rank(c), me);
  assert_int_equal(grt__comm_size(c), n);
  const char *s = getenv("GRT_SEED");
  unsigned seed = s ? (unsigned)strtoul(s, NULL, 10) : 12345u;
  if (me == 0) print_message("seed %u, %d ranks\n", seed, n);
  size_t max_total = (size_t)n * 300;
  gather_t x[NGATHER];
  for (int i = 0; i < NGATHER; i++) {
    atomic_init(&x[i].done, 0);
    assert_int_equal(grt__comm_allgather_post(c, GRT_CHAN_FUTURE, (uint64_t)(i + 1) * 32,
                                              max_total, on_done, &x[i], &x[i].g),
                     0);
  }
  /* Two threads give the blocks, in an order that differs by rank. */
  giver_t gv[2] = {{x, seed, me, me % 2, 2}, {x, seed, me, 1 - me % 2, 2}};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, give_some, &gv[0]), 0);
  give_some(&gv[1]);
  pthread_join(t, NULL);
  wait_all(c, x);
  for (int i = 0; i < NGATHER; i++) {
    for (int r = 0; r < n; r++) {
      uint32_t len;
      const unsigned char *b = grt__comm_allgather_block(x[i].g, r, &len);
      if (len != block_len(seed, i, r) || (len && !b))
        fail_msg("seed %u: gather %d, rank %d's block: %u bytes, expected %u", seed, i, r, len,
                 block_len(seed, i, r));
      for (uint32_t k = 0; k < len; k++)
        if (b[k] != block_byte(i, r, k))
          fail_msg("seed %u: gather %d, rank %d, byte %u differs", seed, i, r, k);
    }
    grt__comm_allgather_free(x[i].g);
  }
  grt__comm_fini(c);
}

/* Simulated ranks: receives complete empty, so only this rank's block is
 * there, and done() runs once it is given. */
static void test_allgather_sim(void **state) {
  (void)state;
  grt_comm_t *c = comm_test_sim(5, 3);
  gather_t x = {.done = 0};
  assert_int_equal(grt__comm_allgather_post(c, GRT_CHAN_FUTURE, 64, 1000, on_done, &x, &x.g), 0);
  assert_int_equal(atomic_load(&x.done), 0); /* nothing given yet */
  uint32_t len;
  unsigned char *b = make_block(7, 0, 3, &len);
  grt__comm_allgather_give(x.g, b, len);
  assert_int_equal(atomic_load(&x.done), 1);
  for (int r = 0; r < 5; r++) {
    uint32_t l;
    const unsigned char *p = grt__comm_allgather_block(x.g, r, &l);
    if (r == 3) {
      assert_ptr_equal(p, b);
      assert_int_equal(l, len);
    } else {
      assert_null(p);
      assert_int_equal(l, 0);
    }
  }
  grt__comm_allgather_free(x.g);
  grt__comm_fini(c);
}

/* An all-gather freed before its block was given (its op was abandoned). */
static void test_allgather_abandoned(void **state) {
  (void)state;
  grt_comm_t *c = comm_test_sim(4, 0);
  gather_t x = {.done = 0};
  assert_int_equal(grt__comm_allgather_post(c, GRT_CHAN_FUTURE, 96, 10, on_done, &x, &x.g), 0);
  grt__comm_allgather_free(x.g);
  assert_int_equal(atomic_load(&x.done), 0);
  grt__comm_fini(c);
}

int main(void) {
  const struct CMUnitTest all[] = {
      cmocka_unit_test(test_allgather_real), cmocka_unit_test(test_allgather_sim),
      cmocka_unit_test(test_allgather_abandoned)};
  return cmocka_run_group_tests(all, NULL, NULL);
}
