/* test_divergence.c - the divergence check's exchange (comm/divergence.h)
 * when the ranks agree: blocking calls return on every rank, a task failure
 * reported by one rank reaches all, and there is nothing to check on one
 * rank or simulated ranks. Diverging ranks end the job; that path is tested
 * through whole programs (tests/mpi/test_mpi_jobs). Run under mpirun -np 2,
 * 3, 4 (tests/comm/meson.build) and alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "comm_test.h"

#include "divergence.h"
#include "grt_error.h"
#include "grt.h"

static const char *const names[] = {"launch", "fence"};

static void test_agreeing_ranks(void **state) {
  (void)state;
  int me, n;
  grt_comm_t *c = comm_test_start(0, 0, &me, &n);
  grt_divergence_t *d;
  assert_int_equal(grt__divergence_new(c, names, 2, &d), 0);
  if (n == 1) { /* nothing to compare */
    assert_null(d);
    assert_int_equal(grt__divergence_start_agree(c, 0), 0);
    grt__comm_fini(c);
    return;
  }
  assert_non_null(d);
  assert_int_equal(grt__divergence_start_agree(c, 0), 0);
  assert_int_equal(grt__divergence_start(d), 0);
  uint64_t count = 0;
  /* Past several batches of 64 records, then blocking calls. */
  for (int round = 0; round < 5; round++) {
    for (int i = 0; i < 150; i++)
      grt__divergence_record(d, ++count, 0, (uint64_t)i * 7919u + (uint64_t)round, "lib", "task");
    grt__divergence_record(d, ++count, 1, 0, NULL, NULL);
    bool any = true;
    assert_int_equal(grt__divergence_sync(d, count, false, 0, "", &any), 0);
    assert_false(any);
    assert_null(grt__divergence_why(d));
  }
  /* The last rank's task failed: every rank learns it, with its text. */
  grt__divergence_record(d, ++count, 1, 0, NULL, NULL);
  bool any = false;
  int rc = grt__divergence_sync(d, count, false, me == n - 1, "boom in a task", &any);
  assert_int_equal(rc, 0);
  assert_true(any);
  char want[64];
  snprintf(want, sizeof want, "on rank %d: boom in a task", n - 1);
  assert_string_equal(grt_last_error(), want);
  /* A final blocking call: rank 0 expects nothing more afterwards. */
  grt__divergence_record(d, ++count, 1, 0, NULL, NULL);
  assert_int_equal(grt__divergence_sync(d, count, true, 0, "", NULL), 0);
  grt__divergence_free(d);
  grt__comm_fini(c);
}

/* One rank failed to start: every rank's grt_init learns which. */
static void test_start_agree_failure(void **state) {
  (void)state;
  int me, n;
  grt_comm_t *c = comm_test_start(0, 0, &me, &n);
  if (n == 1) {
    assert_int_equal(grt__divergence_start_agree(c, GRT_ENOMEM), GRT_ENOMEM);
    grt__comm_fini(c);
    return;
  }
  int mine = 0;
  if (me == 1) mine = grt__error(GRT_ENOMEM, "no memory on this one");
  int rc = grt__divergence_start_agree(c, mine);
  if (me == 1) {
    assert_int_equal(rc, GRT_ENOMEM);
  } else {
    assert_int_equal(rc, GRT_ECOMM);
    assert_non_null(strstr(grt_last_error(), "rank 1 of"));
    assert_non_null(strstr(grt_last_error(), "no memory on this one"));
  }
  grt__comm_fini(c);
}

static void test_simulated_has_no_check(void **state) {
  (void)state;
  grt_comm_t *c = comm_test_sim(4, 2);
  grt_divergence_t *d = (grt_divergence_t *)1;
  assert_int_equal(grt__divergence_new(c, names, 2, &d), 0);
  assert_null(d);
  assert_int_equal(grt__divergence_start_agree(c, 0), 0);
  grt__comm_fini(c);
}

int main(void) {
  const struct CMUnitTest all[] = {
      cmocka_unit_test(test_agreeing_ranks), cmocka_unit_test(test_start_agree_failure),
      cmocka_unit_test(test_simulated_has_no_check)};
  return cmocka_run_group_tests(all, NULL, NULL);
}
