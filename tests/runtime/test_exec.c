/* test_exec.c - graph nodes (runtime/graph.c): who may touch a node when. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <pthread.h>
#include <sched.h>

#include "runtime.h"
#include "rt_test.h"

typedef struct {
  grt_runtime_t *rt;
  grt_node_t *n;
} release_arg_t;

static void *release_one(void *p) {
  release_arg_t *a = p;
  grt__graph_release(&a->rt->graph, a->n); /* a worker completing the wait's last predecessor */
  return NULL;
}

/* The contract the application thread relies on (runtime/graph.h): once
 * a wait node's pending count reaches 0 it may free the node at once, so
 * the thread that made the last decrement must not touch it afterwards. The
 * waiter here frees the node the moment it sees 0, as wait_for_store's
 * caller may when it unmaps right away; under ThreadSanitizer the
 * releaser's read of the node's kind after its decrement (today's main:
 * make_ready read n->kind) is reported as a race with the free (issue 14,
 * seen first in test_oracle). Without TSan it checks the waiter is woken. */
static void test_exec_wait_node_freed_when_ready(void **state) {
  (void)state;
  grt_runtime_t *rt = rt_test_start(1, 0);
  int rounds = getenv("GRT_TEST_SHORT") ? 50 : 500;
  for (int i = 0; i < rounds; i++) {
    grt_node_t *n = malloc(sizeof *n);
    assert_non_null(n);
    grt__graph_node_init(&rt->graph, n, GRT_NODE_WAIT, NULL, NULL); /* pending 1: one predecessor left */
    release_arg_t a = {rt, n};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, release_one, &a), 0);
    while (atomic_load(&n->pending) > 0) sched_yield();
    free(n);
    assert_int_equal(pthread_join(t, NULL), 0);
  }
  assert_int_equal(grt_finalize(rt), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exec_wait_node_freed_when_ready),
  };
  return cmocka_run_group_tests_name("exec", tests, NULL, NULL);
}
